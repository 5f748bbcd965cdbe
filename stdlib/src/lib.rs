//! The `.aic` standard library (spec §5): every built-in function with its signature,
//! documentation and implementation.
//!
//! Each [`Function`] has a fixed signature the type checker reads ([`Function::params`],
//! [`Function::variadic`], [`Function::ret`], [`Function::check_types`]) and an
//! implementation the evaluator runs through [`Function::call`]. `call` does the work every
//! function shares: it checks the arity, converts each argument to its parameter type
//! (errors name the argument), returns an unknown of the return type when an argument
//! is unknown, and marks the result sensitive when an argument is. `try` and `can` are
//! *lazy*: only their signatures live here, the evaluator runs them.
//!
//! Architecture invariant: this crate depends only on `aic-lang`'s value and type model.
//! It knows no syntax, no provider and no state. Its only I/O is what the spec asks of
//! `file`, `fileexists`, `templatefile` (reading files relative to the module directory
//! in the [`CallContext`]) and `env_var` (through the context's environment lookup).

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::LazyLock;

use aic_lang::types::Type;
use aic_lang::value::{Value, ValueKind};
use aic_lang::world::{System, World};

mod args;
mod carbon;
mod collections;
mod conversion;
mod encoding;
mod environment;
mod files;
mod format;
mod hashing;
pub mod modules;
mod network;
mod numbers;
mod strings;

pub use carbon::{carbon_intensity, CarbonSource, CarbonTable, RegionIntensity};

/// The signature of an eager function's implementation. It receives arguments already
/// converted to the parameter types, never a top-level unknown (and, unless the function
/// handles them, no unknown anywhere).
pub type Implementation = fn(&CallContext<'_>, &[Value]) -> Result<Value, FunctionError>;

/// A built-in function.
pub struct Function {
    pub name: &'static str,
    pub category: Category,
    pub params: Vec<Param>,
    /// The type of any further arguments; when it is not `optional`, at least one must
    /// be given.
    pub variadic: Option<Param>,
    pub ret: ReturnType,
    /// What the function does, for users (hover text, `aic functions`).
    pub doc: String,
    /// Whether the same arguments always give the same result. A function that is not
    /// yields an unknown value during plan (spec §5).
    pub deterministic: bool,
    unknowns: Unknowns,
    keeps_marks: bool,
    body: Body,
}

/// How a function is run.
#[derive(Clone, Copy)]
enum Body {
    Eager(Implementation),
    /// Evaluated by the evaluator, which controls when its arguments are evaluated.
    Lazy,
}

/// How a function treats unknown arguments.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unknowns {
    /// Any unknown anywhere in an argument makes the result unknown.
    Opaque,
    /// A top-level unknown argument makes the result unknown; the implementation handles
    /// unknowns inside collections (the `length` of a list with unknown elements is known).
    Structural,
    /// The implementation sees every unknown (`type` knows the type of an unknown).
    Inspects,
}

/// A parameter of a function signature.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: &'static str,
    pub ty: Type,
    /// Whether the argument may be left out (only trailing parameters).
    pub optional: bool,
    /// Whether `null` is accepted.
    pub allow_null: bool,
}

/// The return type of a function: fixed, or computed from the argument types.
#[derive(Clone)]
pub enum ReturnType {
    Fixed(Type),
    Computed {
        /// The return type when nothing is known about the arguments.
        general: Type,
        compute: fn(&[Type]) -> Type,
    },
}

impl ReturnType {
    /// The return type for arguments of the given types.
    pub fn resolve(&self, args: &[Type]) -> Type {
        match self {
            ReturnType::Fixed(t) => t.clone(),
            ReturnType::Computed { compute, .. } => compute(args),
        }
    }

    /// The return type when nothing is known about the arguments.
    pub fn general(&self) -> &Type {
        match self {
            ReturnType::Fixed(t) | ReturnType::Computed { general: t, .. } => t,
        }
    }
}

impl fmt::Debug for ReturnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.general())
    }
}

