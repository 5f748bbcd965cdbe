//! The canonical layout of `.aic` source: what `aic fmt` writes.
//!
//! [`format_file`] prints a parsed [`File`] back as text. It owns layout only: it never
//! changes what a file means (re-parsing the output gives the same tree, modulo spans)
//! and it keeps every comment exactly once. [`format_source`] parses, formats and checks
//! both promises before handing the text back. This module does no I/O.
//!
//! # Layout rules
//!
//! The rules follow `terraform fmt` where the languages overlap.
//!
//! - **Indentation**: two spaces per level; no trailing whitespace (except inside heredoc
//!   bodies and block comments, which are printed verbatim). The output ends with one
//!   newline and uses the input's line ending: CRLF if every newline of the input is
//!   CRLF, LF otherwise. A leading byte-order mark is kept.
//! - **Top level**: items are separated by one blank line. Two consecutive single-line
//!   items (`let`, `type`, a one-line `variable`, `import { … }`, …) keep the user's
//!   choice of zero or one blank line, so groups of related one-liners stay together.
//! - **Bodies, lists, objects**: at most one blank line is kept where the user had one
//!   or more; none after an opening or before a closing bracket.
//! - **Alignment**: the `=` of consecutive single-line attributes is aligned. A run is
//!   broken by a blank line, a comment line, a nested block or an attribute whose
//!   value spans several lines (that attribute gets a single space before `=`). The
//!   same holds for object items and for consecutive single-line top-level `let`,
//!   `type` and `output` items of the same keyword. Trailing comments of the lines of
//!   one run are aligned one space after the longest of those lines.
//! - **One line or many**: a block body or an object stays on one line
//!   (`import { to = x.y, id = "i-1" }`, elements separated by `, `) when it was on one
//!   line in the source and holds no comment; otherwise it has one element per line.
//!   A list, call or `tuple([…])` is laid out one element per line, each followed by a
//!   comma, when the source had a line break (or a comment) between its brackets and an
//!   element or between two elements; otherwise its elements stay on the line of the
//!   brackets, even when an element itself spans lines, so `jsonencode({` … `})` and
//!   `[for s in xs : {` … `}]` keep their shape. Empty brackets print as `{}`, `[]`, `f()`.
//! - **Expressions**: one space around binary operators and `?`/`:`, none after unary
//!   `!`/`-`, `f(a, b)`, `x[0]`, `x[*].id`, `xs...`, `[for x in xs : x if c]`,
//!   `{ for k, v in m : k => v... }`, `"${x}"`. Parentheses are kept exactly as
//!   written. A line break the user put after a binary operator, before `?` or `:` of a
//!   conditional, or before `|` in a union type is kept; the continuation lines are
//!   indented one level deeper than the line the expression starts on (or not at all
//!   when the expression starts its own line, as inside a multi-line `( … )`). A
//!   `( … )` or a `for` expression whose opening bracket was followed by a line break
//!   keeps its contents on their own lines. Object items are written `key = value`.
//! - **Literals**: numbers are printed as written (`1_000`, `1e6`). Strings and block
//!   labels are printed as written when the source text is available; otherwise (a tree
//!   built by a program) they are escaped canonically (`\n \r \t \" \\`, `$${`, and
//!   `\u{…}` for other control characters).
//! - **Heredocs**: `<<EOT` bodies and their closing marker are printed verbatim. `<<-EOT`
//!   bodies are re-indented one level deeper than the line holding `<<-EOT`, the closing
//!   marker at that line's level (which leaves the heredoc's value unchanged). A
//!   `<<-EOT` whose first line starts with an interpolation in column 0 had nothing
//!   stripped and is printed verbatim.
//! - **Comments** stay where they were: comment lines before an item, attribute or
//!   element stay before it; a comment after code on the same line stays at the end of
//!   that line; comments after an opening bracket stay on its line; comments before a
//!   closing bracket or at the end of the file stay there. A comment inside an
//!   expression printed on one line (`f(x) + /* why */ 1`) moves to its own line just
//!   after the attribute or element holding it, so no comment is ever lost.

use super::ast::*;
use super::parser::parse_file;
use crate::diag::Diagnostic;
use crate::source::{FileId, Span};

const INDENT: &str = "  ";

/// Why [`format_source`] returned no text.
#[derive(Debug, Clone, PartialEq)]
pub enum FormatError {
    /// The source has syntax errors; it must be left as it is.
    Syntax(Vec<Diagnostic>),
    /// The formatted text would not mean the same as the source or would lose a
    /// comment. This is a bug in the formatter; the source must be left as it is.
    Unfaithful(&'static str),
}

/// Parses `source`, formats it and checks that the result parses to the same tree and
/// holds the same comments.
pub fn format_source(file: FileId, source: &str) -> Result<String, FormatError> {
    let parsed = parse_file(file, source);
    if parsed.has_errors() {
        return Err(FormatError::Syntax(parsed.diagnostics));
    }
    let out = format_file(&parsed.file, source);
    let again = parse_file(file, &out);
    if again.has_errors() {
        return Err(FormatError::Unfaithful("the formatted text does not parse"));
    }
    if serde_json::to_value(&again.file).ok() != serde_json::to_value(&parsed.file).ok() {
        return Err(FormatError::Unfaithful(
            "the formatted text does not mean the same as the source",
        ));
    }
    if comment_texts(&again.file) != comment_texts(&parsed.file) {
        return Err(FormatError::Unfaithful(
            "the formatted text does not hold the same comments",
        ));
    }
    Ok(out)
}

/// The comment texts of a file, sorted (a multiset), with line endings normalised.
fn comment_texts(file: &File) -> Vec<String> {
    let mut texts: Vec<String> = file
        .comments
        .iter()
        .map(|c| c.text.replace("\r\n", "\n"))
        .collect();
    texts.sort();
    texts
}

/// Prints `file` in the canonical layout. `source` is the text `file` was parsed from;
/// it decides what the tree does not record (blank lines, line breaks, comments, the
/// spelling of strings). A tree built by a program may pass `""` with default spans.
pub fn format_file(file: &File, source: &str) -> String {
    let mut comments: Vec<&Comment> = file.comments.iter().collect();
    comments.sort_by_key(|c| (c.span.start, c.span.end));
    let crlf =
        source.contains('\n') && source.matches('\n').count() == source.matches("\r\n").count();
    let mut p = Printer {
        source,
        next_unprinted: (0..=comments.len()).collect(),
        comments,
        crlf,
        out: String::new(),
        indent: 0,
        line_start: true,
    };
    let text = p.file(file);
    let mut out = String::new();
    if source.starts_with('\u{FEFF}') {
        out.push('\u{FEFF}');
    }
    if !text.is_empty() {
        out.push_str(&text);
        out.push('\n');
    }
    if crlf {
        out = out.replace('\n', "\r\n");
    }
    out
}

/// One line group of a body, list, object or file, before layout.
enum Entry {
    /// A comment on its own line. `attached` ones were inside the element before them.
    Comment {
        text: String,
        blank_before: bool,
        attached: bool,
    },
    Element(Element),
}

impl Entry {
    fn blank_before(&self) -> bool {
        match self {
            Entry::Comment { blank_before, .. } => *blank_before,
            Entry::Element(e) => e.blank_before,
        }
    }

