//! Where an environment's state lives: the settings of a `backend` block
//! ([`BackendSettings`], read by the loader) and the store they open ([`EnvStore`]).
//!
//! The `local` backend is part of the engine. The others (`postgres`, `s3`) live in
//! crates of their own with their clients; the binary registers the ones it is built
//! with in a [`StateBackends`] (the way it registers providers), and a kind it lacks is
//! refused when a store is opened (E0651), before anything is read or written.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::state::{Backend, LocalFiles, StateError, Store};

/// The store of one environment, whichever backend holds it.
pub type EnvStore = Store<Arc<dyn Backend>>;

/// What the `backend` block of an environment asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum BackendSettings {
    /// State files under `.aic/state` of the configuration directory, or in `path`
    /// (relative paths are relative to the configuration directory).
    Local { path: Option<String> },
    /// A backend of another kind (`postgres`, `s3`) with its settings, evaluated:
    /// each a string, checked against the kind's setting names by the loader.
    Remote {
        kind: String,
        settings: BTreeMap<String, String>,
    },
    /// No `backend` block: the local default.
    #[default]
    Default,
}

impl BackendSettings {
    /// The backend's kind, as written in the block.
    pub fn kind(&self) -> &str {
        match self {
            BackendSettings::Local { .. } | BackendSettings::Default => "local",
            BackendSettings::Remote { kind, .. } => kind,
        }
    }

    /// The directory of the state files of a configuration in `config_dir`, for the
    /// local backend.
    pub fn state_dir(&self, config_dir: &Path) -> Option<PathBuf> {
        match self {
            BackendSettings::Local { path: Some(p) } => Some(config_dir.join(p)),
            BackendSettings::Local { path: None } | BackendSettings::Default => {
                Some(config_dir.join(".aic").join("state"))
            }
            BackendSettings::Remote { .. } => None,
        }
    }

    /// The store of environment `env`'s state: local files under `config_dir`, or a
    /// backend of `backends`. `Ok(None)` when this build has no backend of the kind.
    pub fn open(
        &self,
        config_dir: &Path,
        env: &str,
        backends: &StateBackends,
    ) -> Result<Option<EnvStore>, StateError> {
        let backend: Arc<dyn Backend> = match self {
            BackendSettings::Remote { kind, settings } => match backends.openers.get(kind) {
                Some(open) => open(settings, env)?,
                None => return Ok(None),
            },
            local => {
                let dir = local.state_dir(config_dir).unwrap_or_default();
                Arc::new(LocalFiles::in_dir(dir, env)?)
            }
        };
        Ok(Some(Store::over(backend)))
    }
}

/// Opens an environment's backend of one kind from its settings.
type Opener = Arc<
    dyn Fn(&BTreeMap<String, String>, &str) -> Result<Arc<dyn Backend>, StateError> + Send + Sync,
>;

/// The state backends besides `local` that this build of aic offers, by kind.
#[derive(Clone, Default)]
pub struct StateBackends {
    openers: BTreeMap<String, Opener>,
}

impl fmt::Debug for StateBackends {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.openers.keys()).finish()
    }
}

impl StateBackends {
    /// Offers backend `kind`, opened by `open` from a block's settings and an
    /// environment name.
    pub fn register(
        &mut self,
        kind: &str,
        open: impl Fn(&BTreeMap<String, String>, &str) -> Result<Arc<dyn Backend>, StateError>
            + Send
            + Sync
            + 'static,
    ) {
        self.openers.insert(kind.to_owned(), Arc::new(open));
    }

    /// The kinds offered besides `local`.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.openers.keys().map(String::as_str)
    }
}
