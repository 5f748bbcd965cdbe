//! Variable values given from outside the configuration: `--var`, `--var-file` and
//! `AIC_VAR_*`, merged into the root module's inputs.

use std::path::PathBuf;

use aic_lang::check::Inputs;
use aic_lang::config::ModuleTree;
use aic_lang::diag::Diagnostic;
use aic_lang::eval::Evaluator;
use aic_lang::source::{FileId, SourceMap};
use aic_lang::value::Value;

use crate::codes;
use crate::eval::{Constants, StdFunctions};

/// Where variable values come from on the command line and in the process environment.
#[derive(Debug, Clone, Default)]
pub struct VariableArgs {
    /// `--var NAME=VALUE`, in order.
    pub vars: Vec<String>,
    /// `--var-file FILE`, in order.
    pub var_files: Vec<PathBuf>,
    /// `AIC_VAR_NAME=VALUE` pairs from the process environment.
    pub env_vars: Vec<(String, String)>,
}

/// Merges variable values, highest precedence first: `--var`, `--var-file`, `AIC_VAR_*`.
/// Values for `string` variables are taken as text; others are parsed as `.aic` expressions.
pub(crate) fn variable_inputs(
    tree: &ModuleTree,
    args: &VariableArgs,
    functions: &StdFunctions,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
) -> Inputs {
    let mut out = Inputs::new();
    let is_text = |name: &str| {
        tree.module
            .variables
            .get(name)
            .and_then(|v| v.ty.as_ref())
            .is_some_and(|t| {
                matches!(&t.kind, aic_lang::ast::TypeExprKind::Name(n) if n.name == "string")
                    || matches!(&t.kind, aic_lang::ast::TypeExprKind::Union(_))
            })
    };
    let parse_value = |origin: String,
                       raw_text: bool,
                       text: &str,
                       sources: &mut SourceMap,
                       diags: &mut Vec<Diagnostic>|
     -> Option<Value> {
        if raw_text {
            return Some(Value::string(text));
        }
        let id: FileId = sources.add(origin, text.to_string());
        match aic_lang::syntax::parse_expr(id, text) {
            Ok(e) => {
                let mut ev = Evaluator::new(&Constants::VARIABLE_VALUE, functions);
                match ev.eval(&e) {
                    Ok(v) => Some(v),
                    Err(err) => {
                        diags.push(err.to_diagnostic());
                        None
                    }
                }
            }
            Err(ds) => {
                diags.extend(ds);
                None
            }
        }
    };
    // Lowest precedence first, so later inserts win.
    for (name, text) in &args.env_vars {
        if let Some(v) = parse_value(
            format!("AIC_VAR_{name}"),
            is_text(name),
            text,
            sources,
            diags,
        ) {
            out.insert(name.clone(), v);
        }
    }
    for file in &args.var_files {
        match std::fs::read_to_string(file) {
            Ok(text) => {
                // A var file holds `name = expr` lines, each value in `.aic` syntax.
                for line in text.lines() {
                    let line = line.trim();
                    if line.is_empty() || line.starts_with('#') || line.starts_with("//") {
                        continue;
                    }
                    if let Some((name, value)) = line.split_once('=') {
                        let name = name.trim();
                        let value = value.trim();
                        if let Some(v) =
                            parse_value(file.display().to_string(), false, value, sources, diags)
                        {
                            out.insert(name.to_string(), v);
                        }
                    }
                }
            }
            Err(e) => diags.push(
                Diagnostic::new(&codes::E0250)
                    .with_help(format!("Reading {} failed: {e}.", file.display())),
            ),
        }
    }
    for pair in &args.vars {
        match pair.split_once('=') {
            Some((name, text)) => {
                if let Some(v) = parse_value(
                    format!("--var {name}"),
                    is_text(name.trim()),
                    text,
                    sources,
                    diags,
                ) {
                    out.insert(name.trim().to_string(), v);
                }
            }
            None => diags.push(Diagnostic::new(&codes::E0251).with_help(format!(
                "`--var {pair}` must be written `--var NAME=VALUE`."
            ))),
        }
    }
    out
}
