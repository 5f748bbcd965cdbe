//! `aws_route_table`: `CreateRouteTable` and its `route` blocks (`CreateRoute` /
//! `DeleteRoute`, changed in place). The implicit `local` route and routes to targets
//! other than gateways are not managed and not read.

use std::collections::{BTreeSet, HashMap};

use aic_lang::value::Value;
use aic_provider::{Attributes, ProviderError};
use aws_sdk_ec2::types::{ResourceType, RouteOrigin, RouteTable};

use super::{filter, id_chunks, results};
use crate::ec2::{incomplete, object, Ec2};
use crate::error::{api_error, gone_as_none, reference_not_found};
use crate::values::{arn, blocks, opt_string};
use crate::{tags, values, wait};

const TYPE: &str = "aws_route_table";

/// A route: destination range and gateway.
type Route = (String, String);

fn configured_routes(object: &Value) -> Result<BTreeSet<Route>, ProviderError> {
    blocks(object, "route")
        .into_iter()
        .map(|route| {
            let attrs = Attributes::new(route);
            Ok((
                attrs.string("cidr_block")?.to_owned(),
                attrs.string("gateway_id")?.to_owned(),
            ))
        })
        .collect()
}

pub async fn create(ec2: &Ec2, planned: &Value) -> Result<Value, ProviderError> {
    let out = ec2
        .client
        .create_route_table()
        .vpc_id(Attributes::new(planned).string("vpc_id")?)
        .set_tag_specifications(tags::specification(ResourceType::RouteTable, planned)?)
        .send()
        .await
        .map_err(|e| reference_not_found(api_error("CreateRouteTable", e)))?;
    let id = out
        .route_table()
        .and_then(RouteTable::route_table_id)
        .ok_or_else(|| incomplete("CreateRouteTable", "RouteTableId"))?
        .to_owned();
    let finished = async {
        change_routes(ec2, &id, &BTreeSet::new(), &configured_routes(planned)?).await?;
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
    wait::until(
        ec2.timing,
        &format!("route table {id} to exist"),
        || async {
            read_many(ec2, std::slice::from_ref(&prior))
                .await
                .pop()
                .unwrap_or(Ok(None))
        },
    )
    .await
}

async fn change_routes(
    ec2: &Ec2,
    id: &str,
    before: &BTreeSet<Route>,
    after: &BTreeSet<Route>,
) -> Result<(), ProviderError> {
    for (cidr, _) in before.difference(after) {
        let deleted = ec2
            .client
            .delete_route()
            .route_table_id(id)
            .destination_cidr_block(cidr)
            .send()
            .await
            .map_err(|e| api_error("DeleteRoute", e));
        gone_as_none(deleted)?;
    }
    for (cidr, gateway) in after.difference(before) {
        ec2.client
            .create_route()
            .route_table_id(id)
            .destination_cidr_block(cidr)
            .gateway_id(gateway)
            .send()
            .await
            .map_err(|e| reference_not_found(api_error("CreateRoute", e)))?;
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
            .describe_route_tables()
            .filters(filter("route-table-id", chunk))
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| api_error("DescribeRouteTables", e))?;
        for table in pages.iter().flat_map(|p| p.route_tables()) {
            let Some(id) = table.route_table_id() else {
                continue;
            };
            let routes = table.routes().iter().filter_map(|r| {
                let gateway = r.gateway_id().filter(|g| *g != "local")?;
                if r.origin() == Some(&RouteOrigin::CreateRouteTable) {
                    return None;
                }
                Some(Value::object([
                    ("cidr_block", Value::string(r.destination_cidr_block()?)),
                    ("gateway_id", Value::string(gateway)),
                ]))
            });
            let value = object(
                TYPE,
                [
                    ("vpc_id", opt_string(table.vpc_id())),
                    ("tags", tags::value(table.tags())),
                    ("id", Value::string(id)),
                    ("arn", arn(&ec2.region, table.owner_id(), "route-table", id)),
                    ("owner_id", opt_string(table.owner_id())),
                    ("route", Value::set(routes)),
                ],
            );
            found.insert(id.to_owned(), value);
        }
    }
    Ok(found)
}

pub async fn update(ec2: &Ec2, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let id = values::id(prior)?;
    change_routes(
        ec2,
        id,
        &configured_routes(prior)?,
        &configured_routes(planned)?,
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
            .delete_route_table()
            .route_table_id(id)
            .send()
            .await
            .map_err(|e| api_error("DeleteRouteTable", e))
    })
    .await;
    gone_as_none(deleted).map(|_| ())
}
