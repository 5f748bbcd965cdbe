//! Planning: refresh, evaluate every node of the graph in dependency order, diff each
//! resource instance against its prior state through its provider, and produce a
//! [`Plan`]. The [`Workspace`] holds the loaded configuration and is shared with apply.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use aic_lang::addr::{InstanceAddr, InstanceKey, Mode, ModuleInstance, ResourceAddr};
use aic_lang::ast::{self, Body};
use aic_lang::check::{self, module_at, ExpandedModule};
use aic_lang::config::{self, ModuleTree};
use aic_lang::diag::Diagnostic;
use aic_lang::eval::{EvalError, Evaluator};
use aic_lang::source::SourceMap;
use aic_lang::types::Type;
use aic_lang::value::{Value, ValueKind};
use aic_provider::provider::ConfiguredProvider;
use aic_provider::schema::{Nesting, ResourceSchema};
use aic_provider::{PlanRequest, ProviderError, Registry};
use petgraph::graph::NodeIndex;

use crate::graph::{ConfigGraph, Node};
use crate::plan::{Action, ChangeReason, OutputChange, Plan, ResourceChange, StateRef};
use crate::state::model::{ResourceState, State};
use crate::validate::{stdlib_dir, variable_inputs, RegistrySchemas, StdFunctions, VariableArgs};
use crate::values::{Values, WalkScope};

/// A loaded, checked and expanded configuration for one environment.
pub struct Workspace {
    pub dir: PathBuf,
    pub sources: SourceMap,
    pub tree: ModuleTree,
    pub environment: String,
    pub env: Value,
    pub modules: Vec<ExpandedModule>,
    pub graph: ConfigGraph,
    pub registry: Registry,
    pub protected: bool,
    /// Topological order of the graph's nodes.
    pub order: Vec<NodeIndex>,
    /// Digest of every source file, so a saved plan can tell the configuration changed.
    pub config_digest: String,
    /// The root module's policies (see [`crate::policy`]).
    pub policies: Vec<crate::policy::Policy>,
    /// Constants of every module instance (variables and lets; unknown where they derive
    /// from resources), for provider configurations, which must be constant.
    pub const_values: Values,
    /// The value of `rollout.*` (see [`crate::rollout::context`]); outside a rollout,
    /// weight 100 and empty names.
    pub rollout: Value,
    /// The instance type of every resource and data source type the registry knows,
    /// as [`Workspace::schema`] finds it: state values are conformed to it.
    instance_types: HashMap<(Mode, String), Type>,
}

/// Loading failed: the sources (for rendering) and the diagnostics.
pub struct LoadFailure {
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
}

impl Workspace {
    /// Loads, checks and expands the configuration in `dir`.
    pub fn load(
        dir: &std::path::Path,
        environment: Option<&str>,
        args: &VariableArgs,
        registry: Registry,
    ) -> Result<Workspace, LoadFailure> {
        let mut sources = SourceMap::new();
        let mut diagnostics = Vec::new();
        let tree = match config::load_tree(dir, Some(&stdlib_dir()), &mut sources, &mut diagnostics)
        {
            Ok(t) => t,
            Err(e) => {
                diagnostics.push(Diagnostic::error("E0200", "Cannot read configuration").with_help(format!(
                    "Reading {} failed: {e}. Run aic in a configuration directory or pass --dir DIR.",
                    dir.display()
                )));
                return Err(LoadFailure {
                    sources,
                    diagnostics,
                });
            }
        };
        if sources.is_empty() {
            diagnostics.push(
                Diagnostic::error("E0200", "No configuration files").with_help(format!(
                "{} holds no .aic files; run aic in a configuration directory or pass --dir DIR.",
                dir.display()
            )),
            );
        }
        if diagnostics.iter().any(Diagnostic::is_error) {
            return Err(LoadFailure {
                sources,
                diagnostics,
            });
        }
        let functions = StdFunctions::new(dir);
        let inputs = variable_inputs(&tree, args, &functions, &mut sources, &mut diagnostics);
        let schemas = RegistrySchemas::new(&registry);
        let checked = check::expand(&tree, environment, &inputs, &schemas, &functions);
        diagnostics.extend(checked.diagnostics.iter().cloned());
        if diagnostics.iter().any(Diagnostic::is_error) {
            return Err(LoadFailure {
                sources,
                diagnostics,
            });
        }
        let graph = ConfigGraph::build(&tree, &checked.modules);
        let order = match graph.order() {
            Ok(o) => o,
            Err(d) => {
                diagnostics.push(d);
                return Err(LoadFailure {
                    sources,
                    diagnostics,
                });
            }
        };
        let protected = checked
            .env
            .get("protected")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let config_digest = digest(&sources);
        let mut ws = Workspace {
            dir: dir.to_path_buf(),
            sources,
            tree,
            environment: checked.environment,
            env: checked.env,
            modules: checked.modules,
            graph,
            registry,
            protected,
            order,
            config_digest,
            policies: Vec::new(),
            const_values: Values::default(),
            rollout: crate::rollout::context(None),
            instance_types: HashMap::new(),
        };
        let mut types = HashMap::new();
        for (_, p) in ws.registry.iter() {
            let schema = p.schema();
            let names = schema
                .resources
                .keys()
                .map(|n| (Mode::Managed, n))
                .chain(schema.data_sources.keys().map(|n| (Mode::Data, n)));
            for (mode, name) in names {
                let addr = ResourceAddr {
                    mode,
                    type_name: name.clone(),
                    name: String::new(),
                };
                if let Some(s) = ws.schema(&addr) {
                    types.insert((mode, name.clone()), s.instance_type());
                }
            }
        }
        ws.instance_types = types;
        let mut consts = Values::default();
        for m in &ws.modules {
            for (k, v) in &m.vars {
                consts.vars.insert((m.path.clone(), k.clone()), v.clone());
            }
        }
        for idx in &ws.order {
            if let Some(node @ Node::Let(..)) = ws.graph.graph.node_weight(*idx) {
                // A let that needs a resource is simply not a constant; ignore the error.
                let _ = ws.eval_value_node(node, &mut consts);
            }
        }
        ws.const_values = consts;
        // Policies last: their constant attributes may read variables and lets. Rego
        // files join the sources, so diagnostics show them and the digest covers them.
        let mut sources = std::mem::take(&mut ws.sources);
        let (policies, policy_diags) = crate::policy::load(&ws.tree, &mut sources, &|e| {
            ws.eval_in(&ModuleInstance::root(), None, None, &ws.const_values, e)
        });
        ws.sources = sources;
        if policy_diags.iter().any(Diagnostic::is_error) {
            return Err(LoadFailure {
                sources: ws.sources,
                diagnostics: policy_diags,
            });
        }
        ws.policies = policies;
        ws.config_digest = digest(&ws.sources);
        Ok(ws)
    }

