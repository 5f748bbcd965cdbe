//! `aws_subnet`: `CreateSubnet`, `map_public_ip_on_launch` through
//! `ModifySubnetAttribute`, bulk reads with `DescribeSubnets`.

use std::collections::HashMap;

use aic_lang::value::Value;
use aic_provider::{Attributes, ProviderError};
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, Subnet};

use super::{filter, id_chunks, results};
use crate::ec2::{incomplete, object, Ec2};
use crate::error::{api_error, gone_as_none, reference_not_found};
use crate::values::{arn, opt_string};
use crate::{tags, values, wait};

const TYPE: &str = "aws_subnet";

pub async fn create(ec2: &Ec2, planned: &Value) -> Result<Value, ProviderError> {
    let attrs = Attributes::new(planned);
    let out = ec2
        .client
        .create_subnet()
        .vpc_id(attrs.string("vpc_id")?)
        .cidr_block(attrs.string("cidr_block")?)
        .set_availability_zone(attrs.opt_string("availability_zone")?.map(str::to_owned))
        .set_tag_specifications(tags::specification(ResourceType::Subnet, planned)?)
        .send()
        .await
        .map_err(|e| reference_not_found(api_error("CreateSubnet", e)))?;
    let id = out
        .subnet()
        .and_then(Subnet::subnet_id)
        .ok_or_else(|| incomplete("CreateSubnet", "SubnetId"))?
        .to_owned();
    let finished = async {
        set_public_ip(ec2, &id, false, planned).await?;
        visible(ec2, &id).await
    };
    match finished.await {
        Ok(v) => Ok(v),
        Err(e) => {
            let _ = delete_id(ec2, &id).await;
            Err(e)
        }
    }
}

async fn visible(ec2: &Ec2, id: &str) -> Result<Value, ProviderError> {
    let prior = Value::object([("id", Value::string(id))]);
    wait::until(ec2.timing, &format!("subnet {id} to exist"), || async {
        read_many(ec2, std::slice::from_ref(&prior))
            .await
            .pop()
            .unwrap_or(Ok(None))
    })
    .await
}

async fn set_public_ip(
    ec2: &Ec2,
    id: &str,
    current: bool,
    planned: &Value,
) -> Result<(), ProviderError> {
    let wanted = Attributes::new(planned).bool_or("map_public_ip_on_launch", false)?;
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

pub async fn read_many(ec2: &Ec2, priors: &[Value]) -> Vec<Result<Option<Value>, ProviderError>> {
    results(priors, describe(ec2, priors).await, super::as_found)
}

async fn describe(ec2: &Ec2, priors: &[Value]) -> Result<HashMap<String, Value>, ProviderError> {
    let mut found = HashMap::new();
    for chunk in id_chunks(priors) {
        let pages = ec2
            .client
            .describe_subnets()
            .filters(filter("subnet-id", chunk))
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| api_error("DescribeSubnets", e))?;
        for subnet in pages.iter().flat_map(|p| p.subnets()) {
            let Some(id) = subnet.subnet_id() else {
                continue;
            };
            found.insert(id.to_owned(), value(ec2, subnet, id));
        }
    }
    Ok(found)
}

fn value(ec2: &Ec2, subnet: &Subnet, id: &str) -> Value {
    let arn = match subnet.subnet_arn() {
        Some(a) if !a.is_empty() => Value::string(a),
        _ => arn(&ec2.region, subnet.owner_id(), "subnet", id),
    };
    object(
        TYPE,
        [
            ("vpc_id", opt_string(subnet.vpc_id())),
            ("cidr_block", opt_string(subnet.cidr_block())),
            ("availability_zone", opt_string(subnet.availability_zone())),
            (
                "map_public_ip_on_launch",
                Value::bool(subnet.map_public_ip_on_launch().unwrap_or(false)),
            ),
            ("tags", tags::value(subnet.tags())),
            ("id", Value::string(id)),
            ("arn", arn),
            ("owner_id", opt_string(subnet.owner_id())),
            (
                "availability_zone_id",
                opt_string(subnet.availability_zone_id()),
            ),
        ],
    )
}

pub async fn update(ec2: &Ec2, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let id = values::id(prior)?;
    let current = Attributes::new(prior).bool_or("map_public_ip_on_launch", false)?;
    set_public_ip(ec2, id, current, planned).await?;
    tags::update(ec2, id, prior, planned).await?;
    visible(ec2, id).await
}

pub async fn delete(ec2: &Ec2, prior: &Value) -> Result<(), ProviderError> {
    delete_id(ec2, values::id(prior)?).await
}

async fn delete_id(ec2: &Ec2, id: &str) -> Result<(), ProviderError> {
    let deleted = wait::while_conflict(ec2.timing, || async {
        ec2.client
            .delete_subnet()
            .subnet_id(id)
            .send()
            .await
            .map_err(|e| api_error("DeleteSubnet", e))
    })
    .await;
    gone_as_none(deleted).map(|_| ())
}
