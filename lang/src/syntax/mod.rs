//! Syntax: the pest grammar, the typed AST and the lowering between them, and a fast
//! hand-written parser that builds the same tree.
//!
//! Parsing never fails: [`parse_file`] returns the items it could read and the
//! diagnostics for what it could not, recovering at item boundaries.
//!
//! Two parsers stand behind the entry points (docs/decisions/0001-pest-parser.md): the
//! fast one ([`fast`], over [`lexer`]) reads valid input; on anything else it gives up
//! and the pest grammar (`aic.pest`, lowered by `parser.rs`), which remains the
//! reference, parses the input again and reports the diagnostics.

pub mod ast;
mod error;
mod fast;
pub mod format;
mod lexer;
mod parser;

pub use error::SyntaxError;
pub use parser::Parsed;

use crate::diag::Diagnostic;

use ast::{Expr, TypeExpr};

/// Parses a whole file. On a syntax error the file is split at item boundaries and every
/// part is parsed on its own, so that independent errors are all reported in one run.
pub fn parse_file(file: FileId, text: &str) -> Parsed {
    match fast::parse_file(file, text) {
        Ok(file) => Parsed {
            file,
            diagnostics: Vec::new(),
        },
        Err(_) => parser::parse_file(file, text),
    }
}

/// Parses a single expression (used by `--var`, the console and tests).
pub fn parse_expr(file: FileId, text: &str) -> Result<Expr, Vec<Diagnostic>> {
    fast::parse_expr(file, text).or_else(|_| parser::parse_expr(file, text))
}

/// Parses a single type expression.
pub fn parse_type_expr(file: FileId, text: &str) -> Result<TypeExpr, Vec<Diagnostic>> {
    fast::parse_type_expr(file, text).or_else(|_| parser::parse_type_expr(file, text))
}

/// Each parser on its own, for the equivalence tests and the benchmark: not an API.
#[doc(hidden)]
pub mod engines {
    use super::*;

    /// The reference: the pest grammar and its lowering, with recovery and diagnostics.
    pub fn pest_file(file: FileId, text: &str) -> Parsed {
        parser::parse_file(file, text)
    }

    pub fn pest_expr(file: FileId, text: &str) -> Result<Expr, Vec<Diagnostic>> {
        parser::parse_expr(file, text)
    }

    pub fn pest_type_expr(file: FileId, text: &str) -> Result<TypeExpr, Vec<Diagnostic>> {
        parser::parse_type_expr(file, text)
    }

    /// The fast parser alone: `None` where it gives up.
    pub fn fast_file(file: FileId, text: &str) -> Option<ast::File> {
        fast::parse_file(file, text).ok()
    }

    pub fn fast_expr(file: FileId, text: &str) -> Option<Expr> {
        fast::parse_expr(file, text).ok()
    }

    pub fn fast_type_expr(file: FileId, text: &str) -> Option<TypeExpr> {
        fast::parse_type_expr(file, text).ok()
    }
}

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