    fn expanded(&self, path: &ModuleInstance) -> Option<&ExpandedModule> {
        self.modules.iter().find(|m| &m.path == path)
    }

    pub fn module(&self, path: &ModuleInstance) -> Option<&ModuleTree> {
        module_at(&self.tree, path)
    }

    pub fn schema(&self, addr: &ResourceAddr) -> Option<&ResourceSchema> {
        let (_, p) = self.registry.for_type(&addr.type_name)?;
        match addr.mode {
            Mode::Managed => p.schema().resource(&addr.type_name),
            Mode::Data => p.schema().data_source(&addr.type_name),
        }
    }

    /// Evaluates one value node (variable, let, output) into `values`.
    pub fn eval_value_node(&self, node: &Node, values: &mut Values) -> Result<(), Diagnostic> {
        match node {
            Node::Var(mi, name) => {
                let v = self.child_variable(mi, name, values)?;
                values.vars.insert((mi.clone(), name.clone()), v);
            }
            Node::Let(mi, name) => {
                let Some(l) = self.module(mi).and_then(|t| t.module.lets.get(name)) else {
                    return Ok(());
                };
                let v = self.eval_in(mi, None, None, values, &l.value)?;
                values.lets.insert((mi.clone(), name.clone()), v);
            }
            Node::Output(mi, name) => {
                let Some(o) = self.module(mi).and_then(|t| t.module.outputs.get(name)) else {
                    return Ok(());
                };
                let v = self.eval_in(mi, None, None, values, &o.value)?;
                values.outputs.insert((mi.clone(), name.clone()), v);
            }
            Node::Resource(_) => {}
        }
        Ok(())
    }

    /// The value of a module variable: the root's come from inputs (already checked);
    /// a child's from its call's argument, evaluated in the calling module.
    fn child_variable(
        &self,
        mi: &ModuleInstance,
        name: &str,
        values: &Values,
    ) -> Result<Value, Diagnostic> {
        let constant = || {
            self.expanded(mi)
                .and_then(|m| m.vars.get(name).cloned())
                .unwrap_or_else(|| Value::unknown(Type::Any))
        };
        let Some((last, parent_steps)) = mi.0.split_last() else {
            return Ok(constant());
        };
        let parent = ModuleInstance(parent_steps.to_vec());
        let Some(call) = self
            .module(&parent)
            .and_then(|t| t.module.module_calls.get(&last.name))
        else {
            return Ok(constant());
        };
        let Some(arg) = call.arguments().find(|a| a.name.name == name) else {
            return Ok(constant());
        };
        let (each, count) = self
            .expanded(&parent)
            .and_then(|m| m.calls.get(&last.name))
            .and_then(|insts| insts.iter().find(|i| i.key == last.key))
            .map(|i| (i.each.clone(), i.count.clone()))
            .unwrap_or((None, None));
        let v = self.eval_in(&parent, each, count, values, &arg.value)?;
        // Conform to the declared type so defaults of optional attributes are filled in.
        let declared = self
            .module(mi)
            .and_then(|t| t.module.variables.get(name))
            .and_then(|d| d.ty.as_ref())
            .and_then(|_| {
                self.expanded(mi)
                    .and_then(|m| m.vars.get(name))
                    .map(Value::type_of)
            });
        Ok(match declared {
            Some(ty) if v.is_wholly_known() => ty.conform(&v).unwrap_or(v),
            _ => v,
        })
    }

