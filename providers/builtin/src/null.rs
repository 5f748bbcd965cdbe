//! The `null` provider: `null_resource`, a resource that manages nothing. It exists to
//! hang dependencies and `triggers` on: changing a trigger replaces it, which replaces
//! whatever depends on it.

use std::sync::{Arc, LazyLock};

use aic_lang::value::Value;
use aic_provider::{with_attributes, ProviderError, ResourceSchema};
use aic_provider_kit::bulk::{as_recorded, Results};
use aic_provider_kit::{not_importable, Attr, CreateToken, Declare, Plugin, Resource, Table, ID};
use async_trait::async_trait;
use indexmap::IndexMap;

use crate::entropy::Entropy;

const TRIGGERS: Attr<IndexMap<String, String>> = Attr::new("triggers");

static TABLE: LazyLock<Arc<Table<()>>> = LazyLock::new(|| {
    Arc::new(
        Table::new(ResourceSchema::new(
            "Resources that do nothing, to hang dependencies and triggers on.",
        ))
        .resource(NullResource),
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
