//! Lowering of pest pairs into the AST, in one place, plus recovery at item boundaries.

use pest::iterators::{Pair, Pairs};
use pest::Parser as _;
use pest_derive::Parser;

use super::ast::*;
use super::error::{self, Separated, SyntaxError, MAX_CHAIN};
use crate::diag::Diagnostic;
use crate::source::{FileId, Span};

#[derive(Parser)]
#[grammar = "syntax/aic.pest"]
pub(crate) struct AicParser;

/// The result of parsing one file: the tree (possibly partial) and its diagnostics.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub file: File,
    pub diagnostics: Vec<Diagnostic>,
}

impl Parsed {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.is_error())
    }
}

/// Parses a whole file. On a syntax error the file is split at item boundaries (lines
/// starting in column 0 with an item keyword, or with any identifier outside brackets)
/// and every part is parsed on its own, so that independent errors are all reported in
/// one run.
pub fn parse_file(file: FileId, text: &str) -> Parsed {
    let mut errors = Vec::new();
    let mut out = File {
        items: Vec::new(),
        comments: Vec::new(),
        span: Span::new(file, 0, text.len()),
    };
    if let Err(first) = parse_part(file, text, (0, text.len()), &mut out, &mut errors) {
        let chunks = item_chunks(text);
        if chunks.len() <= 1 {
            errors.push(first);
        } else {
            for chunk in chunks {
                if let Err(e) = parse_part(file, text, chunk, &mut out, &mut errors) {
                    errors.push(e);
                }
            }
        }
    }
    Parsed {
        file: out,
        diagnostics: errors.iter().map(SyntaxError::to_diagnostic).collect(),
    }
}

/// Parses `text[start..end]` and lowers it into `out`; a failure to parse comes back as
/// the error (errors found while lowering go to `errors`).
fn parse_part(
    file: FileId,
    text: &str,
    (start, end): (usize, usize),
    out: &mut File,
    errors: &mut Vec<SyntaxError>,
) -> Result<(), SyntaxError> {
    let part = text.get(start..end).unwrap_or("");
    if let Some((s, e)) = error::too_deep(part) {
        return Err(SyntaxError::TooDeep {
            at: Span::new(file, start + s, start + e),
            chain: false,
        });
    }
    match AicParser::parse(Rule::file, part) {
        Ok(pairs) => {
            let mut b = Builder::new(file, part, start, errors);
            b.file(pairs, out);
            Ok(())
        }
        Err(e) => Err(error::from_pest(file, text, (start, end), &e)),
    }
}

/// Refuses input nested deeper than the parser's stack allows, before parsing it.
fn check_depth(file: FileId, text: &str) -> Result<(), Vec<Diagnostic>> {
    match error::too_deep(text) {
        Some((s, e)) => Err(vec![SyntaxError::TooDeep {
            at: Span::new(file, s, e),
            chain: false,
        }
        .to_diagnostic()]),
        None => Ok(()),
    }
}

/// Parses a single expression (used by `--var`, the console and tests).
pub fn parse_expr(file: FileId, text: &str) -> Result<Expr, Vec<Diagnostic>> {
    check_depth(file, text)?;
    let mut errors = Vec::new();
    let result = match AicParser::parse(Rule::expr_only, text) {
        Ok(mut pairs) => {
            let mut b = Builder::new(file, text, 0, &mut errors);
            pairs
                .next()
                .and_then(|p| b.inner(p).next())
                .map(|p| b.expr(p))
        }
        Err(e) => {
            errors.push(error::from_pest(file, text, (0, text.len()), &e));
            None
        }
    };
    match result {
        Some(e) if errors.is_empty() => Ok(e),
        _ => Err(errors.iter().map(SyntaxError::to_diagnostic).collect()),
    }
}

/// Parses a single type expression.
pub fn parse_type_expr(file: FileId, text: &str) -> Result<TypeExpr, Vec<Diagnostic>> {
    check_depth(file, text)?;
    let mut errors = Vec::new();
    let result = match AicParser::parse(Rule::type_expr_only, text) {
        Ok(mut pairs) => {
            let mut b = Builder::new(file, text, 0, &mut errors);
            pairs
                .next()
                .and_then(|p| b.inner(p).next())
                .map(|p| b.type_expr(p))
        }
        Err(e) => {
            errors.push(error::from_pest(file, text, (0, text.len()), &e));
            None
        }
    };
    match result {
        Some(t) if errors.is_empty() => Ok(t),
        _ => Err(errors.iter().map(SyntaxError::to_diagnostic).collect()),
    }
}

