//! The [`Workspace`]: a loaded configuration ([`Config`]) with its instance graph, ready
//! to evaluate any expression of any module instance — what planning, apply and the
//! operations above them read the configuration through.

use std::collections::HashMap;
use std::ops::Deref;

use aic_lang::addr::{InstanceAddr, Mode, ModuleInstance, ResourceAddr};
use aic_lang::ast::{self, Body};
use aic_lang::check::{module_at, ExpandedModule};
use aic_lang::config::{self, ModuleTree};
use aic_lang::diag::Diagnostic;
use aic_lang::eval::{EvalError, Evaluator};
use aic_lang::types::Type;
use aic_lang::value::Value;
use aic_provider::schema::{Nesting, ResourceSchema};
use aic_provider::Registry;
use petgraph::graph::NodeIndex;

use crate::eval::{rollout_value, StdFunctions, Values, WalkScope};
use crate::graph::{ConfigGraph, Node};
use crate::load::{self, Config, LoadFailure, VariableArgs};

/// A loaded, checked and expanded configuration for one environment, with its graph.
/// It reads as the [`Config`] it was made from (`ws.tree`, `ws.sources`, …).
pub struct Workspace {
    config: Config,
    pub graph: ConfigGraph,
    pub registry: Registry,
    /// Topological order of the graph's nodes.
    pub order: Vec<NodeIndex>,
    /// Constants of every module instance (variables and lets; unknown where they derive
    /// from resources), for provider configurations, which must be constant.
    pub const_values: Values,
    /// The value of `rollout.*` (see [`rollout_value`]); outside a rollout, weight 100
    /// and empty names.
    pub rollout: Value,
    /// The instance type of every resource and data source type the registry knows,
    /// as [`Workspace::schema`] finds it: state values are conformed to it.
    instance_types: HashMap<(Mode, String), Type>,
}

impl Deref for Workspace {
    type Target = Config;

    fn deref(&self) -> &Config {
        &self.config
    }
}

impl Workspace {
    /// Loads the configuration in `dir` for `environment` ([`load::load`]) and makes its
    /// workspace.
    pub fn load(
        dir: &std::path::Path,
        environment: Option<&str>,
        variables: &VariableArgs,
        registry: Registry,
    ) -> Result<Workspace, LoadFailure> {
        let config = load::load(dir, environment, variables, &registry)?;
        Workspace::new(config, registry)
    }

