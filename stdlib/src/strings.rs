//! String functions: `format join split replace lower upper trim trimprefix trimsuffix
//! substr regex regexall startswith endswith strrev title indent`.

use ::regex::{Captures, Match, Regex};
use aic_lang::types::Type;
use aic_lang::value::Value;
use unicode_segmentation::UnicodeSegmentation;

use crate::{args, builtin, Category, Function, FunctionError};

pub(crate) fn functions() -> Vec<Function> {
    let f = |name, doc, body| Function::eager(name, Category::Strings, doc, body);
    vec![
        f("format", format::DOC, format)
            .param("format", Type::String)
            .variadic("values", Type::Any)
            .nullable()
            .returns(Type::String),
        f("join", join::DOC, join)
            .param("separator", Type::String)
            .variadic_required("lists", Type::list(Type::String))
            .returns(Type::String),
        f("split", split::DOC, split)
            .param("separator", Type::String)
            .param("string", Type::String)
            .returns(Type::list(Type::String)),
        f("replace", replace::DOC, replace)
            .param("string", Type::String)
            .param("search", Type::String)
            .param("replacement", Type::String)
            .returns(Type::String),
        f("lower", lower::DOC, lower)
            .param("string", Type::String)
            .returns(Type::String),
        f("upper", upper::DOC, upper)
            .param("string", Type::String)
            .returns(Type::String),
        f("trim", trim::DOC, trim)
            .param("string", Type::String)
            .optional("cutset", Type::String)
            .returns(Type::String),
        f("trimprefix", trimprefix::DOC, trimprefix)
            .param("string", Type::String)
            .param("prefix", Type::String)
            .returns(Type::String),
        f("trimsuffix", trimsuffix::DOC, trimsuffix)
            .param("string", Type::String)
            .param("suffix", Type::String)
            .returns(Type::String),
        f("substr", substr::DOC, substr)
            .param("string", Type::String)
            .param("offset", Type::Number)
            .param("length", Type::Number)
            .returns(Type::String),
        f("regex", regex::DOC, regex)
            .param("pattern", Type::String)
            .param("string", Type::String)
            .returns(Type::Any),
        f("regexall", regexall::DOC, regexall)
            .param("pattern", Type::String)
            .param("string", Type::String)
            .returns(Type::list(Type::Any)),
        f("startswith", startswith::DOC, startswith)
            .param("string", Type::String)
            .param("prefix", Type::String)
            .returns(Type::Bool),
        f("endswith", endswith::DOC, endswith)
            .param("string", Type::String)
            .param("suffix", Type::String)
            .returns(Type::Bool),
        f("strrev", strrev::DOC, strrev)
            .param("string", Type::String)
            .returns(Type::String),
        f("title", title::DOC, title)
            .param("string", Type::String)
            .returns(Type::String),
        f("indent", indent::DOC, indent)
            .param("spaces", Type::Number)
            .param("string", Type::String)
            .returns(Type::String),
    ]
}

builtin! {
    /// Formats values into a string with printf-style verbs.
    ///
    /// `format("%s-%03d", "web", 7)` is `"web-007"`. Verbs: `%s` (string, number or bool),
    /// `%d` (whole number), `%f` `%e` `%g` (numbers), `%x` `%X` `%o` `%b` (whole numbers in
    /// other bases), `%t` (bool), `%q` (quoted string), `%v` (any value; collections as
    /// JSON), `%#v` (JSON), `%%`. Flags `-` `+` `0` `#` and space, a width, a precision
    /// (`%.2f`) and an argument index (`%[2]s`) may precede the verb. Every value must be
    /// used.
    fn format(_ctx, args) {
        let template = args::string(args, 0)?;
        let values = args.get(1..).unwrap_or_default();
        crate::format::format(template, values, 1).map(Value::string)
    }
}

builtin! {
    /// Joins the strings of one or more lists with a separator.
    ///
    /// `join(", ", ["a", "b"])` is `"a, b"`; `join(",", ["a"], ["b", "c"])` is `"a,b,c"`.
    fn join(_ctx, args) {
        let separator = args::string(args, 0)?;
        let mut parts = Vec::new();
        for i in 1..args.len() {
            parts.extend(args::strings(args, i)?);
        }
        Ok(Value::string(parts.join(separator)))
    }
}

