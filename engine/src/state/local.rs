//! The local backend: an environment's state in files under `.aic/state/`.
//!
//! ```text
//! .aic/state/<env>.json              current state (mode 0600, replaced atomically)
//! .aic/state/<env>.journal           operations of a running or interrupted apply
//! .aic/state/<env>.lock              the lock, while held
//! .aic/state/history/<env>/<N>.json  earlier versions, by serial (the last N kept)
//! ```
//!
//! Never overwrites a state file it cannot read, nor one written by a newer aic.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use miette::{NamedSource, SourceSpan};
use serde::de::IgnoredAny;
use serde::Deserialize;
use time::OffsetDateTime;

use super::error::{DamagedState, StateError};
use super::fsio;
use super::journal::{self, ParsedJournal, StateJournal};
use super::lock::{LockFile, LockInfo, StateLock};
use super::model::{State, FORMAT_VERSION};
use super::store::{HistoryEntry, LoadedState, StateStore};

/// Environments' state in local files under `<project>/.aic/state/`.
#[derive(Debug, Clone)]
pub struct LocalBackend {
    env: String,
    dir: PathBuf,
    history_limit: usize,
    lock_file: LockFile,
}

impl LocalBackend {
    /// How many earlier versions are kept unless told otherwise.
    pub const DEFAULT_HISTORY_LIMIT: usize = 50;

    /// The backend of environment `env` in the project at `project_dir`. Creates nothing
    /// until the first write or lock.
    pub fn new(project_dir: impl AsRef<Path>, env: &str) -> Result<Self, StateError> {
        LocalBackend::in_dir(project_dir.as_ref().join(".aic").join("state"), env)
    }

