//! Refresh: every object recorded in a state read back through its provider, in bulk
//! per module instance and type, with what changed outside aic reported as drift.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use aic_lang::addr::InstanceAddr;
use aic_lang::diag::Diagnostic;
use aic_lang::value::Value;

use crate::plan::{Action, ResourceChange};
use crate::state::model::{ResourceState, State};

use super::convert::{conform_to_schema, instance_addr_of, state_json, state_value};
use super::providers::Providers;
use super::workspace::Workspace;
use super::{provider_diag, unreadable_address};

/// The recorded objects of a state as refresh found them.
pub struct Refreshed {
    /// Every recorded object that still exists, with its refreshed attributes, by address.
    pub prior: FxHashMap<InstanceAddr, ResourceState>,
    /// The values (`state_value`) of the objects refresh found exactly as recorded.
    pub unchanged: FxHashMap<InstanceAddr, Value>,
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
    let mut prior: FxHashMap<InstanceAddr, ResourceState> = FxHashMap::default();
    // The values (`state_value`) of prior objects that refresh left as they were, while
    // they stay at their address.
    let mut unchanged: FxHashMap<InstanceAddr, Value> = FxHashMap::default();
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
            None => diags.push(unreadable_address("The state", &rs.address)),
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
                diags.push(provider_diag(
                    ws,
                    Some(&first),
                    &format!("refreshing {type_name}"),
                    &e,
                ));
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
                        adopted.attributes = state_json(&found);
                        adopted.create_pending = false;
                        adopted.create_token = None;
                        prior.insert(a, adopted);
                    }
                    Ok(None) => unresolved.push((a, rs)),
                    Err(e) => {
                        diags.push(provider_diag(ws, Some(&a), &format!("refreshing {a}"), &e))
                    }
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
                    let attributes = state_json(&v);
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
                Err(e) => diags.push(provider_diag(ws, Some(&a), &format!("refreshing {a}"), &e)),
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