builtin! {
    /// Splits a string at every occurrence of a separator.
    ///
    /// `split(",", "a,b,c")` is `["a", "b", "c"]`; `split(",", "")` is `[""]`. An empty
    /// separator splits the string into its characters.
    fn split(_ctx, args) {
        let separator = args::string(args, 0)?;
        let string = args::string(args, 1)?;
        let parts: Vec<Value> = if separator.is_empty() {
            string.chars().map(|c| Value::string(c.to_string())).collect()
        } else {
            string.split(separator).map(Value::string).collect()
        };
        Ok(Value::list(parts))
    }
}

builtin! {
    /// Replaces every occurrence of `search` in a string.
    ///
    /// `replace("a-b-c", "-", "_")` is `"a_b_c"`. A `search` wrapped in slashes is a
    /// regular expression, and the replacement may name its groups with `$1` or
    /// `${name}`: `replace("v1.2", "/v(\\d+)/", "version $1")` is `"version 1.2"`. An
    /// empty `search` matches before and after every character (`replace("ab", "", "-")`
    /// is `"-a-b-"`), as in Terraform.
    fn replace(_ctx, args) {
        let string = args::string(args, 0)?;
        let search = args::string(args, 1)?;
        let replacement = args::string(args, 2)?;
        match search.strip_prefix('/').and_then(|s| s.strip_suffix('/')) {
            Some(pattern) => {
                let re = compile(pattern, 1)?;
                Ok(Value::string(re.replace_all(string, replacement)))
            }
            None if search.is_empty() => {
                let mut out = String::from(replacement);
                for c in string.chars() {
                    out.push(c);
                    out.push_str(replacement);
                }
                Ok(Value::string(out))
            }
            None => Ok(Value::string(string.replace(search, replacement))),
        }
    }
}

builtin! {
    /// The string in lower case. `lower("HeLLo")` is `"hello"`.
    fn lower(_ctx, args) {
        Ok(Value::string(args::string(args, 0)?.to_lowercase()))
    }
}

builtin! {
    /// The string in upper case. `upper("hello")` is `"HELLO"`.
    fn upper(_ctx, args) {
        Ok(Value::string(args::string(args, 0)?.to_uppercase()))
    }
}

builtin! {
    /// Removes the characters of `cutset` from both ends of a string (whitespace when no
    /// cutset is given).
    ///
    /// `trim("  hi ")` is `"hi"`; `trim("?!hi!?", "!?")` is `"hi"`.
    fn trim(_ctx, args) {
        let string = args::string(args, 0)?;
        Ok(Value::string(match args::optional(args, 1) {
            Some(_) => {
                let cutset = args::string(args, 1)?;
                string.trim_matches(|c| cutset.contains(c))
            }
            None => string.trim(),
        }))
    }
}

builtin! {
    /// The string without `prefix`, when it starts with it.
    /// `trimprefix("helloworld", "hello")` is `"world"`.
    fn trimprefix(_ctx, args) {
        let string = args::string(args, 0)?;
        let prefix = args::string(args, 1)?;
        Ok(Value::string(string.strip_prefix(prefix).unwrap_or(string)))
    }
}

builtin! {
    /// The string without `suffix`, when it ends with it.
    /// `trimsuffix("helloworld", "world")` is `"hello"`.
    fn trimsuffix(_ctx, args) {
        let string = args::string(args, 0)?;
        let suffix = args::string(args, 1)?;
        Ok(Value::string(string.strip_suffix(suffix).unwrap_or(string)))
    }
}