    fn set_blank_before(&mut self) {
        match self {
            Entry::Comment { blank_before, .. } => *blank_before = true,
            Entry::Element(e) => e.blank_before = true,
        }
    }
}

/// An attribute, item or element: `head`, or `head SEP value` (`name = value`).
struct Element {
    head: String,
    value: Option<(&'static str, String)>,
    /// Elements of the same group in a run get their separators aligned.
    align: Option<u8>,
    trailing: Vec<String>,
    blank_before: bool,
}

impl Element {
    fn plain(head: String) -> Element {
        Element {
            head,
            value: None,
            align: None,
            trailing: Vec::new(),
            blank_before: false,
        }
    }

    fn pair(head: String, sep: &'static str, value: String, align: Option<u8>) -> Element {
        Element {
            head,
            value: Some((sep, value)),
            align,
            trailing: Vec::new(),
            blank_before: false,
        }
    }

    fn single_line(&self) -> bool {
        !self.head.contains('\n') && self.value.as_ref().is_none_or(|(_, v)| !v.contains('\n'))
    }

    fn text(&self, head_width: usize) -> String {
        let mut s = self.head.clone();
        if let Some((sep, v)) = &self.value {
            pad_to(&mut s, head_width);
            s.push_str(sep);
            s.push_str(v);
        }
        s
    }
}

/// How a list-like construct is bracketed and laid out.
struct Brackets<'s> {
    /// The inside, between the brackets.
    region: (u32, u32),
    /// One element per line.
    multi: bool,
    open: &'s str,
    close: &'s str,
    /// `f(a, xs...)`
    expand_last: bool,
}

/// The comments after an opening bracket on its line, and the entries inside.
#[derive(Default)]
struct Seq {
    opener: Vec<String>,
    entries: Vec<Entry>,
}

struct Printer<'a> {
    source: &'a str,
    /// Every comment of the file, by position.
    comments: Vec<&'a Comment>,
    /// For each comment index `k`, an index `j >= k` such that no comment in `k..j` is
    /// still to be printed; `j == k` when comment `k` is not printed yet. Path-compressed,
    /// so finding the next comment to print stays cheap in files with many comments.
    next_unprinted: Vec<usize>,
    crlf: bool,
    out: String,
    indent: usize,
    /// Nothing but indentation has been printed on the current line.
    line_start: bool,
}

fn width(s: &str) -> usize {
    s.rsplit('\n').next().unwrap_or(s).chars().count()
}

fn pad_to(s: &mut String, w: usize) {
    let n = width(s);
    if n < w {
        s.push_str(&" ".repeat(w - n));
    }
}

/// The byte range strictly inside a bracketed construct that opens at `open`.
fn region(open: u32, end: u32) -> (u32, u32) {
    let lo = open.saturating_add(1);
    (lo, end.saturating_sub(1).max(lo))
}

impl<'a> Printer<'a> {
    // ------------------------------------------------------------------ output

    fn push(&mut self, s: &str) {
        if !s.is_empty() {
            self.out.push_str(s);
            self.line_start = false;
        }
    }

    fn newline(&mut self) {
        self.out.push('\n');
        self.out.push_str(&INDENT.repeat(self.indent));
        self.line_start = true;
    }

    /// Runs `f` on an empty buffer and returns what it printed.
    fn capture(&mut self, line_start: bool, f: impl FnOnce(&mut Self)) -> String {
        let saved = std::mem::take(&mut self.out);
        let saved_line_start = std::mem::replace(&mut self.line_start, line_start);
        f(self);
        self.line_start = saved_line_start;
        std::mem::replace(&mut self.out, saved)
    }

    // ------------------------------------------------------------------ source

