//! [`Ec2`]: the `aws` provider configured for one region (one SDK client), dispatching
//! each operation to the module of its resource or data source type.

use aic_lang::value::Value;
use aic_provider::{
    plan_resource, resource_schema, with_attributes, ConfiguredProvider, PlanRequest, PlanResponse,
    ProviderError, ProviderSchema,
};
use async_trait::async_trait;

use crate::resources::{
    instance, internet_gateway, launch_template, route_table, route_table_association,
    security_group, subnet, vpc,
};
use crate::schema::SCHEMA;
use crate::wait::Timing;
use crate::{data, values};

/// The `aws` provider configured for one region and set of credentials.
#[derive(Debug, Clone)]
pub struct Ec2 {
    pub(crate) client: aws_sdk_ec2::Client,
    pub(crate) region: String,
    pub(crate) timing: Timing,
}

impl Ec2 {
    /// A configured provider around an existing client (for tests and tools).
    pub fn new(client: aws_sdk_ec2::Client, region: impl Into<String>, timing: Timing) -> Ec2 {
        Ec2 {
            client,
            region: region.into(),
            timing,
        }
    }

    /// The SDK client, for callers that need an operation the provider does not offer.
    pub fn client(&self) -> &aws_sdk_ec2::Client {
        &self.client
    }

    /// The region this client talks to.
    pub fn region(&self) -> &str {
        &self.region
    }
}

/// The resource types, to dispatch on once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Vpc,
    Subnet,
    InternetGateway,
    RouteTable,
    RouteTableAssociation,
    SecurityGroup,
    LaunchTemplate,
    Instance,
}

impl Kind {
    fn of(type_name: &str) -> Result<Kind, ProviderError> {
        Ok(match type_name {
            "aws_vpc" => Kind::Vpc,
            "aws_subnet" => Kind::Subnet,
            "aws_internet_gateway" => Kind::InternetGateway,
            "aws_route_table" => Kind::RouteTable,
            "aws_route_table_association" => Kind::RouteTableAssociation,
            "aws_security_group" => Kind::SecurityGroup,
            "aws_launch_template" => Kind::LaunchTemplate,
            "aws_instance" => Kind::Instance,
            other => {
                return Err(resource_schema(&SCHEMA, other).err().unwrap_or_else(|| {
                    ProviderError::unsupported(format!("this provider has no type `{other}`"))
                }))
            }
        })
    }
}

/// Reads one object through the bulk read of its type.
async fn read_one(ec2: &Ec2, kind: Kind, prior: &Value) -> Result<Option<Value>, ProviderError> {
    read_many(ec2, kind, std::slice::from_ref(prior))
        .await
        .into_iter()
        .next()
        .unwrap_or(Ok(None))
}

async fn read_many(
    ec2: &Ec2,
    kind: Kind,
    priors: &[Value],
) -> Vec<Result<Option<Value>, ProviderError>> {
    match kind {
        Kind::Vpc => vpc::read_many(ec2, priors).await,
        Kind::Subnet => subnet::read_many(ec2, priors).await,
        Kind::InternetGateway => internet_gateway::read_many(ec2, priors).await,
        Kind::RouteTable => route_table::read_many(ec2, priors).await,
        Kind::RouteTableAssociation => route_table_association::read_many(ec2, priors).await,
        Kind::SecurityGroup => security_group::read_many(ec2, priors).await,
        Kind::LaunchTemplate => launch_template::read_many(ec2, priors).await,
        Kind::Instance => instance::read_many(ec2, priors).await,
    }
}

#[async_trait]
impl ConfiguredProvider for Ec2 {
    fn schema(&self) -> &ProviderSchema {
        &SCHEMA
    }

    /// The schema-driven plan, with empty `tags` taken as no tags (AWS does not tell them
    /// apart).
    async fn plan(&self, request: PlanRequest) -> Result<PlanResponse, ProviderError> {
        let schema = resource_schema(&SCHEMA, &request.type_name)?;
        let empty_tags = request
            .config
            .get("tags")
            .and_then(Value::as_entries)
            .is_some_and(|tags| tags.is_empty());
        if empty_tags {
            let config = with_attributes(&request.config, [("tags", Value::null())]);
            return plan_resource(schema, &PlanRequest { config, ..request });
        }
        plan_resource(schema, &request)
    }

    async fn create(&self, type_name: &str, planned: &Value) -> Result<Value, ProviderError> {
        let planned = &values::known_only(planned);
        match Kind::of(type_name)? {
            Kind::Vpc => vpc::create(self, planned).await,
            Kind::Subnet => subnet::create(self, planned).await,
            Kind::InternetGateway => internet_gateway::create(self, planned).await,
            Kind::RouteTable => route_table::create(self, planned).await,
            Kind::RouteTableAssociation => route_table_association::create(self, planned).await,
            Kind::SecurityGroup => security_group::create(self, planned).await,
            Kind::LaunchTemplate => launch_template::create(self, planned).await,
            Kind::Instance => instance::create(self, planned).await,
        }
    }

