//! The resolved type model of the `.aic` language (spec §3.4).
//!
//! A [`Type`] is what a type expression means once named types are resolved: there is no
//! "named type" here. This module owns assignability between types
//! ([`Type::assignable_from`]), the check and conversion of a value against a declared
//! type ([`Type::conform`], [`Type::accepts_value`]), and the inference of a common type
//! ([`Type::unify`]). It must not know about syntax or spans: callers attach those to a
//! [`TypeMismatch`].
//!
//! Assignability is structural and performs no implicit conversion between primitives
//! (a number is not a string). The collection conversions it does allow are lossless:
//! a tuple to a list, an object to a map, a list or tuple to a set (duplicates merged),
//! and an object with more attributes to an object type that names fewer (the extra
//! attributes are dropped by [`Type::conform`]). `null` fits every type, and `any` fits
//! both ways.

use std::fmt;

use indexmap::IndexMap;

use crate::value::{quote_string, AttrPath, PathStep, Value, ValueKind};

/// A resolved type.
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    String,
    Number,
    Bool,
    /// Any type; checked when the value is known.
    Any,
    /// The type of the `null` literal, assignable to every type.
    Null,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(IndexMap<String, ObjectAttr>),
    Tuple(Vec<Type>),
    /// A union of string literals (`"a" | "b"`); a single literal is a union of one.
    StringUnion(Vec<String>),
}

/// One attribute of an object type.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectAttr {
    pub ty: Type,
    /// Whether the attribute may be left out (`optional(T)`).
    pub optional: bool,
    /// The value used when an optional attribute is left out or null.
    pub default: Option<Value>,
}

impl ObjectAttr {
    /// A required attribute.
    pub fn required(ty: Type) -> ObjectAttr {
        ObjectAttr {
            ty,
            optional: false,
            default: None,
        }
    }

    /// `optional(T)`: null when left out.
    pub fn optional(ty: Type) -> ObjectAttr {
        ObjectAttr {
            ty,
            optional: true,
            default: None,
        }
    }

    /// `optional(T, default)`.
    pub fn optional_with_default(ty: Type, default: Value) -> ObjectAttr {
        ObjectAttr {
            ty,
            optional: true,
            default: Some(default),
        }
    }
}

impl Type {
    pub fn list(element: Type) -> Type {
        Type::List(Box::new(element))
    }

    pub fn set(element: Type) -> Type {
        Type::Set(Box::new(element))
    }

    pub fn map(element: Type) -> Type {
        Type::Map(Box::new(element))
    }

    pub fn object<K: Into<String>>(attrs: impl IntoIterator<Item = (K, ObjectAttr)>) -> Type {
        Type::Object(attrs.into_iter().map(|(k, a)| (k.into(), a)).collect())
    }

    /// A union of string literals, deduplicated, in the order given.
    pub fn string_union<S: Into<String>>(members: impl IntoIterator<Item = S>) -> Type {
        let mut out: Vec<String> = Vec::new();
        for member in members {
            let member = member.into();
            if !out.contains(&member) {
                out.push(member);
            }
        }
        Type::StringUnion(out)
    }

    /// The element type of a list, set or map; the common element type of a tuple or an
    /// object (`any` when there is none); `any` for `any`. `None` for primitives.
    pub fn element_type(&self) -> Option<Type> {
        match self {
            Type::List(t) | Type::Set(t) | Type::Map(t) => Some((**t).clone()),
            Type::Tuple(ts) => Some(Type::unify_all(ts).unwrap_or(Type::Any)),
            Type::Object(attrs) => {
                Some(Type::unify_all(attrs.values().map(|a| &a.ty)).unwrap_or(Type::Any))
            }
            Type::Any => Some(Type::Any),
            _ => None,
        }
    }

