//! `apply` and `destroy`: plan (or check a saved plan), then apply under the
//! environment's lock through the state journal, write the new state version and
//! append the audit line.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use aic_lang::diag::Diagnostic;

use crate::apply::{self, finish_state, ApplyOptions, ApplyReport};
use crate::backend::EnvStore;
use crate::codes;
use crate::eval::Values;
use crate::plan::{Action, Plan};
use crate::planner::policy::violation_diagnostics;
use crate::planner::{self, Planned, Providers, Workspace};
use crate::state::{State, StateLock, StateStore};

use super::audit;
use super::events::{Event, Observer};
use super::plan::PlanRequest;
use super::project::Project;
use super::recovery::{read_state, take_lock};
use super::saved_plan::SavedPlan;
use super::OpError;

/// What to apply.
#[derive(Debug, Clone)]
pub struct ApplyRequest {
    /// What to plan (replaced by the saved plan's flags when there is one).
    pub plan: PlanRequest,
    /// A plan saved with `aic plan --out FILE`.
    pub saved_plan: Option<PathBuf>,
    /// How long to wait for the environment's lock.
    pub lock_timeout: Duration,
}

/// A plan made under the environment's lock, ready to apply.
pub struct PreparedApply {
    project: Project,
    workspace: Arc<Workspace>,
    store: EnvStore,
    lock: StateLock,
    state: State,
    planned: Planned,
    violations: Vec<Diagnostic>,
    saved: bool,
    destroy: bool,
}

/// What an apply did.
#[derive(Debug)]
pub struct ApplyOutcome {
    pub report: ApplyReport,
    /// The state as written (its `serial` is the new version's).
    pub state: State,
    /// The state's serial before the apply (0: there was none).
    pub serial_before: u64,
    /// It destroyed everything in the state (`aic destroy`).
    pub destroy: bool,
}

impl PreparedApply {
    /// Takes the lock, reads the state, plans — or, with a saved plan, checks that it
    /// still applies (same environment, lineage, serial, configuration and changes).
    pub async fn prepare(
        project: &Project,
        request: &ApplyRequest,
        observer: &dyn Observer,
    ) -> Result<PreparedApply, OpError> {
        let saved = match &request.saved_plan {
            Some(path) => {
                let s = SavedPlan::read(project, path, request.plan.environment.as_deref())?;
                s.check_environment(request.plan.environment.as_deref())?;
                s.check_policies()?;
                Some(s)
            }
            None => None,
        };
        let plan_request = match &saved {
            Some(s) => {
                s.check_vars(&request.plan.variables.vars)?;
                s.request(request.plan.clone())
            }
            None => request.plan.clone(),
        };
        let options = plan_request.options()?;
        let destroy = plan_request.destroy;
        let parsed = project.parse();
        let env_name = plan_request.environment.as_deref();
        let store = match (parsed.syntax_ok(), parsed.environment(env_name)) {
            (true, Ok(env)) => {
                Some(project.store_with(&parsed, &env, Some(&plan_request.variables))?)
            }
            _ => None,
        };
        let workspace = project.check(parsed, env_name, &plan_request.variables, observer)?;
        let store = match store {
            Some(s) => s,
            None => project.open_store(&workspace.backend, &workspace.environment)?,
        };
        let lock = take_lock(
            &store,
            if destroy { "destroy" } else { "apply" },
            request.lock_timeout,
            observer,
        )?;
        let state = read_state(&store, observer)?;
        if let Some(s) = &saved {
            s.check_state(&state, &workspace.digest)?;
        }
        let planned = planner::plan(&workspace, &state, &Providers::default(), &options)
            .await
            .map_err(|diagnostics| OpError::Diagnostics {
                sources: workspace.sources.clone(),
                diagnostics,
            })?;
        if let Some(s) = &saved {
            s.check_changes(&planned.plan)?;
        }
        if !planned.warnings.is_empty() {
            observer.event(&Event::Diagnostics {
                sources: &workspace.sources,
                diagnostics: &planned.warnings,
            });
        }
        let violations = violation_diagnostics(&workspace, &planned.plan.policy_results);
        Ok(PreparedApply {
            project: project.clone(),
            workspace: Arc::new(workspace),
            store,
            lock,
            state,
            planned,
            violations,
            saved: saved.is_some(),
            destroy,
        })
    }

    /// The plan to apply.
    pub fn plan(&self) -> &Plan {
        &self.planned.plan
    }

    /// The plan with the state surgery (`moved`, `removed`, `import`) it records.
    pub fn planned(&self) -> &Planned {
        &self.planned
    }

    /// The workspace planned (its sources render the violations).
    pub fn workspace(&self) -> &Workspace {
        &self.workspace
    }

