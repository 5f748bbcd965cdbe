//! `aic rollback`: puts an environment's infrastructure back as a kept state version
//! recorded it, and [`rollback_to`], which a rollout calls when a phase's check fails.
//!
//! The engine plans the way back (`aic_engine::rollback`); this module picks the target
//! version, prints the plan, asks, applies through the same machinery as `aic apply`,
//! writes the result as a new state version and appends an audit line.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use aic_engine::audit::{self, AuditRecord};
use aic_engine::plan::Action;
use aic_engine::render::{render_text, TextOptions};
use aic_engine::rollback::{finish_rollback, plan_rollback, RollbackOptions};
use aic_engine::state::{LocalBackend, State, StateStore};
use aic_engine::walk::{Providers, Workspace};
use aic_lang::diag::{self, Diagnostic};

use crate::commands::ConfigArgs;
use crate::engine_cmds as ec;

/// What a rollback did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackOutcome {
    /// The state's serial before the rollback.
    pub serial_before: u64,
    /// The serial of the version the rollback wrote (`serial_before` when it found
    /// nothing to change and wrote nothing).
    pub serial_after: u64,
    /// How many resource instances the rollback planned to create, update, replace or
    /// destroy.
    pub changes: usize,
    /// How many of those failed or were not run (skipped after a failure, or after an
    /// interrupt): zero exactly when the environment is back at the target version.
    pub failed: usize,
}

impl RollbackOutcome {
    /// Nothing to change: the state stays at `serial`.
    fn nothing(serial: u64) -> Self {
        RollbackOutcome {
            serial_before: serial,
            serial_after: serial,
            changes: 0,
            failed: 0,
        }
    }
}

/// Plans and applies the rollback of environment `env` of the configuration in `dir` to
/// state version `to`, taking the lock, journaling, writing the state and appending an
/// audit line (operation "rollback"). `interactive=false` means no confirmation prompt.
/// Output goes to stderr (stdout stays clean).
///
/// Meant for automatic rollbacks (a rollout phase whose check failed): destroying and
/// replacing are allowed even in a protected environment, since they undo what the
/// phase just did. Variables come from `AIC_VAR_*` and the environment's `vars { }`.
/// The lock is waited for up to 60 seconds.
// Used by `aic rollout` (automatic rollback of a failed phase).
#[allow(dead_code)]
pub fn rollback_to(
    dir: &Path,
    env: &str,
    to: u64,
    interactive: bool,
    color: bool,
) -> Result<RollbackOutcome, String> {
    let request = Request {
        config: ConfigArgs {
            env: Some(env.to_string()),
            ..ConfigArgs::default()
        },
        to: Some(to),
        confirm: interactive,
        allow_destroy: true,
        lock_timeout: "60s".into(),
        parallelism: 10,
        to_stdout: false,
    };
    run(dir, &request, color)
}

/// The `aic rollback` command's flags.
#[derive(Debug, clap::Args)]
pub struct RollbackArgs {
    /// The serial of the version to go back to (`aic state history` lists them).
    #[arg(long, value_name = "SERIAL")]
    pub to: Option<u64>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub change: crate::commands::ChangeFlags,
}

