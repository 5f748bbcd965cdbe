//! Validation of a resource's configuration: [`Problem`]s found before any API call.
//!
//! [`validate_config`] checks a configuration value against a [`ResourceSchema`]
//! (unknown attributes with a "did you mean", missing required attributes, types,
//! read-only attributes set, block counts). Providers add their own checks (a range, a
//! format, two attributes that exclude each other) on top of it. Problems carry the path
//! of the attribute at fault; the engine turns that into a span in the source, so this
//! module knows nothing of spans or files.

use aic_lang::diag::{Code, Severity};
use aic_lang::value::{AttrPath, PathStep, Value, ValueKind};

use crate::codes;
use crate::schema::{Nesting, ResourceSchema};

/// One thing wrong with a configuration, independent of where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Stable code (`E0711`…), from [`crate::codes`], listed in `docs/diagnostics.md`.
    pub code: &'static str,
    pub severity: Severity,
    /// A fixed phrase without user names ("Unknown attribute").
    pub summary: &'static str,
    /// The problem at the attribute, with names and values.
    pub detail: String,
    /// A full sentence about the likely fix.
    pub help: Option<String>,
    /// The attribute at fault (root: the whole configuration).
    pub path: AttrPath,
}

impl Problem {
    fn error(code: &'static Code, path: AttrPath, detail: String) -> Self {
        Problem {
            code: code.id,
            severity: code.severity,
            summary: code.summary,
            detail,
            help: None,
            path,
        }
    }

    /// `E0711`: the configuration sets an attribute the schema does not have.
    pub fn unknown_attribute(path: AttrPath, name: &str, suggestion: Option<&str>) -> Self {
        let mut problem = Problem::error(
            &codes::E0711,
            path,
            format!("`{name}` is not an attribute of this type"),
        );
        problem.help = suggestion.map(|s| format!("Did you mean `{s}`?"));
        problem
    }

    /// `E0712`: a required attribute is missing or null.
    pub fn missing_attribute(path: AttrPath, name: &str) -> Self {
        Problem::error(&codes::E0712, path, format!("`{name}` is required"))
            .with_help(format!("Set `{name}`."))
    }

    /// `E0713`: a value of the wrong type.
    pub fn wrong_type(path: AttrPath, detail: String) -> Self {
        Problem::error(&codes::E0713, path, detail)
    }

    /// `E0714`: the configuration sets an attribute only the provider sets.
    pub fn read_only_attribute(path: AttrPath, name: &str) -> Self {
        Problem::error(
            &codes::E0714,
            path,
            format!("`{name}` is computed by the provider and cannot be set"),
        )
        .with_help(format!(
            "Remove `{name}`; read it from the resource instead."
        ))
    }

    /// `E0715`: too few or too many nested blocks.
    pub fn block_count(path: AttrPath, detail: String) -> Self {
        Problem::error(&codes::E0715, path, detail)
    }

    /// `E0716`: a value the provider does not accept (out of range, malformed, …).
    pub fn invalid_value(path: AttrPath, detail: impl Into<String>) -> Self {
        Problem::error(&codes::E0716, path, detail.into())
    }

    /// `E0717`: attributes that cannot be used together, or none of a required group.
    pub fn conflicting_attributes(path: AttrPath, detail: impl Into<String>) -> Self {
        Problem::error(&codes::E0717, path, detail.into())
    }

