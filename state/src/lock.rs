//! The environment lock as every backend shows it: who holds it ([`LockInfo`]) and the
//! guard that releases it on drop ([`StateLock`]). How a lock is taken is each
//! backend's (a lock file, a PostgreSQL advisory lock, a conditional S3 write).

use std::path::Path;

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::error::StateError;

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

    /// The lock as backends store it in an object or a file: pretty JSON and a newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// A lock read back from [`to_json`](Self::to_json)'s form; the error says why it
    /// cannot be read.
    pub fn from_json(bytes: &[u8]) -> Result<LockInfo, String> {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
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
pub fn current_user() -> String {
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
pub fn current_host() -> String {
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
    taken_over: Option<LockInfo>,
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
            taken_over: None,
        }
    }

    /// Records that taking this lock broke `dead`'s, whose holder provably no longer ran
    /// (the operating system had released its lock).
    pub fn with_taken_over(mut self, dead: Option<LockInfo>) -> Self {
        self.taken_over = dead;
        self
    }

    /// Who holds this lock (this process).
    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    /// The lock of a holder that had died, which taking this one broke, if any: worth
    /// telling the user, since that holder's command did not finish.
    pub fn taken_over(&self) -> Option<&LockInfo> {
        self.taken_over.as_ref()
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

/// How long backends sleep between two attempts to take a busy lock.
pub const LOCK_POLL: std::time::Duration = std::time::Duration::from_millis(100);
