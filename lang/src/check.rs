//! Semantic checking of a loaded configuration: names, types against provider schemas,
//! variables, environments, module arguments and outputs — everything `aic validate`
//! can find before any provider is called.
//!
//! Checking is evaluation with unknowns: constants (variables, lets, environment
//! attributes) are evaluated for real, and every resource attribute is an unknown of the
//! type its provider schema declares. Provider schemas come through the [`Schemas`] trait;
//! this module knows no provider.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;

use crate::addr::{InstanceKey, ModuleInstance, ResourceAddr};
use crate::ast::{self, Expr};
use crate::codes;
use crate::config::{literal_string, Module, ModuleTree};
use crate::diag::{suggest, Code, Diagnostic};
use crate::eval::{EvalError, Evaluator, Functions, Scope, ScopeMiss};
use crate::source::Span;
use crate::types::{ObjectAttr, Type};
use crate::value::{Value, ValueKind};

/// What the checker needs to know of one resource or data source type.
#[derive(Debug, Clone, Default)]
pub struct ResourceType {
    pub attributes: IndexMap<String, AttributeInfo>,
    pub blocks: IndexMap<String, BlockInfo>,
}

#[derive(Debug, Clone)]
pub struct AttributeInfo {
    pub ty: Type,
    pub required: bool,
    pub computed: bool,
    pub sensitive: bool,
}

#[derive(Debug, Clone)]
pub struct BlockInfo {
    /// `true` for repeated blocks (`ingress { } ingress { }`), `false` for a single one.
    pub repeated: bool,
    pub min_items: usize,
    pub schema: ResourceType,
}

impl ResourceType {
    /// The object type of an instance as expressions see it.
    pub fn object_type(&self) -> Type {
        let mut attrs: IndexMap<String, ObjectAttr> = self
            .attributes
            .iter()
            .map(|(k, a)| (k.clone(), ObjectAttr::required(a.ty.clone())))
            .collect();
        for (k, b) in &self.blocks {
            let inner = b.schema.object_type();
            let ty = if b.repeated { Type::list(inner) } else { inner };
            attrs.insert(k.clone(), ObjectAttr::required(ty));
        }
        Type::Object(attrs)
    }
}

/// Provider schemas, as the provider layer describes them.
pub trait Schemas {
    fn resource(&self, type_name: &str) -> Option<ResourceType>;
    fn data_source(&self, type_name: &str) -> Option<ResourceType>;
    fn provider(&self, name: &str) -> Option<ResourceType>;
    /// Every resource type name, for suggestions.
    fn resource_types(&self) -> Vec<String>;
    fn data_source_types(&self) -> Vec<String>;
}

/// Values given to the root module's variables, highest precedence first already merged
/// by the caller: name → (value, where it came from).
pub type Inputs = IndexMap<String, Value>;

/// One instance of a resource: its key and the `each`/`count` values it is evaluated with.
#[derive(Debug, Clone)]
pub struct ExpandedInstance {
    pub key: Option<InstanceKey>,
    pub each: Option<Value>,
    pub count: Option<Value>,
}

/// One module instance after expansion: its variables' values (unknown where they derive
/// from resources) and the instances of its resources and module calls.
#[derive(Debug, Clone)]
pub struct ExpandedModule {
    pub path: ModuleInstance,
    pub vars: IndexMap<String, Value>,
    pub resources: IndexMap<ResourceAddr, Vec<ExpandedInstance>>,
    /// Module call name → the instance keys it expands to (`None` for a single instance),
    /// each with its `each`/`count` binding.
    pub calls: IndexMap<String, Vec<ExpandedInstance>>,
    /// The value of each `let` as the checker computed it: real where it derives from
    /// constants, unknown (of the schema's type) where it derives from resources.
    pub lets: IndexMap<String, Value>,
    /// The declared type of each variable that has one, resolved (named types expanded):
    /// a value computed later (a module argument that reads a resource) is conformed to it.
    pub var_types: IndexMap<String, Type>,
}

/// The result of checking: diagnostics, the selected environment and, when there are no
/// errors, the expansion of every module instance.
#[derive(Debug, Clone)]
pub struct Checked {
    pub diagnostics: Vec<Diagnostic>,
    pub environment: String,
    /// The `env` object of the selected environment.
    pub env: Value,
    pub modules: Vec<ExpandedModule>,
}

/// Checks a configuration for one environment (`None`: the implicit `default`).
pub fn check(
    tree: &ModuleTree,
    environment: Option<&str>,
    inputs: &Inputs,
    schemas: &dyn Schemas,
    functions: &dyn Functions,
) -> Vec<Diagnostic> {
    expand(tree, environment, inputs, schemas, functions).diagnostics
}

/// Checks a configuration and expands `count`/`for_each` of every resource and module
/// call, for one environment.
pub fn expand(
    tree: &ModuleTree,
    environment: Option<&str>,
    inputs: &Inputs,
    schemas: &dyn Schemas,
    functions: &dyn Functions,
) -> Checked {
    let mut diags = Vec::new();
    let env = match environment_value(&tree.module, environment, functions, &mut diags) {
        Some(e) => e,
        None => {
            return Checked {
                diagnostics: diags,
                environment: environment.unwrap_or("default").to_string(),
                env: Value::null(),
                modules: Vec::new(),
            }
        }
    };
    let env_name = env.name.clone();
    let mut vars = root_variables(&tree.module, inputs, &env, functions, &mut diags);
    for (k, v) in &env.vars {
        vars.entry(k.clone()).or_insert_with(|| v.clone());
    }
    let ctx = Ctx {
        root_dir: tree.module.dir.clone(),
        schemas,
        functions,
        env: env.value,
        env_name,
        diags: RefCell::new(diags),
        seen: RefCell::new(HashSet::new()),
        expansion: RefCell::new(Vec::new()),
        object_types: RefCell::new(HashMap::new()),
    };
    let inst = Instance::new(&ctx, tree, vars, ModuleInstance::root());
    inst.check_all();
    drop(inst);
    let mut modules = ctx.expansion.into_inner();
    modules.sort_by(|a, b| a.path.cmp(&b.path));
    Checked {
        diagnostics: ctx.diags.into_inner(),
        environment: ctx.env_name,
        env: ctx.env,
        modules,
    }
}

/// The values of the root module's variables in environment `environment` (`None`: the
/// implicit `default`) — given (`inputs`), from the environment's `vars`, or defaults —
/// as constants known before any state is read (`backend` settings) use them. A variable
/// without a value is left out; nothing is reported (checking reports it).
pub fn root_variable_values(
    root: &Module,
    environment: Option<&str>,
    inputs: &Inputs,
    functions: &dyn Functions,
) -> Inputs {
    let mut ignored = Vec::new();
    let Some(env) = environment_value(root, environment, functions, &mut ignored) else {
        return Inputs::new();
    };
    let mut vars = root_variables(root, inputs, &env, functions, &mut ignored);
    for (k, v) in &env.vars {
        vars.entry(k.clone()).or_insert_with(|| v.clone());
    }
    vars
}

struct EnvSelection {
    name: String,
    value: Value,
    vars: IndexMap<String, Value>,
}

fn environment_value(
    root: &Module,
    selected: Option<&str>,
    functions: &dyn Functions,
    diags: &mut Vec<Diagnostic>,
) -> Option<EnvSelection> {
    let declared: Vec<&str> = root.environments.keys().map(String::as_str).collect();
    let name = selected.unwrap_or(if declared.is_empty() { "default" } else { "" });
    if name.is_empty() {
        diags.push(no_environment_selected(&declared));
        return None;
    }
    let mut attrs: IndexMap<String, Value> = IndexMap::new();
    attrs.insert("name".into(), Value::string(name));
    attrs.insert("protected".into(), Value::bool(false));
    let mut vars = IndexMap::new();
    if let Some(block) = root.environments.get(name) {
        let scope = ConstScope;
        let mut ev = Evaluator::new(&scope, functions);
        for a in block.body.attributes() {
            match ev.eval(&a.value) {
                Ok(v) => {
                    attrs.insert(a.name.name.clone(), v);
                }
                Err(e) => diags.push(e.to_diagnostic()),
            }
        }
        for b in block.body.blocks().filter(|b| b.kind.name == "vars") {
            for a in b.body.attributes() {
                match ev.eval(&a.value) {
                    Ok(v) => {
                        vars.insert(a.name.name.clone(), v);
                    }
                    Err(e) => diags.push(e.to_diagnostic()),
                }
            }
        }
    } else if !(declared.is_empty() && name == "default") {
        let mut d = Diagnostic::new(&codes::E0221);
        d.help = Some(if declared.is_empty() {
            format!("`{name}` is not declared; this configuration declares no environments, so only `default` exists.")
        } else {
            match suggest(name, declared.iter().copied()) {
                Some(s) => format!(
                    "`{name}` is not declared. Did you mean `{s}`? Declared environments: {}.",
                    declared.join(", ")
                ),
                None => format!(
                    "`{name}` is not declared. Declared environments: {}.",
                    declared.join(", ")
                ),
            }
        });
        diags.push(d);
        return None;
    }
    Some(EnvSelection {
        name: name.to_string(),
        value: Value::object(attrs),
        vars,
    })
}

