//! Number functions: `min max abs ceil floor pow parseint`.

use aic_lang::types::Type;
use aic_lang::value::Value;

use crate::{args, builtin, Category, Function, FunctionError};

pub(crate) fn functions() -> Vec<Function> {
    let f = |name, doc, body| Function::eager(name, Category::Numbers, doc, body);
    let unary = |name, doc, body| {
        f(name, doc, body)
            .param("number", Type::Number)
            .returns(Type::Number)
    };
    vec![
        f("min", min::DOC, min)
            .variadic_required("numbers", Type::Number)
            .returns(Type::Number),
        f("max", max::DOC, max)
            .variadic_required("numbers", Type::Number)
            .returns(Type::Number),
        unary("abs", abs::DOC, abs),
        unary("ceil", ceil::DOC, ceil),
        unary("floor", floor::DOC, floor),
        f("pow", pow::DOC, pow)
            .param("base", Type::Number)
            .param("exponent", Type::Number)
            .returns(Type::Number),
        f("parseint", parseint::DOC, parseint)
            .param("string", Type::String)
            .param("base", Type::Number)
            .returns(Type::Number),
    ]
}

fn numbers(args: &[Value]) -> Result<Vec<f64>, FunctionError> {
    (0..args.len()).map(|i| args::number(args, i)).collect()
}

builtin! {
    /// The smallest of the numbers. `min(3, 1, 2)` is `1`.
    fn min(_ctx, args) {
        Ok(Value::number(numbers(args)?.into_iter().fold(f64::INFINITY, f64::min)))
    }
}

builtin! {
    /// The largest of the numbers. `max(3, 1, 2)` is `3`.
    fn max(_ctx, args) {
        Ok(Value::number(numbers(args)?.into_iter().fold(f64::NEG_INFINITY, f64::max)))
    }
}

builtin! {
    /// The absolute value. `abs(-3.5)` is `3.5`.
    fn abs(_ctx, args) {
        Ok(Value::number(args::number(args, 0)?.abs()))
    }
}

builtin! {
    /// The smallest whole number not below the number. `ceil(1.2)` is `2`.
    fn ceil(_ctx, args) {
        Ok(Value::number(args::number(args, 0)?.ceil()))
    }
}

builtin! {
    /// The largest whole number not above the number. `floor(1.8)` is `1`.
    fn floor(_ctx, args) {
        Ok(Value::number(args::number(args, 0)?.floor()))
    }
}

builtin! {
    /// `base` raised to `exponent`. `pow(2, 10)` is `1024`. A result that is not a finite
    /// number (`pow(-8, 0.5)`) is an error.
    fn pow(_ctx, args) {
        let base = args::number(args, 0)?;
        let exponent = args::number(args, 1)?;
        let result = base.powf(exponent);
        if !result.is_finite() {
            return Err(FunctionError::call(format!(
                "{} to the power {} is not a finite number",
                Value::number(base),
                Value::number(exponent)
            )));
        }
        Ok(Value::number(result))
    }
}

