//! The differential test of the standard library against Terraform 1.0.3: every case in
//! `tests/terraform/cases.txt` is evaluated by `terraform console` (the peer that
//! `../shared/tools/terraform-peer.sh` installs) and by `aic-lang`'s evaluator with this
//! crate's functions, and the results are compared as values (see
//! `tests/terraform/README.md`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use aic_lang::eval::{Evaluator, FunctionFailure, Functions, Scope, ScopeMiss};
use aic_lang::source::FileId;
use aic_lang::syntax::parse_expr;
use aic_lang::value::Value;
use aic_stdlib::{CallContext, EvalStage};
use base64::Engine as _;
use serde_json::Value as Json;

const CASES: &str = include_str!("terraform/cases.txt");

/// One case: the expression in `.aic` and in HCL (the same text unless the case gives
/// both spellings, `AIC @@ HCL`).
struct Case {
    line: usize,
    aic: String,
    hcl: String,
}

fn cases() -> Vec<Case> {
    CASES
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| {
            let (aic, hcl) = l.split_once(" @@ ").unwrap_or((l, l));
            Case {
                line: i + 1,
                aic: aic.trim().to_owned(),
                hcl: hcl.trim().to_owned(),
            }
        })
        .collect()
}

/// What an expression gave: a value as JSON, or an error.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Value(Json),
    Error(String),
}

