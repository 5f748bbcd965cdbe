//! The providers compiled into this `aic`: the built-in ones and `aws`.

/// A registry of every provider this build offers.
pub fn registry() -> aic_provider::Registry {
    let mut registry = aic_provider_builtin::registry();
    aic_provider_aws::register(&mut registry);
    registry
}
