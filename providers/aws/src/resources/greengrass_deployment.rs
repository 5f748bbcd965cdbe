//! `aws_greengrassv2_deployment`: a deployment of component versions to a thing or thing
//! group (`CreateDeployment`, `GetDeployment`, `CancelDeployment`, `DeleteDeployment`).
//!
//! A deployment never changes: as the service does, a change creates the target's next
//! deployment, which replaces the previous one on the devices. That next deployment
//! carries a component's `configuration_update` only when it changed, so that the
//! devices keep the configuration the user did not change (a deployment without one
//! leaves a component's configuration as it is). A deployment another deployment to its
//! target superseded, or that was deleted, reads as gone, so the next apply deploys again.
//!
//! With `wait_for = "COMPLETED"` the apply waits until the rollout ends: for a thing,
//! until the deployment leaves `ACTIVE`; for a thing group (whose deployment stays `ACTIVE`
//! for devices that join later), until every core device of the group reports a final
//! status for it. A deployment that was canceled (its abort criteria fired) or that failed
//! on a device is an error.
//!
//! The create token is the request's `clientToken` and the tag `aic:create-token`, by
//! which the deployment of a lost answer (a crash in the middle of an apply) is found
//! among the target's deployments instead of being made again.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use aic_lang::duration::Duration as AicDuration;
use aic_lang::types::{ObjectAttr, Type};
use aic_lang::value::Value;
use aic_provider::{
    plan_resource, with_attributes, PlanRequest, PlanResponse, ProviderError, ResourceSchema,
};
use aic_provider_kit::wait::gone_as_none;
use aic_provider_kit::{Attr, Block, CloudType, Context, CreateToken, Declare, Timing, Which, ID};
use async_trait::async_trait;
use aws_sdk_greengrassv2::operation::get_deployment::GetDeploymentOutput;
use aws_sdk_greengrassv2::types::{
    ComponentConfigurationUpdate, ComponentDeploymentSpecification, ComponentRunWith,
    DeploymentComponentUpdatePolicy, DeploymentComponentUpdatePolicyAction,
    DeploymentConfigurationValidationPolicy, DeploymentFailureHandlingPolicy,
    DeploymentHistoryFilter, DeploymentIoTJobConfiguration, DeploymentPolicies,
    EffectiveDeploymentExecutionStatus, IoTJobAbortAction, IoTJobAbortConfig, IoTJobAbortCriteria,
    IoTJobExecutionFailureType, IoTJobExecutionsRolloutConfig, IoTJobExponentialRolloutRate,
    IoTJobRateIncreaseCriteria, IoTJobTimeoutConfig, SystemResourceLimits,
};
use indexmap::IndexMap;

use crate::config::Service;
use crate::ec2::{aws_type, Aws, TOKEN_TAG};
use crate::error::{reference_not_found, service_error, GREENGRASS};
use crate::fields::TAGS;
use crate::greengrass::{configured_tags, tags_value};
use crate::iot::one_by_one;

const TARGET_ARN: Attr<String> = Attr::new("target_arn");
const DEPLOYMENT_NAME: Attr<String> = Attr::new("deployment_name");
const COMPONENTS: &str = "components";
const WAIT_FOR: Attr<String> = Attr::new("wait_for");
const WAIT_TIMEOUT: Attr<String> = Attr::new("wait_timeout");
const DEPLOYMENT_STATUS: Attr<String> = Attr::new("deployment_status");
const REVISION_ID: Attr<String> = Attr::new("revision_id");
const IOT_JOB_ID: Attr<String> = Attr::new("iot_job_id");
const IOT_JOB_ARN: Attr<String> = Attr::new("iot_job_arn");

// `components` entries.
const COMPONENT_VERSION: &str = "component_version";
const CONFIGURATION_UPDATE: &str = "configuration_update";
const MERGE: &str = "merge";
const RESET: &str = "reset";
const RUN_WITH: &str = "run_with";
const POSIX_USER: &str = "posix_user";
const WINDOWS_USER: &str = "windows_user";
const SYSTEM_RESOURCE_LIMITS: &str = "system_resource_limits";
const CPUS: &str = "cpus";
const MEMORY: &str = "memory";

// `deployment_policies`.
const DEPLOYMENT_POLICIES: Block = Block::new("deployment_policies");
const FAILURE_HANDLING_POLICY: Attr<String> = Attr::new("failure_handling_policy");
const COMPONENT_UPDATE_POLICY: Block = Block::new("component_update_policy");
const ACTION: Attr<String> = Attr::new("action");
const TIMEOUT_IN_SECONDS: Attr<i64> = Attr::new("timeout_in_seconds");
const CONFIGURATION_VALIDATION_POLICY: Block = Block::new("configuration_validation_policy");