fn fixtures() -> PathBuf {
    Path::new(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("tests/terraform/files")
}

// ----- the peer ----------------------------------------------------------------------

/// The `tf` wrapper, from the peer script (idempotent: it installs Terraform on first use).
fn peer() -> PathBuf {
    let script =
        Path::new(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("../../shared/tools/terraform-peer.sh");
    assert!(
        script.is_file(),
        "the Terraform peer script {} is missing: this test compares aic's functions with \
         Terraform 1.0.3, which that script installs (scripts/test.sh runs it)",
        script.display()
    );
    let out = Command::new("bash")
        .arg(&script)
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "{} failed; run it by hand to see why",
        script.display()
    );
    let path = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let tf = PathBuf::from(path.lines().last().unwrap_or_default());
    assert!(tf.is_file(), "{} printed no `tf` wrapper", script.display());
    tf
}

/// Evaluates the expressions in one `terraform console` run; `None` when the console
/// fails as a whole (an error `try` does not catch, such as an unknown function).
fn console_batch(tf: &Path, exprs: &[&str]) -> Option<Vec<Outcome>> {
    let items: Vec<String> = exprs
        .iter()
        .map(|e| format!("try(jsonencode({e}), \"ERR\")"))
        .collect();
    let input = format!("base64encode(jsonencode([{}]))\n", items.join(", "));
    let mut child = Command::new(tf)
        .arg("console")
        .current_dir(fixtures())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", tf.display()));
    let written = child.stdin.take().map(|mut stdin| {
        use std::io::Write as _;
        // Dropping `stdin` closes it, which ends the console's input.
        stdin.write_all(input.as_bytes()).is_ok()
    });
    let out = child.wait_with_output().ok()?;
    if written != Some(true) {
        return None;
    }
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let encoded = text.trim().trim_matches('"');
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let outer: Vec<String> = serde_json::from_slice(&bytes).ok()?;
    if outer.len() != exprs.len() {
        return None;
    }
    outer
        .into_iter()
        .map(|item| {
            if item == "ERR" {
                Some(Outcome::Error("error".into()))
            } else {
                serde_json::from_str(&item).ok().map(Outcome::Value)
            }
        })
        .collect()
}

/// Evaluates every expression, splitting a batch that fails as a whole until each
/// failing expression is on its own (and then counts as an error).
fn console(tf: &Path, exprs: &[&str]) -> Vec<Outcome> {
    if let Some(out) = console_batch(tf, exprs) {
        return out;
    }
    if exprs.len() == 1 {
        return vec![Outcome::Error("the console refused it".into())];
    }
    let (a, b) = exprs.split_at(exprs.len() / 2);
    let mut out = console(tf, a);
    out.extend(console(tf, b));
    out
}

// ----- aic -----------------------------------------------------------------------------

struct NoNames;

impl Scope for NoNames {
    fn resolve(&self, path: &[&str]) -> Result<(Value, usize), ScopeMiss> {
        Err(ScopeMiss {
            segment: 0,
            label: format!("`{}` is not defined", path.join(".")),
            help: None,
            code: &aic_lang::codes::E0202,
        })
    }
}

/// The standard library, at apply time (so `bcrypt` gives a value), in the fixtures
/// directory.
struct Stdlib {
    dir: PathBuf,
}

impl Functions for Stdlib {
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, FunctionFailure>> {
        let f = aic_stdlib::lookup(name)?;
        let ctx = CallContext::new(&self.dir).with_stage(EvalStage::Apply);
        Some(f.call(&ctx, args).map_err(|e| FunctionFailure {
            arg: e.arg,
            message: e.message,
        }))
    }

    fn names(&self) -> Vec<&str> {
        aic_stdlib::all().iter().map(|f| f.name).collect()
    }
}

fn aic(expr: &str) -> Outcome {
    let parsed = match parse_expr(FileId(0), expr) {
        Ok(e) => e,
        Err(d) => {
            return Outcome::Error(format!(
                "syntax: {}",
                d.first().map(|d| d.summary.clone()).unwrap_or_default()
            ))
        }
    };
    let functions = Stdlib { dir: fixtures() };
    let mut evaluator = Evaluator::new(&NoNames, &functions);
    match evaluator.eval(&parsed) {
        Ok(v) => match v.to_json() {
            Ok(j) => Outcome::Value(j),
            Err(e) => Outcome::Error(e.to_string()),
        },
        Err(e) => Outcome::Error(e.label),
    }
}

// ----- comparison ----------------------------------------------------------------------

/// Structural equality: numbers by value, objects regardless of key order, errors equal
/// to errors.
fn same(a: &Outcome, b: &Outcome) -> bool {
    match (a, b) {
        (Outcome::Error(_), Outcome::Error(_)) => true,
        (Outcome::Value(a), Outcome::Value(b)) => same_json(a, b),
        _ => false,
    }
}

fn same_json(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => same_number(x, y),
            _ => false,
        },
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Json::Object(x), Json::Object(y)) => {
            let x: BTreeMap<_, _> = x.iter().collect();
            let y: BTreeMap<_, _> = y.iter().collect();
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// Equal doubles, or neighbours: Terraform writes big numbers with all their digits
/// (`parseint` of 30 `z`s has 47), and serde_json, unless a crate in the build enables
/// its `float_roundtrip` feature, may round such a text to the double next to the
/// nearest one.
fn same_number(x: f64, y: f64) -> bool {
    x == y
        || (x.is_finite()
            && y.is_finite()
            && x.signum() == y.signum()
            && x.to_bits().abs_diff(y.to_bits()) <= 1)
}

fn show(o: &Outcome) -> String {
    match o {
        Outcome::Value(v) => v.to_string(),
        Outcome::Error(e) => format!("error ({e})"),
    }
}

#[test]
fn functions_agree_with_terraform() {
    let cases = cases();
    assert!(cases.len() >= 300, "only {} cases", cases.len());
    let tf = peer();
    let hcl: Vec<&str> = cases.iter().map(|c| c.hcl.as_str()).collect();
    let mut theirs = Vec::new();
    for chunk in hcl.chunks(100) {
        theirs.extend(console(&tf, chunk));
    }
    let mut report = String::new();
    let mut differences = 0;
    for (case, theirs) in cases.iter().zip(&theirs) {
        let ours = aic(&case.aic);
        if std::env::var_os("AIC_DIFF_ALL").is_some() {
            let _ = writeln!(
                report,
                "{}cases.txt:{}: {}\n    terraform: {}\n    aic:       {}",
                if same(theirs, &ours) { "  " } else { "! " },
                case.line,
                case.aic,
                show(theirs),
                show(&ours)
            );
        }
        if !same(theirs, &ours) {
            differences += 1;
            if std::env::var_os("AIC_DIFF_ALL").is_none() {
                let _ = writeln!(
                    report,
                    "cases.txt:{}: {}\n    terraform: {}\n    aic:       {}",
                    case.line,
                    case.aic,
                    show(theirs),
                    show(&ours)
                );
            }
        }
    }
    if std::env::var_os("AIC_DIFF_ALL").is_some() {
        println!("{report}");
    }
    assert!(
        differences == 0,
        "{differences} of {} cases differ from Terraform:\n{report}",
        cases.len()
    );
}
