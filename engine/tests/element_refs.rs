//! References to one instance of a counted or `for_each` resource (`r.c[1].id`) are
//! evaluated without building the collection of every instance, by the checker and the
//! plan walk alike, and so are splats reading one attribute (`r.c[*].id`). These check the results and the errors stay what indexing the whole
//! collection gives.

use std::collections::BTreeSet;

use aic_engine::load::{validate, VariableArgs};
use aic_engine::planner::{plan, PlanOptions, Providers, Workspace};

const CONFIG: &str = r#"resource null_resource c {
  count = 3
}

resource null_resource e {
  for_each = toset(["a", "b"])
}

resource null_resource ok {
  count = 2
  triggers = {
    one   = null_resource.c[1].id
    next  = null_resource.c[count.index + 1].id
    key   = null_resource.e["a"].id
    whole = join(",", null_resource.c[*].id)
  }
}

output first = null_resource.c[0].id
"#;

fn errors(extra: &str) -> BTreeSet<(usize, String)> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.aic"), format!("{CONFIG}{extra}")).unwrap();
    let registry = aic_provider_builtin::registry();
    let checked = validate(dir.path(), None, &VariableArgs::default(), &registry);
    checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let s = d.primary_span().expect("a span");
            let f = checked.sources.get(s.file).expect("a file");
            (f.line_col(s.start as usize).0, d.code.to_string())
        })
        .collect()
}

#[test]
fn valid_element_references_check() {
    assert_eq!(errors(""), BTreeSet::new());
}

#[test]
fn invalid_element_references_report_what_indexing_reports() {
    let base = CONFIG.lines().count();
    let extra = [
        "let out_of_range = null_resource.c[3].id",
        "let negative = null_resource.c[-1].id",
        "let missing_key = null_resource.e[\"z\"].id",
        "let wrong_attribute = null_resource.c[0].nope",
        "let unknown_name = null_resource.c[nope].id",
        "let wrong_key_type = null_resource.c[\"x\"].id",
        "let splat_wrong_attribute = null_resource.c[*].nope",
    ];
    let got = errors(&format!("{}\n", extra.join("\n")));
    let want: BTreeSet<(usize, String)> = [
        "E0401", "E0401", "E0402", "E0214", "E0202", "E0301", "E0214",
    ]
    .iter()
    .enumerate()
    .map(|(i, c)| (base + 1 + i, c.to_string()))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn plan_reads_single_instances() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.aic"), CONFIG).unwrap();
    let ws = Workspace::load(
        dir.path(),
        None,
        &VariableArgs::default(),
        aic_provider_builtin::registry(),
    )
    .unwrap_or_else(|_| panic!("the configuration loads"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let planned = rt
        .block_on(plan(
            &ws,
            &aic_engine::state::State::new(),
            &Providers::default(),
            &PlanOptions {
                refresh: true,
                ..PlanOptions::default()
            },
        ))
        .unwrap_or_else(|_| panic!("the plan succeeds"));
    assert_eq!(planned.plan.resource_changes.len(), 7);
}
