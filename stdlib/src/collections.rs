//! Collection functions: `length concat merge keys values lookup contains flatten
//! distinct zipmap range element slice sort reverse toset tolist tomap coalesce compact
//! one alltrue anytrue try can index chunklist setunion setintersection`.

use std::cmp::Ordering;

use aic_lang::types::{ObjectAttr, Type};
use aic_lang::value::{Value, ValueKind};
use indexmap::IndexMap;
use unicode_segmentation::UnicodeSegmentation;

use crate::{args, builtin, Category, Function, FunctionError};

/// The most elements `range` produces.
const RANGE_LIMIT: usize = 1024;

fn element_of(t: &Type) -> Type {
    t.element_type().unwrap_or(Type::Any)
}

fn unify_or_any(types: impl IntoIterator<Item = Type>) -> Type {
    let types: Vec<Type> = types.into_iter().filter(|t| *t != Type::Null).collect();
    Type::unify_all(&types).unwrap_or(Type::Any)
}

fn first_element_type(args: &[Type]) -> Type {
    args.first().map_or(Type::Any, element_of)
}

fn list_of_first_element(args: &[Type]) -> Type {
    Type::list(first_element_type(args))
}

pub(crate) fn functions() -> Vec<Function> {
    let f = |name, doc, body| Function::eager(name, Category::Collections, doc, body);
    let any_list = || Type::list(Type::Any);
    vec![
        f("length", length::DOC, length)
            .param("value", Type::Any)
            .returns(Type::Number)
            .structural()
            .keeps_marks(),
        f("concat", concat::DOC, concat)
            .variadic_required("lists", any_list())
            .returns_with(any_list(), |args| {
                Type::list(unify_or_any(args.iter().map(element_of)))
            })
            .structural()
            .keeps_marks(),
        f("merge", merge::DOC, merge)
            .variadic("maps", Type::Any)
            .nullable()
            .returns_with(Type::Any, merged_type)
            .structural()
            .keeps_marks(),
        f("keys", keys::DOC, keys)
            .param("map", Type::Any)
            .returns(Type::list(Type::String))
            .structural()
            .keeps_marks(),
        f("values", values::DOC, values)
            .param("map", Type::Any)
            .returns_with(any_list(), list_of_first_element)
            .structural()
            .keeps_marks(),
        f("lookup", lookup::DOC, lookup)
            .param("map", Type::Any)
            .param("key", Type::String)
            .optional("default", Type::Any)
            .nullable()
            .returns_with(Type::Any, |args| {
                unify_or_any([
                    first_element_type(args),
                    args.get(2).cloned().unwrap_or(Type::Null),
                ])
            })
            .structural()
            .keeps_marks(),
        f("contains", contains::DOC, contains)
            .param("collection", Type::Any)
            .param("value", Type::Any)
            .returns(Type::Bool),
        f("flatten", flatten::DOC, flatten)
            .param("list", Type::Any)
            .returns_with(any_list(), |args| {
                let mut t = args.first().cloned().unwrap_or(Type::Any);
                while let Type::List(inner) = t {
                    t = *inner;
                }
                Type::list(t)
            })
            .structural()
            .keeps_marks(),
        f("distinct", distinct::DOC, distinct)
            .param("list", any_list())
            .returns_with(any_list(), list_of_first_element),
        f("zipmap", zipmap::DOC, zipmap)
            .param("keys", Type::list(Type::String))
            .param("values", any_list())
            .returns_with(Type::map(Type::Any), |args| {
                Type::map(args.get(1).map_or(Type::Any, element_of))
            })
            .structural()
            .keeps_marks(),
        f("range", range::DOC, range)
            .param("start", Type::Number)
            .optional("limit", Type::Number)
            .optional("step", Type::Number)
            .returns(Type::list(Type::Number)),
        f("element", element::DOC, element)
            .param("list", any_list())
            .param("index", Type::Number)
            .returns_with(Type::Any, first_element_type)
            .structural()
            .keeps_marks(),
        f("slice", slice::DOC, slice)
            .param("list", any_list())
            .param("start", Type::Number)
            .param("end", Type::Number)
            .returns_with(any_list(), list_of_first_element)
            .structural()
            .keeps_marks(),
        f("sort", sort::DOC, sort)
            .param("list", any_list())
            .returns_with(any_list(), list_of_first_element),
        f("reverse", reverse::DOC, reverse)
            .param("list", any_list())
            .returns_with(any_list(), list_of_first_element)
            .structural()
            .keeps_marks(),
        f("toset", toset::DOC, toset)
            .param("list", Type::Any)
            .nullable()
            .returns_with(Type::set(Type::Any), |args| {
                Type::set(first_element_type(args))
            })
            .structural()
            .keeps_marks(),
        f("tolist", tolist::DOC, tolist)
            .param("set", Type::Any)
            .nullable()
            .returns_with(any_list(), list_of_first_element)
            .structural()
            .keeps_marks(),
        f("tomap", tomap::DOC, tomap)
            .param("object", Type::Any)
            .nullable()
            .returns_with(Type::map(Type::Any), |args| {
                Type::map(first_element_type(args))
            })
            .structural()
            .keeps_marks(),
        f("coalesce", coalesce::DOC, coalesce)
            .variadic_required("values", Type::Any)
            .nullable()
            .returns_with(Type::Any, |args| unify_or_any(args.iter().cloned()))
            .inspects()
            .keeps_marks(),
        f("compact", compact::DOC, compact)
            .param("list", Type::list(Type::String))
            .returns(Type::list(Type::String)),
        f("one", one::DOC, one)
            .param("collection", Type::Any)
            .returns_with(Type::Any, first_element_type)
            .structural()
            .keeps_marks(),
        f("alltrue", alltrue::DOC, alltrue)
            .param("list", any_list())
            .returns(Type::Bool)
            .inspects(),
        f("anytrue", anytrue::DOC, anytrue)
            .param("list", any_list())
            .returns(Type::Bool)
            .inspects(),
        Function::lazy("try", Category::Collections, TRY_DOC)
            .variadic_required("expressions", Type::Any)
            .nullable()
            .returns_with(Type::Any, |args| unify_or_any(args.iter().cloned())),
        Function::lazy("can", Category::Collections, CAN_DOC)
            .param("expression", Type::Any)
            .nullable()
            .returns(Type::Bool),
        f("index", index::DOC, index)
            .param("list", Type::Any)
            .param("value", Type::Any)
            .returns(Type::Number),
        f("chunklist", chunklist::DOC, chunklist)
            .param("list", any_list())
            .param("size", Type::Number)
            .returns_with(Type::list(any_list()), |args| {
                Type::list(list_of_first_element(args))
            })
            .structural()
            .keeps_marks(),
        f("setunion", setunion::DOC, setunion)
            .variadic_required("sets", Type::set(Type::Any))
            .returns_with(Type::set(Type::Any), |args| {
                Type::set(unify_or_any(args.iter().map(element_of)))
            })
            .structural()
            .keeps_marks(),
        f("setintersection", setintersection::DOC, setintersection)
            .variadic_required("sets", Type::set(Type::Any))
            .returns_with(Type::set(Type::Any), |args| {
                Type::set(first_element_type(args))
            }),
    ]
}

