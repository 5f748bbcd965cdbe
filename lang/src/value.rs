//! Runtime values of the `.aic` language, with their **unknown** and **sensitive** marks.
//!
//! A [`Value`] is what evaluation produces: a primitive, a collection, or an *unknown*
//! that stands for a value computed only at apply time (an unknown still carries its
//! [`Type`], so operations on it yield unknowns of the right type). Any value may carry the
//! *sensitive* mark; derived values keep it, and [`Value`]'s `Display` prints a sensitive
//! value as `(sensitive)` so it cannot leak by accident.
//!
//! This module owns the value model, its literal rendering, equality and ordering, and
//! the conversions to and from JSON (for state and plans). It must not know about
//! expressions, providers or how values are stored.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::types::Type;

/// A value with its sensitive mark. Cheap to clone for primitives; collections own their
/// elements.
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    kind: ValueKind,
    sensitive: bool,
}

/// The shape of a [`Value`].
///
/// `Set` elements are kept sorted by [`Value::total_cmp`] and deduplicated (unknown elements
/// are kept, after the known ones, since they may or may not equal another element);
/// build sets with [`Value::set`] to keep that invariant. `Map` and `Object` keep their
/// keys in insertion order.
#[derive(Clone, Debug, PartialEq)]
pub enum ValueKind {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    List(Vec<Value>),
    Set(Vec<Value>),
    Map(IndexMap<String, Value>),
    Object(IndexMap<String, Value>),
    Tuple(Vec<Value>),
    /// A value known only after apply, of the given type.
    Unknown(Type),
}

impl Value {
    fn new(kind: ValueKind) -> Value {
        Value {
            kind,
            sensitive: false,
        }
    }

    /// The `null` value.
    pub fn null() -> Value {
        Value::new(ValueKind::Null)
    }

    pub fn bool(b: bool) -> Value {
        Value::new(ValueKind::Bool(b))
    }

    pub fn number(n: f64) -> Value {
        Value::new(ValueKind::Number(n))
    }

    pub fn string(s: impl Into<String>) -> Value {
        Value::new(ValueKind::String(s.into()))
    }

    pub fn list(elements: impl IntoIterator<Item = Value>) -> Value {
        Value::new(ValueKind::List(elements.into_iter().collect()))
    }

    pub fn tuple(elements: impl IntoIterator<Item = Value>) -> Value {
        Value::new(ValueKind::Tuple(elements.into_iter().collect()))
    }

