//! What the user sees: diagnostics, plans, the events of a running operation and the
//! summaries after it. Machine-readable output and plans go to stdout; diagnostics,
//! progress and notes go to stderr.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

use aic_engine::apply::ApplyReport;
use aic_engine::ops::rollout::progress::PhaseRecord;
use aic_engine::ops::{Event, Observer, OpError, RollbackOutcome};
use aic_engine::plan::Plan;
use aic_engine::planner::Planned;
use aic_engine::render::{
    render_json, render_markdown, render_markdown_with_graph, render_text, TextOptions,
    GITHUB_COMMENT_LIMIT,
};
use aic_engine::state::State;
use aic_lang::diag::{self, Diagnostic};
use aic_lang::duration::Duration as DurationText;
use aic_lang::source::SourceMap;

use crate::args::PlanFormat;
use crate::progress::Reporter;

/// How this terminal shows things.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

impl Style {
    /// Colour unless `--no-color`, `NO_COLOR` or stderr is not a terminal; the width
    /// from `COLUMNS` (100 otherwise).
    pub fn detect(no_color_flag: bool) -> Style {
        Style {
            color: !no_color_flag
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stderr().is_terminal(),
            width: std::env::var("COLUMNS")
                .ok()
                .and_then(|c| c.parse().ok())
                .unwrap_or(100),
        }
    }
}

/// Writes `text` on stderr.
pub fn err(text: &str) {
    let _ = write!(std::io::stderr(), "{text}");
}

/// Writes `text` on stdout.
pub fn out(text: &str) {
    let _ = write!(std::io::stdout(), "{text}");
}

/// Renders diagnostics on stderr, sorted.
pub fn diagnostics(diags: &[Diagnostic], sources: &SourceMap, style: Style) {
    if !diags.is_empty() {
        err(&diag::render_all(diags, sources, style.color, style.width));
    }
}

/// `N error(s) found.` when `diags` hold errors.
pub fn error_count(diags: &[Diagnostic]) {
    let n = diags.iter().filter(|d| d.is_error()).count();
    if n > 0 {
        eprintln!("{n} error{} found.", if n == 1 { "" } else { "s" });
    }
}

/// An operation's error, on stderr.
pub fn op_error(e: &OpError, style: Style) {
    match e {
        OpError::Diagnostics {
            sources,
            diagnostics: d,
        } => {
            diagnostics(d, sources, style);
            error_count(d);
        }
        OpError::State(e) => {
            let mut out = String::new();
            let handler = miette::GraphicalReportHandler::new_themed(
                miette::GraphicalTheme::unicode_nocolor(),
            )
            .with_links(false)
            .with_width(style.width);
            if handler.render_report(&mut out, e).is_err() {
                out = e.to_string();
            }
            err(&out);
        }
    }
}

/// A plan on stdout in `format`.
pub fn plan(plan: &Plan, format: PlanFormat, style: Style) {
    out(&match format {
        PlanFormat::Text => render_text(
            plan,
            &TextOptions {
                color: style.color,
                width: style.width,
            },
        ),
        PlanFormat::Json => render_json(plan),
        PlanFormat::Markdown => render_markdown(plan, GITHUB_COMMENT_LIMIT),
    });
}

/// The Markdown plan on stdout with a Mermaid diagram of its changes.
pub fn markdown_plan_with_graph(plan: &Plan, mermaid: &str) {
    out(&render_markdown_with_graph(
        plan,
        GITHUB_COMMENT_LIMIT,
        Some(mermaid),
    ));
}

/// Notes for `moved`, `removed` and `import` blocks, which change the state without
/// changing any object. They go to stderr so that `--format json` stays clean.
pub fn surgery(planned: &Planned) {
    for (from, to) in &planned.moves {
        eprintln!("Note: {from} has moved to {to}.");
    }
    for a in &planned.forgets {
        eprintln!("Note: {a} will be removed from the state but not destroyed (removed block).");
    }
    for rs in &planned.imports {
        eprintln!("Note: {} will be imported.", rs.address);
    }
}

/// What did not happen, on stderr, after an apply (`what`: "Apply", "Rollback") that
/// failed or was interrupted.
pub fn failures(report: &ApplyReport, what: &str) {
    if !report.failed.is_empty() || !report.skipped.is_empty() {
        eprintln!(
            "\n{}",
            if report.interrupted {
                format!("{what} interrupted.")
            } else {
                format!("{what} finished with errors.")
            }
        );
        eprintln!("  succeeded: {}", report.succeeded.len());
        for (a, m) in &report.failed {
            eprintln!("  failed:    {a}: {m}");
        }
        for a in &report.skipped {
            eprintln!("  skipped:   {a}");
        }
    }
}

