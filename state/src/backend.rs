//! What each storage system implements ([`Backend`]): the stored bytes of state
//! versions, the entries of an apply's journal and the environment's lock, each with
//! that system's own guarantees (an atomic rename, a transaction, a conditional write).
//!
//! A backend knows nothing of what the bytes mean: decoding, encryption, serial and
//! lineage rules and journal replay are [`Store`](crate::Store)'s, written once for all.
//! Bytes handed to a backend may be ciphertext; a backend never needs to read them.

use std::io;
use std::time::Duration;

use time::OffsetDateTime;

use crate::error::StateError;
use crate::lock::{LockInfo, StateLock};

/// One environment's state in one storage system.
///
/// Every method blocks until the storage has answered; remote backends run their
/// asynchronous clients on their own thread (see [`Driver`](crate::Driver)), so these
/// methods may be called from any thread, inside an async runtime or not.
pub trait Backend: Send + Sync + std::fmt::Debug {
    /// The environment.
    fn environment(&self) -> &str;

    /// Where the current state is, for messages: a file path or a URL.
    fn location(&self) -> String;

    /// Where the journal of a running or interrupted apply is, for messages.
    fn journal_location(&self) -> String;

    /// Where earlier versions are kept, for messages.
    fn history_location(&self) -> String;

    /// Takes the environment's lock for `operation`, waiting up to `timeout` for another
    /// holder to release it; [`StateError::Locked`] names the holder when it does not.
    fn lock(&self, operation: &str, timeout: Duration) -> Result<StateLock, StateError>;

    /// Breaks the lock whose id is `id` (`aic state unlock ID`); returns who held it.
    fn force_unlock(&self, id: &str) -> Result<LockInfo, StateError>;

    /// Who holds the lock now, if anyone does as far as this backend can tell.
    fn holder(&self) -> Result<Option<LockInfo>, StateError>;

    /// The current version's bytes, or `None` when the environment has no state.
    fn read_current(&self) -> Result<Option<Stored>, StateError>;

    /// Makes `write.bytes` the current version, atomically with everything else
    /// [`Replace`] asks for: the version read before (`expected`) must still be the
    /// current one, the previous version is kept, the journal is removed and history is
    /// pruned. Fails with [`StateError::LockLost`] unless `lock` is still held.
    fn replace_current(&self, lock: &StateLock, write: Replace<'_>)
        -> Result<Replaced, StateError>;

    /// The earlier versions kept, in any order (the current one not included).
    fn versions(&self) -> Result<Vec<KeptVersion>, StateError>;

    /// The bytes of a kept version, or `None` when it is not kept.
    fn read_version(&self, serial: u64) -> Result<Option<Vec<u8>>, StateError>;

    /// Stores `bytes` as kept version `serial`, replacing what is kept under that serial
    /// (re-encryption, migration from another backend). `written` is when the version
    /// was first written.
    fn put_version(
        &self,
        lock: &StateLock,
        serial: u64,
        bytes: &[u8],
        written: OffsetDateTime,
    ) -> Result<(), StateError>;

    /// The journal of a running or interrupted apply as newline-terminated lines (the
    /// last one possibly cut short by a crash), or `None` when there is none.
    fn read_journal(&self) -> Result<Option<Vec<u8>>, StateError>;

    /// Starts a new journal (removing any other) or continues the existing one.
    fn open_journal(
        &self,
        lock: &StateLock,
        start: JournalStart<'_>,
    ) -> Result<Box<dyn JournalLog>, StateError>;
}

/// A shared backend is a backend: what lets one [`Store`](crate::Store) type hold
/// whichever backend a configuration names (`Store<Arc<dyn Backend>>`).
impl<T: Backend + ?Sized> Backend for std::sync::Arc<T> {
    fn environment(&self) -> &str {
        (**self).environment()
    }

    fn location(&self) -> String {
        (**self).location()
    }

    fn journal_location(&self) -> String {
        (**self).journal_location()
    }

    fn history_location(&self) -> String {
        (**self).history_location()
    }

    fn lock(&self, operation: &str, timeout: Duration) -> Result<StateLock, StateError> {
        (**self).lock(operation, timeout)
    }

    fn force_unlock(&self, id: &str) -> Result<LockInfo, StateError> {
        (**self).force_unlock(id)
    }

    fn holder(&self) -> Result<Option<LockInfo>, StateError> {
        (**self).holder()
    }

    fn read_current(&self) -> Result<Option<Stored>, StateError> {
        (**self).read_current()
    }

