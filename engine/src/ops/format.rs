//! `fmt`: every `.aic` file under some paths formatted through
//! [`aic_lang::syntax::format::format_source`], and rewritten when asked.
//!
//! The layout itself lives in the language crate; this is the file system work around
//! it. A file is never written unless it parsed without errors and the formatted text
//! was checked to mean the same; writes are atomic (a temporary file in the same
//! directory, then a rename), so an interrupted run leaves every file either old or new.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use aic_lang::diag::Diagnostic;
use aic_lang::source::{FileId, SourceMap};
use aic_lang::syntax::format::{format_source, FormatError};
use rayon::prelude::*;

use super::OpError;
use crate::codes;

/// Whether changed files are rewritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatMode {
    /// Rewrite every file whose layout changes.
    Write,
    /// Write nothing: only tell which files would change.
    Check,
}

/// What happened to one file.
#[derive(Debug, Clone)]
pub enum FileFormat {
    /// Already in the canonical layout.
    Unchanged,
    /// The layout changes (`written`: the file was rewritten).
    Changed {
        old: String,
        new: String,
        written: bool,
    },
    /// The file has syntax errors; it was left unchanged.
    SyntaxErrors(Vec<Diagnostic>),
    /// The formatted text would not mean the same (a bug); the file was left unchanged.
    Unfaithful(String),
    /// The file could not be read or written.
    Io(String),
}

/// Every file considered, in path order, with what happened to it.
pub struct FormatOutcome {
    /// The files read, for rendering syntax errors.
    pub sources: SourceMap,
    /// `(path as shown, result)`.
    pub files: Vec<(PathBuf, FileFormat)>,
}

/// Formats the `.aic` files under `paths` (files, or directories searched recursively,
/// hidden directories skipped; `default_dir` when there are none).
pub fn format_files(
    default_dir: &Path,
    paths: &[PathBuf],
    mode: FormatMode,
) -> Result<FormatOutcome, OpError> {
    let roots: Vec<PathBuf> = if paths.is_empty() {
        vec![default_dir.to_path_buf()]
    } else {
        paths.to_vec()
    };
    let mut files = Vec::new();
    for root in &roots {
        if root.is_dir() {
            collect_aic_files(root, &mut files).map_err(|e| cannot_read(root, &e.to_string()))?;
        } else if root.is_file() {
            files.push(root.clone());
        } else {
            return Err(cannot_read(root, "no such file or directory"));
        }
    }
    files.sort();
    files.dedup();

    let mut sources = SourceMap::new();
    let mut out: Vec<(PathBuf, FileFormat)> = Vec::new();
    let mut inputs: Vec<(FileId, PathBuf, usize)> = Vec::new();
    for path in files {
        let shown = display_path(&path);
        match fs::read_to_string(&path) {
            Ok(text) => {
                let id = sources.add(shown.clone(), text);
                inputs.push((id, path, out.len()));
                out.push((shown, FileFormat::Unchanged));
            }
            Err(e) => out.push((shown, FileFormat::Io(format!("cannot read it: {e}")))),
        }
    }
    let results: Vec<_> = inputs
        .par_iter()
        .map(|(id, _, _)| {
            let text = sources.get(*id).map(|f| f.text.clone()).unwrap_or_default();
            format_source(*id, &text).map(|new| (text.to_string(), new))
        })
        .collect();
    for ((_, path, slot), result) in inputs.iter().zip(results) {
        let outcome = match result {
            Err(FormatError::Syntax(diags)) => FileFormat::SyntaxErrors(diags),
            Err(FormatError::Unfaithful(why)) => FileFormat::Unfaithful(why.to_string()),
            Ok((old, new)) if old == new => FileFormat::Unchanged,
            Ok((old, new)) => match mode {
                FormatMode::Check => FileFormat::Changed {
                    old,
                    new,
                    written: false,
                },
                FormatMode::Write => match write_atomically(path, &new) {
                    Ok(()) => FileFormat::Changed {
                        old,
                        new,
                        written: true,
                    },
                    Err(e) => FileFormat::Io(format!("cannot write it: {e}")),
                },
            },
        };
        if let Some(entry) = out.get_mut(*slot) {
            entry.1 = outcome;
        }
    }
    Ok(FormatOutcome {
        sources,
        files: out,
    })
}

fn cannot_read(path: &Path, why: &str) -> OpError {
    OpError::diagnostic(Diagnostic::new(&codes::E0200).with_help(format!(
        "Reading {} failed: {why}.",
        display_path(path).display()
    )))
}

/// Every `*.aic` file under `dir`, skipping hidden directories (`.git`, `.aic`, …).
fn collect_aic_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        let kind = entry.file_type()?;
        if kind.is_dir() {
            if !hidden {
                collect_aic_files(&path, out)?;
            }
        } else if path.extension().is_some_and(|e| e == "aic") && path.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

/// A path as shown to the user: without a leading `./`.
fn display_path(path: &Path) -> PathBuf {
    path.strip_prefix(".").unwrap_or(path).to_path_buf()
}

/// Replaces `path` by `text`: writes a temporary file next to it (with the same
/// permissions), then renames it over the original.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.aic-fmt-{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        if let Ok(meta) = fs::metadata(path) {
            fs::set_permissions(&tmp, meta.permissions())?;
        }
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}