builtin! {
    /// Parses a whole number written in `base` (2 to 62), with an optional sign. Digits
    /// past 9 are letters; up to base 36 their case does not matter, above it lower case
    /// comes first.
    ///
    /// `parseint("ff", 16)` is `255`; `parseint("-101", 2)` is `-5`.
    fn parseint(_ctx, args) {
        let text = args::string(args, 0)?;
        let base = args::integer(args, 1)?;
        if !(2..=62).contains(&base) {
            return Err(FunctionError::arg(1, format!("the base must be from 2 to 62, got {base}")));
        }
        let base = u32::try_from(base).unwrap_or(10);
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        if digits.is_empty() {
            return Err(FunctionError::arg(0, format!("{} is not a number", Value::string(text))));
        }
        // Exact while it fits an i128, then the nearest double.
        let mut total: i128 = 0;
        let mut large: Option<f64> = None;
        for c in digits.chars() {
            let digit = match c {
                '0'..='9' => u32::from(c) - u32::from('0'),
                'a'..='z' => u32::from(c) - u32::from('a') + 10,
                'A'..='Z' if base <= 36 => u32::from(c) - u32::from('A') + 10,
                'A'..='Z' => u32::from(c) - u32::from('A') + 36,
                _ => u32::MAX,
            };
            if digit >= base {
                return Err(FunctionError::arg(
                    0,
                    format!("{} is not a number in base {base}", Value::string(text)),
                ));
            }
            match large {
                Some(l) => large = Some(l * f64::from(base) + f64::from(digit)),
                None => match total
                    .checked_mul(i128::from(base))
                    .and_then(|t| t.checked_add(i128::from(digit)))
                {
                    Some(t) => total = t,
                    None => large = Some(total as f64 * f64::from(base) + f64::from(digit)),
                },
            }
        }
        let magnitude = large.unwrap_or(total as f64);
        if !magnitude.is_finite() {
            return Err(FunctionError::arg(0, "the number is too large"));
        }
        Ok(Value::number(if negative { -magnitude } else { magnitude }))
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn min_max() {
        assert_eq!(show("min", &[n(3.0), n(1.0), n(2.0)]), "1");
        assert_eq!(show("max", &[n(3.0), n(1.0), n(2.0)]), "3");
        assert_eq!(show("max", &[n(-1.5)]), "-1.5");
        assert_eq!(
            show("min", &[]),
            "error: `min` expects at least 1 argument, got 0"
        );
        assert_eq!(
            show("max", &[n(1.0), s("2")]),
            "error(arg 1): invalid value for `numbers`: expected number, found string"
        );
    }

    #[test]
    fn rounding_and_abs() {
        assert_eq!(show("abs", &[n(-3.5)]), "3.5");
        assert_eq!(show("ceil", &[n(1.2)]), "2");
        assert_eq!(show("ceil", &[n(-1.2)]), "-1");
        assert_eq!(show("floor", &[n(1.8)]), "1");
        assert_eq!(show("floor", &[n(-1.2)]), "-2");
        assert_eq!(
            show("floor", &[s("1")]),
            "error(arg 0): invalid value for `number`: expected number, found string"
        );
    }

    #[test]
    fn powers() {
        assert_eq!(show("pow", &[n(2.0), n(10.0)]), "1024");
        assert_eq!(show("pow", &[n(4.0), n(0.5)]), "2");
        assert_eq!(
            show("pow", &[n(-8.0), n(0.5)]),
            "error: -8 to the power 0.5 is not a finite number"
        );
    }

    #[test]
    fn parse_integers() {
        assert_eq!(show("parseint", &[s("ff"), n(16.0)]), "255");
        assert_eq!(show("parseint", &[s("FF"), n(16.0)]), "255");
        assert_eq!(show("parseint", &[s("-101"), n(2.0)]), "-5");
        assert_eq!(show("parseint", &[s("+12"), n(10.0)]), "12");
        assert_eq!(show("parseint", &[s("Z"), n(62.0)]), "61");
        assert_eq!(
            show("parseint", &[s("12"), n(1.0)]),
            "error(arg 1): the base must be from 2 to 62, got 1"
        );
        assert_eq!(
            show("parseint", &[s("129"), n(8.0)]),
            r#"error(arg 0): "129" is not a number in base 8"#
        );
        assert_eq!(
            show("parseint", &[s("-"), n(10.0)]),
            r#"error(arg 0): "-" is not a number"#
        );
        // Past an i128, the nearest double (Terraform's numbers are arbitrary precision).
        assert_eq!(
            show("parseint", &[s(&"z".repeat(30)), n(36.0)]),
            "48873677980689250000000000000000000000000000000"
        );
        assert_eq!(
            show("parseint", &[s(&"z".repeat(300)), n(36.0)]),
            "error(arg 0): the number is too large"
        );
    }
}
