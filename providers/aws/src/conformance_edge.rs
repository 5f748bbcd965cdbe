//! The conformance cases of the `aws` provider's IoT and Greengrass V2 types (feature
//! `conformance`): IoT against moto behind a [`FaultProxy`] answering with IoT's own JSON
//! errors, Greengrass V2 against the project's emulator (`scripts/emulator.sh start
//! greengrass`, reading thing groups from that moto), faulted through its control API.
//! Changes out of band and counts go straight to moto and the emulator through the SDKs.

use std::sync::Arc;

use aic_lang::value::Value;
use aic_provider_testkit::backend::{Emulator, Moto};
use aic_provider_testkit::faults::{FaultKind, FaultProxy};
use aic_provider_testkit::http::Message;
use aic_provider_testkit::{
    Aic, Case, Drift, EmulatorFaults, Import, Scenario, Suite, Target, Variant,
};
use async_trait::async_trait;
use aws_sdk_greengrassv2::types::{
    ComponentDeploymentSpecification, ComponentVisibilityScope, DeploymentHistoryFilter,
};

use crate::conformance::suite;

/// The region the run works in.
pub const REGION: &str = "us-east-1";
/// The tag every Greengrass object of the run carries.
const MARK: &str = "aic-conformance";

/// The SDKs, for tests that make or check IoT and Greengrass objects behind aic's back.
pub use aws_sdk_greengrassv2;
pub use aws_sdk_iot;

/// A recipe of component `com.example.Conformance` at `version`, in YAML.
pub fn recipe(name: &str, version: &str) -> String {
    format!(
        "RecipeFormatVersion: '2020-01-25'\nComponentName: {name}\nComponentVersion: '{version}'\n\
         ComponentDescription: A component of aic's tests.\nComponentPublisher: aic\n\
         ComponentConfiguration:\n  DefaultConfiguration:\n    greeting: hello\n\
         Manifests:\n  - Platform:\n      os: linux\n    Lifecycle:\n      Run: echo {{configuration:/greeting}}\n"
    )
}

/// The shared SDK configuration of clients straight to `endpoint`, with static test
/// credentials.
async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .credentials_provider(aws_sdk_iot::config::Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "aic-tests",
        ))
        .endpoint_url(endpoint)
        .load()
        .await
}

/// An IoT client straight to `endpoint` (moto).
pub async fn iot_client(endpoint: &str) -> aws_sdk_iot::Client {
    aws_sdk_iot::Client::new(&sdk_config(endpoint).await)
}

/// A Greengrass V2 client straight to `endpoint` (the emulator).
pub async fn greengrass_client(endpoint: &str) -> aws_sdk_greengrassv2::Client {
    aws_sdk_greengrassv2::Client::new(&sdk_config(endpoint).await)
}

/// moto (IoT), the fault proxy in front of it, the Greengrass V2 emulator reading thing
/// groups from that moto, and SDK clients straight to both.
pub struct Backend {
    pub moto: Moto,
    pub proxy: Arc<FaultProxy>,
    pub emulator: Emulator,
    pub iot: aws_sdk_iot::Client,
    pub greengrass: aws_sdk_greengrassv2::Client,
}

impl Backend {
    /// Starts moto and the emulator; `settings` are more emulator settings (`KEY=JSON`).
    pub async fn start(settings: &[&str]) -> Result<Arc<Backend>, String> {
        let moto = Moto::start();
        let proxy = Arc::new(FaultProxy::start(moto.port, iot_error)?);
        let iot_endpoint = format!("iot_endpoint=\"{}\"", moto.endpoint());
        let mut all = vec![
            "time_scale=20",
            "membership_refresh_seconds=0.2",
            iot_endpoint.as_str(),
        ];
        all.extend_from_slice(settings);
        let emulator = Emulator::start("greengrass", &all);
        let iot = iot_client(&moto.endpoint()).await;
        let greengrass = greengrass_client(emulator.endpoint()).await;
        Ok(Arc::new(Backend {
            moto,
            proxy,
            emulator,
            iot,
            greengrass,
        }))
    }

    /// The provider configuration: IoT through the proxy, Greengrass V2 to the emulator,
    /// static credentials, no retries by the SDK (so that faults reach the provider).
    pub fn provider_config(&self) -> Value {
        Value::object([
            ("region", Value::string(REGION)),
            ("endpoint", Value::string(self.proxy.endpoint())),
            ("access_key", Value::string("testing")),
            ("secret_key", Value::string("testing")),
            ("max_retries", Value::number(0.0)),
            (
                "endpoints",
                Value::object([
                    ("ec2", Value::null()),
                    ("iot", Value::null()),
                    ("greengrassv2", Value::string(self.emulator.endpoint())),
                ]),
            ),
        ])
    }