    /// A set: the elements are sorted and duplicates removed. When duplicates differ only
    /// in their sensitive mark, the kept element is sensitive. A null element sorts after
    /// the others, as in Terraform.
    pub fn set(elements: impl IntoIterator<Item = Value>) -> Value {
        let mut known: Vec<Value> = Vec::new();
        let mut null: Option<Value> = None;
        let mut unknown: Vec<Value> = Vec::new();
        for element in elements {
            if element.is_null() {
                let sensitive = null.as_ref().is_some_and(Value::is_sensitive);
                null = Some(element.with_sensitive(sensitive));
            } else if element.is_wholly_known() {
                known.push(element);
            } else {
                unknown.push(element);
            }
        }
        known.sort_by(Value::total_cmp);
        let mut deduplicated: Vec<Value> = Vec::with_capacity(known.len());
        for element in known {
            match deduplicated.last_mut() {
                Some(last) if last.total_cmp(&element) == Ordering::Equal => {
                    last.sensitive |= element.sensitive;
                }
                _ => deduplicated.push(element),
            }
        }
        deduplicated.extend(null);
        deduplicated.extend(unknown);
        Value::new(ValueKind::Set(deduplicated))
    }

    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::new(ValueKind::Map(
            entries.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        ))
    }

    pub fn object<K: Into<String>>(attrs: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::new(ValueKind::Object(
            attrs.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        ))
    }

    /// A value known only after apply.
    pub fn unknown(ty: Type) -> Value {
        Value::new(ValueKind::Unknown(ty))
    }

    /// Builds a value from its kind. Sets are normalised as by [`Value::set`].
    pub fn from_kind(kind: ValueKind) -> Value {
        match kind {
            ValueKind::Set(elements) => Value::set(elements),
            kind => Value::new(kind),
        }
    }

    pub fn kind(&self) -> &ValueKind {
        &self.kind
    }

    /// The value's kind, dropping the sensitive mark of this node (not of its elements).
    pub fn into_kind(self) -> ValueKind {
        self.kind
    }

    // ----- marks -------------------------------------------------------------------

    /// Whether this value itself carries the sensitive mark.
    pub fn is_sensitive(&self) -> bool {
        self.sensitive
    }

    /// This value with the sensitive mark.
    #[must_use]
    pub fn mark_sensitive(mut self) -> Value {
        self.sensitive = true;
        self
    }

    /// This value, marked sensitive when `sensitive` is true (an existing mark is kept).
    #[must_use]
    pub fn with_sensitive(mut self, sensitive: bool) -> Value {
        self.sensitive |= sensitive;
        self
    }

    /// Whether this value or anything inside it is sensitive.
    pub fn contains_sensitive(&self) -> bool {
        self.sensitive || self.children().any(|(_, child)| child.contains_sensitive())
    }

    /// This value with every sensitive mark removed, at any depth. Only for places that
    /// have already decided to reveal the value (an explicit `nonsensitive`, say).
    #[must_use]
    pub fn without_marks(self) -> Value {
        let kind = match self.kind {
            ValueKind::List(v) => {
                ValueKind::List(v.into_iter().map(Value::without_marks).collect())
            }
            ValueKind::Tuple(v) => {
                ValueKind::Tuple(v.into_iter().map(Value::without_marks).collect())
            }
            ValueKind::Set(v) => ValueKind::Set(v.into_iter().map(Value::without_marks).collect()),
            ValueKind::Map(m) => {
                ValueKind::Map(m.into_iter().map(|(k, v)| (k, v.without_marks())).collect())
            }
            ValueKind::Object(m) => {
                ValueKind::Object(m.into_iter().map(|(k, v)| (k, v.without_marks())).collect())
            }
            kind => kind,
        };
        Value::new(kind)
    }

    /// Marks the value found at `path` sensitive. Returns false when the path does not
    /// lead to a value.
    pub fn mark_sensitive_at(&mut self, path: &AttrPath) -> bool {
        match self.get_path_mut(path.steps()) {
            Some(target) => {
                target.sensitive = true;
                true
            }
            None => false,
        }
    }

    // ----- known-ness ----------------------------------------------------------------

    /// Whether this value is not itself unknown (its elements may still be).
    pub fn is_known(&self) -> bool {
        !matches!(self.kind, ValueKind::Unknown(_))
    }

    /// Whether neither this value nor anything inside it is unknown.
    pub fn is_wholly_known(&self) -> bool {
        self.is_known() && self.children().all(|(_, child)| child.is_wholly_known())
    }

    /// The paths of every unknown inside this value (the empty path when the value itself
    /// is unknown), in order.
    pub fn unknown_paths(&self) -> Vec<AttrPath> {
        let mut paths = Vec::new();
        self.collect_paths(&mut AttrPath::root(), &mut |v| !v.is_known(), &mut paths);
        paths
    }

    /// The paths of the outermost sensitive values inside this value (values below a
    /// sensitive one are sensitive too and are not listed again).
    pub fn sensitive_paths(&self) -> Vec<AttrPath> {
        let mut paths = Vec::new();
        self.collect_paths(&mut AttrPath::root(), &mut |v| v.sensitive, &mut paths);
        paths
    }

    fn collect_paths(
        &self,
        path: &mut AttrPath,
        matches: &mut impl FnMut(&Value) -> bool,
        out: &mut Vec<AttrPath>,
    ) {
        if matches(self) {
            out.push(path.clone());
            return;
        }
        for (step, child) in self.children() {
            path.push(step);
            child.collect_paths(path, matches, out);
            path.pop();
        }
    }

    /// The direct children of a collection with the path step that leads to each.
    fn children(&self) -> Box<dyn Iterator<Item = (PathStep, &Value)> + '_> {
        match &self.kind {
            ValueKind::List(v) | ValueKind::Set(v) | ValueKind::Tuple(v) => Box::new(
                v.iter()
                    .enumerate()
                    .map(|(i, child)| (PathStep::Index(i), child)),
            ),
            ValueKind::Map(m) => {
                Box::new(m.iter().map(|(k, child)| (PathStep::Key(k.clone()), child)))
            }
            ValueKind::Object(m) => Box::new(
                m.iter()
                    .map(|(k, child)| (PathStep::Attr(k.clone()), child)),
            ),
            _ => Box::new(std::iter::empty()),
        }
    }

    // ----- accessors -----------------------------------------------------------------

    pub fn is_null(&self) -> bool {
        matches!(self.kind, ValueKind::Null)
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.kind {
            ValueKind::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<f64> {
        match self.kind {
            ValueKind::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The number as an integer, when it is a whole number that an `i64` holds exactly.
    pub fn as_integer(&self) -> Option<i64> {
        let n = self.as_number()?;
        // 2^63 is exactly representable; anything at or above it does not fit.
        const LIMIT: f64 = 9_223_372_036_854_775_808.0;
        if n.fract() == 0.0 && (-LIMIT..LIMIT).contains(&n) {
            Some(n as i64)
        } else {
            None
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            ValueKind::String(s) => Some(s),
            _ => None,
        }
    }

    /// The elements of a list, set or tuple.
    pub fn as_elements(&self) -> Option<&[Value]> {
        match &self.kind {
            ValueKind::List(v) | ValueKind::Set(v) | ValueKind::Tuple(v) => Some(v),
            _ => None,
        }
    }

    /// The entries of a map or the attributes of an object.
    pub fn as_entries(&self) -> Option<&IndexMap<String, Value>> {
        match &self.kind {
            ValueKind::Map(m) | ValueKind::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The type of an unknown value.
    pub fn unknown_type(&self) -> Option<&Type> {
        match &self.kind {
            ValueKind::Unknown(ty) => Some(ty),
            _ => None,
        }
    }

    /// An attribute of an object or an entry of a map.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_entries()?.get(key)
    }

    /// An element of a list, set or tuple.
    pub fn index(&self, index: usize) -> Option<&Value> {
        self.as_elements()?.get(index)
    }

    /// The value found by following `path` from this one.
    pub fn get_path(&self, path: &AttrPath) -> Option<&Value> {
        path.steps()
            .iter()
            .try_fold(self, |value, step| match step {
                PathStep::Attr(name) | PathStep::Key(name) => value.get(name),
                PathStep::Index(i) => value.index(*i),
            })
    }

    fn get_path_mut(&mut self, steps: &[PathStep]) -> Option<&mut Value> {
        let Some((first, rest)) = steps.split_first() else {
            return Some(self);
        };
        let child = match (&mut self.kind, first) {
            (ValueKind::Map(m) | ValueKind::Object(m), PathStep::Attr(k) | PathStep::Key(k)) => {
                m.get_mut(k)
            }
            (ValueKind::List(v) | ValueKind::Set(v) | ValueKind::Tuple(v), PathStep::Index(i)) => {
                v.get_mut(*i)
            }
            _ => None,
        }?;
        child.get_path_mut(rest)
    }

    /// The type of this value. Lists, sets and maps whose elements have no common type
    /// get the element type `any`; an empty collection has element type `any` too.
    pub fn type_of(&self) -> Type {
        fn element_type<'a>(values: impl Iterator<Item = &'a Value>) -> Type {
            let types: Vec<Type> = values.map(Value::type_of).collect();
            Type::unify_all(&types).unwrap_or(Type::Any)
        }
        match &self.kind {
            ValueKind::Null => Type::Null,
            ValueKind::Bool(_) => Type::Bool,
            ValueKind::Number(_) => Type::Number,
            ValueKind::String(_) => Type::String,
            ValueKind::List(v) => Type::List(Box::new(element_type(v.iter()))),
            ValueKind::Set(v) => Type::Set(Box::new(element_type(v.iter()))),
            ValueKind::Map(m) => Type::Map(Box::new(element_type(m.values()))),
            ValueKind::Object(m) => Type::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), crate::types::ObjectAttr::required(v.type_of())))
                    .collect(),
            ),
            ValueKind::Tuple(v) => Type::Tuple(v.iter().map(Value::type_of).collect()),
            ValueKind::Unknown(ty) => ty.clone(),
        }
    }

    // ----- comparison ----------------------------------------------------------------

    /// Language equality (`==`): `None` when the answer depends on an unknown value.
    /// Marks are ignored; a list equals a tuple with equal elements and a map equals an
    /// object with equal entries.
    pub fn equals(&self, other: &Value) -> Option<bool> {
        use ValueKind as K;
        fn all_equal<'a>(pairs: impl Iterator<Item = (&'a Value, &'a Value)>) -> Option<bool> {
            let mut undecided = false;
            for (a, b) in pairs {
                match a.equals(b) {
                    Some(false) => return Some(false),
                    None => undecided = true,
                    Some(true) => {}
                }
            }
            if undecided {
                None
            } else {
                Some(true)
            }
        }
        match (&self.kind, &other.kind) {
            (K::Unknown(_), _) | (_, K::Unknown(_)) => None,
            (K::Null, K::Null) => Some(true),
            (K::Bool(a), K::Bool(b)) => Some(a == b),
            (K::Number(a), K::Number(b)) => Some(a == b),
            (K::String(a), K::String(b)) => Some(a == b),
            (K::List(a) | K::Tuple(a), K::List(b) | K::Tuple(b)) => {
                if a.len() != b.len() {
                    return Some(false);
                }
                all_equal(a.iter().zip(b))
            }
            (K::Set(a), K::Set(b)) => {
                if self.is_wholly_known() && other.is_wholly_known() {
                    Some(
                        a.len() == b.len()
                            && a.iter()
                                .zip(b)
                                .all(|(x, y)| x.total_cmp(y) == Ordering::Equal),
                    )
                } else {
                    None
                }
            }
            (K::Map(a) | K::Object(a), K::Map(b) | K::Object(b)) => {
                if a.len() != b.len() || a.keys().any(|k| !b.contains_key(k)) {
                    return Some(false);
                }
                all_equal(a.iter().filter_map(|(k, v)| Some((v, b.get(k)?))))
            }
            _ => Some(false),
        }
    }

    /// A total order over values, ignoring marks: by kind (null, bool, number, string,
    /// list or tuple, set, map or object, unknown), then by content. Used to sort sets
    /// and by `sort`.
    pub fn total_cmp(&self, other: &Value) -> Ordering {
        use ValueKind as K;
        fn rank(kind: &ValueKind) -> u8 {
            match kind {
                K::Null => 0,
                K::Bool(_) => 1,
                K::Number(_) => 2,
                K::String(_) => 3,
                K::List(_) | K::Tuple(_) => 4,
                K::Set(_) => 5,
                K::Map(_) | K::Object(_) => 6,
                K::Unknown(_) => 7,
            }
        }
        fn cmp_seq(a: &[Value], b: &[Value]) -> Ordering {
            for (x, y) in a.iter().zip(b) {
                let o = x.total_cmp(y);
                if o != Ordering::Equal {
                    return o;
                }
            }
            a.len().cmp(&b.len())
        }
        fn sorted(m: &IndexMap<String, Value>) -> Vec<(&String, &Value)> {
            let mut entries: Vec<_> = m.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            entries
        }
        match (&self.kind, &other.kind) {
            (K::Bool(a), K::Bool(b)) => a.cmp(b),
            (K::Number(a), K::Number(b)) => a.total_cmp(b),
            (K::String(a), K::String(b)) => a.cmp(b),
            (K::List(a) | K::Tuple(a), K::List(b) | K::Tuple(b)) | (K::Set(a), K::Set(b)) => {
                cmp_seq(a, b)
            }
            (K::Map(a) | K::Object(a), K::Map(b) | K::Object(b)) => {
                let (a, b) = (sorted(a), sorted(b));
                for ((ka, va), (kb, vb)) in a.iter().zip(&b) {
                    let o = ka.cmp(kb).then_with(|| va.total_cmp(vb));
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                a.len().cmp(&b.len())
            }
            (K::Unknown(a), K::Unknown(b)) => a.to_string().cmp(&b.to_string()),
            (a, b) => rank(a).cmp(&rank(b)),
        }
    }

    // ----- JSON ----------------------------------------------------------------------

    /// The value as JSON, sensitive parts included (for state files; never for display).
    /// Lists, sets and tuples become arrays; maps and objects become objects. Whole
    /// numbers are written without a fraction.
    pub fn to_json(&self) -> Result<serde_json::Value, ToJsonError> {
        self.to_json_at(&mut AttrPath::root())
    }

    fn to_json_at(&self, path: &mut AttrPath) -> Result<serde_json::Value, ToJsonError> {
        use serde_json::Value as J;
        Ok(match &self.kind {
            ValueKind::Null => J::Null,
            ValueKind::Bool(b) => J::Bool(*b),
            ValueKind::Number(n) => {
                json_number(*n).ok_or_else(|| ToJsonError::NotFinite { path: path.clone() })?
            }
            ValueKind::String(s) => J::String(s.clone()),
            ValueKind::List(_) | ValueKind::Set(_) | ValueKind::Tuple(_) => {
                let mut out = Vec::new();
                for (step, child) in self.children() {
                    path.push(step);
                    out.push(child.to_json_at(path)?);
                    path.pop();
                }
                J::Array(out)
            }
            ValueKind::Map(_) | ValueKind::Object(_) => {
                let mut out = serde_json::Map::new();
                for (step, child) in self.children() {
                    let key = step.name().unwrap_or_default().to_owned();
                    path.push(step);
                    out.insert(key, child.to_json_at(path)?);
                    path.pop();
                }
                J::Object(out)
            }
            ValueKind::Unknown(_) => {
                return Err(ToJsonError::Unknown { path: path.clone() });
            }
        })
    }

    /// The value as JSON for a plan: unknown parts become `null` and are listed in
    /// [`PlanValue::unknown`]; sensitive parts become `null` too (redacted) and are listed
    /// in [`PlanValue::sensitive`]. Non-finite numbers become `null`.
    pub fn to_plan_json(&self) -> PlanValue {
        fn redacted(value: &Value) -> serde_json::Value {
            use serde_json::Value as J;
            if value.sensitive {
                return J::Null;
            }
            match &value.kind {
                ValueKind::Null | ValueKind::Unknown(_) => J::Null,
                ValueKind::Bool(b) => J::Bool(*b),
                ValueKind::Number(n) => json_number(*n).unwrap_or(J::Null),
                ValueKind::String(s) => J::String(s.clone()),
                ValueKind::List(v) | ValueKind::Set(v) | ValueKind::Tuple(v) => {
                    J::Array(v.iter().map(redacted).collect())
                }
                ValueKind::Map(m) | ValueKind::Object(m) => {
                    J::Object(m.iter().map(|(k, v)| (k.clone(), redacted(v))).collect())
                }
            }
        }
        PlanValue {
            value: redacted(self),
            unknown: self.unknown_paths(),
            sensitive: self.sensitive_paths(),
        }
    }

    /// A value from JSON: arrays become tuples and objects become objects (convert with
    /// [`Type::conform`] to get lists or maps of a declared type).
    pub fn from_json(json: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match json {
            J::Null => Value::null(),
            J::Bool(b) => Value::bool(*b),
            J::Number(n) => Value::number(n.as_f64().unwrap_or(f64::NAN)),
            J::String(s) => Value::string(s.clone()),
            J::Array(a) => Value::tuple(a.iter().map(Value::from_json)),
            J::Object(o) => Value::object(o.iter().map(|(k, v)| (k.clone(), Value::from_json(v)))),
        }
    }

    /// Displays the value with its sensitive parts shown. Only for places that have
    /// decided to reveal it (tests, `aic output --raw`).
    pub fn revealed(&self) -> Revealed<'_> {
        Revealed(self)
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, reveal: bool) -> fmt::Result {
        if self.sensitive && !reveal {
            return f.write_str("(sensitive)");
        }
        match &self.kind {
            ValueKind::Null => f.write_str("null"),
            ValueKind::Bool(b) => write!(f, "{b}"),
            ValueKind::Number(n) => f.write_str(&format_number(*n)),
            ValueKind::String(s) => f.write_str(&quote_string(s)),
            ValueKind::List(v) | ValueKind::Tuple(v) => write_seq(f, v, reveal),
            ValueKind::Set(v) => {
                f.write_str("toset(")?;
                write_seq(f, v, reveal)?;
                f.write_str(")")
            }
            ValueKind::Map(m) | ValueKind::Object(m) => {
                if m.is_empty() {
                    return f.write_str("{}");
                }
                f.write_str("{ ")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    if is_identifier(k) {
                        f.write_str(k)?;
                    } else {
                        f.write_str(&quote_string(k))?;
                    }
                    f.write_str(" = ")?;
                    v.write(f, reveal)?;
                }
                f.write_str(" }")
            }
            ValueKind::Unknown(_) => f.write_str("(known after apply)"),
        }
    }
}