// `iot_job_configuration`.
const IOT_JOB_CONFIGURATION: Block = Block::new("iot_job_configuration");
const JOB_EXECUTIONS_ROLLOUT_CONFIG: Block = Block::new("job_executions_rollout_config");
const EXPONENTIAL_RATE: Block = Block::new("exponential_rate");
const BASE_RATE_PER_MINUTE: Attr<i64> = Attr::new("base_rate_per_minute");
const INCREMENT_FACTOR: Attr<f64> = Attr::new("increment_factor");
const RATE_INCREASE_CRITERIA: Block = Block::new("rate_increase_criteria");
const NUMBER_OF_NOTIFIED_THINGS: Attr<i64> = Attr::new("number_of_notified_things");
const NUMBER_OF_SUCCEEDED_THINGS: Attr<i64> = Attr::new("number_of_succeeded_things");
const MAXIMUM_PER_MINUTE: Attr<i64> = Attr::new("maximum_per_minute");
const ABORT_CONFIG: Block = Block::new("abort_config");
const CRITERIA_LIST: Block = Block::new("criteria_list");
const FAILURE_TYPE: Attr<String> = Attr::new("failure_type");
const THRESHOLD_PERCENTAGE: Attr<f64> = Attr::new("threshold_percentage");
const MIN_NUMBER_OF_EXECUTED_THINGS: Attr<i64> = Attr::new("min_number_of_executed_things");
const TIMEOUT_CONFIG: Block = Block::new("timeout_config");
const IN_PROGRESS_TIMEOUT_IN_MINUTES: Attr<i64> = Attr::new("in_progress_timeout_in_minutes");

const DEFAULT_WAIT_TIMEOUT: &str = "30m";

fn object_type(attrs: &[(&str, Type)]) -> Type {
    Type::Object(
        attrs
            .iter()
            .map(|(name, ty)| ((*name).to_owned(), ObjectAttr::optional(ty.clone())))
            .collect(),
    )
}

/// The type of one `components` entry.
fn component_type() -> Type {
    let mut entry = object_type(&[
        (
            CONFIGURATION_UPDATE,
            object_type(&[(MERGE, Type::String), (RESET, Type::list(Type::String))]),
        ),
        (
            RUN_WITH,
            object_type(&[
                (POSIX_USER, Type::String),
                (WINDOWS_USER, Type::String),
                (
                    SYSTEM_RESOURCE_LIMITS,
                    object_type(&[(CPUS, Type::Number), (MEMORY, Type::Number)]),
                ),
            ]),
        ),
    ]);
    if let Type::Object(attrs) = &mut entry {
        attrs.insert(
            COMPONENT_VERSION.to_owned(),
            ObjectAttr::required(Type::String),
        );
    }
    entry
}

fn single(block: Block, schema: ResourceSchema) -> aic_provider_kit::DeclaredBlock {
    block.single(schema).max_items(1)
}

