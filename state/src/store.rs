//! The persistence contract commands and the engine use ([`StateStore`]), the values
//! it hands back, and [`Store`]: the one implementation of its rules over any
//! [`Backend`].
//!
//! The rules: a state is decoded (and decrypted) before use and never overwritten when
//! it cannot be; serials only grow and a write must continue the version it read;
//! lineages never change under a writer; an interrupted apply's journal is replayed on
//! read and continued or folded in on write; earlier versions are kept.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use miette::{NamedSource, SourceSpan};
use serde::de::IgnoredAny;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::backend::{Backend, JournalStart, Previous, Replace, Replaced, Stored};
use crate::encryption::{Encryption, Kind};
use crate::error::{DamagedState, StateError};
use crate::journal::{self, Header, JournalReplay, ParsedJournal, StateJournal};
use crate::lock::{LockInfo, StateLock};
use crate::model::{State, FORMAT_VERSION};

/// Where one environment's state lives: read, written under a lock, journaled during
/// apply, with past versions kept.
///
/// Contract for writers: take the lock, then [`load`](StateStore::load), change the
/// state, and [`write`](StateStore::write) it (or run an apply through
/// [`open_journal`](StateStore::open_journal)). A state loaded before the lock was
/// taken may be stale; `write` refuses it when the serial stored moved on.
pub trait StateStore: Send + Sync {
    /// The environment this store holds.
    fn environment(&self) -> &str;

    /// Where the current state is, for messages: a file path or a URL.
    fn location(&self) -> String;

    /// Takes the environment's lock for `operation` (e.g. `"apply"`), waiting up to
    /// `timeout` for another holder to release it.
    fn lock(&self, operation: &str, timeout: Duration) -> Result<StateLock, StateError>;

    /// Breaks the lock whose id is `id` (`aic state unlock ID`); returns who held it.
    fn force_unlock(&self, id: &str) -> Result<LockInfo, StateError>;

    /// Who holds the lock now, if anyone does as far as the backend can tell (a holder
    /// known to be gone is not reported).
    fn holder(&self) -> Result<Option<LockInfo>, StateError>;

    /// The current state with any leftover journal replayed onto it; `None` when the
    /// environment has no state yet. Writes nothing.
    fn load(&self) -> Result<Option<LoadedState>, StateError>;

    /// Writes `state` as the next version: its serial must equal the current one
    /// stored (and its lineage match); it is then set to the new serial. The previous
    /// version is kept in history and a leftover journal is removed, as `state` is
    /// taken to include it.
    fn write(&self, lock: &StateLock, state: &mut State) -> Result<(), StateError>;

    /// Writes `state` over the current version (`aic state push`): refused when its
    /// lineage differs or its serial is older than the current one, unless `force`.
    /// It is written with its own serial when that is higher than the current one,
    /// else with the next one.
    fn push(&self, lock: &StateLock, state: &mut State, force: bool) -> Result<(), StateError>;

    /// Opens the journal for an apply. A leftover journal that is still current is
    /// continued (its torn tail cut off); otherwise a new one starts from the current
    /// state. [`StateJournal::state`] tells what the apply starts from.
    fn open_journal(&self, lock: &StateLock) -> Result<StateJournal, StateError>;

    /// The kept versions, newest first, the current one included.
    fn history(&self) -> Result<Vec<HistoryEntry>, StateError>;

    /// One kept version (or the current one) by serial.
    fn load_version(&self, serial: u64) -> Result<State, StateError>;

    /// Rewrites everything stored with this store's encryption settings
    /// (`aic state encrypt`, `decrypt`, `rekey`): the current state (with any leftover
    /// journal folded in) as a new version, then every kept version in place. Returns
    /// how many versions were rewritten.
    fn reseal(&self, lock: &StateLock) -> Result<usize, StateError>;

