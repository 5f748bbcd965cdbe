//! `aws_vpc`: `CreateVpc`, the two DNS attributes through `ModifyVpcAttribute`, and a bulk
//! read that also finds the default security group, main route table and default network
//! ACL of every VPC with one call each.

use std::collections::HashMap;
use std::sync::LazyLock;

use aic_lang::value::Value;
use aic_provider::{ProviderError, ResourceSchema};
use aic_provider_kit::wait::gone_as_none;
use aic_provider_kit::{Attr, CloudType, CreateToken, Declare, Which, ID};
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, Filter, ResourceType, Tenancy, Vpc, VpcAttributeName,
};

use crate::ec2::{answered, aws_type, created, filter, pages, send_once, which_filter, Aws, Found};
use crate::error::api_error;
use crate::fields::{tagged, ARN, CIDR_BLOCK, OWNER_ID};
use crate::tags;
use crate::values::arn;

const INSTANCE_TENANCY: Attr<String> = Attr::new("instance_tenancy");
const ENABLE_DNS_SUPPORT: Attr<bool> = Attr::new("enable_dns_support");
const ENABLE_DNS_HOSTNAMES: Attr<bool> = Attr::new("enable_dns_hostnames");
const DEFAULT_SECURITY_GROUP_ID: Attr<String> = Attr::new("default_security_group_id");
const MAIN_ROUTE_TABLE_ID: Attr<String> = Attr::new("main_route_table_id");
const DEFAULT_NETWORK_ACL_ID: Attr<String> = Attr::new("default_network_acl_id");

static SCHEMA: LazyLock<ResourceSchema> = LazyLock::new(|| {
    let schema = ResourceSchema::new("A virtual private cloud: an isolated network in one region.")
        .with(
            CIDR_BLOCK
                .required()
                .force_new()
                .describe("The IPv4 range of the VPC, e.g. `10.0.0.0/16`."),
        )
        .with(
            INSTANCE_TENANCY
                .optional()
                .of_type(aic_lang::types::Type::string_union([
                    "default",
                    "dedicated",
                ]))
                .default_value("default")
                .force_new()
                .describe("Whether instances run on shared or dedicated hardware."),
        )
        .with(
            ENABLE_DNS_SUPPORT
                .optional()
                .default_value(true)
                .describe("Whether the Amazon DNS server resolves names in the VPC."),
        )
        .with(
            ENABLE_DNS_HOSTNAMES
                .optional()
                .default_value(false)
                .describe("Whether instances with public addresses get public DNS names."),
        );
    tagged(schema, true)
        .with(
            DEFAULT_SECURITY_GROUP_ID
                .computed()
                .describe("The security group AWS created with the VPC."),
        )
        .with(
            MAIN_ROUTE_TABLE_ID
                .computed()
                .describe("The route table AWS created with the VPC."),
        )
        .with(
            DEFAULT_NETWORK_ACL_ID
                .computed()
                .describe("The network ACL AWS created with the VPC."),
        )
});

pub(crate) struct AwsVpc;

#[async_trait]
impl CloudType<Aws> for AwsVpc {
    aws_type!("aws_vpc", "VPC");

    async fn create_call(
        &self,
        ec2: &Aws,
        planned: &Value,
        token: &CreateToken,
    ) -> Result<String, ProviderError> {
        let tenancy = INSTANCE_TENANCY.or(planned, "default".to_owned())?;
        let out = send_once!(ec2
            .client
            .create_vpc()
            .cidr_block(CIDR_BLOCK.require(planned)?)
            .instance_tenancy(Tenancy::from(tenancy.as_str()))
            .set_tag_specifications(tags::creating(ResourceType::Vpc, planned, token)?))
        .map_err(|e| api_error("CreateVpc", e))?;
        created("CreateVpc", "VpcId", out.vpc().and_then(Vpc::vpc_id))
    }

    /// A new VPC has DNS support and no DNS host names.
    async fn complete(&self, ec2: &Aws, id: &str, planned: &Value) -> Result<(), ProviderError> {
        set_dns(ec2, id, (true, false), planned).await
    }

    async fn describe(&self, ec2: &Aws, which: Which<'_>) -> Found {
        describe(ec2, which_filter("vpc-id", which)).await
    }

