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
    let src =
        Path::new(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("src");
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

/// The names in the `[dependencies]` table of `crate_dir/Cargo.toml` (not dev-dependencies).
fn dependencies(crate_dir: &str) -> BTreeSet<String> {
    let path =
        Path::new(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("..")
            .join(crate_dir)
            .join("Cargo.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut in_deps = false;
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps && !line.is_empty() && !line.starts_with('#') {
            let name = line.split(['=', '.', ' ']).next().unwrap_or("");
            out.insert(name.to_string());
        }
    }
    assert!(
        text.contains("[package]"),
        "{} is not a crate manifest",
        path.display()
    );
    out
}

/// Architecture invariant (docs/architecture.md): crates depend downwards only — `lang`
/// on no aic crate; `stdlib` and `providers/core` on `lang` alone; the engine on no
/// provider implementation; no crate but a provider's names a cloud SDK.
#[test]
fn crates_depend_downwards_and_only_providers_name_a_cloud_sdk() {
    let aic = |deps: &BTreeSet<String>| -> Vec<String> {
        deps.iter()
            .filter(|d| d.starts_with("aic-"))
            .cloned()
            .collect()
    };
    assert_eq!(aic(&dependencies("lang")), Vec::<String>::new());
    assert_eq!(aic(&dependencies("stdlib")), ["aic-lang"]);
    assert_eq!(aic(&dependencies("providers/core")), ["aic-lang"]);
    let engine = dependencies("engine");
    assert_eq!(
        aic(&engine),
        ["aic-lang", "aic-provider", "aic-state", "aic-stdlib"],
        "the engine reaches providers through aic-provider's registry only, and storage through aic-state"
    );
    // The persistence layer: aic-state knows nothing of the language or providers; the
    // remote backends build on it alone, and are reached through the CLI's registry.
    assert_eq!(aic(&dependencies("state")), Vec::<String>::new());
    assert_eq!(aic(&dependencies("state/postgres")), ["aic-state"]);
    assert_eq!(aic(&dependencies("state/s3")), ["aic-state"]);
    let s3_sdk: Vec<String> = dependencies("state/s3")
        .into_iter()
        .filter(|d| d.starts_with("aws-"))
        .collect();
    assert_eq!(
        s3_sdk,
        ["aws-config", "aws-sdk-s3"],
        "the s3 backend is the one crate besides providers that names an AWS SDK"
    );
    for krate in [
        "lang",
        "stdlib",
        "providers/core",
        "state",
        "state/postgres",
        "engine",
        "cli",
    ] {
        let deps = dependencies(krate);
        let sdk: Vec<&String> = deps
            .iter()
            .filter(|d| {
                d.starts_with("aws-") || d.starts_with("google-cloud-") || d.starts_with("azure_")
            })
            .collect();
        assert!(sdk.is_empty(), "{krate} depends on {sdk:?}");
        assert!(
            !deps.is_empty() || krate == "lang",
            "{krate}: no dependencies read"
        );
    }
}

/// Architecture invariant (docs/architecture.md): the language and the standard library
/// touch no machine — files, directories, environment variables and the working
/// directory reach them through `aic_lang::world::World`, whose `System` is the one
/// place (`lang/src/world.rs`) that calls the operating system.
#[test]
fn lang_and_stdlib_reach_the_machine_only_through_the_world() {
    const FORBIDDEN: &[&str] = &[
        "std::fs",
        "std::env",
        "current_dir",
        "read_dir",
        "File::open",
        ".is_dir()",
        ".is_file()",
        ".canonicalize()",
    ];
    let root =
        Path::new(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("..");
    let mut files = Vec::new();
    rs_files(&root.join("lang/src"), &mut files);
    rs_files(&root.join("stdlib/src"), &mut files);
    let mut checked = 0;
    let mut found = Vec::new();
    for f in &files {
        if f.ends_with("lang/src/world.rs") {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        for (i, line) in code(&text).lines().enumerate() {
            for pattern in FORBIDDEN {
                if line.contains(pattern) {
                    found.push(format!("{}:{}: {}", f.display(), i + 1, line.trim()));
                }
            }
        }
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} source files read");
    assert!(
        found.is_empty(),
        "machine access outside lang/src/world.rs:\n{}",
        found.join("\n")
    );
}