/// E0220: the configuration declares environments (`declared`) and none was chosen.
pub fn no_environment_selected(declared: &[&str]) -> Diagnostic {
    Diagnostic::new(&codes::E0220).with_help(format!(
        "This configuration declares environments; choose one with --env or AIC_ENV: {}.",
        declared.join(", ")
    ))
}

/// A scope with no names: environment attributes are literal constants.
struct ConstScope;

impl Scope for ConstScope {
    fn resolve(&self, path: &[&str]) -> Result<(Value, usize), ScopeMiss> {
        Err(ScopeMiss {
            segment: 0,
            code: &codes::E0202,
            label: format!(
                "`{}` cannot be used here",
                path.first().copied().unwrap_or("")
            ),
            help: Some(
                "Environment attributes and variable defaults are constants: write literal values, or call functions such as env_var(…).".into(),
            ),
        })
    }
}

/// Evaluates root variables from inputs and defaults; reports missing ones together.
fn root_variables(
    root: &Module,
    inputs: &Inputs,
    env: &EnvSelection,
    functions: &dyn Functions,
    diags: &mut Vec<Diagnostic>,
) -> IndexMap<String, Value> {
    let mut out = IndexMap::new();
    let mut missing = Vec::new();
    for (name, v) in &root.variables {
        let value = inputs
            .get(name)
            .cloned()
            .or_else(|| env.vars.get(name).cloned());
        let value = match value {
            Some(v) => Some(v),
            None => match &v.default {
                Some(d) => {
                    let mut ev = Evaluator::new(&ConstScope, functions);
                    match ev.eval(d) {
                        Ok(x) => Some(x),
                        Err(e) => {
                            diags.push(e.to_diagnostic());
                            None
                        }
                    }
                }
                None => {
                    missing.push(v);
                    None
                }
            },
        };
        if let Some(x) = value {
            out.insert(name.clone(), x);
        }
    }
    for name in inputs.keys() {
        if !root.variables.contains_key(name) {
            let mut d = Diagnostic::new(&codes::W0201);
            d.help = Some(match suggest(name, root.variables.keys().map(String::as_str)) {
                Some(s) => format!("A value was given for `{name}`, which is not declared. Did you mean `{s}`?"),
                None => format!("A value was given for `{name}`, which the root module does not declare."),
            });
            diags.push(d);
        }
    }
    if !missing.is_empty() {
        let names: Vec<String> = missing
            .iter()
            .map(|v| format!("`{}`", v.name.name))
            .collect();
        let mut d = Diagnostic::new(&codes::E0222);
        for v in &missing {
            d = d.with_secondary(
                v.name.span,
                format!("`{}` has no default and no value", v.name.name),
            );
        }
        if let Some(l) = d.labels.first_mut() {
            l.primary = true;
        }
        d.help = Some(format!(
            "Give values for {} with --var NAME=VALUE, --var-file FILE, AIC_VAR_NAME, or the environment's `vars` block.",
            names.join(", ")
        ));
        diags.push(d);
    }
    out
}

struct Ctx<'a> {
    /// The root module's directory, for `path.root`.
    root_dir: std::path::PathBuf,
    expansion: RefCell<Vec<ExpandedModule>>,
    schemas: &'a dyn Schemas,
    functions: &'a dyn Functions,
    env: Value,
    env_name: String,
    diags: RefCell<Vec<Diagnostic>>,
    /// (code, span) already reported: instances of one resource repeat the same errors.
    seen: RefCell<HashSet<(&'static str, Span)>>,
    /// The object type of each resource and data source type, from its schema (`Any`
    /// without one), computed once: every reference to a resource needs it.
    object_types: RefCell<HashMap<(crate::addr::Mode, String), Type>>,
}

impl Ctx<'_> {
    fn report(&self, d: Diagnostic) {
        let key = (d.code, d.primary_span().unwrap_or_default());
        if self.seen.borrow_mut().insert(key) {
            self.diags.borrow_mut().push(d);
        }
    }

    fn report_eval(&self, e: &EvalError) {
        self.report(e.to_diagnostic());
    }
}

#[derive(Clone)]
enum Lazy {
    Pending,
    InProgress,
    Done(Value),
}

/// One instance of a module: its variables, and lazily evaluated lets, module calls and
/// resource values.
struct Instance<'a> {
    ctx: &'a Ctx<'a>,
    /// The functions as seen from this module (relative file paths resolve against its
    /// directory); `None` when they are the context's.
    module_functions: Option<Box<dyn Functions + 'a>>,
    tree: &'a ModuleTree,
    path: ModuleInstance,
    vars: IndexMap<String, Value>,
    expanded: RefCell<IndexMap<ResourceAddr, Vec<ExpandedInstance>>>,
    calls: RefCell<IndexMap<String, Vec<ExpandedInstance>>>,
    lets: RefCell<IndexMap<String, Lazy>>,
    modules: RefCell<IndexMap<String, Lazy>>,
    /// Names on the evaluation stack, for cycle reports: (what, span of its definition).
    stack: RefCell<Vec<(String, Span)>>,
    each: Option<Value>,
    count: Option<Value>,
    self_value: Option<Value>,
}

impl<'a> Instance<'a> {
    fn new(
        ctx: &'a Ctx<'a>,
        tree: &'a ModuleTree,
        vars: IndexMap<String, Value>,
        path: ModuleInstance,
    ) -> Self {
        let mut inst = Instance {
            ctx,
            module_functions: ctx.functions.for_module(&tree.module.dir),
            tree,
            path,
            vars,
            expanded: RefCell::new(IndexMap::new()),
            calls: RefCell::new(IndexMap::new()),
            lets: RefCell::new(
                tree.module
                    .lets
                    .keys()
                    .map(|k| (k.clone(), Lazy::Pending))
                    .collect(),
            ),
            modules: RefCell::new(
                tree.module
                    .module_calls
                    .keys()
                    .map(|k| (k.clone(), Lazy::Pending))
                    .collect(),
            ),
            stack: RefCell::new(Vec::new()),
            each: None,
            count: None,
            self_value: None,
        };
        // Values take their declared types: `optional(T, default)` attributes are
        // filled in and a `set` default loses its duplicates, whether the value came
        // from a default, `--var`, an environment or a module argument. A value that
        // does not fit is reported by `check_variables`.
        let conformed: Vec<(String, Value)> = tree
            .module
            .variables
            .iter()
            .filter_map(|(name, v)| {
                let ty = inst.resolve_type(v.ty.as_ref()?)?;
                let value = inst.vars.get(name)?;
                ty.conform(value).ok().map(|c| (name.clone(), c))
            })
            .collect();
        for (name, value) in conformed {
            inst.vars.insert(name, value);
        }
        inst
    }

