//! The fast path of parsing: a hand-written recursive-descent parser (precedence
//! climbing for binary operators) over [`Cursor`], which builds the same tree, spans and
//! comments included, as the pest grammar (`aic.pest`) lowered by `parser.rs`.
//!
//! It only reads valid input. Whenever the input is not certainly read the way the
//! reference reads it — any syntax error, anything the lowering would report, anything
//! where the grammar would backtrack into another reading — it gives up ([`Bail`]) and
//! the caller parses with pest, which produces the diagnostics. Accepting an input that
//! pest refuses, or reading it differently, is a bug; giving up is always safe (see
//! docs/decisions/0001-pest-parser.md and `lang/tests/parser_equivalence.rs`).
//!
//! Conventions: every function starts at a token (trivia skipped) and returns with the
//! trivia after its last token skipped, like the implicit whitespace of pest's
//! non-atomic rules; spans run from a node's first token to the end of its last one,
//! which is what the lowering gets by trimming pest's spans.

use super::ast::*;
use super::error::{too_deep, MAX_CHAIN};
use super::lexer::{is_ident_char, is_ident_start, Bail, Cursor, Res};
use super::parser::{climb, for_kind, heredoc_template, push_lit};
use crate::source::{FileId, Span};

/// How deeply expressions may nest in the fast parser before it gives up (the pre-scan
/// refuses more than 64 brackets; ternary chains and heredocs inside templates escape
/// it, and pest then decides).
const MAX_DEPTH: usize = 200;

/// Parses a whole valid file, or gives up.
pub(crate) fn parse_file(file: FileId, text: &str) -> Res<File> {
    if too_deep(text).is_some() {
        return Err(Bail);
    }
    let mut p = Fast::new(file, text, true);
    p.c.skip()?;
    let mut items = Vec::new();
    let mut prev_end: Option<usize> = None;
    while !p.c.at_end() {
        if let Some(end) = prev_end {
            // Items are separated by a newline (E0104 otherwise).
            if !p.c.slice(end, p.c.pos).contains('\n') {
                return Err(Bail);
            }
        }
        let item = p.item()?;
        prev_end = Some(item.span().end as usize);
        items.push(item);
    }
    Ok(File {
        items,
        comments: p.c.comments,
        span: Span::new(file, 0, text.len()),
    })
}

/// Parses a text that is exactly one expression, or gives up.
pub(crate) fn parse_expr(file: FileId, text: &str) -> Res<Expr> {
    if too_deep(text).is_some() {
        return Err(Bail);
    }
    let mut p = Fast::new(file, text, false);
    p.c.skip()?;
    let e = p.expr()?;
    p.end()?;
    Ok(e)
}

/// Parses a text that is exactly one type expression, or gives up.
pub(crate) fn parse_type_expr(file: FileId, text: &str) -> Res<TypeExpr> {
    if too_deep(text).is_some() {
        return Err(Bail);
    }
    let mut p = Fast::new(file, text, false);
    p.c.skip()?;
    let t = p.type_expr()?;
    p.end()?;
    Ok(t)
}

struct Fast<'a> {
    c: Cursor<'a>,
    depth: usize,
}

fn ex(kind: ExprKind, span: Span) -> Expr {
    Expr { kind, span }
}

impl<'a> Fast<'a> {
    fn new(file: FileId, text: &'a str, comments: bool) -> Self {
        Fast {
            c: Cursor::new(file, text, comments),
            depth: 0,
        }
    }

    fn end(&self) -> Res<()> {
        if self.c.at_end() {
            Ok(())
        } else {
            Err(Bail)
        }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        self.c.span(start, end)
    }

    /// An identifier at the cursor, without the trivia after it.
    fn ident_raw(&mut self) -> Res<Ident> {
        let (s, e) = self.c.ident()?;
        Ok(Ident {
            name: self.c.slice(s, e).to_string(),
            span: self.span(s, e),
        })
    }

    fn ident(&mut self) -> Res<Ident> {
        let id = self.ident_raw()?;
        self.c.skip()?;
        Ok(id)
    }

