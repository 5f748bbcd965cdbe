//! Encoding functions: `jsonencode jsondecode yamlencode yamldecode base64encode
//! base64decode urlencode csvdecode`.

use std::fmt::Write as _;

use aic_lang::types::Type;
use aic_lang::value::{format_number, ToJsonError, Value, ValueKind};
use base64::Engine as _;

use crate::{args, builtin, Category, Function, FunctionError};

pub(crate) fn functions() -> Vec<Function> {
    let f = |name, doc, body| Function::eager(name, Category::Encoding, doc, body);
    vec![
        f("jsonencode", jsonencode::DOC, jsonencode)
            .param("value", Type::Any)
            .nullable()
            .returns(Type::String),
        f("jsondecode", jsondecode::DOC, jsondecode)
            .param("string", Type::String)
            .returns(Type::Any),
        f("yamlencode", yamlencode::DOC, yamlencode)
            .param("value", Type::Any)
            .nullable()
            .returns(Type::String),
        f("yamldecode", yamldecode::DOC, yamldecode)
            .param("string", Type::String)
            .returns(Type::Any),
        f("base64encode", base64encode::DOC, base64encode)
            .param("string", Type::String)
            .returns(Type::String),
        f("base64decode", base64decode::DOC, base64decode)
            .param("string", Type::String)
            .returns(Type::String),
        f("urlencode", urlencode::DOC, urlencode)
            .param("string", Type::String)
            .returns(Type::String),
        f("csvdecode", csvdecode::DOC, csvdecode)
            .param("string", Type::String)
            .returns(Type::list(Type::map(Type::String))),
    ]
}

fn to_json(args: &[Value]) -> Result<serde_json::Value, FunctionError> {
    args::get(args, 0)?
        .to_json()
        .map_err(|e| FunctionError::arg(0, e.to_string()))
}

/// A string as a JSON string literal, escaped as Terraform (Go) escapes it: `"`, `\\`,
/// `\n`, `\r`, `\t`, other control characters as `\u00XX`, and `<`, `>`, `&`, U+2028 and
/// U+2029 as `\uXXXX`, so the text is safe inside HTML and JavaScript.
pub(crate) fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}') => {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A value as compact JSON text, as `jsonencode` writes it: numbers in plain decimal
/// notation (`1e21` is `1000000000000000000000`, `1e-7` is `0.0000001`), strings as
/// [`json_string`] escapes them, keys in order.
pub(crate) fn json_text(value: &Value) -> Result<String, ToJsonError> {
    // Unknown or non-finite parts are reported with their path by `to_json`.
    value.to_json()?;
    let mut out = String::new();
    write_json(value, &mut out);
    Ok(out)
}

fn write_json(value: &Value, out: &mut String) {
    match value.kind() {
        ValueKind::Null | ValueKind::Unknown(_) => out.push_str("null"),
        ValueKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ValueKind::Number(n) => out.push_str(&format_number(*n)),
        ValueKind::String(s) => out.push_str(&json_string(s)),
        ValueKind::List(items) | ValueKind::Set(items) | ValueKind::Tuple(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        ValueKind::Map(entries) | ValueKind::Object(entries) => {
            out.push('{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&json_string(key));
                out.push(':');
                write_json(item, out);
            }
            out.push('}');
        }
    }
}

builtin! {
    /// The value as compact JSON. Lists, sets and tuples become arrays, maps and objects
    /// become objects (keys in order), numbers are written in plain decimal notation
    /// (whole numbers without a fraction), and `<`, `>` and `&` in strings are escaped as
    /// `\u003c`, `\u003e` and `\u0026`, as in Terraform.
    ///
    /// `jsonencode({ a = [1, "x"] })` is `"{\"a\":[1,\"x\"]}"`.
    fn jsonencode(_ctx, args) {
        json_text(args::get(args, 0)?)
            .map(Value::string)
            .map_err(|e| FunctionError::arg(0, e.to_string()))
    }
}

builtin! {
    /// The value a JSON text stands for: arrays become tuples and objects become objects.
    ///
    /// `jsondecode("{\"a\": [1, true]}")` is `{ a = [1, true] }`.
    fn jsondecode(_ctx, args) {
        let text = args::string(args, 0)?;
        let json: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| FunctionError::arg(0, format!("invalid JSON: {e}")))?;
        Ok(Value::from_json(&json))
    }
}

