//! What the engine does with a provider, in small steps, for providers' own tests:
//! validate and plan, create, the action a plan means, reading back. Each step checks the
//! provider contract on the way (no validation errors, applied objects wholly known and
//! keeping what was planned, no drift right after apply).

use std::error::Error;

use aic_lang::value::Value;
use aic_provider::{ConfiguredProvider, PlanRequest, PlanResponse};

pub type TestResult = Result<(), Box<dyn Error>>;

/// An object value from attribute pairs.
pub fn object<const N: usize>(attrs: [(&str, Value); N]) -> Value {
    Value::object(attrs)
}

/// A map of strings.
pub fn string_map(entries: &[(&str, &str)]) -> Value {
    Value::map(entries.iter().map(|(k, v)| (*k, Value::string(*v))))
}

/// A list of strings.
pub fn strings(items: &[&str]) -> Value {
    Value::list(items.iter().map(|s| Value::string(*s)))
}

/// `object`'s string attribute `name`.
#[track_caller]
pub fn text(object: &Value, name: &str) -> String {
    object
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("`{name}` is not a string in {object}"))
        .to_owned()
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
#[track_caller]
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

/// Reads `applied` back and checks it is unchanged, and that planning `config` again
/// changes nothing (a refresh right after apply finds no drift).
pub async fn assert_no_drift(
    provider: &dyn ConfiguredProvider,
    type_name: &str,
    applied: &Value,
    config: &Value,
) -> TestResult {
    let read = provider
        .read(type_name, applied)
        .await?
        .ok_or("the object is gone right after apply")?;
    assert_eq!(
        read.equals(applied),
        Some(true),
        "read back {read}\nafter apply {applied}"
    );
    let (action, _) = action(provider, type_name, &read, config).await?;
    assert_eq!(
        action,
        Action::NoOp,
        "planning the same configuration again"
    );
    Ok(())
}
