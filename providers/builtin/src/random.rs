//! The `random` provider: random values that are generated once, when the resource is
//! created, and then stay the same — they change only when the resource is replaced
//! (every argument, `keepers` included, forces replacement, as in Terraform). Random
//! bytes come from the operating system's secure generator; `random_integer.seed` makes
//! the result a deterministic function of the seed instead.
//!
//! Difference from Terraform: `random_string.result` is sensitive here (Terraform only
//! marks `random_password.result`), and `random_string.id` is therefore `"none"`
//! rather than a copy of the result.

use std::sync::{Arc, LazyLock};

use aic_lang::types::Type;
use aic_lang::value::Value;
use aic_provider::{
    resource_schema, validate_config, with_attributes, AttributeSchema, Attributes,
    ConfiguredProvider, Problem, Provider, ProviderError, ProviderSchema, ResourceSchema,
};
use async_trait::async_trait;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use indexmap::IndexMap;

use crate::entropy::Entropy;
use crate::schema_path;

/// The `random` provider. It takes no configuration.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomProvider;

const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const NUMERIC: &str = "0123456789";
/// Terraform's default special characters.
const SPECIAL: &str = "!@#$%&*()-_=+[]{}<>:?";

const KEEPERS: &str = "Arbitrary values that, when changed, force a new random value to be \
                       generated.";

/// The character classes of `random_string`: the switch, its minimum count and its
/// default alphabet.
const CLASSES: [(&str, &str, &str); 4] = [
    ("lower", "min_lower", LOWER),
    ("upper", "min_upper", UPPER),
    ("numeric", "min_numeric", NUMERIC),
    ("special", "min_special", SPECIAL),
];

static SCHEMA: LazyLock<ProviderSchema> = LazyLock::new(|| ProviderSchema {
    provider: ResourceSchema::new(
        "Random values generated once at creation and kept until the resource is replaced.",
    ),
    resources: [
        ("random_id".to_owned(), random_id_schema()),
        ("random_string".to_owned(), random_string_schema()),
        ("random_integer".to_owned(), random_integer_schema()),
    ]
    .into_iter()
    .collect(),
    data_sources: IndexMap::new(),
});

fn keepers() -> AttributeSchema {
    AttributeSchema::optional(Type::map(Type::String))
        .force_new()
        .describe(KEEPERS)
}

fn random_id_schema() -> ResourceSchema {
    let computed =
        |description: &str| AttributeSchema::computed(Type::String).describe(description);
    ResourceSchema::new(
        "Random bytes, in several encodings, suitable as unique identifiers. The encodings \
         other than `id` start with `prefix`.",
    )
    .attribute(
        "byte_length",
        AttributeSchema::required(Type::Number)
            .force_new()
            .describe("The number of random bytes to generate; at least 1."),
    )
    .attribute(
        "prefix",
        AttributeSchema::optional(Type::String)
            .force_new()
            .describe("Text put before `b64_url`, `b64_std`, `hex` and `dec`."),
    )
    .attribute("keepers", keepers())
    .attribute(
        "id",
        computed("The bytes in URL-safe base64 without padding, without the prefix."),
    )
    .attribute(
        "b64_url",
        computed("The prefix and the bytes in URL-safe base64 without padding."),
    )
    .attribute(
        "b64_std",
        computed("The prefix and the bytes in standard padded base64."),
    )
    .attribute(
        "hex",
        computed("The prefix and the bytes in lowercase hexadecimal."),
    )
    .attribute(
        "dec",
        computed("The prefix and the bytes as a big-endian unsigned decimal number."),
    )
}

