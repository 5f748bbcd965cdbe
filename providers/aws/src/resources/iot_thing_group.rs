//! `aws_iot_thing_group`: `CreateThingGroup`, `DescribeThingGroup`, `UpdateThingGroup`
//! (description and attributes in place), `DeleteThingGroup`. The group's name is its id.

use std::sync::LazyLock;

use aic_lang::value::Value;
use aic_provider::{ProviderError, ResourceSchema};
use aic_provider_kit::{Attr, CloudType, CreateToken, Declare, Which, ID};
use async_trait::async_trait;
use aws_sdk_iot::types::{AttributePayload, ThingGroupProperties};

use crate::config::Service;
use crate::ec2::{aws_type, Aws};
use crate::error::service_error;
use crate::fields::{ARN, DESCRIPTION, NAME};
use crate::iot::{attributes_change, attributes_value, existing, one_by_one, ATTRIBUTES};

const PARENT_GROUP_NAME: Attr<String> = Attr::new("parent_group_name");

static SCHEMA: LazyLock<ResourceSchema> = LazyLock::new(|| {
    ResourceSchema::new(
        "A static AWS IoT thing group: the target of Greengrass deployments to a fleet. A \
         deployment to a parent group reaches the things of its child groups.",
    )
    .with(
        NAME.required()
            .force_new()
            .describe("The group's name, unique in the region; also its `id`."),
    )
    .with(
        PARENT_GROUP_NAME
            .optional()
            .force_new()
            .describe("The parent group, making this one a child group."),
    )
    .with(DESCRIPTION.optional().describe("The group's description."))
    .with(
        ATTRIBUTES
            .optional()
            .describe("Searchable attributes of the group; changed in place."),
    )
    .with(ID.computed().describe("The group's name."))
    .with(ARN.computed().describe("The group's ARN."))
});

pub(crate) struct AwsIotThingGroup;

fn properties(
    planned: &Value,
    prior: Option<&Value>,
) -> Result<ThingGroupProperties, ProviderError> {
    let attributes = match prior {
        Some(prior) => attributes_change(prior, planned)?,
        None => ATTRIBUTES
            .get(planned)?
            .unwrap_or_default()
            .into_iter()
            .collect(),
    };
    Ok(ThingGroupProperties::builder()
        .thing_group_description(DESCRIPTION.get(planned)?.unwrap_or_default())
        .attribute_payload(
            AttributePayload::builder()
                .set_attributes(Some(attributes))
                .merge(prior.is_some())
                .build(),
        )
        .build())
}

async fn describe_one(aws: &Aws, name: String) -> Result<Value, ProviderError> {
    let out = aws
        .iot
        .describe_thing_group()
        .thing_group_name(&name)
        .send()
        .await
        .map_err(|e| service_error(Service::Iot, "DescribeThingGroup", e))?;
    let properties = out.thing_group_properties();
    Ok(SCHEMA.instance([
        NAME.to(name.as_str()),
        PARENT_GROUP_NAME.text(
            out.thing_group_metadata()
                .and_then(|m| m.parent_group_name()),
        ),
        DESCRIPTION.text(properties.and_then(|p| p.thing_group_description())),
        attributes_value(
            properties
                .and_then(|p| p.attribute_payload())
                .and_then(|a| a.attributes()),
        ),
        ID.to(name.as_str()),
        ARN.text(out.thing_group_arn()),
    ]))
}

#[async_trait]
impl CloudType<Aws> for AwsIotThingGroup {
    aws_type!("aws_iot_thing_group", "thing group"; one by one);

    async fn find_id(
        &self,
        aws: &Aws,
        planned: &Value,
        _token: &CreateToken,
    ) -> Result<Option<String>, ProviderError> {
        existing(self, aws, NAME.require(planned)?).await
    }

    async fn create_call(
        &self,
        aws: &Aws,
        planned: &Value,
        _token: &CreateToken,
    ) -> Result<String, ProviderError> {
        let name = NAME.require(planned)?;
        aws.iot
            .create_thing_group()
            .thing_group_name(&name)
            .set_parent_group_name(PARENT_GROUP_NAME.get(planned)?)
            .thing_group_properties(properties(planned, None)?)
            .send()
            .await
            .map_err(|e| service_error(Service::Iot, "CreateThingGroup", e))?;
        Ok(name)
    }

    async fn describe(
        &self,
        aws: &Aws,
        which: Which<'_>,
    ) -> Result<Vec<(String, Value)>, ProviderError> {
        one_by_one(which, |id| describe_one(aws, id)).await
    }

    async fn change(
        &self,
        aws: &Aws,
        id: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<String, ProviderError> {
        aws.iot
            .update_thing_group()
            .thing_group_name(id)
            .thing_group_properties(properties(planned, Some(prior))?)
            .send()
            .await
            .map_err(|e| service_error(Service::Iot, "UpdateThingGroup", e))?;
        Ok(id.to_owned())
    }

    async fn delete_call(&self, aws: &Aws, id: &str, _: &Value) -> Result<(), ProviderError> {
        aws.iot
            .delete_thing_group()
            .thing_group_name(id)
            .send()
            .await
            .map_err(|e| service_error(Service::Iot, "DeleteThingGroup", e))?;
        Ok(())
    }
}
