//! Errors of the state layer: one enum, a stable code per variant (`E06xx`), and help
//! text saying what the user can do. The words live here and nowhere else.

use std::io;
use std::path::PathBuf;

use miette::{Diagnostic, NamedSource, SourceSpan};
use thiserror::Error;

use super::lock::LockInfo;

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
            "Someone ran `aic state unlock` while this command was running. Nothing was \
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
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        StateError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
