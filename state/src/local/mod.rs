//! The local backend: an environment's state in files under `.aic/state/`.
//!
//! ```text
//! .aic/state/<env>.json              current state (mode 0600, replaced atomically)
//! .aic/state/<env>.journal           operations of a running or interrupted apply
//! .aic/state/<env>.lock              the lock, while held
//! .aic/state/history/<env>/<N>.json  earlier versions, by serial (the last N kept)
//! ```
//!
//! Durability comes from the file system: a temp file, fsync, rename, fsync of the
//! directory for every replacement; one fsync per journal batch. Concurrency comes from
//! the lock file (see `lock_file`): every write checks that its lock is still held.

mod lock_file;

use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use time::OffsetDateTime;

use crate::backend::{
    AppendError, Backend, JournalLog, JournalStart, KeptVersion, Replace, Replaced, Revision,
    Stored,
};
use crate::error::StateError;
use crate::fsio;
use crate::lock::{LockInfo, StateLock};
use crate::store::Store;

use lock_file::LockFile;

/// Environments' state in local files under `<project>/.aic/state/` (or the directory
/// of a `backend local { path }` block).
#[derive(Debug, Clone)]
pub struct LocalFiles {
    env: String,
    dir: PathBuf,
    lock_file: LockFile,
}

/// The local backend with the store's rules: what commands use for local state.
pub type LocalBackend = Store<LocalFiles>;

impl LocalFiles {
    /// The files of environment `env` in the project at `project_dir`. Creates nothing
    /// until the first write or lock.
    pub fn new(project_dir: impl AsRef<Path>, env: &str) -> Result<Self, StateError> {
        LocalFiles::in_dir(project_dir.as_ref().join(".aic").join("state"), env)
    }