/// Byte ranges of top-level items, found without parsing (see [`error::item_starts`]).
fn item_chunks(text: &str) -> Vec<(usize, usize)> {
    let mut starts = vec![0usize];
    starts.extend(error::item_starts(text));
    let ends = starts.iter().skip(1).copied().chain([text.len()]);
    starts.iter().copied().zip(ends).collect()
}

struct Builder<'a, 'e> {
    file: FileId,
    text: &'a str,
    base: usize,
    errors: &'e mut Vec<SyntaxError>,
    comments: Vec<Comment>,
}

impl<'a, 'e> Builder<'a, 'e> {
    fn new(file: FileId, text: &'a str, base: usize, errors: &'e mut Vec<SyntaxError>) -> Self {
        Builder {
            file,
            text,
            base,
            errors,
            comments: Vec::new(),
        }
    }

    /// The span of a pair without the whitespace and comments pest folds into its end.
    fn span(&self, p: &Pair<'_, Rule>) -> Span {
        let s = p.as_span();
        let end = self.content_end(s.start(), s.end());
        Span::new(self.file, self.base + s.start(), self.base + end)
    }

    fn content_end(&self, start: usize, mut end: usize) -> usize {
        loop {
            let text = self.text.get(start..end).unwrap_or("");
            let trimmed = text.trim_end_matches([' ', '\t', '\r', '\n', '\u{FEFF}']);
            end = start + trimmed.len();
            // Comments are sorted by position: is there one ending exactly here?
            let abs_end = (self.base + end) as u32;
            match self.comments.binary_search_by_key(&abs_end, |c| c.span.end) {
                Ok(i) => {
                    let c_start = self
                        .comments
                        .get(i)
                        .map_or(end, |c| c.span.start as usize - self.base);
                    if c_start < start || c_start >= end {
                        return end;
                    }
                    end = c_start;
                }
                Err(_) => return end,
            }
        }
    }

