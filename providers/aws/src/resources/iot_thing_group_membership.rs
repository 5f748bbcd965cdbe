//! `aws_iot_thing_group_membership`: a thing in a static thing group
//! (`AddThingToThingGroup`, read with `ListThingGroupsForThing`,
//! `RemoveThingFromThingGroup`). Its id is `GROUP/THING`, as in Terraform.

use std::sync::LazyLock;

use aic_lang::value::Value;
use aic_provider::{ProviderError, ResourceSchema};
use aic_provider_kit::{Attr, CloudType, CreateToken, Declare, Which, ID};
use async_trait::async_trait;

use crate::config::Service;
use crate::ec2::{aws_type, Aws};
use crate::error::{reference_not_found, service_error};
use crate::iot::{existing, one_by_one};

const THING_NAME: Attr<String> = Attr::new("thing_name");
const THING_GROUP_NAME: Attr<String> = Attr::new("thing_group_name");

static SCHEMA: LazyLock<ResourceSchema> = LazyLock::new(|| {
    ResourceSchema::new(
        "A thing's membership of a static thing group: Greengrass deployments to the \
         group reach the thing's core device.",
    )
    .with(THING_NAME.required().force_new().describe("The thing."))
    .with(
        THING_GROUP_NAME
            .required()
            .force_new()
            .describe("The thing group."),
    )
    .with(ID.computed().describe("`GROUP/THING`."))
});

pub(crate) struct AwsIotThingGroupMembership;

fn id_of(planned: &Value) -> Result<String, ProviderError> {
    Ok(format!(
        "{}/{}",
        THING_GROUP_NAME.require(planned)?,
        THING_NAME.require(planned)?
    ))
}

fn split(id: &str) -> Result<(&str, &str), ProviderError> {
    id.split_once('/').ok_or_else(|| {
        ProviderError::invalid_config(format!(
            "`{id}` is not a thing group membership id: expected `GROUP/THING`"
        ))
    })
}

/// The membership `id`, when the thing is in the group.
async fn describe_one(aws: &Aws, id: String) -> Result<Value, ProviderError> {
    let (group, thing) = split(&id)?;
    let mut pages = aws
        .iot
        .list_thing_groups_for_thing()
        .thing_name(thing)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| service_error(Service::Iot, "ListThingGroupsForThing", e))?;
        if page
            .thing_groups()
            .iter()
            .any(|g| g.group_name() == Some(group))
        {
            return Ok(SCHEMA.instance([
                THING_NAME.to(thing),
                THING_GROUP_NAME.to(group),
                ID.to(id.as_str()),
            ]));
        }
    }
    Err(ProviderError::not_found(format!(
        "thing {thing} is not in thing group {group}"
    )))
}

#[async_trait]
impl CloudType<Aws> for AwsIotThingGroupMembership {
    aws_type!("aws_iot_thing_group_membership", "thing group membership"; one by one);

    async fn find_id(
        &self,
        aws: &Aws,
        planned: &Value,
        _token: &CreateToken,
    ) -> Result<Option<String>, ProviderError> {
        existing(self, aws, id_of(planned)?).await
    }

    async fn create_call(
        &self,
        aws: &Aws,
        planned: &Value,
        _token: &CreateToken,
    ) -> Result<String, ProviderError> {
        aws.iot
            .add_thing_to_thing_group()
            .thing_group_name(THING_GROUP_NAME.require(planned)?)
            .thing_name(THING_NAME.require(planned)?)
            .send()
            .await
            .map_err(|e| {
                reference_not_found(service_error(Service::Iot, "AddThingToThingGroup", e))
            })?;
        id_of(planned)
    }

    async fn describe(
        &self,
        aws: &Aws,
        which: Which<'_>,
    ) -> Result<Vec<(String, Value)>, ProviderError> {
        one_by_one(which, |id| describe_one(aws, id)).await
    }

    /// Every argument forces a new membership.
    async fn change(
        &self,
        _aws: &Aws,
        id: &str,
        _prior: &Value,
        _planned: &Value,
    ) -> Result<String, ProviderError> {
        Ok(id.to_owned())
    }

    async fn delete_call(&self, aws: &Aws, id: &str, _: &Value) -> Result<(), ProviderError> {
        let (group, thing) = split(id)?;
        aws.iot
            .remove_thing_from_thing_group()
            .thing_group_name(group)
            .thing_name(thing)
            .send()
            .await
            .map_err(|e| service_error(Service::Iot, "RemoveThingFromThingGroup", e))?;
        Ok(())
    }
}
