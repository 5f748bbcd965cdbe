//! Rollback: the plan that takes an environment from its current state back to a kept
//! version of that state (`aic rollback`, and a rollout phase whose check failed).
//!
//! Every resource instance address of either state is compared. Present in both and
//! equal: nothing to do. Present in both and different: the provider plans the current
//! object (refreshed) towards the configuration the target version recorded
//! (`applied_config`), updating in place or replacing. Only in the target: created from
//! that configuration. Only in the current state: destroyed. Outputs go back to the
//! target version's.
//!
//! The result is an ordinary [`Planned`] whose [`Planned::desired`] carries the recorded
//! configuration and dependencies of every object to create or update, so the regular
//! apply runs it (journal, parallelism, failure isolation), creating in the target
//! version's dependency order and destroying in reverse order of the current state's.
//! The configuration's providers (its `provider` blocks) are used.

use std::collections::{BTreeSet, HashMap};

use aic_lang::addr::{InstanceAddr, Mode};
use aic_lang::diag::Diagnostic;
use aic_lang::value::Value;
use aic_provider::PlanRequest;

use crate::codes;
use crate::eval::Values;
use crate::plan::{Action, ChangeReason, OutputChange, Plan, ResourceChange, StateRef};
use crate::state::model::{OutputState, ResourceState, State};

use super::{
    config_of_attributes, prevented_destroy, protected_destroy, provider_diag, recorded_config,
    refresh, state_value, unreadable_address, DesiredObject, Planned, Providers, Refreshed,
    Workspace,
};

/// How a rollback is planned.
#[derive(Debug, Clone, Copy)]
pub struct RollbackOptions {
    /// Read the current objects first (default true).
    pub refresh: bool,
    /// Allow destroying or replacing objects in a protected environment.
    pub allow_destroy: bool,
}

impl Default for RollbackOptions {
    fn default() -> Self {
        RollbackOptions {
            refresh: true,
            allow_destroy: false,
        }
    }
}

/// Plans the way from `current` (the environment's state as it is) back to `target` (a
/// kept version of the same state).
pub async fn plan_rollback(
    ws: &Workspace,
    current: &State,
    target: &State,
    providers: &Providers,
    opts: &RollbackOptions,
) -> Result<Planned, Vec<Diagnostic>> {
    if current.lineage != target.lineage {
        return Err(vec![Diagnostic::new(&codes::E0641)
        .with_help(format!(
            "Version {} has lineage {}, but the state of environment `{}` has lineage {}: they are different states, and aic will not roll one back to the other.",
            target.serial, target.lineage, ws.environment, current.lineage
        ))]);
    }
    let mut diags = Vec::new();
    let target_objects = managed(target, &mut diags);
    let current_objects = managed(current, &mut diags);
    for (addr, rs) in target_objects.iter().chain(current_objects.iter()) {
        if let Some(d) = unavailable(ws, addr, rs, target.serial) {
            diags.push(d);
        }
    }
    if !diags.is_empty() {
        dedup(&mut diags);
        return Err(diags);
    }
    let Refreshed {
        prior,
        mut unchanged,
        drift,
    } = refresh(ws, current, providers, opts.refresh).await?;

    let mut plan = Plan::new(ws.environment.clone());
    plan.prior_state = Some(StateRef {
        lineage: current.lineage.clone(),
        serial: current.serial,
    });
    plan.config_digest = ws.digest.clone();
    plan.drift = drift;
    let mut desired = HashMap::new();

    let addresses: BTreeSet<&InstanceAddr> = target_objects
        .keys()
        .chain(prior.keys().filter(|a| a.resource.mode == Mode::Managed))
        .collect();
    for addr in addresses {
        let now = prior.get(addr);
        let before = now.map(|rs| {
            unchanged
                .remove(addr)
                .unwrap_or_else(|| state_value(ws, rs, addr))
        });
        let change = match (now, before, target_objects.get(addr)) {
            (Some(_), Some(before), None) => {
                ResourceChange::new(addr.clone(), Action::Delete, Some(before), None)
            }
            (now, before, Some(want)) => {
                let tainted = now.is_some_and(|rs| rs.create_pending || rs.tainted);
                if !tainted && now.is_some_and(|rs| rs.attributes == want.attributes) {
                    ResourceChange::new(addr.clone(), Action::NoOp, before.clone(), before)
                } else {
                    let config = desired_config(ws, addr, want);
                    match plan_towards(ws, providers, addr, before, &config, tainted).await {
                        Ok(c) => {
                            if c.action != Action::NoOp {
                                desired.insert(
                                    addr.clone(),
                                    DesiredObject {
                                        config,
                                        dependencies: want.dependencies.clone(),
                                    },
                                );
                            }
                            c
                        }
                        Err(d) => {
                            diags.push(d);
                            continue;
                        }
                    }
                }
            }
            _ => continue,
        };
        if let Some(d) = refuse_destroy(ws, &change, target.serial, opts) {
            diags.push(d);
        }
        plan.resource_changes.push(change);
    }
    plan.output_changes = output_changes(current, target);
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(Planned {
        plan,
        values: Values::default(),
        prior,
        moves: Vec::new(),
        forgets: Vec::new(),
        imports: Vec::new(),
        desired,
        warnings: Vec::new(),
    })
}

