//! `aws_subnet`: `CreateSubnet`, `map_public_ip_on_launch` through
//! `ModifySubnetAttribute`, bulk reads with `DescribeSubnets`.

use std::sync::LazyLock;

use aic_lang::value::Value;
use aic_provider::{ProviderError, ResourceSchema};
use aic_provider_kit::{Attr, CloudType, CreateToken, Declare, Which, ID};
use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, Subnet};

use crate::ec2::{answered, aws_type, created, described, send_once, Aws, Found};
use crate::error::{api_error, reference_not_found};
use crate::fields::{tagged, ARN, AVAILABILITY_ZONE, CIDR_BLOCK, OWNER_ID, VPC_ID};
use crate::tags;
use crate::values::arn;

const MAP_PUBLIC_IP_ON_LAUNCH: Attr<bool> = Attr::new("map_public_ip_on_launch");
const AVAILABILITY_ZONE_ID: Attr<String> = Attr::new("availability_zone_id");

static SCHEMA: LazyLock<ResourceSchema> = LazyLock::new(|| {
    let schema = ResourceSchema::new("A range of a VPC's addresses in one availability zone.")
        .with(
            VPC_ID
                .required()
                .force_new()
                .describe("The VPC the subnet belongs to."),
        )
        .with(
            CIDR_BLOCK
                .required()
                .force_new()
                .describe("The IPv4 range, inside the VPC's."),
        )
        .with(
            AVAILABILITY_ZONE
                .optional_computed()
                .force_new()
                .describe("The zone, e.g. `eu-west-1a`; AWS picks one when left out."),
        )
        .with(
            MAP_PUBLIC_IP_ON_LAUNCH
                .optional()
                .default_value(false)
                .describe("Whether instances launched here get a public IPv4 address."),
        );
    tagged(schema, true).with(
        AVAILABILITY_ZONE_ID
            .computed()
            .describe("The zone's account-independent id, e.g. `euw1-az1`."),
    )
});

pub(crate) struct AwsSubnet;

#[async_trait]
impl CloudType<Aws> for AwsSubnet {
    aws_type!("aws_subnet", "subnet");

    async fn create_call(
        &self,
        ec2: &Aws,
        planned: &Value,
        token: &CreateToken,
    ) -> Result<String, ProviderError> {
        let out = send_once!(ec2
            .client
            .create_subnet()
            .vpc_id(VPC_ID.require(planned)?)
            .cidr_block(CIDR_BLOCK.require(planned)?)
            .set_availability_zone(AVAILABILITY_ZONE.get(planned)?)
            .set_tag_specifications(tags::creating(ResourceType::Subnet, planned, token)?))
        .map_err(|e| reference_not_found(api_error("CreateSubnet", e)))?;
        created(
            "CreateSubnet",
            "SubnetId",
            out.subnet().and_then(Subnet::subnet_id),
        )
    }

    async fn complete(&self, ec2: &Aws, id: &str, planned: &Value) -> Result<(), ProviderError> {
        set_public_ip(ec2, id, false, planned).await
    }

    async fn describe(&self, ec2: &Aws, which: Which<'_>) -> Found {
        described!(ec2, which, "DescribeSubnets": describe_subnets("subnet-id") => subnets.subnet_id, value)
    }

    async fn change(
        &self,
        ec2: &Aws,
        id: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<String, ProviderError> {
        let current = MAP_PUBLIC_IP_ON_LAUNCH.or(prior, false)?;
        set_public_ip(ec2, id, current, planned).await?;
        tags::update(ec2, id, prior, planned).await?;
        Ok(id.to_owned())
    }

    async fn delete_call(&self, ec2: &Aws, id: &str, _: &Value) -> Result<(), ProviderError> {
        answered(
            "DeleteSubnet",
            ec2.client.delete_subnet().subnet_id(id).send().await,
        )
    }
}

async fn set_public_ip(
    ec2: &Aws,
    id: &str,
    current: bool,
    planned: &Value,
) -> Result<(), ProviderError> {
    let wanted = MAP_PUBLIC_IP_ON_LAUNCH.or(planned, false)?;
    if wanted == current {
        return Ok(());
    }
    ec2.client
        .modify_subnet_attribute()
        .subnet_id(id)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(wanted).build())
        .send()
        .await
        .map_err(|e| api_error("ModifySubnetAttribute", e))?;
    Ok(())
}

fn value(ec2: &Aws, subnet: &Subnet, id: &str) -> Value {
    let arn = match subnet.subnet_arn() {
        Some(a) if !a.is_empty() => Value::string(a),
        _ => arn(&ec2.region, subnet.owner_id(), "subnet", id),
    };
    SCHEMA.instance([
        VPC_ID.text(subnet.vpc_id()),
        CIDR_BLOCK.text(subnet.cidr_block()),
        AVAILABILITY_ZONE.text(subnet.availability_zone()),
        MAP_PUBLIC_IP_ON_LAUNCH.to(subnet.map_public_ip_on_launch().unwrap_or(false)),
        tags::value(subnet.tags()),
        ID.to(id),
        (ARN.name(), arn),
        OWNER_ID.text(subnet.owner_id()),
        AVAILABILITY_ZONE_ID.text(subnet.availability_zone_id()),
    ])
}
