//! Typed attribute fields: every attribute name is written once, as a constant that knows
//! its value type, and that constant serves the schema, the reading of planned and prior
//! objects, and the building of objects from API answers.
//!
//! ```
//! use aic_lang::value::Value;
//! use aic_provider::ResourceSchema;
//! use aic_provider_kit::{Attr, Declare};
//!
//! const CIDR_BLOCK: Attr<String> = Attr::new("cidr_block");
//! const ID: Attr<String> = Attr::new("id");
//!
//! let schema = ResourceSchema::new("A network.")
//!     .with(CIDR_BLOCK.required().force_new().describe("The range."))
//!     .with(ID.computed().describe("The id."));
//! let planned = schema.instance([CIDR_BLOCK.to("10.0.0.0/16")]);
//! assert_eq!(CIDR_BLOCK.require(&planned).ok().as_deref(), Some("10.0.0.0/16"));
//! assert_eq!(ID.get(&planned).ok(), Some(None));
//! ```
//!
//! The schema type of a field comes from its Rust type ([`FieldType`]), so the schema and
//! the code that reads the attribute cannot disagree. This module knows no provider and
//! calls no API.

use std::collections::BTreeSet;
use std::marker::PhantomData;

use aic_lang::types::Type;
use aic_lang::value::{Value, ValueKind};
use aic_provider::{
    AttributeSchema, Attributes, NestedBlockSchema, Nesting, ProviderError, ResourceSchema,
};
use indexmap::IndexMap;

/// A Rust type an attribute's value converts to and from.
pub trait FieldType: Sized {
    /// The attribute's type in the schema.
    fn schema_type() -> Type;
    /// What a value of this type is, for error messages ("a string").
    fn expected() -> &'static str;
    /// The Rust value of a known, non-null attribute value; `None` when it has another
    /// shape.
    fn from_value(value: &Value) -> Option<Self>;
    /// The attribute value of a Rust value.
    fn into_value(self) -> Value;
}

impl FieldType for String {
    fn schema_type() -> Type {
        Type::String
    }
    fn expected() -> &'static str {
        "a string"
    }
    fn from_value(value: &Value) -> Option<Self> {
        value.as_str().map(str::to_owned)
    }
    fn into_value(self) -> Value {
        Value::string(self)
    }
}

impl FieldType for bool {
    fn schema_type() -> Type {
        Type::Bool
    }
    fn expected() -> &'static str {
        "a bool"
    }
    fn from_value(value: &Value) -> Option<Self> {
        value.as_bool()
    }
    fn into_value(self) -> Value {
        Value::bool(self)
    }
}

impl FieldType for i64 {
    fn schema_type() -> Type {
        Type::Number
    }
    fn expected() -> &'static str {
        "a whole number"
    }
    fn from_value(value: &Value) -> Option<Self> {
        value.as_integer()
    }
    fn into_value(self) -> Value {
        // Attribute numbers are f64; whole numbers of attributes stay far below 2^53.
        Value::number(self as f64)
    }
}

impl FieldType for f64 {
    fn schema_type() -> Type {
        Type::Number
    }
    fn expected() -> &'static str {
        "a number"
    }
    fn from_value(value: &Value) -> Option<Self> {
        value.as_number()
    }
    fn into_value(self) -> Value {
        Value::number(self)
    }
}

fn string_elements(value: &Value) -> Option<Vec<String>> {
    value
        .as_elements()?
        .iter()
        .map(|item| item.as_str().map(str::to_owned))
        .collect()
}

/// A list of strings (a list, set or tuple value reads as one, in order).
impl FieldType for Vec<String> {
    fn schema_type() -> Type {
        Type::list(Type::String)
    }
    fn expected() -> &'static str {
        "a list of strings"
    }
    fn from_value(value: &Value) -> Option<Self> {
        string_elements(value)
    }
    fn into_value(self) -> Value {
        Value::list(self.into_iter().map(Value::string))
    }
}

/// A set of strings.
impl FieldType for BTreeSet<String> {
    fn schema_type() -> Type {
        Type::set(Type::String)
    }
    fn expected() -> &'static str {
        "a set of strings"
    }
    fn from_value(value: &Value) -> Option<Self> {
        string_elements(value).map(|items| items.into_iter().collect())
    }
    fn into_value(self) -> Value {
        Value::set(self.into_iter().map(Value::string))
    }
}