builtin! {
    /// A part of a string: `length` characters from `offset`, where a character is what
    /// a reader sees as one (a grapheme cluster: `"👍🏽"` and `"e\u{301}"` are one each).
    ///
    /// `substr("hello world", 1, 4)` is `"ello"`. A negative offset counts from the end
    /// (`substr("hello", -3, 2)` is `"ll"`) and one before the start counts from the
    /// start; a negative length takes the rest. An offset or length past the end stops
    /// at the end: `substr("hello", 10, 2)` is `""`.
    fn substr(_ctx, args) {
        let string = args::string(args, 0)?;
        let offset = args::integer(args, 1)?;
        let length = args::integer(args, 2)?;
        let graphemes: Vec<&str> = string.graphemes(true).collect();
        let len = i64::try_from(graphemes.len()).unwrap_or(i64::MAX);
        let start = if offset < 0 { (len + offset).max(0) } else { offset.min(len) };
        let end = if length < 0 { len } else { start.saturating_add(length).min(len) };
        let (start, end) = (
            usize::try_from(start).unwrap_or(0),
            usize::try_from(end).unwrap_or(0),
        );
        Ok(Value::string(graphemes.get(start..end).unwrap_or_default().concat()))
    }
}

/// Compiles a user's regular expression; errors blame argument `arg`. `\\d \\w \\s \\b`
/// and their negations are ASCII classes, as in Terraform (Go's RE2); the `regex`
/// crate would read them as Unicode classes.
fn compile(pattern: &str, arg: usize) -> Result<Regex, FunctionError> {
    let invalid =
        |e: ::regex::Error| FunctionError::arg(arg, format!("invalid regular expression: {e}"));
    // Syntax errors are reported against the pattern as written.
    Regex::new(pattern).map_err(invalid)?;
    Regex::new(&ascii_perl_classes(pattern)).map_err(invalid)
}

/// The pattern with `\\d \\D \\w \\W \\s \\S \\b \\B` spelled as their ASCII classes
/// (`[0-9]`, `[0-9A-Za-z_]`, `[\\t\\n\\f\\r ]`, an ASCII word boundary), inside and
/// outside bracketed classes.
fn ascii_perl_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    // How deep inside `[…]` we are (`[[:alpha:]]` nests once).
    let mut depth = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(escaped) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let inside = depth > 0;
                match escaped {
                    'd' if inside => out.push_str("0-9"),
                    'd' => out.push_str("[0-9]"),
                    'D' => out.push_str("[^0-9]"),
                    'w' if inside => out.push_str("0-9A-Za-z_"),
                    'w' => out.push_str("[0-9A-Za-z_]"),
                    'W' => out.push_str("[^0-9A-Za-z_]"),
                    's' if inside => out.push_str("\\t\\n\\f\\r "),
                    's' => out.push_str("[\\t\\n\\f\\r ]"),
                    'S' => out.push_str("[^\\t\\n\\f\\r ]"),
                    'b' if !inside => out.push_str("(?-u:\\b)"),
                    'B' if !inside => out.push_str("(?-u:\\B)"),
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
            }
            '[' => {
                depth += 1;
                out.push('[');
                // A `]` first in a class (after an optional `^`) is a literal.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push(']');
                    chars.next();
                }
            }
            ']' if depth > 0 => {
                depth -= 1;
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out
}

/// The value of one match: the whole match without groups, an object of named groups, or
/// a tuple of numbered groups (unmatched groups are null).
fn match_value(re: &Regex, captures: &Captures<'_>) -> Value {
    let text = |m: Option<Match<'_>>| m.map_or_else(Value::null, |m| Value::string(m.as_str()));
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    if names.is_empty() {
        return text(captures.get(0));
    }
    if names.iter().all(Option::is_some) {
        return Value::object(
            names
                .iter()
                .flatten()
                .map(|name| (*name, text(captures.name(name)))),
        );
    }
    Value::tuple((1..re.captures_len()).map(|i| text(captures.get(i))))
}

fn check_groups(re: &Regex) -> Result<(), FunctionError> {
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    if names.iter().any(Option::is_some) && names.iter().any(Option::is_none) {
        return Err(FunctionError::arg(
            0,
            "a pattern may not mix named and numbered groups",
        ));
    }
    Ok(())
}