static SCHEMA: LazyLock<ResourceSchema> = LazyLock::new(|| {
    let update_policy = ResourceSchema::new("How components are told of the update.")
        .with(
            ACTION
                .optional()
                .of_type(Type::string_union([
                    "NOTIFY_COMPONENTS",
                    "SKIP_NOTIFY_COMPONENTS",
                ]))
                .describe("Whether components may defer the update (`NOTIFY_COMPONENTS`)."),
        )
        .with(
            TIMEOUT_IN_SECONDS
                .optional()
                .describe("How long components have to get ready for the update."),
        );
    let validation_policy =
        ResourceSchema::new("How long components have to validate a configuration.").with(
            TIMEOUT_IN_SECONDS
                .optional()
                .describe("Seconds to validate."),
        );
    let policies = ResourceSchema::new("How devices apply the deployment.")
        .with(
            FAILURE_HANDLING_POLICY
                .optional()
                .of_type(Type::string_union(["ROLLBACK", "DO_NOTHING"]))
                .describe(
                    "`ROLLBACK` (the service's default) returns a device whose deployment \
                     failed to what it ran before; `DO_NOTHING` leaves it as it is.",
                ),
        )
        .with_block(single(COMPONENT_UPDATE_POLICY, update_policy))
        .with_block(single(CONFIGURATION_VALIDATION_POLICY, validation_policy));
    let criteria =
        ResourceSchema::new("When the service aborts the rollout: RATE_INCREASE-style criteria.")
            .with(
                FAILURE_TYPE
                    .required()
                    .of_type(Type::string_union([
                        "FAILED",
                        "REJECTED",
                        "TIMED_OUT",
                        "ALL",
                    ]))
                    .describe("Which device outcomes count as failures."),
            )
            .with(
                ACTION
                    .optional()
                    .default_value("CANCEL")
                    .of_type(Type::string_union(["CANCEL"]))
                    .describe("What to do: cancel the rollout."),
            )
            .with(
                THRESHOLD_PERCENTAGE
                    .required()
                    .describe("The percentage of failed executions that aborts."),
            )
            .with(
                MIN_NUMBER_OF_EXECUTED_THINGS
                    .required()
                    .describe("Executions that must have ended before the criteria apply."),
            );
    let rate_criteria = ResourceSchema::new("When the rollout rate increases.")
        .with(
            NUMBER_OF_NOTIFIED_THINGS
                .optional()
                .describe("After this many more notified devices."),
        )
        .with(
            NUMBER_OF_SUCCEEDED_THINGS
                .optional()
                .describe("After this many more succeeded devices."),
        );
    let exponential = ResourceSchema::new("A rollout rate that grows.")
        .with(
            BASE_RATE_PER_MINUTE
                .required()
                .describe("Devices notified per minute at first."),
        )
        .with(
            INCREMENT_FACTOR
                .required()
                .describe("The factor the rate grows by."),
        )
        .with_block(single(RATE_INCREASE_CRITERIA, rate_criteria));
    let rollout = ResourceSchema::new("How fast devices are notified.")
        .with_block(single(EXPONENTIAL_RATE, exponential))
        .with(
            MAXIMUM_PER_MINUTE
                .optional()
                .describe("At most this many devices per minute."),
        );
    let job = ResourceSchema::new("The IoT job that carries the deployment to the devices.")
        .with_block(single(JOB_EXECUTIONS_ROLLOUT_CONFIG, rollout))
        .with_block(single(
            ABORT_CONFIG,
            ResourceSchema::new("When the rollout stops.")
                .with_block(CRITERIA_LIST.list(criteria).min_items(1)),
        ))
        .with_block(single(
            TIMEOUT_CONFIG,
            ResourceSchema::new("How long a device may take.").with(
                IN_PROGRESS_TIMEOUT_IN_MINUTES
                    .optional()
                    .describe("Minutes a device may spend applying the deployment."),
            ),
        ));
    ResourceSchema::new(
        "An AWS IoT Greengrass V2 deployment of component versions to a thing or a thing \
         group. A change creates the target's next deployment (the service keeps one per \
         target); a component's configuration is only updated when its \
         `configuration_update` changed. Destroying it cancels and deletes the deployment; \
         devices keep what they run.",
    )
    .with(
        TARGET_ARN
            .required()
            .force_new()
            .describe("The ARN of the thing or thing group to deploy to."),
    )
    .with(DEPLOYMENT_NAME.optional().describe("The deployment's name."))
    .attribute(
        COMPONENTS,
        aic_provider::AttributeSchema::optional(Type::map(component_type())).describe(
                "The components to run, by name: `component_version`, optionally \
                 `configuration_update = { merge = jsonencode({…}), reset = [\"/path\"] }` and \
                 `run_with = { posix_user, windows_user, system_resource_limits = { cpus, memory } }`.",
        ),
    )
    .with_block(single(DEPLOYMENT_POLICIES, policies))
    .with_block(single(IOT_JOB_CONFIGURATION, job))
    .with(TAGS.optional().describe("Tags of the deployment."))
    .with(
        WAIT_FOR
            .optional()
            .of_type(Type::string_union(["COMPLETED"]))
            .describe(
                "`COMPLETED`: the apply waits until every device of the target has applied \
                 the deployment, and fails if the rollout was aborted or a device failed.",
            ),
    )
    .with(
        WAIT_TIMEOUT
            .optional()
            .default_value(DEFAULT_WAIT_TIMEOUT)
            .describe("How long `wait_for` waits (`30m`, `2h`)."),
    )
    .with(ID.computed().describe("The deployment's id."))
    .with(
        DEPLOYMENT_STATUS
            .computed()
            .describe("`ACTIVE`, `COMPLETED`, `CANCELED`, `FAILED` or `INACTIVE`."),
    )
    .with(REVISION_ID.computed().describe("The target's revision this deployment is."))
    .with(IOT_JOB_ID.computed().describe("The IoT job carrying the deployment."))
    .with(IOT_JOB_ARN.computed().describe("The IoT job's ARN."))
});

pub(crate) struct AwsGreengrassDeployment;

// ----- values between aic and the service --------------------------------------------------

fn text_of(object: &Value, key: &str) -> Option<String> {
    object.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn object_of<'a>(object: &'a Value, key: &str) -> Option<&'a Value> {
    object.get(key).filter(|v| !v.is_null())
}

fn number(value: Option<f64>) -> Value {
    value.map_or_else(Value::null, Value::number)
}

fn first(block: Block, object: &Value) -> Option<&Value> {
    block.items(object).into_iter().find(|v| !v.is_null())
}