    /// Stores versions copied from another backend (`aic init --migrate-state`): `kept`
    /// as earlier versions with their serials and times, then `current` as the current
    /// version with its serial. Refused when this environment already holds another
    /// state; a no-op when it holds this very one (same lineage and serial).
    fn import(
        &self,
        lock: &StateLock,
        kept: &[(State, OffsetDateTime)],
        current: &State,
    ) -> Result<(), StateError>;
}

/// A loaded state and what recovery was needed to get it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedState {
    /// The state, including replayed journal operations. Addresses whose create may
    /// have happened unrecorded are in [`State::unrecorded_creates`].
    pub state: State,
    /// Set when a leftover journal from an interrupted apply was found.
    pub replay: Option<JournalReplay>,
}

/// One version of the state in [`StateStore::history`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The version's serial.
    pub serial: u64,
    /// When the version was written.
    pub written: OffsetDateTime,
    /// How many resource instances it holds; `None` when it cannot be decoded.
    pub resources: Option<usize>,
    /// It is the current state.
    pub current: bool,
}

/// A [`Backend`] with the rules of [`StateStore`]: how every backend is used.
#[derive(Debug)]
pub struct Store<B> {
    backend: B,
    encryption: Arc<Encryption>,
    history_limit: usize,
}

impl<B: Clone> Clone for Store<B> {
    fn clone(&self) -> Self {
        Store {
            backend: self.backend.clone(),
            encryption: self.encryption.clone(),
            history_limit: self.history_limit,
        }
    }
}

impl<B: Backend> From<B> for Store<B> {
    fn from(backend: B) -> Self {
        Store::over(backend)
    }
}

/// The current version as stored and as decoded.
struct Current {
    stored: Stored,
    state: State,
}

impl<B: Backend> Store<B> {
    /// How many earlier versions are kept unless told otherwise.
    pub const DEFAULT_HISTORY_LIMIT: usize = 50;

    /// The store over `backend`, without encryption, keeping
    /// [`DEFAULT_HISTORY_LIMIT`](Self::DEFAULT_HISTORY_LIMIT) earlier versions.
    pub fn over(backend: B) -> Self {
        Store {
            backend,
            encryption: Arc::new(Encryption::none()),
            history_limit: Self::DEFAULT_HISTORY_LIMIT,
        }
    }

    /// Keeps the last `limit` earlier versions instead of
    /// [`DEFAULT_HISTORY_LIMIT`](Self::DEFAULT_HISTORY_LIMIT).
    pub fn with_history_limit(mut self, limit: usize) -> Self {
        self.history_limit = limit;
        self
    }

    /// Seals what is written and opens what is read with `encryption`.
    pub fn with_encryption(mut self, encryption: Encryption) -> Self {
        self.encryption = Arc::new(encryption);
        self
    }

    /// The encryption settings.
    pub fn encryption(&self) -> &Encryption {
        &self.encryption
    }

    /// The backend underneath.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// Decodes stored state bytes found at `location`: opened with the encryption
    /// settings, refused when damaged or written by a newer aic.
    fn decode(&self, location: &str, bytes: &[u8]) -> Result<State, StateError> {
        #[derive(Deserialize)]
        struct Version {
            format_version: u64,
        }
        let text = self
            .encryption
            .open(Kind::State, bytes)
            .map_err(|e| StateError::encryption(location, e))?;
        let corrupt = |e: serde_json::Error| self.corrupt(location, &text, &e);
        let version: Version = serde_json::from_slice(&text).map_err(corrupt)?;
        if version.format_version > u64::from(FORMAT_VERSION) {
            return Err(StateError::NewerFormat {
                path: PathBuf::from(location),
                found: version.format_version,
                supported: FORMAT_VERSION,
            });
        }
        serde_json::from_slice(&text).map_err(corrupt)
    }

