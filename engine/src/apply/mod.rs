//! Apply: runs a plan's changes concurrently on tokio, in dependency order, writing each
//! finished operation to the state journal.
//!
//! Ready operations on the longest remaining path start first; `parallelism` bounds how
//! many run at once. A failed operation stops only what depends on it: independent work
//! finishes, and the report lists what succeeded, failed and was skipped. Retryable
//! provider errors are retried with exponential backoff and jitter.

use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aic_lang::addr::{InstanceAddr, ModuleInstance};
use aic_lang::value::Value;
use aic_provider::{PlanRequest, ProviderError};
use petgraph::Direction;

use crate::eval::Values;
use crate::graph::Node;
use crate::plan::{Action, PolicyResult, ResourceChange};
use crate::planner::policy::DeferredChecks;
use crate::planner::{
    recorded_config, resource_state, state_value, with_ignored_changes, DesiredObject, Planned,
    Providers, Workspace,
};
use crate::state::model::{OutputState, State};
use crate::state::JournalOp;
use crate::state::{StateError, StateJournal};

/// How apply behaves.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    pub parallelism: usize,
    /// Attempts for retryable errors (1 = no retry).
    pub max_attempts: u32,
    pub op_timeout: Duration,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            parallelism: 10,
            max_attempts: 5,
            op_timeout: Duration::from_secs(30 * 60),
        }
    }
}

/// One line of progress, for the CLI to print.
#[derive(Debug, Clone)]
pub enum Progress {
    Started {
        addr: InstanceAddr,
        action: Action,
    },
    Finished {
        addr: InstanceAddr,
        action: Action,
        elapsed: Duration,
    },
    Failed {
        addr: InstanceAddr,
        action: Action,
        message: String,
    },
    Retrying {
        addr: InstanceAddr,
        attempt: u32,
        message: String,
    },
}

/// What happened.
#[derive(Debug, Default, Clone)]
pub struct ApplyReport {
    pub added: usize,
    pub changed: usize,
    pub destroyed: usize,
    pub succeeded: Vec<InstanceAddr>,
    pub failed: Vec<(InstanceAddr, String)>,
    pub skipped: Vec<InstanceAddr>,
    pub interrupted: bool,
    /// The policy checks the plan deferred to apply, run on the applied objects.
    pub policy_results: Vec<PolicyResult>,
}

struct Op {
    change: ResourceChange,
    deps: Vec<usize>,
    priority: usize,
}

