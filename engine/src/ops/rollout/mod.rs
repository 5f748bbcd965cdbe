//! Rollouts: phased delivery across environments (spec: language §3.10) — the state
//! machine that runs a rollout's phases in order, each in its environment with its
//! strategy, checks the result, records progress in the environment's state, rolls a
//! failed phase back (or halts), and appends an audit line per phase.
//!
//! The model (`rollout` blocks read and checked) is the loader's
//! ([`crate::load::Rollout`]). Here too: a phase's targets resolved to instances
//! ([`resolve_targets`], [`plan_scope`]), the progress kept in `State::rollouts`
//! ([`progress`]), health checks ([`check`]), the blue-green hold ([`blue_green`]) and
//! the Mermaid flowchart of a rollout ([`graph`]).
//!
//! A phase, step by step:
//!
//! 1. Load the environment's workspace, resolve the targets, take the lock, record the
//!    phase as `started` with the serial it starts from (a resumed phase keeps its
//!    first serial and the objects it held back).
//! 2. Per step (one for `all_at_once` and `blue_green`, one per canary weight, one per
//!    wave), pausing between steps: plan the step's scope with `rollout.*` set, hold
//!    replacements back (blue-green), apply, record; refresh and run the checks (per
//!    target for waves).
//! 3. Waves stop once more targets failed than `max_failures`; any other failure stops
//!    the phase.
//! 4. Success: destroy the held objects, record `succeeded`. Failure: destroy the new
//!    objects of held replacements, record `failed`, then halt or roll the environment
//!    back to the phase's first serial and record `rolled_back`.

pub mod analysis;
pub mod blue_green;
pub mod check;
pub mod graph;
pub mod notify;
pub mod progress;
mod targets;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aic_lang::diag::{suggest, Diagnostic};
use serde_json::json;

use crate::apply::{finish_state, ApplyReport};
use crate::backend::EnvStore;
use crate::codes;
use crate::eval::{rollout_value, RolloutContext, Values};
use crate::load::{Notify, NotifyEvent, OnFailure, Phase, Rollout, Strategy, VariableArgs};
use crate::planner::{self, PlanOptions, Providers, Workspace};
use crate::state::{ResourceState, State, StateLock, StateStore};

use self::progress::{
    now_rfc3339, phase_record, set_phase_record, CheckResult, PhaseRecord, Status,
};
use super::apply::{execute, has_work};
use super::audit;
use super::events::{Event, Observer, Quiet};
use super::project::Project;
use super::recovery::{read_state, take_lock};
use super::rollback::{PreparedRollback, RollbackRequest};
use super::OpError;

pub use targets::{plan_scope, resolve_targets, Target};

/// Which rollout to run, and how.
#[derive(Debug, Clone)]
pub struct RolloutRequest {
    /// The rollout's name.
    pub name: String,
    /// Run only this phase.
    pub phase: Option<String>,
    /// Run only the phases of this environment.
    pub environment: Option<String>,
    pub variables: VariableArgs,
    /// Skip the pauses between canary steps and waves.
    pub no_pause: bool,
    /// Allow destroying or replacing objects in a protected environment.
    pub allow_destroy: bool,
    /// How long to wait for each environment's lock.
    pub lock_timeout: Duration,
    /// How many operations run at once.
    pub parallelism: usize,
}

/// Where a rollout stands: each phase's latest record, in phase order.
pub struct RolloutStatus {
    pub rollout: Rollout,
    pub records: Vec<Option<PhaseRecord>>,
}

/// How a rollout run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolloutOutcome {
    /// Every selected phase succeeded.
    Complete,
    /// A phase stopped the run: it failed (and was rolled back or halted) or was
    /// interrupted.
    Stopped { phase: String, interrupted: bool },
}