/// `aic rollback [--env E] [--to SERIAL] [--auto-approve]`: the plan and the summary go
/// to stdout, as `aic apply` prints them; progress and errors to stderr.
pub fn rollback_cmd(dir: &Path, args: RollbackArgs, color: bool) -> Result<ExitCode, String> {
    let request = Request {
        config: args.config,
        to: args.to,
        confirm: !args.change.auto_approve,
        allow_destroy: args.change.allow_destroy,
        lock_timeout: args.change.lock_timeout,
        parallelism: args.change.parallelism,
        to_stdout: true,
    };
    let outcome = run(dir, &request, color)?;
    Ok(if outcome.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

struct Request {
    config: ConfigArgs,
    to: Option<u64>,
    confirm: bool,
    allow_destroy: bool,
    lock_timeout: String,
    parallelism: usize,
    /// The plan and summary go to stdout (the command) or stderr (an automatic rollback).
    to_stdout: bool,
}

impl Request {
    fn say(&self, text: &str) {
        if self.to_stdout {
            let _ = write!(std::io::stdout(), "{text}");
        } else {
            let _ = write!(std::io::stderr(), "{text}");
        }
    }
}

fn run(dir: &Path, req: &Request, color: bool) -> Result<RollbackOutcome, String> {
    let ws = Arc::new(match ec::load_workspace(dir, &req.config, color) {
        Ok(ws) => ws,
        Err(_) => return Err(
            "the configuration did not load (see the errors above); a rollback uses its providers."
                .into(),
        ),
    });
    let env = ws.environment.clone();
    let store = ec::backend(dir, &env)?;
    let lock = ec::lock(&store, "rollback", &req.lock_timeout)?;
    let current = ec::load_state(&store)?;
    if current.serial == 0 {
        return Err(format!(
            "environment `{env}` has no state yet: there is nothing to roll back."
        ));
    }
    let to = match req.to {
        Some(to) => to,
        None => previous_serial(&store, &current).map_err(|d| report(&ws, &d, color))?,
    };
    if to == current.serial {
        req.say(&format!(
            "Environment `{env}` is at serial {to} already: nothing to roll back.\n"
        ));
        return Ok(RollbackOutcome::nothing(current.serial));
    }
    let target = store.load_version(to).map_err(|e| match e {
        aic_engine::state::StateError::VersionNotFound { .. } => {
            report(&ws, &not_kept(&store, &current, to), color)
        }
        other => ec::render_error(&other),
    })?;
    let rt = ec::runtime()?;
    let providers = Arc::new(Providers::default());
    let opts = RollbackOptions {
        refresh: true,
        allow_destroy: req.allow_destroy,
    };
    let planned = rt
        .block_on(plan_rollback(&ws, &current, &target, &providers, &opts))
        .map_err(|diags| {
            eprint!(
                "{}",
                diag::render_all(&diags, &ws.sources, color, crate::commands::term_width())
            );
            format!(
                "the rollback of environment `{env}` to serial {to} was not planned; nothing was changed."
            )
        })?;
    req.say(&format!(
        "Rolling back environment `{env}` from serial {} to serial {to}.\n\n",
        current.serial
    ));
    req.say(&render_text(
        &planned.plan,
        &TextOptions {
            color,
            width: crate::commands::term_width(),
        },
    ));
    let changes = planned
        .plan
        .resource_changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .count();
    if !planned.plan.has_changes() {
        req.say(&format!(
            "\nEnvironment `{env}` already matches serial {to}: nothing was changed.\n"
        ));
        return Ok(RollbackOutcome::nothing(current.serial));
    }
    if req.confirm {
        confirm(&env, current.serial, to)?;
    }
    let (report, applied, _) = ec::execute_plan(
        &rt,
        &ws,
        &store,
        &lock,
        planned,
        &providers,
        req.parallelism,
    )?;
    let complete = report.failed.is_empty() && report.skipped.is_empty() && !report.interrupted;
    let mut state = finish_rollback(applied, &target, complete);
    store
        .write(&lock, &mut state)
        .map_err(|e| ec::render_error(&e))?;
    let _ = lock.unlock();
    ec::print_failures(&report, "Rollback");
    let failed = report.failed.len() + report.skipped.len();
    let record = AuditRecord {
        operation: "rollback".into(),
        environment: env.clone(),
        serial_before: Some(current.serial),
        serial_after: Some(state.serial),
        summary: serde_json::json!({
            "add": report.added,
            "change": report.changed,
            "destroy": report.destroyed,
            "failed": failed,
        }),
        detail: serde_json::json!({
            "to": to,
            "outcome": if complete { "complete" } else if report.interrupted { "interrupted" } else { "failed" },
            "errors": report.failed.iter().map(|(a, m)| format!("{a}: {m}")).collect::<Vec<_>>(),
        }),
    };
    if let Err(e) = audit::append(dir, &record) {
        eprintln!(
            "Warning: the rollback was done, but its line could not be added to the audit log {}: {e}",
            audit::log_path(dir, &env).display()
        );
    }
    let outcome = if complete {
        "complete"
    } else if report.interrupted {
        "interrupted"
    } else {
        "failed"
    };
    req.say(&format!(
        "\nRollback {outcome}! Resources: {} added, {} changed, {} destroyed.\n",
        report.added, report.changed, report.destroyed
    ));
    req.say(&if complete {
        format!(
            "Environment `{env}` is back at serial {to}, written as serial {}.\n",
            state.serial
        )
    } else {
        format!(
            "Environment `{env}` is only partly back at serial {to}; what was done is saved as serial {}. Run `aic rollback --to {to}` again to finish.\n",
            state.serial
        )
    });
    Ok(RollbackOutcome {
        serial_before: current.serial,
        serial_after: state.serial,
        changes,
        failed,
    })
}

/// Renders `d` on stderr and returns the one-line error for the caller.
fn report(ws: &Workspace, d: &Diagnostic, color: bool) -> String {
    eprint!(
        "{}",
        diag::render_all(
            std::slice::from_ref(d),
            &ws.sources,
            color,
            crate::commands::term_width()
        )
    );
    "nothing was rolled back.".into()
}

/// The newest kept version before the current one.
fn previous_serial(store: &LocalBackend, current: &State) -> Result<u64, Diagnostic> {
    let history = store.history().unwrap_or_default();
    history
        .iter()
        .map(|h| h.serial)
        .filter(|s| *s < current.serial)
        .max()
        .ok_or_else(|| {
            Diagnostic::error("E0640", "No earlier state version").with_help(format!(
                "Environment `{}` keeps no version before the current one (serial {}), so there is nothing to roll back to. `aic state history` lists the kept versions.",
                store.environment(),
                current.serial
            ))
        })
}

/// The error for a `--to` serial that is not kept, listing the ones that are.
fn not_kept(store: &LocalBackend, current: &State, to: u64) -> Diagnostic {
    let mut kept: Vec<u64> = store
        .history()
        .unwrap_or_default()
        .iter()
        .map(|h| h.serial)
        .filter(|s| *s != current.serial)
        .collect();
    kept.sort_unstable();
    let listed = if kept.is_empty() {
        "none".to_string()
    } else {
        kept.iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    Diagnostic::error("E0643", "State version not kept").with_help(format!(
        "Environment `{}` keeps no version with serial {to}. Kept versions: {listed} (current: {}). History keeps the last {} versions; `aic state history` lists them.",
        store.environment(),
        current.serial,
        LocalBackend::DEFAULT_HISTORY_LIMIT
    ))
}

fn confirm(env: &str, from: u64, to: u64) -> Result<(), String> {
    let question =
        format!("Do you want to roll back environment `{env}` from serial {from} to serial {to}?");
    if !crate::engine_cmds::confirm("roll back", &question)? {
        return Err("rollback cancelled; nothing was changed.".into());
    }
    Ok(())
}
