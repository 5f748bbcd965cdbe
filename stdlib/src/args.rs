//! Reading the arguments of a call. [`crate::Function::call`] has already converted each
//! argument to its parameter type, so a mismatch here is a signature bug; it is still
//! reported as an error, never a panic.

use aic_lang::value::Value;
use indexmap::IndexMap;

use crate::FunctionError;

pub(crate) fn get(args: &[Value], i: usize) -> Result<&Value, FunctionError> {
    args.get(i)
        .ok_or_else(|| FunctionError::call(format!("missing argument {}", i + 1)))
}

/// An optional trailing argument; `None` when left out or null.
pub(crate) fn optional(args: &[Value], i: usize) -> Option<&Value> {
    args.get(i).filter(|v| !v.is_null())
}

pub(crate) fn string(args: &[Value], i: usize) -> Result<&str, FunctionError> {
    let v = get(args, i)?;
    v.as_str()
        .ok_or_else(|| FunctionError::arg(i, format!("expected a string, found {}", v.type_of())))
}

pub(crate) fn number(args: &[Value], i: usize) -> Result<f64, FunctionError> {
    let v = get(args, i)?;
    v.as_number()
        .ok_or_else(|| FunctionError::arg(i, format!("expected a number, found {}", v.type_of())))
}

/// A whole number.
pub(crate) fn integer(args: &[Value], i: usize) -> Result<i64, FunctionError> {
    let n = number(args, i)?;
    whole(n).ok_or_else(|| {
        FunctionError::arg(
            i,
            format!("expected a whole number, found {}", Value::number(n)),
        )
    })
}

pub(crate) fn whole(n: f64) -> Option<i64> {
    Value::number(n).as_integer()
}

/// The elements of a list, set or tuple.
pub(crate) fn elements(args: &[Value], i: usize) -> Result<&[Value], FunctionError> {
    let v = get(args, i)?;
    v.as_elements().ok_or_else(|| {
        FunctionError::arg(
            i,
            format!("expected a list, set or tuple, found {}", v.type_of()),
        )
    })
}

/// The entries of a map or object.
pub(crate) fn entries(args: &[Value], i: usize) -> Result<&IndexMap<String, Value>, FunctionError> {
    let v = get(args, i)?;
    v.as_entries().ok_or_else(|| {
        FunctionError::arg(
            i,
            format!("expected a map or object, found {}", v.type_of()),
        )
    })
}

/// The strings of a list of strings, refusing null elements.
pub(crate) fn strings(args: &[Value], i: usize) -> Result<Vec<&str>, FunctionError> {
    elements(args, i)?
        .iter()
        .enumerate()
        .map(|(index, v)| {
            v.as_str().ok_or_else(|| {
                FunctionError::arg(
                    i,
                    format!("element {index} must be a string, found {}", v.type_of()),
                )
            })
        })
        .collect()
}

/// A non-negative whole number that indexes or sizes a collection.
pub(crate) fn count(args: &[Value], i: usize) -> Result<usize, FunctionError> {
    let n = integer(args, i)?;
    usize::try_from(n).map_err(|_| FunctionError::arg(i, format!("must not be negative, got {n}")))
}
