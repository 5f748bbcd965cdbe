//! The one duration type of aic, with its one grammar, used everywhere a duration is
//! written: command-line flags (`--lock-timeout 30s`), rollout blocks (`pause = "5m"`),
//! the `duration()` function and the `time` provider's `create_duration`.
//!
//! The grammar is Go's `time.ParseDuration` (which Terraform's `time` provider uses), with
//! days added: one or more decimal numbers, each with an optional fraction and a unit —
//! `ns`, `us` (or `µs`), `ms`, `s`, `m`, `h`, `d` — such as `500ms`, `90s`, `1m30s`, `1.5h`,
//! `2h`. A leading `+` is allowed; `0` alone needs no unit. Negative durations and bare
//! numbers are refused: nothing in aic waits a negative time, and `30` could mean seconds
//! or minutes.

use std::fmt;
use std::str::FromStr;

/// A non-negative duration written in aic's one grammar. `Display` writes it back the way
/// Go does (`1m30s`, `50ms`, `0s`); [`Duration::short`] writes it in one whole unit where
/// it can (`90s`, `5m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub std::time::Duration);

impl Duration {
    /// `text` read as a duration.
    pub fn parse(text: &str) -> Result<Duration, ParseDurationError> {
        text.parse()
    }

    /// The length of time.
    pub fn as_duration(self) -> std::time::Duration {
        self.0
    }

    /// The shortest way to write this duration to the millisecond in one unit: `5m`,
    /// `90s`, `1500ms`, `0s`. Used where a person reads a setting back.
    pub fn short(self) -> String {
        let ms = self.0.as_millis();
        if ms == 0 {
            "0s".into()
        } else if ms.is_multiple_of(3_600_000) {
            format!("{}h", ms / 3_600_000)
        } else if ms.is_multiple_of(60_000) {
            format!("{}m", ms / 60_000)
        } else if ms.is_multiple_of(1000) {
            format!("{}s", ms / 1000)
        } else {
            format!("{ms}ms")
        }
    }
}

impl From<std::time::Duration> for Duration {
    fn from(d: std::time::Duration) -> Duration {
        Duration(d)
    }
}

impl From<Duration> for std::time::Duration {
    fn from(d: Duration) -> std::time::Duration {
        d.0
    }
}

/// Why a text is not a duration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseDurationError {
    pub input: String,
    pub reason: &'static str,
}

impl std::error::Error for ParseDurationError {}

impl fmt::Display for ParseDurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a duration: {}; write numbers with units (ms, s, m, h, d), such as \"500ms\", \"90s\", \"1m30s\" or \"2h\"",
            self.input, self.reason
        )
    }
}

