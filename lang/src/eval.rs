//! The expression evaluator: values with unknown and sensitive marks.
//!
//! Evaluation reads names through a [`Scope`] (what `var`, a `let`, `aws_instance`,
//! `module`, `env`, `each`… mean is decided by the caller) and calls functions through a
//! [`Functions`] table (the stdlib crate implements it; this crate must not depend on it).
//! Every operator and function propagates marks: an operation on an unknown gives an
//! unknown of the right type, and anything derived from a sensitive value is sensitive.

use indexmap::IndexMap;

use crate::ast::{BinaryOp, Expr, ExprKind, ObjectKey, TemplatePart, UnaryOp};
use crate::codes;
use crate::diag::{suggest, Code, Diagnostic};
use crate::source::Span;
use crate::types::Type;
use crate::value::{format_number, Value, ValueKind};

/// An evaluation error, pointing at the expression (or argument) at fault.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalError {
    pub code: &'static Code,
    pub label: String,
    pub span: Span,
    pub help: Option<String>,
}

impl EvalError {
    fn new(code: &'static Code, span: Span, label: impl Into<String>) -> Self {
        EvalError {
            code,
            label: label.into(),
            span,
            help: None,
        }
    }

    fn help(mut self, h: impl Into<String>) -> Self {
        self.help = Some(h.into());
        self
    }

    pub fn to_diagnostic(&self) -> Diagnostic {
        let d = Diagnostic::new(self.code).with_primary(self.span, self.label.clone());
        match &self.help {
            Some(h) => d.with_help(h.clone()),
            None => d,
        }
    }
}

/// A function failure as the function table reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionFailure {
    /// The argument at fault, when one is.
    pub arg: Option<usize>,
    pub message: String,
}

/// The functions callable from expressions. Implemented by the stdlib crate.
pub trait Functions: Sync {
    /// Calls `name`; `None` when no such function exists.
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, FunctionFailure>>;
    /// Every function name, for "did you mean".
    fn names(&self) -> Vec<&str>;
    /// The same functions for code in the module whose directory is `dir` (`file` and
    /// friends resolve relative paths against the calling module's directory); `None`
    /// when they do not depend on the module.
    fn for_module(&self, _dir: &std::path::Path) -> Option<Box<dyn Functions + '_>> {
        None
    }
}

/// Resolves the names an expression starts with.
pub trait Scope {
    /// Resolves the longest known prefix of a static traversal such as
    /// `["aws_instance", "web"]` or `["var", "region"]`, returning its value and how many
    /// segments it consumed (at least 1). `Err` carries a message for an unknown name and
    /// the index of the segment at fault.
    fn resolve(&self, path: &[&str]) -> Result<(Value, usize), ScopeMiss>;

    /// The element `path[key]` of a traversal such as `aws_instance.web[3]`, for scopes
    /// that can find it without building the whole collection `resolve(path)` returns.
    ///
    /// Only called when the step after `path` is an index; `key` evaluates the index
    /// expression (`None` when that fails). Must return exactly what indexing the result
    /// of `resolve(path)` with the key would, and only when `resolve` would consume all
    /// of `path`; `None` (the default) makes the evaluator resolve and index as usual,
    /// which also reports any error.
    fn resolve_element(
        &self,
        _path: &[&str],
        _key: &mut dyn FnMut() -> Option<Value>,
    ) -> Option<Value> {
        None
    }

    /// The elements of `path` one by one, for scopes that hold a counted collection
    /// element by element, so that `path[*].attr` reads one attribute of each instead of
    /// copying the whole tuple `resolve(path)` returns (a resource with 100,000 instances
    /// would be copied for every reference).
    ///
    /// Calls `each` with every element of that tuple, in order, and returns `true`; only
    /// when `resolve` would consume all of `path` and return a tuple that is not
    /// sensitive. `false` (the default) makes the evaluator resolve as usual.
    fn for_each_element(&self, _path: &[&str], _each: &mut dyn FnMut(&Value)) -> bool {
        false
    }
}

