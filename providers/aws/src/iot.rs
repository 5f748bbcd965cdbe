//! What the AWS IoT types share: objects named by the configuration (a thing, a thing
//! group), found again by that name after a lost create answer, described one by one (IoT
//! has no bulk describe), and their `attributes` maps, whose removed keys IoT drops when
//! they are sent empty with `merge`.

use std::collections::HashMap;
use std::future::Future;

use aic_lang::value::Value;
use aic_provider::ProviderError;
use aic_provider_kit::wait::gone_as_none;
use aic_provider_kit::{Attr, CloudType, Which};
use indexmap::IndexMap;

use crate::ec2::Aws;

/// The `attributes` of an IoT object.
pub(crate) const ATTRIBUTES: Attr<IndexMap<String, String>> = Attr::new("attributes");

/// The objects `which` selects by id that exist, each with its id and its value, for
/// APIs that describe one object at a time: `describe` reads one (a `NotFound` error: it
/// is gone, and simply missing). Objects are never selected by token here (the types
/// that use this find a lost create's object by name).
pub(crate) async fn one_by_one<F, Fut>(
    which: Which<'_>,
    describe: F,
) -> Result<Vec<(String, Value)>, ProviderError>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<Value, ProviderError>>,
{
    let Which::Ids(names) = which else {
        return Ok(Vec::new());
    };
    let mut found = Vec::new();
    for name in names {
        if let Some(value) = gone_as_none(describe(name.clone()).await)? {
            found.push((name.clone(), value));
        }
    }
    Ok(found)
}

/// The `attributes` value of what IoT answers: sorted, empty values left out (IoT removes
/// them), null when none.
pub(crate) fn attributes_value(
    attributes: Option<&HashMap<String, String>>,
) -> (&'static str, Value) {
    let mut entries: Vec<(&String, &String)> = attributes
        .into_iter()
        .flatten()
        .filter(|(_, v)| !v.is_empty())
        .collect();
    if entries.is_empty() {
        return ATTRIBUTES.null();
    }
    entries.sort();
    (
        ATTRIBUTES.name(),
        Value::map(
            entries
                .into_iter()
                .map(|(k, v)| (k.clone(), Value::string(v.clone()))),
        ),
    )
}

/// The attributes to send to go from `prior`'s to `planned`'s with `merge`: the planned
/// ones, and each removed key with an empty value (how IoT removes an attribute).
pub(crate) fn attributes_change(
    prior: &Value,
    planned: &Value,
) -> Result<HashMap<String, String>, ProviderError> {
    let before = ATTRIBUTES.get(prior)?.unwrap_or_default();
    let after = ATTRIBUTES.get(planned)?.unwrap_or_default();
    let mut sent: HashMap<String, String> = after.into_iter().collect();
    for key in before.keys() {
        sent.entry(key.clone()).or_default();
    }
    Ok(sent)
}

/// The id of the object named `name` if it exists: how an IoT type finds the object of a
/// lost create answer, IoT names being unique in a region.
pub(crate) async fn existing<T: CloudType<Aws>>(
    kind: &T,
    aws: &Aws,
    name: String,
) -> Result<Option<String>, ProviderError> {
    let found = kind
        .describe(aws, Which::Ids(std::slice::from_ref(&name)))
        .await?;
    Ok(found.into_iter().next().map(|(id, _)| id))
}
