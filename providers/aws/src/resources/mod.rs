//! One module per resource type, each a [`aic_provider_kit::CloudType`] on the EC2, IoT or
//! Greengrass V2 API:
//! its schema, declared with its fields, beside its calls (create, complete, describe,
//! change, delete), turning API objects into values and back; the kit's
//! [`aic_provider_kit::Cloud`] does the rest.
//!
//! EC2 reads are bulk: a type describes all the objects it is given with one paged call per
//! [`IDS_PER_CALL`](crate::ec2::IDS_PER_CALL) ids, filtering by id so that objects that
//! are gone are simply missing (`None`) instead of failing the whole call. Creates tag the
//! object with the create's token ([`crate::ec2::TOKEN_TAG`]), by which the object of a
//! create whose answer was lost is found.

mod greengrass_component_version;
mod greengrass_deployment;
mod instance;
mod internet_gateway;
mod iot_thing;
mod iot_thing_group;
mod iot_thing_group_membership;
mod launch_template;
mod route_table;
mod route_table_association;
mod security_group;
mod subnet;
mod vpc;

pub(crate) use greengrass_component_version::AwsGreengrassComponentVersion;
pub(crate) use greengrass_deployment::AwsGreengrassDeployment;
pub(crate) use instance::AwsInstance;
pub(crate) use internet_gateway::AwsInternetGateway;
pub(crate) use iot_thing::AwsIotThing;
pub(crate) use iot_thing_group::AwsIotThingGroup;
pub(crate) use iot_thing_group_membership::AwsIotThingGroupMembership;
pub(crate) use launch_template::AwsLaunchTemplate;
pub(crate) use route_table::AwsRouteTable;
pub(crate) use route_table_association::AwsRouteTableAssociation;
pub(crate) use security_group::AwsSecurityGroup;
pub(crate) use subnet::AwsSubnet;
pub(crate) use vpc::AwsVpc;

pub(crate) use aic_provider_kit::values::problem_at;
