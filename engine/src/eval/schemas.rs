//! Provider schemas from the registry, in the checker's terms ([`RegistrySchemas`]).

use aic_lang::check::{AttributeInfo, BlockInfo, ResourceType, Schemas};
use aic_lang::types::Type;
use aic_provider::schema::{Nesting, ResourceSchema};
use aic_provider::Registry;

/// The setting of every `provider` block that the engine keeps for itself: at most this
/// many operations of that configured provider run at once during apply, on top of
/// `--parallelism` (see `planner::Providers`). It is never passed to the provider.
pub const MAX_CONCURRENCY: &str = "max_concurrency";

/// Provider schemas from the registry, in the checker's terms.
pub struct RegistrySchemas<'a> {
    registry: &'a Registry,
}

impl<'a> RegistrySchemas<'a> {
    pub fn new(registry: &'a Registry) -> Self {
        RegistrySchemas { registry }
    }
}

fn convert(schema: &ResourceSchema) -> ResourceType {
    ResourceType {
        attributes: schema
            .attributes
            .iter()
            .map(|(k, a)| {
                (
                    k.clone(),
                    AttributeInfo {
                        ty: a.ty.clone(),
                        required: a.required,
                        computed: a.computed && !a.optional && !a.required,
                        sensitive: a.sensitive,
                    },
                )
            })
            .collect(),
        blocks: schema
            .blocks
            .iter()
            .map(|(k, b)| {
                (
                    k.clone(),
                    BlockInfo {
                        repeated: !matches!(b.nesting, Nesting::Single),
                        min_items: b.min_items,
                        schema: convert(&b.block),
                    },
                )
            })
            .collect(),
    }
}

impl Schemas for RegistrySchemas<'_> {
    fn resource(&self, type_name: &str) -> Option<ResourceType> {
        let (_, p) = self.registry.for_type(type_name)?;
        p.schema().resource(type_name).map(convert)
    }

    fn data_source(&self, type_name: &str) -> Option<ResourceType> {
        let (_, p) = self.registry.for_type(type_name)?;
        p.schema().data_source(type_name).map(convert)
    }

    fn provider(&self, name: &str) -> Option<ResourceType> {
        let p = self.registry.get(name)?;
        let mut ty = convert(&p.schema().provider);
        // The engine's own setting of every provider block (see `planner::providers`).
        ty.attributes
            .entry(MAX_CONCURRENCY.to_owned())
            .or_insert(AttributeInfo {
                ty: Type::Number,
                required: false,
                computed: false,
                sensitive: false,
            });
        Some(ty)
    }

    fn resource_types(&self) -> Vec<String> {
        self.registry
            .iter()
            .flat_map(|(_, p)| p.schema().resources.keys().cloned().collect::<Vec<_>>())
            .collect()
    }

    fn data_source_types(&self) -> Vec<String> {
        self.registry
            .iter()
            .flat_map(|(_, p)| p.schema().data_sources.keys().cloned().collect::<Vec<_>>())
            .collect()
    }
}
