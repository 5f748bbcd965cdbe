//! Generators of canonical syntax trees (the ones the parser can produce), shared by the
//! formatter's round-trip properties and the parser equivalence properties.

#![allow(dead_code)]

use aic_lang::source::Span;
use aic_lang::syntax::ast::*;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;

// ---------------------------------------------------------------------- building blocks

pub fn ident(name: &str) -> Ident {
    Ident {
        name: name.to_string(),
        span: Span::default(),
    }
}

pub fn ex(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Span::default(),
    }
}

pub fn boxed(e: Expr) -> Box<Expr> {
    Box::new(e)
}

pub fn paren(e: Expr) -> Expr {
    ex(ExprKind::Paren(boxed(e)))
}

/// Names usable anywhere an identifier may stand in an expression.
pub const NAMES: &[&str] = &[
    "a",
    "b",
    "xs",
    "var",
    "each",
    "count",
    "aws_instance",
    "web",
    "_x1",
    "Region",
    "self",
    "resource",
    "variable",
    "type",
    "output",
    "let",
    "module",
];

/// Names for attributes, object keys and attribute access: keywords are fine there.
pub const ATTR_NAMES: &[&str] = &[
    "a",
    "b",
    "id",
    "name",
    "count",
    "tags",
    "for",
    "if",
    "in",
    "true",
    "null",
    "type",
    "variable",
    "provider",
    "lifecycle",
];

pub fn name() -> impl Strategy<Value = String> {
    select(NAMES).prop_map(String::from)
}

pub fn attr_name() -> BoxedStrategy<String> {
    select(ATTR_NAMES).prop_map(String::from).boxed()
}

/// Literal text of a quoted string: anything, including what needs escaping.
pub fn quoted_text() -> impl Strategy<Value = String> {
    "[a-z \"\\\\\n\r\t${}é😀\u{1}]{1,8}"
}

/// One line of heredoc text: no newline, no carriage return, and never the (upper
/// case) marker.
pub fn heredoc_text() -> impl Strategy<Value = String> {
    "[a-z \t\"\\\\${}é]{1,8}"
}

// ---------------------------------------------------------------------- expressions

pub fn number() -> impl Strategy<Value = ExprKind> {
    select(
        &[
            "0",
            "1",
            "42",
            "3.25",
            "1e6",
            "1_000_000",
            "2.5E-3",
            "007",
            "10e+2",
        ][..],
    )
    .prop_map(|t| {
        let clean: String = t.chars().filter(|c| *c != '_').collect();
        ExprKind::Number(clean.parse().unwrap_or(0.0), t.to_string())
    })
}

/// Merges adjacent literals and drops empty ones, as the parser does.
pub fn normalize_parts(parts: Vec<TemplatePart>) -> Vec<TemplatePart> {
    let mut out: Vec<TemplatePart> = Vec::new();
    for p in parts {
        match p {
            TemplatePart::Literal(s) if s.is_empty() => {}
            TemplatePart::Literal(s) => {
                if let Some(TemplatePart::Literal(last)) = out.last_mut() {
                    last.push_str(&s);
                } else {
                    out.push(TemplatePart::Literal(s));
                }
            }
            other => out.push(other),
        }
    }
    out
}

pub fn quoted(parts: Vec<TemplatePart>) -> ExprKind {
    ExprKind::Template(Template {
        parts: normalize_parts(parts),
        heredoc: None,
    })
}

pub fn part(inner: BoxedStrategy<Expr>) -> impl Strategy<Value = TemplatePart> {
    prop_oneof![
        2 => quoted_text().prop_map(TemplatePart::Literal),
        1 => inner.prop_map(|e| TemplatePart::Interpolation(without_heredocs(e))),
    ]
}

