//! The aic engine: a configuration loaded, planned and applied against durable state.
//!
//! Architecture invariant: the engine talks to providers only through the provider
//! registry and to state storage only through [`state::StateStore`].

pub mod apply;
pub mod audit;
pub mod backend;
pub mod codes;
pub mod eval;
pub mod graph;
pub mod load;
pub mod ops;
pub mod plan;
pub mod planner;
pub mod render;
/// Durable state: the `aic-state` crate (model, [`state::StateStore`], journal, local
/// backend, locks, encryption).
pub use aic_state as state;
