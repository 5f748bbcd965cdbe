//! Evaluator tests: unknown and sensitive marks propagate through every kind of
//! expression, and errors point at the right place.

use aic_lang::eval::{Evaluator, FunctionFailure, Functions, Scope, ScopeMiss};
use aic_lang::source::FileId;
use aic_lang::syntax::parse_expr;
use aic_lang::types::Type;
use aic_lang::value::Value;

/// A scope with `secret` (sensitive string), `id` (unknown string), `n` (3), `xs` (a list
/// with one unknown element) and `m` (a map).
struct TestScope;

impl Scope for TestScope {
    fn resolve(&self, path: &[&str]) -> Result<(Value, usize), ScopeMiss> {
        let v = match path.first().copied() {
            Some("secret") => Value::string("hunter2").mark_sensitive(),
            Some("id") => Value::unknown(Type::String),
            Some("n") => Value::number(3.0),
            Some("xs") => Value::tuple([
                Value::string("a"),
                Value::unknown(Type::String),
                Value::string("c"),
            ]),
            Some("m") => Value::object([("a", Value::number(1.0)), ("b", Value::number(2.0))]),
            Some("flag") => Value::unknown(Type::Bool),
            other => {
                return Err(ScopeMiss {
                    segment: 0,
                    code: &aic_lang::codes::E0202,
                    label: format!("`{}` is not defined", other.unwrap_or("")),
                    help: None,
                })
            }
        };
        Ok((v, 1))
    }
}

/// `upper(s)` and `length(xs)`, with the usual mark rules.
struct TestFunctions;

impl Functions for TestFunctions {
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, FunctionFailure>> {
        let sensitive = args.iter().any(Value::contains_sensitive);
        Some(match name {
            "upper" => match args.first() {
                Some(v) if !v.is_known() => {
                    Ok(Value::unknown(Type::String).with_sensitive(sensitive))
                }
                Some(v) => match v.as_str() {
                    Some(s) => Ok(Value::string(s.to_uppercase()).with_sensitive(sensitive)),
                    None => Err(FunctionFailure {
                        arg: Some(0),
                        message: "expected a string".into(),
                    }),
                },
                None => Err(FunctionFailure {
                    arg: None,
                    message: "needs one argument".into(),
                }),
            },
            "length" => match args.first().and_then(Value::as_elements) {
                Some(xs) => Ok(Value::number(xs.len() as f64)),
                None => Err(FunctionFailure {
                    arg: Some(0),
                    message: "expected a list".into(),
                }),
            },
            _ => return None,
        })
    }

    fn names(&self) -> Vec<&str> {
        vec!["upper", "length"]
    }
}

fn eval(src: &str) -> Result<Value, aic_lang::eval::EvalError> {
    let e = parse_expr(FileId(0), src).unwrap_or_else(|d| panic!("{src}: {d:?}"));
    Evaluator::new(&TestScope, &TestFunctions).eval(&e)
}

fn ok(src: &str) -> Value {
    eval(src).unwrap_or_else(|e| panic!("{src}: {e:?}"))
}

#[test]
fn arithmetic_and_precedence() {
    assert_eq!(ok("1 + 2 * 3"), Value::number(7.0));
    assert_eq!(ok("(1 + 2) * 3"), Value::number(9.0));
    assert_eq!(ok("10 % 4 - 1"), Value::number(1.0));
    assert_eq!(ok("-n + 1"), Value::number(-2.0));
    assert_eq!(ok("n > 2 && !(n == 4)"), Value::bool(true));
    assert_eq!(ok("null ?? \"fallback\""), Value::string("fallback"));
    assert_eq!(ok("n == 3 ? \"three\" : \"other\""), Value::string("three"));
}

#[test]
fn unknown_propagates_through_operators_and_templates() {
    let v = ok("\"id-${id}\"");
    assert_eq!(v.unknown_type(), Some(&Type::String));
    let v = ok("length(xs) + 1");
    assert_eq!(
        v,
        Value::number(4.0),
        "length of a list with an unknown element is known"
    );
    let v = ok("upper(id)");
    assert_eq!(v.unknown_type(), Some(&Type::String));
    let v = ok("id == \"x\"");
    assert_eq!(v.unknown_type(), Some(&Type::Bool));
}

#[test]
fn unknown_condition_gives_unknown_of_the_unified_type() {
    let v = ok("flag ? \"a\" : \"b\"");
    assert_eq!(v.unknown_type(), Some(&Type::String));
    // A known-false short-circuit does not look at the unknown side.
    assert_eq!(ok("false && flag"), Value::bool(false));
    assert_eq!(ok("true || flag"), Value::bool(true));
}

#[test]
fn for_expressions_keep_unknown_elements_and_marks() {
    let v = ok("[for x in xs : upper(x)]");
    let elems = v.as_elements().expect("a list");
    assert_eq!(elems.len(), 3);
    assert_eq!(elems[0], Value::string("A"));
    assert!(!elems[1].is_known());
    let v = ok("[for x in xs : \"${x}-${secret}\"]");
    assert!(v.as_elements().unwrap().iter().all(Value::is_sensitive));
    let v = ok("{ for k, v in m : k => v * 10 if v > 1 }");
    assert_eq!(v, Value::object([("b", Value::number(20.0))]));
}

#[test]
fn sensitive_propagates_through_functions_conditionals_and_collections() {
    assert!(ok("upper(secret)").is_sensitive());
    assert!(ok("n > 1 ? secret : \"x\"").is_sensitive());
    assert!(ok("\"pw=${secret}\"").is_sensitive());
    assert!(ok("[secret, \"x\"]").contains_sensitive());
    assert!(ok("{ a = secret }").contains_sensitive());
    assert!(!ok("upper(\"x\")").is_sensitive());
}

#[test]
fn errors_point_at_the_offending_expression() {
    let e = eval("\"a\" + 1").unwrap_err();
    assert_eq!(e.code.id, "E0301");
    assert_eq!(
        (e.span.start, e.span.end),
        (0, 3),
        "points at the string operand"
    );
    let e = eval("upper(1)").unwrap_err();
    assert_eq!(e.code.id, "E0404");
    assert_eq!((e.span.start, e.span.end), (6, 7), "points at the argument");
    let e = eval("uper(\"x\")").unwrap_err();
    assert_eq!(e.code.id, "E0204");
    assert_eq!(e.help.as_deref(), Some("Did you mean `upper`?"));
    let e = eval("[1, 2][5]").unwrap_err();
    assert_eq!(e.code.id, "E0401");
    let e = eval("m.c").unwrap_err();
    assert_eq!(e.code.id, "E0214");
    let e = eval("\"${m}\"").unwrap_err();
    assert_eq!(e.code.id, "E0302");
    let e = eval("nope").unwrap_err();
    assert_eq!(e.code.id, "E0202");
}

#[test]
fn try_and_can_turn_errors_into_values() {
    assert_eq!(ok("try(m.c, 7)"), Value::number(7.0));
    assert_eq!(ok("can(m.c)"), Value::bool(false));
    assert_eq!(ok("can(m.a)"), Value::bool(true));
}

#[test]
fn splat_and_expansion() {
    let v = ok("[{ a = 1 }, { a = 2 }][*].a");
    assert_eq!(v, Value::tuple([Value::number(1.0), Value::number(2.0)]));
    assert_eq!(ok("length([xs]...)"), Value::number(3.0));
}
