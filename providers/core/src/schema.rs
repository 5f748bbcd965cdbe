//! Provider schemas: what a provider's configuration, resources and data sources look
//! like — attributes with their type, whether they are required, optional or computed,
//! whether a change forces replacement, whether they are sensitive.
//!
//! A schema is plain data: the checker reads it to type references, the default plan
//! ([`crate::plan::plan_resource`]) and validation ([`crate::validate`]) are driven by it,
//! and documentation is generated from it. This module must not perform I/O or know about
//! any particular provider.
//!
//! Attribute names follow Terraform's conventions (`snake_case`, `id` for the object's
//! identifier, `*_duration`, `*_permission`, …) so that configurations port easily.

use aic_lang::types::{ObjectAttr, Type};
use aic_lang::value::{Value, ValueKind};
use indexmap::IndexMap;

/// Everything a provider offers: its own configuration, its resource types and its data
/// source types, each keyed by type name (`local_file`, `aws_instance`, …).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProviderSchema {
    /// The `provider "name" { … }` block's schema.
    pub provider: ConfigSchema,
    pub resources: IndexMap<String, ResourceSchema>,
    pub data_sources: IndexMap<String, ResourceSchema>,
}

/// The schema of a provider's configuration block; the same shape as a resource's.
pub type ConfigSchema = ResourceSchema;

impl ProviderSchema {
    /// The schema of a resource type.
    pub fn resource(&self, type_name: &str) -> Option<&ResourceSchema> {
        self.resources.get(type_name)
    }

    /// The schema of a data source type.
    pub fn data_source(&self, type_name: &str) -> Option<&ResourceSchema> {
        self.data_sources.get(type_name)
    }
}

/// The schema of one resource or data source type (or of a nested block, or of a
/// provider's configuration).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceSchema {
    /// Attributes, in the order they are documented.
    pub attributes: IndexMap<String, AttributeSchema>,
    /// Nested blocks (`ingress { … }`), in the order they are documented.
    pub blocks: IndexMap<String, NestedBlockSchema>,
    /// One or more sentences for the documentation.
    pub description: String,
}

impl ResourceSchema {
    pub fn new(description: impl Into<String>) -> ResourceSchema {
        ResourceSchema {
            description: description.into(),
            ..ResourceSchema::default()
        }
    }

    /// This schema with one more attribute.
    #[must_use]
    pub fn attribute(mut self, name: impl Into<String>, attribute: AttributeSchema) -> Self {
        self.attributes.insert(name.into(), attribute);
        self
    }

    /// This schema with one more nested block.
    #[must_use]
    pub fn block(mut self, name: impl Into<String>, block: NestedBlockSchema) -> Self {
        self.blocks.insert(name.into(), block);
        self
    }

    /// The names a configuration may use here: attributes, then blocks.
    pub fn attribute_names(&self) -> impl Iterator<Item = &str> {
        self.attributes
            .keys()
            .chain(self.blocks.keys())
            .map(String::as_str)
    }

    /// The name closest to a misspelled `name`, for a "did you mean" hint; `None` when
    /// nothing is close enough to be a likely typo.
    pub fn suggest(&self, name: &str) -> Option<&str> {
        did_you_mean(name, self.attribute_names())
    }

    /// An instance object: every attribute and block of the schema in schema order, with
    /// the given values and null for the others. Values for names the schema does not
    /// have are dropped.
    pub fn instance<K: Into<String>>(&self, values: impl IntoIterator<Item = (K, Value)>) -> Value {
        let mut given: IndexMap<String, Value> =
            values.into_iter().map(|(k, v)| (k.into(), v)).collect();
        let object = self
            .attribute_names()
            .map(|name| {
                let value = given.swap_remove(name).unwrap_or_else(Value::null);
                (name.to_owned(), value)
            })
            .collect::<IndexMap<String, Value>>();
        Value::object(object)
    }

    /// The object type of an instance of this schema: every attribute and block is
    /// present in an instance (null when unset), so all are required members.
    pub fn instance_type(&self) -> Type {
        schema_type(self)
    }

    /// `value` with the sensitive mark on every attribute the schema declares sensitive,
    /// nested blocks included. Null attributes are left unmarked; a value that is not an
    /// object is returned unchanged.
    #[must_use]
    pub fn mark_sensitive(&self, value: Value) -> Value {
        if !matches!(value.kind(), ValueKind::Object(_)) {
            return value;
        }
        let sensitive = value.is_sensitive();
        let mut attrs = match value.into_kind() {
            ValueKind::Object(attrs) => attrs,
            _ => IndexMap::new(),
        };
        for (name, attr) in &self.attributes {
            if let Some(v) = attrs.get_mut(name) {
                if attr.sensitive && !v.is_null() {
                    *v = std::mem::replace(v, Value::null()).mark_sensitive();
                }
            }
        }
        for (name, block) in &self.blocks {
            if let Some(v) = attrs.get_mut(name) {
                let taken = std::mem::replace(v, Value::null());
                *v = block.mark_sensitive(taken);
            }
        }
        Value::object(attrs).with_sensitive(sensitive)
    }
}