/// Applies `planned` through `journal`; returns the report. The caller compacts the
/// journal into the state afterwards (see [`finish_state`]).
pub async fn apply(
    ws: Arc<Workspace>,
    planned: Planned,
    providers: Arc<Providers>,
    journal: Arc<StateJournal>,
    opts: &ApplyOptions,
    cancel: Arc<AtomicBool>,
    progress: Arc<dyn Fn(Progress) + Send + Sync>,
) -> (ApplyReport, Values) {
    let changes: Vec<ResourceChange> = planned
        .plan
        .resource_changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .cloned()
        .collect();
    // State surgery first: moves, forgets and imports are records, not provider calls.
    for (from, to) in &planned.moves {
        if let Some(rs) = planned.prior.get(to) {
            let _ = journal.record(JournalOp::Deleted {
                address: from.to_string(),
            });
            let _ = journal.record(JournalOp::Created {
                resource: rs.clone(),
            });
        }
    }
    for a in &planned.forgets {
        let _ = journal.record(JournalOp::Deleted {
            address: a.to_string(),
        });
    }
    for rs in &planned.imports {
        let _ = journal.record(JournalOp::Created {
            resource: rs.clone(),
        });
    }
    let ops = order_ops(&ws, changes, &planned);
    let deferred = Arc::new(DeferredChecks::of(&planned.plan));
    let n = ops.len();
    let mut values = planned.values;
    values.at_apply = true;
    let values = Arc::new(Mutex::new(values));
    let prior = Arc::new(planned.prior);
    let desired = Arc::new(planned.desired);
    let mut report = ApplyReport::default();
    let mut remaining: Vec<usize> = ops.iter().map(|o| o.deps.len()).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, o) in ops.iter().enumerate() {
        for d in &o.deps {
            if let Some(v) = dependents.get_mut(*d) {
                v.push(i);
            }
        }
    }
    let ops = Arc::new(ops);
    let order_pos = Arc::new(order_positions(&ws));
    let mut ready: BinaryHeap<(usize, std::cmp::Reverse<usize>)> = BinaryHeap::new();
    for (i, r) in remaining.iter().enumerate() {
        if *r == 0 {
            ready.push((ops.get(i).map_or(0, |o| o.priority), std::cmp::Reverse(i)));
        }
    }
    let mut failed_or_skipped: HashSet<usize> = HashSet::new();
    let mut running = tokio::task::JoinSet::new();
    let parallelism = opts.parallelism.max(1);
    let mut done = 0usize;
    while done < n {
        while running.len() < parallelism && !cancel.load(Ordering::SeqCst) {
            let Some((_, std::cmp::Reverse(i))) = ready.pop() else {
                break;
            };
            let ws = ws.clone();
            let ops = ops.clone();
            let values = values.clone();
            let prior = prior.clone();
            let desired = desired.clone();
            let deferred = deferred.clone();
            let providers = providers.clone();
            let journal = journal.clone();
            let progress = progress.clone();
            let opts = opts.clone();
            let order_pos = order_pos.clone();
            running.spawn(async move {
                let Some(op) = ops.get(i) else {
                    return (i, Err("internal: missing operation".to_string()));
                };
                let started = Instant::now();
                progress(Progress::Started {
                    addr: op.change.addr.clone(),
                    action: op.change.action,
                });
                let r = run_op(
                    &ws,
                    op,
                    &values,
                    &prior,
                    desired.get(&op.change.addr),
                    &deferred,
                    &providers,
                    &journal,
                    &opts,
                    &progress,
                    &order_pos,
                )
                .await;
                match &r {
                    Ok(()) => progress(Progress::Finished {
                        addr: op.change.addr.clone(),
                        action: op.change.action,
                        elapsed: started.elapsed(),
                    }),
                    Err(m) => progress(Progress::Failed {
                        addr: op.change.addr.clone(),
                        action: op.change.action,
                        message: m.clone(),
                    }),
                }
                (i, r)
            });
        }
        let Some(joined) = running.join_next().await else {
            // Nothing running and nothing ready: cancelled, or the rest is skipped.
            break;
        };
        let (i, result) = match joined {
            Ok(x) => x,
            Err(e) => {
                report.failed.push((
                    InstanceAddr::root_placeholder(),
                    format!("task failed: {e}"),
                ));
                done += 1;
                continue;
            }
        };
        done += 1;
        let Some(op) = ops.get(i) else { continue };
        match result {
            Ok(()) => {
                report.succeeded.push(op.change.addr.clone());
                match op.change.action {
                    Action::Create => report.added += 1,
                    Action::Update => report.changed += 1,
                    Action::Delete => report.destroyed += 1,
                    Action::DeleteThenCreate | Action::CreateThenDelete => {
                        report.added += 1;
                        report.destroyed += 1;
                    }
                    Action::NoOp | Action::Read => {}
                }
                for d in dependents.get(i).cloned().unwrap_or_default() {
                    if let Some(r) = remaining.get_mut(d) {
                        *r = r.saturating_sub(1);
                        if *r == 0 && !failed_or_skipped.contains(&d) {
                            ready
                                .push((ops.get(d).map_or(0, |o| o.priority), std::cmp::Reverse(d)));
                        }
                    }
                }
            }
            Err(message) => {
                report.failed.push((op.change.addr.clone(), message));
                // Everything downstream is skipped.
                let mut stack = dependents.get(i).cloned().unwrap_or_default();
                while let Some(d) = stack.pop() {
                    if failed_or_skipped.insert(d) {
                        if let Some(o) = ops.get(d) {
                            report.skipped.push(o.change.addr.clone());
                        }
                        done += 1;
                        stack.extend(dependents.get(d).cloned().unwrap_or_default());
                    }
                }
            }
        }
    }
    if cancel.load(Ordering::SeqCst) {
        report.interrupted = true;
        let finished: HashSet<&InstanceAddr> = report
            .succeeded
            .iter()
            .chain(report.failed.iter().map(|(a, _)| a))
            .chain(report.skipped.iter())
            .collect();
        let not_started: Vec<InstanceAddr> = ops
            .iter()
            .filter(|o| !finished.contains(&o.change.addr))
            .map(|o| o.change.addr.clone())
            .collect();
        report.skipped.extend(not_started);
    }
    report.policy_results = deferred.results();
    // Final values of outputs, with everything applied known.
    let mut vals = match Arc::try_unwrap(values) {
        Ok(m) => m.into_inner().unwrap_or_else(|e| e.into_inner()),
        Err(arc) => arc.lock().map(|v| v.clone()).unwrap_or_default(),
    };
    for idx in &ws.order {
        if let Some(node) = ws.graph.graph.node_weight(*idx) {
            if !matches!(node, Node::Resource(_)) {
                let _ = ws.eval_value_node(node, &mut vals);
            }
        }
    }
    (report, vals)
}