/// A heredoc: lines of text and interpolations, each ending in a newline.
pub fn heredoc(inner: BoxedStrategy<Expr>) -> impl Strategy<Value = ExprKind> {
    let piece = prop_oneof![
        3 => heredoc_text().prop_map(TemplatePart::Literal),
        1 => inner.prop_map(|e| TemplatePart::Interpolation(without_heredocs(e))),
    ];
    let line = vec(piece, 0..3);
    (
        select(&["EOT", "END", "JSON"][..]),
        any::<bool>(),
        vec(line, 0..4),
    )
        .prop_map(|(marker, strip, lines)| {
            let mut parts = Vec::new();
            for (n, mut line) in lines.into_iter().enumerate() {
                // `$` just before `${` cannot be written in a heredoc.
                for i in 0..line.len() {
                    let next_is_interp =
                        matches!(line.get(i + 1), Some(TemplatePart::Interpolation(_)));
                    if let Some(TemplatePart::Literal(s)) = line.get_mut(i) {
                        if next_is_interp && s.ends_with('$') {
                            s.push('x');
                        }
                    }
                }
                // `<<-` strips the least indentation: the first line has none, so the
                // stripped value is the value itself.
                if strip && n == 0 {
                    match line.first_mut() {
                        Some(TemplatePart::Literal(s)) => {
                            let t = s.trim_start_matches([' ', '\t']).to_string();
                            *s = if t.is_empty() { "x".into() } else { t };
                        }
                        _ => line.insert(0, TemplatePart::Literal("x".into())),
                    }
                }
                parts.extend(line);
                parts.push(TemplatePart::Literal("\n".into()));
            }
            ExprKind::Template(Template {
                parts: normalize_parts(parts),
                heredoc: Some(Heredoc {
                    marker: marker.to_string(),
                    strip,
                }),
            })
        })
}

/// Replaces heredocs (which cannot stand inside a quoted string) by `null`.
pub fn without_heredocs(mut e: Expr) -> Expr {
    visit(&mut e, &mut |x| {
        if let ExprKind::Template(Template {
            heredoc: Some(_), ..
        }) = x.kind
        {
            x.kind = ExprKind::Null;
        }
    });
    e
}

/// Calls `f` on every expression of `e`, children first.
pub fn visit(e: &mut Expr, f: &mut impl FnMut(&mut Expr)) {
    match &mut e.kind {
        ExprKind::Template(t) => {
            for p in &mut t.parts {
                if let TemplatePart::Interpolation(x) = p {
                    visit(x, f);
                }
            }
        }
        ExprKind::List(xs) => xs.iter_mut().for_each(|x| visit(x, f)),
        ExprKind::Object(items) => {
            for it in items {
                if let ObjectKey::Expr(k) = &mut it.key {
                    visit(k, f);
                }
                visit(&mut it.value, f);
            }
        }
        ExprKind::GetAttr(x, _)
        | ExprKind::Splat(x)
        | ExprKind::Unary(_, x)
        | ExprKind::Paren(x) => visit(x, f),
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
            visit(a, f);
            visit(b, f);
        }
        ExprKind::Conditional(a, b, c) => {
            visit(a, f);
            visit(b, f);
            visit(c, f);
        }
        ExprKind::Call(c) => c.args.iter_mut().for_each(|x| visit(x, f)),
        ExprKind::ForList(fe) | ExprKind::ForObject(fe) => {
            visit(&mut fe.collection, f);
            visit(&mut fe.first, f);
            if let Some(s) = &mut fe.second {
                visit(s, f);
            }
            if let Some(c) = &mut fe.condition {
                visit(c, f);
            }
        }
        ExprKind::Null | ExprKind::Bool(_) | ExprKind::Number(..) | ExprKind::Name(_) => {}
    }
    f(e);
}

pub const BINARY_OPS: &[BinaryOp] = &[
    BinaryOp::Coalesce,
    BinaryOp::Or,
    BinaryOp::And,
    BinaryOp::Eq,
    BinaryOp::Ne,
    BinaryOp::Lt,
    BinaryOp::Le,
    BinaryOp::Gt,
    BinaryOp::Ge,
    BinaryOp::Add,
    BinaryOp::Sub,
    BinaryOp::Mul,
    BinaryOp::Div,
    BinaryOp::Mod,
];

pub fn binary(op: BinaryOp, l: Expr, r: Expr) -> Expr {
    let prec = op.precedence();
    let l = match &l.kind {
        ExprKind::Conditional(..) => paren(l),
        ExprKind::Binary(lop, ..) if lop.precedence() < prec => paren(l),
        _ => l,
    };
    let r = match &r.kind {
        ExprKind::Conditional(..) => paren(r),
        ExprKind::Binary(rop, ..) if rop.precedence() <= prec => paren(r),
        _ => r,
    };
    ex(ExprKind::Binary(op, boxed(l), boxed(r)))
}

pub fn unary(op: UnaryOp, x: Expr) -> Expr {
    let x = match x.kind {
        ExprKind::Binary(..) | ExprKind::Conditional(..) => paren(x),
        _ => x,
    };
    ex(ExprKind::Unary(op, boxed(x)))
}

