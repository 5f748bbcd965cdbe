//! `aws_vpc`: `CreateVpc`, the two DNS attributes through `ModifyVpcAttribute`, and a bulk
//! read that also finds the default security group, main route table and default network
//! ACL of every VPC with one call each.

use std::collections::HashMap;

use aic_lang::value::Value;
use aic_provider::{Attributes, ProviderError};
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, Tenancy, Vpc, VpcAttributeName};

use super::{filter, id_chunks, results};
use crate::ec2::{incomplete, object, Ec2};
use crate::error::{api_error, gone_as_none};
use crate::values::{arn, opt_string};
use crate::{tags, values, wait};

const TYPE: &str = "aws_vpc";

pub async fn create(ec2: &Ec2, planned: &Value) -> Result<Value, ProviderError> {
    let attrs = Attributes::new(planned);
    let out = ec2
        .client
        .create_vpc()
        .cidr_block(attrs.string("cidr_block")?)
        .instance_tenancy(Tenancy::from(
            attrs.opt_string("instance_tenancy")?.unwrap_or("default"),
        ))
        .set_tag_specifications(tags::specification(ResourceType::Vpc, planned)?)
        .send()
        .await
        .map_err(|e| api_error("CreateVpc", e))?;
    let id = out
        .vpc()
        .and_then(Vpc::vpc_id)
        .ok_or_else(|| incomplete("CreateVpc", "VpcId"))?
        .to_owned();
    let finished = async {
        // A new VPC has DNS support and no DNS host names.
        set_dns(ec2, &id, (true, false), planned).await?;
        visible(ec2, &id).await
    };
    match finished.await {
        Ok(v) => Ok(v),
        Err(e) => {
            // Do not leave behind a VPC the state will not know about.
            let _ = delete_id(ec2, &id).await;
            Err(e)
        }
    }
}

/// Waits until a new VPC can be described (EC2 is eventually consistent) and reads it.
async fn visible(ec2: &Ec2, id: &str) -> Result<Value, ProviderError> {
    let prior = Value::object([("id", Value::string(id))]);
    wait::until(ec2.timing, &format!("VPC {id} to exist"), || async {
        read_many(ec2, std::slice::from_ref(&prior))
            .await
            .pop()
            .unwrap_or(Ok(None))
    })
    .await
}

/// Sets the DNS attributes that differ from `current` (support, host names).
async fn set_dns(
    ec2: &Ec2,
    id: &str,
    current: (bool, bool),
    planned: &Value,
) -> Result<(), ProviderError> {
    let attrs = Attributes::new(planned);
    let support = attrs.bool_or("enable_dns_support", true)?;
    let hostnames = attrs.bool_or("enable_dns_hostnames", false)?;
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

pub async fn read_many(ec2: &Ec2, priors: &[Value]) -> Vec<Result<Option<Value>, ProviderError>> {
    results(priors, describe(ec2, priors).await, super::as_found)
}

async fn describe(ec2: &Ec2, priors: &[Value]) -> Result<HashMap<String, Value>, ProviderError> {
    let mut found = HashMap::new();
    for chunk in id_chunks(priors) {
        let pages = ec2
            .client
            .describe_vpcs()
            .filters(filter("vpc-id", chunk.iter().cloned()))
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| api_error("DescribeVpcs", e))?;
        let vpcs: Vec<Vpc> = pages
            .iter()
            .flat_map(|p| p.vpcs().iter().cloned())
            .collect();
        let ids: Vec<String> = vpcs
            .iter()
            .filter_map(|v| v.vpc_id().map(str::to_owned))
            .collect();
        if ids.is_empty() {
            continue;
        }
        let default_groups = default_security_groups(ec2, &ids).await?;
        let main_tables = main_route_tables(ec2, &ids).await?;
        let default_acls = default_network_acls(ec2, &ids).await?;
        for vpc in &vpcs {
            let Some(id) = vpc.vpc_id() else { continue };
            // A VPC deleted between the calls is gone.
            let Some(dns) = gone_as_none(dns_attributes(ec2, id).await)? else {
                continue;
            };
            let value = object(
                TYPE,
                [
                    ("cidr_block", opt_string(vpc.cidr_block())),
                    (
                        "instance_tenancy",
                        opt_string(vpc.instance_tenancy().map(Tenancy::as_str)),
                    ),
                    ("enable_dns_support", Value::bool(dns.0)),
                    ("enable_dns_hostnames", Value::bool(dns.1)),
                    ("tags", tags::value(vpc.tags())),
                    ("id", Value::string(id)),
                    ("arn", arn(&ec2.region, vpc.owner_id(), "vpc", id)),
                    ("owner_id", opt_string(vpc.owner_id())),
                    (
                        "default_security_group_id",
                        opt_string(default_groups.get(id).map(String::as_str)),
                    ),
                    (
                        "main_route_table_id",
                        opt_string(main_tables.get(id).map(String::as_str)),
                    ),
                    (
                        "default_network_acl_id",
                        opt_string(default_acls.get(id).map(String::as_str)),
                    ),
                ],
            );
            found.insert(id.to_owned(), value);
        }
    }
    Ok(found)
}