impl InstanceAddrExt for InstanceAddr {}

trait InstanceAddrExt {
    fn root_placeholder() -> InstanceAddr {
        InstanceAddr {
            module: ModuleInstance::root(),
            resource: aic_lang::addr::ResourceAddr::managed("unknown", "task"),
            key: None,
        }
    }
}

/// Orders operations: dependencies from the graph (destroys reversed), and priorities
/// from the longest path to the end.
fn order_ops(ws: &Workspace, changes: Vec<ResourceChange>, planned: &Planned) -> Vec<Op> {
    let index: rustc_hash::FxHashMap<InstanceAddr, usize> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.addr.clone(), i))
        .collect();
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); changes.len()];
    // A delete waits for the deletes (and delete-then-creates) of the objects that
    // depended on it (from state). Found through the dependents' lists, by address.
    let mut deletes: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, c) in changes.iter().enumerate() {
        if c.action == Action::Delete {
            deletes.entry(c.addr.to_string()).or_default().push(i);
        }
    }
    if !deletes.is_empty() {
        for (j, other) in changes.iter().enumerate() {
            if !matches!(other.action, Action::Delete | Action::DeleteThenCreate) {
                continue;
            }
            let Some(rs) = planned.prior.get(&other.addr) else {
                continue;
            };
            for d in &rs.dependencies {
                for i in deletes.get(d).into_iter().flatten() {
                    if let Some(v) = deps.get_mut(*i) {
                        // `j` ascending and at most once per delete, as a scan would give.
                        if *i != j && v.last() != Some(&j) {
                            v.push(j);
                        }
                    }
                }
            }
        }
    }
    // An object applied from a recorded configuration (a rollback) waits for the
    // dependencies recorded with it.
    // Only a rollback has any: no addresses to format for a plan of the configuration.
    let by_name: HashMap<String, usize> = if planned.desired.is_empty() {
        HashMap::new()
    } else {
        changes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.addr.to_string(), i))
            .collect()
    };
    for (i, c) in changes.iter().enumerate() {
        if c.action == Action::Delete {
            continue;
        }
        if let Some(d) = planned.desired.get(&c.addr) {
            if let Some(v) = deps.get_mut(i) {
                v.extend(
                    d.dependencies
                        .iter()
                        .filter_map(|a| by_name.get(a))
                        .filter(|j| **j != i),
                );
            }
            continue;
        }
        if let Some(node) = ws.graph.index.get(&Node::Resource(c.addr.clone())) {
            for d in ws.graph.resource_dependencies(*node) {
                if let Some(Node::Resource(a)) = ws.graph.graph.node_weight(d) {
                    if let Some(j) = index.get(a) {
                        if let Some(v) = deps.get_mut(i) {
                            v.push(*j);
                        }
                    }
                }
            }
        }
    }
    // Longest path to a sink (in number of operations), for critical-path-first order.
    let n = changes.len();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, ds) in deps.iter().enumerate() {
        for d in ds {
            if let Some(v) = dependents.get_mut(*d) {
                v.push(i);
            }
        }
    }
    let mut priority = vec![0usize; n];
    let mut memo = vec![false; n];
    fn longest(
        i: usize,
        dependents: &[Vec<usize>],
        priority: &mut [usize],
        memo: &mut [bool],
        depth: usize,
    ) -> usize {
        if memo.get(i).copied().unwrap_or(true) || depth > 100_000 {
            return priority.get(i).copied().unwrap_or(0);
        }
        let mut best = 0;
        for d in dependents.get(i).cloned().unwrap_or_default() {
            best = best.max(longest(d, dependents, priority, memo, depth + 1));
        }
        if let Some(p) = priority.get_mut(i) {
            *p = best + 1;
        }
        if let Some(m) = memo.get_mut(i) {
            *m = true;
        }
        best + 1
    }
    for i in 0..n {
        longest(i, &dependents, &mut priority, &mut memo, 0);
    }
    changes
        .into_iter()
        .zip(deps)
        .zip(priority)
        .map(|((change, deps), priority)| Op {
            change,
            deps,
            priority,
        })
        .collect()
}

