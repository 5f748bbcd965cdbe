//! The `tags` attribute every resource has: as a tag specification at creation (with the
//! create's token, [`TOKEN_TAG`]), read back from the API (AWS's own `aws:` tags and aic's
//! `aic:` tags are left out), and changed in place with `CreateTags` / `DeleteTags`.

use aic_lang::value::Value;
use aic_provider::ProviderError;
use aic_provider_kit::CreateToken;
use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
use indexmap::IndexMap;

use crate::ec2::{Aws, TOKEN_TAG};
use crate::error::api_error;
use crate::fields::TAGS;

/// The configured tags of `object`, sorted by key; empty when none.
pub fn configured(object: &Value) -> Result<IndexMap<String, String>, ProviderError> {
    let mut tags = TAGS.get(object)?.unwrap_or_default();
    tags.sort_keys();
    Ok(tags)
}

/// The tag specification that creates `object`'s tags, and the create's token, with the
/// object itself.
pub fn creating(
    resource_type: ResourceType,
    object: &Value,
    token: &CreateToken,
) -> Result<Option<Vec<TagSpecification>>, ProviderError> {
    let mut tags = configured(object)?;
    tags.insert(TOKEN_TAG.to_owned(), token.as_str().to_owned());
    Ok(Some(vec![TagSpecification::builder()
        .resource_type(resource_type)
        .set_tags(Some(to_api(&tags)))
        .build()]))
}

fn to_api(tags: &IndexMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// The `tags` attribute of an object AWS describes: a map sorted by key, or null when it
/// has none (so that an object without tags matches a configuration without `tags`).
pub fn value(tags: &[Tag]) -> (&'static str, Value) {
    let mut entries: Vec<(&str, &str)> = tags
        .iter()
        .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default())))
        .filter(|(k, _)| !k.starts_with("aws:") && !k.starts_with("aic:"))
        .collect();
    if entries.is_empty() {
        return TAGS.null();
    }
    entries.sort_unstable();
    (
        TAGS.name(),
        Value::map(entries.into_iter().map(|(k, v)| (k, Value::string(v)))),
    )
}

/// Makes the tags of object `id` go from `prior`'s to `planned`'s: one `DeleteTags` for
/// the keys that went away, one `CreateTags` for the new and changed ones.
pub async fn update(
    ec2: &Aws,
    id: &str,
    prior: &Value,
    planned: &Value,
) -> Result<(), ProviderError> {
    let before = configured(prior)?;
    let after = configured(planned)?;
    let removed: Vec<Tag> = before
        .keys()
        .filter(|k| !after.contains_key(*k))
        .map(|k| Tag::builder().key(k).build())
        .collect();
    let changed: IndexMap<String, String> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !removed.is_empty() {
        ec2.client
            .delete_tags()
            .resources(id)
            .set_tags(Some(removed))
            .send()
            .await
            .map_err(|e| api_error("DeleteTags", e))?;
    }
    if !changed.is_empty() {
        ec2.client
            .create_tags()
            .resources(id)
            .set_tags(Some(to_api(&changed)))
            .send()
            .await
            .map_err(|e| api_error("CreateTags", e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_skip_aws_tags_and_sort() {
        let tags = [
            Tag::builder().key("b").value("2").build(),
            Tag::builder()
                .key("aws:cloudformation:stack")
                .value("x")
                .build(),
            Tag::builder().key(TOKEN_TAG).value("t").build(),
            Tag::builder().key("a").value("1").build(),
        ];
        assert_eq!(value(&tags).1.to_string(), r#"{ a = "1", b = "2" }"#);
        assert!(value(&[]).1.is_null());
    }
}
