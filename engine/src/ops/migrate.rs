//! `aic init` and a changed `backend` block: `init` records where each environment's
//! state lives in `.aic/backend.json` — the text of the `backend` block that applies to
//! it, as written, never an evaluated setting (a URL may carry a password) — so that a
//! later `init` notices the block changed. `aic init --migrate-state` then copies every
//! environment's state and kept versions from the backend the record names to the one
//! the configuration names now (E0627 when that one already holds another state); the
//! old copy is left where it was.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aic_lang::diag::Diagnostic;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::backend::{BackendSettings, EnvStore};
use crate::codes;
use crate::load::{self, Parsed};
use crate::state::{State, StateStore};

use super::project::Project;
use super::OpError;

/// Where the record lives, under the configuration directory.
const RECORD: &str = ".aic/backend.json";

/// What `aic init` recorded: per environment, the text of its `backend` block ("" for
/// none: the default place).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Record {
    environments: BTreeMap<String, String>,
}

/// One environment's state copied by `aic init --migrate-state`.
#[derive(Debug, Clone)]
pub struct Migrated {
    pub environment: String,
    /// Where it was, and where it is now.
    pub from: String,
    pub to: String,
    /// The serial of the current version copied.
    pub serial: u64,
    /// How many kept versions were copied with it.
    pub kept: usize,
}

fn record_path(dir: &Path) -> PathBuf {
    dir.join(RECORD)
}

fn read_record(dir: &Path) -> Result<Option<Record>, OpError> {
    let path = record_path(dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(record_error(&path, &e.to_string())),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| record_error(&path, &format!("{e}; delete it and run `aic init` again")))
}

fn write_record(dir: &Path, record: &Record) -> Result<(), OpError> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let path = record_path(dir);
    let fail = |e: std::io::Error| record_error(&path, &e.to_string());
    if let Some(parent) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(fail)?;
    }
    let text = serde_json::to_string_pretty(record).unwrap_or_default();
    let tmp = path.with_extension("json.tmp");
    {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(fail)?;
        file.write_all(text.as_bytes()).map_err(fail)?;
        file.sync_all().map_err(fail)?;
    }
    std::fs::rename(&tmp, &path).map_err(fail)
}

fn record_error(path: &Path, why: &str) -> OpError {
    OpError::diagnostic(
        Diagnostic::new(&codes::E0601).with_help(format!("`{}`: {why}", path.display())),
    )
}

/// The environments whose state a project keeps: the declared ones, else `default`.
fn environments(parsed: &Parsed) -> Vec<String> {
    let declared: Vec<String> = parsed.environments().into_iter().map(|e| e.name).collect();
    if declared.is_empty() {
        vec!["default".to_owned()]
    } else {
        declared
    }
}

impl Project {
    /// E0655 when `aic init` recorded another `backend` block for environment `env` than
    /// the configuration has now: its state is still in the old place.
    pub(crate) fn check_backend_recorded(&self, parsed: &Parsed, env: &str) -> Result<(), OpError> {
        let Some(record) = read_record(self.dir())? else {
            return Ok(());
        };
        match record.environments.get(env) {
            Some(before) if *before != parsed.backend_text(env) => Err(changed(env)),
            _ => Ok(()),
        }
    }

    /// The settings a recorded `backend` block `text` gives environment `env`, read as
    /// the configuration's own blocks are.
    fn recorded_settings(&self, text: &str, env: &str) -> Result<BackendSettings, OpError> {
        if text.is_empty() {
            return Ok(BackendSettings::default());
        }
        // Read as a configuration of its own, in a directory of `.aic` (0700).
        let dir = self.dir().join(".aic").join("previous-backend");
        let written =
            std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(dir.join("main.aic"), text));
        if let Err(e) = written {
            return Err(record_error(&dir, &e.to_string()));
        }
        let parsed = load::parse(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        parsed.backend(env).map_err(|mut diagnostics| {
            diagnostics.push(Diagnostic::new(&codes::E0655).with_help(format!(
                "The backend environment `{env}` used before (recorded in {RECORD}) can no longer be read, so its state cannot be copied. Fix what is reported above (an environment variable it reads, say), or delete {RECORD} to use the new backend as it is."
            )));
            OpError::Diagnostics {
                sources: parsed.sources.clone(),
                diagnostics,
            }
        })
    }

    /// Notices a changed `backend` block and, when `migrate`, copies every environment's
    /// state from the backend recorded by the last `aic init` to the one configured now;
    /// then records the blocks of now. Without `migrate`, a changed block is E0655.
    pub(crate) fn reconcile_backends(
        &self,
        parsed: &Parsed,
        migrate: bool,
        lock_timeout: Duration,
    ) -> Result<Vec<Migrated>, OpError> {
        let mut record = read_record(self.dir())?.unwrap_or_default();
        let mut migrated = Vec::new();
        for env in environments(parsed) {
            let now = parsed.backend_text(&env);
            if let Some(before) = record.environments.get(&env).filter(|b| **b != now) {
                if !migrate {
                    return Err(changed(&env));
                }
                let from = self.recorded_settings(before, &env)?;
                let from = self.open_store(&from, &env)?;
                let to = self.store_unchecked(parsed, &env, None)?;
                // Another block for the same place (its encryption changed, say):
                // nothing to copy; `aic state encrypt` and friends rewrite it.
                if from.location() != to.location() {
                    if let Some(m) = copy_state(&env, &from, &to, lock_timeout)? {
                        migrated.push(m);
                    }
                }
            }
            record.environments.insert(env, now);
        }
        write_record(self.dir(), &record)?;
        Ok(migrated)
    }
}

/// E0655: the `backend` of `env` changed since `aic init`.
fn changed(env: &str) -> OpError {
    OpError::diagnostic(Diagnostic::new(&codes::E0655).with_help(format!(
        "The `backend` of environment `{env}` changed since the last `aic init`: its state is still where the old block put it. Run `aic init --migrate-state` to copy it (and its kept versions) to the new backend; or, to start the new backend as it is, delete {RECORD} and run `aic init`."
    )))
}

/// Copies the state of `from` (its journal replayed) with every kept version into `to`,
/// both locked; `None` when `from` holds no state.
fn copy_state(
    env: &str,
    from: &EnvStore,
    to: &EnvStore,
    lock_timeout: Duration,
) -> Result<Option<Migrated>, OpError> {
    let _from_lock = from.lock("init --migrate-state", lock_timeout)?;
    let Some(current) = from.load()? else {
        return Ok(None);
    };
    let current: State = current.state;
    let mut kept: Vec<(State, OffsetDateTime)> = Vec::new();
    for entry in from.history()? {
        if entry.current || entry.serial >= current.serial {
            continue;
        }
        kept.push((from.load_version(entry.serial)?, entry.written));
    }
    kept.sort_by_key(|(s, _)| s.serial);
    let to_lock = to.lock("init --migrate-state", lock_timeout)?;
    to.import(&to_lock, &kept, &current)?;
    Ok(Some(Migrated {
        environment: env.to_owned(),
        from: from.location(),
        to: to.location(),
        serial: current.serial,
        kept: kept.len(),
    }))
}
