//! Golden tests of the formatter: every `fixtures/format/*.aic` file is formatted and
//! compared with its snapshot in `snapshots/format__NAME.snap`; every `.aic` file under
//! the repository's `examples/` is checked for the formatter's promises (idempotence,
//! the same tree, every comment kept) without a snapshot.
//!
//! To add a case, drop a file in `fixtures/format/` and run
//! `INSTA_UPDATE=always cargo test -p aic-lang --test format`, then read the new
//! `.snap` file before committing it.

use std::path::{Path, PathBuf};

use aic_lang::source::FileId;
use aic_lang::syntax::ast::File;
use aic_lang::syntax::format::{format_file, format_source, FormatError};
use aic_lang::syntax::parse_file;

fn fixture_dir() -> PathBuf {
    Path::new(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/format")
}

/// Every `*.aic` file under `dir`, recursively (skipping hidden directories), sorted.
fn aic_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if path.is_dir() {
            if !hidden {
                out.extend(aic_files(&path));
            }
        } else if path.extension().is_some_and(|e| e == "aic") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn comment_texts(file: &File) -> Vec<String> {
    let mut texts: Vec<String> = file.comments.iter().map(|c| c.text.clone()).collect();
    texts.sort();
    texts
}

/// Formats `text` and checks every promise of the formatter; returns the output.
fn check_promises(name: &str, text: &str) -> String {
    let parsed = parse_file(FileId(0), text);
    assert!(
        !parsed.has_errors(),
        "{name}: the input has syntax errors: {:#?}",
        parsed.diagnostics
    );
    let once = format_file(&parsed.file, text);
    let reparsed = parse_file(FileId(0), &once);
    assert!(
        !reparsed.has_errors(),
        "{name}: the output has syntax errors: {:#?}\n{once}",
        reparsed.diagnostics
    );
    assert_eq!(
        serde_json::to_value(&reparsed.file).unwrap(),
        serde_json::to_value(&parsed.file).unwrap(),
        "{name}: the output means something else:\n{once}"
    );
    assert_eq!(
        comment_texts(&reparsed.file),
        comment_texts(&parsed.file),
        "{name}: a comment was lost or duplicated:\n{once}"
    );
    let twice = format_file(&reparsed.file, &once);
    assert_eq!(twice, once, "{name}: formatting is not idempotent");
    assert_eq!(
        format_source(FileId(0), text).as_deref(),
        Ok(once.as_str()),
        "{name}: format_source disagrees"
    );
    once
}

#[test]
fn golden_fixtures() {
    let files = aic_files(&fixture_dir());
    assert!(
        files.len() >= 12,
        "the corpus has only {} files",
        files.len()
    );
    for path in files {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let out = check_promises(&name, &text);
        // Snapshots are stored with LF; CRLF output is checked on its own below.
        insta::assert_snapshot!(name.as_str(), out.replace("\r\n", "\n"));
    }
}

#[test]
fn examples_keep_their_meaning_and_comments() {
    let root =
        Path::new(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("../examples");
    let (mut checked, mut unparsed) = (0, Vec::new());
    for path in aic_files(&root) {
        let text = std::fs::read_to_string(&path).unwrap();
        if parse_file(FileId(0), &text).has_errors() {
            // Not a formatter concern; `aic validate` reports it.
            unparsed.push(path.display().to_string());
            continue;
        }
        check_promises(&path.display().to_string(), &text);
        checked += 1;
    }
    // The examples are the realistic input; checking none of them checks nothing.
    assert!(
        checked >= 5,
        "only {checked} example files checked under {} (unparsable: {unparsed:?})",
        root.display()
    );
}

#[test]
fn crlf_input_gives_crlf_output() {
    let text = std::fs::read_to_string(fixture_dir().join("crlf.aic")).unwrap();
    let out = format_source(FileId(0), &text).unwrap();
    assert_eq!(out.matches('\n').count(), out.matches("\r\n").count());
    let lf = "let a = 1\nlet b = \"x\"\r\n";
    let out = format_source(FileId(0), lf).unwrap();
    assert_eq!(out, "let a = 1\nlet b = \"x\"\n");
}

#[test]
fn byte_order_mark_is_kept() {
    let out = format_source(FileId(0), "\u{FEFF}let  a=1\n").unwrap();
    assert_eq!(out, "\u{FEFF}let a = 1\n");
}

#[test]
fn empty_and_comment_only_files() {
    assert_eq!(format_source(FileId(0), "").unwrap(), "");
    assert_eq!(format_source(FileId(0), "\n\n  \n").unwrap(), "");
    assert_eq!(
        format_source(FileId(0), "\n# one\n\n\n// two\n").unwrap(),
        "# one\n\n// two\n"
    );
}

#[test]
fn syntax_errors_are_reported_not_formatted() {
    match format_source(FileId(0), "resource a b {\n  x = \n}\n") {
        Err(FormatError::Syntax(diags)) => assert!(!diags.is_empty()),
        other => panic!("expected syntax errors, got {other:?}"),
    }
}

#[test]
fn strings_are_kept_as_written() {
    let text = "let a = \"\\u{e9}\\t${x}\\u{24}${y}\"\n";
    assert_eq!(format_source(FileId(0), text).unwrap(), text);
}

#[test]
fn trees_without_source_are_printed_canonically() {
    // A tree with default spans and no source text: strings are escaped canonically and
    // parentheses the tree needs but does not hold are added.
    let parsed = parse_file(
        FileId(0),
        "let a = (x + y) * -(z ? 1 : 2)\nlet b = \"q\\\"${x}\\u{24}${y}\\u{1}\"\n",
    );
    let mut file = parsed.file.clone();
    strip_parens(&mut file);
    let out = format_file(&file, "");
    assert_eq!(
        out,
        "let a = (x + y) * -(z ? 1 : 2)\nlet b = \"q\\\"${x}\\u{24}${y}\\u{1}\"\n"
    );
}

/// Replaces every `Paren(e)` by `e` and every span by the default one (via a JSON round
/// trip of the items would lose spans anyway; here only parentheses matter).
fn strip_parens(file: &mut File) {
    use aic_lang::syntax::ast::{Expr, ExprKind, Item};
    fn walk(e: &mut Expr) {
        if let ExprKind::Paren(inner) = &mut e.kind {
            let inner = std::mem::replace(
                inner.as_mut(),
                Expr {
                    kind: ExprKind::Null,
                    span: Default::default(),
                },
            );
            *e = inner;
            walk(e);
            return;
        }
        e.span = Default::default();
        match &mut e.kind {
            ExprKind::Binary(_, l, r) => {
                walk(l);
                walk(r);
            }
            ExprKind::Unary(_, x) => walk(x),
            ExprKind::Conditional(c, a, b) => {
                walk(c);
                walk(a);
                walk(b);
            }
            _ => {}
        }
    }
    for item in &mut file.items {
        if let Item::Let(l) = item {
            walk(&mut l.value);
            l.span = Default::default();
        }
    }
    file.span = Default::default();
}