/// The state to write after a rollback's apply: `applied` (the current state with the
/// journal's operations) with every object that now matches the target version recorded
/// exactly as that version records it, and, when nothing failed, the target's outputs.
/// Rollout progress is kept as it is: a rollback restores infrastructure, not history.
pub fn finish_rollback(mut applied: State, target: &State, complete: bool) -> State {
    for want in &target.resources {
        if let Some(slot) = applied.resources.get_mut(&want.address) {
            if slot.attributes == want.attributes && !slot.create_pending && !slot.tainted {
                *slot = want.clone();
            }
        }
    }
    if complete {
        applied.outputs = target.outputs.clone();
    }
    applied.sort_resources();
    applied
}

/// The managed resource instances of `state` by address; unreadable addresses are
/// reported.
fn managed<'s>(
    state: &'s State,
    diags: &mut Vec<Diagnostic>,
) -> HashMap<InstanceAddr, &'s ResourceState> {
    let mut out = HashMap::new();
    for rs in &state.resources {
        match rs.address.parse::<InstanceAddr>() {
            Ok(a) if a.resource.mode == Mode::Managed => {
                out.insert(a, rs);
            }
            Ok(_) => {}
            Err(_) => diags.push(unreadable_address(
                &format!("State version {}", state.serial),
                &rs.address,
            )),
        }
    }
    out
}

/// An error when no provider of this aic manages the object's type any more.
fn unavailable(
    ws: &Workspace,
    addr: &InstanceAddr,
    rs: &ResourceState,
    serial: u64,
) -> Option<Diagnostic> {
    match ws.registry.for_type(&addr.resource.type_name) {
        Some((name, _)) if name == rs.provider || rs.provider.is_empty() => None,
        Some((name, _)) => Some(
            Diagnostic::new(&codes::E0642).with_help(
                format!(
                    "`{addr}` is managed by provider `{}`, but the configuration's providers give `{}` to provider `{name}`. Rolling back to serial {serial} needs the provider it was applied with.",
                    rs.provider, addr.resource.type_name
                ),
            ),
        ),
        None => Some(
            Diagnostic::new(&codes::E0642).with_help(
                format!(
                    "`{addr}` is a `{}` of provider `{}`, which no provider of this configuration offers. Rolling back to serial {serial} needs it: bring the provider back, or forget the object with `aic state rm {addr}`.",
                    addr.resource.type_name, rs.provider
                ),
            ),
        ),
    }
}