const TRY_DOC: &str =
    "Evaluates its arguments in order and returns the first that evaluates without \
an error; an error if none does.\n\n`try(env.x, \"fallback\")` is `env.x` when the environment \
has `x`, else `\"fallback\"`. Evaluated lazily by the evaluator.";

const CAN_DOC: &str = "Whether its argument evaluates without an error.\n\n`can(regex(\"^a\", \
var.name))` is `true` when the name starts with `a`. Evaluated lazily by the evaluator.";

fn merged_type(args: &[Type]) -> Type {
    let present: Vec<&Type> = args.iter().filter(|t| **t != Type::Null).collect();
    if present.iter().all(|t| matches!(t, Type::Map(_))) {
        return Type::map(unify_or_any(present.iter().map(|t| element_of(t))));
    }
    let mut attrs: IndexMap<String, ObjectAttr> = IndexMap::new();
    for t in present {
        match t {
            Type::Object(a) => attrs.extend(a.iter().map(|(k, v)| (k.clone(), v.clone()))),
            _ => return Type::Any,
        }
    }
    Type::Object(attrs)
}

builtin! {
    /// The number of elements of a list, set, tuple, map or object, or of characters of a
    /// string, where a character is what a reader sees as one (a grapheme cluster).
    ///
    /// `length(["a", "b"])` is `2`; `length("héllo")` is `5`; `length("👍🏽")` is `1`.
    fn length(_ctx, args) {
        let value = args::get(args, 0)?;
        let count = match value.kind() {
            ValueKind::String(s) => s.graphemes(true).count(),
            // A set with unknown elements may shrink once they are known.
            ValueKind::Set(_) if !value.is_wholly_known() => {
                return Ok(Value::unknown(Type::Number));
            }
            ValueKind::List(v) | ValueKind::Set(v) | ValueKind::Tuple(v) => v.len(),
            ValueKind::Map(m) | ValueKind::Object(m) => m.len(),
            _ => {
                return Err(FunctionError::arg(
                    0,
                    format!("cannot take the length of a {}", value.type_of()),
                ))
            }
        };
        Ok(Value::number(count as f64))
    }
}

builtin! {
    /// The elements of all the lists, in order, as one list.
    ///
    /// `concat(["a"], ["b", "c"])` is `["a", "b", "c"]`.
    fn concat(_ctx, args) {
        let mut out = Vec::new();
        for i in 0..args.len() {
            out.extend(args::elements(args, i)?.iter().cloned());
        }
        Ok(Value::list(out))
    }
}

