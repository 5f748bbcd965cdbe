//! The `time` provider: `time_sleep`, which waits `create_duration` when it is created
//! and `destroy_duration` when it is destroyed, so that what depends on it starts later
//! (or what it depends on is destroyed later). Waiting uses `tokio::time::sleep`, so it
//! holds no thread. Changing a duration alone is an in-place update and waits nothing;
//! changing `triggers` replaces the resource and waits again, as in Terraform.

use std::sync::{Arc, LazyLock};

use aic_lang::value::Value;
use aic_provider::{with_attributes, Problem, ProviderError, ResourceSchema};
use aic_provider_kit::bulk::{as_recorded, Results};
use aic_provider_kit::{Attr, CreateToken, Declare, Plugin, Resource, Table, ID};
use async_trait::async_trait;
use indexmap::IndexMap;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::duration::GoDuration;
use crate::schema_path;

const CREATE_DURATION: Attr<String> = Attr::new("create_duration");
const DESTROY_DURATION: Attr<String> = Attr::new("destroy_duration");
const TRIGGERS: Attr<IndexMap<String, String>> = Attr::new("triggers");

const DURATIONS: [Attr<String>; 2] = [CREATE_DURATION, DESTROY_DURATION];

static TABLE: LazyLock<Arc<Table<()>>> = LazyLock::new(|| {
    Arc::new(Table::new(ResourceSchema::new("Time-based resources.")).resource(TimeSleep))
});

/// The `time` provider. It takes no configuration.
pub fn provider() -> Plugin<()> {
    Plugin::offline(TABLE.clone())
}

/// The duration `field` of `object`, parsed; `None` when unset.
fn duration(object: &Value, field: Attr<String>) -> Result<Option<GoDuration>, ProviderError> {
    field
        .get(object)?
        .map(|text| {
            text.parse::<GoDuration>()
                .map_err(|err| ProviderError::invalid_config(format!("`{}`: {err}", field.name())))
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

struct TimeSleep;

#[async_trait]
impl Resource<()> for TimeSleep {
    fn type_name(&self) -> &'static str {
        "time_sleep"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(
            "Waits when created and/or destroyed, to delay the resources that depend on it. \
             At least one of `create_duration` and `destroy_duration` must be set. Changing \
             a duration alone waits nothing; changing `triggers` replaces the resource and \
             waits again.",
        )
        .with(CREATE_DURATION.optional().describe(
            "How long to wait when creating, such as `\"30s\"` or `\"5m\"` (Go duration \
             syntax: a number and one of `ns`, `us`, `ms`, `s`, `m`, `h`, possibly \
             repeated, as in `\"1m30s\"`).",
        ))
        .with(DESTROY_DURATION.optional().describe(
            "How long to wait when destroying, in the same syntax. The value in the state \
             is used, so a change must be applied before it takes effect.",
        ))
        .with(
            TRIGGERS.optional().force_new().describe(
                "Arbitrary values that, when changed, replace the resource and wait again.",
            ),
        )
        .with(
            ID.computed().describe(
                "The time of creation in RFC 3339 format, such as `2020-02-12T06:36:13Z`.",
            ),
        )
    }

    /// Its objects exist only in the state: nothing outside can be orphaned.
    fn objects_outside_state(&self) -> bool {
        false
    }

    fn validate(&self, config: &Value, problems: &mut Vec<Problem>) {
        if !config.is_known() {
            return;
        }
        let unset = |field: &Attr<String>| config.get(field.name()).is_none_or(Value::is_null);
        if DURATIONS.iter().all(unset) {
            problems.push(
                Problem::conflicting_attributes(
                    schema_path(&[]),
                    "neither `create_duration` nor `destroy_duration` is set",
                )
                .with_help("Set `create_duration`, `destroy_duration` or both, such as `create_duration = \"30s\"`."),
            );
        }
        for field in DURATIONS {
            let Some(text) = config
                .get(field.name())
                .filter(|v| v.is_known())
                .and_then(Value::as_str)
            else {
                continue;
            };
            if let Err(err) = text.parse::<GoDuration>() {
                problems.push(Problem::invalid_value(
                    schema_path(&[field.name()]),
                    err.to_string(),
                ));
            }
        }
    }

    async fn create(
        &self,
        _: &(),
        planned: &Value,
        _: &CreateToken,
    ) -> Result<Value, ProviderError> {
        if let Some(wait) = duration(planned, CREATE_DURATION)? {
            tokio::time::sleep(wait.as_duration()).await;
        }
        Ok(with_attributes(planned, [ID.to(now_rfc3339()?)]))
    }

    async fn read_many(&self, _: &(), priors: &[Value]) -> Results {
        as_recorded(priors)
    }

    async fn update(&self, _: &(), prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        Ok(with_attributes(planned, [ID.copied(prior)]))
    }

    async fn delete(&self, _: &(), prior: &Value) -> Result<(), ProviderError> {
        if let Some(wait) = duration(prior, DESTROY_DURATION)? {
            tokio::time::sleep(wait.as_duration()).await;
        }
        Ok(())
    }

    /// The import id is `CREATE_DURATION,DESTROY_DURATION[,KEY=VALUE…]` (either duration
    /// may be empty, not both), as Terraform's; `id` becomes the time of the import.
    async fn import(&self, _: &(), id: &str) -> Result<Option<Value>, ProviderError> {
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
        let mut values = vec![ID.to(now_rfc3339()?)];
        for (field, text) in [(CREATE_DURATION, create), (DESTROY_DURATION, destroy)] {
            if text.is_empty() {
                continue;
            }
            text.parse::<GoDuration>()
                .map_err(|err| invalid(&err.to_string()))?;
            values.push(field.to(text));
        }
        let mut triggers = IndexMap::new();
        for trigger in parts {
            let (key, value) = trigger
                .split_once('=')
                .ok_or_else(|| invalid(&format!("trigger {trigger:?} is not KEY=VALUE")))?;
            triggers.insert(key.to_owned(), value.to_owned());
        }
        if !triggers.is_empty() {
            values.push(TRIGGERS.to(triggers));
        }
        Ok(Some(self.schema().instance(values)))
    }
}
