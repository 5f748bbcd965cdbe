//! The `time` provider: `time_sleep`, which waits `create_duration` when it is created
//! and `destroy_duration` when it is destroyed, so that what depends on it starts later
//! (or what it depends on is destroyed later). Waiting uses `tokio::time::sleep`, so it
//! holds no thread. Changing a duration alone is an in-place update and waits nothing;
//! changing `triggers` replaces the resource and waits again, as in Terraform.

use std::sync::{Arc, LazyLock};

use aic_lang::types::Type;
use aic_lang::value::Value;
use aic_provider::{
    resource_schema, validate_config, with_attributes, AttributeSchema, Attributes,
    ConfiguredProvider, Problem, Provider, ProviderError, ProviderSchema, ResourceSchema,
};
use async_trait::async_trait;
use indexmap::IndexMap;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::duration::GoDuration;
use crate::schema_path;

/// The `time` provider. It takes no configuration.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimeProvider;

const DURATIONS: [&str; 2] = ["create_duration", "destroy_duration"];

static SCHEMA: LazyLock<ProviderSchema> = LazyLock::new(|| ProviderSchema {
    provider: ResourceSchema::new("Time-based resources."),
    resources: [(
        "time_sleep".to_owned(),
        ResourceSchema::new(
            "Waits when created and/or destroyed, to delay the resources that depend on it. \
             At least one of `create_duration` and `destroy_duration` must be set. Changing \
             a duration alone waits nothing; changing `triggers` replaces the resource and \
             waits again.",
        )
        .attribute(
            "create_duration",
            AttributeSchema::optional(Type::String).describe(
                "How long to wait when creating, such as `\"30s\"` or `\"5m\"` (Go duration \
                 syntax: a number and one of `ns`, `us`, `ms`, `s`, `m`, `h`, possibly \
                 repeated, as in `\"1m30s\"`).",
            ),
        )
        .attribute(
            "destroy_duration",
            AttributeSchema::optional(Type::String).describe(
                "How long to wait when destroying, in the same syntax. The value in the state \
                 is used, so a change must be applied before it takes effect.",
            ),
        )
        .attribute(
            "triggers",
            AttributeSchema::optional(Type::map(Type::String))
                .force_new()
                .describe(
                    "Arbitrary values that, when changed, replace the resource and wait again.",
                ),
        )
        .attribute(
            "id",
            AttributeSchema::computed(Type::String).describe(
                "The time of creation in RFC 3339 format, such as `2020-02-12T06:36:13Z`.",
            ),
        ),
    )]
    .into_iter()
    .collect(),
    data_sources: IndexMap::new(),
});

/// The duration attribute `name` of `object`, parsed; `None` when unset.
fn duration(object: &Value, name: &str) -> Result<Option<GoDuration>, ProviderError> {
    Attributes::new(object)
        .opt_string(name)?
        .map(|text| {
            text.parse::<GoDuration>()
                .map_err(|err| ProviderError::invalid_config(format!("`{name}`: {err}")))
        })
        .transpose()
}

fn now_rfc3339() -> Result<String, ProviderError> {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0)
        .unwrap_or(now)
        .format(&Rfc3339)
        .map_err(|err| ProviderError::other(format!("could not format the current time: {err}")))
}

#[async_trait]
impl Provider for TimeProvider {
    fn schema(&self) -> &ProviderSchema {
        &SCHEMA
    }

    async fn configure(
        &self,
        _config: &Value,
    ) -> Result<Arc<dyn ConfiguredProvider>, ProviderError> {
        Ok(Arc::new(*self))
    }
}

#[async_trait]
impl ConfiguredProvider for TimeProvider {
    fn schema(&self) -> &ProviderSchema {
        &SCHEMA
    }

    /// Its objects exist only in the state: nothing outside can be orphaned.
    fn objects_outside_state(&self, _type_name: &str) -> bool {
        false
    }

