//! `aic rollout NAME`: runs the phases of a rollout in order, each in its environment
//! with its strategy, checks the result, records progress in the environment's state,
//! rolls a failed phase back, and appends an audit line per phase. `--status` and
//! `--graph` read the configuration and the states only.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use aic_engine::audit::{self, AuditRecord};
use aic_engine::rollout::progress::{
    self, now_rfc3339, phase_record, set_phase_record, CheckResult, PhaseRecord, Status,
};
use aic_engine::rollout::{
    self as ro, blue_green, check, context, plan_scope, resolve_targets, Context, OnFailure, Phase,
    Rollout, Strategy, Target,
};
use aic_engine::state::{LocalBackend, ResourceState, State, StateLock, StateStore};
use aic_engine::walk::{PlanOptions, Providers, Workspace};
use aic_lang::diag::{self, Diagnostic};
use aic_lang::source::SourceMap;

use crate::commands::ConfigArgs;
use crate::engine_cmds::{self as ec, PlanFormat};

/// The flags of `aic rollout`.
#[derive(Debug, Clone, clap::Args)]
pub struct RolloutArgs {
    /// The rollout's name.
    name: String,
    /// Run only this phase.
    #[arg(long, value_name = "PHASE")]
    phase: Option<String>,
    /// Run only the phases of this environment.
    #[arg(long, value_name = "NAME")]
    env: Option<String>,
    /// Set a root variable: NAME=VALUE (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
    /// Read `name = value` lines from FILE (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    var_files: Vec<PathBuf>,
    /// Skip the pauses between canary steps and waves.
    #[arg(long)]
    no_pause: bool,
    /// Print where the rollout stands (phase table); plans nothing.
    #[arg(long, conflicts_with = "graph")]
    status: bool,
    /// Print the phases as a Mermaid flowchart.
    #[arg(long)]
    graph: bool,
    #[command(flatten)]
    change: crate::commands::ChangeFlags,
}

/// The rollouts of the configuration in `dir`, or the rendered diagnostics.
fn load_rollouts(dir: &Path, color: bool) -> Result<Vec<Rollout>, ExitCode> {
    let mut sources = SourceMap::new();
    let mut diags: Vec<Diagnostic> = Vec::new();
    let tree = aic_lang::config::load_tree(
        dir,
        Some(&aic_engine::validate::stdlib_dir()),
        &mut sources,
        &mut diags,
    );
    let rollouts = match &tree {
        Ok(t) if !diags.iter().any(Diagnostic::is_error) => {
            let (r, d) = ro::read(&t.module);
            diags.extend(d);
            r
        }
        Ok(_) => Vec::new(),
        Err(e) => {
            eprintln!("Error: cannot read {}: {e}", dir.display());
            return Err(ExitCode::from(1));
        }
    };
    if diags.iter().any(Diagnostic::is_error) {
        eprint!(
            "{}",
            diag::render_all(&diags, &sources, color, crate::commands::term_width())
        );
        let n = diags.iter().filter(|d| d.is_error()).count();
        eprintln!("{n} error{} found.", if n == 1 { "" } else { "s" });
        return Err(ExitCode::from(1));
    }
    Ok(rollouts)
}

fn config_for(args: &RolloutArgs, env: &str) -> ConfigArgs {
    ConfigArgs {
        env: Some(env.to_string()),
        vars: args.vars.clone(),
        var_files: args.var_files.clone(),
    }
}

