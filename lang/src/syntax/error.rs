//! Syntax errors: data with spans, turned into diagnostics in [`SyntaxError::to_diagnostic`]
//! (the only place their words live), and the classification of pest failures into them.
//!
//! pest reports one position and the tokens it tried there. That is rarely what a user
//! needs to read, so [`from_pest`] first looks for a lexical cause before the failure (an
//! unterminated string, comment or heredoc, an unclosed bracket), then for the common
//! shapes of mistakes (a misspelt item keyword, a missing `=`, a `{` on the next line),
//! and only then falls back to "expected …, found …" in words.

use pest::error::{Error as PestError, InputLocation};
use pest::Parser as _;

use super::ast::BlockKind;
use super::parser::{AicParser, Rule};
use crate::codes;
use crate::diag::{suggest, Code, Diagnostic};
use crate::source::{FileId, Span};

/// How many brackets, braces, parentheses and `${` may be open at once. Deeper input is
/// refused before parsing (E0116): the parser and every later phase recurse once per
/// level, and no real configuration comes near this.
pub(crate) const MAX_NESTING: usize = 64;

/// How many operators, prefix operators or postfix accesses one chain may hold
/// (`a + b + …`, `a.b.c…`). Each one is a level of the tree, so longer chains are refused
/// like deep nesting (E0116).
pub(crate) const MAX_CHAIN: usize = 256;

/// What went wrong while reading a file.
#[derive(Debug, Clone, PartialEq)]
pub enum SyntaxError {
    /// E0101: the parser met something it did not expect.
    Unexpected {
        found: String,
        expected: Vec<String>,
        at: Span,
        context: Context,
    },
    /// E0102: a quoted string runs to the end of its line.
    UnterminatedString { at: Span },
    /// E0103: a `/*` comment is never closed.
    UnterminatedComment { at: Span },
    /// E0104: two attributes, elements or items on one line without a separator.
    MissingSeparator { at: Span, between: Separated },
    /// E0105: a top-level block kind that does not exist.
    UnknownItem { name: String, at: Span },
    /// E0106: a block with the wrong number of labels.
    LabelCount {
        kind: BlockKind,
        found: usize,
        at: Span,
    },
    /// E0107: an escape sequence the language does not define.
    BadEscape { text: String, at: Span },
    /// E0108: a heredoc whose closing marker never comes.
    UnterminatedHeredoc { marker: String, at: Span },
    /// E0109: a number that is not finite (`1e999`).
    BadNumber { text: String, at: Span },
    /// E0110: `|` between types that are not string literals.
    UnionOfNonLiterals { at: Span },
    /// E0111: a bracket, brace, parenthesis or `${` that is never closed. `end` is where
    /// the file (or, during recovery, the item) ends.
    Unclosed {
        open: &'static str,
        at: Span,
        end: Span,
        end_of_file: bool,
    },
    /// E0112: `\u{…}` naming no Unicode scalar value.
    BadUnicodeEscape { text: String, at: Span },
    /// E0113: `${…}` where only a plain string is allowed (labels, keys, type literals).
    InterpolationNotAllowed { at: Span },
    /// E0114: an attribute at the top level of a file, outside any block.
    TopLevelAttribute { name: String, at: Span },
    /// E0115: a closing bracket with no matching opening one; `open` is the bracket it
    /// meets instead, if any.
    UnmatchedClose {
        close: char,
        at: Span,
        open: Option<(char, Span)>,
    },
    /// E0116: brackets nested deeper than [`MAX_NESTING`], or a chain of operators longer
    /// than [`MAX_CHAIN`].
    TooDeep { at: Span, chain: bool },
}

/// What an E0101 was about, when a more precise explanation is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Nothing more precise than the expected tokens.
    General,
    /// A name followed by something that is neither `=` nor `{`.
    AttributeOrBlock,
    /// `let`, `output` or `type` without its `=`.
    ItemEquals(&'static str),
    /// A block whose `{` stands on the line after its labels.
    BraceOnNextLine { brace: Span },
    /// An `=` with nothing after it on its line.
    MissingValue,
    /// A letter outside ASCII in an identifier.
    NonAsciiIdentifier,
}

/// Which list lacked a separator, for E0104's help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Separated {
    Items,
    Attributes,
    ListElements,
    ObjectItems,
    TypeFields,
}