/// The value of `path`: `path.module` is the directory of the module being evaluated,
/// `path.root` the root module's directory, and `path.cwd` the directory aic runs in
/// (absolute, from the [`World`](crate::world::World) of the caller), as in Terraform.
pub fn path_object(
    module_dir: &std::path::Path,
    root_dir: &std::path::Path,
    cwd: &std::path::Path,
) -> Value {
    Value::object([
        ("module", Value::string(module_dir.display().to_string())),
        ("root", Value::string(root_dir.display().to_string())),
        ("cwd", Value::string(cwd.display().to_string())),
    ])
}

/// A name the scope does not know.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopeMiss {
    /// Index of the segment at fault in the path given to [`Scope::resolve`].
    pub segment: usize,
    pub code: &'static Code,
    pub label: String,
    pub help: Option<String>,
}

/// Evaluates expressions against a scope.
pub struct Evaluator<'a> {
    pub scope: &'a dyn Scope,
    pub functions: &'a dyn Functions,
    locals: Vec<(String, Value)>,
}

impl<'a> Evaluator<'a> {
    pub fn new(scope: &'a dyn Scope, functions: &'a dyn Functions) -> Self {
        Evaluator {
            scope,
            functions,
            locals: Vec::new(),
        }
    }

    pub fn eval(&mut self, e: &Expr) -> Result<Value, EvalError> {
        match &e.kind {
            ExprKind::Null => Ok(Value::null()),
            ExprKind::Bool(b) => Ok(Value::bool(*b)),
            ExprKind::Number(n, _) => Ok(Value::number(*n)),
            ExprKind::Template(t) => {
                let mut out = String::new();
                let mut sensitive = false;
                let mut unknown = false;
                for p in &t.parts {
                    match p {
                        TemplatePart::Literal(s) => out.push_str(s),
                        TemplatePart::Interpolation(x) => {
                            let v = stringify(self.eval(x)?, x.span)?;
                            sensitive |= v.is_sensitive();
                            match v.as_str() {
                                Some(s) => out.push_str(s),
                                None => unknown = true,
                            }
                        }
                    }
                }
                let v = if unknown {
                    Value::unknown(Type::String)
                } else {
                    Value::string(out)
                };
                Ok(v.with_sensitive(sensitive))
            }
            ExprKind::List(items) => {
                let mut vals = Vec::with_capacity(items.len());
                for i in items {
                    vals.push(self.eval(i)?);
                }
                Ok(Value::tuple(vals))
            }
            ExprKind::Object(items) => {
                let mut map = IndexMap::with_capacity(items.len());
                let mut key_unknown = false;
                let mut key_sensitive = false;
                for it in items {
                    let key = match &it.key {
                        ObjectKey::Ident(i) => i.name.clone(),
                        ObjectKey::String(s) => s.value.clone(),
                        ObjectKey::Expr(k) => {
                            let kv = stringify(self.eval(k)?, k.span)?;
                            key_sensitive |= kv.is_sensitive();
                            match kv.as_str() {
                                Some(s) => s.to_string(),
                                None => {
                                    key_unknown = true;
                                    continue;
                                }
                            }
                        }
                    };
                    let v = self.eval(&it.value)?;
                    map.insert(key, v);
                }
                if key_unknown {
                    return Ok(Value::unknown(Type::map(Type::Any)).with_sensitive(key_sensitive));
                }
                Ok(Value::object(map).with_sensitive(key_sensitive))
            }
            ExprKind::Paren(inner) => self.eval(inner),
            ExprKind::Name(_)
            | ExprKind::GetAttr(..)
            | ExprKind::Index(..)
            | ExprKind::Splat(_) => self.traversal(e),
            ExprKind::Call(c) => self.call(e, c),
            ExprKind::Unary(op, x) => {
                let v = self.eval(x)?;
                let s = v.is_sensitive();
                match op {
                    UnaryOp::Not => match v.kind() {
                        ValueKind::Bool(b) => Ok(Value::bool(!b).with_sensitive(s)),
                        ValueKind::Unknown(_) => Ok(Value::unknown(Type::Bool).with_sensitive(s)),
                        _ => Err(type_error(x.span, &Type::Bool, &v)),
                    },
                    UnaryOp::Neg => match v.kind() {
                        ValueKind::Number(n) => Ok(Value::number(-n).with_sensitive(s)),
                        ValueKind::Unknown(_) => Ok(Value::unknown(Type::Number).with_sensitive(s)),
                        _ => Err(type_error(x.span, &Type::Number, &v)),
                    },
                }
            }
            ExprKind::Binary(op, l, r) => self.binary(*op, l, r),
            ExprKind::Conditional(c, a, b) => {
                let cv = self.eval(c)?;
                match cv.kind() {
                    ValueKind::Bool(true) => Ok(self.eval(a)?.with_sensitive_or(cv.is_sensitive())),
                    ValueKind::Bool(false) => Ok(self.eval(b)?.with_sensitive_or(cv.is_sensitive())),
                    ValueKind::Unknown(_) => {
                        let av = self.eval(a)?;
                        let bv = self.eval(b)?;
                        let ty = av.type_of().unify(&bv.type_of()).unwrap_or(Type::Any);
                        let s = cv.is_sensitive() || av.is_sensitive() || bv.is_sensitive();
                        Ok(Value::unknown(ty).with_sensitive(s))
                    }
                    _ => Err(type_error(c.span, &Type::Bool, &cv)
                        .help("The condition of `c ? a : b` must be a bool; compare explicitly, as in `x != \"\"`.")),
                }
            }
            ExprKind::ForList(f) | ExprKind::ForObject(f) => {
                let is_obj = matches!(e.kind, ExprKind::ForObject(_));
                let coll = self.eval(&f.collection)?;
                let s = coll.is_sensitive();
                let pairs: Vec<(Value, Value)> = match coll.kind() {
                    ValueKind::List(xs) | ValueKind::Tuple(xs) | ValueKind::Set(xs) => xs
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (Value::number(i as f64), v.clone()))
                        .collect(),
                    ValueKind::Map(m) | ValueKind::Object(m) => m
                        .iter()
                        .map(|(k, v)| (Value::string(k.clone()), v.clone()))
                        .collect(),
                    ValueKind::Unknown(_) => {
                        let ty = if is_obj {
                            Type::map(Type::Any)
                        } else {
                            Type::list(Type::Any)
                        };
                        return Ok(Value::unknown(ty).with_sensitive(s));
                    }
                    ValueKind::Null => {
                        return Err(EvalError::new(
                            &codes::E0405,
                            f.collection.span,
                            "this is null",
                        )
                        .help("Use `coalesce(x, [])` or `x ?? []` to iterate over nothing."))
                    }
                    _ => {
                        return Err(EvalError::new(
                            &codes::E0301,
                            f.collection.span,
                            format!(
                                "a `for` iterates over a list, set, map or object, found {}",
                                coll.type_of()
                            ),
                        ))
                    }
                };
                let mut list = Vec::new();
                let mut obj: IndexMap<String, Value> = IndexMap::new();
                let mut groups: IndexMap<String, Vec<Value>> = IndexMap::new();
                let mut unknown_key = false;
                for (k, v) in pairs {
                    let depth = self.locals.len();
                    if let Some(kn) = &f.key {
                        self.locals.push((kn.name.clone(), k));
                    }
                    self.locals.push((f.value.name.clone(), v));
                    let result = self.for_body(f, is_obj);
                    self.locals.truncate(depth);
                    match result? {
                        None => {}
                        Some((key, val)) => {
                            if is_obj {
                                let key = key.unwrap_or_else(Value::null);
                                let Some(ks) = key.as_str().map(str::to_string) else {
                                    unknown_key = true;
                                    continue;
                                };
                                if f.group {
                                    groups.entry(ks).or_default().push(val);
                                } else if obj.contains_key(&ks) {
                                    let span = f.first.span;
                                    return Err(EvalError::new(&codes::E0406,
                                        span,
                                        format!("the key {ks:?} is produced more than once"),
                                    )
                                    .help("Add `...` after the value to group values with the same key into lists."));
                                } else {
                                    obj.insert(ks, val);
                                }
                            } else {
                                list.push(val);
                            }
                        }
                    }
                }
                if unknown_key {
                    return Ok(Value::unknown(Type::map(Type::Any)).with_sensitive(s));
                }
                let v = if is_obj {
                    if f.group {
                        Value::object(groups.into_iter().map(|(k, vs)| (k, Value::tuple(vs))))
                    } else {
                        Value::object(obj)
                    }
                } else {
                    Value::tuple(list)
                };
                Ok(v.with_sensitive_or(s))
            }
        }
    }

    /// One iteration of a `for`: `None` when the `if` filters it out.
    fn for_body(
        &mut self,
        f: &crate::ast::ForExpr,
        is_obj: bool,
    ) -> Result<Option<(Option<Value>, Value)>, EvalError> {
        if let Some(c) = &f.condition {
            let cv = self.eval(c)?;
            match cv.kind() {
                ValueKind::Bool(false) => return Ok(None),
                ValueKind::Bool(true) | ValueKind::Unknown(_) => {}
                _ => return Err(type_error(c.span, &Type::Bool, &cv)),
            }
        }
        if is_obj {
            let k = stringify(self.eval(&f.first)?, f.first.span)?;
            let v = match &f.second {
                Some(s) => self.eval(s)?,
                None => Value::null(),
            };
            Ok(Some((Some(k), v)))
        } else {
            Ok(Some((None, self.eval(&f.first)?)))
        }
    }
}