fn dedup(diags: &mut Vec<Diagnostic>) {
    let mut seen = std::collections::HashSet::new();
    diags.retain(|d| seen.insert(format!("{}{:?}", d.code, d.help)));
}

/// The configuration `want` was applied with; for an entry that recorded none (written
/// by an older aic), the configuration its attributes describe.
fn desired_config(ws: &Workspace, addr: &InstanceAddr, want: &ResourceState) -> serde_json::Value {
    let empty = match &want.applied_config {
        serde_json::Value::Null => true,
        serde_json::Value::Object(m) => m.is_empty(),
        _ => false,
    };
    match (empty, ws.schema(&addr.resource)) {
        (true, Some(schema)) => config_of_attributes(schema, &want.attributes),
        _ => want.applied_config.clone(),
    }
}

/// Plans `addr` from `before` (absent: to be created) towards `config`.
async fn plan_towards(
    ws: &Workspace,
    providers: &Providers,
    addr: &InstanceAddr,
    before: Option<Value>,
    config: &serde_json::Value,
    tainted: bool,
) -> Result<ResourceChange, Diagnostic> {
    let diag = |what: &str, e: aic_provider::ProviderError| {
        provider_diag(
            ws,
            Some(addr),
            &format!("{what} {addr} for the rollback"),
            &e,
        )
    };
    let provider = providers
        .for_instance(ws, addr)
        .await
        .map_err(|e| diag("configuring the provider of", e))?;
    let config = recorded_config(ws, &addr.resource, config);
    let ask = |prior: Option<Value>| PlanRequest {
        type_name: addr.resource.type_name.clone(),
        prior,
        config: config.clone(),
    };
    let Some(before) = before else {
        let created = provider
            .plan(ask(None))
            .await
            .map_err(|e| diag("planning", e))?;
        return Ok(ResourceChange::new(
            addr.clone(),
            Action::Create,
            None,
            Some(created.planned),
        ));
    };
    let response = provider
        .plan(ask(Some(before.clone())))
        .await
        .map_err(|e| diag("planning", e))?;
    if !tainted && response.requires_replace.is_empty() {
        let action = if response.planned.equals(&before) == Some(true) {
            Action::NoOp
        } else {
            Action::Update
        };
        return Ok(ResourceChange::new(
            addr.clone(),
            action,
            Some(before),
            Some(response.planned),
        ));
    }
    // A replacement is planned as a fresh create.
    let fresh = provider
        .plan(ask(None))
        .await
        .map_err(|e| diag("planning", e))?;
    let create_first = ws.graph.instances.contains_key(addr)
        && ws.lifecycle(addr, &ws.const_values).create_before_destroy;
    let mut change = ResourceChange::new(
        addr.clone(),
        if create_first {
            Action::CreateThenDelete
        } else {
            Action::DeleteThenCreate
        },
        Some(before),
        Some(fresh.planned),
    );
    change.replace_paths = response.requires_replace;
    change.reason = Some(if tainted {
        ChangeReason::Tainted
    } else {
        ChangeReason::CannotUpdate
    });
    Ok(change)
}

/// Refuses a destroy or replacement that `prevent_destroy` (in the configuration) or a
/// protected environment (without `allow_destroy`) forbids.
fn refuse_destroy(
    ws: &Workspace,
    change: &ResourceChange,
    serial: u64,
    opts: &RollbackOptions,
) -> Option<Diagnostic> {
    let destroys = matches!(
        change.action,
        Action::Delete | Action::DeleteThenCreate | Action::CreateThenDelete
    );
    if !destroys {
        return None;
    }
    let addr = &change.addr;
    let verb = if change.action == Action::Delete {
        "destroy"
    } else {
        "replace"
    };
    if ws.graph.instances.contains_key(addr) && ws.lifecycle(addr, &ws.const_values).prevent_destroy
    {
        return Some(prevented_destroy(
            addr,
            &format!("rolling back to serial {serial} would {verb}"),
            "lift the protection first",
        ));
    }
    if ws.protected && !opts.allow_destroy {
        return Some(protected_destroy(
            ws,
            addr,
            &format!("rolling back to serial {serial} would {verb}"),
        ));
    }
    None
}