/// `(enable_dns_support, enable_dns_hostnames)` of a VPC: two calls, as the API reads one
/// attribute at a time.
async fn dns_attributes(ec2: &Ec2, id: &str) -> Result<(bool, bool), ProviderError> {
    let support = ec2
        .client
        .describe_vpc_attribute()
        .vpc_id(id)
        .attribute(VpcAttributeName::EnableDnsSupport)
        .send()
        .await
        .map_err(|e| api_error("DescribeVpcAttribute", e))?
        .enable_dns_support()
        .and_then(AttributeBooleanValue::value)
        .unwrap_or(true);
    let hostnames = ec2
        .client
        .describe_vpc_attribute()
        .vpc_id(id)
        .attribute(VpcAttributeName::EnableDnsHostnames)
        .send()
        .await
        .map_err(|e| api_error("DescribeVpcAttribute", e))?
        .enable_dns_hostnames()
        .and_then(AttributeBooleanValue::value)
        .unwrap_or(false);
    Ok((support, hostnames))
}

/// VPC id → the id of its `default` security group.
async fn default_security_groups(
    ec2: &Ec2,
    vpc_ids: &[String],
) -> Result<HashMap<String, String>, ProviderError> {
    let pages = ec2
        .client
        .describe_security_groups()
        .filters(filter("vpc-id", vpc_ids.iter().cloned()))
        .filters(filter("group-name", ["default"]))
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| api_error("DescribeSecurityGroups", e))?;
    Ok(pages
        .iter()
        .flat_map(|p| p.security_groups())
        .filter_map(|g| Some((g.vpc_id()?.to_owned(), g.group_id()?.to_owned())))
        .collect())
}

/// VPC id → the id of its main route table.
async fn main_route_tables(
    ec2: &Ec2,
    vpc_ids: &[String],
) -> Result<HashMap<String, String>, ProviderError> {
    let pages = ec2
        .client
        .describe_route_tables()
        .filters(filter("vpc-id", vpc_ids.iter().cloned()))
        .filters(filter("association.main", ["true"]))
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| api_error("DescribeRouteTables", e))?;
    Ok(pages
        .iter()
        .flat_map(|p| p.route_tables())
        .filter_map(|t| Some((t.vpc_id()?.to_owned(), t.route_table_id()?.to_owned())))
        .collect())
}

/// VPC id → the id of its default network ACL.
async fn default_network_acls(
    ec2: &Ec2,
    vpc_ids: &[String],
) -> Result<HashMap<String, String>, ProviderError> {
    let pages = ec2
        .client
        .describe_network_acls()
        .filters(filter("vpc-id", vpc_ids.iter().cloned()))
        .filters(filter("default", ["true"]))
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| api_error("DescribeNetworkAcls", e))?;
    Ok(pages
        .iter()
        .flat_map(|p| p.network_acls())
        .filter_map(|a| Some((a.vpc_id()?.to_owned(), a.network_acl_id()?.to_owned())))
        .collect())
}

pub async fn update(ec2: &Ec2, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let id = values::id(prior)?;
    let before = Attributes::new(prior);
    set_dns(
        ec2,
        id,
        (
            before.bool_or("enable_dns_support", true)?,
            before.bool_or("enable_dns_hostnames", false)?,
        ),
        planned,
    )
    .await?;
    tags::update(ec2, id, prior, planned).await?;
    visible(ec2, id).await
}

pub async fn delete(ec2: &Ec2, prior: &Value) -> Result<(), ProviderError> {
    delete_id(ec2, values::id(prior)?).await
}

async fn delete_id(ec2: &Ec2, id: &str) -> Result<(), ProviderError> {
    let deleted = wait::while_conflict(ec2.timing, || async {
        ec2.client
            .delete_vpc()
            .vpc_id(id)
            .send()
            .await
            .map_err(|e| api_error("DeleteVpc", e))
    })
    .await;
    gone_as_none(deleted).map(|_| ())
}
