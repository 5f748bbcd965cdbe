//! Golden tests for syntax diagnostics.
//!
//! Every `tests/fixtures/syntax-errors/NAME.aic` holds a malformed input whose offending
//! lines carry an inline expectation, `# error: E0102` (several codes may follow, and
//! `# error@-2: E0108` points two lines up, for places where a comment cannot be written,
//! such as a heredoc's opening line). The harness checks that the (code, line) pairs of
//! the diagnostics equal the expectations, and snapshots the full rendered output in
//! `tests/fixtures/syntax-errors/snapshots/NAME.snap`. Update snapshots with
//! `cargo insta test -p aic-lang --test diagnostics` (or `INSTA_UPDATE=always`).
//!
//! The same file checks the span invariant of the tree — every child span lies inside its
//! parent's — after every parse, and that pathological inputs (deep nesting, a 1 MB line)
//! neither panic nor overflow the stack.

use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use aic_lang::diag::{render_all, Diagnostic};
use aic_lang::source::{SourceMap, Span};
use aic_lang::syntax::ast::*;
use aic_lang::syntax::{parse_expr, parse_file, parse_sources, Parsed};

#[path = "common/files.rs"]
mod files;
use files::aic_files;

fn fixture_dir() -> PathBuf {
    Path::new(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/syntax-errors")
}

fn fixtures() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = fs::read_dir(fixture_dir())
        .expect("fixture directory exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "aic"))
        .collect();
    paths.sort();
    paths
}

/// `(code, line)` pairs written as `# error: CODE…` or `# error@±N: CODE…` comments.
fn expectations(text: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("# error") {
            let after = &rest[at + "# error".len()..];
            let (offset, after) = match after.strip_prefix('@') {
                Some(r) => {
                    let end = r.find(':').expect("`# error@N:` has a colon");
                    let n: isize = r[..end].parse().expect("`# error@N:` offset is a number");
                    (n, &r[end..])
                }
                None => (0, after),
            };
            let after = after
                .strip_prefix(':')
                .expect("`# error` is followed by `:`");
            let target = (i as isize + 1 + offset) as usize;
            for word in after.split([' ', ',']) {
                if word.len() == 5 && word.starts_with('E') {
                    out.push((word.to_string(), target));
                }
            }
            rest = after;
        }
    }
    out.sort();
    out
}

fn actual(diags: &[Diagnostic], sources: &SourceMap) -> Vec<(String, usize)> {
    let mut out: Vec<_> = diags
        .iter()
        .map(|d| {
            let span = d
                .primary_span()
                .expect("every syntax diagnostic has a label");
            let file = sources.get(span.file).expect("label in a known file");
            (d.code.to_string(), file.line_col(span.start as usize).0)
        })
        .collect();
    out.sort();
    out
}

/// Parses `text` as a file named `name` (only the name appears in rendered paths).
fn parse_named(name: &str, text: &str) -> (SourceMap, Parsed) {
    let mut sources = SourceMap::new();
    let id = sources.add(name, text.to_string());
    let parsed = parse_file(id, text);
    (sources, parsed)
}