/// The rollout `request` names, with its `--phase` and `--env` checked.
fn find(project: &Project, request: &RolloutRequest) -> Result<Rollout, OpError> {
    let parsed = project.parse();
    if parsed.has_errors() {
        return Err(OpError::Diagnostics {
            diagnostics: parsed.diagnostics.clone(),
            sources: parsed.sources,
        });
    }
    let rollouts = parsed.rollouts();
    let Some(rollout) = rollouts.iter().find(|r| r.name == request.name) else {
        let names: Vec<&str> = rollouts.iter().map(|r| r.name.as_str()).collect();
        let help = if names.is_empty() {
            format!(
                "there is no rollout `{}`: this configuration declares no rollout.",
                request.name
            )
        } else {
            let hint = suggest(&request.name, names.iter().copied())
                .map(|s| format!(" Did you mean `{s}`?"))
                .unwrap_or_default();
            format!(
                "there is no rollout `{}`.{hint} Declared rollouts: {}.",
                request.name,
                names.join(", ")
            )
        };
        return Err(OpError::diagnostic(
            Diagnostic::new(&codes::E0909).with_help(help),
        ));
    };
    if let Some(p) = &request.phase {
        if !rollout.phases.iter().any(|x| &x.name == p) {
            let names: Vec<&str> = rollout.phases.iter().map(|x| x.name.as_str()).collect();
            return Err(OpError::diagnostic(
                Diagnostic::new(&codes::E0910).with_help(format!(
                    "rollout `{}` has no phase `{p}`; its phases are: {}.",
                    rollout.name,
                    names.join(", ")
                )),
            ));
        }
    }
    if let Some(e) = &request.environment {
        if !rollout.phases.iter().any(|x| &x.environment == e) {
            return Err(OpError::diagnostic(
                Diagnostic::new(&codes::E0910).with_help(format!(
                    "no phase of rollout `{}` runs in environment `{e}`.",
                    rollout.name
                )),
            ));
        }
    }
    Ok(rollout.clone())
}

/// Each phase's record from its environment's state.
fn records(project: &Project, rollout: &Rollout) -> Result<Vec<Option<PhaseRecord>>, OpError> {
    let parsed = project.parse();
    let mut states: Vec<(String, State)> = Vec::new();
    let mut out = Vec::new();
    for p in &rollout.phases {
        if !states.iter().any(|(e, _)| e == &p.environment) {
            let store = project.store(&parsed, &p.environment)?;
            let state = store.load()?.map(|l| l.state).unwrap_or_default();
            states.push((p.environment.clone(), state));
        }
        let state = states
            .iter()
            .find(|(e, _)| e == &p.environment)
            .map(|(_, s)| s);
        out.push(state.and_then(|s| phase_record(s, &rollout.name, &p.name)));
    }
    Ok(out)
}

/// Where rollout `request.name` stands (`aic rollout NAME --status`); plans nothing.
pub fn status(project: &Project, request: &RolloutRequest) -> Result<RolloutStatus, OpError> {
    let rollout = find(project, request)?;
    let records = records(project, &rollout)?;
    Ok(RolloutStatus { rollout, records })
}

/// The Mermaid flowchart of rollout `request.name`, with wave targets resolved per
/// environment where the environment's configuration loads.
pub fn flowchart(project: &Project, request: &RolloutRequest) -> Result<String, OpError> {
    let rollout = find(project, request)?;
    let mut resolved: Vec<(String, Option<Vec<String>>)> = Vec::new();
    for p in &rollout.phases {
        let targets = p.targets.as_ref().and_then(|_| {
            let ws = project
                .workspace(Some(&p.environment), &request.variables, &Quiet)
                .ok()?;
            resolve_targets(&ws, p)
                .ok()
                .map(|ts| ts.into_iter().map(|t| t.address).collect())
        });
        resolved.push((p.name.clone(), targets));
    }
    Ok(graph::mermaid(&rollout, &|name| {
        resolved
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, t)| t.clone())
    }))
}

/// A rollout run, ready to start: which phases it runs.
pub struct PreparedRollout {
    project: Project,
    request: RolloutRequest,
    rollout: Rollout,
    records: Vec<Option<PhaseRecord>>,
    run_id: String,
    start: usize,
    selected: Vec<usize>,
}

