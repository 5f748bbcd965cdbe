//! Typed reading of a resource object's attributes, for provider implementations.
//!
//! [`Attributes`] wraps an object value (a planned object, a prior object, a data source
//! configuration) and answers typed questions about one attribute, turning surprises into
//! [`ProviderError`]s: a value of the wrong type is `InvalidConfig`, an unknown where a
//! known value is needed (the engine passes wholly known values to apply operations) is
//! `Other`.

use aic_lang::value::{Value, ValueKind};
use indexmap::IndexMap;

use crate::error::ProviderError;

/// A read-only view of an object's attributes with typed getters.
#[derive(Debug, Clone, Copy)]
pub struct Attributes<'a> {
    object: &'a Value,
}

impl<'a> Attributes<'a> {
    pub fn new(object: &'a Value) -> Attributes<'a> {
        Attributes { object }
    }

    /// The attribute's value; `None` when absent or null. Errors when unknown.
    pub fn value(&self, name: &str) -> Result<Option<&'a Value>, ProviderError> {
        match self.object.get(name) {
            None => Ok(None),
            Some(v) if v.is_null() => Ok(None),
            Some(v) if !v.is_wholly_known() => Err(ProviderError::other(format!(
                "`{name}` is not known yet; the engine must resolve it before this operation"
            ))),
            Some(v) => Ok(Some(v)),
        }
    }

    fn wrong_type(name: &str, expected: &str, found: &Value) -> ProviderError {
        ProviderError::invalid_config(format!(
            "`{name}` must be {expected}, found {}",
            found.type_of()
        ))
    }

    fn missing(name: &str) -> ProviderError {
        ProviderError::invalid_config(format!("`{name}` is required"))
    }

    /// A string attribute; `None` when null.
    pub fn opt_string(&self, name: &str) -> Result<Option<&'a str>, ProviderError> {
        match self.value(name)? {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .map(Some)
                .ok_or_else(|| Self::wrong_type(name, "a string", v)),
        }
    }

    /// A string attribute that must be set.
    pub fn string(&self, name: &str) -> Result<&'a str, ProviderError> {
        self.opt_string(name)?.ok_or_else(|| Self::missing(name))
    }

    /// A bool attribute; `None` when null.
    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, ProviderError> {
        match self.value(name)? {
            None => Ok(None),
            Some(v) => v
                .as_bool()
                .map(Some)
                .ok_or_else(|| Self::wrong_type(name, "a bool", v)),
        }
    }

    /// A bool attribute, `default` when null.
    pub fn bool_or(&self, name: &str, default: bool) -> Result<bool, ProviderError> {
        Ok(self.opt_bool(name)?.unwrap_or(default))
    }

    /// A whole-number attribute; `None` when null.
    pub fn opt_integer(&self, name: &str) -> Result<Option<i64>, ProviderError> {
        match self.value(name)? {
            None => Ok(None),
            Some(v) => v
                .as_integer()
                .map(Some)
                .ok_or_else(|| Self::wrong_type(name, "a whole number", v)),
        }
    }

    /// A whole-number attribute that must be set.
    pub fn integer(&self, name: &str) -> Result<i64, ProviderError> {
        self.opt_integer(name)?.ok_or_else(|| Self::missing(name))
    }

    /// A map of strings (a map or an object value); `None` when null.
    pub fn opt_string_map(
        &self,
        name: &str,
    ) -> Result<Option<IndexMap<String, String>>, ProviderError> {
        let Some(v) = self.value(name)? else {
            return Ok(None);
        };
        let entries = match v.kind() {
            ValueKind::Map(m) | ValueKind::Object(m) => m,
            _ => return Err(Self::wrong_type(name, "a map of strings", v)),
        };
        entries
            .iter()
            .map(|(k, v)| match v.as_str() {
                Some(s) => Ok((k.clone(), s.to_owned())),
                None => Err(Self::wrong_type(name, "a map of strings", v)),
            })
            .collect::<Result<_, _>>()
            .map(Some)
    }
}

/// `object` with the given attributes set (added or replaced) and the others kept.
pub fn with_attributes<K: Into<String>>(
    object: &Value,
    updates: impl IntoIterator<Item = (K, Value)>,
) -> Value {
    let mut entries = object.as_entries().cloned().unwrap_or_default();
    for (name, value) in updates {
        entries.insert(name.into(), value);
    }
    Value::object(entries).with_sensitive(object.is_sensitive())
}

#[cfg(test)]
mod tests {
    use aic_lang::types::Type;

    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn typed_getters() {
        let object = Value::object([
            ("s", Value::string("x")),
            ("n", Value::number(3.0)),
            ("f", Value::number(3.5)),
            ("b", Value::bool(true)),
            ("m", Value::object([("k", Value::string("v"))])),
            ("null", Value::null()),
            ("u", Value::unknown(Type::String)),
        ]);
        let attrs = Attributes::new(&object);
        assert_eq!(attrs.string("s").ok(), Some("x"));
        assert_eq!(attrs.integer("n").ok(), Some(3));
        assert_eq!(attrs.bool_or("b", false).ok(), Some(true));
        assert_eq!(attrs.bool_or("null", true).ok(), Some(true));
        assert_eq!(attrs.opt_string("absent").ok(), Some(None));
        assert_eq!(
            attrs
                .opt_string_map("m")
                .ok()
                .flatten()
                .and_then(|m| m.get("k").cloned())
                .as_deref(),
            Some("v")
        );
        assert_eq!(
            attrs.integer("f").err().map(|e| e.to_string()).as_deref(),
            Some("`f` must be a whole number, found number")
        );
        assert_eq!(
            attrs.string("null").err().map(|e| e.kind()),
            Some(ErrorKind::InvalidConfig)
        );
        assert_eq!(
            attrs.string("u").err().map(|e| e.kind()),
            Some(ErrorKind::Other)
        );
        assert_eq!(
            attrs.string("n").err().map(|e| e.kind()),
            Some(ErrorKind::InvalidConfig)
        );
    }

    #[test]
    fn with_attributes_sets_and_keeps() {
        let object = Value::object([("a", Value::number(1.0)), ("b", Value::number(2.0))]);
        let updated = with_attributes(&object, [("b", Value::number(3.0)), ("c", Value::null())]);
        assert_eq!(updated.to_string(), "{ a = 1, b = 3, c = null }");
    }
}