fn write_seq(f: &mut fmt::Formatter<'_>, values: &[Value], reveal: bool) -> fmt::Result {
    f.write_str("[")?;
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        v.write(f, reveal)?;
    }
    f.write_str("]")
}

fn json_number(n: f64) -> Option<serde_json::Value> {
    if let Some(i) = Value::number(n).as_integer() {
        return Some(serde_json::Value::from(i));
    }
    serde_json::Number::from_f64(n).map(serde_json::Value::Number)
}

/// Renders a number as `.aic` source does: whole numbers without a fraction.
pub fn format_number(n: f64) -> String {
    if n == 0.0 {
        // Covers -0 as well.
        "0".to_owned()
    } else if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e21 {
        format!("{n:.0}")
    } else {
        format!("{n}")
    }
}

/// Renders a string as an `.aic` string literal, escaping quotes, backslashes, control
/// characters and `${`.
pub fn quote_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if chars.peek() == Some(&'{') => out.push_str("$$"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether `s` is an identifier (`[A-Za-z_][A-Za-z0-9_]*`), so it can be written bare as
/// an attribute name.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `Display` prints `.aic` literal syntax; sensitive parts print as `(sensitive)` and
/// unknown parts as `(known after apply)`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, false)
    }
}

/// A value displayed with its sensitive parts shown; see [`Value::revealed`].
pub struct Revealed<'a>(&'a Value);

