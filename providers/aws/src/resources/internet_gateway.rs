//! `aws_internet_gateway`: `CreateInternetGateway` and attachment to `vpc_id`; a change of
//! `vpc_id` detaches and attaches in place; deletion detaches first.

use std::collections::HashMap;

use aic_lang::value::Value;
use aic_provider::{Attributes, ProviderError};
use aws_sdk_ec2::types::{InternetGateway, ResourceType};

use super::{filter, id_chunks, results};
use crate::ec2::{incomplete, object, Ec2};
use crate::error::{api_error, gone_as_none, reference_not_found};
use crate::values::{arn, opt_string};
use crate::{tags, values, wait};

const TYPE: &str = "aws_internet_gateway";

pub async fn create(ec2: &Ec2, planned: &Value) -> Result<Value, ProviderError> {
    let out = ec2
        .client
        .create_internet_gateway()
        .set_tag_specifications(tags::specification(ResourceType::InternetGateway, planned)?)
        .send()
        .await
        .map_err(|e| api_error("CreateInternetGateway", e))?;
    let id = out
        .internet_gateway()
        .and_then(InternetGateway::internet_gateway_id)
        .ok_or_else(|| incomplete("CreateInternetGateway", "InternetGatewayId"))?
        .to_owned();
    let finished = async {
        if let Some(vpc) = Attributes::new(planned).opt_string("vpc_id")? {
            attach(ec2, &id, vpc).await?;
        }
        visible(ec2, &id).await
    };
    match finished.await {
        Ok(v) => Ok(v),
        Err(e) => {
            let _ = delete_id(ec2, &id, Attributes::new(planned).opt_string("vpc_id")?).await;
            Err(e)
        }
    }
}

async fn visible(ec2: &Ec2, id: &str) -> Result<Value, ProviderError> {
    let prior = Value::object([("id", Value::string(id))]);
    wait::until(
        ec2.timing,
        &format!("internet gateway {id} to exist"),
        || async {
            read_many(ec2, std::slice::from_ref(&prior))
                .await
                .pop()
                .unwrap_or(Ok(None))
        },
    )
    .await
}

async fn attach(ec2: &Ec2, id: &str, vpc: &str) -> Result<(), ProviderError> {
    ec2.client
        .attach_internet_gateway()
        .internet_gateway_id(id)
        .vpc_id(vpc)
        .send()
        .await
        .map_err(|e| reference_not_found(api_error("AttachInternetGateway", e)))?;
    Ok(())
}

async fn detach(ec2: &Ec2, id: &str, vpc: &str) -> Result<(), ProviderError> {
    let detached = wait::while_conflict(ec2.timing, || async {
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
        // Already detached.
        Err(e) if e.cloud().is_some_and(|c| c.code == "Gateway.NotAttached") => Ok(()),
        other => gone_as_none(other).map(|_| ()),
    }
}

pub async fn read_many(ec2: &Ec2, priors: &[Value]) -> Vec<Result<Option<Value>, ProviderError>> {
    results(priors, describe(ec2, priors).await, super::as_found)
}

async fn describe(ec2: &Ec2, priors: &[Value]) -> Result<HashMap<String, Value>, ProviderError> {
    let mut found = HashMap::new();
    for chunk in id_chunks(priors) {
        let pages = ec2
            .client
            .describe_internet_gateways()
            .filters(filter("internet-gateway-id", chunk))
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| api_error("DescribeInternetGateways", e))?;
        for gateway in pages.iter().flat_map(|p| p.internet_gateways()) {
            let Some(id) = gateway.internet_gateway_id() else {
                continue;
            };
            let vpc = gateway.attachments().iter().find_map(|a| a.vpc_id());
            let value = object(
                TYPE,
                [
                    ("vpc_id", opt_string(vpc)),
                    ("tags", tags::value(gateway.tags())),
                    ("id", Value::string(id)),
                    (
                        "arn",
                        arn(&ec2.region, gateway.owner_id(), "internet-gateway", id),
                    ),
                    ("owner_id", opt_string(gateway.owner_id())),
                ],
            );
            found.insert(id.to_owned(), value);
        }
    }
    Ok(found)
}

pub async fn update(ec2: &Ec2, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let id = values::id(prior)?;
    let before = Attributes::new(prior).opt_string("vpc_id")?;
    let after = Attributes::new(planned).opt_string("vpc_id")?;
    if before != after {
        if let Some(vpc) = before {
            detach(ec2, id, vpc).await?;
        }
        if let Some(vpc) = after {
            attach(ec2, id, vpc).await?;
        }
    }
    tags::update(ec2, id, prior, planned).await?;
    visible(ec2, id).await
}

pub async fn delete(ec2: &Ec2, prior: &Value) -> Result<(), ProviderError> {
    delete_id(
        ec2,
        values::id(prior)?,
        Attributes::new(prior).opt_string("vpc_id")?,
    )
    .await
}

async fn delete_id(ec2: &Ec2, id: &str, vpc: Option<&str>) -> Result<(), ProviderError> {
    if let Some(vpc) = vpc {
        detach(ec2, id, vpc).await?;
    }
    let deleted = wait::while_conflict(ec2.timing, || async {
        ec2.client
            .delete_internet_gateway()
            .internet_gateway_id(id)
            .send()
            .await
            .map_err(|e| api_error("DeleteInternetGateway", e))
    })
    .await;
    gone_as_none(deleted).map(|_| ())
}
