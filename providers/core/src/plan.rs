//! Planning one resource instance: from its prior object and its desired configuration to
//! the object it will have after apply, and whether that needs a replacement.
//!
//! [`plan_resource`] is the schema-driven default every provider gets:
//! - a configured attribute takes its configured value (converted to its declared type;
//!   unknowns stay unknown), an unset one its schema default or null;
//! - a computed attribute the configuration leaves unset keeps its prior value, or is
//!   unknown when the object is new (created or replaced);
//! - a change of a force-new attribute (or block), including a change to a value not known
//!   yet, requires replacement and is listed in [`PlanResponse::requires_replace`].
//!
//! Providers override `plan` when the API knows better (a computed value derived from
//! configuration, say) and usually start from this function. This module does not decide
//! the action: the engine compares `planned` with the prior object.

use aic_lang::value::{AttrPath, PathStep, Value, ValueKind};
use indexmap::IndexMap;

use crate::error::ProviderError;
use crate::schema::{AttributeSchema, NestedBlockSchema, Nesting, ResourceSchema};

/// What the engine asks a provider to plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRequest {
    /// The resource type, e.g. `local_file`.
    pub type_name: String,
    /// The object as it is now (after refresh); `None` when it is to be created.
    pub prior: Option<Value>,
    /// The desired configuration: an object of the attributes the configuration sets.
    /// Left-out attributes may be absent or null. May contain unknowns.
    pub config: Value,
}

/// The provider's answer to a [`PlanRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct PlanResponse {
    /// The object after apply; unknown where only apply will tell (computed attributes of a
    /// new object, values derived from unknown configuration). Sensitive attributes carry
    /// the sensitive mark.
    pub planned: Value,
    /// The attributes whose change forces replacement; empty for a create, an in-place
    /// update or no change.
    pub requires_replace: Vec<AttrPath>,
}

impl PlanResponse {
    /// Whether applying this plan replaces the object.
    pub fn replaces(&self) -> bool {
        !self.requires_replace.is_empty()
    }
}

/// The schema-driven plan of `request` for a resource of `schema` (see the module doc).
pub fn plan_resource(
    schema: &ResourceSchema,
    request: &PlanRequest,
) -> Result<PlanResponse, ProviderError> {
    let mut requires_replace = Vec::new();
    let planned = plan_object(
        schema,
        &request.config,
        request.prior.as_ref(),
        &mut AttrPath::root(),
        &mut requires_replace,
    )?;
    if requires_replace.is_empty() {
        return Ok(PlanResponse {
            planned,
            requires_replace,
        });
    }
    // The replacement is a new object: plan it as a create.
    let planned = plan_object(
        schema,
        &request.config,
        None,
        &mut AttrPath::root(),
        &mut Vec::new(),
    )?;
    Ok(PlanResponse {
        planned,
        requires_replace,
    })
}

fn plan_object(
    schema: &ResourceSchema,
    config: &Value,
    prior: Option<&Value>,
    path: &mut AttrPath,
    replace: &mut Vec<AttrPath>,
) -> Result<Value, ProviderError> {
    let mut out = IndexMap::with_capacity(schema.attributes.len() + schema.blocks.len());
    for (name, attr) in &schema.attributes {
        path.push(PathStep::Attr(name.clone()));
        let planned = plan_attribute(
            attr,
            configured(config, name, || attr.ty.clone()),
            prior.map(|p| prior_attr(p, name, attr)),
            path,
        )?;
        if attr.force_new {
            if let Some(prior) = prior {
                if changed(&prior_attr(prior, name, attr), &planned) {
                    replace.push(path.clone());
                }
            }
        }
        path.pop();
        out.insert(name.clone(), planned);
    }
    for (name, block) in &schema.blocks {
        path.push(PathStep::Attr(name.clone()));
        let prior_block = prior.and_then(|p| p.get(name)).filter(|v| !v.is_null());
        let planned = plan_block(
            block,
            configured(config, name, || block.value_type()),
            prior_block,
            path,
            replace,
        )?;
        if block.force_new && prior.is_some() {
            let before = prior_block.cloned().unwrap_or_else(Value::null);
            if changed(&before, &planned) {
                replace.push(path.clone());
            }
        }
        path.pop();
        out.insert(name.clone(), planned);
    }
    Ok(Value::object(out))
}

/// The configured value of `name`: null when left out, unknown when the whole
/// configuration is.
fn configured(config: &Value, name: &str, ty: impl FnOnce() -> aic_lang::types::Type) -> Value {
    if !config.is_known() {
        return Value::unknown(ty());
    }
    config.get(name).cloned().unwrap_or_else(Value::null)
}