    /// Whether a value of type `found` may be used where `self` is expected.
    ///
    /// A `string` is never assignable to a union of literals here, since its value is not
    /// known statically; check a known value with [`Type::accepts_value`].
    pub fn assignable_from(&self, found: &Type) -> bool {
        use Type as T;
        match (self, found) {
            (T::Any, _) | (_, T::Any | T::Null) => true,
            (T::String, T::String | T::StringUnion(_))
            | (T::Number, T::Number)
            | (T::Bool, T::Bool) => true,
            (T::StringUnion(allowed), T::StringUnion(members)) => {
                members.iter().all(|m| allowed.contains(m))
            }
            (T::List(e), T::List(f))
            | (T::Set(e), T::Set(f) | T::List(f))
            | (T::Map(e), T::Map(f)) => e.assignable_from(f),
            (T::List(e) | T::Set(e), T::Tuple(fs)) => fs.iter().all(|f| e.assignable_from(f)),
            (T::Map(e), T::Object(attrs)) => attrs.values().all(|a| e.assignable_from(&a.ty)),
            (T::Object(expected), T::Object(found)) => {
                expected.iter().all(|(name, attr)| match found.get(name) {
                    Some(f) => attr.ty.assignable_from(&f.ty),
                    None => attr.optional,
                })
            }
            (T::Tuple(es), T::Tuple(fs)) => {
                es.len() == fs.len() && es.iter().zip(fs).all(|(e, f)| e.assignable_from(f))
            }
            _ => false,
        }
    }

    /// Checks a value against this type; the error points at the offending element.
    pub fn accepts_value(&self, value: &Value) -> Result<(), TypeMismatch> {
        self.conform(value).map(|_| ())
    }

    /// Converts a value to this type: tuples to lists, objects to maps, lists to sets,
    /// objects to the declared object type (defaults of left-out optional attributes
    /// filled in, extra attributes dropped). Unknowns become unknowns of this type; marks
    /// are kept. An unknown string is accepted where a union of literals is expected (its
    /// membership is checked once it is known).
    pub fn conform(&self, value: &Value) -> Result<Value, TypeMismatch> {
        self.conform_at(value, &mut AttrPath::root())
    }

    fn conform_at(&self, value: &Value, path: &mut AttrPath) -> Result<Value, TypeMismatch> {
        use Type as T;
        use ValueKind as K;
        let sensitive = value.is_sensitive();
        let mismatch = |path: &AttrPath| TypeMismatch {
            path: path.clone(),
            kind: Box::new(MismatchKind::WrongType {
                expected: self.clone(),
                found: value.type_of(),
            }),
        };
        let converted = match (self, value.kind()) {
            (_, K::Unknown(found)) => {
                let deferred = matches!((self, found), (T::StringUnion(_), T::String));
                if !(self.assignable_from(found) || deferred) {
                    return Err(mismatch(path));
                }
                Value::unknown(self.converted_type(found))
            }
            (T::Any, _) | (_, K::Null) => return Ok(value.clone()),
            (T::String, K::String(_)) | (T::Number, K::Number(_)) | (T::Bool, K::Bool(_)) => {
                return Ok(value.clone())
            }
            (T::StringUnion(allowed), K::String(s)) => {
                if allowed.contains(s) {
                    return Ok(value.clone());
                }
                return Err(TypeMismatch {
                    path: path.clone(),
                    kind: Box::new(MismatchKind::NotAMember {
                        value: if sensitive { None } else { Some(s.clone()) },
                        allowed: allowed.clone(),
                    }),
                });
            }
            (T::List(e), K::List(items) | K::Tuple(items)) => {
                Value::list(conform_elements(e, items, path)?)
            }
            (T::Set(e), K::List(items) | K::Tuple(items) | K::Set(items)) => {
                Value::set(conform_elements(e, items, path)?)
            }
            (T::Tuple(es), K::List(items) | K::Tuple(items)) => {
                if es.len() != items.len() {
                    return Err(TypeMismatch {
                        path: path.clone(),
                        kind: Box::new(MismatchKind::WrongLength {
                            expected: es.len(),
                            found: items.len(),
                        }),
                    });
                }
                let mut out = Vec::with_capacity(items.len());
                for (i, (e, item)) in es.iter().zip(items).enumerate() {
                    path.push(PathStep::Index(i));
                    out.push(e.conform_at(item, path)?);
                    path.pop();
                }
                Value::tuple(out)
            }
            (T::Map(e), K::Map(entries) | K::Object(entries)) => {
                let is_object = matches!(value.kind(), K::Object(_));
                let mut out = IndexMap::with_capacity(entries.len());
                for (k, v) in entries {
                    path.push(step_for(is_object, k));
                    out.insert(k.clone(), e.conform_at(v, path)?);
                    path.pop();
                }
                Value::map(out)
            }
            (T::Object(attrs), K::Map(entries) | K::Object(entries)) => {
                let is_object = matches!(value.kind(), K::Object(_));
                let mut out = IndexMap::with_capacity(attrs.len());
                for (name, attr) in attrs {
                    let given = entries.get(name).filter(|v| !v.is_null());
                    let converted = match (given, &attr.default) {
                        (Some(v), _) => {
                            path.push(step_for(is_object, name));
                            let converted = attr.ty.conform_at(v, path)?;
                            path.pop();
                            converted
                        }
                        (None, Some(default)) => default.clone(),
                        (None, None) if attr.optional || entries.contains_key(name) => {
                            Value::null()
                        }
                        (None, None) => {
                            return Err(TypeMismatch {
                                path: path.clone(),
                                kind: Box::new(MismatchKind::MissingAttribute {
                                    name: name.clone(),
                                    expected: attr.ty.clone(),
                                }),
                            })
                        }
                    };
                    out.insert(name.clone(), converted);
                }
                Value::object(out)
            }
            _ => return Err(mismatch(path)),
        };
        Ok(converted.with_sensitive(sensitive))
    }

