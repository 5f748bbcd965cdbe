//! The dependency graph (`engine::graph`): which resource instances an instance depends
//! on — through references, `depends_on`, `let` values, module inputs and outputs — the
//! order the engine walks, the instances of `count` and `for_each`, and reference cycles
//! reported with the whole cycle.

use std::collections::BTreeSet;

use aic_engine::graph::Node;
use aic_engine::load::{LoadFailure, VariableArgs};
use aic_engine::planner::Workspace;
use aic_lang::addr::InstanceAddr;

const MAIN: &str = r#"
let prefix = random_id.a.hex

resource random_id a {
  byte_length = 4
}

resource null_resource b {
  triggers = {
    p = prefix
  }
}

resource null_resource c {
  depends_on = [null_resource.b]
}

resource null_resource lone {}

resource null_resource n {
  count = 3
}

resource null_resource e {
  for_each = toset(["x", "y"])
  triggers = {
    first = null_resource.n[0].id
  }
}

module m {
  source = "./m"
  input  = null_resource.c.id
}

resource null_resource after_module {
  triggers = {
    out = module.m.out
  }
}
"#;

const MODULE: &str = r#"
variable input: string

resource null_resource inner {
  triggers = {
    i = var.input
  }
}

resource null_resource unrelated {}

output out = null_resource.inner.id
"#;

fn load(files: &[(&str, &str)]) -> Result<Workspace, LoadFailure> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    Workspace::load(
        dir.path(),
        None,
        &VariableArgs::default(),
        aic_provider_builtin::registry(),
    )
}

fn workspace() -> Workspace {
    load(&[("main.aic", MAIN), ("m/main.aic", MODULE)])
        .unwrap_or_else(|f| panic!("the configuration loads: {:?}", f.diagnostics))
}

fn addr(text: &str) -> InstanceAddr {
    text.parse()
        .unwrap_or_else(|e| panic!("{text} is an address: {e:?}"))
}

/// The resource instances `text` depends on, directly or through values.
fn deps(ws: &Workspace, text: &str) -> BTreeSet<String> {
    let idx = ws
        .graph
        .index
        .get(&Node::Resource(addr(text)))
        .unwrap_or_else(|| panic!("{text} is in the graph"));
    ws.graph
        .resource_dependencies(*idx)
        .into_iter()
        .filter_map(|d| ws.graph.graph.node_weight(d))
        .map(ToString::to_string)
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

#[test]
fn dependencies_follow_references_lets_depends_on_and_modules() {
    let ws = workspace();
    // Through a `let`.
    assert_eq!(deps(&ws, "null_resource.b"), set(&["random_id.a"]));
    // `depends_on` names a dependency without a value.
    assert_eq!(deps(&ws, "null_resource.c"), set(&["null_resource.b"]));
    // Into a module through its input variable, out of it through its output.
    assert_eq!(
        deps(&ws, "module.m.null_resource.inner"),
        set(&["null_resource.c"])
    );
    assert_eq!(
        deps(&ws, "null_resource.after_module"),
        set(&["module.m.null_resource.inner"])
    );
    // What references nothing depends on nothing, in a module too.
    assert_eq!(deps(&ws, "null_resource.lone"), set(&[]));
    assert_eq!(deps(&ws, "module.m.null_resource.unrelated"), set(&[]));
    assert_eq!(deps(&ws, "random_id.a"), set(&[]));
}

#[test]
fn count_and_for_each_make_one_node_per_instance() {
    let ws = workspace();
    let instances: BTreeSet<String> = ws
        .graph
        .instances
        .keys()
        .filter(|a| a.resource.name == "n" || a.resource.name == "e")
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        instances,
        set(&[
            "null_resource.e[\"x\"]",
            "null_resource.e[\"y\"]",
            "null_resource.n[0]",
            "null_resource.n[1]",
            "null_resource.n[2]",
        ])
    );
    // Each `for_each` instance depends on the instance it names.
    for key in ["x", "y"] {
        let d = deps(&ws, &format!("null_resource.e[\"{key}\"]"));
        assert!(d.contains("null_resource.n[0]"), "{key}: {d:?}");
    }
}

#[test]
fn the_walk_order_puts_every_dependency_first() {
    let ws = workspace();
    let position = |n: petgraph::graph::NodeIndex| {
        ws.order
            .iter()
            .position(|o| *o == n)
            .unwrap_or_else(|| panic!("{n:?} is in the order"))
    };
    assert_eq!(ws.order.len(), ws.graph.graph.node_count());
    let mut checked = 0;
    for (node, idx) in &ws.graph.index {
        if !matches!(node, Node::Resource(_)) {
            continue;
        }
        for dep in ws.graph.resource_dependencies(*idx) {
            assert!(
                position(dep) < position(*idx),
                "{node} is walked before its dependency {}",
                ws.graph.graph[dep]
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 6, "b, c, inner, after_module, e[x], e[y]");
}

#[test]
fn a_reference_cycle_is_reported_with_the_whole_cycle() {
    let failure = load(&[(
        "main.aic",
        r#"
resource null_resource a {
  triggers = {
    b = null_resource.b.id
  }
}

resource null_resource b {
  triggers = {
    c = null_resource.c.id
  }
}

resource null_resource c {
  depends_on = [null_resource.a]
}
"#,
    )])
    .err()
    .expect("a cycle does not load");
    let text: String = failure
        .diagnostics
        .iter()
        .map(|d| d.render(&failure.sources, false, 400))
        .collect();
    assert!(text.contains("E0207"), "{text}");
    // Every member of the cycle is named, in the order the references run, and the
    // reference that closes it is pointed at.
    assert!(
        text.contains(
            "`null_resource.c` refers to `null_resource.a`, which depends on `null_resource.c`"
        ),
        "{text}"
    );
    let cycle = text
        .split("The cycle is: ")
        .nth(1)
        .unwrap_or_else(|| panic!("the cycle is spelled out: {text}"));
    let names: Vec<&str> = cycle
        .split(". Remove")
        .next()
        .unwrap_or_default()
        .split(" → ")
        .map(str::trim)
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    assert_eq!(names.first(), names.last(), "{names:?}");
    let members: BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(
        members,
        ["null_resource.a", "null_resource.b", "null_resource.c"]
            .into_iter()
            .collect()
    );
}
