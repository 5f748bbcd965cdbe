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

use aic_lang::value::Value;
use aic_provider::{with_attributes, Problem, ProviderError, ResourceSchema};
use aic_provider_kit::bulk::{as_recorded, Results};
use aic_provider_kit::{Attr, CreateToken, Declare, Declared, Plugin, Resource, Table, ID};
use async_trait::async_trait;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use indexmap::IndexMap;

use crate::entropy::Entropy;
use crate::schema_path;

const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const NUMERIC: &str = "0123456789";
/// Terraform's default special characters.
const SPECIAL: &str = "!@#$%&*()-_=+[]{}<>:?";

const KEEPERS: Attr<IndexMap<String, String>> = Attr::new("keepers");

/// `random_id`'s fields.
mod id {
    use aic_provider_kit::Attr;

    pub const BYTE_LENGTH: Attr<i64> = Attr::new("byte_length");
    pub const PREFIX: Attr<String> = Attr::new("prefix");
    pub const B64_URL: Attr<String> = Attr::new("b64_url");
    pub const B64_STD: Attr<String> = Attr::new("b64_std");
    pub const HEX: Attr<String> = Attr::new("hex");
    pub const DEC: Attr<String> = Attr::new("dec");
}

/// `random_string`'s fields.
mod string {
    use aic_provider_kit::Attr;

    pub const LENGTH: Attr<i64> = Attr::new("length");
    pub const SPECIAL: Attr<bool> = Attr::new("special");
    pub const UPPER: Attr<bool> = Attr::new("upper");
    pub const LOWER: Attr<bool> = Attr::new("lower");
    pub const NUMERIC: Attr<bool> = Attr::new("numeric");
    pub const MIN_SPECIAL: Attr<i64> = Attr::new("min_special");
    pub const MIN_UPPER: Attr<i64> = Attr::new("min_upper");
    pub const MIN_LOWER: Attr<i64> = Attr::new("min_lower");
    pub const MIN_NUMERIC: Attr<i64> = Attr::new("min_numeric");
    pub const OVERRIDE_SPECIAL: Attr<String> = Attr::new("override_special");
    pub const RESULT: Attr<String> = Attr::new("result");
}

/// `random_integer`'s fields.
mod integer {
    use aic_provider_kit::Attr;

    pub const MIN: Attr<i64> = Attr::new("min");
    pub const MAX: Attr<i64> = Attr::new("max");
    pub const SEED: Attr<String> = Attr::new("seed");
    pub const RESULT: Attr<i64> = Attr::new("result");
}

/// The character classes of `random_string`: the switch, its minimum count and its
/// default alphabet.
const CLASSES: [(Attr<bool>, Attr<i64>, &str); 4] = [
    (string::LOWER, string::MIN_LOWER, LOWER),
    (string::UPPER, string::MIN_UPPER, UPPER),
    (string::NUMERIC, string::MIN_NUMERIC, NUMERIC),
    (string::SPECIAL, string::MIN_SPECIAL, SPECIAL),
];

static TABLE: LazyLock<Arc<Table<()>>> = LazyLock::new(|| {
    Arc::new(
        Table::new(ResourceSchema::new(
            "Random values generated once at creation and kept until the resource is replaced.",
        ))
        .resource(RandomId)
        .resource(RandomString)
        .resource(RandomInteger),
    )
});

/// The `random` provider. It takes no configuration.
pub fn provider() -> Plugin<()> {
    Plugin::offline(TABLE.clone())
}

fn keepers() -> Declared {
    KEEPERS
        .optional()
        .force_new()
        .describe("Arbitrary values that, when changed, force a new random value to be generated.")
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
    let encoded = URL_SAFE_NO_PAD.encode(bytes);
    vec![
        id::B64_URL.to(format!("{prefix}{encoded}")),
        id::B64_STD.to(format!("{prefix}{}", STANDARD.encode(bytes))),
        id::HEX.to(format!("{prefix}{}", hex(bytes))),
        id::DEC.to(format!("{prefix}{}", decimal(bytes))),
        ID.to(encoded),
    ]
}

/// The validated options of a `random_string`.
struct StringRules {
    length: usize,
    /// Per enabled class: its alphabet and minimum count.
    classes: Vec<(Vec<char>, usize)>,
}