    /// The type a value of type `found` has once converted to this type: this type, with
    /// its `any` parts filled in from `found` (`list(any)` from `tuple([number])` is
    /// `list(number)`).
    fn converted_type(&self, found: &Type) -> Type {
        use Type as T;
        let common =
            |types: &mut dyn Iterator<Item = &Type>| Type::unify_all(types).unwrap_or(T::Any);
        match (self, found) {
            (T::Any, _) => found.clone(),
            (T::List(e), T::List(f)) => T::list(e.converted_type(f)),
            (T::List(e), T::Tuple(fs)) => T::list(e.converted_type(&common(&mut fs.iter()))),
            (T::Set(e), T::List(f) | T::Set(f)) => T::set(e.converted_type(f)),
            (T::Set(e), T::Tuple(fs)) => T::set(e.converted_type(&common(&mut fs.iter()))),
            (T::Map(e), T::Map(f)) => T::map(e.converted_type(f)),
            (T::Map(e), T::Object(attrs)) => {
                T::map(e.converted_type(&common(&mut attrs.values().map(|a| &a.ty))))
            }
            (T::Object(expected), T::Object(found)) => T::Object(
                expected
                    .iter()
                    .map(|(name, attr)| {
                        let ty = match found.get(name) {
                            Some(f) => attr.ty.converted_type(&f.ty),
                            None => attr.ty.clone(),
                        };
                        (name.clone(), ObjectAttr { ty, ..attr.clone() })
                    })
                    .collect(),
            ),
            (T::Tuple(es), T::Tuple(fs)) if es.len() == fs.len() => T::Tuple(
                es.iter()
                    .zip(fs)
                    .map(|(e, f)| e.converted_type(f))
                    .collect(),
            ),
            _ => self.clone(),
        }
    }