    /// The run of the IoT types, faulted by the proxy.
    pub async fn iot_suite(self: &Arc<Self>, aic: Option<Aic>) -> Result<Suite, String> {
        suite(self.provider_config(), self.proxy.clone(), aic).await
    }

    /// The run of the Greengrass V2 types, faulted through the emulator's control API.
    pub async fn greengrass_suite(self: &Arc<Self>, aic: Option<Aic>) -> Result<Suite, String> {
        let faults = Arc::new(EmulatorFaults::new(self.emulator.endpoint())?);
        suite(self.provider_config(), faults, aic).await
    }

    /// One case per IoT type.
    pub fn iot_cases(self: &Arc<Self>) -> Vec<Box<dyn Case>> {
        [Kind::ThingGroup, Kind::Thing, Kind::Membership]
            .into_iter()
            .map(|kind| self.case(kind))
            .collect()
    }

    /// One case per Greengrass V2 type.
    pub fn greengrass_cases(self: &Arc<Self>) -> Vec<Box<dyn Case>> {
        [Kind::ComponentVersion, Kind::Deployment]
            .into_iter()
            .map(|kind| self.case(kind))
            .collect()
    }

    fn case(self: &Arc<Self>, kind: Kind) -> Box<dyn Case> {
        Box::new(EdgeCase {
            kind,
            backend: self.clone(),
            groups: tokio::sync::OnceCell::new(),
        })
    }

    /// Makes thing group `name` in moto; its ARN.
    pub async fn thing_group(&self, name: &str) -> Result<String, String> {
        self.iot
            .create_thing_group()
            .thing_group_name(name)
            .send()
            .await
            .map_err(|e| format!("CreateThingGroup: {e:?}"))?
            .thing_group_arn()
            .map(str::to_owned)
            .ok_or_else(|| "no thing group ARN".to_owned())
    }

    /// Makes thing `name` in moto.
    pub async fn thing(&self, name: &str) -> Result<(), String> {
        self.iot
            .create_thing()
            .thing_name(name)
            .send()
            .await
            .map_err(|e| format!("CreateThing: {e:?}"))?;
        Ok(())
    }
}

