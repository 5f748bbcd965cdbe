//! Where an environment's state lives: the settings of a `backend` block
//! ([`BackendSettings`], read by the loader) and the store they open.
//!
//! This build has the `local` backend only; `postgres` and `s3` are designed (spec) but
//! refused by the loader with a diagnostic that says so, rather than silently using
//! local files.

use std::path::{Path, PathBuf};

use crate::state::{LocalBackend, StateError};

/// What the `backend` block of an environment asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum BackendSettings {
    /// State files under `.aic/state` of the configuration directory, or in `path`
    /// (relative paths are relative to the configuration directory).
    Local { path: Option<String> },
    /// No `backend` block: the local default.
    #[default]
    Default,
}

impl BackendSettings {
    /// The directory of the state files of a configuration in `config_dir`.
    pub fn state_dir(&self, config_dir: &Path) -> PathBuf {
        match self {
            BackendSettings::Local { path: Some(p) } => config_dir.join(p),
            BackendSettings::Local { path: None } | BackendSettings::Default => {
                config_dir.join(".aic").join("state")
            }
        }
    }

    /// The store of environment `env`'s state.
    pub fn open(&self, config_dir: &Path, env: &str) -> Result<LocalBackend, StateError> {
        LocalBackend::in_dir(self.state_dir(config_dir), env)
    }
}