    /// The files of environment `env` in `dir` (a `backend local { path }` setting)
    /// instead of `<project>/.aic/state`.
    pub fn in_dir(dir: PathBuf, env: &str) -> Result<Self, StateError> {
        check_environment_name(env)?;
        Ok(LocalFiles {
            env: env.to_owned(),
            lock_file: LockFile {
                path: dir.join(format!("{env}.lock")),
                env: env.to_owned(),
            },
            dir,
        })
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

    /// `.aic/state/history/<env>/`
    pub fn history_dir(&self) -> PathBuf {
        self.dir.join("history").join(&self.env)
    }

    fn version_path(&self, serial: u64) -> PathBuf {
        self.history_dir().join(format!("{serial}.json"))
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

    /// Drops the oldest kept versions beyond `limit`.
    fn prune_history(&self, limit: usize) -> Result<(), StateError> {
        let serials = self.kept_serials()?;
        let excess = serials.len().saturating_sub(limit);
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
}

/// Environment names become file names and keys: letters, digits, `-` and `_`,
/// starting with a letter or digit.
pub fn check_environment_name(env: &str) -> Result<(), StateError> {
    let valid = env
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && env
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(StateError::InvalidEnvironment {
            name: env.to_owned(),
        })
    }
}

impl Store<LocalFiles> {
    /// The local backend of environment `env` in the project at `project_dir`.
    pub fn new(project_dir: impl AsRef<Path>, env: &str) -> Result<Self, StateError> {
        LocalFiles::new(project_dir, env).map(Store::over)
    }

    /// The local backend of environment `env` with its files in `dir`.
    pub fn in_dir(dir: PathBuf, env: &str) -> Result<Self, StateError> {
        LocalFiles::in_dir(dir, env).map(Store::over)
    }

    /// `.aic/state/<env>.json`
    pub fn state_path(&self) -> PathBuf {
        self.backend().state_path()
    }

    /// `.aic/state/<env>.journal`
    pub fn journal_path(&self) -> PathBuf {
        self.backend().journal_path()
    }

    /// `.aic/state/<env>.lock`
    pub fn lock_path(&self) -> &Path {
        self.backend().lock_path()
    }

    /// `.aic/state/history/<env>/`
    pub fn history_dir(&self) -> PathBuf {
        self.backend().history_dir()
    }
}

fn modified(path: &Path) -> Option<OffsetDateTime> {
    fsio::modified(path).map(OffsetDateTime::from)
}

impl Backend for LocalFiles {
    fn environment(&self) -> &str {
        &self.env
    }

    fn location(&self) -> String {
        self.state_path().display().to_string()
    }

    fn journal_location(&self) -> String {
        self.journal_path().display().to_string()
    }

    fn history_location(&self) -> String {
        self.history_dir().display().to_string()
    }

    fn lock(&self, operation: &str, timeout: Duration) -> Result<StateLock, StateError> {
        fsio::create_dir(&self.dir)?;
        self.lock_file.acquire(operation, timeout)
    }

    fn force_unlock(&self, id: &str) -> Result<LockInfo, StateError> {
        self.lock_file.force_unlock(id)
    }

    fn holder(&self) -> Result<Option<LockInfo>, StateError> {
        self.lock_file.current_holder()
    }

    fn read_current(&self) -> Result<Option<Stored>, StateError> {
        let path = self.state_path();
        Ok(fsio::read_optional(&path)?.map(|bytes| Stored {
            bytes,
            // The lock orders writers; nothing more to compare.
            revision: Revision(String::new()),
            written: modified(&path),
        }))
    }

    fn replace_current(
        &self,
        lock: &StateLock,
        write: Replace<'_>,
    ) -> Result<Replaced, StateError> {
        self.lock_file.check_held(lock)?;
        fsio::create_dir(&self.dir)?;
        if let Some(previous) = write.previous {
            if write.history_limit > 0 {
                fsio::create_dir(&self.history_dir())?;
                let written = previous
                    .written
                    .map(std::time::SystemTime::from)
                    .or_else(|| fsio::modified(&self.state_path()));
                fsio::write_atomic(&self.version_path(previous.serial), previous.bytes, written)?;
            }
        }
        self.prune_history(write.history_limit)?;
        fsio::write_atomic(&self.state_path(), write.bytes, None)?;
        // The state now includes the journal; were the process to stop before this
        // removal, the journal's header (older serial) marks it as already compacted.
        fsio::remove_durably(&self.journal_path())?;
        Ok(Replaced::Written)
    }

    fn versions(&self) -> Result<Vec<KeptVersion>, StateError> {
        let mut versions = Vec::new();
        for serial in self.kept_serials()? {
            let path = self.version_path(serial);
            let meta = fs::metadata(&path).map_err(|e| StateError::io("read", &path, e))?;
            let written = meta
                .modified()
                .map_err(|e| StateError::io("read", &path, e))?;
            versions.push(KeptVersion {
                serial,
                written: OffsetDateTime::from(written),
                resources: None,
            });
        }
        Ok(versions)
    }

    fn read_version(&self, serial: u64) -> Result<Option<Vec<u8>>, StateError> {
        fsio::read_optional(&self.version_path(serial))
    }

    fn put_version(
        &self,
        lock: &StateLock,
        serial: u64,
        bytes: &[u8],
        written: OffsetDateTime,
    ) -> Result<(), StateError> {
        self.lock_file.check_held(lock)?;
        fsio::create_dir(&self.history_dir())?;
        fsio::write_atomic(&self.version_path(serial), bytes, Some(written.into()))
    }

    fn read_journal(&self) -> Result<Option<Vec<u8>>, StateError> {
        fsio::read_optional(&self.journal_path())
    }

    fn open_journal(
        &self,
        lock: &StateLock,
        start: JournalStart<'_>,
    ) -> Result<Box<dyn JournalLog>, StateError> {
        self.lock_file.check_held(lock)?;
        fsio::create_dir(&self.dir)?;
        let path = self.journal_path();
        let log = match start {
            JournalStart::New { header } => FileJournal::create(&path, header)?,
            JournalStart::Continue { intact } => FileJournal::open(&path, intact)?,
        };
        Ok(Box::new(log))
    }
}

/// A journal file: lines appended and fsync'd, a failed batch cut off again.
#[derive(Debug)]
pub(crate) struct FileJournal {
    file: File,
    /// Length of the intact content.
    len: u64,
}

impl FileJournal {
    /// Replaces any file at `path` with a journal holding `header`.
    pub(crate) fn create(path: &Path, header: &[u8]) -> Result<Self, StateError> {
        fsio::write_atomic(path, header, None)?;
        FileJournal::open(path, header.len() as u64)
    }

    /// Continues the journal at `path` after its intact prefix of `len` bytes.
    pub(crate) fn open(path: &Path, len: u64) -> Result<Self, StateError> {
        let opened = OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|mut file| {
                if file.metadata()?.len() != len {
                    file.set_len(len)?;
                    file.sync_data()?;
                }
                file.seek(SeekFrom::Start(len))?;
                Ok(file)
            });
        let file = opened.map_err(|e| StateError::io("open", path, e))?;
        Ok(FileJournal { file, len })
    }
}

impl JournalLog for FileJournal {
    fn append(&mut self, lines: &[u8]) -> Result<(), AppendError> {
        let file = &mut self.file;
        if let Err(error) = file.write_all(lines).and_then(|()| file.sync_data()) {
            // Cut the partial write off so that later lines do not follow damage.
            let len = self.len;
            let repaired = file
                .set_len(len)
                .and_then(|()| file.seek(SeekFrom::Start(len)))
                .and_then(|_| file.sync_data())
                .is_ok();
            return Err(AppendError {
                error,
                repaired,
                remote: false,
            });
        }
        self.len += lines.len() as u64;
        Ok(())
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
