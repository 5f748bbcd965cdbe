//! The two traits every provider implements.
//!
//! A [`Provider`] is the unconfigured plugin: it describes itself ([`Provider::schema`])
//! and, given one provider configuration (a region, credentials, an endpoint), returns a
//! [`ConfiguredProvider`] — typically holding one API client. The engine configures one
//! instance per provider configuration and sends every resource operation of the
//! resources using that configuration to it, possibly concurrently.
//!
//! Operations receive and return plain [`Value`] objects shaped by the type's schema
//! ([`crate::schema::schema_type`]). They never see addresses, graphs or state files:
//! whatever the engine needs to remember about an object must be in the returned value.

use std::sync::Arc;

use aic_lang::value::{AttrPath, Value};
use async_trait::async_trait;

use crate::error::ProviderError;
use crate::plan::{plan_resource, PlanRequest, PlanResponse};
use crate::schema::{did_you_mean, ProviderSchema, ResourceSchema};
use crate::validate::{validate_config, Problem};

/// A provider before configuration.
#[async_trait]
pub trait Provider: Send + Sync {
    /// Everything the provider offers; the same for every configuration.
    fn schema(&self) -> &ProviderSchema;

    /// The SDK this provider is built on, with its version (`aws-sdk-ec2 1.274.0`), for
    /// `aic version`; `None` for providers that call no cloud SDK (the default).
    fn sdk(&self) -> Option<String> {
        None
    }

    /// Checks a provider configuration without calling any API. The default checks it
    /// against [`ProviderSchema::provider`].
    fn validate_config(&self, config: &Value) -> Vec<Problem> {
        validate_config(&self.schema().provider, config)
    }

    /// Prepares the provider for one configuration (the `provider` block's value, wholly
    /// known). Called once per configuration; the result serves every resource using it.
    async fn configure(&self, config: &Value)
        -> Result<Arc<dyn ConfiguredProvider>, ProviderError>;
}

/// A provider ready to manage resources with one configuration.
///
/// `type_name` is always one of the schema's resource types (data source types for
/// [`ConfiguredProvider::read_data`]); the default methods answer
/// [`crate::ErrorKind::Unsupported`] otherwise. Values passed in may carry sensitive
/// marks; values returned should carry them on sensitive attributes
/// ([`ResourceSchema::mark_sensitive`]).
#[async_trait]
pub trait ConfiguredProvider: Send + Sync {
    /// The schema of the provider this instance was configured from.
    fn schema(&self) -> &ProviderSchema;

    /// At most this many operations of this provider should run at once (an API's
    /// concurrency limit); `None`: only the engine's `--parallelism` applies.
    fn max_concurrency(&self) -> Option<usize> {
        None
    }

    /// Whether objects of `type_name` exist outside aic's state (a cloud resource, a
    /// file). For those the engine journals a create's intent durably before calling
    /// [`ConfiguredProvider::create`] and each outcome before going on, so that a crash
    /// can never leave an unrecorded object behind. Types whose objects live only in
    /// the state (`null_resource`, `random_*`, `time_sleep`) answer `false`: their journal
    /// lines become durable with the next synced line or the final state write, and
    /// after a crash the few not yet durable are simply planned again.
    fn objects_outside_state(&self, _type_name: &str) -> bool {
        true
    }

    /// Checks a resource configuration (which may contain unknowns) without calling any
    /// API. The default checks it against the type's schema; providers add their own
    /// rules after calling [`validate_config`].
    fn validate(&self, type_name: &str, config: &Value) -> Vec<Problem> {
        match self.schema().resource(type_name) {
            Some(schema) => validate_config(schema, config),
            None => vec![unknown_type_problem(
                type_name,
                self.schema().resources.keys(),
            )],
        }
    }

    /// Checks a data source configuration, as [`ConfiguredProvider::validate`] does for
    /// resources.
    fn validate_data(&self, type_name: &str, config: &Value) -> Vec<Problem> {
        match self.schema().data_source(type_name) {
            Some(schema) => validate_config(schema, config),
            None => vec![unknown_type_problem(
                type_name,
                self.schema().data_sources.keys(),
            )],
        }
    }

    /// Plans one object: what it will look like after apply, and whether that needs a
    /// replacement. The default is [`plan_resource`], driven by the schema.
    async fn plan(&self, request: PlanRequest) -> Result<PlanResponse, ProviderError> {
        let schema = resource_schema(self.schema(), &request.type_name)?;
        plan_resource(schema, &request)
    }

