//! The verbs of `format` (printf-style, as Terraform's): `%%`, `%v`, `%#v`, `%t`, `%d`,
//! `%b`, `%o`, `%x`, `%X`, `%e`, `%E`, `%f`, `%F`, `%g`, `%G`, `%s`, `%q`, with the flags
//! `+ - 0 # space`, a width, a precision and an explicit argument index (`%[2]s`).

use aic_lang::value::{format_number, quote_string, Value, ValueKind};

use crate::FunctionError;

#[derive(Default)]
struct Spec {
    minus: bool,
    plus: bool,
    space: bool,
    zero: bool,
    sharp: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

/// Formats `values` by `template`. `offset` is the index of the first value among the
/// call's arguments, for error positions.
pub(crate) fn format(
    template: &str,
    values: &[Value],
    offset: usize,
) -> Result<String, FunctionError> {
    let template_error = |message: String| FunctionError::arg(0, message);
    let mut out = String::new();
    let mut chars = template.chars().peekable();
    let mut next_value = 0usize;
    let mut used = vec![false; values.len()];
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&flag) = chars.peek() {
            match flag {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                '#' => spec.sharp = true,
                _ => break,
            }
            chars.next();
        }
        if chars.peek() == Some(&'[') {
            chars.next();
            let digits = take_digits(&mut chars);
            if chars.next() != Some(']') {
                return Err(template_error(
                    "expected `]` after an argument index".into(),
                ));
            }
            let position: usize = digits
                .parse()
                .ok()
                .filter(|p| *p >= 1)
                .ok_or_else(|| template_error("argument indexes start at 1".into()))?;
            next_value = position - 1;
        }
        let width = take_digits(&mut chars);
        if !width.is_empty() {
            spec.width = width.parse().ok();
        }
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.precision = Some(take_digits(&mut chars).parse().unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            return Err(template_error(
                "the format string ends in the middle of a verb".into(),
            ));
        };
        let Some(value) = values.get(next_value) else {
            return Err(FunctionError::call(format!(
                "not enough arguments for the format string: `%{verb}` needs argument {}",
                next_value + 1
            )));
        };
        if let Some(flag) = used.get_mut(next_value) {
            *flag = true;
        }
        let arg_index = offset + next_value;
        next_value += 1;
        let text = format_one(verb, &spec, value)
            .map_err(|message| FunctionError::arg(arg_index, message))?;
        out.push_str(&pad(&spec, text, verb));
    }
    if let Some(unused) = used.iter().position(|u| !u) {
        return Err(FunctionError::arg(
            offset + unused,
            format!(
                "too many arguments: the format string uses {} of {}",
                used.iter().filter(|u| **u).count(),
                values.len()
            ),
        ));
    }
    Ok(out)
}

fn take_digits(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> String {
    let mut digits = String::new();
    while let Some(&d) = chars.peek() {
        if !d.is_ascii_digit() {
            break;
        }
        digits.push(d);
        chars.next();
    }
    digits
}

fn format_one(verb: char, spec: &Spec, value: &Value) -> Result<String, String> {
    let kind_name = || value.type_of().to_string();
    let unsupported = || format!("`%{verb}` cannot format a {}", kind_name());
    match verb {
        'v' => Ok(if spec.sharp {
            json(value)?
        } else {
            match value.kind() {
                ValueKind::String(s) => s.clone(),
                ValueKind::Number(n) => signed(format_number(*n), *n, spec),
                _ => json(value)?,
            }
        }),
        's' => {
            let text = match value.kind() {
                ValueKind::String(s) => s.clone(),
                ValueKind::Number(n) => format_number(*n),
                ValueKind::Bool(b) => b.to_string(),
                ValueKind::Null => return Err(format!("`%{verb}` cannot format null")),
                _ => return Err(unsupported()),
            };
            Ok(match spec.precision {
                Some(p) => text.chars().take(p).collect(),
                None => text,
            })
        }
        'q' => match value.kind() {
            ValueKind::String(s) => Ok(quote_string(s)),
            _ => Err(unsupported()),
        },
        't' => value
            .as_bool()
            .map(|b| b.to_string())
            .ok_or_else(unsupported),
        'd' | 'b' | 'o' | 'x' | 'X' => {
            let n = value.as_number().ok_or_else(unsupported)?;
            let i = crate::args::whole(n).ok_or_else(|| {
                format!("`%{verb}` needs a whole number, found {}", format_number(n))
            })?;
            let magnitude = i.unsigned_abs();
            let (digits, prefix) = match verb {
                'b' => (format!("{magnitude:b}"), "0b"),
                'o' => (format!("{magnitude:o}"), "0o"),
                'x' => (format!("{magnitude:x}"), "0x"),
                'X' => (format!("{magnitude:X}"), "0X"),
                _ => (magnitude.to_string(), ""),
            };
            let digits = if spec.sharp {
                format!("{prefix}{digits}")
            } else {
                digits
            };
            Ok(signed(digits, n, spec))
        }
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
            let n = value.as_number().ok_or_else(unsupported)?;
            let text = match verb {
                'e' | 'E' => exponent(n.abs(), spec.precision.unwrap_or(6)),
                'f' | 'F' => format!("{:.*}", spec.precision.unwrap_or(6), n.abs()),
                _ => match spec.precision {
                    Some(p) => format!("{:.*}", p, n.abs()),
                    None => format_number(n.abs()),
                },
            };
            let text = if verb.is_ascii_uppercase() {
                text.to_uppercase()
            } else {
                text
            };
            Ok(signed(text, n, spec))
        }
        other => Err(format!("unknown verb `%{other}`")),
    }
}

/// Prefixes the sign of `n` to `digits` (the magnitude), as the flags ask.
fn signed(digits: String, n: f64, spec: &Spec) -> String {
    let digits = digits.trim_start_matches('-').to_owned();
    if n < 0.0 {
        format!("-{digits}")
    } else if spec.plus {
        format!("+{digits}")
    } else if spec.space {
        format!(" {digits}")
    } else {
        digits
    }
}

/// `1.5e+03`, as printf writes exponents.
fn exponent(n: f64, precision: usize) -> String {
    let text = format!("{n:.precision$e}");
    match text.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => text,
    }
}

fn json(value: &Value) -> Result<String, String> {
    value
        .to_json()
        .map(|j| j.to_string())
        .map_err(|e| e.to_string())
}

fn pad(spec: &Spec, text: String, verb: char) -> String {
    let Some(width) = spec.width else {
        return text;
    };
    let len = text.chars().count();
    if len >= width {
        return text;
    }
    let fill = width - len;
    let numeric = "dboxXeEfFgG".contains(verb);
    if spec.minus {
        format!("{text}{}", " ".repeat(fill))
    } else if spec.zero && numeric {
        let sign_len = usize::from(text.starts_with(['-', '+', ' ']));
        let (sign, rest) = text.split_at(sign_len);
        format!("{sign}{}{rest}", "0".repeat(fill))
    } else {
        format!("{}{text}", " ".repeat(fill))
    }
}
