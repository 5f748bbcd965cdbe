//! The typed syntax tree of one `.aic` file.
//!
//! Every node carries the [`Span`] it was parsed from. The tree is plain owned data:
//! pest never appears in this module's API. Spans are skipped by serde so that two
//! trees can be compared "modulo spans" through their serialized form (the formatter's
//! round-trip property uses this).

use serde::Serialize;

use crate::source::Span;

/// A parsed file: its items in source order and every comment it holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct File {
    pub items: Vec<Item>,
    #[serde(skip)]
    pub comments: Vec<Comment>,
    #[serde(skip)]
    pub span: Span,
}

/// A comment, kept verbatim (including its `#`, `//` or `/* */` delimiters).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comment {
    pub text: String,
    #[serde(skip)]
    pub span: Span,
}

/// An identifier with its span.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Ident {
    pub name: String,
    #[serde(skip)]
    pub span: Span,
}

impl Ident {
    pub fn as_str(&self) -> &str {
        &self.name
    }
}

/// A top-level item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Item {
    Variable(Variable),
    Let(Let),
    Output(Output),
    Type(TypeDef),
    Block(Block),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Variable(v) => v.span,
            Item::Let(l) => l.span,
            Item::Output(o) => o.span,
            Item::Type(t) => t.span,
            Item::Block(b) => b.span,
        }
    }
}

/// `variable NAME[: TYPE] [= DEFAULT] [{ … }]`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Variable {
    pub name: Ident,
    pub ty: Option<TypeExpr>,
    pub default: Option<Expr>,
    pub body: Option<Body>,
    #[serde(skip)]
    pub span: Span,
}

/// `let NAME = EXPR`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Let {
    pub name: Ident,
    pub value: Expr,
    #[serde(skip)]
    pub span: Span,
}

/// `output NAME = EXPR [{ … }]`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Output {
    pub name: Ident,
    pub value: Expr,
    pub body: Option<Body>,
    #[serde(skip)]
    pub span: Span,
}

/// `type NAME = TYPE`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypeDef {
    pub name: Ident,
    pub ty: TypeExpr,
    #[serde(skip)]
    pub span: Span,
}

/// The kinds of block a file may hold at top level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum BlockKind {
    Provider,
    Resource,
    Data,
    Module,
    Environment,
    Rollout,
    Policy,
    Backend,
    Import,
    Moved,
    Removed,
}

impl BlockKind {
    /// All top-level block kinds, in the order the spec introduces them.
    pub const ALL: [BlockKind; 11] = [
        BlockKind::Provider,
        BlockKind::Resource,
        BlockKind::Data,
        BlockKind::Module,
        BlockKind::Environment,
        BlockKind::Rollout,
        BlockKind::Policy,
        BlockKind::Backend,
        BlockKind::Import,
        BlockKind::Moved,
        BlockKind::Removed,
    ];

    pub fn keyword(self) -> &'static str {
        match self {
            BlockKind::Provider => "provider",
            BlockKind::Resource => "resource",
            BlockKind::Data => "data",
            BlockKind::Module => "module",
            BlockKind::Environment => "environment",
            BlockKind::Rollout => "rollout",
            BlockKind::Policy => "policy",
            BlockKind::Backend => "backend",
            BlockKind::Import => "import",
            BlockKind::Moved => "moved",
            BlockKind::Removed => "removed",
        }
    }

    pub fn from_keyword(s: &str) -> Option<BlockKind> {
        BlockKind::ALL.into_iter().find(|k| k.keyword() == s)
    }

    /// How many labels the block takes: (minimum, maximum).
    pub fn label_arity(self) -> (usize, usize) {
        match self {
            BlockKind::Provider => (1, 2),
            BlockKind::Resource | BlockKind::Data => (2, 2),
            BlockKind::Module
            | BlockKind::Environment
            | BlockKind::Rollout
            | BlockKind::Policy
            | BlockKind::Backend => (1, 1),
            BlockKind::Import | BlockKind::Moved | BlockKind::Removed => (0, 0),
        }
    }

    /// What the labels mean, for messages: `resource TYPE NAME`.
    pub fn label_names(self) -> &'static str {
        match self {
            BlockKind::Provider => "NAME [ALIAS]",
            BlockKind::Resource | BlockKind::Data => "TYPE NAME",
            BlockKind::Module | BlockKind::Environment | BlockKind::Rollout | BlockKind::Policy => {
                "NAME"
            }
            BlockKind::Backend => "KIND",
            BlockKind::Import | BlockKind::Moved | BlockKind::Removed => "",
        }
    }
}

/// A label of a block: a bare identifier or a quoted string.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Label {
    pub value: String,
    pub quoted: bool,
    #[serde(skip)]
    pub span: Span,
}

/// `KIND LABEL* { BODY }`. At top level `kind` is one of [`BlockKind`]; nested blocks
/// (`lifecycle`, `validate`, `vars`, `phase`, `strategy`, `check`, `ingress`, …) use any
/// identifier and are interpreted by the checker.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Block {
    pub kind: Ident,
    /// Set for top-level blocks; `None` for nested ones.
    pub top_kind: Option<BlockKind>,
    pub labels: Vec<Label>,
    pub body: Body,
    #[serde(skip)]
    pub span: Span,
}

/// The inside of `{ … }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Body {
    pub elements: Vec<BodyElement>,
    /// The span from `{` to `}` inclusive.
    #[serde(skip)]
    pub span: Span,
}

impl Body {
    pub fn attributes(&self) -> impl Iterator<Item = &Attribute> {
        self.elements.iter().filter_map(|e| match e {
            BodyElement::Attribute(a) => Some(a),
            BodyElement::Block(_) => None,
        })
    }