    fn src(&self, start: u32, end: u32) -> &'a str {
        self.source.get(start as usize..end as usize).unwrap_or("")
    }

    fn has_newline(&self, start: u32, end: u32) -> bool {
        self.src(start, end).contains('\n')
    }

    fn newlines(&self, start: u32, end: u32) -> usize {
        self.src(start, end).matches('\n').count()
    }

    // ------------------------------------------------------------------ comments

    fn comment_text(&self, k: usize) -> String {
        let text = self.comments.get(k).map_or("", |c| c.text.as_str());
        if self.crlf {
            text.replace("\r\n", "\n")
        } else {
            text.to_string()
        }
    }

    fn comment_span(&self, k: usize) -> Span {
        self.comments.get(k).map_or(Span::default(), |c| c.span)
    }

    /// The first comment not yet printed that starts at or after `pos`.
    fn next_unused(&mut self, pos: u32) -> Option<usize> {
        let start = self.comments.partition_point(|c| c.span.start < pos);
        let mut j = start;
        while let Some(&n) = self.next_unprinted.get(j) {
            if n == j {
                break;
            }
            j = n;
        }
        let mut k = start;
        while k < j {
            let Some(slot) = self.next_unprinted.get_mut(k) else {
                break;
            };
            k = std::mem::replace(slot, j);
        }
        (j < self.comments.len()).then_some(j)
    }

    fn mark_printed(&mut self, k: usize) {
        if let Some(slot) = self.next_unprinted.get_mut(k) {
            *slot = k + 1;
        }
    }

    fn has_comment_within(&self, start: u32, end: u32) -> bool {
        let i = self.comments.partition_point(|c| c.span.start < start);
        self.comments.get(i).is_some_and(|c| c.span.start < end)
    }

    /// Takes the comments that follow `*at` on the same source line and start before
    /// `hi`. Between them only spaces, commas and dots may stand, or any code when
    /// `allow_code` (the operator of a broken line).
    fn take_same_line(&mut self, at: &mut u32, hi: u32, allow_code: bool) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(k) = self.next_unused(*at) {
            let span = self.comment_span(k);
            if span.start >= hi {
                break;
            }
            let gap = self.src(*at, span.start);
            let ok = if allow_code {
                !gap.contains('\n')
            } else {
                gap.chars().all(|c| matches!(c, ' ' | '\t' | ',' | '.'))
            };
            if !ok {
                break;
            }
            out.push(self.comment_text(k));
            self.mark_printed(k);
            *at = span.end;
        }
        out
    }

    /// Prints the same-line comments after `at` at the end of the current line.
    fn trailing_comments(&mut self, at: u32, hi: u32, allow_code: bool) {
        let mut at = at;
        for c in self.take_same_line(&mut at, hi, allow_code) {
            self.push(" ");
            self.push(&c);
        }
    }

    /// Prints every comment not yet printed in `start..end`, each on its own line.
    fn comment_lines(&mut self, start: u32, end: u32) {
        while let Some(k) = self.next_unused(start) {
            if self.comment_span(k).start >= end {
                break;
            }
            let text = self.comment_text(k);
            self.mark_printed(k);
            self.newline();
            self.push(&text);
        }
    }

    /// Comment lines not yet printed that start in `lo..before`, as entries.
    fn leading_entries(&mut self, lo: u32, before: u32, prev: &mut u32, entries: &mut Vec<Entry>) {
        while let Some(k) = self.next_unused(lo) {
            let span = self.comment_span(k);
            if span.start >= before {
                break;
            }
            let blank_before = !entries.is_empty() && self.newlines(*prev, span.start) >= 2;
            entries.push(Entry::Comment {
                text: self.comment_text(k),
                blank_before,
                attached: false,
            });
            self.mark_printed(k);
            *prev = span.end;
        }
    }

    // ------------------------------------------------------------------ sequences

    /// Renders the elements of a bracketed construct whose inside is `lo..hi`. With
    /// `comments`, the comments of the region become entries (leading, trailing, attached
    /// and closing ones); without, they are left to the enclosing construct.
    fn sequence<T>(
        &mut self,
        items: &[T],
        (lo, hi): (u32, u32),
        comments: bool,
        span_of: impl Fn(&T) -> Span,
        mut render: impl FnMut(&mut Self, &T) -> Element,
    ) -> Seq {
        let mut seq = Seq::default();
        let mut prev = lo;
        if comments && lo > 0 {
            seq.opener = self.take_same_line(&mut prev, hi, false);
        }
        for item in items {
            let span = span_of(item);
            if comments {
                self.leading_entries(lo, span.start, &mut prev, &mut seq.entries);
            }
            let blank_before = !seq.entries.is_empty() && self.newlines(prev, span.start) >= 2;
            let mut el = render(self, item);
            el.blank_before = blank_before;
            let mut at = span.end.max(span.start);
            if comments {
                el.trailing = self.take_same_line(&mut at, hi, false);
            }
            seq.entries.push(Entry::Element(el));
            if comments {
                while let Some(k) = self.next_unused(span.start) {
                    if self.comment_span(k).start >= span.end {
                        break;
                    }
                    seq.entries.push(Entry::Comment {
                        text: self.comment_text(k),
                        blank_before: false,
                        attached: true,
                    });
                    self.mark_printed(k);
                }
            }
            prev = at;
        }
        if comments {
            self.leading_entries(lo, hi, &mut prev, &mut seq.entries);
        }
        seq
    }

    /// Lays entries out one per line at `indent`, aligning runs. Lines are joined by
    /// newlines; the first is indented too; there is no final newline.
    fn layout(&self, entries: &[Entry], indent: usize, suffix: &str) -> String {
        let mut texts: Vec<String> = Vec::with_capacity(entries.len());
        let mut i = 0;
        while let Some(entry) = entries.get(i) {
            let first = match entry {
                Entry::Comment { text, .. } => {
                    texts.push(text.clone());
                    i += 1;
                    continue;
                }
                Entry::Element(el) => el,
            };
            let mut run: Vec<&Element> = vec![first];
            if first.single_line() {
                while let Some(Entry::Element(el)) = entries.get(i + run.len()) {
                    if !el.single_line() || el.blank_before {
                        break;
                    }
                    run.push(el);
                }
            }
            i += run.len();
            let mut lines: Vec<String> = Vec::with_capacity(run.len());
            let mut j = 0;
            while let Some(el) = run.get(j) {
                let mut k = j + 1;
                if el.align.is_some() {
                    while run.get(k).is_some_and(|o| o.align == el.align) {
                        k += 1;
                    }
                }
                let group = run.get(j..k).unwrap_or_default();
                let w = if el.align.is_some() {
                    group.iter().map(|e| width(&e.head)).max().unwrap_or(0)
                } else {
                    0
                };
                for e in group {
                    let mut line = e.text(w);
                    line.push_str(suffix);
                    lines.push(line);
                }
                j = k;
            }
            let col = run
                .iter()
                .zip(&lines)
                .filter(|(e, _)| !e.trailing.is_empty())
                .map(|(_, l)| width(l))
                .max()
                .unwrap_or(0);
            for (e, line) in run.iter().zip(lines.iter_mut()) {
                if !e.trailing.is_empty() {
                    pad_to(line, col);
                    line.push(' ');
                    line.push_str(&e.trailing.join(" "));
                }
            }
            texts.extend(lines);
        }
        let pad = INDENT.repeat(indent);
        let mut out = String::new();
        for (k, (entry, text)) in entries.iter().zip(texts).enumerate() {
            if k > 0 {
                out.push('\n');
                if entry.blank_before() {
                    out.push('\n');
                }
            }
            out.push_str(&pad);
            out.push_str(&text);
        }
        out
    }

    /// Prints a bracketed construct: `open close` when empty, on one line when
    /// `one_line` (elements joined by `, `, `space` inside the brackets), else one entry
    /// per line.
    fn container(
        &mut self,
        seq: Seq,
        open: &str,
        close: &str,
        space: &str,
        suffix: &str,
        one_line: bool,
    ) {
        if seq.opener.is_empty() && seq.entries.is_empty() {
            self.push(open);
            self.push(close);
            return;
        }
        let inline = one_line
            && seq.opener.is_empty()
            && seq
                .entries
                .iter()
                .all(|e| matches!(e, Entry::Element(el) if el.trailing.is_empty()));
        if inline {
            let parts: Vec<String> = seq
                .entries
                .iter()
                .filter_map(|e| match e {
                    Entry::Element(el) => Some(el.text(0)),
                    Entry::Comment { .. } => None,
                })
                .collect();
            self.push(open);
            self.push(space);
            self.push(&parts.join(", "));
            self.push(space);
            self.push(close);
            return;
        }
        self.push(open);
        for c in &seq.opener {
            self.push(" ");
            self.push(c);
        }
        let text = self.layout(&seq.entries, self.indent + 1, suffix);
        if !text.is_empty() {
            self.out.push('\n');
            self.out.push_str(&text);
        }
        self.newline();
        self.push(close);
    }

    /// Whether a list-like construct over `lo..hi` had a line break or a comment
    /// between its brackets and its elements or between two elements.
    fn gaps_break(&self, lo: u32, hi: u32, spans: impl IntoIterator<Item = Span>) -> bool {
        let mut at = lo;
        for s in spans {
            if self.has_newline(at, s.start) || self.has_comment_within(at, s.start) {
                return true;
            }
            at = s.end.max(at);
        }
        self.has_newline(at, hi) || self.has_comment_within(at, hi)
    }

    // ------------------------------------------------------------------ items

    fn file(&mut self, file: &File) -> String {
        let hi = u32::try_from(self.source.len()).unwrap_or(u32::MAX);
        let mut seq = self.sequence(&file.items, (0, hi), true, Item::span, |p, it| p.item(it));
        // Nothing may be lost, whatever the spans say.
        while let Some(k) = self.next_unused(0) {
            seq.entries.push(Entry::Comment {
                text: self.comment_text(k),
                blank_before: true,
                attached: false,
            });
            self.mark_printed(k);
        }
        separate_items(&mut seq.entries);
        self.layout(&seq.entries, 0, "")
    }

    fn item(&mut self, item: &Item) -> Element {
        match item {
            Item::Variable(v) => Element::plain(self.capture(true, |p| {
                p.push("variable ");
                p.push(&v.name.name);
                if let Some(t) = &v.ty {
                    p.push(": ");
                    p.type_expr(t);
                }
                if let Some(d) = &v.default {
                    p.push(" = ");
                    p.expr(d);
                }
                if let Some(b) = &v.body {
                    p.push(" ");
                    p.body(b);
                }
            })),
            Item::Let(l) => {
                let value = self.capture(false, |p| p.expr(&l.value));
                Element::pair(format!("let {}", l.name.name), " = ", value, Some(1))
            }
            Item::Type(t) => {
                let value = self.capture(false, |p| p.type_expr(&t.ty));
                Element::pair(format!("type {}", t.name.name), " = ", value, Some(2))
            }
            Item::Output(o) => {
                let value = self.capture(false, |p| {
                    p.expr(&o.value);
                    if let Some(b) = &o.body {
                        p.push(" ");
                        p.body(b);
                    }
                });
                Element::pair(format!("output {}", o.name.name), " = ", value, Some(3))
            }
            Item::Block(b) => Element::plain(self.capture(true, |p| p.block(b))),
        }
    }

    fn block(&mut self, b: &Block) {
        self.push(&b.kind.name);
        for l in &b.labels {
            self.push(" ");
            if l.quoted {
                self.string_lit(&l.value, l.span);
            } else {
                self.push(&l.value);
            }
        }
        self.push(" ");
        self.body(&b.body);
    }

    fn body(&mut self, b: &Body) {
        let (lo, hi) = region(b.span.start, b.span.end);
        let src_multi =
            self.has_newline(b.span.start, b.span.end) || self.has_comment_within(lo, hi);
        self.indent += 1;
        let seq = self.sequence(
            &b.elements,
            (lo, hi),
            true,
            BodyElement::span,
            |p, e| match e {
                BodyElement::Attribute(a) => {
                    let value = p.capture(false, |p| p.expr(&a.value));
                    Element::pair(a.name.name.clone(), " = ", value, Some(0))
                }
                BodyElement::Block(blk) => Element::plain(p.capture(true, |p| p.block(blk))),
            },
        );
        self.indent -= 1;
        let one_line = !src_multi && all_single_line(&seq);
        self.container(seq, "{", "}", " ", "", one_line);
    }

    // ------------------------------------------------------------------ types

    fn type_expr(&mut self, t: &TypeExpr) {
        match &t.kind {
            TypeExprKind::Name(id) => self.push(&id.name),
            TypeExprKind::List(x) => self.type_call("list", x),
            TypeExprKind::Set(x) => self.type_call("set", x),
            TypeExprKind::Map(x) => self.type_call("map", x),
            TypeExprKind::Optional(x, default) => {
                self.push("optional(");
                self.type_expr(x);
                if let Some(d) = default {
                    self.push(", ");
                    self.expr(d);
                }
                self.push(")");
            }
            TypeExprKind::Object(fields) => {
                let text = self.src(t.span.start, t.span.end);
                let open = text
                    .find('{')
                    .map_or(t.span.start, |i| t.span.start + i as u32);
                let close = text
                    .rfind('}')
                    .map_or(open + 1, |i| t.span.start + i as u32 + 1);
                let (lo, hi) = region(open, close);
                let src_multi =
                    self.has_newline(t.span.start, t.span.end) || self.has_comment_within(lo, hi);
                self.indent += 1;
                let seq = self.sequence(
                    fields,
                    (lo, hi),
                    true,
                    |f| f.span,
                    |p, f| {
                        let name = p.capture(false, |p| {
                            if f.quoted {
                                p.string_lit(&f.name, f.name_span);
                            } else {
                                p.push(&f.name);
                            }
                        });
                        let ty = p.capture(false, |p| p.type_expr(&f.ty));
                        Element::pair(name, ": ", ty, None)
                    },
                );
                self.indent -= 1;
                let one_line = !src_multi && all_single_line(&seq);
                self.container(seq, "object({", "})", " ", "", one_line);
            }
            TypeExprKind::Tuple(elems) => {
                let text = self.src(t.span.start, t.span.end);
                let open = text
                    .find('[')
                    .map_or(t.span.start, |i| t.span.start + i as u32);
                let close = text
                    .rfind(']')
                    .map_or(open + 1, |i| t.span.start + i as u32 + 1);
                let (lo, hi) = region(open, close);
                let multi = self.gaps_break(lo, hi, elems.iter().map(|e| e.span));
                let b = Brackets {
                    region: (lo, hi),
                    multi,
                    open: "tuple([",
                    close: "])",
                    expand_last: false,
                };
                self.list_like(elems, b, |e| e.span, |p, e| p.type_expr(e));
            }
            TypeExprKind::Union(lits) => {
                let base = self.line_start;
                let mut bumped = false;
                let mut prev: Option<Span> = None;
                for lit in lits {
                    if let Some(prev) = prev {
                        if self.has_newline(prev.end, lit.span.start) {
                            self.break_line(prev.end, lit.span.start, base, &mut bumped);
                            self.push("| ");
                        } else {
                            self.push(" | ");
                        }
                    }
                    self.string_lit(&lit.value, lit.span);
                    prev = Some(lit.span);
                }
                if bumped {
                    self.indent -= 1;
                }
            }
        }
    }

    fn type_call(&mut self, name: &str, inner: &TypeExpr) {
        self.push(name);
        self.push("(");
        self.type_expr(inner);
        self.push(")");
    }

    // ------------------------------------------------------------------ expressions

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Null => self.push("null"),
            ExprKind::Bool(b) => self.push(if *b { "true" } else { "false" }),
            ExprKind::Number(_, text) => self.push(text),
            ExprKind::Template(t) => self.template(t, e.span),
            ExprKind::List(elems) => {
                let (lo, hi) = region(e.span.start, e.span.end);
                let multi = self.gaps_break(lo, hi, elems.iter().map(|x| x.span));
                let b = Brackets {
                    region: (lo, hi),
                    multi,
                    open: "[",
                    close: "]",
                    expand_last: false,
                };
                self.list_like(elems, b, |x| x.span, |p, x| p.expr(x));
            }
            ExprKind::Object(items) => self.object(e.span, items),
            ExprKind::Name(id) => self.push(&id.name),
            ExprKind::GetAttr(base, name) => {
                self.postfix_base(base);
                self.push(".");
                self.push(&name.name);
            }
            ExprKind::Index(base, index) => {
                self.postfix_base(base);
                self.push("[");
                self.expr(index);
                self.push("]");
            }
            ExprKind::Splat(base) => {
                self.postfix_base(base);
                self.push("[*]");
            }
            ExprKind::Call(call) => self.call(e.span, call),
            ExprKind::Unary(op, operand) => {
                self.push(match op {
                    UnaryOp::Not => "!",
                    UnaryOp::Neg => "-",
                });
                let wrap = matches!(
                    operand.kind,
                    ExprKind::Binary(..) | ExprKind::Conditional(..)
                );
                self.maybe_paren(operand, wrap);
            }
            ExprKind::Binary(..) => self.binary(e),
            ExprKind::Conditional(c, a, b) => self.conditional(c, a, b),
            ExprKind::ForList(f) => self.for_expr(e.span, f, false),
            ExprKind::ForObject(f) => self.for_expr(e.span, f, true),
            ExprKind::Paren(inner) => self.paren(e.span, inner),
        }
    }

    /// Prints `e`, in parentheses the tree does not have when `wrap` (only for trees
    /// built by a program; parsed trees carry their parentheses as `Paren`).
    fn maybe_paren(&mut self, e: &Expr, wrap: bool) {
        if wrap {
            self.push("(");
            self.expr(e);
            self.push(")");
        } else {
            self.expr(e);
        }
    }

    fn postfix_base(&mut self, base: &Expr) {
        let wrap = matches!(
            base.kind,
            ExprKind::Unary(..) | ExprKind::Binary(..) | ExprKind::Conditional(..)
        );
        self.maybe_paren(base, wrap);
    }

    /// Ends the current line at a line break the user made inside an expression: the
    /// comments on that line stay at its end, comment lines follow, and the first break
    /// of an expression indents its continuation lines unless it started its own line.
    fn break_line(&mut self, from: u32, to: u32, base_line_start: bool, bumped: &mut bool) {
        self.trailing_comments(from, to, true);
        if !*bumped && !base_line_start {
            self.indent += 1;
            *bumped = true;
        }
        self.comment_lines(from, to);
        self.newline();
    }

    fn binary(&mut self, e: &Expr) {
        let mut operands: Vec<(&Expr, bool)> = Vec::new();
        let mut ops: Vec<BinaryOp> = Vec::new();
        flatten_binary(e, &mut operands, &mut ops);
        let base = self.line_start;
        let mut bumped = false;
        let mut prev_end = None;
        for (i, (operand, wrap)) in operands.iter().enumerate() {
            if let (Some(end), Some(op)) = (prev_end, i.checked_sub(1).and_then(|j| ops.get(j))) {
                self.push(" ");
                self.push(op.symbol());
                if self.has_newline(end, operand.span.start) {
                    self.break_line(end, operand.span.start, base, &mut bumped);
                } else {
                    self.push(" ");
                }
            }
            self.maybe_paren(operand, *wrap);
            prev_end = Some(operand.span.end);
        }
        if bumped {
            self.indent -= 1;
        }
    }

    fn conditional(&mut self, c: &Expr, a: &Expr, b: &Expr) {
        let base = self.line_start;
        let mut bumped = false;
        self.maybe_paren(c, matches!(c.kind, ExprKind::Conditional(..)));
        if self.has_newline(c.span.end, a.span.start) {
            self.break_line(c.span.end, a.span.start, base, &mut bumped);
            self.push("? ");
        } else {
            self.push(" ? ");
        }
        self.expr(a);
        if self.has_newline(a.span.end, b.span.start) {
            self.break_line(a.span.end, b.span.start, base, &mut bumped);
            self.push(": ");
        } else {
            self.push(" : ");
        }
        self.expr(b);
        if bumped {
            self.indent -= 1;
        }
    }

    fn paren(&mut self, span: Span, inner: &Expr) {
        let (lo, hi) = region(span.start, span.end);
        self.push("(");
        if !self.has_newline(lo, inner.span.start) {
            self.expr(inner);
            self.push(")");
            return;
        }
        self.trailing_comments(lo, inner.span.start, false);
        self.indent += 1;
        self.comment_lines(lo, inner.span.start);
        self.newline();
        self.expr(inner);
        self.trailing_comments(inner.span.end, hi, false);
        self.comment_lines(lo, hi);
        self.indent -= 1;
        self.newline();
        self.push(")");
    }

    fn for_expr(&mut self, span: Span, f: &ForExpr, object: bool) {
        let (open, close) = if object { ("{", "}") } else { ("[", "]") };
        let (lo, hi) = region(span.start, span.end);
        let head = f.key.as_ref().unwrap_or(&f.value).span.start;
        let multi = self.has_newline(lo, head);
        self.push(open);
        if multi {
            self.trailing_comments(lo, head, false);
            self.indent += 1;
            self.comment_lines(lo, head);
            self.newline();
        } else if object {
            self.push(" ");
        }
        self.push("for ");
        if let Some(k) = &f.key {
            self.push(&k.name);
            self.push(", ");
        }
        self.push(&f.value.name);
        self.push(" in ");
        self.expr(&f.collection);
        self.push(" : ");
        self.expr(&f.first);
        if let Some(second) = &f.second {
            self.push(" => ");
            self.expr(second);
        }
        if f.group {
            self.push("...");
        }
        let mut end = f.second.as_ref().unwrap_or(&f.first).span.end;
        if let Some(cond) = &f.condition {
            if multi && self.has_newline(end, cond.span.start) {
                self.trailing_comments(end, cond.span.start, true);
                self.comment_lines(end, cond.span.start);
                self.newline();
            } else {
                self.push(" ");
            }
            self.push("if ");
            self.expr(cond);
            end = cond.span.end;
        }
        if multi {
            self.trailing_comments(end, hi, false);
            self.comment_lines(lo, hi);
            self.indent -= 1;
            self.newline();
        } else if object {
            self.push(" ");
        }
        self.push(close);
    }

    /// A list, an argument list or a tuple type: one element per line with trailing
    /// commas when `b.multi`, else on the line of the brackets.
    fn list_like<T>(
        &mut self,
        elems: &[T],
        b: Brackets<'_>,
        span_of: impl Fn(&T) -> Span,
        mut print: impl FnMut(&mut Self, &T),
    ) {
        let multi = b.multi;
        if multi {
            self.indent += 1;
        }
        let mut seq = self.sequence(elems, b.region, multi, span_of, |p, x| {
            Element::plain(p.capture(multi, |p| print(p, x)))
        });
        if multi {
            self.indent -= 1;
        }
        if b.expand_last {
            let last = seq.entries.iter_mut().rev().find_map(|e| match e {
                Entry::Element(el) => Some(el),
                Entry::Comment { .. } => None,
            });
            if let Some(el) = last {
                el.head.push_str("...");
            }
        }
        self.container(seq, b.open, b.close, "", ",", !multi);
    }

    fn call(&mut self, span: Span, call: &Call) {
        let (lo, hi) = region(call.name.span.end, span.end);
        let multi = self.gaps_break(lo, hi, call.args.iter().map(|a| a.span));
        let open = format!("{}(", call.name.name);
        let b = Brackets {
            region: (lo, hi),
            multi,
            open: &open,
            close: ")",
            expand_last: call.expand_last,
        };
        self.list_like(&call.args, b, |a| a.span, |p, a| p.expr(a));
    }

    fn object(&mut self, span: Span, items: &[ObjectItem]) {
        let (lo, hi) = region(span.start, span.end);
        let src_multi = self.has_newline(span.start, span.end) || self.has_comment_within(lo, hi);
        self.indent += 1;
        let seq = self.sequence(
            items,
            (lo, hi),
            true,
            |it| it.span,
            |p, it| {
                let key = p.capture(false, |p| match &it.key {
                    ObjectKey::Ident(id) => p.push(&id.name),
                    ObjectKey::String(s) => p.string_lit(&s.value, s.span),
                    ObjectKey::Expr(k) => {
                        p.push("(");
                        p.expr(k);
                        p.push(")");
                    }
                });
                let value = p.capture(false, |p| p.expr(&it.value));
                Element::pair(key, " = ", value, Some(0))
            },
        );
        self.indent -= 1;
        let one_line = !src_multi && all_single_line(&seq);
        self.container(seq, "{", "}", " ", "", one_line);
    }

    // ------------------------------------------------------------------ strings

    fn template(&mut self, t: &Template, span: Span) {
        if let Some(h) = &t.heredoc {
            self.heredoc(t, h, span);
            return;
        }
        self.push("\"");
        match self.raw_segments(t, span) {
            Some(segments) => {
                let mut segments = segments.into_iter();
                self.push(segments.next().unwrap_or(""));
                for part in &t.parts {
                    if let TemplatePart::Interpolation(e) = part {
                        self.interpolation(e);
                        self.push(segments.next().unwrap_or(""));
                    }
                }
            }
            None => {
                for (i, part) in t.parts.iter().enumerate() {
                    match part {
                        TemplatePart::Literal(s) => {
                            let before_interp =
                                matches!(t.parts.get(i + 1), Some(TemplatePart::Interpolation(_)));
                            let mut text = String::new();
                            escape_quoted(&mut text, s, before_interp);
                            self.push(&text);
                        }
                        TemplatePart::Interpolation(e) => self.interpolation(e),
                    }
                }
            }
        }
        self.push("\"");
    }

    fn interpolation(&mut self, e: &Expr) {
        self.push("${");
        self.expr(e);
        self.push("}");
    }

    /// The source text of a quoted string's literal stretches (one more than it has
    /// interpolations), when the source is there and spells exactly the tree's parts.
    fn raw_segments(&self, t: &Template, span: Span) -> Option<Vec<&'a str>> {
        let raw = self.src(span.start, span.end);
        if raw.len() < 2 || !raw.starts_with('"') || !raw.ends_with('"') {
            return None;
        }
        let end = span.end as usize - 1;
        let mut at = span.start as usize + 1;
        let mut segments = Vec::new();
        let mut interps = 0;
        for part in &t.parts {
            let TemplatePart::Interpolation(e) = part else {
                continue;
            };
            interps += 1;
            let (es, ee) = (e.span.start as usize, e.span.end as usize);
            if es < at || ee > end || es >= ee {
                return None;
            }
            let before = self.source.get(at..es)?;
            let open = before.rfind("${")?;
            if !before.get(open + 2..)?.trim().is_empty() {
                return None;
            }
            segments.push(before.get(..open)?);
            let after = self.source.get(ee..end)?;
            let close = after.find('}')?;
            if !after.get(..close)?.trim().is_empty() {
                return None;
            }
            at = ee + close + 1;
        }
        segments.push(self.source.get(at..end)?);
        // The segments must spell the literal parts exactly.
        let mut parts = t.parts.iter();
        for (i, seg) in segments.iter().enumerate() {
            let decoded = decode_quoted(seg)?;
            if !decoded.is_empty() {
                match parts.next() {
                    Some(TemplatePart::Literal(s)) if *s == decoded => {}
                    _ => return None,
                }
            }
            if i < interps && !matches!(parts.next(), Some(TemplatePart::Interpolation(_))) {
                return None;
            }
        }
        parts.next().is_none().then_some(segments)
    }

    /// A string that cannot interpolate (label, key, union member, field name).
    fn string_lit(&mut self, value: &str, span: Span) {
        let raw = self.src(span.start, span.end);
        let verbatim = raw.len() >= 2
            && raw.starts_with('"')
            && raw.ends_with('"')
            && raw
                .get(1..raw.len() - 1)
                .and_then(decode_quoted)
                .is_some_and(|d| d == value);
        if verbatim {
            self.push(raw);
        } else {
            let mut text = String::from("\"");
            escape_quoted(&mut text, value, false);
            text.push('"');
            self.push(&text);
        }
    }

    fn heredoc(&mut self, t: &Template, h: &Heredoc, span: Span) {
        self.push("<<");
        if h.strip {
            self.push("-");
        }
        self.push(&h.marker);
        self.out.push('\n');
        let lines = heredoc_lines(&t.parts, self.crlf);
        // `<<-` strips the least indentation of its non-blank lines. Indenting every
        // line by the same amount keeps the value, unless the first line starts with an
        // interpolation in column 0: then nothing was stripped and the body is verbatim.
        let reindent = h.strip
            && lines.iter().any(|l| !is_blank_line(l))
            && !matches!(t.parts.first(), Some(TemplatePart::Interpolation(_)));
        let body_indent = INDENT.repeat(self.indent + 1);
        for line in &lines {
            if reindent && !line.is_empty() {
                self.out.push_str(&body_indent);
            }
            for piece in line {
                match piece {
                    Piece::Text(s) => escape_heredoc(&mut self.out, s),
                    Piece::Interp(e) => self.interpolation(e),
                }
            }
            self.out.push('\n');
        }
        if h.strip {
            self.out.push_str(&INDENT.repeat(self.indent));
        } else {
            let indent = self.heredoc_marker_indent(span, &h.marker);
            self.out.push_str(indent);
        }
        self.push(&h.marker);
    }

    /// The whitespace before the closing marker of a `<<` heredoc in the source.
    fn heredoc_marker_indent(&self, span: Span, marker: &str) -> &'a str {
        let end = span.end as usize;
        let Some(marker_start) = end.checked_sub(marker.len()) else {
            return "";
        };
        if self.source.get(marker_start..end) != Some(marker) {
            return "";
        }
        let before = self.source.get(..marker_start).unwrap_or("");
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let indent = before.get(line_start..).unwrap_or("");
        if indent.chars().all(|c| c == ' ' || c == '\t') {
            indent
        } else {
            ""
        }
    }
}