/// The groups of spec §5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    Strings,
    Collections,
    Numbers,
    Encoding,
    Hashing,
    Network,
    Files,
    Types,
    Environment,
    Durations,
    Sustainability,
}

/// When a function is evaluated: a non-deterministic function yields an unknown during
/// plan and its real value during apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EvalStage {
    #[default]
    Plan,
    Apply,
}

/// Renders a template: the template text and the variables object give the result.
/// `Sync`, so a [`CallContext`] can be shared by a parallel evaluation.
pub type TemplateRenderer<'a> = &'a (dyn Fn(&str, &Value) -> Result<Value, String> + Sync);

/// What a function call may use besides its arguments.
#[derive(Clone, Copy)]
pub struct CallContext<'a> {
    /// The directory of the module the call is in; `file` and friends resolve relative
    /// paths against it.
    pub module_dir: &'a Path,
    pub stage: EvalStage,
    /// Renders `templatefile` templates; the evaluator provides it.
    pub render_template: Option<TemplateRenderer<'a>>,
    /// The files `file` and friends read and the variables `env_var` reads: the machine
    /// ([`System`]) or, in tests, a [`aic_lang::world::MemoryWorld`].
    pub world: &'a dyn World,
}

impl<'a> CallContext<'a> {
    /// A context for planning in `module_dir`, on this machine ([`System`]), with no
    /// template renderer.
    pub fn new(module_dir: &'a Path) -> CallContext<'a> {
        CallContext {
            module_dir,
            stage: EvalStage::Plan,
            render_template: None,
            world: &System,
        }
    }

    #[must_use]
    pub fn with_stage(self, stage: EvalStage) -> CallContext<'a> {
        CallContext { stage, ..self }
    }

    #[must_use]
    pub fn with_template_renderer(self, renderer: TemplateRenderer<'a>) -> CallContext<'a> {
        CallContext {
            render_template: Some(renderer),
            ..self
        }
    }

    /// This context reading files and environment variables from `world`.
    #[must_use]
    pub fn with_world(self, world: &'a dyn World) -> CallContext<'a> {
        CallContext { world, ..self }
    }
}

/// A failed call. `arg` is the index of the offending argument, so the diagnostic can
/// point at it; `None` blames the call as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FunctionError {
    pub arg: Option<usize>,
    pub message: String,
}

impl FunctionError {
    /// An error about argument `index`.
    pub fn arg(index: usize, message: impl Into<String>) -> FunctionError {
        FunctionError {
            arg: Some(index),
            message: message.into(),
        }
    }

    /// An error about the call as a whole.
    pub fn call(message: impl Into<String>) -> FunctionError {
        FunctionError {
            arg: None,
            message: message.into(),
        }
    }
}

impl Function {
    /// Whether the evaluator runs this function itself (`try`, `can`).
    pub fn is_lazy(&self) -> bool {
        matches!(self.body, Body::Lazy)
    }

    /// The parameter that argument `index` binds to.
    pub fn param_for(&self, index: usize) -> Option<&Param> {
        self.params.get(index).or(self.variadic.as_ref())
    }

    /// The fewest arguments a call may have.
    pub fn min_args(&self) -> usize {
        let variadic = self
            .variadic
            .as_ref()
            .map_or(0, |v| usize::from(!v.optional));
        self.params.iter().filter(|p| !p.optional).count() + variadic
    }

    /// The most arguments a call may have (`None`: no limit).
    pub fn max_args(&self) -> Option<usize> {
        match self.variadic {
            Some(_) => None,
            None => Some(self.params.len()),
        }
    }

    /// Checks a call's argument types against the signature, as the type checker does,
    /// and gives the call's type.
    pub fn check_types(&self, arg_types: &[Type]) -> Result<Type, FunctionError> {
        self.check_arity(arg_types.len())?;
        for (i, ty) in arg_types.iter().enumerate() {
            let Some(param) = self.param_for(i) else {
                continue;
            };
            if *ty == Type::Null && !param.allow_null {
                return Err(null_error(i, param));
            }
            if !param.ty.assignable_from(ty) {
                return Err(FunctionError::arg(
                    i,
                    format!(
                        "invalid value for `{}`: expected {}, found {ty}",
                        param.name, param.ty
                    ),
                ));
            }
        }
        Ok(self.ret.resolve(arg_types))
    }