/// The configured components, by name.
fn components(object: &Value) -> IndexMap<String, Value> {
    object
        .get(COMPONENTS)
        .and_then(Value::as_entries)
        .map(|entries| {
            entries
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn configuration_update(entry: &Value) -> Option<ComponentConfigurationUpdate> {
    let update = object_of(entry, CONFIGURATION_UPDATE)?;
    let reset: Option<Vec<String>> = update.get(RESET).and_then(Value::as_elements).map(|items| {
        items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect()
    });
    Some(
        ComponentConfigurationUpdate::builder()
            .set_merge(text_of(update, MERGE))
            .set_reset(reset)
            .build(),
    )
}

fn run_with(entry: &Value) -> Option<ComponentRunWith> {
    let run = object_of(entry, RUN_WITH)?;
    let limits = object_of(run, SYSTEM_RESOURCE_LIMITS).map(|l| {
        SystemResourceLimits::builder()
            .set_cpus(l.get(CPUS).and_then(Value::as_number))
            .set_memory(l.get(MEMORY).and_then(Value::as_integer))
            .build()
    });
    Some(
        ComponentRunWith::builder()
            .set_posix_user(text_of(run, POSIX_USER))
            .set_windows_user(text_of(run, WINDOWS_USER))
            .set_system_resource_limits(limits)
            .build(),
    )
}

/// The components of a new deployment of `planned`; with `prior`, a component's
/// configuration update only when it differs from the prior deployment's.
fn component_specs(
    planned: &Value,
    prior: Option<&Value>,
) -> Result<HashMap<String, ComponentDeploymentSpecification>, ProviderError> {
    let before = prior.map(components).unwrap_or_default();
    components(planned)
        .into_iter()
        .map(|(name, entry)| {
            let unchanged = before.get(&name).is_some_and(|b| {
                let update = |v: &Value| {
                    v.get(CONFIGURATION_UPDATE)
                        .cloned()
                        .unwrap_or_else(Value::null)
                };
                update(b).equals(&update(&entry)) == Some(true)
            });
            let spec = ComponentDeploymentSpecification::builder()
                .set_component_version(text_of(&entry, COMPONENT_VERSION))
                .set_configuration_update(if unchanged {
                    None
                } else {
                    configuration_update(&entry)
                })
                .set_run_with(run_with(&entry))
                .build()
                .map_err(|e| ProviderError::invalid_config(format!("component {name}: {e}")))?;
            Ok((name, spec))
        })
        .collect()
}

fn policies(planned: &Value) -> Result<Option<DeploymentPolicies>, ProviderError> {
    let Some(p) = first(DEPLOYMENT_POLICIES, planned) else {
        return Ok(None);
    };
    let update = match first(COMPONENT_UPDATE_POLICY, p) {
        Some(u) => Some(
            DeploymentComponentUpdatePolicy::builder()
                .set_action(
                    ACTION
                        .get(u)?
                        .map(|a| DeploymentComponentUpdatePolicyAction::from(a.as_str())),
                )
                .set_timeout_in_seconds(TIMEOUT_IN_SECONDS.get(u)?.map(|t| t as i32))
                .build(),
        ),
        None => None,
    };
    let validation = match first(CONFIGURATION_VALIDATION_POLICY, p) {
        Some(v) => Some(
            DeploymentConfigurationValidationPolicy::builder()
                .set_timeout_in_seconds(TIMEOUT_IN_SECONDS.get(v)?.map(|t| t as i32))
                .build(),
        ),
        None => None,
    };
    Ok(Some(
        DeploymentPolicies::builder()
            .set_failure_handling_policy(
                FAILURE_HANDLING_POLICY
                    .get(p)?
                    .map(|f| DeploymentFailureHandlingPolicy::from(f.as_str())),
            )
            .set_component_update_policy(update)
            .set_configuration_validation_policy(validation)
            .build(),
    ))
}

fn built<T>(
    what: &str,
    result: Result<T, aws_sdk_greengrassv2::error::BuildError>,
) -> Result<T, ProviderError> {
    result.map_err(|e| ProviderError::invalid_config(format!("`{what}`: {e}")))
}

fn job_configuration(
    planned: &Value,
) -> Result<Option<DeploymentIoTJobConfiguration>, ProviderError> {
    let Some(job) = first(IOT_JOB_CONFIGURATION, planned) else {
        return Ok(None);
    };
    let rollout = match first(JOB_EXECUTIONS_ROLLOUT_CONFIG, job) {
        Some(r) => {
            let rate = match first(EXPONENTIAL_RATE, r) {
                Some(e) => {
                    let criteria = first(RATE_INCREASE_CRITERIA, e)
                        .map(|c| -> Result<_, ProviderError> {
                            Ok(IoTJobRateIncreaseCriteria::builder()
                                .set_number_of_notified_things(
                                    NUMBER_OF_NOTIFIED_THINGS.get(c)?.map(|n| n as i32),
                                )
                                .set_number_of_succeeded_things(
                                    NUMBER_OF_SUCCEEDED_THINGS.get(c)?.map(|n| n as i32),
                                )
                                .build())
                        })
                        .transpose()?;
                    Some(built(
                        "exponential_rate",
                        IoTJobExponentialRolloutRate::builder()
                            .set_base_rate_per_minute(
                                BASE_RATE_PER_MINUTE.get(e)?.map(|n| n as i32),
                            )
                            .set_increment_factor(INCREMENT_FACTOR.get(e)?)
                            .set_rate_increase_criteria(criteria)
                            .build(),
                    )?)
                }
                None => None,
            };
            Some(
                IoTJobExecutionsRolloutConfig::builder()
                    .set_exponential_rate(rate)
                    .set_maximum_per_minute(MAXIMUM_PER_MINUTE.get(r)?.map(|n| n as i32))
                    .build(),
            )
        }
        None => None,
    };
    let abort = match first(ABORT_CONFIG, job) {
        Some(a) => {
            let criteria = CRITERIA_LIST
                .items(a)
                .into_iter()
                .map(|c| {
                    built(
                        "criteria_list",
                        IoTJobAbortCriteria::builder()
                            .set_failure_type(
                                FAILURE_TYPE
                                    .get(c)?
                                    .map(|f| IoTJobExecutionFailureType::from(f.as_str())),
                            )
                            .action(IoTJobAbortAction::from(
                                ACTION.or(c, "CANCEL".to_owned())?.as_str(),
                            ))
                            .set_threshold_percentage(THRESHOLD_PERCENTAGE.get(c)?)
                            .set_min_number_of_executed_things(
                                MIN_NUMBER_OF_EXECUTED_THINGS.get(c)?.map(|n| n as i32),
                            )
                            .build(),
                    )
                })
                .collect::<Result<Vec<_>, _>>()?;
            Some(built(
                "abort_config",
                IoTJobAbortConfig::builder()
                    .set_criteria_list(Some(criteria))
                    .build(),
            )?)
        }
        None => None,
    };
    let timeout = match first(TIMEOUT_CONFIG, job) {
        Some(t) => Some(
            IoTJobTimeoutConfig::builder()
                .set_in_progress_timeout_in_minutes(IN_PROGRESS_TIMEOUT_IN_MINUTES.get(t)?)
                .build(),
        ),
        None => None,
    };
    Ok(Some(
        DeploymentIoTJobConfiguration::builder()
            .set_job_executions_rollout_config(rollout)
            .set_abort_config(abort)
            .set_timeout_config(timeout)
            .build(),
    ))
}

fn int(n: Option<i32>) -> Value {
    n.map_or_else(Value::null, |n| Value::number(f64::from(n)))
}

fn single_value(value: Option<Value>) -> Value {
    value.unwrap_or_else(Value::null)
}

fn components_value(out: &GetDeploymentOutput) -> Value {
    let Some(specs) = out.components() else {
        return Value::null();
    };
    let mut names: Vec<&String> = specs.keys().collect();
    names.sort();
    Value::map(names.into_iter().filter_map(|name| {
        let spec = specs.get(name)?;
        let update = spec.configuration_update().map(|u| {
            Value::object([
                (MERGE, u.merge().map_or_else(Value::null, Value::string)),
                (
                    RESET,
                    u.reset.as_ref().map_or_else(Value::null, |r| {
                        Value::list(r.iter().map(|p| Value::string(p.as_str())))
                    }),
                ),
            ])
        });
        let run = spec.run_with().map(|r| {
            let limits = r.system_resource_limits().map(|l| {
                Value::object([
                    // The service answers 0 for a limit that is not set.
                    (CPUS, number(Some(l.cpus()).filter(|c| *c != 0.0))),
                    (
                        MEMORY,
                        number(Some(l.memory()).filter(|m| *m != 0).map(|m| m as f64)),
                    ),
                ])
            });
            Value::object([
                (
                    POSIX_USER,
                    r.posix_user().map_or_else(Value::null, Value::string),
                ),
                (
                    WINDOWS_USER,
                    r.windows_user().map_or_else(Value::null, Value::string),
                ),
                (SYSTEM_RESOURCE_LIMITS, single_value(limits)),
            ])
        });
        Some((
            name.clone(),
            Value::object([
                (COMPONENT_VERSION, Value::string(spec.component_version())),
                (CONFIGURATION_UPDATE, single_value(update)),
                (RUN_WITH, single_value(run)),
            ]),
        ))
    }))
}

fn policies_value(p: Option<&DeploymentPolicies>) -> Value {
    let Some(p) = p else {
        return Value::null();
    };
    let update = p.component_update_policy().map(|u| {
        Value::object([
            ACTION.to_opt(u.action().map(|a| a.as_str())),
            (TIMEOUT_IN_SECONDS.name(), int(u.timeout_in_seconds())),
        ])
    });
    let validation = p
        .configuration_validation_policy()
        .map(|v| Value::object([(TIMEOUT_IN_SECONDS.name(), int(v.timeout_in_seconds()))]));
    Value::object([
        FAILURE_HANDLING_POLICY.to_opt(p.failure_handling_policy().map(|f| f.as_str())),
        (COMPONENT_UPDATE_POLICY.name(), single_value(update)),
        (
            CONFIGURATION_VALIDATION_POLICY.name(),
            single_value(validation),
        ),
    ])
}

fn job_value(job: Option<&DeploymentIoTJobConfiguration>) -> Value {
    let Some(job) = job else {
        return Value::null();
    };
    let rollout = job.job_executions_rollout_config().map(|r| {
        let rate = r.exponential_rate().map(|e| {
            let criteria = e.rate_increase_criteria().map(|c| {
                Value::object([
                    (
                        NUMBER_OF_NOTIFIED_THINGS.name(),
                        int(c.number_of_notified_things()),
                    ),
                    (
                        NUMBER_OF_SUCCEEDED_THINGS.name(),
                        int(c.number_of_succeeded_things()),
                    ),
                ])
            });
            Value::object([
                (
                    BASE_RATE_PER_MINUTE.name(),
                    int(Some(e.base_rate_per_minute())),
                ),
                (INCREMENT_FACTOR.name(), Value::number(e.increment_factor())),
                (RATE_INCREASE_CRITERIA.name(), single_value(criteria)),
            ])
        });
        Value::object([
            (EXPONENTIAL_RATE.name(), single_value(rate)),
            (MAXIMUM_PER_MINUTE.name(), int(r.maximum_per_minute())),
        ])
    });
    let abort = job.abort_config().map(|a| {
        Value::object([CRITERIA_LIST.to_list(a.criteria_list().iter().map(|c| {
            Value::object([
                FAILURE_TYPE.to(c.failure_type().as_str()),
                ACTION.to(c.action().as_str()),
                THRESHOLD_PERCENTAGE.to(c.threshold_percentage()),
                (
                    MIN_NUMBER_OF_EXECUTED_THINGS.name(),
                    int(Some(c.min_number_of_executed_things())),
                ),
            ])
        }))])
    });
    let timeout = job.timeout_config().map(|t| {
        Value::object([(
            IN_PROGRESS_TIMEOUT_IN_MINUTES.name(),
            t.in_progress_timeout_in_minutes()
                .map_or_else(Value::null, |m| Value::number(m as f64)),
        )])
    });
    Value::object([
        (JOB_EXECUTIONS_ROLLOUT_CONFIG.name(), single_value(rollout)),
        (ABORT_CONFIG.name(), single_value(abort)),
        (TIMEOUT_CONFIG.name(), single_value(timeout)),
    ])
}

/// A deployment's value; `None` when another deployment superseded it.
fn value_of(id: &str, out: &GetDeploymentOutput) -> Option<Value> {
    if !out.is_latest_for_target() {
        return None;
    }
    Some(SCHEMA.instance([
        TARGET_ARN.text(out.target_arn()),
        DEPLOYMENT_NAME.text(out.deployment_name()),
        (COMPONENTS, components_value(out)),
        (
            DEPLOYMENT_POLICIES.name(),
            policies_value(out.deployment_policies()),
        ),
        (
            IOT_JOB_CONFIGURATION.name(),
            job_value(out.iot_job_configuration()),
        ),
        tags_value(out.tags()),
        WAIT_FOR.null(),
        WAIT_TIMEOUT.to(DEFAULT_WAIT_TIMEOUT),
        ID.to(id),
        DEPLOYMENT_STATUS.text(out.deployment_status().map(|s| s.as_str())),
        REVISION_ID.text(out.revision_id()),
        IOT_JOB_ID.text(out.iot_job_id()),
        IOT_JOB_ARN.text(out.iot_job_arn()),
    ]))
}

// ----- calls --------------------------------------------------------------------------------

async fn get(aws: &Aws, id: &str) -> Result<GetDeploymentOutput, ProviderError> {
    aws.greengrass
        .get_deployment()
        .deployment_id(id)
        .send()
        .await
        .map_err(|e| service_error(Service::GreengrassV2, "GetDeployment", e))
}

/// Creates the deployment `planned` describes; `prior`: the deployment it follows.
async fn deploy(
    aws: &Aws,
    planned: &Value,
    prior: Option<&Value>,
    token: &CreateToken,
) -> Result<String, ProviderError> {
    let mut tags = configured_tags(planned)?;
    tags.insert(TOKEN_TAG.to_owned(), token.as_str().to_owned());
    let out = aws
        .greengrass
        .create_deployment()
        .target_arn(TARGET_ARN.require(planned)?)
        .set_deployment_name(DEPLOYMENT_NAME.get(planned)?)
        .set_components(Some(component_specs(planned, prior)?))
        .set_deployment_policies(policies(planned)?)
        .set_iot_job_configuration(job_configuration(planned)?)
        .set_tags(Some(tags))
        .client_token(token.as_str())
        .send()
        .await
        .map_err(|e| {
            reference_not_found(service_error(Service::GreengrassV2, "CreateDeployment", e))
        })?;
    out.deployment_id()
        .map(str::to_owned)
        .ok_or_else(|| GREENGRASS.incomplete("CreateDeployment", "deploymentId"))
}

fn wait_timeout(object: &Value) -> Result<Duration, ProviderError> {
    let text = WAIT_TIMEOUT.or(object, DEFAULT_WAIT_TIMEOUT.to_owned())?;
    AicDuration::parse(&text)
        .map(AicDuration::as_duration)
        .map_err(|e| ProviderError::invalid_config(format!("`wait_timeout`: {e}")))
}

/// The thing group a target ARN names (`arn:…:thinggroup/NAME`), if it is one.
fn thing_group(target: &str) -> Option<&str> {
    target.split_once(":thinggroup/").map(|(_, name)| name)
}

/// The core devices of thing group `group` (and its child groups): its things that are
/// Greengrass core devices.
async fn core_devices_of(aws: &Aws, group: &str) -> Result<Vec<String>, ProviderError> {
    let mut things = Vec::new();
    let mut pages = aws
        .iot
        .list_things_in_thing_group()
        .thing_group_name(group)
        .recursive(true)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| service_error(Service::Iot, "ListThingsInThingGroup", e))?;
        things.extend(page.things().iter().cloned());
    }
    let mut devices = Vec::new();
    for thing in things {
        let found = aws
            .greengrass
            .get_core_device()
            .core_device_thing_name(&thing)
            .send()
            .await
            .map_err(|e| service_error(Service::GreengrassV2, "GetCoreDevice", e));
        if gone_as_none(found)?.is_some() {
            devices.push(thing);
        }
    }
    Ok(devices)
}

/// What device `thing` reports of deployment `id`: its status and reason, once final.
async fn device_outcome(
    aws: &Aws,
    thing: &str,
    id: &str,
) -> Result<Option<(EffectiveDeploymentExecutionStatus, String)>, ProviderError> {
    let mut pages = aws
        .greengrass
        .list_effective_deployments()
        .core_device_thing_name(thing)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| service_error(Service::GreengrassV2, "ListEffectiveDeployments", e))?;
        if let Some(found) = page
            .effective_deployments()
            .iter()
            .find(|d| d.deployment_id() == id)
        {
            let status = found.core_device_execution_status().clone();
            let ended = !matches!(
                status,
                EffectiveDeploymentExecutionStatus::Queued
                    | EffectiveDeploymentExecutionStatus::InProgress
            );
            return Ok(ended.then(|| (status, found.reason().unwrap_or_default().to_owned())));
        }
    }
    Ok(None)
}

