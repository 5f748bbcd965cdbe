//! `env_var` (environment variables, read through the call context) and `duration`
//! (durations such as `"5m"` to seconds).

use aic_lang::types::Type;
use aic_lang::value::Value;

use crate::{args, builtin, Category, Function, FunctionError};

pub(crate) fn functions() -> Vec<Function> {
    vec![
        Function::eager("env_var", Category::Environment, env_var::DOC, env_var)
            .param("name", Type::String)
            .optional("default", Type::String)
            .returns(Type::String),
        Function::eager("duration", Category::Durations, duration::DOC, duration)
            .param("duration", Type::String)
            .returns(Type::Number),
    ]
}

builtin! {
    /// The value of an environment variable, or `default` when it is not set (an error
    /// when no default is given). A constant: read once, before planning.
    ///
    /// `env_var("AIC_PG_URL")`; `env_var("LOG_LEVEL", "info")`.
    fn env_var(ctx, args) {
        let name = args::string(args, 0)?;
        if name.is_empty() || name.contains(['=', '\0']) {
            return Err(FunctionError::arg(
                0,
                format!("{} is not a valid environment variable name", Value::string(name)),
            ));
        }
        match ((ctx.env)(name), args::optional(args, 1)) {
            (Some(value), _) => Ok(Value::string(value)),
            (None, Some(default)) => Ok(default.clone()),
            (None, None) => Err(FunctionError::arg(
                0,
                format!("the environment variable {name} is not set, and no default is given"),
            )),
        }
    }
}

/// Seconds per unit of a duration.
const UNITS: &[(&str, f64)] = &[
    ("ms", 0.001),
    ("s", 1.0),
    ("m", 60.0),
    ("h", 3600.0),
    ("d", 86_400.0),
];

fn parse_duration(text: &str) -> Option<f64> {
    if text == "0" {
        return Some(0.0);
    }
    let mut rest = text;
    let mut total = 0.0;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_end);
        let amount: f64 = number.parse().ok()?;
        let unit_end = after
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_end);
        let seconds = UNITS.iter().find(|(name, _)| *name == unit)?.1;
        total += amount * seconds;
        rest = after;
    }
    Some(total)
}

builtin! {
    /// A duration as a number of seconds. A duration is one or more amounts with a unit:
    /// `ms`, `s`, `m`, `h` or `d`.
    ///
    /// `duration("5m")` is `300`; `duration("1h30m")` is `5400`; `duration("1.5s")` is
    /// `1.5`; `duration("250ms")` is `0.25`.
    fn duration(_ctx, args) {
        let text = args::string(args, 0)?;
        parse_duration(text).map(Value::number).ok_or_else(|| {
            FunctionError::arg(
                0,
                format!(
                    "{} is not a duration; write amounts with units ms, s, m, h or d, such as \"90s\" or \"1h30m\"",
                    Value::string(text)
                ),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use aic_lang::value::Value;

    use crate::test_support::*;

    #[test]
    fn environment_variables() {
        let env = |name: &str| (name == "AIC_TEST_SET").then(|| "yes".to_owned());
        let ctx = ctx().with_env(&env);
        assert_eq!(
            render(call_in(&ctx, "env_var", &[s("AIC_TEST_SET")])),
            r#""yes""#
        );
        assert_eq!(
            render(call_in(&ctx, "env_var", &[s("AIC_TEST_SET"), s("no")])),
            r#""yes""#
        );
        assert_eq!(
            render(call_in(&ctx, "env_var", &[s("AIC_TEST_UNSET"), s("no")])),
            r#""no""#
        );
        assert_eq!(
            render(call_in(&ctx, "env_var", &[s("AIC_TEST_UNSET")])),
            "error(arg 0): the environment variable AIC_TEST_UNSET is not set, and no default is given"
        );
        assert_eq!(
            render(call_in(&ctx, "env_var", &[s("A=B")])),
            r#"error(arg 0): "A=B" is not a valid environment variable name"#
        );
        assert_eq!(
            render(call_in(&ctx, "env_var", &[s("X"), Value::null()])),
            "error(arg 1): `default` must not be null"
        );
        // The default context reads the process environment.
        assert!(show("env_var", &[s("PATH")]).starts_with('"'));
    }

    #[test]
    fn durations() {
        assert_eq!(show("duration", &[s("5m")]), "300");
        assert_eq!(show("duration", &[s("10s")]), "10");
        assert_eq!(show("duration", &[s("1h30m")]), "5400");
        assert_eq!(show("duration", &[s("1.5s")]), "1.5");
        assert_eq!(show("duration", &[s("250ms")]), "0.25");
        assert_eq!(show("duration", &[s("2d")]), "172800");
        assert_eq!(show("duration", &[s("0")]), "0");
        for bad in ["", "5", "m", "5x", "-5m", "5 m", "1..5s"] {
            assert!(
                show("duration", &[s(bad)]).starts_with("error(arg 0): "),
                "{bad:?} should be refused"
            );
        }
    }
}