    fn span_range(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, self.base + start, self.base + end)
    }

    /// Children of a pair without the comments (collected up front by [`Self::file`]).
    fn inner<'i>(&mut self, p: Pair<'i, Rule>) -> impl Iterator<Item = Pair<'i, Rule>> {
        p.into_inner().filter(|c| c.as_rule() != Rule::COMMENT)
    }

    fn file(&mut self, mut pairs: Pairs<'_, Rule>, out: &mut File) {
        let Some(file) = pairs.next() else { return };
        for c in file.clone().into_inner().flatten() {
            if c.as_rule() == Rule::COMMENT {
                let s = c.as_span();
                let text = c.as_str().trim_end();
                self.comments.push(Comment {
                    text: text.to_string(),
                    span: Span::new(
                        self.file,
                        self.base + s.start(),
                        self.base + s.start() + text.len(),
                    ),
                });
            }
        }
        self.comments.sort_by_key(|c| c.span.end);
        let mut prev_end: Option<usize> = None;
        let mut items = Vec::new();
        for p in self.inner(file) {
            if p.as_rule() == Rule::EOI {
                continue;
            }
            let start = p.as_span().start();
            if let Some(end) = prev_end {
                self.check_separator(end, start, Separated::Items);
            }
            prev_end = Some(self.content_end(p.as_span().start(), p.as_span().end()));
            if let Some(item) = self.item(p) {
                items.push(item);
            }
        }
        out.items.extend(items);
        out.comments.append(&mut self.comments);
        out.comments.sort_by_key(|c| c.span.start);
    }

    /// Items and attributes must be separated by a newline (or, inside a body, a comma).
    fn check_separator(&mut self, prev_end: usize, next_start: usize, between: Separated) {
        let gap = self.text.get(prev_end..next_start).unwrap_or("");
        let comma_ok = between != Separated::Items;
        let ok = gap.contains('\n') || (comma_ok && gap.contains(','));
        if !ok {
            let end = error::token_end(self.text, next_start);
            self.errors.push(SyntaxError::MissingSeparator {
                at: self.span_range(next_start, end),
                between,
            });
        }
    }

    fn ident(&self, p: &Pair<'_, Rule>) -> Ident {
        Ident {
            name: p.as_str().to_string(),
            span: self.span(p),
        }
    }

    fn item(&mut self, p: Pair<'_, Rule>) -> Option<Item> {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::variable_item => {
                let mut name = None;
                let mut ty = None;
                let mut default = None;
                let mut body = None;
                for c in self.inner(p) {
                    match c.as_rule() {
                        Rule::kw_variable => {}
                        Rule::ident => name = Some(self.ident(&c)),
                        Rule::type_expr => ty = Some(self.type_expr(c)),
                        Rule::expr => default = Some(self.expr(c)),
                        Rule::block_body => body = Some(self.body(c)),
                        _ => {}
                    }
                }
                Some(Item::Variable(Variable {
                    name: name?,
                    ty,
                    default,
                    body,
                    span,
                }))
            }
            Rule::let_item => {
                let mut it = self.inner(p).filter(|c| c.as_rule() != Rule::kw_let);
                let name = self.ident(&it.next()?);
                let value = self.expr(it.next()?);
                Some(Item::Let(Let { name, value, span }))
            }
            Rule::output_item => {
                let mut it = self.inner(p).filter(|c| c.as_rule() != Rule::kw_output);
                let name = self.ident(&it.next()?);
                let value = self.expr(it.next()?);
                let body = it.next().map(|b| self.body(b));
                Some(Item::Output(Output {
                    name,
                    value,
                    body,
                    span,
                }))
            }
            Rule::type_item => {
                let mut it = self.inner(p).filter(|c| c.as_rule() != Rule::kw_type);
                let name = self.ident(&it.next()?);
                let ty = self.type_expr(it.next()?);
                Some(Item::Type(TypeDef { name, ty, span }))
            }
            Rule::block => {
                let block = self.block(p, true)?;
                Some(Item::Block(block))
            }
            _ => None,
        }
    }

    fn block(&mut self, p: Pair<'_, Rule>, top: bool) -> Option<Block> {
        let span = self.span(&p);
        let mut kind = None;
        let mut labels = Vec::new();
        let mut body = None;
        let children: Vec<_> = self
            .inner(p)
            .flat_map(|c| {
                if c.as_rule() == Rule::block_head {
                    c.into_inner().collect::<Vec<_>>()
                } else {
                    vec![c]
                }
            })
            .collect();
        for c in children {
            match c.as_rule() {
                Rule::ident if kind.is_none() => kind = Some(self.ident(&c)),
                Rule::ident => labels.push(Label {
                    value: c.as_str().to_string(),
                    quoted: false,
                    span: self.span(&c),
                }),
                Rule::string => {
                    let lit = self.plain_string(c);
                    labels.push(Label {
                        value: lit.value,
                        quoted: true,
                        span: lit.span,
                    });
                }
                Rule::block_body => body = Some(self.body(c)),
                _ => {}
            }
        }
        let kind = kind?;
        let body = body?;
        let top_kind = if top {
            match BlockKind::from_keyword(&kind.name) {
                Some(k) => {
                    let (min, max) = k.label_arity();
                    if labels.len() < min || labels.len() > max {
                        self.errors.push(SyntaxError::LabelCount {
                            kind: k,
                            found: labels.len(),
                            at: labels.iter().fold(kind.span, |s, l| s.to(l.span)),
                        });
                    }
                    Some(k)
                }
                None => {
                    self.errors.push(SyntaxError::UnknownItem {
                        name: kind.name.clone(),
                        at: kind.span,
                    });
                    return None;
                }
            }
        } else {
            None
        };
        Some(Block {
            kind,
            top_kind,
            labels,
            body,
            span,
        })
    }

    fn body(&mut self, p: Pair<'_, Rule>) -> Body {
        let span = self.span(&p);
        let mut elements = Vec::new();
        let mut prev_end: Option<usize> = None;
        let mut comma_since_prev = false;
        for c in self.inner(p) {
            let start = c.as_span().start();
            match c.as_rule() {
                Rule::comma => {
                    comma_since_prev = true;
                    continue;
                }
                Rule::attribute | Rule::block => {
                    if let Some(end) = prev_end {
                        if !comma_since_prev {
                            self.check_separator(end, start, Separated::Attributes);
                        }
                    }
                    prev_end = Some(self.content_end(c.as_span().start(), c.as_span().end()));
                    comma_since_prev = false;
                }
                _ => continue,
            }
            if c.as_rule() == Rule::attribute {
                if let Some(a) = self.attribute(c) {
                    elements.push(BodyElement::Attribute(a));
                }
            } else if let Some(b) = self.block(c, false) {
                elements.push(BodyElement::Block(b));
            }
        }
        Body { elements, span }
    }

    fn attribute(&mut self, p: Pair<'_, Rule>) -> Option<Attribute> {
        let span = self.span(&p);
        let mut it = self.inner(p);
        let name = self.ident(&it.next()?);
        let value = self.expr(it.next()?);
        Some(Attribute { name, value, span })
    }

    // ------------------------------------------------------------------ types

    fn type_expr(&mut self, p: Pair<'_, Rule>) -> TypeExpr {
        let span = self.span(&p);
        let atoms: Vec<TypeExpr> = self.inner(p).map(|c| self.type_atom(c)).collect();
        if atoms.len() == 1 {
            if let Some(only) = atoms.into_iter().next() {
                return only;
            }
            return TypeExpr {
                kind: TypeExprKind::Union(Vec::new()),
                span,
            };
        }
        let mut lits = Vec::new();
        for a in atoms {
            match a.kind {
                TypeExprKind::Union(mut l) => lits.append(&mut l),
                _ => self
                    .errors
                    .push(SyntaxError::UnionOfNonLiterals { at: a.span }),
            }
        }
        TypeExpr {
            kind: TypeExprKind::Union(lits),
            span,
        }
    }

    fn type_atom(&mut self, p: Pair<'_, Rule>) -> TypeExpr {
        let span = self.span(&p);
        let kind = match p.as_rule() {
            Rule::type_name => {
                let id = self.inner(p).next().map(|c| self.ident(&c));
                TypeExprKind::Name(id.unwrap_or(Ident {
                    name: String::new(),
                    span,
                }))
            }
            Rule::type_literal => {
                let lits = self
                    .inner(p)
                    .next()
                    .map(|c| vec![self.plain_string(c)])
                    .unwrap_or_default();
                TypeExprKind::Union(lits)
            }
            Rule::type_coll => {
                let mut it = self.inner(p);
                let kw = it
                    .next()
                    .map(|c| c.as_str().to_string())
                    .unwrap_or_default();
                let inner = Box::new(match it.next() {
                    Some(t) => self.type_expr(t),
                    None => any_type(span),
                });
                match kw.as_str() {
                    "list" => TypeExprKind::List(inner),
                    "set" => TypeExprKind::Set(inner),
                    _ => TypeExprKind::Map(inner),
                }
            }
            Rule::type_object => {
                let mut fields = Vec::new();
                let mut prev_end: Option<usize> = None;
                let mut comma = false;
                for f in self.inner(p) {
                    if f.as_rule() == Rule::comma {
                        comma = true;
                        continue;
                    }
                    let start = f.as_span().start();
                    if let Some(end) = prev_end {
                        if !comma {
                            self.check_separator(end, start, Separated::TypeFields);
                        }
                    }
                    prev_end = Some(self.content_end(f.as_span().start(), f.as_span().end()));
                    comma = false;
                    let fspan = self.span(&f);
                    let mut it = self.inner(f);
                    let (name, quoted, name_span) = match it.next() {
                        Some(n) if n.as_rule() == Rule::string => {
                            let s = self.plain_string(n);
                            (s.value, true, s.span)
                        }
                        Some(n) => (n.as_str().to_string(), false, self.span(&n)),
                        None => (String::new(), false, fspan),
                    };
                    let ty = match it.next() {
                        Some(t) => self.type_expr(t),
                        None => any_type(fspan),
                    };
                    fields.push(TypeField {
                        name,
                        quoted,
                        ty,
                        name_span,
                        span: fspan,
                    });
                }
                TypeExprKind::Object(fields)
            }
            Rule::type_tuple => {
                let elems = self
                    .inner(p)
                    .filter(|c| c.as_rule() == Rule::type_expr)
                    .collect::<Vec<_>>();
                TypeExprKind::Tuple(elems.into_iter().map(|c| self.type_expr(c)).collect())
            }
            Rule::type_optional => {
                let mut it = self.inner(p);
                let ty = match it.next() {
                    Some(t) => self.type_expr(t),
                    None => any_type(span),
                };
                let default = it.next().map(|e| Box::new(self.expr(e)));
                TypeExprKind::Optional(Box::new(ty), default)
            }
            _ => TypeExprKind::Name(Ident {
                name: p.as_str().to_string(),
                span,
            }),
        };
        TypeExpr { kind, span }
    }

    // ------------------------------------------------------------------ expressions

    /// `unary (op unary)* (? expr : expr)?`, with precedence climbing over the operators.
    fn expr(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = self.span(&p);
        let mut operands = Vec::new();
        let mut ops = Vec::new();
        let mut branches = Vec::new();
        for c in self.inner(p) {
            match c.as_rule() {
                Rule::unary => operands.push(self.unary(c)),
                Rule::expr => branches.push(c),
                _ if ops.len() == MAX_CHAIN => return self.chain_too_long(&c),
                rule => ops.push(binary_op(rule)),
            }
        }
        let mut operands = operands.into_iter();
        let Some(first) = operands.next() else {
            return null_expr(span);
        };
        let mut rest = ops.into_iter().zip(operands).peekable();
        let cond = climb(first, &mut rest, 0);
        let mut branches = branches.into_iter();
        match (branches.next(), branches.next()) {
            (Some(a), Some(b)) => {
                let a = self.expr(a);
                let b = self.expr(b);
                Expr {
                    kind: ExprKind::Conditional(Box::new(cond), Box::new(a), Box::new(b)),
                    span,
                }
            }
            _ => cond,
        }
    }

    /// Refuses a chain of operators longer than [`MAX_CHAIN`]: each is a level of the tree
    /// that every later phase walks recursively.
    fn chain_too_long(&mut self, op: &Pair<'_, Rule>) -> Expr {
        let at = self.span(op);
        self.errors.push(SyntaxError::TooDeep { at, chain: true });
        null_expr(at)
    }

    /// `prefix* primary postfix*`.
    fn unary(&mut self, p: Pair<'_, Rule>) -> Expr {
        let mut prefixes = Vec::new();
        let mut operand: Option<Expr> = None;
        let mut start = 0;
        let mut postfixes = 0;
        for c in self.inner(p) {
            match c.as_rule() {
                Rule::op_not | Rule::op_neg | Rule::get_attr | Rule::splat | Rule::index
                    if prefixes.len() == MAX_CHAIN || postfixes == MAX_CHAIN =>
                {
                    return self.chain_too_long(&c);
                }
                Rule::op_not => prefixes.push((UnaryOp::Not, c.as_span().start())),
                Rule::op_neg => prefixes.push((UnaryOp::Neg, c.as_span().start())),
                Rule::get_attr | Rule::splat | Rule::index => {
                    postfixes += 1;
                    operand = operand.map(|e| self.postfix(e, start, c));
                }
                _ => {
                    start = c.as_span().start();
                    operand = Some(self.primary(c));
                }
            }
        }
        let mut e = operand.unwrap_or_else(|| null_expr(Span::default()));
        for (op, start) in prefixes.into_iter().rev() {
            let span = self.span_range(start, e.span.end as usize - self.base);
            e = Expr {
                kind: ExprKind::Unary(op, Box::new(e)),
                span,
            };
        }
        e
    }

    /// Applies `.name`, `[*]` or `[index]` to `e`, whose primary starts at `start`.
    fn postfix(&mut self, e: Expr, start: usize, op: Pair<'_, Rule>) -> Expr {
        let span = self.span_range(start, self.content_end(start, op.as_span().end()));
        let kind = match op.as_rule() {
            Rule::get_attr => match self.inner(op).next() {
                Some(i) => ExprKind::GetAttr(Box::new(e), self.ident(&i)),
                None => return e,
            },
            Rule::splat => ExprKind::Splat(Box::new(e)),
            _ => match self.inner(op).next() {
                Some(i) => ExprKind::Index(Box::new(e), Box::new(self.expr(i))),
                None => return e,
            },
        };
        Expr { kind, span }
    }

    fn primary(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = self.span(&p);
        let kind = match p.as_rule() {
            Rule::number => {
                let text = p.as_str();
                let clean: String = text.chars().filter(|c| *c != '_').collect();
                match clean.parse::<f64>() {
                    Ok(n) if n.is_finite() => ExprKind::Number(n, text.to_string()),
                    _ => {
                        self.errors.push(SyntaxError::BadNumber {
                            text: text.to_string(),
                            at: span,
                        });
                        ExprKind::Number(0.0, text.to_string())
                    }
                }
            }
            Rule::kw_true => ExprKind::Bool(true),
            Rule::kw_false => ExprKind::Bool(false),
            Rule::kw_null => ExprKind::Null,
            Rule::string => ExprKind::Template(self.string(p)),
            Rule::heredoc => ExprKind::Template(self.heredoc(p)),
            Rule::name => {
                let id = self.inner(p).next().map(|c| self.ident(&c));
                match id {
                    Some(id) => ExprKind::Name(id),
                    None => ExprKind::Null,
                }
            }
            Rule::paren => match self.inner(p).next() {
                Some(e) => ExprKind::Paren(Box::new(self.expr(e))),
                None => ExprKind::Null,
            },
            Rule::list => {
                let mut elems = Vec::new();
                let mut prev_end: Option<usize> = None;
                let mut comma = false;
                for c in self.inner(p) {
                    if c.as_rule() == Rule::comma {
                        comma = true;
                        continue;
                    }
                    if let Some(end) = prev_end {
                        if !comma {
                            self.check_separator(end, c.as_span().start(), Separated::ListElements);
                        }
                    }
                    prev_end = Some(self.content_end(c.as_span().start(), c.as_span().end()));
                    comma = false;
                    elems.push(self.expr(c));
                }
                ExprKind::List(elems)
            }
            Rule::object => {
                let mut items = Vec::new();
                let mut prev_end: Option<usize> = None;
                let mut comma = false;
                for c in self.inner(p) {
                    if c.as_rule() == Rule::comma {
                        comma = true;
                        continue;
                    }
                    if let Some(end) = prev_end {
                        if !comma {
                            self.check_separator(end, c.as_span().start(), Separated::ObjectItems);
                        }
                    }
                    prev_end = Some(self.content_end(c.as_span().start(), c.as_span().end()));
                    comma = false;
                    if let Some(item) = self.object_item(c) {
                        items.push(item);
                    }
                }
                ExprKind::Object(items)
            }
            Rule::call => {
                let mut it = self.inner(p);
                let name = match it.next() {
                    Some(n) => self.ident(&n),
                    None => return null_expr(span),
                };
                let mut args = Vec::new();
                let mut expand_last = false;
                for c in it {
                    match c.as_rule() {
                        Rule::expr => args.push(self.expr(c)),
                        Rule::ellipsis => expand_last = true,
                        _ => {}
                    }
                }
                ExprKind::Call(Call {
                    name,
                    args,
                    expand_last,
                })
            }
            Rule::for_list | Rule::for_object => {
                let is_obj = p.as_rule() == Rule::for_object;
                let mut key = None;
                let mut value = None;
                let mut collection = None;
                let mut exprs = Vec::new();
                let mut group = false;
                let mut condition = None;
                for c in self.inner(p) {
                    match c.as_rule() {
                        Rule::for_head => {
                            let mut idents = Vec::new();
                            for h in self.inner(c) {
                                match h.as_rule() {
                                    Rule::ident => idents.push(self.ident(&h)),
                                    Rule::expr => collection = Some(self.expr(h)),
                                    _ => {}
                                }
                            }
                            if idents.len() == 2 {
                                value = idents.pop();
                                key = idents.pop();
                            } else {
                                value = idents.pop();
                            }
                        }
                        Rule::expr => exprs.push(self.expr(c)),
                        Rule::ellipsis => group = true,
                        Rule::for_cond => {
                            condition = self
                                .inner(c)
                                .find(|x| x.as_rule() == Rule::expr)
                                .map(|x| self.expr(x));
                        }
                        _ => {}
                    }
                }
                let mut exprs = exprs.into_iter();
                let (Some(value), Some(collection), Some(first)) =
                    (value, collection, exprs.next())
                else {
                    return null_expr(span);
                };
                let second = exprs.next();
                let f = ForExpr {
                    key,
                    value,
                    collection,
                    first,
                    second,
                    group,
                    condition,
                };
                for_kind(f, is_obj)
            }
            _ => ExprKind::Null,
        };
        Expr { kind, span }
    }

    fn object_item(&mut self, p: Pair<'_, Rule>) -> Option<ObjectItem> {
        let span = self.span(&p);
        let mut it = self.inner(p);
        let k = it.next()?;
        let key = match k.as_rule() {
            Rule::key_ident => {
                let id = self.inner(k).next()?;
                ObjectKey::Ident(self.ident(&id))
            }
            Rule::string => ObjectKey::String(self.plain_string(k)),
            _ => {
                let e = self.inner(k).next()?;
                ObjectKey::Expr(self.expr(e))
            }
        };
        let value = self.expr(it.next()?);
        Some(ObjectItem { key, value, span })
    }

    /// A string that must not interpolate (labels, type literals, object keys).
    fn plain_string(&mut self, p: Pair<'_, Rule>) -> StringLit {
        let span = self.span(&p);
        let t = self.string(p);
        let mut value = String::new();
        for part in t.parts {
            match part {
                TemplatePart::Literal(s) => value.push_str(&s),
                TemplatePart::Interpolation(e) => {
                    self.errors
                        .push(SyntaxError::InterpolationNotAllowed { at: e.span });
                }
            }
        }
        StringLit { value, span }
    }

    fn string(&mut self, p: Pair<'_, Rule>) -> Template {
        let mut parts = Vec::new();
        for c in self.inner(p) {
            match c.as_rule() {
                Rule::string_text => push_lit(&mut parts, c.as_str()),
                Rule::escaped_dollar => push_lit(&mut parts, "${"),
                Rule::escape => {
                    let decoded = self.escape(&c);
                    push_lit(&mut parts, &decoded);
                }
                Rule::interp => {
                    if let Some(e) = self.inner(c).next() {
                        parts.push(TemplatePart::Interpolation(self.expr(e)));
                    }
                }
                _ => {}
            }
        }
        Template {
            parts,
            heredoc: None,
        }
    }

    fn escape(&mut self, p: &Pair<'_, Rule>) -> String {
        let s = p.as_str();
        match s {
            "\\n" => "\n".into(),
            "\\r" => "\r".into(),
            "\\t" => "\t".into(),
            "\\\"" => "\"".into(),
            "\\\\" => "\\".into(),
            _ => {
                let hex = s.trim_start_matches("\\u{").trim_end_matches('}');
                match u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
                    Some(c) => c.to_string(),
                    None => {
                        self.errors.push(SyntaxError::BadUnicodeEscape {
                            text: s.to_string(),
                            at: self.span(p),
                        });
                        String::new()
                    }
                }
            }
        }
    }

    fn heredoc(&mut self, p: Pair<'_, Rule>) -> Template {
        let mut marker = String::new();
        let mut strip = false;
        // Each line as a list of parts; the last part of each line ends with '\n'.
        let mut lines: Vec<Vec<TemplatePart>> = Vec::new();
        for c in self.inner(p) {
            match c.as_rule() {
                Rule::heredoc_strip => strip = true,
                Rule::ident => marker = c.as_str().to_string(),
                Rule::heredoc_line => {
                    let mut parts = Vec::new();
                    for l in self.inner(c) {
                        match l.as_rule() {
                            Rule::heredoc_text => push_lit(&mut parts, l.as_str()),
                            Rule::escaped_dollar => push_lit(&mut parts, "${"),
                            Rule::interp => {
                                if let Some(e) = self.inner(l).next() {
                                    parts.push(TemplatePart::Interpolation(self.expr(e)));
                                }
                            }
                            _ => {}
                        }
                    }
                    push_lit(&mut parts, "\n");
                    lines.push(parts);
                }
                _ => {}
            }
        }
        heredoc_template(lines, &marker, strip)
    }
}