builtin! {
    /// The value as a YAML document (block style).
    ///
    /// `yamlencode({ a = [1, 2] })` is `"a:\n- 1\n- 2\n"`.
    fn yamlencode(_ctx, args) {
        let json = to_json(args)?;
        serde_yaml_ng::to_string(&json)
            .map(Value::string)
            .map_err(|e| FunctionError::arg(0, format!("cannot write YAML: {e}")))
    }
}

/// A YAML value as an `.aic` value: sequences become tuples, mappings objects (scalar keys
/// written as strings), tags are dropped.
fn from_yaml(yaml: serde_yaml_ng::Value) -> Result<Value, String> {
    use serde_yaml_ng::Value as Y;
    Ok(match yaml {
        Y::Null => Value::null(),
        Y::Bool(b) => Value::bool(b),
        Y::Number(n) => Value::number(n.as_f64().unwrap_or(f64::NAN)),
        Y::String(s) => Value::string(s),
        Y::Sequence(items) => Value::tuple(
            items
                .into_iter()
                .map(from_yaml)
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Y::Mapping(mapping) => {
            let mut attrs = Vec::with_capacity(mapping.len());
            for (key, value) in mapping {
                let key = match key {
                    Y::String(s) => s,
                    Y::Bool(b) => b.to_string(),
                    Y::Number(n) => n.as_f64().map_or_else(|| n.to_string(), format_number),
                    Y::Null => "null".to_owned(),
                    _ => {
                        return Err(
                            "a mapping key must be a string, number, bool or null".to_owned()
                        )
                    }
                };
                attrs.push((key, from_yaml(value)?));
            }
            Value::object(attrs)
        }
        Y::Tagged(tagged) => from_yaml(tagged.value)?,
    })
}

builtin! {
    /// The value a YAML document stands for: sequences become tuples and mappings objects.
    /// One document only. Merge keys (`<<: *defaults`) are applied.
    ///
    /// `yamldecode("a: [1, x]")` is `{ a = [1, "x"] }`.
    fn yamldecode(_ctx, args) {
        let text = args::string(args, 0)?;
        let mut yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(text)
            .map_err(|e| FunctionError::arg(0, format!("invalid YAML: {e}")))?;
        yaml.apply_merge()
            .map_err(|e| FunctionError::arg(0, format!("invalid YAML: {e}")))?;
        from_yaml(yaml).map_err(|e| FunctionError::arg(0, format!("invalid YAML: {e}")))
    }
}

builtin! {
    /// The UTF-8 bytes of a string in standard Base64 (with padding).
    ///
    /// `base64encode("hello")` is `"aGVsbG8="`.
    fn base64encode(_ctx, args) {
        Ok(Value::string(base64::engine::general_purpose::STANDARD.encode(args::string(args, 0)?)))
    }
}

builtin! {
    /// The string whose UTF-8 bytes a standard Base64 text encodes.
    ///
    /// `base64decode("aGVsbG8=")` is `"hello"`. Line breaks are ignored; other text that
    /// is not Base64, or bytes that are not UTF-8, are an error.
    fn base64decode(_ctx, args) {
        // Line breaks are ignored, as Terraform (Go) ignores them.
        let text: String = args::string(args, 0)?.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|e| FunctionError::arg(0, format!("invalid Base64: {e}")))?;
        String::from_utf8(bytes)
            .map(Value::string)
            .map_err(|_| FunctionError::arg(0, "the decoded bytes are not UTF-8 text"))
    }
}

builtin! {
    /// The string escaped for a URL query: letters, digits and `-_.~` stay, spaces become
    /// `+`, every other byte becomes `%XX`.
    ///
    /// `urlencode("a b&c")` is `"a+b%26c"`.
    fn urlencode(_ctx, args) {
        let mut out = String::new();
        for byte in args::string(args, 0)?.bytes() {
            match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    out.push(char::from(byte));
                }
                b' ' => out.push('+'),
                other => out.push_str(&format!("%{other:02X}")),
            }
        }
        Ok(Value::string(out))
    }
}