pub fn postfix_base(x: Expr) -> Box<Expr> {
    boxed(match x.kind {
        ExprKind::Unary(..) | ExprKind::Binary(..) | ExprKind::Conditional(..) => paren(x),
        _ => x,
    })
}

pub fn conditional(c: Expr, a: Expr, b: Expr) -> Expr {
    let c = match c.kind {
        ExprKind::Conditional(..) => paren(c),
        _ => c,
    };
    ex(ExprKind::Conditional(boxed(c), boxed(a), boxed(b)))
}

pub fn object_key(inner: BoxedStrategy<Expr>) -> impl Strategy<Value = ObjectKey> {
    prop_oneof![
        attr_name().prop_map(|n| ObjectKey::Ident(ident(&n))),
        quoted_text().prop_map(|value| ObjectKey::String(StringLit {
            value,
            span: Span::default()
        })),
        inner.prop_map(ObjectKey::Expr),
    ]
}

pub fn for_expr(inner: BoxedStrategy<Expr>, object: bool) -> impl Strategy<Value = Expr> {
    (
        option::of(name()),
        name(),
        inner.clone(),
        inner.clone(),
        inner.clone(),
        any::<bool>(),
        option::of(inner),
    )
        .prop_map(
            move |(key, value, collection, first, second, group, condition)| {
                let f = Box::new(ForExpr {
                    key: key.map(|k| ident(&k)),
                    value: ident(&value),
                    collection,
                    first,
                    second: object.then_some(second),
                    group: object && group,
                    condition,
                });
                ex(if object {
                    ExprKind::ForObject(f)
                } else {
                    ExprKind::ForList(f)
                })
            },
        )
}

pub fn expr() -> BoxedStrategy<Expr> {
    let leaf = prop_oneof![
        Just(ExprKind::Null),
        any::<bool>().prop_map(ExprKind::Bool),
        number(),
        name().prop_map(|n| ExprKind::Name(ident(&n))),
        quoted_text().prop_map(|s| quoted(vec![TemplatePart::Literal(s)])),
    ]
    .prop_map(ex);
    leaf.prop_recursive(4, 40, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(|xs| ex(ExprKind::List(xs))),
            vec((object_key(inner.clone()), inner.clone()), 0..3).prop_map(|items| {
                ex(ExprKind::Object(
                    items
                        .into_iter()
                        .map(|(key, value)| ObjectItem {
                            key,
                            value,
                            span: Span::default(),
                        })
                        .collect(),
                ))
            }),
            (inner.clone(), attr_name())
                .prop_map(|(b, n)| ex(ExprKind::GetAttr(postfix_base(b), ident(&n)))),
            (inner.clone(), inner.clone())
                .prop_map(|(b, i)| ex(ExprKind::Index(postfix_base(b), boxed(i)))),
            inner
                .clone()
                .prop_map(|b| ex(ExprKind::Splat(postfix_base(b)))),
            (name(), vec(inner.clone(), 0..3), any::<bool>()).prop_map(|(n, args, expand)| {
                let expand_last = expand && !args.is_empty();
                ex(ExprKind::Call(Call {
                    name: ident(&n),
                    args,
                    expand_last,
                }))
            }),
            (select(&[UnaryOp::Not, UnaryOp::Neg][..]), inner.clone())
                .prop_map(|(op, x)| unary(op, x)),
            (select(BINARY_OPS), inner.clone(), inner.clone())
                .prop_map(|(op, l, r)| binary(op, l, r)),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(c, a, b)| conditional(c, a, b)),
            for_expr(inner.clone(), false),
            for_expr(inner.clone(), true),
            inner.clone().prop_map(paren),
            vec(part(inner.clone()), 1..4).prop_map(|parts| ex(quoted(parts))),
            heredoc(inner.clone()).prop_map(ex),
        ]
    })
    .boxed()
}

// ---------------------------------------------------------------------- types

pub fn string_lit() -> impl Strategy<Value = StringLit> {
    quoted_text().prop_map(|value| StringLit {
        value,
        span: Span::default(),
    })
}

pub fn ty(kind: TypeExprKind) -> TypeExpr {
    TypeExpr {
        kind,
        span: Span::default(),
    }
}

