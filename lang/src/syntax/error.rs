//! Syntax errors: data with spans, turned into diagnostics in [`SyntaxError::to_diagnostic`]
//! (the only place their words live).

use pest::error::{Error as PestError, InputLocation};
use pest::Parser as _;

use super::ast::BlockKind;
use super::parser::{AicParser, Rule};
use crate::diag::{suggest, Diagnostic};
use crate::source::{FileId, Span};

/// What went wrong while reading a file.
#[derive(Debug, Clone, PartialEq)]
pub enum SyntaxError {
    /// E0101: the parser met something it did not expect.
    Unexpected {
        found: String,
        expected: Vec<String>,
        at: Span,
    },
    /// E0102: a quoted string runs to the end of its line.
    UnterminatedString { at: Span },
    /// E0103: a `/*` comment is never closed.
    UnterminatedComment { at: Span },
    /// E0104: two attributes or items on one line without a comma.
    MissingSeparator {
        at: Span,
        prev: Span,
        comma_ok: bool,
    },
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
    /// E0111: a bracket, brace or parenthesis that is never closed.
    Unclosed { open: char, at: Span, eof: Span },
    /// E0112: `\u{…}` naming no Unicode scalar value.
    BadUnicodeEscape { text: String, at: Span },
    /// E0113: `${…}` where only a plain string is allowed (labels, keys, type literals).
    InterpolationNotAllowed { at: Span },
    /// E0114: an attribute at the top level of a file, outside any block.
    TopLevelAttribute { name: String, at: Span },
    /// E0115: a closing bracket with no matching opening one.
    UnmatchedClose { close: char, at: Span },
}