/// A `for` expression of an object or of a list.
pub(super) fn for_kind(f: ForExpr, object: bool) -> ExprKind {
    if object {
        ExprKind::ForObject(Box::new(f))
    } else {
        ExprKind::ForList(Box::new(f))
    }
}

/// A heredoc's template from its lines (each a list of parts ending with `"\n"`):
/// indentation stripped for `<<-`, then the lines joined.
pub(super) fn heredoc_template(
    mut lines: Vec<Vec<TemplatePart>>,
    marker: &str,
    strip: bool,
) -> Template {
    if strip {
        strip_indent(&mut lines);
    }
    let mut parts = Vec::new();
    for line in lines {
        for part in line {
            match part {
                TemplatePart::Literal(s) => push_lit(&mut parts, &s),
                other => parts.push(other),
            }
        }
    }
    Template {
        parts,
        heredoc: Some(Heredoc {
            marker: marker.to_string(),
            strip,
        }),
    }
}

/// Appends literal text to template parts, merging it into a literal that ends them.
/// Empty text adds nothing (a `<<-` line whose indentation was its only text before an
/// interpolation would otherwise leave an empty literal).
pub(super) fn push_lit(parts: &mut Vec<TemplatePart>, s: &str) {
    if s.is_empty() {
        return;
    }
    if let Some(TemplatePart::Literal(last)) = parts.last_mut() {
        last.push_str(s);
    } else {
        parts.push(TemplatePart::Literal(s.to_string()));
    }
}