    fn corrupt(&self, location: &str, bytes: &[u8], e: &serde_json::Error) -> StateError {
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
            path: PathBuf::from(location),
            reason,
            line,
            column,
            history_dir: PathBuf::from(self.backend.history_location()),
            source_code: NamedSource::new(location, text),
            at: SourceSpan::from((offset, 0)),
        }))
    }

    /// Encodes `state` for storage: pretty JSON, sealed when encryption is on.
    fn encode(&self, state: &State) -> Result<Vec<u8>, StateError> {
        let location = self.backend.location();
        let mut json = serde_json::to_vec_pretty(state)
            .map_err(|e| StateError::io("encode", &location, e.into()))?;
        json.push(b'\n');
        match self.encryption.seal(Kind::State, &json) {
            Ok(Cow::Borrowed(_)) => Ok(json),
            Ok(Cow::Owned(mut sealed)) => {
                sealed.push(b'\n');
                Ok(sealed)
            }
            Err(e) => Err(StateError::encryption(location, e)),
        }
    }

    fn read_current(&self) -> Result<Option<Current>, StateError> {
        let Some(stored) = self.backend.read_current()? else {
            return Ok(None);
        };
        let state = self.decode(&self.backend.location(), &stored.bytes)?;
        Ok(Some(Current { stored, state }))
    }

    fn read_journal(&self) -> Result<Option<ParsedJournal>, StateError> {
        match self.backend.read_journal()? {
            Some(bytes) => {
                journal::parse(&self.journal_location_path(), &bytes, &self.encryption).map(Some)
            }
            None => Ok(None),
        }
    }

    fn journal_location_path(&self) -> PathBuf {
        PathBuf::from(self.backend.journal_location())
    }

    /// Replaces the current version with `state` (whose serial and lineage are final),
    /// expecting `current` to still be the current one.
    fn replace(
        &self,
        lock: &StateLock,
        current: Option<&Current>,
        state: &mut State,
        check_lineage: bool,
    ) -> Result<(), StateError> {
        state.format_version = FORMAT_VERSION;
        state.sort_resources();
        let bytes = self.encode(state)?;
        let replaced = self.backend.replace_current(
            lock,
            Replace {
                expected: current.map(|c| &c.stored.revision),
                previous: current.map(|c| Previous {
                    serial: c.state.serial,
                    bytes: &c.stored.bytes,
                    written: c.stored.written,
                }),
                serial: state.serial,
                lineage: &state.lineage,
                expected_lineage: match (check_lineage, current) {
                    (true, Some(c)) => Some(c.state.lineage.as_str()),
                    _ => None,
                },
                resources: state.resources.len(),
                bytes: &bytes,
                history_limit: self.history_limit,
            },
        )?;
        match replaced {
            Replaced::Written => Ok(()),
            Replaced::Conflict => {
                let now = self.read_current()?;
                let expected = current.map_or(0, |c| c.state.serial);
                Err(match now {
                    Some(now) if check_lineage && now.state.lineage != state.lineage => {
                        StateError::LineageMismatch {
                            env: self.backend.environment().to_owned(),
                            expected: state.lineage.clone(),
                            found: now.state.lineage,
                        }
                    }
                    now => StateError::SerialConflict {
                        env: self.backend.environment().to_owned(),
                        expected,
                        found: now.map_or(0, |n| n.state.serial),
                    },
                })
            }
        }
    }
}

impl<B: Backend> StateStore for Store<B> {
    fn environment(&self) -> &str {
        self.backend.environment()
    }

    fn location(&self) -> String {
        self.backend.location()
    }

    fn lock(&self, operation: &str, timeout: Duration) -> Result<StateLock, StateError> {
        self.backend.lock(operation, timeout)
    }

    fn force_unlock(&self, id: &str) -> Result<LockInfo, StateError> {
        self.backend.force_unlock(id)
    }

    fn holder(&self) -> Result<Option<LockInfo>, StateError> {
        self.backend.holder()
    }

