//! End-to-end tests of `aic fmt`: the binary is run on temporary directories.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

const MESSY: &str = "let  a=1\nresource x y {\n  aa = 1\n  b=2\n}\n";
const TIDY: &str = "let a = 1\n\nresource x y {\n  aa = 1\n  b  = 2\n}\n";

fn aic(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aic"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("the aic binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).replace('\\', "/")
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("main.aic"), MESSY).unwrap();
    fs::write(dir.path().join("tidy.aic"), TIDY).unwrap();
    fs::create_dir_all(dir.path().join("modules/net")).unwrap();
    fs::write(dir.path().join("modules/net/net.aic"), MESSY).unwrap();
    fs::create_dir_all(dir.path().join(".aic")).unwrap();
    fs::write(dir.path().join(".aic/hidden.aic"), MESSY).unwrap();
    fs::write(dir.path().join("notes.txt"), MESSY).unwrap();
    dir
}

#[test]
fn writes_files_in_place_recursively() {
    let dir = setup();
    let out = aic(dir.path(), &["fmt"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout(&out), "main.aic\nmodules/net/net.aic\n");
    for f in ["main.aic", "tidy.aic", "modules/net/net.aic"] {
        assert_eq!(fs::read_to_string(dir.path().join(f)).unwrap(), TIDY, "{f}");
    }
    // Hidden directories and other files are left alone; no temporary file remains.
    assert_eq!(
        fs::read_to_string(dir.path().join(".aic/hidden.aic")).unwrap(),
        MESSY
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        MESSY
    );
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(names.iter().all(|n| !n.contains("tmp")), "{names:?}");
    // A second run changes nothing.
    let again = aic(dir.path(), &["fmt"]);
    assert!(again.status.success());
    assert_eq!(stdout(&again), "");
}

#[test]
fn check_lists_changes_and_writes_nothing() {
    let dir = setup();
    let out = aic(dir.path(), &["fmt", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "main.aic\nmodules/net/net.aic\n");
    assert_eq!(
        fs::read_to_string(dir.path().join("main.aic")).unwrap(),
        MESSY
    );
    let tidy = aic(dir.path(), &["fmt", "--check", "tidy.aic"]);
    assert_eq!(tidy.status.code(), Some(0));
}

#[test]
fn diff_prints_a_unified_diff_and_writes_nothing() {
    let dir = setup();
    let out = aic(dir.path(), &["fmt", "--diff", "main.aic"]);
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    assert!(text.starts_with("--- main.aic\n+++ main.aic\n@@"), "{text}");
    assert!(text.contains("-let  a=1\n+let a = 1\n"), "{text}");
    assert_eq!(
        fs::read_to_string(dir.path().join("main.aic")).unwrap(),
        MESSY
    );
}

#[test]
fn files_with_syntax_errors_are_reported_and_left_alone() {
    let dir = setup();
    let broken = "resource x y {\n  a = \n}\n";
    fs::write(dir.path().join("broken.aic"), broken).unwrap();
    let out = aic(dir.path(), &["fmt"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("E01"), "{err}");
    assert!(err.contains("broken.aic"), "{err}");
    assert_eq!(
        fs::read_to_string(dir.path().join("broken.aic")).unwrap(),
        broken
    );
    // The other files are still formatted.
    assert_eq!(
        fs::read_to_string(dir.path().join("main.aic")).unwrap(),
        TIDY
    );
}

#[test]
fn dir_flag_and_missing_paths() {
    let dir = setup();
    let out = aic(
        Path::new("/"),
        &["--dir", dir.path().to_str().unwrap(), "fmt", "--check"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out).lines().count(), 2);
    let missing = aic(dir.path(), &["fmt", "nope.aic"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nope.aic"));
}

/// The examples users copy from are in the canonical layout: `aic fmt --check` over
/// `examples/` lists nothing (and read every example: none is skipped).
#[test]
fn the_examples_are_formatted() {
    let examples =
        Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it")).join("../examples");
    let dirs = fs::read_dir(&examples)
        .expect("examples/ exists")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .count();
    assert!(dirs >= 5, "only {dirs} example directories found");
    let out = aic(&examples, &["fmt", "--check"]);
    assert!(
        out.status.success(),
        "examples not in the canonical layout (run `aic fmt examples`):\n{}{}",
        stdout(&out),
        String::from_utf8_lossy(&out.stderr)
    );
}
