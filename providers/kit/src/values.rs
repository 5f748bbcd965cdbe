//! Small value conversions every provider needs around its API calls. No API calls here.

use aic_lang::value::{AttrPath, PathStep, Value};
use aic_provider::{Problem, ProviderError};

use crate::field::Attr;

/// The `id` attribute every managed object has once created.
pub const ID: Attr<String> = Attr::new("id");

/// The object's `id`; an error when it has none.
pub fn id(object: &Value) -> Result<String, ProviderError> {
    ID.get(object)?.ok_or_else(|| {
        ProviderError::other(
            "the object has no `id`; it was never created, or its state is damaged",
        )
    })
}

/// The object's `id`, `None` when it has none: a create whose answer was lost (a crash
/// between the engine's record of the intent and of the outcome) leaves such an object
/// in the state.
pub fn id_if_any(object: &Value) -> Option<String> {
    ID.get(object).ok().flatten()
}

/// An object holding only `id`, to read an object by its id.
pub fn by_id(id: &str) -> Value {
    Value::object([ID.to(id)])
}

/// `object` with its `id` set (an object of only `id` when `object` is not an object).
pub fn with_id(object: &Value, id: &str) -> Value {
    if object.as_entries().is_some() {
        aic_provider::with_attributes(object, [ID.to(id)])
    } else {
        by_id(id)
    }
}

/// A problem (`E0716`, a value the provider does not accept) at the attribute path of
/// `names` (`["node_config", "disk_size_gb"]`).
pub fn problem_at(names: &[&str], detail: impl Into<String>) -> Problem {
    Problem::invalid_value(
        AttrPath::new(
            names
                .iter()
                .map(|n| PathStep::Attr((*n).to_owned()))
                .collect(),
        ),
        detail,
    )
}

/// The known number `object` sets for `name` when it is not a whole number in `range`
/// (for `validate`: `None` when absent, unknown, or fine).
pub fn whole_number_outside(
    object: &Value,
    name: &str,
    range: std::ops::RangeInclusive<f64>,
) -> Option<f64> {
    object
        .get(name)
        .filter(|v| v.is_known())
        .and_then(Value::as_number)
        .filter(|n| !range.contains(n) || n.fract() != 0.0)
}

/// `planned` with its unknown attributes as null. A planned object passed to `create` or
/// `update` still has unknowns where the API will decide (the `id`, a zone left out); read
/// as null, they mean "not set".
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

/// `found` with each attribute that is null in it but an empty list, set or map in `prior`
/// taken from `prior`: an API that answers nothing for "none" (no tags) describes the same
/// object as a configuration that says "none" with an empty collection (`tags = {}`).
pub fn empty_as_prior(prior: &Value, found: Value) -> Value {
    let (Some(before), Some(now)) = (prior.as_entries(), found.as_entries()) else {
        return found;
    };
    let kept: Vec<(String, Value)> = before
        .iter()
        .filter(|(name, value)| {
            let empty = value.as_elements().is_some_and(<[Value]>::is_empty)
                || (value.as_entries().is_some_and(|e| e.is_empty()) && value.is_known());
            empty && now.get(name.as_str()).is_some_and(Value::is_null)
        })
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    if kept.is_empty() {
        return found;
    }
    aic_provider::with_attributes(&found, kept)
}

#[cfg(test)]
mod tests {
    use aic_lang::types::Type;

    use super::*;

    #[test]
    fn unknowns_become_null() {
        let planned = Value::object([
            ("a", Value::string("x")),
            ("id", Value::unknown(Type::String)),
        ]);
        assert_eq!(
            known_only(&planned).to_string(),
            r#"{ a = "x", id = null }"#
        );
        assert_eq!(id_if_any(&known_only(&planned)), None);
        assert!(id(&planned).is_err());
        assert_eq!(id(&with_id(&planned, "i-1")).ok().as_deref(), Some("i-1"));
    }

    #[test]
    fn an_empty_collection_planned_stays_when_the_api_answers_none() {
        let prior = Value::object([
            ("tags", Value::map(Vec::<(String, Value)>::new())),
            ("names", Value::list([])),
            ("owner", Value::string("a")),
        ]);
        let found = Value::object([
            ("tags", Value::null()),
            ("names", Value::null()),
            ("owner", Value::null()),
        ]);
        let kept = empty_as_prior(&prior, found);
        let text = |v: &Value, name: &str| v.get(name).map(ToString::to_string);
        assert_eq!(text(&kept, "tags").as_deref(), Some("{}"));
        assert_eq!(text(&kept, "names").as_deref(), Some("[]"));
        // A value that is gone is drift, not an empty collection: it stays null.
        assert!(kept.get("owner").is_some_and(Value::is_null));
    }
}
