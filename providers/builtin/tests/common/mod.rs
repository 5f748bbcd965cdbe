//! What the built-in providers' tests share: the engine's steps from the testkit, and a
//! built-in provider configured as the engine configures it.

#![allow(dead_code, unused_imports)] // each test binary uses part of this module

use std::error::Error;
use std::sync::Arc;

use aic_lang::value::Value;
use aic_provider::{ConfiguredProvider, Provider, Registry};
use aic_provider_builtin::WithBuiltin;
pub use aic_provider_testkit::steps::{
    action, assert_matches_plan, create, object, plan, string_map, Action, TestResult,
};

/// The built-in provider `name`, configured with an empty configuration.
pub async fn configured(name: &str) -> Result<Arc<dyn ConfiguredProvider>, Box<dyn Error>> {
    let registry = Registry::with_builtin();
    let provider: &Arc<dyn Provider> = registry.require(name)?;
    Ok(provider
        .configure(&Value::object(Vec::<(String, Value)>::new()))
        .await?)
}