/// A map of strings (a map or an object value reads as one), in the value's order.
impl FieldType for IndexMap<String, String> {
    fn schema_type() -> Type {
        Type::map(Type::String)
    }
    fn expected() -> &'static str {
        "a map of strings"
    }
    fn from_value(value: &Value) -> Option<Self> {
        let entries = match value.kind() {
            ValueKind::Map(m) | ValueKind::Object(m) => m,
            _ => return None,
        };
        entries
            .iter()
            .map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect()
    }
    fn into_value(self) -> Value {
        Value::map(self.into_iter().map(|(k, v)| (k, Value::string(v))))
    }
}

/// One attribute: its name, written once, and the Rust type of its value.
pub struct Attr<T> {
    name: &'static str,
    ty: PhantomData<fn() -> T>,
}

impl<T> Clone for Attr<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Attr<T> {}

impl<T> std::fmt::Debug for Attr<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Attr({})", self.name)
    }
}

impl<T> Attr<T> {
    pub const fn new(name: &'static str) -> Self {
        Attr {
            name,
            ty: PhantomData,
        }
    }

    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The attribute set to null, for building an object.
    pub fn null(&self) -> (&'static str, Value) {
        (self.name, Value::null())
    }

    /// The attribute with `object`'s value of it (null when absent), for carrying a value
    /// over from one object to another.
    pub fn copied(&self, object: &Value) -> (&'static str, Value) {
        (
            self.name,
            object.get(self.name).cloned().unwrap_or_else(Value::null),
        )
    }
}

impl<T: FieldType> Attr<T> {
    /// The attribute's value in `object`; `None` when absent or null. An unknown value is
    /// an error (apply operations receive known values), and so is a value of another
    /// type.
    pub fn get(&self, object: &Value) -> Result<Option<T>, ProviderError> {
        let Some(value) = Attributes::new(object).value(self.name)? else {
            return Ok(None);
        };
        T::from_value(value).map(Some).ok_or_else(|| {
            ProviderError::invalid_config(format!(
                "`{}` must be {}, found {}",
                self.name,
                T::expected(),
                value.type_of()
            ))
        })
    }

    /// The attribute's value, which must be set.
    pub fn require(&self, object: &Value) -> Result<T, ProviderError> {
        self.get(object)?
            .ok_or_else(|| ProviderError::invalid_config(format!("`{}` is required", self.name)))
    }

    /// The attribute's value, or `default` when it is null.
    pub fn or(&self, object: &Value, default: T) -> Result<T, ProviderError> {
        Ok(self.get(object)?.unwrap_or(default))
    }

    /// The attribute set to `value`, for building an object
    /// ([`ResourceSchema::instance`], [`aic_provider::with_attributes`]).
    pub fn to(&self, value: impl Into<T>) -> (&'static str, Value) {
        (self.name, value.into().into_value())
    }

    /// The attribute set to `value`, or null when `None`.
    pub fn to_opt(&self, value: Option<impl Into<T>>) -> (&'static str, Value) {
        (
            self.name,
            value.map_or_else(Value::null, |v| v.into().into_value()),
        )
    }

    fn declare(&self, schema: AttributeSchema) -> Declared {
        Declared {
            name: self.name,
            schema,
        }
    }

    /// Declares the attribute as one the configuration must set.
    pub fn required(&self) -> Declared {
        self.declare(AttributeSchema::required(T::schema_type()))
    }

    /// Declares the attribute as one the configuration may set.
    pub fn optional(&self) -> Declared {
        self.declare(AttributeSchema::optional(T::schema_type()))
    }

    /// Declares the attribute as one only the provider sets.
    pub fn computed(&self) -> Declared {
        self.declare(AttributeSchema::computed(T::schema_type()))
    }

    /// Declares the attribute as one the configuration may set and the provider fills in
    /// otherwise.
    pub fn optional_computed(&self) -> Declared {
        self.declare(AttributeSchema::optional_computed(T::schema_type()))
    }
}

impl Attr<String> {
    /// The attribute set to an API's optional text: null when absent or empty (APIs send
    /// empty strings for "not set").
    pub fn text(&self, value: Option<&str>) -> (&'static str, Value) {
        match value {
            Some(s) if !s.is_empty() => (self.name, Value::string(s)),
            _ => self.null(),
        }
    }
}

/// An attribute's schema being declared, with the builder methods of
/// [`AttributeSchema`]. Add it to a schema with [`Declare::with`].
#[derive(Debug, Clone)]
#[must_use]
pub struct Declared {
    name: &'static str,
    schema: AttributeSchema,
}

impl Declared {
    pub fn force_new(mut self) -> Self {
        self.schema = self.schema.force_new();
        self
    }

