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
use super::migrate::Migrated;
use super::plan::address;
use super::project::Project;
use super::recovery::{read_state, take_lock};
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
    /// The states `--migrate-state` copied to a new backend.
    pub migrated: Vec<Migrated>,
}

impl Project {
    /// `aic init`: the configuration loads, a `backend` block changed since the last
    /// `init` is noticed (E0655) or, with `migrate`, every environment's state is copied
    /// to the new backend, and the state can be read. Records the `backend` blocks.
    pub fn init(
        &self,
        environment: Option<&str>,
        variables: &VariableArgs,
        migrate: bool,
        lock_timeout: Duration,
        observer: &dyn Observer,
    ) -> Result<InitOutcome, OpError> {
        let parsed = self.parse();
        let ws = self.check(parsed, environment, variables, observer)?;
        let migrated = self.reconcile_backends(&self.parse(), migrate, lock_timeout)?;
        let store = self.open_store(&ws.backend, &ws.environment)?;
        read_state(&store, observer)?;
        Ok(InitOutcome {
            environment: ws.environment.clone(),
            state_location: store.location(),
            migrated,
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
        let lock = take_lock(&store, "state rm", lock_timeout, observer)?;
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
        let lock = take_lock(&store, "state mv", lock_timeout, observer)?;
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

    /// `aic state encrypt`, `decrypt` or `rekey`: rewrites the selected environment's
    /// state (with a leftover journal folded in) and every kept version, under the lock,
    /// with the backend's `encryption` block: sealed with its `key` (or `passphrase`),
    /// opened with it or its fallback — or, to decrypt, written in clear text. Every
    /// version is opened before anything is written, so a wrong key changes nothing.
    pub fn state_reseal(
        &self,
        selector: &StateSelector,
        how: Reseal,
        lock_timeout: Duration,
    ) -> Result<ResealOutcome, OpError> {
        let parsed = self.parse();
        let env = self.environment(&parsed, selector.environment.as_deref())?;
        let store = self.store(&parsed, &env)?;
        let settings = parsed.backend(&env).unwrap_or_default();
        let verb = how.verb();
        let Some(encryption) = &settings.encryption else {
            return Err(OpError::diagnostic(Diagnostic::new(&codes::E0654).with_help(
                format!(
                    "`aic state {verb}` uses the `encryption` block of environment `{env}`'s backend, and it has none. Add one, e.g. `encryption {{ key = env_var(\"AIC_STATE_KEY\") }}` inside the `backend` block (a key comes from `openssl rand -base64 32`), then run `aic state {verb}` again."
                ),
            )));
        };
        let encryption = encryption.encryption(&store.location())?;
        let store = store.with_encryption(match how {
            Reseal::Encrypt => encryption.accepting_plaintext(),
            Reseal::Decrypt => encryption.decrypting(),
            Reseal::Rekey => encryption,
        });
        let lock = store.lock(&format!("state {verb}"), lock_timeout)?;
        let versions = store.reseal(&lock)?;
        Ok(ResealOutcome {
            environment: env,
            location: store.location(),
            versions,
        })
    }

    /// Breaks the lock whose id is `id`; returns who held it.
    pub fn state_unlock(&self, selector: &StateSelector, id: &str) -> Result<LockInfo, OpError> {
        Ok(selector.store(self)?.force_unlock(id)?)
    }
}

/// What `aic state encrypt|decrypt|rekey` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reseal {
    /// Seal everything with the configured key; clear text is read.
    Encrypt,
    /// Write everything in clear text; sealed data is opened with the configured keys.
    Decrypt,
    /// Seal everything with `key` (or `passphrase`); what the fallback sealed is opened.
    Rekey,
}

impl Reseal {
    /// The subcommand.
    pub fn verb(self) -> &'static str {
        match self {
            Reseal::Encrypt => "encrypt",
            Reseal::Decrypt => "decrypt",
            Reseal::Rekey => "rekey",
        }
    }
}

/// What `aic state encrypt|decrypt|rekey` rewrote.
#[derive(Debug, Clone)]
pub struct ResealOutcome {
    pub environment: String,
    pub location: String,
    /// How many versions were rewritten (the current one included); 0: no state.
    pub versions: usize,
}

/// E0621: nothing is recorded at `address`.
fn not_in_state(address: &str, then: &str) -> OpError {
    OpError::diagnostic(
        Diagnostic::new(&codes::E0621)
            .with_help(format!("`{address}` is not in the state; {then}")),
    )
}