    /// The most specific type that both types are assignable to, if there is one without
    /// an implicit conversion. Used to infer the element type of list literals, the result
    /// of conditionals, and the like.
    pub fn unify(&self, other: &Type) -> Option<Type> {
        use Type as T;
        if self == other {
            return Some(self.clone());
        }
        Some(match (self, other) {
            (T::Any, _) | (_, T::Any) => T::Any,
            (T::Null, t) | (t, T::Null) => t.clone(),
            (T::StringUnion(a), T::StringUnion(b)) => {
                Type::string_union(a.iter().chain(b).cloned())
            }
            (T::String, T::StringUnion(_)) | (T::StringUnion(_), T::String) => T::String,
            (T::List(a), T::List(b)) => T::list(a.unify(b)?),
            (T::Set(a), T::Set(b)) => T::set(a.unify(b)?),
            (T::Map(a), T::Map(b)) => T::map(a.unify(b)?),
            (T::Tuple(a), T::Tuple(b)) if a.len() == b.len() => T::Tuple(
                a.iter()
                    .zip(b)
                    .map(|(x, y)| x.unify(y))
                    .collect::<Option<_>>()?,
            ),
            (T::List(e), T::Tuple(ts)) | (T::Tuple(ts), T::List(e)) => {
                T::list(ts.iter().try_fold((**e).clone(), |acc, t| acc.unify(t))?)
            }
            (T::Object(a), T::Object(b)) => {
                if a.len() != b.len() || a.keys().any(|k| !b.contains_key(k)) {
                    return None;
                }
                let mut out = IndexMap::with_capacity(a.len());
                for (name, attr) in a {
                    let other = b.get(name)?;
                    out.insert(
                        name.clone(),
                        ObjectAttr {
                            ty: attr.ty.unify(&other.ty)?,
                            optional: attr.optional && other.optional,
                            default: None,
                        },
                    );
                }
                T::Object(out)
            }
            (T::Map(e), T::Object(attrs)) | (T::Object(attrs), T::Map(e)) => T::map(
                attrs
                    .values()
                    .try_fold((**e).clone(), |acc, a| acc.unify(&a.ty))?,
            ),
            _ => return None,
        })
    }

    /// The common type of all the given types (`None` for no types or when two do not
    /// unify).
    pub fn unify_all<'a>(types: impl IntoIterator<Item = &'a Type>) -> Option<Type> {
        let mut types = types.into_iter();
        let first = types.next()?.clone();
        types.try_fold(first, |acc, t| acc.unify(t))
    }
}

fn step_for(is_object: bool, name: &str) -> PathStep {
    if is_object {
        PathStep::Attr(name.to_owned())
    } else {
        PathStep::Key(name.to_owned())
    }
}

fn conform_elements(
    element: &Type,
    items: &[Value],
    path: &mut AttrPath,
) -> Result<Vec<Value>, TypeMismatch> {
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        path.push(PathStep::Index(i));
        out.push(element.conform_at(item, path)?);
        path.pop();
    }
    Ok(out)
}

/// `Display` uses `.aic` type syntax: `list(string)`,
/// `object({ name: string, size: optional(number, 1) })`, `"a" | "b"`.
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::String => f.write_str("string"),
            Type::Number => f.write_str("number"),
            Type::Bool => f.write_str("bool"),
            Type::Any => f.write_str("any"),
            Type::Null => f.write_str("null"),
            Type::List(t) => write!(f, "list({t})"),
            Type::Set(t) => write!(f, "set({t})"),
            Type::Map(t) => write!(f, "map({t})"),
            Type::Object(attrs) => {
                if attrs.is_empty() {
                    return f.write_str("object({})");
                }
                f.write_str("object({ ")?;
                for (i, (name, attr)) in attrs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    if crate::value::is_identifier(name) {
                        write!(f, "{name}: ")?;
                    } else {
                        write!(f, "{}: ", quote_string(name))?;
                    }
                    match (&attr.default, attr.optional) {
                        (Some(default), _) => write!(f, "optional({}, {default})", attr.ty)?,
                        (None, true) => write!(f, "optional({})", attr.ty)?,
                        (None, false) => write!(f, "{}", attr.ty)?,
                    }
                }
                f.write_str(" })")
            }
            Type::Tuple(ts) => {
                f.write_str("tuple([")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str("])")
            }
            Type::StringUnion(members) => {
                for (i, m) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" | ")?;
                    }
                    f.write_str(&quote_string(m))?;
                }
                Ok(())
            }
        }
    }
}

/// A value that does not fit a type, with the path to the offending element.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeMismatch {
    /// Where inside the checked value the problem is (empty: the value itself).
    pub path: AttrPath,
    /// Boxed to keep `Result<_, TypeMismatch>` small.
    pub kind: Box<MismatchKind>,
}

