//! The fast parser against the reference (the pest grammar and its lowering).
//!
//! The contract (docs/decisions/0001-pest-parser.md): on every input, the fast parser
//! either gives up or builds exactly the tree pest builds — same nodes, same spans, same
//! file ids, same comments — and it gives up on every input pest reports an error for.
//! The entry points then show pest's diagnostics unchanged.
//!
//! Checked on every `.aic` file of the repository (examples, the standard library, test
//! fixtures, valid and malformed), the benchmark's generated inputs, the valid samples
//! below, random trees printed by the formatter (with random whitespace and comments),
//! and random edits of all of these, which are mostly invalid.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use aic_lang::source::FileId;
use aic_lang::syntax::ast::*;
use aic_lang::syntax::engines::{
    fast_expr, fast_file, fast_type_expr, pest_expr, pest_file, pest_type_expr,
};
use aic_lang::syntax::format::format_file;
use aic_lang::syntax::{parse_expr, parse_file};
use proptest::prelude::*;
use proptest::sample::{select, Index};

#[path = "common/ast_gen.rs"]
mod ast_gen;
#[path = "common/files.rs"]
mod files;
use files::aic_files;
#[path = "../benches/common/inputs.rs"]
mod inputs;

/// Checks the contract on one file; returns whether the fast parser read it.
fn check_file(name: &str, text: &str) -> Result<bool, String> {
    let id = FileId(7);
    let reference = pest_file(id, text);
    let fast = fast_file(id, text);
    match fast {
        None => Ok(false),
        Some(_) if reference.has_errors() || !reference.diagnostics.is_empty() => Err(format!(
            "{name}: the fast parser accepts what pest refuses: {:?}\n{text}",
            reference.diagnostics.first().map(|d| d.code)
        )),
        Some(tree) if tree != reference.file => Err(format!(
            "{name}: the trees differ\nfast: {tree:#?}\npest: {:#?}\n{text}",
            reference.file
        )),
        Some(_) => Ok(true),
    }
}