    fn check_arity(&self, count: usize) -> Result<(), FunctionError> {
        let min = self.min_args();
        let expected = match self.max_args() {
            Some(max) if max == min => format!("{min}"),
            Some(max) => format!("{min} to {max}"),
            None => format!("at least {min}"),
        };
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        if count < min {
            return Err(FunctionError::call(format!(
                "`{}` expects {expected} argument{}, got {count}",
                self.name,
                plural(min)
            )));
        }
        if let Some(max) = self.max_args() {
            if count > max {
                return Err(FunctionError::arg(
                    max,
                    format!(
                        "`{}` expects {expected} argument{}, got {count}",
                        self.name,
                        plural(max)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Calls the function: checks the arity, converts each argument to its parameter
    /// type, short-cuts unknown arguments to an unknown result of the return type, runs
    /// the implementation and marks the result sensitive when an argument is. Error
    /// messages never show a sensitive argument's text.
    pub fn call(&self, ctx: &CallContext<'_>, args: &[Value]) -> Result<Value, FunctionError> {
        let Body::Eager(implementation) = self.body else {
            return Err(FunctionError::call(format!(
                "`{}` is evaluated lazily by the evaluator",
                self.name
            )));
        };
        self.check_arity(args.len())?;
        let mut converted = Vec::with_capacity(args.len());
        for (i, arg) in args.iter().enumerate() {
            let Some(param) = self.param_for(i) else {
                return Err(FunctionError::arg(i, "unexpected argument"));
            };
            if arg.is_null() && !param.allow_null {
                return Err(null_error(i, param));
            }
            let value = param.ty.conform(arg).map_err(|mismatch| {
                redact(
                    FunctionError::arg(
                        i,
                        format!("invalid value for `{}`: {mismatch}", param.name),
                    ),
                    args,
                )
            })?;
            converted.push(value);
        }
        let top_sensitive = converted.iter().any(Value::is_sensitive);
        let deep_sensitive = converted.iter().any(Value::contains_sensitive);
        let unknown_result = match self.unknowns {
            Unknowns::Opaque => !converted.iter().all(Value::is_wholly_known),
            Unknowns::Structural => !converted.iter().all(Value::is_known),
            Unknowns::Inspects => false,
        };
        if unknown_result {
            let types: Vec<Type> = converted.iter().map(Value::type_of).collect();
            return Ok(Value::unknown(self.ret.resolve(&types)).with_sensitive(deep_sensitive));
        }
        let result = implementation(ctx, &converted).map_err(|e| redact(e, args))?;
        Ok(result.with_sensitive(top_sensitive || (deep_sensitive && !self.keeps_marks)))
    }

    /// The signature in `.aic` terms, such as
    /// `join(separator: string, list: list(string)) -> string`.
    pub fn signature(&self) -> String {
        let mut out = format!("{}(", self.name);
        for (i, p) in self.params.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(&format!(
                "{}{}: {}",
                p.name,
                if p.optional { "?" } else { "" },
                p.ty
            ));
        }
        if let Some(v) = &self.variadic {
            if !self.params.is_empty() {
                out.push_str(", ");
            }
            out.push_str(&format!("{}...: {}", v.name, v.ty));
        }
        out.push_str(&format!(") -> {}", self.ret.general()));
        out
    }

    // ----- registration helpers -----------------------------------------------------

    fn eager(name: &'static str, category: Category, doc: &str, body: Implementation) -> Function {
        Function::new(name, category, doc, Body::Eager(body))
    }

    fn lazy(name: &'static str, category: Category, doc: &str) -> Function {
        Function::new(name, category, doc, Body::Lazy)
    }

    fn new(name: &'static str, category: Category, doc: &str, body: Body) -> Function {
        Function {
            name,
            category,
            params: Vec::new(),
            variadic: None,
            ret: ReturnType::Fixed(Type::Any),
            doc: dedent(doc),
            deterministic: true,
            unknowns: Unknowns::Opaque,
            keeps_marks: false,
            body,
        }
    }

    fn param(mut self, name: &'static str, ty: Type) -> Function {
        self.params.push(Param {
            name,
            ty,
            optional: false,
            allow_null: false,
        });
        self
    }

    fn optional(mut self, name: &'static str, ty: Type) -> Function {
        self.params.push(Param {
            name,
            ty,
            optional: true,
            allow_null: false,
        });
        self
    }

    /// Lets the last parameter (or the variadic one, once declared) accept `null`.
    fn nullable(mut self) -> Function {
        if let Some(v) = self.variadic.as_mut() {
            v.allow_null = true;
        } else if let Some(p) = self.params.last_mut() {
            p.allow_null = true;
        }
        self
    }

    fn variadic(mut self, name: &'static str, ty: Type) -> Function {
        self.variadic = Some(Param {
            name,
            ty,
            optional: true,
            allow_null: false,
        });
        self
    }

    /// A variadic parameter that takes at least one argument.
    fn variadic_required(mut self, name: &'static str, ty: Type) -> Function {
        self = self.variadic(name, ty);
        if let Some(v) = self.variadic.as_mut() {
            v.optional = false;
        }
        self
    }

    fn returns(mut self, ty: Type) -> Function {
        self.ret = ReturnType::Fixed(ty);
        self
    }

    fn returns_with(mut self, general: Type, compute: fn(&[Type]) -> Type) -> Function {
        self.ret = ReturnType::Computed { general, compute };
        self
    }

    fn structural(mut self) -> Function {
        self.unknowns = Unknowns::Structural;
        self
    }

    fn inspects(mut self) -> Function {
        self.unknowns = Unknowns::Inspects;
        self
    }

    /// The result is built from parts of the arguments that carry their own marks, so
    /// a sensitive element inside an argument does not make the whole result sensitive.
    fn keeps_marks(mut self) -> Function {
        self.keeps_marks = true;
        self
    }

    fn nondeterministic(mut self) -> Function {
        self.deterministic = false;
        self
    }
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.signature())
    }
}

fn null_error(index: usize, param: &Param) -> FunctionError {
    FunctionError::arg(index, format!("`{}` must not be null", param.name))
}

/// Removes the text of sensitive strings from an error message.
fn redact(mut error: FunctionError, args: &[Value]) -> FunctionError {
    fn secrets<'a>(value: &'a Value, inside_sensitive: bool, out: &mut Vec<&'a str>) {
        let sensitive = inside_sensitive || value.is_sensitive();
        match value.kind() {
            ValueKind::String(s) if sensitive && !s.is_empty() => out.push(s),
            ValueKind::List(v) | ValueKind::Set(v) | ValueKind::Tuple(v) => {
                v.iter().for_each(|e| secrets(e, sensitive, out));
            }
            ValueKind::Map(m) | ValueKind::Object(m) => {
                m.values().for_each(|e| secrets(e, sensitive, out));
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    args.iter().for_each(|a| secrets(a, false, &mut found));
    // Longest first, so a secret that contains another is replaced whole.
    found.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for secret in found {
        error.message = error.message.replace(secret, "(sensitive)");
    }
    error
}

/// Removes the common leading indentation of doc text and trims it.
fn dedent(doc: &str) -> String {
    let lines: Vec<&str> = doc.lines().collect();
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|l| l.get(indent..).unwrap_or("").trim_end())
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

/// Declares a function's implementation together with its user documentation: the doc
/// comment documents the Rust function and also becomes `Function::doc`, through a
/// `DOC` constant in a module of the same name.
macro_rules! builtin {
    (
        $(#[doc = $doc:literal])+
        fn $name:ident($ctx:pat_param, $args:pat_param) $body:block
    ) => {
        $(#[doc = $doc])+
        fn $name(
            $ctx: &$crate::CallContext<'_>,
            $args: &[aic_lang::value::Value],
        ) -> Result<aic_lang::value::Value, $crate::FunctionError> $body

        mod $name {
            pub(crate) const DOC: &str = concat!($($doc, "\n"),+);
        }
    };
}
pub(crate) use builtin;

static REGISTRY: LazyLock<Registry> = LazyLock::new(Registry::build);

struct Registry {
    functions: Vec<Function>,
    by_name: HashMap<&'static str, usize>,
}

impl Registry {
    fn build() -> Registry {
        let functions: Vec<Function> = [
            strings::functions(),
            collections::functions(),
            numbers::functions(),
            encoding::functions(),
            hashing::functions(),
            network::functions(),
            files::functions(),
            conversion::functions(),
            environment::functions(),
            carbon::functions(),
        ]
        .into_iter()
        .flatten()
        .collect();
        let by_name = functions
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name, i))
            .collect();
        Registry { functions, by_name }
    }
}

/// The function called `name`.
pub fn lookup(name: &str) -> Option<&'static Function> {
    let registry = &*REGISTRY;
    registry
        .by_name
        .get(name)
        .and_then(|&i| registry.functions.get(i))
}

/// Every function, grouped by category.
pub fn all() -> &'static [Function] {
    &REGISTRY.functions
}

/// The name of a function closest to `name`, for "did you mean" help.
pub fn suggest(name: &str) -> Option<&'static str> {
    closest(name, all().iter().map(|f| f.name))
}

/// The candidate most similar to `name`, if any is similar enough.
fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod test_support {
    use std::path::Path;

    use aic_lang::value::Value;

    use crate::{CallContext, FunctionError};

    pub(crate) fn ctx() -> CallContext<'static> {
        CallContext::new(Path::new("."))
    }

    /// Calls a function through the registry, as the evaluator does.
    pub(crate) fn call(name: &str, args: &[Value]) -> Result<Value, FunctionError> {
        call_in(&ctx(), name, args)
    }

    pub(crate) fn call_in(
        ctx: &CallContext<'_>,
        name: &str,
        args: &[Value],
    ) -> Result<Value, FunctionError> {
        match crate::lookup(name) {
            Some(f) => f.call(ctx, args),
            None => Err(FunctionError::call(format!("no function `{name}`"))),
        }
    }

    /// The result printed in `.aic` syntax (sensitive parts shown), or the error message
    /// prefixed by the argument index.
    pub(crate) fn show(name: &str, args: &[Value]) -> String {
        render(call(name, args))
    }

    pub(crate) fn render(result: Result<Value, FunctionError>) -> String {
        match result {
            Ok(v) => v.revealed().to_string(),
            Err(FunctionError {
                arg: Some(i),
                message,
            }) => format!("error(arg {i}): {message}"),
            Err(FunctionError { arg: None, message }) => format!("error: {message}"),
        }
    }

    pub(crate) fn s(v: &str) -> Value {
        Value::string(v)
    }

    pub(crate) fn n(v: f64) -> Value {
        Value::number(v)
    }

    pub(crate) fn strs(items: &[&str]) -> Value {
        Value::list(items.iter().map(|i| Value::string(*i)))
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    /// Every function spec §5 names.
    const SPEC_FUNCTIONS: &[&str] = &[
        "format",
        "join",
        "split",
        "replace",
        "lower",
        "upper",
        "trim",
        "trimprefix",
        "trimsuffix",
        "substr",
        "regex",
        "regexall",
        "startswith",
        "endswith",
        "strrev",
        "title",
        "indent",
        "length",
        "concat",
        "merge",
        "keys",
        "values",
        "lookup",
        "contains",
        "flatten",
        "distinct",
        "zipmap",
        "range",
        "element",
        "slice",
        "sort",
        "reverse",
        "toset",
        "tolist",
        "tomap",
        "coalesce",
        "compact",
        "one",
        "try",
        "can",
        "index",
        "chunklist",
        "setunion",
        "setintersection",
        "min",
        "max",
        "abs",
        "ceil",
        "floor",
        "pow",
        "parseint",
        "jsonencode",
        "jsondecode",
        "yamlencode",
        "yamldecode",
        "base64encode",
        "base64decode",
        "urlencode",
        "csvdecode",
        "sha1",
        "sha256",
        "sha512",
        "md5",
        "uuidv5",
        "bcrypt",
        "cidrsubnet",
        "cidrsubnets",
        "cidrhost",
        "cidrnetmask",
        "file",
        "fileexists",
        "templatefile",
        "tostring",
        "tonumber",
        "tobool",
        "type",
        "env_var",
        "duration",
        "lowest_carbon_region",
    ];

    #[test]
    fn every_spec_function_is_registered_once() {
        for name in SPEC_FUNCTIONS {
            assert!(lookup(name).is_some(), "missing `{name}`");
        }
        let mut names: Vec<&str> = all().iter().map(|f| f.name).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "duplicate function names");
        assert!(lookup("nope").is_none());
    }

    #[test]
    fn every_function_is_documented_and_optional_params_trail() {
        for f in all() {
            assert!(!f.doc.is_empty(), "`{}` has no doc", f.name);
            assert!(!f.doc.starts_with(' '), "`{}` doc is not dedented", f.name);
            let first_optional = f.params.iter().position(|p| p.optional);
            if let Some(first) = first_optional {
                assert!(
                    f.params.iter().skip(first).all(|p| p.optional),
                    "`{}` has a required parameter after an optional one",
                    f.name
                );
            }
        }
    }

    #[test]
    fn lazy_functions_are_not_called_here() {
        let try_ = lookup("try");
        assert_eq!(try_.map(Function::is_lazy), Some(true));
        assert_eq!(
            show("try", &[s("a")]),
            "error: `try` is evaluated lazily by the evaluator"
        );
        assert_eq!(
            lookup("can").map(|f| f.ret.general().clone()),
            Some(Type::Bool)
        );
        assert_eq!(lookup("join").map(Function::is_lazy), Some(false));
    }

    #[test]
    fn arity_is_checked() {
        assert_eq!(
            show("upper", &[]),
            "error: `upper` expects 1 argument, got 0"
        );
        assert_eq!(
            show("upper", &[s("a"), s("b")]),
            "error(arg 1): `upper` expects 1 argument, got 2"
        );
        assert_eq!(
            show("lookup", &[]),
            "error: `lookup` expects 2 to 3 arguments, got 0"
        );
        assert_eq!(
            show("max", &[]),
            "error: `max` expects at least 1 argument, got 0"
        );
    }

    #[test]
    fn argument_types_are_checked_with_the_argument_index() {
        assert_eq!(
            show("upper", &[n(1.0)]),
            "error(arg 0): invalid value for `string`: expected string, found number"
        );
        assert_eq!(
            show("join", &[s(","), Value::list([s("a"), n(1.0)])]),
            "error(arg 1): invalid value for `lists`: at `[1]`: expected string, found number"
        );
        assert_eq!(
            show("upper", &[Value::null()]),
            "error(arg 0): `string` must not be null"
        );
    }

    #[test]
    fn unknown_arguments_give_unknown_results_of_the_return_type() {
        let r = call("upper", &[Value::unknown(Type::String)]);
        assert_eq!(r, Ok(Value::unknown(Type::String)));
        let r = call(
            "join",
            &[s(","), Value::list([s("a"), Value::unknown(Type::String)])],
        );
        assert_eq!(r, Ok(Value::unknown(Type::String)));
        let r = call(
            "concat",
            &[
                Value::unknown(Type::list(Type::Number)),
                Value::list([n(1.0)]),
            ],
        );
        assert_eq!(r, Ok(Value::unknown(Type::list(Type::Number))));
    }

    #[test]
    fn sensitive_arguments_give_sensitive_results() {
        let r = call("upper", &[s("secret").mark_sensitive()]);
        assert_eq!(r.as_ref().map(Value::is_sensitive), Ok(true));
        assert_eq!(r.map(|v| v.to_string()), Ok("(sensitive)".to_owned()));
        // A nested sensitive value makes a derived value sensitive...
        let list = Value::list([s("a"), s("b").mark_sensitive()]);
        let r = call("join", &[s(","), list.clone()]);
        assert_eq!(r.map(|v| v.is_sensitive()), Ok(true));
        // ...but structural functions keep the marks where they were.
        let r = call("concat", &[list, Value::list([s("c")])]);
        assert_eq!(
            r.map(|v| v.to_string()),
            Ok(r#"["a", (sensitive), "c"]"#.to_owned())
        );
        // Unknown results keep the mark too.
        let r = call("upper", &[Value::unknown(Type::String).mark_sensitive()]);
        assert_eq!(r.map(|v| v.is_sensitive()), Ok(true));
    }

    #[test]
    fn errors_do_not_reveal_sensitive_text() {
        let r = call("tonumber", &[s("hunter2").mark_sensitive()]);
        let message = r.err().map(|e| e.message).unwrap_or_default();
        assert!(!message.contains("hunter2"), "{message}");
        assert!(message.contains("(sensitive)"), "{message}");
    }

    #[test]
    fn check_types_reads_the_signature() {
        let join = lookup("join");
        assert_eq!(
            join.map(|f| f.check_types(&[Type::String, Type::list(Type::String)])),
            Some(Ok(Type::String))
        );
        assert_eq!(
            join.map(|f| f.check_types(&[Type::String, Type::list(Type::Number)])),
            Some(Err(FunctionError::arg(
                1,
                "invalid value for `lists`: expected list(string), found list(number)"
            )))
        );
        assert!(join
            .map(|f| f.check_types(&[Type::String]))
            .is_some_and(|r| r.is_err()));
        assert!(lookup("upper")
            .map(|f| f.check_types(&[Type::Null]))
            .is_some_and(|r| r.is_err()));
        let element =
            lookup("element").map(|f| f.check_types(&[Type::list(Type::Bool), Type::Number]));
        assert_eq!(element, Some(Ok(Type::Bool)));
    }

    #[test]
    fn signatures_render() {
        assert_eq!(
            lookup("join").map(Function::signature).as_deref(),
            Some("join(separator: string, lists...: list(string)) -> string")
        );
        assert_eq!(
            lookup("env_var").map(Function::signature).as_deref(),
            Some("env_var(name: string, default?: string) -> string")
        );
        assert_eq!(
            lookup("max").map(|f| format!("{f:?}")).as_deref(),
            Some("max(numbers...: number) -> number")
        );
        assert_eq!(lookup("min").map(Function::min_args), Some(1));
        assert_eq!(lookup("min").and_then(Function::max_args), None);
        assert_eq!(lookup("lookup").and_then(Function::max_args), Some(3));
        assert_eq!(
            lookup("lookup")
                .and_then(|f| f.param_for(2))
                .map(|p| p.name),
            Some("default")
        );
        assert_eq!(lookup("bcrypt").map(|f| f.deterministic), Some(false));
        assert_eq!(lookup("sha1").map(|f| f.category), Some(Category::Hashing));
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("jsonencod"), Some("jsonencode"));
        assert_eq!(suggest("lenght"), Some("length"));
        assert_eq!(suggest("qqqqqq"), None);
    }

    #[test]
    fn dedent_trims_doc_text() {
        assert_eq!(dedent(" a\n   b\n\n c\n"), "a\n  b\n\nc");
    }

    #[test]
    fn values_and_contexts_can_be_shared_across_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<Value>();
        shared::<CallContext<'static>>();
        shared::<&'static Function>();
    }

    #[test]
    fn call_context_builders() {
        let world = aic_lang::world::MemoryWorld::new().with_env("X", "1");
        let renderer = |_: &str, _: &Value| Ok(Value::string("r"));
        let ctx = test_support::ctx()
            .with_stage(EvalStage::Apply)
            .with_world(&world)
            .with_template_renderer(&renderer);
        assert_eq!(ctx.stage, EvalStage::Apply);
        assert_eq!(ctx.world.env("X").as_deref(), Some("1"));
        assert!(ctx.render_template.is_some());
        assert_eq!(ReturnType::Fixed(Type::Bool).resolve(&[]), Type::Bool);
    }
}
