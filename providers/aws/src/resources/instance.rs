//! `aws_instance`: `RunInstances` and a wait for `running`; in-place changes of tags,
//! security groups and the instance type (stop, modify, start); `TerminateInstances` and
//! a wait for `terminated`.
//!
//! Refresh is one paged `DescribeInstances` per 200 instances, filtered by instance id
//! (so instances that are gone are missing rather than failing the call); terminated and
//! terminating instances are gone. `user_data` is not returned by `DescribeInstances`:
//! reads keep the prior value, and import reads it with `DescribeInstanceAttribute`.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use aic_lang::value::Value;
use aic_provider::{with_attributes, ProviderError, ResourceSchema};
use aic_provider_kit::{Attr, CloudType, Context, CreateToken, Declare, Which, ID};
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    AttributeValue, Filter, Instance, InstanceAttributeName, InstanceStateName, InstanceType,
    ResourceType,
};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::ec2::{aws_type, created, filter, pages, send_once, which_filter, Aws, Found};
use crate::error::{api_error, reference_not_found, EC2};
use crate::fields::{tagged, ARN, AVAILABILITY_ZONE, INSTANCE_TYPE, SUBNET_ID, USER_DATA};
use crate::tags;
use crate::values::arn;

const AMI: Attr<String> = Attr::new("ami");
const VPC_SECURITY_GROUP_IDS: Attr<BTreeSet<String>> = Attr::new("vpc_security_group_ids");
const PRIVATE_IP: Attr<String> = Attr::new("private_ip");
const PUBLIC_IP: Attr<String> = Attr::new("public_ip");
const PRIVATE_DNS: Attr<String> = Attr::new("private_dns");
const INSTANCE_STATE: Attr<String> = Attr::new("instance_state");

static SCHEMA: LazyLock<ResourceSchema> = LazyLock::new(|| {
    let schema = ResourceSchema::new(
        "An EC2 instance. Creation waits until it is `running`, deletion until it is \
         `terminated`. Changing `instance_type` stops it, changes the type and starts it \
         again; tags and security groups change without a restart; `ami`, `subnet_id` and \
         `user_data` force a replacement. `user_data` is sent as given (aic encodes it) and \
         read back only on import.",
    )
    .with(AMI.required().force_new().describe("The AMI to launch."))
    .with(
        INSTANCE_TYPE
            .required()
            .describe("The instance type, e.g. `t3.micro`; changed with a stop and start."),
    )
    .with(
        SUBNET_ID
            .optional_computed()
            .force_new()
            .describe("The subnet to launch in; the default VPC's when left out."),
    )
    .with(
        VPC_SECURITY_GROUP_IDS
            .optional_computed()
            .describe("The security groups; the VPC's default group when left out."),
    )
    .with(
        USER_DATA
            .optional()
            .force_new()
            .describe("Data for cloud-init or the like, as plain text."),
    );
    tagged(schema, false)
        .with(
            AVAILABILITY_ZONE
                .computed()
                .describe("The zone the instance runs in."),
        )
        .with(PRIVATE_IP.computed().describe("The private IPv4 address."))
        .with(
            PUBLIC_IP
                .computed()
                .describe("The public IPv4 address, if it has one."),
        )
        .with(PRIVATE_DNS.computed().describe("The private DNS name."))
        .with(
            INSTANCE_STATE
                .computed()
                .describe("`pending`, `running`, `stopping`, `stopped`, …"),
        )
});

/// An instance as described, with the account of its reservation.
struct Described {
    owner: Option<String>,
    instance: Instance,
}

impl Described {
    fn state(&self) -> Option<&InstanceStateName> {
        self.instance.state().and_then(|s| s.name())
    }

    /// Whether the instance is terminated or on its way there.
    fn is_gone(&self) -> bool {
        matches!(
            self.state(),
            Some(InstanceStateName::Terminated | InstanceStateName::ShuttingDown)
        )
    }

