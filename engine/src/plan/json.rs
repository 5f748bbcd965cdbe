//! The JSON form of a plan (spec §2), as Terraform's JSON plan: `before`/`after` with
//! unknown and sensitive parts set to `null`, and `after_unknown`, `before_sensitive`,
//! `after_sensitive` mirroring the values with `true` where a part is unknown or
//! sensitive. Sensitive values never reach this form.

use aic_lang::addr::{InstanceAddr, InstanceKey, Mode};
use aic_lang::value::{AttrPath, PathStep, Value, ValueKind};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value as Json;

use super::{Action, OutputChange, Plan, PolicyResult, ResourceChange, StateRef, Summary};

impl Serialize for Plan {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct PlanJson<'a> {
            format_version: &'a str,
            environment: &'a str,
            prior_state: Option<&'a StateRef>,
            resource_changes: &'a [ResourceChange],
            output_changes: &'a indexmap::IndexMap<String, OutputChange>,
            policy_results: &'a [PolicyResult],
            drift: &'a [ResourceChange],
            summary: Summary,
            config_digest: &'a str,
        }
        PlanJson {
            format_version: &self.format_version,
            environment: &self.environment,
            prior_state: self.prior_state.as_ref(),
            resource_changes: &self.resource_changes,
            output_changes: &self.output_changes,
            policy_results: &self.policy_results,
            drift: &self.drift,
            summary: self.summary(),
            config_digest: &self.config_digest,
        }
        .serialize(serializer)
    }
}

impl Serialize for ResourceChange {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct ChangeJson<'a> {
            address: String,
            #[serde(skip_serializing_if = "Option::is_none")]
            module: Option<String>,
            mode: Mode,
            #[serde(rename = "type")]
            type_name: &'a str,
            name: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            index: Option<&'a InstanceKey>,
            provider: &'a str,
            actions: Actions,
            #[serde(flatten)]
            values: ValuesJson,
            replace_paths: Vec<PathJson<'a>>,
            #[serde(skip_serializing_if = "Option::is_none")]
            action_reason: Option<&'static str>,
        }
        let addr: &InstanceAddr = &self.addr;
        ChangeJson {
            address: addr.to_string(),
            module: (!addr.module.is_root()).then(|| addr.module.to_string()),
            mode: addr.resource.mode,
            type_name: &addr.resource.type_name,
            name: &addr.resource.name,
            index: addr.key.as_ref(),
            provider: &self.provider,
            actions: Actions(self.action),
            values: ValuesJson::new(self.before.as_ref(), self.after.as_ref()),
            replace_paths: self.replace_paths.iter().map(PathJson).collect(),
            action_reason: self.reason.map(|r| r.json_name()),
        }
        .serialize(serializer)
    }
}

impl Serialize for OutputChange {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct OutputJson {
            actions: Actions,
            #[serde(flatten)]
            values: ValuesJson,
        }
        OutputJson {
            actions: Actions(self.action),
            values: ValuesJson::new(self.before.as_ref(), self.after.as_ref()),
        }
        .serialize(serializer)
    }
}

impl Serialize for PolicyResult {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(5 + usize::from(self.deferred)))?;
        map.serialize_entry("policy", &self.policy)?;
        map.serialize_entry("address", &self.address.as_ref().map(|a| a.to_string()))?;
        map.serialize_entry("level", &self.level)?;
        map.serialize_entry("passed", &self.passed)?;
        if self.deferred {
            map.serialize_entry("deferred", &true)?;
        }
        map.serialize_entry("message", &self.message)?;
        map.end()
    }
}

/// `["delete", "create"]`.
struct Actions(Action);

impl Serialize for Actions {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.json_actions())
    }
}

/// A path as an array of steps: attribute names and map keys as strings, indexes as
/// numbers (`["ingress", 0, "cidr_blocks"]`).
struct PathJson<'a>(&'a AttrPath);

impl Serialize for PathJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let steps = self.0.steps();
        let mut seq = serializer.serialize_seq(Some(steps.len()))?;
        for step in steps {
            match step {
                PathStep::Attr(name) | PathStep::Key(name) => seq.serialize_element(name)?,
                PathStep::Index(i) => seq.serialize_element(i)?,
            }
        }
        seq.end()
    }
}

/// The redacted values of a change and their unknown/sensitive mirrors.
#[derive(Serialize)]
struct ValuesJson {
    before: Json,
    after: Json,
    after_unknown: Json,
    before_sensitive: Json,
    after_sensitive: Json,
}

impl ValuesJson {
    fn new(before: Option<&Value>, after: Option<&Value>) -> ValuesJson {
        let redacted = |v: Option<&Value>| v.map_or(Json::Null, |v| v.to_plan_json().value);
        let mirror = |v: Option<&Value>, marked: fn(&Value) -> bool| {
            v.map_or(Json::Bool(false), |v| marks_as_bool(v, marked))
        };
        ValuesJson {
            before: redacted(before),
            after: redacted(after),
            after_unknown: mirror(after, |v| !v.is_known()),
            before_sensitive: mirror(before, Value::is_sensitive),
            after_sensitive: mirror(after, Value::is_sensitive),
        }
    }
}

/// Mirrors `value` with `true` where `marked` holds, as Terraform's `unknownAsBool`:
/// objects and maps list only their marked (or non-empty nested) entries, sequences keep
/// one element per element, other unmarked values are `false`.
fn marks_as_bool(value: &Value, marked: fn(&Value) -> bool) -> Json {
    if marked(value) {
        return Json::Bool(true);
    }
    match value.kind() {
        ValueKind::List(v) | ValueKind::Set(v) | ValueKind::Tuple(v) => {
            Json::Array(v.iter().map(|e| marks_as_bool(e, marked)).collect())
        }
        ValueKind::Map(m) | ValueKind::Object(m) => Json::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), marks_as_bool(v, marked)))
                .filter(|(_, mirrored)| *mirrored != Json::Bool(false))
                .collect(),
        ),
        _ => Json::Bool(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aic_lang::types::Type;
    use serde_json::json;

    #[test]
    fn unknown_and_sensitive_parts_are_null_and_mirrored() {
        let after = Value::object([
            ("id", Value::unknown(Type::String)),
            ("password", Value::string("hunter2").mark_sensitive()),
            (
                "tags",
                Value::map([
                    ("Name", Value::string("web")),
                    ("Owner", Value::unknown(Type::String)),
                ]),
            ),
            (
                "ports",
                Value::list([Value::number(80.0), Value::unknown(Type::Number)]),
            ),
        ]);
        let values = serde_json::to_value(ValuesJson::new(None, Some(&after))).unwrap();
        assert_eq!(
            values,
            json!({
                "before": null,
                "after": {
                    "id": null, "password": null,
                    "tags": { "Name": "web", "Owner": null },
                    "ports": [80, null]
                },
                "after_unknown": { "id": true, "tags": { "Owner": true }, "ports": [false, true] },
                "before_sensitive": false,
                "after_sensitive": { "password": true, "tags": {}, "ports": [false, false] },
            })
        );
    }
}
