//! The provider kit: what every provider of aic is built from, so that a provider is its
//! API calls and its value mapping, and nothing else.
//!
//! - [`field`]: typed attribute fields — each name written once, as a constant that knows
//!   its value type and serves the schema, reading and building objects
//!   (decision record `docs/decisions/0002-typed-field-tables.md`);
//! - [`resource`]: the per-type traits [`Resource`] and [`DataSource`], generic over the
//!   provider's configured client ([`Context`]);
//! - [`provider`]: a [`Table`] of types, the [`Plugin`] that configures it and the one
//!   generic [`aic_provider::ConfiguredProvider`], [`Configured`];
//! - [`create`]: the creating call with lost-answer recovery, undo of a half-made object,
//!   and waiting until it is visible;
//! - [`cloud`]: the common shape of a cloud type (create call, completion, describe by ids
//!   and by token, change, delete call) made a [`Resource`] by [`Cloud`];
//! - [`bulk`]: reads of many objects by chunks of ids, by one listing, through pages;
//! - [`wait`]: polling with backoff, timeout and cancellation; retrying conflicts;
//!   idempotent deletes;
//! - [`lro`]: long-running operations (ARM's `Azure-AsyncOperation`/`Location`, Google's
//!   `Operation`);
//! - [`error`]: one classification of API failures (status and service code) into
//!   provider errors; [`backoff`]: jittered exponential backoff honouring `Retry-After`;
//! - [`values`]: `id`, known-only planned values.
//!
//! **Architecture invariant**: the kit depends on no SDK and no HTTP client, and names no
//! provider; providers hand it their answers (statuses, codes, JSON bodies) and closures
//! that make their calls. It adds nothing to the provider interface (`aic-provider`): the
//! engine never sees the kit.

pub mod backoff;
pub mod bulk;
pub mod cloud;
pub mod create;
pub mod error;
pub mod field;
pub mod lro;
pub mod provider;
mod random;
pub mod resource;
pub mod values;
pub mod wait;

pub use backoff::Backoff;
pub use cloud::{Cloud, CloudType, Which};
pub use error::{ApiFailure, Class, Classifier};
pub use field::{Attr, Block, Declare, Declared, DeclaredBlock, FieldType};
pub use provider::{Configured, Plugin, Setup, Table};
pub use resource::{not_importable, Context, CreateToken, DataSource, Resource};
pub use values::{known_only, ID};
pub use wait::{Cancel, Step, Timing, Waiter};
