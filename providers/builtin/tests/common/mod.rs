//! What the engine does with a provider, in small steps, for the tests: configure,
//! validate, plan, apply, refresh. Each step checks the provider contract on the way
//! (no validation errors, applied objects wholly known and matching what was planned).

#![allow(dead_code)] // each test binary uses part of this module

use std::error::Error;
use std::sync::Arc;

use aic_lang::value::Value;
use aic_provider::{ConfiguredProvider, PlanRequest, PlanResponse, Provider, Registry};
use aic_provider_builtin::WithBuiltin;

pub type TestResult = Result<(), Box<dyn Error>>;

/// The built-in provider `name`, configured with an empty configuration.
pub async fn configured(name: &str) -> Result<Arc<dyn ConfiguredProvider>, Box<dyn Error>> {
    let registry = Registry::with_builtin();
    let provider: &Arc<dyn Provider> = registry.require(name)?;
    Ok(provider
        .configure(&Value::object(Vec::<(String, Value)>::new()))
        .await?)
}

/// An object value from attribute pairs.
pub fn object<const N: usize>(attrs: [(&str, Value); N]) -> Value {
    Value::object(attrs)
}

pub fn string_map<const N: usize>(entries: [(&str, &str); N]) -> Value {
    Value::map(entries.map(|(k, v)| (k, Value::string(v))))
}

/// Validates `config` (no errors allowed) and plans it against `prior`.
pub async fn plan(
    provider: &dyn ConfiguredProvider,
    type_name: &str,
    prior: Option<&Value>,
    config: &Value,
) -> Result<PlanResponse, Box<dyn Error>> {
    let problems = provider.validate(type_name, config);
    assert!(
        problems.iter().all(|p| !p.is_error()),
        "unexpected problems: {problems:?}"
    );
    Ok(provider
        .plan(PlanRequest {
            type_name: type_name.to_owned(),
            prior: prior.cloned(),
            config: config.clone(),
        })
        .await?)
}

/// Checks that `applied` is wholly known and agrees with every known planned value.
pub fn assert_matches_plan(planned: &Value, applied: &Value) {
    assert!(
        applied.is_wholly_known(),
        "applied object has unknowns: {applied}"
    );
    let Some(planned_attrs) = planned.as_entries() else {
        panic!("planned value is not an object: {planned}");
    };
    for (name, value) in planned_attrs {
        if value.is_wholly_known() {
            assert_eq!(
                applied.get(name).and_then(|a| a.equals(value)),
                Some(true),
                "`{name}` was planned as {} but applied as {:?}",
                value.revealed(),
                applied.get(name).map(|v| v.revealed().to_string())
            );
        }
    }
}

/// Plans and creates an object from `config`.
pub async fn create(
    provider: &dyn ConfiguredProvider,
    type_name: &str,
    config: &Value,
) -> Result<Value, Box<dyn Error>> {
    let response = plan(provider, type_name, None, config).await?;
    assert!(response.requires_replace.is_empty());
    let applied = provider.create(type_name, &response.planned).await?;
    assert_matches_plan(&response.planned, &applied);
    Ok(applied)
}

/// What the engine would do with a plan against existing `prior`.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    NoOp,
    Update,
    Replace(Vec<String>),
}

pub async fn action(
    provider: &dyn ConfiguredProvider,
    type_name: &str,
    prior: &Value,
    config: &Value,
) -> Result<(Action, PlanResponse), Box<dyn Error>> {
    let response = plan(provider, type_name, Some(prior), config).await?;
    let action = if response.replaces() {
        Action::Replace(
            response
                .requires_replace
                .iter()
                .map(ToString::to_string)
                .collect(),
        )
    } else if response.planned.equals(prior) == Some(true) {
        Action::NoOp
    } else {
        Action::Update
    };
    Ok((action, response))
}