fn count(object: &Value, field: Attr<i64>) -> Result<usize, ProviderError> {
    let n = field.or(object, 0)?;
    usize::try_from(n).map_err(|_| {
        ProviderError::invalid_config(format!(
            "`{}` must not be negative, found {n}",
            field.name()
        ))
    })
}

fn string_rules(planned: &Value) -> Result<StringRules, ProviderError> {
    let length = count(planned, string::LENGTH)?;
    if length == 0 {
        return Err(ProviderError::invalid_config("`length` must be at least 1"));
    }
    let mut classes = Vec::new();
    let mut minimum_total = 0;
    for (switch, min, alphabet) in CLASSES {
        let enabled = switch.or(planned, true)?;
        let minimum = count(planned, min)?;
        if !enabled {
            if minimum > 0 {
                return Err(ProviderError::invalid_config(format!(
                    "`{}` is {minimum} but `{}` is false",
                    min.name(),
                    switch.name()
                )));
            }
            continue;
        }
        let alphabet: Vec<char> = if switch.name() == string::SPECIAL.name() {
            string::OVERRIDE_SPECIAL
                .get(planned)?
                .as_deref()
                .unwrap_or(alphabet)
                .chars()
                .collect()
        } else {
            alphabet.chars().collect()
        };
        if alphabet.is_empty() {
            if minimum > 0 {
                return Err(ProviderError::invalid_config(format!(
                    "`{}` is {minimum} but `override_special` is empty",
                    min.name()
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

fn integer_bounds(object: &Value) -> Result<(i64, i64), ProviderError> {
    let min = integer::MIN.require(object)?;
    let max = integer::MAX.require(object)?;
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

/// Checks `rule` on a wholly known configuration whose schema check passed, with the
/// schema's defaults filled in; its error becomes a problem at `path` (the resource when
/// the rule combines several arguments).
fn check_rule(
    schema: &ResourceSchema,
    config: &Value,
    problems: &mut Vec<Problem>,
    path: &[&str],
    rule: impl FnOnce(&Value) -> Result<(), ProviderError>,
) {
    if !problems.is_empty() || !config.is_wholly_known() {
        // The rules need every value; apply checks again what is unknown now.
        return;
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
    if let Err(err) = rule(&conformed) {
        problems.push(Problem::invalid_value(schema_path(path), err.message()));
    }
}

/// Every argument forces replacement, so an update keeps the generated values.
fn keep_generated(schema: &ResourceSchema, prior: &Value, planned: &Value) -> Value {
    let generated: Vec<(String, Value)> = schema
        .attributes
        .iter()
        .filter(|(_, a)| a.is_read_only())
        .filter_map(|(name, _)| Some((name.clone(), prior.get(name)?.clone())))
        .collect();
    with_attributes(planned, generated)
}

struct RandomId;

#[async_trait]
impl Resource<()> for RandomId {
    fn type_name(&self) -> &'static str {
        "random_id"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(
            "Random bytes, in several encodings, suitable as unique identifiers. The encodings \
             other than `id` start with `prefix`.",
        )
        .with(
            id::BYTE_LENGTH
                .required()
                .force_new()
                .describe("The number of random bytes to generate; at least 1."),
        )
        .with(
            id::PREFIX
                .optional()
                .force_new()
                .describe("Text put before `b64_url`, `b64_std`, `hex` and `dec`."),
        )
        .with(keepers())
        .with(
            ID.computed()
                .describe("The bytes in URL-safe base64 without padding, without the prefix."),
        )
        .with(
            id::B64_URL
                .computed()
                .describe("The prefix and the bytes in URL-safe base64 without padding."),
        )
        .with(
            id::B64_STD
                .computed()
                .describe("The prefix and the bytes in standard padded base64."),
        )
        .with(
            id::HEX
                .computed()
                .describe("The prefix and the bytes in lowercase hexadecimal."),
        )
        .with(
            id::DEC
                .computed()
                .describe("The prefix and the bytes as a big-endian unsigned decimal number."),
        )
    }

    /// Its objects exist only in the state: nothing outside can be orphaned.
    fn objects_outside_state(&self) -> bool {
        false
    }

    fn validate(&self, config: &Value, problems: &mut Vec<Problem>) {
        check_rule(&self.schema(), config, problems, &["byte_length"], |c| {
            if id::BYTE_LENGTH.require(c)? < 1 {
                return Err(ProviderError::invalid_config(
                    "`byte_length` must be at least 1",
                ));
            }
            Ok(())
        });
    }

    async fn create(
        &self,
        _: &(),
        planned: &Value,
        _: &CreateToken,
    ) -> Result<Value, ProviderError> {
        let length = count(planned, id::BYTE_LENGTH)?;
        if length == 0 {
            return Err(ProviderError::invalid_config(
                "`byte_length` must be at least 1",
            ));
        }
        let mut bytes = vec![0u8; length];
        Entropy::os().fill(&mut bytes)?;
        let prefix = id::PREFIX.get(planned)?.unwrap_or_default();
        Ok(with_attributes(planned, id_encodings(&bytes, &prefix)))
    }

    async fn read_many(&self, _: &(), priors: &[Value]) -> Results {
        as_recorded(priors)
    }

    async fn update(&self, _: &(), prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        Ok(keep_generated(&self.schema(), prior, planned))
    }

    async fn delete(&self, _: &(), _prior: &Value) -> Result<(), ProviderError> {
        Ok(())
    }

    /// As Terraform: the `id` (URL-safe base64), optionally after `PREFIX,`.
    async fn import(&self, _: &(), import_id: &str) -> Result<Option<Value>, ProviderError> {
        let (prefix, encoded) = match import_id.rsplit_once(',') {
            Some((prefix, encoded)) => (Some(prefix), encoded),
            None => (None, import_id),
        };
        let bytes = URL_SAFE_NO_PAD
            .decode(encoded)
            .ok()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| {
                import_error(
                    self.type_name(),
                    import_id,
                    "the `id` in URL-safe base64, optionally preceded by `PREFIX,`",
                )
            })?;
        let mut values = id_encodings(&bytes, prefix.unwrap_or(""));
        values.push(id::BYTE_LENGTH.to(i64::try_from(bytes.len()).unwrap_or(i64::MAX)));
        values.push(id::PREFIX.to_opt(prefix));
        Ok(Some(self.schema().instance(values)))
    }
}

struct RandomString;

#[async_trait]
impl Resource<()> for RandomString {
    fn type_name(&self) -> &'static str {
        "random_string"
    }

    fn schema(&self) -> ResourceSchema {
        let class = |field: Attr<bool>, description: &str| {
            field
                .optional()
                .force_new()
                .default_value(true)
                .describe(description)
        };
        let minimum = |field: Attr<i64>, description: &str| {
            field
                .optional()
                .force_new()
                .default_value(0)
                .describe(description)
        };
        ResourceSchema::new(
            "A random string of characters from the enabled classes. The result is sensitive.",
        )
        .with(string::LENGTH.required().force_new().describe(
            "The number of characters; at least 1 and at least the sum of the `min_*` arguments.",
        ))
        .with(keepers())
        .with(class(
            string::SPECIAL,
            "Include special characters (`override_special`, or `!@#$%&*()-_=+[]{}<>:?`).",
        ))
        .with(class(string::UPPER, "Include uppercase letters."))
        .with(class(string::LOWER, "Include lowercase letters."))
        .with(class(string::NUMERIC, "Include digits."))
        .with(minimum(
            string::MIN_SPECIAL,
            "At least this many special characters.",
        ))
        .with(minimum(
            string::MIN_UPPER,
            "At least this many uppercase letters.",
        ))
        .with(minimum(
            string::MIN_LOWER,
            "At least this many lowercase letters.",
        ))
        .with(minimum(string::MIN_NUMERIC, "At least this many digits."))
        .with(
            string::OVERRIDE_SPECIAL
                .optional()
                .force_new()
                .describe("The special characters to use instead of the default ones."),
        )
        .with(
            string::RESULT
                .computed()
                .sensitive()
                .describe("The generated string."),
        )
        .with(
            ID.computed()
                .describe("Always `\"none\"`: the result is secret, so it is not the identifier."),
        )
    }

    /// Its objects exist only in the state: nothing outside can be orphaned.
    fn objects_outside_state(&self) -> bool {
        false
    }

    fn validate(&self, config: &Value, problems: &mut Vec<Problem>) {
        check_rule(&self.schema(), config, problems, &[], |c| {
            string_rules(c).map(|_| ())
        });
    }

    async fn create(
        &self,
        _: &(),
        planned: &Value,
        _: &CreateToken,
    ) -> Result<Value, ProviderError> {
        let rules = string_rules(planned)?;
        let result = generate_string(&rules, &mut Entropy::os())?;
        Ok(with_attributes(
            planned,
            [string::RESULT.to(result), ID.to("none")],
        ))
    }

    async fn read_many(&self, _: &(), priors: &[Value]) -> Results {
        as_recorded(priors)
    }

    async fn update(&self, _: &(), prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        Ok(keep_generated(&self.schema(), prior, planned))
    }

    async fn delete(&self, _: &(), _prior: &Value) -> Result<(), ProviderError> {
        Ok(())
    }

    /// As Terraform: the result itself.
    async fn import(&self, _: &(), import_id: &str) -> Result<Option<Value>, ProviderError> {
        if import_id.is_empty() {
            return Err(import_error(
                self.type_name(),
                import_id,
                "the string itself",
            ));
        }
        let schema = self.schema();
        let mut values: Vec<(String, Value)> = schema
            .attributes
            .iter()
            .filter_map(|(name, a)| Some((name.clone(), a.default.clone()?)))
            .collect();
        let length = i64::try_from(import_id.chars().count()).unwrap_or(i64::MAX);
        for (name, value) in [
            string::LENGTH.to(length),
            string::RESULT.to(import_id),
            ID.to("none"),
        ] {
            values.push((name.to_owned(), value));
        }
        Ok(Some(schema.instance(values)))
    }
}

struct RandomInteger;

#[async_trait]
impl Resource<()> for RandomInteger {
    fn type_name(&self) -> &'static str {
        "random_integer"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new("A random whole number between `min` and `max`, both included.")
            .with(
                integer::MIN
                    .required()
                    .force_new()
                    .describe("The smallest possible result."),
            )
            .with(
                integer::MAX
                    .required()
                    .force_new()
                    .describe("The largest possible result."),
            )
            .with(integer::SEED.optional().force_new().describe(
                "Makes the result a fixed function of this text (and of `min` and `max`).",
            ))
            .with(keepers())
            .with(integer::RESULT.computed().describe("The random number."))
            .with(ID.computed().describe("The result as a string."))
    }

    /// Its objects exist only in the state: nothing outside can be orphaned.
    fn objects_outside_state(&self) -> bool {
        false
    }

    fn validate(&self, config: &Value, problems: &mut Vec<Problem>) {
        check_rule(&self.schema(), config, problems, &["min"], |c| {
            integer_bounds(c).map(|_| ())
        });
    }

    async fn create(
        &self,
        _: &(),
        planned: &Value,
        _: &CreateToken,
    ) -> Result<Value, ProviderError> {
        let (min, max) = integer_bounds(planned)?;
        let mut entropy = match integer::SEED.get(planned)? {
            Some(seed) => Entropy::seeded(&seed),
            None => Entropy::os(),
        };
        let result = generate_integer(min, max, &mut entropy)?;
        Ok(with_attributes(
            planned,
            [integer::RESULT.to(result), ID.to(result.to_string())],
        ))
    }

    async fn read_many(&self, _: &(), priors: &[Value]) -> Results {
        as_recorded(priors)
    }

    async fn update(&self, _: &(), prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        Ok(keep_generated(&self.schema(), prior, planned))
    }

    async fn delete(&self, _: &(), _prior: &Value) -> Result<(), ProviderError> {
        Ok(())
    }

    /// As Terraform: `RESULT,MIN,MAX` or `RESULT,MIN,MAX,SEED`.
    async fn import(&self, _: &(), import_id: &str) -> Result<Option<Value>, ProviderError> {
        let parts: Vec<&str> = import_id.split(',').collect();
        let number = |i: usize| parts.get(i).and_then(|s| s.trim().parse::<i64>().ok());
        let (Some(result), Some(min), Some(max), true) =
            (number(0), number(1), number(2), parts.len() <= 4)
        else {
            return Err(import_error(
                self.type_name(),
                import_id,
                "`RESULT,MIN,MAX` or `RESULT,MIN,MAX,SEED`",
            ));
        };
        if !(min <= result && result <= max) {
            return Err(import_error(
                self.type_name(),
                import_id,
                "`RESULT,MIN,MAX` with MIN <= RESULT <= MAX",
            ));
        }
        Ok(Some(self.schema().instance([
            integer::RESULT.to(result),
            ID.to(result.to_string()),
            integer::MIN.to(min),
            integer::MAX.to(max),
            integer::SEED.to_opt(parts.get(3).copied()),
        ])))
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