/// Refuses the quoting that Go's CSV reader (Terraform's) refuses and the `csv` crate
/// would read leniently: a `"` inside a field that does not start with one, text after
/// a closing quote, and a quoted field that never ends.
fn check_csv_quotes(text: &str) -> Result<(), String> {
    #[derive(PartialEq)]
    enum At {
        FieldStart,
        Unquoted,
        Quoted,
        AfterQuote,
    }
    let mut at = At::FieldStart;
    let mut line = 1;
    let mut quoted_from = 1;
    for c in text.chars() {
        at = match (at, c) {
            (At::FieldStart, '"') => {
                quoted_from = line;
                At::Quoted
            }
            (At::FieldStart | At::Unquoted | At::AfterQuote, ',' | '\n') => At::FieldStart,
            (At::Unquoted, '"') => {
                return Err(format!("line {line}: a `\"` in a field that is not quoted"));
            }
            (At::FieldStart | At::Unquoted, _) => At::Unquoted,
            (At::Quoted, '"') => At::AfterQuote,
            (At::Quoted, _) => At::Quoted,
            (At::AfterQuote, '"') => At::Quoted,
            (At::AfterQuote, _) => {
                return Err(format!(
                    "line {line}: text after the closing `\"` of a field"
                ));
            }
        };
        if c == '\n' {
            line += 1;
        }
    }
    if at == At::Quoted {
        return Err(format!(
            "line {quoted_from}: a quoted field that does not end"
        ));
    }
    Ok(())
}

builtin! {
    /// The rows of a CSV text as a list of objects keyed by the header row; every value is
    /// a string.
    ///
    /// `csvdecode("a,b\n1,2\n")` is `[{ a = "1", b = "2" }]`. A text without a header
    /// row, a header that repeats a name, or a row with a different number of fields
    /// than the header is an error.
    fn csvdecode(_ctx, args) {
        // As Go's reader (Terraform's): `\r\n` ends a line like `\n`, a lone `\r` is text.
        let text = args::string(args, 0)?.replace("\r\n", "\n");
        check_csv_quotes(&text).map_err(|e| FunctionError::arg(0, format!("invalid CSV: {e}")))?;
        let mut reader = csv::ReaderBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_reader(text.as_bytes());
        let error = |e: csv::Error| FunctionError::arg(0, format!("invalid CSV: {e}"));
        let headers: Vec<String> = reader.headers().map_err(error)?.iter().map(str::to_owned).collect();
        if headers.is_empty() {
            return Err(FunctionError::arg(0, "invalid CSV: missing header line"));
        }
        if let Some(repeated) = headers.iter().enumerate().find_map(|(i, h)| headers.get(..i).is_some_and(|seen| seen.contains(h)).then_some(h)) {
            return Err(FunctionError::arg(
                0,
                format!("invalid CSV: the column name {} appears more than once", Value::string(repeated.as_str())),
            ));
        }
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(error)?;
            rows.push(Value::object(
                headers.iter().cloned().zip(record.iter().map(Value::string)),
            ));
        }
        Ok(Value::list(rows))
    }
}

#[cfg(test)]
mod tests {
    use aic_lang::types::Type;
    use aic_lang::value::Value;

    use crate::test_support::*;