    fn module(&self) -> &'a Module {
        &self.tree.module
    }

    fn functions(&self) -> &dyn Functions {
        self.module_functions
            .as_deref()
            .unwrap_or(self.ctx.functions)
    }

    /// A child scope sharing this instance's caches, with `each`/`count`/`self` bound.
    fn with_bindings(
        &self,
        each: Option<Value>,
        count: Option<Value>,
        self_value: Option<Value>,
    ) -> Bound<'_, 'a> {
        Bound {
            inst: self,
            each,
            count,
            self_value,
        }
    }

    fn eval_in(&self, scope: &dyn Scope, e: &Expr) -> Option<Value> {
        let mut ev = Evaluator::new(scope, self.functions());
        match ev.eval(e) {
            Ok(v) => Some(v),
            Err(err) => {
                self.ctx.report_eval(&err);
                None
            }
        }
    }

    fn eval(&self, e: &Expr) -> Option<Value> {
        let scope = self.with_bindings(
            self.each.clone(),
            self.count.clone(),
            self.self_value.clone(),
        );
        self.eval_in(&scope, e)
    }

    fn check_all(&self) {
        let m = self.module();
        self.check_variables();
        for name in m.lets.keys() {
            let _ = self.let_value(name);
        }
        for (key, p) in &m.providers {
            self.check_provider(&key.0, p);
        }
        for r in m.resources.values() {
            self.check_resource(r);
        }
        for name in m.module_calls.keys() {
            let _ = self.module_value(name);
        }
        self.check_resource_cycles();
        for o in m.outputs.values() {
            self.check_output(o);
        }
        for p in m.policies.values() {
            self.check_policy(p);
        }
        // Copied, not taken: a caller still evaluates this instance's outputs.
        let lets = self
            .lets
            .borrow()
            .iter()
            .filter_map(|(k, l)| match l {
                Lazy::Done(v) => Some((k.clone(), v.clone())),
                _ => None,
            })
            .collect();
        let var_types = m
            .variables
            .iter()
            .filter_map(|(name, v)| Some((name.clone(), self.resolve_type(v.ty.as_ref()?)?)))
            .collect();
        self.ctx.expansion.borrow_mut().push(ExpandedModule {
            path: self.path.clone(),
            vars: self.vars.clone(),
            resources: self.expanded.take(),
            calls: self.calls.take(),
            lets,
            var_types,
        });
    }

    /// Declared types are valid; values fit them; `validate` blocks hold.
    fn check_variables(&self) {
        for (name, v) in &self.module().variables {
            let ty = v.ty.as_ref().map(|t| self.resolve_type(t));
            let Some(value) = self.vars.get(name) else {
                continue;
            };
            if let Some(Some(ty)) = &ty {
                if let Err(m) = ty.conform(value) {
                    self.ctx.report(
                        Diagnostic::new(&codes::E0301)
                            .with_primary(
                                v.name.span,
                                format!(
                                    "the value of `{name}` does not fit its type: {}",
                                    describe_mismatch(&m)
                                ),
                            )
                            .with_help(format!("`{name}` is declared as {ty}.")),
                    );
                }
            }
            let Some(body) = &v.body else { continue };
            for vb in body.blocks().filter(|b| b.kind.name == "validate") {
                let bound = self.with_bindings(None, None, Some(value.clone()));
                let (Some(cond), msg) =
                    (vb.body.attribute("condition"), vb.body.attribute("message"))
                else {
                    self.ctx.report(
                        Diagnostic::new(&codes::E0223)
                            .with_primary(vb.kind.span, "a `validate` block needs `condition`")
                            .with_help("Write `validate { condition = EXPR, message = \"…\" }`."),
                    );
                    continue;
                };
                let Some(c) = self.eval_in(&bound, &cond.value) else {
                    continue;
                };
                if c.as_bool() == Some(false) {
                    let text = msg
                        .and_then(|m| self.eval_in(&bound, &m.value))
                        .and_then(|m| m.as_str().map(str::to_string))
                        .unwrap_or_else(|| format!("the value of `{name}` is not valid"));
                    self.ctx.report(
                        Diagnostic::new(&codes::E0224)
                            .with_primary(cond.value.span, text)
                            .with_secondary(v.name.span, "for this variable"),
                    );
                }
            }
        }
    }

    fn resolve_type(&self, t: &ast::TypeExpr) -> Option<Type> {
        use ast::TypeExprKind as K;
        Some(match &t.kind {
            K::Name(n) => {
                match n.name.as_str() {
                    "string" => Type::String,
                    "number" => Type::Number,
                    "bool" => Type::Bool,
                    "any" => Type::Any,
                    other => match self.module().types.get(other) {
                        Some(def) => {
                            // Named types may not refer to themselves.
                            if self
                                .stack
                                .borrow()
                                .iter()
                                .any(|(w, _)| w == &format!("type {other}"))
                            {
                                self.ctx.report(Diagnostic::new(&codes::E0207).with_primary(
                                    n.span,
                                    format!("type `{other}` refers to itself"),
                                ));
                                return None;
                            }
                            self.stack
                                .borrow_mut()
                                .push((format!("type {other}"), def.name.span));
                            let r = self.resolve_type(&def.ty);
                            self.stack.borrow_mut().pop();
                            r?
                        }
                        None => {
                            let names: Vec<&str> = ["string", "number", "bool", "any"]
                                .into_iter()
                                .chain(self.module().types.keys().map(String::as_str))
                                .collect();
                            let d = Diagnostic::new(&codes::E0225)
                                .with_primary(n.span, format!("there is no type `{other}`"));
                            self.ctx
                                .report(match suggest(other, names.iter().copied()) {
                                    Some(s) => d.with_help(format!("Did you mean `{s}`?")),
                                    None => d.with_help(format!(
                                        "Declared types are: {}.",
                                        names.join(", ")
                                    )),
                                });
                            return None;
                        }
                    },
                }
            }
            K::List(e) => Type::list(self.resolve_type(e)?),
            K::Set(e) => Type::set(self.resolve_type(e)?),
            K::Map(e) => Type::map(self.resolve_type(e)?),
            K::Tuple(es) => Type::Tuple(
                es.iter()
                    .map(|e| self.resolve_type(e))
                    .collect::<Option<Vec<_>>>()?,
            ),
            K::Union(lits) => Type::string_union(lits.iter().map(|l| l.value.clone())),
            K::Optional(inner, _) => {
                self.ctx.report(
                    Diagnostic::new(&codes::E0226)
                        .with_primary(t.span, "`optional` marks an attribute of an object type")
                        .with_help("Use it inside `object({ name: optional(string) })`."),
                );
                self.resolve_type(inner)?
            }
            K::Object(fields) => {
                let mut attrs = IndexMap::new();
                for f in fields {
                    let attr = match &f.ty.kind {
                        K::Optional(inner, default) => {
                            let ty = self.resolve_type(inner)?;
                            match default {
                                Some(d) => {
                                    let dv = self.eval(d)?;
                                    ObjectAttr::optional_with_default(ty, dv)
                                }
                                None => ObjectAttr::optional(ty),
                            }
                        }
                        _ => ObjectAttr::required(self.resolve_type(&f.ty)?),
                    };
                    attrs.insert(f.name.clone(), attr);
                }
                Type::Object(attrs)
            }
        })
    }

    fn let_value(&self, name: &str) -> Option<Value> {
        let def = self.module().lets.get(name)?;
        let state = self.lets.borrow().get(name).cloned()?;
        match state {
            Lazy::Done(v) => Some(v),
            Lazy::InProgress => {
                self.report_cycle(&format!("let {name}"), def.name.span);
                None
            }
            Lazy::Pending => {
                self.lets
                    .borrow_mut()
                    .insert(name.to_string(), Lazy::InProgress);
                self.stack
                    .borrow_mut()
                    .push((format!("let {name}"), def.name.span));
                let v = self.eval_in(&self.with_bindings(None, None, None), &def.value);
                self.stack.borrow_mut().pop();
                // A failed let is remembered as unknown so that its error is reported once.
                let stored = v.clone().unwrap_or_else(|| Value::unknown(Type::Any));
                self.lets
                    .borrow_mut()
                    .insert(name.to_string(), Lazy::Done(stored.clone()));
                Some(stored)
            }
        }
    }

    fn report_cycle(&self, what: &str, span: Span) {
        let stack = self.stack.borrow();
        let start = stack.iter().position(|(w, _)| w == what).unwrap_or(0);
        let cycle: Vec<&(String, Span)> = stack
            .get(start..)
            .map(|s| s.iter().collect())
            .unwrap_or_default();
        let path: Vec<&str> = cycle
            .iter()
            .map(|(w, _)| w.as_str())
            .chain([what])
            .collect();
        let mut d = Diagnostic::new(&codes::E0207)
            .with_primary(span, format!("`{what}` depends on itself"));
        for (w, s) in cycle.iter().skip(1) {
            d = d.with_secondary(*s, format!("through `{w}`"));
        }
        self.ctx.report(d.with_help(format!(
            "The cycle is: {}. Break it by removing one of these references.",
            path.join(" → ")
        )));
    }

    fn check_provider(&self, name: &str, p: &crate::config::ProviderConfig) {
        match self.ctx.schemas.provider(name) {
            Some(schema) => self.check_body(&p.block.body, &schema, &format!("provider `{name}`")),
            None => self.ctx.report(Diagnostic::new(&codes::E0227).with_primary(
                p.block.labels.first().map_or(p.block.kind.span, |l| l.span),
                format!("there is no provider `{name}`"),
            )),
        }
    }

    /// The provider owning `addr`'s type: the longest prefix up to an `_` that names a
    /// provider (`ibm_quantum_job` → `ibm_quantum`), else the part before the first `_`.
    fn provider_of(&self, addr: &ResourceAddr) -> String {
        let name = &addr.type_name;
        name.match_indices('_')
            .map(|(i, _)| &name[..i])
            .filter(|prefix| self.ctx.schemas.provider(prefix).is_some())
            .last()
            .unwrap_or_else(|| addr.provider_name())
            .to_string()
    }

    fn schema_of(&self, addr: &ResourceAddr) -> Option<ResourceType> {
        match addr.mode {
            crate::addr::Mode::Managed => self.ctx.schemas.resource(&addr.type_name),
            crate::addr::Mode::Data => self.ctx.schemas.data_source(&addr.type_name),
        }
    }

    /// The value of a resource as expressions see it here: unknown objects of the
    /// schema's type, expanded by `count`/`for_each` when those are known.
    fn resource_value(&self, addr: &ResourceAddr) -> Option<Value> {
        let r = self.module().resources.get(addr)?;
        let ty = self.object_type_of(addr);
        let one = self.instance_placeholder(addr);
        if let Some(c) = &r.count {
            return Some(match self.eval(c).and_then(|v| v.as_number()) {
                Some(n) if n >= 0.0 => Value::tuple((0..n as usize).map(|_| one.clone())),
                _ => Value::unknown(Type::list(ty)),
            });
        }
        if let Some(f) = &r.for_each {
            return Some(match self.eval(f) {
                Some(v) => match for_each_keys(&v) {
                    Some(keys) => Value::object(keys.into_iter().map(|(k, _)| (k, one.clone()))),
                    None => Value::unknown(Type::map(ty)),
                },
                None => Value::unknown(Type::map(ty)),
            });
        }
        Some(one)
    }

    /// One instance of `addr` before apply: unknown, of the schema's type, with the
    /// attributes the schema calls sensitive marked (an output reading one must say
    /// `sensitive = true`).
    fn instance_placeholder(&self, addr: &ResourceAddr) -> Value {
        let ty = self.object_type_of(addr);
        let sensitive: Vec<String> = self
            .schema_of(addr)
            .map(|s| {
                s.attributes
                    .iter()
                    .filter(|(_, a)| a.sensitive)
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default();
        match &ty {
            Type::Object(attrs) if !sensitive.is_empty() => {
                Value::object(attrs.iter().map(|(k, a)| {
                    let v = Value::unknown(a.ty.clone());
                    (
                        k.clone(),
                        if sensitive.contains(k) {
                            v.mark_sensitive()
                        } else {
                            v
                        },
                    )
                }))
            }
            _ => Value::unknown(ty),
        }
    }

    /// The object type of one instance of `addr` (see [`Ctx::object_types`]).
    fn object_type_of(&self, addr: &ResourceAddr) -> Type {
        let key = (addr.mode, addr.type_name.clone());
        if let Some(t) = self.ctx.object_types.borrow().get(&key) {
            return t.clone();
        }
        let ty = self.schema_of(addr).map_or(Type::Any, |s| s.object_type());
        self.ctx.object_types.borrow_mut().insert(key, ty.clone());
        ty
    }

    /// `addr[key]` as indexing [`Instance::resource_value`] would give it, without
    /// building the tuple or object of every instance; `None` where that indexing would
    /// not simply pick an element (the caller then resolves and indexes as usual).
    /// The instances of a counted resource one by one: what the tuple of
    /// [`Instance::resource_value`] holds, without building it.
    fn resource_elements(&self, addr: &ResourceAddr, each: &mut dyn FnMut(&Value)) -> bool {
        let Some(c) = self
            .module()
            .resources
            .get(addr)
            .and_then(|r| r.count.as_ref())
        else {
            return false;
        };
        match self.eval(c).and_then(|v| v.as_number()) {
            Some(n) if n >= 0.0 => {
                let one = self.instance_placeholder(addr);
                for _ in 0..n as usize {
                    each(&one);
                }
                true
            }
            _ => false,
        }
    }

    fn resource_element(
        &self,
        addr: &ResourceAddr,
        key: &mut dyn FnMut() -> Option<Value>,
    ) -> Option<Value> {
        let r = self.module().resources.get(addr)?;
        if let Some(c) = &r.count {
            let n = self.eval(c).and_then(|v| v.as_number())?;
            if n < 0.0 {
                return None;
            }
            let k = key()?;
            let ValueKind::Number(i) = k.kind() else {
                return None;
            };
            if k.is_sensitive() || *i < 0.0 || i.fract() != 0.0 || *i as usize >= n as usize {
                return None;
            }
            return Some(self.instance_placeholder(addr));
        }
        if let Some(f) = &r.for_each {
            let keys = for_each_keys(&self.eval(f)?)?;
            let k = key()?;
            let ValueKind::String(s) = k.kind() else {
                return None;
            };
            if k.is_sensitive() || !keys.iter().any(|(name, _)| name == s) {
                return None;
            }
            return Some(self.instance_placeholder(addr));
        }
        None
    }

    fn check_resource(&self, r: &crate::config::Resource) {
        let kind = if r.addr.mode == crate::addr::Mode::Data {
            "data source"
        } else {
            "resource"
        };
        let type_span = r.block.labels.first().map_or(r.block.kind.span, |l| l.span);
        let Some(schema) = self.schema_of(&r.addr) else {
            let types = if r.addr.mode == crate::addr::Mode::Data {
                self.ctx.schemas.data_source_types()
            } else {
                self.ctx.schemas.resource_types()
            };
            let d = Diagnostic::new(&codes::E0228).with_primary(
                type_span,
                format!("no provider offers the {kind} type `{}`", r.addr.type_name),
            );
            self.ctx.report(
                match suggest(&r.addr.type_name, types.iter().map(String::as_str)) {
                    Some(s) => d.with_help(format!("Did you mean `{s}`?")),
                    None => d.with_help(
                        "See docs/providers/ for the resource types each provider offers.",
                    ),
                },
            );
            return;
        };
        // Provider alias must exist.
        if let Some(alias) = &r.provider_alias {
            let key = (self.provider_of(&r.addr), Some(alias.name.clone()));
            if !self.module().providers.contains_key(&key) {
                self.ctx.report(
                    Diagnostic::new(&codes::E0229)
                        .with_primary(
                            alias.span,
                            format!(
                                "there is no `provider {} {}` in this module",
                                key.0, alias.name
                            ),
                        )
                        .with_help(format!(
                            "Declare it: `provider {} {} {{ … }}`.",
                            key.0, alias.name
                        )),
                );
            }
        }
        let instances: Vec<ExpandedInstance> = if let Some(c) = &r.count {
            match self.eval(c) {
                Some(v) => match v.kind() {
                    ValueKind::Number(n) if *n >= 0.0 && n.fract() == 0.0 => (0..*n as usize)
                        .map(|i| ExpandedInstance {
                            key: Some(InstanceKey::Int(i as u64)),
                            each: None,
                            count: Some(Value::object([("index", Value::number(i as f64))])),
                        })
                        .collect(),
                    ValueKind::Unknown(_) => {
                        self.ctx.report(self.unknown_expansion("count", c));
                        return;
                    }
                    _ => {
                        self.ctx.report(Diagnostic::new(&codes::E0301).with_primary(
                            c.span,
                            format!("`count` must be a whole number ≥ 0, found {}", v.type_of()),
                        ));
                        return;
                    }
                },
                None => return,
            }
        } else if let Some(f) = &r.for_each {
            match self.eval(f) {
                Some(v) if !v.is_known() => {
                    self.ctx.report(self.unknown_expansion("for_each", f));
                    return;
                }
                Some(v) if v.contains_sensitive() => {
                    self.ctx.report(sensitive_for_each(f));
                    return;
                }
                Some(v) => match for_each_keys(&v) {
                    Some(keys) => keys
                        .into_iter()
                        .map(|(k, val)| ExpandedInstance {
                            key: Some(InstanceKey::Str(k.clone())),
                            each: Some(Value::object([("key", Value::string(k)), ("value", val)])),
                            count: None,
                        })
                        .collect(),
                    None => {
                        self.ctx.report(
                            Diagnostic::new(&codes::E0301)
                                .with_primary(
                                    f.span,
                                    format!(
                                        "`for_each` takes a map or a set of strings, found {}",
                                        v.type_of()
                                    ),
                                )
                                .with_help("Convert a list with `toset(…)`."),
                        );
                        return;
                    }
                },
                None => return,
            }
        } else {
            vec![ExpandedInstance {
                key: None,
                each: None,
                count: None,
            }]
        };
        for i in &instances {
            let scope = self.with_bindings(i.each.clone(), i.count.clone(), None);
            self.check_body_in(
                &scope,
                &r.block.body,
                &schema,
                &format!("{kind} `{}`", r.addr),
                &Resource_META,
            );
        }
        // `lifecycle`: the two settings that are values are checked like attributes (a
        // misspelt name must not silently turn `prevent_destroy` off); the other two
        // are lists of references, read by the engine.
        if let Some(lc) = r.block.body.blocks().find(|b| b.kind.name == "lifecycle") {
            // `self` is the instance, as in policies (its attributes unknown here).
            let self_value = Value::unknown(schema.object_type());
            let flag = AttributeInfo {
                ty: Type::Bool,
                required: false,
                computed: false,
                sensitive: false,
            };
            let schema = ResourceType {
                attributes: ["create_before_destroy", "prevent_destroy"]
                    .into_iter()
                    .map(|n| (n.to_string(), flag.clone()))
                    .collect(),
                blocks: IndexMap::new(),
            };
            for i in &instances {
                let scope =
                    self.with_bindings(i.each.clone(), i.count.clone(), Some(self_value.clone()));
                self.check_body_in(
                    &scope,
                    &lc.body,
                    &schema,
                    "`lifecycle`",
                    &["ignore_changes", "replace_triggered_by"],
                );
            }
        }
        self.expanded.borrow_mut().insert(r.addr.clone(), instances);
        if let Some(d) = &r.depends_on {
            let _ = self.eval(d);
        }
    }

    fn check_body(&self, body: &ast::Body, schema: &ResourceType, what: &str) {
        let scope = self.with_bindings(self.each.clone(), self.count.clone(), None);
        self.check_body_in(&scope, body, schema, what, &[]);
    }

    fn check_body_in(
        &self,
        scope: &dyn Scope,
        body: &ast::Body,
        schema: &ResourceType,
        what: &str,
        meta: &[&str],
    ) {
        let names: Vec<&str> = schema
            .attributes
            .keys()
            .chain(schema.blocks.keys())
            .map(String::as_str)
            .chain(meta.iter().copied())
            .collect();
        for a in body.attributes() {
            let name = a.name.name.as_str();
            if meta.contains(&name) {
                continue;
            }
            match schema.attributes.get(name) {
                Some(info) => {
                    if info.computed && !info.required && is_computed_only(info) {
                        self.ctx.report(Diagnostic::new(&codes::E0232).with_primary(
                            a.name.span,
                            format!("`{name}` is computed by the provider and cannot be set"),
                        ));
                        continue;
                    }
                    let Some(v) = self.eval_in(scope, &a.value) else {
                        continue;
                    };
                    if let Err(m) = info.ty.conform(&v) {
                        self.ctx.report(
                            Diagnostic::new(&codes::E0301)
                                .with_primary(a.value.span, describe_mismatch(&m))
                                .with_help(format!("`{name}` of {what} is of type {}.", info.ty)),
                        );
                    }
                }
                None => {
                    let d = Diagnostic::new(&codes::E0230)
                        .with_primary(a.name.span, format!("{what} has no attribute `{name}`"));
                    self.ctx.report(match suggest(name, names.iter().copied()) {
                        Some(s) => d.with_help(format!("Did you mean `{s}`?")),
                        None => d.with_help(format!("Its attributes are: {}.", names.join(", "))),
                    });
                }
            }
        }
        for b in body.blocks() {
            let name = b.kind.name.as_str();
            if meta.contains(&name) {
                continue;
            }
            match schema.blocks.get(name) {
                Some(info) => self.check_body_in(
                    scope,
                    &b.body,
                    &info.schema,
                    &format!("block `{name}`"),
                    &[],
                ),
                None => {
                    let d = Diagnostic::new(&codes::E0237)
                        .with_primary(b.kind.span, format!("{what} has no block `{name}`"));
                    self.ctx.report(match suggest(name, names.iter().copied()) {
                        Some(s) => d.with_help(format!("Did you mean `{s}`?")),
                        None => d,
                    });
                }
            }
        }
        let head = body.span;
        let missing: Vec<&str> = schema
            .attributes
            .iter()
            .filter(|(k, a)| a.required && body.attribute(k).is_none())
            .map(|(k, _)| k.as_str())
            .chain(
                schema
                    .blocks
                    .iter()
                    .filter(|(k, b)| b.min_items > 0 && !body.blocks().any(|x| x.kind.name == **k))
                    .map(|(k, _)| k.as_str()),
            )
            .collect();
        if !missing.is_empty() {
            let list: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
            self.ctx.report(
                Diagnostic::new(&codes::E0231)
                    .with_primary(
                        Span {
                            end: head.start + 1,
                            ..head
                        },
                        format!("{what} needs {}", list.join(", ")),
                    )
                    .with_help(format!("Add {} to this block.", list.join(", "))),
            );
        }
    }

    /// Evaluates a module call's instances (checking their arguments and bodies) and
    /// returns the value `module.NAME` has here.
    fn module_value(&self, name: &str) -> Option<Value> {
        let call = self.module().module_calls.get(name)?;
        let state = self.modules.borrow().get(name).cloned()?;
        match state {
            Lazy::Done(v) => return Some(v),
            Lazy::InProgress => {
                self.report_cycle(&format!("module {name}"), call.name.span);
                return None;
            }
            Lazy::Pending => {}
        }
        let Some(child) = self.tree.children.get(name) else {
            return Some(Value::unknown(Type::Any));
        };
        self.modules
            .borrow_mut()
            .insert(name.to_string(), Lazy::InProgress);
        self.stack
            .borrow_mut()
            .push((format!("module {name}"), call.name.span));
        let expansions: Option<Vec<CallExpansion>> = if let Some(f) = &call.for_each {
            self.eval(f).and_then(|v| {
                if !v.is_known() {
                    self.ctx.report(self.unknown_expansion("for_each", f));
                    return None;
                }
                if v.contains_sensitive() {
                    self.ctx.report(sensitive_for_each(f));
                    return None;
                }
                for_each_keys(&v).map(|ks| {
                    ks.into_iter()
                        .map(|(k, val)| {
                            (
                                Some(k.clone()),
                                Some(Value::object([("key", Value::string(k)), ("value", val)])),
                                None,
                            )
                        })
                        .collect()
                })
            })
        } else if let Some(c) = &call.count {
            self.eval(c).and_then(|v| v.as_number()).map(|n| {
                (0..n.max(0.0) as usize)
                    .map(|i| {
                        (
                            Some(i.to_string()),
                            None,
                            Some(Value::object([("index", Value::number(i as f64))])),
                        )
                    })
                    .collect()
            })
        } else {
            Some(vec![(None, None, None)])
        };
        let mut outputs = Vec::new();
        let expansions = expansions.unwrap_or_default();
        self.calls.borrow_mut().insert(
            name.to_string(),
            expansions
                .iter()
                .map(|(key, each, count)| ExpandedInstance {
                    key: key.as_ref().map(|k| {
                        if call.count.is_some() {
                            InstanceKey::Int(k.parse().unwrap_or(0))
                        } else {
                            InstanceKey::Str(k.clone())
                        }
                    }),
                    each: each.clone(),
                    count: count.clone(),
                })
                .collect(),
        );
        for (key, each, count) in expansions {
            let child_key = key.as_ref().map(|k| {
                if call.count.is_some() {
                    InstanceKey::Int(k.parse().unwrap_or(0))
                } else {
                    InstanceKey::Str(k.clone())
                }
            });
            let scope = self.with_bindings(each, count, None);
            let mut args = IndexMap::new();
            for a in call.arguments() {
                if !child.module.variables.contains_key(&a.name.name) {
                    let d = Diagnostic::new(&codes::E0233).with_primary(
                        a.name.span,
                        format!("module `{name}` has no variable `{}`", a.name.name),
                    );
                    self.ctx.report(
                        match suggest(
                            &a.name.name,
                            child.module.variables.keys().map(String::as_str),
                        ) {
                            Some(s) => d.with_help(format!("Did you mean `{s}`?")),
                            None => d,
                        },
                    );
                    continue;
                }
                if let Some(v) = self.eval_in(&scope, &a.value) {
                    if let Some(Some(ty)) = child
                        .module
                        .variables
                        .get(&a.name.name)
                        .and_then(|var| var.ty.as_ref())
                        .map(|t| {
                            Instance::new(self.ctx, child, IndexMap::new(), self.path.clone())
                                .resolve_type(t)
                        })
                    {
                        match ty.conform(&v) {
                            Ok(conformed) => {
                                args.insert(a.name.name.clone(), conformed);
                            }
                            Err(m) => {
                                self.ctx.report(
                                    Diagnostic::new(&codes::E0301)
                                        .with_primary(a.value.span, describe_mismatch(&m))
                                        .with_help(format!(
                                            "The module's variable `{}` is of type {ty}.",
                                            a.name.name
                                        )),
                                );
                                args.insert(a.name.name.clone(), Value::unknown(ty));
                            }
                        }
                    } else {
                        args.insert(a.name.name.clone(), v);
                    }
                }
            }
            let mut missing = Vec::new();
            for (vn, var) in &child.module.variables {
                if args.contains_key(vn) {
                    continue;
                }
                match &var.default {
                    Some(d) => {
                        let inst =
                            Instance::new(self.ctx, child, IndexMap::new(), self.path.clone());
                        if let Some(v) = inst.eval(d) {
                            args.insert(vn.clone(), v);
                        }
                    }
                    None => missing.push(vn.clone()),
                }
            }
            if !missing.is_empty() {
                self.ctx.report(
                    Diagnostic::new(&codes::E0234)
                        .with_primary(
                            call.name.span,
                            format!(
                                "module `{name}` needs {}",
                                missing
                                    .iter()
                                    .map(|m| format!("`{m}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        )
                        .with_help("Pass a value for each variable that has no default."),
                );
                for m in missing {
                    args.insert(m, Value::unknown(Type::Any));
                }
            }
            let inst = Instance::new(self.ctx, child, args, self.path.child(name, child_key));
            inst.check_all();
            let outs: IndexMap<String, Value> = child
                .module
                .outputs
                .iter()
                .map(|(k, o)| {
                    (
                        k.clone(),
                        inst.eval(&o.value)
                            .unwrap_or_else(|| Value::unknown(Type::Any)),
                    )
                })
                .collect();
            outputs.push((key, Value::object(outs)));
        }
        self.stack.borrow_mut().pop();
        let value = if call.for_each.is_some() {
            Value::object(outputs.into_iter().map(|(k, v)| (k.unwrap_or_default(), v)))
        } else if call.count.is_some() {
            Value::tuple(outputs.into_iter().map(|(_, v)| v))
        } else {
            outputs
                .into_iter()
                .next()
                .map_or_else(|| Value::unknown(Type::Any), |(_, v)| v)
        };
        self.modules
            .borrow_mut()
            .insert(name.to_string(), Lazy::Done(value.clone()));
        Some(value)
    }

    fn check_output(&self, o: &ast::Output) {
        let Some(v) = self.eval(&o.value) else { return };
        let declared_sensitive = o
            .body
            .as_ref()
            .and_then(|b| b.attribute("sensitive"))
            .and_then(|a| self.eval(&a.value))
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        if v.contains_sensitive() && !declared_sensitive {
            self.ctx.report(
                Diagnostic::new(&codes::E0235)
                    .with_primary(o.value.span, "this value is derived from a sensitive value")
                    .with_secondary(o.name.span, format!("output `{}`", o.name.name))
                    .with_help("Add `sensitive = true` in the output's body if you intend to expose it: `output NAME = … { sensitive = true }`."),
            );
        }
    }

    /// A `policy` block: known attributes, `assert` or `rego` (not both), a bool
    /// assertion and a string message over `self` of each listed resource type, a known
    /// `level`, resource types that exist.
    fn check_policy(&self, b: &ast::Block) {
        let what = format!(
            "policy `{}`",
            b.labels.first().map_or("", |l| l.value.as_str())
        );
        for a in b.body.attributes() {
            let name = a.name.name.as_str();
            if !POLICY_ATTRIBUTES.contains(&name) {
                let d = Diagnostic::new(&codes::E0801)
                    .with_primary(a.name.span, format!("{what} has no attribute `{name}`"));
                self.ctx
                    .report(match suggest(name, POLICY_ATTRIBUTES.iter().copied()) {
                        Some(s) => d.with_help(format!("Did you mean `{s}`?")),
                        None => d.with_help(format!(
                            "A policy takes: {}.",
                            POLICY_ATTRIBUTES.join(", ")
                        )),
                    });
            }
        }
        for inner in b.body.blocks() {
            self.ctx.report(
                Diagnostic::new(&codes::E0801)
                    .with_primary(inner.kind.span, format!("{what} takes no blocks"))
                    .with_help(format!(
                        "A policy takes the attributes {}.",
                        POLICY_ATTRIBUTES.join(", ")
                    )),
            );
        }
        let attr = |n: &str| b.body.attribute(n);
        let head = Span {
            end: b.body.span.start + 1,
            ..b.body.span
        };
        match (attr("assert"), attr("rego")) {
            (None, None) => self.ctx.report(
                Diagnostic::new(&codes::E0802)
                    .with_primary(head, format!("{what} has neither `assert` nor `rego`"))
                    .with_help(
                        "Add `assert = EXPR` (checked on each planned resource, `self` being the resource) or `rego = file(\"x.rego\")` (checked on the whole plan).",
                    ),
            ),
            (Some(a), Some(r)) => self.ctx.report(
                Diagnostic::new(&codes::E0802)
                    .with_primary(r.name.span, format!("{what} has both `assert` and `rego`"))
                    .with_secondary(a.name.span, "the native assertion")
                    .with_help("Split it into two policies: one with `assert`, one with `rego`."),
            ),
            _ => {}
        }
        if let Some(r) = attr("rego") {
            for other in ["resources", "message"] {
                if let Some(a) = attr(other) {
                    self.ctx.report(
                        Diagnostic::new(&codes::E0801)
                            .with_primary(a.name.span, format!("`{other}` is for `assert` policies"))
                            .with_secondary(r.name.span, "this policy is a Rego policy")
                            .with_help("A Rego policy reads the whole plan as `input`; its rule's results are the messages."),
                    );
                }
            }
        }
        let constant_string = |a: &ast::Attribute, what_for: &str| -> Option<String> {
            let v = self.eval(&a.value)?;
            match v.as_str() {
                Some(s) => Some(s.to_string()),
                None if !v.is_known() => None,
                None => {
                    self.ctx.report(
                        Diagnostic::new(&codes::E0301)
                            .with_primary(
                                a.value.span,
                                format!("expected a string, found {}", v.type_of()),
                            )
                            .with_help(format!("`{}` of a policy is {what_for}.", a.name.name)),
                    );
                    None
                }
            }
        };
        if let Some(a) = attr("level") {
            if let Some(level) = constant_string(a, "\"error\" or \"warning\"") {
                if !POLICY_LEVELS.contains(&level.as_str()) {
                    let d = Diagnostic::new(&codes::E0803)
                        .with_primary(a.value.span, format!("`{level}` is not a policy level"));
                    self.ctx.report(match suggest(&level, POLICY_LEVELS.iter().copied()) {
                        Some(s) => d.with_help(format!("Did you mean `\"{s}\"`? Levels are \"error\" (blocks plan and apply) and \"warning\" (reported only).")),
                        None => d.with_help("Levels are \"error\" (blocks plan and apply) and \"warning\" (reported only)."),
                    });
                }
            }
        }
        if let Some(a) = attr("query") {
            let _ = constant_string(a, "a Rego rule path such as \"data.aic.deny\"");
        }
        if let Some(a) = attr("rego") {
            let _ = constant_string(a, "Rego source text, usually `file(\"policies/x.rego\")`");
        }
        // The resource types the assertion sees as `self`; `None` stands for every type.
        let mut types: Vec<Option<String>> = Vec::new();
        if let Some(a) = attr("resources") {
            if let Some(v) = self.eval(&a.value) {
                let items: Option<Vec<Value>> = match v.kind() {
                    ValueKind::List(xs) | ValueKind::Tuple(xs) | ValueKind::Set(xs) => {
                        Some(xs.to_vec())
                    }
                    _ => None,
                };
                let literal_spans: Vec<Span> = match &a.value.kind {
                    ast::ExprKind::List(xs) => xs.iter().map(|x| x.span).collect(),
                    _ => Vec::new(),
                };
                match items {
                    Some(items) => {
                        let known = self.ctx.schemas.resource_types();
                        for (i, item) in items.iter().enumerate() {
                            let span = literal_spans.get(i).copied().unwrap_or(a.value.span);
                            let Some(t) = item.as_str() else {
                                if item.is_known() {
                                    self.ctx.report(
                                        Diagnostic::new(&codes::E0301)
                                            .with_primary(span, format!("expected a resource type name, found {}", item.type_of()))
                                            .with_help("`resources` is a list of resource type names, e.g. [\"local_file\"]."),
                                    );
                                }
                                continue;
                            };
                            if self.ctx.schemas.resource(t).is_none() {
                                let d = Diagnostic::new(&codes::E0228)
                                    .with_primary(span, format!("no provider offers the resource type `{t}`"));
                                self.ctx.report(match suggest(t, known.iter().map(String::as_str)) {
                                    Some(s) => d.with_help(format!("Did you mean `{s}`?")),
                                    None => d.with_help("See docs/providers/ for the resource types each provider offers."),
                                });
                                continue;
                            }
                            types.push(Some(t.to_string()));
                        }
                    }
                    None if !v.is_known() => types.push(None),
                    None => self.ctx.report(
                        Diagnostic::new(&codes::E0301)
                            .with_primary(a.value.span, format!("expected a list of resource type names, found {}", v.type_of()))
                            .with_help("`resources` is a list of resource type names, e.g. [\"local_file\"]."),
                    ),
                }
            }
        } else {
            types.push(None);
        }
        let Some(assert) = attr("assert") else { return };
        let message = attr("message");
        for t in types {
            let object = match &t {
                Some(t) => self.object_type_of(&ResourceAddr::managed(t.as_str(), "")),
                None => Type::Any,
            };
            let scope = self.with_bindings(
                self.each.clone(),
                self.count.clone(),
                Some(Value::unknown(policy_self_type(object))),
            );
            if let Some(v) = self.eval_in(&scope, &assert.value) {
                if let Err(m) = Type::Bool.conform(&v) {
                    self.ctx.report(
                        Diagnostic::new(&codes::E0301)
                            .with_primary(assert.value.span, describe_mismatch(&m))
                            .with_help("`assert` must be a bool: true when the resource complies."),
                    );
                }
            }
            if let Some(m) = message {
                if let Some(v) = self.eval_in(&scope, &m.value) {
                    if let Err(mm) = Type::String.conform(&v) {
                        self.ctx.report(
                            Diagnostic::new(&codes::E0301)
                                .with_primary(m.value.span, describe_mismatch(&mm))
                                .with_help("`message` is a string, e.g. \"${self.address} needs an owner tag\"."),
                        );
                    }
                }
            }
        }
    }

    /// E0240, with a secondary label on the reference that is unknown before apply.
    fn unknown_expansion(&self, what: &str, e: &Expr) -> Diagnostic {
        let mut d = Diagnostic::new(&codes::E0240).with_primary(
            e.span,
            format!("`{what}` depends on a value known only after apply"),
        );
        let mut culprit = None;
        find_unknown_reference(e, &mut |x: &Expr| {
            if culprit.is_some() {
                return;
            }
            let scope = self.with_bindings(self.each.clone(), self.count.clone(), None);
            let mut ev = Evaluator::new(&scope, self.functions());
            if ev.eval(x).is_ok_and(|v| !v.is_known()) {
                culprit = Some(x.span);
            }
        });
        // The culprit is worth its own label only when it is part of the expression;
        // when it is the whole expression, the primary label already points at it.
        if let Some(span) = culprit.filter(|s| *s != e.span) {
            d = d.with_secondary(span, "this is known only after apply");
        }
        d.with_help(format!(
            "`{what}` must be computable from variables, lets and environment attributes; move the unknown value out of it."
        ))
    }

    /// Static cycles among resources (references and `depends_on`).
    fn check_resource_cycles(&self) {
        let m = self.module();
        let mut edges: IndexMap<&ResourceAddr, Vec<(&ResourceAddr, Span)>> = IndexMap::new();
        for (addr, r) in &m.resources {
            let mut refs = Vec::new();
            for e in r.block.body.attributes().map(|a| &a.value) {
                collect_resource_refs(e, m, &mut refs);
            }
            for b in r.block.body.blocks() {
                for a in b.body.attributes() {
                    collect_resource_refs(&a.value, m, &mut refs);
                }
            }
            // One instance of a counted resource may read another (a chain); the
            // engine's per-instance graph decides whether that is a real cycle.
            if r.count.is_some() || r.for_each.is_some() {
                refs.retain(|(to, _)| *to != addr);
            }
            edges.insert(addr, refs);
        }
        // Iterative DFS with colours.
        let mut colour: IndexMap<&ResourceAddr, u8> = edges.keys().map(|k| (*k, 0u8)).collect();
        for start in edges.keys() {
            if colour.get(start) != Some(&0) {
                continue;
            }
            let mut path: Vec<(&ResourceAddr, usize)> = vec![(start, 0)];
            colour.insert(start, 1);
            while let Some((node, i)) = path.last().copied() {
                let next = edges.get(node).and_then(|v| v.get(i)).copied();
                match next {
                    Some((to, span)) => {
                        if let Some(last) = path.last_mut() {
                            last.1 += 1;
                        }
                        match colour.get(to).copied().unwrap_or(2) {
                            0 => {
                                colour.insert(to, 1);
                                path.push((to, 0));
                            }
                            1 => {
                                let from = path.iter().position(|(n, _)| *n == to).unwrap_or(0);
                                let names: Vec<String> = path
                                    .get(from..)
                                    .unwrap_or(&[])
                                    .iter()
                                    .map(|(n, _)| n.to_string())
                                    .chain([to.to_string()])
                                    .collect();
                                let mut d = Diagnostic::new(&codes::E0207).with_primary(
                                    span,
                                    format!("`{node}` refers to `{to}`, which depends on `{node}`"),
                                );
                                for (n, _) in path.get(from..).unwrap_or(&[]) {
                                    if let Some(r) = m.resources.get(*n) {
                                        d = d.with_secondary(
                                            r.block.labels.get(1).map_or(r.block.span, |l| l.span),
                                            format!("`{n}`"),
                                        );
                                    }
                                }
                                self.ctx.report(d.with_help(format!(
                                    "The cycle is: {}. Remove one of these references.",
                                    names.join(" → ")
                                )));
                            }
                            _ => {}
                        }
                    }
                    None => {
                        colour.insert(node, 2);
                        path.pop();
                    }
                }
            }
        }
    }
}

/// One instance of a module call: its key (as text), `each` and `count` bindings.
type CallExpansion = (Option<String>, Option<Value>, Option<Value>);

#[allow(non_upper_case_globals)]
const Resource_META: [&str; 5] = crate::config::Resource::META;

fn is_computed_only(a: &AttributeInfo) -> bool {
    a.computed && !a.required
}

/// Calls `f` on every reference (a name with its attribute steps) inside `e`.
fn find_unknown_reference(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    use crate::ast::ExprKind as K;
    match &e.kind {
        K::GetAttr(..) | K::Name(_) => f(e),
        K::Index(a, b) | K::Binary(_, a, b) => {
            find_unknown_reference(a, f);
            find_unknown_reference(b, f);
        }
        K::Splat(a) | K::Paren(a) | K::Unary(_, a) => find_unknown_reference(a, f),
        K::Conditional(a, b, c) => {
            for x in [a, b, c] {
                find_unknown_reference(x, f);
            }
        }
        K::List(xs) => xs.iter().for_each(|x| find_unknown_reference(x, f)),
        K::Object(items) => items
            .iter()
            .for_each(|i| find_unknown_reference(&i.value, f)),
        K::Call(c) => c.args.iter().for_each(|x| find_unknown_reference(x, f)),
        K::Template(t) => t.parts.iter().for_each(|p| {
            if let crate::ast::TemplatePart::Interpolation(x) = p {
                find_unknown_reference(x, f);
            }
        }),
        K::ForList(fe) | K::ForObject(fe) => find_unknown_reference(&fe.collection, f),
        K::Null | K::Bool(_) | K::Number(..) => {}
    }
}

/// Keys of a `for_each` value: a map/object (key → value) or a set/list of strings
/// (key → key).
fn for_each_keys(v: &Value) -> Option<Vec<(String, Value)>> {
    match v.kind() {
        ValueKind::Map(m) | ValueKind::Object(m) => {
            Some(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        }
        ValueKind::Set(xs) | ValueKind::List(xs) | ValueKind::Tuple(xs) => xs
            .iter()
            .map(|x| x.as_str().map(|s| (s.to_string(), Value::string(s))))
            .collect(),
        _ => None,
    }
}

fn describe_mismatch(m: &crate::types::TypeMismatch) -> String {
    use crate::types::MismatchKind as K;
    let at = if m.path.is_root() {
        String::new()
    } else {
        format!(" at `{}`", m.path)
    };
    match m.kind.as_ref() {
        K::WrongType { expected, found } => format!("expected {expected}, found {found}{at}"),
        K::NotAMember { value, allowed } => format!(
            "{} is not one of {}{at}",
            value
                .as_deref()
                .map_or("(sensitive value)".to_string(), |v| format!("{v:?}")),
            allowed
                .iter()
                .map(|a| format!("{a:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        K::MissingAttribute { name, expected } => {
            format!("missing attribute `{name}` of type {expected}{at}")
        }
        K::WrongLength { expected, found } => {
            format!("expected {expected} elements, found {found}{at}")
        }
    }
}

/// Resource references in an expression: `TYPE.NAME…` and `data.TYPE.NAME…`.
fn collect_resource_refs<'m>(e: &Expr, m: &'m Module, out: &mut Vec<(&'m ResourceAddr, Span)>) {
    use crate::ast::ExprKind as K;
    match &e.kind {
        K::GetAttr(base, name) => {
            if let K::Name(root) = &base.kind {
                if let Some((addr, _)) = m
                    .resources
                    .get_key_value(&ResourceAddr::managed(root.name.clone(), name.name.clone()))
                {
                    out.push((addr, e.span));
                    return;
                }
            }
            if let K::GetAttr(b2, ty) = &base.kind {
                if matches!(&b2.kind, K::Name(r) if r.name == "data") {
                    if let Some((addr, _)) = m
                        .resources
                        .get_key_value(&ResourceAddr::data(ty.name.clone(), name.name.clone()))
                    {
                        out.push((addr, e.span));
                        return;
                    }
                }
            }
            collect_resource_refs(base, m, out);
        }
        K::Index(a, b) => {
            collect_resource_refs(a, m, out);
            collect_resource_refs(b, m, out);
        }
        K::Splat(a) | K::Paren(a) | K::Unary(_, a) => collect_resource_refs(a, m, out),
        K::Binary(_, a, b) => {
            collect_resource_refs(a, m, out);
            collect_resource_refs(b, m, out);
        }
        K::Conditional(a, b, c) => {
            for x in [a, b, c] {
                collect_resource_refs(x, m, out);
            }
        }
        K::List(xs) => xs.iter().for_each(|x| collect_resource_refs(x, m, out)),
        K::Object(items) => items
            .iter()
            .for_each(|i| collect_resource_refs(&i.value, m, out)),
        K::Call(c) => c.args.iter().for_each(|x| collect_resource_refs(x, m, out)),
        K::Template(t) => t.parts.iter().for_each(|p| {
            if let crate::ast::TemplatePart::Interpolation(x) = p {
                collect_resource_refs(x, m, out);
            }
        }),
        K::ForList(f) | K::ForObject(f) => {
            for x in [
                Some(&f.collection),
                Some(&f.first),
                f.second.as_ref(),
                f.condition.as_ref(),
            ]
            .into_iter()
            .flatten()
            {
                collect_resource_refs(x, m, out);
            }
        }
        K::Null | K::Bool(_) | K::Number(..) | K::Name(_) => {}
    }
}

/// An instance scope with `each`/`count`/`self` bound.
struct Bound<'i, 'a> {
    inst: &'i Instance<'a>,
    each: Option<Value>,
    count: Option<Value>,
    self_value: Option<Value>,
}

const ROOTS: [&str; 9] = [
    "var", "env", "each", "count", "self", "path", "rollout", "data", "module",
];

impl Scope for Bound<'_, '_> {
    fn resolve(&self, path: &[&str]) -> Result<(Value, usize), ScopeMiss> {
        let inst = self.inst;
        let m = inst.module();
        let first = path.first().copied().unwrap_or("");
        let miss =
            |segment: usize, code: &'static Code, label: String, help: Option<String>| ScopeMiss {
                segment,
                code,
                label,
                help,
            };
        let did_you_mean = |name: &str, cands: Vec<&str>| {
            suggest(name, cands.iter().copied()).map(|s| format!("Did you mean `{s}`?"))
        };
        match first {
            "var" => {
                let Some(name) = path.get(1) else {
                    let obj = Value::object(inst.vars.iter().map(|(k, v)| (k.clone(), v.clone())));
                    return Ok((obj, 1));
                };
                match inst.vars.get(*name) {
                    Some(v) => {
                        let sensitive = m
                            .variables
                            .get(*name)
                            .and_then(|d| d.body.as_ref())
                            .and_then(|b| b.attribute("sensitive"))
                            .is_some_and(|a| {
                                matches!(a.value.kind, crate::ast::ExprKind::Bool(true))
                            });
                        Ok((
                            if sensitive {
                                v.clone().mark_sensitive()
                            } else {
                                v.clone()
                            },
                            2,
                        ))
                    }
                    None if m.variables.contains_key(*name) => Ok((Value::unknown(Type::Any), 2)),
                    None => Err(miss(
                        1,
                        &codes::E0202,
                        format!("there is no variable `{name}`"),
                        did_you_mean(name, m.variables.keys().map(String::as_str).collect())
                            .or(Some(format!("Declare it: `variable {name}: TYPE`."))),
                    )),
                }
            }
            "env" => {
                if let Some(attr) = path.get(1) {
                    if inst.ctx.env.get(attr).is_none() {
                        return Err(miss(1, &codes::E0236,
                            format!("environment `{}` has no attribute `{attr}`", inst.ctx.env_name),
                            Some(format!("Declare `{attr}` in every environment, or guard the read: `try(env.{attr}, DEFAULT)`."))));
                    }
                }
                Ok((inst.ctx.env.clone(), 1))
            }
            "each" => match &self.each {
                Some(v) => Ok((v.clone(), 1)),
                None => Err(miss(
                    0,
                    &codes::E0215,
                    "`each` is only defined in a block with `for_each`".into(),
                    None,
                )),
            },
            "count" => match &self.count {
                Some(v) => Ok((v.clone(), 1)),
                None => Err(miss(
                    0,
                    &codes::E0216,
                    "`count.index` is only defined in a block with `count`".into(),
                    None,
                )),
            },
            "self" => match &self.self_value {
                Some(v) => Ok((v.clone(), 1)),
                None => Err(miss(
                    0,
                    &codes::E0217,
                    "`self` is only defined in `lifecycle`, `policy` and `validate` blocks".into(),
                    None,
                )),
            },
            // Checking touches no machine: `path.cwd` is checked as the root directory (a
            // string, as at plan time, when the engine gives the real one).
            "path" => Ok((
                crate::eval::path_object(&m.dir, &inst.ctx.root_dir, &inst.ctx.root_dir),
                1,
            )),
            "rollout" => Ok((
                Value::object([
                    ("weight", Value::number(100.0)),
                    ("name", Value::string("")),
                    ("phase", Value::string("")),
                    ("target", Value::string("")),
                ]),
                1,
            )),
            "data" => {
                let (Some(ty), Some(name)) = (path.get(1), path.get(2)) else {
                    return Err(miss(
                        0,
                        &codes::E0203,
                        "expected `data.TYPE.NAME`".into(),
                        None,
                    ));
                };
                let addr = ResourceAddr::data(*ty, *name);
                match inst.resource_value(&addr) {
                    Some(v) => Ok((v, 3)),
                    None => {
                        let cands: Vec<String> = m
                            .resources
                            .keys()
                            .filter(|a| a.mode == crate::addr::Mode::Data)
                            .map(|a| a.to_string())
                            .collect();
                        let want = addr.to_string();
                        Err(miss(
                            2,
                            &codes::E0203,
                            format!("there is no `{want}` in this module"),
                            suggest(&want, cands.iter().map(String::as_str))
                                .map(|s| format!("Did you mean `{s}`?")),
                        ))
                    }
                }
            }
            "module" => {
                let Some(name) = path.get(1) else {
                    return Err(miss(
                        0,
                        &codes::E0218,
                        "expected `module.NAME`".into(),
                        None,
                    ));
                };
                if !m.module_calls.contains_key(*name) {
                    return Err(miss(
                        1,
                        &codes::E0218,
                        format!("there is no module `{name}` here"),
                        did_you_mean(name, m.module_calls.keys().map(String::as_str).collect()),
                    ));
                }
                match inst.module_value(name) {
                    Some(v) => {
                        // module.NAME.OUTPUT on a single instance: check the output exists.
                        if let (Some(out), ValueKind::Object(outs)) = (path.get(2), v.kind()) {
                            let single = m
                                .module_calls
                                .get(*name)
                                .is_some_and(|c| c.for_each.is_none() && c.count.is_none());
                            if single && !outs.contains_key(*out) {
                                return Err(miss(
                                    2,
                                    &codes::E0219,
                                    format!("module `{name}` has no output `{out}`"),
                                    did_you_mean(out, outs.keys().map(String::as_str).collect()),
                                ));
                            }
                        }
                        Ok((v, 2))
                    }
                    None => Ok((Value::unknown(Type::Any), 2)),
                }
            }
            name => {
                if m.lets.contains_key(name) {
                    return Ok((
                        inst.let_value(name)
                            .unwrap_or_else(|| Value::unknown(Type::Any)),
                        1,
                    ));
                }
                let is_type = m
                    .resources
                    .keys()
                    .any(|a| a.mode == crate::addr::Mode::Managed && a.type_name == name)
                    || inst.ctx.schemas.resource(name).is_some();
                if is_type {
                    let Some(rname) = path.get(1) else {
                        return Err(miss(
                            0,
                            &codes::E0203,
                            format!("`{name}` is a resource type; name a resource: `{name}.NAME`"),
                            None,
                        ));
                    };
                    let addr = ResourceAddr::managed(name, *rname);
                    return match inst.resource_value(&addr) {
                        Some(v) => Ok((v, 2)),
                        None => {
                            let cands: Vec<&str> = m
                                .resources
                                .keys()
                                .filter(|a| {
                                    a.type_name == name && a.mode == crate::addr::Mode::Managed
                                })
                                .map(|a| a.name.as_str())
                                .collect();
                            Err(miss(
                                1,
                                &codes::E0203,
                                format!("there is no resource `{name}.{rname}` in this module"),
                                did_you_mean(rname, cands),
                            ))
                        }
                    };
                }
                let mut cands: Vec<&str> = ROOTS.to_vec();
                cands.extend(m.lets.keys().map(String::as_str));
                cands.extend(m.resources.keys().map(|a| a.type_name.as_str()));
                Err(miss(
                    0,
                    &codes::E0202,
                    format!("`{name}` is not defined"),
                    did_you_mean(name, cands).or(Some(format!(
                        "Declare it with `let {name} = …`, or use `var.{name}` for an input."
                    ))),
                ))
            }
        }
    }

    fn resolve_element(
        &self,
        path: &[&str],
        key: &mut dyn FnMut() -> Option<Value>,
    ) -> Option<Value> {
        let addr = resource_path(self.inst.module(), path)?;
        self.inst.resource_element(&addr, key)
    }

    fn for_each_element(&self, path: &[&str], each: &mut dyn FnMut(&Value)) -> bool {
        resource_path(self.inst.module(), path)
            .is_some_and(|addr| self.inst.resource_elements(&addr, each))
    }
}

/// The resource `path` names where `resolve` would consume the whole path with one:
/// `data.TYPE.NAME`, or `TYPE.NAME` when `TYPE` is neither a root name nor a `let`.
fn resource_path(m: &Module, path: &[&str]) -> Option<ResourceAddr> {
    match path {
        ["data", ty, name] => Some(ResourceAddr::data(*ty, *name)),
        [ty, name] if !ROOTS.contains(ty) && !m.lets.contains_key(*ty) => {
            Some(ResourceAddr::managed(*ty, *name))
        }
        _ => None,
    }
}

/// The attributes a `policy` block takes.
pub const POLICY_ATTRIBUTES: [&str; 6] =
    ["resources", "assert", "message", "level", "rego", "query"];

/// The values of a policy's `level`.
pub const POLICY_LEVELS: [&str; 2] = ["error", "warning"];

/// The type of `self` in a policy's `assert` and `message`: the resource instance's
/// attributes (of `object`, its object type) plus `address`, `type` and `name`.
pub fn policy_self_type(object: Type) -> Type {
    match object {
        Type::Object(mut attrs) => {
            for k in ["address", "type", "name"] {
                attrs.insert(k.to_string(), ObjectAttr::required(Type::String));
            }
            Type::Object(attrs)
        }
        other => other,
    }
}

/// The module of a module instance path, found by following call names from the root.
pub fn module_at<'t>(root: &'t ModuleTree, path: &ModuleInstance) -> Option<&'t ModuleTree> {
    let mut t = root;
    for step in &path.0 {
        t = t.children.get(&step.name)?;
    }
    Some(t)
}

/// Literal text of a `source`-like attribute, for callers outside this module.
pub fn attribute_literal(body: &ast::Body, name: &str) -> Option<String> {
    body.attribute(name).and_then(|a| literal_string(&a.value))
}

/// E0305: a sensitive value as `for_each` (its keys would appear in instance addresses,
/// in plans and logs).
fn sensitive_for_each(f: &Expr) -> Diagnostic {
    Diagnostic::new(&codes::E0305)
        .with_primary(
            f.span,
            "sensitive values, or values derived from them, cannot be used as `for_each`",
        )
        .with_help(
            "Instance keys appear in addresses, plans and logs: build `for_each` from values \
             that are not sensitive.",
        )
}
