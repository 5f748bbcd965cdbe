//! Durable file primitives for the local backend: private directories, atomic
//! replacement (temp file, fsync, rename, fsync directory) and reads that tell
//! "absent" from "failed". Knows nothing of what the files contain.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::StateError;

/// Mode of every file the backend creates: they may hold secrets.
pub(crate) const FILE_MODE: u32 = 0o600;
const DIR_MODE: u32 = 0o700;

/// Creates `dir` and its parents (mode 0700) if missing.
pub(crate) fn create_dir(dir: &Path) -> Result<(), StateError> {
    DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
        .map_err(|e| StateError::io("create directory", dir, e))
}

/// Reads a whole file; `Ok(None)` when it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, StateError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StateError::io("read", path, e)),
    }
}

/// Flushes a directory's entries (a rename or an unlink inside it) to disk.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StateError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StateError::io("sync directory", dir, e))
}

/// Opens a new private file that must not exist yet.
pub(crate) fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)
}

/// Replaces `path` with `bytes` so that a crash leaves either the old or the new
/// content, never a mix: write a temp file beside it, fsync, rename over, fsync the
/// directory. `modified` sets the new file's modification time.
pub(crate) fn write_atomic(
    path: &Path,
    bytes: &[u8],
    modified: Option<SystemTime>,
) -> Result<(), StateError> {
    let dir = parent(path);
    let tmp = temp_path(path);
    let written = create_new(&tmp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            if let Some(t) = modified {
                f.set_modified(t)?;
            }
            f.sync_all()
        })
        .map_err(|e| StateError::io("write", &tmp, e))
        .and_then(|()| fs::rename(&tmp, path).map_err(|e| StateError::io("rename", path, e)));
    if let Err(e) = written {
        // Best effort: the temp file is garbage either way and the error above is the one to report.
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(dir)
}

/// Removes `path` if present and makes the removal durable. Returns whether it existed.
pub(crate) fn remove_durably(path: &Path) -> Result<bool, StateError> {
    match fs::remove_file(path) {
        Ok(()) => sync_dir(parent(path)).map(|()| true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(StateError::io("remove", path, e)),
    }
}

/// The file's modification time, if it can be read.
pub(crate) fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    parent(path).join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn atomic_write_replaces_content_privately_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        write_atomic(&path, b"one", None).unwrap();
        write_atomic(&path, b"two", None).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, FILE_MODE);
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn read_optional_tells_absent_from_present() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x");
        assert_eq!(read_optional(&path).unwrap(), None);
        fs::write(&path, b"x").unwrap();
        assert_eq!(read_optional(&path).unwrap(), Some(b"x".to_vec()));
        assert!(remove_durably(&path).unwrap());
        assert!(!remove_durably(&path).unwrap());
    }
}
