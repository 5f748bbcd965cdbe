//! Evaluation wiring: what the language crate's checker and evaluator need from the
//! rest of aic — the standard library's functions ([`StdFunctions`]), provider schemas
//! from the registry ([`RegistrySchemas`]), and the scopes that give names their values
//! ([`WalkScope`] over the [`Values`] of a walk, [`Constants`] where only literals and
//! functions are allowed).
//!
//! Architecture invariant: this layer reads no files and no state, and knows nothing of
//! graphs, plans or apply. It sits right above the language crate; every layer of the
//! engine evaluates through it.

mod functions;
mod schemas;
mod scope;

pub use functions::StdFunctions;
pub use schemas::{RegistrySchemas, MAX_CONCURRENCY};
pub use scope::{rollout_value, Constants, Expansions, RolloutContext, Values, WalkScope};