    pub fn sensitive(mut self) -> Self {
        self.schema = self.schema.sensitive();
        self
    }

    pub fn describe(mut self, description: impl Into<String>) -> Self {
        self.schema = self.schema.describe(description);
        self
    }

    /// The value the provider uses when the configuration leaves the attribute out.
    pub fn default_value(mut self, default: impl Into<Value>) -> Self {
        self.schema = self.schema.default_value(default);
        self
    }

    /// A narrower schema type than the field's Rust type says, such as a union of
    /// strings (`Type::string_union(["default", "dedicated"])`) for an `Attr<String>`.
    pub fn of_type(mut self, ty: Type) -> Self {
        self.schema.ty = ty;
        self
    }
}

/// A nested block (`ingress { … }`): its name, written once.
#[derive(Debug, Clone, Copy)]
pub struct Block {
    name: &'static str,
}

impl Block {
    pub const fn new(name: &'static str) -> Self {
        Block { name }
    }

    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The block's objects in `object` (a list or set of blocks, or a single one); empty
    /// when absent or null.
    pub fn items<'a>(&self, object: &'a Value) -> Vec<&'a Value> {
        match object.get(self.name).map(Value::kind) {
            Some(ValueKind::List(items) | ValueKind::Set(items) | ValueKind::Tuple(items)) => {
                items.iter().collect()
            }
            Some(ValueKind::Object(_)) => object.get(self.name).into_iter().collect(),
            _ => Vec::new(),
        }
    }

    /// The block with `object`'s value of it (null when absent).
    pub fn copied(&self, object: &Value) -> (&'static str, Value) {
        (
            self.name,
            object.get(self.name).cloned().unwrap_or_else(Value::null),
        )
    }

    /// The block set to a list of objects.
    pub fn to_list(&self, items: impl IntoIterator<Item = Value>) -> (&'static str, Value) {
        (self.name, Value::list(items))
    }

    /// The block set to a set of objects.
    pub fn to_set(&self, items: impl IntoIterator<Item = Value>) -> (&'static str, Value) {
        (self.name, Value::set(items))
    }

    fn declare(&self, nesting: Nesting, block: ResourceSchema) -> DeclaredBlock {
        DeclaredBlock {
            name: self.name,
            schema: NestedBlockSchema::new(nesting, block),
        }
    }

    /// Declares zero or more blocks in order.
    pub fn list(&self, block: ResourceSchema) -> DeclaredBlock {
        self.declare(Nesting::List, block)
    }

    /// Declares zero or more unordered, distinct blocks.
    pub fn set(&self, block: ResourceSchema) -> DeclaredBlock {
        self.declare(Nesting::Set, block)
    }

    /// Declares at most one block.
    pub fn single(&self, block: ResourceSchema) -> DeclaredBlock {
        self.declare(Nesting::Single, block)
    }
}

/// A nested block's schema being declared. Add it with [`Declare::with_block`].
#[derive(Debug, Clone)]
#[must_use]
pub struct DeclaredBlock {
    name: &'static str,
    schema: NestedBlockSchema,
}

impl DeclaredBlock {
    pub fn min_items(mut self, n: usize) -> Self {
        self.schema.min_items = n;
        self
    }

    pub fn max_items(mut self, n: usize) -> Self {
        self.schema.max_items = Some(n);
        self
    }

    pub fn force_new(mut self) -> Self {
        self.schema.force_new = true;
        self
    }
}

/// Adds declared fields to a [`ResourceSchema`].
pub trait Declare {
    /// This schema with one more attribute.
    #[must_use]
    fn with(self, attribute: Declared) -> Self;
    /// This schema with one more nested block.
    #[must_use]
    fn with_block(self, block: DeclaredBlock) -> Self;
}

impl Declare for ResourceSchema {
    fn with(self, attribute: Declared) -> Self {
        self.attribute(attribute.name, attribute.schema)
    }