pub fn type_expr() -> BoxedStrategy<TypeExpr> {
    let leaf = prop_oneof![
        select(&["string", "number", "bool", "any", "Tier"][..])
            .prop_map(|n| TypeExprKind::Name(ident(n))),
        vec(string_lit(), 1..4).prop_map(TypeExprKind::Union),
    ]
    .prop_map(ty);
    leaf.prop_recursive(3, 16, 3, |inner| {
        let field = (
            prop_oneof![
                attr_name().prop_map(|n| (n, false)),
                quoted_text().prop_map(|n| (n, true)),
            ],
            inner.clone(),
        )
            .prop_map(|((name, quoted), ty)| TypeField {
                name,
                quoted,
                ty,
                name_span: Span::default(),
                span: Span::default(),
            });
        prop_oneof![
            inner
                .clone()
                .prop_map(|t| ty(TypeExprKind::List(Box::new(t)))),
            inner
                .clone()
                .prop_map(|t| ty(TypeExprKind::Set(Box::new(t)))),
            inner
                .clone()
                .prop_map(|t| ty(TypeExprKind::Map(Box::new(t)))),
            vec(field, 0..3).prop_map(|f| ty(TypeExprKind::Object(f))),
            vec(inner.clone(), 0..3).prop_map(|t| ty(TypeExprKind::Tuple(t))),
            (inner.clone(), option::of(expr()))
                .prop_map(|(t, d)| { ty(TypeExprKind::Optional(Box::new(t), d.map(Box::new))) }),
        ]
    })
    .boxed()
}

// ---------------------------------------------------------------------- items

pub fn label() -> impl Strategy<Value = Label> {
    prop_oneof![
        name().prop_map(|value| (value, false)),
        quoted_text().prop_map(|value| (value, true)),
    ]
    .prop_map(|(value, quoted)| Label {
        value,
        quoted,
        span: Span::default(),
    })
}

pub fn body() -> BoxedStrategy<Body> {
    let attribute = (attr_name(), expr())
        .prop_map(|(n, value)| {
            BodyElement::Attribute(Attribute {
                name: ident(&n),
                value,
                span: Span::default(),
            })
        })
        .boxed();
    let leaf = vec(attribute.clone(), 0..4).prop_map(|elements| Body {
        elements,
        span: Span::default(),
    });
    leaf.prop_recursive(2, 12, 4, move |inner| {
        let block = (attr_name(), vec(label(), 0..3), inner).prop_map(|(kind, labels, body)| {
            BodyElement::Block(Block {
                kind: ident(&kind),
                top_kind: None,
                labels,
                body,
                span: Span::default(),
            })
        });
        vec(prop_oneof![2 => attribute.clone(), 1 => block], 0..5).prop_map(|elements| Body {
            elements,
            span: Span::default(),
        })
    })
    .boxed()
}

pub fn block_item() -> impl Strategy<Value = Item> {
    (select(&BlockKind::ALL[..]), vec(label(), 2), body()).prop_map(|(kind, labels, body)| {
        let (min, _) = kind.label_arity();
        let labels = labels.into_iter().take(min).collect();
        Item::Block(Block {
            kind: ident(kind.keyword()),
            top_kind: Some(kind),
            labels,
            body,
            span: Span::default(),
        })
    })
}

pub fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        (
            name(),
            option::of(type_expr()),
            option::of(expr()),
            option::of(body())
        )
            .prop_map(|(n, ty, default, body)| Item::Variable(Variable {
                name: ident(&n),
                ty,
                default,
                body,
                span: Span::default(),
            })),
        (name(), expr()).prop_map(|(n, value)| Item::Let(Let {
            name: ident(&n),
            value,
            span: Span::default(),
        })),
        (name(), expr(), option::of(body())).prop_map(|(n, value, body)| Item::Output(Output {
            name: ident(&n),
            value,
            body,
            span: Span::default(),
        })),
        (name(), type_expr()).prop_map(|(n, ty)| Item::Type(TypeDef {
            name: ident(&n),
            ty,
            span: Span::default(),
        })),
        block_item(),
    ]
}

pub fn file() -> impl Strategy<Value = File> {
    vec(item(), 0..5).prop_map(|items| File {
        items,
        comments: Vec::new(),
        span: Span::default(),
    })
}

/// Whitespace, line breaks and comments to sprinkle into formatted text.
pub fn insertions() -> impl Strategy<Value = Vec<(prop::sample::Index, &'static str)>> {
    vec(
        (
            any::<prop::sample::Index>(),
            select(
                &[
                    " ",
                    "\n",
                    "\n\n\n",
                    "  ",
                    "\t",
                    "# c1\n",
                    " // c2\n",
                    "/* c3 */",
                    " /* c4\n */ ",
                    "\n# c5\n\n",
                ][..],
            ),
        ),
        1..6,
    )
}
