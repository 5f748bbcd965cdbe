//! The `null` provider: `null_resource`, a resource that manages nothing. It exists to
//! hang dependencies and `triggers` on: changing a trigger replaces it, which replaces
//! whatever depends on it. And `null_data_source`, a data source that hands its `inputs`
//! back as `outputs` (as Terraform's null provider 2.1 does), to pass values through a
//! read.

use std::sync::{Arc, LazyLock};

use aic_lang::value::Value;
use aic_provider::{with_attributes, ProviderError, ResourceSchema};
use aic_provider_kit::bulk::{as_recorded, Results};
use aic_provider_kit::{
    not_importable, Attr, CreateToken, DataSource, Declare, Plugin, Resource, Table, ID,
};
use async_trait::async_trait;
use indexmap::IndexMap;

use crate::entropy::Entropy;

const TRIGGERS: Attr<IndexMap<String, String>> = Attr::new("triggers");
const INPUTS: Attr<IndexMap<String, String>> = Attr::new("inputs");
const OUTPUTS: Attr<IndexMap<String, String>> = Attr::new("outputs");
const HAS_COMPUTED_DEFAULT: Attr<String> = Attr::new("has_computed_default");
const RANDOM: Attr<String> = Attr::new("random");

static TABLE: LazyLock<Arc<Table<()>>> = LazyLock::new(|| {
    Arc::new(
        Table::new(ResourceSchema::new(
            "Resources that do nothing, to hang dependencies and triggers on.",
        ))
        .resource(NullResource)
        .data_source(NullDataSource),
    )
});

/// The `null` provider. It takes no configuration.
pub fn provider() -> Plugin<()> {
    Plugin::offline(TABLE.clone())
}

struct NullResource;

#[async_trait]
impl Resource<()> for NullResource {
    fn type_name(&self) -> &'static str {
        "null_resource"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(
            "A resource that manages nothing. Changing `triggers` replaces it, and with it \
             whatever depends on it.",
        )
        .with(
            TRIGGERS.optional().force_new().describe(
                "Arbitrary values that, when changed, force the resource to be replaced.",
            ),
        )
        .with(
            ID.computed()
                .describe("A random decimal number chosen at creation."),
        )
    }

    /// Its objects exist only in the state: nothing outside can be orphaned.
    fn objects_outside_state(&self) -> bool {
        false
    }

    async fn create(
        &self,
        _: &(),
        planned: &Value,
        _: &CreateToken,
    ) -> Result<Value, ProviderError> {
        // As Terraform: a non-negative 63-bit random number in decimal.
        let id = Entropy::os().next_u64()? >> 1;
        Ok(with_attributes(planned, [ID.to(id.to_string())]))
    }

    async fn read_many(&self, _: &(), priors: &[Value]) -> Results {
        as_recorded(priors)
    }

    async fn update(&self, _: &(), prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        Ok(with_attributes(planned, [ID.copied(prior)]))
    }

    async fn delete(&self, _: &(), _prior: &Value) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn import(&self, _: &(), _id: &str) -> Result<Option<Value>, ProviderError> {
        Err(not_importable(
            self.type_name(),
            "A `null_resource` holds nothing to import; declare it instead.",
        ))
    }
}

/// `null_data_source`: returns its `inputs` as `outputs`.
struct NullDataSource;

#[async_trait]
impl DataSource<()> for NullDataSource {
    fn type_name(&self) -> &'static str {
        "null_data_source"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(
            "A data source that returns its `inputs` as `outputs`: a read that depends on \
             whatever its inputs reference, and is deferred to apply while they are unknown.",
        )
        .with(INPUTS.optional().describe("Values to pass through."))
        .with(OUTPUTS.computed().describe("The `inputs`, as read."))
        .with(
            HAS_COMPUTED_DEFAULT
                .optional_computed()
                .describe("Given, or `\"default\"` when not."),
        )
        .with(
            RANDOM
                .computed()
                .describe("A random decimal number chosen at every read."),
        )
        .with(ID.computed().describe("Always `\"static\"`."))
    }

    async fn read(&self, _: &(), config: &Value) -> Result<Value, ProviderError> {
        let inputs = config.get("inputs").cloned().unwrap_or_else(Value::null);
        let has_default = HAS_COMPUTED_DEFAULT.or(config, "default".to_owned())?;
        let random = Entropy::os().next_u64()? >> 1;
        Ok(self.schema().instance([
            (INPUTS.name(), inputs.clone()),
            (OUTPUTS.name(), inputs),
            HAS_COMPUTED_DEFAULT.to(has_default),
            RANDOM.to(random.to_string()),
            ID.to("static"),
        ]))
    }
}
