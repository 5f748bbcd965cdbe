//! What the Greengrass V2 types share: tags (AWS's `aws:` and aic's `aic:` keys hidden),
//! the paged listings, the ARNs the service does not answer.

use std::collections::HashMap;

use aic_lang::value::Value;
use aic_provider::ProviderError;
use indexmap::IndexMap;

use crate::config::Service;
use crate::ec2::Aws;
use crate::error::service_error;
use crate::fields::TAGS;

/// The `tags` value of what the service answers: sorted, null when none.
pub(crate) fn tags_value(tags: Option<&HashMap<String, String>>) -> (&'static str, Value) {
    let mut entries: Vec<(&String, &String)> = tags
        .into_iter()
        .flatten()
        .filter(|(k, _)| !k.starts_with("aws:") && !k.starts_with("aic:"))
        .collect();
    if entries.is_empty() {
        return TAGS.null();
    }
    entries.sort();
    (
        TAGS.name(),
        Value::map(
            entries
                .into_iter()
                .map(|(k, v)| (k.clone(), Value::string(v.clone()))),
        ),
    )
}

/// The configured tags of `object`.
pub(crate) fn configured_tags(object: &Value) -> Result<HashMap<String, String>, ProviderError> {
    Ok(TAGS
        .get(object)?
        .unwrap_or_else(IndexMap::new)
        .into_iter()
        .collect())
}

/// Makes the tags of Greengrass object `arn` go from `prior`'s to `planned`'s
/// (`UntagResource`, `TagResource`).
pub(crate) async fn update_tags(
    aws: &Aws,
    arn: &str,
    prior: &Value,
    planned: &Value,
) -> Result<(), ProviderError> {
    let before = configured_tags(prior)?;
    let after = configured_tags(planned)?;
    let removed: Vec<String> = before
        .keys()
        .filter(|k| !after.contains_key(*k))
        .cloned()
        .collect();
    let changed: HashMap<String, String> = after
        .into_iter()
        .filter(|(k, v)| before.get(k) != Some(v))
        .collect();
    if !removed.is_empty() {
        aws.greengrass
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(|e| service_error(Service::GreengrassV2, "UntagResource", e))?;
    }
    if !changed.is_empty() {
        aws.greengrass
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(changed))
            .send()
            .await
            .map_err(|e| service_error(Service::GreengrassV2, "TagResource", e))?;
    }
    Ok(())
}

/// The ARN of the private component `name`, when it exists (`ListComponents`).
pub(crate) async fn component_arn(aws: &Aws, name: &str) -> Result<Option<String>, ProviderError> {
    let mut pages = aws
        .greengrass
        .list_components()
        .scope(aws_sdk_greengrassv2::types::ComponentVisibilityScope::Private)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| service_error(Service::GreengrassV2, "ListComponents", e))?;
        if let Some(found) = page
            .components()
            .iter()
            .find(|c| c.component_name() == Some(name))
        {
            return Ok(found.arn().map(str::to_owned));
        }
    }
    Ok(None)
}
