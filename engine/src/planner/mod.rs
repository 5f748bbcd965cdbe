//! The planner: refresh, `moved`/`removed`/`import` blocks, and every node of the graph
//! evaluated in dependency order with each resource instance diffed against its prior
//! object through its provider — a [`Plan`] and what apply needs besides
//! ([`Planned`]). Also the plan back to a kept state version ([`plan_rollback`]) and
//! the policy checks of a plan ([`policy`]).
//!
//! Architecture invariant: the planner reads a state it is given and writes none; it
//! talks to providers only through [`Providers`] (the registry), and changes no object
//! (`plan`/`read`/`import` calls only).

mod convert;
pub mod policy;
mod providers;
mod refresh;
mod rollback;
mod targets;
mod workspace;

use std::collections::HashMap;

use aic_lang::addr::{InstanceAddr, InstanceKey, Mode, ModuleInstance};
use aic_lang::ast;
use aic_lang::diag::Diagnostic;
use aic_lang::types::Type;
use aic_lang::value::{Value, ValueKind};
use aic_provider::schema::ResourceSchema;
use aic_provider::{PlanRequest, ProviderError};

use crate::codes;
use crate::eval::Values;
use crate::graph::Node;
use crate::plan::{Action, ChangeReason, OutputChange, Plan, ResourceChange, StateRef};
use crate::state::model::{ResourceState, State};

pub(crate) use convert::conform_to_schema;
pub use convert::{
    config_of_attributes, imported_state, recorded_config, resource_state, state_value,
};
pub use providers::Providers;
pub use refresh::{refresh, Refreshed};
pub use rollback::{finish_rollback, plan_rollback, RollbackOptions};
pub use workspace::{Lifecycle, Workspace};

/// How planning should behave.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    pub refresh: bool,
    pub destroy: bool,
    pub replace: Vec<InstanceAddr>,
    /// `--target` resources and instances (with what they depend on; when destroying,
    /// with what depends on them).
    pub targets: Vec<InstanceAddr>,
    /// `--target` module instances (a step without a key: every instance of the call).
    pub target_modules: Vec<ModuleInstance>,
    /// `--exclude` resources and instances (with what depends on them; when destroying,
    /// with what they depend on).
    pub excludes: Vec<InstanceAddr>,
    pub exclude_modules: Vec<ModuleInstance>,
    pub allow_destroy: bool,
}

