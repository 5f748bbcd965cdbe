//! `aws_instance`: `RunInstances` and a wait for `running`; in-place changes of tags,
//! security groups and the instance type (stop, modify, start); `TerminateInstances` and
//! a wait for `terminated`.
//!
//! Refresh is one paged `DescribeInstances` per 200 instances, filtered by instance id
//! (so instances that are gone are missing rather than failing the call); terminated and
//! terminating instances are gone. `user_data` is not returned by `DescribeInstances`:
//! reads keep the prior value, and import reads it with `DescribeInstanceAttribute`.

use std::collections::HashMap;

use aic_lang::value::Value;
use aic_provider::{Attributes, ProviderError};
use aws_sdk_ec2::types::{
    AttributeValue, Instance, InstanceAttributeName, InstanceStateName, InstanceType, ResourceType,
};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::{filter, id_chunks, results};
use crate::ec2::{incomplete, object, Ec2, IDS_PER_CALL};
use crate::error::{api_error, gone_as_none, reference_not_found};
use crate::values::{arn, attr, opt_string, string_set, strings};
use crate::{tags, values, wait};

const TYPE: &str = "aws_instance";

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

    /// The instance's value; `user_data` comes from elsewhere (see the module doc).
    fn value(&self, ec2: &Ec2, user_data: Value) -> Value {
        let i = &self.instance;
        let id = i.instance_id().unwrap_or_default();
        object(
            TYPE,
            [
                ("ami", opt_string(i.image_id())),
                (
                    "instance_type",
                    opt_string(i.instance_type().map(InstanceType::as_str)),
                ),
                ("subnet_id", opt_string(i.subnet_id())),
                (
                    "vpc_security_group_ids",
                    string_set(i.security_groups().iter().filter_map(|g| g.group_id())),
                ),
                ("user_data", user_data),
                ("tags", tags::value(i.tags())),
                ("id", Value::string(id)),
                (
                    "arn",
                    arn(&ec2.region, self.owner.as_deref(), "instance", id),
                ),
                (
                    "availability_zone",
                    opt_string(i.placement().and_then(|p| p.availability_zone())),
                ),
                ("private_ip", opt_string(i.private_ip_address())),
                ("public_ip", opt_string(i.public_ip_address())),
                ("private_dns", opt_string(i.private_dns_name())),
                (
                    "instance_state",
                    opt_string(self.state().map(InstanceStateName::as_str)),
                ),
            ],
        )
    }
}

/// Describes instances by id, in calls of at most [`IDS_PER_CALL`] ids, paged.
async fn describe(ec2: &Ec2, ids: &[String]) -> Result<HashMap<String, Described>, ProviderError> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(IDS_PER_CALL) {
        let pages = ec2
            .client
            .describe_instances()
            .filters(filter("instance-id", chunk.iter().cloned()))
            .max_results(1000)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| api_error("DescribeInstances", e))?;
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
    }
    Ok(found)
}

/// Polls one instance until `done` says it has arrived; `failed` says it never will.
async fn wait_for(
    ec2: &Ec2,
    id: &str,
    what: &str,
    done: impl Fn(Option<&Described>) -> Result<bool, ProviderError>,
) -> Result<Option<Described>, ProviderError> {
    let wanted = [id.to_owned()];
    wait::until(
        ec2.timing,
        &format!("instance {id} to be {what}"),
        || async {
            let mut found = describe(ec2, &wanted).await?;
            let described = found.remove(id);
            Ok(done(described.as_ref())?.then_some(described))
        },
    )
    .await
}

/// Waits until the instance is running; an error when it stops or terminates instead.
async fn wait_running(ec2: &Ec2, id: &str) -> Result<Described, ProviderError> {
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
    described.ok_or_else(|| incomplete("DescribeInstances", "Reservations"))
}

