//! The conformance cases of the `aws` provider (feature `conformance`), against moto: one
//! per resource type, for [`aic_provider_testkit::Suite::run`]. Faults are injected by a
//! [`FaultProxy`] between the provider and moto, answering with EC2's own error
//! documents; changes out of band and counts go straight to moto through the SDK.
//!
//! Every object a case makes carries the tag `aic-conformance = TYPE`, by which its
//! objects are counted; the dependencies a case needs (a VPC for a subnet) are made
//! through the SDK, without that tag.

use std::sync::Arc;

use aic_lang::value::Value;
use aic_provider::Provider;
use aic_provider_testkit::backend::Moto;
use aic_provider_testkit::faults::{FaultKind, FaultProxy};
use aic_provider_testkit::http::Message;
use aic_provider_testkit::{Aic, Case, Drift, Import, Scenario, Suite, Target, Variant};
use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, InstanceStateName, Tag};

use crate::{AwsProvider, Timing};

/// The region the run works in.
pub const REGION: &str = "us-east-1";
/// An AMI moto knows in every region.
pub const AMI: &str = "ami-03cf127a";
/// Another one, to force replacements.
pub const OTHER_AMI: &str = "ami-12c6146b";

const MARK: &str = "aic-conformance";

/// The SDK, for tests that make or check EC2 objects behind aic's back (the CLI's
/// end-to-end tests, which do not depend on it themselves).
pub use aws_sdk_ec2;

/// An SDK client straight to `endpoint` (moto) in `region`, with moto's static
/// credentials.
pub async fn sdk_client(endpoint: &str, region: &str) -> aws_sdk_ec2::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_owned()))
        .credentials_provider(aws_sdk_ec2::config::Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "aic-tests",
        ))
        .endpoint_url(endpoint)
        .load()
        .await;
    aws_sdk_ec2::Client::new(&config)
}

/// moto, the fault proxy in front of it, and an SDK client straight to moto.
pub struct Backend {
    pub moto: Moto,
    pub proxy: FaultProxy,
    pub sdk: aws_sdk_ec2::Client,
}

impl Backend {
    pub async fn start() -> Result<Arc<Backend>, String> {
        let moto = Moto::start();
        let proxy = FaultProxy::start(moto.port, ec2_error)?;
        let sdk = sdk_client(&moto.endpoint(), REGION).await;
        Ok(Arc::new(Backend { moto, proxy, sdk }))
    }

    /// The provider configuration: through the proxy, with static credentials and no
    /// retries by the SDK (so that the faults reach the provider).
    pub fn provider_config(&self) -> Value {
        Value::object([
            ("region", Value::string(REGION)),
            ("endpoint", Value::string(self.proxy.endpoint())),
            ("access_key", Value::string("testing")),
            ("secret_key", Value::string("testing")),
            ("max_retries", Value::number(0.0)),
        ])
    }

    /// The run of the `aws` provider; `aic` runs its crash-recovery step.
    pub async fn suite(self: &Arc<Self>, aic: Option<Aic>) -> Result<Suite, String> {
        suite(
            self.provider_config(),
            Arc::new(ProxyFaults(self.clone())),
            aic,
        )
        .await
    }

    /// One case per resource type.
    pub fn cases(self: &Arc<Self>) -> Vec<Box<dyn Case>> {
        [
            Kind::Vpc,
            Kind::Subnet,
            Kind::InternetGateway,
            Kind::RouteTable,
            Kind::RouteTableAssociation,
            Kind::SecurityGroup,
            Kind::LaunchTemplate,
            Kind::Instance,
        ]
        .into_iter()
        .map(|kind| {
            Box::new(AwsCase {
                kind,
                backend: self.clone(),
                fixture: tokio::sync::OnceCell::new(),
            }) as Box<dyn Case>
        })
        .collect()
    }
}

/// The run of the `aws` provider configured with `config`, faulted by `faults`; `aic`
/// runs its crash-recovery step.
pub async fn suite(
    config: Value,
    faults: Arc<dyn aic_provider_testkit::Faults>,
    aic: Option<Aic>,
) -> Result<Suite, String> {
    // The crash-recovery step makes the object of a create whose answer was lost in
    // process: it must keep its token, as such an object does.
    let provider = AwsProvider::new()
        .with_timing(Timing::fast())
        .keeping_create_tokens()
        .configure(&config)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Suite {
        provider_name: "aws".to_owned(),
        provider_config: config,
        provider,
        faults,
        aic: aic.map(|a| a.env("AIC_AWS_POLL_MS", "10")),
        attempts: 5,
    })
}

