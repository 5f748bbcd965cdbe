//! `aic fmt`: finds `.aic` files, formats each through
//! [`aic_lang::syntax::format::format_source`], and writes, lists or diffs the changes.
//!
//! The layout itself lives in the language crate; this module only does the file
//! system work around it. A file is never written unless it parsed without errors and
//! the formatted text was checked to mean the same; writes are atomic (a temporary file
//! in the same directory, then a rename), so an interrupted run leaves every file either
//! old or new.

use std::fs;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aic_lang::diag;
use aic_lang::source::{FileId, SourceMap};
use aic_lang::syntax::format::{format_source, FormatError};
use rayon::prelude::*;
use similar::{ChangeTag, TextDiff};

/// What `aic fmt` was asked to do.
#[derive(Debug, Clone, Copy)]
pub struct FmtOptions {
    /// Write nothing; list the files that would change and fail if there are any.
    pub check: bool,
    /// Write nothing; print a unified diff of the changes.
    pub diff: bool,
    /// Colour diagnostics (and diffs, when stdout is a terminal).
    pub color: bool,
    /// Terminal width for diagnostics.
    pub width: usize,
}

/// Formats the `.aic` files under `paths` (files, or directories searched recursively;
/// `default_dir` when there are none). Exit code 1 when a file has syntax errors, cannot
/// be read or written, or (with `check`) would change.
pub fn run(default_dir: &Path, paths: &[PathBuf], opts: FmtOptions) -> Result<ExitCode, String> {
    let roots: Vec<PathBuf> = if paths.is_empty() {
        vec![default_dir.to_path_buf()]
    } else {
        paths.to_vec()
    };
    let mut files = Vec::new();
    for root in &roots {
        if root.is_dir() {
            collect_aic_files(root, &mut files)
                .map_err(|e| format!("cannot read {}: {e}", root.display()))?;
        } else if root.is_file() {
            files.push(root.clone());
        } else {
            return Err(format!("{}: no such file or directory", root.display()));
        }
    }
    files.sort();
    files.dedup();

    let mut failed = false;
    let mut sources = SourceMap::new();
    let mut inputs: Vec<(FileId, PathBuf)> = Vec::new();
    for path in files {
        match fs::read_to_string(&path) {
            Ok(text) => {
                let id = sources.add(display_path(&path), text);
                inputs.push((id, path));
            }
            Err(e) => {
                eprintln!("Error: cannot read {}: {e}", display_path(&path).display());
                failed = true;
            }
        }
    }
    let results: Vec<_> = inputs
        .par_iter()
        .map(|(id, _)| {
            let text = sources.get(*id).map(|f| f.text.clone()).unwrap_or_default();
            format_source(*id, &text).map(|out| (text, out))
        })
        .collect();

    let mut changed = 0usize;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let diff_color = opts.color && std::io::stdout().is_terminal();
    for ((_, path), result) in inputs.iter().zip(results) {
        let shown = display_path(path);
        let (old, new) = match result {
            Ok(pair) => pair,
            Err(FormatError::Syntax(diags)) => {
                let text = diag::render_all(&diags, &sources, opts.color, opts.width);
                eprint!("{text}");
                eprintln!(
                    "Error: {} has syntax errors; left unchanged.",
                    shown.display()
                );
                failed = true;
                continue;
            }
            Err(FormatError::Unfaithful(why)) => {
                eprintln!(
                    "Error: {}: {why}; left unchanged. This is a bug in aic fmt, please report it.",
                    shown.display()
                );
                failed = true;
                continue;
            }
        };
        if *old == *new {
            continue;
        }
        changed += 1;
        if opts.diff {
            let _ = write!(out, "{}", unified_diff(&shown, &old, &new, diff_color));
        }
        if opts.check {
            if !opts.diff {
                let _ = writeln!(out, "{}", shown.display());
            }
            continue;
        }
        if opts.diff {
            continue;
        }
        match write_atomically(path, &new) {
            Ok(()) => {
                let _ = writeln!(out, "{}", shown.display());
            }
            Err(e) => {
                eprintln!("Error: cannot write {}: {e}", shown.display());
                failed = true;
            }
        }
    }
    if failed || (opts.check && changed > 0) {
        Ok(ExitCode::from(1))
    } else {
        Ok(ExitCode::SUCCESS)
    }
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

fn unified_diff(path: &Path, old: &str, new: &str, color: bool) -> String {
    let name = path.display().to_string();
    let diff = TextDiff::from_lines(old, new);
    let mut udiff = diff.unified_diff();
    udiff.context_radius(3).header(&name, &name);
    if !color {
        return udiff.to_string();
    }
    let mut text = format!("\x1b[1m--- {name}\n+++ {name}\x1b[0m\n");
    for hunk in udiff.iter_hunks() {
        text.push_str(&format!("\x1b[36m{}\x1b[0m\n", hunk.header()));
        for change in hunk.iter_changes() {
            let (sign, code) = match change.tag() {
                ChangeTag::Delete => ('-', "\x1b[31m"),
                ChangeTag::Insert => ('+', "\x1b[32m"),
                ChangeTag::Equal => (' ', ""),
            };
            let line = change.to_string_lossy();
            let line = line.trim_end_matches(['\n', '\r']);
            if code.is_empty() {
                text.push_str(&format!("{sign}{line}\n"));
            } else {
                text.push_str(&format!("{code}{sign}{line}\x1b[0m\n"));
            }
        }
    }
    text
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