/// A plan with everything apply needs beyond it.
#[derive(Debug)]
pub struct Planned {
    pub plan: Plan,
    /// Planned values of every node (unknown where only apply will tell).
    pub values: Values,
    /// Prior state after refresh, by address (after `moved` blocks and imports).
    pub prior: rustc_hash::FxHashMap<InstanceAddr, ResourceState>,
    /// State surgery apply records before any change: `moved` blocks (from → to),
    /// `removed` blocks (forgotten, not destroyed) and `import` blocks (adopted objects).
    pub moves: Vec<(InstanceAddr, InstanceAddr)>,
    pub forgets: Vec<InstanceAddr>,
    pub imports: Vec<ResourceState>,
    /// Objects apply creates or updates from a recorded configuration instead of the
    /// workspace's (a rollback to an earlier state version). Empty for a plan of the
    /// configuration.
    pub desired: HashMap<InstanceAddr, DesiredObject>,
    /// Warnings about the plan as a whole (targeting is in effect).
    pub warnings: Vec<Diagnostic>,
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

/// Whether `addr` is `pattern` or an instance of it (`pattern` without a key).
pub(crate) fn matches_addr(pattern: &InstanceAddr, addr: &InstanceAddr) -> bool {
    pattern == addr
        || (pattern.key.is_none()
            && pattern.module == addr.module
            && pattern.resource == addr.resource)
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
    plan.config_digest = ws.digest.clone();

    // Prior objects, refreshed in bulk per resource type.
    let Refreshed {
        mut prior,
        mut unchanged,
        drift,
    } = refresh(ws, state, providers, opts.refresh).await?;
    plan.drift = drift;

    // `moved`, `removed` and `import` blocks adjust the prior objects before diffing.
    let refs = &ws.refactorings;
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
    // Adding `count` to a single resource, or removing it, moves `a` to `a[0]` and
    // back instead of replacing the object (Terraform's count boundary).
    let mut configured: Vec<&InstanceAddr> = ws.graph.instances.keys().collect();
    configured.sort();
    for addr in configured {
        let other = match &addr.key {
            Some(InstanceKey::Int(0)) => addr.without_key(),
            None => InstanceAddr {
                key: Some(InstanceKey::Int(0)),
                ..addr.clone()
            },
            _ => continue,
        };
        if prior.contains_key(addr) || ws.graph.instances.contains_key(&other) {
            continue;
        }
        if let Some(mut rs) = prior.remove(&other) {
            unchanged.remove(&other);
            rs.address = addr.to_string();
            rs.index = addr.key.as_ref().map(|_| serde_json::json!(0));
            prior.insert(addr.clone(), rs);
            moves.push((other, addr.clone()));
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
                diags.push(Diagnostic::new(&codes::E0262).with_help(format!(
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
            diags.push(Diagnostic::new(&codes::E0263).with_help(format!(
                "`{to}` has no resource block; add one, then import into it."
            )));
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
                        Diagnostic::new(&codes::E0264)
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
                diags.push(provider_diag(ws, Some(to), &format!("importing {to}"), &e));
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
            Ok(None) => diags.push(Diagnostic::new(&codes::E0265).with_help(format!(
                "The provider found no {} with id `{id}` for `{to}`; check the id.",
                to.resource.type_name
            ))),
            Err(e) => diags.push(provider_diag(ws, Some(to), &format!("importing {to}"), &e)),
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }

    let scope = targets::Scope::new(ws, &prior, opts);
    let cbd_forced = create_before_destroy_dependencies(ws);
    // Walk the graph in dependency order.
    let mut values = Values::default();
    let mut changed: std::collections::HashSet<InstanceAddr> = std::collections::HashSet::new();
    // Creates an interrupted run started without recording the outcome: the object in
    // the state may be incomplete (computed attributes unknown), so it is replaced.
    // A create refresh found by its token is adopted as found (recorded like an import).
    // Objects whose create failed after they came into being (recorded `tainted`) are
    // replaced too.
    let tainted: std::collections::HashSet<String> = prior
        .values()
        .filter(|r| r.create_pending || r.tainted)
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
                let in_scope = scope.contains(addr);
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
                    &cbd_forced,
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
                if let Node::Output(mi, name) = other {
                    if let Some(d) = sensitive_output_error(ws, mi, name, &values) {
                        diags.push(d);
                    }
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
        if !scope.contains(a) {
            continue;
        }
        let Some(rs) = prior.get(a) else { continue };
        let before = unchanged
            .remove(a)
            .unwrap_or_else(|| state_value(ws, rs, a));
        // `prevent_destroy` protects what is still configured (removing the resource
        // block lifts it, as in Terraform).
        let configured = ws
            .module(&a.module)
            .is_some_and(|t| t.module.resources.contains_key(&a.resource));
        if configured && ws.lifecycle_of(a, &values, Some(&before)).prevent_destroy {
            diags.push(prevented_destroy(
                a,
                "this plan would destroy",
                "change the configuration or lift the protection",
            ));
            continue;
        }
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
                diags.push(protected_destroy(ws, &c.addr, "this plan would destroy"));
            }
        }
    }
    // Root outputs. A plan limited by targets covers only the outputs that read an
    // instance it covers (a limited destroy none), as in Terraform; the others keep
    // their recorded values.
    let output_in_scope = |name: &str| {
        if !scope.is_limited() {
            return true;
        }
        if opts.destroy {
            return false;
        }
        ws.graph
            .index
            .get(&Node::Output(ModuleInstance::root(), name.to_string()))
            .is_some_and(|idx| {
                ws.graph.resource_dependencies(*idx).into_iter().any(|d| {
                    matches!(ws.graph.graph.node_weight(d), Some(Node::Resource(a)) if scope.contains(a))
                })
            })
    };
    if !opts.destroy {
        for name in ws
            .tree
            .module
            .outputs
            .keys()
            .filter(|n| output_in_scope(n.as_str()))
        {
            let after = values
                .outputs
                .get(&(ModuleInstance::root(), name.clone()))
                .cloned();
            let before_json = state.outputs.get(name).map(|o| &o.value);
            let before = before_json.map(Value::from_json);
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
                // Compared as the state records them: a set or a map is stored as JSON.
                (Some(_), Some(a)) if before_json.is_some_and(|b| same_as_recorded(a, b)) => {
                    Action::NoOp
                }
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
        if !output_in_scope(name) {
            continue;
        }
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
    plan.policy_results = policy::evaluate(ws, &plan, &values);
    Ok(Planned {
        plan,
        values,
        prior,
        moves,
        forgets,
        imports,
        desired: HashMap::new(),
        warnings: if scope.is_limited() {
            vec![targets::targeting_warning()]
        } else {
            Vec::new()
        },
    })
}

/// The instances that a create-before-destroy instance depends on (directly or not):
/// they are replaced create-before-destroy too.
fn create_before_destroy_dependencies(ws: &Workspace) -> std::collections::HashSet<InstanceAddr> {
    let mut out = std::collections::HashSet::new();
    let mut stack: Vec<InstanceAddr> = ws
        .graph
        .instances
        .keys()
        .filter(|a| {
            ws.module(&a.module)
                .and_then(|t| t.module.resources.get(&a.resource))
                .and_then(|r| r.lifecycle.as_ref())
                .is_some_and(|b| b.body.attribute("create_before_destroy").is_some())
                && ws.lifecycle(a, &ws.const_values).create_before_destroy
        })
        .cloned()
        .collect();
    while let Some(a) = stack.pop() {
        let Some(idx) = ws.graph.index.get(&Node::Resource(a)) else {
            continue;
        };
        for d in ws.graph.resource_dependencies(*idx) {
            if let Some(Node::Resource(dep)) = ws.graph.graph.node_weight(d) {
                if dep.resource.mode == Mode::Managed && out.insert(dep.clone()) {
                    stack.push(dep.clone());
                }
            }
        }
    }
    out
}

/// Whether `value` (known) is what the state recorded as `recorded`: the same JSON,
/// numbers compared by value.
fn same_as_recorded(value: &Value, recorded: &serde_json::Value) -> bool {
    fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
        use serde_json::Value as J;
        match (a, b) {
            (J::Number(x), J::Number(y)) => x.as_f64() == y.as_f64(),
            (J::Array(x), J::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
            }
            (J::Object(x), J::Object(y)) => {
                x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
            }
            _ => a == b,
        }
    }
    value.is_wholly_known()
        && value
            .clone()
            .without_marks()
            .to_json()
            .is_ok_and(|j| same(&j, recorded))
}

/// Whether something `addr` names in `depends_on` has a change planned.
fn depends_on_pending(
    ws: &Workspace,
    addr: &InstanceAddr,
    changed: &std::collections::HashSet<InstanceAddr>,
) -> bool {
    let Some(expr) = ws
        .module(&addr.module)
        .and_then(|t| t.module.resources.get(&addr.resource))
        .and_then(|r| r.depends_on.as_ref())
    else {
        return false;
    };
    let ast::ExprKind::List(items) = &expr.kind else {
        return false;
    };
    items.iter().any(|e| {
        let text = ws.sources.snippet(e.span);
        if let Some(call) = text.strip_prefix("module.") {
            let name = call.split(['.', '[']).next().unwrap_or_default();
            return changed.iter().any(|c| {
                c.module.0.len() > addr.module.0.len()
                    && c.module.0.starts_with(&addr.module.0)
                    && c.module
                        .0
                        .get(addr.module.0.len())
                        .is_some_and(|s| s.name == name)
            });
        }
        match text.parse::<InstanceAddr>() {
            Ok(a) => {
                let a = InstanceAddr {
                    module: addr.module.clone(),
                    ..a
                };
                changed.iter().any(|c| matches_addr(&a, c))
            }
            Err(_) => false,
        }
    })
}

/// E0235 for an output whose value (as planned) derives from a sensitive value — a
/// sensitive variable passed through a resource attribute, say — without `sensitive =
/// true`. The checker finds the cases it can see before planning.
fn sensitive_output_error(
    ws: &Workspace,
    mi: &ModuleInstance,
    name: &str,
    values: &Values,
) -> Option<Diagnostic> {
    let o = ws.module(mi)?.module.outputs.get(name)?;
    let v = values.outputs.get(&(mi.clone(), name.to_string()))?;
    let declared = o
        .body
        .as_ref()
        .and_then(|b| b.attribute("sensitive"))
        .is_some_and(|a| matches!(a.value.kind, ast::ExprKind::Bool(true)));
    (v.contains_sensitive() && !declared).then(|| {
        Diagnostic::new(&aic_lang::codes::E0235)
            .with_primary(o.value.span, "this value is derived from a sensitive value")
            .with_secondary(o.name.span, format!("output `{name}`"))
            .with_help("Add `sensitive = true` in the output's body if you intend to expose it: `output NAME = … { sensitive = true }`.")
    })
}

/// E0630: `addr` would be destroyed (`why`: "this plan would destroy") in a protected
/// environment.
pub(crate) fn protected_destroy(ws: &Workspace, addr: &InstanceAddr, why: &str) -> Diagnostic {
    Diagnostic::new(&codes::E0630).with_help(format!(
        "Environment `{}` is protected and {why} `{addr}`. Re-run with --allow-destroy if that is intended.",
        ws.environment
    ))
}

/// E0631: `addr` has `prevent_destroy` and `why` ("this plan would replace") it; `fix`
/// says what to do.
pub(crate) fn prevented_destroy(addr: &InstanceAddr, why: &str, fix: &str) -> Diagnostic {
    Diagnostic::new(&codes::E0631).with_help(format!(
        "`{addr}` has `lifecycle {{ prevent_destroy = true }}` and {why} it; {fix}."
    ))
}

/// E0620: `holder` ("The state", "State version 3") holds `address`, which is not one.
pub(crate) fn unreadable_address(holder: &str, address: &str) -> Diagnostic {
    Diagnostic::new(&codes::E0620).with_help(format!(
        "{holder} holds `{address}`, which is not a resource address; fix it with `aic state rm`."
    ))
}

/// A provider's error as a diagnostic: the code of its kind, a label on the resource
/// block of `addr` — on the attribute the provider named, when it did — and help saying
/// what aic was doing (`what`), the provider's message and what to do.
pub(crate) fn provider_diag(
    ws: &Workspace,
    addr: Option<&InstanceAddr>,
    what: &str,
    e: &ProviderError,
) -> Diagnostic {
    let mut d = Diagnostic::new(aic_provider::codes::of_kind(e.kind()))
        .with_help(format!("While {what}: {e}. {}", e.help_text()));
    let Some((addr, r)) = addr.and_then(|a| {
        ws.module(&a.module)
            .and_then(|t| t.module.resources.get(&a.resource))
            .map(|r| (a, r))
    }) else {
        return d;
    };
    let head = r
        .block
        .labels
        .iter()
        .fold(r.block.kind.span, |s, l| s.to(l.span));
    let attribute = e
        .attribute()
        .and_then(|p| match p.steps().first() {
            Some(aic_lang::value::PathStep::Attr(n) | aic_lang::value::PathStep::Key(n)) => {
                Some(n.clone())
            }
            _ => None,
        })
        .and_then(|n| r.block.body.attribute(&n));
    match attribute {
        Some(a) => {
            d = d
                .with_primary(
                    a.value.span,
                    format!("the provider refused this for `{addr}`"),
                )
                .with_secondary(head, "in this resource");
        }
        None => d = d.with_primary(head, format!("`{addr}`: {}", e.message())),
    }
    d
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

/// Plans one resource instance; a `tainted` one (see `create_pending` and `tainted` in the
/// state) is replaced.
#[allow(clippy::too_many_arguments)]
async fn plan_instance(
    ws: &Workspace,
    providers: &Providers,
    addr: &InstanceAddr,
    prior: Option<Value>,
    values: &Values,
    opts: &PlanOptions,
    changed: &std::collections::HashSet<InstanceAddr>,
    cbd_forced: &std::collections::HashSet<InstanceAddr>,
    tainted: bool,
) -> Result<ResourceChange, Diagnostic> {
    let mut config = ws.instance_config(addr, values)?;
    let mut lc = ws.lifecycle_of(addr, values, prior.as_ref());
    // `create_before_destroy` passes on to what a create-before-destroy resource depends
    // on (its replacement must exist before theirs is destroyed), as in Terraform.
    lc.create_before_destroy |= cbd_forced.contains(addr);
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
    let ignored = lc.ignored(&config);
    // A replacement is created from the configuration as written.
    let unignored = config.clone();
    config = with_ignored_changes(config, prior.as_ref(), &ignored);
    let provider = providers.for_instance(ws, addr).await.map_err(|e| {
        provider_diag(
            ws,
            Some(addr),
            &format!("configuring the provider of {addr}"),
            &e,
        )
    })?;
    if addr.resource.mode == Mode::Data {
        // Read during apply when an argument is unknown, or when something it
        // `depends_on` has changes pending (it must see them applied).
        let deferred = depends_on_pending(ws, addr, changed);
        return Ok(if config.is_wholly_known() && !deferred {
            let v = provider
                .read_data(&addr.resource.type_name, &config)
                .await
                .map_err(|e| provider_diag(ws, Some(addr), &format!("reading {addr}"), &e))?;
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
        .map_err(|e| provider_diag(ws, Some(addr), &format!("planning {addr}"), &e))?;
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
        return Err(prevented_destroy(
            addr,
            "this plan would replace",
            "change the configuration or lift the protection",
        ));
    }
    let after = if action.is_replace() {
        // A replacement is planned as a fresh create.
        provider
            .plan(PlanRequest {
                type_name: addr.resource.type_name.clone(),
                prior: None,
                config: unignored,
            })
            .await
            .map_err(|e| provider_diag(ws, Some(addr), &format!("planning {addr}"), &e))?
            .planned
    } else {
        response.planned
    };
    let mut change = ResourceChange::new(addr.clone(), action, prior, Some(after));
    change.replace_paths = response.requires_replace;
    change.reason = reason;
    Ok(change)
}
