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

use crate::state::{Backend, Encryption, LocalFiles, Secret, StateError, Store};

/// The store of one environment, whichever backend holds it.
pub type EnvStore = Store<Arc<dyn Backend>>;

/// What the `backend` block of an environment asks for: where the state lives, and
/// how it is encrypted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BackendSettings {
    /// The backend and its settings.
    pub place: Place,
    /// The backend's `encryption` block, if it has one.
    pub encryption: Option<EncryptionSettings>,
}

/// Where the state lives: a backend kind and its settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Place {
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

/// A secret of an `encryption` block, as given (its value is never shown).
#[derive(Clone, PartialEq, Eq)]
pub enum SecretSetting {
    /// `key`: 32 bytes in base64.
    Key(String),
    /// `passphrase`.
    Passphrase(String),
}

impl fmt::Debug for SecretSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SecretSetting::Key(_) => "Key(…)",
            SecretSetting::Passphrase(_) => "Passphrase(…)",
        })
    }
}

impl SecretSetting {
    /// The secret, or why it cannot be used.
    pub fn secret(&self) -> Result<Secret, crate::state::EncryptionError> {
        match self {
            SecretSetting::Key(k) => Secret::key_base64(k),
            SecretSetting::Passphrase(p) => Secret::passphrase(p),
        }
    }
}

/// A backend's `encryption` block: the secret that seals (`key` or `passphrase`) and
/// the one that also opens while rotating (`fallback_key` or `fallback_passphrase`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptionSettings {
    pub primary: SecretSetting,
    pub fallback: Option<SecretSetting>,
}

impl EncryptionSettings {
    /// The encryption these settings ask for (E0624 when a secret cannot be used; the
    /// loader has checked them, so only a changed environment makes this fail).
    pub fn encryption(&self, location: &str) -> Result<Encryption, StateError> {
        let fail = |e| StateError::encryption(location, e);
        let primary = self.primary.secret().map_err(fail)?;
        let fallback = match &self.fallback {
            Some(f) => Some(f.secret().map_err(fail)?),
            None => None,
        };
        Ok(Encryption::new(primary, fallback))
    }
}

impl From<Place> for BackendSettings {
    fn from(place: Place) -> Self {
        BackendSettings {
            place,
            encryption: None,
        }
    }
}

impl BackendSettings {
    /// The backend's kind, as written in the block.
    pub fn kind(&self) -> &str {
        match &self.place {
            Place::Local { .. } | Place::Default => "local",
            Place::Remote { kind, .. } => kind,
        }
    }

    /// The directory of the state files of a configuration in `config_dir`, for the
    /// local backend.
    pub fn state_dir(&self, config_dir: &Path) -> Option<PathBuf> {
        match &self.place {
            Place::Local { path: Some(p) } => Some(config_dir.join(p)),
            Place::Local { path: None } | Place::Default => {
                Some(config_dir.join(".aic").join("state"))
            }
            Place::Remote { .. } => None,
        }
    }

    /// The store of environment `env`'s state: local files under `config_dir`, or a
    /// backend of `backends`, with the block's encryption. `Ok(None)` when this build
    /// has no backend of the kind.
    pub fn open(
        &self,
        config_dir: &Path,
        env: &str,
        backends: &StateBackends,
    ) -> Result<Option<EnvStore>, StateError> {
        let backend: Arc<dyn Backend> = match &self.place {
            Place::Remote { kind, settings } => match backends.openers.get(kind) {
                Some(open) => open(settings, env)?,
                None => return Ok(None),
            },
            Place::Local { .. } | Place::Default => {
                let dir = self.state_dir(config_dir).unwrap_or_default();
                Arc::new(LocalFiles::in_dir(dir, env)?)
            }
        };
        let store = Store::over(backend);
        Ok(Some(match &self.encryption {
            Some(e) => {
                let encryption = e.encryption(&store.backend().location())?;
                store.with_encryption(encryption)
            }
            None => store,
        }))
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