/// The checks the plan deferred to apply, as apply ran them (stderr).
pub fn deferred_policy_results(report: &ApplyReport) {
    if report.policy_results.is_empty() {
        return;
    }
    eprintln!("\nPolicy checks deferred to apply:");
    for r in &report.policy_results {
        let addr = r
            .address
            .as_ref()
            .map_or_else(String::new, |a| format!(" on {a}"));
        if r.passed {
            eprintln!("  ✓ {}{addr}", r.policy);
        } else {
            eprintln!("  ✗ {} ({}){addr}: {}", r.policy, r.level, r.message);
        }
    }
}

/// The outputs of `state` (all, or `name`), as text or JSON, on stdout. `Err` names the
/// outputs when `name` is not one of them.
pub fn outputs(state: &State, name: Option<&str>, json: bool) -> Result<(), String> {
    if json {
        let obj: serde_json::Map<String, serde_json::Value> = state
            .outputs
            .iter()
            .filter(|(k, _)| name.is_none_or(|n| n == k.as_str()))
            .map(|(k, o)| {
                (
                    k.clone(),
                    serde_json::json!({ "value": o.value, "sensitive": o.sensitive }),
                )
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&obj).unwrap_or_default());
        return Ok(());
    }
    if let Some(n) = name {
        let o = state.outputs.get(n).ok_or_else(|| {
            format!(
                "there is no output `{n}` in the state; outputs are: {}",
                state.outputs.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })?;
        println!("{}", o.value);
        return Ok(());
    }
    if !state.outputs.is_empty() {
        println!("\nOutputs:\n");
        for (k, o) in &state.outputs {
            if o.sensitive {
                println!("{k} = (sensitive value)");
            } else {
                println!("{k} = {}", aic_lang::value::Value::from_json(&o.value));
            }
        }
    }
    Ok(())
}

/// The summary lines of a rollback (`say`: where they go).
pub fn rollback_outcome(environment: &str, o: &RollbackOutcome, say: &dyn Fn(&str)) {
    failures(&o.report, "Rollback");
    let outcome = if o.complete() {
        "complete"
    } else if o.report.interrupted {
        "interrupted"
    } else {
        "failed"
    };
    say(&format!(
        "\nRollback {outcome}! Resources: {} added, {} changed, {} destroyed.\n",
        o.report.added, o.report.changed, o.report.destroyed
    ));
    say(&if o.complete() {
        format!(
            "Environment `{environment}` is back at serial {}, written as serial {}.\n",
            o.to, o.serial_after
        )
    } else {
        format!(
            "Environment `{environment}` is only partly back at serial {}; what was done is saved as serial {}. Run `aic rollback --to {}` again to finish.\n",
            o.to, o.serial_after, o.to
        )
    });
}

/// A phase's result in one line: checks, targets, serials, message.
pub fn phase_result(r: &PhaseRecord) -> String {
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
    parts.extend(analyses(r));
    parts.join("; ")
}

/// The measurements of each analysis check's latest run: `errors at 50%: 0.01 ✓ 0.2 ✗`
/// (✓ successful, ✗ failed, ? inconclusive, ! error).
fn analyses(r: &PhaseRecord) -> Vec<String> {
    use aic_engine::ops::rollout::progress::Verdict;
    let mut names: Vec<&str> = Vec::new();
    for c in r.checks.iter().filter(|c| !c.measurements.is_empty()) {
        if !names.contains(&c.check.as_str()) {
            names.push(&c.check);
        }
    }
    names
        .iter()
        .filter_map(|n| r.checks.iter().rev().find(|c| c.check == *n))
        .map(|c| {
            let marks: Vec<String> = c
                .measurements
                .iter()
                .map(|m| {
                    let value = match &m.value {
                        Some(serde_json::Value::Array(xs)) if xs.len() == 1 => {
                            aic_engine::ops::rollout::analysis::show(&Some(xs[0].clone()))
                        }
                        None => "error".into(),
                        v => aic_engine::ops::rollout::analysis::show(v),
                    };
                    let mark = match m.verdict {
                        Verdict::Successful => "✓",
                        Verdict::Failed => "✗",
                        Verdict::Inconclusive => "?",
                        Verdict::Error => "!",
                    };
                    format!("{value} {mark}")
                })
                .collect();
            let at = match (&c.target, c.step) {
                (Some(t), _) => format!(" [{t}]"),
                (None, Some(w)) => format!(" at {w}%"),
                _ => String::new(),
            };
            format!("{}{at}: {}", c.check, marks.join(" "))
        })
        .collect()
}

/// Renders the events of an operation on the terminal.
pub struct Terminal {
    style: Style,
    /// stderr is a terminal that can redraw a line.
    live: bool,
    reporter: Mutex<Option<Reporter>>,
    /// The pause being counted down: its length.
    pause: Mutex<Option<Duration>>,
}

impl Terminal {
    pub fn new(style: Style) -> Terminal {
        Terminal {
            style,
            live: std::io::stderr().is_terminal()
                && std::env::var_os("TERM").is_some_and(|t| t != "dumb"),
            reporter: Mutex::new(None),
            pause: Mutex::new(None),
        }
    }

    fn with_reporter(&self, f: impl FnOnce(&mut Option<Reporter>)) {
        let mut r = self.reporter.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut r);
    }
}