async fn wait_state(ec2: &Ec2, id: &str, state: InstanceStateName) -> Result<(), ProviderError> {
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

pub async fn create(ec2: &Ec2, planned: &Value) -> Result<Value, ProviderError> {
    let attrs = Attributes::new(planned);
    let groups = strings(planned, "vpc_security_group_ids")?;
    let out = ec2
        .client
        .run_instances()
        .image_id(attrs.string("ami")?)
        .instance_type(InstanceType::from(attrs.string("instance_type")?))
        .min_count(1)
        .max_count(1)
        .set_subnet_id(attrs.opt_string("subnet_id")?.map(str::to_owned))
        .set_security_group_ids((!groups.is_empty()).then_some(groups))
        .set_user_data(attrs.opt_string("user_data")?.map(|u| STANDARD.encode(u)))
        .set_tag_specifications(tags::specification(ResourceType::Instance, planned)?)
        .send()
        .await
        .map_err(|e| reference_not_found(api_error("RunInstances", e)))?;
    let id = out
        .instances()
        .first()
        .and_then(Instance::instance_id)
        .ok_or_else(|| incomplete("RunInstances", "InstanceId"))?
        .to_owned();
    match wait_running(ec2, &id).await {
        Ok(described) => Ok(described.value(ec2, attr(planned, "user_data"))),
        Err(e) => {
            // Do not leave behind an instance the state will not know about.
            let _ = terminate(ec2, &id).await;
            Err(e)
        }
    }
}

pub async fn read_many(ec2: &Ec2, priors: &[Value]) -> Vec<Result<Option<Value>, ProviderError>> {
    let mut found = HashMap::new();
    let mut failed = None;
    for chunk in id_chunks(priors) {
        match describe(ec2, &chunk).await {
            Ok(described) => found.extend(described),
            Err(e) => failed = Some(e),
        }
    }
    let values = match failed {
        Some(e) => Err(e),
        None => Ok(found
            .into_iter()
            .filter(|(_, d)| !d.is_gone())
            .map(|(id, d)| (id, d.value(ec2, Value::null())))
            .collect()),
    };
    results(priors, values, |prior, found| {
        aic_provider::with_attributes(&found, [("user_data", attr(prior, "user_data"))])
    })
}

/// The instance's user data as text (`DescribeInstanceAttribute`); null when it has none.
pub async fn user_data(ec2: &Ec2, id: &str) -> Result<Value, ProviderError> {
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

pub async fn update(ec2: &Ec2, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let id = values::id(prior)?;
    let before = Attributes::new(prior);
    let after = Attributes::new(planned);
    tags::update(ec2, id, prior, planned).await?;
    let groups = strings(planned, "vpc_security_group_ids")?;
    if !groups.is_empty() && strings(prior, "vpc_security_group_ids")? != groups {
        ec2.client
            .modify_instance_attribute()
            .instance_id(id)
            .set_groups(Some(groups))
            .send()
            .await
            .map_err(|e| reference_not_found(api_error("ModifyInstanceAttribute", e)))?;
    }
    let instance_type = after.string("instance_type")?;
    if before.opt_string("instance_type")? != Some(instance_type) {
        change_type(ec2, id, instance_type).await?;
    }
    let described = wait_running(ec2, id).await?;
    Ok(described.value(ec2, attr(planned, "user_data")))
}

/// Stops the instance, sets its type and starts it again.
async fn change_type(ec2: &Ec2, id: &str, instance_type: &str) -> Result<(), ProviderError> {
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

pub async fn delete(ec2: &Ec2, prior: &Value) -> Result<(), ProviderError> {
    terminate(ec2, values::id(prior)?).await
}

async fn terminate(ec2: &Ec2, id: &str) -> Result<(), ProviderError> {
    let terminated = ec2
        .client
        .terminate_instances()
        .instance_ids(id)
        .send()
        .await
        .map_err(|e| api_error("TerminateInstances", e));
    if gone_as_none(terminated)?.is_none() {
        return Ok(());
    }
    wait_state(ec2, id, InstanceStateName::Terminated).await
}
