//! Syntax: the pest grammar, the typed AST and the lowering between them.
//!
//! Parsing never fails: [`parse_file`] returns the items it could read and the
//! diagnostics for what it could not, recovering at item boundaries.

pub mod ast;
mod error;
mod parser;

pub use error::SyntaxError;
pub use parser::{parse_expr, parse_file, parse_type_expr, Parsed};

use rayon::prelude::*;

use crate::source::{FileId, SourceMap};

/// Parses every file of a source map, in parallel (parsing is CPU-bound and files are
/// independent). Results come back in file order.
pub fn parse_sources(sources: &SourceMap) -> Vec<(FileId, Parsed)> {
    let files: Vec<_> = sources.files().collect();
    files
        .par_iter()
        .map(|(id, f)| (*id, parse_file(*id, &f.text)))
        .collect()
}
