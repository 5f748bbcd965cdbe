//! File system plumbing for the `local` provider: atomic writes, parent directories with
//! a mode, and the mapping of I/O errors onto provider error kinds. Blocking calls only;
//! callers run them on tokio's blocking pool ([`blocking`]).

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use aic_provider::ProviderError;

use crate::entropy::Entropy;

/// Runs blocking file system work off the async executor.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ProviderError> + Send + 'static,
) -> Result<T, ProviderError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| ProviderError::other(format!("a file system task failed: {err}")))?
}

/// A provider error for a failed I/O `action` ("write", "read", …) on `path`, of the kind
/// the failure calls for.
pub(crate) fn io_error(action: &str, path: &Path, err: &io::Error) -> ProviderError {
    let message = format!("could not {action} `{}`: {err}", path.display());
    match err.kind() {
        io::ErrorKind::NotFound => ProviderError::not_found(message),
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            ProviderError::other(message).with_help(
                "Check that aic may write there: the permissions and owner of the file and \
                 its directory, and whether the file system is mounted read-only.",
            )
        }
        io::ErrorKind::NotADirectory
        | io::ErrorKind::IsADirectory
        | io::ErrorKind::InvalidInput => ProviderError::invalid_config(message).with_help(
            "Check `filename`: every parent on the path must be a directory, and the path \
                 must name a file, not a directory.",
        ),
        io::ErrorKind::AlreadyExists | io::ErrorKind::ResourceBusy => {
            ProviderError::conflict(message)
        }
        io::ErrorKind::Interrupted | io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            ProviderError::transient(message)
        }
        io::ErrorKind::StorageFull => {
            ProviderError::other(message).with_help("Free some space on that file system.")
        }
        _ => ProviderError::other(message),
    }
}

/// Creates the missing parent directories of `path` with `mode` (the process umask
/// applies, as for `mkdir -p`).
pub(crate) fn create_parent_dirs(path: &Path, mode: u32) -> io::Result<()> {
    let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(());
    };
    if parent.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, mode);
    #[cfg(not(unix))]
    let _ = mode;
    builder.create(parent).map_err(|err| {
        // `mkdir -p` through a regular file says "File exists"; name the culprit.
        let blocker = parent
            .ancestors()
            .find(|a| !a.as_os_str().is_empty() && a.exists() && !a.is_dir());
        match blocker {
            Some(file) => io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("`{}` is a file, not a directory", file.display()),
            ),
            None => err,
        }
    })
}

/// Writes `bytes` to `path` so that readers see the old file or the new one, never a
/// part: a temporary file in the same directory (created with `mode`, the umask
/// applying), fsync, rename over `path`, fsync of the directory.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let Some(name) = path.file_name() else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path names no file",
        ));
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tag = Entropy::os()
        .next_u64()
        .unwrap_or_else(|_| u64::from(std::process::id()));
    let temp = dir.join(format!(".{}.{tag:016x}.aic-tmp", name.to_string_lossy()));
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(&temp)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| fs::rename(&temp, path));
    if let Err(err) = written {
        let _ = fs::remove_file(&temp);
        return Err(err);
    }
    #[cfg(unix)]
    if let Ok(dir) = fs::File::open(dir) {
        // Makes the rename durable; a failure here loses nothing already visible.
        let _ = dir.sync_all();
    }
    Ok(())
}

/// The permission bits of a file, as Terraform writes them (`"0644"`).
pub(crate) fn permission_string(metadata: &fs::Metadata) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Some(format!("{:04o}", metadata.permissions().mode() & 0o7777))
    }
    #[cfg(not(unix))]
    {
        let _ = metadata;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary_file() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("f.txt");
        write_atomically(&path, b"one", 0o644)?;
        write_atomically(&path, b"two", 0o644)?;
        assert_eq!(fs::read(&path)?, b"two");
        let names: Vec<_> = fs::read_dir(dir.path())?
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("f.txt")]);
        Ok(())
    }

    #[test]
    fn a_directory_path_is_refused() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let err = write_atomically(dir.path(), b"x", 0o644).err();
        assert!(err.is_some());
        Ok(())
    }
}