/// Converts a value for string interpolation: strings as they are, numbers and bools
/// printed; anything else is an error (no implicit conversion, spec §3.4).
fn stringify(v: Value, span: Span) -> Result<Value, EvalError> {
    let s = v.is_sensitive();
    let out = match v.kind() {
            ValueKind::String(_) => return Ok(v),
            ValueKind::Number(n) => Value::string(format_number(*n)),
            ValueKind::Bool(b) => Value::string(b.to_string()),
            ValueKind::Unknown(t) => match t {
                Type::String | Type::Number | Type::Bool | Type::Any | Type::StringUnion(_) => Value::unknown(Type::String),
                other => {
                    return Err(EvalError::new(&codes::E0302,
                        span,
                        format!("a value of type {other} cannot be converted to a string"),
                    )
                    .help("Interpolate a string, number or bool; use `jsonencode(…)` or `join(…)` for collections."))
                }
            },
            ValueKind::Null => {
                return Err(EvalError::new(&codes::E0302, span, "this value is null")
                    .help("Use `coalesce(x, \"\")` or `x ?? \"\"` to interpolate a possibly-null value."))
            }
            _ => {
                return Err(EvalError::new(&codes::E0302,
                    span,
                    format!("a value of type {} cannot be converted to a string", v.type_of()),
                )
                .help("Interpolate a string, number or bool; use `jsonencode(…)` or `join(…)` for collections."))
            }
        };
    Ok(out.with_sensitive(s))
}

