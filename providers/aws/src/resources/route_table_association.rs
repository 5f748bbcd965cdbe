//! `aws_route_table_association`: `AssociateRouteTable`; a new `route_table_id` is set in
//! place with `ReplaceRouteTableAssociation`; read in bulk through `DescribeRouteTables`
//! filtered by association id.

use std::collections::HashMap;

use aic_lang::value::Value;
use aic_provider::{Attributes, ProviderError};

use super::{filter, id_chunks, results};
use crate::ec2::{incomplete, object, Ec2};
use crate::error::{api_error, gone_as_none, reference_not_found};
use crate::values::opt_string;
use crate::{values, wait};

const TYPE: &str = "aws_route_table_association";

pub async fn create(ec2: &Ec2, planned: &Value) -> Result<Value, ProviderError> {
    let attrs = Attributes::new(planned);
    let out = ec2
        .client
        .associate_route_table()
        .subnet_id(attrs.string("subnet_id")?)
        .route_table_id(attrs.string("route_table_id")?)
        .send()
        .await
        .map_err(|e| reference_not_found(api_error("AssociateRouteTable", e)))?;
    let id = out
        .association_id()
        .ok_or_else(|| incomplete("AssociateRouteTable", "AssociationId"))?;
    visible(ec2, id).await
}

async fn visible(ec2: &Ec2, id: &str) -> Result<Value, ProviderError> {
    let prior = Value::object([("id", Value::string(id))]);
    wait::until(
        ec2.timing,
        &format!("route table association {id} to exist"),
        || async {
            read_many(ec2, std::slice::from_ref(&prior))
                .await
                .pop()
                .unwrap_or(Ok(None))
        },
    )
    .await
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
            .filters(filter(
                "association.route-table-association-id",
                chunk.iter().cloned(),
            ))
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| api_error("DescribeRouteTables", e))?;
        for association in pages
            .iter()
            .flat_map(|p| p.route_tables())
            .flat_map(|t| t.associations())
        {
            let Some(id) = association.route_table_association_id() else {
                continue;
            };
            if !chunk.iter().any(|wanted| wanted == id) {
                continue;
            }
            let value = object(
                TYPE,
                [
                    ("subnet_id", opt_string(association.subnet_id())),
                    ("route_table_id", opt_string(association.route_table_id())),
                    ("id", Value::string(id)),
                ],
            );
            found.insert(id.to_owned(), value);
        }
    }
    Ok(found)
}

pub async fn update(ec2: &Ec2, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let id = values::id(prior)?;
    let table = Attributes::new(planned).string("route_table_id")?;
    let out = ec2
        .client
        .replace_route_table_association()
        .association_id(id)
        .route_table_id(table)
        .send()
        .await
        .map_err(|e| reference_not_found(api_error("ReplaceRouteTableAssociation", e)))?;
    // The association gets a new id.
    let id = out
        .new_association_id()
        .ok_or_else(|| incomplete("ReplaceRouteTableAssociation", "NewAssociationId"))?;
    visible(ec2, id).await
}

pub async fn delete(ec2: &Ec2, prior: &Value) -> Result<(), ProviderError> {
    let id = values::id(prior)?;
    let deleted = ec2
        .client
        .disassociate_route_table()
        .association_id(id)
        .send()
        .await
        .map_err(|e| api_error("DisassociateRouteTable", e));
    gone_as_none(deleted).map(|_| ())
}