    async fn read(&self, type_name: &str, prior: &Value) -> Result<Option<Value>, ProviderError> {
        read_one(self, Kind::of(type_name)?, prior).await
    }

    /// One bulk `Describe*` call per 200 objects (paged) instead of one per object.
    async fn read_many(
        &self,
        type_name: &str,
        priors: &[Value],
    ) -> Vec<Result<Option<Value>, ProviderError>> {
        match Kind::of(type_name) {
            Ok(kind) => read_many(self, kind, priors).await,
            Err(e) => priors.iter().map(|_| Err(e.clone())).collect(),
        }
    }

    async fn update(
        &self,
        type_name: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let planned = &values::known_only(planned);
        match Kind::of(type_name)? {
            Kind::Vpc => vpc::update(self, prior, planned).await,
            Kind::Subnet => subnet::update(self, prior, planned).await,
            Kind::InternetGateway => internet_gateway::update(self, prior, planned).await,
            Kind::RouteTable => route_table::update(self, prior, planned).await,
            Kind::RouteTableAssociation => {
                route_table_association::update(self, prior, planned).await
            }
            Kind::SecurityGroup => security_group::update(self, prior, planned).await,
            Kind::LaunchTemplate => launch_template::update(self, prior, planned).await,
            Kind::Instance => instance::update(self, prior, planned).await,
        }
    }

    async fn delete(&self, type_name: &str, prior: &Value) -> Result<(), ProviderError> {
        match Kind::of(type_name)? {
            Kind::Vpc => vpc::delete(self, prior).await,
            Kind::Subnet => subnet::delete(self, prior).await,
            Kind::InternetGateway => internet_gateway::delete(self, prior).await,
            Kind::RouteTable => route_table::delete(self, prior).await,
            Kind::RouteTableAssociation => route_table_association::delete(self, prior).await,
            Kind::SecurityGroup => security_group::delete(self, prior).await,
            Kind::LaunchTemplate => launch_template::delete(self, prior).await,
            Kind::Instance => instance::delete(self, prior).await,
        }
    }

    /// Imports by AWS id (`i-…`, `vpc-…`, `subnet-…`, `sg-…`, `igw-…`, `rtb-…`, `lt-…`).
    async fn import(&self, type_name: &str, id: &str) -> Result<Option<Value>, ProviderError> {
        let kind = Kind::of(type_name)?;
        if kind == Kind::RouteTableAssociation {
            return Err(ProviderError::unsupported(
                "`aws_route_table_association` cannot be imported yet",
            )
            .with_help("Declare the association instead: creating it again is harmless."));
        }
        let prior = Value::object([("id", Value::string(id))]);
        let Some(found) = read_one(self, kind, &prior).await? else {
            return Ok(None);
        };
        if kind == Kind::Instance {
            let user_data = instance::user_data(self, id).await?;
            return Ok(Some(with_attributes(&found, [("user_data", user_data)])));
        }
        Ok(Some(found))
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, ProviderError> {
        match type_name {
            "aws_ami" => data::ami(self, config).await,
            "aws_availability_zones" => data::availability_zones(self, config).await,
            "aws_instance_type" => data::instance_type(self, config).await,
            other => Err(aic_provider::data_source_schema(&SCHEMA, other)
                .err()
                .unwrap_or_else(|| {
                    ProviderError::unsupported(format!(
                        "this provider has no data source `{other}`"
                    ))
                })),
        }
    }
}

/// An object of resource type `type_name` with the given attributes (null for the rest).
pub(crate) fn object<K: Into<String>>(
    type_name: &str,
    attrs: impl IntoIterator<Item = (K, Value)>,
) -> Value {
    match SCHEMA
        .resource(type_name)
        .or_else(|| SCHEMA.data_source(type_name))
    {
        Some(schema) => schema.instance(attrs),
        None => Value::object(attrs),
    }
}

/// The error for a response that lacks a field AWS always sends.
pub(crate) fn incomplete(operation: &str, field: &str) -> ProviderError {
    ProviderError::other(format!(
        "EC2 {operation} answered without `{field}`; the endpoint may not be EC2"
    ))
}

/// The ids of `priors`, in order; an error for each prior without one.
pub(crate) fn ids(priors: &[Value]) -> Vec<Result<String, ProviderError>> {
    priors
        .iter()
        .map(|p| values::id(p).map(str::to_owned))
        .collect()
}

/// At most this many ids per filter of a bulk `Describe*` call (EC2 accepts up to 200
/// values per filter).
pub(crate) const IDS_PER_CALL: usize = 200;