    fn validate(&self, type_name: &str, config: &Value) -> Vec<Problem> {
        let Some(schema) = SCHEMA.resource(type_name) else {
            return vec![Problem::invalid_value(
                schema_path(&[]),
                format!("the `time` provider has no resource type `{type_name}`"),
            )];
        };
        let mut problems = validate_config(schema, config);
        if !config.is_known() {
            return problems;
        }
        let unset = |name: &str| config.get(name).is_none_or(Value::is_null);
        if DURATIONS.iter().all(|name| unset(name)) {
            problems.push(
                Problem::conflicting_attributes(
                    schema_path(&[]),
                    "neither `create_duration` nor `destroy_duration` is set",
                )
                .with_help("Set `create_duration`, `destroy_duration` or both, such as `create_duration = \"30s\"`."),
            );
        }
        for name in DURATIONS {
            let Some(text) = config
                .get(name)
                .filter(|v| v.is_known())
                .and_then(Value::as_str)
            else {
                continue;
            };
            if let Err(err) = text.parse::<GoDuration>() {
                problems.push(Problem::invalid_value(
                    schema_path(&[name]),
                    err.to_string(),
                ));
            }
        }
        problems
    }

    async fn create(&self, type_name: &str, planned: &Value) -> Result<Value, ProviderError> {
        resource_schema(&SCHEMA, type_name)?;
        if let Some(wait) = duration(planned, "create_duration")? {
            tokio::time::sleep(wait.as_duration()).await;
        }
        Ok(with_attributes(
            planned,
            [("id", Value::string(now_rfc3339()?))],
        ))
    }

    async fn read(&self, type_name: &str, prior: &Value) -> Result<Option<Value>, ProviderError> {
        resource_schema(&SCHEMA, type_name)?;
        Ok(Some(prior.clone()))
    }

    async fn update(
        &self,
        type_name: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        resource_schema(&SCHEMA, type_name)?;
        let id = prior.get("id").cloned().unwrap_or_else(Value::null);
        Ok(with_attributes(planned, [("id", id)]))
    }

    async fn delete(&self, type_name: &str, prior: &Value) -> Result<(), ProviderError> {
        resource_schema(&SCHEMA, type_name)?;
        if let Some(wait) = duration(prior, "destroy_duration")? {
            tokio::time::sleep(wait.as_duration()).await;
        }
        Ok(())
    }

    /// The import id is `CREATE_DURATION,DESTROY_DURATION[,KEY=VALUE…]` (either duration
    /// may be empty, not both), as Terraform's; `id` becomes the time of the import.
    async fn import(&self, type_name: &str, id: &str) -> Result<Option<Value>, ProviderError> {
        let schema = resource_schema(&SCHEMA, type_name)?;
        let invalid = |why: &str| {
            ProviderError::invalid_config(format!("cannot import `time_sleep` from {id:?}: {why}"))
                .with_help("The import id is `CREATE_DURATION,DESTROY_DURATION[,KEY=VALUE...]`, such as `30s,` or `,1m,run=2`.")
        };
        let mut parts = id.split(',');
        let (Some(create), Some(destroy)) = (parts.next(), parts.next()) else {
            return Err(invalid("a comma is missing"));
        };
        if create.is_empty() && destroy.is_empty() {
            return Err(invalid("both durations are empty"));
        }
        let mut values = vec![("id".to_owned(), Value::string(now_rfc3339()?))];
        for (name, text) in [("create_duration", create), ("destroy_duration", destroy)] {
            if text.is_empty() {
                continue;
            }
            text.parse::<GoDuration>()
                .map_err(|err| invalid(&err.to_string()))?;
            values.push((name.to_owned(), Value::string(text)));
        }
        let mut triggers = IndexMap::new();
        for trigger in parts {
            let (key, value) = trigger
                .split_once('=')
                .ok_or_else(|| invalid(&format!("trigger {trigger:?} is not KEY=VALUE")))?;
            triggers.insert(key.to_owned(), Value::string(value));
        }
        if !triggers.is_empty() {
            values.push(("triggers".to_owned(), Value::map(triggers)));
        }
        Ok(Some(schema.instance(values)))
    }
}