    fn replace_current(
        &self,
        lock: &StateLock,
        write: Replace<'_>,
    ) -> Result<Replaced, StateError> {
        (**self).replace_current(lock, write)
    }

    fn versions(&self) -> Result<Vec<KeptVersion>, StateError> {
        (**self).versions()
    }

    fn read_version(&self, serial: u64) -> Result<Option<Vec<u8>>, StateError> {
        (**self).read_version(serial)
    }

    fn put_version(
        &self,
        lock: &StateLock,
        serial: u64,
        bytes: &[u8],
        written: OffsetDateTime,
    ) -> Result<(), StateError> {
        (**self).put_version(lock, serial, bytes, written)
    }

    fn read_journal(&self) -> Result<Option<Vec<u8>>, StateError> {
        (**self).read_journal()
    }

    fn open_journal(
        &self,
        lock: &StateLock,
        start: JournalStart<'_>,
    ) -> Result<Box<dyn JournalLog>, StateError> {
        (**self).open_journal(lock, start)
    }
}

/// The bytes of a stored version and what the backend needs to replace it safely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The version's bytes (JSON, or an encryption envelope).
    pub bytes: Vec<u8>,
    /// The backend's token for this version: a serial, an ETag.
    pub revision: Revision,
    /// When the version was written, if the backend records it.
    pub written: Option<OffsetDateTime>,
}

/// A backend's token for one stored version, handed back to
/// [`Backend::replace_current`] so that it replaces only that version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision(pub String);

/// One call of [`Backend::replace_current`].
#[derive(Debug)]
pub struct Replace<'a> {
    /// The current version as read before: `None` when there was none. The write must
    /// not happen if the current version is another one by now.
    pub expected: Option<&'a Revision>,
    /// The version being replaced, to keep in history (`None`: nothing to keep, or the
    /// caller has kept it already).
    pub previous: Option<Previous<'a>>,
    /// The new version's serial.
    pub serial: u64,
    /// The new version's lineage.
    pub lineage: &'a str,
    /// The current version must have this lineage (`None`: any, `aic state push --force`).
    pub expected_lineage: Option<&'a str>,
    /// How many resource instances the new version holds (backends may record it).
    pub resources: usize,
    /// The new version's bytes.
    pub bytes: &'a [u8],
    /// How many earlier versions to keep at most.
    pub history_limit: usize,
}

/// The version replaced by a [`Replace`], kept in history.
#[derive(Debug, Clone, Copy)]
pub struct Previous<'a> {
    /// Its serial.
    pub serial: u64,
    /// Its bytes as stored.
    pub bytes: &'a [u8],
    /// When it was written, if known.
    pub written: Option<OffsetDateTime>,
}

/// What [`Backend::replace_current`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replaced {
    /// The new version is the current one.
    Written,
    /// Nothing was written: the current version is not the one expected any more
    /// (another writer won), or does not have the expected lineage.
    Conflict,
}

/// A kept earlier version, as listed by [`Backend::versions`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptVersion {
    /// Its serial.
    pub serial: u64,
    /// When it was written.
    pub written: OffsetDateTime,
    /// How many resource instances it holds, when the backend recorded it.
    pub resources: Option<usize>,
}

/// How [`Backend::open_journal`] starts.
#[derive(Debug, Clone, Copy)]
pub enum JournalStart<'a> {
    /// A new journal whose first line is `header` (newline-terminated); any other
    /// journal of the environment is removed first.
    New {
        /// The header line.
        header: &'a [u8],
    },
    /// Continue the existing journal after its intact prefix of `intact` bytes (as
    /// [`Backend::read_journal`] returned them): anything after it is cut off.
    Continue {
        /// Length of the intact prefix.
        intact: u64,
    },
}

/// The append side of one apply's journal, owned by [`StateJournal`](crate::StateJournal).
pub trait JournalLog: Send {
    /// Appends `lines` (one or more newline-terminated lines) and makes them durable
    /// before returning. On error none of them may count as recorded: the backend either
    /// undid the partial write ([`AppendError::repaired`]) or refuses further appends.
    fn append(&mut self, lines: &[u8]) -> Result<(), AppendError>;
}

/// A failed [`JournalLog::append`].
#[derive(Debug)]
pub struct AppendError {
    /// What went wrong.
    pub error: io::Error,
    /// The journal is as it was before the call, so appending may go on. When false, the
    /// journal may hold part of the batch and no later line may follow it.
    pub repaired: bool,
    /// The failure is a remote server's or connection's (reported as such), not a
    /// local file system's.
    pub remote: bool,
}