pub fn rollout_cmd(dir: &Path, args: &RolloutArgs, color: bool) -> Result<ExitCode, String> {
    let rollouts = match load_rollouts(dir, color) {
        Ok(r) => r,
        Err(c) => return Ok(c),
    };
    let Some(rollout) = rollouts.iter().find(|r| r.name == args.name) else {
        let names: Vec<&str> = rollouts.iter().map(|r| r.name.as_str()).collect();
        return Err(if names.is_empty() {
            format!(
                "there is no rollout `{}`: this configuration declares no rollout.",
                args.name
            )
        } else {
            let hint = diag::suggest(&args.name, names.iter().copied())
                .map(|s| format!(" Did you mean `{s}`?"))
                .unwrap_or_default();
            format!(
                "there is no rollout `{}`.{hint} Declared rollouts: {}.",
                args.name,
                names.join(", ")
            )
        });
    };
    if let Some(p) = &args.phase {
        if !rollout.phases.iter().any(|x| &x.name == p) {
            let names: Vec<&str> = rollout.phases.iter().map(|x| x.name.as_str()).collect();
            return Err(format!(
                "rollout `{}` has no phase `{p}`; its phases are: {}.",
                rollout.name,
                names.join(", ")
            ));
        }
    }
    if let Some(e) = &args.env {
        if !rollout.phases.iter().any(|x| &x.environment == e) {
            return Err(format!(
                "no phase of rollout `{}` runs in environment `{e}`.",
                rollout.name
            ));
        }
    }
    if args.graph {
        print!("{}", graph(dir, args, rollout));
        return Ok(ExitCode::SUCCESS);
    }
    let records = records(dir, rollout)?;
    if args.status {
        print_status(rollout, &records);
        return Ok(ExitCode::SUCCESS);
    }
    run(dir, args, rollout, &records, color)
}

/// Each phase's record from its environment's state.
fn records(dir: &Path, rollout: &Rollout) -> Result<Vec<Option<PhaseRecord>>, String> {
    let mut states: Vec<(String, State)> = Vec::new();
    let mut out = Vec::new();
    for p in &rollout.phases {
        if !states.iter().any(|(e, _)| e == &p.environment) {
            let store = ec::backend(dir, &p.environment)?;
            let state = match store.load() {
                Ok(Some(l)) => l.state,
                Ok(None) => State::new(),
                Err(e) => return Err(ec::render_error(&e)),
            };
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

fn print_status(rollout: &Rollout, records: &[Option<PhaseRecord>]) {
    let rows: Vec<[String; 7]> = rollout
        .phases
        .iter()
        .zip(records)
        .map(|(p, r)| {
            let (status, when, who, result) = match r {
                None => ("pending".to_string(), "-".into(), "-".into(), String::new()),
                Some(r) => (
                    r.status.as_str().to_string(),
                    r.finished
                        .clone()
                        .or_else(|| r.started.clone())
                        .unwrap_or_else(|| "-".into()),
                    format!("{}@{}", r.who, r.host),
                    result_text(r),
                ),
            };
            [
                p.name.clone(),
                p.environment.clone(),
                p.strategy.kind().to_string(),
                status,
                when,
                who,
                result,
            ]
        })
        .collect();
    let header = [
        "PHASE",
        "ENVIRONMENT",
        "STRATEGY",
        "STATUS",
        "WHEN",
        "WHO",
        "RESULT",
    ];
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  ", w = *w));
            }
        }
        s.trim_end().to_string()
    };
    println!("Rollout {}:", rollout.name);
    println!("{}", line(header.to_vec()));
    for r in &rows {
        println!("{}", line(r.iter().map(String::as_str).collect()));
    }
}

fn result_text(r: &PhaseRecord) -> String {
    let passed = r.checks.iter().filter(|c| c.passed).count();
    let mut parts = Vec::new();
    if !r.checks.is_empty() {
        parts.push(format!("checks {passed}/{} passed", r.checks.len()));
    }
    if !r.targets.is_empty() {
        let ok = r.targets.values().filter(|s| *s == "succeeded").count();
        parts.push(format!("targets {ok}/{} succeeded", r.targets.len()));
    }
    if let (Some(a), Some(b)) = (r.serial_before, r.serial_after) {
        parts.push(format!("serial {a}→{b}"));
    }
    if !r.message.is_empty() {
        parts.push(r.message.clone());
    }
    parts.join("; ")
}