    async fn change(
        &self,
        ec2: &Aws,
        id: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<String, ProviderError> {
        let current = (
            ENABLE_DNS_SUPPORT.or(prior, true)?,
            ENABLE_DNS_HOSTNAMES.or(prior, false)?,
        );
        set_dns(ec2, id, current, planned).await?;
        tags::update(ec2, id, prior, planned).await?;
        Ok(id.to_owned())
    }

    async fn delete_call(&self, ec2: &Aws, id: &str, _: &Value) -> Result<(), ProviderError> {
        answered("DeleteVpc", ec2.client.delete_vpc().vpc_id(id).send().await)
    }
}

/// Sets the DNS attributes that differ from `current` (support, host names).
async fn set_dns(
    ec2: &Aws,
    id: &str,
    current: (bool, bool),
    planned: &Value,
) -> Result<(), ProviderError> {
    let support = ENABLE_DNS_SUPPORT.or(planned, true)?;
    let hostnames = ENABLE_DNS_HOSTNAMES.or(planned, false)?;
    let flag = |b: bool| AttributeBooleanValue::builder().value(b).build();
    if support != current.0 {
        ec2.client
            .modify_vpc_attribute()
            .vpc_id(id)
            .enable_dns_support(flag(support))
            .send()
            .await
            .map_err(|e| api_error("ModifyVpcAttribute", e))?;
    }
    if hostnames != current.1 {
        ec2.client
            .modify_vpc_attribute()
            .vpc_id(id)
            .enable_dns_hostnames(flag(hostnames))
            .send()
            .await
            .map_err(|e| api_error("ModifyVpcAttribute", e))?;
    }
    Ok(())
}

/// The VPCs `which` selects, with their ids.
async fn describe(ec2: &Aws, which: Filter) -> Result<Vec<(String, Value)>, ProviderError> {
    let vpcs: Vec<Vpc> = pages(
        "DescribeVpcs",
        ec2.client
            .describe_vpcs()
            .filters(which)
            .into_paginator()
            .send(),
    )
    .await?
    .iter()
    .flat_map(|p| p.vpcs().iter().cloned())
    .collect();
    let ids: Vec<String> = vpcs
        .iter()
        .filter_map(|v| v.vpc_id().map(str::to_owned))
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let default_groups = vpc_map(ec2, &ids, Owned::DefaultSecurityGroup).await?;
    let main_tables = vpc_map(ec2, &ids, Owned::MainRouteTable).await?;
    let default_acls = vpc_map(ec2, &ids, Owned::DefaultNetworkAcl).await?;
    let mut found = Vec::with_capacity(vpcs.len());
    for vpc in &vpcs {
        let Some(id) = vpc.vpc_id() else { continue };
        // A VPC deleted between the calls is gone.
        let Some(dns) = gone_as_none(dns_attributes(ec2, id).await)? else {
            continue;
        };
        let value = SCHEMA.instance([
            CIDR_BLOCK.text(vpc.cidr_block()),
            INSTANCE_TENANCY.text(vpc.instance_tenancy().map(Tenancy::as_str)),
            ENABLE_DNS_SUPPORT.to(dns.0),
            ENABLE_DNS_HOSTNAMES.to(dns.1),
            tags::value(vpc.tags()),
            ID.to(id),
            (ARN.name(), arn(&ec2.region, vpc.owner_id(), "vpc", id)),
            OWNER_ID.text(vpc.owner_id()),
            DEFAULT_SECURITY_GROUP_ID.text(default_groups.get(id).map(String::as_str)),
            MAIN_ROUTE_TABLE_ID.text(main_tables.get(id).map(String::as_str)),
            DEFAULT_NETWORK_ACL_ID.text(default_acls.get(id).map(String::as_str)),
        ]);
        found.push((id.to_owned(), value));
    }
    Ok(found)
}

/// `(enable_dns_support, enable_dns_hostnames)` of a VPC: two calls, as the API reads one
/// attribute at a time.
async fn dns_attributes(ec2: &Aws, id: &str) -> Result<(bool, bool), ProviderError> {
    let read = |attribute: VpcAttributeName| {
        ec2.client
            .describe_vpc_attribute()
            .vpc_id(id)
            .attribute(attribute)
            .send()
    };
    let support = read(VpcAttributeName::EnableDnsSupport)
        .await
        .map_err(|e| api_error("DescribeVpcAttribute", e))?
        .enable_dns_support()
        .and_then(AttributeBooleanValue::value)
        .unwrap_or(true);
    let hostnames = read(VpcAttributeName::EnableDnsHostnames)
        .await
        .map_err(|e| api_error("DescribeVpcAttribute", e))?
        .enable_dns_hostnames()
        .and_then(AttributeBooleanValue::value)
        .unwrap_or(false);
    Ok((support, hostnames))
}

/// The objects AWS creates with every VPC.
#[derive(Debug, Clone, Copy)]
enum Owned {
    DefaultSecurityGroup,
    MainRouteTable,
    DefaultNetworkAcl,
}

/// VPC id → the id of its object of kind `owned`.
async fn vpc_map(
    ec2: &Aws,
    vpc_ids: &[String],
    owned: Owned,
) -> Result<HashMap<String, String>, ProviderError> {
    let of_vpcs = || filter("vpc-id", vpc_ids.iter().cloned());
    Ok(match owned {
        Owned::DefaultSecurityGroup => pages(
            "DescribeSecurityGroups",
            ec2.client
                .describe_security_groups()
                .filters(of_vpcs())
                .filters(filter("group-name", ["default"]))
                .into_paginator()
                .send(),
        )
        .await?
        .iter()
        .flat_map(|p| p.security_groups())
        .filter_map(|g| Some((g.vpc_id()?.to_owned(), g.group_id()?.to_owned())))
        .collect(),
        Owned::MainRouteTable => pages(
            "DescribeRouteTables",
            ec2.client
                .describe_route_tables()
                .filters(of_vpcs())
                .filters(filter("association.main", ["true"]))
                .into_paginator()
                .send(),
        )
        .await?
        .iter()
        .flat_map(|p| p.route_tables())
        .filter_map(|t| Some((t.vpc_id()?.to_owned(), t.route_table_id()?.to_owned())))
        .collect(),
        Owned::DefaultNetworkAcl => pages(
            "DescribeNetworkAcls",
            ec2.client
                .describe_network_acls()
                .filters(of_vpcs())
                .filters(filter("default", ["true"]))
                .into_paginator()
                .send(),
        )
        .await?
        .iter()
        .flat_map(|p| p.network_acls())
        .filter_map(|a| Some((a.vpc_id()?.to_owned(), a.network_acl_id()?.to_owned())))
        .collect(),
    })
}
