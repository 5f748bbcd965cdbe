//! The `aws` provider: Amazon EC2 and VPC on `aws-sdk-ec2`, AWS IoT things and thing groups
//! on `aws-sdk-iot`, AWS IoT Greengrass V2 components and deployments on
//! `aws-sdk-greengrassv2`, with the resource, attribute and nested-block names of the
//! Terraform AWS provider so that configurations port.
//!
//! | resources | data sources |
//! | --- | --- |
//! | `aws_vpc`, `aws_subnet`, `aws_internet_gateway`, `aws_route_table`, `aws_route_table_association`, `aws_security_group`, `aws_launch_template`, `aws_instance` | `aws_ami`, `aws_availability_zones`, `aws_instance_type` |
//! | `aws_iot_thing_group`, `aws_iot_thing`, `aws_iot_thing_group_membership` | |
//! | `aws_greengrassv2_component_version`, `aws_greengrassv2_deployment` | `aws_greengrassv2_core_devices`, `aws_greengrassv2_effective_deployments` |
//!
//! Each type is a [`aic_provider_kit::CloudType`] (or data source): its schema beside its
//! API calls (`resources/`, `data.rs`); the kit makes it a resource and its generic
//! provider dispatches to them. Each provider configuration (`provider aws { region = … }`, one per module
//! instance that declares it) is configured into its own [`Aws`], holding one SDK client
//! per service, all built from one shared SDK configuration (region, credentials, retries),
//! each with its own endpoint when `endpoints { … }` names one. Refresh goes through bulk `Describe*` calls
//! ([`aic_provider::ConfiguredProvider::read_many`]); SDK errors become
//! [`aic_provider::ProviderError`]s of the right kind with AWS's error code
//! ([`error`]).
//!
//! **Architecture invariant**: this is the only crate that links the AWS SDK. It talks to
//! the engine only through the `aic-provider` traits and is reached only through a
//! [`Registry`] ([`register`]). It keeps no state between calls beyond its clients:
//! whatever must be remembered about an object is in the value it returns.
//!
//! The reference in `docs/providers/aws.md` is generated from the schema by
//! `cargo run -p aic-provider-aws --example gen-aws-docs > docs/providers/aws.md`; a test
//! fails when it is stale.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, LazyLock};

use aic_lang::value::Value;
use aic_provider::{ConfiguredProvider, Provider, ProviderError, ProviderSchema, Registry};
use aic_provider_kit::{Cloud, Configured, Table};
use async_trait::async_trait;

pub mod config;
#[cfg(feature = "conformance")]
pub mod conformance;
#[cfg(feature = "conformance")]
pub mod conformance_edge;
mod data;
mod ec2;
pub mod error;
mod fields;
mod greengrass;
mod greengrass_data;
mod iot;
pub mod recipe;
mod resources;
mod tags;
mod values;

pub use aic_provider_kit::Timing;
pub use config::Settings;
pub use ec2::Aws;

/// The provider's types.
static TABLE: LazyLock<Arc<Table<Aws>>> = LazyLock::new(|| {
    Arc::new(
        Table::new(config::schema())
            .resource(Cloud(resources::AwsVpc))
            .resource(Cloud(resources::AwsSubnet))
            .resource(Cloud(resources::AwsInternetGateway))
            .resource(Cloud(resources::AwsRouteTable))
            .resource(Cloud(resources::AwsRouteTableAssociation))
            .resource(Cloud(resources::AwsSecurityGroup))
            .resource(Cloud(resources::AwsLaunchTemplate))
            .resource(Cloud(resources::AwsInstance))
            .resource(Cloud(resources::AwsIotThingGroup))
            .resource(Cloud(resources::AwsIotThing))
            .resource(Cloud(resources::AwsIotThingGroupMembership))
            .resource(Cloud(resources::AwsGreengrassComponentVersion))
            .resource(Cloud(resources::AwsGreengrassDeployment))
            .data_source(data::AwsAmi)
            .data_source(data::AwsAvailabilityZones)
            .data_source(data::AwsInstanceType)
            .data_source(greengrass_data::AwsGreengrassCoreDevices)
            .data_source(greengrass_data::AwsGreengrassEffectiveDeployments),
    )
});

/// The provider's schema, built on first use.
pub static SCHEMA: LazyLock<&'static ProviderSchema> = LazyLock::new(|| TABLE.schema());

/// The `aws` provider before configuration.
#[derive(Debug, Clone, Default)]
pub struct AwsProvider {
    timing: Timing,
    calls: Option<Arc<AtomicU64>>,
    keep_tokens: bool,
}

impl AwsProvider {
    pub fn new() -> AwsProvider {
        AwsProvider::default()
    }

    /// This provider with other polling intervals (short ones for emulators and tests).
    #[must_use]
    pub fn with_timing(mut self, timing: Timing) -> Self {
        self.timing = timing;
        self
    }

    /// This provider counting, in `calls`, every HTTP request its clients send (for tests
    /// and benchmarks).
    #[must_use]
    pub fn with_call_counter(mut self, calls: Arc<AtomicU64>) -> Self {
        self.calls = Some(calls);
        self
    }

    /// This provider's clients leaving the create-token tag on new objects
    /// ([`Aws::keeping_create_tokens`]).
    #[must_use]
    pub fn keeping_create_tokens(mut self) -> Self {
        self.keep_tokens = true;
        self
    }