impl PreparedRollout {
    /// Finds the rollout and, from each phase's record, where the run resumes: the run
    /// of the most recently started record goes on at its first phase not succeeded, or
    /// a new run starts at the first phase (see [`progress::resume_point`]).
    pub fn prepare(
        project: &Project,
        request: &RolloutRequest,
    ) -> Result<PreparedRollout, OpError> {
        let rollout = find(project, request)?;
        let records = records(project, &rollout)?;
        let (run_id, start) = progress::resume_point(&records, &new_run_id());
        let selected: Vec<usize> = match &request.phase {
            Some(p) => rollout
                .phases
                .iter()
                .position(|x| &x.name == p)
                .into_iter()
                .collect(),
            None => (start..rollout.phases.len())
                .filter(|i| {
                    request
                        .environment
                        .as_ref()
                        .is_none_or(|e| rollout.phases.get(*i).is_some_and(|p| &p.environment == e))
                })
                .collect(),
        };
        Ok(PreparedRollout {
            project: project.clone(),
            request: request.clone(),
            rollout,
            records,
            run_id,
            start,
            selected,
        })
    }

    pub fn rollout(&self) -> &Rollout {
        &self.rollout
    }

    /// The phases this run will run, in order (none: nothing to do).
    pub fn phases(&self) -> Vec<&Phase> {
        self.selected
            .iter()
            .filter_map(|i| self.rollout.phases.get(*i))
            .collect()
    }

    /// When the run resumes an earlier one: its id and the phases that already
    /// succeeded in it.
    pub fn resumed(&self) -> Option<(&str, Vec<&str>)> {
        if self.request.phase.is_some() || self.start == 0 {
            return None;
        }
        let done = self
            .rollout
            .phases
            .iter()
            .take(self.start)
            .map(|p| p.name.as_str())
            .collect();
        Some((&self.run_id, done))
    }

    /// Runs the phases in order until one stops the run. `cancel` (Ctrl-C) lets the
    /// running operations finish, records the phase as interrupted and stops.
    pub async fn run(
        self,
        observer: &Arc<dyn Observer>,
        cancel: &Arc<AtomicBool>,
    ) -> Result<RolloutOutcome, OpError> {
        for &i in &self.selected {
            let Some(phase) = self.rollout.phases.get(i) else {
                continue;
            };
            let prior = self.records.get(i).cloned().flatten();
            let run = PhaseRun {
                project: &self.project,
                request: &self.request,
                rollout: &self.rollout,
                phase,
                run_id: &self.run_id,
                observer,
                cancel,
                notes: OnceLock::new(),
            };
            match run.run(prior).await? {
                PhaseEnd::Succeeded => {}
                PhaseEnd::Stopped { interrupted } => {
                    return Ok(RolloutOutcome::Stopped {
                        phase: phase.name.clone(),
                        interrupted,
                    })
                }
            }
        }
        self.completed(observer.as_ref()).await;
        Ok(RolloutOutcome::Complete)
    }

    /// Tells the rollout's notifications listening for `completed` that every phase of
    /// the run succeeded (evaluated in the last phase's environment).
    async fn completed(&self, observer: &dyn Observer) {
        let Some(last) = self.rollout.phases.last() else {
            return;
        };
        if !self
            .rollout
            .notify
            .iter()
            .any(|n| n.on.contains(&NotifyEvent::Completed))
            || self.request.phase.is_some()
            || self.request.environment.is_some()
        {
            return;
        }
        let Ok(ws) =
            self.project
                .workspace(Some(&last.environment), &self.request.variables, &Quiet)
        else {
            return;
        };
        let notes = notify::resolve(&ws, &ws.root_values(), &self.rollout.notify, observer);
        let phases: Vec<String> = self.rollout.phases.iter().map(|p| p.name.clone()).collect();
        let message = format!("all {} phase(s) succeeded", phases.len());
        let h = notify::Happening {
            rollout: &self.rollout.name,
            event: NotifyEvent::Completed,
            phase: None,
            environment: None,
            run: &self.run_id,
            status: None,
            message: &message,
            checks: &[],
            phases: &phases,
        };
        notify::send(&notes, &h, false, observer).await;
    }
}

/// A run id only needs to differ between runs: time and process id.
fn new_run_id() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:x}-{:x}",
        now.unix_timestamp_nanos() as u64,
        std::process::id()
    )
}

enum PhaseEnd {
    Succeeded,
    Stopped { interrupted: bool },
}

/// One apply step of a phase: a canary weight, or a wave of targets.
struct Step {
    weight: u32,
    targets: Vec<Target>,
    label: String,
}

