//! Errors of the state layer: one enum, a stable code per variant (`E06xx`), and help
//! text saying what the user can do. The words live here and nowhere else.

use std::io;
use std::path::PathBuf;

use miette::{Diagnostic, NamedSource, SourceSpan};
use thiserror::Error;

use crate::encryption::EncryptionError;
use crate::lock::LockInfo;

/// Everything that can go wrong reading, writing or locking a state.
#[derive(Debug, Error, Diagnostic)]
pub enum StateError {
    /// A file system operation failed.
    #[error("could not {action} `{path}`: {source}")]
    #[diagnostic(
        code(E0601),
        help("Check that the path exists, is writable by you and that the disk is not full.")
    )]
    Io {
        /// What was being done, e.g. "write".
        action: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },

    /// The state file is not valid JSON or not a valid state.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Corrupt(Box<DamagedState>),

    /// The state file was written by a newer aic.
    #[error(
        "state file `{path}` has format version {found}, written by a newer aic \
         (this one reads version {supported})"
    )]
    #[diagnostic(
        code(E0603),
        help("Upgrade aic to the version that wrote this state; the file was left unchanged.")
    )]
    NewerFormat {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        found: u64,
        /// The version this build supports.
        supported: u32,
    },

    /// Another process holds the environment's lock.
    #[error(
        "the state of environment `{env}` is locked by {who}@{host} (pid {pid}) for `{operation}` \
         since {since}{stale}",
        who = holder.who,
        host = holder.host,
        pid = holder.pid,
        operation = holder.operation,
        since = holder.created_rfc3339(),
        stale = if *stale { "; that process no longer runs, the lock looks stale" } else { "" }
    )]
    #[diagnostic(
        code(E0604),
        help(
            "Wait for it to finish, or retry with a longer `--lock-timeout`. If no aic is \
             running there any more, break the lock with `aic state unlock {}`.",
            holder.id
        )
    )]
    Locked {
        /// The environment.
        env: String,
        /// Who holds the lock.
        holder: Box<LockInfo>,
        /// The holder ran on this host and its process is gone.
        stale: bool,
    },

    /// The lock file exists but cannot be read.
    #[error("the state of environment `{env}` is locked, but the lock file `{path}` cannot be read: {reason}")]
    #[diagnostic(
        code(E0605),
        help(
            "If no aic is running for this environment, delete `{}` by hand.",
            path.display()
        )
    )]
    LockUnreadable {
        /// The environment.
        env: String,
        /// The lock file.
        path: PathBuf,
        /// Why it could not be read.
        reason: String,
    },

    /// `force_unlock` on an environment that is not locked.
    #[error("the state of environment `{env}` is not locked")]
    #[diagnostic(code(E0606), help("Nothing to unlock."))]
    NotLocked {
        /// The environment.
        env: String,
    },

    /// `force_unlock` with an id that is not the holder's.
    #[error("lock id `{given}` does not match the lock held on environment `{env}` (id `{}`)", holder.id)]
    #[diagnostic(
        code(E0607),
        help(
            "The lock may have changed hands. Check who holds it ({}@{}, `{}`) and pass its id.",
            holder.who,
            holder.host,
            holder.operation
        )
    )]
    LockIdMismatch {
        /// The environment.
        env: String,
        /// The id given.
        given: String,
        /// The actual holder.
        holder: Box<LockInfo>,
    },

    /// The lock this process held was broken or taken over.
    #[error("the lock `{id}` on environment `{env}` is no longer held by this process")]
    #[diagnostic(
        code(E0608),
        help(
            "Someone ran `aic state unlock` while this command was running (or, with a \
             remote backend, the connection holding the lock was lost). Nothing was \
             written; check `aic state list` and run the command again."
        )
    )]
    LockLost {
        /// The environment.
        env: String,
        /// The id this process held.
        id: String,
    },

    /// A journal line before the last one is damaged.
    #[error("journal `{path}` is damaged at line {line}: {reason}")]
    #[diagnostic(
        code(E0609),
        help(
            "The journal records the operations of an interrupted apply; lines before {line} \
             are intact. Keep a copy of the file, then move it aside and run `aic plan`: \
             objects created by the lost operations may exist in the cloud without being \
             in the state (adopt them with `aic import`)."
        )
    )]
    JournalCorrupt {
        /// The journal file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// Why it could not be read.
        reason: String,
    },

    /// The journal does not continue the state file beside it.
    #[error(
        "journal `{path}` continues state {journal_lineage} serial {journal_serial}, \
         but the state file holds {found}"
    )]
    #[diagnostic(
        code(E0610),
        help(
            "The state file was replaced after the journal was written. Restore the state the \
             journal belongs to (see `aic state history`), or move the journal aside to drop \
             its operations."
        )
    )]
    JournalMismatch {
        /// The journal file.
        path: PathBuf,
        /// Lineage named by the journal.
        journal_lineage: String,
        /// Serial named by the journal.
        journal_serial: u64,
        /// What the state file holds instead, in words.
        found: String,
    },

    /// The state on disk moved on since the state being written was loaded.
    #[error(
        "the state of environment `{env}` changed since it was read \
         (serial {found} on disk, {expected} expected)"
    )]
    #[diagnostic(
        code(E0611),
        help("Another command wrote the state meanwhile. Nothing was written; run the command again.")
    )]
    SerialConflict {
        /// The environment.
        env: String,
        /// The serial the writer read.
        expected: u64,
        /// The serial on disk.
        found: u64,
    },

    /// The state being written is another state than the one on disk.
    #[error(
        "refusing to overwrite the state of environment `{env}` (lineage {found}) \
         with a different state (lineage {expected})"
    )]
    #[diagnostic(
        code(E0612),
        help("Lineages differ, so these are unrelated states. Nothing was written.")
    )]
    LineageMismatch {
        /// The environment.
        env: String,
        /// Lineage of the state being written.
        expected: String,
        /// Lineage on disk.
        found: String,
    },

    /// No version with that serial is kept.
    #[error("no version with serial {serial} is kept for environment `{env}`")]
    #[diagnostic(code(E0613), help("List the kept versions with `aic state history`."))]
    VersionNotFound {
        /// The environment.
        env: String,
        /// The serial asked for.
        serial: u64,
    },

    /// The environment name cannot be used as a file name.
    #[error("`{name}` is not a valid environment name")]
    #[diagnostic(
        code(E0614),
        help("Use letters, digits, `-` and `_` only, starting with a letter or digit.")
    )]
    InvalidEnvironment {
        /// The name given.
        name: String,
    },

    /// An earlier journal write failed and the journal could not be repaired.
    #[error("journal `{path}` refuses further writes: an earlier write failed")]
    #[diagnostic(
        code(E0615),
        help(
            "Operations recorded before the failure are safe. Free disk space or fix the \
             permissions, then run `aic plan` to see what the state is missing."
        )
    )]
    JournalBroken {
        /// The journal file.
        path: PathBuf,
    },

    /// Encrypted data, and no encryption is configured.
    #[error("`{location}` is encrypted (key {key_id}), and no encryption is configured for it")]
    #[diagnostic(
        code(E0616),
        help(
            "Add an `encryption` block to the backend with the key it was encrypted with, \
             e.g. `encryption {{ key = env_var(\"AIC_STATE_KEY\") }}`. Nothing was changed."
        )
    )]
    EncryptedWithoutKey {
        /// What was read.
        location: String,
        /// The id of the key it was encrypted with.
        key_id: String,
    },

    /// Clear text, and encryption is configured.
    #[error("`{location}` is not encrypted, and encryption is configured for it")]
    #[diagnostic(
        code(E0617),
        help(
            "aic refuses clear text once encryption is on, so that nothing unencrypted is \
             used or written by mistake. To encrypt an existing state, its history and \
             journal, run `aic state encrypt`. Nothing was changed."
        )
    )]
    NotEncrypted {
        /// What was read.
        location: String,
    },

    /// Encrypted with a key that is not configured.
    #[error(
        "`{location}` is encrypted with key {key_id}, and the configured keys are {configured}"
    )]
    #[diagnostic(
        code(E0618),
        help(
            "Configure the key (or passphrase) it was encrypted with: as `key`, or as \
             `fallback_key` (`fallback_passphrase`) while rotating to a new one with \
             `aic state rekey`. Nothing was changed."
        )
    )]
    WrongKey {
        /// What was read.
        location: String,
        /// The id of the key it was encrypted with.
        key_id: String,
        /// The ids of the configured keys.
        configured: String,
    },

    /// Encrypted data that fails authentication: changed or damaged.
    #[error("`{location}` cannot be decrypted: {reason}")]
    #[diagnostic(
        code(E0619),
        help(
            "The encrypted data was changed or damaged after it was written, so aic does not \
             use it and overwrote nothing. Restore it from a backup, or roll back to a kept \
             version (`aic state history`, `aic rollback --to SERIAL`)."
        )
    )]
    Tampered {
        /// What was read.
        location: String,
        /// What failed.
        reason: String,
    },

    /// Sealing failed (a key that cannot be used).
    #[error("cannot encrypt `{location}`: {reason}")]
    #[diagnostic(code(E0624), help("Check the `encryption` block's key or passphrase."))]
    EncryptionFailed {
        /// What was being written.
        location: String,
        /// Why.
        reason: String,
    },

    /// A remote backend (database, object store) failed or could not be reached.
    #[error("could not {action} `{location}`: {reason}")]
    #[diagnostic(
        code(E0625),
        help(
            "Check that the server is reachable and that the credentials allow this. \
             Operations recorded before the failure are safe: the next command replays \
             them, and an interrupted apply continues where it stopped."
        )
    )]
    Remote {
        /// What was being done, e.g. "write".
        action: &'static str,
        /// The server and object concerned.
        location: String,
        /// The server's or the connection's error.
        reason: String,
    },

    /// `aic state push` of a state older than the current one.
    #[error(
        "refusing to push a state with serial {pushed} over environment `{env}`'s state \
         with serial {current}: it is older"
    )]
    #[diagnostic(
        code(E0626),
        help(
            "The stored state moved on since the pushed one was pulled. Pull it again and \
             redo the change, or pass `--force` to overwrite it anyway (the overwritten \
             version stays in history)."
        )
    )]
    PushStale {
        /// The environment.
        env: String,
        /// The pushed state's serial.
        pushed: u64,
        /// The current serial.
        current: u64,
    },

    /// A backend's settings cannot be used (a malformed URL, schema or key).
    #[error("the `{backend}` backend's settings cannot be used: {reason}")]
    #[diagnostic(
        code(E0628),
        help("Fix the setting in the `backend` block (see docs/state.md for each backend's settings).")
    )]
    Settings {
        /// The backend kind.
        backend: &'static str,
        /// What is wrong.
        reason: String,
    },

    /// The state being imported would overwrite a different, existing state.
    #[error(
        "environment `{env}` already has a state at `{location}` (lineage {lineage}, serial \
         {serial}); refusing to overwrite it"
    )]
    #[diagnostic(
        code(E0627),
        help(
            "Migration copies into an empty backend. Check that the new `backend` block \
             points where you meant; if that state is obsolete, remove it there first."
        )
    )]
    NotEmpty {
        /// The environment.
        env: String,
        /// Where the existing state is.
        location: String,
        /// Its lineage.
        lineage: String,
        /// Its serial.
        serial: u64,
    },
}