    /// This problem with help text.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// This problem as a warning.
    #[must_use]
    pub fn warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Checks `config` (an object, or a map of attribute names) against `schema`. Unknown
/// values pass every check their value would decide.
pub fn validate_config(schema: &ResourceSchema, config: &Value) -> Vec<Problem> {
    let mut problems = Vec::new();
    validate_object(schema, config, &mut AttrPath::root(), &mut problems);
    problems
}

fn validate_object(
    schema: &ResourceSchema,
    config: &Value,
    path: &mut AttrPath,
    problems: &mut Vec<Problem>,
) {
    if !config.is_known() || config.is_null() {
        return;
    }
    let Some(entries) = config.as_entries() else {
        problems.push(Problem::wrong_type(
            path.clone(),
            format!("expected an object, found {}", config.type_of()),
        ));
        return;
    };
    for name in entries.keys() {
        if !schema.attributes.contains_key(name) && !schema.blocks.contains_key(name) {
            problems.push(Problem::unknown_attribute(
                path.join(PathStep::Attr(name.clone())),
                name,
                schema.suggest(name),
            ));
        }
    }
    for (name, attr) in &schema.attributes {
        let here = path.join(PathStep::Attr(name.clone()));
        let value = entries.get(name).filter(|v| !v.is_null());
        match value {
            None if attr.required => problems.push(Problem::missing_attribute(here, name)),
            None => {}
            Some(_) if attr.is_read_only() => {
                problems.push(Problem::read_only_attribute(here, name));
            }
            Some(value) => {
                if let Err(mismatch) = attr.ty.accepts_value(value) {
                    let mut at = here.clone();
                    for step in mismatch.path.steps() {
                        at.push(step.clone());
                    }
                    // The mismatch's own text says "at `inner.path`: …" when the
                    // problem is inside the value.
                    let detail = if mismatch.path.is_root() {
                        format!("`{name}`: {mismatch}")
                    } else {
                        format!("`{name}` {mismatch}")
                    };
                    problems.push(Problem::wrong_type(at, detail));
                }
            }
        }
    }
    for (name, block) in &schema.blocks {
        path.push(PathStep::Attr(name.clone()));
        let value = entries.get(name).filter(|v| !v.is_null());
        let items: Vec<&Value> = match (block.nesting, value) {
            (_, None) => Vec::new(),
            (_, Some(v)) if !v.is_known() => {
                path.pop();
                continue;
            }
            (Nesting::Single, Some(v)) => vec![v],
            (Nesting::List | Nesting::Set, Some(v)) => match v.kind() {
                ValueKind::List(items) | ValueKind::Set(items) | ValueKind::Tuple(items) => {
                    items.iter().collect()
                }
                _ => {
                    problems.push(Problem::wrong_type(
                        path.clone(),
                        format!("`{name}` must be a list of blocks, found {}", v.type_of()),
                    ));
                    path.pop();
                    continue;
                }
            },
        };
        if items.len() < block.min_items {
            problems.push(Problem::block_count(
                path.clone(),
                format!(
                    "at least {} `{name}` block{} required, found {}",
                    block.min_items,
                    if block.min_items == 1 { " is" } else { "s are" },
                    items.len()
                ),
            ));
        }
        if let Some(max) = block.max_items {
            if items.len() > max {
                problems.push(Problem::block_count(
                    path.clone(),
                    format!(
                        "at most {max} `{name}` block{} allowed, found {}",
                        if max == 1 { " is" } else { "s are" },
                        items.len()
                    ),
                ));
            }
        }
        match block.nesting {
            Nesting::Single => {
                if let Some(item) = items.first() {
                    validate_object(&block.block, item, path, problems);
                }
            }
            Nesting::List | Nesting::Set => {
                for (i, item) in items.iter().enumerate() {
                    path.push(PathStep::Index(i));
                    validate_object(&block.block, item, path, problems);
                    path.pop();
                }
            }
        }
        path.pop();
    }
}

#[cfg(test)]
mod tests {
    use aic_lang::types::Type;

    use super::*;
    use crate::schema::{AttributeSchema, NestedBlockSchema};

    fn schema() -> ResourceSchema {
        ResourceSchema::new("test")
            .attribute("filename", AttributeSchema::required(Type::String))
            .attribute("tags", AttributeSchema::optional(Type::map(Type::String)))
            .attribute("id", AttributeSchema::computed(Type::String))
            .block(
                "rule",
                NestedBlockSchema {
                    min_items: 1,
                    max_items: Some(2),
                    ..NestedBlockSchema::new(
                        Nesting::List,
                        ResourceSchema::new("rule")
                            .attribute("port", AttributeSchema::required(Type::Number)),
                    )
                },
            )
    }

    fn rule(port: f64) -> Value {
        Value::object([("port", Value::number(port))])
    }

    #[test]
    fn a_valid_configuration_has_no_problems() {
        let config = Value::object([
            ("filename", Value::string("a")),
            ("tags", Value::object([("k", Value::string("v"))])),
            ("rule", Value::tuple([rule(80.0)])),
        ]);
        assert_eq!(validate_config(&schema(), &config), vec![]);
    }

    #[test]
    fn unknowns_pass() {
        let config = Value::object([
            ("filename", Value::unknown(Type::String)),
            ("rule", Value::unknown(Type::list(Type::Any))),
        ]);
        assert_eq!(validate_config(&schema(), &config), vec![]);
        assert_eq!(
            validate_config(&schema(), &Value::unknown(Type::Any)),
            vec![]
        );
    }

    #[test]
    fn problems_name_the_attribute_and_suggest() {
        let config = Value::object([
            ("filenme", Value::string("a")),
            ("id", Value::string("x")),
            ("tags", Value::object([("k", Value::number(1.0))])),
            (
                "rule",
                Value::tuple([
                    rule(1.0),
                    rule(2.0),
                    Value::object(Vec::<(String, Value)>::new()),
                ]),
            ),
        ]);
        let problems = validate_config(&schema(), &config);
        let summary: Vec<(String, &str, String)> = problems
            .iter()
            .map(|p| (p.path.to_string(), p.code, p.detail.clone()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    "filenme".into(),
                    "E0711",
                    "`filenme` is not an attribute of this type".into()
                ),
                ("filename".into(), "E0712", "`filename` is required".into()),
                (
                    "tags.k".into(),
                    "E0713",
                    "`tags` at `k`: expected string, found number".into()
                ),
                (
                    "id".into(),
                    "E0714",
                    "`id` is computed by the provider and cannot be set".into()
                ),
                (
                    "rule".into(),
                    "E0715",
                    "at most 2 `rule` blocks are allowed, found 3".into()
                ),
                ("rule[2].port".into(), "E0712", "`port` is required".into()),
            ]
        );
        assert_eq!(
            problems.first().and_then(|p| p.help.as_deref()),
            Some("Did you mean `filename`?")
        );
    }

    #[test]
    fn too_few_blocks() {
        let config = Value::object([("filename", Value::string("a"))]);
        let problems = validate_config(&schema(), &config);
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems.first().map(|p| p.detail.as_str()),
            Some("at least 1 `rule` block is required, found 0")
        );
    }
}
