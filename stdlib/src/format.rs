//! The verbs of `format` (printf-style, as Terraform's): `%%`, `%v`, `%#v`, `%t`, `%d`,
//! `%b`, `%o`, `%x`, `%X`, `%e`, `%E`, `%f`, `%F`, `%g`, `%G`, `%s`, `%q`, with the flags
//! `+ - 0 # space`, a width, a precision and an explicit argument index (`%[2]s`).

use aic_lang::value::{format_number, Value, ValueKind};

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
        let numeric = "dboxXeEfFgG".contains(verb)
            || (verb == 'v' && matches!(value.kind(), ValueKind::Number(_)));
        out.push_str(&pad(&spec, text, numeric));
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
                // As Terraform: the shortest `%g`, without sign flags or precision.
                ValueKind::Number(n) => general(*n, None),
                _ => json(value)?,
            }
        }),
        's' | 'q' => {
            let text = match value.kind() {
                ValueKind::String(s) => s.clone(),
                ValueKind::Number(n) => format_number(*n),
                ValueKind::Bool(b) => b.to_string(),
                ValueKind::Null => return Err(format!("`%{verb}` cannot format null")),
                _ => return Err(unsupported()),
            };
            if verb == 'q' {
                return Ok(crate::encoding::json_string(&text));
            }
            Ok(match spec.precision {
                Some(p) => text.chars().take(p).collect(),
                None => text,
            })
        }
        't' => value
            .as_bool()
            .map(|b| b.to_string())
            .ok_or_else(unsupported),
        'd' | 'b' | 'o' | 'x' | 'X' => {
            let n = value.as_number().ok_or_else(unsupported)?;
            // 2^127: whole numbers below it in magnitude fit an i128.
            const LIMIT: f64 = 170_141_183_460_469_231_731_687_303_715_884_105_728.0;
            if !(n.fract() == 0.0 && n.abs() < LIMIT) {
                return Err(format!(
                    "`%{verb}` needs a whole number, found {}",
                    format_number(n)
                ));
            }
            let magnitude = (n as i128).unsigned_abs();
            let (digits, prefix) = match verb {
                'b' => (format!("{magnitude:b}"), "0b"),
                'o' => (format!("{magnitude:o}"), "0"),
                'x' => (format!("{magnitude:x}"), "0x"),
                'X' => (format!("{magnitude:X}"), "0X"),
                _ => (magnitude.to_string(), ""),
            };
            let digits = if spec.sharp && !(verb == 'o' && digits.starts_with('0')) {
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
                _ => general(n.abs(), spec.precision),
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

/// The decimal digits of `|n|` (no trailing zeros; none for zero) and the position of
/// the decimal point, so that `|n|` is `0.DIGITS × 10^point`: the shortest digits that
/// read back as `n`, or `significant` digits rounded.
fn decimal(n: f64, significant: Option<usize>) -> (Vec<u8>, i32) {
    if n == 0.0 {
        return (Vec::new(), 0);
    }
    let text = match significant {
        Some(p) => format!("{:.*e}", p.saturating_sub(1), n.abs()),
        None => format!("{:e}", n.abs()),
    };
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let mut digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    (digits, exp.parse::<i32>().unwrap_or(0) + 1)
}

/// `%g`, as Go's `big.Float` writes it (Terraform's numbers): the shortest digits when no
/// precision is given, with an exponent when it is below -4 or at least the precision
/// (6 for the shortest form).
fn general(n: f64, precision: Option<usize>) -> String {
    let shortest = precision.is_none();
    let (digits, point) = decimal(n, precision.map(|p| p.max(1)));
    let len = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    let mut prec = precision.map_or(len, |p| i32::try_from(p.max(1)).unwrap_or(i32::MAX));
    let mut eprec = prec;
    if eprec > len && len >= point {
        eprec = len;
    }
    if shortest {
        eprec = 6;
    }
    let exp = point - 1;
    let sign = if n < 0.0 { "-" } else { "" };
    if exp < -4 || exp >= eprec {
        prec = prec.min(len);
        return format!("{sign}{}", fmt_e(&digits, point, prec - 1));
    }
    if prec > point {
        prec = len;
    }
    format!("{sign}{}", fmt_f(&digits, point, (prec - point).max(0)))
}

fn digit_at(digits: &[u8], i: i32) -> char {
    usize::try_from(i)
        .ok()
        .and_then(|i| digits.get(i))
        .map_or('0', |d| char::from(*d))
}

/// `D.DDDe±XX` with `decimals` digits after the point.
fn fmt_e(digits: &[u8], point: i32, decimals: i32) -> String {
    let mut out = String::new();
    out.push(digit_at(digits, 0));
    if decimals > 0 {
        out.push('.');
        for i in 1..=decimals {
            out.push(digit_at(digits, i));
        }
    }
    let exp = if digits.is_empty() { 0 } else { point - 1 };
    let sign = if exp < 0 { '-' } else { '+' };
    out.push_str(&format!("e{sign}{:02}", exp.abs()));
    out
}

/// `DDD.DDD` with `decimals` digits after the point.
fn fmt_f(digits: &[u8], point: i32, decimals: i32) -> String {
    let mut out = String::new();
    if point > 0 {
        for i in 0..point {
            out.push(digit_at(digits, i));
        }
    } else {
        out.push('0');
    }
    if decimals > 0 {
        out.push('.');
        for i in 0..decimals {
            out.push(digit_at(digits, point + i));
        }
    }
    out
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
    crate::encoding::json_text(value).map_err(|e| e.to_string())
}

fn pad(spec: &Spec, text: String, numeric: bool) -> String {
    let Some(width) = spec.width else {
        return text;
    };
    let len = text.chars().count();
    if len >= width {
        return text;
    }
    let fill = width - len;
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