/// What exactly does not fit.
#[derive(Debug, Clone, PartialEq)]
pub enum MismatchKind {
    WrongType {
        expected: Type,
        found: Type,
    },
    /// A string that is not one of the union's literals; `value` is `None` when the string
    /// is sensitive.
    NotAMember {
        value: Option<String>,
        allowed: Vec<String>,
    },
    MissingAttribute {
        name: String,
        expected: Type,
    },
    WrongLength {
        expected: usize,
        found: usize,
    },
}

impl fmt::Display for TypeMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.path.is_root() {
            write!(f, "at `{}`: ", self.path)?;
        }
        match &*self.kind {
            MismatchKind::WrongType { expected, found } => {
                write!(f, "expected {expected}, found {found}")
            }
            MismatchKind::NotAMember { value, allowed } => {
                match value {
                    Some(value) => write!(f, "{} is not one of ", quote_string(value))?,
                    None => f.write_str("(sensitive) is not one of ")?,
                }
                write!(f, "{}", Type::StringUnion(allowed.clone()))
            }
            MismatchKind::MissingAttribute { name, expected } => {
                write!(f, "missing required attribute `{name}` of type {expected}")
            }
            MismatchKind::WrongLength { expected, found } => {
                write!(f, "expected a tuple of {expected} elements, found {found}")
            }
        }
    }
}