impl SyntaxError {
    pub fn code(&self) -> &'static Code {
        match self {
            SyntaxError::Unexpected { .. } => &codes::E0101,
            SyntaxError::UnterminatedString { .. } => &codes::E0102,
            SyntaxError::UnterminatedComment { .. } => &codes::E0103,
            SyntaxError::MissingSeparator { .. } => &codes::E0104,
            SyntaxError::UnknownItem { .. } => &codes::E0105,
            SyntaxError::LabelCount { .. } => &codes::E0106,
            SyntaxError::BadEscape { .. } => &codes::E0107,
            SyntaxError::UnterminatedHeredoc { .. } => &codes::E0108,
            SyntaxError::BadNumber { .. } => &codes::E0109,
            SyntaxError::UnionOfNonLiterals { .. } => &codes::E0110,
            SyntaxError::Unclosed { .. } => &codes::E0111,
            SyntaxError::BadUnicodeEscape { .. } => &codes::E0112,
            SyntaxError::InterpolationNotAllowed { .. } => &codes::E0113,
            SyntaxError::TopLevelAttribute { .. } => &codes::E0114,
            SyntaxError::UnmatchedClose { .. } => &codes::E0115,
            SyntaxError::TooDeep { .. } => &codes::E0116,
        }
    }

    pub fn to_diagnostic(&self) -> Diagnostic {
        let code = self.code();
        match self {
            SyntaxError::Unexpected {
                found,
                expected,
                at,
                context,
            } => unexpected(code, found, expected, *at, *context),
            SyntaxError::UnterminatedString { at } => {
                Diagnostic::new(code)
                    .with_primary(*at, "this string is not closed before the end of the line")
                    .with_help(
                        "Add the closing `\"`. For text over several lines use a heredoc: `<<-EOT … EOT`.",
                    )
            }
            SyntaxError::UnterminatedComment { at } => {
                Diagnostic::new(code)
                    .with_primary(*at, "this comment is never closed")
                    .with_help("Close the comment with `*/`; block comments do not nest.")
            }
            SyntaxError::MissingSeparator { at, between } => {
                let (label, help) = match between {
                    Separated::Items => (
                        "expected a new line before this",
                        "Start each item on its own line.",
                    ),
                    Separated::Attributes => (
                        "expected `,` or a new line before this",
                        "Put each attribute on its own line, or separate them with commas: `a = 1, b = 2`.",
                    ),
                    Separated::ListElements => (
                        "expected `,` before this",
                        "Separate list elements with commas: `[\"a\", \"b\"]`.",
                    ),
                    Separated::ObjectItems => (
                        "expected `,` or a new line before this",
                        "Separate object items with commas or new lines: `{ a = 1, b = 2 }`.",
                    ),
                    Separated::TypeFields => (
                        "expected `,` before this",
                        "Separate the fields of an object type with commas: `object({ a: string, b: number })`.",
                    ),
                };
                Diagnostic::new(code)
                    .with_primary(*at, label)
                    .with_help(help)
            }
            SyntaxError::UnknownItem { name, at } if is_value_item(name) => {
                // `output s { value = … }`, `variable v { type = … }`: an item written
                // as a Terraform block.
                let form = match name.as_str() {
                    "output" => "`output NAME = EXPR`, with an optional body for `description` and `sensitive`: `output url = aws_lb.web.dns_name { sensitive = true }`",
                    "variable" => "`variable NAME: TYPE = DEFAULT`, with an optional body for `description`, `sensitive` and `validate`: `variable replicas: number = 2 { description = \"…\" }`",
                    "let" => "`let NAME = EXPR`",
                    _ => "`type NAME = TYPE`",
                };
                Diagnostic::new(code)
                    .with_primary(*at, format!("`{name}` is not written as a block"))
                    .with_help(format!("Write it as {form}."))
            }
            SyntaxError::UnknownItem { name, at } => {
                let kinds: Vec<&str> = ["variable", "let", "output", "type"]
                    .into_iter()
                    .chain(BlockKind::ALL.iter().map(|k| k.keyword()))
                    .collect();
                let d = Diagnostic::new(code)
                    .with_primary(*at, format!("`{name}` is not an item kind"));
                match suggest(name, kinds.iter().copied()) {
                    Some(s) => d.with_help(format!("Did you mean `{s}`?")),
                    None => d.with_help(format!("Items are: {}.", kinds.join(", "))),
                }
            }
            SyntaxError::LabelCount { kind, found, at } => {
                let (min, max) = kind.label_arity();
                let want = match (min, max) {
                    (0, 0) => "no labels".to_string(),
                    (1, 1) => "1 label".to_string(),
                    (a, b) if a == b => format!("{a} labels"),
                    (a, b) => format!("{a} or {b} labels"),
                };
                let form = if kind.label_names().is_empty() {
                    format!("`{} {{ … }}`", kind.keyword())
                } else {
                    format!("`{} {} {{ … }}`", kind.keyword(), kind.label_names())
                };
                Diagnostic::new(code)
                    .with_primary(*at, format!("`{}` takes {want}, found {found}", kind.keyword()))
                    .with_help(format!("Write it as {form}."))
            }
            SyntaxError::BadEscape { text, at } => Diagnostic::new(code)
                .with_primary(*at, format!("`{text}` is not an escape"))
                .with_help(
                    "Valid escapes are \\n \\r \\t \\\" \\\\ and \\u{HEX}; write `\\\\` for a backslash.",
                ),
            SyntaxError::UnterminatedHeredoc { marker, at } => {
                Diagnostic::new(code)
                    .with_primary(*at, format!("this heredoc is never closed by a line `{marker}`"))
                    .with_help(format!(
                        "End the heredoc with a line holding only `{marker}` (indentation allowed)."
                    ))
            }
            SyntaxError::BadNumber { text, at } => Diagnostic::new(code)
                .with_primary(*at, format!("`{text}` is not a finite number"))
                .with_help(
                    "Numbers are 64-bit floating point, up to about 1.8e308; use a smaller exponent.",
                ),
            SyntaxError::UnionOfNonLiterals { at } => {
                Diagnostic::new(code)
                    .with_primary(*at, "only string literals can be joined with `|`")
                    .with_help("Write a union of string literals, as in `\"small\" | \"large\"`.")
            }
            SyntaxError::Unclosed {
                open,
                at,
                end,
                end_of_file,
            } => {
                let close = match *open {
                    "[" => "]",
                    "(" => ")",
                    _ => "}",
                };
                let d = Diagnostic::new(code)
                    .with_primary(*at, format!("this `{open}` is never closed"));
                if *open == "${" {
                    return d.with_help(
                        "Close the interpolation with `}` before the string's closing `\"`.",
                    );
                }
                let end_label = if *end_of_file {
                    format!("the file ends here, with the `{open}` still open")
                } else {
                    format!("the next item starts here, with the `{open}` still open")
                };
                d.with_secondary(*end, end_label)
                    .with_help(format!("Add the missing `{close}`."))
            }
            SyntaxError::BadUnicodeEscape { text, at } => {
                Diagnostic::new(code)
                    .with_primary(*at, format!("`{text}` is not a Unicode scalar value"))
                    .with_help(
                        "Use a code point up to 10FFFF that is not a surrogate (D800–DFFF), as in `\\u{1F600}`.",
                    )
            }
            SyntaxError::InterpolationNotAllowed { at } => {
                Diagnostic::new(code)
                    .with_primary(*at, "an interpolation in text that must be fixed")
                    .with_help(
                        "Block labels, object type keys and type literals are fixed text; remove the `${…}`.",
                    )
            }
            SyntaxError::TopLevelAttribute { name, at } => {
                Diagnostic::new(code)
                    .with_primary(*at, format!("`{name} = …` must be inside a block"))
                    .with_help(format!(
                        "To name a value, write `let {name} = …`; for an input, `variable {name}: TYPE = …`."
                    ))
            }
            SyntaxError::UnmatchedClose { close, at, open } => {
                let d = Diagnostic::new(code);
                match open {
                    Some((o, o_at)) => d
                        .with_primary(*at, format!("this `{close}` does not close the `{o}`"))
                        .with_secondary(*o_at, format!("this `{o}` is still open"))
                        .with_help(format!(
                            "Close the `{o}` with `{}` first, or remove the `{close}`.",
                            match o {
                                '[' => ']',
                                '(' => ')',
                                _ => '}',
                            }
                        )),
                    None => d
                        .with_primary(*at, format!("this `{close}` closes nothing"))
                        .with_help("Remove it, or add the opening delimiter it was meant to close."),
                }
            }
            SyntaxError::TooDeep { at, chain } => {
                let d = Diagnostic::new(code);
                if *chain {
                    d.with_primary(
                        *at,
                        format!("this is operation {} of one chain", MAX_CHAIN + 1),
                    )
                    .with_help(format!(
                        "A chain may hold at most {MAX_CHAIN} operators or accesses; split it with `let`s."
                    ))
                } else {
                    d.with_primary(
                        *at,
                        format!("this opens level {} of nesting", MAX_NESTING + 1),
                    )
                    .with_help(format!(
                        "Brackets, braces, parentheses and `${{`s may nest at most {MAX_NESTING} deep; move inner parts into `let`s."
                    ))
                }
            }
        }
    }
}