    /// A keyword (`kw_let`, `kw_in`, …): an identifier that is exactly `kw`.
    fn keyword(&mut self, kw: &str) -> Res<()> {
        if self.c.peek_word() != kw {
            return Err(Bail);
        }
        self.c.pos += kw.len();
        self.c.skip()
    }

    /// `...`
    fn ellipsis(&mut self) -> Res<bool> {
        if self.c.bytes.get(self.c.pos..self.c.pos + 3) == Some(b"...") {
            self.c.pos += 3;
            self.c.skip()?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Elements up to (not including) `close`, each followed by an optional comma. One
    /// that follows the previous without a comma token must be separated from it as the
    /// lowering wants (E0104 otherwise): by trivia holding a newline or a comma.
    fn elements<T>(
        &mut self,
        close: u8,
        mut element: impl FnMut(&mut Self) -> Res<T>,
        end_of: impl Fn(&T) -> u32,
    ) -> Res<Vec<T>> {
        let mut out = Vec::new();
        let mut prev_end: Option<usize> = None;
        let mut comma = false;
        while self.c.peek() != close {
            if let (Some(end), false) = (prev_end, comma) {
                let gap = self.c.slice(end, self.c.pos);
                if !(gap.contains('\n') || gap.contains(',')) {
                    return Err(Bail);
                }
            }
            let el = element(self)?;
            prev_end = Some(end_of(&el) as usize);
            out.push(el);
            comma = self.c.eat(b',')?;
        }
        Ok(out)
    }

    // ------------------------------------------------------------------ items

    fn item(&mut self) -> Res<Item> {
        let start = self.c.pos;
        match self.c.peek_word() {
            "variable" => {
                self.keyword("variable")?;
                let name = self.ident()?;
                let mut end = name.span.end as usize;
                let ty = if self.c.eat(b':')? {
                    let t = self.type_expr()?;
                    end = t.span.end as usize;
                    Some(t)
                } else {
                    None
                };
                let default = if self.c.eat(b'=')? {
                    let e = self.expr()?;
                    end = e.span.end as usize;
                    Some(e)
                } else {
                    None
                };
                let body = self.optional_body(&mut end)?;
                Ok(Item::Variable(Variable {
                    name,
                    ty,
                    default,
                    body,
                    span: self.span(start, end),
                }))
            }
            "let" => {
                self.keyword("let")?;
                let name = self.ident()?;
                self.c.expect(b'=')?;
                let value = self.expr()?;
                let span = self.span(start, value.span.end as usize);
                Ok(Item::Let(Let { name, value, span }))
            }
            "output" => {
                self.keyword("output")?;
                let name = self.ident()?;
                self.c.expect(b'=')?;
                let value = self.expr()?;
                let mut end = value.span.end as usize;
                let body = self.optional_body(&mut end)?;
                Ok(Item::Output(Output {
                    name,
                    value,
                    body,
                    span: self.span(start, end),
                }))
            }
            "type" => {
                self.keyword("type")?;
                let name = self.ident()?;
                self.c.expect(b'=')?;
                let ty = self.type_expr()?;
                let span = self.span(start, ty.span.end as usize);
                Ok(Item::Type(TypeDef { name, ty, span }))
            }
            word => {
                // Anything else is a block of a known kind, with as many labels as it takes.
                let kind = BlockKind::from_keyword(word).ok_or(Bail)?;
                let mut block = self.block()?;
                let (min, max) = kind.label_arity();
                if block.labels.len() < min || block.labels.len() > max {
                    return Err(Bail);
                }
                block.top_kind = Some(kind);
                Ok(Item::Block(block))
            }
        }
    }

    /// The body a `variable` or an `output` may end with; `end` moves past it.
    fn optional_body(&mut self, end: &mut usize) -> Res<Option<Body>> {
        if self.c.peek() != b'{' {
            return Ok(None);
        }
        let b = self.body()?;
        *end = b.span.end as usize;
        Ok(Some(b))
    }

    /// `KIND LABEL* { … }`: the kind and labels on one line, separated by spaces or tabs.
    fn block(&mut self) -> Res<Block> {
        let kind = self.ident_raw()?;
        let start = kind.span.start as usize;
        let mut labels = Vec::new();
        loop {
            let n = self.c.hspace();
            let next = self.c.at(self.c.pos + n);
            if n == 0 || !(is_ident_start(next) || next == b'"') {
                self.c.pos += n;
                break;
            }
            self.c.pos += n;
            if next == b'"' {
                let lit = self.plain_string_raw()?;
                labels.push(Label {
                    value: lit.value,
                    quoted: true,
                    span: lit.span,
                });
            } else {
                let id = self.ident_raw()?;
                labels.push(Label {
                    value: id.name,
                    quoted: false,
                    span: id.span,
                });
            }
        }
        if self.c.peek() != b'{' {
            return Err(Bail);
        }
        let body = self.body()?;
        let span = self.span(start, body.span.end as usize);
        Ok(Block {
            kind,
            top_kind: None,
            labels,
            body,
            span,
        })
    }

    /// `{ (attribute | block) ,? … }`
    fn body(&mut self) -> Res<Body> {
        let start = self.c.pos;
        self.c.expect(b'{')?;
        let elements = self.elements(b'}', Self::body_element, |e| e.span().end)?;
        self.c.pos += 1;
        let span = self.span(start, self.c.pos);
        self.c.skip()?;
        Ok(Body { elements, span })
    }

    fn body_element(&mut self) -> Res<BodyElement> {
        let before = self.c.mark();
        let (s, e) = self.c.ident()?;
        self.c.skip()?;
        if self.c.eat(b'=')? {
            let name = Ident {
                name: self.c.slice(s, e).to_string(),
                span: self.span(s, e),
            };
            let value = self.expr()?;
            let span = name.span.to(value.span);
            return Ok(BodyElement::Attribute(Attribute { name, value, span }));
        }
        self.c.reset(before);
        Ok(BodyElement::Block(self.block()?))
    }

    // ------------------------------------------------------------------ types

    fn type_expr(&mut self) -> Res<TypeExpr> {
        let first = self.type_atom()?;
        if self.c.peek() != b'|' {
            return Ok(first);
        }
        let start = first.span.start as usize;
        let mut atoms = vec![first];
        while self.c.eat(b'|')? {
            atoms.push(self.type_atom()?);
        }
        let end = atoms.last().map_or(start, |a| a.span.end as usize);
        let mut lits = Vec::new();
        for a in atoms {
            match a.kind {
                TypeExprKind::Union(mut l) => lits.append(&mut l),
                _ => return Err(Bail),
            }
        }
        Ok(TypeExpr {
            kind: TypeExprKind::Union(lits),
            span: self.span(start, end),
        })
    }

    fn type_atom(&mut self) -> Res<TypeExpr> {
        let start = self.c.pos;
        if self.c.peek() == b'"' {
            let lit = self.plain_string_raw()?;
            self.c.skip()?;
            let span = lit.span;
            return Ok(TypeExpr {
                kind: TypeExprKind::Union(vec![lit]),
                span,
            });
        }
        let name = self.ident()?;
        // `object`, `tuple`, `optional`, `list`, `set` and `map` are constructors when
        // a `(` follows, and plain names otherwise.
        if self.c.peek() != b'(' {
            return Ok(TypeExpr {
                span: name.span,
                kind: TypeExprKind::Name(name),
            });
        }
        let kind = match name.name.as_str() {
            "object" => {
                self.c.expect(b'(')?;
                self.c.expect(b'{')?;
                let fields = self.elements(b'}', Self::type_field, |f| f.span.end)?;
                self.c.expect(b'}')?;
                TypeExprKind::Object(fields)
            }
            "tuple" => {
                self.c.expect(b'(')?;
                self.c.expect(b'[')?;
                let mut elems = Vec::new();
                while self.c.peek() != b']' {
                    elems.push(self.type_expr()?);
                    self.c.eat(b',')?;
                }
                self.c.expect(b']')?;
                TypeExprKind::Tuple(elems)
            }
            "optional" => {
                self.c.expect(b'(')?;
                let ty = self.type_expr()?;
                let default = if self.c.eat(b',')? {
                    Some(Box::new(self.expr()?))
                } else {
                    None
                };
                TypeExprKind::Optional(Box::new(ty), default)
            }
            kw @ ("list" | "set" | "map") => {
                self.c.expect(b'(')?;
                let inner = Box::new(self.type_expr()?);
                match kw {
                    "list" => TypeExprKind::List(inner),
                    "set" => TypeExprKind::Set(inner),
                    _ => TypeExprKind::Map(inner),
                }
            }
            _ => return Err(Bail),
        };
        if self.c.peek() != b')' {
            return Err(Bail);
        }
        self.c.pos += 1;
        let span = self.span(start, self.c.pos);
        self.c.skip()?;
        Ok(TypeExpr { kind, span })
    }

    /// `(NAME | "NAME") : TYPE`
    fn type_field(&mut self) -> Res<TypeField> {
        let start = self.c.pos;
        let (name, quoted, name_span) = if self.c.peek() == b'"' {
            let lit = self.plain_string_raw()?;
            self.c.skip()?;
            (lit.value, true, lit.span)
        } else {
            let id = self.ident()?;
            (id.name, false, id.span)
        };
        self.c.expect(b':')?;
        let ty = self.type_expr()?;
        let span = self.span(start, ty.span.end as usize);
        Ok(TypeField {
            name,
            quoted,
            ty,
            name_span,
            span,
        })
    }

    // ------------------------------------------------------------------ expressions

    /// `unary (op unary)* (? expr : expr)?`
    fn expr(&mut self) -> Res<Expr> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Bail);
        }
        let first = self.unary()?;
        let mut cond = first;
        if let Some(op) = self.infix()? {
            let mut rest = vec![(op, self.unary()?)];
            while let Some(op) = self.infix()? {
                if rest.len() >= MAX_CHAIN {
                    return Err(Bail);
                }
                rest.push((op, self.unary()?));
            }
            cond = climb(cond, &mut rest.into_iter().peekable(), 0);
        }
        let e = if self.c.peek() == b'?' {
            self.c.pos += 1;
            self.c.skip()?;
            if self.c.peek() == b'?' {
                return Err(Bail);
            }
            let a = self.expr()?;
            self.c.expect(b':')?;
            let b = self.expr()?;
            let span = cond.span.to(b.span);
            ex(
                ExprKind::Conditional(Box::new(cond), Box::new(a), Box::new(b)),
                span,
            )
        } else {
            cond
        };
        self.depth -= 1;
        Ok(e)
    }

    /// A binary operator at the cursor, consumed with the trivia after it.
    fn infix(&mut self) -> Res<Option<BinaryOp>> {
        let Some((op, len)) = self.c.infix() else {
            return Ok(None);
        };
        self.c.pos += len;
        self.c.skip()?;
        // `op_div` is `"/" ~ !("/" | "*")` with trivia in between.
        if op == BinaryOp::Div && matches!(self.c.peek(), b'/' | b'*') {
            return Err(Bail);
        }
        Ok(Some(op))
    }

    /// `prefix* primary postfix*`
    fn unary(&mut self) -> Res<Expr> {
        let mut prefixes = Vec::new();
        loop {
            let op = match (self.c.peek(), self.c.at(self.c.pos + 1)) {
                (b'!', n) if n != b'=' => UnaryOp::Not,
                (b'-', _) => UnaryOp::Neg,
                _ => break,
            };
            if prefixes.len() >= MAX_CHAIN {
                return Err(Bail);
            }
            prefixes.push((op, self.c.pos));
            self.c.pos += 1;
            self.c.skip()?;
            // `op_not` is `"!" ~ !"="` with trivia in between.
            if op == UnaryOp::Not && self.c.peek() == b'=' {
                return Err(Bail);
            }
        }
        let start = self.c.pos;
        let mut e = self.primary()?;
        let mut postfixes = prefixes.len();
        loop {
            let kind = match self.c.peek() {
                b'.' => {
                    let before = self.c.mark();
                    self.c.pos += 1;
                    self.c.skip()?;
                    if !is_ident_start(self.c.peek()) {
                        // Not an access (`...` or a stray dot): for the caller.
                        self.c.reset(before);
                        break;
                    }
                    let name = self.ident_raw()?;
                    ExprKind::GetAttr(Box::new(e), name)
                }
                b'[' => {
                    self.c.pos += 1;
                    self.c.skip()?;
                    if self.c.eat(b'*')? {
                        if self.c.peek() != b']' {
                            return Err(Bail);
                        }
                        ExprKind::Splat(Box::new(e))
                    } else {
                        let index = self.expr()?;
                        if self.c.peek() != b']' {
                            return Err(Bail);
                        }
                        ExprKind::Index(Box::new(e), Box::new(index))
                    }
                }
                _ => break,
            };
            if !matches!(kind, ExprKind::GetAttr(..)) {
                self.c.pos += 1; // the `]`
            }
            postfixes += 1;
            if postfixes >= MAX_CHAIN {
                return Err(Bail);
            }
            e = ex(kind, self.span(start, self.c.pos));
            self.c.skip()?;
        }
        for (op, at) in prefixes.into_iter().rev() {
            let span = self.span(at, e.span.end as usize);
            e = ex(ExprKind::Unary(op, Box::new(e)), span);
        }
        Ok(e)
    }

    fn primary(&mut self) -> Res<Expr> {
        let start = self.c.pos;
        let kind = match self.c.peek() {
            c if is_ident_start(c) => {
                let (s, e) = self.c.ident()?;
                match self.c.slice(s, e) {
                    "true" => ExprKind::Bool(true),
                    "false" => ExprKind::Bool(false),
                    "null" => ExprKind::Null,
                    name => {
                        let id = Ident {
                            name: name.to_string(),
                            span: self.span(s, e),
                        };
                        if self.c.peek() == b'(' {
                            return self.call(id);
                        }
                        ExprKind::Name(id)
                    }
                }
            }
            b'"' => ExprKind::Template(self.string_raw()?),
            b'0'..=b'9' => {
                let text = self.c.number()?;
                let value = if text.contains('_') {
                    text.replace('_', "").parse::<f64>()
                } else {
                    text.parse::<f64>()
                };
                match value {
                    Ok(n) if n.is_finite() => ExprKind::Number(n, text.to_string()),
                    _ => return Err(Bail),
                }
            }
            b'[' | b'{' => return self.collection(),
            b'(' => {
                self.c.pos += 1;
                self.c.skip()?;
                let inner = self.expr()?;
                if self.c.peek() != b')' {
                    return Err(Bail);
                }
                self.c.pos += 1;
                ExprKind::Paren(Box::new(inner))
            }
            b'<' if self.c.at(self.c.pos + 1) == b'<' => ExprKind::Template(self.heredoc()?),
            _ => return Err(Bail),
        };
        let span = self.span(start, self.c.pos);
        self.c.skip()?;
        Ok(ex(kind, span))
    }

    /// `name(args, …, last...)`; the cursor is on the `(`.
    fn call(&mut self, name: Ident) -> Res<Expr> {
        let start = name.span.start as usize;
        self.c.expect(b'(')?;
        let mut args = Vec::new();
        let mut expand_last = false;
        if self.c.peek() != b')' {
            args.push(self.expr()?);
            while self.c.eat(b',')? {
                if self.c.peek() == b')' {
                    break;
                }
                args.push(self.expr()?);
            }
            if self.ellipsis()? {
                expand_last = true;
                self.c.eat(b',')?;
            }
        }
        if self.c.peek() != b')' {
            return Err(Bail);
        }
        self.c.pos += 1;
        let span = self.span(start, self.c.pos);
        self.c.skip()?;
        Ok(ex(
            ExprKind::Call(Call {
                name,
                args,
                expand_last,
            }),
            span,
        ))
    }

    /// A list, an object, or a `for` expression of either.
    fn collection(&mut self) -> Res<Expr> {
        let start = self.c.pos;
        let object = self.c.peek() == b'{';
        self.c.pos += 1;
        self.c.skip()?;
        let close = if object { b'}' } else { b']' };
        let kind = if self.for_follows()? {
            self.for_expr(object)?
        } else if object {
            ExprKind::Object(self.elements(b'}', Self::object_item, |i| i.span.end)?)
        } else {
            ExprKind::List(self.elements(b']', Self::expr, |e| e.span.end)?)
        };
        if self.c.peek() != close {
            return Err(Bail);
        }
        self.c.pos += 1;
        let span = self.span(start, self.c.pos);
        self.c.skip()?;
        Ok(ex(kind, span))
    }

    /// Whether `for NAME` follows: then the collection is a `for` expression (or wrong).
    fn for_follows(&mut self) -> Res<bool> {
        if self.c.peek_word() != "for" {
            return Ok(false);
        }
        let before = self.c.mark();
        self.c.pos += 3;
        self.c.skip()?;
        let yes = is_ident_start(self.c.peek());
        self.c.reset(before);
        Ok(yes)
    }

    /// `for K, V in COLL : FIRST (=> SECOND ...?)? (if COND)?`, without the brackets.
    fn for_expr(&mut self, object: bool) -> Res<ExprKind> {
        self.keyword("for")?;
        let mut value = self.ident()?;
        let mut key = None;
        if self.c.eat(b',')? {
            key = Some(value);
            value = self.ident()?;
        }
        self.keyword("in")?;
        let collection = self.expr()?;
        self.c.expect(b':')?;
        let first = self.expr()?;
        let mut second = None;
        let mut group = false;
        if object {
            if self.c.bytes.get(self.c.pos..self.c.pos + 2) != Some(b"=>") {
                return Err(Bail);
            }
            self.c.pos += 2;
            self.c.skip()?;
            second = Some(self.expr()?);
            group = self.ellipsis()?;
        }
        let condition = if self.c.peek_word() == "if" {
            self.keyword("if")?;
            Some(self.expr()?)
        } else {
            None
        };
        let f = ForExpr {
            key,
            value,
            collection,
            first,
            second,
            group,
            condition,
        };
        Ok(for_kind(f, object))
    }

    /// `KEY (= | :) VALUE`, the key a name, a plain string or `(expr)`.
    fn object_item(&mut self) -> Res<ObjectItem> {
        let start = self.c.pos;
        let key = match self.c.peek() {
            b'"' => {
                let lit = self.plain_string_raw()?;
                self.c.skip()?;
                ObjectKey::String(lit)
            }
            b'(' => {
                self.c.pos += 1;
                self.c.skip()?;
                let e = self.expr()?;
                self.c.expect(b')')?;
                ObjectKey::Expr(e)
            }
            _ => ObjectKey::Ident(self.ident()?),
        };
        if !(self.c.eat(b'=')? || self.c.eat(b':')?) {
            return Err(Bail);
        }
        let value = self.expr()?;
        let span = self.span(start, value.span.end as usize);
        Ok(ObjectItem { key, value, span })
    }

    // ------------------------------------------------------------------ strings

    /// A quoted string at the cursor, up to its closing quote (no trivia after it).
    fn string_raw(&mut self) -> Res<Template> {
        self.c.pos += 1; // the opening quote
        let mut parts = Vec::new();
        loop {
            match self.c.peek() {
                b'"' => {
                    self.c.pos += 1;
                    return Ok(Template {
                        parts,
                        heredoc: None,
                    });
                }
                b'\\' => {
                    let mut buf = [0u8; 4];
                    let decoded = self.escape(&mut buf)?;
                    push_lit(&mut parts, decoded);
                }
                b'$' if self.c.at(self.c.pos + 1) == b'{' => {
                    parts.push(TemplatePart::Interpolation(self.interpolation()?));
                }
                b'$' if self.c.at(self.c.pos + 1) == b'$' && self.c.at(self.c.pos + 2) == b'{' => {
                    self.c.pos += 3;
                    push_lit(&mut parts, "${");
                }
                _ if self.c.at_end() => return Err(Bail),
                b'\n' => return Err(Bail),
                _ => {
                    let text = self.text_run(true);
                    push_lit(&mut parts, text);
                }
            }
        }
    }

    /// A run of template text: up to a newline, `${`, `$${` and, in quoted strings, a
    /// quote or a backslash. At least one character.
    fn text_run(&mut self, quoted: bool) -> &'a str {
        let start = self.c.pos;
        let b = self.c.bytes;
        let mut i = start;
        while let Some(&c) = b.get(i) {
            let stop = match c {
                b'\n' => true,
                b'"' | b'\\' => quoted,
                b'$' => {
                    let n = b.get(i + 1).copied();
                    n == Some(b'{') || (n == Some(b'$') && b.get(i + 2) == Some(&b'{'))
                }
                _ => false,
            };
            if stop && i > start {
                break;
            }
            i += 1;
        }
        self.c.pos = i;
        self.c.slice(start, i)
    }

    /// `\n`, `\r`, `\t`, `\"`, `\\` or `\u{1F600}`, decoded.
    fn escape<'b>(&mut self, buf: &'b mut [u8; 4]) -> Res<&'b str> {
        let c = self.c.at(self.c.pos + 1);
        let simple = match c {
            b'n' => Some('\n'),
            b'r' => Some('\r'),
            b't' => Some('\t'),
            b'"' => Some('"'),
            b'\\' => Some('\\'),
            _ => None,
        };
        let ch = match simple {
            Some(ch) => {
                self.c.pos += 2;
                ch
            }
            None if c == b'u' && self.c.at(self.c.pos + 2) == b'{' => {
                let hex_start = self.c.pos + 3;
                let mut i = hex_start;
                while i - hex_start < 6 && self.c.at(i).is_ascii_hexdigit() {
                    i += 1;
                }
                if i == hex_start || self.c.at(i) != b'}' {
                    return Err(Bail);
                }
                let code = u32::from_str_radix(self.c.slice(hex_start, i), 16).map_err(|_| Bail)?;
                self.c.pos = i + 1;
                char::from_u32(code).ok_or(Bail)?
            }
            None => return Err(Bail),
        };
        Ok(ch.encode_utf8(buf))
    }

    /// `${ expr }` at the cursor, up to its `}` (no trivia after it).
    fn interpolation(&mut self) -> Res<Expr> {
        self.c.pos += 2;
        self.c.skip()?;
        let e = self.expr()?;
        if self.c.peek() != b'}' {
            return Err(Bail);
        }
        self.c.pos += 1;
        Ok(e)
    }

    /// A string where interpolation is not allowed (labels, keys, type literals).
    fn plain_string_raw(&mut self) -> Res<StringLit> {
        let start = self.c.pos;
        let t = self.string_raw()?;
        let mut value = String::new();
        for part in t.parts {
            match part {
                TemplatePart::Literal(s) => value.push_str(&s),
                TemplatePart::Interpolation(_) => return Err(Bail),
            }
        }
        Ok(StringLit {
            value,
            span: self.span(start, self.c.pos),
        })
    }

    /// `<<MARKER` or `<<-MARKER`, its lines and its closing marker (no trivia after it).
    fn heredoc(&mut self) -> Res<Template> {
        self.c.pos += 2;
        let strip = self.c.peek() == b'-';
        if strip {
            self.c.pos += 1;
        }
        let (ms, me) = self.c.ident()?;
        let marker = self.c.slice(ms, me);
        self.c.pos += self.c.hspace();
        if self.c.peek() == b'\r' {
            self.c.pos += 1;
        }
        if self.c.peek() != b'\n' {
            return Err(Bail);
        }
        self.c.pos += 1;
        let mut lines: Vec<Vec<TemplatePart>> = Vec::new();
        loop {
            // The closing marker: indented or not, not followed by a name character.
            let m = self.c.pos + self.c.hspace();
            if self.c.bytes.get(m..m + marker.len()) == Some(marker.as_bytes())
                && !is_ident_char(self.c.at(m + marker.len()))
            {
                self.c.pos = m + marker.len();
                break;
            }
            let mut parts = Vec::new();
            loop {
                match self.c.peek() {
                    _ if self.c.at_end() => return Err(Bail),
                    b'\n' => {
                        self.c.pos += 1;
                        break;
                    }
                    b'$' if self.c.at(self.c.pos + 1) == b'{' => {
                        parts.push(TemplatePart::Interpolation(self.interpolation()?));
                    }
                    b'$' if self.c.at(self.c.pos + 1) == b'$'
                        && self.c.at(self.c.pos + 2) == b'{' =>
                    {
                        self.c.pos += 3;
                        push_lit(&mut parts, "${");
                    }
                    _ => {
                        let text = self.text_run(false);
                        push_lit(&mut parts, text);
                    }
                }
            }
            push_lit(&mut parts, "\n");
            lines.push(parts);
        }
        Ok(heredoc_template(lines, marker, strip))
    }
}