builtin! {
    /// The first match of a regular expression in a string.
    ///
    /// Without groups the result is the matched text: `regex("[0-9]+", "ab123")` is
    /// `"123"`. With named groups it is an object (`regex("(?P<k>\\w+)=(?P<v>\\w+)", "a=b")`
    /// is `{ k = "a", v = "b" }`), with numbered groups a tuple of the groups. No match is
    /// an error; use `regexall` to test.
    fn regex(_ctx, args) {
        let re = compile(args::string(args, 0)?, 0)?;
        check_groups(&re)?;
        let string = args::string(args, 1)?;
        let captures = re
            .captures(string)
            .ok_or_else(|| FunctionError::arg(1, "the pattern does not match the string"))?;
        Ok(match_value(&re, &captures))
    }
}

builtin! {
    /// Every match of a regular expression in a string, as a list (empty when there is
    /// none); each match is shaped as by `regex`.
    ///
    /// `regexall("[0-9]+", "a1b22")` is `["1", "22"]`.
    fn regexall(_ctx, args) {
        let re = compile(args::string(args, 0)?, 0)?;
        check_groups(&re)?;
        let string = args::string(args, 1)?;
        Ok(Value::list(re.captures_iter(string).map(|c| match_value(&re, &c))))
    }
}

builtin! {
    /// Whether the string starts with `prefix`. `startswith("hello", "he")` is `true`.
    fn startswith(_ctx, args) {
        Ok(Value::bool(args::string(args, 0)?.starts_with(args::string(args, 1)?)))
    }
}

builtin! {
    /// Whether the string ends with `suffix`. `endswith("hello", "lo")` is `true`.
    fn endswith(_ctx, args) {
        Ok(Value::bool(args::string(args, 0)?.ends_with(args::string(args, 1)?)))
    }
}

builtin! {
    /// The string with its characters (grapheme clusters, as `length` counts them) in
    /// reverse order. `strrev("abc")` is `"cba"`; `strrev("a👍🏽")` is `"👍🏽a"`.
    fn strrev(_ctx, args) {
        Ok(Value::string(args::string(args, 0)?.graphemes(true).rev().collect::<String>()))
    }
}

/// Whether `c` separates words for `title`: ASCII characters other than letters, digits
/// and `_`, and other white space (Go's `strings.Title`, which Terraform uses).
fn separates_words(c: char) -> bool {
    if c.is_ascii() {
        !(c.is_ascii_alphanumeric() || c == '_')
    } else {
        !c.is_alphanumeric() && c.is_whitespace()
    }
}

/// The title case of a letter: the upper case, except for the digraphs that have a title
/// case of their own (`ǆ` becomes `ǅ`, not `Ǆ`).
fn title_case(c: char, out: &mut String) {
    match c {
        '\u{1C4}'..='\u{1C6}' => out.push('\u{1C5}'),
        '\u{1C7}'..='\u{1C9}' => out.push('\u{1C8}'),
        '\u{1CA}'..='\u{1CC}' => out.push('\u{1CB}'),
        '\u{1F1}'..='\u{1F3}' => out.push('\u{1F2}'),
        c => out.extend(c.to_uppercase()),
    }
}

builtin! {
    /// The string with the first letter of every word in title case. Words are separated
    /// by white space and ASCII punctuation other than `_`.
    ///
    /// `title("hello big-world")` is `"Hello Big-World"`; `title("snake_case")` is
    /// `"Snake_case"`.
    fn title(_ctx, args) {
        let mut out = String::new();
        let mut at_word_start = true;
        for c in args::string(args, 0)?.chars() {
            if at_word_start {
                title_case(c, &mut out);
            } else {
                out.push(c);
            }
            at_word_start = separates_words(c);
        }
        Ok(Value::string(out))
    }
}

builtin! {
    /// Indents every line of a string but the first by `spaces` spaces, to embed a
    /// multi-line string in an indented block.
    ///
    /// `indent(2, "a\nb")` is `"a\n  b"`.
    fn indent(_ctx, args) {
        let spaces = args::count(args, 0)?;
        let pad = " ".repeat(spaces);
        Ok(Value::string(args::string(args, 1)?.replace('\n', &format!("\n{pad}"))))
    }
}