fn unexpected(
    code: &'static Code,
    found: &str,
    expected: &[String],
    at: Span,
    context: Context,
) -> Diagnostic {
    let d = Diagnostic::new(code);
    let label = if expected.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {}, found {found}", one_of(expected))
    };
    match context {
        Context::General => d.with_primary(at, label),
        Context::AttributeOrBlock => d.with_primary(at, label).with_help(
            "An attribute is written `name = value`; a block `name [LABEL…] { … }`, with its labels and `{` on one line.",
        ),
        Context::ItemEquals(kw) => {
            let form = match kw {
                "type" => "`type NAME = TYPE`",
                "output" => "`output NAME = VALUE`",
                _ => "`let NAME = VALUE`",
            };
            d.with_primary(at, label)
                .with_help(format!("A `{kw}` is written {form}."))
        }
        Context::BraceOnNextLine { brace } => d
            .with_primary(at, "expected `{` at the end of this line")
            .with_secondary(brace, "found on the next line")
            .with_help("A block's `{` must stand on the same line as its kind and labels."),
        Context::MissingValue => d
            .with_primary(at, "expected a value after this `=`, found end of line")
            .with_help("Write the value on the same line as the `=`."),
        Context::NonAsciiIdentifier => d
            .with_primary(at, format!("{found} is not an identifier"))
            .with_help(
                "Names may use only ASCII letters, digits and `_`; an object key with other characters can be quoted: `\"café\" = …`.",
            ),
    }
}

