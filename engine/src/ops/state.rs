//! `init` and the state commands: reading an environment's state (`show`, `output`,
//! `state list`, `state show`), editing it under the lock (`state rm`, `state mv`), its
//! history and breaking a stale lock.

use std::path::Path;
use std::time::Duration;

use aic_lang::addr::InstanceKey;
use aic_lang::diag::Diagnostic;

use crate::backend::EnvStore;
use crate::codes;
use crate::load::VariableArgs;
use crate::state::{HistoryEntry, LockInfo, ResourceState, State, StateStore};

use super::events::Observer;
use super::plan::address;
use super::project::Project;
use super::recovery::read_state;
use super::OpError;

/// Which environment's state: `--env` (or `AIC_ENV`), else `default` — unless the
/// configuration declares environments.
#[derive(Debug, Clone, Default)]
pub struct StateSelector {
    pub environment: Option<String>,
}

impl StateSelector {
    /// The store of the selected environment. Needs only the root module to parse.
    fn store(&self, project: &Project) -> Result<EnvStore, OpError> {
        let parsed = project.parse();
        let env = project.environment(&parsed, self.environment.as_deref())?;
        project.store(&parsed, &env)
    }
}

/// What `init` found.
#[derive(Debug, Clone)]
pub struct InitOutcome {
    pub environment: String,
    /// Where the environment's state is (or will be): a file, a URL.
    pub state_location: String,
}

impl Project {
    /// `aic init`: the configuration loads and its state can be read.
    pub fn init(
        &self,
        environment: Option<&str>,
        variables: &VariableArgs,
        observer: &dyn Observer,
    ) -> Result<InitOutcome, OpError> {
        let ws = self.workspace(environment, variables, observer)?;
        let store = self.open_store(&ws.backend, &ws.environment)?;
        read_state(&store, observer)?;
        Ok(InitOutcome {
            environment: ws.environment.clone(),
            state_location: store.location(),
        })
    }

    /// The selected environment's state, with an interrupted apply's journal replayed
    /// (in memory: nothing is written).
    pub fn state(
        &self,
        selector: &StateSelector,
        observer: &dyn Observer,
    ) -> Result<State, OpError> {
        read_state(&selector.store(self)?, observer)
    }

    /// One recorded instance (E0621 when the state has none at `address`).
    pub fn state_resource(
        &self,
        selector: &StateSelector,
        address: &str,
        observer: &dyn Observer,
    ) -> Result<ResourceState, OpError> {
        let state = self.state(selector, observer)?;
        state
            .resource(address)
            .cloned()
            .ok_or_else(|| not_in_state(address, "`aic state list` shows what is."))
    }

    /// Forgets the instances at `addresses` without destroying them; all or none.
    pub fn state_rm(
        &self,
        selector: &StateSelector,
        addresses: &[String],
        lock_timeout: Duration,
        observer: &dyn Observer,
    ) -> Result<(), OpError> {
        let store = selector.store(self)?;
        let lock = store.lock("state rm", lock_timeout)?;
        let mut state = read_state(&store, observer)?;
        for a in addresses {
            if state.remove_resource(a).is_none() {
                return Err(not_in_state(a, "nothing was removed."));
            }
        }
        store.write(&lock, &mut state)?;
        Ok(())
    }

    /// Moves the instance at `from` to the address `to` (of the same type).
    pub fn state_mv(
        &self,
        selector: &StateSelector,
        from: &str,
        to: &str,
        lock_timeout: Duration,
        observer: &dyn Observer,
    ) -> Result<(), OpError> {
        let to_addr = address(to)?;
        let store = selector.store(self)?;
        let lock = store.lock("state mv", lock_timeout)?;
        let mut state = read_state(&store, observer)?;
        if state.resource(to).is_some() {
            return Err(OpError::diagnostic(
                Diagnostic::new(&codes::E0622).with_help(format!(
                    "`{to}` is already in the state; remove it first or choose another address."
                )),
            ));
        }
        let mut r = state
            .remove_resource(from)
            .ok_or_else(|| not_in_state(from, "`aic state list` shows what is."))?;
        if r.type_ != to_addr.resource.type_name {
            return Err(OpError::diagnostic(
                Diagnostic::new(&codes::E0623).with_help(format!(
                    "cannot move a `{}` to a `{}` address.",
                    r.type_, to_addr.resource.type_name
                )),
            ));
        }
        r.address = to_addr.to_string();
        r.module = to_addr.module.to_string();
        r.name = to_addr.resource.name.clone();
        r.index = to_addr.key.as_ref().map(|k| match k {
            InstanceKey::Int(i) => serde_json::Value::from(*i),
            InstanceKey::Str(s) => serde_json::Value::from(s.clone()),
        });
        state.set_resource(r);
        store.write(&lock, &mut state)?;
        Ok(())
    }

    /// `aic state push FILE`: writes the state in `file` (as `aic state pull` prints it)
    /// over the selected environment's, under the lock. Refused when its lineage differs
    /// or its serial is older than the stored one (E0612, E0626), unless `force`; the
    /// version it replaces stays in history. Returns the serial written.
    pub fn state_push(
        &self,
        selector: &StateSelector,
        file: &Path,
        force: bool,
        lock_timeout: Duration,
    ) -> Result<u64, OpError> {
        let text = std::fs::read_to_string(file).map_err(|e| {
            OpError::diagnostic(
                Diagnostic::new(&codes::E0601)
                    .with_help(format!("cannot read `{}`: {e}", file.display())),
            )
        })?;
        let mut state: State = serde_json::from_str(&text).map_err(|e| {
            OpError::diagnostic(Diagnostic::new(&codes::E0602).with_help(format!(
                "`{}` is not a state as `aic state pull` prints it: {e} (line {}, column {}). Nothing was written.",
                file.display(),
                e.line(),
                e.column()
            )))
        })?;
        let store = selector.store(self)?;
        let lock = store.lock("state push", lock_timeout)?;
        store.push(&lock, &mut state, force)?;
        Ok(state.serial)
    }

    /// The kept versions of the selected environment's state, newest first.
    pub fn state_history(&self, selector: &StateSelector) -> Result<Vec<HistoryEntry>, OpError> {
        Ok(selector.store(self)?.history()?)
    }

    /// Breaks the lock whose id is `id`; returns who held it.
    pub fn state_unlock(&self, selector: &StateSelector, id: &str) -> Result<LockInfo, OpError> {
        Ok(selector.store(self)?.force_unlock(id)?)
    }
}

/// E0621: nothing is recorded at `address`.
fn not_in_state(address: &str, then: &str) -> OpError {
    OpError::diagnostic(
        Diagnostic::new(&codes::E0621)
            .with_help(format!("`{address}` is not in the state; {then}")),
    )
}
