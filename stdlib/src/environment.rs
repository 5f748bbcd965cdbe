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
        match (ctx.world.env(name), args::optional(args, 1)) {
            (Some(value), _) => Ok(Value::string(value)),
            (None, Some(default)) => Ok(default.clone()),
            (None, None) => Err(FunctionError::arg(
                0,
                format!("the environment variable {name} is not set, and no default is given"),
            )),
        }
    }
}

builtin! {
    /// A duration as a number of seconds. A duration is one or more amounts with a unit
    /// (`ns`, `us`, `ms`, `s`, `m`, `h` or `d`), the grammar of every duration in aic.
    ///
    /// `duration("5m")` is `300`; `duration("1h30m")` is `5400`; `duration("1.5s")` is
    /// `1.5`; `duration("250ms")` is `0.25`.
    fn duration(_ctx, args) {
        let text = args::string(args, 0)?;
        aic_lang::duration::Duration::parse(text)
            .map(|d| Value::number(d.as_duration().as_secs_f64()))
            .map_err(|e| FunctionError::arg(0, e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use aic_lang::value::Value;

    use crate::test_support::*;

    #[test]
    fn environment_variables() {
        let world = aic_lang::world::MemoryWorld::new().with_env("AIC_TEST_SET", "yes");
        let ctx = ctx().with_world(&world);
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