#[cfg(test)]
mod tests {
    use aic_lang::types::Type;
    use aic_lang::value::Value;

    use crate::test_support::*;

    #[test]
    fn format_verbs() {
        let cases: &[(&str, Vec<Value>, &str)] = &[
            ("%s-%03d", vec![s("web"), n(7.0)], "\"web-007\""),
            ("%d%%", vec![n(50.0)], "\"50%\""),
            ("%5s|%-5s|", vec![s("a"), s("b")], "\"    a|b    |\""),
            ("%.2f", vec![n(1.23456)], "\"1.23\""),
            ("%+d %+d", vec![n(5.0), n(-5.0)], "\"+5 -5\""),
            (
                "%x %X %#x %o %b",
                vec![n(255.0), n(255.0), n(255.0), n(8.0), n(5.0)],
                "\"ff FF 0xff 10 101\"",
            ),
            ("%e", vec![n(1500.0)], "\"1.500000e+03\""),
            ("%.1E", vec![n(0.00012)], "\"1.2E-04\""),
            ("%g", vec![n(2.5)], "\"2.5\""),
            ("%t", vec![Value::bool(true)], "\"true\""),
            ("%q", vec![s("a\"b")], r#""\"a\\\"b\"""#),
            (
                "%v %v",
                vec![s("x"), Value::list([n(1.0), s("a")])],
                r#""x [1,\"a\"]""#,
            ),
            ("%#v", vec![s("x")], r#""\"x\"""#),
            ("%v", vec![Value::null()], "\"null\""),
            ("%s %s", vec![n(1.5), Value::bool(false)], "\"1.5 false\""),
            ("%.3s", vec![s("abcdef")], "\"abc\""),
            ("%[2]s %[1]s", vec![s("a"), s("b")], "\"b a\""),
            ("%05d", vec![n(-42.0)], "\"-0042\""),
            ("% d", vec![n(3.0)], "\" 3\""),
            ("%08.3f", vec![n(1.23456)], "\"0001.235\""),
            ("no verbs", vec![], "\"no verbs\""),
        ];
        for (template, values, expected) in cases {
            let mut args = vec![s(template)];
            args.extend(values.iter().cloned());
            assert_eq!(&show("format", &args), expected, "format({template:?})");
        }
    }

    #[test]
    fn format_errors() {
        assert_eq!(
            show("format", &[s("%s %s"), s("a")]),
            "error: not enough arguments for the format string: `%s` needs argument 2"
        );
        assert_eq!(
            show("format", &[s("%s"), s("a"), s("b")]),
            "error(arg 2): too many arguments: the format string uses 1 of 2"
        );
        assert_eq!(
            show("format", &[s("%d"), n(1.5)]),
            "error(arg 1): `%d` needs a whole number, found 1.5"
        );
        assert_eq!(
            show("format", &[s("%d"), s("x")]),
            "error(arg 1): `%d` cannot format a string"
        );
        assert_eq!(
            show("format", &[s("%y"), s("x")]),
            "error(arg 1): unknown verb `%y`"
        );
        assert_eq!(
            show("format", &[s("%"), s("x")]),
            "error(arg 0): the format string ends in the middle of a verb"
        );
        assert_eq!(
            show("format", &[s("%s"), Value::null()]),
            "error(arg 1): `%s` cannot format null"
        );
        assert_eq!(
            show("format", &[s("%s"), strs(&["a"])]),
            "error(arg 1): `%s` cannot format a list(string)"
        );
        assert_eq!(
            show("format", &[s("%[0]s"), s("a")]),
            "error(arg 0): argument indexes start at 1"
        );
        assert_eq!(
            show("format", &[s("%[1s"), s("a")]),
            "error(arg 0): expected `]` after an argument index"
        );
        assert_eq!(
            show(
                "format",
                &[s("%v"), Value::list([Value::unknown(Type::String)])]
            ),
            "(known after apply)"
        );
    }

    #[test]
    fn join_and_split() {
        assert_eq!(show("join", &[s(", "), strs(&["a", "b"])]), r#""a, b""#);
        assert_eq!(show("join", &[s(","), strs(&[])]), r#""""#);
        assert_eq!(
            show("join", &[s(","), Value::list([s("a"), Value::null()])]),
            "error(arg 1): element 1 must be a string, found null"
        );
        assert_eq!(show("split", &[s(","), s("a,b,c")]), r#"["a", "b", "c"]"#);
        assert_eq!(show("split", &[s(","), s("")]), r#"[""]"#);
        assert_eq!(show("split", &[s(""), s("ab")]), r#"["a", "b"]"#);
        assert_eq!(
            show("split", &[n(1.0), s("")]),
            "error(arg 0): invalid value for `separator`: expected string, found number"
        );
    }

    #[test]
    fn replace_plain_and_regex() {
        assert_eq!(show("replace", &[s("a-b-c"), s("-"), s("_")]), r#""a_b_c""#);
        assert_eq!(
            show("replace", &[s("v1.2"), s(r"/v(\d+)/"), s("version $1")]),
            r#""version 1.2""#
        );
        assert_eq!(
            show("replace", &[s("x"), s("/(/"), s("")]),
            "error(arg 1): invalid regular expression: regex parse error:\n    (\n    ^\nerror: unclosed group"
        );
        // An empty search matches around every character.
        assert_eq!(show("replace", &[s("xé"), s(""), s("-")]), r#""-x-é-""#);
        assert_eq!(show("replace", &[s(""), s(""), s("-")]), r#""-""#);
    }

    #[test]
    fn case_and_trimming() {
        assert_eq!(show("lower", &[s("HeLLo")]), r#""hello""#);
        assert_eq!(show("upper", &[s("straße")]), r#""STRASSE""#);
        assert_eq!(show("trim", &[s("  hi \n")]), r#""hi""#);
        assert_eq!(show("trim", &[s("?!hi!?"), s("!?")]), r#""hi""#);
        assert_eq!(
            show("trimprefix", &[s("helloworld"), s("hello")]),
            r#""world""#
        );
        assert_eq!(show("trimprefix", &[s("hello"), s("x")]), r#""hello""#);
        assert_eq!(
            show("trimsuffix", &[s("helloworld"), s("world")]),
            r#""hello""#
        );
        assert_eq!(show("trimsuffix", &[s("hello"), s("x")]), r#""hello""#);
        assert_eq!(
            show("title", &[s("hello big-world")]),
            r#""Hello Big-World""#
        );
        assert_eq!(show("strrev", &[s("abcé")]), r#""écba""#);
        // Grapheme clusters stay whole.
        assert_eq!(show("strrev", &[s("a👍🏽e\u{301}")]), "\"e\u{301}👍🏽a\"");
        assert_eq!(show("strrev", &[s("a\r\nb")]), r#""b\r\na""#);
        // `_` joins words, and digraphs take their title case.
        assert_eq!(
            show("title", &[s("snake_case o'neil x.y")]),
            r#""Snake_case O'Neil X.Y""#
        );
        assert_eq!(show("title", &[s("ǆemal")]), r#""ǅemal""#);
        assert_eq!(
            show("trim", &[s("x"), n(1.0)]),
            "error(arg 1): invalid value for `cutset`: expected string, found number"
        );
    }

    #[test]
    fn substr_counts_characters() {
        assert_eq!(
            show("substr", &[s("hello world"), n(1.0), n(4.0)]),
            r#""ello""#
        );
        assert_eq!(show("substr", &[s("hello"), n(-3.0), n(2.0)]), r#""ll""#);
        assert_eq!(show("substr", &[s("hello"), n(2.0), n(-1.0)]), r#""llo""#);
        assert_eq!(show("substr", &[s("hello"), n(3.0), n(100.0)]), r#""lo""#);
        assert_eq!(show("substr", &[s("héllo"), n(1.0), n(1.0)]), r#""é""#);
        assert_eq!(show("substr", &[s("abc"), n(3.0), n(1.0)]), r#""""#);
        // Offsets past either end are clamped; any negative length takes the rest.
        assert_eq!(show("substr", &[s("abc"), n(4.0), n(1.0)]), r#""""#);
        assert_eq!(show("substr", &[s("abc"), n(-4.0), n(2.0)]), r#""ab""#);
        assert_eq!(show("substr", &[s("abc"), n(1.0), n(-2.0)]), r#""bc""#);
        // Characters are grapheme clusters.
        assert_eq!(show("substr", &[s("a👍🏽b"), n(1.0), n(1.0)]), r#""👍🏽""#);
        assert_eq!(show("substr", &[s("🇩🇪🇫🇷"), n(-1.0), n(1.0)]), r#""🇫🇷""#);
        assert_eq!(
            show("substr", &[s("abc"), n(0.5), n(1.0)]),
            "error(arg 1): expected a whole number, found 0.5"
        );
    }

    #[test]
    fn regex_shapes() {
        assert_eq!(show("regex", &[s("[0-9]+"), s("ab123")]), r#""123""#);
        assert_eq!(
            show("regex", &[s(r"(?P<k>\w+)=(?P<v>\w+)"), s("a=b")]),
            r#"{ k = "a", v = "b" }"#
        );
        assert_eq!(
            show("regex", &[s(r"(\d+)-(x)?"), s("12-")]),
            r#"["12", null]"#
        );
        assert_eq!(
            show("regex", &[s("z"), s("abc")]),
            "error(arg 1): the pattern does not match the string"
        );
        assert!(show("regex", &[s("("), s("abc")])
            .starts_with("error(arg 0): invalid regular expression"));
        assert_eq!(
            show("regex", &[s(r"(?P<a>x)(y)"), s("xy")]),
            "error(arg 0): a pattern may not mix named and numbered groups"
        );
        assert_eq!(
            show("regexall", &[s("[0-9]+"), s("a1b22")]),
            r#"["1", "22"]"#
        );
        assert_eq!(show("regexall", &[s("[0-9]+"), s("ab")]), "[]");
        assert_eq!(
            show("regexall", &[s(r"(\w)=(\w)"), s("a=b c=d")]),
            r#"[["a", "b"], ["c", "d"]]"#
        );
        assert!(show("regexall", &[s("["), s("")]).starts_with("error(arg 0)"));
        // Perl classes are ASCII, as in Go's RE2; Unicode classes stay Unicode.
        assert_eq!(show("regex", &[s(r"\w+"), s("héllo")]), r#""h""#);
        assert_eq!(show("regex", &[s(r"[\d.]+"), s("٣4.5")]), r#""4.5""#);
        assert_eq!(show("regex", &[s(r"\S+"), s("\u{a0}x y")]), "\"\u{a0}x\"");
        assert_eq!(show("regex", &[s(r"\bé"), s("aé é")]), r#""é""#);
        assert_eq!(show("regex", &[s(r"\pL+"), s("1héllo")]), r#""héllo""#);
        assert_eq!(show("regex", &[s(r"[]\w]+"), s("-]a_-")]), r#""]a_""#);
        assert_eq!(show("regex", &[s(r"[^\D]"), s("a7")]), r#""7""#);
        assert_eq!(
            show("replace", &[s("a1 é2"), s(r"/\W/"), s("_")]),
            r#""a1__2""#
        );
    }

    #[test]
    fn prefixes_and_indent() {
        assert_eq!(show("startswith", &[s("hello"), s("he")]), "true");
        assert_eq!(show("startswith", &[s("hello"), s("lo")]), "false");
        assert_eq!(show("endswith", &[s("hello"), s("lo")]), "true");
        assert_eq!(show("endswith", &[s("hello"), s("he")]), "false");
        assert_eq!(show("indent", &[n(2.0), s("a\nb\n")]), r#""a\n  b\n  ""#);
        assert_eq!(
            show("indent", &[n(-1.0), s("a")]),
            "error(arg 0): must not be negative, got -1"
        );
        assert_eq!(
            show("startswith", &[s("a"), Value::null()]),
            "error(arg 1): `prefix` must not be null"
        );
    }
}