impl Observer for Terminal {
    fn event(&self, event: &Event<'_>) {
        let style = self.style;
        match event {
            Event::Diagnostics {
                sources,
                diagnostics: d,
            } => diagnostics(d, sources, style),
            Event::Recovered { operations } => eprintln!(
                "Recovered {operations} operation(s) from an interrupted run's journal."
            ),
            Event::WaitingForLock {
                environment,
                holder,
                timeout,
            } => eprintln!(
                "Waiting for the state lock of environment `{environment}`, held by {}@{} (pid {}) for `aic {}` since {}; giving up after {} (--lock-timeout).",
                holder.who,
                holder.host,
                holder.pid,
                holder.operation,
                holder.created_rfc3339(),
                DurationText(*timeout).short()
            ),
            Event::RunningElsewhere { holder, operations } => eprintln!(
                "Note: `aic {}` by {}@{} (pid {}) is running on this environment; this includes the {operations} operation(s) it has recorded so far.",
                holder.operation, holder.who, holder.host, holder.pid
            ),
            Event::UnrecordedCreates { addresses } => eprintln!(
                "Warning: an interrupted run may have created these without recording the result: {}. They are planned again; check for duplicates in the provider.",
                addresses.join(", ")
            ),
            Event::ApplyStarted { operations } => {
                self.with_reporter(|r| *r = Some(Reporter::new(*operations, self.live)));
            }
            Event::Progress(p) => self.with_reporter(|r| {
                if let Some(r) = r {
                    r.event(p);
                }
            }),
            Event::ApplyFinished { .. } => self.with_reporter(|r| {
                if let Some(r) = r.take() {
                    r.finish();
                }
            }),
            Event::AuditNotWritten { path, error } => eprintln!(
                "Warning: the state was written, but the audit log {} could not be appended to: {error}",
                path.display()
            ),
            Event::PhaseStarted { phase } => eprintln!(
                "\n=== Phase {} (environment {}, {}) ===",
                phase.name,
                phase.environment,
                phase.strategy.describe()
            ),
            Event::PhaseResumed {
                phase,
                started,
                serial_before,
            } => eprintln!(
                "Resuming phase {} interrupted after {started}; rollback would return to serial {serial_before}.",
                phase.name
            ),
            Event::StepStarted { label } => eprintln!("\n--- {label} ---"),
            Event::PauseSkipped { duration } => eprintln!(
                "Pause of {} skipped (--no-pause).",
                DurationText(*duration).short()
            ),
            Event::Pause { duration, before } => {
                *self.pause.lock().unwrap_or_else(|e| e.into_inner()) = Some(*duration);
                eprintln!("Pausing {} before {before}.", DurationText(*duration).short());
            }
            Event::PauseTick { left } => {
                let total = self
                    .pause
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .unwrap_or(*left);
                let shown = DurationText(Duration::from_secs(left.as_secs() + 1)).short();
                if self.live {
                    err(&format!("\r  {shown} left "));
                } else {
                    // Every 30 seconds on a log.
                    let elapsed = total.saturating_sub(*left).as_secs();
                    if elapsed > 0 && elapsed.is_multiple_of(30) {
                        eprintln!("  {shown} left");
                    }
                }
            }
            Event::PauseOver if self.live => eprintln!("\r  pause over.   "),
            Event::StepPlanned { planned } => {
                plan(&planned.plan, PlanFormat::Text, style);
                surgery(planned);
            }
            Event::Held { address } => eprintln!(
                "{address}: blue-green: the old object is kept until the checks pass."
            ),
            Event::StepApplied { report } => failures(report, "Apply"),
            Event::CheckRetry {
                check,
                attempt,
                attempts,
                detail,
                interval,
            } => eprintln!(
                "check {check}: attempt {attempt} of {attempts} failed ({detail}); retrying in {}",
                DurationText(*interval).short()
            ),
            Event::Measured {
                check,
                taken,
                count,
                measurement,
            } => {
                let value = aic_engine::ops::rollout::analysis::show(&measurement.value);
                let detail = if measurement.detail.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", measurement.detail)
                };
                eprintln!(
                    "check {check}: measurement {taken}/{count}: {value} → {}{detail}",
                    measurement.verdict.as_str()
                )
            }
            Event::Notified {
                name,
                kind,
                event,
                attempts,
            } => {
                let retries = if *attempts > 1 {
                    format!(" (attempt {attempts})")
                } else {
                    String::new()
                };
                eprintln!("notify {name}: {event} sent to {kind}{retries}")
            }
            Event::NotifyFailed {
                name,
                kind,
                event,
                error,
            } => eprintln!(
                "Warning: notification {name} ({kind}, {event}): {error}; the rollout goes on"
            ),
            Event::CheckFinished { result } => eprintln!(
                "check {}{}: {} — {}",
                result.check,
                result
                    .target
                    .as_ref()
                    .map(|t| format!(" [{t}]"))
                    .unwrap_or_default(),
                if result.passed { "passed" } else { "FAILED" },
                result.detail
            ),
            Event::TargetFailed { target, reasons } => {
                eprintln!("Target {target} failed: {}.", reasons.join(", "))
            }
            Event::LaterWavesSkipped { failed, tolerance } => eprintln!(
                "Later waves are skipped: {failed} target(s) failed, tolerance {tolerance}."
            ),
            Event::DestroyingHeld { count } => {
                eprintln!("\nChecks passed: destroying the {count} old object(s).")
            }
            Event::HeldDestroyed { address, error } => match error {
                None => eprintln!("{address}: old object destroyed"),
                Some(e) => eprintln!("{address}: destroying the old object failed: {e}"),
            },
            Event::RestoringHeld { count } => eprintln!(
                "Blue-green: destroying the new object(s) and keeping the {count} old one(s)."
            ),
            Event::HeldRestored { address, error } => match error {
                None => eprintln!("{address}: the old object is current again"),
                Some(e) => eprintln!("{address}: destroying the new object failed: {e}"),
            },
            Event::PhaseSucceeded { phase, record } => eprintln!(
                "\nPhase {} succeeded ({}).",
                phase.name,
                phase_result(record)
            ),
            Event::PhaseFailed { phase, why } => eprintln!("\nPhase {} failed: {why}.", phase.name),
            Event::PhaseHalted {
                rollout,
                phase,
                serial,
                serial_before,
            } => eprintln!(
                "on_failure = \"halt\": phase {} stopped where it is (environment {env}, serial {serial}). Fix the problem and rerun `aic rollout {rollout}` to resume, or undo it with `aic rollback --env {env} --to {serial_before}`.",
                phase.name,
                env = phase.environment
            ),
            Event::RollbackBegun { phase, to } => eprintln!(
                "\nRolling environment {} back to serial {to} (the state before phase {}).",
                phase.environment, phase.name
            ),
            Event::RollbackPlanned {
                environment,
                from,
                to,
                plan: p,
            } => {
                err(&format!(
                    "Rolling back environment `{environment}` from serial {from} to serial {to}.\n\n"
                ));
                err(&render_text(
                    p,
                    &TextOptions {
                        color: style.color,
                        width: style.width,
                    },
                ));
                if !p.has_changes() {
                    err(&format!(
                        "\nEnvironment `{environment}` already matches serial {to}: nothing was changed.\n"
                    ));
                }
            }
            Event::RollbackApplied {
                environment,
                outcome,
            } if outcome.changes > 0 => rollback_outcome(environment, outcome, &err),
            Event::PhaseRolledBack { phase, serial } => eprintln!(
                "Phase {} was rolled back: environment {} is as it was at serial {serial}.",
                phase.name, phase.environment
            ),
            Event::RollbackIncomplete {
                phase,
                serial,
                failed,
                changes,
            } => eprintln!(
                "The rollback of phase {} did not finish: {failed} of {changes} change(s) failed. Run `aic rollback --env {env} --to {serial}` again.",
                phase.name,
                env = phase.environment
            ),
            Event::RollbackFailed {
                phase,
                serial,
                error,
            } => {
                op_error(error, style);
                eprintln!(
                    "The rollback of phase {} failed.\nRun `aic rollback --env {} --to {serial}` by hand.",
                    phase.name, phase.environment
                );
            }
            _ => {}
        }
    }
}