    /// A client for `settings` (what [`Provider::configure`] sets up for a configuration
    /// value).
    pub async fn configure_settings(&self, settings: &Settings) -> Aws {
        let ec2 = Aws::new(
            settings.clients(self.calls.clone()).await,
            settings.region.clone(),
            self.timing,
        );
        if self.keep_tokens {
            ec2.keeping_create_tokens()
        } else {
            ec2
        }
    }
}

#[async_trait]
impl Provider for AwsProvider {
    fn schema(&self) -> &ProviderSchema {
        TABLE.schema()
    }

    fn sdk(&self) -> Option<String> {
        Some(format!(
            "aws-sdk-ec2 {}, aws-sdk-iot {}, aws-sdk-greengrassv2 {}",
            aws_sdk_ec2::meta::PKG_VERSION,
            aws_sdk_iot::meta::PKG_VERSION,
            aws_sdk_greengrassv2::meta::PKG_VERSION
        ))
    }

    async fn configure(
        &self,
        config: &Value,
    ) -> Result<Arc<dyn ConfiguredProvider>, ProviderError> {
        let settings = Settings::from_config(config)?;
        let ec2 = self.configure_settings(&settings).await;
        Ok(Arc::new(Configured::new(ec2, TABLE.clone())))
    }
}

/// Registers the `aws` provider in `registry` (polling intervals from the environment:
/// `AIC_AWS_POLL_MS`, see [`Timing::from_env`]).
pub fn register(registry: &mut Registry) {
    registry.register(
        "aws",
        Arc::new(AwsProvider::new().with_timing(Timing::from_env("AIC_AWS_POLL_MS"))),
    );
}

/// The Markdown reference of the provider (the text of `docs/providers/aws.md`).
pub fn reference_markdown() -> String {
    let mut out = String::from(
        "# The `aws` provider\n\n\
         <!-- Generated from the provider schema; do not edit. Regenerate with\n     \
         cargo run -p aic-provider-aws --example gen-aws-docs > docs/providers/aws.md -->\n\n\
         Amazon EC2 and VPC (`aws-sdk-ec2`), AWS IoT things and thing groups (`aws-sdk-iot`) \
         and AWS IoT Greengrass V2 components and deployments (`aws-sdk-greengrassv2`) \
         through the AWS SDK for Rust. Resource, attribute and block names are those of the \
         Terraform AWS provider, so configurations port.\n\n\
         - **Use**: *required* attributes must be set; *optional* ones may be (the default \
         applies otherwise); *computed* ones are set by AWS and can be read from the \
         resource.\n\
         - **Force new**: changing the attribute replaces the object (destroy and create, or \
         create then destroy with `lifecycle { create_before_destroy = true }`) instead of \
         updating it in place.\n\
         - **Sensitive**: plans and outputs show `(sensitive)` instead of the value.\n\
         - **Regions**: each `provider aws { … }` configuration has its own client. A module \
         that declares `provider aws { region = var.region }` and is called with \
         `for_each` over regions talks to each region with its own client.\n\
         - **Emulators**: `endpoint = \"http://127.0.0.1:PORT\"` sends every call to a local \
         emulator such as moto (`scripts/moto.sh start`); `endpoints { greengrassv2 = … }` \
         sends one service's calls elsewhere (moto has no Greengrass V2: \
         `scripts/emulator.sh start greengrass` starts the project's emulator). Every \
         service's client shares one SDK configuration (region, credentials, retries). Set \
         `access_key`/`secret_key` (any values) so that no credential lookup leaves the \
         machine. Set `AIC_AWS_POLL_MS` to poll faster than the 2 s the real cloud needs.\n\
         - **Greengrass V2**: a component version is named by its recipe (`ComponentName`, \
         `ComponentVersion`, known when planning); a new version replaces the old one. A \
         change to a deployment is the target's next deployment, and carries a component's \
         `configuration_update` only when it changed, so devices keep the configuration \
         nobody changed. `wait_for = \"COMPLETED\"` waits for the rollout to every core \
         device of the target and fails when it was aborted or a device failed.\n\
         - **Refresh** describes the objects of a type in bulk: one paged `DescribeInstances` \
         per 200 instances (likewise for VPCs, subnets, security groups, gateways and route \
         tables) rather than one call per object.\n\
         - **Import** (`aic import ADDR ID` or `import { to = ADDR, id = ID }`) takes the AWS \
         id: `i-…`, `vpc-…`, `subnet-…`, `sg-…`, `igw-…`, `rtb-…`, `lt-…`; an IoT thing or \
         group by name, a membership as `GROUP/THING`, a component version by its ARN, a \
         deployment by its id.\n\
         - **Lost answers**: every EC2 object aic creates is tagged `aic:create-token` with \
         a token of that create (Greengrass deployments too, and their create token is the \
         request's `clientToken`; IoT objects and component versions are found by name), so that a create whose answer was lost (a timeout, a \
         dropped connection, a crash of aic) finds its object instead of making a second \
         one; the tag is taken off once the answer arrives. Tags whose key starts with `aic:` \
         are not shown in `tags`.\n\
         - **Errors** carry AWS's code and message. Throttling (`RequestLimitExceeded`, \
         `Throttling`) and 5xx answers are retried by the SDK (`max_retries`) and then by \
         aic with backoff. An endpoint that answers an HTML page (an emulator lacking the \
         operation) is reported as not implementing that operation.\n\n",
    );
    out.push_str(&aic_provider::docs::markdown("aws", TABLE.schema()));
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
