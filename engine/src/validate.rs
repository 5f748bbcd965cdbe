//! Loading and checking a configuration: wires the language crate to the provider
//! schemas (through the registry) and to the standard library's functions.

use std::path::{Path, PathBuf};

use aic_lang::check::{self, AttributeInfo, BlockInfo, Inputs, ResourceType, Schemas};
use aic_lang::config::{self, ModuleTree};
use aic_lang::diag::Diagnostic;
use aic_lang::eval::{Evaluator, FunctionFailure, Functions, Scope, ScopeMiss};
use aic_lang::source::{FileId, SourceMap};
use aic_lang::value::Value;
use aic_provider::schema::{Nesting, ResourceSchema};
use aic_provider::Registry;

/// The standard library as the evaluator's function table.
pub struct StdFunctions {
    module_dir: PathBuf,
}

impl StdFunctions {
    pub fn new(module_dir: impl Into<PathBuf>) -> StdFunctions {
        StdFunctions {
            module_dir: module_dir.into(),
        }
    }
}

impl Functions for StdFunctions {
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, FunctionFailure>> {
        let f = aic_stdlib::lookup(name)?;
        let render = |text: &str, vars: &Value| render_template(text, vars, self);
        let ctx = aic_stdlib::CallContext::new(&self.module_dir).with_template_renderer(&render);
        Some(f.call(&ctx, args).map_err(|e| FunctionFailure {
            arg: e.arg,
            message: e.message,
        }))
    }

    fn names(&self) -> Vec<&str> {
        aic_stdlib::all().iter().map(|f| f.name).collect()
    }

    fn for_module(&self, dir: &std::path::Path) -> Option<Box<dyn Functions + '_>> {
        (dir != self.module_dir).then(|| Box::new(StdFunctions::new(dir)) as Box<dyn Functions>)
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
                    code: "E0202",
                    summary: "Unknown name",
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

/// Provider schemas from the registry, in the checker's terms.
pub struct RegistrySchemas<'a> {
    registry: &'a Registry,
}

impl<'a> RegistrySchemas<'a> {
    pub fn new(registry: &'a Registry) -> Self {
        RegistrySchemas { registry }
    }
}

fn convert(schema: &ResourceSchema) -> ResourceType {
    ResourceType {
        attributes: schema
            .attributes
            .iter()
            .map(|(k, a)| {
                (
                    k.clone(),
                    AttributeInfo {
                        ty: a.ty.clone(),
                        required: a.required,
                        computed: a.computed && !a.optional && !a.required,
                        sensitive: a.sensitive,
                    },
                )
            })
            .collect(),
        blocks: schema
            .blocks
            .iter()
            .map(|(k, b)| {
                (
                    k.clone(),
                    BlockInfo {
                        repeated: !matches!(b.nesting, Nesting::Single),
                        min_items: b.min_items,
                        schema: convert(&b.block),
                    },
                )
            })
            .collect(),
    }
}

impl Schemas for RegistrySchemas<'_> {
    fn resource(&self, type_name: &str) -> Option<ResourceType> {
        let (_, p) = self.registry.for_type(type_name)?;
        p.schema().resource(type_name).map(convert)
    }

    fn data_source(&self, type_name: &str) -> Option<ResourceType> {
        let (_, p) = self.registry.for_type(type_name)?;
        p.schema().data_source(type_name).map(convert)
    }

    fn provider(&self, name: &str) -> Option<ResourceType> {
        let p = self.registry.get(name)?;
        Some(convert(&p.schema().provider))
    }

    fn resource_types(&self) -> Vec<String> {
        self.registry
            .iter()
            .flat_map(|(_, p)| p.schema().resources.keys().cloned().collect::<Vec<_>>())
            .collect()
    }

    fn data_source_types(&self) -> Vec<String> {
        self.registry
            .iter()
            .flat_map(|(_, p)| p.schema().data_sources.keys().cloned().collect::<Vec<_>>())
            .collect()
    }
}

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

