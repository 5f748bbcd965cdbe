//! The standard library as the evaluator's function table ([`StdFunctions`]), and the
//! rendering of `templatefile` templates.
//!
//! Must not know about graphs, plans or state: it turns a function call into a value.

use std::path::PathBuf;

use aic_lang::eval::{Evaluator, FunctionFailure, Functions, Scope, ScopeMiss};
use aic_lang::source::FileId;
use aic_lang::value::Value;

/// The standard library as the evaluator's function table.
pub struct StdFunctions {
    module_dir: PathBuf,
    stage: aic_stdlib::EvalStage,
}

impl StdFunctions {
    pub fn new(module_dir: impl Into<PathBuf>) -> StdFunctions {
        StdFunctions {
            module_dir: module_dir.into(),
            stage: aic_stdlib::EvalStage::Plan,
        }
    }

    /// The same, during apply (`true`): functions unknown until apply give values.
    #[must_use]
    pub fn at_apply(self, at_apply: bool) -> StdFunctions {
        StdFunctions {
            stage: if at_apply {
                aic_stdlib::EvalStage::Apply
            } else {
                aic_stdlib::EvalStage::Plan
            },
            ..self
        }
    }
}

impl Functions for StdFunctions {
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, FunctionFailure>> {
        let f = aic_stdlib::lookup(name)?;
        let render = |text: &str, vars: &Value| render_template(text, vars, self);
        let ctx = aic_stdlib::CallContext::new(&self.module_dir)
            .with_stage(self.stage)
            .with_template_renderer(&render);
        Some(f.call(&ctx, args).map_err(|e| FunctionFailure {
            arg: e.arg,
            message: e.message,
        }))
    }

    fn names(&self) -> Vec<&str> {
        aic_stdlib::all().iter().map(|f| f.name).collect()
    }

    fn for_module(&self, dir: &std::path::Path) -> Option<Box<dyn Functions + '_>> {
        (dir != self.module_dir).then(|| {
            Box::new(StdFunctions::new(dir).at_apply(self.stage == aic_stdlib::EvalStage::Apply))
                as Box<dyn Functions>
        })
    }
}

/// Renders a `templatefile` template: `text` is read as the body of a string template
/// (`${…}` interpolations, with every function available) whose names are the entries of
/// `vars`. Errors name the line and column in the template.
fn render_template(text: &str, vars: &Value, functions: &dyn Functions) -> Result<Value, String> {
    // The body of a heredoc is exactly a string template; pick a delimiter the text
    // does not contain as a line.
    let mut delimiter = String::from("AIC_TEMPLATE_END");
    while text.lines().any(|l| l.trim() == delimiter) {
        delimiter.push('_');
    }
    let added_newline = !text.ends_with('\n');
    let source = format!(
        "<<{delimiter}\n{text}{}{delimiter}\n",
        if added_newline { "\n" } else { "" }
    );
    // Positions in `source` are one line below the template's.
    let at = |offset: u32| {
        let before = &source[..(offset as usize).min(source.len())];
        let line = before.matches('\n').count();
        let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        format!("line {line}, column {column}")
    };
    let expr = aic_lang::syntax::parse_expr(FileId(0), &source).map_err(|diags| {
        let d = diags.first();
        let place = d
            .and_then(|d| d.primary_span())
            .map(|s| at(s.start))
            .unwrap_or_default();
        format!(
            "{place}: {}",
            d.map_or("cannot parse the template".into(), |d| d.summary.clone())
        )
    })?;
    let scope = TemplateVars(vars);
    let value = Evaluator::new(&scope, functions).eval(&expr).map_err(|e| {
        let help = e.help.map(|h| format!(" ({h})")).unwrap_or_default();
        format!("{}: {}{help}", at(e.span.start), e.label)
    })?;
    match (added_newline, value.as_str()) {
        (true, Some(s)) => {
            Ok(Value::string(s.strip_suffix('\n').unwrap_or(s))
                .with_sensitive(value.is_sensitive()))
        }
        _ => Ok(value),
    }
}

/// The names of a template: the entries of the `vars` argument of `templatefile`.
struct TemplateVars<'a>(&'a Value);

impl Scope for TemplateVars<'_> {
    fn resolve(&self, path: &[&str]) -> Result<(Value, usize), ScopeMiss> {
        let name = path.first().copied().unwrap_or("");
        match self.0.get(name) {
            Some(v) => Ok((v.clone(), 1)),
            None => {
                let names: Vec<&str> = self
                    .0
                    .as_entries()
                    .map(|m| m.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                Err(ScopeMiss {
                    segment: 0,
                    code: &aic_lang::codes::E0202,
                    label: format!("`{name}` is not one of the template's variables"),
                    help: Some(format!(
                        "The template's variables are the second argument of templatefile: {}.",
                        if names.is_empty() {
                            "none were given".to_string()
                        } else {
                            names.join(", ")
                        }
                    )),
                })
            }
        }
    }
}
