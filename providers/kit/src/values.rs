//! Small value conversions every provider needs around its API calls. No API calls here.

use aic_lang::value::Value;
use aic_provider::ProviderError;

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
}