impl fmt::Display for Revealed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write(f, true)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::bool(b)
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Value {
        Value::number(n)
    }
}

impl From<i32> for Value {
    fn from(n: i32) -> Value {
        Value::number(f64::from(n))
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::string(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::string(s)
    }
}

/// Why a value could not be written as JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToJsonError {
    #[error("the value{} is not known until apply", at(path))]
    Unknown { path: AttrPath },
    #[error("the number{} is not finite", at(path))]
    NotFinite { path: AttrPath },
}

fn at(path: &AttrPath) -> String {
    if path.is_root() {
        String::new()
    } else {
        format!(" at `{path}`")
    }
}

/// A value prepared for a plan: JSON with unknown and sensitive parts set to `null`, and
/// the paths of those parts so renderers can show `(known after apply)` and
/// `(sensitive)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanValue {
    pub value: serde_json::Value,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<AttrPath>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive: Vec<AttrPath>,
}

/// One step of an [`AttrPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathStep {
    /// An object attribute: `.name`.
    Attr(String),
    /// A map key: `["key"]`.
    Key(String),
    /// A list, set or tuple element: `[0]`.
    Index(usize),
}

impl PathStep {
    fn name(&self) -> Option<&str> {
        match self {
            PathStep::Attr(name) | PathStep::Key(name) => Some(name),
            PathStep::Index(_) => None,
        }
    }
}

