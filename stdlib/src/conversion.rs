//! Type conversion functions: `tostring tonumber tobool type`. These are the only way to
//! change a value's type: the language converts nothing implicitly (spec §3.4).

use aic_lang::types::Type;
use aic_lang::value::{format_number, Value, ValueKind};

use crate::{args, builtin, Category, Function, FunctionError};

pub(crate) fn functions() -> Vec<Function> {
    let f = |name, doc, body| {
        Function::eager(name, Category::Types, doc, body)
            .param("value", Type::Any)
            .nullable()
    };
    vec![
        f("tostring", tostring::DOC, tostring).returns(Type::String),
        f("tonumber", tonumber::DOC, tonumber).returns(Type::Number),
        f("tobool", tobool::DOC, tobool).returns(Type::Bool),
        f("type", type_::DOC, type_)
            .returns(Type::String)
            .inspects()
            .keeps_marks(),
    ]
}

fn cannot(value: &Value, target: &str) -> FunctionError {
    FunctionError::arg(
        0,
        format!("cannot convert a {} to {target}", value.type_of()),
    )
}

builtin! {
    /// A string, number or bool as a string; null stays null.
    ///
    /// `tostring(42)` is `"42"`; `tostring(true)` is `"true"`.
    fn tostring(_ctx, args) {
        let value = args::get(args, 0)?;
        match value.kind() {
            ValueKind::String(_) | ValueKind::Null => Ok(value.clone()),
            ValueKind::Number(n) => Ok(Value::string(format_number(*n))),
            ValueKind::Bool(b) => Ok(Value::string(b.to_string())),
            _ => Err(cannot(value, "a string")),
        }
    }
}

/// Parses a number in decimal notation, as Terraform does: an optional sign, digits with
/// an optional `.` (`"1."` and `".5"` are numbers), and an optional exponent. Anything
/// else (`inf`, `0x10`, spaces, `1_000`) is refused.
fn parse_number(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (unsigned, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((w, f)) => (w, f),
        None => (mantissa, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    if whole.is_empty() && fraction.is_empty()
        || !(digits(whole) && digits(fraction) && exponent_ok)
    {
        return None;
    }
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

builtin! {
    /// A number, or a string holding a number in decimal notation, as a number; null
    /// stays null.
    ///
    /// `tonumber("3.5")` is `3.5`; `tonumber("1e3")` is `1000`; `tonumber("+.5")` is `0.5`.
    fn tonumber(_ctx, args) {
        let value = args::get(args, 0)?;
        match value.kind() {
            ValueKind::Number(_) | ValueKind::Null => Ok(value.clone()),
            ValueKind::String(s) => parse_number(s).map(Value::number).ok_or_else(|| {
                FunctionError::arg(0, format!("cannot convert {} to a number", Value::string(s.as_str())))
            }),
            _ => Err(cannot(value, "a number")),
        }
    }
}

builtin! {
    /// A bool, or the string `"true"` or `"false"`, as a bool; null stays null.
    ///
    /// `tobool("true")` is `true`.
    fn tobool(_ctx, args) {
        let value = args::get(args, 0)?;
        match value.kind() {
            ValueKind::Bool(_) | ValueKind::Null => Ok(value.clone()),
            ValueKind::String(s) if s == "true" => Ok(Value::bool(true)),
            ValueKind::String(s) if s == "false" => Ok(Value::bool(false)),
            ValueKind::String(s) => Err(FunctionError::arg(
                0,
                format!("cannot convert {} to a bool; only \"true\" and \"false\" convert", Value::string(s.as_str())),
            )),
            _ => Err(cannot(value, "a bool")),
        }
    }
}

builtin! {
    /// The type of a value, in type syntax. Known even for a value known only after
    /// apply.
    ///
    /// `type(["a"])` is `"list(string)"`; `type({ a = 1 })` is `"object({ a: number })"`.
    fn type_(_ctx, args) {
        Ok(Value::string(args::get(args, 0)?.type_of().to_string()))
    }
}

#[cfg(test)]
mod tests {
    use aic_lang::types::Type;
    use aic_lang::value::Value;

    use crate::test_support::*;

    #[test]
    fn to_string() {
        assert_eq!(show("tostring", &[n(42.0)]), r#""42""#);
        assert_eq!(show("tostring", &[n(1.5)]), r#""1.5""#);
        assert_eq!(show("tostring", &[Value::bool(true)]), r#""true""#);
        assert_eq!(show("tostring", &[s("x")]), r#""x""#);
        assert_eq!(show("tostring", &[Value::null()]), "null");
        assert_eq!(
            show("tostring", &[strs(&["a"])]),
            "error(arg 0): cannot convert a list(string) to a string"
        );
    }

    #[test]
    fn to_number() {
        assert_eq!(show("tonumber", &[s("3.5")]), "3.5");
        assert_eq!(show("tonumber", &[s("-2")]), "-2");
        assert_eq!(show("tonumber", &[s("1e3")]), "1000");
        assert_eq!(show("tonumber", &[n(7.0)]), "7");
        assert_eq!(show("tonumber", &[Value::null()]), "null");
        assert_eq!(show("tonumber", &[s("2.5E-1")]), "0.25");
        assert_eq!(show("tonumber", &[s("+1")]), "1");
        assert_eq!(show("tonumber", &[s("1.")]), "1");
        assert_eq!(show("tonumber", &[s("-.5")]), "-0.5");
        assert_eq!(show("tonumber", &[s("00012")]), "12");
        for bad in [
            "abc", "", "inf", "NaN", "+-1", "1e999", " 1", ".", "-", "1e", "0x10", "1_000",
        ] {
            assert_eq!(
                show("tonumber", &[s(bad)]),
                format!("error(arg 0): cannot convert {} to a number", s(bad)),
                "{bad:?}"
            );
        }
        assert_eq!(
            show("tonumber", &[Value::bool(true)]),
            "error(arg 0): cannot convert a bool to a number"
        );
    }

    #[test]
    fn to_bool() {
        assert_eq!(show("tobool", &[s("true")]), "true");
        assert_eq!(show("tobool", &[s("false")]), "false");
        assert_eq!(show("tobool", &[Value::bool(false)]), "false");
        assert_eq!(show("tobool", &[Value::null()]), "null");
        assert_eq!(
            show("tobool", &[s("yes")]),
            r#"error(arg 0): cannot convert "yes" to a bool; only "true" and "false" convert"#
        );
        assert_eq!(
            show("tobool", &[n(1.0)]),
            "error(arg 0): cannot convert a number to a bool"
        );
    }

    #[test]
    fn type_of() {
        assert_eq!(show("type", &[strs(&["a"])]), r#""list(string)""#);
        assert_eq!(
            show("type", &[Value::object([("a", n(1.0))])]),
            r#""object({ a: number })""#
        );
        assert_eq!(show("type", &[Value::null()]), r#""null""#);
        assert_eq!(
            show("type", &[Value::unknown(Type::set(Type::Bool))]),
            r#""set(bool)""#
        );
        let secret = call("type", &[Value::list([s("x").mark_sensitive()])]);
        assert_eq!(secret.map(|v| v.is_sensitive()), Ok(false));
    }
}
