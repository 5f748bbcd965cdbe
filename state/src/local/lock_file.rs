//! The local lock: `<env>.lock`, a file that exists while a command holds the lock and
//! names the holder ([`LockInfo`]).
//!
//! The holder also keeps an operating-system lock (`flock`) on that file for as long as
//! it holds it, and the file says so (`"os_lock": true`). The kernel releases an OS lock
//! when its process ends, however it ends, so a contender that can take the OS lock on a
//! lock file that says it has one knows the holder is gone: breaking that lock is
//! provably safe, and is done automatically. The file is published already locked
//! (written and locked under a temporary name, then hard-linked into place), so there
//! is no instant at which it exists unlocked.
//!
//! Lock files without an OS lock (written by an older aic, or on a file system without
//! hard links or `flock`) are never broken automatically: a holder on this host whose
//! process is gone is reported as stale, for `aic state unlock ID`.

use std::fs::{self, File};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::StateError;
use crate::fsio;
use crate::lock::{LockInfo, StateLock, LOCK_POLL};

/// The local lock file of one environment.
#[derive(Debug, Clone)]
pub(crate) struct LockFile {
    pub(crate) path: PathBuf,
    pub(crate) env: String,
}

/// What the lock file holds.
#[derive(Debug, Serialize, Deserialize)]
struct Content {
    #[serde(flatten)]
    info: LockInfo,
    /// The holder keeps an OS lock on the file while it holds it.
    #[serde(default)]
    os_lock: bool,
}

/// What is in the lock file.
enum Holder {
    Free,
    Held(Content),
    /// Present but not (yet) a valid lock: possibly being written right now.
    Unreadable(String),
}

impl LockFile {
    /// Takes the lock, polling until `timeout` has passed. A lock whose holder provably
    /// died is broken on the way (see the module documentation).
    pub(crate) fn acquire(
        &self,
        operation: &str,
        timeout: Duration,
    ) -> Result<StateLock, StateError> {
        let info = LockInfo::new(operation);
        let deadline = Instant::now() + timeout;
        let mut taken_over = None;
        loop {
            if let Some(file) = self.publish(&info)? {
                let (lock_file, id) = (self.clone(), info.id.clone());
                let lock = StateLock::new(info, move || {
                    let released = lock_file.release(&id);
                    // The OS lock goes with the file handle, after the file is gone.
                    drop(file);
                    released
                });
                return Ok(lock.with_taken_over(taken_over));
            }
            if let Some(dead) = self.break_if_dead()? {
                taken_over = Some(dead);
                continue;
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(match self.holder()? {
                    // Released between the two calls: one more try costs nothing.
                    Holder::Free => return self.acquire(operation, Duration::ZERO),
                    Holder::Held(holder) => self.locked(holder.info),
                    Holder::Unreadable(reason) => StateError::LockUnreadable {
                        env: self.env.clone(),
                        path: self.path.clone(),
                        reason,
                    },
                });
            }
            thread::sleep(LOCK_POLL.min(deadline - now));
        }
    }