    pub fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.elements.iter().filter_map(|e| match e {
            BodyElement::Block(b) => Some(b),
            BodyElement::Attribute(_) => None,
        })
    }

    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes().find(|a| a.name.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum BodyElement {
    Attribute(Attribute),
    Block(Block),
}

impl BodyElement {
    pub fn span(&self) -> Span {
        match self {
            BodyElement::Attribute(a) => a.span,
            BodyElement::Block(b) => b.span,
        }
    }
}

/// `NAME = EXPR`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attribute {
    pub name: Ident,
    pub value: Expr,
    #[serde(skip)]
    pub span: Span,
}

/// A type expression as written (named types are resolved by the checker).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypeExpr {
    pub kind: TypeExprKind,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum TypeExprKind {
    /// `string`, `number`, `bool`, `any` or a named type.
    Name(Ident),
    List(Box<TypeExpr>),
    Set(Box<TypeExpr>),
    Map(Box<TypeExpr>),
    Object(Vec<TypeField>),
    Tuple(Vec<TypeExpr>),
    /// `optional(T)` or `optional(T, DEFAULT)`; only valid as an object attribute type.
    Optional(Box<TypeExpr>, Option<Box<Expr>>),
    /// `"a" | "b" | …` (one or more string literals).
    Union(Vec<StringLit>),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypeField {
    pub name: String,
    pub quoted: bool,
    pub ty: TypeExpr,
    #[serde(skip)]
    pub name_span: Span,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StringLit {
    pub value: String,
    #[serde(skip)]
    pub span: Span,
}

/// An expression.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expr {
    pub kind: ExprKind,
    #[serde(skip)]
    pub span: Span,
}

impl Expr {
    /// Calls `f` on each direct sub-expression, in source order (object keys written as
    /// expressions included; a for-expression's collection, then its bodies).
    pub fn for_each_child(&self, f: &mut dyn FnMut(&Expr)) {
        match &self.kind {
            ExprKind::Null | ExprKind::Bool(_) | ExprKind::Number(..) | ExprKind::Name(_) => {}
            ExprKind::Template(t) => {
                for p in &t.parts {
                    if let TemplatePart::Interpolation(x) = p {
                        f(x);
                    }
                }
            }
            ExprKind::List(xs) => xs.iter().for_each(f),
            ExprKind::Object(items) => {
                for i in items {
                    if let ObjectKey::Expr(k) = &i.key {
                        f(k);
                    }
                    f(&i.value);
                }
            }
            ExprKind::GetAttr(x, _)
            | ExprKind::Splat(x)
            | ExprKind::Unary(_, x)
            | ExprKind::Paren(x) => f(x),
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
                f(a);
                f(b);
            }
            ExprKind::Call(c) => c.args.iter().for_each(f),
            ExprKind::Conditional(a, b, c) => {
                f(a);
                f(b);
                f(c);
            }
            ExprKind::ForList(fe) | ExprKind::ForObject(fe) => {
                f(&fe.collection);
                f(&fe.first);
                fe.second.iter().for_each(&mut *f);
                fe.condition.iter().for_each(f);
            }
        }
    }

    /// Calls `f` on this expression and every expression inside it, parents first.
    pub fn visit(&self, f: &mut dyn FnMut(&Expr)) {
        f(self);
        self.for_each_child(&mut |c| c.visit(f));
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ExprKind {
    Null,
    Bool(bool),
    /// The number and the text it was written as (`1_000`, `1e6`), kept for the formatter.
    Number(f64, String),
    /// A quoted string or heredoc, made of literal text and interpolations.
    Template(Template),
    List(Vec<Expr>),
    Object(Vec<ObjectItem>),
    /// A bare name: `var`, `aws_instance`, a `let`, `each`, `count`, …
    Name(Ident),
    GetAttr(Box<Expr>, Ident),
    Index(Box<Expr>, Box<Expr>),
    Splat(Box<Expr>),
    Call(Call),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Conditional(Box<Expr>, Box<Expr>, Box<Expr>),
    ForList(Box<ForExpr>),
    ForObject(Box<ForExpr>),
    Paren(Box<Expr>),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
    pub heredoc: Option<Heredoc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Heredoc {
    pub marker: String,
    /// `<<-`: the common leading indentation was stripped from `parts`.
    pub strip: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum TemplatePart {
    /// Literal text, escapes already decoded.
    Literal(String),
    Interpolation(Expr),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectItem {
    pub key: ObjectKey,
    pub value: Expr,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ObjectKey {
    Ident(Ident),
    String(StringLit),
    /// `(expr) = value`
    Expr(Expr),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Call {
    pub name: Ident,
    pub args: Vec<Expr>,
    /// `f(a, xs...)`: the last argument is a list expanded into arguments.
    pub expand_last: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForExpr {
    /// `for k, v in …`: `key` is `k`; `for x in …`: `key` is `None`.
    pub key: Option<Ident>,
    pub value: Ident,
    pub collection: Expr,
    /// For a list: the element; for an object: the key expression.
    pub first: Expr,
    /// For an object: the value expression.
    pub second: Option<Expr>,
    /// `...` after the value of an object for: group values of duplicate keys.
    pub group: bool,
    pub condition: Option<Expr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BinaryOp {
    Coalesce,
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

impl BinaryOp {
    /// Binding strength: higher binds tighter (spec §4).
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Coalesce => 1,
            BinaryOp::Or => 2,
            BinaryOp::And => 3,
            BinaryOp::Eq | BinaryOp::Ne => 4,
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => 5,
            BinaryOp::Add | BinaryOp::Sub => 6,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 7,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Coalesce => "??",
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
        }
    }
}