/// `--graph`: the Mermaid flowchart, with wave targets resolved per environment when the
/// environment's configuration loads.
fn graph(dir: &Path, args: &RolloutArgs, rollout: &Rollout) -> String {
    let mut resolved: Vec<(String, Option<Vec<String>>)> = Vec::new();
    for p in &rollout.phases {
        let targets = p.targets.as_ref().and_then(|_| {
            let ws = Workspace::load(
                dir,
                Some(&p.environment),
                &ec::variable_args(&config_for(args, &p.environment)),
                crate::providers::registry(),
            )
            .ok()?;
            resolve_targets(&ws, p)
                .ok()
                .map(|ts| ts.into_iter().map(|t| t.address).collect())
        });
        resolved.push((p.name.clone(), targets));
    }
    ro::graph::mermaid(rollout, &|name| {
        resolved
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, t)| t.clone())
    })
}

fn run(
    dir: &Path,
    args: &RolloutArgs,
    rollout: &Rollout,
    records: &[Option<PhaseRecord>],
    color: bool,
) -> Result<ExitCode, String> {
    let (run_id, start) = progress::resume_point(records, &uuid_like());
    let selected: Vec<usize> = match &args.phase {
        Some(p) => rollout
            .phases
            .iter()
            .position(|x| &x.name == p)
            .into_iter()
            .collect(),
        None => (start..rollout.phases.len())
            .filter(|i| {
                args.env
                    .as_ref()
                    .is_none_or(|e| rollout.phases.get(*i).is_some_and(|p| &p.environment == e))
            })
            .collect(),
    };
    if selected.is_empty() {
        eprintln!("Rollout {}: nothing to run.", rollout.name);
        return Ok(ExitCode::SUCCESS);
    }
    let names: Vec<String> = selected
        .iter()
        .filter_map(|i| rollout.phases.get(*i))
        .map(|p| format!("{} ({})", p.name, p.environment))
        .collect();
    if args.phase.is_none() && start > 0 {
        let done: Vec<&str> = rollout.phases[..start]
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        eprintln!(
            "Rollout {}: resuming run {run_id}; already succeeded: {}.",
            rollout.name,
            done.join(", ")
        );
    }
    eprintln!(
        "Rollout {}: phases to run: {}.",
        rollout.name,
        names.join(", ")
    );
    if !args.change.auto_approve
        && !ec::confirm(
            "run a rollout",
            &format!(
                "Do you want to run these phases of rollout `{}`?",
                rollout.name
            ),
        )?
    {
        eprintln!("\nRollout cancelled.");
        return Ok(ExitCode::from(1));
    }
    let rt = ec::runtime()?;
    for i in selected {
        let Some(phase) = rollout.phases.get(i) else {
            continue;
        };
        let prior = records.get(i).cloned().flatten();
        let runner = PhaseRun {
            dir,
            args,
            rollout,
            phase,
            run_id: &run_id,
            color,
            rt: &rt,
        };
        match runner.run(prior)? {
            PhaseEnd::Succeeded => {}
            PhaseEnd::Stopped(code) => return Ok(code),
        }
    }
    eprintln!("\nRollout {} complete.", rollout.name);
    Ok(ExitCode::SUCCESS)
}

fn uuid_like() -> String {
    // The run id only needs to differ between runs: time and process id.
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:x}-{:x}",
        now.unix_timestamp_nanos() as u64,
        std::process::id()
    )
}

enum PhaseEnd {
    Succeeded,
    Stopped(ExitCode),
}

struct PhaseRun<'a> {
    dir: &'a Path,
    args: &'a RolloutArgs,
    rollout: &'a Rollout,
    phase: &'a Phase,
    run_id: &'a str,
    color: bool,
    rt: &'a tokio::runtime::Runtime,
}

/// One apply step of a phase: a canary weight, or a wave of targets.
struct Step {
    weight: u32,
    targets: Vec<Target>,
    label: String,
}

