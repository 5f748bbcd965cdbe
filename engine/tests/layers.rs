//! Architecture invariant (docs/architecture.md): the engine's modules form one-way
//! layers — a module imports only modules of lower layers, so there is no import cycle.
//! Reads the engine's sources: every `crate::NAME` outside comments and `#[cfg(test)]`
//! code is an import of module `NAME`. Prints the module graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every top-level module of the engine and its layer, lowest first.
const LAYERS: &[(&str, u8)] = &[
    // Data and storage: know nothing of configurations or providers; the catalogue of
    // diagnostic codes.
    ("codes", 0),
    ("plan", 0),
    ("state", 0),
    // The audit log file, backend settings, views of a plan, evaluation wiring.
    ("audit", 1),
    ("backend", 1),
    ("render", 1),
    ("eval", 1),
    // The one loader.
    ("load", 2),
    ("graph", 3),
    ("planner", 4),
    ("apply", 5),
    // Operations: nothing imports them.
    ("ops", 6),
];

fn rank(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, r)| *r)
}

/// The code of a source file without comment lines and without its test module.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn rs_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `crate::NAME` occurrences in `code`.
fn imports(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        // Only a path that starts at `crate::` (not `my_crate::`) is the engine's own.
        let before = rest[..i].chars().last();
        if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            out.insert(name);
        }
        rest = after;
    }
    out
}

#[test]
fn engine_modules_import_only_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rs_files(&src, &mut files);
    files.sort();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut checked = 0;
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if top == "lib" {
            continue;
        }
        assert!(
            rank(&top).is_some(),
            "module `{top}` ({}) is in no layer: add it to LAYERS and to docs/architecture.md",
            rel.display()
        );
        let text = std::fs::read_to_string(f).unwrap();
        for to in imports(&code(&text)) {
            if to != top {
                graph.entry(top.clone()).or_default().insert(to);
            }
        }
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} source files read");
    println!("The engine's module graph (module → what it imports):");
    for (from, _) in LAYERS {
        let to: Vec<&str> = graph
            .get(*from)
            .map(|s| s.iter().map(String::as_str).collect())
            .unwrap_or_default();
        println!("  {from} → {}", to.join(", "));
    }
    let mut wrong = Vec::new();
    for (from, tos) in &graph {
        for to in tos {
            match (rank(from), rank(to)) {
                (Some(a), Some(b)) if b < a => {}
                _ => wrong.push(format!("{from} imports {to}")),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports of a module in the same or a higher layer: {wrong:?}"
    );
    // lib.rs declares exactly the layered modules.
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let declared: BTreeSet<&str> = lib
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            l.strip_prefix("pub mod ")
                .or_else(|| l.strip_prefix("mod "))
                // The state layer is the `aic-state` crate, re-exported.
                .or_else(|| l.strip_prefix("pub use aic_state as "))
                .map(|m| m.trim_end_matches(';'))
        })
        .collect();
    let layered: BTreeSet<&str> = LAYERS.iter().map(|(m, _)| *m).collect();
    assert_eq!(
        declared, layered,
        "lib.rs declares other modules than LAYERS"
    );
}

#[test]
fn the_import_scanner_finds_imports_and_skips_comments_and_tests() {
    let text = "//! see [`crate::ops`]\nuse crate::plan::Plan;\nfn f() { crate::state::State::new(); }\n#[cfg(test)]\nmod tests { use crate::apply; }\n";
    let found = imports(&code(text));
    assert_eq!(
        found.into_iter().collect::<Vec<_>>(),
        ["plan".to_string(), "state".to_string()]
    );
}
