//! The `null` provider: `null_resource`, a resource that manages nothing. It exists to
//! hang dependencies and `triggers` on: changing a trigger replaces it, which replaces
//! whatever depends on it. And `null_data_source`, a data source that hands its `inputs`
//! back as `outputs` (as Terraform's null provider 2.1 does), to pass values through a
//! read.

use std::sync::{Arc, LazyLock};

use aic_lang::types::Type;
use aic_lang::value::Value;
use aic_provider::{
    data_source_schema, resource_schema, with_attributes, AttributeSchema, ConfiguredProvider,
    Provider, ProviderError, ProviderSchema, ResourceSchema,
};
use async_trait::async_trait;

use crate::entropy::Entropy;

/// The `null` provider. It takes no configuration.
#[derive(Debug, Clone, Copy, Default)]
pub struct NullProvider;

static SCHEMA: LazyLock<ProviderSchema> = LazyLock::new(|| ProviderSchema {
    provider: ResourceSchema::new(
        "Resources that do nothing, to hang dependencies and triggers on.",
    ),
    resources: [(
        "null_resource".to_owned(),
        ResourceSchema::new(
            "A resource that manages nothing. Changing `triggers` replaces it, and with it \
             whatever depends on it.",
        )
        .attribute(
            "triggers",
            AttributeSchema::optional(Type::map(Type::String))
                .force_new()
                .describe(
                    "Arbitrary values that, when changed, force the resource to be replaced.",
                ),
        )
        .attribute(
            "id",
            AttributeSchema::computed(Type::String)
                .describe("A random decimal number chosen at creation."),
        ),
    )]
    .into_iter()
    .collect(),
    data_sources: [(
        "null_data_source".to_owned(),
        ResourceSchema::new(
            "A data source that returns its `inputs` as `outputs`: a read that depends on \
             whatever its inputs reference, and is deferred to apply while they are unknown.",
        )
        .attribute(
            "inputs",
            AttributeSchema::optional(Type::map(Type::String)).describe("Values to pass through."),
        )
        .attribute(
            "outputs",
            AttributeSchema::computed(Type::map(Type::String)).describe("The `inputs`, as read."),
        )
        .attribute(
            "has_computed_default",
            AttributeSchema::optional_computed(Type::String)
                .describe("Given, or `\"default\"` when not."),
        )
        .attribute(
            "random",
            AttributeSchema::computed(Type::String)
                .describe("A random decimal number chosen at every read."),
        )
        .attribute(
            "id",
            AttributeSchema::computed(Type::String).describe("Always `\"static\"`."),
        ),
    )]
    .into_iter()
    .collect(),
});

#[async_trait]
impl Provider for NullProvider {
    fn schema(&self) -> &ProviderSchema {
        &SCHEMA
    }

    async fn configure(
        &self,
        _config: &Value,
    ) -> Result<Arc<dyn ConfiguredProvider>, ProviderError> {
        Ok(Arc::new(*self))
    }
}

#[async_trait]
impl ConfiguredProvider for NullProvider {
    fn schema(&self) -> &ProviderSchema {
        &SCHEMA
    }

    /// Its objects exist only in the state: nothing outside can be orphaned.
    fn objects_outside_state(&self, _type_name: &str) -> bool {
        false
    }

    async fn create(&self, type_name: &str, planned: &Value) -> Result<Value, ProviderError> {
        resource_schema(&SCHEMA, type_name)?;
        // As Terraform: a non-negative 63-bit random number in decimal.
        let id = Entropy::os().next_u64()? >> 1;
        Ok(with_attributes(
            planned,
            [("id", Value::string(id.to_string()))],
        ))
    }

    async fn read(&self, type_name: &str, prior: &Value) -> Result<Option<Value>, ProviderError> {
        resource_schema(&SCHEMA, type_name)?;
        Ok(Some(prior.clone()))
    }

    async fn update(
        &self,
        type_name: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        resource_schema(&SCHEMA, type_name)?;
        let id = prior.get("id").cloned().unwrap_or_else(Value::null);
        Ok(with_attributes(planned, [("id", id)]))
    }

    async fn delete(&self, type_name: &str, _prior: &Value) -> Result<(), ProviderError> {
        resource_schema(&SCHEMA, type_name).map(|_| ())
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, ProviderError> {
        let schema = data_source_schema(&SCHEMA, type_name)?;
        let inputs = config.get("inputs").cloned().unwrap_or_else(Value::null);
        let has_default = match config.get("has_computed_default") {
            Some(v) if !v.is_null() => v.clone(),
            _ => Value::string("default"),
        };
        let random = Entropy::os().next_u64()? >> 1;
        Ok(schema.instance([
            ("inputs", inputs.clone()),
            ("outputs", inputs),
            ("has_computed_default", has_default),
            ("random", Value::string(random.to_string())),
            ("id", Value::string("static")),
        ]))
    }
}