    fn load(&self) -> Result<Option<LoadedState>, StateError> {
        let state = self.read_current()?.map(|c| c.state);
        let Some(parsed) = self.read_journal()? else {
            return Ok(state.map(|state| LoadedState {
                state,
                replay: None,
            }));
        };
        let (state, replay) = journal::replay(&self.journal_location_path(), &parsed, state)?;
        Ok(state.map(|state| LoadedState {
            state,
            replay: Some(replay),
        }))
    }

    fn write(&self, lock: &StateLock, state: &mut State) -> Result<(), StateError> {
        let current = self.read_current()?;
        let mut written = state.clone();
        match &current {
            Some(current) => {
                if current.state.lineage != state.lineage {
                    return Err(StateError::LineageMismatch {
                        env: self.backend.environment().to_owned(),
                        expected: state.lineage.clone(),
                        found: current.state.lineage.clone(),
                    });
                }
                if current.state.serial != state.serial {
                    return Err(StateError::SerialConflict {
                        env: self.backend.environment().to_owned(),
                        expected: state.serial,
                        found: current.state.serial,
                    });
                }
                written.serial = current.state.serial + 1;
            }
            None => written.serial = state.serial + 1,
        }
        self.replace(lock, current.as_ref(), &mut written, true)?;
        *state = written;
        Ok(())
    }

    fn push(&self, lock: &StateLock, state: &mut State, force: bool) -> Result<(), StateError> {
        let current = self.read_current()?;
        let mut written = state.clone();
        match &current {
            Some(current) => {
                if !force && current.state.lineage != state.lineage {
                    return Err(StateError::LineageMismatch {
                        env: self.backend.environment().to_owned(),
                        expected: state.lineage.clone(),
                        found: current.state.lineage.clone(),
                    });
                }
                if !force && state.serial < current.state.serial {
                    return Err(StateError::PushStale {
                        env: self.backend.environment().to_owned(),
                        pushed: state.serial,
                        current: current.state.serial,
                    });
                }
                written.serial = state.serial.max(current.state.serial + 1);
            }
            None => written.serial = state.serial.max(1),
        }
        self.replace(lock, current.as_ref(), &mut written, !force)?;
        *state = written;
        Ok(())
    }

    fn open_journal(&self, lock: &StateLock) -> Result<StateJournal, StateError> {
        let path = self.journal_location_path();
        let state = self.read_current()?.map(|c| c.state);
        let (state, resume_at) = match self.read_journal()? {
            Some(parsed) => {
                let (state, replay) = journal::replay(&path, &parsed, state)?;
                let current = parsed.header.is_some() && !replay.already_compacted;
                (state, current.then_some(parsed.good_len))
            }
            None => (state, None),
        };
        let (state, log) = match (state, resume_at) {
            (Some(state), Some(intact)) => {
                let log = self
                    .backend
                    .open_journal(lock, JournalStart::Continue { intact })?;
                (state, log)
            }
            (state, _) => {
                let state = state.unwrap_or_default();
                let header = Header::line(&state, &self.encryption, &path)?;
                let log = self
                    .backend
                    .open_journal(lock, JournalStart::New { header: &header })?;
                (state, log)
            }
        };
        Ok(StateJournal::new(path, log, state, self.encryption.clone()))
    }

    fn history(&self) -> Result<Vec<HistoryEntry>, StateError> {
        #[derive(Deserialize)]
        struct Count {
            #[serde(default)]
            resources: Vec<IgnoredAny>,
        }
        let count = |bytes: &[u8]| {
            let text = self.encryption.open(Kind::State, bytes).ok()?;
            serde_json::from_slice::<Count>(&text)
                .ok()
                .map(|c| c.resources.len())
        };
        let mut kept = self.backend.versions()?;
        kept.sort_by_key(|v| std::cmp::Reverse(v.serial));
        let mut entries = Vec::with_capacity(kept.len() + 1);
        for version in kept {
            let resources = match version.resources {
                Some(n) => Some(n),
                None => self
                    .backend
                    .read_version(version.serial)?
                    .and_then(|b| count(&b)),
            };
            entries.push(HistoryEntry {
                serial: version.serial,
                written: version.written,
                resources,
                current: false,
            });
        }
        // A damaged current version is left out: history is how the user recovers from it.
        if let Ok(Some(current)) = self.read_current() {
            entries.retain(|e| e.serial != current.state.serial);
            entries.insert(
                0,
                HistoryEntry {
                    serial: current.state.serial,
                    written: current
                        .stored
                        .written
                        .unwrap_or_else(OffsetDateTime::now_utc),
                    resources: Some(current.state.resources.len()),
                    current: true,
                },
            );
        }
        Ok(entries)
    }