    pub fn scope<'a>(
        &'a self,
        mi: &'a ModuleInstance,
        each: Option<Value>,
        count: Option<Value>,
        values: &'a Values,
        sensitive_vars: &'a [String],
    ) -> WalkScope<'a> {
        let module_dir = self
            .module(mi)
            .map_or_else(|| self.dir.clone(), |t| t.module.dir.clone());
        WalkScope {
            values,
            graph: &self.graph,
            module: mi,
            module_dir,
            root_dir: &self.tree.module.dir,
            env: &self.env,
            each,
            count,
            self_value: None,
            sensitive_vars,
            rollout: &self.rollout,
        }
    }

    pub fn sensitive_vars(&self, mi: &ModuleInstance) -> Vec<String> {
        self.module(mi)
            .map(|t| {
                t.module
                    .variables
                    .iter()
                    .filter(|(_, v)| {
                        v.body
                            .as_ref()
                            .and_then(|b| b.attribute("sensitive"))
                            .is_some_and(|a| matches!(a.value.kind, ast::ExprKind::Bool(true)))
                    })
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn eval_in(
        &self,
        mi: &ModuleInstance,
        each: Option<Value>,
        count: Option<Value>,
        values: &Values,
        e: &ast::Expr,
    ) -> Result<Value, Diagnostic> {
        let sv = self.sensitive_vars(mi);
        let scope = self.scope(mi, each, count, values, &sv);
        let dir = scope.module_dir.clone();
        let functions = StdFunctions::new(dir);
        let mut ev = Evaluator::new(&scope, &functions);
        ev.eval(e).map_err(|err: EvalError| err.to_diagnostic())
    }

    /// The configuration object of a resource instance: its attributes and nested blocks
    /// (meta-arguments left out), evaluated with the values known so far.
    pub fn instance_config(
        &self,
        addr: &InstanceAddr,
        values: &Values,
    ) -> Result<Value, Diagnostic> {
        let info = self.graph.instances.get(addr);
        let r = self
            .module(&addr.module)
            .and_then(|t| t.module.resources.get(&addr.resource))
            .ok_or_else(|| {
                Diagnostic::error("E0203", "Unknown resource")
                    .with_help(format!("`{addr}` is not in the configuration."))
            })?;
        let schema = self.schema(&addr.resource);
        let sv = self.sensitive_vars(&addr.module);
        let scope = self.scope(
            &addr.module,
            info.and_then(|i| i.each.clone()),
            info.and_then(|i| i.count.clone()),
            values,
            &sv,
        );
        let functions = StdFunctions::new(scope.module_dir.clone());
        let mut ev = Evaluator::new(&scope, &functions);
        body_value(&mut ev, &r.block.body, schema, true).map_err(|e| e.to_diagnostic())
    }

    /// `lifecycle` settings of a resource instance.
    pub fn lifecycle(&self, addr: &InstanceAddr, values: &Values) -> Lifecycle {
        let mut lc = Lifecycle::default();
        let Some(r) = self
            .module(&addr.module)
            .and_then(|t| t.module.resources.get(&addr.resource))
        else {
            return lc;
        };
        let Some(block) = &r.lifecycle else { return lc };
        let info = self.graph.instances.get(addr);
        let eval_bool = |name: &str| {
            block.body.attribute(name).and_then(|a| {
                self.eval_in(
                    &addr.module,
                    info.and_then(|i| i.each.clone()),
                    info.and_then(|i| i.count.clone()),
                    values,
                    &a.value,
                )
                .ok()
                .and_then(|v| v.as_bool())
            })
        };
        lc.create_before_destroy = eval_bool("create_before_destroy").unwrap_or(false);
        lc.prevent_destroy = eval_bool("prevent_destroy").unwrap_or(false);
        if let Some(a) = block.body.attribute("ignore_changes") {
            if let ast::ExprKind::List(items) = &a.value.kind {
                for i in items {
                    if let ast::ExprKind::Name(n) = &i.kind {
                        lc.ignore_changes.push(n.name.clone());
                    }
                }
            }
        }
        if let Some(a) = block.body.attribute("replace_triggered_by") {
            if let ast::ExprKind::List(items) = &a.value.kind {
                lc.replace_triggered_by = items.clone();
            }
        }
        lc
    }
}

/// `lifecycle { … }` of one instance.
#[derive(Debug, Clone, Default)]
pub struct Lifecycle {
    pub create_before_destroy: bool,
    pub prevent_destroy: bool,
    pub ignore_changes: Vec<String>,
    pub replace_triggered_by: Vec<ast::Expr>,
}

/// Evaluates a block body into an object following the schema's nested blocks.
fn body_value(
    ev: &mut Evaluator<'_>,
    body: &Body,
    schema: Option<&ResourceSchema>,
    top: bool,
) -> Result<Value, EvalError> {
    let mut obj: Vec<(String, Value)> = Vec::new();
    for a in body.attributes() {
        if top && config::Resource::META.contains(&a.name.name.as_str()) {
            continue;
        }
        obj.push((a.name.name.clone(), ev.eval(&a.value)?));
    }
    if let Some(schema) = schema {
        for (name, b) in &schema.blocks {
            let blocks: Vec<&ast::Block> = body.blocks().filter(|x| &x.kind.name == name).collect();
            let values = blocks
                .iter()
                .map(|x| body_value(ev, &x.body, Some(&b.block), false))
                .collect::<Result<Vec<_>, _>>()?;
            let v = match b.nesting {
                Nesting::Single => values.into_iter().next().unwrap_or_else(Value::null),
                Nesting::Set => Value::set(values),
                _ => Value::list(values),
            };
            obj.push((name.clone(), v));
        }
    }
    Ok(Value::object(obj))
}

fn digest(sources: &SourceMap) -> String {
    // FNV-1a over paths and contents: a change detector, not a security measure.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    let mut files: Vec<_> = sources.files().map(|(_, f)| f).collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    for f in files {
        feed(f.path.display().to_string().as_bytes());
        feed(f.text.as_bytes());
    }
    format!("{h:016x}")
}

/// How planning should behave.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    pub refresh: bool,
    pub destroy: bool,
    pub replace: Vec<InstanceAddr>,
    pub targets: Vec<InstanceAddr>,
    pub excludes: Vec<InstanceAddr>,
    pub allow_destroy: bool,
}

/// A plan with everything apply needs beyond it.
pub struct Planned {
    pub plan: Plan,
    /// Planned values of every node (unknown where only apply will tell).
    pub values: Values,
    /// Prior state after refresh, by address (after `moved` blocks and imports).
    pub prior: HashMap<InstanceAddr, ResourceState>,
    /// State surgery apply records before any change: `moved` blocks (from → to),
    /// `removed` blocks (forgotten, not destroyed) and `import` blocks (adopted objects).
    pub moves: Vec<(InstanceAddr, InstanceAddr)>,
    pub forgets: Vec<InstanceAddr>,
    pub imports: Vec<ResourceState>,
    /// Objects apply creates or updates from a recorded configuration instead of the
    /// workspace's (a rollback to an earlier state version). Empty for a plan of the
    /// configuration.
    pub desired: HashMap<InstanceAddr, DesiredObject>,
}

/// The configuration and dependencies an object is to be applied with when they come
/// from a recorded state version rather than from the configuration (see
/// [`Planned::desired`]).
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredObject {
    /// The configuration values, as `applied_config` records them.
    pub config: serde_json::Value,
    /// The addresses the object depends on: they are applied first and recorded with it.
    pub dependencies: Vec<String>,
}

/// `moved`, `removed` and `import` blocks of the root module, with their addresses read.
struct Refactorings {
    moves: Vec<(InstanceAddr, InstanceAddr)>,
    removed: Vec<InstanceAddr>,
    imports: Vec<(InstanceAddr, ast::Expr)>,
}