fn one_of(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

// ---------------------------------------------------------------- classification

/// Classifies a pest failure in `full[start..end]`, the part of the file that was parsed
/// (the whole file, or one item during recovery).
pub(crate) fn from_pest(
    file: FileId,
    full: &str,
    (start, end): (usize, usize),
    err: &PestError<Rule>,
) -> SyntaxError {
    let text = full.get(start..end).unwrap_or("");
    let pos = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    }
    .min(text.len());
    let at = |s: usize, e: usize| Span::new(file, start + s, start + e);
    let lex = scan(text);

    if let Some(e) = lex.error_before(text, pos) {
        return match e {
            LexIssue::Comment(s) => SyntaxError::UnterminatedComment { at: at(s, s + 2) },
            LexIssue::String(s, e) => SyntaxError::UnterminatedString { at: at(s, e) },
            LexIssue::Heredoc(s, e, marker) => SyntaxError::UnterminatedHeredoc {
                marker,
                at: at(s, e),
            },
            LexIssue::Escape(s, e) => SyntaxError::BadEscape {
                text: text.get(s..e).unwrap_or("\\").to_string(),
                at: at(s, e),
            },
            LexIssue::Unclosed(open, s) => {
                let end_of_file = full.get(end..).is_none_or(|r| r.trim().is_empty());
                let end_span = if end_of_file {
                    let (s, e) = last_char(full);
                    Span::new(file, s, e)
                } else {
                    Span::new(file, end, token_end(full, end))
                };
                SyntaxError::Unclosed {
                    open,
                    at: at(s, s + open.len()),
                    end: end_span,
                    end_of_file,
                }
            }
            LexIssue::UnmatchedClose(close, s, open) => SyntaxError::UnmatchedClose {
                close,
                at: at(s, s + 1),
                open: open.map(|(c, o)| (c, at(o, o + 1))),
            },
        };
    }

    // A misspelt item keyword: the item's first word is none of them.
    if let Some((s, name)) = unknown_item(text) {
        return SyntaxError::UnknownItem {
            name: name.to_string(),
            at: at(s, s + name.len()),
        };
    }

    // `name = value` at the top of a file.
    if let Some((s, name)) = top_level_attribute(text, pos) {
        return SyntaxError::TopLevelAttribute {
            name: name.to_string(),
            at: at(s, s + name.len()),
        };
    }

    // `let NAME VALUE`: the `=` is missing.
    if let Some((kw, s, e)) = item_without_equals(text) {
        return SyntaxError::Unexpected {
            found: describe(text.get(s..e).unwrap_or("")),
            expected: vec!["`=`".into()],
            at: at(s, e),
            context: Context::ItemEquals(kw),
        };
    }

    // `resource a b` with its `{` on the next line.
    if let Some((s, e, brace)) = brace_on_next_line(text, pos) {
        return SyntaxError::Unexpected {
            found: "end of line".into(),
            expected: vec!["`{`".into()],
            at: at(s, e),
            context: Context::BraceOnNextLine {
                brace: at(brace, brace + 1),
            },
        };
    }

    // `name =` and nothing more on the line.
    if let Some(eq) = missing_value(text, pos) {
        return SyntaxError::Unexpected {
            found: "end of line".into(),
            expected: vec!["a value".into()],
            at: at(eq, eq + 1),
            context: Context::MissingValue,
        };
    }

    // `name "label"` on a line of its own: an attribute missing its `=`, or a block
    // missing its `{`.
    if let Some((s, e)) = headless_line(text, pos) {
        return SyntaxError::Unexpected {
            found: describe(text.get(s..e).unwrap_or("")),
            expected: vec!["`=`".into(), "`{`".into()],
            at: at(s, e),
            context: Context::AttributeOrBlock,
        };
    }

    // A letter outside ASCII where an identifier goes on.
    if let Some((s, e)) = non_ascii_word(text, pos) {
        return SyntaxError::Unexpected {
            found: format!("`{}`", text.get(s..e).unwrap_or("")),
            expected: Vec::new(),
            at: at(s, e),
            context: Context::NonAsciiIdentifier,
        };
    }

    let rest = text.get(pos..).unwrap_or("");
    let at_line_end = {
        let r = rest.trim_start_matches([' ', '\t', '\r']);
        r.is_empty() || r.starts_with('\n') || r.starts_with('#') || r.starts_with("//")
    };
    let (s, e, found) = if rest.trim().is_empty() {
        // A label needs at least one character to point at: at the end of the file,
        // point at the last one.
        let (s, e) = last_char(text);
        (s, e, "end of file".to_string())
    } else if at_line_end {
        // Point just after the last token of the line.
        let line_start = text
            .get(..pos)
            .and_then(|t| t.rfind('\n'))
            .map_or(0, |i| i + 1);
        let content = text
            .get(line_start..pos)
            .unwrap_or("")
            .trim_end_matches([' ', '\t', '\r'])
            .len();
        let s = line_start + content;
        let e = (s + 1..=text.len())
            .find(|e| text.is_char_boundary(*e))
            .unwrap_or(s);
        (s, e, "end of line".to_string())
    } else {
        let e = token_end(text, pos);
        (pos, e, describe(text.get(pos..e).unwrap_or("")))
    };
    SyntaxError::Unexpected {
        found,
        expected: expected_tokens(text, pos),
        at: at(s, e),
        context: Context::General,
    }
}

/// How a found token is named in a label.
fn describe(token: &str) -> String {
    if token.is_empty() {
        "end of file".into()
    } else {
        format!("`{token}`")
    }
}

/// The span of the last non-whitespace character of `text` (or its end).
fn last_char(text: &str) -> (usize, usize) {
    let last = text.trim_end().len();
    let prev = text
        .get(..last)
        .and_then(|t| t.chars().last())
        .map_or(0, char::len_utf8);
    (last.saturating_sub(prev), last)
}