    /// The backend of environment `env` with its files in `dir` (a `backend local { path }`
    /// setting) instead of `<project>/.aic/state`.
    pub fn in_dir(dir: PathBuf, env: &str) -> Result<Self, StateError> {
        let valid = env
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
            && env
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(StateError::InvalidEnvironment {
                name: env.to_owned(),
            });
        }
        Ok(LocalBackend {
            env: env.to_owned(),
            lock_file: LockFile {
                path: dir.join(format!("{env}.lock")),
                env: env.to_owned(),
            },
            dir,
            history_limit: Self::DEFAULT_HISTORY_LIMIT,
        })
    }

    /// Keeps the last `limit` earlier versions instead of
    /// [`DEFAULT_HISTORY_LIMIT`](Self::DEFAULT_HISTORY_LIMIT).
    pub fn with_history_limit(mut self, limit: usize) -> Self {
        self.history_limit = limit;
        self
    }

    /// `.aic/state/<env>.json`
    pub fn state_path(&self) -> PathBuf {
        self.dir.join(format!("{}.json", self.env))
    }

    /// `.aic/state/<env>.journal`
    pub fn journal_path(&self) -> PathBuf {
        self.dir.join(format!("{}.journal", self.env))
    }

    /// `.aic/state/<env>.lock`
    pub fn lock_path(&self) -> &Path {
        &self.lock_file.path
    }

    /// Who holds the environment's lock now, if anyone does (and the lock file reads).
    pub fn holder(&self) -> Option<LockInfo> {
        let bytes = std::fs::read(self.lock_path()).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// `.aic/state/history/<env>/`
    pub fn history_dir(&self) -> PathBuf {
        self.dir.join("history").join(&self.env)
    }

    fn version_path(&self, serial: u64) -> PathBuf {
        self.history_dir().join(format!("{serial}.json"))
    }

    /// The state file's content and decoded state, if there is a state file.
    fn read_current(&self) -> Result<Option<(Vec<u8>, State)>, StateError> {
        let path = self.state_path();
        let Some(bytes) = fsio::read_optional(&path)? else {
            return Ok(None);
        };
        let state = self.decode(&path, &bytes)?;
        Ok(Some((bytes, state)))
    }

    fn read_journal(&self) -> Result<Option<ParsedJournal>, StateError> {
        let path = self.journal_path();
        match fsio::read_optional(&path)? {
            Some(bytes) => journal::parse(&path, &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Decodes a state file, refusing damaged files and newer formats.
    fn decode(&self, path: &Path, bytes: &[u8]) -> Result<State, StateError> {
        #[derive(Deserialize)]
        struct Version {
            format_version: u64,
        }
        let corrupt = |e: serde_json::Error| self.corrupt(path, bytes, &e);
        let version: Version = serde_json::from_slice(bytes).map_err(corrupt)?;
        if version.format_version > u64::from(FORMAT_VERSION) {
            return Err(StateError::NewerFormat {
                path: path.to_owned(),
                found: version.format_version,
                supported: FORMAT_VERSION,
            });
        }
        serde_json::from_slice(bytes).map_err(corrupt)
    }

    fn corrupt(&self, path: &Path, bytes: &[u8], e: &serde_json::Error) -> StateError {
        let text = String::from_utf8_lossy(bytes).into_owned();
        let (line, column) = (e.line(), e.column());
        let line_start: usize = text
            .split_inclusive('\n')
            .take(line.saturating_sub(1))
            .map(str::len)
            .sum();
        let offset = (line_start + column.saturating_sub(1)).min(text.len().saturating_sub(1));
        let message = e.to_string();
        let reason = message
            .strip_suffix(&format!(" at line {line} column {column}"))
            .unwrap_or(&message)
            .to_owned();
        StateError::Corrupt(Box::new(DamagedState {
            path: path.to_owned(),
            reason,
            line,
            column,
            history_dir: self.history_dir(),
            source_code: NamedSource::new(path.display().to_string(), text),
            at: SourceSpan::from((offset, 0)),
        }))
    }

    /// Copies the version being replaced into history, then drops the oldest beyond
    /// the limit.
    fn keep_in_history(&self, serial: u64, bytes: &[u8]) -> Result<(), StateError> {
        if self.history_limit == 0 {
            return Ok(());
        }
        let dir = self.history_dir();
        fsio::create_dir(&dir)?;
        let written = fsio::modified(&self.state_path());
        fsio::write_atomic(&self.version_path(serial), bytes, written)?;
        let serials = self.kept_serials()?;
        let excess = serials.len().saturating_sub(self.history_limit);
        for old in &serials[..excess] {
            let path = self.version_path(*old);
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(StateError::io("remove", path, e)),
            }
        }
        Ok(())
    }

    /// Serials in the history directory, oldest first.
    fn kept_serials(&self) -> Result<Vec<u64>, StateError> {
        let dir = self.history_dir();
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(StateError::io("list", dir, e)),
        };
        let mut serials = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| StateError::io("list", &dir, e))?;
            let name = entry.file_name();
            let serial = name
                .to_str()
                .and_then(|n| n.strip_suffix(".json"))
                .and_then(|n| n.parse::<u64>().ok());
            serials.extend(serial);
        }
        serials.sort_unstable();
        Ok(serials)
    }

    fn history_entry(
        &self,
        path: &Path,
        serial: u64,
        current: bool,
    ) -> Result<HistoryEntry, StateError> {
        #[derive(Deserialize)]
        struct Count {
            #[serde(default)]
            resources: Vec<IgnoredAny>,
        }
        let meta = fs::metadata(path).map_err(|e| StateError::io("read", path, e))?;
        let written = meta
            .modified()
            .map_err(|e| StateError::io("read", path, e))?;
        let resources = fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Count>(&b).ok())
            .map(|c| c.resources.len());
        Ok(HistoryEntry {
            serial,
            written: OffsetDateTime::from(written),
            resources,
            current,
        })
    }
}

impl StateStore for LocalBackend {
    fn environment(&self) -> &str {
        &self.env
    }

    fn lock(&self, operation: &str, timeout: Duration) -> Result<StateLock, StateError> {
        fsio::create_dir(&self.dir)?;
        self.lock_file.acquire(operation, timeout)
    }

    fn force_unlock(&self, id: &str) -> Result<LockInfo, StateError> {
        self.lock_file.force_unlock(id)
    }

    fn load(&self) -> Result<Option<LoadedState>, StateError> {
        let state = self.read_current()?.map(|(_, s)| s);
        let Some(parsed) = self.read_journal()? else {
            return Ok(state.map(|state| LoadedState {
                state,
                replay: None,
            }));
        };
        let (state, replay) = journal::replay(&self.journal_path(), &parsed, state)?;
        Ok(state.map(|state| LoadedState {
            state,
            replay: Some(replay),
        }))
    }

