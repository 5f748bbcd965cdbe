//! The environment lock: who holds it ([`LockInfo`]), the guard that releases it on
//! drop ([`StateLock`]), and the local lock file (`<env>.lock`, created with `O_EXCL`).
//!
//! A lock is never broken automatically: a holder whose process is gone is reported as
//! stale and the user breaks it with `aic state unlock ID`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::error::StateError;
use super::fsio;

/// Who holds a lock, written into the lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// Random id; `aic state unlock ID` must name it.
    pub id: String,
    /// The user who took the lock.
    pub who: String,
    /// The host it was taken on.
    pub host: String,
    /// The process that holds it.
    pub pid: u32,
    /// The command, e.g. `apply`.
    pub operation: String,
    /// When it was taken.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
}

impl LockInfo {
    /// Describes a lock taken now, by this process, for `operation`.
    pub fn new(operation: &str) -> Self {
        let now = OffsetDateTime::now_utc();
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            who: current_user(),
            host: current_host(),
            pid: std::process::id(),
            operation: operation.to_owned(),
            created: now.replace_nanosecond(0).unwrap_or(now),
        }
    }

    /// `created` as RFC 3339 text.
    pub fn created_rfc3339(&self) -> String {
        self.created
            .format(&Rfc3339)
            .unwrap_or_else(|_| self.created.to_string())
    }

    /// True when the holder ran on this host and its process no longer exists.
    /// Only answers true where it can tell (Linux `/proc`).
    pub fn is_stale(&self) -> bool {
        self.host == current_host() && process_is_gone(self.pid)
    }
}

