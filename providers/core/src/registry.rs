//! The registry: provider name → provider. The engine reaches providers only through it,
//! so no provider is known by name anywhere else. Which providers are registered is the
//! caller's choice (`aic_provider_builtin::WithBuiltin::with_builtin` for the built-in
//! ones); this crate depends on none.

use std::sync::Arc;

use indexmap::IndexMap;

use crate::error::ProviderError;
use crate::provider::Provider;
use crate::schema::did_you_mean;

/// Providers by name (`null`, `random`, `aws`, …), in registration order.
#[derive(Clone, Default)]
pub struct Registry {
    providers: IndexMap<String, Arc<dyn Provider>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Registers `provider` as `name`; returns the provider it replaces, if any.
    pub fn register(
        &mut self,
        name: impl Into<String>,
        provider: Arc<dyn Provider>,
    ) -> Option<Arc<dyn Provider>> {
        self.providers.insert(name.into(), provider)
    }

    /// The provider registered as `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Provider>> {
        self.providers.get(name)
    }

    /// The provider registered as `name`, or an `InvalidConfig` error naming the
    /// registered providers and the likely intended one.
    pub fn require(&self, name: &str) -> Result<&Arc<dyn Provider>, ProviderError> {
        self.get(name).ok_or_else(|| {
            let err = ProviderError::invalid_config(format!("no provider named `{name}`"));
            match did_you_mean(name, self.names()) {
                Some(suggestion) => err.with_help(format!("Did you mean `{suggestion}`?")),
                None => err.with_help(format!(
                    "The available providers are: {}.",
                    self.names()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        })
    }

    /// The provider that implicitly owns a resource or data source type, as Terraform
    /// decides: the registered name that is the type's prefix up to an underscore
    /// (`aws_instance` → `aws`), the longest one when several are. Returns the name too.
    pub fn for_type(&self, type_name: &str) -> Option<(&str, &Arc<dyn Provider>)> {
        self.providers
            .iter()
            .filter(|(name, _)| {
                type_name == name.as_str()
                    || type_name
                        .strip_prefix(name.as_str())
                        .is_some_and(|rest| rest.starts_with('_'))
            })
            .max_by_key(|(name, _)| name.len())
            .map(|(name, provider)| (name.as_str(), provider))
    }

    /// The registered names, in registration order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.providers.keys().map(String::as_str)
    }

    /// Every registered provider with its name, in registration order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Arc<dyn Provider>)> {
        self.providers.iter().map(|(n, p)| (n.as_str(), p))
    }

    pub fn len(&self) -> usize {
        self.providers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("providers", &self.providers.keys().collect::<Vec<_>>())
            .finish()
    }
}