/// Re-parses with pest's detailed tracking on to learn which tokens were expected, and
/// names them in words.
fn expected_tokens(text: &str, pos: usize) -> Vec<String> {
    pest::set_error_detail(true);
    let result = AicParser::parse(Rule::file, text);
    pest::set_error_detail(false);
    let Err(e) = result else {
        return Vec::new();
    };
    let Some(attempts) = e.parse_attempts() else {
        return Vec::new();
    };
    if attempts.max_position != pos {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    for c in attempts.call_stacks() {
        // An operator or a postfix could always follow a complete operand; naming them
        // would drown what was really missing.
        if c.deepest.get_rule().is_some_and(|r| continues_operand(*r)) {
            continue;
        }
        let rule = c.deepest.get_rule().copied().or(c.parent);
        if let Some(name) = rule.and_then(rule_name) {
            push(name.to_string());
        }
    }
    for t in attempts.expected_tokens() {
        // `ParsingToken` is not nameable outside pest; its Display gives the token text,
        // `a..b` for character ranges and BUILTIN_RULE for built-ins, which we skip.
        let token = t.to_string();
        let is_range = token.contains("..") && token != "...";
        if token.trim().is_empty() || token == "BUILTIN_RULE" || is_range {
            continue;
        }
        // Operators could follow any operand, and comments or a byte-order mark can
        // stand anywhere: listing them would drown what was really missing.
        if OPERATORS.contains(&token.as_str())
            || matches!(token.as_str(), "#" | "//" | "/*" | "\u{feff}")
        {
            continue;
        }
        push(match token.as_str() {
            "_" => "an identifier".into(),
            "\"" => "a string".into(),
            "<<" => "a heredoc".into(),
            _ => format!("`{token}`"),
        });
    }
    // Named kinds of thing first, then punctuation; long lists help nobody.
    out.sort_by_key(|s| s.starts_with('`'));
    if out.len() > 5 {
        let keep = ["`=`", "`{`", "`}`", "`]`", "`)`", "`,`", "`:`"];
        out.retain(|s| !s.starts_with('`') || keep.contains(&s.as_str()));
    }
    // What can start an expression (or a type) is said by naming it. A heredoc can only
    // start an expression, so its presence means an operand was expected.
    if out.iter().any(|s| s == "an expression" || s == "a heredoc") {
        out.retain(|s| s != "an expression" && !STARTS_EXPRESSION.contains(&s.as_str()));
        out.insert(0, "an expression".into());
    }
    if out.iter().any(|s| s == "a type") {
        out.retain(|s| s != "an identifier" && s != "a string");
    }
    out
}

/// Tokens that continue an expression after an operand.
const OPERATORS: [&str; 18] = [
    "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "??", "?", ".", "!",
    "...",
];

/// What an expression can start with, besides what its name says.
const STARTS_EXPRESSION: [&str; 9] = [
    "an identifier",
    "a string",
    "a heredoc",
    "a number",
    "`{`",
    "`[`",
    "`(`",
    "`-`",
    "`!`",
];

/// Rules tried after a complete operand.
fn continues_operand(r: Rule) -> bool {
    matches!(
        r,
        Rule::op_coalesce
            | Rule::op_or
            | Rule::op_and
            | Rule::op_eq
            | Rule::op_ne
            | Rule::op_le
            | Rule::op_ge
            | Rule::op_lt
            | Rule::op_gt
            | Rule::op_add
            | Rule::op_sub
            | Rule::op_mul
            | Rule::op_div
            | Rule::op_mod
            | Rule::get_attr
            | Rule::index
            | Rule::splat
    )
}

fn rule_name(r: Rule) -> Option<&'static str> {
    Some(match r {
        Rule::ident | Rule::name | Rule::call_name | Rule::key_ident => "an identifier",
        Rule::expr | Rule::unary => "an expression",
        Rule::string => "a string",
        Rule::number => "a number",
        Rule::type_expr | Rule::type_name => "a type",
        Rule::block_body => "`{`",
        Rule::attribute => "an attribute",
        Rule::block => "a block",
        Rule::EOI => "end of file",
        _ => return None,
    })
}

/// The end of the token starting at `pos`: a word, a string to its end of line, or one
/// character.
pub(crate) fn token_end(text: &str, pos: usize) -> usize {
    let rest = text.get(pos..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return pos;
    };
    if is_ident_char(first) {
        let n = rest.find(|c: char| !is_ident_char(c)).unwrap_or(rest.len());
        return pos + n;
    }
    if first == '"' {
        let n = rest
            .get(1..)
            .and_then(|r| r.find(['"', '\n']))
            .map_or(rest.len(), |i| i + 2);
        return pos + n.min(rest.len());
    }
    pos + first.len_utf8()
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_item_keyword(word: &str) -> bool {
    matches!(word, "variable" | "let" | "output" | "type")
        || BlockKind::from_keyword(word).is_some()
}

/// Byte ranges of the line holding `pos`.
fn line_at(text: &str, pos: usize) -> (usize, usize) {
    let s = text
        .get(..pos)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let e = text
        .get(pos..)
        .and_then(|t| t.find('\n'))
        .map_or(text.len(), |i| pos + i);
    (s, e)
}

/// The tokens of the line starting at `start`, up to a comment: words, strings and
/// single characters, as byte ranges.
fn line_tokens(text: &str, start: usize) -> Vec<(usize, usize)> {
    let (_, end) = line_at(text, start);
    let mut out = Vec::new();
    let mut i = start;
    while i < end {
        let Some(c) = text.get(i..).and_then(|r| r.chars().next()) else {
            break;
        };
        if c == ' ' || c == '\t' || c == '\r' {
            i += 1;
            continue;
        }
        if c == '#' || text.get(i..).is_some_and(|r| r.starts_with("//")) {
            break;
        }
        let e = token_end(text, i).min(end).max(i + c.len_utf8());
        out.push((i, e));
        i = e;
    }
    out
}

/// The line of the first item in `text`: skips blank lines and comments.
fn first_code_line(text: &str) -> Option<usize> {
    let mut offset = 0;
    let mut in_comment = false;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if in_comment {
            in_comment = !line.contains("*/");
        } else if t.starts_with("/*") {
            in_comment = !t.contains("*/");
        } else if !(t.is_empty() || t.starts_with('#') || t.starts_with("//")) {
            return Some(offset + line.len() - t.len());
        }
        offset += line.len();
    }
    None
}

/// The first word of the item, when it is an identifier that no item starts with.
fn unknown_item(text: &str) -> Option<(usize, &str)> {
    let s = first_code_line(text)?;
    let tokens = line_tokens(text, s);
    let (ws, we) = *tokens.first()?;
    let word = text.get(ws..we)?;
    let is_word = word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    let next = tokens.get(1).and_then(|(a, b)| text.get(*a..*b));
    let attribute = next.is_some_and(|n| n == "=");
    (is_word && !is_item_keyword(word) && !attribute).then_some((ws, word))
}

