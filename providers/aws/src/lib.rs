//! The `aws` provider: Amazon EC2 and VPC on `aws-sdk-ec2`, with the resource, attribute
//! and nested-block names of the Terraform AWS provider so that configurations port.
//!
//! | resources | data sources |
//! | --- | --- |
//! | `aws_vpc`, `aws_subnet`, `aws_internet_gateway`, `aws_route_table`, `aws_route_table_association`, `aws_security_group`, `aws_launch_template`, `aws_instance` | `aws_ami`, `aws_availability_zones`, `aws_instance_type` |
//!
//! Each type is a [`aic_provider_kit::CloudType`] (or data source): its schema beside its
//! API calls (`resources/`, `data.rs`); the kit makes it a resource and its generic
//! provider dispatches to them. Each provider configuration (`provider aws { region = … }`, one per module
//! instance that declares it) is configured into its own [`Ec2`], holding one SDK client
//! for its region, endpoint and credentials. Refresh goes through bulk `Describe*` calls
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
mod data;
mod ec2;
pub mod error;
mod fields;
mod resources;
mod tags;
mod values;

pub use aic_provider_kit::Timing;
pub use config::Settings;
pub use ec2::Ec2;

/// The provider's types.
static TABLE: LazyLock<Arc<Table<Ec2>>> = LazyLock::new(|| {
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
            .data_source(data::AwsAmi)
            .data_source(data::AwsAvailabilityZones)
            .data_source(data::AwsInstanceType),
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
    /// ([`Ec2::keeping_create_tokens`]).
    #[must_use]
    pub fn keeping_create_tokens(mut self) -> Self {
        self.keep_tokens = true;
        self
    }

    /// A client for `settings` (what [`Provider::configure`] sets up for a configuration
    /// value).
    pub async fn configure_settings(&self, settings: &Settings) -> Ec2 {
        let ec2 = Ec2::new(
            settings.client(self.calls.clone()).await,
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
        Some(format!("aws-sdk-ec2 {}", aws_sdk_ec2::meta::PKG_VERSION))
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
         Amazon EC2 and VPC through the AWS SDK for Rust (`aws-sdk-ec2`). Resource, attribute \
         and block names are those of the Terraform AWS provider, so configurations port.\n\n\
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
         emulator such as moto (`scripts/moto.sh start`); set `access_key`/`secret_key` \
         (any values) so that no credential lookup leaves the machine. Set \
         `AIC_AWS_POLL_MS` to poll faster than the 2 s the real cloud needs.\n\
         - **Refresh** describes the objects of a type in bulk: one paged `DescribeInstances` \
         per 200 instances (likewise for VPCs, subnets, security groups, gateways and route \
         tables) rather than one call per object.\n\
         - **Import** (`aic import ADDR ID` or `import { to = ADDR, id = ID }`) takes the AWS \
         id: `i-…`, `vpc-…`, `subnet-…`, `sg-…`, `igw-…`, `rtb-…`, `lt-…`.\n\
         - **Lost answers**: every object aic creates is tagged `aic:create-token` with \
         a token of that create, so that a create whose answer was lost (a timeout, a \
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
