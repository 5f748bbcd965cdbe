//! The Greengrass V2 data sources: `aws_greengrassv2_core_devices` (`ListCoreDevices`) and
//! `aws_greengrassv2_effective_deployments` (`ListEffectiveDeployments`): what the devices
//! of a fleet report, for checks of a rollout's health.

use aic_lang::types::{ObjectAttr, Type};
use aic_lang::value::Value;
use aic_provider::{AttributeSchema, ProviderError, ResourceSchema};
use aic_provider_kit::{Attr, DataSource, Declare, ID};
use async_trait::async_trait;
use aws_sdk_greengrassv2::types::CoreDeviceStatus;
use indexmap::IndexMap;

use crate::config::Service;
use crate::ec2::Aws;
use crate::error::service_error;

const THING_GROUP_ARN: Attr<String> = Attr::new("thing_group_arn");
const STATUS: Attr<String> = Attr::new("status");
const CORE_DEVICES: &str = "core_devices";
const THING_NAMES: Attr<Vec<String>> = Attr::new("thing_names");
const CORE_DEVICE_THING_NAME: Attr<String> = Attr::new("core_device_thing_name");
const EFFECTIVE_DEPLOYMENTS: &str = "effective_deployments";

fn list_of_objects(fields: &[&str]) -> Type {
    Type::list(Type::Object(
        fields
            .iter()
            .map(|f| ((*f).to_owned(), ObjectAttr::required(Type::String)))
            .collect::<IndexMap<_, _>>(),
    ))
}

const DEVICE_FIELDS: [&str; 5] = [
    "thing_name",
    "status",
    "platform",
    "architecture",
    "runtime",
];
const DEPLOYMENT_FIELDS: [&str; 6] = [
    "deployment_id",
    "deployment_name",
    "target_arn",
    "status",
    "reason",
    "iot_job_id",
];

fn text(value: Option<&str>) -> Value {
    value.map_or_else(Value::null, Value::string)
}

pub(crate) struct AwsGreengrassCoreDevices;

#[async_trait]
impl DataSource<Aws> for AwsGreengrassCoreDevices {
    fn type_name(&self) -> &'static str {
        "aws_greengrassv2_core_devices"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(
            "The Greengrass core devices of the region, sorted by name: all of them, those \
             of a thing group (the devices that applied a deployment to it), or those in a \
             status.",
        )
        .with(
            THING_GROUP_ARN
                .optional()
                .describe("Only the core devices that applied a deployment to this thing group."),
        )
        .with(
            STATUS
                .optional()
                .of_type(Type::string_union(["HEALTHY", "UNHEALTHY"]))
                .describe(
                    "Only devices in this status: `UNHEALTHY` while a component is broken \
                     or errored.",
                ),
        )
        .with(ID.computed().describe("The filters, as one string."))
        .attribute(
            CORE_DEVICES,
            AttributeSchema::computed(list_of_objects(&DEVICE_FIELDS)).describe(
                "Each device: `thing_name`, `status` (`HEALTHY`, `UNHEALTHY`), `platform`, \
                 `architecture`, `runtime`.",
            ),
        )
        .with(THING_NAMES.computed().describe("The devices' thing names."))
    }

    async fn read(&self, aws: &Aws, config: &Value) -> Result<Value, ProviderError> {
        let group = THING_GROUP_ARN.get(config)?;
        let status = STATUS.get(config)?;
        let mut pages = aws
            .greengrass
            .list_core_devices()
            .set_thing_group_arn(group.clone())
            .set_status(status.as_deref().map(CoreDeviceStatus::from))
            .into_paginator()
            .send();
        let mut devices = Vec::new();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| service_error(Service::GreengrassV2, "ListCoreDevices", e))?;
            devices.extend(page.core_devices().iter().cloned());
        }
        devices.sort_by(|a, b| a.core_device_thing_name().cmp(&b.core_device_thing_name()));
        let names: Vec<String> = devices
            .iter()
            .filter_map(|d| d.core_device_thing_name().map(str::to_owned))
            .collect();
        let listed = Value::list(devices.iter().map(|d| {
            Value::object([
                ("thing_name", text(d.core_device_thing_name())),
                ("status", text(d.status().map(CoreDeviceStatus::as_str))),
                ("platform", text(d.platform())),
                ("architecture", text(d.architecture())),
                ("runtime", text(d.runtime())),
            ])
        }));
        let id = format!(
            "{}|{}",
            group.as_deref().unwrap_or("*"),
            status.as_deref().unwrap_or("*")
        );
        Ok(self.schema().instance([
            THING_GROUP_ARN.copied(config),
            STATUS.copied(config),
            ID.to(id),
            (CORE_DEVICES, listed),
            THING_NAMES.to(names),
        ]))
    }
}

pub(crate) struct AwsGreengrassEffectiveDeployments;

#[async_trait]
impl DataSource<Aws> for AwsGreengrassEffectiveDeployments {
    fn type_name(&self) -> &'static str {
        "aws_greengrassv2_effective_deployments"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(
            "The deployments a Greengrass core device received, newest first, with what \
             each did on it.",
        )
        .with(
            CORE_DEVICE_THING_NAME
                .required()
                .describe("The core device's thing name."),
        )
        .with(ID.computed().describe("The core device's thing name."))
        .attribute(
            EFFECTIVE_DEPLOYMENTS,
            AttributeSchema::computed(list_of_objects(&DEPLOYMENT_FIELDS)).describe(
                "Each deployment: `deployment_id`, `deployment_name`, `target_arn`, `status` \
                 (`QUEUED`, `IN_PROGRESS`, `SUCCEEDED`, `COMPLETED`, `FAILED`, `REJECTED`, \
                 `TIMED_OUT`, `CANCELED`), `reason` and `iot_job_id`.",
            ),
        )
    }

    async fn read(&self, aws: &Aws, config: &Value) -> Result<Value, ProviderError> {
        let thing = CORE_DEVICE_THING_NAME.require(config)?;
        let mut pages = aws
            .greengrass
            .list_effective_deployments()
            .core_device_thing_name(&thing)
            .into_paginator()
            .send();
        let mut listed = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page
                .map_err(|e| service_error(Service::GreengrassV2, "ListEffectiveDeployments", e))?;
            for d in page.effective_deployments() {
                listed.push(Value::object([
                    ("deployment_id", Value::string(d.deployment_id())),
                    ("deployment_name", Value::string(d.deployment_name())),
                    ("target_arn", Value::string(d.target_arn())),
                    (
                        "status",
                        Value::string(d.core_device_execution_status().as_str()),
                    ),
                    ("reason", text(d.reason())),
                    ("iot_job_id", text(d.iot_job_id())),
                ]));
            }
        }
        Ok(self.schema().instance([
            CORE_DEVICE_THING_NAME.copied(config),
            ID.to(thing),
            (EFFECTIVE_DEPLOYMENTS, Value::list(listed)),
        ]))
    }
}