fn refactorings(ws: &Workspace, diags: &mut Vec<Diagnostic>) -> Refactorings {
    let m = &ws.tree.module;
    let addr_of = |b: &ast::Block,
                   name: &str,
                   diags: &mut Vec<Diagnostic>|
     -> Option<InstanceAddr> {
        let a = b.body.attribute(name);
        let Some(a) = a else {
            diags.push(
                Diagnostic::error("E0260", "Incomplete refactoring block")
                    .with_primary(b.kind.span, format!("`{}` needs `{name}`", b.kind.name)),
            );
            return None;
        };
        let text = ws.sources.snippet(a.value.span).trim().to_string();
        match text.parse::<InstanceAddr>() {
            Ok(x) => Some(x),
            Err(e) => {
                diags.push(
                    Diagnostic::error("E0261", "Not a resource address")
                        .with_primary(a.value.span, e.reason)
                        .with_help("Write a resource address such as `aws_instance.web` or `module.m.aws_instance.web[0]`."),
                );
                None
            }
        }
    };
    let mut r = Refactorings {
        moves: Vec::new(),
        removed: Vec::new(),
        imports: Vec::new(),
    };
    for b in &m.moved {
        if let (Some(from), Some(to)) = (addr_of(b, "from", diags), addr_of(b, "to", diags)) {
            r.moves.push((from, to));
        }
    }
    for b in &m.removed {
        if let Some(from) = addr_of(b, "from", diags) {
            r.removed.push(from);
        }
    }
    for b in &m.imports {
        let to = addr_of(b, "to", diags);
        match (to, b.body.attribute("id")) {
            (Some(to), Some(id)) => r.imports.push((to, id.value.clone())),
            (_, None) => diags.push(
                Diagnostic::error("E0260", "Incomplete refactoring block")
                    .with_primary(b.kind.span, "`import` needs `id`")
                    .with_help(
                        "Say which existing object to adopt: `import { to = TYPE.NAME, id = \"…\" }` (the provider's id, e.g. an instance id).",
                    ),
            ),
            (None, Some(_)) => {}
        }
    }
    r
}

/// Whether `addr` is `pattern` or an instance of it (`pattern` without a key).
fn matches_addr(pattern: &InstanceAddr, addr: &InstanceAddr) -> bool {
    pattern == addr
        || (pattern.key.is_none()
            && pattern.module == addr.module
            && pattern.resource == addr.resource)
}

/// (module instance declaring the configuration, provider name, alias).
type ProviderKey = (String, String, Option<String>);

/// Configured providers, one per (module instance, provider, alias).
pub struct Providers {
    configured: tokio::sync::Mutex<HashMap<ProviderKey, Arc<dyn ConfiguredProvider>>>,
}

impl Default for Providers {
    fn default() -> Self {
        Providers {
            configured: tokio::sync::Mutex::new(HashMap::new()),
        }
    }
}

impl Providers {
    /// The configured provider of a resource instance: the configuration `provider NAME
    /// [ALIAS]` of its own module instance, else of the closest calling module, else an
    /// empty configuration. A module instantiated with `for_each` over regions thus gets
    /// one configured provider (one client) per region.
    pub async fn for_instance(
        &self,
        ws: &Workspace,
        addr: &InstanceAddr,
    ) -> Result<Arc<dyn ConfiguredProvider>, ProviderError> {
        let name = addr.resource.provider_name().to_string();
        let alias = ws
            .module(&addr.module)
            .and_then(|t| t.module.resources.get(&addr.resource))
            .and_then(|r| r.provider_alias.as_ref().map(|a| a.name.clone()));
        let key = (name.clone(), alias.clone());
        // The closest module instance (itself, then its callers) declaring this configuration.
        let mut mi = addr.module.clone();
        let found = loop {
            if ws
                .module(&mi)
                .is_some_and(|t| t.module.providers.contains_key(&key))
            {
                break Some(mi);
            }
            if mi.0.pop().is_none() {
                break None;
            }
        };
        let cache_key = (
            found.as_ref().map(|m| m.to_string()).unwrap_or_default(),
            name.clone(),
            alias.clone(),
        );
        let mut map = self.configured.lock().await;
        if let Some(p) = map.get(&cache_key) {
            return Ok(p.clone());
        }
        let provider = ws.registry.require(&name)?;
        let config = match found.as_ref().and_then(|m| {
            ws.module(m)
                .and_then(|t| t.module.providers.get(&key))
                .map(|pc| (m, pc))
        }) {
            Some((m, pc)) => {
                let schema = &provider.schema().provider;
                let sv = ws.sensitive_vars(m);
                let scope = ws.scope(m, None, None, &ws.const_values, &sv);
                let functions = StdFunctions::new(scope.module_dir.clone());
                let mut ev = Evaluator::new(&scope, &functions);
                body_value(&mut ev, &pc.block.body, Some(schema), true).map_err(|e| {
                    ProviderError::invalid_config(format!(
                        "the configuration of provider `{name}` in {}: {}",
                        if m.is_root() {
                            "the root module".to_string()
                        } else {
                            m.to_string()
                        },
                        e.label
                    ))
                })?
            }
            None => Value::object(Vec::<(String, Value)>::new()),
        };
        let configured = provider.configure(&config).await?;
        map.insert(cache_key, configured.clone());
        Ok(configured)
    }
}

/// A prior object from state, as a value with the schema's sensitive marks.
pub fn state_value(ws: &Workspace, rs: &ResourceState, addr: &InstanceAddr) -> Value {
    let v = Value::from_json(&rs.attributes);
    let v = conform_to_schema(ws, &addr.resource, v);
    match ws.schema(&addr.resource) {
        Some(s) => s.mark_sensitive(v),
        None => v,
    }
}

/// JSON arrays come back from state as tuples and objects as objects; the schema says
/// which are lists, sets and maps.
fn conform_to_schema(ws: &Workspace, addr: &ResourceAddr, v: Value) -> Value {
    let computed;
    let ty = match ws.instance_types.get(&(addr.mode, addr.type_name.clone())) {
        Some(ty) => ty,
        None => match ws.schema(addr) {
            Some(schema) => {
                computed = schema.instance_type();
                &computed
            }
            None => return v,
        },
    };
    ty.conform(&v).unwrap_or(v)
}

fn instance_addr_of(rs: &ResourceState) -> Option<InstanceAddr> {
    rs.address.parse().ok()
}

