//! Policies (spec language.md §3.11) as the loader reads them: native `policy` blocks
//! (an `assert` over `self` for each planned instance of some resource types) and OPA Rego
//! policies (a Rego module and a query over the JSON plan).
//!
//! ```text
//! policy owner_tag {                       policy compliance {
//!   resources = ["local_file"]               rego  = file("policies/compliance.rego")
//!   assert    = self.file_permission == …    query = "data.aic.deny"
//!   message   = "${self.address} …"          level = "warning"
//!   level     = "error"                    }
//! }
//! ```
//!
//! Only the root module's policies count (they see every module's resources); a policy
//! in a called module is reported (W0806). Rego sources join the source map, so their
//! syntax errors (E0804) point into the `.rego` file. Evaluating policies against a plan
//! is the planner's ([`crate::planner`]).

use std::path::PathBuf;

use aic_lang::ast::{Expr, ExprKind};
use aic_lang::config::{literal_string, ModuleTree};
use aic_lang::diag::Diagnostic;
use aic_lang::source::{FileId, SourceMap, Span};
use aic_lang::value::{Value, ValueKind};

use crate::codes;
use crate::plan::PolicyLevel;

/// The query of a Rego policy that names none.
pub const DEFAULT_QUERY: &str = "data.aic.deny";

/// One policy of the root module, ready to evaluate.
#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    pub level: PolicyLevel,
    pub rule: Rule,
}

/// What a policy checks.
#[derive(Debug, Clone)]
pub enum Rule {
    /// `assert` over `self`, for each planned instance of `resources` (every managed
    /// type when `None`).
    Native {
        resources: Option<Vec<String>>,
        assert: Expr,
        message: Option<Expr>,
    },
    /// A Rego module and the rule path to evaluate with the JSON plan as `input`.
    Rego {
        /// Where the source came from, as shown in messages.
        path: String,
        source: String,
        query: String,
        /// The `rego = …` attribute, for diagnostics.
        span: Span,
    },
}

/// Evaluates the constant attributes of a policy block (`level`, `resources`, `rego`,
/// `query`); the checker has already reported type errors in them.
pub(crate) type ConstEval<'a> = dyn Fn(&Expr) -> Result<Value, Diagnostic> + 'a;

/// Reads the policies of the root module. Rego sources are added to `sources` and
/// parsed: a syntax error is a diagnostic (E0804) pointing at its line in the `.rego` file.
pub(crate) fn read(
    tree: &ModuleTree,
    sources: &mut SourceMap,
    eval: &ConstEval<'_>,
) -> (Vec<Policy>, Vec<Diagnostic>) {
    let mut policies = Vec::new();
    let mut diags = Vec::new();
    for (name, block) in &tree.module.policies {
        let body = &block.body;
        let mut errors: Vec<Diagnostic> = Vec::new();
        let mut const_or_report = |attr: &str| -> Option<Value> {
            let a = body.attribute(attr)?;
            match eval(&a.value) {
                Ok(v) => Some(v),
                Err(d) => {
                    errors.push(d);
                    None
                }
            }
        };
        let level = match const_or_report("level").as_ref().and_then(Value::as_str) {
            Some("warning") => PolicyLevel::Warning,
            _ => PolicyLevel::Error,
        };
        let rule = if let Some(assert) = body.attribute("assert") {
            let resources = const_or_report("resources").and_then(|v| match v.kind() {
                ValueKind::List(xs) | ValueKind::Tuple(xs) | ValueKind::Set(xs) => Some(
                    xs.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect(),
                ),
                _ => None,
            });
            Some(Rule::Native {
                resources,
                assert: assert.value.clone(),
                message: body.attribute("message").map(|a| a.value.clone()),
            })
        } else if let Some(attr) = body.attribute("rego") {
            let query = const_or_report("query")
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| DEFAULT_QUERY.to_owned());
            const_or_report("rego")
                .and_then(|v| v.as_str().map(str::to_owned))
                .map(|source| {
                    let path = rego_path(&tree.module.dir, &attr.value)
                        .unwrap_or_else(|| format!("policy {name}.rego"));
                    let file = sources.add(path.clone(), source.clone());
                    if let Err(e) = parse_rego(&path, &source) {
                        errors.push(rego_syntax_error(name, &e, file, &source, attr.value.span));
                    }
                    Rule::Rego {
                        path,
                        source,
                        query,
                        span: attr.value.span,
                    }
                })
        } else {
            None
        };
        diags.extend(errors);
        if let Some(rule) = rule {
            policies.push(Policy {
                name: name.clone(),
                level,
                rule,
            });
        }
    }
    (policies, diags)
}