fn random_string_schema() -> ResourceSchema {
    let class = |description: &str| {
        AttributeSchema::optional(Type::Bool)
            .force_new()
            .default_value(true)
            .describe(description)
    };
    let minimum = |description: &str| {
        AttributeSchema::optional(Type::Number)
            .force_new()
            .default_value(0)
            .describe(description)
    };
    ResourceSchema::new(
        "A random string of characters from the enabled classes. The result is sensitive.",
    )
    .attribute(
        "length",
        AttributeSchema::required(Type::Number)
            .force_new()
            .describe(
            "The number of characters; at least 1 and at least the sum of the `min_*` arguments.",
        ),
    )
    .attribute("keepers", keepers())
    .attribute(
        "special",
        class("Include special characters (`override_special`, or `!@#$%&*()-_=+[]{}<>:?`)."),
    )
    .attribute("upper", class("Include uppercase letters."))
    .attribute("lower", class("Include lowercase letters."))
    .attribute("numeric", class("Include digits."))
    .attribute(
        "min_special",
        minimum("At least this many special characters."),
    )
    .attribute(
        "min_upper",
        minimum("At least this many uppercase letters."),
    )
    .attribute(
        "min_lower",
        minimum("At least this many lowercase letters."),
    )
    .attribute("min_numeric", minimum("At least this many digits."))
    .attribute(
        "override_special",
        AttributeSchema::optional(Type::String)
            .force_new()
            .describe("The special characters to use instead of the default ones."),
    )
    .attribute(
        "result",
        AttributeSchema::computed(Type::String)
            .sensitive()
            .describe("The generated string."),
    )
    .attribute(
        "id",
        AttributeSchema::computed(Type::String)
            .describe("Always `\"none\"`: the result is secret, so it is not the identifier."),
    )
}

fn random_integer_schema() -> ResourceSchema {
    ResourceSchema::new("A random whole number between `min` and `max`, both included.")
        .attribute(
            "min",
            AttributeSchema::required(Type::Number)
                .force_new()
                .describe("The smallest possible result."),
        )
        .attribute(
            "max",
            AttributeSchema::required(Type::Number)
                .force_new()
                .describe("The largest possible result."),
        )
        .attribute(
            "seed",
            AttributeSchema::optional(Type::String)
                .force_new()
                .describe(
                    "Makes the result a fixed function of this text (and of `min` and `max`).",
                ),
        )
        .attribute("keepers", keepers())
        .attribute(
            "result",
            AttributeSchema::computed(Type::Number).describe("The random number."),
        )
        .attribute(
            "id",
            AttributeSchema::computed(Type::String).describe("The result as a string."),
        )
}