/// One attribute of a resource.
///
/// Exactly one of the three shapes Terraform uses:
/// - `required`: set by the configuration, never by the provider;
/// - `optional`: may be set by the configuration; null (or `default`) otherwise;
/// - `computed`: set by the provider; with `optional` too, the configuration may set it
///   and the provider fills it in otherwise.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeSchema {
    pub ty: Type,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    /// A change of this attribute cannot be applied in place: the object is replaced.
    pub force_new: bool,
    /// The value is secret: plans and output show `(sensitive)`.
    pub sensitive: bool,
    pub description: String,
    /// The value the provider uses when the configuration leaves an optional attribute
    /// out or null.
    pub default: Option<Value>,
}

impl AttributeSchema {
    fn new(ty: Type, required: bool, optional: bool, computed: bool) -> AttributeSchema {
        AttributeSchema {
            ty,
            required,
            optional,
            computed,
            force_new: false,
            sensitive: false,
            description: String::new(),
            default: None,
        }
    }

    /// An attribute the configuration must set.
    pub fn required(ty: Type) -> AttributeSchema {
        AttributeSchema::new(ty, true, false, false)
    }

    /// An attribute the configuration may set.
    pub fn optional(ty: Type) -> AttributeSchema {
        AttributeSchema::new(ty, false, true, false)
    }

    /// An attribute only the provider sets.
    pub fn computed(ty: Type) -> AttributeSchema {
        AttributeSchema::new(ty, false, false, true)
    }

    /// An attribute the configuration may set and the provider fills in otherwise.
    pub fn optional_computed(ty: Type) -> AttributeSchema {
        AttributeSchema::new(ty, false, true, true)
    }

    #[must_use]
    pub fn force_new(mut self) -> Self {
        self.force_new = true;
        self
    }

    #[must_use]
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    #[must_use]
    pub fn describe(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    #[must_use]
    pub fn default_value(mut self, default: impl Into<Value>) -> Self {
        self.default = Some(default.into());
        self
    }

    /// Whether only the provider sets this attribute.
    pub fn is_read_only(&self) -> bool {
        self.computed && !self.optional && !self.required
    }
}

/// How a nested block repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// Zero or more blocks in order: a list of objects.
    List,
    /// Zero or more blocks, unordered and distinct: a set of objects.
    Set,
    /// At most one block: an object (null when absent).
    Single,
}

/// A nested block such as `ingress { … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct NestedBlockSchema {
    pub nesting: Nesting,
    pub min_items: usize,
    /// `None`: no upper bound.
    pub max_items: Option<usize>,
    pub block: ResourceSchema,
    /// Any change inside the block forces replacement (in addition to the force-new
    /// attributes of the block itself).
    pub force_new: bool,
}

impl NestedBlockSchema {
    pub fn new(nesting: Nesting, block: ResourceSchema) -> NestedBlockSchema {
        NestedBlockSchema {
            nesting,
            min_items: 0,
            max_items: if nesting == Nesting::Single {
                Some(1)
            } else {
                None
            },
            block,
            force_new: false,
        }
    }

    /// The type of the block's value in an instance.
    pub fn value_type(&self) -> Type {
        let element = schema_type(&self.block);
        match self.nesting {
            Nesting::List => Type::list(element),
            Nesting::Set => Type::set(element),
            Nesting::Single => element,
        }
    }

    fn mark_sensitive(&self, value: Value) -> Value {
        match self.nesting {
            Nesting::Single => {
                if matches!(value.kind(), ValueKind::Object(_)) {
                    self.block.mark_sensitive(value)
                } else {
                    value
                }
            }
            Nesting::List | Nesting::Set => {
                let sensitive = value.is_sensitive();
                match value.into_kind() {
                    ValueKind::List(items) => Value::list(items.into_iter().map(|item| {
                        if matches!(item.kind(), ValueKind::Object(_)) {
                            self.block.mark_sensitive(item)
                        } else {
                            item
                        }
                    }))
                    .with_sensitive(sensitive),
                    ValueKind::Set(items) => Value::set(items.into_iter().map(|item| {
                        if matches!(item.kind(), ValueKind::Object(_)) {
                            self.block.mark_sensitive(item)
                        } else {
                            item
                        }
                    }))
                    .with_sensitive(sensitive),
                    kind => Value::from_kind(kind).with_sensitive(sensitive),
                }
            }
        }
    }
}

/// The object type of an instance of `schema`: one member per attribute (of its declared
/// type) and per nested block (a list, set or object of the block's type). Every member is
/// required, because an instance always has every attribute (null when unset).
pub fn schema_type(schema: &ResourceSchema) -> Type {
    let attributes = schema
        .attributes
        .iter()
        .map(|(name, a)| (name.clone(), ObjectAttr::required(a.ty.clone())));
    let blocks = schema
        .blocks
        .iter()
        .map(|(name, b)| (name.clone(), ObjectAttr::required(b.value_type())));
    Type::object(attributes.chain(blocks))
}

/// The candidate closest to `name` by Jaro-Winkler similarity, when it is close enough to
/// be a likely typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(name, candidate), candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}