/// A path to a value inside another, such as `tags["Name"]` or `ingress[0].cidr_blocks`.
/// Displays in `.aic` syntax, parses back with [`FromStr`], and serializes as that string.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttrPath {
    steps: Vec<PathStep>,
}

impl AttrPath {
    /// The empty path, naming the value itself.
    pub fn root() -> AttrPath {
        AttrPath::default()
    }

    pub fn new(steps: Vec<PathStep>) -> AttrPath {
        AttrPath { steps }
    }

    pub fn steps(&self) -> &[PathStep] {
        &self.steps
    }

    pub fn is_root(&self) -> bool {
        self.steps.is_empty()
    }

    pub fn push(&mut self, step: PathStep) {
        self.steps.push(step);
    }

    pub fn pop(&mut self) -> Option<PathStep> {
        self.steps.pop()
    }

    /// This path extended by one step.
    #[must_use]
    pub fn join(&self, step: PathStep) -> AttrPath {
        let mut path = self.clone();
        path.push(step);
        path
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Attr(name) if is_identifier(name) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(name)?;
                }
                PathStep::Attr(name) | PathStep::Key(name) => {
                    write!(f, "[{}]", quote_string(name))?;
                }
                PathStep::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// A malformed attribute path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid attribute path `{input}`: {reason}")]
pub struct ParsePathError {
    pub input: String,
    pub reason: &'static str,
}

impl FromStr for AttrPath {
    type Err = ParsePathError;

    fn from_str(input: &str) -> Result<AttrPath, ParsePathError> {
        let fail = |reason| ParsePathError {
            input: input.to_owned(),
            reason,
        };
        let mut steps = Vec::new();
        let mut rest = input;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('[') {
                if let Some(quoted) = after.strip_prefix('"') {
                    let (key, remaining) = parse_quoted(quoted).ok_or(fail("unterminated key"))?;
                    rest = remaining.strip_prefix(']').ok_or(fail("expected `]`"))?;
                    steps.push(PathStep::Key(key));
                } else {
                    let end = after.find(']').ok_or(fail("expected `]`"))?;
                    let index = after
                        .get(..end)
                        .and_then(|digits| digits.parse().ok())
                        .ok_or(fail("expected an index or a quoted key"))?;
                    rest = after.get(end + 1..).unwrap_or_default();
                    steps.push(PathStep::Index(index));
                }
            } else {
                let name_start = if steps.is_empty() {
                    rest
                } else {
                    rest.strip_prefix('.').ok_or(fail("expected `.` or `[`"))?
                };
                let end = name_start
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(name_start.len());
                let (name, remaining) = name_start.split_at(end);
                if !is_identifier(name) {
                    return Err(fail("expected an attribute name"));
                }
                steps.push(PathStep::Attr(name.to_owned()));
                rest = remaining;
            }
        }
        Ok(AttrPath { steps })
    }
}