    /// Creates the lock file naming `info`, already holding an OS lock on it; `None`
    /// when another holder's file is there.
    fn publish(&self, info: &LockInfo) -> Result<Option<File>, StateError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let tmp = dir.join(format!(
            ".{}.lock.{}.tmp",
            self.env,
            uuid::Uuid::new_v4().simple()
        ));
        let content = |os_lock| {
            let mut bytes = serde_json::to_vec_pretty(&Content {
                info: info.clone(),
                os_lock,
            })
            .unwrap_or_default();
            bytes.push(b'\n');
            bytes
        };
        let prepared = fsio::create_new(&tmp).and_then(|mut file| {
            try_flock(&file)?;
            file.write_all(&content(true))?;
            file.sync_all()?;
            Ok(file)
        });
        let file = match prepared {
            Ok(file) => file,
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                return Err(StateError::io("create", &tmp, e));
            }
        };
        let linked = fs::hard_link(&tmp, &self.path);
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => {
                fsio::sync_dir(dir)?;
                Ok(Some(file))
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(None),
            // No hard links here: an exclusive create, without the OS lock guarantee.
            Err(_) => match fsio::create_new(&self.path) {
                Ok(mut file) => {
                    let written = file
                        .write_all(&content(false))
                        .and_then(|()| file.sync_all());
                    if let Err(e) = written {
                        let _ = fs::remove_file(&self.path);
                        return Err(StateError::io("write", &self.path, e));
                    }
                    Ok(Some(file))
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(None),
                Err(e) => Err(StateError::io("create", &self.path, e)),
            },
        }
    }

    /// Removes the lock file if its holder kept an OS lock that nobody holds any more:
    /// the holder's process has ended. Returns who held it.
    fn break_if_dead(&self) -> Result<Option<LockInfo>, StateError> {
        let Some((file, content)) = self.dead_holder()? else {
            return Ok(None);
        };
        // We hold the dead file's OS lock now, so no other contender decides the same;
        // the path must still name that very file.
        let same = fs::metadata(&self.path)
            .ok()
            .zip(file.metadata().ok())
            .is_some_and(|(a, b)| a.dev() == b.dev() && a.ino() == b.ino());
        if !same {
            return Ok(None);
        }
        fsio::remove_durably(&self.path)?;
        drop(file);
        Ok(Some(content.info))
    }

    /// The lock file, opened and OS-locked by this process, when it records an OS lock
    /// and its holder no longer holds it.
    fn dead_holder(&self) -> Result<Option<(File, Content)>, StateError> {
        let file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StateError::io("open", &self.path, e)),
        };
        let mut bytes = Vec::new();
        let _ = io::Read::read_to_end(&mut &file, &mut bytes);
        let Ok(content) = serde_json::from_slice::<Content>(&bytes) else {
            return Ok(None);
        };
        if !content.os_lock || try_flock(&file).is_err() {
            return Ok(None);
        }
        Ok(Some((file, content)))
    }

    /// Who holds the lock, unless its OS lock shows the holder is gone.
    pub(crate) fn current_holder(&self) -> Result<Option<LockInfo>, StateError> {
        match self.holder()? {
            Holder::Held(content) => {
                if self.dead_holder()?.is_some() {
                    return Ok(None);
                }
                Ok(Some(content.info))
            }
            Holder::Free | Holder::Unreadable(_) => Ok(None),
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
            Holder::Held(holder) if holder.info.id != id => Err(StateError::LockIdMismatch {
                env: self.env.clone(),
                given: id.to_owned(),
                holder: Box::new(holder.info),
            }),
            Holder::Held(holder) => {
                fsio::remove_durably(&self.path)?;
                Ok(holder.info)
            }
        }
    }

    /// Fails unless `lock` is the lock currently held on this environment.
    pub(crate) fn check_held(&self, lock: &StateLock) -> Result<(), StateError> {
        match self.holder()? {
            Holder::Held(holder) if holder.info.id == lock.info().id => Ok(()),
            _ => Err(StateError::LockLost {
                env: self.env.clone(),
                id: lock.info().id.clone(),
            }),
        }
    }

    fn release(&self, id: &str) -> Result<(), StateError> {
        match self.holder()? {
            Holder::Held(holder) if holder.info.id == id => {
                fsio::remove_durably(&self.path).map(drop)
            }
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
            Ok(content) => Holder::Held(content),
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

/// Takes an exclusive OS lock on `file` without waiting (`flock`, which belongs to the
/// open file and is released when the last handle to it closes).
fn try_flock(file: &File) -> io::Result<()> {
    // SAFETY: flock only reads the descriptor number, which `file` keeps open.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
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
        // Nothing but the lock file is ever left in the directory.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
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
    fn a_live_holder_in_this_process_is_not_taken_for_dead() {
        let dir = tempfile::tempdir().unwrap();
        let lf = lock_file(dir.path());
        let held = lf.acquire("apply", Duration::ZERO).unwrap();
        let err = lf.acquire("plan", Duration::ZERO).unwrap_err();
        assert!(
            matches!(&err, StateError::Locked { stale: false, .. }),
            "{err}"
        );
        assert_eq!(lf.current_holder().unwrap().as_ref(), Some(held.info()));
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
        // Without an OS lock to prove it, never broken automatically.
        assert!(lf.path.exists());
    }

    #[test]
    fn a_lock_whose_os_lock_is_gone_is_taken_over_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let lf = lock_file(dir.path());
        let mut info = LockInfo::new("apply");
        info.pid = 2_147_483_600;
        // What a killed holder leaves: the file says it had an OS lock, which the
        // kernel released with the process.
        let content = Content {
            info: info.clone(),
            os_lock: true,
        };
        std::fs::write(&lf.path, serde_json::to_vec(&content).unwrap()).unwrap();
        assert_eq!(lf.current_holder().unwrap(), None);
        let lock = lf.acquire("plan", Duration::ZERO).unwrap();
        assert_eq!(lock.taken_over(), Some(&info));
        assert_eq!(lf.current_holder().unwrap().as_ref(), Some(lock.info()));
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