/// The prior value of an attribute, converted to its declared type (state read back from
/// JSON has tuples where the schema says lists or sets).
fn prior_attr(prior: &Value, name: &str, attr: &AttributeSchema) -> Value {
    let raw = prior.get(name).cloned().unwrap_or_else(Value::null);
    attr.ty.conform(&raw).unwrap_or(raw)
}

fn plan_attribute(
    attr: &AttributeSchema,
    configured: Value,
    prior: Option<Value>,
    path: &AttrPath,
) -> Result<Value, ProviderError> {
    let configured = attr
        .ty
        .conform(&configured)
        .map_err(|mismatch| ProviderError::invalid_config(format!("`{path}`: {mismatch}")))?;
    let planned = if !configured.is_null() {
        configured
    } else if let Some(default) = &attr.default {
        default.clone()
    } else if attr.computed {
        prior.unwrap_or_else(|| Value::unknown(attr.ty.clone()))
    } else {
        Value::null()
    };
    Ok(if attr.sensitive && !planned.is_null() {
        planned.mark_sensitive()
    } else {
        planned
    })
}

fn plan_block(
    block: &NestedBlockSchema,
    configured: Value,
    prior: Option<&Value>,
    path: &mut AttrPath,
    replace: &mut Vec<AttrPath>,
) -> Result<Value, ProviderError> {
    if !configured.is_known() {
        return Ok(Value::unknown(block.value_type()));
    }
    if configured.is_null() {
        return Ok(match block.nesting {
            Nesting::Single => Value::null(),
            Nesting::List => Value::list([]),
            Nesting::Set => Value::set([]),
        });
    }
    let prior_items = prior.and_then(Value::as_elements).unwrap_or_default();
    match block.nesting {
        Nesting::Single => plan_object(&block.block, &configured, prior, path, replace),
        Nesting::List | Nesting::Set => {
            let Some(items) = configured.as_elements() else {
                return Err(ProviderError::invalid_config(format!(
                    "`{path}`: expected a list of blocks, found {}",
                    configured.type_of()
                )));
            };
            let mut planned = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let prior_item = match block.nesting {
                    Nesting::Set => prior_items
                        .iter()
                        .find(|p| same_configured_attributes(&block.block, item, p)),
                    _ => prior_items.get(i),
                };
                path.push(PathStep::Index(i));
                planned.push(plan_object(&block.block, item, prior_item, path, replace)?);
                path.pop();
            }
            Ok(match block.nesting {
                Nesting::Set => Value::set(planned),
                _ => Value::list(planned),
            })
        }
    }
}

/// Whether `prior` has the values `config` sets (used to match set elements, which have
/// no index to match by).
fn same_configured_attributes(schema: &ResourceSchema, config: &Value, prior: &Value) -> bool {
    schema.attributes.iter().all(
        |(name, attr)| match config.get(name).filter(|v| !v.is_null()) {
            None => true,
            Some(value) => value.equals(&prior_attr(prior, name, attr)) == Some(true),
        },
    )
}

/// Whether `after` differs from `before`, or may differ because part of it is unknown.
fn changed(before: &Value, after: &Value) -> bool {
    match (before.kind(), after.kind()) {
        // An empty collection and null mean the same for a block or an optional attribute.
        (ValueKind::Null, ValueKind::List(v) | ValueKind::Set(v) | ValueKind::Tuple(v))
        | (ValueKind::List(v) | ValueKind::Set(v) | ValueKind::Tuple(v), ValueKind::Null) => {
            !v.is_empty()
        }
        (ValueKind::Null, ValueKind::Map(m) | ValueKind::Object(m))
        | (ValueKind::Map(m) | ValueKind::Object(m), ValueKind::Null) => !m.is_empty(),
        _ => before.equals(after) != Some(true),
    }
}

#[cfg(test)]
mod tests {
    use aic_lang::types::Type;

    use super::*;
    use crate::schema::AttributeSchema;

    fn schema() -> ResourceSchema {
        ResourceSchema::new("test")
            .attribute("name", AttributeSchema::required(Type::String).force_new())
            .attribute("size", AttributeSchema::optional(Type::Number))
            .attribute(
                "mode",
                AttributeSchema::optional(Type::String).default_value("0777"),
            )
            .attribute(
                "tags",
                AttributeSchema::optional(Type::map(Type::String)).force_new(),
            )
            .attribute("zone", AttributeSchema::optional_computed(Type::String))
            .attribute("id", AttributeSchema::computed(Type::String))
            .attribute(
                "secret",
                AttributeSchema::computed(Type::String).sensitive(),
            )
            .block(
                "rule",
                NestedBlockSchema::new(
                    Nesting::List,
                    ResourceSchema::new("rule")
                        .attribute("port", AttributeSchema::required(Type::Number).force_new())
                        .attribute("arn", AttributeSchema::computed(Type::String)),
                ),
            )
    }

