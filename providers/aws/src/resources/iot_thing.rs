//! `aws_iot_thing`: `CreateThing`, `DescribeThing`, `UpdateThing` (attributes in place),
//! `DeleteThing`. The thing's name is its id; a Greengrass core device is the thing of
//! the same name.

use std::sync::LazyLock;

use aic_lang::value::Value;
use aic_provider::{ProviderError, ResourceSchema};
use aic_provider_kit::{Attr, CloudType, CreateToken, Declare, Which, ID};
use async_trait::async_trait;
use aws_sdk_iot::types::AttributePayload;

use crate::config::Service;
use crate::ec2::{aws_type, Aws};
use crate::error::service_error;
use crate::fields::{ARN, NAME};
use crate::iot::{attributes_change, attributes_value, existing, one_by_one, ATTRIBUTES};

const DEFAULT_CLIENT_ID: Attr<String> = Attr::new("default_client_id");

static SCHEMA: LazyLock<ResourceSchema> = LazyLock::new(|| {
    ResourceSchema::new(
        "An AWS IoT thing: a device, such as a Greengrass core device (whose name is its \
         thing's). Put it in thing groups with `aws_iot_thing_group_membership`.",
    )
    .with(
        NAME.required()
            .force_new()
            .describe("The thing's name, unique in the region; also its `id`."),
    )
    .with(
        ATTRIBUTES
            .optional()
            .describe("Searchable attributes of the thing; changed in place."),
    )
    .with(ID.computed().describe("The thing's name."))
    .with(ARN.computed().describe("The thing's ARN."))
    .with(
        DEFAULT_CLIENT_ID
            .computed()
            .describe("The MQTT client id the thing connects with by default."),
    )
});

pub(crate) struct AwsIotThing;

async fn describe_one(aws: &Aws, name: String) -> Result<Value, ProviderError> {
    let out = aws
        .iot
        .describe_thing()
        .thing_name(&name)
        .send()
        .await
        .map_err(|e| service_error(Service::Iot, "DescribeThing", e))?;
    Ok(SCHEMA.instance([
        NAME.to(name.as_str()),
        attributes_value(out.attributes()),
        ID.to(name.as_str()),
        ARN.text(out.thing_arn()),
        DEFAULT_CLIENT_ID.text(out.default_client_id()),
    ]))
}

#[async_trait]
impl CloudType<Aws> for AwsIotThing {
    aws_type!("aws_iot_thing", "thing"; one by one);

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
        let attributes = ATTRIBUTES.get(planned)?.unwrap_or_default();
        aws.iot
            .create_thing()
            .thing_name(&name)
            .attribute_payload(
                AttributePayload::builder()
                    .set_attributes(Some(attributes.into_iter().collect()))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| service_error(Service::Iot, "CreateThing", e))?;
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
            .update_thing()
            .thing_name(id)
            .attribute_payload(
                AttributePayload::builder()
                    .set_attributes(Some(attributes_change(prior, planned)?))
                    .merge(true)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| service_error(Service::Iot, "UpdateThing", e))?;
        Ok(id.to_owned())
    }

    async fn delete_call(&self, aws: &Aws, id: &str, _: &Value) -> Result<(), ProviderError> {
        aws.iot
            .delete_thing()
            .thing_name(id)
            .send()
            .await
            .map_err(|e| service_error(Service::Iot, "DeleteThing", e))?;
        Ok(())
    }
}