    /// The instance's value; `user_data` is null (see the module doc).
    fn value(&self, ec2: &Aws) -> Value {
        let i = &self.instance;
        let id = i.instance_id().unwrap_or_default();
        SCHEMA.instance([
            AMI.text(i.image_id()),
            INSTANCE_TYPE.text(i.instance_type().map(InstanceType::as_str)),
            SUBNET_ID.text(i.subnet_id()),
            VPC_SECURITY_GROUP_IDS.to(i
                .security_groups()
                .iter()
                .filter_map(|g| g.group_id().map(str::to_owned))
                .collect::<BTreeSet<_>>()),
            USER_DATA.null(),
            tags::value(i.tags()),
            ID.to(id),
            (
                ARN.name(),
                arn(&ec2.region, self.owner.as_deref(), "instance", id),
            ),
            AVAILABILITY_ZONE.text(i.placement().and_then(|p| p.availability_zone())),
            PRIVATE_IP.text(i.private_ip_address()),
            PUBLIC_IP.text(i.public_ip_address()),
            PRIVATE_DNS.text(i.private_dns_name()),
            INSTANCE_STATE.text(self.state().map(InstanceStateName::as_str)),
        ])
    }
}

/// Describes the instances `which` selects, by id.
async fn describe(ec2: &Aws, which: Filter) -> Result<HashMap<String, Described>, ProviderError> {
    let pages = pages(
        "DescribeInstances",
        ec2.client
            .describe_instances()
            .filters(which)
            .max_results(1000)
            .into_paginator()
            .send(),
    )
    .await?;
    let mut found = HashMap::new();
    for reservation in pages.iter().flat_map(|p| p.reservations()) {
        for instance in reservation.instances() {
            let Some(id) = instance.instance_id() else {
                continue;
            };
            found.insert(
                id.to_owned(),
                Described {
                    owner: reservation.owner_id().map(str::to_owned),
                    instance: instance.clone(),
                },
            );
        }
    }
    Ok(found)
}

/// Polls one instance until `done` says it has arrived; `failed` says it never will.
async fn wait_for(
    ec2: &Aws,
    id: &str,
    what: &str,
    done: impl Fn(Option<&Described>) -> Result<bool, ProviderError>,
) -> Result<Option<Described>, ProviderError> {
    ec2.timing()
        .waiter(format!("instance {id} to be {what}"))
        .until(|| async {
            let mut found = describe(ec2, filter("instance-id", [id])).await?;
            let described = found.remove(id);
            Ok(done(described.as_ref())?.then_some(described))
        })
        .await
}

/// Waits until the instance is running; an error when it stops or terminates instead.
async fn wait_running(ec2: &Aws, id: &str) -> Result<(), ProviderError> {
    let described = wait_for(ec2, id, "running", |d| {
        let Some(d) = d else { return Ok(false) };
        match d.state() {
            Some(InstanceStateName::Running) => Ok(true),
            Some(
                state @ (InstanceStateName::Terminated
                | InstanceStateName::ShuttingDown
                | InstanceStateName::Stopped),
            ) => {
                let reason = d
                    .instance
                    .state_reason()
                    .and_then(|r| r.message())
                    .unwrap_or("no reason given");
                Err(ProviderError::other(format!(
                    "instance {id} became `{}` instead of `running`: {reason}",
                    state.as_str()
                )))
            }
            _ => Ok(false),
        }
    })
    .await?;
    described
        .map(|_| ())
        .ok_or_else(|| EC2.incomplete("DescribeInstances", "Reservations"))
}

async fn wait_state(ec2: &Aws, id: &str, state: InstanceStateName) -> Result<(), ProviderError> {
    let what = state.as_str().to_owned();
    wait_for(ec2, id, &what, |d| {
        // An instance that cannot be described any more is terminated.
        Ok(match d {
            None => state == InstanceStateName::Terminated,
            Some(d) => d.state() == Some(&state),
        })
    })
    .await
    .map(|_| ())
}

pub(crate) struct AwsInstance;

#[async_trait]
impl CloudType<Aws> for AwsInstance {
    aws_type!("aws_instance", "instance");

    async fn create_call(
        &self,
        ec2: &Aws,
        planned: &Value,
        token: &CreateToken,
    ) -> Result<String, ProviderError> {
        let groups = VPC_SECURITY_GROUP_IDS.get(planned)?.unwrap_or_default();
        let out = send_once!(ec2
            .client
            .run_instances()
            .image_id(AMI.require(planned)?)
            .instance_type(InstanceType::from(INSTANCE_TYPE.require(planned)?.as_str()))
            .min_count(1)
            .max_count(1)
            .set_subnet_id(SUBNET_ID.get(planned)?)
            .set_security_group_ids((!groups.is_empty()).then(|| groups.into_iter().collect()))
            .set_user_data(USER_DATA.get(planned)?.map(|u| STANDARD.encode(u)))
            .set_tag_specifications(tags::creating(ResourceType::Instance, planned, token)?))
        .map_err(|e| reference_not_found(api_error("RunInstances", e)))?;
        created(
            "RunInstances",
            "InstanceId",
            out.instances().first().and_then(Instance::instance_id),
        )
    }