    fn load_version(&self, serial: u64) -> Result<State, StateError> {
        match self.backend.read_version(serial)? {
            Some(bytes) => {
                let location = format!("{} (serial {serial})", self.backend.history_location());
                self.decode(&location, &bytes)
            }
            None => match self.read_current()? {
                Some(current) if current.state.serial == serial => Ok(current.state),
                _ => Err(StateError::VersionNotFound {
                    env: self.backend.environment().to_owned(),
                    serial,
                }),
            },
        }
    }

    fn reseal(&self, lock: &StateLock) -> Result<usize, StateError> {
        let Some(loaded) = self.load()? else {
            return Ok(0);
        };
        let mut state = loaded.state;
        self.write(lock, &mut state)?;
        let mut rewritten = 1;
        for version in self.backend.versions()? {
            if version.serial >= state.serial {
                continue;
            }
            let Some(bytes) = self.backend.read_version(version.serial)? else {
                continue;
            };
            let location = format!(
                "{} (serial {})",
                self.backend.history_location(),
                version.serial
            );
            let text = self
                .encryption
                .open(Kind::State, &bytes)
                .map_err(|e| StateError::encryption(location.as_str(), e))?;
            let mut sealed = match self.encryption.seal(Kind::State, &text) {
                Ok(b) => b.into_owned(),
                Err(e) => return Err(StateError::encryption(location, e)),
            };
            if self.encryption.seals() {
                sealed.push(b'\n');
            }
            self.backend
                .put_version(lock, version.serial, &sealed, version.written)?;
            rewritten += 1;
        }
        Ok(rewritten)
    }

    fn import(
        &self,
        lock: &StateLock,
        kept: &[(State, OffsetDateTime)],
        current: &State,
    ) -> Result<(), StateError> {
        if let Some(existing) = self.read_current()? {
            if existing.state.lineage == current.lineage && existing.state.serial == current.serial
            {
                return Ok(());
            }
            return Err(StateError::NotEmpty {
                env: self.backend.environment().to_owned(),
                location: self.backend.location(),
                lineage: existing.state.lineage,
                serial: existing.state.serial,
            });
        }
        for (version, written) in kept {
            if version.serial >= current.serial {
                continue;
            }
            let bytes = self.encode(version)?;
            self.backend
                .put_version(lock, version.serial, &bytes, *written)?;
        }
        // A backend whose current version is its newest row now sees the newest kept
        // version as current: replace that one.
        let below = self.read_current()?;
        let mut state = current.clone();
        state.format_version = FORMAT_VERSION;
        state.sort_resources();
        let bytes = self.encode(&state)?;
        let replaced = self.backend.replace_current(
            lock,
            Replace {
                expected: below.as_ref().map(|b| &b.stored.revision),
                previous: None,
                serial: state.serial,
                lineage: &state.lineage,
                expected_lineage: None,
                resources: state.resources.len(),
                bytes: &bytes,
                history_limit: self.history_limit,
            },
        )?;
        match replaced {
            Replaced::Written => Ok(()),
            Replaced::Conflict => Err(StateError::SerialConflict {
                env: self.backend.environment().to_owned(),
                expected: below.map_or(0, |b| b.state.serial),
                found: self.read_current()?.map_or(0, |c| c.state.serial),
            }),
        }
    }
}