/// Outputs from the current state's values back to the target version's.
fn output_changes(current: &State, target: &State) -> indexmap::IndexMap<String, OutputChange> {
    let value = |o: &OutputState| {
        let v = Value::from_json(&o.value);
        if o.sensitive {
            v.mark_sensitive()
        } else {
            v
        }
    };
    let names: Vec<&String> = target
        .outputs
        .keys()
        .chain(
            current
                .outputs
                .keys()
                .filter(|k| !target.outputs.contains_key(*k)),
        )
        .collect();
    names
        .into_iter()
        .map(|name| {
            let before = current.outputs.get(name).map(value);
            let after = target.outputs.get(name).map(value);
            let action = match (current.outputs.get(name), target.outputs.get(name)) {
                (None, Some(_)) => Action::Create,
                (Some(b), Some(a)) if a == b => Action::NoOp,
                (Some(_), Some(_)) => Action::Update,
                (Some(_), None) => Action::Delete,
                (None, None) => Action::NoOp,
            };
            (
                name.clone(),
                OutputChange {
                    action,
                    before,
                    after,
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::VariableArgs;
    use serde_json::json;

    const CONFIG: &str = r#"resource local_file a {
  filename = "out/a.txt"
  content  = "two"
}

resource local_file c {
  filename = "out/c.txt"
  content  = "c"
}
"#;

    fn workspace(text: &str, env: Option<&str>) -> (tempfile::TempDir, Workspace) {
        let dir = tempfile::tempdir().expect("temporary directory");
        std::fs::write(dir.path().join("main.aic"), text).expect("write main.aic");
        let ws = Workspace::load(
            dir.path(),
            env,
            &VariableArgs::default(),
            aic_provider_builtin::registry(),
        )
        .unwrap_or_else(|f| panic!("the configuration loads: {:?}", f.diagnostics));
        (dir, ws)
    }

    fn file(name: &str, content: &str, deps: &[&str]) -> ResourceState {
        let filename = format!("out/{name}.txt");
        ResourceState {
            address: format!("local_file.{name}"),
            module: String::new(),
            type_: "local_file".into(),
            name: name.into(),
            index: None,
            provider: "local".into(),
            attributes: json!({
                "filename": filename,
                "content": content,
                "file_permission": "0777",
                "directory_permission": "0777",
                "id": format!("id-{content}"),
            }),
            sensitive_paths: vec![],
            dependencies: deps.iter().map(|d| d.to_string()).collect(),
            applied_config: json!({"filename": filename, "content": content}),
            create_pending: false,
            create_token: None,
            tainted: false,
        }
    }

    fn state(lineage: &str, serial: u64, resources: Vec<ResourceState>) -> State {
        let mut s = State::new();
        s.lineage = lineage.into();
        s.serial = serial;
        s.resources = resources.into_iter().collect();
        s
    }

    fn plan(
        ws: &Workspace,
        current: &State,
        target: &State,
        allow_destroy: bool,
    ) -> Result<Planned, Vec<Diagnostic>> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        let opts = RollbackOptions {
            refresh: false,
            allow_destroy,
        };
        rt.block_on(plan_rollback(
            ws,
            current,
            target,
            &Providers::default(),
            &opts,
        ))
    }

    fn actions(planned: &Planned) -> Vec<(String, Action)> {
        planned
            .plan
            .resource_changes
            .iter()
            .map(|c| (c.addr.to_string(), c.action))
            .collect()
    }

    fn help(diags: &[Diagnostic]) -> String {
        diags
            .iter()
            .map(|d| format!("{} {}", d.code, d.help.clone().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn each_address_is_planned_by_what_the_two_versions_hold() {
        let (_dir, ws) = workspace(CONFIG, None);
        let target = state(
            "L",
            1,
            vec![file("a", "one", &[]), file("b", "b", &["local_file.a"])],
        );
        let current = state("L", 2, vec![file("a", "two", &[]), file("c", "c", &[])]);
        let planned = plan(&ws, &current, &target, false).expect("planned");
        assert_eq!(
            actions(&planned),
            [
                ("local_file.a".to_string(), Action::DeleteThenCreate),
                ("local_file.b".to_string(), Action::Create),
                ("local_file.c".to_string(), Action::Delete),
            ]
        );
        let a = &planned.plan.resource_changes[0];
        assert_eq!(a.reason, Some(ChangeReason::CannotUpdate));
        assert_eq!(
            a.replace_paths
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["content"]
        );
        assert_eq!(
            a.after
                .as_ref()
                .and_then(|v| v.get("content"))
                .and_then(|v| v.as_str().map(str::to_owned)),
            Some("one".to_string()),
            "the replacement is planned from the recorded configuration"
        );
        // Apply makes a and b from their recorded configuration and dependencies; c
        // (destroyed) needs none.
        let mut desired: Vec<_> = planned.desired.iter().collect();
        desired.sort_by_key(|(a, _)| a.to_string());
        assert_eq!(desired.len(), 2);
        assert_eq!(
            desired[0].1.config,
            json!({"filename": "out/a.txt", "content": "one"})
        );
        assert_eq!(desired[1].1.dependencies, ["local_file.a"]);
        assert_eq!(
            planned.plan.prior_state,
            Some(StateRef {
                lineage: "L".into(),
                serial: 2
            })
        );
        assert_eq!(
            planned.plan.summary().to_string(),
            "Plan: 2 to add, 0 to change, 2 to destroy."
        );
    }

    #[test]
    fn equal_objects_are_left_alone() {
        let (_dir, ws) = workspace(CONFIG, None);
        let both = vec![file("a", "two", &[]), file("c", "c", &[])];
        let planned = plan(
            &ws,
            &state("L", 2, both.clone()),
            &state("L", 1, both),
            false,
        )
        .expect("planned");
        assert!(!planned.plan.has_changes());
        assert!(planned.desired.is_empty());
    }

    #[test]
    fn an_entry_without_a_recorded_configuration_is_made_from_its_attributes() {
        let (_dir, ws) = workspace(CONFIG, None);
        let mut b = file("b", "b", &[]);
        b.applied_config = serde_json::Value::Null;
        let planned =
            plan(&ws, &state("L", 2, vec![]), &state("L", 1, vec![b]), false).expect("planned");
        let desired = planned.desired.values().next().expect("b is desired");
        // `id` is computed: not part of a configuration.
        assert_eq!(
            desired.config,
            json!({
                "filename": "out/b.txt",
                "content": "b",
                "file_permission": "0777",
                "directory_permission": "0777",
            })
        );
    }

    #[test]
    fn a_version_of_another_state_is_refused() {
        let (_dir, ws) = workspace(CONFIG, None);
        let diags =
            plan(&ws, &state("L", 2, vec![]), &state("M", 1, vec![]), false).expect_err("refused");
        assert_eq!(diags[0].code, "E0641");
        assert!(help(&diags).contains("lineage M"), "{}", help(&diags));
    }

    #[test]
    fn a_type_no_provider_offers_is_named() {
        let (_dir, ws) = workspace(CONFIG, None);
        let mut gone = file("x", "x", &[]);
        gone.address = "gone_thing.x".into();
        gone.type_ = "gone_thing".into();
        gone.provider = "gone".into();
        let diags = plan(
            &ws,
            &state("L", 2, vec![]),
            &state("L", 1, vec![gone]),
            false,
        )
        .expect_err("refused");
        assert_eq!(diags[0].code, "E0642");
        assert!(
            help(&diags).contains("`gone_thing.x` is a `gone_thing` of provider `gone`"),
            "{}",
            help(&diags)
        );
    }

    #[test]
    fn a_protected_environment_needs_allow_destroy() {
        let config = format!("environment prod {{\n  protected = true\n}}\n\n{CONFIG}");
        let (_dir, ws) = workspace(&config, Some("prod"));
        let current = state("L", 2, vec![file("a", "two", &[]), file("c", "c", &[])]);
        let target = state("L", 1, vec![file("a", "two", &[])]);
        let diags = plan(&ws, &current, &target, false).expect_err("refused");
        assert_eq!(diags.len(), 1, "{}", help(&diags));
        assert_eq!(diags[0].code, "E0630");
        assert!(
            help(&diags).contains("would destroy `local_file.c`"),
            "{}",
            help(&diags)
        );
        let planned = plan(&ws, &current, &target, true).expect("allowed");
        assert_eq!(
            actions(&planned)[1],
            ("local_file.c".to_string(), Action::Delete)
        );
    }

    #[test]
    fn prevent_destroy_in_the_configuration_holds() {
        let config = CONFIG.replace(
            "  content  = \"c\"\n",
            "  content  = \"c\"\n  lifecycle {\n    prevent_destroy = true\n  }\n",
        );
        let (_dir, ws) = workspace(&config, None);
        let current = state("L", 2, vec![file("c", "c", &[])]);
        let diags = plan(&ws, &current, &state("L", 1, vec![]), true).expect_err("refused");
        assert_eq!(diags[0].code, "E0631");
    }

    #[test]
    fn outputs_go_back_to_the_target_versions() {
        let (_dir, ws) = workspace(CONFIG, None);
        let mut current = state("L", 2, vec![]);
        let mut target = state("L", 1, vec![]);
        let out = |v: serde_json::Value| OutputState {
            value: v,
            sensitive: false,
        };
        current.outputs.insert("same".into(), out(json!(1)));
        current.outputs.insert("changed".into(), out(json!("new")));
        current
            .outputs
            .insert("added_later".into(), out(json!(true)));
        target.outputs.insert("same".into(), out(json!(1)));
        target.outputs.insert("changed".into(), out(json!("old")));
        target.outputs.insert("removed_later".into(), out(json!(2)));
        let planned = plan(&ws, &current, &target, false).expect("planned");
        let got: Vec<(&str, Action)> = planned
            .plan
            .output_changes
            .iter()
            .map(|(k, c)| (k.as_str(), c.action))
            .collect();
        assert_eq!(
            got,
            [
                ("same", Action::NoOp),
                ("changed", Action::Update),
                ("removed_later", Action::Create),
                ("added_later", Action::Delete),
            ]
        );
    }

    #[test]
    fn finishing_records_matching_objects_as_the_target_does() {
        let mut target = state("L", 1, vec![file("a", "one", &["x"]), file("b", "b", &[])]);
        target.outputs.insert(
            "o".into(),
            OutputState {
                value: json!("v1"),
                sensitive: false,
            },
        );
        // `a` has the target's attributes but was recorded differently; `b` differs.
        let mut a = file("a", "one", &[]);
        a.applied_config = json!({});
        let applied = state("L", 2, vec![file("b", "other", &[]), a]);
        let done = finish_rollback(applied.clone(), &target, true);
        assert_eq!(
            done.resources[0], target.resources[0],
            "a as recorded in the target"
        );
        assert_eq!(done.resources[1], file("b", "other", &[]), "b as applied");
        assert_eq!(done.outputs, target.outputs);
        assert_eq!(done.serial, 2, "the serial is the store's to set");
        let partial = finish_rollback(applied, &target, false);
        assert!(
            partial.outputs.is_empty(),
            "outputs only move when all went back"
        );
    }
}