impl std::error::Error for TypeMismatch {}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::string(v)
    }

    fn n(v: f64) -> Value {
        Value::number(v)
    }

    fn tier() -> Type {
        Type::object([
            ("name", ObjectAttr::required(Type::String)),
            ("size", ObjectAttr::required(Type::Number)),
            (
                "public",
                ObjectAttr::optional_with_default(Type::Bool, Value::bool(false)),
            ),
        ])
    }

    fn region() -> Type {
        Type::string_union(["us-east-1", "eu-west-1", "us-east-1"])
    }

    #[test]
    fn display() {
        assert_eq!(Type::list(Type::String).to_string(), "list(string)");
        assert_eq!(Type::set(Type::Number).to_string(), "set(number)");
        assert_eq!(Type::map(Type::Any).to_string(), "map(any)");
        assert_eq!(Type::Null.to_string(), "null");
        assert_eq!(Type::Bool.to_string(), "bool");
        assert_eq!(
            tier().to_string(),
            "object({ name: string, size: number, public: optional(bool, false) })"
        );
        assert_eq!(
            Type::object([
                ("a b", ObjectAttr::optional(Type::String)),
                (
                    "size",
                    ObjectAttr::optional_with_default(Type::Number, n(1.0))
                ),
            ])
            .to_string(),
            r#"object({ "a b": optional(string), size: optional(number, 1) })"#
        );
        assert_eq!(
            Type::object(Vec::<(String, ObjectAttr)>::new()).to_string(),
            "object({})"
        );
        assert_eq!(
            Type::Tuple(vec![Type::String, Type::Number]).to_string(),
            "tuple([string, number])"
        );
        assert_eq!(region().to_string(), r#""us-east-1" | "eu-west-1""#);
        assert_eq!(Type::string_union(["a"]).to_string(), r#""a""#);
        assert_eq!(
            Type::list(region()).to_string(),
            r#"list("us-east-1" | "eu-west-1")"#
        );
    }

    #[test]
    fn primitives_have_no_implicit_conversion() {
        assert!(Type::String.assignable_from(&Type::String));
        assert!(!Type::String.assignable_from(&Type::Number));
        assert!(!Type::Number.assignable_from(&Type::String));
        assert!(!Type::Bool.assignable_from(&Type::String));
        assert!(Type::Number.assignable_from(&Type::Null));
        assert!(Type::Any.assignable_from(&Type::list(Type::Number)));
        assert!(Type::Number.assignable_from(&Type::Any));
        assert!(!Type::Null.assignable_from(&Type::Number));
    }

    #[test]
    fn string_unions() {
        assert!(Type::String.assignable_from(&region()));
        assert!(!region().assignable_from(&Type::String));
        assert!(region().assignable_from(&Type::string_union(["eu-west-1"])));
        assert!(!region().assignable_from(&Type::string_union(["af-south-1"])));
        assert_eq!(region().accepts_value(&s("eu-west-1")), Ok(()));
        let err = region().accepts_value(&s("mars-1")).err();
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some(r#""mars-1" is not one of "us-east-1" | "eu-west-1""#)
        );
        let secret = region().accepts_value(&s("mars-1").mark_sensitive()).err();
        assert_eq!(
            secret.map(|e| e.to_string()).as_deref(),
            Some(r#"(sensitive) is not one of "us-east-1" | "eu-west-1""#)
        );
        // Membership of an unknown string is checked once it is known.
        assert_eq!(
            region().accepts_value(&Value::unknown(Type::String)),
            Ok(())
        );
        assert!(region().accepts_value(&n(1.0)).is_err());
    }

    #[test]
    fn collections() {
        let list_s = Type::list(Type::String);
        assert!(list_s.assignable_from(&Type::list(Type::String)));
        assert!(!list_s.assignable_from(&Type::list(Type::Number)));
        assert!(list_s.assignable_from(&Type::Tuple(vec![Type::String, region()])));
        assert!(!list_s.assignable_from(&Type::Tuple(vec![Type::String, Type::Number])));
        assert!(!list_s.assignable_from(&Type::set(Type::String)));
        assert!(Type::set(Type::String).assignable_from(&list_s));
        assert!(Type::set(Type::String).assignable_from(&Type::Tuple(vec![Type::String])));
        assert!(Type::map(Type::Number)
            .assignable_from(&Type::object([("a", ObjectAttr::required(Type::Number))])));
        assert!(!Type::map(Type::Number)
            .assignable_from(&Type::object([("a", ObjectAttr::required(Type::String))])));
        assert!(!Type::map(Type::Number).assignable_from(&list_s));
        let pair = Type::Tuple(vec![Type::String, Type::Number]);
        assert!(pair.assignable_from(&Type::Tuple(vec![Type::String, Type::Number])));
        assert!(!pair.assignable_from(&Type::Tuple(vec![Type::String])));
        assert!(!pair.assignable_from(&Type::list(Type::String)));
    }

    #[test]
    fn objects() {
        let found = Type::object([
            ("name", ObjectAttr::required(Type::String)),
            ("size", ObjectAttr::required(Type::Number)),
            ("extra", ObjectAttr::required(Type::Bool)),
        ]);
        assert!(tier().assignable_from(&found));
        let missing = Type::object([("name", ObjectAttr::required(Type::String))]);
        assert!(!tier().assignable_from(&missing));
        let wrong = Type::object([
            ("name", ObjectAttr::required(Type::String)),
            ("size", ObjectAttr::required(Type::String)),
        ]);
        assert!(!tier().assignable_from(&wrong));
        assert!(!tier().assignable_from(&Type::map(Type::String)));
    }

    #[test]
    fn conform_fills_defaults_and_drops_extras() {
        let v = Value::object([("size", n(2.0)), ("name", s("web")), ("extra", n(1.0))]);
        let converted = tier().conform(&v);
        assert_eq!(
            converted.map(|v| v.to_string()).as_deref(),
            Ok(r#"{ name = "web", size = 2, public = false }"#)
        );
        let explicit_null = Value::object([
            ("name", s("web")),
            ("size", n(2.0)),
            ("public", Value::null()),
        ]);
        assert_eq!(
            tier()
                .conform(&explicit_null)
                .ok()
                .and_then(|v| v.get("public").cloned()),
            Some(Value::bool(false))
        );
        let optional = Type::object([("a", ObjectAttr::optional(Type::String))]);
        assert_eq!(
            optional
                .conform(&Value::map(Vec::<(String, Value)>::new()))
                .map(|v| v.to_string())
                .as_deref(),
            Ok("{ a = null }")
        );
        // A map with the right keys fits an object type.
        let from_map = tier().conform(&Value::map([("name", s("x")), ("size", n(1.0))]));
        assert!(from_map.is_ok());
    }

    #[test]
    fn conform_reports_the_path_of_the_problem() {
        let t = Type::map(Type::list(tier()));
        let v = Value::object([(
            "web",
            Value::tuple([
                Value::object([("name", s("a")), ("size", n(1.0))]),
                Value::object([("name", s("b")), ("size", s("large"))]),
            ]),
        )]);
        let err = t.accepts_value(&v).err();
        assert_eq!(
            err.as_ref().map(ToString::to_string).as_deref(),
            Some("at `web[1].size`: expected number, found string")
        );
        let missing = t.accepts_value(&Value::map([(
            "db",
            Value::list([Value::object([("name", s("a"))])]),
        )]));
        assert_eq!(
            missing.err().map(|e| e.to_string()).as_deref(),
            Some(r#"at `["db"][0]`: missing required attribute `size` of type number"#)
        );
        let pair = Type::Tuple(vec![Type::String, Type::Number]);
        assert_eq!(
            pair.accepts_value(&Value::tuple([s("a")]))
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("expected a tuple of 2 elements, found 1")
        );
        assert_eq!(
            pair.accepts_value(&Value::list([s("a"), s("b")]))
                .err()
                .map(|e| e.path.to_string())
                .as_deref(),
            Some("[1]")
        );
        assert_eq!(
            Type::Number
                .accepts_value(&s("1"))
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("expected number, found string")
        );
    }

    #[test]
    fn conform_converts_collections() {
        let tuple = Value::tuple([s("b"), s("a"), s("b")]);
        assert_eq!(
            Type::list(Type::String)
                .conform(&tuple)
                .map(|v| v.to_string())
                .as_deref(),
            Ok(r#"["b", "a", "b"]"#)
        );
        assert_eq!(
            Type::set(Type::String)
                .conform(&tuple)
                .map(|v| v.to_string())
                .as_deref(),
            Ok(r#"toset(["a", "b"])"#)
        );
        assert!(Type::list(Type::String)
            .conform(&Value::set([s("a")]))
            .is_err());
        let obj = Value::object([("a", n(1.0))]);
        assert!(matches!(
            Type::map(Type::Number).conform(&obj).map(Value::into_kind),
            Ok(ValueKind::Map(_))
        ));
        assert_eq!(
            Type::map(Type::Number)
                .accepts_value(&Value::object([("a", s("x"))]))
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("at `a`: expected number, found string")
        );
        assert_eq!(
            Type::Tuple(vec![Type::Number])
                .conform(&Value::list([n(1.0)]))
                .map(|v| v.type_of()),
            Ok(Type::Tuple(vec![Type::Number]))
        );
        assert_eq!(Type::Any.conform(&obj), Ok(obj.clone()));
        assert_eq!(Type::Number.conform(&Value::null()), Ok(Value::null()));
    }

    #[test]
    fn conform_keeps_marks_and_unknowns() {
        let secret = Value::tuple([s("a")]).mark_sensitive();
        let converted = Type::list(Type::String).conform(&secret);
        assert_eq!(converted.as_ref().map(Value::is_sensitive), Ok(true));
        let inner = Value::tuple([s("a").mark_sensitive()]);
        assert_eq!(
            Type::list(Type::String)
                .conform(&inner)
                .map(|v| v.contains_sensitive()),
            Ok(true)
        );
        let unknown = Value::unknown(Type::Tuple(vec![Type::String]));
        assert_eq!(
            Type::list(Type::String).conform(&unknown),
            Ok(Value::unknown(Type::list(Type::String)))
        );
        assert_eq!(
            Type::Any.conform(&Value::unknown(Type::Number)),
            Ok(Value::unknown(Type::Number))
        );
        assert!(Type::String.conform(&Value::unknown(Type::Number)).is_err());
        assert_eq!(
            Type::String.conform(&Value::unknown(Type::Any)),
            Ok(Value::unknown(Type::String))
        );
        // `any` parts of the target take the unknown's more precise type.
        let cases = [
            (
                Type::list(Type::Any),
                Type::Tuple(vec![Type::Number]),
                "list(number)",
            ),
            (Type::list(Type::Any), Type::list(Type::Bool), "list(bool)"),
            (Type::set(Type::Any), Type::list(Type::Bool), "set(bool)"),
            (
                Type::set(Type::Any),
                Type::Tuple(vec![Type::Bool]),
                "set(bool)",
            ),
            (Type::map(Type::Any), Type::map(Type::Bool), "map(bool)"),
            (
                Type::map(Type::Any),
                Type::object([("a", ObjectAttr::required(Type::Number))]),
                "map(number)",
            ),
            (
                Type::object([
                    ("a", ObjectAttr::required(Type::Any)),
                    ("b", ObjectAttr::optional(Type::Any)),
                ]),
                Type::object([("a", ObjectAttr::required(Type::Number))]),
                "object({ a: number, b: optional(any) })",
            ),
            (
                Type::Tuple(vec![Type::Any]),
                Type::Tuple(vec![Type::String]),
                "tuple([string])",
            ),
            (Type::list(Type::String), Type::Any, "list(string)"),
        ];
        for (target, found, expected) in cases {
            let converted = target.conform(&Value::unknown(found));
            assert_eq!(
                converted
                    .ok()
                    .and_then(|v| v.unknown_type().map(ToString::to_string))
                    .as_deref(),
                Some(expected)
            );
        }
    }

    #[test]
    fn unify() {
        assert_eq!(Type::String.unify(&Type::String), Some(Type::String));
        assert_eq!(Type::String.unify(&Type::Number), None);
        assert_eq!(Type::Null.unify(&Type::Number), Some(Type::Number));
        assert_eq!(Type::Number.unify(&Type::Any), Some(Type::Any));
        assert_eq!(
            Type::string_union(["a"]).unify(&Type::string_union(["b", "a"])),
            Some(Type::string_union(["a", "b"]))
        );
        assert_eq!(
            Type::string_union(["a"]).unify(&Type::String),
            Some(Type::String)
        );
        assert_eq!(
            Type::list(Type::Null).unify(&Type::list(Type::Number)),
            Some(Type::list(Type::Number))
        );
        assert_eq!(
            Type::list(Type::String).unify(&Type::list(Type::Number)),
            None
        );
        assert_eq!(
            Type::list(Type::String).unify(&Type::Tuple(vec![])),
            Some(Type::list(Type::String))
        );
        assert_eq!(
            Type::Tuple(vec![Type::String]).unify(&Type::Tuple(vec![Type::Null])),
            Some(Type::Tuple(vec![Type::String]))
        );
        assert_eq!(
            Type::Tuple(vec![Type::String]).unify(&Type::Tuple(vec![])),
            None
        );
        assert_eq!(
            Type::set(Type::Bool).unify(&Type::set(Type::Bool)),
            Some(Type::set(Type::Bool))
        );
        assert_eq!(
            Type::map(Type::Number)
                .unify(&Type::object([("a", ObjectAttr::required(Type::Number))])),
            Some(Type::map(Type::Number))
        );
        let a = Type::object([("x", ObjectAttr::required(Type::Null))]);
        let b = Type::object([("x", ObjectAttr::required(Type::Number))]);
        assert_eq!(a.unify(&b), Some(b.clone()));
        let c = Type::object([("y", ObjectAttr::required(Type::Number))]);
        assert_eq!(a.unify(&c), None);
        assert_eq!(
            Type::unify_all(&[Type::Null, Type::Number, Type::Number]),
            Some(Type::Number)
        );
        assert_eq!(Type::unify_all(&[]), None);
        assert_eq!(Type::unify_all(&[Type::Number, Type::Bool]), None);
    }

    #[test]
    fn element_types() {
        assert_eq!(Type::list(Type::Bool).element_type(), Some(Type::Bool));
        assert_eq!(
            Type::Tuple(vec![Type::Number, Type::String]).element_type(),
            Some(Type::Any)
        );
        assert_eq!(tier().element_type(), Some(Type::Any));
        assert_eq!(Type::Any.element_type(), Some(Type::Any));
        assert_eq!(Type::String.element_type(), None);
    }
}