    fn with_block(self, block: DeclaredBlock) -> Self {
        self.block(block.name, block.schema)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aic_provider::ErrorKind;

    const NAME: Attr<String> = Attr::new("name");
    const SIZE: Attr<i64> = Attr::new("size");
    const ON: Attr<bool> = Attr::new("on");
    const ZONES: Attr<Vec<String>> = Attr::new("zones");
    const GROUPS: Attr<BTreeSet<String>> = Attr::new("groups");
    const TAGS: Attr<IndexMap<String, String>> = Attr::new("tags");
    const RULE: Block = Block::new("rule");

    fn schema() -> ResourceSchema {
        ResourceSchema::new("test")
            .with(NAME.required().force_new().describe("The name."))
            .with(SIZE.optional().default_value(3))
            .with(ON.optional())
            .with(ZONES.optional())
            .with(GROUPS.optional_computed())
            .with(TAGS.optional())
            .with_block(RULE.set(ResourceSchema::new("rule").with(SIZE.required())))
    }

    #[test]
    fn the_schema_takes_types_from_the_fields() {
        let schema = schema();
        let ty = |name: &str| schema.attributes.get(name).map(|a| a.ty.clone());
        assert_eq!(ty("name"), Some(Type::String));
        assert_eq!(ty("size"), Some(Type::Number));
        assert_eq!(ty("zones"), Some(Type::list(Type::String)));
        assert_eq!(ty("groups"), Some(Type::set(Type::String)));
        assert_eq!(ty("tags"), Some(Type::map(Type::String)));
        let name = schema.attributes.get("name");
        assert!(name.is_some_and(|a| a.required && a.force_new && a.description == "The name."));
        assert_eq!(
            schema
                .attributes
                .get("size")
                .and_then(|a| a.default.clone()),
            Some(Value::number(3.0))
        );
        assert_eq!(
            schema.blocks.get("rule").map(|b| b.nesting),
            Some(Nesting::Set)
        );
    }

    #[test]
    fn fields_read_and_write_values() {
        let object = schema().instance([
            NAME.to("web"),
            SIZE.to(4),
            ZONES.to(vec!["a".to_owned(), "b".to_owned()]),
            GROUPS.to(BTreeSet::from(["g".to_owned()])),
            TAGS.to(IndexMap::from([("k".to_owned(), "v".to_owned())])),
            RULE.to_set([Value::object([SIZE.to(1)])]),
        ]);
        assert_eq!(NAME.require(&object).ok().as_deref(), Some("web"));
        assert_eq!(SIZE.get(&object).ok(), Some(Some(4)));
        assert_eq!(ON.or(&object, true).ok(), Some(true));
        assert_eq!(ZONES.get(&object).ok().flatten().map(|z| z.len()), Some(2));
        assert_eq!(
            GROUPS.get(&object).ok().flatten(),
            Some(BTreeSet::from(["g".to_owned()]))
        );
        assert_eq!(
            TAGS.get(&object)
                .ok()
                .flatten()
                .and_then(|t| t.get("k").cloned()),
            Some("v".to_owned())
        );
        let rules = RULE.items(&object);
        assert_eq!(rules.len(), 1);
        assert_eq!(
            rules.first().and_then(|r| SIZE.get(r).ok().flatten()),
            Some(1)
        );
    }

    #[test]
    fn wrong_types_and_unknowns_are_errors() {
        let object = Value::object([
            ("name", Value::number(1.0)),
            ("size", Value::number(1.5)),
            ("on", Value::unknown(Type::Bool)),
        ]);
        assert_eq!(
            NAME.get(&object).err().map(|e| e.to_string()).as_deref(),
            Some("`name` must be a string, found number")
        );
        assert_eq!(
            SIZE.get(&object).err().map(|e| e.kind()),
            Some(ErrorKind::InvalidConfig)
        );
        assert_eq!(
            ON.get(&object).err().map(|e| e.kind()),
            Some(ErrorKind::Other)
        );
        assert_eq!(
            ZONES
                .require(&object)
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("`zones` is required")
        );
    }

    #[test]
    fn string_lists_read_from_lists_sets_and_null() {
        let object = Value::object([
            ("l", Value::list([Value::string("a"), Value::string("b")])),
            ("s", Value::set([Value::string("b"), Value::string("a")])),
            ("n", Value::null()),
            ("x", Value::list([Value::number(1.0)])),
        ]);
        let strings = |name: &'static str| {
            Attr::<Vec<String>>::new(name)
                .get(&object)
                .map(Option::unwrap_or_default)
        };
        assert_eq!(strings("l").ok(), Some(vec!["a".into(), "b".into()]));
        assert_eq!(strings("s").ok(), Some(vec!["a".into(), "b".into()]));
        assert_eq!(strings("n").ok(), Some(vec![]));
        assert!(strings("x").is_err());
    }

    #[test]
    fn text_of_empty_api_strings_is_null() {
        assert_eq!(NAME.text(Some("")).1, Value::null());
        assert_eq!(NAME.text(None).1, Value::null());
        assert_eq!(NAME.text(Some("x")).1, Value::string("x"));
        assert_eq!(
            NAME.copied(&Value::object([("name", Value::string("y"))]))
                .1,
            Value::string("y")
        );
    }
}
