//! The edge between the language and the machine: every file, directory listing,
//! environment variable and working directory the loader, the evaluator and the standard
//! library read comes through a [`World`] (typst's `World` is the model). [`System`] is the
//! machine; [`MemoryWorld`] holds files and variables in memory, for tests; [`Overlay`] is
//! the machine with an editor's unsaved buffers in place of their files (the language
//! server's world).

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
}

/// Everything outside the language that the language may read.
pub trait World: Send + Sync {
    /// The bytes of the file at `path`.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;

    /// What `path` names, `None` when nothing is there.
    fn kind(&self, path: &Path) -> io::Result<Option<Kind>>;

    /// The entries directly in directory `dir`, sorted by path.
    fn list(&self, dir: &Path) -> io::Result<Vec<PathBuf>>;

    /// The value of environment variable `name`.
    fn env(&self, name: &str) -> Option<String>;

    /// The directory aic runs in (`path.cwd`).
    fn cwd(&self) -> Option<PathBuf>;

    /// `path` absolute, without `.`, `..` or links; an error when nothing is there.
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf>;

    /// The text of the file at `path` (UTF-8).
    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        String::from_utf8(self.read(path)?)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }
}

/// The machine aic runs on.
#[derive(Debug, Clone, Copy, Default)]
pub struct System;

impl World for System {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn kind(&self, path: &Path) -> io::Result<Option<Kind>> {
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => Ok(Some(Kind::Dir)),
            Ok(_) => Ok(Some(Kind::File)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        let mut paths = std::fs::read_dir(dir)?
            .map(|e| e.map(|e| e.path()))
            .collect::<io::Result<Vec<_>>>()?;
        paths.sort();
        Ok(paths)
    }

    fn env(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn cwd(&self) -> Option<PathBuf> {
        std::env::current_dir().ok()
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        path.canonicalize()
    }
}

/// The machine, with the texts of some files replaced: an editor's unsaved buffers, keyed
/// by the file's canonical path. A buffer stands in for its file only where that file
/// exists on disk (a buffer never saved is not part of the module yet).
#[derive(Debug, Clone, Default)]
pub struct Overlay {
    buffers: HashMap<PathBuf, Arc<str>>,
}

impl Overlay {
    fn buffer(&self, path: &Path) -> Option<&Arc<str>> {
        if self.buffers.is_empty() {
            return None;
        }
        self.buffers
            .get(path)
            .or_else(|| self.buffers.get(&path.canonicalize().ok()?))
    }
}

impl FromIterator<(PathBuf, Arc<str>)> for Overlay {
    fn from_iter<I: IntoIterator<Item = (PathBuf, Arc<str>)>>(buffers: I) -> Overlay {
        Overlay {
            buffers: buffers.into_iter().collect(),
        }
    }
}

impl World for Overlay {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        match self.buffer(path) {
            Some(text) => Ok(text.as_bytes().to_vec()),
            None => System.read(path),
        }
    }

    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        match self.buffer(path) {
            Some(text) => Ok(text.to_string()),
            None => System.read_to_string(path),
        }
    }

    fn kind(&self, path: &Path) -> io::Result<Option<Kind>> {
        System.kind(path)
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        System.list(dir)
    }

    fn env(&self, name: &str) -> Option<String> {
        System.env(name)
    }

    fn cwd(&self) -> Option<PathBuf> {
        System.cwd()
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        System.canonicalize(path)
    }
}

/// Files, directories and environment variables held in memory. A directory exists when
/// a file is under it.
#[derive(Debug, Clone, Default)]
pub struct MemoryWorld {
    files: BTreeMap<PathBuf, Vec<u8>>,
    env: BTreeMap<String, String>,
    cwd: Option<PathBuf>,
}

impl MemoryWorld {
    pub fn new() -> MemoryWorld {
        MemoryWorld::default()
    }

    /// This world with a file at `path`.
    #[must_use]
    pub fn with_file(mut self, path: impl Into<PathBuf>, bytes: impl Into<Vec<u8>>) -> Self {
        self.files.insert(path.into(), bytes.into());
        self
    }

    /// This world with environment variable `name` set.
    #[must_use]
    pub fn with_env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.insert(name.into(), value.into());
        self
    }

    /// This world running in `dir`.
    #[must_use]
    pub fn with_cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    fn not_found(path: &Path) -> io::Error {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("{} does not exist", path.display()),
        )
    }
}

impl World for MemoryWorld {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| MemoryWorld::not_found(path))
    }

    fn kind(&self, path: &Path) -> io::Result<Option<Kind>> {
        if self.files.contains_key(path) {
            return Ok(Some(Kind::File));
        }
        let dir = self.files.keys().any(|f| f.starts_with(path) && f != path);
        Ok(dir.then_some(Kind::Dir))
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        if self.kind(dir)? != Some(Kind::Dir) {
            return Err(MemoryWorld::not_found(dir));
        }
        let mut out: Vec<PathBuf> = self
            .files
            .keys()
            .filter_map(|f| f.strip_prefix(dir).ok())
            .filter_map(|rest| rest.components().next())
            .map(|first| dir.join(first))
            .collect();
        out.sort();
        out.dedup();
        Ok(out)
    }

    fn env(&self, name: &str) -> Option<String> {
        self.env.get(name).cloned()
    }

    fn cwd(&self) -> Option<PathBuf> {
        self.cwd.clone()
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        let mut out = PathBuf::new();
        for c in path.components() {
            match c {
                std::path::Component::CurDir => {}
                std::path::Component::ParentDir => {
                    out.pop();
                }
                other => out.push(other),
            }
        }
        match self.kind(&out)? {
            Some(_) => Ok(out),
            None => Err(MemoryWorld::not_found(path)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_memory_world_lists_reads_and_knows_kinds() {
        let w = MemoryWorld::new()
            .with_file("/p/main.aic", "a")
            .with_file("/p/modules/x/main.aic", "b")
            .with_file("/p/vars.aic", "c")
            .with_env("HOME", "/home/me")
            .with_cwd("/p");
        assert_eq!(
            w.list(Path::new("/p")).unwrap(),
            [
                PathBuf::from("/p/main.aic"),
                PathBuf::from("/p/modules"),
                PathBuf::from("/p/vars.aic")
            ]
        );
        assert_eq!(w.kind(Path::new("/p/modules")).unwrap(), Some(Kind::Dir));
        assert_eq!(w.kind(Path::new("/p/main.aic")).unwrap(), Some(Kind::File));
        assert_eq!(w.kind(Path::new("/p/nope")).unwrap(), None);
        assert_eq!(w.read_to_string(Path::new("/p/vars.aic")).unwrap(), "c");
        assert_eq!(
            w.read(Path::new("/p/nope")).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        assert!(w.list(Path::new("/q")).is_err());
        assert_eq!(w.env("HOME").as_deref(), Some("/home/me"));
        assert_eq!(w.env("NOPE"), None);
        assert_eq!(w.cwd(), Some(PathBuf::from("/p")));
    }
}