/// Parses the rest of a quoted string (after the opening quote) written by
/// [`quote_string`]; returns the string and what follows the closing quote.
fn parse_quoted(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, s.get(i + 1..)?)),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'u' => {
                    let (_, open) = chars.next()?;
                    if open != '{' {
                        return None;
                    }
                    let mut hex = String::new();
                    for (_, h) in chars.by_ref() {
                        if h == '}' {
                            break;
                        }
                        hex.push(h);
                    }
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                other => out.push(other),
            },
            '$' if s.get(i + 1..)?.starts_with("${") => {
                chars.next();
                out.push('$');
            }
            c => out.push(c),
        }
    }
    None
}

impl Serialize for AttrPath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for AttrPath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<AttrPath, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ObjectAttr;

    fn s(v: &str) -> Value {
        Value::string(v)
    }

    fn n(v: f64) -> Value {
        Value::number(v)
    }

    #[test]
    fn numbers_print_without_fraction_when_whole() {
        assert_eq!(n(42.0).to_string(), "42");
        assert_eq!(n(-7.0).to_string(), "-7");
        assert_eq!(n(3.25).to_string(), "3.25");
        assert_eq!(n(1e6).to_string(), "1000000");
        assert_eq!(n(-0.0).to_string(), "0");
        assert_eq!(n(2f64.powi(53)).to_string(), "9007199254740992");
        assert_eq!(n(0.1).to_string(), "0.1");
    }

    #[test]
    fn display_uses_literal_syntax() {
        let v = Value::object([
            ("name", s("web")),
            ("quoted key", n(1.0)),
            ("tags", Value::map([("env", s("prod"))])),
            ("ports", Value::list([n(80.0), n(443.0)])),
            ("zones", Value::set([s("b"), s("a")])),
            ("empty", Value::object(Vec::<(String, Value)>::new())),
            ("nothing", Value::null()),
            ("on", Value::bool(true)),
        ]);
        assert_eq!(
            v.to_string(),
            r#"{ name = "web", "quoted key" = 1, tags = { env = "prod" }, ports = [80, 443], zones = toset(["a", "b"]), empty = {}, nothing = null, on = true }"#
        );
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(
            s("a\"b\\c\nd\te${x}$y").to_string(),
            r#""a\"b\\c\nd\te$${x}$y""#
        );
        assert_eq!(s("\u{1}").to_string(), r#""\u{1}""#);
    }

    #[test]
    fn sensitive_and_unknown_display() {
        let v = Value::object([
            ("password", s("hunter2").mark_sensitive()),
            ("id", Value::unknown(Type::String)),
        ]);
        assert_eq!(
            v.to_string(),
            "{ password = (sensitive), id = (known after apply) }"
        );
        assert_eq!(
            v.revealed().to_string(),
            r#"{ password = "hunter2", id = (known after apply) }"#
        );
        assert_eq!(s("x").mark_sensitive().to_string(), "(sensitive)");
    }

    #[test]
    fn sets_are_sorted_and_deduplicated() {
        let v = Value::set([s("b"), s("a"), s("b").mark_sensitive(), n(1.0)]);
        let elements = v.as_elements().unwrap_or_default();
        assert_eq!(elements.len(), 3);
        assert_eq!(v.to_string(), r#"toset([1, "a", (sensitive)])"#);
        let with_unknown = Value::set([Value::unknown(Type::String), s("a"), s("a")]);
        assert_eq!(with_unknown.as_elements().map(<[Value]>::len), Some(2));
        let via_kind = Value::from_kind(ValueKind::Set(vec![s("z"), s("y"), s("z")]));
        assert_eq!(via_kind.to_string(), r#"toset(["y", "z"])"#);
        // A null element sorts last (as in Terraform) and is kept once.
        let with_null = Value::set([Value::null(), s("b"), Value::null(), s("a")]);
        assert_eq!(with_null.to_string(), r#"toset(["a", "b", null])"#);
        assert_eq!(
            with_null.equals(&Value::set([s("a"), Value::null(), s("b")])),
            Some(true)
        );
    }

    #[test]
    fn marks_propagate_and_are_found_deeply() {
        let v = Value::list([s("a"), Value::map([("k", s("secret").mark_sensitive())])]);
        assert!(!v.is_sensitive());
        assert!(v.contains_sensitive());
        assert_eq!(
            v.sensitive_paths(),
            vec![AttrPath::new(vec![
                PathStep::Index(1),
                PathStep::Key("k".into())
            ])]
        );
        let plain = v.clone().without_marks();
        assert!(!plain.contains_sensitive());
        let mut remarked = plain;
        let path: AttrPath = "[1][\"k\"]".parse().unwrap_or_default();
        assert!(remarked.mark_sensitive_at(&path));
        assert_eq!(remarked, v);
        assert!(!remarked.mark_sensitive_at(&"[7]".parse().unwrap_or_default()));
        assert!(s("x").with_sensitive(true).is_sensitive());
        assert!(!s("x").with_sensitive(false).is_sensitive());
        assert!(s("x").mark_sensitive().with_sensitive(false).is_sensitive());
    }

    #[test]
    fn known_ness() {
        let v = Value::object([("id", Value::unknown(Type::String)), ("n", n(1.0))]);
        assert!(v.is_known());
        assert!(!v.is_wholly_known());
        assert!(!Value::unknown(Type::Number).is_known());
        assert!(Value::list([n(1.0)]).is_wholly_known());
        assert_eq!(
            v.unknown_paths(),
            vec![AttrPath::new(vec![PathStep::Attr("id".into())])]
        );
        assert_eq!(
            Value::unknown(Type::Any).unknown_paths(),
            vec![AttrPath::root()]
        );
    }

    #[test]
    fn accessors() {
        let v = Value::object([("a", Value::tuple([n(1.0), s("x")]))]);
        assert_eq!(
            v.get("a").and_then(|a| a.index(1)).and_then(Value::as_str),
            Some("x")
        );
        assert_eq!(
            v.get_path(&"a[0]".parse().unwrap_or_default())
                .and_then(Value::as_number),
            Some(1.0)
        );
        assert!(v.get("b").is_none());
        assert_eq!(n(3.0).as_integer(), Some(3));
        assert_eq!(n(3.5).as_integer(), None);
        assert_eq!(n(1e300).as_integer(), None);
        assert_eq!(Value::bool(true).as_bool(), Some(true));
        assert!(Value::null().is_null());
        assert_eq!(Value::unknown(Type::Bool).unknown_type(), Some(&Type::Bool));
        assert!(matches!(s("x").into_kind(), ValueKind::String(_)));
        assert!(matches!(n(1.0).kind(), ValueKind::Number(_)));
        assert_eq!(Value::from("a"), s("a"));
        assert_eq!(Value::from(String::from("a")), s("a"));
        assert_eq!(Value::from(2), n(2.0));
        assert_eq!(Value::from(2.5), n(2.5));
        assert_eq!(Value::from(false), Value::bool(false));
    }

    #[test]
    fn type_of_values() {
        assert_eq!(
            Value::list([s("a"), s("b")]).type_of().to_string(),
            "list(string)"
        );
        assert_eq!(
            Value::list([s("a"), n(1.0)]).type_of().to_string(),
            "list(any)"
        );
        assert_eq!(Value::list([]).type_of().to_string(), "list(any)");
        assert_eq!(
            Value::tuple([s("a"), n(1.0)]).type_of().to_string(),
            "tuple([string, number])"
        );
        assert_eq!(
            Value::object([("a", n(1.0))]).type_of(),
            Type::Object(
                [("a".to_owned(), ObjectAttr::required(Type::Number))]
                    .into_iter()
                    .collect()
            )
        );
        assert_eq!(
            Value::map([("a", Value::null())]).type_of().to_string(),
            "map(null)"
        );
        assert_eq!(
            Value::set([Value::bool(true)]).type_of().to_string(),
            "set(bool)"
        );
        assert_eq!(Value::unknown(Type::Number).type_of(), Type::Number);
        assert_eq!(Value::null().type_of(), Type::Null);
    }

    #[test]
    fn equality_is_three_valued() {
        assert_eq!(n(1.0).equals(&n(1.0)), Some(true));
        assert_eq!(n(1.0).equals(&s("1")), Some(false));
        assert_eq!(s("a").mark_sensitive().equals(&s("a")), Some(true));
        assert_eq!(
            Value::list([n(1.0)]).equals(&Value::tuple([n(1.0)])),
            Some(true)
        );
        assert_eq!(
            Value::list([n(1.0), Value::unknown(Type::Number)])
                .equals(&Value::list([n(2.0), n(3.0)])),
            Some(false)
        );
        assert_eq!(
            Value::list([n(1.0), Value::unknown(Type::Number)])
                .equals(&Value::list([n(1.0), n(3.0)])),
            None
        );
        assert_eq!(Value::list([n(1.0)]).equals(&Value::list([])), Some(false));
        assert_eq!(
            Value::map([("a", n(1.0))]).equals(&Value::object([("a", n(1.0))])),
            Some(true)
        );
        assert_eq!(
            Value::map([("a", n(1.0))]).equals(&Value::map([("b", n(1.0))])),
            Some(false)
        );
        assert_eq!(
            Value::set([s("a"), s("b")]).equals(&Value::set([s("b"), s("a")])),
            Some(true)
        );
        assert_eq!(
            Value::set([s("a"), Value::unknown(Type::String)]).equals(&Value::set([s("a")])),
            None
        );
        assert_eq!(Value::unknown(Type::String).equals(&s("a")), None);
        assert_eq!(Value::null().equals(&Value::null()), Some(true));
        assert_eq!(Value::bool(true).equals(&Value::bool(false)), Some(false));
    }

    #[test]
    fn total_order() {
        let mut values = vec![
            s("b"),
            Value::unknown(Type::String),
            Value::object([("a", n(1.0))]),
            n(10.0),
            Value::null(),
            n(2.0),
            Value::list([n(1.0)]),
            Value::bool(false),
            s("a"),
            Value::set([n(1.0)]),
        ];
        values.sort_by(Value::total_cmp);
        let printed: Vec<String> = values.iter().map(ToString::to_string).collect();
        assert_eq!(
            printed,
            vec![
                "null",
                "false",
                "2",
                "10",
                "\"a\"",
                "\"b\"",
                "[1]",
                "toset([1])",
                "{ a = 1 }",
                "(known after apply)"
            ]
        );
        assert_eq!(
            Value::object([("a", n(1.0))]).total_cmp(&Value::object([("a", n(2.0))])),
            Ordering::Less
        );
        assert_eq!(
            Value::list([n(1.0)]).total_cmp(&Value::list([n(1.0), n(0.0)])),
            Ordering::Less
        );
    }

    #[test]
    fn json_round_trip() {
        let json = serde_json::json!({
            "name": "web", "count": 3, "ratio": 0.5, "on": true, "none": null,
            "list": [1, "a"], "nested": {"k": "v"}
        });
        let v = Value::from_json(&json);
        assert_eq!(
            v.get("list")
                .map(Value::type_of)
                .map(|t| t.to_string())
                .as_deref(),
            Some("tuple([number, string])")
        );
        assert_eq!(v.to_json(), Ok(json.clone()));
        let text = serde_json::to_string(&v.to_json().unwrap_or_default()).unwrap_or_default();
        assert!(text.contains("\"count\":3"), "{text}");
        assert_eq!(
            Value::set([s("b"), s("a")]).to_json(),
            Ok(serde_json::json!(["a", "b"]))
        );
    }

    #[test]
    fn json_refuses_unknowns_and_non_finite_numbers() {
        let v = Value::object([("ids", Value::list([s("a"), Value::unknown(Type::String)]))]);
        let err = v.to_json().err();
        assert_eq!(
            err.as_ref().map(ToString::to_string).as_deref(),
            Some("the value at `ids[1]` is not known until apply")
        );
        assert_eq!(
            n(f64::INFINITY).to_json(),
            Err(ToJsonError::NotFinite {
                path: AttrPath::root()
            })
        );
        assert_eq!(
            Value::unknown(Type::Any)
                .to_json()
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("the value is not known until apply")
        );
    }

    #[test]
    fn plan_json_redacts_and_lists_paths() {
        let v = Value::object([
            ("id", Value::unknown(Type::String)),
            ("password", s("hunter2").mark_sensitive()),
            ("tags", Value::map([("Name", s("web"))])),
        ]);
        let plan = v.to_plan_json();
        assert_eq!(
            plan.value,
            serde_json::json!({"id": null, "password": null, "tags": {"Name": "web"}})
        );
        let text = serde_json::to_value(&plan).unwrap_or_default();
        assert_eq!(
            text,
            serde_json::json!({
                "value": {"id": null, "password": null, "tags": {"Name": "web"}},
                "unknown": ["id"],
                "sensitive": ["password"]
            })
        );
        let back: PlanValue = serde_json::from_value(text).unwrap_or_else(|_| plan.clone());
        assert_eq!(back, plan);
    }

    #[test]
    fn attr_paths_display_and_parse() {
        let path = AttrPath::new(vec![
            PathStep::Attr("ingress".into()),
            PathStep::Index(0),
            PathStep::Attr("cidr".into()),
            PathStep::Key("a \"b\"".into()),
            PathStep::Attr("not ident".into()),
        ]);
        let text = path.to_string();
        assert_eq!(text, r#"ingress[0].cidr["a \"b\""]["not ident"]"#);
        let parsed: Result<AttrPath, _> = text.parse();
        let expected = AttrPath::new(vec![
            PathStep::Attr("ingress".into()),
            PathStep::Index(0),
            PathStep::Attr("cidr".into()),
            PathStep::Key("a \"b\"".into()),
            PathStep::Key("not ident".into()),
        ]);
        assert_eq!(parsed, Ok(expected));
        assert_eq!("".parse::<AttrPath>(), Ok(AttrPath::root()));
        assert_eq!(
            r#"["$${x}\n"]"#.parse::<AttrPath>(),
            Ok(AttrPath::new(vec![PathStep::Key("${x}\n".into())]))
        );
        assert!("a..b".parse::<AttrPath>().is_err());
        assert!("a[".parse::<AttrPath>().is_err());
        assert!("a[x]".parse::<AttrPath>().is_err());
        assert!("a[\"x".parse::<AttrPath>().is_err());
        assert!("1a".parse::<AttrPath>().is_err());
        let err = "a b".parse::<AttrPath>().err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("invalid attribute path `a b`: expected `.` or `[`")
        );
        let mut p = AttrPath::root();
        p.push(PathStep::Attr("a".into()));
        assert_eq!(p.join(PathStep::Index(2)).to_string(), "a[2]");
        assert_eq!(p.pop(), Some(PathStep::Attr("a".into())));
        assert!(p.is_root());
    }

    #[test]
    fn identifiers() {
        assert!(is_identifier("a_1"));
        assert!(is_identifier("_x"));
        assert!(!is_identifier("1a"));
        assert!(!is_identifier(""));
        assert!(!is_identifier("a-b"));
    }
}
