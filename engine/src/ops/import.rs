//! `import ADDR ID`: adopts an existing object into the state at a configured address.

use std::time::Duration;

use aic_lang::diag::Diagnostic;

use crate::codes;
use crate::load::VariableArgs;
use crate::planner::{imported_state, provider_diag, Providers};
use crate::state::{ResourceState, StateStore};

use super::events::Observer;
use super::plan::address;
use super::project::Project;
use super::recovery::{read_state, take_lock};
use super::OpError;

/// What to import, where.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub environment: Option<String>,
    pub variables: VariableArgs,
    /// The instance address to adopt the object at (it must be configured).
    pub address: String,
    /// The provider's id of the object.
    pub id: String,
    /// How long to wait for the environment's lock.
    pub lock_timeout: Duration,
}

/// Reads the object `request.id` through its provider and records it at
/// `request.address`; returns its state entry.
pub async fn import(
    project: &Project,
    request: &ImportRequest,
    observer: &dyn Observer,
) -> Result<ResourceState, OpError> {
    let target = address(&request.address)?;
    let ws = project.workspace(request.environment.as_deref(), &request.variables, observer)?;
    if !ws.graph.instances.contains_key(&target) {
        return Err(OpError::diagnostic(
            Diagnostic::new(&codes::E0263).with_help(format!(
                "`{target}` has no resource block; add one, then import into it."
            )),
        ));
    }
    let store = project.open_store(&ws.backend, &ws.environment)?;
    let lock = take_lock(&store, "import", request.lock_timeout, observer)?;
    let mut state = read_state(&store, observer)?;
    if state.resource(&target.to_string()).is_some() {
        return Err(OpError::diagnostic(
            Diagnostic::new(&codes::E0622).with_help(format!(
                "`{target}` is already managed; `aic state rm {target}` first to import another object."
            )),
        ));
    }
    let providers = Providers::default();
    let found = match providers.for_instance(&ws, &target).await {
        Ok(p) => p.import(&target.resource.type_name, &request.id).await,
        Err(e) => Err(e),
    };
    let value = match found {
        Ok(Some(v)) => v,
        Ok(None) => {
            return Err(OpError::diagnostic(
                Diagnostic::new(&codes::E0265).with_help(format!(
                    "The provider found no {} with id `{}` for `{target}`; check the id.",
                    target.resource.type_name, request.id
                )),
            ))
        }
        Err(e) => {
            return Err(OpError::Diagnostics {
                diagnostics: vec![provider_diag(
                    &ws,
                    Some(&target),
                    &format!("importing {target}"),
                    &e,
                )],
                sources: ws.sources.clone(),
            })
        }
    };
    let rs = imported_state(&ws, &target, &value);
    state.set_resource(rs.clone());
    store.write(&lock, &mut state)?;
    Ok(rs)
}
