//! The `.aic` language front end and semantics.
//!
//! Architecture invariant: this crate knows no provider and touches no machine: source
//! files, directories, environment variables and the working directory reach it through
//! a [`world::World`] (the machine is [`world::System`]; tests use
//! [`world::MemoryWorld`]). Providers describe their schemas to the checker through a
//! trait defined here; the engine wires them in.

pub mod addr;
pub mod check;
pub mod codes;
pub mod config;
pub mod diag;
pub mod duration;
pub mod eval;
pub mod source;
pub mod syntax;
pub mod types;
pub mod value;
pub mod world;

/// The syntax tree, re-exported at the crate root for convenience.
pub use syntax::ast;
