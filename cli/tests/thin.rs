//! Architecture invariant (docs/architecture.md): the CLI is argument parsing, event
//! rendering and exit codes. It names no state file, writes no file and reads no state:
//! every operation goes through the engine (`aic_engine::ops`).

use std::path::Path;

/// What the CLI's sources must not contain, and why.
const FORBIDDEN: &[(&str, &str)] = &[
    ("std::fs", "file system access belongs to the engine"),
    ("fs::write", "files are written by the engine"),
    ("File::create", "files are written by the engine"),
    ("OpenOptions", "files are written by the engine"),
    ("tokio::fs", "file system access belongs to the engine"),
    (".aic/", "state and audit paths are the engine's"),
    (".journal", "the journal is the engine's"),
    ("LocalBackend", "stores are opened by the engine"),
    ("StateStore", "stores are used by the engine"),
    ("AuditRecord", "audit records are built by the engine"),
    ("serde_json::from_", "the CLI parses no state or plan file"),
];

#[test]
fn the_cli_does_no_file_work_and_builds_no_records() {
    let src =
        Path::new(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("src");
    let mut checked = 0;
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for (pattern, why) in FORBIDDEN {
                if line.contains(pattern) {
                    found.push(format!(
                        "{}:{}: `{pattern}` ({why})",
                        path.file_name().unwrap().to_string_lossy(),
                        i + 1
                    ));
                }
            }
        }
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} source files read");
    assert!(found.is_empty(), "{}", found.join("\n"));
}
