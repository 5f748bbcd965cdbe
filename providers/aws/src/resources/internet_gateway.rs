//! `aws_internet_gateway`: `CreateInternetGateway` and attachment to `vpc_id`; a change of
//! `vpc_id` detaches and attaches in place; deletion detaches first.

use std::sync::LazyLock;

use aic_lang::value::Value;
use aic_provider::{ProviderError, ResourceSchema};
use aic_provider_kit::{CloudType, Context, CreateToken, Declare, Which, ID};
use async_trait::async_trait;
use aws_sdk_ec2::types::{InternetGateway, ResourceType};

use crate::ec2::{answered, aws_type, created, described, send_once, Aws, Found};
use crate::error::{api_error, reference_not_found};
use crate::fields::{tagged, ARN, OWNER_ID, VPC_ID};
use crate::tags;
use crate::values::arn;

static SCHEMA: LazyLock<ResourceSchema> = LazyLock::new(|| {
    tagged(
        ResourceSchema::new(
            "A gateway between a VPC and the internet. Changing `vpc_id` detaches it and \
             attaches it to the new VPC.",
        )
        .with(
            VPC_ID
                .optional()
                .describe("The VPC to attach the gateway to; detached when left out."),
        ),
        true,
    )
});

pub(crate) struct AwsInternetGateway;

#[async_trait]
impl CloudType<Aws> for AwsInternetGateway {
    aws_type!("aws_internet_gateway", "internet gateway");

    async fn create_call(
        &self,
        ec2: &Aws,
        planned: &Value,
        token: &CreateToken,
    ) -> Result<String, ProviderError> {
        let out = send_once!(ec2.client.create_internet_gateway().set_tag_specifications(
            tags::creating(ResourceType::InternetGateway, planned, token,)?
        ))
        .map_err(|e| api_error("CreateInternetGateway", e))?;
        created(
            "CreateInternetGateway",
            "InternetGatewayId",
            out.internet_gateway()
                .and_then(InternetGateway::internet_gateway_id),
        )
    }

    async fn complete(&self, ec2: &Aws, id: &str, planned: &Value) -> Result<(), ProviderError> {
        match VPC_ID.get(planned)? {
            Some(vpc) => attach(ec2, id, &vpc).await,
            None => Ok(()),
        }
    }

    async fn describe(&self, ec2: &Aws, which: Which<'_>) -> Found {
        described!(ec2, which, "DescribeInternetGateways": describe_internet_gateways("internet-gateway-id") => internet_gateways.internet_gateway_id, value)
    }

    async fn change(
        &self,
        ec2: &Aws,
        id: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<String, ProviderError> {
        let before = VPC_ID.get(prior)?;
        let after = VPC_ID.get(planned)?;
        if before != after {
            if let Some(vpc) = &before {
                detach(ec2, id, vpc).await?;
            }
            if let Some(vpc) = &after {
                attach(ec2, id, vpc).await?;
            }
        }
        tags::update(ec2, id, prior, planned).await?;
        Ok(id.to_owned())
    }

    /// Detaches the gateway first.
    async fn delete_call(&self, ec2: &Aws, id: &str, object: &Value) -> Result<(), ProviderError> {
        if let Some(vpc) = VPC_ID.get(object)? {
            detach(ec2, id, &vpc).await?;
        }
        answered(
            "DeleteInternetGateway",
            ec2.client
                .delete_internet_gateway()
                .internet_gateway_id(id)
                .send()
                .await,
        )
    }
}

async fn attach(ec2: &Aws, id: &str, vpc: &str) -> Result<(), ProviderError> {
    ec2.client
        .attach_internet_gateway()
        .internet_gateway_id(id)
        .vpc_id(vpc)
        .send()
        .await
        .map_err(|e| reference_not_found(api_error("AttachInternetGateway", e)))?;
    Ok(())
}

/// Detaches the gateway from `vpc`; one already detached is fine.
async fn detach(ec2: &Aws, id: &str, vpc: &str) -> Result<(), ProviderError> {
    let detached = ec2
        .timing()
        .waiter(format!("internet gateway {id} to be detachable"))
        .delete(|| async move {
            ec2.client
                .detach_internet_gateway()
                .internet_gateway_id(id)
                .vpc_id(vpc)
                .send()
                .await
                .map_err(|e| api_error("DetachInternetGateway", e))
        })
        .await;
    match detached {
        Err(e) if e.cloud().is_some_and(|c| c.code == "Gateway.NotAttached") => Ok(()),
        other => other,
    }
}

/// A gateway's value: the VPC of its (first) attachment, its tags and ids.
fn value(ec2: &Aws, gateway: &InternetGateway, id: &str) -> Value {
    let vpc = gateway.attachments().iter().find_map(|a| a.vpc_id());
    SCHEMA.instance([
        VPC_ID.text(vpc),
        tags::value(gateway.tags()),
        ID.to(id),
        (
            ARN.name(),
            arn(&ec2.region, gateway.owner_id(), "internet-gateway", id),
        ),
        OWNER_ID.text(gateway.owner_id()),
    ])
}
