//! Golden tests of semantic diagnostics: every directory under `fixtures/semantic` is a
//! configuration whose expected errors are written on the offending lines as
//! `# error: CODE` (or `# error: CODE (no span)` for diagnostics without a location).
//! The set of (file, line, code) found must equal the set expected, and the full rendered
//! output is snapshot-tested. To add a case, add a directory; run the test with
//! `INSTA_UPDATE=always` once and read the new snapshot.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use aic_engine::load::{validate, VariableArgs};
use aic_lang::diag;

fn fixtures() -> PathBuf {
    Path::new(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/semantic")
}

fn aic_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            aic_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "aic") {
            out.push(p);
        }
    }
}

/// (relative file, line, code) written in the fixture.
fn expected(dir: &Path) -> (BTreeSet<(String, usize, String)>, Option<String>) {
    let mut files = Vec::new();
    aic_files(dir, &mut files);
    let mut set = BTreeSet::new();
    let mut env = None;
    for f in files {
        let rel = f.strip_prefix(dir).unwrap().display().to_string();
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            if let Some(e) = line.strip_prefix("# env: ") {
                env = Some(e.trim().to_string());
            }
            if let Some(pos) = line.find("# error: ") {
                let rest = &line[pos + 9..];
                let code = rest.split_whitespace().next().unwrap().to_string();
                let line_no = if rest.contains("(no span)") { 0 } else { i + 1 };
                let file = if line_no == 0 {
                    String::new()
                } else {
                    rel.clone()
                };
                set.insert((file, line_no, code));
            }
        }
    }
    (set, env)
}

#[test]
fn semantic_diagnostics_match_inline_expectations() {
    let registry = aic_provider_builtin::registry();
    let mut dirs: Vec<_> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 40,
        "expected at least 40 semantic fixtures, found {}",
        dirs.len()
    );
    let mut failures = Vec::new();
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let (want, env) = expected(&dir);
        let checked = validate(&dir, env.as_deref(), &VariableArgs::default(), &registry);
        let got: BTreeSet<(String, usize, String)> = checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| {
                match d
                    .primary_span()
                    .and_then(|s| checked.sources.get(s.file).map(|f| (f, s)))
                {
                    Some((f, s)) => (
                        f.path
                            .strip_prefix(&dir)
                            .unwrap_or(&f.path)
                            .display()
                            .to_string(),
                        f.line_col(s.start as usize).0,
                        d.code.to_string(),
                    ),
                    None => (String::new(), 0, d.code.to_string()),
                }
            })
            .collect();
        if got != want {
            failures.push(format!("{name}:\n  expected {want:?}\n  got      {got:?}"));
        }
        // Absolute paths differ between checkouts; show them relative to the fixture
        // before rendering, so that line wrapping does not depend on where the clone is.
        let mut diagnostics = checked.diagnostics.clone();
        for d in &mut diagnostics {
            if let Some(help) = &mut d.help {
                *help = help.replace(&dir.display().to_string(), "<fixture>");
            }
        }
        let mut rendered = diag::render_all(&diagnostics, &checked.sources, false, 100);
        rendered = rendered.replace(&format!("{}/", dir.display()), "");
        insta::assert_snapshot!(format!("semantic__{name}"), rendered);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
