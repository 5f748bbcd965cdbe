//! `rollback`: puts an environment's infrastructure back as a kept state version
//! recorded it. The planner plans the way back ([`crate::planner::plan_rollback`]);
//! this picks the version, takes the lock, applies through the journal like any apply,
//! writes the result as a new version and appends the audit line.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use aic_lang::diag::Diagnostic;

use crate::apply::ApplyReport;
use crate::backend::EnvStore;
use crate::codes;
use crate::load::VariableArgs;
use crate::plan::{Action, Plan};
use crate::planner::{
    finish_rollback, plan_rollback, Planned, Providers, RollbackOptions, Workspace,
};
use crate::state::{State, StateError, StateLock, StateStore};

use super::apply::{execute, has_work};
use super::audit;
use super::events::Observer;
use super::project::Project;
use super::recovery::{read_state, take_lock};
use super::OpError;

/// Which environment to roll back, and to what.
#[derive(Debug, Clone)]
pub struct RollbackRequest {
    pub environment: Option<String>,
    /// Variable values; the configuration's providers are used.
    pub variables: VariableArgs,
    /// The serial to go back to (`None`: the version before the current one).
    pub to: Option<u64>,
    /// Allow destroying or replacing objects in a protected environment.
    pub allow_destroy: bool,
    /// How long to wait for the environment's lock.
    pub lock_timeout: Duration,
}

/// A rollback planned under the environment's lock.
pub struct PreparedRollback {
    project: Project,
    workspace: Arc<Workspace>,
    store: EnvStore,
    lock: StateLock,
    current: State,
    target: State,
    to: u64,
    /// `None`: the state is at the target serial already.
    planned: Option<Planned>,
}

/// What a rollback did.
#[derive(Debug, Clone)]
pub struct RollbackOutcome {
    /// The serial rolled back to.
    pub to: u64,
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
    /// What the apply did.
    pub report: ApplyReport,
}

impl RollbackOutcome {
    /// Everything is back as the target version recorded it.
    pub fn complete(&self) -> bool {
        self.failed == 0 && !self.report.interrupted
    }
}

impl PreparedRollback {
    /// Loads the configuration, takes the lock, picks the target version and plans the
    /// way back to it.
    pub async fn prepare(
        project: &Project,
        request: &RollbackRequest,
        observer: &dyn Observer,
    ) -> Result<PreparedRollback, OpError> {
        let workspace =
            project.workspace(request.environment.as_deref(), &request.variables, observer)?;
        let env = workspace.environment.clone();
        let store = project.open_store(&workspace.backend, &env)?;
        let lock = take_lock(&store, "rollback", request.lock_timeout, observer)?;
        let current = read_state(&store, observer)?;
        if current.serial == 0 {
            return Err(OpError::diagnostic(
                Diagnostic::new(&codes::E0640).with_help(format!(
                    "Environment `{env}` has no state yet: there is nothing to roll back."
                )),
            ));
        }
        let to = match request.to {
            Some(to) => to,
            None => previous_serial(&store, &current)?,
        };
        if to == current.serial {
            return Ok(PreparedRollback {
                project: project.clone(),
                workspace: Arc::new(workspace),
                store,
                lock,
                target: current.clone(),
                current,
                to,
                planned: None,
            });
        }
        let target = store.load_version(to).map_err(|e| match e {
            StateError::VersionNotFound { .. } => not_kept(&store, &current, to),
            other => OpError::State(other),
        })?;
        let options = RollbackOptions {
            refresh: true,
            allow_destroy: request.allow_destroy,
        };
        let planned = plan_rollback(
            &workspace,
            &current,
            &target,
            &Providers::default(),
            &options,
        )
        .await
        .map_err(|diagnostics| OpError::Diagnostics {
            sources: workspace.sources.clone(),
            diagnostics,
        })?;
        Ok(PreparedRollback {
            project: project.clone(),
            workspace: Arc::new(workspace),
            store,
            lock,
            current,
            target,
            to,
            planned: Some(planned),
        })
    }

    /// The environment.
    pub fn environment(&self) -> &str {
        &self.workspace.environment
    }

    /// The current serial.
    pub fn from(&self) -> u64 {
        self.current.serial
    }

    /// The serial to go back to.
    pub fn to(&self) -> u64 {
        self.to
    }

    /// The plan back; `None` when the state is at the target serial already.
    pub fn plan(&self) -> Option<&Plan> {
        self.planned.as_ref().map(|p| &p.plan)
    }

    /// Whether the rollback would change anything.
    pub fn has_work(&self) -> bool {
        self.planned.as_ref().is_some_and(has_work)
    }

    /// The workspace the rollback was planned in (its sources render diagnostics).
    pub fn workspace(&self) -> &Workspace {
        &self.workspace
    }

    /// Applies the plan back (at most `parallelism` operations at once; `cancel` stops
    /// starting new ones) and writes the result as a new state version: objects now
    /// matching the target recorded exactly as it records them, and its outputs when
    /// everything went back.
    pub async fn apply(
        self,
        parallelism: usize,
        observer: &Arc<dyn Observer>,
        cancel: &Arc<AtomicBool>,
    ) -> Result<RollbackOutcome, OpError> {
        let serial_before = self.current.serial;
        let nothing = RollbackOutcome {
            to: self.to,
            serial_before,
            serial_after: serial_before,
            changes: 0,
            failed: 0,
            report: ApplyReport::default(),
        };
        let Some(planned) = self.planned.filter(has_work) else {
            let _ = self.lock.unlock();
            return Ok(nothing);
        };
        let changes = planned
            .plan
            .resource_changes
            .iter()
            .filter(|c| c.action != Action::NoOp)
            .count();
        let providers = Arc::new(Providers::default());
        let (report, applied, _) = execute(
            &self.workspace,
            &self.store,
            &self.lock,
            planned,
            &providers,
            parallelism,
            observer,
            cancel,
        )
        .await?;
        let complete = report.failed.is_empty() && report.skipped.is_empty() && !report.interrupted;
        let mut state = finish_rollback(applied, &self.target, complete);
        self.store.write(&self.lock, &mut state)?;
        let _ = self.lock.unlock();
        audit::append(
            self.project.dir(),
            &audit::rollback_record(
                &self.workspace.environment,
                serial_before,
                state.serial,
                self.to,
                &report,
            ),
            observer.as_ref(),
        );
        Ok(RollbackOutcome {
            to: self.to,
            serial_before,
            serial_after: state.serial,
            changes,
            failed: report.failed.len() + report.skipped.len(),
            report,
        })
    }
}

/// The newest kept version before the current one.
fn previous_serial(store: &EnvStore, current: &State) -> Result<u64, OpError> {
    let history = store.history().unwrap_or_default();
    history
        .iter()
        .map(|h| h.serial)
        .filter(|s| *s < current.serial)
        .max()
        .ok_or_else(|| {
            OpError::diagnostic(Diagnostic::new(&codes::E0640).with_help(format!(
                "Environment `{}` keeps no version before the current one (serial {}), so there is nothing to roll back to. `aic state history` lists the kept versions.",
                store.environment(),
                current.serial
            )))
        })
}

/// The error for a `--to` serial that is not kept, listing the ones that are.
fn not_kept(store: &EnvStore, current: &State, to: u64) -> OpError {
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
    OpError::diagnostic(Diagnostic::new(&codes::E0643).with_help(format!(
        "Environment `{}` keeps no version with serial {to}. Kept versions: {listed} (current: {}). History keeps the last {} versions; `aic state history` lists them.",
        store.environment(),
        current.serial,
        EnvStore::DEFAULT_HISTORY_LIMIT
    )))
}