/// IoT's JSON error for an injected fault.
fn iot_error(kind: FaultKind) -> Message {
    let (status, code, message) = match kind {
        FaultKind::Throttle => (
            "429 Too Many Requests",
            "ThrottlingException",
            "Rate exceeded",
        ),
        _ => (
            "500 Internal Server Error",
            "InternalFailureException",
            "An internal failure occurred.",
        ),
    };
    Message {
        start: format!("HTTP/1.1 {status}"),
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("x-amzn-ErrorType".into(), code.into()),
        ],
        body: format!("{{\"message\":\"{message}\"}}").into_bytes(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    ThingGroup,
    Thing,
    Membership,
    ComponentVersion,
    Deployment,
}

struct EdgeCase {
    kind: Kind,
    backend: Arc<Backend>,
    /// The thing groups a case refers to (made in moto): names and ARNs.
    groups: tokio::sync::OnceCell<Vec<(String, String)>>,
}

fn s(text: &str) -> Value {
    Value::string(text)
}

fn id_of(object: &Value) -> String {
    object
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn string_map(pairs: &[(&str, &str)]) -> Value {
    Value::map(pairs.iter().map(|(k, v)| (*k, s(v))))
}

const COMPONENT: &str = "com.example.Conformance";
const MEMBER: &str = "member-thing";

impl EdgeCase {
    async fn groups(&self) -> Result<&Vec<(String, String)>, String> {
        self.groups
            .get_or_try_init(|| async {
                let names: &[&str] = match self.kind {
                    Kind::Membership => {
                        self.backend.thing(MEMBER).await?;
                        &["member-group-a", "member-group-b"]
                    }
                    Kind::Deployment => &["fleet-a", "fleet-b"],
                    _ => &[],
                };
                let mut groups = Vec::new();
                for name in names {
                    groups.push(((*name).to_owned(), self.backend.thing_group(name).await?));
                }
                Ok(groups)
            })
            .await
    }

    async fn group(&self, index: usize) -> Result<(String, String), String> {
        self.groups()
            .await?
            .get(index)
            .cloned()
            .ok_or_else(|| format!("no thing group {index}"))
    }

    /// The deployments the run made that their targets run now.
    async fn latest_marked_deployments(&self) -> Result<usize, String> {
        let gg = &self.backend.greengrass;
        let listed = gg
            .list_deployments()
            .history_filter(DeploymentHistoryFilter::LatestOnly)
            .send()
            .await
            .map_err(|e| format!("ListDeployments: {e:?}"))?;
        let mut n = 0;
        for d in listed.deployments() {
            let Some(id) = d.deployment_id() else {
                continue;
            };
            let got = gg
                .get_deployment()
                .deployment_id(id)
                .send()
                .await
                .map_err(|e| format!("GetDeployment: {e:?}"))?;
            if got.tags().is_some_and(|t| t.contains_key(MARK)) {
                n += 1;
            }
        }
        Ok(n)
    }
}

#[async_trait]
impl Case for EdgeCase {
    fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::ThingGroup => "aws_iot_thing_group",
            Kind::Thing => "aws_iot_thing",
            Kind::Membership => "aws_iot_thing_group_membership",
            Kind::ComponentVersion => "aws_greengrassv2_component_version",
            Kind::Deployment => "aws_greengrassv2_deployment",
        }
    }

    async fn scenario(&self) -> Result<Scenario, String> {
        let post = |contains: &str| {
            Some(Target::Request {
                method: Some("POST".into()),
                contains: contains.into(),
            })
        };
        let scenario = match self.kind {
            Kind::ThingGroup => {
                let group = |name: &str, stage: &str| {
                    Value::object([
                        ("name", s(name)),
                        (
                            "properties",
                            Value::object([
                                ("description", s(&format!("stage {stage}"))),
                                (
                                    "attribute_payload",
                                    Value::object([(
                                        "attributes",
                                        string_map(&[("stage", stage)]),
                                    )]),
                                ),
                            ]),
                        ),
                    ])
                };
                Scenario {
                    create: group("conformance-group", "one"),
                    update: Variant::To(group("conformance-group", "two")),
                    replace: Variant::To(group("conformance-group-2", "two")),
                    import: Import::Id(Box::new(id_of)),
                    import_ignores: vec![],
                    create_request: post("/thing-groups/conformance-group"),
                }
            }
            Kind::Thing => {
                let thing = |name: &str, stage: &str| {
                    Value::object([
                        ("name", s(name)),
                        ("attributes", string_map(&[("stage", stage)])),
                    ])
                };
                Scenario {
                    create: thing("conformance-thing", "one"),
                    update: Variant::To(thing("conformance-thing", "two")),
                    replace: Variant::To(thing("conformance-thing-2", "two")),
                    import: Import::Id(Box::new(id_of)),
                    import_ignores: vec![],
                    create_request: post("/things/conformance-thing"),
                }
            }
            Kind::Membership => {
                let member = |group: &str| {
                    Value::object([("thing_name", s(MEMBER)), ("thing_group_name", s(group))])
                };
                let (a, _) = self.group(0).await?;
                let (b, _) = self.group(1).await?;
                Scenario {
                    create: member(&a),
                    update: Variant::None(
                        "both arguments of a membership force a new one: IoT has no call that \
                         changes a membership",
                    ),
                    replace: Variant::To(member(&b)),
                    import: Import::Id(Box::new(id_of)),
                    import_ignores: vec![],
                    create_request: Some(Target::request("/thing-groups/addThingToThingGroup")),
                }
            }
            Kind::ComponentVersion => {
                let version = |v: &str, stage: &str| {
                    Value::object([
                        ("inline_recipe", s(&recipe(COMPONENT, v))),
                        ("tags", string_map(&[(MARK, "component"), ("stage", stage)])),
                    ])
                };
                Scenario {
                    create: version("1.0.0", "one"),
                    update: Variant::To(version("1.0.0", "two")),
                    replace: Variant::To(version("2.0.0", "two")),
                    import: Import::Id(Box::new(id_of)),
                    // The service answers its own rewriting of a recipe, not the one sent.
                    import_ignores: vec!["inline_recipe"],
                    create_request: post("/greengrass/v2/createComponentVersion"),
                }
            }
            Kind::Deployment => {
                let (_, a) = self.group(0).await?;
                let (_, b) = self.group(1).await?;
                let deployment = |target: &str, name: &str, version: &str| {
                    Value::object([
                        ("target_arn", s(target)),
                        ("deployment_name", s(name)),
                        (
                            "components",
                            Value::map([(
                                "com.example.App",
                                Value::object([
                                    ("component_version", s(version)),
                                    (
                                        "configuration_update",
                                        Value::object([
                                            ("merge", s("{\"greeting\":\"hi\"}")),
                                            ("reset", Value::null()),
                                        ]),
                                    ),
                                    ("run_with", Value::null()),
                                ]),
                            )]),
                        ),
                        (
                            "deployment_policies",
                            Value::object([
                                ("failure_handling_policy", s("ROLLBACK")),
                                ("component_update_policy", Value::null()),
                                ("configuration_validation_policy", Value::null()),
                            ]),
                        ),
                        ("tags", string_map(&[(MARK, "deployment")])),
                    ])
                };
                Scenario {
                    create: deployment(&a, "one", "1.0.0"),
                    update: Variant::To(deployment(&a, "two", "1.1.0")),
                    replace: Variant::To(deployment(&b, "two", "1.1.0")),
                    import: Import::Id(Box::new(id_of)),
                    import_ignores: vec![],
                    create_request: post("/greengrass/v2/deployments"),
                }
            }
        };
        Ok(scenario)
    }

    async fn drift(&self, object: &Value) -> Result<Drift, String> {
        let id = id_of(object);
        let iot = &self.backend.iot;
        let gg = &self.backend.greengrass;
        match self.kind {
            Kind::ThingGroup => {
                iot.update_thing_group()
                    .thing_group_name(&id)
                    .thing_group_properties(
                        aws_sdk_iot::types::ThingGroupProperties::builder()
                            .thing_group_description("changed outside aic")
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| format!("UpdateThingGroup: {e:?}"))?;
            }
            Kind::Thing => {
                iot.update_thing()
                    .thing_name(&id)
                    .attribute_payload(
                        aws_sdk_iot::types::AttributePayload::builder()
                            .attributes("drift", "outside aic")
                            .merge(true)
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| format!("UpdateThing: {e:?}"))?;
            }
            Kind::Membership => {
                let (group, thing) = id.split_once('/').ok_or("bad membership id")?;
                iot.remove_thing_from_thing_group()
                    .thing_group_name(group)
                    .thing_name(thing)
                    .send()
                    .await
                    .map_err(|e| format!("RemoveThingFromThingGroup: {e:?}"))?;
            }
            Kind::ComponentVersion => {
                gg.tag_resource()
                    .resource_arn(&id)
                    .tags("drift", "outside aic")
                    .send()
                    .await
                    .map_err(|e| format!("TagResource: {e:?}"))?;
            }
            Kind::Deployment => {
                // Someone else deployed to the target: aic's deployment is superseded.
                let target = object
                    .get("target_arn")
                    .and_then(Value::as_str)
                    .ok_or("no target")?;
                gg.create_deployment()
                    .target_arn(target)
                    .components(
                        "com.example.Other",
                        ComponentDeploymentSpecification::builder()
                            .component_version("9.9.9")
                            .build()
                            .map_err(|e| e.to_string())?,
                    )
                    .send()
                    .await
                    .map_err(|e| format!("CreateDeployment: {e:?}"))?;
            }
        }
        Ok(Drift::Made)
    }

    async fn count(&self) -> Result<Option<usize>, String> {
        let iot = &self.backend.iot;
        let gg = &self.backend.greengrass;
        let n = match self.kind {
            Kind::ThingGroup => iot
                .list_thing_groups()
                .name_prefix_filter("conformance-group")
                .send()
                .await
                .map_err(|e| format!("ListThingGroups: {e:?}"))?
                .thing_groups()
                .len(),
            Kind::Thing => iot
                .list_things()
                .send()
                .await
                .map_err(|e| format!("ListThings: {e:?}"))?
                .things()
                .iter()
                .filter(|t| {
                    t.thing_name()
                        .is_some_and(|n| n.starts_with("conformance-thing"))
                })
                .count(),
            Kind::Membership => iot
                .list_thing_groups_for_thing()
                .thing_name(MEMBER)
                .send()
                .await
                .map_err(|e| format!("ListThingGroupsForThing: {e:?}"))?
                .thing_groups()
                .len(),
            Kind::ComponentVersion => {
                let components = gg
                    .list_components()
                    .scope(ComponentVisibilityScope::Private)
                    .send()
                    .await
                    .map_err(|e| format!("ListComponents: {e:?}"))?;
                let Some(arn) = components
                    .components()
                    .iter()
                    .find(|c| c.component_name() == Some(COMPONENT))
                    .and_then(|c| c.arn())
                else {
                    return Ok(Some(0));
                };
                gg.list_component_versions()
                    .arn(arn)
                    .send()
                    .await
                    .map_err(|e| format!("ListComponentVersions: {e:?}"))?
                    .component_versions()
                    .len()
            }
            Kind::Deployment => self.latest_marked_deployments().await?,
        };
        Ok(Some(n))
    }
}
