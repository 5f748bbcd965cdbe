//! `aws_route_table_association`: `AssociateRouteTable`; a new `route_table_id` is set in
//! place with `ReplaceRouteTableAssociation`; read in bulk through `DescribeRouteTables`
//! filtered by association id. Associations have no tags: the one a lost answer made is
//! found by its subnet (a subnet has at most one association).

use std::sync::LazyLock;

use aic_lang::types::Type;
use aic_lang::value::Value;
use aic_provider::{
    plan_resource, with_attributes, PlanRequest, PlanResponse, ProviderError, ResourceSchema,
};
use aic_provider_kit::{not_importable, Attr, CloudType, CreateToken, Declare, Which, ID};
use async_trait::async_trait;
use aws_sdk_ec2::types::Filter;

use crate::ec2::{answered, aws_type, created, filter, pages, send_once, Aws, Found};
use crate::error::{api_error, reference_not_found, EC2};
use crate::fields::SUBNET_ID;

const ROUTE_TABLE_ID: Attr<String> = Attr::new("route_table_id");

static SCHEMA: LazyLock<ResourceSchema> = LazyLock::new(|| {
    ResourceSchema::new(
        "Associates a subnet with a route table. Changing `route_table_id` replaces the \
         association in place.",
    )
    .with(SUBNET_ID.required().force_new().describe("The subnet."))
    .with(ROUTE_TABLE_ID.required().describe("The route table."))
    .with(ID.computed().describe("The association's id."))
});

pub(crate) struct AwsRouteTableAssociation;

#[async_trait]
impl CloudType<Aws> for AwsRouteTableAssociation {
    aws_type!("aws_route_table_association", "route table association");

    /// The schema-driven plan; a new `route_table_id` gives the association a new id.
    async fn plan(
        &self,
        _: &Aws,
        schema: &ResourceSchema,
        request: PlanRequest,
    ) -> Result<PlanResponse, ProviderError> {
        let prior_table = request
            .prior
            .as_ref()
            .and_then(|p| p.get(ROUTE_TABLE_ID.name()))
            .cloned();
        let mut response = plan_resource(schema, &request)?;
        let table = response.planned.get(ROUTE_TABLE_ID.name());
        let moved = match (&prior_table, table) {
            (Some(before), Some(after)) => before.equals(after) != Some(true),
            _ => false,
        };
        if moved {
            response.planned = with_attributes(
                &response.planned,
                [(ID.name(), Value::unknown(Type::String))],
            );
        }
        Ok(response)
    }

    async fn create_call(
        &self,
        ec2: &Aws,
        planned: &Value,
        _token: &CreateToken,
    ) -> Result<String, ProviderError> {
        let out = send_once!(ec2
            .client
            .associate_route_table()
            .subnet_id(SUBNET_ID.require(planned)?)
            .route_table_id(ROUTE_TABLE_ID.require(planned)?))
        .map_err(|e| reference_not_found(api_error("AssociateRouteTable", e)))?;
        created("AssociateRouteTable", "AssociationId", out.association_id())
    }

    /// Associations have no tags: the association of the planned subnet with the planned
    /// table, if it exists.
    async fn find_id(
        &self,
        ec2: &Aws,
        planned: &Value,
        _token: &CreateToken,
    ) -> Result<Option<String>, ProviderError> {
        let (Some(subnet), Some(table)) = (SUBNET_ID.get(planned)?, ROUTE_TABLE_ID.get(planned)?)
        else {
            return Ok(None);
        };
        let found = associations(ec2, filter("association.subnet-id", [subnet.as_str()])).await?;
        Ok(found.into_iter().find_map(|(id, v)| {
            let same = SUBNET_ID.get(&v).ok().flatten().as_ref() == Some(&subnet)
                && ROUTE_TABLE_ID.get(&v).ok().flatten().as_ref() == Some(&table);
            same.then_some(id)
        }))
    }

    async fn describe(&self, ec2: &Aws, which: Which<'_>) -> Found {
        let Which::Ids(ids) = which else {
            return Ok(Vec::new());
        };
        let found = associations(
            ec2,
            filter(
                "association.route-table-association-id",
                ids.iter().cloned(),
            ),
        )
        .await?;
        // The filter selects tables; keep only the associations asked for.
        Ok(found
            .into_iter()
            .filter(|(id, _)| ids.contains(id))
            .collect())
    }

    /// Associates the subnet with the new table; the association gets a new id.
    async fn change(
        &self,
        ec2: &Aws,
        id: &str,
        _prior: &Value,
        planned: &Value,
    ) -> Result<String, ProviderError> {
        let out = ec2
            .client
            .replace_route_table_association()
            .association_id(id)
            .route_table_id(ROUTE_TABLE_ID.require(planned)?)
            .send()
            .await
            .map_err(|e| reference_not_found(api_error("ReplaceRouteTableAssociation", e)))?;
        out.new_association_id()
            .map(str::to_owned)
            .ok_or_else(|| EC2.incomplete("ReplaceRouteTableAssociation", "NewAssociationId"))
    }

    async fn delete_call(&self, ec2: &Aws, id: &str, _: &Value) -> Result<(), ProviderError> {
        answered(
            "DisassociateRouteTable",
            ec2.client
                .disassociate_route_table()
                .association_id(id)
                .send()
                .await,
        )
    }

    fn importable(&self) -> Result<(), ProviderError> {
        Err(not_importable(
            self.type_name(),
            "Declare the association instead: creating it again is harmless.",
        ))
    }
}

/// The associations of the route tables `which` selects, with their ids.
async fn associations(ec2: &Aws, which: Filter) -> Result<Vec<(String, Value)>, ProviderError> {
    let pages = pages(
        "DescribeRouteTables",
        ec2.client
            .describe_route_tables()
            .filters(which)
            .into_paginator()
            .send(),
    )
    .await?;
    Ok(pages
        .iter()
        .flat_map(|p| p.route_tables())
        .flat_map(|t| t.associations())
        .filter_map(|association| {
            let id = association.route_table_association_id()?;
            let value = SCHEMA.instance([
                SUBNET_ID.text(association.subnet_id()),
                ROUTE_TABLE_ID.text(association.route_table_id()),
                ID.to(id),
            ]);
            Some((id.to_owned(), value))
        })
        .collect())
}