/// Retries a provider call on retryable errors with exponential backoff and jitter.
async fn with_retry<T, F, Fut>(
    addr: &InstanceAddr,
    opts: &ApplyOptions,
    progress: &Arc<dyn Fn(Progress) + Send + Sync>,
    mut f: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ProviderError>>,
{
    let mut attempt = 1u32;
    loop {
        let result = match tokio::time::timeout(opts.op_timeout, f()).await {
            Ok(r) => r,
            Err(_) => {
                return Err(ProviderError::transient(format!(
                    "the operation did not finish within {}s",
                    opts.op_timeout.as_secs()
                )))
            }
        };
        match result {
            // An error carrying the object a create left is never retried: a second
            // call would make a second object.
            Err(e) if e.is_retryable() && e.object().is_none() && attempt < opts.max_attempts => {
                progress(Progress::Retrying {
                    addr: addr.clone(),
                    attempt,
                    message: e.to_string(),
                });
                let base = 200u64.saturating_mul(1 << attempt.min(8));
                let jitter =
                    u64::from(std::process::id() ^ attempt.wrapping_mul(7919)) % (base / 2 + 1);
                // Never sooner than the API asked (`Retry-After`).
                let backoff = Duration::from_millis(base / 2 + jitter);
                tokio::time::sleep(backoff.max(e.retry_after().unwrap_or_default())).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn run_op(
    ws: &Workspace,
    op: &Op,
    values: &Mutex<Values>,
    prior: &rustc_hash::FxHashMap<InstanceAddr, crate::state::model::ResourceState>,
    desired: Option<&DesiredObject>,
    deferred: &DeferredChecks,
    providers: &Providers,
    journal: &StateJournal,
    opts: &ApplyOptions,
    progress: &Arc<dyn Fn(Progress) + Send + Sync>,
    order_pos: &[usize],
) -> Result<(), String> {
    let addr = &op.change.addr;
    let type_name = addr.resource.type_name.clone();
    let provider = providers
        .for_instance(ws, addr)
        .await
        .map_err(|e| format!("{addr}: {e}"))?;
    // The provider's limit on operations at once, held for the whole operation.
    let _permit = providers.permit(&provider).await;
    let prior_value = prior.get(addr).map(|rs| state_value(ws, rs, addr));
    let fail = |e: ProviderError| format!("{addr}: {e}. {}", e.help_text());
    // Objects that exist only in the state need no durable intent, and their outcome
    // lines ride on the next fsync (see `StateJournal::record_deferred`).
    let durable = provider.objects_outside_state(&type_name);
    let record = |journal: &StateJournal, op: JournalOp| {
        if durable {
            journal_record(journal, op)
        } else {
            journal.record_deferred(op)
        }
    };

    let delete = |v: Value| {
        let provider = provider.clone();
        let type_name = type_name.clone();
        async move {
            with_retry(addr, opts, progress, || {
                let provider = provider.clone();
                let type_name = type_name.clone();
                let v = v.clone();
                async move { provider.delete(&type_name, &v).await }
            })
            .await
        }
    };

    if op.change.action == Action::Delete {
        let Some(p) = prior_value else { return Ok(()) };
        delete(p).await.map_err(fail)?;
        record(
            journal,
            JournalOp::Deleted {
                address: addr.to_string(),
            },
        )
        .map_err(|e| format!("{addr}: deleted, but the state journal failed: {e}"))?;
        return Ok(());
    }

    // A data source read during apply: read it now that what it depends on is applied,
    // and pass its value on to what reads it. Data sources are not recorded.
    if op.change.action == Action::Read {
        let config = {
            let mut vals = values
                .lock()
                .map_err(|_| "internal: values lock poisoned".to_string())?;
            refresh_ancestors(ws, order_pos, addr, &mut vals);
            ws.instance_config(addr, &vals)
                .map_err(|d| format!("{addr}: {}", d.help.unwrap_or(d.summary)))?
        };
        let read = with_retry(addr, opts, progress, || {
            let provider = provider.clone();
            let type_name = type_name.clone();
            let config = config.clone();
            async move { provider.read_data(&type_name, &config).await }
        })
        .await
        .map_err(fail)?;
        let read = crate::planner::conform_to_schema(ws, &addr.resource, read);
        let mut vals = values
            .lock()
            .map_err(|_| "internal: values lock poisoned".to_string())?;
        vals.resources.insert(addr.clone(), read);
        return Ok(());
    }

    // Re-evaluate the configuration now that what it depends on has been applied; an
    // object applied from a recorded configuration (a rollback) takes that one.
    let config = if let Some(d) = desired {
        recorded_config(ws, &addr.resource, &d.config)
    } else {
        let mut vals = values
            .lock()
            .map_err(|_| "internal: values lock poisoned".to_string())?;
        refresh_ancestors(ws, order_pos, addr, &mut vals);
        let config = ws
            .instance_config(addr, &vals)
            .map_err(|d| format!("{addr}: {}", d.help.unwrap_or(d.summary)))?;
        // As planned: attributes under `ignore_changes` keep the existing object's values
        // (a replacement is created from the configuration as written).
        if op.change.action.is_replace() {
            config
        } else {
            let ignore = ws.lifecycle(addr, &vals).ignored(&config);
            with_ignored_changes(config, prior_value.as_ref(), &ignore)
        }
    };
    let replacing = op.change.action.is_replace();
    if op.change.action == Action::DeleteThenCreate {
        if let Some(p) = prior_value.clone() {
            delete(p).await.map_err(fail)?;
            record(
                journal,
                JournalOp::Deleted {
                    address: addr.to_string(),
                },
            )
            .map_err(|e| format!("{addr}: deleted, but the state journal failed: {e}"))?;
        }
    }
    let base = if replacing { None } else { prior_value.clone() };
    let planned = provider
        .plan(PlanRequest {
            type_name: type_name.clone(),
            prior: base.clone(),
            config: config.clone(),
        })
        .await
        .map_err(fail)?
        .planned;
    let deps: Vec<String> = match desired {
        Some(d) => Some(d.dependencies.clone()),
        None => ws.graph.index.get(&Node::Resource(addr.clone())).map(|n| {
            ws.graph
                .resource_dependencies(*n)
                .into_iter()
                .filter_map(|d| match ws.graph.graph.node_weight(d) {
                    Some(Node::Resource(a)) => Some(a.to_string()),
                    _ => None,
                })
                .collect()
        }),
    }
    .unwrap_or_default();
    let provider_name = ws.provider_name(&addr.resource);
    let result = match base {
        None => {
            // Journaled with the intent and passed to the provider, so that after a crash
            // the provider can find what this create made.
            let token = durable.then(|| uuid::Uuid::new_v4().to_string());
            if let Some(token) = &token {
                let mut intent =
                    resource_state(addr, &provider_name, &planned, &config, deps.clone());
                intent.create_token = Some(token.clone());
                record(journal, JournalOp::CreateIntent { resource: intent })
                    .map_err(|e| format!("{addr}: the state journal failed before create: {e}"))?;
            }
            let created = with_retry(addr, opts, progress, || {
                let provider = provider.clone();
                let type_name = type_name.clone();
                let planned = planned.clone();
                let token = token.clone();
                async move {
                    match &token {
                        Some(token) => {
                            provider
                                .create_with_token(&type_name, &planned, token)
                                .await
                        }
                        None => provider.create(&type_name, &planned).await,
                    }
                }
            })
            .await;
            match created {
                Ok(v) => v,
                Err(mut e) if e.object().is_some() => {
                    // The create failed after its object came into being: the object is
                    // recorded, tainted, before the failure is reported, so that the state
                    // knows it and the next plan replaces it (Terraform's behaviour).
                    let object = e.take_object().unwrap_or_else(Value::null);
                    let reported = fail(e);
                    if op.change.action == Action::CreateThenDelete {
                        // The address holds the object being replaced, still in service,
                        // and has no room for a second: that one stays, and the failed new
                        // one is deleted.
                        let undone = delete(object).await;
                        let _ = record(
                            journal,
                            JournalOp::CreateFailed {
                                address: addr.to_string(),
                                prior: prior.get(addr).cloned(),
                            },
                        );
                        return Err(match undone {
                            Ok(()) => format!(
                                "{reported} The object the failed create left was deleted; \
                                 the one it was to replace stays in place."
                            ),
                            Err(u) => format!(
                                "{reported} Deleting the object the failed create left failed \
                                 too ({u}); delete it by hand."
                            ),
                        });
                    }
                    let mut entry = resource_state(addr, &provider_name, &object, &config, deps);
                    entry.tainted = true;
                    if let Some(d) = desired {
                        entry.applied_config = d.config.clone();
                    }
                    let outcome = if op.change.action == Action::DeleteThenCreate {
                        JournalOp::Replaced { resource: entry }
                    } else {
                        JournalOp::Created { resource: entry }
                    };
                    record(journal, outcome).map_err(|j| {
                        format!(
                            "{reported} Recording the object it left failed too ({j}): it \
                             exists outside the state; import it or delete it by hand."
                        )
                    })?;
                    return Err(format!(
                        "{reported} The object it left is recorded as tainted: the next apply \
                         replaces it."
                    ));
                }
                Err(e) => {
                    // The address goes back to what it held: nothing, or (creating
                    // a replacement before destroying) the object still in place.
                    let kept = (op.change.action == Action::CreateThenDelete)
                        .then(|| prior.get(addr).cloned())
                        .flatten();
                    let _ = record(
                        journal,
                        JournalOp::CreateFailed {
                            address: addr.to_string(),
                            prior: kept,
                        },
                    );
                    return Err(fail(e));
                }
            }
        }
        Some(p) => with_retry(addr, opts, progress, || {
            let provider = provider.clone();
            let type_name = type_name.clone();
            let planned = planned.clone();
            let p = p.clone();
            async move { provider.update(&type_name, &p, &planned).await }
        })
        .await
        .map_err(fail)?,
    };
    let mut entry = resource_state(addr, &provider_name, &result, &config, deps);
    if let Some(d) = desired {
        // Recorded exactly as the version it comes from holds it.
        entry.applied_config = d.config.clone();
    }
    let outcome = match op.change.action {
        Action::Update => JournalOp::Updated { resource: entry },
        Action::DeleteThenCreate | Action::CreateThenDelete => {
            JournalOp::Replaced { resource: entry }
        }
        _ => JournalOp::Created { resource: entry },
    };
    record(journal, outcome)
        .map_err(|e| format!("{addr}: applied, but the state journal failed: {e}"))?;
    if op.change.action == Action::CreateThenDelete {
        if let Some(p) = prior_value {
            delete(p).await.map_err(fail)?;
        }
    }
    // Policy checks deferred to apply run on the applied object, before it counts as a
    // success; it is in the state either way.
    let mut vals = values
        .lock()
        .map_err(|_| "internal: values lock poisoned".to_string())?;
    vals.resources.insert(addr.clone(), result.clone());
    deferred.check(ws, &vals, addr, &result)
}

/// Appends `op` to the journal. The append waits for an fsync: on a multi-threaded
/// runtime the worker hands its other tasks to another thread meanwhile, so timers and
/// other operations are not held up by the disk.
fn journal_record(journal: &StateJournal, op: JournalOp) -> Result<(), StateError> {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => {
            tokio::task::block_in_place(|| journal.record(op))
        }
        _ => journal.record(op),
    }
}

/// Re-evaluates the value nodes (variables, lets, outputs) an instance reads, in
/// dependency order, so they see values applied since planning.
fn refresh_ancestors(
    ws: &Workspace,
    order_pos: &[usize],
    addr: &InstanceAddr,
    values: &mut Values,
) {
    let Some(start) = ws.graph.index.get(&Node::Resource(addr.clone())) else {
        return;
    };
    let mut seen = HashSet::new();
    let mut stack: Vec<_> = ws
        .graph
        .graph
        .neighbors_directed(*start, Direction::Incoming)
        .collect();
    while let Some(n) = stack.pop() {
        if !seen.insert(n) {
            continue;
        }
        if !matches!(ws.graph.graph.node_weight(n), Some(Node::Resource(_))) {
            stack.extend(ws.graph.graph.neighbors_directed(n, Direction::Incoming));
        }
    }
    // The value nodes among them, in the workspace's topological order.
    let mut nodes: Vec<(usize, &Node)> = seen
        .into_iter()
        .filter_map(|n| {
            let pos = order_pos
                .get(n.index())
                .copied()
                .filter(|p| *p != usize::MAX)?;
            match ws.graph.graph.node_weight(n) {
                Some(Node::Resource(_)) | None => None,
                Some(node) => Some((pos, node)),
            }
        })
        .collect();
    nodes.sort_unstable_by_key(|(pos, _)| *pos);
    for (_, node) in nodes {
        let _ = ws.eval_value_node(node, values);
    }
}

/// The position of every node in `ws.order`, by node index (`usize::MAX`: not in it).
fn order_positions(ws: &Workspace) -> Vec<usize> {
    let mut pos = vec![usize::MAX; ws.graph.graph.node_count()];
    for (i, idx) in ws.order.iter().enumerate() {
        if let Some(p) = pos.get_mut(idx.index()) {
            *p = i;
        }
    }
    pos
}

/// Sets the root outputs on the state compacted from the journal.
pub fn finish_state(
    ws: &Workspace,
    mut state: State,
    values: &Values,
    destroyed_all: bool,
) -> State {
    state.outputs.clear();
    if !destroyed_all {
        for (name, o) in &ws.tree.module.outputs {
            if let Some(v) = values.outputs.get(&(ModuleInstance::root(), name.clone())) {
                if !v.is_wholly_known() {
                    continue;
                }
                let sensitive = v.contains_sensitive()
                    || o.body
                        .as_ref()
                        .and_then(|b| b.attribute("sensitive"))
                        .is_some_and(|a| {
                            matches!(a.value.kind, aic_lang::ast::ExprKind::Bool(true))
                        });
                if let Ok(json) = v.clone().without_marks().to_json() {
                    state.outputs.insert(
                        name.clone(),
                        OutputState {
                            value: json,
                            sensitive,
                        },
                    );
                }
            }
        }
    }
    state
}