    /// Creates the object described by `planned` (wholly known, from
    /// [`ConfiguredProvider::plan`]) and returns it with its computed attributes.
    async fn create(&self, type_name: &str, planned: &Value) -> Result<Value, ProviderError>;

    /// Creates as [`ConfiguredProvider::create`] does, knowing `token`: a unique string the
    /// engine journaled with its intent before the call. A provider that can puts it on the
    /// object (a tag, a label), so that [`ConfiguredProvider::find_created`] finds the
    /// object when a crash lost the answer. The default ignores the token.
    async fn create_with_token(
        &self,
        type_name: &str,
        planned: &Value,
        token: &str,
    ) -> Result<Value, ProviderError> {
        let _ = token;
        self.create(type_name, planned).await
    }

    /// The object a [`ConfiguredProvider::create_with_token`] of `planned` with `token`
    /// made, when it exists. The engine asks after a crash lost a create's answer and
    /// adopts what is found. `None`: nothing was found, or the provider cannot tell (the
    /// default); the engine then reads the recorded intent as any other object.
    async fn find_created(
        &self,
        type_name: &str,
        planned: &Value,
        token: &str,
    ) -> Result<Option<Value>, ProviderError> {
        let _ = (type_name, planned, token);
        Ok(None)
    }

    /// Reads the object as it is now; `None` when it no longer exists. Attributes that
    /// changed outside aic come back changed, so that the engine shows the drift.
    async fn read(&self, type_name: &str, prior: &Value) -> Result<Option<Value>, ProviderError>;

    /// Reads many objects of one type, one result per prior object, in order. The default
    /// reads them one by one; providers whose API lists or describes objects in bulk
    /// override this with as few calls as possible.
    async fn read_many(
        &self,
        type_name: &str,
        priors: &[Value],
    ) -> Vec<Result<Option<Value>, ProviderError>> {
        let mut results = Vec::with_capacity(priors.len());
        for prior in priors {
            results.push(self.read(type_name, prior).await);
        }
        results
    }

    /// Changes the object in place from `prior` to `planned` (a plan without
    /// replacement) and returns the result.
    async fn update(
        &self,
        type_name: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError>;

    /// Deletes the object. Deleting an object that is already gone succeeds.
    async fn delete(&self, type_name: &str, prior: &Value) -> Result<(), ProviderError>;

    /// Reads an existing object by its import id so that aic can manage it; `None` when
    /// there is no such object. The default: the type cannot be imported.
    async fn import(&self, type_name: &str, id: &str) -> Result<Option<Value>, ProviderError> {
        let _ = id;
        Err(ProviderError::unsupported(format!(
            "`{type_name}` cannot be imported"
        )))
    }

    /// Reads a data source with its configuration (wholly known) and returns its object.
    /// The default: the provider has no data sources.
    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, ProviderError> {
        let _ = config;
        Err(unsupported_type(
            type_name,
            self.schema().data_sources.keys(),
        ))
    }
}

/// The schema of resource type `type_name`, or an `Unsupported` error with a "did you
/// mean".
pub fn resource_schema<'a>(
    schema: &'a ProviderSchema,
    type_name: &str,
) -> Result<&'a ResourceSchema, ProviderError> {
    schema
        .resource(type_name)
        .ok_or_else(|| unsupported_type(type_name, schema.resources.keys()))
}

/// The schema of data source type `type_name`, or an `Unsupported` error with a "did you
/// mean".
pub fn data_source_schema<'a>(
    schema: &'a ProviderSchema,
    type_name: &str,
) -> Result<&'a ResourceSchema, ProviderError> {
    schema
        .data_source(type_name)
        .ok_or_else(|| unsupported_type(type_name, schema.data_sources.keys()))
}

fn unsupported_type<'a>(type_name: &str, known: impl Iterator<Item = &'a String>) -> ProviderError {
    let err = ProviderError::unsupported(format!("this provider has no type `{type_name}`"));
    match did_you_mean(type_name, known.map(String::as_str)) {
        Some(suggestion) => err.with_help(format!("Did you mean `{suggestion}`?")),
        None => err,
    }
}

/// The validation problem for a type the provider does not have, with a "did you mean"
/// among `known`.
pub fn unknown_type_problem<'a>(
    type_name: &str,
    known: impl Iterator<Item = &'a String>,
) -> Problem {
    let problem = Problem::invalid_value(
        AttrPath::root(),
        format!("this provider has no type `{type_name}`"),
    );
    match did_you_mean(type_name, known.map(String::as_str)) {
        Some(suggestion) => problem.with_help(format!("Did you mean `{suggestion}`?")),
        None => problem,
    }
}