    /// Builds the graph of `config` and evaluates its constants. A reference cycle
    /// between instances is the one error found here.
    pub fn new(mut config: Config, registry: Registry) -> Result<Workspace, LoadFailure> {
        let expansion = std::mem::take(&mut config.expansion);
        let graph = ConfigGraph::build(&config.tree, &config.modules, expansion);
        let order = match graph.order() {
            Ok(o) => o,
            Err(d) => {
                let mut diagnostics = std::mem::take(&mut config.warnings);
                diagnostics.push(d);
                return Err(LoadFailure {
                    sources: config.sources,
                    diagnostics,
                });
            }
        };
        let mut ws = Workspace {
            config,
            graph,
            registry,
            order,
            const_values: Values::default(),
            rollout: rollout_value(None),
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
        Ok(ws)
    }

    /// The instance type of a resource or data source type, when the registry knows it.
    pub(crate) fn instance_type(&self, addr: &ResourceAddr) -> Option<&Type> {
        self.instance_types
            .get(&(addr.mode, addr.type_name.clone()))
    }

    fn expanded(&self, path: &ModuleInstance) -> Option<&ExpandedModule> {
        self.modules.iter().find(|m| &m.path == path)
    }

    pub fn module(&self, path: &ModuleInstance) -> Option<&ModuleTree> {
        module_at(&self.tree, path)
    }

    /// The name of the registered provider owning `addr`'s type (the longest registered
    /// prefix: `ibm_quantum_job` → `ibm_quantum`), else the part before the first `_`.
    pub fn provider_name(&self, addr: &ResourceAddr) -> String {
        self.registry.for_type(&addr.type_name).map_or_else(
            || addr.provider_name().to_string(),
            |(name, _)| name.to_owned(),
        )
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
        // Conform to the declared type so defaults of optional attributes are filled in
        // and sets lose their duplicates.
        let declared = self.expanded(mi).and_then(|m| m.var_types.get(name));
        Ok(match declared {
            Some(ty) => ty.conform(&v).unwrap_or(v),
            None => v,
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
            expansion: &self.graph.expansion,
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
        let functions = StdFunctions::new(dir).at_apply(values.at_apply);
        let mut ev = Evaluator::new(&scope, &functions);
        ev.eval(e).map_err(|err: EvalError| err.to_diagnostic())
    }

    /// The values known before any plan: the root module's variables (what a
    /// rollout's notifications are evaluated with).
    pub fn root_values(&self) -> Values {
        let root = ModuleInstance::root();
        let mut values = Values::default();
        if let Some(m) = self.expanded(&root) {
            for (name, v) in &m.vars {
                values.vars.insert((root.clone(), name.clone()), v.clone());
            }
        }
        values
    }

    /// Evaluates `e` in the root module with `self` bound to `self_value` (a rollout
    /// analysis's condition over a query result).
    pub fn eval_with_self(
        &self,
        values: &Values,
        self_value: Value,
        e: &ast::Expr,
    ) -> Result<Value, Diagnostic> {
        let mi = ModuleInstance::root();
        let sv = self.sensitive_vars(&mi);
        let mut scope = self.scope(&mi, None, None, values, &sv);
        scope.self_value = Some(self_value);
        let functions = StdFunctions::new(scope.module_dir.clone()).at_apply(values.at_apply);
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
                Diagnostic::new(&aic_lang::codes::E0203)
                    .with_help(format!("`{addr}` is not in the configuration."))
            })?;
        let schema = self.schema(&addr.resource);
        let sv = self.sensitive_vars(&addr.module);
        let scope = self.scope(
            &addr.module,
            self.each_of(addr, values),
            info.and_then(|i| i.count.clone()),
            values,
            &sv,
        );
        let functions = StdFunctions::new(scope.module_dir.clone()).at_apply(values.at_apply);
        let mut ev = Evaluator::new(&scope, &functions);
        body_value(&mut ev, &r.block.body, schema, true).map_err(|e| e.to_diagnostic())
    }

    /// `each` of a resource instance made by `for_each`. The checker expanded it before
    /// any resource had a value, so where `for_each` reads resources (`for_each =
    /// null_resource.a`) `each.value` is evaluated again with the values known now.
    pub fn each_of(&self, addr: &InstanceAddr, values: &Values) -> Option<Value> {
        let each = self.graph.instances.get(addr)?.each.clone()?;
        if each.is_wholly_known() {
            return Some(each);
        }
        let again = (|| {
            let r = self
                .module(&addr.module)?
                .module
                .resources
                .get(&addr.resource)?;
            let collection = self
                .eval_in(&addr.module, None, None, values, r.for_each.as_ref()?)
                .ok()?;
            let key = each.get("key")?.clone();
            let value = match collection.as_entries() {
                Some(m) => m.get(key.as_str()?)?.clone(),
                None => key.clone(),
            };
            Some(Value::object([("key", key), ("value", value)]))
        })();
        Some(again.unwrap_or(each))
    }

    /// `lifecycle` settings of a resource instance.
    pub fn lifecycle(&self, addr: &InstanceAddr, values: &Values) -> Lifecycle {
        self.lifecycle_of(addr, values, None)
    }

    /// `lifecycle` settings of a resource instance whose `self` is `existing` (the
    /// object in the state) when the walk has no value for it yet.
    pub fn lifecycle_of(
        &self,
        addr: &InstanceAddr,
        values: &Values,
        existing: Option<&Value>,
    ) -> Lifecycle {
        let mut lc = Lifecycle::default();
        let Some(r) = self
            .module(&addr.module)
            .and_then(|t| t.module.resources.get(&addr.resource))
        else {
            return lc;
        };
        let Some(block) = &r.lifecycle else { return lc };
        let info = self.graph.instances.get(addr);
        // `self` is the instance: its value so far (planned, or as recorded).
        let self_value = values
            .resources
            .get(addr)
            .or(existing)
            .cloned()
            .unwrap_or_else(|| {
                Value::unknown(
                    self.instance_type(&addr.resource)
                        .cloned()
                        .unwrap_or(Type::Any),
                )
            });
        let sv = self.sensitive_vars(&addr.module);
        let mut scope = self.scope(
            &addr.module,
            self.each_of(addr, values),
            info.and_then(|i| i.count.clone()),
            values,
            &sv,
        );
        scope.self_value = Some(self_value);
        let functions = StdFunctions::new(scope.module_dir.clone()).at_apply(values.at_apply);
        let eval_bool = |name: &str| {
            block.body.attribute(name).and_then(|a| {
                Evaluator::new(&scope, &functions)
                    .eval(&a.value)
                    .ok()
                    .and_then(|v| v.as_bool())
            })
        };
        lc.create_before_destroy = eval_bool("create_before_destroy").unwrap_or(false);
        lc.prevent_destroy = eval_bool("prevent_destroy").unwrap_or(false);
        if let Some(a) = block.body.attribute("ignore_changes") {
            // `ignore_changes = all`: every attribute keeps the existing object's value.
            if matches!(&a.value.kind, ast::ExprKind::Name(n) if n.name == "all") {
                lc.ignore_all = true;
            }
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
    /// `ignore_changes = all`.
    pub ignore_all: bool,
    pub replace_triggered_by: Vec<ast::Expr>,
}

impl Lifecycle {
    /// The attributes of `config` whose changes are ignored.
    pub fn ignored(&self, config: &Value) -> Vec<String> {
        if self.ignore_all {
            config
                .as_entries()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default()
        } else {
            self.ignore_changes.clone()
        }
    }
}

/// Evaluates a block body into an object following the schema's nested blocks.
pub(crate) fn body_value(
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