fn all_single_line(seq: &Seq) -> bool {
    seq.entries
        .iter()
        .all(|e| matches!(e, Entry::Element(el) if el.single_line()))
}

/// Top level: one blank line between two items unless both are single-line (then the
/// user's blank line, if any, is kept). The blank line goes before the comments that
/// lead the second item, unless the user put one somewhere between the two.
fn separate_items(entries: &mut [Entry]) {
    let elements: Vec<usize> = entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| matches!(e, Entry::Element(_)).then_some(i))
        .collect();
    for pair in elements.windows(2) {
        let &[a, b] = pair else { continue };
        let single =
            |i: usize| matches!(entries.get(i), Some(Entry::Element(el)) if el.single_line());
        if single(a) && single(b) {
            continue;
        }
        let has_blank = (a + 1..=b).any(|k| entries.get(k).is_some_and(Entry::blank_before));
        if has_blank {
            continue;
        }
        let target = (a + 1..=b)
            .find(|&k| !matches!(entries.get(k), Some(Entry::Comment { attached: true, .. })));
        if let Some(e) = target.and_then(|k| entries.get_mut(k)) {
            e.set_blank_before();
        }
    }
}

/// Splits a binary expression into its operands and operators in source order. An
/// operand that the tree nests against precedence (a tree built by a program) is marked
/// for parentheses.
fn flatten_binary<'e>(e: &'e Expr, operands: &mut Vec<(&'e Expr, bool)>, ops: &mut Vec<BinaryOp>) {
    let ExprKind::Binary(op, l, r) = &e.kind else {
        operands.push((e, false));
        return;
    };
    let prec = op.precedence();
    match &l.kind {
        ExprKind::Binary(lop, ..) if lop.precedence() >= prec => flatten_binary(l, operands, ops),
        ExprKind::Binary(..) | ExprKind::Conditional(..) => operands.push((l, true)),
        _ => operands.push((l, false)),
    }
    ops.push(*op);
    match &r.kind {
        ExprKind::Binary(rop, ..) if rop.precedence() > prec => flatten_binary(r, operands, ops),
        ExprKind::Binary(..) | ExprKind::Conditional(..) => operands.push((r, true)),
        _ => operands.push((r, false)),
    }
}

