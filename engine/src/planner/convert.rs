//! Conversions between the state's JSON and the language's values: a recorded object as
//! a value with the schema's types and sensitive marks ([`state_value`]), a recorded
//! configuration as a provider's input ([`recorded_config`]), and an applied object as
//! its state entry ([`resource_state`]).

use aic_lang::addr::{InstanceAddr, InstanceKey, ResourceAddr};
use aic_lang::value::{Value, ValueKind};
use aic_provider::schema::ResourceSchema;

use crate::state::model::ResourceState;

use super::workspace::Workspace;

/// A prior object from state, as a value with the schema's sensitive marks.
pub fn state_value(ws: &Workspace, rs: &ResourceState, addr: &InstanceAddr) -> Value {
    let v = Value::from_json(&rs.attributes);
    let v = conform_to_schema(ws, &addr.resource, v);
    match ws.schema(&addr.resource) {
        Some(s) => s.mark_sensitive(v),
        None => v,
    }
}

/// JSON arrays come back from state as tuples and objects as objects; the schema says
/// which are lists, sets and maps.
pub(crate) fn conform_to_schema(ws: &Workspace, addr: &ResourceAddr, v: Value) -> Value {
    let computed;
    let ty = match ws.instance_type(addr) {
        Some(ty) => ty,
        None => match ws.schema(addr) {
            Some(schema) => {
                computed = schema.instance_type();
                &computed
            }
            None => return v,
        },
    };
    ty.conform(&v).unwrap_or(v)
}

pub(crate) fn instance_addr_of(rs: &ResourceState) -> Option<InstanceAddr> {
    rs.address.parse().ok()
}

/// A configuration recorded in the state (`applied_config`) as a value for the
/// provider: each attribute and block conformed to the schema's type (JSON arrays come
/// back as tuples).
pub fn recorded_config(ws: &Workspace, addr: &ResourceAddr, json: &serde_json::Value) -> Value {
    let v = Value::from_json(json);
    let (Some(schema), Some(entries)) = (ws.schema(addr), v.as_entries()) else {
        return v;
    };
    let conformed: Vec<(String, Value)> = entries
        .iter()
        .map(|(k, x)| {
            let ty = schema
                .attributes
                .get(k)
                .map(|a| a.ty.clone())
                .or_else(|| schema.blocks.get(k).map(|b| b.value_type()));
            let x = match ty {
                Some(t) => t.conform(x).unwrap_or_else(|_| x.clone()),
                None => x.clone(),
            };
            (k.clone(), x)
        })
        .collect();
    Value::object(conformed)
}

/// The configuration that describes an object known only by its attributes (an imported
/// one, or one recorded before configurations were kept): its non-null attributes and
/// blocks that a configuration may set. Creating an object from it makes the same object
/// up to what the provider computes.
pub fn config_of_attributes(
    schema: &ResourceSchema,
    attributes: &serde_json::Value,
) -> serde_json::Value {
    let Some(attrs) = attributes.as_object() else {
        return serde_json::Value::Object(serde_json::Map::new());
    };
    let settable = |k: &str| {
        schema
            .attributes
            .get(k)
            .is_some_and(|a| a.required || a.optional)
            || schema.blocks.contains_key(k)
    };
    serde_json::Value::Object(
        attrs
            .iter()
            .filter(|(k, v)| !v.is_null() && settable(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

/// The state entry of an imported object: its `applied_config` is
/// [`config_of_attributes`], so that a rollback can make it again.
pub fn imported_state(ws: &Workspace, addr: &InstanceAddr, value: &Value) -> ResourceState {
    let mut rs = resource_state(
        addr,
        &ws.provider_name(&addr.resource),
        value,
        &Value::null(),
        Vec::new(),
    );
    if let Some(schema) = ws.schema(&addr.resource) {
        rs.applied_config = config_of_attributes(schema, &rs.attributes);
    }
    rs
}

/// Converts an instance's value into its state entry.
pub fn resource_state(
    addr: &InstanceAddr,
    provider: &str,
    value: &Value,
    config: &Value,
    dependencies: Vec<String>,
) -> ResourceState {
    let attributes = state_json(value);
    let sensitive_paths = value
        .sensitive_paths()
        .iter()
        .map(|p| {
            p.steps()
                .iter()
                .map(|s| match s {
                    aic_lang::value::PathStep::Index(i) => {
                        crate::state::model::PathStep::Index(*i as u64)
                    }
                    aic_lang::value::PathStep::Attr(a) | aic_lang::value::PathStep::Key(a) => {
                        crate::state::model::PathStep::Key(a.clone())
                    }
                })
                .collect()
        })
        .collect();
    ResourceState {
        address: addr.to_string(),
        module: addr.module.to_string(),
        type_: addr.resource.type_name.clone(),
        name: addr.resource.name.clone(),
        index: addr.key.as_ref().map(|k| match k {
            InstanceKey::Int(i) => serde_json::Value::from(*i),
            InstanceKey::Str(s) => serde_json::Value::from(s.clone()),
        }),
        provider: provider.to_string(),
        attributes,
        sensitive_paths,
        dependencies,
        applied_config: state_json(config),
        create_pending: false,
        create_token: None,
        tainted: false,
    }
}

/// JSON of a value with its marks dropped and unknowns as null (state never holds
/// unknowns); whole numbers are written as integers.
pub(crate) fn state_json(value: &Value) -> serde_json::Value {
    match value.kind() {
        ValueKind::Null | ValueKind::Unknown(_) => serde_json::Value::Null,
        ValueKind::Bool(b) => serde_json::Value::Bool(*b),
        ValueKind::Number(n) => {
            serde_json::Number::from_f64(*n).map_or(serde_json::Value::Null, |n| {
                if let Some(i) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15) {
                    serde_json::Value::from(i as i64)
                } else {
                    serde_json::Value::Number(n)
                }
            })
        }
        ValueKind::String(s) => serde_json::Value::String(s.clone()),
        ValueKind::List(xs) | ValueKind::Set(xs) | ValueKind::Tuple(xs) => {
            serde_json::Value::Array(xs.iter().map(state_json).collect())
        }
        ValueKind::Map(m) | ValueKind::Object(m) => {
            serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), state_json(v))).collect())
        }
    }
}