    async fn complete(&self, ec2: &Aws, id: &str, _planned: &Value) -> Result<(), ProviderError> {
        wait_running(ec2, id).await
    }

    /// Terminated and terminating instances are gone; `user_data` is null (see
    /// `with_prior`).
    async fn describe(&self, ec2: &Aws, which: Which<'_>) -> Found {
        let found = describe(ec2, which_filter("instance-id", which)).await?;
        Ok(found
            .into_iter()
            .filter(|(_, d)| !d.is_gone())
            .map(|(id, d)| (id, d.value(ec2)))
            .collect())
    }

    /// `DescribeInstances` does not return `user_data`: it is the prior's.
    fn with_prior(&self, prior: &Value, found: Value) -> Value {
        with_attributes(&found, [USER_DATA.copied(prior)])
    }

    async fn change(
        &self,
        ec2: &Aws,
        id: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<String, ProviderError> {
        tags::update(ec2, id, prior, planned).await?;
        let groups = VPC_SECURITY_GROUP_IDS.get(planned)?.unwrap_or_default();
        if !groups.is_empty() && VPC_SECURITY_GROUP_IDS.get(prior)?.unwrap_or_default() != groups {
            ec2.client
                .modify_instance_attribute()
                .instance_id(id)
                .set_groups(Some(groups.into_iter().collect()))
                .send()
                .await
                .map_err(|e| reference_not_found(api_error("ModifyInstanceAttribute", e)))?;
        }
        let instance_type = INSTANCE_TYPE.require(planned)?;
        if INSTANCE_TYPE.get(prior)?.as_ref() != Some(&instance_type) {
            change_type(ec2, id, &instance_type).await?;
        }
        wait_running(ec2, id).await?;
        Ok(id.to_owned())
    }

    /// Terminates the instance and waits until it is terminated.
    async fn delete_call(&self, ec2: &Aws, id: &str, _: &Value) -> Result<(), ProviderError> {
        ec2.client
            .terminate_instances()
            .instance_ids(id)
            .send()
            .await
            .map_err(|e| api_error("TerminateInstances", e))?;
        wait_state(ec2, id, InstanceStateName::Terminated).await
    }

    /// The user data, read with `DescribeInstanceAttribute`.
    async fn imported(&self, ec2: &Aws, id: &str, found: Value) -> Result<Value, ProviderError> {
        let user_data = user_data(ec2, id).await?;
        Ok(with_attributes(&found, [(USER_DATA.name(), user_data)]))
    }
}

/// The instance's user data as text (`DescribeInstanceAttribute`); null when it has none.
async fn user_data(ec2: &Aws, id: &str) -> Result<Value, ProviderError> {
    let out = ec2
        .client
        .describe_instance_attribute()
        .instance_id(id)
        .attribute(InstanceAttributeName::UserData)
        .send()
        .await
        .map_err(|e| api_error("DescribeInstanceAttribute", e))?;
    let encoded = out.user_data().and_then(AttributeValue::value);
    Ok(match encoded.filter(|u| !u.is_empty()) {
        None => Value::null(),
        Some(encoded) => match STANDARD.decode(encoded) {
            Ok(bytes) => Value::string(String::from_utf8_lossy(&bytes)),
            Err(_) => Value::string(encoded),
        },
    })
}

/// Stops the instance, sets its type and starts it again.
async fn change_type(ec2: &Aws, id: &str, instance_type: &str) -> Result<(), ProviderError> {
    ec2.client
        .stop_instances()
        .instance_ids(id)
        .send()
        .await
        .map_err(|e| api_error("StopInstances", e))?;
    wait_state(ec2, id, InstanceStateName::Stopped).await?;
    ec2.client
        .modify_instance_attribute()
        .instance_id(id)
        .instance_type(AttributeValue::builder().value(instance_type).build())
        .send()
        .await
        .map_err(|e| api_error("ModifyInstanceAttribute", e))?;
    ec2.client
        .start_instances()
        .instance_ids(id)
        .send()
        .await
        .map_err(|e| api_error("StartInstances", e))?;
    Ok(())
}