/// `name = value` on the line of `pos`, at the top level of the file.
fn top_level_attribute(text: &str, pos: usize) -> Option<(usize, &str)> {
    let (line_start, _) = line_at(text, pos);
    let rest = text.get(line_start..)?;
    let n = rest.find(|c: char| !is_ident_char(c))?;
    let name = rest.get(..n)?;
    let after = rest.get(n..)?.trim_start_matches([' ', '\t']);
    let is_attr = !name.is_empty() && after.starts_with('=') && !after.starts_with("==");
    (is_attr && scan(text.get(..line_start)?).open.is_empty()).then_some((line_start, name))
}

/// `let NAME X`, `output NAME X`, `type NAME X` where X is not `=`: returns the keyword
/// and the span of X.
fn item_without_equals(text: &str) -> Option<(&'static str, usize, usize)> {
    let s = first_code_line(text)?;
    let tokens = line_tokens(text, s);
    let word = |i: usize| tokens.get(i).and_then(|(a, b)| text.get(*a..*b));
    let kw = match word(0)? {
        "let" => "let",
        "output" => "output",
        "type" => "type",
        _ => return None,
    };
    if !word(1)?.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        return None;
    }
    match tokens.get(2) {
        Some(&(a, b)) if text.get(a..b) != Some("=") => Some((kw, a, b)),
        Some(_) => None,
        None => {
            let (_, b) = *tokens.get(1)?;
            let e = (b + 1..=text.len())
                .find(|e| text.is_char_boundary(*e))
                .unwrap_or(b);
            Some((kw, b, e))
        }
    }
}

/// A block head (`KIND LABEL…`) that fails at the end of its line, with a `{` first
/// thing on the next one: the span of the last label, and the `{`.
fn brace_on_next_line(text: &str, pos: usize) -> Option<(usize, usize, usize)> {
    let (line_start, line_end) = line_at(text, pos);
    let tokens = line_tokens(text, line_start);
    let (_, last_end) = *tokens.last()?;
    if pos < last_end {
        return None;
    }
    let heady = tokens.iter().all(|(a, b)| {
        text.get(*a..*b)
            .is_some_and(|t| t.starts_with(|c: char| is_ident_char(c) || c == '"'))
    });
    if !heady || tokens.len() < 2 {
        return None;
    }
    let after = text.get(line_end..)?;
    let brace = line_end + after.len() - after.trim_start().len();
    (text.get(brace..)?.starts_with('{')).then(|| {
        let (s, e) = *tokens.last().unwrap_or(&(pos, pos));
        (s, e, brace)
    })
}

/// The line before `pos`'s line (skipping blank and comment lines) ends in `=`: returns
/// the position of that `=`.
fn missing_value(text: &str, pos: usize) -> Option<usize> {
    let (line_start, _) = line_at(text, pos);
    let mut end = line_start;
    while end > 0 {
        let (s, _) = line_at(text, end - 1);
        let tokens = line_tokens(text, s);
        if let Some(&(a, b)) = tokens.last() {
            let is_eq = text.get(a..b) == Some("=")
                && tokens.len() >= 2
                && !tokens
                    .get(tokens.len() - 2)
                    .and_then(|(x, y)| text.get(*x..*y))
                    .is_some_and(|p| matches!(p, "=" | "!" | "<" | ">"));
            return is_eq.then_some(a);
        }
        end = s;
    }
    None
}

/// On the line of `pos` (or the line before, when `pos` starts a line): an identifier
/// followed by a second token that is neither `=` nor `{`, with no `{` or `=` on the line.
/// Returns the span of that second token.
fn headless_line(text: &str, pos: usize) -> Option<(usize, usize)> {
    let (mut line_start, _) = line_at(text, pos);
    if text.get(line_start..pos)?.trim().is_empty() && line_start > 0 {
        line_start = line_at(text, line_start - 1).0;
    }
    let tokens = line_tokens(text, line_start);
    let words: Vec<&str> = tokens
        .iter()
        .filter_map(|(a, b)| text.get(*a..*b))
        .collect();
    if words.iter().any(|w| matches!(*w, "{" | "=" | "}")) {
        return None;
    }
    let first = words.first()?;
    if !first.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') || is_item_keyword(first) {
        return None;
    }
    tokens.get(1).copied()
}

/// `pos` sits on a non-ASCII letter inside or right after a word: the whole word.
fn non_ascii_word(text: &str, pos: usize) -> Option<(usize, usize)> {
    let c = text.get(pos..)?.chars().next()?;
    if c.is_ascii() || !c.is_alphanumeric() {
        return None;
    }
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let start = text
        .get(..pos)?
        .char_indices()
        .rev()
        .take_while(|(_, c)| word(*c))
        .last()
        .map_or(pos, |(i, _)| i);
    let rest = text.get(pos..)?;
    let end = rest
        .find(|c: char| !word(c))
        .map_or(text.len(), |i| pos + i);
    Some((start, end))
}

// ---------------------------------------------------------------- lexical scan