builtin! {
    /// Merges maps or objects; for a key in several, the last wins. Null arguments are
    /// skipped. The result is a map when every argument is a map, else an object.
    ///
    /// `merge({ a = 1, b = 2 }, { b = 3 })` is `{ a = 1, b = 3 }`.
    fn merge(_ctx, args) {
        let mut out: IndexMap<String, Value> = IndexMap::new();
        let mut all_maps = true;
        for (i, arg) in args.iter().enumerate() {
            if arg.is_null() {
                continue;
            }
            all_maps &= matches!(arg.kind(), ValueKind::Map(_));
            out.extend(args::entries(args, i)?.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        Ok(if all_maps { Value::map(out) } else { Value::object(out) })
    }
}

/// The entries of a map or object sorted by key.
fn sorted_entries(args: &[Value]) -> Result<Vec<(&String, &Value)>, FunctionError> {
    let mut entries: Vec<_> = args::entries(args, 0)?.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    Ok(entries)
}

builtin! {
    /// The keys of a map or the attribute names of an object, sorted.
    ///
    /// `keys({ b = 1, a = 2 })` is `["a", "b"]`.
    fn keys(_ctx, args) {
        Ok(Value::list(sorted_entries(args)?.into_iter().map(|(k, _)| Value::string(k.clone()))))
    }
}

builtin! {
    /// The values of a map or object, in the order of their sorted keys.
    ///
    /// `values({ b = 1, a = 2 })` is `[2, 1]`.
    fn values(_ctx, args) {
        Ok(Value::list(sorted_entries(args)?.into_iter().map(|(_, v)| v.clone())))
    }
}

builtin! {
    /// The value of `key` in a map or object, or `default` when it has no such key (an
    /// error when no default is given).
    ///
    /// `lookup({ a = 1 }, "b", 0)` is `0`.
    fn lookup(_ctx, args) {
        let entries = args::entries(args, 0)?;
        let key = args::string(args, 1)?;
        match (entries.get(key), args.get(2)) {
            (Some(v), _) => Ok(v.clone()),
            (None, Some(default)) => Ok(default.clone()),
            (None, None) => Err(FunctionError::arg(
                1,
                format!("no key {} in the map, and no default", Value::string(key)),
            )),
        }
    }
}

builtin! {
    /// Whether a list, set or tuple has an element equal to `value`, which must not be
    /// null.
    ///
    /// `contains(["a", "b"], "b")` is `true`.
    fn contains(_ctx, args) {
        let needle = args::get(args, 1)?;
        let found = args::elements(args, 0)?
            .iter()
            .any(|e| e.equals(needle) == Some(true));
        Ok(Value::bool(found))
    }
}

/// Appends the leaves of nested lists, sets and tuples to `out`; `false` when an unknown
/// element might itself be a collection.
fn flatten_into(elements: &[Value], out: &mut Vec<Value>) -> bool {
    for e in elements {
        match e.kind() {
            ValueKind::List(inner) | ValueKind::Set(inner) | ValueKind::Tuple(inner) => {
                if !flatten_into(inner, out) {
                    return false;
                }
            }
            ValueKind::Unknown(Type::List(_) | Type::Set(_) | Type::Tuple(_) | Type::Any) => {
                return false
            }
            _ => out.push(e.clone()),
        }
    }
    true
}

builtin! {
    /// Replaces every nested list, set or tuple by its elements, recursively.
    ///
    /// `flatten([["a", "b"], [], ["c", ["d"]]])` is `["a", "b", "c", "d"]`.
    fn flatten(_ctx, args) {
        let mut out = Vec::new();
        if flatten_into(args::elements(args, 0)?, &mut out) {
            Ok(Value::list(out))
        } else {
            Ok(Value::unknown(Type::list(Type::Any)))
        }
    }
}

builtin! {
    /// The list without repeated elements, keeping the first of each.
    ///
    /// `distinct(["a", "b", "a"])` is `["a", "b"]`.
    fn distinct(_ctx, args) {
        let mut out: Vec<Value> = Vec::new();
        for e in args::elements(args, 0)? {
            if !out.iter().any(|seen| seen.equals(e) == Some(true)) {
                out.push(e.clone());
            }
        }
        Ok(Value::list(out))
    }
}

builtin! {
    /// A map from a list of keys and a list of values of the same length.
    ///
    /// `zipmap(["a", "b"], [1, 2])` is `{ a = 1, b = 2 }`.
    fn zipmap(_ctx, args) {
        let key_list = args::get(args, 0)?;
        let values = args::elements(args, 1)?;
        if !key_list.is_wholly_known() {
            return Ok(Value::unknown(Type::map(
                Type::unify_all(values.iter().map(Value::type_of).collect::<Vec<_>>().iter())
                    .unwrap_or(Type::Any),
            )));
        }
        let keys = args::strings(args, 0)?;
        if keys.len() != values.len() {
            return Err(FunctionError::arg(
                1,
                format!("{} keys but {} values", keys.len(), values.len()),
            ));
        }
        let map = Value::map(keys.into_iter().zip(values.iter().cloned()));
        Ok(map.with_sensitive(key_list.contains_sensitive()))
    }
}

/// The numbers `start + i × step` computed in decimal, as Terraform's arbitrary-precision
/// numbers give them: `range(0, 1, 0.1)` holds `0.3`, where doubles would give
/// `0.30000000000000004`. Only for numbers with short decimal forms.
struct DecimalSteps {
    /// `start` and `step` times `10^scale`.
    start: i128,
    step: i128,
    scale: usize,
}

impl DecimalSteps {
    fn new(start: f64, step: f64) -> Option<DecimalSteps> {
        let (start_digits, start_scale) = decimal_digits(start)?;
        let (step_digits, step_scale) = decimal_digits(step)?;
        let scale = start_scale.max(step_scale);
        let widen = |digits: i128, from: usize| {
            10i128
                .checked_pow(u32::try_from(scale - from).ok()?)
                .and_then(|f| digits.checked_mul(f))
        };
        Some(DecimalSteps {
            start: widen(start_digits, start_scale)?,
            step: widen(step_digits, step_scale)?,
            scale,
        })
    }

    /// Element `i`, read back as the double nearest to its decimal value.
    fn nth(&self, i: u32) -> f64 {
        let scaled = self.start + i128::from(i) * self.step;
        let digits = format!("{:0>width$}", scaled.unsigned_abs(), width = self.scale + 1);
        let (whole, fraction) = digits.split_at(digits.len() - self.scale);
        let sign = if scaled < 0 { "-" } else { "" };
        format!("{sign}{whole}.{fraction}0")
            .parse()
            .unwrap_or(f64::NAN)
    }
}

/// A number's shortest decimal form as whole digits and the count of them after the
/// point (`-2.5` is `(-25, 1)`); `None` when that needs more than 24 digits.
fn decimal_digits(n: f64) -> Option<(i128, usize)> {
    let text = format!("{}", n.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let digits = format!("{whole}{fraction}");
    if !n.is_finite() || digits.len() > 24 {
        return None;
    }
    let magnitude: i128 = digits.parse().ok()?;
    Some((if n < 0.0 { -magnitude } else { magnitude }, fraction.len()))
}

builtin! {
    /// A list of numbers from `start` up to (not including) `limit`, by `step`.
    ///
    /// `range(3)` is `[0, 1, 2]`; `range(1, 4)` is `[1, 2, 3]`; `range(0, 10, 5)` is
    /// `[0, 5]`; `range(3, 0)` is `[3, 2, 1]`. The step defaults to 1, or -1 when `limit` is
    /// below `start`; it may not be 0, and must go from `start` towards `limit`
    /// (`range(0, 3, -1)` is an error). At most 1024 elements.
    fn range(_ctx, args) {
        let (start, limit) = match args.get(1) {
            Some(_) => (args::number(args, 0)?, args::number(args, 1)?),
            None => (0.0, args::number(args, 0)?),
        };
        let step = match args.get(2) {
            Some(_) => args::number(args, 2)?,
            None if limit < start => -1.0,
            None => 1.0,
        };
        if step == 0.0 {
            return Err(FunctionError::arg(2, "the step must not be 0"));
        }
        if step < 0.0 && limit > start {
            return Err(FunctionError::arg(2, "a negative step needs a limit below the start"));
        }
        if step > 0.0 && limit < start {
            return Err(FunctionError::arg(2, "a positive step needs a limit above the start"));
        }
        let mut out = Vec::new();
        let decimal = DecimalSteps::new(start, step);
        for i in 0u32.. {
            let v = match &decimal {
                Some(d) => d.nth(i),
                None => start + f64::from(i) * step,
            };
            if (step > 0.0 && v >= limit) || (step < 0.0 && v <= limit) {
                break;
            }
            if out.len() == RANGE_LIMIT {
                return Err(FunctionError::call(format!(
                    "the range has more than {RANGE_LIMIT} elements"
                )));
            }
            out.push(Value::number(v));
        }
        Ok(Value::list(out))
    }
}

builtin! {
    /// The element at `index`; an index past the end wraps around.
    ///
    /// `element(["a", "b", "c"], 1)` is `"b"`; `element(["a", "b", "c"], 4)` is `"b"`.
    fn element(_ctx, args) {
        let list = args::elements(args, 0)?;
        let index = args::count(args, 1)?;
        if list.is_empty() {
            return Err(FunctionError::arg(0, "cannot take an element of an empty list"));
        }
        list.get(index % list.len())
            .cloned()
            .ok_or_else(|| FunctionError::arg(1, "index out of range"))
    }
}

builtin! {
    /// The elements from `start` up to (not including) `end`.
    ///
    /// `slice(["a", "b", "c", "d"], 1, 3)` is `["b", "c"]`.
    fn slice(_ctx, args) {
        let list = args::elements(args, 0)?;
        let start = args::count(args, 1)?;
        let end = args::count(args, 2)?;
        if end > list.len() {
            return Err(FunctionError::arg(
                2,
                format!("end {end} is past the end of the list of {} elements", list.len()),
            ));
        }
        if start > end {
            return Err(FunctionError::arg(1, format!("start {start} is after end {end}")));
        }
        Ok(Value::list(list.get(start..end).unwrap_or_default().iter().cloned()))
    }
}

builtin! {
    /// The list sorted: strings lexicographically, numbers by value.
    ///
    /// `sort(["b", "c", "a"])` is `["a", "b", "c"]`; `sort([10, 9])` is `[9, 10]`.
    fn sort(_ctx, args) {
        let list = args::elements(args, 0)?;
        let all_strings = list.iter().all(|v| v.as_str().is_some());
        let all_numbers = list.iter().all(|v| v.as_number().is_some());
        if !(all_strings || all_numbers) {
            return Err(FunctionError::arg(
                0,
                "can only sort a list of strings or a list of numbers",
            ));
        }
        let mut sorted = list.to_vec();
        sorted.sort_by(Value::total_cmp);
        Ok(Value::list(sorted))
    }
}

builtin! {
    /// The list in reverse order. `reverse([1, 2, 3])` is `[3, 2, 1]`.
    fn reverse(_ctx, args) {
        Ok(Value::list(args::elements(args, 0)?.iter().rev().cloned()))
    }
}

/// A type where tuples become lists and objects maps, so that values of collection
/// types that differ only in length or attribute names find a common type, as
/// Terraform's `tolist`, `toset` and `tomap` do (`[[1], [2, 3]]` is a list of lists).
fn collection_type(t: &Type) -> Type {
    match t {
        Type::Tuple(items) => {
            let items: Vec<Type> = items.iter().map(collection_type).collect();
            Type::list(unify_or_any(items))
        }
        Type::Object(attrs) => {
            let attrs: Vec<Type> = attrs.values().map(|a| collection_type(&a.ty)).collect();
            Type::map(unify_or_any(attrs))
        }
        Type::List(e) => Type::list(collection_type(e)),
        Type::Set(e) => Type::set(collection_type(e)),
        Type::Map(e) => Type::map(collection_type(e)),
        t => t.clone(),
    }
}

/// The values converted to one common type (tuples to lists and objects to maps where
/// that is needed), or `None` when they have none. Null values fit any type.
fn of_one_type<'a>(values: impl Iterator<Item = &'a Value> + Clone) -> Option<Vec<Value>> {
    let types: Vec<Type> = values.clone().map(Value::type_of).collect();
    if types.is_empty() || Type::unify_all(&types).is_some() {
        return Some(values.cloned().collect());
    }
    let loose: Vec<Type> = types.iter().map(collection_type).collect();
    let common = Type::unify_all(&loose)?;
    values.map(|v| common.conform(v).ok()).collect()
}

/// The elements of argument 0, converted to one type.
fn uniform_elements(args: &[Value], what: &str) -> Result<Vec<Value>, FunctionError> {
    of_one_type(args::elements(args, 0)?.iter()).ok_or_else(|| {
        FunctionError::arg(
            0,
            format!("the elements of a {what} must all have one type"),
        )
    })
}

builtin! {
    /// The set of the elements of a list, set or tuple, without duplicates. A null element
    /// is kept (and sorts last); `toset(null)` is null.
    ///
    /// `toset(["b", "a", "b"])` is `toset(["a", "b"])`.
    fn toset(_ctx, args) {
        if args::get(args, 0)?.is_null() {
            return Ok(Value::null());
        }
        Ok(Value::set(uniform_elements(args, "set")?))
    }
}

builtin! {
    /// A list of the elements of a set (in its sorted order), list or tuple.
    ///
    /// `tolist(toset(["b", "a"]))` is `["a", "b"]`; `tolist(null)` is null.
    fn tolist(_ctx, args) {
        if args::get(args, 0)?.is_null() {
            return Ok(Value::null());
        }
        Ok(Value::list(uniform_elements(args, "list")?))
    }
}

builtin! {
    /// A map of the attributes of an object (or of a map), whose values must have one
    /// type.
    ///
    /// `tomap({ a = "x", b = "y" })` is the map `{ a = "x", b = "y" }`; `tomap(null)` is null.
    fn tomap(_ctx, args) {
        if args::get(args, 0)?.is_null() {
            return Ok(Value::null());
        }
        let entries = args::entries(args, 0)?;
        let values = of_one_type(entries.values()).ok_or_else(|| {
            FunctionError::arg(0, "the values of a map must all have one type")
        })?;
        Ok(Value::map(entries.keys().cloned().zip(values)))
    }
}

builtin! {
    /// The first argument that is neither null nor the empty string.
    ///
    /// `coalesce(null, "", "b")` is `"b"`. An error when there is none.
    fn coalesce(_ctx, args) {
        for v in args {
            if !v.is_known() {
                let types: Vec<Type> = args.iter().map(Value::type_of).collect();
                return Ok(Value::unknown(unify_or_any(types)));
            }
            if !v.is_null() && v.as_str() != Some("") {
                return Ok(v.clone());
            }
        }
        Err(FunctionError::call("every argument is null or an empty string"))
    }
}

builtin! {
    /// The list without its null and empty-string elements.
    ///
    /// `compact(["a", "", null, "b"])` is `["a", "b"]`.
    fn compact(_ctx, args) {
        Ok(Value::list(
            args::elements(args, 0)?
                .iter()
                .filter(|v| !v.is_null() && v.as_str() != Some(""))
                .cloned(),
        ))
    }
}

/// Folds a list of bools for `alltrue`/`anytrue`: the first element equal to `decisive`
/// decides; an unknown element, when none decides, makes the result unknown. A null
/// element counts as `false`, as in Terraform.
fn fold_bools(args: &[Value], decisive: bool) -> Result<Value, FunctionError> {
    if !args::get(args, 0)?.is_known() {
        return Ok(Value::unknown(Type::Bool));
    }
    let mut unknown = false;
    for (i, v) in args::elements(args, 0)?.iter().enumerate() {
        if !v.is_known() {
            unknown = true;
            continue;
        }
        // Terraform converts each element to a bool: `"true"` and `"false"` count.
        let b = match (v.is_null(), v.as_bool(), v.as_str()) {
            (true, _, _) => false,
            (_, Some(b), _) => b,
            (_, _, Some("true")) => true,
            (_, _, Some("false")) => false,
            _ => {
                return Err(FunctionError::arg(
                    0,
                    format!("element {i} is a {}, not a bool", v.type_of()),
                ))
            }
        };
        if b == decisive {
            return Ok(Value::bool(decisive));
        }
    }
    Ok(if unknown {
        Value::unknown(Type::Bool)
    } else {
        Value::bool(!decisive)
    })
}

builtin! {
    /// Whether every element of the list is `true`; `true` for an empty list.
    ///
    /// `alltrue([true, 1 < 2])` is `true`; `alltrue([])` is `true`.
    fn alltrue(_ctx, args) {
        fold_bools(args, false)
    }
}

builtin! {
    /// Whether any element of the list is `true`; `false` for an empty list.
    ///
    /// `anytrue([false, true])` is `true`; `anytrue([])` is `false`.
    fn anytrue(_ctx, args) {
        fold_bools(args, true)
    }
}

builtin! {
    /// The only element of a list, set or tuple; null when it is empty; an error when it
    /// has more than one.
    ///
    /// `one(["a"])` is `"a"`; `one([])` is `null`.
    fn one(_ctx, args) {
        let collection = args::get(args, 0)?;
        let elements = args::elements(args, 0)?;
        if matches!(collection.kind(), ValueKind::Set(_)) && !collection.is_wholly_known() {
            return Ok(Value::unknown(element_of(&collection.type_of())));
        }
        match elements {
            [] => Ok(Value::null()),
            [only] => Ok(only.clone()),
            more => Err(FunctionError::arg(
                0,
                format!("must have at most one element, found {}", more.len()),
            )),
        }
    }
}

builtin! {
    /// The position of the first element of a list equal to `value`, which must not be
    /// null; an error when there is none.
    ///
    /// `index(["a", "b"], "b")` is `1`.
    fn index(_ctx, args) {
        let list = args::get(args, 0)?;
        if !matches!(list.kind(), ValueKind::List(_) | ValueKind::Tuple(_)) {
            return Err(FunctionError::arg(0, format!("expected a list, found {}", list.type_of())));
        }
        let needle = args::get(args, 1)?;
        args::elements(args, 0)?
            .iter()
            .position(|e| e.equals(needle) == Some(true))
            .map(|i| Value::number(i as f64))
            .ok_or_else(|| FunctionError::arg(1, "the value is not in the list"))
    }
}

builtin! {
    /// The list cut into lists of `size` elements (the last may be shorter). A size of 0
    /// gives the whole list as one chunk.
    ///
    /// `chunklist(["a", "b", "c"], 2)` is `[["a", "b"], ["c"]]`.
    fn chunklist(_ctx, args) {
        let list = args::elements(args, 0)?;
        let size = args::count(args, 1)?;
        if list.is_empty() {
            return Ok(Value::list([]));
        }
        if size == 0 {
            return Ok(Value::list([Value::list(list.iter().cloned())]));
        }
        Ok(Value::list(list.chunks(size).map(|c| Value::list(c.iter().cloned()))))
    }
}

builtin! {
    /// The set of the elements in any of the sets.
    ///
    /// `setunion(["a", "b"], ["b", "c"])` is `toset(["a", "b", "c"])`.
    fn setunion(_ctx, args) {
        let mut out = Vec::new();
        for i in 0..args.len() {
            out.extend(args::elements(args, i)?.iter().cloned());
        }
        Ok(Value::set(out))
    }
}

builtin! {
    /// The set of the elements in every one of the sets.
    ///
    /// `setintersection(["a", "b"], ["b", "c"])` is `toset(["b"])`.
    fn setintersection(_ctx, args) {
        let first = args::elements(args, 0)?;
        let mut others = Vec::new();
        for i in 1..args.len() {
            others.push(args::elements(args, i)?);
        }
        let common = first.iter().filter(|e| {
            others.iter().all(|set| set.iter().any(|o| o.total_cmp(e) == Ordering::Equal))
        });
        Ok(Value::set(common.cloned()))
    }
}

#[cfg(test)]
mod tests {
    use aic_lang::types::Type;
    use aic_lang::value::Value;

    use crate::test_support::*;

    fn nums(items: &[f64]) -> Value {
        Value::list(items.iter().map(|i| n(*i)))
    }

    fn unknown_s() -> Value {
        Value::unknown(Type::String)
    }

    #[test]
    fn length_of_everything() {
        assert_eq!(show("length", &[strs(&["a", "b"])]), "2");
        assert_eq!(show("length", &[s("héllo")]), "5");
        assert_eq!(show("length", &[Value::map([("a", n(1.0))])]), "1");
        assert_eq!(show("length", &[Value::tuple([])]), "0");
        assert_eq!(show("length", &[Value::list([unknown_s(), s("a")])]), "2");
        assert_eq!(
            show("length", &[Value::set([unknown_s(), s("a")])]),
            "(known after apply)"
        );
        assert_eq!(show("length", &[unknown_s()]), "(known after apply)");
        assert_eq!(
            show("length", &[n(3.0)]),
            "error(arg 0): cannot take the length of a number"
        );
        assert_eq!(
            show("length", &[Value::null()]),
            "error(arg 0): `value` must not be null"
        );
        // The count of a list with a secret element is not secret.
        let r = call("length", &[Value::list([s("x").mark_sensitive()])]);
        assert_eq!(r.map(|v| v.is_sensitive()), Ok(false));
    }

    #[test]
    fn concat_and_merge() {
        assert_eq!(
            show("concat", &[strs(&["a"]), strs(&["b", "c"])]),
            r#"["a", "b", "c"]"#
        );
        assert_eq!(
            show("concat", &[]),
            "error: `concat` expects at least 1 argument, got 0"
        );
        assert_eq!(
            show("concat", &[strs(&["a"]), s("b")]),
            "error(arg 1): invalid value for `lists`: expected list(any), found string"
        );
        assert_eq!(
            show(
                "merge",
                &[
                    Value::object([("a", n(1.0)), ("b", n(2.0))]),
                    Value::null(),
                    Value::map([("b", n(3.0))])
                ]
            ),
            "{ a = 1, b = 3 }"
        );
        assert!(matches!(
            call("merge", &[Value::map([("a", n(1.0))])]).map(Value::into_kind),
            Ok(aic_lang::value::ValueKind::Map(_))
        ));
        assert_eq!(
            show("merge", &[Value::map([("a", n(1.0))]), strs(&[])]),
            "error(arg 1): expected a map or object, found list(any)"
        );
        assert_eq!(show("merge", &[]), "{}");
        let check = crate::lookup("merge")
            .map(|f| f.check_types(&[Type::map(Type::Number), Type::map(Type::Null)]));
        assert_eq!(check, Some(Ok(Type::map(Type::Number))));
        let objects = crate::lookup("merge").map(|f| {
            f.check_types(&[
                Value::object([("a", n(1.0))]).type_of(),
                Value::object([("a", s("x")), ("b", n(1.0))]).type_of(),
            ])
        });
        assert_eq!(
            objects.map(|t| t.map(|t| t.to_string())),
            Some(Ok("object({ a: string, b: number })".to_owned()))
        );
        let mixed =
            crate::lookup("merge").map(|f| f.check_types(&[Type::map(Type::Number), Type::Any]));
        assert_eq!(mixed, Some(Ok(Type::Any)));
    }

    #[test]
    fn keys_values_lookup() {
        let m = Value::object([("b", n(1.0)), ("a", n(2.0))]);
        assert_eq!(show("keys", std::slice::from_ref(&m)), r#"["a", "b"]"#);
        assert_eq!(show("values", std::slice::from_ref(&m)), "[2, 1]");
        assert_eq!(show("lookup", &[m.clone(), s("a")]), "2");
        assert_eq!(show("lookup", &[m.clone(), s("z"), n(0.0)]), "0");
        assert_eq!(show("lookup", &[m.clone(), s("z"), Value::null()]), "null");
        assert_eq!(
            show("lookup", &[m.clone(), s("z")]),
            r#"error(arg 1): no key "z" in the map, and no default"#
        );
        assert_eq!(
            show("keys", &[strs(&["a"])]),
            "error(arg 0): expected a map or object, found list(string)"
        );
        assert_eq!(
            show("values", &[n(1.0)]),
            "error(arg 0): expected a map or object, found number"
        );
        // Keys of a map with unknown values are known.
        assert_eq!(
            show("keys", &[Value::map([("k", unknown_s())])]),
            r#"["k"]"#
        );
        // A secret value does not make the keys secret.
        let secret = Value::map([("k", s("v").mark_sensitive())]);
        assert_eq!(
            call("keys", std::slice::from_ref(&secret)).map(|v| v.contains_sensitive()),
            Ok(false)
        );
        assert_eq!(
            call("values", &[secret]).map(|v| v.to_string()),
            Ok("[(sensitive)]".to_owned())
        );
    }

    #[test]
    fn alltrue_and_anytrue() {
        let b = Value::bool;
        assert_eq!(show("alltrue", &[Value::list([b(true), b(true)])]), "true");
        assert_eq!(
            show("alltrue", &[Value::list([b(true), b(false)])]),
            "false"
        );
        assert_eq!(show("alltrue", &[Value::list(Vec::<Value>::new())]), "true");
        assert_eq!(show("anytrue", &[Value::list([b(false), b(true)])]), "true");
        assert_eq!(
            show("anytrue", &[Value::list(Vec::<Value>::new())]),
            "false"
        );
        assert_eq!(show("alltrue", &[Value::list([Value::null()])]), "false");
        let unknown = Value::unknown(Type::Bool);
        assert_eq!(
            show("alltrue", &[Value::list([b(true), unknown.clone()])]),
            "(known after apply)"
        );
        assert_eq!(
            show("alltrue", &[Value::list([unknown.clone(), b(false)])]),
            "false",
            "a false element decides, whatever else is unknown"
        );
        assert_eq!(show("anytrue", &[Value::list([unknown, b(true)])]), "true");
    }

    #[test]
    fn contains_and_index() {
        assert_eq!(show("contains", &[strs(&["a", "b"]), s("b")]), "true");
        assert_eq!(show("contains", &[strs(&["a", "b"]), s("c")]), "false");
        assert_eq!(show("contains", &[Value::set([n(1.0)]), n(1.0)]), "true");
        assert_eq!(
            show("contains", &[Value::list([unknown_s()]), s("c")]),
            "(known after apply)"
        );
        assert_eq!(
            show("contains", &[s("abc"), s("a")]),
            "error(arg 0): expected a list, set or tuple, found string"
        );
        assert_eq!(show("index", &[strs(&["a", "b"]), s("b")]), "1");
        assert_eq!(
            show("index", &[strs(&["a", "b"]), s("z")]),
            "error(arg 1): the value is not in the list"
        );
        assert_eq!(
            show("index", &[Value::set([s("a")]), s("a")]),
            "error(arg 0): expected a list, found set(string)"
        );
        assert_eq!(
            show("index", &[Value::list([Value::null()]), Value::null()]),
            "error(arg 1): `value` must not be null"
        );
        assert_eq!(
            show("contains", &[Value::list([Value::null()]), Value::null()]),
            "error(arg 1): `value` must not be null"
        );
    }

    #[test]
    fn flatten_and_distinct() {
        let nested = Value::list([
            strs(&["a", "b"]),
            strs(&[]),
            Value::tuple([s("c"), strs(&["d"])]),
            s("e"),
        ]);
        assert_eq!(show("flatten", &[nested]), r#"["a", "b", "c", "d", "e"]"#);
        assert_eq!(
            show(
                "flatten",
                &[Value::list([Value::unknown(Type::list(Type::String))])]
            ),
            "(known after apply)"
        );
        assert_eq!(
            show("flatten", &[Value::list([unknown_s()])]),
            "[(known after apply)]"
        );
        assert_eq!(
            show("flatten", &[s("a")]),
            "error(arg 0): expected a list, set or tuple, found string"
        );
        assert_eq!(
            crate::lookup("flatten")
                .map(|f| f.ret.resolve(&[Type::list(Type::list(Type::Number))])),
            Some(Type::list(Type::Number))
        );
        assert_eq!(show("distinct", &[strs(&["a", "b", "a"])]), r#"["a", "b"]"#);
        assert_eq!(
            show("distinct", &[s("a")]),
            "error(arg 0): invalid value for `list`: expected list(any), found string"
        );
    }

    #[test]
    fn zipmap_pairs_keys_and_values() {
        assert_eq!(
            show("zipmap", &[strs(&["a", "b"]), nums(&[1.0, 2.0])]),
            "{ a = 1, b = 2 }"
        );
        assert_eq!(
            show("zipmap", &[strs(&["a"]), nums(&[1.0, 2.0])]),
            "error(arg 1): 1 keys but 2 values"
        );
        assert_eq!(
            show("zipmap", &[Value::list([unknown_s()]), nums(&[1.0])]),
            "(known after apply)"
        );
        assert_eq!(
            show("zipmap", &[Value::list([Value::null()]), nums(&[1.0])]),
            "error(arg 0): element 0 must be a string, found null"
        );
        let secret_key = call(
            "zipmap",
            &[Value::list([s("k").mark_sensitive()]), nums(&[1.0])],
        );
        assert_eq!(secret_key.map(|v| v.is_sensitive()), Ok(true));
    }

    #[test]
    fn ranges() {
        assert_eq!(show("range", &[n(3.0)]), "[0, 1, 2]");
        assert_eq!(show("range", &[n(1.0), n(4.0)]), "[1, 2, 3]");
        assert_eq!(show("range", &[n(0.0), n(10.0), n(5.0)]), "[0, 5]");
        assert_eq!(show("range", &[n(3.0), n(0.0)]), "[3, 2, 1]");
        assert_eq!(show("range", &[n(-2.0)]), "[0, -1]");
        assert_eq!(
            show("range", &[n(0.0), n(1.0), n(0.25)]),
            "[0, 0.25, 0.5, 0.75]"
        );
        // Steps are taken in decimal, as Terraform's numbers take them.
        assert_eq!(
            show("range", &[n(0.0), n(0.7), n(0.1)]),
            "[0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]"
        );
        assert_eq!(
            show("range", &[n(-0.1), n(-0.35), n(-0.05)]),
            "[-0.1, -0.15, -0.2, -0.25, -0.3]"
        );
        // Numbers without a short decimal form step as doubles.
        assert!(show("range", &[n(1e-30), n(3e-30), n(1e-30)])
            .starts_with("[0.000000000000000000000000000001, 0.000000000000000000000000000002"));
        assert_eq!(
            show("range", &[n(0.0), n(3.0), n(-1.0)]),
            "error(arg 2): a negative step needs a limit below the start"
        );
        assert_eq!(
            show("range", &[n(3.0), n(0.0), n(1.0)]),
            "error(arg 2): a positive step needs a limit above the start"
        );
        assert_eq!(show("range", &[n(0.0), n(0.0), n(-1.0)]), "[]");
        assert_eq!(show("range", &[n(0.0)]), "[]");
        assert_eq!(
            show("range", &[n(0.0), n(3.0), n(0.0)]),
            "error(arg 2): the step must not be 0"
        );
        assert_eq!(
            show("range", &[n(5000.0)]),
            "error: the range has more than 1024 elements"
        );
    }

    #[test]
    fn element_and_slice() {
        let abc = strs(&["a", "b", "c"]);
        assert_eq!(show("element", &[abc.clone(), n(1.0)]), r#""b""#);
        assert_eq!(show("element", &[abc.clone(), n(4.0)]), r#""b""#);
        assert_eq!(
            show("element", &[strs(&[]), n(0.0)]),
            "error(arg 0): cannot take an element of an empty list"
        );
        assert_eq!(
            show("element", &[abc.clone(), n(-1.0)]),
            "error(arg 1): must not be negative, got -1"
        );
        assert_eq!(
            show("element", &[Value::list([unknown_s()]), n(0.0)]),
            "(known after apply)"
        );
        assert_eq!(
            show("slice", &[abc.clone(), n(1.0), n(3.0)]),
            r#"["b", "c"]"#
        );
        assert_eq!(show("slice", &[abc.clone(), n(1.0), n(1.0)]), "[]");
        assert_eq!(
            show("slice", &[abc.clone(), n(1.0), n(4.0)]),
            "error(arg 2): end 4 is past the end of the list of 3 elements"
        );
        assert_eq!(
            show("slice", &[abc, n(2.0), n(1.0)]),
            "error(arg 1): start 2 is after end 1"
        );
    }

    #[test]
    fn sort_and_reverse() {
        assert_eq!(
            show("sort", &[strs(&["b", "c", "a"])]),
            r#"["a", "b", "c"]"#
        );
        assert_eq!(show("sort", &[nums(&[10.0, 9.0, 100.0])]), "[9, 10, 100]");
        assert_eq!(show("sort", &[strs(&[])]), "[]");
        assert_eq!(
            show("sort", &[Value::list([s("a"), n(1.0)])]),
            "error(arg 0): can only sort a list of strings or a list of numbers"
        );
        assert_eq!(show("reverse", &[nums(&[1.0, 2.0, 3.0])]), "[3, 2, 1]");
        assert_eq!(
            show("reverse", &[n(1.0)]),
            "error(arg 0): invalid value for `list`: expected list(any), found number"
        );
    }

    #[test]
    fn conversions_between_collections() {
        assert_eq!(
            show("toset", &[strs(&["b", "a", "b"])]),
            r#"toset(["a", "b"])"#
        );
        assert_eq!(
            show("toset", &[Value::list([s("a"), n(1.0)])]),
            "error(arg 0): the elements of a set must all have one type"
        );
        // Null elements are kept, and sort last in a set.
        assert_eq!(
            show("toset", &[Value::list([s("b"), Value::null(), s("a")])]),
            r#"toset(["a", "b", null])"#
        );
        assert_eq!(
            show("tolist", &[Value::list([s("a"), Value::null()])]),
            r#"["a", null]"#
        );
        for f in ["toset", "tolist", "tomap"] {
            assert_eq!(show(f, &[Value::null()]), "null", "{f}(null)");
        }
        // Tuples of different lengths become lists, objects of different shapes maps.
        let ragged = Value::object([
            ("a", Value::tuple([n(1.0)])),
            ("b", Value::tuple([n(2.0), n(3.0)])),
        ]);
        let converted = call("tomap", &[ragged]);
        assert_eq!(
            converted.as_ref().map(|v| v.type_of().to_string()),
            Ok("map(list(number))".to_owned())
        );
        assert_eq!(
            converted.map(|v| v.to_string()),
            Ok("{ a = [1], b = [2, 3] }".to_owned())
        );
        let shapes = Value::tuple([
            Value::object([("x", n(1.0))]),
            Value::object([("y", n(2.0))]),
        ]);
        assert_eq!(
            call("tolist", &[shapes]).map(|v| v.type_of().to_string()),
            Ok("list(map(number))".to_owned())
        );
        assert_eq!(
            show("tolist", &[Value::set([s("b"), s("a")])]),
            r#"["a", "b"]"#
        );
        assert_eq!(
            show("tolist", &[s("a")]),
            "error(arg 0): expected a list, set or tuple, found string"
        );
        assert_eq!(
            show("tomap", &[Value::object([("a", s("x")), ("b", s("y"))])]),
            r#"{ a = "x", b = "y" }"#
        );
        assert_eq!(
            show("tomap", &[Value::object([("a", s("x")), ("b", n(1.0))])]),
            "error(arg 0): the values of a map must all have one type"
        );
        assert_eq!(
            show("tomap", &[strs(&["a"])]),
            "error(arg 0): expected a map or object, found list(string)"
        );
        assert_eq!(
            crate::lookup("toset").map(|f| f.ret.resolve(&[Type::list(Type::String)])),
            Some(Type::set(Type::String))
        );
    }

    #[test]
    fn coalesce_compact_one() {
        assert_eq!(show("coalesce", &[Value::null(), s(""), s("b")]), r#""b""#);
        assert_eq!(show("coalesce", &[s("a"), unknown_s()]), r#""a""#);
        assert_eq!(
            show("coalesce", &[Value::null(), unknown_s()]),
            "(known after apply)"
        );
        assert_eq!(
            show("coalesce", &[Value::null(), s("")]),
            "error: every argument is null or an empty string"
        );
        assert_eq!(
            show("coalesce", &[]),
            "error: `coalesce` expects at least 1 argument, got 0"
        );
        assert_eq!(
            show(
                "compact",
                &[Value::list([s("a"), s(""), Value::null(), s("b")])]
            ),
            r#"["a", "b"]"#
        );
        assert_eq!(
            show("compact", &[nums(&[1.0])]),
            "error(arg 0): invalid value for `list`: at `[0]`: expected string, found number"
        );
        assert_eq!(show("one", &[strs(&["a"])]), r#""a""#);
        assert_eq!(show("one", &[strs(&[])]), "null");
        assert_eq!(
            show("one", &[strs(&["a", "b"])]),
            "error(arg 0): must have at most one element, found 2"
        );
        assert_eq!(
            show("one", &[Value::set([unknown_s()])]),
            "(known after apply)"
        );
        assert_eq!(
            show("one", &[s("a")]),
            "error(arg 0): expected a list, set or tuple, found string"
        );
    }

    #[test]
    fn chunks_and_sets() {
        let abc = strs(&["a", "b", "c"]);
        assert_eq!(
            show("chunklist", &[abc.clone(), n(2.0)]),
            r#"[["a", "b"], ["c"]]"#
        );
        assert_eq!(
            show("chunklist", &[abc.clone(), n(0.0)]),
            r#"[["a", "b", "c"]]"#
        );
        assert_eq!(show("chunklist", &[strs(&[]), n(2.0)]), "[]");
        assert_eq!(
            show("chunklist", &[abc, n(-1.0)]),
            "error(arg 1): must not be negative, got -1"
        );
        assert_eq!(
            show("setunion", &[strs(&["a", "b"]), strs(&["b", "c"])]),
            r#"toset(["a", "b", "c"])"#
        );
        assert_eq!(
            show(
                "setintersection",
                &[strs(&["a", "b"]), strs(&["b", "c"]), Value::set([s("b")])]
            ),
            r#"toset(["b"])"#
        );
        assert_eq!(show("setintersection", &[strs(&["a"])]), r#"toset(["a"])"#);
        assert_eq!(
            show("setunion", &[s("a")]),
            "error(arg 0): invalid value for `sets`: expected set(any), found string"
        );
        assert_eq!(
            show("setunion", &[]),
            "error: `setunion` expects at least 1 argument, got 0"
        );
    }

    #[test]
    fn lazy_signatures() {
        let try_ = crate::lookup("try").map(|f| f.check_types(&[Type::Null, Type::String]));
        assert_eq!(try_, Some(Ok(Type::String)));
        let can = crate::lookup("can").map(|f| f.check_types(&[Type::Any]));
        assert_eq!(can, Some(Ok(Type::Bool)));
        assert_eq!(
            show("can", &[s("x")]),
            "error: `can` is evaluated lazily by the evaluator"
        );
    }
}