/// The user running this process: `$USER` (or `$LOGNAME`, `$USERNAME`), else `uid N`.
pub(crate) fn current_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .or_else(|| {
            use std::os::unix::fs::MetadataExt;
            let uid = std::fs::metadata("/proc/self").ok()?.uid();
            Some(format!("uid {uid}"))
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// This machine's host name.
pub(crate) fn current_host() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

fn process_is_gone(pid: u32) -> bool {
    Path::new("/proc/self").exists() && !Path::new(&format!("/proc/{pid}")).exists()
}

type Release = Box<dyn FnOnce() -> Result<(), StateError> + Send + Sync>;

/// A held environment lock. Released when dropped (or by [`StateLock::unlock`], which
/// reports failures). Writing the state requires one.
pub struct StateLock {
    info: LockInfo,
    release: Option<Release>,
}

impl StateLock {
    /// A guard for a lock a backend has just taken; `release` gives it back.
    pub fn new(
        info: LockInfo,
        release: impl FnOnce() -> Result<(), StateError> + Send + Sync + 'static,
    ) -> Self {
        StateLock {
            info,
            release: Some(Box::new(release)),
        }
    }

    /// Who holds this lock (this process).
    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    /// Releases the lock, reporting a lock that was broken meanwhile.
    pub fn unlock(mut self) -> Result<(), StateError> {
        match self.release.take() {
            Some(release) => release(),
            None => Ok(()),
        }
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            // Nothing useful to do with a failure here; `unlock` reports them.
            let _ = release();
        }
    }
}

impl std::fmt::Debug for StateLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateLock")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// How long to sleep between two attempts to take a busy lock.
const POLL: Duration = Duration::from_millis(100);

/// The local lock file of one environment.
#[derive(Debug, Clone)]
pub(crate) struct LockFile {
    pub(crate) path: PathBuf,
    pub(crate) env: String,
}

/// What is in the lock file.
enum Holder {
    Free,
    Held(LockInfo),
    /// Present but not (yet) a valid lock: possibly being written right now.
    Unreadable(String),
}

impl LockFile {
    /// Takes the lock, polling until `timeout` has passed.
    pub(crate) fn acquire(
        &self,
        operation: &str,
        timeout: Duration,
    ) -> Result<StateLock, StateError> {
        let info = LockInfo::new(operation);
        let mut bytes = serde_json::to_vec_pretty(&info)
            .map_err(|e| StateError::io("encode", &self.path, e.into()))?;
        bytes.push(b'\n');
        let deadline = Instant::now() + timeout;
        loop {
            match fsio::create_new(&self.path) {
                Ok(mut file) => {
                    let written = file.write_all(&bytes).and_then(|()| file.sync_all());
                    if let Err(e) = written {
                        let _ = std::fs::remove_file(&self.path);
                        return Err(StateError::io("write", &self.path, e));
                    }
                    let (lock_file, id) = (self.clone(), info.id.clone());
                    return Ok(StateLock::new(info, move || lock_file.release(&id)));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(StateError::io("create", &self.path, e)),
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(match self.holder()? {
                    // Released between the two calls: one more try costs nothing.
                    Holder::Free => return self.acquire(operation, Duration::ZERO),
                    Holder::Held(holder) => self.locked(holder),
                    Holder::Unreadable(reason) => StateError::LockUnreadable {
                        env: self.env.clone(),
                        path: self.path.clone(),
                        reason,
                    },
                });
            }
            thread::sleep(POLL.min(deadline - now));
        }
    }

    /// Breaks the lock if `id` is the holder's.
    pub(crate) fn force_unlock(&self, id: &str) -> Result<LockInfo, StateError> {
        match self.holder()? {
            Holder::Free => Err(StateError::NotLocked {
                env: self.env.clone(),
            }),
            Holder::Unreadable(reason) => Err(StateError::LockUnreadable {
                env: self.env.clone(),
                path: self.path.clone(),
                reason,
            }),
            Holder::Held(holder) if holder.id != id => Err(StateError::LockIdMismatch {
                env: self.env.clone(),
                given: id.to_owned(),
                holder: Box::new(holder),
            }),
            Holder::Held(holder) => {
                fsio::remove_durably(&self.path)?;
                Ok(holder)
            }
        }
    }

    /// Fails unless `lock` is the lock currently held on this environment.
    pub(crate) fn check_held(&self, lock: &StateLock) -> Result<(), StateError> {
        match self.holder()? {
            Holder::Held(holder) if holder.id == lock.info.id => Ok(()),
            _ => Err(StateError::LockLost {
                env: self.env.clone(),
                id: lock.info.id.clone(),
            }),
        }
    }

    fn release(&self, id: &str) -> Result<(), StateError> {
        match self.holder()? {
            Holder::Held(holder) if holder.id == id => fsio::remove_durably(&self.path).map(drop),
            _ => Err(StateError::LockLost {
                env: self.env.clone(),
                id: id.to_owned(),
            }),
        }
    }

    fn holder(&self) -> Result<Holder, StateError> {
        let Some(bytes) = fsio::read_optional(&self.path)? else {
            return Ok(Holder::Free);
        };
        Ok(match serde_json::from_slice(&bytes) {
            Ok(info) => Holder::Held(info),
            Err(e) => Holder::Unreadable(e.to_string()),
        })
    }

    fn locked(&self, holder: LockInfo) -> StateError {
        StateError::Locked {
            env: self.env.clone(),
            stale: holder.is_stale(),
            holder: Box::new(holder),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock_file(dir: &Path) -> LockFile {
        LockFile {
            path: dir.join("dev.lock"),
            env: "dev".into(),
        }
    }

    #[test]
    fn guard_releases_on_drop_and_lock_can_be_taken_again() {
        let dir = tempfile::tempdir().unwrap();
        let lf = lock_file(dir.path());
        let guard = lf.acquire("apply", Duration::ZERO).unwrap();
        assert_eq!(guard.info().operation, "apply");
        assert!(lf.path.exists());
        drop(guard);
        assert!(!lf.path.exists());
        lf.acquire("plan", Duration::ZERO)
            .unwrap()
            .unlock()
            .unwrap();
    }

    #[test]
    fn force_unlock_checks_the_id() {
        let dir = tempfile::tempdir().unwrap();
        let lf = lock_file(dir.path());
        let guard = lf.acquire("apply", Duration::ZERO).unwrap();
        let err = lf.force_unlock("nope").unwrap_err();
        assert!(matches!(err, StateError::LockIdMismatch { .. }), "{err}");
        let broken = lf.force_unlock(&guard.info().id).unwrap();
        assert_eq!(&broken, guard.info());
        assert!(matches!(
            lf.check_held(&guard),
            Err(StateError::LockLost { .. })
        ));
        assert!(matches!(guard.unlock(), Err(StateError::LockLost { .. })));
        assert!(matches!(
            lf.force_unlock("x"),
            Err(StateError::NotLocked { .. })
        ));
    }

    #[test]
    fn a_dropped_guard_leaves_a_lock_taken_over_by_someone_else() {
        let dir = tempfile::tempdir().unwrap();
        let lf = lock_file(dir.path());
        let first = lf.acquire("apply", Duration::ZERO).unwrap();
        lf.force_unlock(&first.info().id.clone()).unwrap();
        let second = lf.acquire("plan", Duration::ZERO).unwrap();
        drop(first);
        lf.check_held(&second).unwrap();
    }

    #[test]
    fn holder_of_a_dead_process_on_this_host_is_reported_stale() {
        let dir = tempfile::tempdir().unwrap();
        let lf = lock_file(dir.path());
        let mut info = LockInfo::new("apply");
        info.pid = 2_147_483_600;
        std::fs::write(&lf.path, serde_json::to_vec(&info).unwrap()).unwrap();
        let err = lf.acquire("plan", Duration::ZERO).unwrap_err();
        let StateError::Locked { stale, .. } = &err else {
            panic!("{err}")
        };
        assert!(*stale);
        assert!(err.to_string().contains("looks stale"), "{err}");
        // Never broken automatically.
        assert!(lf.path.exists());
    }

    #[test]
    fn unreadable_lock_file_is_reported_after_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let lf = lock_file(dir.path());
        std::fs::write(&lf.path, b"{\"id\":").unwrap();
        let err = lf.acquire("plan", Duration::from_millis(50)).unwrap_err();
        assert!(matches!(err, StateError::LockUnreadable { .. }), "{err}");
    }
}
