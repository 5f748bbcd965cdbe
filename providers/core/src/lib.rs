//! The provider interface of aic.
//!
//! A provider manages one family of objects (files, random values, cloud resources)
//! through five operations on plain [`Value`](aic_lang::value::Value) objects — plan,
//! create, read, update, delete — plus import, data source reads and validation. This
//! crate defines:
//!
//! - [`schema`]: what a provider's types look like ([`ProviderSchema`],
//!   [`ResourceSchema`], [`AttributeSchema`], [`NestedBlockSchema`], [`schema_type`]);
//! - [`provider`]: the [`Provider`] and [`ConfiguredProvider`] traits;
//! - [`plan`]: [`PlanRequest`], [`PlanResponse`] and the schema-driven default plan;
//! - [`validate`]: [`Problem`]s and the schema-driven configuration check;
//! - [`error`]: [`ProviderError`], whose [`ErrorKind`] drives the engine's retries;
//! - [`codes`]: the catalogue of its diagnostic codes (E07xx);
//! - [`registry`]: [`Registry`], the only way the engine finds a provider;
//! - [`attrs`]: typed reading of object attributes for provider implementations;
//! - [`docs`]: Markdown reference generated from a schema.
//!
//! **Architecture invariant**: this crate knows nothing of graphs, state files, plans
//! of many resources, addresses or scheduling, and names no provider. It depends only on
//! `aic-lang`'s value and type model. Providers depend on it; it depends on no provider.
//! An operation gets everything it needs in its arguments and returns everything the
//! engine must keep in its result.

pub mod attrs;
pub mod codes;
pub mod docs;
pub mod error;
pub mod plan;
pub mod provider;
pub mod registry;
pub mod schema;
pub mod validate;

pub use attrs::{with_attributes, Attributes};
pub use error::{CloudError, ErrorDetail, ErrorKind, ProviderError};
pub use plan::{plan_resource, PlanRequest, PlanResponse};
pub use provider::{
    data_source_schema, resource_schema, unknown_type_problem, ConfiguredProvider, Provider,
};
pub use registry::Registry;
pub use schema::{
    did_you_mean, schema_type, AttributeSchema, ConfigSchema, NestedBlockSchema, Nesting,
    ProviderSchema, ResourceSchema,
};
pub use validate::{validate_config, Problem};