#[test]
fn syntax_error_fixtures() {
    let paths = fixtures();
    assert!(paths.len() >= 35, "only {} fixtures", paths.len());
    let mut failures = Vec::new();
    for path in &paths {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("UTF-8 name");
        let stem = name.trim_end_matches(".aic");
        let text = fs::read_to_string(path).expect("fixture is readable");
        let (sources, parsed) = parse_named(name, &text);

        let want = expectations(&text);
        assert!(!want.is_empty(), "{name}: no `# error:` expectation");
        let got = actual(&parsed.diagnostics, &sources);
        if got != want {
            failures.push(format!("{name}: expected {want:?}, got {got:?}"));
        }
        if let Err(e) = check_spans(&parsed.file) {
            failures.push(format!("{name}: span invariant: {e}"));
        }

        let rendered = render_all(&parsed.diagnostics, &sources, false, 100);
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(fixture_dir().join("snapshots"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_input_file(path);
        settings.set_omit_expression(true);
        let snap = catch_unwind(AssertUnwindSafe(|| {
            settings.bind(|| insta::assert_snapshot!(stem, rendered));
        }));
        if snap.is_err() {
            failures.push(format!("{name}: rendered output differs from its snapshot"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_syntax_code_has_a_fixture() {
    let mut covered = std::collections::BTreeSet::new();
    for path in fixtures() {
        let text = fs::read_to_string(&path).expect("fixture is readable");
        covered.extend(expectations(&text).into_iter().map(|(c, _)| c));
    }
    for n in 101..=116 {
        let code = format!("E0{n}");
        assert!(covered.contains(&code), "no fixture expects {code}");
    }
}

#[test]
fn errors_in_two_files_are_both_reported() {
    let mut sources = SourceMap::new();
    let a_text = "let a = 1 +\n";
    let b_text = "resource aws_instance web {\n  ami \"x\"\n}\n";
    sources.add("a.aic", a_text);
    sources.add("b.aic", b_text);
    let parsed = parse_sources(&sources);
    let diags: Vec<Diagnostic> = parsed
        .into_iter()
        .flat_map(|(_, p)| p.diagnostics)
        .collect();
    let files: Vec<_> = diags
        .iter()
        .filter_map(|d| d.primary_span())
        .map(|s| s.file.0)
        .collect();
    assert_eq!(files, vec![0, 1], "{diags:#?}");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(fixture_dir().join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        insta::assert_snapshot!("two_files", render_all(&diags, &sources, false, 100));
    });
}

#[test]
fn labels_sit_under_the_right_character_after_non_ascii_text() {
    let text = "let s = \"ünïcödé ☕ 日本語\" + * 3\n";
    let (sources, parsed) = parse_named("x.aic", text);
    let span = parsed.diagnostics[0].primary_span().expect("a label");
    assert_eq!(sources.snippet(span), "*");
    assert_eq!(text.find('*'), Some(span.start as usize));
}

// ---------------------------------------------------------------- pathological inputs

fn nested(open: &str, close: &str, depth: usize) -> String {
    format!("let x = {}1{}\n", open.repeat(depth), close.repeat(depth))
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for (open, close) in [("(", ")"), ("[", "]"), ("{a = ", "}"), ("\"${", "}\"")] {
        let text = nested(open, close, 10_000);
        let (_, parsed) = parse_named("deep.aic", &text);
        let codes: Vec<_> = parsed.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, vec!["E0116"], "{open}…{close}");
    }
    let deep = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
    let err = parse_expr(Default::default(), &deep).expect_err("too deep");
    assert_eq!(err[0].code, "E0116");
}

#[test]
fn deep_nesting_error_renders() {
    let text = format!(
        "let ok = 1\nlet x = {}1{}\n",
        "[".repeat(500),
        "]".repeat(500)
    );
    let (sources, parsed) = parse_named("deep.aic", &text);
    let out = render_all(&parsed.diagnostics, &sources, false, 100);
    assert!(out.contains("E0116"), "{out}");
}

#[test]
fn nesting_up_to_the_limit_parses() {
    for (open, close) in [("(", ")"), ("[", "]"), ("{a = ", "}"), ("\"${", "}\"")] {
        let text = nested(open, close, 64);
        let (_, parsed) = parse_named("nested.aic", &text);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        check_spans(&parsed.file).expect("spans nest");
    }
}

/// About 1 MB on one line: a long list, valid and then broken at its end.
#[test]
fn one_megabyte_line() {
    let list = long_list_line(1 << 20);
    let (_, parsed) = parse_named("long.aic", &list);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    check_spans(&parsed.file).expect("spans nest");

    let mut broken = list.trim_end().to_string();
    broken.push_str(" +\n");
    let (sources, parsed) = parse_named("long.aic", &broken);
    let codes: Vec<_> = parsed.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec!["E0101"]);
    let _ = render_all(&parsed.diagnostics, &sources, false, 100);

    // A left-deep tree as deep as the chain is long: refused past MAX_CHAIN.
    let sum = format!("let n = 1{}\n", " + 1".repeat(1 << 14));
    let (_, parsed) = parse_named("sum.aic", &sum);
    let codes: Vec<_> = parsed.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec!["E0116"]);
}

fn long_list_line(bytes: usize) -> String {
    let mut s = String::from("let names = [");
    let mut i = 0;
    while s.len() < bytes {
        s.push_str(&format!("\"name-{i}\", "));
        i += 1;
    }
    s.push_str("]\n");
    s
}

// ---------------------------------------------------------------- span invariant

const VALID: &[&str] = &[
    r#"
variable region: string = "us-east-1"
variable replicas: number = 2 {
  description = "web servers per region"
  validate {
    condition = self >= 1 && self <= 20
    message   = "replicas must be between 1 and 20, got ${self}"
  }
}
variable db_password: string { sensitive = true }   # no default: required
variable tier: Tier

let prefix = "aic-${env.name}"
let zones  = [for i in range(3) : "${var.region}${["a", "b", "c"][i]}"]

type Region = "us-east-1" | "eu-west-1" | "af-south-1" | "asia-southeast1"
type Tier   = object({ name: string, size: number, public: optional(bool, false) })
type Pair   = tuple([string, list(map(number))])

provider aws { region = var.region }
provider aws eu { region = "eu-west-1" }
"#,
    r#"
resource aws_instance web {
  count         = var.replicas
  ami           = data.aws_ami.ubuntu.id
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.app["a"].id
  tags          = { Name = "web-${count.index}", env = env.name }

  depends_on = [aws_security_group.web]
  provider   = aws.eu
  lifecycle {
    create_before_destroy = true
    prevent_destroy       = env.protected      # an expression, not only a literal
    ignore_changes        = [tags]
    replace_triggered_by  = [aws_launch_template.web.id]
  }
}
data aws_ami ubuntu { owners = ["099720109477"], name_prefix = "ubuntu/" }
module region {
  source   = "./modules/regional"
  for_each = toset(env.regions)
  region   = each.key
  replicas = var.replicas
}
output endpoints = { for k, m in module.region : k => m.endpoint }
output admin_password = random_string.admin.result {
  description = "initial admin password"
  sensitive   = true
}
"#,
    r#"
environment production {
  regions   = ["us-east-1", "eu-west-1"]
  protected = true
  vars { replicas = 3 }
}
rollout release {
  phase initial {
    environment = production
    targets     = [module.region["us-east-1"]]
    strategy canary {
      steps = [10, 50, 100]
      pause = "5m"
    }
    check api {
      http    = "${module.region["us-east-1"].endpoint}/healthz"
      expect  = 200
    }
  }
}
policy owner_tag {
  resources = ["aws_instance", "azure_virtual_machine"]
  assert    = contains(keys(self.tags), "owner") ? !false : -1 * (2 + 3) % 4
  message   = "${self.address} needs an owner tag"
}
backend s3 { bucket = "aic-state", region = "us-east-1", endpoint = var.s3_endpoint }
import  { to = aws_instance.legacy, id = "i-0abc1234" }
moved   { from = aws_instance.web, to = aws_instance.app }
removed { from = aws_instance.old }
let script = <<-EOT
    echo "${var.region}" $${literal}
      indented
    EOT
let grouped = { for k, v in var.m : v => k... if k != "" }
let spread  = concat(var.lists...)
let keys    = { "quoted key" = 1, (var.k) = 2, plain: 3 }
let all_ids = aws_instance.web[*].id
let maybe   = var.x ?? "fallback"
/* block
   comment */
let num = 1_000_000 + 1e6 - 3.25
"#,
];

#[test]
fn spans_nest_in_valid_input() {
    for (i, text) in VALID.iter().enumerate() {
        let (_, parsed) = parse_named("valid.aic", text);
        assert!(
            parsed.diagnostics.is_empty(),
            "sample {i}: {:?}",
            parsed.diagnostics
        );
        check_spans(&parsed.file).unwrap_or_else(|e| panic!("sample {i}: {e}"));
    }
    // Every other fixture in the tree that parses cleanly.
    let root =
        Path::new(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("tests/fixtures");
    for path in aic_files(&root) {
        let text = fs::read_to_string(&path).expect("readable");
        let (_, parsed) = parse_named("f.aic", &text);
        if parsed.diagnostics.is_empty() {
            check_spans(&parsed.file).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
}

/// Walks the tree and checks that every node's span lies inside its parent's, and that
/// siblings come in source order without overlapping.
fn check_spans(file: &File) -> Result<(), String> {
    let mut v = SpanCheck::default();
    v.file(file);
    match v.errors.is_empty() {
        true => Ok(()),
        false => Err(v.errors.join("; ")),
    }
}

#[derive(Default)]
struct SpanCheck {
    parents: Vec<(Span, &'static str)>,
    errors: Vec<String>,
}

impl SpanCheck {
    fn enter(&mut self, span: Span, what: &'static str) {
        if span.start > span.end {
            self.errors.push(format!("{what} {span:?} is reversed"));
        }
        if let Some((parent, pwhat)) = self.parents.last() {
            if !parent.contains(span) {
                self.errors.push(format!(
                    "{what} {span:?} is outside its parent {pwhat} {parent:?}"
                ));
            }
        }
        self.parents.push((span, what));
    }

    fn leave(&mut self) {
        self.parents.pop();
    }

    fn leaf(&mut self, span: Span, what: &'static str) {
        self.enter(span, what);
        self.leave();
    }

    fn in_order(&mut self, spans: impl IntoIterator<Item = Span>, what: &'static str) {
        let mut prev: Option<Span> = None;
        for s in spans {
            if let Some(p) = prev {
                if p.end > s.start {
                    self.errors.push(format!(
                        "{what}: {p:?} and {s:?} overlap or are out of order"
                    ));
                }
            }
            prev = Some(s);
        }
    }

    fn file(&mut self, f: &File) {
        self.enter(f.span, "file");
        self.in_order(f.items.iter().map(Item::span), "items");
        self.in_order(f.comments.iter().map(|c| c.span), "comments");
        for c in &f.comments {
            self.leaf(c.span, "comment");
        }
        for item in &f.items {
            self.item(item);
        }
        self.leave();
    }

    fn item(&mut self, item: &Item) {
        self.enter(item.span(), "item");
        match item {
            Item::Variable(v) => {
                self.leaf(v.name.span, "name");
                if let Some(t) = &v.ty {
                    self.ty(t);
                }
                if let Some(e) = &v.default {
                    self.expr(e);
                }
                if let Some(b) = &v.body {
                    self.body(b);
                }
            }
            Item::Let(l) => {
                self.leaf(l.name.span, "name");
                self.expr(&l.value);
            }
            Item::Output(o) => {
                self.leaf(o.name.span, "name");
                self.expr(&o.value);
                if let Some(b) = &o.body {
                    self.body(b);
                }
            }
            Item::Type(t) => {
                self.leaf(t.name.span, "name");
                self.ty(&t.ty);
            }
            Item::Block(b) => self.block(b),
        }
        self.leave();
    }

    fn block(&mut self, b: &Block) {
        self.enter(b.span, "block");
        self.leaf(b.kind.span, "block kind");
        self.in_order(
            std::iter::once(b.kind.span)
                .chain(b.labels.iter().map(|l| l.span))
                .chain([b.body.span]),
            "block head",
        );
        for l in &b.labels {
            self.leaf(l.span, "label");
        }
        self.body(&b.body);
        self.leave();
    }

    fn body(&mut self, b: &Body) {
        self.enter(b.span, "body");
        self.in_order(b.elements.iter().map(BodyElement::span), "body elements");
        for e in &b.elements {
            match e {
                BodyElement::Attribute(a) => {
                    self.enter(a.span, "attribute");
                    self.leaf(a.name.span, "attribute name");
                    self.expr(&a.value);
                    self.leave();
                }
                BodyElement::Block(b) => self.block(b),
            }
        }
        self.leave();
    }

    fn ty(&mut self, t: &TypeExpr) {
        self.enter(t.span, "type");
        match &t.kind {
            TypeExprKind::Name(id) => self.leaf(id.span, "type name"),
            TypeExprKind::List(t) | TypeExprKind::Set(t) | TypeExprKind::Map(t) => self.ty(t),
            TypeExprKind::Object(fields) => {
                self.in_order(fields.iter().map(|f| f.span), "object type fields");
                for f in fields {
                    self.enter(f.span, "type field");
                    self.leaf(f.name_span, "type field name");
                    self.ty(&f.ty);
                    self.leave();
                }
            }
            TypeExprKind::Tuple(ts) => {
                self.in_order(ts.iter().map(|t| t.span), "tuple types");
                for t in ts {
                    self.ty(t);
                }
            }
            TypeExprKind::Optional(t, d) => {
                self.ty(t);
                if let Some(d) = d {
                    self.expr(d);
                }
            }
            TypeExprKind::Union(lits) => {
                self.in_order(lits.iter().map(|l| l.span), "union literals");
                for l in lits {
                    self.leaf(l.span, "union literal");
                }
            }
        }
        self.leave();
    }

    fn expr(&mut self, e: &Expr) {
        self.enter(e.span, "expression");
        match &e.kind {
            ExprKind::Null | ExprKind::Bool(_) | ExprKind::Number(..) => {}
            ExprKind::Template(t) => {
                for p in &t.parts {
                    if let TemplatePart::Interpolation(e) = p {
                        self.expr(e);
                    }
                }
            }
            ExprKind::List(xs) => {
                self.in_order(xs.iter().map(|x| x.span), "list elements");
                for x in xs {
                    self.expr(x);
                }
            }
            ExprKind::Object(items) => {
                self.in_order(items.iter().map(|i| i.span), "object items");
                for i in items {
                    self.enter(i.span, "object item");
                    match &i.key {
                        ObjectKey::Ident(id) => self.leaf(id.span, "object key"),
                        ObjectKey::String(s) => self.leaf(s.span, "object key"),
                        ObjectKey::Expr(k) => self.expr(k),
                    }
                    self.expr(&i.value);
                    self.leave();
                }
            }
            ExprKind::Name(id) => self.leaf(id.span, "name"),
            ExprKind::GetAttr(x, id) => {
                self.expr(x);
                self.leaf(id.span, "attribute name");
            }
            ExprKind::Index(x, i) => {
                self.expr(x);
                self.expr(i);
            }
            ExprKind::Splat(x) | ExprKind::Unary(_, x) | ExprKind::Paren(x) => self.expr(x),
            ExprKind::Call(c) => {
                self.leaf(c.name.span, "function name");
                self.in_order(c.args.iter().map(|a| a.span), "arguments");
                for a in &c.args {
                    self.expr(a);
                }
            }
            ExprKind::Binary(_, l, r) => {
                self.in_order([l.span, r.span], "operands");
                self.expr(l);
                self.expr(r);
            }
            ExprKind::Conditional(c, a, b) => {
                self.in_order([c.span, a.span, b.span], "conditional");
                self.expr(c);
                self.expr(a);
                self.expr(b);
            }
            ExprKind::ForList(f) | ExprKind::ForObject(f) => {
                if let Some(k) = &f.key {
                    self.leaf(k.span, "for key");
                }
                self.leaf(f.value.span, "for value");
                self.expr(&f.collection);
                self.expr(&f.first);
                if let Some(s) = &f.second {
                    self.expr(s);
                }
                if let Some(c) = &f.condition {
                    self.expr(c);
                }
            }
        }
        self.leave();
    }
}