    fn write(&self, lock: &StateLock, state: &mut State) -> Result<(), StateError> {
        self.lock_file.check_held(lock)?;
        fsio::create_dir(&self.dir)?;
        let next = match self.read_current()? {
            Some((bytes, current)) => {
                if current.lineage != state.lineage {
                    return Err(StateError::LineageMismatch {
                        env: self.env.clone(),
                        expected: state.lineage.clone(),
                        found: current.lineage,
                    });
                }
                if current.serial != state.serial {
                    return Err(StateError::SerialConflict {
                        env: self.env.clone(),
                        expected: state.serial,
                        found: current.serial,
                    });
                }
                self.keep_in_history(current.serial, &bytes)?;
                current.serial + 1
            }
            None => state.serial + 1,
        };
        let mut written = state.clone();
        written.serial = next;
        written.format_version = FORMAT_VERSION;
        written.sort_resources();
        let path = self.state_path();
        let mut bytes = serde_json::to_vec_pretty(&written)
            .map_err(|e| StateError::io("encode", &path, e.into()))?;
        bytes.push(b'\n');
        fsio::write_atomic(&path, &bytes, None)?;
        *state = written;
        // The state now includes the journal; were the process to stop before this
        // removal, the journal's header (older serial) marks it as already compacted.
        fsio::remove_durably(&self.journal_path())?;
        Ok(())
    }

    fn open_journal(&self, lock: &StateLock) -> Result<StateJournal, StateError> {
        self.lock_file.check_held(lock)?;
        fsio::create_dir(&self.dir)?;
        let path = self.journal_path();
        let state = self.read_current()?.map(|(_, s)| s);
        let (state, resume_at) = match self.read_journal()? {
            Some(parsed) => {
                let (state, replay) = journal::replay(&path, &parsed, state)?;
                let current = parsed.header.is_some() && !replay.already_compacted;
                (state, current.then_some(parsed.good_len))
            }
            None => (state, None),
        };
        match (state, resume_at) {
            (Some(state), Some(len)) => StateJournal::open(path, state, len),
            (state, _) => StateJournal::create(path, state.unwrap_or_default()),
        }
    }

    fn history(&self) -> Result<Vec<HistoryEntry>, StateError> {
        let mut entries = Vec::new();
        for serial in self.kept_serials()?.into_iter().rev() {
            entries.push(self.history_entry(&self.version_path(serial), serial, false)?);
        }
        // A damaged current file is left out: history is how the user recovers from it.
        if let Ok(Some((_, current))) = self.read_current() {
            entries.retain(|e| e.serial != current.serial);
            entries.insert(
                0,
                self.history_entry(&self.state_path(), current.serial, true)?,
            );
        }
        Ok(entries)
    }

    fn load_version(&self, serial: u64) -> Result<State, StateError> {
        let path = self.version_path(serial);
        match fsio::read_optional(&path)? {
            Some(bytes) => self.decode(&path, &bytes),
            None => match self.read_current()? {
                Some((_, current)) if current.serial == serial => Ok(current),
                _ => Err(StateError::VersionNotFound {
                    env: self.env.clone(),
                    serial,
                }),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_names_must_be_safe_file_names() {
        let dir = Path::new("/tmp/x");
        for good in ["dev", "prod-eu_1", "7"] {
            assert!(LocalBackend::new(dir, good).is_ok(), "{good}");
        }
        for bad in ["", "../x", "a/b", ".hidden", "-x", "a b"] {
            assert!(
                matches!(
                    LocalBackend::new(dir, bad),
                    Err(StateError::InvalidEnvironment { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn paths_follow_the_documented_layout() {
        let b = LocalBackend::new("/p", "prod").unwrap();
        assert_eq!(b.state_path(), Path::new("/p/.aic/state/prod.json"));
        assert_eq!(b.journal_path(), Path::new("/p/.aic/state/prod.journal"));
        assert_eq!(b.lock_path(), Path::new("/p/.aic/state/prod.lock"));
        assert_eq!(b.history_dir(), Path::new("/p/.aic/state/history/prod"));
    }
}
