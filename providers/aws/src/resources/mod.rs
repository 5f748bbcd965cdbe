//! One module per resource type: `create`, `read_many`, `update` and `delete` on the EC2
//! API. Each module turns API objects into values shaped by its schema
//! ([`crate::schema`]) and back; what they share is here.
//!
//! Reads are bulk: a module's `read_many` describes all the objects it is given with one
//! paged call per [`IDS_PER_CALL`](crate::ec2::IDS_PER_CALL) ids, filtering by id so that
//! objects that are gone are simply missing (`None`) instead of failing the whole call.

use std::collections::HashMap;

use aic_lang::value::Value;
use aic_provider::ProviderError;
use aws_sdk_ec2::types::Filter;

use crate::ec2::{ids, IDS_PER_CALL};

pub mod instance;
pub mod internet_gateway;
pub mod launch_template;
pub mod route_table;
pub mod route_table_association;
pub mod security_group;
pub mod subnet;
pub mod vpc;

/// A `Describe*` filter.
pub(crate) fn filter<S: Into<String>>(name: &str, values: impl IntoIterator<Item = S>) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.into_iter().map(Into::into).collect()))
        .build()
}

/// The ids of `priors` that have one, in chunks of at most [`IDS_PER_CALL`].
pub(crate) fn id_chunks(priors: &[Value]) -> Vec<Vec<String>> {
    let wanted: Vec<String> = ids(priors).into_iter().filter_map(Result::ok).collect();
    wanted
        .chunks(IDS_PER_CALL)
        .map(<[String]>::to_vec)
        .collect()
}

/// One result per prior, in order: the object found under its id, `None` when none was
/// found, the error of the bulk read when it failed. `finish` completes a found object
/// from its prior (attributes the API does not return).
pub(crate) fn results(
    priors: &[Value],
    found: Result<HashMap<String, Value>, ProviderError>,
    finish: impl Fn(&Value, Value) -> Value,
) -> Vec<Result<Option<Value>, ProviderError>> {
    let found = match found {
        Ok(found) => found,
        Err(e) => return priors.iter().map(|_| Err(e.clone())).collect(),
    };
    priors
        .iter()
        .zip(ids(priors))
        .map(|(prior, id)| Ok(found.get(&id?).map(|v| finish(prior, v.clone()))))
        .collect()
}

/// `finish` for [`results`] when the API returns every attribute.
pub(crate) fn as_found(_prior: &Value, found: Value) -> Value {
    found
}
