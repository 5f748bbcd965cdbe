//! The providers compiled into this `aic`: the built-in ones, and one provider per cloud
//! whose cargo feature is on (all of them by default).

/// A registry of every provider this build offers.
pub fn registry() -> aic_provider::Registry {
    #[allow(unused_mut)] // without cloud features only the built-in providers are registered
    let mut registry = aic_provider_builtin::registry();
    #[cfg(feature = "aws")]
    aic_provider_aws::register(&mut registry);
    #[cfg(feature = "ibm")]
    aic_provider_ibm::register(&mut registry);
    #[cfg(feature = "google")]
    aic_provider_google::register(&mut registry);
    #[cfg(feature = "azure")]
    aic_provider_azure::register(&mut registry);
    registry
}

/// What `aic version` prints: the version of aic, then each provider compiled in with the
/// SDK it is built on.
pub fn version_text() -> String {
    let registry = registry();
    let width = registry.names().map(str::len).max().unwrap_or(0);
    let mut text = format!("aic {}\nProviders:\n", env!("CARGO_PKG_VERSION"));
    for (name, provider) in registry.iter() {
        let sdk = provider.sdk().unwrap_or_else(|| "built in".to_owned());
        text.push_str(&format!("  {name:<width$}  {sdk}\n"));
    }
    text
}
