//! Provider schemas from the registry, in the checker's terms ([`RegistrySchemas`]).

use aic_lang::check::{AttributeInfo, BlockInfo, ResourceType, Schemas};
use aic_provider::schema::{Nesting, ResourceSchema};
use aic_provider::Registry;

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
        Some(convert(&p.schema().provider))
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