/// Details of [`StateError::Corrupt`]: a state file that cannot be decoded.
#[derive(Debug, Error, Diagnostic)]
#[error("state file `{path}` is damaged: {reason} at line {line}, column {column}")]
#[diagnostic(
    code(E0602),
    help(
        "aic will not read or overwrite a damaged state. Earlier versions are kept in \
         `{}`: list them with `aic state history`, then restore one with \
         `aic rollback --to SERIAL` (or copy it over the damaged file by hand).",
        history_dir.display()
    )
)]
pub struct DamagedState {
    /// The damaged file.
    pub path: PathBuf,
    /// The JSON error without its position.
    pub reason: String,
    /// 1-based line of the error.
    pub line: usize,
    /// 1-based column of the error.
    pub column: usize,
    /// Where earlier versions are kept.
    pub history_dir: PathBuf,
    /// The file's text, for the label.
    #[source_code]
    pub source_code: NamedSource<String>,
    /// Where the error is.
    #[label("here")]
    pub at: SourceSpan,
}

impl StateError {
    /// A failed file system operation.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        StateError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// A failed call to a remote backend.
    pub fn remote(
        action: &'static str,
        location: impl Into<String>,
        reason: impl ToString,
    ) -> Self {
        StateError::Remote {
            action,
            location: location.into(),
            reason: reason.to_string(),
        }
    }

    /// The error of opening or sealing the bytes at `location`.
    pub fn encryption(location: impl Into<String>, error: EncryptionError) -> Self {
        let location = location.into();
        match error {
            EncryptionError::NotConfigured { key_id } => {
                StateError::EncryptedWithoutKey { location, key_id }
            }
            EncryptionError::Plaintext => StateError::NotEncrypted { location },
            EncryptionError::WrongKey { key_id, configured } => StateError::WrongKey {
                location,
                key_id,
                configured: configured.join(", "),
            },
            EncryptionError::Tampered { .. } | EncryptionError::Damaged => StateError::Tampered {
                location,
                reason: error.to_string(),
            },
            EncryptionError::NewerEnvelope { found } => StateError::NewerFormat {
                path: PathBuf::from(location),
                found: u64::from(found),
                supported: crate::encryption::ENVELOPE_VERSION,
            },
            EncryptionError::InvalidSecret { reason } => {
                StateError::EncryptionFailed { location, reason }
            }
        }
    }
}
