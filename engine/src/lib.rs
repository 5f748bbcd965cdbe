//! The aic engine. For now: the durable state of an environment ([`state`]).
//!
//! Architecture invariant: the engine talks to providers only through the provider
//! registry and to state storage only through [`state::StateStore`].

pub mod apply;
pub mod audit;
pub mod backend;
pub mod graph;
pub mod plan;
pub mod policy;
pub mod render;
pub mod rollback;
pub mod rollout;
/// Durable state: the `aic-state` crate (model, [`state::StateStore`], journal, local
/// backend, locks, encryption).
pub use aic_state as state;
pub mod validate;
pub mod values;
pub mod walk;