/// A piece of one heredoc line: literal text (without the newline) or an interpolation.
enum Piece<'e> {
    Text(String),
    Interp(&'e Expr),
}

/// The lines of a heredoc body, each without its final newline.
fn heredoc_lines(parts: &[TemplatePart], crlf: bool) -> Vec<Vec<Piece<'_>>> {
    let mut lines = Vec::new();
    let mut line: Vec<Piece<'_>> = Vec::new();
    for part in parts {
        match part {
            TemplatePart::Literal(s) => {
                let s = if crlf {
                    s.replace("\r\n", "\n")
                } else {
                    s.clone()
                };
                let mut pieces = s.split('\n');
                if let Some(first) = pieces.next() {
                    if !first.is_empty() {
                        line.push(Piece::Text(first.to_string()));
                    }
                }
                for next in pieces {
                    lines.push(std::mem::take(&mut line));
                    if !next.is_empty() {
                        line.push(Piece::Text(next.to_string()));
                    }
                }
            }
            TemplatePart::Interpolation(e) => line.push(Piece::Interp(e)),
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// A heredoc line holding only spaces and tabs (or nothing), which `<<-` ignores when
/// it measures indentation.
fn is_blank_line(line: &[Piece<'_>]) -> bool {
    match line {
        [] => true,
        [Piece::Text(s)] => s.chars().all(|c| c == ' ' || c == '\t'),
        _ => false,
    }
}

/// Escapes literal text for a quoted string. A `$` just before an interpolation is
/// written `\u{24}`, the only spelling that does not read as `$${`.
fn escape_quoted(out: &mut String, s: &str, before_interp: bool) {
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if chars.peek() == Some(&'{') => out.push_str("$$"),
            '$' if before_interp && chars.peek().is_none() => out.push_str("\\u{24}"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
}

/// Escapes literal heredoc text: only `${` needs it.
fn escape_heredoc(out: &mut String, s: &str) {
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek() == Some(&'{') {
            out.push_str("$$");
        } else {
            out.push(c);
        }
    }
}

/// Decodes the raw text of a quoted string without interpolations, as the parser does;
/// `None` when it is not such text.
fn decode_quoted(raw: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        if let Some(r) = rest.strip_prefix("$${") {
            out.push_str("${");
            rest = r;
        } else if rest.starts_with("${") || c == '"' || c == '\n' {
            return None;
        } else if let Some(r) = rest.strip_prefix('\\') {
            let e = r.chars().next()?;
            rest = r.get(e.len_utf8()..)?;
            match e {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                'u' => {
                    let body = rest.strip_prefix('{')?;
                    let close = body.find('}')?;
                    let code = u32::from_str_radix(body.get(..close)?, 16).ok()?;
                    out.push(char::from_u32(code)?);
                    rest = body.get(close + 1..)?;
                }
                _ => return None,
            }
        } else {
            out.push(c);
            rest = rest.get(c.len_utf8()..)?;
        }
    }
    Some(out)
}