/// A configuration recorded in the state (`applied_config`) as a value for the
/// provider: each attribute and block conformed to the schema's type (JSON arrays come
/// back as tuples).
pub fn recorded_config(ws: &Workspace, addr: &ResourceAddr, json: &serde_json::Value) -> Value {
    let v = Value::from_json(json);
    let (Some(schema), Some(entries)) = (ws.schema(addr), v.as_entries()) else {
        return v;
    };
    let conformed: Vec<(String, Value)> = entries
        .iter()
        .map(|(k, x)| {
            let ty = schema
                .attributes
                .get(k)
                .map(|a| a.ty.clone())
                .or_else(|| schema.blocks.get(k).map(|b| b.value_type()));
            let x = match ty {
                Some(t) => t.conform(x).unwrap_or_else(|_| x.clone()),
                None => x.clone(),
            };
            (k.clone(), x)
        })
        .collect();
    Value::object(conformed)
}

/// The configuration that describes an object known only by its attributes (an imported
/// one, or one recorded before configurations were kept): its non-null attributes and
/// blocks that a configuration may set. Creating an object from it makes the same object
/// up to what the provider computes.
pub fn config_of_attributes(
    schema: &ResourceSchema,
    attributes: &serde_json::Value,
) -> serde_json::Value {
    let Some(attrs) = attributes.as_object() else {
        return serde_json::Value::Object(serde_json::Map::new());
    };
    let settable = |k: &str| {
        schema
            .attributes
            .get(k)
            .is_some_and(|a| a.required || a.optional)
            || schema.blocks.contains_key(k)
    };
    serde_json::Value::Object(
        attrs
            .iter()
            .filter(|(k, v)| !v.is_null() && settable(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

/// The state entry of an imported object: its `applied_config` is
/// [`config_of_attributes`], so that a rollback can make it again.
pub fn imported_state(ws: &Workspace, addr: &InstanceAddr, value: &Value) -> ResourceState {
    let mut rs = resource_state(
        addr,
        addr.resource.provider_name(),
        value,
        &Value::null(),
        Vec::new(),
    );
    if let Some(schema) = ws.schema(&addr.resource) {
        rs.applied_config = config_of_attributes(schema, &rs.attributes);
    }
    rs
}

/// Converts an instance's value into its state entry.
pub fn resource_state(
    addr: &InstanceAddr,
    provider: &str,
    value: &Value,
    config: &Value,
    dependencies: Vec<String>,
) -> ResourceState {
    let attributes = value.without_marks_json();
    let sensitive_paths = value
        .sensitive_paths()
        .iter()
        .map(|p| {
            p.steps()
                .iter()
                .map(|s| match s {
                    aic_lang::value::PathStep::Index(i) => {
                        crate::state::model::PathStep::Index(*i as u64)
                    }
                    aic_lang::value::PathStep::Attr(a) | aic_lang::value::PathStep::Key(a) => {
                        crate::state::model::PathStep::Key(a.clone())
                    }
                })
                .collect()
        })
        .collect();
    ResourceState {
        address: addr.to_string(),
        module: addr.module.to_string(),
        type_: addr.resource.type_name.clone(),
        name: addr.resource.name.clone(),
        index: addr.key.as_ref().map(|k| match k {
            InstanceKey::Int(i) => serde_json::Value::from(*i),
            InstanceKey::Str(s) => serde_json::Value::from(s.clone()),
        }),
        provider: provider.to_string(),
        attributes,
        sensitive_paths,
        dependencies,
        applied_config: config.without_marks_json(),
        create_pending: false,
        create_token: None,
    }
}

/// JSON of a value with its marks dropped and unknowns as null (state never holds unknowns).
trait ToStateJson {
    fn without_marks_json(&self) -> serde_json::Value;
}

impl ToStateJson for Value {
    fn without_marks_json(&self) -> serde_json::Value {
        self.to_plan_json_unmasked()
    }
}

trait Unmasked {
    fn to_plan_json_unmasked(&self) -> serde_json::Value;
}

impl Unmasked for Value {
    fn to_plan_json_unmasked(&self) -> serde_json::Value {
        match self.kind() {
            ValueKind::Null | ValueKind::Unknown(_) => serde_json::Value::Null,
            ValueKind::Bool(b) => serde_json::Value::Bool(*b),
            ValueKind::Number(n) => {
                serde_json::Number::from_f64(*n).map_or(serde_json::Value::Null, |n| {
                    if let Some(i) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15) {
                        serde_json::Value::from(i as i64)
                    } else {
                        serde_json::Value::Number(n)
                    }
                })
            }
            ValueKind::String(s) => serde_json::Value::String(s.clone()),
            ValueKind::List(xs) | ValueKind::Set(xs) | ValueKind::Tuple(xs) => {
                serde_json::Value::Array(xs.iter().map(Unmasked::to_plan_json_unmasked).collect())
            }
            ValueKind::Map(m) | ValueKind::Object(m) => serde_json::Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), v.to_plan_json_unmasked()))
                    .collect(),
            ),
        }
    }
}

fn selected(addr: &InstanceAddr, targets: &[InstanceAddr]) -> bool {
    targets.iter().any(|t| {
        t.module == addr.module
            && t.resource == addr.resource
            && (t.key.is_none() || t.key == addr.key)
    })
}

/// The recorded objects of a state as refresh found them.
pub struct Refreshed {
    /// Every recorded object that still exists, with its refreshed attributes, by address.
    pub prior: HashMap<InstanceAddr, ResourceState>,
    /// The values (`state_value`) of the objects refresh found exactly as recorded.
    pub unchanged: HashMap<InstanceAddr, Value>,
    /// Objects changed (`Update`) or gone (`Delete`) outside aic.
    pub drift: Vec<ResourceChange>,
}

