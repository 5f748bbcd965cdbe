//! Blue-green phases: every replacement creates the new object first and the old one is
//! *held*, not destroyed, until the phase's checks pass. Then the held objects are
//! destroyed ([`destroy_held`]); if a check fails the new objects are destroyed and the
//! held ones put back in the state ([`restore_held`]), so the old objects survive.
//!
//! A replacement that reuses the old object's identity (a file rewritten at the same
//! path) leaves one real object: neither step destroys it, and a rollback after a failed
//! check plans it back to the old configuration.

use aic_lang::addr::InstanceAddr;

use crate::plan::Action;
use crate::planner::{state_value, Planned, Providers, Workspace};
use crate::state::{ResourceState, State};

/// Turns every replacement of `planned` into create-then-hold: the action becomes
/// create-before-destroy and the prior object is taken out of what apply may destroy.
/// Returns the held objects' state entries.
pub fn hold_replacements(planned: &mut Planned) -> Vec<ResourceState> {
    let mut held = Vec::new();
    for c in &mut planned.plan.resource_changes {
        if !c.action.is_replace() {
            continue;
        }
        c.action = Action::CreateThenDelete;
        if let Some(rs) = planned.prior.remove(&c.addr) {
            held.push(rs);
        }
    }
    held
}

fn addr_of(rs: &ResourceState) -> Result<InstanceAddr, String> {
    rs.address
        .parse()
        .map_err(|e| format!("{}: {e}", rs.address))
}

async fn delete(ws: &Workspace, providers: &Providers, rs: &ResourceState) -> Result<(), String> {
    let addr = addr_of(rs)?;
    let p = providers
        .for_instance(ws, &addr)
        .await
        .map_err(|e| format!("{addr}: {e}"))?;
    let v = state_value(ws, rs, &addr);
    p.delete(&rs.type_, &v)
        .await
        .map_err(|e| format!("{addr}: {e}. {}", e.help_text()))
}

/// Whether the old object and the new one are the same real object (the replacement
/// reused the old one's identity, e.g. a file rewritten at the same path): reading the
/// old object finds the new one. Destroying either would then destroy both.
async fn same_object(
    ws: &Workspace,
    providers: &Providers,
    old: &ResourceState,
    new: &ResourceState,
) -> bool {
    let Ok(addr) = addr_of(old) else { return false };
    let Ok(p) = providers.for_instance(ws, &addr).await else {
        return false;
    };
    let old_v = state_value(ws, old, &addr);
    let new_v = state_value(ws, new, &addr);
    match p.read(&old.type_, &old_v).await {
        Ok(Some(now)) => now.equals(&new_v) == Some(true),
        _ => false,
    }
}

/// Destroys the held (old) objects once the checks passed. Returns one line per
/// object: its address and the error, if any.
pub async fn destroy_held(
    ws: &Workspace,
    providers: &Providers,
    state: &State,
    held: &[ResourceState],
) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for old in held {
        let shared = match state.resource(&old.address) {
            Some(new) => same_object(ws, providers, old, new).await,
            None => false,
        };
        let err = if shared {
            None
        } else {
            delete(ws, providers, old).await.err()
        };
        out.push((old.address.clone(), err));
    }
    out
}

/// After a failed check: destroys the new object at each held address and records the
/// held (old) object there again. Returns one line per object, as [`destroy_held`].
pub async fn restore_held(
    ws: &Workspace,
    providers: &Providers,
    state: &mut State,
    held: &[ResourceState],
) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for old in held {
        let err = match state.resource(&old.address).cloned() {
            Some(new) if new.attributes != old.attributes => {
                if same_object(ws, providers, old, &new).await {
                    // One real object: keep it; a rollback plans it back to the old one.
                    None
                } else {
                    delete(ws, providers, &new).await.err()
                }
            }
            _ => None,
        };
        if err.is_none() {
            state.set_resource(old.clone());
        }
        out.push((old.address.clone(), err));
    }
    state.sort_resources();
    out
}