/// A loaded, checked configuration.
pub struct Checked {
    pub sources: SourceMap,
    pub tree: Option<ModuleTree>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// W0806 for every `policy` block of a called module: only the root module's policies
/// are evaluated (they see every module's resources).
fn ignored_child_policies(tree: &ModuleTree) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut stack: Vec<&ModuleTree> = tree.children.values().collect();
    while let Some(t) = stack.pop() {
        for block in t.module.policies.values() {
            out.push(
                Diagnostic::warning("W0806", "Policy in a called module")
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

/// The directory holding `std:NAME` modules: `AIC_STDLIB` or the `stdlib/modules` next to
/// the sources this binary was built from.
pub fn stdlib_dir() -> PathBuf {
    std::env::var_os("AIC_STDLIB")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../stdlib/modules"))
}

/// Loads the module tree rooted at `dir` and checks it for one environment.
pub fn validate(
    dir: &Path,
    environment: Option<&str>,
    args: &VariableArgs,
    registry: &Registry,
) -> Checked {
    let mut sources = SourceMap::new();
    let mut diagnostics = Vec::new();
    let tree = match config::load_tree(dir, Some(&stdlib_dir()), &mut sources, &mut diagnostics) {
        Ok(t) => t,
        Err(e) => {
            diagnostics.push(
                Diagnostic::error("E0200", "Cannot read configuration")
                    .with_help(format!("Reading {} failed: {e}. Run aic in a configuration directory or pass --dir DIR.", dir.display())),
            );
            return Checked {
                sources,
                tree: None,
                diagnostics,
            };
        }
    };
    if tree.module.variables.is_empty()
        && tree.module.resources.is_empty()
        && tree.module.lets.is_empty()
        && tree.module.module_calls.is_empty()
        && sources.is_empty()
    {
        diagnostics.push(
            Diagnostic::error("E0200", "No configuration files").with_help(format!(
                "{} holds no .aic files; run aic in a configuration directory or pass --dir DIR.",
                dir.display()
            )),
        );
    }
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Checked {
            sources,
            tree: Some(tree),
            diagnostics,
        };
    }
    let functions = StdFunctions::new(dir);
    let inputs = variable_inputs(&tree, args, &functions, &mut sources, &mut diagnostics);
    let schemas = RegistrySchemas::new(registry);
    diagnostics.extend(check::check(
        &tree,
        environment,
        &inputs,
        &schemas,
        &functions,
    ));
    // Backend blocks: kinds and settings.
    diagnostics.extend(crate::backend::check(&tree.module, &functions));
    // Policies are evaluated from the root module only: say so where one is ignored.
    diagnostics.extend(ignored_child_policies(&tree));
    // Rollout blocks: environments, strategies, checks and targets.
    diagnostics.extend(crate::rollout::read(&tree.module).1);
    if !diagnostics.iter().any(Diagnostic::is_error) {
        // Rego policies parse (their other attributes were checked above).
        let (_, rego) = crate::policy::load(&tree, &mut sources, &|e| {
            Evaluator::new(&NoNames, &functions)
                .eval(e)
                .map_err(|err| err.to_diagnostic())
        });
        diagnostics.extend(rego.into_iter().filter(|d| d.code == "E0804"));
    }
    Checked {
        sources,
        tree: Some(tree),
        diagnostics,
    }
}

pub(crate) struct NoNames;

impl Scope for NoNames {
    fn resolve(&self, path: &[&str]) -> Result<(Value, usize), ScopeMiss> {
        Err(ScopeMiss {
            segment: 0,
            code: "E0202",
            summary: "Unknown name",
            label: format!(
                "`{}` cannot be used in a variable value",
                path.first().copied().unwrap_or("")
            ),
            help: Some("Variable values are constants: write a literal value.".into()),
        })
    }
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
                let mut ev = Evaluator::new(&NoNames, functions);
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
                Diagnostic::error("E0250", "Cannot read variable file")
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
            None => diags.push(
                Diagnostic::error("E0251", "Malformed --var").with_help(format!(
                    "`--var {pair}` must be written `--var NAME=VALUE`."
                )),
            ),
        }
    }
    out
}