impl Evaluator<'_> {
    fn binary(&mut self, op: BinaryOp, l: &Expr, r: &Expr) -> Result<Value, EvalError> {
        let lv = self.eval(l)?;
        if op == BinaryOp::Coalesce {
            return match lv.kind() {
                ValueKind::Null => self.eval(r),
                ValueKind::Unknown(t) => {
                    let rv = self.eval(r)?;
                    let ty = t.unify(&rv.type_of()).unwrap_or(Type::Any);
                    Ok(Value::unknown(ty).with_sensitive(lv.is_sensitive() || rv.is_sensitive()))
                }
                _ => Ok(lv),
            };
        }
        // Short-circuit on known booleans.
        if let (BinaryOp::And, ValueKind::Bool(false)) | (BinaryOp::Or, ValueKind::Bool(true)) =
            (op, lv.kind())
        {
            return Ok(lv);
        }
        let rv = self.eval(r)?;
        let s = lv.is_sensitive() || rv.is_sensitive();
        let unknown = !lv.is_known() || !rv.is_known();
        let result_ty = match op {
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
                Type::Number
            }
            _ => Type::Bool,
        };
        let expect = |v: &Value, span: Span, ty: &Type| -> Result<(), EvalError> {
            let ok = match (ty, v.kind()) {
                (_, ValueKind::Unknown(t)) => ty.assignable_from(t) || *t == Type::Any,
                (Type::Number, ValueKind::Number(_)) | (Type::Bool, ValueKind::Bool(_)) => true,
                _ => false,
            };
            if ok {
                Ok(())
            } else {
                Err(type_error(span, ty, v).help(format!(
                    "`{}` needs {} operands; convert explicitly with {}.",
                    op.symbol(),
                    if *ty == Type::Number {
                        "number"
                    } else {
                        "bool"
                    },
                    if *ty == Type::Number {
                        "`tonumber(…)`"
                    } else {
                        "a comparison"
                    }
                )))
            }
        };
        match op {
            BinaryOp::Eq | BinaryOp::Ne => {
                if unknown {
                    return Ok(Value::unknown(Type::Bool).with_sensitive(s));
                }
                let eq = lv.equals(&rv).unwrap_or(false);
                Ok(Value::bool(if op == BinaryOp::Eq { eq } else { !eq }).with_sensitive(s))
            }
            BinaryOp::And | BinaryOp::Or => {
                expect(&lv, l.span, &Type::Bool)?;
                expect(&rv, r.span, &Type::Bool)?;
                match (lv.as_bool(), rv.as_bool()) {
                    (Some(a), Some(b)) => {
                        Ok(
                            Value::bool(if op == BinaryOp::And { a && b } else { a || b })
                                .with_sensitive(s),
                        )
                    }
                    (_, Some(false)) if op == BinaryOp::And => {
                        Ok(Value::bool(false).with_sensitive(s))
                    }
                    (_, Some(true)) if op == BinaryOp::Or => {
                        Ok(Value::bool(true).with_sensitive(s))
                    }
                    _ => Ok(Value::unknown(Type::Bool).with_sensitive(s)),
                }
            }
            _ => {
                expect(&lv, l.span, &Type::Number)?;
                expect(&rv, r.span, &Type::Number)?;
                let (Some(a), Some(b)) = (lv.as_number(), rv.as_number()) else {
                    return Ok(Value::unknown(result_ty).with_sensitive(s));
                };
                let v = match op {
                    BinaryOp::Add => Value::number(a + b),
                    BinaryOp::Sub => Value::number(a - b),
                    BinaryOp::Mul => Value::number(a * b),
                    BinaryOp::Div | BinaryOp::Mod => {
                        if b == 0.0 {
                            return Err(EvalError::new(&codes::E0403, r.span, "this is zero"));
                        }
                        Value::number(if op == BinaryOp::Div { a / b } else { a % b })
                    }
                    BinaryOp::Lt => Value::bool(a < b),
                    BinaryOp::Le => Value::bool(a <= b),
                    BinaryOp::Gt => Value::bool(a > b),
                    _ => Value::bool(a >= b),
                };
                Ok(v.with_sensitive(s))
            }
        }
    }

    fn call(&mut self, e: &Expr, c: &crate::ast::Call) -> Result<Value, EvalError> {
        let name = c.name.name.as_str();
        // `try` and `can` are lazy: errors in their arguments are values, not failures.
        if name == "try" || name == "can" {
            if name == "can" {
                let Some(arg) = c.args.first() else {
                    return Err(arity(e.span, "can", 1, 0));
                };
                return Ok(Value::bool(self.eval(arg).is_ok()));
            }
            let mut last = None;
            for a in &c.args {
                match self.eval(a) {
                    Ok(v) => return Ok(v),
                    Err(err) => last = Some(err),
                }
            }
            return Err(last.unwrap_or_else(|| arity(e.span, "try", 1, 0)));
        }
        let mut args = Vec::with_capacity(c.args.len());
        let mut spans = Vec::with_capacity(c.args.len());
        for (i, a) in c.args.iter().enumerate() {
            let v = self.eval(a)?;
            if c.expand_last && i + 1 == c.args.len() {
                match v.kind() {
                    ValueKind::List(xs) | ValueKind::Tuple(xs) | ValueKind::Set(xs) => {
                        for x in xs {
                            args.push(x.clone().with_sensitive_or(v.is_sensitive()));
                            spans.push(a.span);
                        }
                    }
                    ValueKind::Unknown(_) => {
                        return Ok(Value::unknown(Type::Any).with_sensitive(v.is_sensitive()))
                    }
                    _ => {
                        return Err(EvalError::new(
                            &codes::E0301,
                            a.span,
                            format!("`...` expands a list, found {}", v.type_of()),
                        ))
                    }
                }
            } else {
                args.push(v);
                spans.push(a.span);
            }
        }
        match self.functions.call(name, &args) {
            Some(Ok(v)) => Ok(v),
            Some(Err(f)) => {
                let span = f.arg.and_then(|i| spans.get(i).copied()).unwrap_or(e.span);
                Err(EvalError::new(
                    &codes::E0404,
                    span,
                    format!("{name}: {}", f.message),
                ))
            }
            None => {
                let names = self.functions.names();
                let err = EvalError::new(
                    &codes::E0204,
                    c.name.span,
                    format!("there is no function `{name}`"),
                );
                Err(match suggest(name, names.iter().copied()) {
                    Some(s) => err.help(format!("Did you mean `{s}`?")),
                    None => err.help("See docs/language.md for the list of functions."),
                })
            }
        }
    }

    /// Names, attribute access, indexing and splats.
    fn traversal(&mut self, e: &Expr) -> Result<Value, EvalError> {
        // Collect the static prefix `a.b.c` (names only) and the rest of the chain.
        let mut chain: Vec<&Expr> = Vec::new();
        let mut cur = e;
        loop {
            chain.push(cur);
            match &cur.kind {
                ExprKind::GetAttr(b, _) | ExprKind::Index(b, _) | ExprKind::Splat(b) => cur = b,
                _ => break,
            }
        }
        chain.reverse();
        let Some(first) = chain.first() else {
            return Ok(Value::null());
        };
        let ExprKind::Name(root) = &first.kind else {
            // A traversal on a computed value: `f(x).a`, `[1,2][0]`.
            let base = self.eval(first)?;
            return self.apply_steps(base, chain.get(1..).unwrap_or(&[]), false);
        };
        // Locals (for-expression variables) shadow everything.
        if let Some((_, v)) = self.locals.iter().rev().find(|(n, _)| *n == root.name) {
            let v = v.clone();
            return self.apply_steps(v, chain.get(1..).unwrap_or(&[]), false);
        }
        let mut names: Vec<&str> = vec![root.name.as_str()];
        for step in chain.iter().skip(1) {
            match &step.kind {
                ExprKind::GetAttr(_, n) => names.push(n.name.as_str()),
                _ => break,
            }
        }
        if let Some(ExprKind::Index(_, idx)) = chain.get(names.len()).map(|c| &c.kind) {
            let scope = self.scope;
            let element = scope.resolve_element(&names, &mut || self.eval(idx).ok());
            if let Some(v) = element {
                return self.apply_steps(v, chain.get(names.len() + 1..).unwrap_or(&[]), false);
            }
        }
        if let (Some(ExprKind::Splat(_)), Some(ExprKind::GetAttr(_, attr))) = (
            chain.get(names.len()).map(|c| &c.kind),
            chain.get(names.len() + 1).map(|c| &c.kind),
        ) {
            // `path[*].attr` as splatting the tuple and reading `attr` of each element
            // would give it (the same values, the same first error), without the tuple.
            let scope = self.scope;
            let mut read = Vec::new();
            let mut failed = None;
            let visited = scope.for_each_element(&names, &mut |x| {
                if failed.is_none() {
                    match self.get_attr(x, &attr.name, attr.span) {
                        Ok(v) => read.push(v),
                        Err(e) => failed = Some(e),
                    }
                }
            });
            if visited {
                if let Some(e) = failed {
                    return Err(e);
                }
                let rest = chain.get(names.len() + 2..).unwrap_or(&[]);
                return self.apply_steps(Value::tuple(read), rest, true);
            }
        }
        match self.scope.resolve(&names) {
            Ok((v, used)) => {
                let used = used.max(1);
                self.apply_steps(v, chain.get(used..).unwrap_or(&[]), false)
            }
            Err(miss) => {
                let at = chain
                    .get(miss.segment)
                    .map_or(first.span, |x| match &x.kind {
                        ExprKind::GetAttr(_, n) => n.span,
                        _ => x.span,
                    });
                let span = if miss.segment == 0 { root.span } else { at };
                let mut err = EvalError::new(miss.code, span, miss.label);
                err.help = miss.help;
                Err(err)
            }
        }
    }

    /// Applies `.attr`, `[index]` and `[*]` steps to a value. After a splat, attribute and
    /// index steps apply to each element.
    fn apply_steps(
        &mut self,
        mut v: Value,
        steps: &[&Expr],
        mut splat: bool,
    ) -> Result<Value, EvalError> {
        for step in steps {
            match &step.kind {
                ExprKind::Splat(_) => {
                    let s = v.is_sensitive();
                    v = match v.kind() {
                        ValueKind::List(_) | ValueKind::Tuple(_) | ValueKind::Set(_) => v,
                        ValueKind::Null => Value::tuple(Vec::new()),
                        ValueKind::Unknown(t) => Value::unknown(match t {
                            Type::List(_) | Type::Tuple(_) | Type::Set(_) => t.clone(),
                            _ => Type::list(Type::Any),
                        }),
                        _ => Value::tuple(vec![v.clone()]),
                    }
                    .with_sensitive_or(s);
                    splat = true;
                }
                ExprKind::GetAttr(_, name) => {
                    v = if splat {
                        self.map_elements(v, |ev, x| ev.get_attr(&x, &name.name, name.span))?
                    } else {
                        self.get_attr(&v, &name.name, name.span)?
                    };
                }
                ExprKind::Index(_, idx) => {
                    let iv = self.eval(idx)?;
                    v = if splat {
                        self.map_elements(v, |ev, x| ev.index(x, &iv, idx.span))?
                    } else {
                        self.index(v, &iv, idx.span)?
                    };
                }
                _ => {}
            }
        }
        Ok(v)
    }

    fn map_elements(
        &mut self,
        v: Value,
        mut f: impl FnMut(&mut Self, Value) -> Result<Value, EvalError>,
    ) -> Result<Value, EvalError> {
        let s = v.is_sensitive();
        match v.into_kind() {
            ValueKind::List(xs) | ValueKind::Tuple(xs) | ValueKind::Set(xs) => {
                let mut out = Vec::with_capacity(xs.len());
                for x in xs {
                    out.push(f(self, x)?);
                }
                Ok(Value::tuple(out).with_sensitive(s))
            }
            ValueKind::Unknown(_) => Ok(Value::unknown(Type::list(Type::Any)).with_sensitive(s)),
            other => f(self, Value::from_kind(other)),
        }
    }

    fn get_attr(&self, v: &Value, name: &str, span: Span) -> Result<Value, EvalError> {
        let s = v.is_sensitive();
        match v.kind() {
            ValueKind::Object(m) | ValueKind::Map(m) => match m.get(name) {
                Some(x) => Ok(x.clone().with_sensitive_or(s)),
                None => {
                    let is_map = matches!(v.kind(), ValueKind::Map(_));
                    // A key a map lacks is E0402 however it is read (`m.k`, `m["k"]`).
                    let code = if is_map { &codes::E0402 } else { &codes::E0214 };
                    let err = EvalError::new(
                        code,
                        span,
                        format!(
                            "this {} has no {} `{name}`",
                            if is_map { "map" } else { "object" },
                            if is_map { "key" } else { "attribute" }
                        ),
                    );
                    Err(match suggest(name, m.keys().map(String::as_str)) {
                        Some(sug) => err.help(format!("Did you mean `{sug}`?")),
                        None if m.is_empty() => err,
                        None => err.help(format!(
                            "Available: {}.",
                            m.keys()
                                .take(12)
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    })
                }
            },
            ValueKind::Unknown(t) => {
                let ty = match t {
                    Type::Object(attrs) => match attrs.get(name) {
                        Some(a) => a.ty.clone(),
                        None => {
                            let err = EvalError::new(
                                &codes::E0214,
                                span,
                                format!("this object has no attribute `{name}`"),
                            );
                            return Err(match suggest(name, attrs.keys().map(String::as_str)) {
                                Some(sug) => err.help(format!("Did you mean `{sug}`?")),
                                None => err,
                            });
                        }
                    },
                    Type::Map(e) => (**e).clone(),
                    _ => Type::Any,
                };
                Ok(Value::unknown(ty).with_sensitive(s))
            }
            ValueKind::Null => Err(EvalError::new(
                &codes::E0405,
                span,
                format!("cannot read `{name}` of a null value"),
            )
            .help("Guard it: `x != null ? x.attr : default`, or `try(x.attr, default)`.")),
            _ => Err(EvalError::new(
                &codes::E0214,
                span,
                format!("a {} has no attributes", v.type_of()),
            )),
        }
    }

    fn index(&self, v: Value, idx: &Value, span: Span) -> Result<Value, EvalError> {
        let s = v.is_sensitive() || idx.is_sensitive();
        if !idx.is_known() {
            let ty = v.type_of().element_type().unwrap_or(Type::Any);
            return Ok(Value::unknown(ty).with_sensitive(s));
        }
        match v.kind() {
            ValueKind::List(xs) | ValueKind::Tuple(xs) => {
                let Some(n) = idx.as_number() else {
                    return Err(type_error(span, &Type::Number, idx));
                };
                if n < 0.0 || n.fract() != 0.0 || n as usize >= xs.len() {
                    return Err(EvalError::new(
                        &codes::E0401,
                        span,
                        format!(
                            "index {} is out of range for a list of {} element(s)",
                            format_number(n),
                            xs.len()
                        ),
                    )
                    .help("Check the length first, or use `try(xs[i], default)`."));
                }
                Ok(xs
                    .get(n as usize)
                    .cloned()
                    .unwrap_or_else(Value::null)
                    .with_sensitive_or(s))
            }
            ValueKind::Map(m) | ValueKind::Object(m) => {
                let key = match idx.kind() {
                    ValueKind::String(k) => k.clone(),
                    ValueKind::Number(n) => format_number(*n),
                    _ => return Err(type_error(span, &Type::String, idx)),
                };
                match m.get(&key) {
                    Some(x) => Ok(x.clone().with_sensitive_or(s)),
                    None => {
                        let err =
                            EvalError::new(&codes::E0402, span, format!("there is no key {key:?}"));
                        Err(match suggest(&key, m.keys().map(String::as_str)) {
                            Some(sug) => err.help(format!("Did you mean {sug:?}?")),
                            None => err.help(format!(
                                "Keys are: {}.",
                                m.keys()
                                    .take(12)
                                    .map(|k| format!("{k:?}"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )),
                        })
                    }
                }
            }
            ValueKind::Unknown(t) => {
                Ok(Value::unknown(t.element_type().unwrap_or(Type::Any)).with_sensitive(s))
            }
            ValueKind::Null => Err(EvalError::new(
                &codes::E0405,
                span,
                "cannot index a null value",
            )),
            _ => Err(EvalError::new(
                &codes::E0301,
                span,
                format!("a {} cannot be indexed", v.type_of()),
            )),
        }
    }
}

fn type_error(span: Span, expected: &Type, found: &Value) -> EvalError {
    EvalError::new(
        &codes::E0301,
        span,
        format!("expected {expected}, found {}", found.type_of()),
    )
}

fn arity(span: Span, name: &str, want: usize, got: usize) -> EvalError {
    EvalError::new(
        &codes::E0404,
        span,
        format!("{name} takes at least {want} argument(s), found {got}"),
    )
}

/// Marks a value sensitive when `also` is set; keeps an existing mark.
trait SensitiveOr {
    fn with_sensitive_or(self, also: bool) -> Self;
}

impl SensitiveOr for Value {
    fn with_sensitive_or(self, also: bool) -> Value {
        if also {
            self.mark_sensitive()
        } else {
            self
        }
    }
}