    fn prior() -> Value {
        Value::object([
            ("name", Value::string("a")),
            ("size", Value::number(1.0)),
            ("mode", Value::string("0777")),
            ("tags", Value::object([("k", Value::string("v"))])),
            ("zone", Value::string("z1")),
            ("id", Value::string("i-1")),
            ("secret", Value::string("s3cret")),
            (
                "rule",
                Value::tuple([Value::object([
                    ("port", Value::number(80.0)),
                    ("arn", Value::string("arn:1")),
                ])]),
            ),
        ])
    }

    fn config(name: Value, size: f64, port: f64) -> Value {
        Value::object([
            ("name", name),
            ("size", Value::number(size)),
            ("tags", Value::map([("k", Value::string("v"))])),
            (
                "rule",
                Value::tuple([Value::object([("port", Value::number(port))])]),
            ),
        ])
    }

    fn plan(prior: Option<Value>, config: Value) -> PlanResponse {
        let request = PlanRequest {
            type_name: "test".into(),
            prior,
            config,
        };
        match plan_resource(&schema(), &request) {
            Ok(response) => response,
            Err(err) => panic!("plan failed: {err}"),
        }
    }

    #[test]
    fn create_leaves_computed_unknown_and_fills_defaults() {
        let response = plan(None, config(Value::string("a"), 1.0, 80.0));
        assert!(!response.replaces());
        assert_eq!(
            response.planned.to_string(),
            r#"{ name = "a", size = 1, mode = "0777", tags = { k = "v" }, zone = (known after apply), id = (known after apply), secret = (sensitive), rule = [{ port = 80, arn = (known after apply) }] }"#
        );
        // A sensitive computed attribute is unknown and marked: plans show `(sensitive)`.
        let secret = response.planned.get("secret");
        assert_eq!(secret.map(Value::is_known), Some(false));
        assert_eq!(secret.map(Value::is_sensitive), Some(true));
    }

    #[test]
    fn unchanged_configuration_keeps_every_prior_value() {
        let response = plan(Some(prior()), config(Value::string("a"), 1.0, 80.0));
        assert!(!response.replaces());
        assert_eq!(response.planned.equals(&prior()), Some(true));
        let secret = response.planned.get("secret");
        assert_eq!(secret.map(Value::is_sensitive), Some(true));
    }

    #[test]
    fn in_place_change_keeps_computed_values() {
        let response = plan(Some(prior()), config(Value::string("a"), 2.0, 80.0));
        assert!(!response.replaces());
        assert_eq!(response.planned.get("size"), Some(&Value::number(2.0)));
        assert_eq!(response.planned.get("id"), Some(&Value::string("i-1")));
    }

    #[test]
    fn force_new_change_replaces_and_recomputes() {
        let response = plan(Some(prior()), config(Value::string("b"), 1.0, 80.0));
        assert_eq!(
            response.requires_replace,
            vec!["name".parse().unwrap_or_default()]
        );
        assert_eq!(
            response.planned.get("id"),
            Some(&Value::unknown(Type::String))
        );
    }

    #[test]
    fn unknown_force_new_value_replaces() {
        let response = plan(
            Some(prior()),
            config(Value::unknown(Type::String), 1.0, 80.0),
        );
        assert!(response.replaces());
    }

    #[test]
    fn nested_force_new_attribute_has_its_path() {
        let response = plan(Some(prior()), config(Value::string("a"), 1.0, 443.0));
        let paths: Vec<String> = response
            .requires_replace
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(paths, vec!["rule[0].port"]);
    }

    #[test]
    fn empty_and_null_collections_do_not_force_replacement() {
        let mut no_tags = prior();
        if let Some(entries) = no_tags.as_entries().cloned() {
            let mut entries = entries;
            entries.insert("tags".into(), Value::null());
            no_tags = Value::object(entries);
        }
        let config = Value::object([
            ("name", Value::string("a")),
            ("size", Value::number(1.0)),
            ("tags", Value::map(Vec::<(String, Value)>::new())),
            (
                "rule",
                Value::tuple([Value::object([("port", Value::number(80.0))])]),
            ),
        ]);
        assert!(!plan(Some(no_tags), config).replaces());
    }

    #[test]
    fn wrong_types_are_invalid_config() {
        let request = PlanRequest {
            type_name: "test".into(),
            prior: None,
            config: Value::object([("name", Value::number(1.0))]),
        };
        let err = plan_resource(&schema(), &request).err();
        assert_eq!(
            err.as_ref().map(ProviderError::kind),
            Some(crate::error::ErrorKind::InvalidConfig)
        );
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some("`name`: expected string, found number")
        );
    }
}
