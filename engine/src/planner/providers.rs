//! Configured providers: one [`ConfiguredProvider`] per provider configuration and
//! module instance, made on first use and shared by every operation after, each with
//! its limit on operations at once: the lower of the provider's own
//! ([`ConfiguredProvider::max_concurrency`]) and the block's `max_concurrency` setting.

use std::collections::HashMap;
use std::sync::Arc;

use aic_lang::addr::InstanceAddr;
use aic_lang::eval::Evaluator;
use aic_lang::value::Value;
use aic_provider::provider::ConfiguredProvider;
use aic_provider::ProviderError;

use crate::eval::{StdFunctions, MAX_CONCURRENCY};

use super::workspace::{body_value, Workspace};

/// (module instance declaring the configuration, provider name, alias).
type ProviderKey = (String, String, Option<String>);

/// Configured providers, one per (module instance, provider, alias).
pub struct Providers {
    configured: tokio::sync::Mutex<HashMap<ProviderKey, Arc<dyn ConfiguredProvider>>>,
    /// The limits of the configured providers that have one, by the address of the
    /// configured provider.
    limits: std::sync::Mutex<HashMap<usize, Arc<tokio::sync::Semaphore>>>,
}

impl Default for Providers {
    fn default() -> Self {
        Providers {
            configured: tokio::sync::Mutex::new(HashMap::new()),
            limits: std::sync::Mutex::new(HashMap::new()),
        }
    }
}

/// What identifies a configured provider among those made here.
fn identity(provider: &Arc<dyn ConfiguredProvider>) -> usize {
    Arc::as_ptr(provider).cast::<()>() as usize
}

impl Providers {
    /// The configured provider of a resource instance: the configuration `provider NAME
    /// [ALIAS]` of its own module instance, else of the closest calling module, else an
    /// empty configuration. A module instantiated with `for_each` over regions thus gets
    /// one configured provider (one client) per region.
    pub async fn for_instance(
        &self,
        ws: &Workspace,
        addr: &InstanceAddr,
    ) -> Result<Arc<dyn ConfiguredProvider>, ProviderError> {
        let name = ws.provider_name(&addr.resource);
        let alias = ws
            .module(&addr.module)
            .and_then(|t| t.module.resources.get(&addr.resource))
            .and_then(|r| r.provider_alias.as_ref().map(|a| a.name.clone()));
        let key = (name.clone(), alias.clone());
        // The closest module instance (itself, then its callers) declaring this configuration.
        let mut mi = addr.module.clone();
        let found = loop {
            if ws
                .module(&mi)
                .is_some_and(|t| t.module.providers.contains_key(&key))
            {
                break Some(mi);
            }
            if mi.0.pop().is_none() {
                break None;
            }
        };
        let cache_key = (
            found.as_ref().map(|m| m.to_string()).unwrap_or_default(),
            name.clone(),
            alias.clone(),
        );
        let mut map = self.configured.lock().await;
        if let Some(p) = map.get(&cache_key) {
            return Ok(p.clone());
        }
        let provider = ws.registry.require(&name)?;
        let config = match found.as_ref().and_then(|m| {
            ws.module(m)
                .and_then(|t| t.module.providers.get(&key))
                .map(|pc| (m, pc))
        }) {
            Some((m, pc)) => {
                let schema = &provider.schema().provider;
                let sv = ws.sensitive_vars(m);
                let scope = ws.scope(m, None, None, &ws.const_values, &sv);
                let functions = StdFunctions::new(scope.module_dir.clone());
                let mut ev = Evaluator::new(&scope, &functions);
                body_value(&mut ev, &pc.block.body, Some(schema), true).map_err(|e| {
                    ProviderError::invalid_config(format!(
                        "the configuration of provider `{name}` in {}: {}",
                        if m.is_root() {
                            "the root module".to_string()
                        } else {
                            m.to_string()
                        },
                        e.label
                    ))
                })?
            }
            None => Value::object(Vec::<(String, Value)>::new()),
        };
        let (config, setting) = take_max_concurrency(&name, config)?;
        let configured = provider.configure(&config).await?;
        let limit = match (configured.max_concurrency(), setting) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(limit) = limit {
            if let Ok(mut limits) = self.limits.lock() {
                limits.insert(
                    identity(&configured),
                    Arc::new(tokio::sync::Semaphore::new(limit.max(1))),
                );
            }
        }
        map.insert(cache_key, configured.clone());
        Ok(configured)
    }

    /// Waits until `provider` (made here) may run one more operation; the operation runs
    /// while the returned permit lives. `None`: the provider has no limit.
    pub async fn permit(
        &self,
        provider: &Arc<dyn ConfiguredProvider>,
    ) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let limit = self.limits.lock().ok()?.get(&identity(provider)).cloned()?;
        limit.acquire_owned().await.ok()
    }
}

/// The provider configuration without the engine's `max_concurrency` setting, and that
/// setting (a whole number of at least 1) when given.
fn take_max_concurrency(
    name: &str,
    config: Value,
) -> Result<(Value, Option<usize>), ProviderError> {
    let Some(entries) = config.as_entries() else {
        return Ok((config, None));
    };
    let setting = match entries.get(MAX_CONCURRENCY) {
        None => None,
        Some(v) if v.is_null() => None,
        Some(v) => match v.as_integer() {
            Some(n) if n >= 1 => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            _ => {
                return Err(ProviderError::invalid_config(format!(
                    "the configuration of provider `{name}`: `{MAX_CONCURRENCY}` must be a \
                     whole number of at least 1"
                )))
            }
        },
    };
    let rest = entries
        .iter()
        .filter(|(k, _)| k.as_str() != MAX_CONCURRENCY)
        .map(|(k, v)| (k.clone(), v.clone()));
    Ok((Value::object(rest), setting))
}
