//! The persistence contract every backend fulfils ([`StateStore`]) and the values it
//! hands back. Commands and the engine talk to state storage only through it.

use std::time::Duration;

use time::OffsetDateTime;

use super::error::StateError;
use super::journal::{JournalReplay, StateJournal};
use super::lock::{LockInfo, StateLock};
use super::model::State;

/// Where one environment's state lives: read, written under a lock, journaled during
/// apply, with past versions kept.
///
/// Contract for writers: take the lock, then [`load`](StateStore::load), change the
/// state, and [`write`](StateStore::write) it (or run an apply through
/// [`open_journal`](StateStore::open_journal)). A state loaded before the lock was
/// taken may be stale; `write` refuses it when the serial on disk moved on.
pub trait StateStore: Send + Sync {
    /// The environment this store holds.
    fn environment(&self) -> &str;

    /// Takes the environment's lock for `operation` (e.g. `"apply"`), waiting up to
    /// `timeout` for another holder to release it.
    fn lock(&self, operation: &str, timeout: Duration) -> Result<StateLock, StateError>;

    /// Breaks the lock whose id is `id` (`aic state unlock ID`); returns who held it.
    fn force_unlock(&self, id: &str) -> Result<LockInfo, StateError>;

    /// The current state with any leftover journal replayed onto it; `None` when the
    /// environment has no state yet. Writes nothing.
    fn load(&self) -> Result<Option<LoadedState>, StateError>;

    /// Writes `state` as the next version: its serial must equal the current one on
    /// disk (and its lineage match); it is then set to the new serial. The previous
    /// version is kept in history and a leftover journal is removed, as `state` is
    /// taken to include it.
    fn write(&self, lock: &StateLock, state: &mut State) -> Result<(), StateError>;

    /// Opens the journal for an apply. A leftover journal that is still current is
    /// continued (its torn tail cut off); otherwise a new one starts from the current
    /// state. [`StateJournal::state`] tells what the apply starts from.
    fn open_journal(&self, lock: &StateLock) -> Result<StateJournal, StateError>;

    /// The kept versions, newest first, the current one included.
    fn history(&self) -> Result<Vec<HistoryEntry>, StateError>;

    /// One kept version (or the current one) by serial.
    fn load_version(&self, serial: u64) -> Result<State, StateError>;
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
    /// How many resource instances it holds; `None` when the file cannot be decoded.
    pub resources: Option<usize>,
    /// It is the current state.
    pub current: bool,
}