/// The steps of `phase` over its `targets`.
fn steps(phase: &Phase, targets: &[Target]) -> Vec<Step> {
    match &phase.strategy {
        Strategy::AllAtOnce | Strategy::BlueGreen => vec![Step {
            weight: 100,
            targets: targets.to_vec(),
            label: String::new(),
        }],
        Strategy::Canary { steps, .. } => steps
            .iter()
            .map(|w| Step {
                weight: *w,
                targets: targets.to_vec(),
                label: format!("canary step {w}%"),
            })
            .collect(),
        Strategy::Waves { size, .. } => {
            if targets.is_empty() {
                return vec![Step {
                    weight: 100,
                    targets: Vec::new(),
                    label: "wave 1".into(),
                }];
            }
            targets
                .chunks((*size).max(1))
                .enumerate()
                .map(|(i, c)| Step {
                    weight: 100,
                    targets: c.to_vec(),
                    label: format!(
                        "wave {} ({})",
                        i + 1,
                        c.iter()
                            .map(|t| t.address.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                })
                .collect()
        }
    }
}

/// The pause between steps of `phase`.
fn pause_of(phase: &Phase) -> Duration {
    match &phase.strategy {
        Strategy::Canary { pause, .. } | Strategy::Waves { pause, .. } => *pause,
        _ => Duration::ZERO,
    }
}

/// One phase being run.
struct PhaseRun<'a> {
    project: &'a Project,
    request: &'a RolloutRequest,
    rollout: &'a Rollout,
    phase: &'a Phase,
    run_id: &'a str,
    observer: &'a Arc<dyn Observer>,
    cancel: &'a Arc<AtomicBool>,
    /// The notifications of the rollout and the phase, resolved once the phase's
    /// environment is loaded.
    notes: OnceLock<Vec<notify::Resolved>>,
}

/// The environment of a running phase: its workspace, store and lock, and the state as
/// last written.
struct Env {
    ws: Arc<Workspace>,
    store: EnvStore,
    lock: StateLock,
    state: State,
    providers: Arc<Providers>,
}

impl PhaseRun<'_> {
    fn event(&self, e: &Event<'_>) {
        self.observer.event(e);
    }

    fn context(&self, weight: u32, target: &str) -> RolloutContext {
        RolloutContext {
            rollout: self.rollout.name.clone(),
            phase: self.phase.name.clone(),
            weight,
            target: target.to_string(),
        }
    }

    /// Records `rec` in `state` and writes it as a new version.
    fn write(&self, env: &mut Env, rec: &PhaseRecord) -> Result<(), OpError> {
        set_phase_record(&mut env.state, &self.rollout.name, &self.phase.name, rec);
        env.store.write(&env.lock, &mut env.state)?;
        Ok(())
    }

    fn where_(&self, step: &Step) -> String {
        if step.label.is_empty() {
            format!("phase {}", self.phase.name)
        } else {
            format!("phase {} ({})", self.phase.name, step.label)
        }
    }

    fn set_rollout(&self, env: &mut Env, ctx: &RolloutContext) -> Result<(), OpError> {
        match Arc::get_mut(&mut env.ws) {
            Some(w) => {
                w.rollout = rollout_value(Some(ctx));
                Ok(())
            }
            // Apply has joined every task it started: nothing else holds the workspace.
            None => Err(OpError::diagnostic(
                Diagnostic::new(&codes::E0690)
                    .with_help("The workspace of a rollout phase was still shared after an apply."),
            )),
        }
    }

    async fn run(&self, prior: Option<PhaseRecord>) -> Result<PhaseEnd, OpError> {
        let phase = self.phase;
        self.event(&Event::PhaseStarted { phase });
        let ws = self.project.workspace(
            Some(&phase.environment),
            &self.request.variables,
            self.observer.as_ref(),
        )?;
        let targets = resolve_targets(&ws, phase).map_err(|d| OpError::Diagnostics {
            sources: ws.sources.clone(),
            diagnostics: vec![d],
        })?;
        let store = self.project.open_store(&ws.backend, &phase.environment)?;
        let lock = take_lock(
            &store,
            "rollout",
            self.request.lock_timeout,
            self.observer.as_ref(),
        )?;
        let state = read_state(&store, self.observer.as_ref())?;
        let mut env = Env {
            ws: Arc::new(ws),
            store,
            lock,
            state,
            providers: Arc::new(Providers::default()),
        };
        if env.state.serial == 0 {
            // A first, empty version: what a rollback of this phase returns to.
            env.store.write(&env.lock, &mut env.state)?;
        }
        let (who, host) = progress::who_and_host();
        // An interrupted run of this phase keeps the serial it started from and the
        // objects it held back.
        let resumed = prior
            .clone()
            .filter(|r| r.run == self.run_id && r.status == Status::Started);
        let mut rec = PhaseRecord {
            run: self.run_id.to_string(),
            environment: phase.environment.clone(),
            strategy: phase.strategy.kind().to_string(),
            status: Status::Started,
            serial_before: Some(env.state.serial),
            started: Some(now_rfc3339()),
            who,
            host,
            ..PhaseRecord::default()
        };
        if let Some(r) = &resumed {
            self.event(&Event::PhaseResumed {
                phase,
                started: r.started.as_deref().unwrap_or_default(),
                serial_before: r.serial_before.unwrap_or(0),
            });
            rec.serial_before = r.serial_before;
            rec.held = r.held.clone();
        }
        let serial_before = rec.serial_before.unwrap_or(env.state.serial);
        // An alert a failed run of this phase opened stays open until a pass resolves it.
        rec.paged = prior.as_ref().is_some_and(|p| p.paged);
        let _ = self.notes.set(self.resolve_notes(&env.ws));
        self.notify(NotifyEvent::Started, &mut rec).await;
        self.write(&mut env, &rec)?;

        let steps = steps(phase, &targets);
        let pause = pause_of(phase);
        let mut held: Vec<ResourceState> = rec
            .held
            .iter()
            .filter_map(|v| serde_json::from_value(v.clone()).ok())
            .collect();
        let mut failure: Option<String> = None;
        let mut failed_targets = 0usize;
        let mut totals = (0usize, 0usize, 0usize);
        if matches!(phase.strategy, Strategy::Waves { .. }) {
            for t in &targets {
                rec.targets.insert(t.address.clone(), "pending".into());
            }
        }
        for (si, step) in steps.iter().enumerate() {
            if si > 0 && !pause.is_zero() && !self.wait(pause, &step.label).await {
                rec.message = "interrupted".into();
                self.write(&mut env, &rec)?;
                return Ok(PhaseEnd::Stopped { interrupted: true });
            }
            if !step.label.is_empty() {
                self.event(&Event::StepStarted { label: &step.label });
            }
            self.set_rollout(&mut env, &self.context(step.weight, ""))?;
            let refs: Vec<&Target> = step.targets.iter().collect();
            let scope = plan_scope(&env.ws, &env.state, &refs);
            let mut report: Option<ApplyReport> = None;
            if refs.is_empty() || !scope.is_empty() {
                let opts = PlanOptions {
                    refresh: true,
                    targets: scope.clone(),
                    allow_destroy: self.request.allow_destroy,
                    ..PlanOptions::default()
                };
                let mut planned =
                    match planner::plan(&env.ws, &env.state, &env.providers, &opts).await {
                        Ok(p) => p,
                        Err(diagnostics) => {
                            self.event(&Event::Diagnostics {
                                sources: &env.ws.sources,
                                diagnostics: &diagnostics,
                            });
                            failure = Some(format!("planning {} failed", self.where_(step)));
                            break;
                        }
                    };
                if matches!(phase.strategy, Strategy::BlueGreen) {
                    let newly = blue_green::hold_replacements(&mut planned);
                    for h in &newly {
                        self.event(&Event::Held {
                            address: &h.address,
                        });
                    }
                    held.extend(newly);
                }
                self.event(&Event::StepPlanned { planned: &planned });
                if has_work(&planned) {
                    let (r, new_state, values) = execute(
                        &env.ws,
                        &env.store,
                        &env.lock,
                        planned,
                        &env.providers,
                        self.request.parallelism,
                        self.observer,
                        self.cancel,
                    )
                    .await?;
                    env.state = finish_state(&env.ws, new_state, &values, false);
                    rec.held = held
                        .iter()
                        .filter_map(|h| serde_json::to_value(h).ok())
                        .collect();
                    rec.step = Some(step.weight);
                    self.write(&mut env, &rec)?;
                    self.event(&Event::StepApplied { report: &r });
                    totals.0 += r.added;
                    totals.1 += r.changed;
                    totals.2 += r.destroyed;
                    if r.interrupted {
                        rec.message = "interrupted".into();
                        self.write(&mut env, &rec)?;
                        return Ok(PhaseEnd::Stopped { interrupted: true });
                    }
                    report = Some(r);
                }
            }
            // Checks, against the refreshed state.
            let values = {
                let opts = PlanOptions {
                    refresh: true,
                    targets: scope,
                    ..PlanOptions::default()
                };
                match planner::plan(&env.ws, &env.state, &env.providers, &opts).await {
                    Ok(p) => p.values,
                    Err(diagnostics) => {
                        self.event(&Event::Diagnostics {
                            sources: &env.ws.sources,
                            diagnostics: &diagnostics,
                        });
                        failure = Some(format!("refreshing {} failed", self.where_(step)));
                        break;
                    }
                }
            };
            let failed_apply = |t: Option<&Target>| -> Vec<String> {
                let Some(r) = &report else { return Vec::new() };
                r.failed
                    .iter()
                    .map(|(a, _)| a)
                    .chain(r.skipped.iter())
                    .filter(|a| t.is_none_or(|t| t.contains(a)))
                    .map(ToString::to_string)
                    .collect()
            };
            if matches!(phase.strategy, Strategy::Waves { .. }) && !step.targets.is_empty() {
                for t in &step.targets {
                    let mut bad = failed_apply(Some(t));
                    let results = self.checks(&mut env, &values, step, Some(t)).await?;
                    bad.extend(
                        results
                            .iter()
                            .filter(|c| !c.passed)
                            .map(|c| format!("check {}", c.check)),
                    );
                    rec.checks.extend(results);
                    let status = if bad.is_empty() {
                        "succeeded"
                    } else {
                        failed_targets += 1;
                        self.event(&Event::TargetFailed {
                            target: &t.address,
                            reasons: &bad,
                        });
                        "failed"
                    };
                    rec.targets.insert(t.address.clone(), status.into());
                }
            } else {
                let bad = failed_apply(None);
                if !bad.is_empty() {
                    failed_targets += 1;
                    failure = Some(format!("apply failed for {}", bad.join(", ")));
                } else {
                    let results = self.checks(&mut env, &values, step, None).await?;
                    let failed: Vec<String> = results
                        .iter()
                        .filter(|c| !c.passed)
                        .map(|c| format!("check {} failed ({})", c.check, c.detail))
                        .collect();
                    rec.checks.extend(results);
                    if !failed.is_empty() {
                        failure = Some(failed.join("; "));
                    }
                }
            }
            rec.step = Some(step.weight);
            self.write(&mut env, &rec)?;
            if let Strategy::Waves { max_failures, .. } = &phase.strategy {
                if failed_targets > *max_failures {
                    failure = Some(format!(
                        "{failed_targets} target(s) failed, more than max_failures = {max_failures}"
                    ));
                    for t in steps.iter().skip(si + 1).flat_map(|s| &s.targets) {
                        rec.targets.insert(t.address.clone(), "skipped".into());
                    }
                    if si + 1 < steps.len() {
                        self.event(&Event::LaterWavesSkipped {
                            failed: failed_targets,
                            tolerance: *max_failures,
                        });
                    }
                    break;
                }
            }
            if failure.is_some() {
                break;
            }
        }

        let summary = json!({
            "add": totals.0, "change": totals.1, "destroy": totals.2, "failed_targets": failed_targets,
        });
        match failure {
            None => {
                self.succeed(env, rec, &held, serial_before, failed_targets, &summary)
                    .await
            }
            Some(why) => {
                self.fail(env, rec, &held, serial_before, &why, &summary)
                    .await
            }
        }
    }

    async fn succeed(
        &self,
        mut env: Env,
        mut rec: PhaseRecord,
        held: &[ResourceState],
        serial_before: u64,
        failed_targets: usize,
        summary: &serde_json::Value,
    ) -> Result<PhaseEnd, OpError> {
        if !held.is_empty() {
            self.event(&Event::DestroyingHeld { count: held.len() });
            let results = blue_green::destroy_held(&env.ws, &env.providers, &env.state, held).await;
            for (address, error) in &results {
                self.event(&Event::HeldDestroyed {
                    address,
                    error: error.as_deref(),
                });
            }
            rec.held.clear();
        }
        rec.status = Status::Succeeded;
        rec.finished = Some(now_rfc3339());
        rec.serial_after = Some(env.state.serial + 1);
        rec.message = if failed_targets > 0 {
            format!("{failed_targets} target(s) failed, within max_failures")
        } else {
            String::new()
        };
        self.notify(NotifyEvent::Passed, &mut rec).await;
        self.write(&mut env, &rec)?;
        drop(env);
        self.audit(&rec, serial_before, summary, "succeeded");
        self.event(&Event::PhaseSucceeded {
            phase: self.phase,
            record: &rec,
        });
        Ok(PhaseEnd::Succeeded)
    }

    async fn fail(
        &self,
        mut env: Env,
        mut rec: PhaseRecord,
        held: &[ResourceState],
        serial_before: u64,
        why: &str,
        summary: &serde_json::Value,
    ) -> Result<PhaseEnd, OpError> {
        let phase = self.phase;
        self.event(&Event::PhaseFailed { phase, why });
        if !held.is_empty() {
            self.event(&Event::RestoringHeld { count: held.len() });
            let results =
                blue_green::restore_held(&env.ws, &env.providers, &mut env.state, held).await;
            for (address, error) in &results {
                self.event(&Event::HeldRestored {
                    address,
                    error: error.as_deref(),
                });
            }
            rec.held.clear();
        }
        rec.status = Status::Failed;
        rec.finished = Some(now_rfc3339());
        rec.message = why.to_string();
        rec.serial_after = Some(env.state.serial + 1);
        self.notify(NotifyEvent::Failed, &mut rec).await;
        self.write(&mut env, &rec)?;
        let serial = env.state.serial;
        drop(env);
        if phase.on_failure == OnFailure::Halt {
            self.audit(&rec, serial_before, summary, "failed");
            self.event(&Event::PhaseHalted {
                rollout: &self.rollout.name,
                phase,
                serial,
                serial_before,
            });
            return Ok(PhaseEnd::Stopped { interrupted: false });
        }
        self.event(&Event::RollbackBegun {
            phase,
            to: serial_before,
        });
        match self.roll_back(serial_before).await {
            Ok(outcome) if outcome.complete() => {
                let parsed = self.project.parse();
                let store = self.project.store(&parsed, &phase.environment)?;
                let lock = store.lock("rollout", Duration::from_secs(60))?;
                let state = read_state(&store, self.observer.as_ref())?;
                let mut env = Env {
                    ws: Arc::new(self.project.workspace(
                        Some(&phase.environment),
                        &self.request.variables,
                        &Quiet,
                    )?),
                    store,
                    lock,
                    state,
                    providers: Arc::new(Providers::default()),
                };
                rec.status = Status::RolledBack;
                rec.finished = Some(now_rfc3339());
                rec.serial_after = Some(env.state.serial + 1);
                rec.message = format!("{why}; rolled back to serial {serial_before}");
                self.notify(NotifyEvent::RolledBack, &mut rec).await;
                self.write(&mut env, &rec)?;
                drop(env);
                self.audit(&rec, serial_before, summary, "rolled_back");
                self.event(&Event::PhaseRolledBack {
                    phase,
                    serial: serial_before,
                });
            }
            Ok(outcome) => {
                self.audit(&rec, serial_before, summary, "failed");
                self.event(&Event::RollbackIncomplete {
                    phase,
                    serial: serial_before,
                    failed: outcome.failed,
                    changes: outcome.changes,
                });
            }
            Err(error) => {
                self.audit(&rec, serial_before, summary, "failed");
                self.event(&Event::RollbackFailed {
                    phase,
                    serial: serial_before,
                    error: &error,
                });
            }
        }
        Ok(PhaseEnd::Stopped { interrupted: false })
    }

    /// The notifications of the rollout and of the phase, their URLs and keys evaluated
    /// in the phase's environment.
    fn resolve_notes(&self, ws: &Workspace) -> Vec<notify::Resolved> {
        let all: Vec<Notify> = self
            .rollout
            .notify
            .iter()
            .chain(&self.phase.notify)
            .cloned()
            .collect();
        if all.is_empty() {
            return Vec::new();
        }
        notify::resolve(ws, &ws.root_values(), &all, self.observer.as_ref())
    }

    /// Sends the notifications listening for `event` of this phase, recording them in
    /// `rec` (and whether a PagerDuty alert is open). Never fails the phase.
    async fn notify(&self, event: NotifyEvent, rec: &mut PhaseRecord) {
        let notes = self.notes.get().map_or(&[][..], Vec::as_slice);
        if !notes.iter().any(|n| n.on.contains(&event)) {
            return;
        }
        let h = notify::Happening {
            rollout: &self.rollout.name,
            event,
            phase: Some(&self.phase.name),
            environment: Some(&self.phase.environment),
            run: self.run_id,
            status: Some(rec.status.as_str()),
            message: &rec.message,
            checks: &rec.checks,
            phases: &[],
        };
        let sent = notify::send(notes, &h, rec.paged, self.observer.as_ref()).await;
        for n in &sent {
            match n.action.as_deref() {
                Some("trigger") if n.delivered => rec.paged = true,
                Some("resolve") if n.delivered => rec.paged = false,
                _ => {}
            }
        }
        rec.notifications.extend(sent);
    }

    /// Rolls the phase's environment back to serial `to`: destroying and replacing are
    /// allowed even in a protected environment, since they undo what the phase just did.
    async fn roll_back(&self, to: u64) -> Result<super::RollbackOutcome, OpError> {
        let request = RollbackRequest {
            environment: Some(self.phase.environment.clone()),
            variables: self.request.variables.clone(),
            to: Some(to),
            allow_destroy: true,
            lock_timeout: Duration::from_secs(60),
        };
        let prepared =
            PreparedRollback::prepare(self.project, &request, self.observer.as_ref()).await?;
        if let Some(plan) = prepared.plan() {
            self.event(&Event::RollbackPlanned {
                environment: prepared.environment(),
                from: prepared.from(),
                to: prepared.to(),
                plan,
            });
        }
        let environment = prepared.environment().to_string();
        let outcome = prepared
            .apply(self.request.parallelism, self.observer, self.cancel)
            .await?;
        self.event(&Event::RollbackApplied {
            environment: &environment,
            outcome: &outcome,
        });
        Ok(outcome)
    }

    /// Runs the phase's checks (for one wave target, or for the phase).
    async fn checks(
        &self,
        env: &mut Env,
        values: &Values,
        step: &Step,
        target: Option<&Target>,
    ) -> Result<Vec<CheckResult>, OpError> {
        if self.phase.checks.is_empty() {
            return Ok(Vec::new());
        }
        self.set_rollout(
            env,
            &self.context(step.weight, target.map_or("", |t| t.key.as_str())),
        )?;
        let mut out = Vec::new();
        for c in &self.phase.checks {
            let mut r = check::run(&env.ws, values, c, self.observer.as_ref()).await;
            r.target = target.map(|t| t.address.clone());
            if matches!(self.phase.strategy, Strategy::Canary { .. }) {
                r.step = Some(step.weight);
            }
            self.event(&Event::CheckFinished { result: &r });
            out.push(r);
        }
        Ok(out)
    }

    /// A pause between steps, reported once a second; `false` when interrupted.
    async fn wait(&self, d: Duration, before: &str) -> bool {
        if self.request.no_pause {
            self.event(&Event::PauseSkipped { duration: d });
            return true;
        }
        self.event(&Event::Pause {
            duration: d,
            before,
        });
        let end = tokio::time::Instant::now() + d;
        loop {
            if self.cancel.load(Ordering::SeqCst) {
                return false;
            }
            let now = tokio::time::Instant::now();
            if now >= end {
                break;
            }
            let left = end - now;
            self.event(&Event::PauseTick { left });
            tokio::time::sleep(left.min(Duration::from_secs(1))).await;
        }
        self.event(&Event::PauseOver);
        true
    }

    fn audit(
        &self,
        rec: &PhaseRecord,
        serial_before: u64,
        summary: &serde_json::Value,
        outcome: &str,
    ) {
        audit::append(
            self.project.dir(),
            &audit::phase_record(
                &self.rollout.name,
                &self.phase.name,
                rec,
                serial_before,
                summary,
                outcome,
            ),
            self.observer.as_ref(),
        );
    }
}
