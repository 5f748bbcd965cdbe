//! `plan`: load, read the state, plan, check the policies — and, on request, save the
//! plan for a later `apply`.

use std::path::Path;

use aic_lang::addr::{InstanceAddr, ModuleInstance};
use aic_lang::diag::Diagnostic;

use crate::backend::EnvStore;
use crate::codes;
use crate::load::VariableArgs;
use crate::planner::policy::violation_diagnostics;
use crate::planner::{self, PlanOptions, Planned, Providers, Workspace};
use crate::state::State;

use super::events::Observer;
use super::project::Project;
use super::recovery::read_state;
use super::saved_plan::SavedPlan;
use super::OpError;

/// What to plan.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    /// `--env` (`None`: `default`, or an error when environments are declared).
    pub environment: Option<String>,
    /// `--var`, `--var-file`, `AIC_VAR_*`.
    pub variables: VariableArgs,
    /// `--target` addresses, as written.
    pub targets: Vec<String>,
    /// `--exclude` addresses, as written.
    pub excludes: Vec<String>,
    /// `--replace` addresses, as written.
    pub replace: Vec<String>,
    /// Plan the destruction of everything in the state.
    pub destroy: bool,
    /// Read the real objects first.
    pub refresh: bool,
    /// Allow destroying or replacing objects in a protected environment.
    pub allow_destroy: bool,
}

impl Default for PlanRequest {
    fn default() -> Self {
        PlanRequest {
            environment: None,
            variables: VariableArgs::default(),
            targets: Vec::new(),
            excludes: Vec::new(),
            replace: Vec::new(),
            destroy: false,
            refresh: true,
            allow_destroy: false,
        }
    }
}

impl PlanRequest {
    /// The planner's options, with the addresses read (E0261 for one that is not an
    /// address).
    pub fn options(&self) -> Result<PlanOptions, OpError> {
        let (targets, target_modules) = target_addresses(&self.targets)?;
        let (excludes, exclude_modules) = target_addresses(&self.excludes)?;
        Ok(PlanOptions {
            refresh: self.refresh,
            destroy: self.destroy,
            replace: addresses(&self.replace)?,
            targets,
            target_modules,
            excludes,
            exclude_modules,
            allow_destroy: self.allow_destroy,
        })
    }
}

/// Parses an address given on the command line (E0261 when it is not one).
pub(crate) fn address(s: &str) -> Result<InstanceAddr, OpError> {
    s.parse::<InstanceAddr>().map_err(|e| {
        OpError::diagnostic(
            Diagnostic::new(&codes::E0261).with_help(format!(
                "{e}. Addresses look like `aws_instance.web`, `aws_instance.web[0]` or `module.region[\"eu\"].aws_vpc.main`."
            )),
        )
    })
}

/// Parses `--target`/`--exclude` addresses: resources and instances, or module
/// instances (`module.m`, `module.m["k"]`, `module.a.module.b[0]`).
fn target_addresses(list: &[String]) -> Result<(Vec<InstanceAddr>, Vec<ModuleInstance>), OpError> {
    let mut resources = Vec::new();
    let mut modules = Vec::new();
    for s in list {
        let t = s.trim();
        if t.starts_with("module.") {
            // A module instance is a resource address without its resource part.
            if let Ok(a) = format!("{t}.m.m").parse::<InstanceAddr>() {
                if a.key.is_none() && a.resource.type_name == "m" && a.resource.name == "m" {
                    modules.push(a.module);
                    continue;
                }
            }
        }
        resources.push(address(s)?);
    }
    Ok((resources, modules))
}

/// Parses addresses given on the command line.
fn addresses(list: &[String]) -> Result<Vec<InstanceAddr>, OpError> {
    list.iter().map(|s| address(s)).collect()
}

/// A plan and what it was made from.
pub struct PlanOutcome {
    pub workspace: Workspace,
    /// The state the plan was made from.
    pub state: State,
    pub planned: Planned,
    /// A diagnostic per failed policy check (errors and warnings), for the workspace's
    /// sources.
    pub violations: Vec<Diagnostic>,
    request: PlanRequest,
}

impl PlanOutcome {
    /// The Mermaid flowchart of what the plan changes (for the Markdown plan's `--graph`).
    pub fn changes_mermaid(&self) -> String {
        let changes: Vec<_> = self
            .planned
            .plan
            .resource_changes
            .iter()
            .map(|c| (c.addr.clone(), c.action))
            .collect();
        let picture = self
            .workspace
            .graph
            .picture(&self.planned.plan.environment, Some(&changes));
        crate::graph::picture::render_changes_mermaid(&picture)
    }

    /// How many policy checks failed at level `error`: such a plan is not applied.
    pub fn policy_errors(&self) -> usize {
        self.violations.iter().filter(|d| d.is_error()).count()
    }

    /// Saves the plan to `path` for `aic apply PATH`.
    pub fn save(&self, path: &Path) -> Result<(), OpError> {
        SavedPlan::new(&self.planned.plan, &self.state, &self.request).write(path)
    }
}

/// Plans `request` in `project`. The state is read (without a lock) on another thread
/// while the configuration is checked.
pub async fn plan(
    project: &Project,
    request: &PlanRequest,
    observer: &dyn Observer,
) -> Result<PlanOutcome, OpError> {
    let options = request.options()?;
    let (workspace, state, _) = load_with_state(project, request, observer)?;
    let providers = Providers::default();
    let planned = planner::plan(&workspace, &state, &providers, &options)
        .await
        .map_err(|diagnostics| OpError::Diagnostics {
            sources: workspace.sources.clone(),
            diagnostics,
        })?;
    if !planned.warnings.is_empty() {
        observer.event(&super::events::Event::Diagnostics {
            sources: &workspace.sources,
            diagnostics: &planned.warnings,
        });
    }
    let violations = violation_diagnostics(&workspace, &planned.plan.policy_results);
    Ok(PlanOutcome {
        workspace,
        state,
        planned,
        violations,
        request: request.clone(),
    })
}

/// Loads the workspace of `request` and reads its state, the two at once: reading the
/// state depends only on where it lives, which the parsed root module tells.
pub(crate) fn load_with_state(
    project: &Project,
    request: &PlanRequest,
    observer: &dyn Observer,
) -> Result<(Workspace, State, EnvStore), OpError> {
    let parsed = project.parse();
    let env = match (
        parsed.syntax_ok(),
        parsed.environment(request.environment.as_deref()),
    ) {
        (true, Ok(env)) => env,
        // Checking reports what is wrong (syntax errors, no environment chosen).
        _ => {
            let ws = project.check(
                parsed,
                request.environment.as_deref(),
                &request.variables,
                observer,
            )?;
            let store = project.open_store(&ws.backend, &ws.environment)?;
            let state = read_state(&store, observer)?;
            return Ok((ws, state, store));
        }
    };
    let store = project.store(&parsed, &env)?;
    let (workspace, state) = std::thread::scope(|s| {
        let state = s.spawn(|| read_state(&store, observer));
        let ws = project.check(
            parsed,
            request.environment.as_deref(),
            &request.variables,
            observer,
        );
        (ws, state.join())
    });
    let workspace = workspace?;
    let state = match state {
        Ok(state) => state?,
        Err(_) => read_state(&store, observer)?,
    };
    Ok((workspace, state, store))
}