const NANOS_PER_UNIT: [(&str, u128); 9] = [
    ("ns", 1),
    ("us", 1_000),
    ("\u{b5}s", 1_000),
    ("\u{3bc}s", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
    ("d", 86_400_000_000_000),
];

impl FromStr for Duration {
    type Err = ParseDurationError;

    fn from_str(input: &str) -> Result<Duration, ParseDurationError> {
        let fail = |reason| ParseDurationError {
            input: input.to_owned(),
            reason,
        };
        let mut rest = input.strip_prefix('+').unwrap_or(input);
        if rest.starts_with('-') {
            return Err(fail("it is negative"));
        }
        if rest == "0" {
            return Ok(Duration(std::time::Duration::ZERO));
        }
        if rest.is_empty() {
            return Err(fail("it is empty"));
        }
        let mut total_nanos: u128 = 0;
        while !rest.is_empty() {
            let int_end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            let (int_part, after_int) = rest.split_at(int_end);
            let (frac_part, after_number) = match after_int.strip_prefix('.') {
                Some(after_dot) => {
                    let frac_end = after_dot
                        .find(|c: char| !c.is_ascii_digit())
                        .unwrap_or(after_dot.len());
                    after_dot.split_at(frac_end)
                }
                None => ("", after_int),
            };
            if int_part.is_empty() && frac_part.is_empty() {
                return Err(fail("a number is missing"));
            }
            let unit_end = after_number
                .find(|c: char| c.is_ascii_digit() || c == '.')
                .unwrap_or(after_number.len());
            let (unit, after_unit) = after_number.split_at(unit_end);
            if unit.is_empty() {
                return Err(fail("a unit is missing"));
            }
            let scale = NANOS_PER_UNIT
                .iter()
                .find(|(name, _)| *name == unit)
                .map(|(_, scale)| *scale)
                .ok_or_else(|| fail("the unit is not one of ns, us, ms, s, m, h, d"))?;
            let whole: u128 = if int_part.is_empty() {
                0
            } else {
                int_part.parse().map_err(|_| fail("it is too long"))?
            };
            let mut nanos = whole
                .checked_mul(scale)
                .ok_or_else(|| fail("it is too long"))?;
            // The fraction, digit by digit, truncated below a nanosecond as Go does.
            let mut place = scale;
            for digit in frac_part.bytes() {
                place /= 10;
                if place == 0 {
                    break;
                }
                nanos += u128::from(digit - b'0') * place;
            }
            total_nanos = total_nanos
                .checked_add(nanos)
                .ok_or_else(|| fail("it is too long"))?;
            rest = after_unit;
        }
        let secs =
            u64::try_from(total_nanos / 1_000_000_000).map_err(|_| fail("it is too long"))?;
        let subsec = u32::try_from(total_nanos % 1_000_000_000).unwrap_or(0);
        Ok(Duration(std::time::Duration::new(secs, subsec)))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nanos = self.0.as_nanos();
        if nanos == 0 {
            return f.write_str("0s");
        }
        if nanos < 1_000 {
            return write!(f, "{nanos}ns");
        }
        if nanos < 1_000_000 {
            return write!(f, "{}\u{b5}s", decimal(nanos, 1_000));
        }
        if nanos < 1_000_000_000 {
            return write!(f, "{}ms", decimal(nanos, 1_000_000));
        }
        let hours = nanos / 3_600_000_000_000;
        let minutes = nanos / 60_000_000_000 % 60;
        let seconds = nanos % 60_000_000_000;
        if hours > 0 {
            write!(f, "{hours}h")?;
        }
        if hours > 0 || minutes > 0 {
            write!(f, "{minutes}m")?;
        }
        write!(f, "{}s", decimal(seconds, 1_000_000_000))
    }
}

/// `value / unit` as a decimal without trailing zeros.
fn decimal(value: u128, unit: u128) -> String {
    let whole = value / unit;
    let fraction = value % unit;
    if fraction == 0 {
        return whole.to_string();
    }
    let width = unit.to_string().len() - 1;
    let digits = format!("{fraction:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use std::time::Duration as Std;

    use super::*;

    fn parse(text: &str) -> Result<Std, String> {
        Duration::parse(text)
            .map(Duration::as_duration)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn reads_the_grammar() {
        assert_eq!(parse("50ms"), Ok(Std::from_millis(50)));
        assert_eq!(parse("500ms"), Ok(Std::from_millis(500)));
        assert_eq!(parse("30s"), Ok(Std::from_secs(30)));
        assert_eq!(parse("90s"), Ok(Std::from_secs(90)));
        assert_eq!(parse("5m"), Ok(Std::from_secs(300)));
        assert_eq!(parse("1m30s"), Ok(Std::from_secs(90)));
        assert_eq!(parse("2h"), Ok(Std::from_secs(7200)));
        assert_eq!(parse("1h30m"), Ok(Std::from_secs(5400)));
        assert_eq!(parse("1.5h"), Ok(Std::from_secs(5400)));
        assert_eq!(parse("1d"), Ok(Std::from_secs(86_400)));
        assert_eq!(parse(".5s"), Ok(Std::from_millis(500)));
        assert_eq!(parse("2us"), Ok(Std::from_micros(2)));
        assert_eq!(parse("2\u{b5}s"), Ok(Std::from_micros(2)));
        assert_eq!(parse("7ns"), Ok(Std::from_nanos(7)));
        assert_eq!(parse("0"), Ok(Std::ZERO));
        assert_eq!(parse("0s"), Ok(Std::ZERO));
        assert_eq!(parse("+1s"), Ok(Std::from_secs(1)));
        assert_eq!(parse("1.0000000001s"), Ok(Std::from_secs(1)));
    }

    #[test]
    fn refuses_malformed_negative_and_unitless() {
        for bad in [
            "",
            "10",
            "2",
            "s",
            "m",
            "1x",
            "5x",
            "5 minutes",
            "1s2",
            "-1s",
            "1..5s",
            "1.s5",
            "99999999999999999999999h",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} parsed");
        }
        assert_eq!(
            parse("10").err().as_deref(),
            Some("`10` is not a duration: a unit is missing; write numbers with units (ms, s, m, h, d), such as \"500ms\", \"90s\", \"1m30s\" or \"2h\"")
        );
    }

    #[test]
    fn displays_as_go_does() {
        let show = |d: Std| Duration(d).to_string();
        assert_eq!(show(Std::ZERO), "0s");
        assert_eq!(show(Std::from_nanos(7)), "7ns");
        assert_eq!(show(Std::from_micros(1500)), "1.5ms");
        assert_eq!(show(Std::from_millis(50)), "50ms");
        assert_eq!(show(Std::from_secs(90)), "1m30s");
        assert_eq!(show(Std::from_secs(3600)), "1h0m0s");
        assert_eq!(show(Std::from_millis(1250)), "1.25s");
        for text in ["50ms", "1m30s", "1h0m0s", "2.5s", "3\u{b5}s"] {
            assert_eq!(
                text.parse::<Duration>().map(|d| d.to_string()),
                Ok(text.to_owned())
            );
        }
    }

    #[test]
    fn short_form_is_one_unit_and_reads_back() {
        for (text, short) in [
            ("5s", "5s"),
            ("5m", "5m"),
            ("500ms", "500ms"),
            ("1h", "1h"),
            ("1m30s", "90s"),
            ("0s", "0s"),
            ("1d", "24h"),
        ] {
            let d = Duration::parse(text).unwrap();
            assert_eq!(d.short(), short, "{text}");
            assert_eq!(Duration::parse(&d.short()), Ok(d), "{text}");
        }
    }
}
