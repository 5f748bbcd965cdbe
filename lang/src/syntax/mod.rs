//! Syntax: the pest grammar, the typed AST and the lowering between them.
//!
//! Parsing never fails: [`parse_file`] returns the items it could read and the
//! diagnostics for what it could not, recovering at item boundaries.

pub mod ast;
mod error;
pub mod format;
#[allow(dead_code)] // used by the fast parser, in the next commit
mod lexer;
mod parser;

pub use error::SyntaxError;
pub use parser::{parse_expr, parse_file, parse_type_expr, Parsed};

use rayon::prelude::*;

use crate::source::{FileId, SourceMap};

/// Parses every file of a source map, in parallel (parsing is CPU-bound and files are
/// independent). Results come back in file order.
pub fn parse_sources(sources: &SourceMap) -> Vec<(FileId, Parsed)> {
    let ids: Vec<FileId> = sources.files().map(|(id, _)| id).collect();
    parse_ids(sources, &ids)
}

/// Parses the given files of a source map, in parallel, in the order given.
pub fn parse_ids(sources: &SourceMap, ids: &[FileId]) -> Vec<(FileId, Parsed)> {
    ids.par_iter()
        .filter_map(|id| sources.get(*id).map(|f| (*id, parse_file(*id, &f.text))))
        .collect()
}