/// The file a `rego = file("x.rego")` attribute reads, relative to the module.
fn rego_path(module_dir: &std::path::Path, e: &Expr) -> Option<String> {
    let ExprKind::Call(call) = &e.kind else {
        return None;
    };
    if call.name.name != "file" || call.args.len() != 1 {
        return None;
    }
    let rel = literal_string(call.args.first()?)?;
    let p: PathBuf = module_dir.join(rel);
    Some(p.display().to_string())
}

pub(crate) fn parse_rego(path: &str, source: &str) -> Result<regorus::Engine, String> {
    let mut engine = regorus::Engine::new();
    engine
        .add_policy(path.to_owned(), source.to_owned())
        .map_err(|e| e.to_string())?;
    Ok(engine)
}

/// A regorus error as a diagnostic: regorus writes `--> FILE:LINE:COL`, the source line,
/// and `error: MESSAGE`; the primary label goes on that line and column.
fn rego_syntax_error(
    policy: &str,
    message: &str,
    file: FileId,
    source: &str,
    attr: Span,
) -> Diagnostic {
    let (position, text) = regorus_location(message);
    let d = Diagnostic::new(&codes::E0804);
    let d = match position.and_then(|(line, col)| offset_of(source, line, col)) {
        Some(start) => {
            let len = source
                .get(start..)
                .and_then(|rest| rest.find(char::is_whitespace))
                .unwrap_or(1)
                .max(1);
            d.with_primary(Span::new(file, start, start + len), text.clone())
                .with_secondary(attr, format!("policy `{policy}` reads it here"))
        }
        None => d.with_primary(attr, text.clone()),
    };
    d.with_help(
        "Policies use Rego v1 (OPA 1.0): rules need `if`, partial set rules `contains`, e.g. `deny contains msg if { … }`.",
    )
}

/// `(line, column)` and the message of a regorus error text.
pub(crate) fn regorus_location(message: &str) -> (Option<(usize, usize)>, String) {
    let position = message.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("--> ")?;
        let mut parts = rest.rsplitn(3, ':');
        let col = parts.next()?.trim().parse().ok()?;
        let line = parts.next()?.trim().parse().ok()?;
        Some((line, col))
    });
    let text = message
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .unwrap_or_else(|| message.trim())
        .to_owned();
    (position, text)
}

/// The byte offset of 1-based `line` and `col` (in characters).
fn offset_of(source: &str, line: usize, col: usize) -> Option<usize> {
    let mut start = 0;
    for _ in 1..line {
        start += source.get(start..)?.find('\n')? + 1;
    }
    let line_text = source.get(start..)?.split('\n').next()?;
    let within = line_text
        .char_indices()
        .nth(col.saturating_sub(1))
        .map_or(line_text.len(), |(i, _)| i);
    Some(start + within)
}

/// W0806 for every `policy` block of a called module: only the root module's policies
/// are evaluated (they see every module's resources).
pub(crate) fn ignored_child_policies(tree: &ModuleTree) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut stack: Vec<&ModuleTree> = tree.children.values().collect();
    while let Some(t) = stack.pop() {
        for block in t.module.policies.values() {
            out.push(
                Diagnostic::new(&codes::W0806)
                    .with_primary(
                        block.kind.span,
                        "this policy is not evaluated: policies are read from the root module only",
                    )
                    .with_help(
                        "Move it to the root module, where a policy applies to the resources of every module (narrow it with `resources = [\"TYPE\", …]`).",
                    ),
            );
        }
        stack.extend(t.children.values());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regorus_errors_give_line_column_and_message() {
        let source = "package aic\n\ndeny contains msg if {\n  msg := \n}\n";
        let e = parse_rego("p.rego", source).expect_err("a syntax error");
        let (pos, text) = regorus_location(&e);
        let (line, col) = pos.expect("a position");
        assert!(line >= 4, "{e}");
        assert!(!text.is_empty() && !text.contains("-->"), "{text}");
        assert!(offset_of(source, line, col).is_some());
    }

    #[test]
    fn offsets_count_lines_and_characters() {
        let s = "ab\nçd x\n";
        assert_eq!(offset_of(s, 1, 1), Some(0));
        assert_eq!(offset_of(s, 2, 1), Some(3));
        // `ç` is two bytes: column 3 is after `çd`.
        assert_eq!(offset_of(s, 2, 3), Some(6));
        assert_eq!(offset_of(s, 9, 1), None);
    }
}