enum LexIssue {
    Comment(usize),
    String(usize, usize),
    Heredoc(usize, usize, String),
    Escape(usize, usize),
    Unclosed(&'static str, usize),
    UnmatchedClose(char, usize, Option<(char, usize)>),
}

/// Something open during the scan.
#[derive(Clone, Copy)]
enum Open {
    /// A bracket, with the indentation of its line and whether it ends its line.
    Bracket {
        c: char,
        at: usize,
        indent: usize,
        ends_line: bool,
    },
    /// `${` inside a string.
    Interp(usize),
    /// A string.
    Str(usize),
}

struct Lex {
    issues: Vec<(usize, LexIssue)>,
    /// What is still open at the end: brackets and interpolations.
    open: Vec<Open>,
    /// The first multi-line bracket closed by a line indented differently from its own:
    /// when something is left open at the end, it is probably this one.
    suspect: Option<(&'static str, usize)>,
}

impl Lex {
    /// The first lexical issue that can explain a parse failure at `pos`.
    fn error_before(self, text: &str, pos: usize) -> Option<LexIssue> {
        let first = self
            .issues
            .into_iter()
            .filter(|(p, _)| *p <= pos)
            .min_by_key(|(p, _)| *p)
            .map(|(_, i)| i);
        if first.is_some() {
            return first;
        }
        let rest_is_blank = text.get(pos..).is_none_or(|r| {
            r.lines()
                .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        });
        if !rest_is_blank {
            return None;
        }
        let top = self.open.last().map(|o| match *o {
            Open::Bracket { c, at, .. } => (bracket_str(c), at),
            Open::Interp(at) | Open::Str(at) => ("${", at),
        })?;
        let pick = match self.suspect {
            Some(s) if s.1 > top.1 => s,
            _ => top,
        };
        Some(LexIssue::Unclosed(pick.0, pick.1))
    }
}

fn bracket_str(c: char) -> &'static str {
    match c {
        '[' => "[",
        '(' => "(",
        _ => "{",
    }
}

fn indent_of(text: &str, pos: usize) -> usize {
    let (s, _) = line_at(text, pos);
    let line = text.get(s..).unwrap_or("");
    line.len() - line.trim_start_matches([' ', '\t']).len()
}

/// A light lexical scan (strings, heredocs, comments, brackets) used only to explain
/// parse failures precisely.
fn scan(text: &str) -> Lex {
    let b = text.as_bytes();
    let mut issues = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut suspect = None;
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if let Some(Open::Str(start)) = stack.last().copied() {
            match c {
                b'\\' => {
                    let next = b.get(i + 1).copied();
                    let ok = matches!(next, Some(b'n' | b'r' | b't' | b'"' | b'\\'))
                        || (next == Some(b'u') && b.get(i + 2) == Some(&b'{'));
                    if !ok {
                        let end = (i + 2..=b.len())
                            .find(|e| text.is_char_boundary(*e))
                            .unwrap_or(b.len());
                        issues.push((i, LexIssue::Escape(i, end)));
                    }
                    i += 2;
                }
                b'"' => {
                    stack.pop();
                    i += 1;
                }
                b'$' if b.get(i + 1) == Some(&b'$') && b.get(i + 2) == Some(&b'{') => i += 3,
                b'$' if b.get(i + 1) == Some(&b'{') => {
                    stack.push(Open::Interp(i));
                    i += 2;
                }
                b'\n' => {
                    stack.pop();
                    // A string inside an interpolation that runs to the end of the line
                    // is most likely the closing quote of the outer string, after a
                    // missing `}`.
                    match stack.last().copied() {
                        Some(Open::Interp(at)) => {
                            issues.push((at, LexIssue::Unclosed("${", at)));
                            stack.pop();
                            stack.pop();
                        }
                        _ => issues.push((start, LexIssue::String(start, i))),
                    }
                }
                _ => i += 1,
            }
            continue;
        }
        match c {
            b'#' => i = skip_line(b, i),
            b'/' if b.get(i + 1) == Some(&b'/') => i = skip_line(b, i),
            b'/' if b.get(i + 1) == Some(&b'*') => match find(b, i + 2, b"*/") {
                Some(e) => i = e + 2,
                None => {
                    issues.push((i, LexIssue::Comment(i)));
                    break;
                }
            },
            b'"' => {
                stack.push(Open::Str(i));
                i += 1;
            }
            b'<' if b.get(i + 1) == Some(&b'<') => match heredoc_end(text, i) {
                Ok(end) => i = end,
                Err((end, marker)) => {
                    issues.push((i, LexIssue::Heredoc(i, end, marker)));
                    break;
                }
            },
            b'{' | b'[' | b'(' => {
                let rest = text.get(i + 1..skip_line(b, i)).unwrap_or("").trim();
                stack.push(Open::Bracket {
                    c: c as char,
                    at: i,
                    indent: indent_of(text, i),
                    ends_line: rest.is_empty() || rest.starts_with('#') || rest.starts_with("//"),
                });
                i += 1;
            }
            b'}' | b']' | b')' => {
                let want = match c {
                    b'}' => '{',
                    b']' => '[',
                    _ => '(',
                };
                match stack.last().copied() {
                    Some(Open::Interp(_)) if c == b'}' => {
                        stack.pop();
                    }
                    Some(Open::Bracket {
                        c: o,
                        at,
                        indent,
                        ends_line,
                    }) => {
                        stack.pop();
                        if o != want {
                            issues.push((i, LexIssue::UnmatchedClose(c as char, i, Some((o, at)))));
                        } else {
                            let (ls, _) = line_at(text, i);
                            let first_on_line =
                                text.get(ls..i).is_some_and(|t| t.trim().is_empty());
                            if ends_line
                                && first_on_line
                                && indent_of(text, i) != indent
                                && suspect.is_none()
                            {
                                suspect = Some((bracket_str(o), at));
                            }
                        }
                    }
                    _ => issues.push((i, LexIssue::UnmatchedClose(c as char, i, None))),
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    if let Some(Open::Str(start)) = stack.last().copied() {
        issues.push((start, LexIssue::String(start, text.len())));
    }
    Lex {
        issues,
        open: stack,
        suspect,
    }
}

/// The end of the heredoc starting at `start` (`<<`), or, when its marker never comes,
/// the end of its opening and the marker.
fn heredoc_end(text: &str, start: usize) -> Result<usize, (usize, String)> {
    let b = text.as_bytes();
    let mut j = start + 2;
    if b.get(j) == Some(&b'-') {
        j += 1;
    }
    let m_start = j;
    while b
        .get(j)
        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
    {
        j += 1;
    }
    let marker = text.get(m_start..j).unwrap_or("");
    if marker.is_empty() {
        return Ok(j);
    }
    let mut k = skip_line(b, j);
    while k < b.len() {
        let line_end = skip_line(b, k + 1);
        let line = text.get(k + 1..line_end).unwrap_or("");
        let trimmed = line.trim_start_matches([' ', '\t']);
        if trimmed.starts_with(marker)
            && !trimmed
                .as_bytes()
                .get(marker.len())
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            return Ok(k + 1 + (line.len() - trimmed.len()) + marker.len());
        }
        k = line_end;
    }
    Err((j, marker.to_string()))
}

fn skip_line(b: &[u8], i: usize) -> usize {
    let mut j = i;
    while let Some(&c) = b.get(j) {
        if c == b'\n' {
            return j;
        }
        j += 1;
    }
    j
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

// ---------------------------------------------------------------- before parsing

/// Where the text first nests deeper than [`MAX_NESTING`]: the span of that opening
/// bracket or `${`. A fast pass over the bytes that knows strings, comments and heredocs.
pub(crate) fn too_deep(text: &str) -> Option<(usize, usize)> {
    // The open things: brackets (b'('), interpolations (b'$') and strings (b'"').
    let b = text.as_bytes();
    let mut stack: Vec<u8> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    loop {
        let in_string = stack.last() == Some(&b'"');
        // Runs of bytes that change nothing are skipped in one go.
        let table = if in_string { &IN_STRING } else { &OUTSIDE };
        let rest = b.get(i..).unwrap_or(&[]);
        i += rest
            .iter()
            .position(|&c| table[usize::from(c)])
            .unwrap_or(rest.len());
        let &c = b.get(i)?;
        if in_string {
            match c {
                b'\\' => i += 1,
                b'"' | b'\n' => {
                    stack.pop();
                }
                b'$' if b.get(i + 1) == Some(&b'$') => i += 2,
                b'$' if b.get(i + 1) == Some(&b'{') => {
                    depth += 1;
                    if depth > MAX_NESTING {
                        return Some((i, i + 2));
                    }
                    stack.push(b'$');
                    i += 1;
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        match c {
            b'#' => i = skip_line(b, i),
            b'/' if b.get(i + 1) == Some(&b'/') => i = skip_line(b, i),
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = find(b, i + 2, b"*/").map_or(b.len(), |e| e + 2);
            }
            b'"' => {
                stack.push(b'"');
                i += 1;
            }
            b'<' if b.get(i + 1) == Some(&b'<') => {
                i = heredoc_end(text, i).unwrap_or(b.len());
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some((i, i + 1));
                }
                stack.push(b'(');
                i += 1;
            }
            b'}' | b']' | b')' => {
                if stack.pop().is_some() {
                    depth = depth.saturating_sub(1);
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
}

/// The bytes [`too_deep`] looks at, outside strings and inside them.
const OUTSIDE: [bool; 256] = byte_set(b"#/\"<{[(}])");
const IN_STRING: [bool; 256] = byte_set(b"\\\"\n$");

const fn byte_set(bytes: &[u8]) -> [bool; 256] {
    let mut set = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        set[bytes[i] as usize] = true;
        i += 1;
    }
    set
}

/// Byte offsets of the lines where recovery may start a new item: lines beginning in
/// column 0 with an identifier, outside every string, comment and heredoc, that either
/// start with an item keyword or lie outside every bracket.
pub(crate) fn item_starts(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    let mut line_start = true;
    while let Some(&c) = b.get(i) {
        if line_start && i > 0 && (c.is_ascii_alphabetic() || c == b'_') {
            let word_end = text
                .get(i..)
                .and_then(|r| r.find(|c: char| !is_ident_char(c)))
                .map_or(text.len(), |n| i + n);
            let word = text.get(i..word_end).unwrap_or("");
            let next = b.get(word_end).copied();
            let keyword = is_item_keyword(word) && matches!(next, Some(b' ' | b'\t' | b'{'));
            if keyword || depth == 0 {
                out.push(i);
            }
        }
        line_start = false;
        match c {
            b'\n' => {
                line_start = true;
                i += 1;
            }
            b'#' => i = skip_line(b, i),
            b'/' if b.get(i + 1) == Some(&b'/') => i = skip_line(b, i),
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = find(b, i + 2, b"*/").map_or(b.len(), |e| e + 2);
            }
            b'"' => i = skip_string(b, i),
            b'<' if b.get(i + 1) == Some(&b'<') => {
                i = heredoc_end(text, i).unwrap_or(b.len());
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                i += 1;
            }
            b'}' | b']' | b')' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// The end of the string starting at `start`, or of its line if it is not closed.
fn skip_string(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    let mut interp = 0usize;
    while let Some(&c) = b.get(i) {
        match c {
            b'\\' => i += 1,
            b'\n' => return i,
            b'"' if interp == 0 => return i + 1,
            b'$' if b.get(i + 1) == Some(&b'{') => {
                interp += 1;
                i += 1;
            }
            b'}' if interp > 0 => interp -= 1,
            _ => {}
        }
        i += 1;
    }
    i
}

/// The items that are not blocks: `variable`, `let`, `output` and `type`.
fn is_value_item(name: &str) -> bool {
    matches!(name, "variable" | "let" | "output" | "type")
}