/// Reads every object recorded in `state` through its provider, in bulk per module
/// instance and type (`read == false`: takes the state as it is).
pub async fn refresh(
    ws: &Workspace,
    state: &State,
    providers: &Providers,
    read: bool,
) -> Result<Refreshed, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut drift = Vec::new();
    let mut prior: HashMap<InstanceAddr, ResourceState> = HashMap::new();
    // The values (`state_value`) of prior objects that refresh left as they were, while
    // they stay at their address.
    let mut unchanged: HashMap<InstanceAddr, Value> = HashMap::new();
    // Grouped by module instance and type, so each configured provider reads its own
    // objects in one bulk call.
    let mut by_type: BTreeMap<(String, String), Vec<(InstanceAddr, ResourceState)>> =
        BTreeMap::new();
    for rs in &state.resources {
        match instance_addr_of(rs) {
            Some(a) => by_type
                .entry((a.module.to_string(), rs.type_.clone()))
                .or_default()
                .push((a, rs.clone())),
            None => diags.push(Diagnostic::error("E0620", "Unreadable address in state").with_help(format!(
                "The state holds `{}`, which is not a resource address; fix it with `aic state rm`.",
                rs.address
            ))),
        }
    }
    for ((_, type_name), entries) in by_type {
        if !read || type_name.is_empty() {
            for (a, rs) in entries {
                prior.insert(a, rs);
            }
            continue;
        }
        let Some(first) = entries.first().map(|(a, _)| a.clone()) else {
            continue;
        };
        let provider = match providers.for_instance(ws, &first).await {
            Ok(p) => p,
            Err(e) => {
                diags.push(provider_diag(&format!("refreshing {type_name}"), &e));
                continue;
            }
        };
        let outside = provider.objects_outside_state(&type_name);
        // Creates a crash interrupted after journaling their token: the provider looks for
        // the object such a create made, which is adopted as it is.
        let mut entries = entries;
        if outside {
            let mut unresolved = Vec::with_capacity(entries.len());
            for (a, rs) in entries {
                let token = rs.create_token.clone().filter(|_| rs.create_pending);
                let Some(token) = token else {
                    unresolved.push((a, rs));
                    continue;
                };
                let intent = state_value(ws, &rs, &a);
                match provider.find_created(&type_name, &intent, &token).await {
                    Ok(Some(found)) => {
                        let found = conform_to_schema(ws, &a.resource, found);
                        let mut adopted = rs;
                        adopted.attributes = found.without_marks_json();
                        adopted.create_pending = false;
                        adopted.create_token = None;
                        prior.insert(a, adopted);
                    }
                    Ok(None) => unresolved.push((a, rs)),
                    Err(e) => diags.push(provider_diag(&format!("refreshing {a}"), &e)),
                }
            }
            entries = unresolved;
        }
        let priors: Vec<Value> = entries
            .iter()
            .map(|(a, rs)| state_value(ws, rs, a))
            .collect();
        if !outside {
            // Nothing outside the state to read (null, random, time): the objects are as
            // recorded, and reading them back would only return the priors.
            for ((a, rs), before) in entries.into_iter().zip(priors) {
                unchanged.insert(a.clone(), before);
                prior.insert(a, rs);
            }
            continue;
        }
        let results = provider.read_many(&type_name, &priors).await;
        // `priors` are the `before` values: no need to convert the state again.
        for (((a, rs), now), before) in entries.into_iter().zip(results).zip(priors) {
            match now {
                Ok(Some(v)) => {
                    // A value equal to the prior one (already in the schema's shape) is
                    // only kept as JSON: conforming it would change nothing.
                    let (v, same) = match v.equals(&before) {
                        Some(true) => (v, true),
                        _ => {
                            let v = conform_to_schema(ws, &a.resource, v);
                            let same = v.equals(&before) == Some(true);
                            (v, same)
                        }
                    };
                    let attributes = v.without_marks_json();
                    if !same {
                        drift.push(ResourceChange::new(
                            a.clone(),
                            Action::Update,
                            Some(before),
                            Some(v),
                        ));
                    } else if attributes == rs.attributes {
                        // `before` is the value of these very attributes: the walk reuses it.
                        unchanged.insert(a.clone(), before);
                    }
                    let mut updated = rs;
                    updated.attributes = attributes;
                    prior.insert(a, updated);
                }
                Ok(None) => {
                    drift.push(ResourceChange::new(
                        a.clone(),
                        Action::Delete,
                        Some(before),
                        None,
                    ));
                }
                Err(e) => diags.push(provider_diag(&format!("refreshing {a}"), &e)),
            }
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(Refreshed {
        prior,
        unchanged,
        drift,
    })
}

/// Plans the workspace against `state`.
pub async fn plan(
    ws: &Workspace,
    state: &State,
    providers: &Providers,
    opts: &PlanOptions,
) -> Result<Planned, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut plan = Plan::new(ws.environment.clone());
    plan.prior_state = Some(StateRef {
        lineage: state.lineage.clone(),
        serial: state.serial,
    });
    plan.config_digest = ws.config_digest.clone();

    // Prior objects, refreshed in bulk per resource type.
    let Refreshed {
        mut prior,
        mut unchanged,
        drift,
    } = refresh(ws, state, providers, opts.refresh).await?;
    plan.drift = drift;

    // `moved`, `removed` and `import` blocks adjust the prior objects before diffing.
    let refs = refactorings(ws, &mut diags);
    let mut moves = Vec::new();
    for (from, to) in &refs.moves {
        let hits: Vec<InstanceAddr> = prior
            .keys()
            .filter(|a| matches_addr(from, a))
            .cloned()
            .collect();
        for a in hits {
            let target = InstanceAddr {
                key: if from.key.is_none() {
                    a.key.clone()
                } else {
                    to.key.clone()
                },
                ..to.clone()
            };
            if prior.contains_key(&target) {
                continue;
            }
            if let Some(mut rs) = prior.remove(&a) {
                unchanged.remove(&a);
                rs.address = target.to_string();
                rs.module = target.module.to_string();
                rs.name = target.resource.name.clone();
                prior.insert(target.clone(), rs);
                moves.push((a, target));
            }
        }
    }
    let mut forgets = Vec::new();
    for from in &refs.removed {
        let hits: Vec<InstanceAddr> = prior
            .keys()
            .filter(|a| matches_addr(from, a))
            .cloned()
            .collect();
        for a in hits {
            if ws.graph.instances.contains_key(&a) {
                diags.push(Diagnostic::error("E0262", "Removed resource still configured").with_help(format!(
                    "`{a}` is in a `removed` block but also still in the configuration; delete its resource block to forget it."
                )));
                continue;
            }
            prior.remove(&a);
            unchanged.remove(&a);
            forgets.push(a);
        }
    }
    let mut imports = Vec::new();
    for (to, id_expr) in &refs.imports {
        if prior.contains_key(to) || opts.destroy {
            continue;
        }
        if !ws.graph.instances.contains_key(to) {
            diags.push(
                Diagnostic::error("E0263", "Import into an unconfigured address").with_help(
                    format!("`{to}` has no resource block; add one, then import into it."),
                ),
            );
            continue;
        }
        let id = match ws.eval_in(
            &ModuleInstance::root(),
            None,
            None,
            &ws.const_values,
            id_expr,
        ) {
            Ok(v) => match v.as_str() {
                Some(s) => s.to_string(),
                None => {
                    diags.push(
                        Diagnostic::error("E0264", "Import id is not a known string")
                            .with_primary(id_expr.span, "this must be a string known before apply"),
                    );
                    continue;
                }
            },
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        let provider = match providers.for_instance(ws, to).await {
            Ok(p) => p,
            Err(e) => {
                diags.push(provider_diag(&format!("importing {to}"), &e));
                continue;
            }
        };
        match provider.import(&to.resource.type_name, &id).await {
            Ok(Some(v)) => {
                let v = conform_to_schema(ws, &to.resource, v);
                let rs = imported_state(ws, to, &v);
                unchanged.remove(to);
                prior.insert(to.clone(), rs.clone());
                imports.push(rs);
            }
            Ok(None) => diags.push(
                Diagnostic::error("E0265", "Object to import not found").with_help(format!(
                    "The provider found no {} with id `{id}` for `{to}`; check the id.",
                    to.resource.type_name
                )),
            ),
            Err(e) => diags.push(provider_diag(&format!("importing {to}"), &e)),
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }

    // Walk the graph in dependency order.
    let mut values = Values::default();
    let mut changed: std::collections::HashSet<InstanceAddr> = std::collections::HashSet::new();
    // Creates an interrupted run started without recording the outcome: the object in
    // the state may be incomplete (computed attributes unknown), so it is replaced.
    // A create refresh found by its token is adopted as found (recorded like an import).
    let tainted: std::collections::HashSet<String> = prior
        .values()
        .filter(|r| r.create_pending)
        .map(|r| r.address.clone())
        .collect();
    for rs in prior.values() {
        let found = state
            .resource(&rs.address)
            .is_some_and(|recorded| recorded.create_pending && !rs.create_pending);
        if found {
            imports.push(rs.clone());
        }
    }
    for idx in &ws.order {
        let Some(node) = ws.graph.graph.node_weight(*idx) else {
            continue;
        };
        match node {
            Node::Resource(addr) => {
                if opts.destroy {
                    continue;
                }
                let in_scope = (opts.targets.is_empty() || selected(addr, &opts.targets))
                    && !selected(addr, &opts.excludes);
                let prior_value = prior.get(addr).map(|rs| {
                    unchanged
                        .remove(addr)
                        .unwrap_or_else(|| state_value(ws, rs, addr))
                });
                if !in_scope {
                    values.resources.insert(
                        addr.clone(),
                        prior_value.unwrap_or_else(|| Value::unknown(Type::Any)),
                    );
                    continue;
                }
                let is_tainted = !tainted.is_empty() && tainted.contains(&addr.to_string());
                match plan_instance(
                    ws,
                    providers,
                    addr,
                    prior_value,
                    &values,
                    opts,
                    &changed,
                    is_tainted,
                )
                .await
                {
                    Ok(change) => {
                        if change.action != Action::NoOp {
                            changed.insert(addr.clone());
                        }
                        values.resources.insert(
                            addr.clone(),
                            change
                                .after
                                .clone()
                                .unwrap_or_else(|| Value::unknown(Type::Any)),
                        );
                        plan.resource_changes.push(change);
                    }
                    Err(d) => diags.push(d),
                }
            }
            other => {
                if let Err(d) = ws.eval_value_node(other, &mut values) {
                    diags.push(d);
                }
            }
        }
    }
    // Objects in state that the configuration no longer has are destroyed.
    let mut orphans: Vec<&InstanceAddr> = prior
        .keys()
        .filter(|a| opts.destroy || !ws.graph.instances.contains_key(*a))
        .collect();
    orphans.sort();
    for a in orphans {
        if !opts.targets.is_empty() && !selected(a, &opts.targets) {
            continue;
        }
        let Some(rs) = prior.get(a) else { continue };
        let before = unchanged
            .remove(a)
            .unwrap_or_else(|| state_value(ws, rs, a));
        let mut c = ResourceChange::new(a.clone(), Action::Delete, Some(before), None);
        // Destroying everything (`aic destroy`) needs no reason per instance.
        c.reason = (!opts.destroy).then_some(ChangeReason::DeletedFromConfig);
        if !opts.destroy {
            if let Some(k) = &a.key {
                let base_in_config = ws
                    .graph
                    .instances
                    .keys()
                    .any(|i| i.module == a.module && i.resource == a.resource);
                if base_in_config {
                    let _ = k;
                    c.reason = Some(ChangeReason::CountIndexGone);
                }
            }
        }
        plan.resource_changes.push(c);
    }
    // Protected environments refuse destruction without --allow-destroy.
    if ws.protected && !opts.allow_destroy {
        for c in &plan.resource_changes {
            if matches!(
                c.action,
                Action::Delete | Action::DeleteThenCreate | Action::CreateThenDelete
            ) {
                diags.push(Diagnostic::error("E0630", "Destroy in a protected environment").with_help(format!(
                    "Environment `{}` is protected and this plan would destroy `{}`. Re-run with --allow-destroy if that is intended.",
                    ws.environment, c.addr
                )));
            }
        }
    }
    // Root outputs.
    if !opts.destroy {
        for name in ws.tree.module.outputs.keys() {
            let after = values
                .outputs
                .get(&(ModuleInstance::root(), name.clone()))
                .cloned();
            let before = state.outputs.get(name).map(|o| Value::from_json(&o.value));
            let sensitive = ws
                .tree
                .module
                .outputs
                .get(name)
                .and_then(|o| o.body.as_ref())
                .and_then(|b| b.attribute("sensitive"))
                .is_some_and(|a| matches!(a.value.kind, ast::ExprKind::Bool(true)));
            let after = after.map(|v| if sensitive { v.mark_sensitive() } else { v });
            let action = match (&before, &after) {
                (None, Some(_)) => Action::Create,
                (Some(b), Some(a)) if a.equals(b) == Some(true) => Action::NoOp,
                (Some(_), Some(_)) => Action::Update,
                (Some(_), None) => Action::Delete,
                (None, None) => Action::NoOp,
            };
            plan.output_changes.insert(
                name.clone(),
                OutputChange {
                    action,
                    before,
                    after,
                },
            );
        }
    }
    for name in state.outputs.keys() {
        if opts.destroy || !ws.tree.module.outputs.contains_key(name) {
            plan.output_changes.insert(
                name.clone(),
                OutputChange {
                    action: Action::Delete,
                    before: state.outputs.get(name).map(|o| Value::from_json(&o.value)),
                    after: None,
                },
            );
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    plan.policy_results = crate::policy::evaluate(ws, &plan, &values);
    Ok(Planned {
        plan,
        values,
        prior,
        moves,
        forgets,
        imports,
        desired: HashMap::new(),
    })
}

fn provider_diag(what: &str, e: &ProviderError) -> Diagnostic {
    Diagnostic::error(e.code(), "Provider error")
        .with_help(format!("While {what}: {e}. {}", e.help_text()))
}

/// `config` with the attributes `lifecycle { ignore_changes }` names taken from the
/// existing object `prior`: plan and apply both send the provider this configuration,
/// and it is what the state records as applied.
pub fn with_ignored_changes(config: Value, prior: Option<&Value>, ignore: &[String]) -> Value {
    let (Some(p), ValueKind::Object(_)) = (prior, config.kind()) else {
        return config;
    };
    if ignore.is_empty() {
        return config;
    }
    let mut entries: Vec<(String, Value)> = config
        .as_entries()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    for (k, v) in entries.iter_mut() {
        if ignore.contains(k) {
            if let Some(pv) = p.get(k) {
                *v = pv.clone();
            }
        }
    }
    Value::object(entries)
}

/// Plans one resource instance; a `tainted` one (see `create_pending` in the state) is
/// replaced.
#[allow(clippy::too_many_arguments)]
async fn plan_instance(
    ws: &Workspace,
    providers: &Providers,
    addr: &InstanceAddr,
    prior: Option<Value>,
    values: &Values,
    opts: &PlanOptions,
    changed: &std::collections::HashSet<InstanceAddr>,
    tainted: bool,
) -> Result<ResourceChange, Diagnostic> {
    let mut config = ws.instance_config(addr, values)?;
    let lc = ws.lifecycle(addr, values);
    // `replace_triggered_by`: a change to any referenced instance replaces this one.
    let triggered = prior.is_some()
        && lc.replace_triggered_by.iter().any(|e| {
            let text = ws.sources.snippet(e.span);
            let base = text.split(['.', '[']).take(2).collect::<Vec<_>>().join(".");
            match base.parse::<InstanceAddr>() {
                Ok(a) => {
                    let a = InstanceAddr {
                        module: addr.module.clone(),
                        ..a
                    };
                    changed.iter().any(|c| matches_addr(&a, c))
                }
                Err(_) => false,
            }
        });
    config = with_ignored_changes(config, prior.as_ref(), &lc.ignore_changes);
    let provider = providers
        .for_instance(ws, addr)
        .await
        .map_err(|e| provider_diag(&format!("configuring the provider of {addr}"), &e))?;
    if addr.resource.mode == Mode::Data {
        return Ok(if config.is_wholly_known() {
            let v = provider
                .read_data(&addr.resource.type_name, &config)
                .await
                .map_err(|e| provider_diag(&format!("reading {addr}"), &e))?;
            ResourceChange::new(addr.clone(), Action::NoOp, prior, Some(v))
        } else {
            let ty = ws
                .schema(&addr.resource)
                .map_or(Type::Any, ResourceSchema::instance_type);
            ResourceChange::new(addr.clone(), Action::Read, prior, Some(Value::unknown(ty)))
        });
    }
    let response = provider
        .plan(PlanRequest {
            type_name: addr.resource.type_name.clone(),
            prior: prior.clone(),
            config: config.clone(),
        })
        .await
        .map_err(|e| provider_diag(&format!("planning {addr}"), &e))?;
    let forced = opts
        .replace
        .iter()
        .any(|r| r == addr || (r.key.is_none() && r.without_key() == addr.without_key()));
    let (action, reason) = match &prior {
        None => (Action::Create, None),
        Some(p) => {
            if forced || triggered || tainted {
                (
                    if lc.create_before_destroy {
                        Action::CreateThenDelete
                    } else {
                        Action::DeleteThenCreate
                    },
                    Some(if tainted {
                        ChangeReason::Tainted
                    } else if forced {
                        ChangeReason::ReplaceByRequest
                    } else {
                        ChangeReason::ReplaceTriggeredBy
                    }),
                )
            } else if !response.requires_replace.is_empty() {
                (
                    if lc.create_before_destroy {
                        Action::CreateThenDelete
                    } else {
                        Action::DeleteThenCreate
                    },
                    Some(ChangeReason::CannotUpdate),
                )
            } else if response.planned.equals(p) == Some(true) {
                (Action::NoOp, None)
            } else {
                (Action::Update, None)
            }
        }
    };
    if lc.prevent_destroy && matches!(action, Action::DeleteThenCreate | Action::CreateThenDelete) {
        return Err(Diagnostic::error("E0631", "Instance cannot be destroyed").with_help(format!(
            "`{addr}` has `lifecycle {{ prevent_destroy = true }}` and this plan would replace it; change the configuration or lift the protection."
        )));
    }
    let after = if action.is_replace() {
        // A replacement is planned as a fresh create.
        provider
            .plan(PlanRequest {
                type_name: addr.resource.type_name.clone(),
                prior: None,
                config,
            })
            .await
            .map_err(|e| provider_diag(&format!("planning {addr}"), &e))?
            .planned
    } else {
        response.planned
    };
    let mut change = ResourceChange::new(addr.clone(), action, prior, Some(after));
    change.replace_paths = response.requires_replace;
    change.reason = reason;
    Ok(change)
}