/// The error of deployment `id` to `target` that was canceled.
fn canceled(id: &str, target: &str) -> ProviderError {
    ProviderError::other(format!(
        "Greengrass deployment {id} to {target} was canceled: its rollout was aborted (abort \
         criteria) or canceled"
    ))
    .with_help(
        "Look at the devices' effective deployments \
         (`data aws_greengrassv2_effective_deployments`) for why they failed; devices with \
         `failure_handling_policy = \"ROLLBACK\"` run what they ran before. Applying the \
         previous component versions deploys them to the whole target again.",
    )
}

/// Waits until deployment `id` has rolled out (see the module doc); an error when it was
/// canceled or failed on a device.
async fn rolled_out(aws: &Aws, id: &str, planned: &Value) -> Result<(), ProviderError> {
    let timing = Timing {
        timeout: wait_timeout(planned)?,
        ..aws.timing()
    };
    let target = TARGET_ARN.require(planned)?;
    let group = thing_group(&target).map(str::to_owned);
    let failures = timing
        .waiter(format!("Greengrass deployment {id} to roll out"))
        .until(|| async {
            let out = get(aws, id).await?;
            let status = out
                .deployment_status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default();
            if status == "CANCELED" {
                return Err(canceled(id, &target));
            }
            match &group {
                None if status == "ACTIVE" => Ok(None),
                None if status == "COMPLETED" => Ok(Some(Vec::new())),
                None => Ok(Some(vec![format!("the deployment ended {status}")])),
                Some(group) => {
                    let mut failed = Vec::new();
                    for device in core_devices_of(aws, group).await? {
                        match device_outcome(aws, &device, id).await? {
                            None => return Ok(None),
                            Some((
                                EffectiveDeploymentExecutionStatus::Succeeded
                                | EffectiveDeploymentExecutionStatus::Completed,
                                _,
                            )) => {}
                            Some((status, reason)) => {
                                failed.push(format!("{device}: {} ({reason})", status.as_str()));
                            }
                        }
                    }
                    Ok(Some(failed))
                }
            }
        })
        .await?;
    if failures.is_empty() {
        return Ok(());
    }
    // The last device's failure may have fired the abort criteria as it ended.
    if get(aws, id).await?.deployment_status().map(|s| s.as_str()) == Some("CANCELED") {
        return Err(canceled(id, &target));
    }
    Err(ProviderError::other(format!(
        "Greengrass deployment {id} to {target} failed on {} device(s): {}",
        failures.len(),
        failures.join("; ")
    ))
    .with_help(
        "Devices with `failure_handling_policy = \"ROLLBACK\"` run what they ran before. Fix the \
         component and publish a new version, or `aic rollback`.",
    ))
}