/// The bytes as a big-endian unsigned decimal number.
fn decimal(bytes: &[u8]) -> String {
    let mut number: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    let mut digits = Vec::new();
    while !number.is_empty() {
        let mut remainder: u32 = 0;
        let mut quotient = Vec::with_capacity(number.len());
        for byte in &number {
            let current = remainder * 256 + u32::from(*byte);
            let q = current / 10;
            remainder = current % 10;
            if !(quotient.is_empty() && q == 0) {
                quotient.push(u8::try_from(q).unwrap_or(0));
            }
        }
        digits.push(char::from(b'0' + u8::try_from(remainder).unwrap_or(0)));
        number = quotient;
    }
    if digits.is_empty() {
        return "0".to_owned();
    }
    digits.iter().rev().collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The encodings of a `random_id`'s bytes.
fn id_encodings(bytes: &[u8], prefix: &str) -> Vec<(&'static str, Value)> {
    let id = URL_SAFE_NO_PAD.encode(bytes);
    vec![
        ("b64_url", Value::string(format!("{prefix}{id}"))),
        (
            "b64_std",
            Value::string(format!("{prefix}{}", STANDARD.encode(bytes))),
        ),
        ("hex", Value::string(format!("{prefix}{}", hex(bytes)))),
        ("dec", Value::string(format!("{prefix}{}", decimal(bytes)))),
        ("id", Value::string(id)),
    ]
}

/// The validated options of a `random_string`.
struct StringRules {
    length: usize,
    /// Per enabled class: its alphabet and minimum count.
    classes: Vec<(Vec<char>, usize)>,
}

fn count(attrs: &Attributes<'_>, name: &str, default: i64) -> Result<usize, ProviderError> {
    let n = attrs.opt_integer(name)?.unwrap_or(default);
    usize::try_from(n).map_err(|_| {
        ProviderError::invalid_config(format!("`{name}` must not be negative, found {n}"))
    })
}

fn string_rules(planned: &Value) -> Result<StringRules, ProviderError> {
    let attrs = Attributes::new(planned);
    let length = count(&attrs, "length", 0)?;
    if length == 0 {
        return Err(ProviderError::invalid_config("`length` must be at least 1"));
    }
    let mut classes = Vec::new();
    let mut minimum_total = 0;
    for (switch, min_name, alphabet) in CLASSES {
        let enabled = attrs.bool_or(switch, true)?;
        let minimum = count(&attrs, min_name, 0)?;
        if !enabled {
            if minimum > 0 {
                return Err(ProviderError::invalid_config(format!(
                    "`{min_name}` is {minimum} but `{switch}` is false"
                )));
            }
            continue;
        }
        let alphabet: Vec<char> = if switch == "special" {
            attrs
                .opt_string("override_special")?
                .unwrap_or(alphabet)
                .chars()
                .collect()
        } else {
            alphabet.chars().collect()
        };
        if alphabet.is_empty() {
            if minimum > 0 {
                return Err(ProviderError::invalid_config(format!(
                    "`{min_name}` is {minimum} but `override_special` is empty"
                )));
            }
            continue;
        }
        minimum_total += minimum;
        classes.push((alphabet, minimum));
    }
    if classes.is_empty() {
        return Err(ProviderError::invalid_config(
            "every character class is disabled; enable at least one of `lower`, `upper`, `numeric` and `special`",
        ));
    }
    if minimum_total > length {
        return Err(ProviderError::invalid_config(format!(
            "the `min_*` arguments ask for {minimum_total} characters but `length` is {length}"
        )));
    }
    Ok(StringRules { length, classes })
}

fn generate_string(rules: &StringRules, entropy: &mut Entropy) -> Result<String, ProviderError> {
    let mut chars = Vec::with_capacity(rules.length);
    let mut all: Vec<char> = Vec::new();
    for (alphabet, minimum) in &rules.classes {
        chars.extend(entropy.choose(alphabet, *minimum)?);
        all.extend(alphabet.iter().copied());
    }
    all.sort_unstable();
    all.dedup();
    chars.extend(entropy.choose(&all, rules.length - chars.len())?);
    entropy.shuffle(&mut chars)?;
    Ok(chars.into_iter().collect())
}

fn integer_bounds(attrs: &Attributes<'_>) -> Result<(i64, i64), ProviderError> {
    let min = attrs.integer("min")?;
    let max = attrs.integer("max")?;
    if min > max {
        return Err(ProviderError::invalid_config(format!(
            "`min` ({min}) is greater than `max` ({max})"
        )));
    }
    Ok((min, max))
}

fn generate_integer(min: i64, max: i64, entropy: &mut Entropy) -> Result<i64, ProviderError> {
    let span = i128::from(max) - i128::from(min) + 1;
    let offset = match u64::try_from(span) {
        Ok(span) => i128::from(entropy.below(span)?),
        // The whole i64 range: every draw is fine.
        Err(_) => i128::from(entropy.next_u64()?),
    };
    let result = i128::from(min) + offset;
    i64::try_from(result).map_err(|_| ProviderError::other("random_integer overflowed"))
}

fn import_error(type_name: &str, id: &str, expected: &str) -> ProviderError {
    ProviderError::invalid_config(format!("cannot import `{type_name}` from {id:?}"))
        .with_help(format!("The import id of `{type_name}` is {expected}."))
}

#[async_trait]
impl Provider for RandomProvider {
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
impl ConfiguredProvider for RandomProvider {
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
                format!("the `random` provider has no resource type `{type_name}`"),
            )];
        };
        let mut problems = validate_config(schema, config);
        if !problems.is_empty() || !config.is_wholly_known() {
            // The remaining rules need every value; apply re-checks what is unknown now.
            return problems;
        }
        let conformed = schema.instance(schema.attributes.iter().map(|(name, a)| {
            let given = config.get(name).filter(|v| !v.is_null()).cloned();
            (
                name.clone(),
                given
                    .or_else(|| a.default.clone())
                    .unwrap_or_else(Value::null),
            )
        }));
        let rule = match type_name {
            "random_id" => Attributes::new(&conformed)
                .integer("byte_length")
                .and_then(|n| {
                    if n < 1 {
                        Err(ProviderError::invalid_config(
                            "`byte_length` must be at least 1",
                        ))
                    } else {
                        Ok(())
                    }
                })
                .map_err(|e| ("byte_length", e)),
            // The rules combine several arguments: the problem is the resource's.
            "random_string" => string_rules(&conformed).map(|_| ()).map_err(|e| ("", e)),
            "random_integer" => integer_bounds(&Attributes::new(&conformed))
                .map(|_| ())
                .map_err(|e| ("min", e)),
            _ => Ok(()),
        };
        if let Err((name, err)) = rule {
            let path = if name.is_empty() {
                schema_path(&[])
            } else {
                schema_path(&[name])
            };
            problems.push(Problem::invalid_value(path, err.message()));
        }
        problems
    }

    async fn create(&self, type_name: &str, planned: &Value) -> Result<Value, ProviderError> {
        let schema = resource_schema(&SCHEMA, type_name)?;
        let attrs = Attributes::new(planned);
        let updates = match type_name {
            "random_id" => {
                let length = count(&attrs, "byte_length", 0)?;
                if length == 0 {
                    return Err(ProviderError::invalid_config(
                        "`byte_length` must be at least 1",
                    ));
                }
                let mut bytes = vec![0u8; length];
                Entropy::os().fill(&mut bytes)?;
                id_encodings(&bytes, attrs.opt_string("prefix")?.unwrap_or(""))
            }
            "random_string" => {
                let rules = string_rules(planned)?;
                let result = generate_string(&rules, &mut Entropy::os())?;
                vec![
                    ("result", Value::string(result)),
                    ("id", Value::string("none")),
                ]
            }
            _ => {
                let (min, max) = integer_bounds(&attrs)?;
                let mut entropy = match attrs.opt_string("seed")? {
                    Some(seed) => Entropy::seeded(seed),
                    None => Entropy::os(),
                };
                let result = generate_integer(min, max, &mut entropy)?;
                vec![
                    ("result", Value::number(result as f64)),
                    ("id", Value::string(result.to_string())),
                ]
            }
        };
        Ok(schema.mark_sensitive(with_attributes(planned, updates)))
    }

    async fn read(&self, type_name: &str, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let schema = resource_schema(&SCHEMA, type_name)?;
        Ok(Some(schema.mark_sensitive(prior.clone())))
    }

    async fn update(
        &self,
        type_name: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        // Every argument forces replacement; keep the generated values whatever happens.
        let schema = resource_schema(&SCHEMA, type_name)?;
        let generated: Vec<(String, Value)> = schema
            .attributes
            .iter()
            .filter(|(_, a)| a.is_read_only())
            .filter_map(|(name, _)| Some((name.clone(), prior.get(name)?.clone())))
            .collect();
        Ok(schema.mark_sensitive(with_attributes(planned, generated)))
    }

    async fn delete(&self, type_name: &str, _prior: &Value) -> Result<(), ProviderError> {
        resource_schema(&SCHEMA, type_name).map(|_| ())
    }

    /// Import ids, as Terraform's: `random_id` — the `id` (URL-safe base64), optionally
    /// after `PREFIX,`; `random_string` — the result itself; `random_integer` —
    /// `RESULT,MIN,MAX` or `RESULT,MIN,MAX,SEED`.
    async fn import(&self, type_name: &str, id: &str) -> Result<Option<Value>, ProviderError> {
        let schema = resource_schema(&SCHEMA, type_name)?;
        let defaults = schema
            .attributes
            .iter()
            .filter_map(|(name, a)| Some((name.clone(), a.default.clone()?)));
        let values: Vec<(String, Value)> = match type_name {
            "random_id" => {
                let (prefix, encoded) = match id.rsplit_once(',') {
                    Some((prefix, encoded)) => (Some(prefix), encoded),
                    None => (None, id),
                };
                let bytes = URL_SAFE_NO_PAD
                    .decode(encoded)
                    .ok()
                    .filter(|b| !b.is_empty())
                    .ok_or_else(|| {
                        import_error(
                            type_name,
                            id,
                            "the `id` in URL-safe base64, optionally preceded by `PREFIX,`",
                        )
                    })?;
                let mut values: Vec<(String, Value)> = id_encodings(&bytes, prefix.unwrap_or(""))
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect();
                values.push(("byte_length".into(), Value::number(bytes.len() as f64)));
                values.push((
                    "prefix".into(),
                    prefix.map(Value::string).unwrap_or_else(Value::null),
                ));
                values
            }
            "random_string" => {
                if id.is_empty() {
                    return Err(import_error(type_name, id, "the string itself"));
                }
                let mut values: Vec<(String, Value)> = defaults.collect();
                values.push(("length".into(), Value::number(id.chars().count() as f64)));
                values.push(("result".into(), Value::string(id)));
                values.push(("id".into(), Value::string("none")));
                values
            }
            _ => {
                let parts: Vec<&str> = id.split(',').collect();
                let number = |i: usize| parts.get(i).and_then(|s| s.trim().parse::<i64>().ok());
                let (Some(result), Some(min), Some(max), true) =
                    (number(0), number(1), number(2), parts.len() <= 4)
                else {
                    return Err(import_error(
                        type_name,
                        id,
                        "`RESULT,MIN,MAX` or `RESULT,MIN,MAX,SEED`",
                    ));
                };
                if !(min <= result && result <= max) {
                    return Err(import_error(
                        type_name,
                        id,
                        "`RESULT,MIN,MAX` with MIN <= RESULT <= MAX",
                    ));
                }
                vec![
                    ("result".into(), Value::number(result as f64)),
                    ("id".into(), Value::string(result.to_string())),
                    ("min".into(), Value::number(min as f64)),
                    ("max".into(), Value::number(max as f64)),
                    (
                        "seed".into(),
                        parts
                            .get(3)
                            .map(|s| Value::string(*s))
                            .unwrap_or_else(Value::null),
                    ),
                ]
            }
        };
        Ok(Some(schema.mark_sensitive(schema.instance(values))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_of_big_endian_bytes() {
        assert_eq!(decimal(&[]), "0");
        assert_eq!(decimal(&[0, 0]), "0");
        assert_eq!(decimal(&[1, 0]), "256");
        assert_eq!(decimal(&[0xff; 8]), u64::MAX.to_string());
        assert_eq!(decimal(&[0xff; 16]), u128::MAX.to_string());
    }

    #[test]
    fn strings_honour_minimums_and_classes() {
        let planned = Value::object([
            ("length", Value::number(12.0)),
            ("special", Value::bool(false)),
            ("upper", Value::bool(true)),
            ("lower", Value::bool(false)),
            ("numeric", Value::bool(true)),
            ("min_upper", Value::number(3.0)),
            ("min_numeric", Value::number(9.0)),
        ]);
        let rules = string_rules(&planned);
        assert!(rules.is_ok());
        let Ok(rules) = rules else { return };
        for _ in 0..50 {
            let s = generate_string(&rules, &mut Entropy::os()).unwrap_or_default();
            assert_eq!(s.chars().count(), 12);
            assert!(
                s.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
                "{s}"
            );
            assert!(
                s.chars().filter(char::is_ascii_uppercase).count() >= 3,
                "{s}"
            );
            assert!(s.chars().filter(char::is_ascii_digit).count() >= 9, "{s}");
        }
    }

    #[test]
    fn impossible_string_rules_are_refused() {
        let too_many = Value::object([
            ("length", Value::number(2.0)),
            ("min_upper", Value::number(3.0)),
        ]);
        assert!(string_rules(&too_many).is_err());
        let none = Value::object([
            ("length", Value::number(2.0)),
            ("special", Value::bool(false)),
            ("upper", Value::bool(false)),
            ("lower", Value::bool(false)),
            ("numeric", Value::bool(false)),
        ]);
        assert!(string_rules(&none).is_err());
        let disabled_min = Value::object([
            ("length", Value::number(5.0)),
            ("upper", Value::bool(false)),
            ("min_upper", Value::number(1.0)),
        ]);
        assert!(string_rules(&disabled_min).is_err());
    }

    #[test]
    fn integers_cover_extreme_ranges() {
        let mut e = Entropy::os();
        assert_eq!(generate_integer(5, 5, &mut e).ok(), Some(5));
        assert!(generate_integer(i64::MIN, i64::MAX, &mut e).is_ok());
        for _ in 0..100 {
            let n = generate_integer(-3, 3, &mut e).unwrap_or(99);
            assert!((-3..=3).contains(&n));
        }
    }
}