fn repo_root() -> PathBuf {
    Path::new(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .parent()
        .expect("lang/ has a parent")
        .to_path_buf()
}

/// The repository's `.aic` files with their text.
fn corpus() -> Vec<(String, String)> {
    let root = repo_root();
    let mut out = Vec::new();
    for dir in ["examples", "stdlib", "lang/tests", "engine/tests", "tests"] {
        for p in aic_files(&root.join(dir)) {
            let text = fs::read_to_string(&p).expect("readable fixture");
            let name = p.strip_prefix(&root).unwrap_or(&p).display().to_string();
            out.push((name, text));
        }
    }
    out
}

#[test]
fn repository_files_parse_the_same() {
    let files = corpus();
    assert!(files.len() >= 100, "only {} files found", files.len());
    let mut valid = 0;
    let mut failures = Vec::new();
    for (name, text) in &files {
        match check_file(name, text) {
            Ok(read) => {
                let ok = !pest_file(FileId(7), text).has_errors();
                // Every valid file of the repository must take the fast path.
                if ok && !read {
                    failures.push(format!("{name}: valid, but the fast parser gave up"));
                }
                valid += usize::from(ok);
            }
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(valid >= 50, "only {valid} valid files");
}

#[test]
fn benchmark_inputs_parse_the_same() {
    let inputs = [
        ("resources/100", inputs::config(100)),
        ("nested_parens/64", inputs::deeply_nested(64).repeat(10)),
        ("long_line", inputs::long_line(1 << 16)),
    ];
    for (name, text) in &inputs {
        assert_eq!(check_file(name, text), Ok(true), "{name}");
    }
    // Refused before either parser runs; the entry point reports E0116.
    let deep = inputs::deeply_nested(10_000);
    assert_eq!(check_file("nested_parens/10000", &deep), Ok(false));
    let codes: Vec<_> = parse_file(FileId(0), &deep)
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect();
    assert_eq!(codes, ["E0116"]);
}

/// Inputs that exercise the corners of the grammar, every one valid.
const CORNERS: &[&str] = &[
    // Accesses, indexes and splats after trivia, even after a line break.
    "let a = x .y\n  . z [ 0 ]\n [ * ] .w\n",
    "let a = x /* c */ . y # d\n",
    // A list whose second element would be an index of the first without the newline.
    "let a = [\n  x\n  [1, 2]\n]\n",
    // Keywords as names where the grammar allows them.
    "let a = { for = 1, if = 2, in = 3, true = 4 }\nlet b = x.for.in.if.true\n",
    "let a = [for in in xs : in]\nlet b = [for(x)]\nlet c = [for x, y in z : if if if]\n",
    "let a = {for k, v in m : k => v... if v}\nlet b = { for k, v in m : k => v }\n",
    // Calls: trailing commas, expansion, nesting.
    "let a = f()\nlet b = f(1,)\nlet c = f(x, ys...)\nlet d = f(ys..., )\nlet e = f(g(h(1)), [2])\n",
    // Operators: precedence, associativity, chains, prefix runs.
    "let a = 1 + 2 * 3 - 4 / 5 % 6 < 7 == !false && -x || y ?? z\n",
    "let a = a ?? b ?? c\nlet b = 1 - 2 - 3\nlet c = !!-- -x\nlet d = a<b\nlet e = a < <<EOT\nx\nEOT\n",
    "let a = c ? d ? e : f : g ? h : i\nlet b = (c ? d : e).f[0]\n",
    "let a = x/y\nlet b = x / /* c */ y\nlet c = x // not a division\n",
    // Numbers.
    "let a = [0, 1_000, 1.5, 2e10, 3E-2, 4.25e+1, 007, 1_2.3_4]\nlet b = 1 .x\n",
    // Strings, escapes and interpolations.
    "let a = \"\\n\\r\\t\\\"\\\\ \\u{1F600} \\u{e9} $${x} $$ $ ${a}${b} ${ \"${c}\" }\"\n",
    "let a = \"${ x # comment\n}\"\nlet b = \"é😀\r\"\n",
    // Heredocs: stripping, interpolations across lines, CRLF, nested, end markers.
    "let a = <<-EOT\n    ${x}\n      y\n  EOT\n",
    "let a = <<-EOT\n\t\tone\n\n\t\ttwo\n\tEOT\nlet b = <<EOT  \r\nline\r\nEOT\n",
    "let a = <<EOT\n${x +\n  y} and $${z}\nEOTX\n  EOT\nlet b = f(<<A\n${<<B\ninner\nB\n}\nA\n)\n",
    "let a = <<-EOT\nEOT\nlet b = <<EOT\n\nEOT\n",
    // Types.
    "type T = object({ a: string, \"b c\": list(number)\n d: optional(map(bool), { x = 1 }) })\n",
    "type U = \"a\" | \"b\"|\"c\"\ntype V = tuple([string number, set(any),])\ntype W = object ( { } )\n",
    "variable x: list\nvariable y: object\nvariable z: map = {}\nvariable w\n",
    // Items, blocks, labels and separators.
    "resource a \"b c\" {\n  x = 1, y = 2\n  nested\tlabel \"l\" { }\n  other{}\n}\n",
    "provider aws { region = \"x\" }\nprovider aws eu{}\nimport {}\nmoved {\n}\n",
    "output o = 1 {\n  sensitive = true\n}\nvariable v: string = \"x\" {\n  a = 1 /* , */ b = 2\n}\n",
    "\u{FEFF}# bom\nlet a = 1 # one\n// two\n/* three\n*/ let b = { a = 1 /* x */, b = [1 /* y */ , 2] }\n",
    "let a = {\n  (k) = 1\n  \"s\": 2\n  t = 3,\n}\nlet b = []\nlet c = {}\n",
    "",
    "\n  # only a comment  \n",
];

#[test]
fn corner_cases_parse_the_same() {
    for (i, text) in CORNERS.iter().enumerate() {
        let parsed = parse_file(FileId(0), text);
        assert!(
            parsed.diagnostics.is_empty(),
            "corner {i} is not valid: {:?}\n{text}",
            parsed.diagnostics
        );
        let read = check_file(&format!("corner {i}"), text).unwrap_or_else(|e| panic!("{e}"));
        // The one input the fast parser leaves to pest: `x` then `[1, 2]` on the next
        // line, which pest reads as a failed index of `x` and then a second element.
        assert!(
            read || i == 2,
            "corner {i}: the fast parser gave up\n{text}"
        );
    }
}

/// Inputs pest refuses (or that the lowering reports): the fast parser must give up.
const INVALID: &[&str] = &[
    "let a = x < <y\n",
    "let a = x <<EOT\ny\nEOT\n",
    "let a = f (1)\n",
    "let a = 1e999\n",
    "let a = \"\\u{D800}\"\n",
    "let a = \"\\q\"\n",
    "let a = 1 let b = 2\n",
    "resource a { x = 1 y = 2 }\n",
    "resource a b\n{}\n",
    "resource a /* c */ b {}\n",
    "thing a {}\n",
    "resource a b c {}\n",
    "type T = string | number\n",
    "resource \"${x}\" b {}\n",
    "let a = [1 2]\n",
    "let a = { a = 1 b = 2 }\n",
    "let a = f(a, ...)\n",
    "let a = [for x in y]\n",
    "let a = <<EOT\nx\n",
    "let a = x ? ?y : z\n",
    "let a = ! = b\n",
    "let a = 1x\n",
    "let a = 1e\n",
    "let a = /* open\n",
    "let a = x[*y]\n",
    "let a = (1\n",
    "x = 1\n",
];

#[test]
fn invalid_inputs_are_left_to_pest() {
    for text in INVALID {
        assert!(
            pest_file(FileId(0), text).has_errors(),
            "pest accepts {text:?}"
        );
        assert_eq!(fast_file(FileId(0), text), None, "{text:?}");
    }
}

#[test]
fn long_chains_are_left_to_pest() {
    let sum = format!("let n = 1{}\n", " + 1".repeat(300));
    assert_eq!(fast_file(FileId(0), &sum), None);
    assert_eq!(parse_file(FileId(0), &sum).diagnostics[0].code, "E0116");
    let ok = format!("let n = 1{}\n", " + 1".repeat(200));
    assert_eq!(check_file("chain", &ok), Ok(true));
}

#[test]
fn single_expressions_and_types_parse_the_same() {
    for text in [
        "1 + 2 * x.y[0]",
        "  a ? b : c  ",
        "{ a = [1, 2], \"b\" = <<EOT\nx\nEOT\n }",
        "f(xs...)",
    ] {
        let fast = fast_expr(FileId(3), text).expect("the fast parser reads it");
        assert_eq!(Ok(fast), pest_expr(FileId(3), text), "{text:?}");
    }
    // A comment would end up inside pest's spans here: left to pest.
    assert_eq!(fast_expr(FileId(3), "a /* c */ + b"), None);
    assert!(parse_expr(FileId(3), "a /* c */ + b").is_ok());
    for text in ["1 +", "a b", ""] {
        assert_eq!(fast_expr(FileId(3), text), None, "{text:?}");
        assert!(parse_expr(FileId(3), text).is_err());
    }
    for text in ["string", "object({ a: list(number) })", "\"a\" | \"b\""] {
        let fast = fast_type_expr(FileId(3), text).expect("the fast parser reads it");
        assert_eq!(Ok(fast), pest_type_expr(FileId(3), text), "{text:?}");
    }
    assert_eq!(fast_type_expr(FileId(3), "string | number"), None);
}

// ---------------------------------------------------------------- the two bugs fixed

#[test]
fn heredoc_after_less_than() {
    let text = "let a = x < <<EOT\ny\nEOT\n";
    let parsed = parse_file(FileId(0), text);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let Item::Let(l) = &parsed.file.items[0] else {
        panic!("a let")
    };
    let ExprKind::Binary(BinaryOp::Lt, _, rhs) = &l.value.kind else {
        panic!("x < heredoc: {:?}", l.value.kind)
    };
    assert!(matches!(&rhs.kind, ExprKind::Template(t) if t.heredoc.is_some()));
    assert_eq!(Some(parsed.file.clone()), fast_file(FileId(0), text));
    assert_eq!(pest_file(FileId(0), text).file, parsed.file);
}

#[test]
fn stripped_heredoc_has_no_empty_literal() {
    let text = "let a = <<-EOT\n    ${x} y\n      z\n  EOT\n";
    for file in [
        pest_file(FileId(0), text).file,
        fast_file(FileId(0), text).expect("valid"),
    ] {
        let Item::Let(l) = &file.items[0] else {
            panic!("a let")
        };
        let ExprKind::Template(t) = &l.value.kind else {
            panic!("a template")
        };
        assert!(
            matches!(t.parts.first(), Some(TemplatePart::Interpolation(_))),
            "{:?}",
            t.parts
        );
        assert_eq!(
            t.parts.get(1),
            Some(&TemplatePart::Literal(" y\n  z\n".into()))
        );
    }
}

// ---------------------------------------------------------------- properties

/// Applies one edit to `text` at a character boundary: a deletion, a duplication, or an
/// insertion of a token that often matters to the grammar.
fn edit(text: &str, at: Index, len: usize, kind: usize, token: &str) -> String {
    let bounds: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    let start = *at.get(&bounds);
    let end = bounds
        .iter()
        .copied()
        .find(|&b| b >= start + len)
        .unwrap_or(text.len());
    let (before, cut, after) = (&text[..start], &text[start..end], &text[end..]);
    match kind % 3 {
        0 => format!("{before}{after}"),
        1 => format!("{before}{cut}{cut}{after}"),
        _ => format!("{before}{token}{after}"),
    }
}

const TOKENS: &[&str] = &[
    "\n",
    " ",
    ",",
    ".",
    "...",
    "[",
    "]",
    "{",
    "}",
    "(",
    ")",
    "\"",
    "${",
    "}\"",
    "$${",
    "<<",
    "<<-EOT\n",
    "\nEOT\n",
    "<",
    "?",
    ":",
    "=",
    "==",
    "=>",
    "!",
    "-",
    "/",
    "*",
    "#",
    "//",
    "/*",
    "*/",
    "\\",
    "\\u{",
    "x",
    "for ",
    " in ",
    " if ",
    "1",
    "1e",
    "_",
    "é",
    "\r",
    "\t",
    "\u{FEFF}",
    "|",
    "&&",
    "??",
    "resource a b ",
    "let ",
    "variable ",
];

fn corpus_texts() -> &'static [String] {
    static TEXTS: OnceLock<Vec<String>> = OnceLock::new();
    TEXTS.get_or_init(|| {
        let mut texts: Vec<String> = corpus().into_iter().map(|(_, t)| t).collect();
        texts.extend(CORNERS.iter().map(|s| s.to_string()));
        texts.push(inputs::config(3));
        texts
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn printed_trees_parse_the_same(tree in ast_gen::file(), edits in ast_gen::insertions()) {
        let text = format_file(&tree, "");
        let read = check_file("printed", &text);
        prop_assert_eq!(read, Ok(true), "{}", text);
        let mut edited = text.clone();
        for (at, s) in edits {
            let bounds: Vec<usize> =
                edited.char_indices().map(|(i, _)| i).chain([edited.len()]).collect();
            edited.insert_str(*at.get(&bounds), s);
        }
        if let Err(e) = check_file("printed and edited", &edited) {
            return Err(TestCaseError::fail(e));
        }
    }

    #[test]
    fn printed_expressions_parse_the_same(e in ast_gen::expr()) {
        let tree = File {
            items: vec![Item::Let(Let {
                name: ast_gen::ident("x"),
                value: e,
                span: Default::default(),
            })],
            comments: Vec::new(),
            span: Default::default(),
        };
        let text = format_file(&tree, "");
        let expr_text = text.trim_start_matches("let x =").trim();
        let fast = fast_expr(FileId(2), expr_text);
        prop_assert!(fast.is_some(), "{}", expr_text);
        prop_assert_eq!(fast.map(Ok), Some(pest_expr(FileId(2), expr_text)));
    }

    #[test]
    fn edited_files_parse_the_same(
        which in any::<Index>(),
        edits in proptest::collection::vec(
            (any::<Index>(), 0usize..6, 0usize..3, select(TOKENS)),
            1..4,
        ),
    ) {
        let texts = corpus_texts();
        let mut text = which.get(texts).clone();
        for (at, len, kind, token) in edits {
            text = edit(&text, at, len, kind, token);
        }
        if let Err(e) = check_file("edited", &text) {
            return Err(TestCaseError::fail(e));
        }
    }
}

/// Nesting the pre-scan does not see (conditionals in else branches, heredocs inside
/// interpolations): the fast parser reads it up to its own limit and leaves deeper input
/// to pest; nothing overflows the stack.
#[test]
fn nesting_the_pre_scan_does_not_count() {
    for depth in [50, 150, 199, 400] {
        let ternaries = format!("let x = {}0\n", "a ? b : ".repeat(depth));
        let mut heredoc = String::from("x");
        for _ in 0..depth {
            heredoc = format!("<<EOT\n${{{heredoc}}}\nEOT\n");
        }
        let heredocs = format!("let x = {heredoc}");
        for text in [ternaries, heredocs] {
            let fast = fast_file(FileId(0), &text);
            assert_eq!(fast.is_some(), depth < 200, "depth {depth}");
            let parsed = parse_file(FileId(0), &text);
            if let Some(tree) = fast {
                assert_eq!(tree, parsed.file);
            }
        }
    }
}