/// Cancels deployment `id` when it is active.
async fn cancel(aws: &Aws, id: &str) -> Result<(), ProviderError> {
    let Some(out) = gone_as_none(get(aws, id).await)? else {
        return Ok(());
    };
    if out.deployment_status().map(|s| s.as_str()) == Some("ACTIVE") {
        let canceled = aws
            .greengrass
            .cancel_deployment()
            .deployment_id(id)
            .send()
            .await
            .map_err(|e| service_error(Service::GreengrassV2, "CancelDeployment", e));
        match canceled {
            Err(e) if e.kind() != aic_provider::ErrorKind::Conflict => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

#[async_trait]
impl CloudType<Aws> for AwsGreengrassDeployment {
    aws_type!("aws_greengrassv2_deployment", "Greengrass deployment"; one by one);

    /// A change makes a new deployment: its id, revision, job and status are new.
    async fn plan(
        &self,
        _aws: &Aws,
        schema: &ResourceSchema,
        request: PlanRequest,
    ) -> Result<PlanResponse, ProviderError> {
        let prior = request.prior.clone();
        let mut response = plan_resource(schema, &request)?;
        if let Some(prior) = prior {
            if !response.replaces() && response.planned.equals(&prior) != Some(true) {
                let unknown = |attr: Attr<String>| (attr.name(), Value::unknown(Type::String));
                response.planned = with_attributes(
                    &response.planned,
                    [
                        unknown(ID),
                        unknown(DEPLOYMENT_STATUS),
                        unknown(REVISION_ID),
                        unknown(IOT_JOB_ID),
                        unknown(IOT_JOB_ARN),
                    ],
                );
            }
        }
        Ok(response)
    }

    async fn create_call(
        &self,
        aws: &Aws,
        planned: &Value,
        token: &CreateToken,
    ) -> Result<String, ProviderError> {
        deploy(aws, planned, None, token).await
    }

    async fn complete(&self, aws: &Aws, id: &str, planned: &Value) -> Result<(), ProviderError> {
        if WAIT_FOR.get(planned)?.is_some() {
            rolled_out(aws, id, planned).await?;
        }
        Ok(())
    }

    async fn describe(
        &self,
        aws: &Aws,
        which: Which<'_>,
    ) -> Result<Vec<(String, Value)>, ProviderError> {
        let found = one_by_one(which, |id| async move {
            let out = get(aws, &id).await?;
            Ok(value_of(&id, &out).unwrap_or_else(Value::null))
        })
        .await?;
        // A superseded deployment is gone.
        Ok(found.into_iter().filter(|(_, v)| !v.is_null()).collect())
    }

    /// The target's deployment tagged with `token`.
    async fn find_id(
        &self,
        aws: &Aws,
        planned: &Value,
        token: &CreateToken,
    ) -> Result<Option<String>, ProviderError> {
        let mut pages = aws
            .greengrass
            .list_deployments()
            .target_arn(TARGET_ARN.require(planned)?)
            .history_filter(DeploymentHistoryFilter::All)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| service_error(Service::GreengrassV2, "ListDeployments", e))?;
            for deployment in page.deployments() {
                let Some(id) = deployment.deployment_id() else {
                    continue;
                };
                let Some(out) = gone_as_none(get(aws, id).await)? else {
                    continue;
                };
                if out
                    .tags()
                    .and_then(|t| t.get(TOKEN_TAG))
                    .map(String::as_str)
                    == Some(token.as_str())
                {
                    return Ok(Some(id.to_owned()));
                }
            }
        }
        Ok(None)
    }

    /// What the service does not keep: `wait_for`, `wait_timeout`, and the configuration
    /// updates a later deployment did not repeat.
    fn with_prior(&self, prior: &Value, found: Value) -> Value {
        let mut found_components = components(&found);
        let prior_components = components(prior);
        for (name, entry) in found_components.iter_mut() {
            let missing = entry.get(CONFIGURATION_UPDATE).is_none_or(Value::is_null);
            if let Some(before) = prior_components.get(name).filter(|_| missing) {
                if let Some(update) = before.get(CONFIGURATION_UPDATE) {
                    *entry = with_attributes(entry, [(CONFIGURATION_UPDATE, update.clone())]);
                }
            }
        }
        let components = if found.get(COMPONENTS).is_none_or(Value::is_null) {
            Value::null()
        } else {
            Value::map(found_components)
        };
        with_attributes(
            &found,
            [
                (COMPONENTS, components),
                WAIT_FOR.copied(prior),
                (
                    WAIT_TIMEOUT.name(),
                    prior
                        .get(WAIT_TIMEOUT.name())
                        .filter(|v| !v.is_null())
                        .cloned()
                        .unwrap_or_else(|| Value::string(DEFAULT_WAIT_TIMEOUT)),
                ),
            ],
        )
    }

    /// The target's next deployment.
    async fn change(
        &self,
        aws: &Aws,
        _id: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<String, ProviderError> {
        let id = deploy(aws, planned, Some(prior), &CreateToken::random()).await?;
        if WAIT_FOR.get(planned)?.is_some() {
            rolled_out(aws, &id, planned).await?;
        }
        Ok(id)
    }

    /// Cancels the deployment if it is active, then deletes it.
    async fn delete_call(&self, aws: &Aws, id: &str, _: &Value) -> Result<(), ProviderError> {
        cancel(aws, id).await?;
        aws.greengrass
            .delete_deployment()
            .deployment_id(id)
            .send()
            .await
            .map_err(|e| service_error(Service::GreengrassV2, "DeleteDeployment", e))?;
        Ok(())
    }
}