    /// A diagnostic per failed policy check.
    pub fn violations(&self) -> &[Diagnostic] {
        &self.violations
    }

    /// It was a saved plan: it was shown and agreed to when it was made.
    pub fn from_saved_plan(&self) -> bool {
        self.saved
    }

    /// The environment.
    pub fn environment(&self) -> &str {
        &self.workspace.environment
    }

    /// Whether applying would change anything: an object, an output or the state's
    /// records (`moved`, `removed`, `import`).
    pub fn has_work(&self) -> bool {
        has_work(&self.planned)
    }

    /// Refuses a plan with `error` policy violations (E0807).
    pub fn check_policies(&self) -> Result<(), OpError> {
        let n = self.violations.iter().filter(|d| d.is_error()).count();
        if n == 0 {
            return Ok(());
        }
        Err(OpError::diagnostic(
            Diagnostic::new(&codes::E0807).with_help(format!(
                "refusing to apply: {n} policy error{} (listed above). Change the configuration so that it complies; nothing was changed.",
                if n == 1 { "" } else { "s" }
            )),
        ))
    }

    /// Applies the plan with at most `parallelism` operations at once; `cancel` stops
    /// starting new ones (Ctrl-C). Writes the new state version and the audit line.
    pub async fn apply(
        self,
        parallelism: usize,
        observer: &Arc<dyn Observer>,
        cancel: &Arc<AtomicBool>,
    ) -> Result<ApplyOutcome, OpError> {
        self.check_policies()?;
        let serial_before = self.state.serial;
        if !self.has_work() {
            let _ = self.lock.unlock();
            return Ok(ApplyOutcome {
                report: ApplyReport::default(),
                state: self.state,
                serial_before,
                destroy: self.destroy,
            });
        }
        // A plan limited by targets leaves the outputs it does not cover as recorded.
        let limited = !self.planned.warnings.is_empty();
        let kept_outputs: Vec<_> = self
            .state
            .outputs
            .iter()
            .filter(|(name, _)| {
                limited
                    && !self.planned.plan.output_changes.contains_key(*name)
                    && self.workspace.tree.module.outputs.contains_key(*name)
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let providers = Arc::new(Providers::default());
        let (report, state, values) = execute(
            &self.workspace,
            &self.store,
            &self.lock,
            self.planned,
            &providers,
            parallelism,
            observer,
            cancel,
        )
        .await?;
        let mut state = finish_state(&self.workspace, state, &values, self.destroy && !limited);
        for (name, o) in kept_outputs {
            state.outputs.insert(name, o);
        }
        self.store.write(&self.lock, &mut state)?;
        audit::append(
            self.project.dir(),
            &audit::apply_record(
                &self.workspace.environment,
                self.destroy,
                serial_before,
                state.serial,
                &report,
            ),
            observer.as_ref(),
        );
        let _ = self.lock.unlock();
        Ok(ApplyOutcome {
            report,
            state,
            serial_before,
            destroy: self.destroy,
        })
    }
}

/// Whether applying `planned` would change anything.
pub(crate) fn has_work(planned: &Planned) -> bool {
    planned.plan.has_changes()
        || !planned.moves.is_empty()
        || !planned.forgets.is_empty()
        || !planned.imports.is_empty()
}

/// Applies `planned` through a new or continued journal of `store`, with progress
/// reported to `observer`. Returns the report, the state compacted from the journal
/// (not yet written) and the final values.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn execute(
    workspace: &Arc<Workspace>,
    store: &EnvStore,
    lock: &StateLock,
    planned: Planned,
    providers: &Arc<Providers>,
    parallelism: usize,
    observer: &Arc<dyn Observer>,
    cancel: &Arc<AtomicBool>,
) -> Result<(ApplyReport, State, Values), OpError> {
    let journal = Arc::new(store.open_journal(lock)?);
    let operations = planned
        .plan
        .resource_changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .count();
    observer.event(&Event::ApplyStarted { operations });
    let progress = {
        let observer = observer.clone();
        Arc::new(move |p: apply::Progress| observer.event(&Event::Progress(&p)))
    };
    let options = ApplyOptions {
        parallelism,
        ..ApplyOptions::default()
    };
    let (report, values) = apply::apply(
        workspace.clone(),
        planned,
        providers.clone(),
        journal.clone(),
        &options,
        cancel.clone(),
        progress,
    )
    .await;
    observer.event(&Event::ApplyFinished { report: &report });
    // Apply has joined every task: the journal is ours alone again.
    let state = match Arc::try_unwrap(journal) {
        Ok(journal) => journal.finish(),
        Err(shared) => shared.state(),
    };
    Ok((report, state, values))
}
