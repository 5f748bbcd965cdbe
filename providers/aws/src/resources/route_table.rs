//! `aws_route_table`: `CreateRouteTable` and its `route` blocks (`CreateRoute` /
//! `DeleteRoute`, changed in place). The implicit `local` route and routes to targets
//! other than gateways are not managed and not read.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use aic_lang::value::Value;
use aic_provider::{ProviderError, ResourceSchema};
use aic_provider_kit::wait::gone_as_none;
use aic_provider_kit::{Attr, Block, CloudType, CreateToken, Declare, Which, ID};
use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType, RouteOrigin, RouteTable};

use crate::ec2::{answered, aws_type, created, described, send_once, Aws, Found};
use crate::error::{api_error, reference_not_found};
use crate::fields::{tagged, ARN, CIDR_BLOCK, OWNER_ID, VPC_ID};
use crate::tags;
use crate::values::arn;

const ROUTE: Block = Block::new("route");
const GATEWAY_ID: Attr<String> = Attr::new("gateway_id");

static SCHEMA: LazyLock<ResourceSchema> =
    LazyLock::new(|| {
        let schema = ResourceSchema::new(
            "A route table of a VPC. Routes are managed in place; the VPC's `local` route is \
         implicit and not listed. Only routes to gateways (`gateway_id`) are managed.",
        )
        .with(
            VPC_ID
                .required()
                .force_new()
                .describe("The VPC the table belongs to."),
        );
        tagged(schema, true).with_block(
            ROUTE.set(
                ResourceSchema::new("One route.")
                    .with(
                        CIDR_BLOCK
                            .required()
                            .describe("The destination range, e.g. `0.0.0.0/0`."),
                    )
                    .with(GATEWAY_ID.required().describe(
                        "The internet gateway (or virtual private gateway) to route to.",
                    )),
            ),
        )
    });

/// A route: destination range and gateway.
type Route = (String, String);

fn configured_routes(object: &Value) -> Result<BTreeSet<Route>, ProviderError> {
    ROUTE
        .items(object)
        .into_iter()
        .map(|route| Ok((CIDR_BLOCK.require(route)?, GATEWAY_ID.require(route)?)))
        .collect()
}

pub(crate) struct AwsRouteTable;

#[async_trait]
impl CloudType<Aws> for AwsRouteTable {
    aws_type!("aws_route_table", "route table");

    async fn create_call(
        &self,
        ec2: &Aws,
        planned: &Value,
        token: &CreateToken,
    ) -> Result<String, ProviderError> {
        let out = send_once!(ec2
            .client
            .create_route_table()
            .vpc_id(VPC_ID.require(planned)?)
            .set_tag_specifications(tags::creating(ResourceType::RouteTable, planned, token)?))
        .map_err(|e| reference_not_found(api_error("CreateRouteTable", e)))?;
        created(
            "CreateRouteTable",
            "RouteTableId",
            out.route_table().and_then(RouteTable::route_table_id),
        )
    }

    async fn complete(&self, ec2: &Aws, id: &str, planned: &Value) -> Result<(), ProviderError> {
        change_routes(ec2, id, &BTreeSet::new(), &configured_routes(planned)?).await
    }

    async fn describe(&self, ec2: &Aws, which: Which<'_>) -> Found {
        described!(ec2, which, "DescribeRouteTables": describe_route_tables("route-table-id") => route_tables.route_table_id, value)
    }

    async fn change(
        &self,
        ec2: &Aws,
        id: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<String, ProviderError> {
        let before = configured_routes(prior)?;
        change_routes(ec2, id, &before, &configured_routes(planned)?).await?;
        tags::update(ec2, id, prior, planned).await?;
        Ok(id.to_owned())
    }

    async fn delete_call(&self, ec2: &Aws, id: &str, _: &Value) -> Result<(), ProviderError> {
        answered(
            "DeleteRouteTable",
            ec2.client
                .delete_route_table()
                .route_table_id(id)
                .send()
                .await,
        )
    }
}

async fn change_routes(
    ec2: &Aws,
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

/// A route table's value; routes to targets other than gateways and the implicit `local`
/// route are left out.
fn value(ec2: &Aws, table: &RouteTable, id: &str) -> Value {
    let routes = table.routes().iter().filter_map(|r| {
        let gateway = r.gateway_id().filter(|g| *g != "local")?;
        if r.origin() == Some(&RouteOrigin::CreateRouteTable) {
            return None;
        }
        Some(Value::object([
            CIDR_BLOCK.to(r.destination_cidr_block()?),
            GATEWAY_ID.to(gateway),
        ]))
    });
    SCHEMA.instance([
        VPC_ID.text(table.vpc_id()),
        tags::value(table.tags()),
        ID.to(id),
        (
            ARN.name(),
            arn(&ec2.region, table.owner_id(), "route-table", id),
        ),
        OWNER_ID.text(table.owner_id()),
        ROUTE.to_set(routes),
    ])
}