impl PhaseRun<'_> {
    fn ctx(&self, weight: u32, target: &str) -> Context {
        Context {
            rollout: self.rollout.name.clone(),
            phase: self.phase.name.clone(),
            weight,
            target: target.to_string(),
        }
    }

    fn write(
        &self,
        store: &LocalBackend,
        lock: &StateLock,
        state: &mut State,
        rec: &PhaseRecord,
    ) -> Result<(), String> {
        set_phase_record(state, &self.rollout.name, &self.phase.name, rec);
        store.write(lock, state).map_err(|e| ec::render_error(&e))
    }

    fn steps(&self, targets: &[Target]) -> Vec<Step> {
        match &self.phase.strategy {
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

    fn pause(&self) -> Duration {
        match &self.phase.strategy {
            Strategy::Canary { pause, .. } | Strategy::Waves { pause, .. } => *pause,
            _ => Duration::ZERO,
        }
    }

    fn run(&self, prior: Option<PhaseRecord>) -> Result<PhaseEnd, String> {
        let phase = self.phase;
        let env = phase.environment.as_str();
        eprintln!(
            "\n=== Phase {} (environment {}, {}) ===",
            phase.name,
            env,
            phase.strategy.describe()
        );
        let ws = match ec::load_workspace(self.dir, &config_for(self.args, env), self.color) {
            Ok(ws) => ws,
            Err(c) => return Ok(PhaseEnd::Stopped(c)),
        };
        let mut ws = Arc::new(ws);
        let targets = match resolve_targets(&ws, phase) {
            Ok(t) => t,
            Err(d) => {
                eprint!(
                    "{}",
                    diag::render_all(&[d], &ws.sources, self.color, crate::commands::term_width())
                );
                return Ok(PhaseEnd::Stopped(ExitCode::from(1)));
            }
        };
        let store = ec::backend(self.dir, env)?;
        let lock = ec::lock(&store, "rollout", &self.args.change.lock_timeout)?;
        let mut state = ec::load_state(&store)?;
        if state.serial == 0 {
            // A first, empty version: what a rollback of this phase returns to.
            store
                .write(&lock, &mut state)
                .map_err(|e| ec::render_error(&e))?;
        }
        let (who, host) = progress::who_and_host();
        // An interrupted run of this phase keeps the serial it started from and the
        // objects it held back.
        let resumed = prior.filter(|r| r.run == self.run_id && r.status == Status::Started);
        let mut rec = PhaseRecord {
            run: self.run_id.to_string(),
            environment: env.to_string(),
            strategy: phase.strategy.kind().to_string(),
            status: Status::Started,
            serial_before: Some(state.serial),
            started: Some(now_rfc3339()),
            who,
            host,
            ..PhaseRecord::default()
        };
        if let Some(r) = &resumed {
            eprintln!(
                "Resuming phase {} interrupted after {}; rollback would return to serial {}.",
                phase.name,
                r.started.clone().unwrap_or_default(),
                r.serial_before.unwrap_or(0)
            );
            rec.serial_before = r.serial_before;
            rec.held = r.held.clone();
        }
        let serial_before = rec.serial_before.unwrap_or(state.serial);
        self.write(&store, &lock, &mut state, &rec)?;

        let providers = Arc::new(Providers::default());
        let steps = self.steps(&targets);
        let pause = self.pause();
        let mut held: Vec<ResourceState> = rec
            .held
            .iter()
            .filter_map(|v| serde_json::from_value(v.clone()).ok())
            .collect();
        let mut failure: Option<String> = None;
        let mut failed_targets = 0usize;
        let mut totals = (0usize, 0usize, 0usize);
        for t in &targets {
            if matches!(phase.strategy, Strategy::Waves { .. }) {
                rec.targets.insert(t.address.clone(), "pending".into());
            }
        }
        for (si, step) in steps.iter().enumerate() {
            if si > 0 && !pause.is_zero() {
                self.wait(pause, &step.label);
            }
            if !step.label.is_empty() {
                eprintln!("\n--- {} ---", step.label);
            }
            match Arc::get_mut(&mut ws) {
                Some(w) => w.rollout = context(Some(&self.ctx(step.weight, ""))),
                None => return Err("internal: the workspace is still in use".into()),
            }
            let refs: Vec<&Target> = step.targets.iter().collect();
            let scope = plan_scope(&ws, &state, &refs);
            let mut report = None;
            if refs.is_empty() || !scope.is_empty() {
                let opts = PlanOptions {
                    refresh: true,
                    targets: scope.clone(),
                    allow_destroy: self.args.change.allow_destroy,
                    ..PlanOptions::default()
                };
                let mut planned = match self
                    .rt
                    .block_on(ec::make_plan(&ws, &state, &providers, &opts, self.color))
                {
                    Ok(p) => p,
                    Err(_) => {
                        failure = Some(format!("planning {} failed", self.where_(step)));
                        break;
                    }
                };
                if matches!(phase.strategy, Strategy::BlueGreen) {
                    let newly = blue_green::hold_replacements(&mut planned);
                    for h in &newly {
                        eprintln!(
                            "{}: blue-green: the old object is kept until the checks pass.",
                            h.address
                        );
                    }
                    held.extend(newly);
                }
                ec::print_plan(&planned.plan, PlanFormat::Text, self.color);
                ec::print_surgery(&planned);
                let surgery = !planned.moves.is_empty()
                    || !planned.forgets.is_empty()
                    || !planned.imports.is_empty();
                if planned.plan.has_changes() || surgery {
                    let (r, new_state, values) = ec::execute_plan(
                        self.rt,
                        &ws,
                        &store,
                        &lock,
                        planned,
                        &providers,
                        self.args.change.parallelism,
                    )?;
                    let mut new_state =
                        aic_engine::apply::finish_state(&ws, new_state, &values, false);
                    rec.held = held
                        .iter()
                        .filter_map(|h| serde_json::to_value(h).ok())
                        .collect();
                    rec.step = Some(step.weight);
                    self.write(&store, &lock, &mut new_state, &rec)?;
                    state = new_state;
                    ec::print_failures(&r, "Apply");
                    totals.0 += r.added;
                    totals.1 += r.changed;
                    totals.2 += r.destroyed;
                    if r.interrupted {
                        rec.message = "interrupted".into();
                        self.write(&store, &lock, &mut state, &rec)?;
                        return Ok(PhaseEnd::Stopped(ExitCode::from(130)));
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
                match self
                    .rt
                    .block_on(ec::make_plan(&ws, &state, &providers, &opts, self.color))
                {
                    Ok(p) => p.values,
                    Err(_) => {
                        failure = Some(format!("refreshing {} failed", self.where_(step)));
                        break;
                    }
                }
            };
            let is_waves = matches!(phase.strategy, Strategy::Waves { .. });
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
            if is_waves && !step.targets.is_empty() {
                for t in &step.targets {
                    let mut bad = failed_apply(Some(t));
                    let results = self.checks(&mut ws, &values, step, Some(t))?;
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
                        eprintln!("Target {} failed: {}.", t.address, bad.join(", "));
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
                    let results = self.checks(&mut ws, &values, step, None)?;
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
            self.write(&store, &lock, &mut state, &rec)?;
            if let Strategy::Waves { max_failures, .. } = &phase.strategy {
                if failed_targets > *max_failures {
                    failure = Some(format!(
                        "{failed_targets} target(s) failed, more than max_failures = {max_failures}"
                    ));
                    for t in steps.iter().skip(si + 1).flat_map(|s| &s.targets) {
                        rec.targets.insert(t.address.clone(), "skipped".into());
                    }
                    if si + 1 < steps.len() {
                        eprintln!("Later waves are skipped: {failed_targets} target(s) failed, tolerance {max_failures}.");
                    }
                    break;
                }
            }
            if failure.is_some() {
                break;
            }
        }

        let summary = serde_json::json!({
            "add": totals.0, "change": totals.1, "destroy": totals.2, "failed_targets": failed_targets,
        });
        match failure {
            None => {
                if !held.is_empty() {
                    eprintln!(
                        "\nChecks passed: destroying the {} old object(s).",
                        held.len()
                    );
                    let results = self
                        .rt
                        .block_on(blue_green::destroy_held(&ws, &providers, &state, &held));
                    for (a, e) in &results {
                        match e {
                            None => eprintln!("{a}: old object destroyed"),
                            Some(e) => eprintln!("{a}: destroying the old object failed: {e}"),
                        }
                    }
                    rec.held.clear();
                }
                rec.status = Status::Succeeded;
                rec.finished = Some(now_rfc3339());
                rec.serial_after = Some(state.serial + 1);
                rec.message = if failed_targets > 0 {
                    format!("{failed_targets} target(s) failed, within max_failures")
                } else {
                    String::new()
                };
                self.write(&store, &lock, &mut state, &rec)?;
                drop(lock);
                self.audit(&rec, serial_before, &summary, "succeeded");
                eprintln!("\nPhase {} succeeded ({}).", phase.name, result_text(&rec));
                Ok(PhaseEnd::Succeeded)
            }
            Some(why) => {
                eprintln!("\nPhase {} failed: {why}.", phase.name);
                if !held.is_empty() {
                    eprintln!(
                        "Blue-green: destroying the new object(s) and keeping the {} old one(s).",
                        held.len()
                    );
                    let results = self
                        .rt
                        .block_on(blue_green::restore_held(&ws, &providers, &mut state, &held));
                    for (a, e) in &results {
                        match e {
                            None => eprintln!("{a}: the old object is current again"),
                            Some(e) => eprintln!("{a}: destroying the new object failed: {e}"),
                        }
                    }
                    rec.held.clear();
                }
                rec.status = Status::Failed;
                rec.finished = Some(now_rfc3339());
                rec.message = why.clone();
                rec.serial_after = Some(state.serial + 1);
                self.write(&store, &lock, &mut state, &rec)?;
                drop(lock);
                if phase.on_failure == OnFailure::Halt {
                    self.audit(&rec, serial_before, &summary, "failed");
                    eprintln!(
                        "on_failure = \"halt\": phase {} stopped where it is (environment {env}, serial {}). Fix the problem and rerun `aic rollout {}` to resume, or undo it with `aic rollback --env {env} --to {serial_before}`.",
                        phase.name,
                        state.serial,
                        self.rollout.name
                    );
                    return Ok(PhaseEnd::Stopped(ExitCode::from(1)));
                }
                eprintln!(
                    "\nRolling environment {env} back to serial {serial_before} (the state before phase {}).",
                    phase.name
                );
                match crate::rollback::rollback_to(self.dir, env, serial_before, false, self.color)
                {
                    Ok(outcome) if outcome.failed == 0 => {
                        let lock = ec::lock(&store, "rollout", "60s")?;
                        let mut state = ec::load_state(&store)?;
                        rec.status = Status::RolledBack;
                        rec.finished = Some(now_rfc3339());
                        rec.serial_after = Some(state.serial + 1);
                        rec.message = format!("{why}; rolled back to serial {serial_before}");
                        self.write(&store, &lock, &mut state, &rec)?;
                        drop(lock);
                        self.audit(&rec, serial_before, &summary, "rolled_back");
                        eprintln!(
                            "Phase {} was rolled back: environment {env} is as it was at serial {serial_before}.",
                            phase.name
                        );
                    }
                    Ok(outcome) => {
                        self.audit(&rec, serial_before, &summary, "failed");
                        eprintln!(
                            "The rollback of phase {} did not finish: {} of {} change(s) failed. Run `aic rollback --env {env} --to {serial_before}` again.",
                            phase.name, outcome.failed, outcome.changes
                        );
                    }
                    Err(e) => {
                        self.audit(&rec, serial_before, &summary, "failed");
                        eprintln!(
                            "The rollback of phase {} failed: {e}\nRun `aic rollback --env {env} --to {serial_before}` by hand.",
                            phase.name
                        );
                    }
                }
                Ok(PhaseEnd::Stopped(ExitCode::from(1)))
            }
        }
    }

    fn where_(&self, step: &Step) -> String {
        if step.label.is_empty() {
            format!("phase {}", self.phase.name)
        } else {
            format!("phase {} ({})", self.phase.name, step.label)
        }
    }

    /// Runs the phase's checks (for one wave target, or for the phase).
    fn checks(
        &self,
        ws: &mut Arc<Workspace>,
        values: &aic_engine::values::Values,
        step: &Step,
        target: Option<&Target>,
    ) -> Result<Vec<CheckResult>, String> {
        if self.phase.checks.is_empty() {
            return Ok(Vec::new());
        }
        match Arc::get_mut(ws) {
            Some(w) => {
                w.rollout = context(Some(
                    &self.ctx(step.weight, target.map_or("", |t| t.key.as_str())),
                ))
            }
            None => return Err("internal: the workspace is still in use".into()),
        }
        let mut out = Vec::new();
        for c in &self.phase.checks {
            let report = |line: &str| eprintln!("{line}");
            let mut r = self.rt.block_on(check::run(ws, values, c, &report));
            r.target = target.map(|t| t.address.clone());
            if matches!(self.phase.strategy, Strategy::Canary { .. }) {
                r.step = Some(step.weight);
            }
            eprintln!(
                "check {}{}: {} — {}",
                c.name,
                r.target
                    .as_ref()
                    .map(|t| format!(" [{t}]"))
                    .unwrap_or_default(),
                if r.passed { "passed" } else { "FAILED" },
                r.detail
            );
            out.push(r);
        }
        Ok(out)
    }

    /// A pause between steps: a countdown on a terminal, plain lines otherwise.
    fn wait(&self, d: Duration, next: &str) {
        if self.args.no_pause {
            eprintln!(
                "Pause of {} skipped (--no-pause).",
                ro::model::show_duration(d)
            );
            return;
        }
        let tty = std::io::stderr().is_terminal();
        eprintln!("Pausing {} before {next}.", ro::model::show_duration(d));
        self.rt.block_on(async {
            let end = tokio::time::Instant::now() + d;
            let tick = if tty {
                Duration::from_secs(1)
            } else {
                Duration::from_secs(30)
            };
            loop {
                let now = tokio::time::Instant::now();
                if now >= end {
                    break;
                }
                let left = end - now;
                if tty {
                    eprint!(
                        "\r  {} left ",
                        ro::model::show_duration(Duration::from_secs(left.as_secs() + 1))
                    );
                    let _ = std::io::stderr().flush();
                } else if left < d {
                    eprintln!(
                        "  {} left",
                        ro::model::show_duration(Duration::from_secs(left.as_secs() + 1))
                    );
                }
                tokio::time::sleep(left.min(tick)).await;
            }
            if tty {
                eprintln!("\r  pause over.   ");
            }
        });
    }

    fn audit(
        &self,
        rec: &PhaseRecord,
        serial_before: u64,
        summary: &serde_json::Value,
        outcome: &str,
    ) {
        let record = AuditRecord {
            operation: "rollout".into(),
            environment: self.phase.environment.clone(),
            serial_before: Some(serial_before),
            serial_after: rec.serial_after,
            summary: summary.clone(),
            detail: serde_json::json!({
                "rollout": self.rollout.name,
                "phase": self.phase.name,
                "run": rec.run,
                "strategy": rec.strategy,
                "outcome": outcome,
                "message": rec.message,
                "checks": rec.checks,
                "targets": rec.targets,
            }),
        };
        if let Err(e) = audit::append(self.dir, &record) {
            eprintln!("Warning: cannot append to the audit log: {e}");
        }
    }
}
