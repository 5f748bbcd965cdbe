//! Finding the `.aic` files of the repository, for tests that run over all of them.

use std::fs;
use std::path::{Path, PathBuf};

/// Every `.aic` file under `dir`.
pub fn aic_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(aic_files(&p));
        } else if p.extension().is_some_and(|e| e == "aic") {
            out.push(p);
        }
    }
    out.sort();
    out
}