/// The proxy's faults, owned through the backend.
struct ProxyFaults(Arc<Backend>);

impl aic_provider_testkit::Faults for ProxyFaults {
    fn inject(&self, fault: &aic_provider_testkit::Fault) -> Result<(), String> {
        self.0.proxy.inject(fault)
    }

    fn pending(&self) -> Result<u32, String> {
        self.0.proxy.pending()
    }

    fn clear(&self) -> Result<(), String> {
        self.0.proxy.clear()
    }
}

/// EC2's error document for an injected fault.
fn ec2_error(kind: FaultKind) -> Message {
    let (status, code, message) = match kind {
        FaultKind::Throttle => (
            "503 Service Unavailable",
            "RequestLimitExceeded",
            "Request limit exceeded.",
        ),
        _ => (
            "500 Internal Server Error",
            "InternalError",
            "An internal error has occurred.",
        ),
    };
    Message {
        start: format!("HTTP/1.1 {status}"),
        headers: vec![("Content-Type".into(), "text/xml;charset=UTF-8".into())],
        body: format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>conformance</RequestID></Response>"
        )
        .into_bytes(),
    }
}

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

/// What a case's configurations refer to, made through the SDK.
#[derive(Debug, Clone, Default)]
struct Fixture {
    vpc: String,
    other_vpc: String,
    subnet: String,
    other_subnet: String,
    route_table: String,
    other_route_table: String,
}

struct AwsCase {
    kind: Kind,
    backend: Arc<Backend>,
    fixture: tokio::sync::OnceCell<Fixture>,
}

fn s(text: &str) -> Value {
    Value::string(text)
}

fn tags(stage: &str, type_name: &str) -> Value {
    Value::map([(MARK, s(type_name)), ("stage", s(stage))])
}

impl AwsCase {
    fn sdk(&self) -> &aws_sdk_ec2::Client {
        &self.backend.sdk
    }

    async fn fixture(&self) -> Result<&Fixture, String> {
        self.fixture.get_or_try_init(|| self.make_fixture()).await
    }

    async fn make_fixture(&self) -> Result<Fixture, String> {
        let needs_network = !matches!(self.kind, Kind::Vpc | Kind::LaunchTemplate);
        if !needs_network {
            return Ok(Fixture::default());
        }
        let sdk = self.sdk();
        let vpc = |cidr: &'static str| async move {
            sdk.create_vpc()
                .cidr_block(cidr)
                .send()
                .await
                .map_err(|e| format!("CreateVpc: {e:?}"))?
                .vpc()
                .and_then(|v| v.vpc_id())
                .map(str::to_owned)
                .ok_or_else(|| "no VPC id".to_owned())
        };
        let subnet = |vpc: String, cidr: &'static str| async move {
            sdk.create_subnet()
                .vpc_id(vpc)
                .cidr_block(cidr)
                .availability_zone(format!("{REGION}a"))
                .send()
                .await
                .map_err(|e| format!("CreateSubnet: {e:?}"))?
                .subnet()
                .and_then(|s| s.subnet_id())
                .map(str::to_owned)
                .ok_or_else(|| "no subnet id".to_owned())
        };
        let table = |vpc: String| async move {
            sdk.create_route_table()
                .vpc_id(vpc)
                .send()
                .await
                .map_err(|e| format!("CreateRouteTable: {e:?}"))?
                .route_table()
                .and_then(|t| t.route_table_id())
                .map(str::to_owned)
                .ok_or_else(|| "no route table id".to_owned())
        };
        let main = vpc("10.90.0.0/16").await?;
        Ok(Fixture {
            subnet: subnet(main.clone(), "10.90.1.0/24").await?,
            other_subnet: subnet(main.clone(), "10.90.2.0/24").await?,
            route_table: table(main.clone()).await?,
            other_route_table: table(main.clone()).await?,
            other_vpc: vpc("10.91.0.0/16").await?,
            vpc: main,
        })
    }

    fn marked(&self) -> Filter {
        Filter::builder()
            .name(format!("tag:{MARK}"))
            .values(self.type_name())
            .build()
    }
}