/// `<<-`: removes the smallest leading indentation of the non-blank lines from every line.
fn strip_indent(lines: &mut [Vec<TemplatePart>]) {
    fn indent_of(line: &[TemplatePart]) -> Option<usize> {
        match line.first() {
            Some(TemplatePart::Literal(s)) => {
                let n = s.len() - s.trim_start_matches([' ', '\t']).len();
                let blank = s.get(n..).is_some_and(|r| r == "\n") && line.len() == 1;
                (!blank).then_some(n)
            }
            _ => Some(0),
        }
    }
    let min = lines.iter().filter_map(|l| indent_of(l)).min().unwrap_or(0);
    if min == 0 {
        return;
    }
    for line in lines.iter_mut() {
        if let Some(TemplatePart::Literal(s)) = line.first_mut() {
            let n = (s.len() - s.trim_start_matches([' ', '\t']).len()).min(min);
            s.drain(..n);
        }
    }
}

pub(super) fn climb(
    mut lhs: Expr,
    rest: &mut std::iter::Peekable<impl Iterator<Item = (BinaryOp, Expr)>>,
    min_prec: u8,
) -> Expr {
    while let Some((op, _)) = rest.peek() {
        let prec = op.precedence();
        if prec < min_prec {
            break;
        }
        let Some((op, mut rhs)) = rest.next() else {
            break;
        };
        while let Some((next, _)) = rest.peek() {
            if next.precedence() > prec {
                rhs = climb(rhs, rest, prec + 1);
            } else {
                break;
            }
        }
        let span = lhs.span.to(rhs.span);
        lhs = Expr {
            kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
            span,
        };
    }
    lhs
}

fn binary_op(rule: Rule) -> BinaryOp {
    match rule {
        Rule::op_coalesce => BinaryOp::Coalesce,
        Rule::op_or => BinaryOp::Or,
        Rule::op_and => BinaryOp::And,
        Rule::op_eq => BinaryOp::Eq,
        Rule::op_ne => BinaryOp::Ne,
        Rule::op_le => BinaryOp::Le,
        Rule::op_ge => BinaryOp::Ge,
        Rule::op_lt => BinaryOp::Lt,
        Rule::op_gt => BinaryOp::Gt,
        Rule::op_add => BinaryOp::Add,
        Rule::op_sub => BinaryOp::Sub,
        Rule::op_mul => BinaryOp::Mul,
        Rule::op_div => BinaryOp::Div,
        _ => BinaryOp::Mod,
    }
}

fn null_expr(span: Span) -> Expr {
    Expr {
        kind: ExprKind::Null,
        span,
    }
}

fn any_type(span: Span) -> TypeExpr {
    TypeExpr {
        kind: TypeExprKind::Name(Ident {
            name: "any".into(),
            span,
        }),
        span,
    }
}
