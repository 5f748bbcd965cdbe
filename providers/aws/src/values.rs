//! Small conversions between aic values and the strings, lists and numbers of the EC2
//! API, shared by the resources. No API calls here.

use aic_lang::value::{Value, ValueKind};
use aic_provider::{Attributes, ProviderError};

/// A string, or null when AWS did not say (or said an empty string).
pub fn opt_string(s: Option<&str>) -> Value {
    match s {
        Some(s) if !s.is_empty() => Value::string(s),
        _ => Value::null(),
    }
}

/// A list of strings.
pub fn string_list<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Value {
    Value::list(items.into_iter().map(|s| Value::string(s)))
}

/// A set of strings.
pub fn string_set<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Value {
    Value::set(items.into_iter().map(|s| Value::string(s)))
}

/// A number from an API integer.
pub fn number(n: impl Into<f64>) -> Value {
    Value::number(n.into())
}

/// The strings of a list, set or tuple attribute; empty when null.
pub fn strings(object: &Value, name: &str) -> Result<Vec<String>, ProviderError> {
    let Some(value) = Attributes::new(object).value(name)? else {
        return Ok(Vec::new());
    };
    let Some(items) = value.as_elements() else {
        return Err(ProviderError::invalid_config(format!(
            "`{name}` must be a list of strings, found {}",
            value.type_of()
        )));
    };
    items
        .iter()
        .map(|item| {
            item.as_str().map(str::to_owned).ok_or_else(|| {
                ProviderError::invalid_config(format!(
                    "`{name}` must be a list of strings, found an element of type {}",
                    item.type_of()
                ))
            })
        })
        .collect()
}

/// The objects of a nested block attribute (a list or set of objects); empty when null.
pub fn blocks<'a>(object: &'a Value, name: &str) -> Vec<&'a Value> {
    match object.get(name).map(Value::kind) {
        Some(ValueKind::List(items) | ValueKind::Set(items) | ValueKind::Tuple(items)) => {
            items.iter().collect()
        }
        _ => Vec::new(),
    }
}

/// The object's `id`, which every managed object has once created.
pub fn id(object: &Value) -> Result<&str, ProviderError> {
    Attributes::new(object).opt_string("id")?.ok_or_else(|| {
        ProviderError::other(
            "the object has no `id`; it was never created, or its state is damaged",
        )
    })
}

/// The AWS partition of a region, for ARNs.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else {
        "aws"
    }
}

/// The ARN of an EC2 object: `arn:aws:ec2:REGION:ACCOUNT:KIND/ID`; null when the owner is
/// unknown.
pub fn arn(region: &str, owner: Option<&str>, kind: &str, id: &str) -> Value {
    match owner.filter(|o| !o.is_empty()) {
        Some(owner) => Value::string(format!(
            "arn:{}:ec2:{region}:{owner}:{kind}/{id}",
            partition(region)
        )),
        None => Value::null(),
    }
}

/// `object` with its `id` set to `id` (an object of only `id` when `object` is not an
/// object).
pub fn with_id(object: &Value, id: &str) -> Value {
    if object.as_entries().is_some() {
        aic_provider::with_attributes(object, [("id", Value::string(id))])
    } else {
        Value::object([("id", Value::string(id))])
    }
}

/// `planned` with its unknown attributes as null. A planned object passed to `create`
/// still has unknowns where AWS will decide (the `id`, a zone left out); read as null,
/// they mean "not set".
pub fn known_only(planned: &Value) -> Value {
    match planned.as_entries() {
        Some(entries) if !planned.is_wholly_known() => {
            let known = entries.iter().map(|(name, value)| {
                let value = if value.is_known() {
                    value.clone()
                } else {
                    Value::null()
                };
                (name.clone(), value)
            });
            Value::object(known).with_sensitive(planned.is_sensitive())
        }
        _ => planned.clone(),
    }
}

/// The value of `name` in `object`, or null.
pub fn attr(object: &Value, name: &str) -> Value {
    object.get(name).cloned().unwrap_or_else(Value::null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_follow_the_partition() {
        assert_eq!(
            arn("eu-west-1", Some("123"), "vpc", "vpc-1").as_str(),
            Some("arn:aws:ec2:eu-west-1:123:vpc/vpc-1")
        );
        assert_eq!(
            arn("cn-north-1", Some("123"), "instance", "i-1").as_str(),
            Some("arn:aws-cn:ec2:cn-north-1:123:instance/i-1")
        );
        assert!(arn("eu-west-1", None, "vpc", "vpc-1").is_null());
    }

    #[test]
    fn strings_of_lists_sets_and_null() {
        let object = Value::object([
            ("l", string_list(["a", "b"])),
            ("s", string_set(["b", "a"])),
            ("n", Value::null()),
            ("x", Value::list([Value::number(1.0)])),
        ]);
        assert_eq!(
            strings(&object, "l").ok(),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            strings(&object, "s").ok(),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(strings(&object, "n").ok(), Some(vec![]));
        assert!(strings(&object, "x").is_err());
    }
}