    #[test]
    fn json_both_ways() {
        let v = Value::object([("a", Value::tuple([n(1.0), s("x")])), ("b", Value::null())]);
        assert_eq!(
            show("jsonencode", &[v]),
            r#""{\"a\":[1,\"x\"],\"b\":null}""#
        );
        assert_eq!(show("jsonencode", &[Value::null()]), r#""null""#);
        assert_eq!(show("jsonencode", &[n(0.5)]), r#""0.5""#);
        assert_eq!(
            show("jsonencode", &[Value::list([Value::unknown(Type::String)])]),
            "(known after apply)"
        );
        assert_eq!(
            show("jsonencode", &[n(f64::INFINITY)]),
            "error(arg 0): the number is not finite"
        );
        assert_eq!(
            show("jsondecode", &[s(r#"{"a": [1, true]}"#)]),
            "{ a = [1, true] }"
        );
        assert_eq!(show("jsondecode", &[s("null")]), "null");
        assert_eq!(
            show("jsondecode", &[s("{")]),
            "error(arg 0): invalid JSON: EOF while parsing an object at line 1 column 1"
        );
    }

    #[test]
    fn yaml_both_ways() {
        let v = Value::object([("a", Value::list([n(1.0), n(2.5)])), ("b", s("x"))]);
        assert_eq!(show("yamlencode", &[v]), r#""a:\n- 1\n- 2.5\nb: x\n""#);
        assert_eq!(
            show("yamldecode", &[s("a: [1, x]\nb: {c: true}\n3: null\n")]),
            r#"{ a = [1, "x"], b = { c = true }, "3" = null }"#
        );
        assert_eq!(show("yamldecode", &[s("!tag 5")]), "5");
        assert_eq!(
            show(
                "yamldecode",
                &[s("base: &b {a: 1, b: 2}\nx:\n  <<: *b\n  b: 3\n")]
            ),
            "{ base = { a = 1, b = 2 }, x = { b = 3, a = 1 } }"
        );
        assert_eq!(show("yamldecode", &[s("")]), "null");
        assert!(show("yamldecode", &[s("a: [")]).starts_with("error(arg 0): invalid YAML:"));
        assert!(show("yamldecode", &[s("a: 1\n---\nb: 2\n")])
            .starts_with("error(arg 0): invalid YAML:"));
        assert_eq!(
            show("yamldecode", &[s("? [1]\n: x\n")]),
            "error(arg 0): invalid YAML: a mapping key must be a string, number, bool or null"
        );
        assert_eq!(
            show("yamlencode", &[Value::list([Value::unknown(Type::Any)])]),
            "(known after apply)"
        );
    }

    #[test]
    fn base64_both_ways() {
        assert_eq!(show("base64encode", &[s("hello")]), r#""aGVsbG8=""#);
        assert_eq!(show("base64decode", &[s("aGVsbG8=")]), r#""hello""#);
        assert_eq!(show("base64decode", &[s("aGVs\r\nbG8=\n")]), r#""hello""#);
        assert!(
            show("base64decode", &[s("not base64!")]).starts_with("error(arg 0): invalid Base64")
        );
        assert_eq!(
            show("base64decode", &[s("/w==")]),
            "error(arg 0): the decoded bytes are not UTF-8 text"
        );
    }

    #[test]
    fn url_encoding() {
        assert_eq!(
            show("urlencode", &[s("a b&c=d/é~")]),
            r#""a+b%26c%3Dd%2F%C3%A9~""#
        );
        assert_eq!(
            show("urlencode", &[n(1.0)]),
            "error(arg 0): invalid value for `string`: expected string, found number"
        );
    }

    #[test]
    fn csv_rows() {
        assert_eq!(
            show("csvdecode", &[s("a,b\n1,2\n\"x,y\",3\n")]),
            r#"[{ a = "1", b = "2" }, { a = "x,y", b = "3" }]"#
        );
        assert_eq!(show("csvdecode", &[s("a,b\n")]), "[]");
        assert!(show("csvdecode", &[s("a,b\n1\n")]).starts_with("error(arg 0): invalid CSV:"));
        // Quoting is strict, and only `\n` or `\r\n` end a line, as in Terraform.
        assert_eq!(
            show("csvdecode", &[s("a\nx\"y\n")]),
            "error(arg 0): invalid CSV: line 2: a `\"` in a field that is not quoted"
        );
        assert_eq!(
            show("csvdecode", &[s("a\n\"x\" \n")]),
            "error(arg 0): invalid CSV: line 2: text after the closing `\"` of a field"
        );
        assert_eq!(
            show("csvdecode", &[s("a\n\"x\n")]),
            "error(arg 0): invalid CSV: line 2: a quoted field that does not end"
        );
        assert_eq!(
            show("csvdecode", &[s("a,b\r\n\"x\"\"y\",\"1\r\n2\"\r\n")]),
            r#"[{ a = "x\"y", b = "1\n2" }]"#
        );
        assert_eq!(show("csvdecode", &[s("a\rb\n")]), "[]");
    }
}
