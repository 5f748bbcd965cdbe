//! `aws_iot_thing_group`: `CreateThingGroup`, `DescribeThingGroup`, `UpdateThingGroup`
//! (the `properties` block in place), `DeleteThingGroup`. The group's name is its id. The
//! shape is Terraform's AWS provider's: `properties { description, attribute_payload {
//! attributes } }`, and a computed `version`.

use std::sync::LazyLock;

use aic_lang::types::Type;
use aic_lang::value::Value;
use aic_provider::{
    plan_resource, with_attributes, PlanRequest, PlanResponse, ProviderError, ResourceSchema,
};
use aic_provider_kit::{Attr, Block, CloudType, CreateToken, Declare, Which, ID};
use async_trait::async_trait;
use aws_sdk_iot::types::{AttributePayload, ThingGroupProperties};

use crate::config::Service;
use crate::ec2::{aws_type, Aws};
use crate::error::service_error;
use crate::fields::{ARN, DESCRIPTION, NAME};
use crate::iot::{attributes_change, attributes_value, existing, one_by_one, ATTRIBUTES};

const PARENT_GROUP_NAME: Attr<String> = Attr::new("parent_group_name");
const PROPERTIES: Block = Block::new("properties");
const ATTRIBUTE_PAYLOAD: Block = Block::new("attribute_payload");
const VERSION: Attr<i64> = Attr::new("version");

static SCHEMA: LazyLock<ResourceSchema> = LazyLock::new(|| {
    let payload = ResourceSchema::new("The group's searchable attributes.").with(
        ATTRIBUTES
            .optional()
            .describe("Searchable attributes of the group; changed in place."),
    );
    let properties = ResourceSchema::new("The group's properties; changed in place.")
        .with(DESCRIPTION.optional().describe("The group's description."))
        .with_block(ATTRIBUTE_PAYLOAD.single(payload).max_items(1));
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
    .with_block(PROPERTIES.single(properties).max_items(1))
    .with(ID.computed().describe("The group's name."))
    .with(ARN.computed().describe("The group's ARN."))
    .with(
        VERSION
            .computed()
            .describe("The group's version, raised by each update."),
    )
});

pub(crate) struct AwsIotThingGroup;

/// The `properties` block of `object`, if set.
fn properties_block(object: &Value) -> Option<&Value> {
    PROPERTIES.items(object).into_iter().find(|v| !v.is_null())
}

/// The `attribute_payload` block inside `object`'s `properties` (null when absent): the
/// object `ATTRIBUTES` is read from.
fn payload(object: &Value) -> Value {
    properties_block(object)
        .and_then(|p| {
            ATTRIBUTE_PAYLOAD
                .items(p)
                .into_iter()
                .find(|v| !v.is_null())
        })
        .cloned()
        .unwrap_or_else(Value::null)
}

fn properties(
    planned: &Value,
    prior: Option<&Value>,
) -> Result<ThingGroupProperties, ProviderError> {
    let attributes = match prior {
        Some(prior) => attributes_change(&payload(prior), &payload(planned))?,
        None => ATTRIBUTES
            .get(&payload(planned))?
            .unwrap_or_default()
            .into_iter()
            .collect(),
    };
    let description = match properties_block(planned) {
        Some(p) => DESCRIPTION.get(p)?,
        None => None,
    };
    Ok(ThingGroupProperties::builder()
        .thing_group_description(description.unwrap_or_default())
        .attribute_payload(
            AttributePayload::builder()
                .set_attributes(Some(attributes))
                .merge(prior.is_some())
                .build(),
        )
        .build())
}

/// The `properties` block of what IoT answers: null when the group has neither a
/// description nor attributes (as a configuration without the block has).
fn properties_value(p: Option<&ThingGroupProperties>) -> Value {
    let description = p
        .and_then(ThingGroupProperties::thing_group_description)
        .filter(|d| !d.is_empty());
    let (name, attributes) = attributes_value(
        p.and_then(ThingGroupProperties::attribute_payload)
            .and_then(AttributePayload::attributes),
    );
    if description.is_none() && attributes.is_null() {
        return Value::null();
    }
    let payload = if attributes.is_null() {
        Value::null()
    } else {
        Value::object([(name, attributes)])
    };
    Value::object([
        DESCRIPTION.text(description),
        (ATTRIBUTE_PAYLOAD.name(), payload),
    ])
}

async fn describe_one(aws: &Aws, name: String) -> Result<Value, ProviderError> {
    let out = aws
        .iot
        .describe_thing_group()
        .thing_group_name(&name)
        .send()
        .await
        .map_err(|e| service_error(Service::Iot, "DescribeThingGroup", e))?;
    Ok(SCHEMA.instance([
        NAME.to(name.as_str()),
        PARENT_GROUP_NAME.text(
            out.thing_group_metadata()
                .and_then(|m| m.parent_group_name()),
        ),
        (
            PROPERTIES.name(),
            properties_value(out.thing_group_properties()),
        ),
        ID.to(name.as_str()),
        ARN.text(out.thing_group_arn()),
        VERSION.to(out.version()),
    ]))
}

#[async_trait]
impl CloudType<Aws> for AwsIotThingGroup {
    aws_type!("aws_iot_thing_group", "thing group"; one by one);

    /// The schema-driven plan; an update raises the group's version, known after apply.
    async fn plan(
        &self,
        _: &Aws,
        schema: &ResourceSchema,
        request: PlanRequest,
    ) -> Result<PlanResponse, ProviderError> {
        let mut response = plan_resource(schema, &request)?;
        if let Some(prior) = &request.prior {
            let changed = prior.get(PROPERTIES.name()) != response.planned.get(PROPERTIES.name());
            if changed && !response.replaces() {
                response.planned = with_attributes(
                    &response.planned,
                    [(VERSION.name(), Value::unknown(Type::Number))],
                );
            }
        }
        Ok(response)
    }

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
