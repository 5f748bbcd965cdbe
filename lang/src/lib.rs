//! The `.aic` language front end and semantics.
//!
//! Architecture invariant: this crate knows no provider and performs no I/O beyond
//! reading source files through [`source::SourceMap`]. Providers describe their schemas
//! to the checker through a trait defined here; the engine wires them in.

pub mod addr;
pub mod check;
pub mod codes;
pub mod config;
pub mod diag;
pub mod eval;
pub mod source;
pub mod syntax;
pub mod types;
pub mod value;

/// The syntax tree, re-exported at the crate root for convenience.
pub use syntax::ast;