impl SyntaxError {
    pub fn code(&self) -> &'static str {
        match self {
            SyntaxError::Unexpected { .. } => "E0101",
            SyntaxError::UnterminatedString { .. } => "E0102",
            SyntaxError::UnterminatedComment { .. } => "E0103",
            SyntaxError::MissingSeparator { .. } => "E0104",
            SyntaxError::UnknownItem { .. } => "E0105",
            SyntaxError::LabelCount { .. } => "E0106",
            SyntaxError::BadEscape { .. } => "E0107",
            SyntaxError::UnterminatedHeredoc { .. } => "E0108",
            SyntaxError::BadNumber { .. } => "E0109",
            SyntaxError::UnionOfNonLiterals { .. } => "E0110",
            SyntaxError::Unclosed { .. } => "E0111",
            SyntaxError::BadUnicodeEscape { .. } => "E0112",
            SyntaxError::InterpolationNotAllowed { .. } => "E0113",
            SyntaxError::TopLevelAttribute { .. } => "E0114",
            SyntaxError::UnmatchedClose { .. } => "E0115",
        }
    }

    pub fn to_diagnostic(&self) -> Diagnostic {
        let code = self.code();
        match self {
            SyntaxError::Unexpected {
                found,
                expected,
                at,
            } => {
                let d = Diagnostic::error(code, "Unexpected token");
                let label = if expected.is_empty() {
                    format!("unexpected {found}")
                } else {
                    format!("expected {}, found {found}", one_of(expected))
                };
                let d = d.with_primary(*at, label);
                if expected.iter().any(|e| e == "`=`" || e == "`{`") {
                    d.with_help(
                        "An attribute is written `name = value`; a block `name [LABEL…] { … }` with its labels and `{` on one line.",
                    )
                } else {
                    d
                }
            }
            SyntaxError::UnterminatedString { at } => {
                Diagnostic::error(code, "Unterminated string")
                    .with_primary(*at, "this string is not closed before the end of the line")
                    .with_help(
                        "Add the closing `\"`. For text over several lines use a heredoc: `<<-EOT … EOT`.",
                    )
            }
            SyntaxError::UnterminatedComment { at } => {
                Diagnostic::error(code, "Unterminated block comment")
                    .with_primary(*at, "this comment is never closed")
                    .with_help("Close the comment with `*/`; block comments do not nest.")
            }
            SyntaxError::MissingSeparator { at, prev, comma_ok } => {
                let d = Diagnostic::error(code, "Missing separator")
                    .with_primary(*at, "this starts on the same line as the previous one")
                    .with_secondary(*prev, "previous one ends here");
                if *comma_ok {
                    d.with_help("Put each attribute on its own line, or separate them with a comma.")
                } else {
                    d.with_help("Start each item on its own line.")
                }
            }
            SyntaxError::UnknownItem { name, at } => {
                let kinds: Vec<&str> = BlockKind::ALL
                    .iter()
                    .map(|k| k.keyword())
                    .chain(["variable", "let", "output", "type"])
                    .collect();
                let d = Diagnostic::error(code, "Unknown item kind")
                    .with_primary(*at, format!("`{name}` is not an item kind"));
                match suggest(name, kinds.iter().copied()) {
                    Some(s) => d.with_help(format!("Did you mean `{s}`?")),
                    None => d.with_help(format!("Items are: {}.", kinds.join(", "))),
                }
            }
            SyntaxError::LabelCount { kind, found, at } => {
                let (min, max) = kind.label_arity();
                let want = if min == max {
                    format!("{min}")
                } else {
                    format!("{min} or {max}")
                };
                let form = if kind.label_names().is_empty() {
                    format!("`{} {{ … }}`", kind.keyword())
                } else {
                    format!("`{} {} {{ … }}`", kind.keyword(), kind.label_names())
                };
                Diagnostic::error(code, "Wrong number of block labels")
                    .with_primary(
                        *at,
                        format!("`{}` takes {want} label(s), found {found}", kind.keyword()),
                    )
                    .with_help(format!("Write it as {form}."))
            }
            SyntaxError::BadEscape { text, at } => Diagnostic::error(code, "Invalid escape sequence")
                .with_primary(*at, format!("`{text}` is not an escape"))
                .with_help(
                    "Valid escapes are \\n \\r \\t \\\" \\\\ and \\u{HEX}; write `\\\\` for a backslash.",
                ),
            SyntaxError::UnterminatedHeredoc { marker, at } => {
                Diagnostic::error(code, "Unterminated heredoc")
                    .with_primary(*at, format!("this heredoc is never closed by a line `{marker}`"))
                    .with_help(format!(
                        "End the heredoc with a line holding only `{marker}` (indentation allowed)."
                    ))
            }
            SyntaxError::BadNumber { text, at } => Diagnostic::error(code, "Invalid number")
                .with_primary(*at, format!("`{text}` is not a finite number"))
                .with_help("Numbers are 64-bit floating point; use a smaller exponent."),
            SyntaxError::UnionOfNonLiterals { at } => {
                Diagnostic::error(code, "Invalid union type")
                    .with_primary(*at, "only string literals can be joined with `|`")
                    .with_help("Write a union of string literals, as in `\"small\" | \"large\"`.")
            }
            SyntaxError::Unclosed { open, at, eof } => {
                let close = match open {
                    '{' => '}',
                    '[' => ']',
                    _ => ')',
                };
                Diagnostic::error(code, "Unclosed delimiter")
                    .with_primary(*at, format!("this `{open}` is never closed"))
                    .with_secondary(*eof, "the file ends here")
                    .with_help(format!("Add the missing `{close}`."))
            }
            SyntaxError::BadUnicodeEscape { text, at } => {
                Diagnostic::error(code, "Invalid Unicode escape")
                    .with_primary(*at, format!("`{text}` is not a Unicode scalar value"))
                    .with_help("Use a code point up to 10FFFF that is not a surrogate (D800–DFFF).")
            }
            SyntaxError::InterpolationNotAllowed { at } => {
                Diagnostic::error(code, "Interpolation not allowed here")
                    .with_primary(*at, "this must be a plain string")
                    .with_help("Block labels, object type keys and type literals are fixed text; remove the `${…}`.")
            }
            SyntaxError::TopLevelAttribute { name, at } => {
                Diagnostic::error(code, "Attribute outside a block")
                    .with_primary(*at, format!("`{name} = …` must be inside a block"))
                    .with_help(format!(
                        "To name a value, write `let {name} = …`; for an input, `variable {name}: TYPE = …`."
                    ))
            }
            SyntaxError::UnmatchedClose { close, at } => {
                Diagnostic::error(code, "Unmatched closing delimiter")
                    .with_primary(*at, format!("this `{close}` closes nothing"))
                    .with_help("Remove it, or add the opening delimiter it was meant to close.")
            }
        }
    }
}

fn one_of(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Classifies a pest failure in `text` (which starts at byte `base` of the file).
pub(crate) fn from_pest(
    file: FileId,
    text: &str,
    base: usize,
    err: &PestError<Rule>,
) -> SyntaxError {
    let pos = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let at = |s: usize, e: usize| Span::new(file, base + s, base + e);
    let lex = scan(text);

    if let Some(e) = lex.error_before(pos) {
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
            LexIssue::Unclosed(open, s) => SyntaxError::Unclosed {
                open,
                at: at(s, s + 1),
                eof: at(text.len(), text.len()),
            },
            LexIssue::UnmatchedClose(close, s) => SyntaxError::UnmatchedClose {
                close,
                at: at(s, s + 1),
            },
        };
    }

    // `name = value` at the top of a file.
    if let Some((start, name)) = top_level_attribute(text, pos) {
        return SyntaxError::TopLevelAttribute {
            name: name.to_string(),
            at: at(start, start + name.len()),
        };
    }

    // `name "label"` on a line of its own: an attribute missing its `=`, or a block
    // missing its `{`.
    if let Some((s, e)) = headless_line(text, pos) {
        return SyntaxError::Unexpected {
            found: format!("`{}`", text.get(s..e).unwrap_or("")),
            expected: vec!["`=`".into(), "`{`".into()],
            at: at(s, e),
        };
    }

    let found_end = token_end(text, pos);
    let found = match text.get(pos..found_end) {
        Some("") | None => "end of file".to_string(),
        Some(t) if t.starts_with('\n') || t.starts_with("\r\n") => "end of line".to_string(),
        Some(t) => format!("`{t}`"),
    };
    // A label needs at least one character to point at: at the end of the file, point
    // at the last one.
    let (s, e) = if found_end > pos {
        (pos, found_end)
    } else {
        let last = text.trim_end().len();
        let prev = text
            .get(..last)
            .and_then(|t| t.chars().last())
            .map_or(0, char::len_utf8);
        (last.saturating_sub(prev), last)
    };
    SyntaxError::Unexpected {
        found,
        expected: expected_tokens(text, pos),
        at: at(s, e),
    }
}