fn id_of(object: &Value) -> String {
    object
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

#[async_trait]
impl Case for AwsCase {
    fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::Vpc => "aws_vpc",
            Kind::Subnet => "aws_subnet",
            Kind::InternetGateway => "aws_internet_gateway",
            Kind::RouteTable => "aws_route_table",
            Kind::RouteTableAssociation => "aws_route_table_association",
            Kind::SecurityGroup => "aws_security_group",
            Kind::LaunchTemplate => "aws_launch_template",
            Kind::Instance => "aws_instance",
        }
    }

    async fn scenario(&self) -> Result<Scenario, String> {
        let f = self.fixture().await?.clone();
        let t = self.type_name();
        let with = |pairs: Vec<(&str, Value)>| Value::object(pairs);
        let (create, update, replace, action) = match self.kind {
            Kind::Vpc => {
                let vpc = |cidr: &str, stage: &str| {
                    with(vec![("cidr_block", s(cidr)), ("tags", tags(stage, t))])
                };
                (
                    vpc("10.1.0.0/16", "one"),
                    Variant::To(vpc("10.1.0.0/16", "two")),
                    Variant::To(vpc("10.2.0.0/16", "two")),
                    "CreateVpc",
                )
            }
            Kind::Subnet => {
                let subnet = |cidr: &str, stage: &str| {
                    with(vec![
                        ("vpc_id", s(&f.vpc)),
                        ("cidr_block", s(cidr)),
                        ("availability_zone", s(&format!("{REGION}a"))),
                        ("tags", tags(stage, t)),
                    ])
                };
                (
                    subnet("10.90.10.0/24", "one"),
                    Variant::To(subnet("10.90.10.0/24", "two")),
                    Variant::To(subnet("10.90.11.0/24", "two")),
                    "CreateSubnet",
                )
            }
            Kind::InternetGateway => {
                let gateway = |vpc: &str, stage: &str| {
                    with(vec![("vpc_id", s(vpc)), ("tags", tags(stage, t))])
                };
                (
                    gateway(&f.vpc, "one"),
                    Variant::To(gateway(&f.other_vpc, "two")),
                    Variant::None("no argument of `aws_internet_gateway` forces replacement"),
                    "CreateInternetGateway",
                )
            }
            Kind::RouteTable => {
                let table = |vpc: &str, stage: &str| {
                    with(vec![("vpc_id", s(vpc)), ("tags", tags(stage, t))])
                };
                (
                    table(&f.vpc, "one"),
                    Variant::To(table(&f.vpc, "two")),
                    Variant::To(table(&f.other_vpc, "two")),
                    "CreateRouteTable",
                )
            }
            Kind::RouteTableAssociation => {
                let association = |subnet: &str, table: &str| {
                    with(vec![("subnet_id", s(subnet)), ("route_table_id", s(table))])
                };
                (
                    association(&f.subnet, &f.route_table),
                    Variant::To(association(&f.subnet, &f.other_route_table)),
                    Variant::To(association(&f.other_subnet, &f.other_route_table)),
                    "AssociateRouteTable",
                )
            }
            Kind::SecurityGroup => {
                let group = |name: &str, stage: &str| {
                    with(vec![
                        ("name", s(name)),
                        ("vpc_id", s(&f.vpc)),
                        ("tags", tags(stage, t)),
                        (
                            "ingress",
                            Value::tuple([with(vec![
                                ("from_port", Value::number(443.0)),
                                ("to_port", Value::number(443.0)),
                                ("protocol", s("tcp")),
                                ("cidr_blocks", Value::list([s("10.0.0.0/8")])),
                            ])]),
                        ),
                    ])
                };
                (
                    group("conformance", "one"),
                    Variant::To(group("conformance", "two")),
                    Variant::To(group("conformance-2", "two")),
                    "CreateSecurityGroup",
                )
            }
            Kind::LaunchTemplate => {
                let template = |name: &str, ami: &str, stage: &str| {
                    with(vec![
                        ("name", s(name)),
                        ("image_id", s(ami)),
                        ("instance_type", s("t3.micro")),
                        ("tags", tags(stage, t)),
                    ])
                };
                // moto describes a template with the tags it was created with, whatever
                // `CreateTags` did since: the update changes the launch data only.
                (
                    template("conformance", AMI, "one"),
                    Variant::To(template("conformance", OTHER_AMI, "one")),
                    Variant::To(template("conformance-2", OTHER_AMI, "one")),
                    "CreateLaunchTemplate",
                )
            }
            Kind::Instance => {
                let instance = |ami: &str, kind: &str, stage: &str| {
                    with(vec![
                        ("ami", s(ami)),
                        ("instance_type", s(kind)),
                        ("subnet_id", s(&f.subnet)),
                        ("tags", tags(stage, t)),
                    ])
                };
                (
                    instance(AMI, "t3.micro", "one"),
                    Variant::To(instance(AMI, "t3.small", "two")),
                    Variant::To(instance(OTHER_AMI, "t3.small", "two")),
                    "RunInstances",
                )
            }
        };
        Ok(Scenario {
            create,
            update,
            replace,
            import: if self.kind == Kind::RouteTableAssociation {
                Import::Unsupported("`aws_route_table_association` cannot be imported yet")
            } else {
                Import::Id(Box::new(id_of))
            },
            import_ignores: vec![],
            create_request: Some(Target::request(format!("Action={action}&"))),
        })
    }

    async fn drift(&self, object: &Value) -> Result<Drift, String> {
        let id = id_of(object);
        if self.kind == Kind::RouteTableAssociation {
            // Disassociated behind aic's back: the object is gone.
            self.sdk()
                .disassociate_route_table()
                .association_id(id)
                .send()
                .await
                .map_err(|e| format!("DisassociateRouteTable: {e:?}"))?;
            return Ok(Drift::Made);
        }
        if self.kind == Kind::LaunchTemplate {
            // A new default version made behind aic's back (moto does not show later tags).
            let version = self
                .sdk()
                .create_launch_template_version()
                .launch_template_id(&id)
                .launch_template_data(
                    aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                        .image_id(AMI)
                        .instance_type(aws_sdk_ec2::types::InstanceType::M5Large)
                        .build(),
                )
                .send()
                .await
                .map_err(|e| format!("CreateLaunchTemplateVersion: {e:?}"))?
                .launch_template_version()
                .and_then(|v| v.version_number())
                .ok_or("no version number")?;
            self.sdk()
                .modify_launch_template()
                .launch_template_id(&id)
                .default_version(version.to_string())
                .send()
                .await
                .map_err(|e| format!("ModifyLaunchTemplate: {e:?}"))?;
            return Ok(Drift::Made);
        }
        self.sdk()
            .create_tags()
            .resources(id)
            .tags(Tag::builder().key("drift").value("outside aic").build())
            .send()
            .await
            .map_err(|e| format!("CreateTags: {e:?}"))?;
        Ok(Drift::Made)
    }

    async fn count(&self) -> Result<Option<usize>, String> {
        let sdk = self.sdk();
        let err = |op: &str, e: &dyn std::fmt::Debug| format!("{op}: {e:?}");
        let n = match self.kind {
            Kind::Vpc => sdk
                .describe_vpcs()
                .filters(self.marked())
                .send()
                .await
                .map_err(|e| err("DescribeVpcs", &e))?
                .vpcs()
                .len(),
            Kind::Subnet => sdk
                .describe_subnets()
                .filters(self.marked())
                .send()
                .await
                .map_err(|e| err("DescribeSubnets", &e))?
                .subnets()
                .len(),
            Kind::InternetGateway => sdk
                .describe_internet_gateways()
                .filters(self.marked())
                .send()
                .await
                .map_err(|e| err("DescribeInternetGateways", &e))?
                .internet_gateways()
                .len(),
            Kind::RouteTable => sdk
                .describe_route_tables()
                .filters(self.marked())
                .send()
                .await
                .map_err(|e| err("DescribeRouteTables", &e))?
                .route_tables()
                .len(),
            Kind::RouteTableAssociation => {
                let f = self.fixture().await?;
                sdk.describe_route_tables()
                    .route_table_ids(&f.route_table)
                    .route_table_ids(&f.other_route_table)
                    .send()
                    .await
                    .map_err(|e| err("DescribeRouteTables", &e))?
                    .route_tables()
                    .iter()
                    .flat_map(|t| t.associations())
                    .filter(|a| a.main() != Some(true))
                    .count()
            }
            Kind::SecurityGroup => sdk
                .describe_security_groups()
                .filters(self.marked())
                .send()
                .await
                .map_err(|e| err("DescribeSecurityGroups", &e))?
                .security_groups()
                .len(),
            Kind::LaunchTemplate => sdk
                .describe_launch_templates()
                .filters(self.marked())
                .send()
                .await
                .map_err(|e| err("DescribeLaunchTemplates", &e))?
                .launch_templates()
                .len(),
            Kind::Instance => sdk
                .describe_instances()
                .filters(self.marked())
                .send()
                .await
                .map_err(|e| err("DescribeInstances", &e))?
                .reservations()
                .iter()
                .flat_map(|r| r.instances())
                .filter(|i| {
                    !matches!(
                        i.state().and_then(|s| s.name()),
                        Some(InstanceStateName::Terminated | InstanceStateName::ShuttingDown)
                    )
                })
                .count(),
        };
        Ok(Some(n))
    }
}