/// Re-parses with pest's detailed tracking on to learn which tokens were expected.
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
    for t in attempts.expected_tokens() {
        // `ParsingToken` is not nameable outside pest; its Display gives the token text,
        // `a..b` for character ranges and BUILTIN_RULE for built-ins, which we skip.
        let token = t.to_string();
        let is_range = token.chars().count() == 4 && token.get(1..3) == Some("..");
        if token.trim().is_empty() || token == "BUILTIN_RULE" || is_range {
            continue;
        }
        let s = format!("`{token}`");
        if !out.contains(&s) {
            out.push(s);
        }
    }
    for c in attempts.call_stacks() {
        let rule = c.deepest.get_rule().copied().or(c.parent);
        let Some(name) = rule.and_then(rule_name) else {
            continue;
        };
        let s = name.to_string();
        if !out.contains(&s) {
            out.push(s);
        }
    }
    // Long lists help nobody; keep the most structural ones.
    if out.len() > 6 {
        out.retain(|s| !s.starts_with('`') || s == "`=`" || s == "`}`" || s == "`]`" || s == "`)`");
    }
    out
}

fn rule_name(r: Rule) -> Option<&'static str> {
    Some(match r {
        Rule::ident | Rule::name | Rule::call_name | Rule::key_ident => "an identifier",
        Rule::expr | Rule::binary | Rule::unary | Rule::postfix_expr => "an expression",
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

fn token_end(text: &str, pos: usize) -> usize {
    let rest = text.get(pos..).unwrap_or("");
    let mut chars = rest.char_indices();
    let Some((_, first)) = chars.next() else {
        return pos;
    };
    if first.is_ascii_alphanumeric() || first == '_' {
        let n = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
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

/// On the line of `pos` (or the line before, when `pos` starts a line): an identifier
/// followed by a second token that is neither `=` nor `{`, with no `{` or `=` on the line.
/// Returns the span of that second token.
fn headless_line(text: &str, pos: usize) -> Option<(usize, usize)> {
    let mut line_start = text.get(..pos)?.rfind('\n').map_or(0, |i| i + 1);
    if text.get(line_start..pos)?.trim().is_empty() && line_start > 0 {
        line_start = text.get(..line_start - 1)?.rfind('\n').map_or(0, |i| i + 1);
    }
    let line_end = text
        .get(line_start..)?
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let line = text.get(line_start..line_end)?;
    if line.contains(['{', '=', '#']) || line.contains("//") {
        return None;
    }
    let indent = line.len() - line.trim_start().len();
    let body = line.trim_start();
    let n = body.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
    if n == 0 {
        return None;
    }
    let rest = body.get(n..)?;
    let gap = rest.len() - rest.trim_start().len();
    if gap == 0 {
        return None;
    }
    let second = rest.trim_start();
    let s = line_start + indent + n + gap;
    let len = if second.starts_with('"') {
        second
            .get(1..)?
            .find('"')
            .map_or(second.trim_end().len(), |i| i + 2)
    } else {
        second
            .find(|c: char| c.is_whitespace())
            .unwrap_or(second.trim_end().len())
    };
    (len > 0).then_some((s, s + len))
}

/// `name = value` on the line of `pos`, at the top level of the file.
fn top_level_attribute(text: &str, pos: usize) -> Option<(usize, &str)> {
    let line_start = text.get(..pos)?.rfind('\n').map_or(0, |i| i + 1);
    let rest = text.get(line_start..)?;
    let n = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
    let name = rest.get(..n)?;
    let after = rest.get(n..)?.trim_start_matches([' ', '\t']);
    let is_attr = !name.is_empty() && after.starts_with('=') && !after.starts_with("==");
    (is_attr && depth_at(text, line_start) == 0).then_some((line_start, name))
}

fn depth_at(text: &str, pos: usize) -> usize {
    let lex = scan(text.get(..pos).unwrap_or(""));
    lex.open.len()
}

enum LexIssue {
    Comment(usize),
    String(usize, usize),
    Heredoc(usize, usize, String),
    Escape(usize, usize),
    Unclosed(char, usize),
    UnmatchedClose(char, usize),
}

struct Lex {
    issues: Vec<(usize, LexIssue)>,
    open: Vec<(char, usize)>,
    len: usize,
}

impl Lex {
    /// The first lexical issue that can explain a parse failure at `pos`.
    fn error_before(self, pos: usize) -> Option<LexIssue> {
        let len = self.len;
        let mut first = self
            .issues
            .into_iter()
            .filter(|(p, _)| *p <= pos)
            .min_by_key(|(p, _)| *p)
            .map(|(_, i)| i);
        if first.is_none() && pos >= len.saturating_sub(1) {
            if let Some((c, s)) = self.open.last() {
                first = Some(LexIssue::Unclosed(*c, *s));
            }
        }
        first
    }
}

/// A light lexical scan (strings, heredocs, comments, brackets) used only to explain
/// parse failures precisely.
fn scan(text: &str) -> Lex {
    let b = text.as_bytes();
    let mut issues = Vec::new();
    let mut open: Vec<(char, usize)> = Vec::new();
    // Interpolations inside strings: the stack records where a `${` re-enters code.
    let mut i = 0;
    while let Some(&c) = b.get(i) {
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
                let start = i;
                i += 1;
                let mut depth = 0usize;
                loop {
                    match b.get(i) {
                        None | Some(b'\n') if depth == 0 => {
                            issues.push((start, LexIssue::String(start, i)));
                            break;
                        }
                        None => {
                            issues.push((start, LexIssue::String(start, i)));
                            break;
                        }
                        Some(b'\\') if depth == 0 => {
                            let ok = matches!(
                                b.get(i + 1),
                                Some(b'n' | b'r' | b't' | b'"' | b'\\' | b'u')
                            );
                            if !ok {
                                let end = (i + 2).min(b.len());
                                let end = (end..=b.len())
                                    .find(|e| text.is_char_boundary(*e))
                                    .unwrap_or(b.len());
                                issues.push((i, LexIssue::Escape(i, end)));
                            }
                            i += 2;
                        }
                        Some(b'"') if depth == 0 => {
                            i += 1;
                            break;
                        }
                        Some(b'$')
                            if b.get(i + 1) == Some(&b'$') && b.get(i + 2) == Some(&b'{') =>
                        {
                            i += 3;
                        }
                        Some(b'$') if b.get(i + 1) == Some(&b'{') => {
                            depth += 1;
                            i += 2;
                        }
                        Some(b'{') if depth > 0 => {
                            depth += 1;
                            i += 1;
                        }
                        Some(b'}') if depth > 0 => {
                            depth -= 1;
                            i += 1;
                        }
                        Some(b'"') => {
                            // A nested string inside an interpolation: skip it simply.
                            i += 1;
                            while let Some(&n) = b.get(i) {
                                i += 1;
                                if n == b'"' || n == b'\n' {
                                    break;
                                }
                            }
                        }
                        Some(_) => i += 1,
                    }
                }
            }
            b'<' if b.get(i + 1) == Some(&b'<') => {
                let start = i;
                let mut j = i + 2;
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
                let marker = text.get(m_start..j).unwrap_or("").to_string();
                if marker.is_empty() {
                    i = j;
                    continue;
                }
                // Find a line that is only the marker.
                let mut k = skip_line(b, j);
                let mut closed = false;
                while k < b.len() {
                    let line_end = skip_line(b, k + 1);
                    let line = text.get(k + 1..line_end).unwrap_or("");
                    let trimmed = line.trim_start_matches([' ', '\t']);
                    if trimmed.starts_with(marker.as_str())
                        && !trimmed
                            .as_bytes()
                            .get(marker.len())
                            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                    {
                        closed = true;
                        k = k + 1 + (line.len() - trimmed.len()) + marker.len();
                        break;
                    }
                    k = line_end;
                }
                if closed {
                    i = k;
                } else {
                    issues.push((start, LexIssue::Heredoc(start, j, marker)));
                    break;
                }
            }
            b'{' | b'[' | b'(' => {
                open.push((c as char, i));
                i += 1;
            }
            b'}' | b']' | b')' => {
                let want = match c {
                    b'}' => '{',
                    b']' => '[',
                    _ => '(',
                };
                match open.last() {
                    Some((o, _)) if *o == want => {
                        open.pop();
                    }
                    _ => issues.push((i, LexIssue::UnmatchedClose(c as char, i))),
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    Lex {
        issues,
        open,
        len: text.len(),
    }
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
