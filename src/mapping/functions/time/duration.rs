//! Durations as written in mappings: `15m`, `1h30m`, `2d`, `-1h`, `1.5h`, or ISO 8601
//! (`PT1H30M`, `P1DT12H`, `P2W`).

use chrono::TimeDelta;

const NANOS_PER_SECOND: i128 = 1_000_000_000;
const MILLISECOND: i128 = 1_000_000;
const SECOND: i128 = NANOS_PER_SECOND;
const MINUTE: i128 = 60 * SECOND;
const HOUR: i128 = 60 * MINUTE;
const DAY: i128 = 24 * HOUR;
const WEEK: i128 = 7 * DAY;

/// Parses a duration: a sign (optional), then either numbers with units — `w`, `d`, `h`,
/// `m`, `s`, `ms` or words such as `min` and `hours`, e.g. `1h30m`, `1h 30m`, `1.5h` — or
/// ISO 8601 (`PT1H30M`, `P1DT12H`, `P2W`, fractions allowed). A day is 24 hours; months
/// and years have no fixed length and are refused. The error explains what is wrong.
pub fn parse_duration(text: &str) -> Result<TimeDelta, String> {
    let invalid = |reason: &str| {
        let quoted = crate::mapping::value::excerpt(&text.into());
        format!("invalid duration {quoted}: {reason}")
    };
    let trimmed = text.trim();
    let (negative, body) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    let nanos = match body.as_bytes().first() {
        None => return Err(invalid("it is empty")),
        Some(b'P' | b'p') => iso(&body[1..]),
        Some(_) => short(body),
    }
    .map_err(|reason| invalid(&reason))?;
    let nanos = if negative { -nanos } else { nanos };
    let seconds = i64::try_from(nanos.div_euclid(NANOS_PER_SECOND)).ok();
    let subsec = u32::try_from(nanos.rem_euclid(NANOS_PER_SECOND)).ok();
    seconds
        .zip(subsec)
        .and_then(|(s, n)| TimeDelta::new(s, n))
        .ok_or_else(|| invalid("it is too long"))
}

/// The number (digits with an optional `.` or `,` fraction) at the start of `s`, and the
/// rest of `s`.
fn number(s: &str) -> Result<(NumberText<'_>, &str), String> {
    let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
    let (int, rest) = s.split_at(int_len);
    let (frac, rest) = match rest.strip_prefix(['.', ',']) {
        Some(after) => {
            let frac_len = after.bytes().take_while(u8::is_ascii_digit).count();
            after.split_at(frac_len)
        }
        None => ("", rest),
    };
    if int.is_empty() && frac.is_empty() {
        return Err(format!("expected a number at {:?}", preview(s)));
    }
    Ok((NumberText { int, frac }, rest))
}

struct NumberText<'a> {
    int: &'a str,
    frac: &'a str,
}

impl NumberText<'_> {
    /// The number times `unit` nanoseconds (fractions of a nanosecond are dropped).
    fn times(&self, unit: i128) -> Result<i128, String> {
        let too_long = || "it is too long".to_string();
        let mut total: i128 = 0;
        for d in self.int.bytes() {
            total = total
                .checked_mul(10)
                .and_then(|t| t.checked_add(i128::from(d - b'0')))
                .ok_or_else(too_long)?;
        }
        total = total.checked_mul(unit).ok_or_else(too_long)?;
        // 18 fraction digits are plenty below a nanosecond, and keep the product in range.
        let frac = &self.frac[..self.frac.len().min(18)];
        let mut numerator: i128 = 0;
        let mut denominator: i128 = 1;
        for d in frac.bytes() {
            numerator = numerator * 10 + i128::from(d - b'0');
            denominator *= 10;
        }
        total
            .checked_add(numerator * unit / denominator)
            .ok_or_else(too_long)
    }
}

fn preview(s: &str) -> String {
    s.chars().take(12).collect()
}

/// `1h30m`, `1h 30m`, `90 min`, `1.5h`, `2d`, `250ms`.
fn short(body: &str) -> Result<i128, String> {
    let mut rest = body;
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let (amount, after) = number(rest)?;
        let after = after.trim_start();
        let unit_len = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, after) = after.split_at(unit_len);
        let nanos = amount.times(short_unit(unit)?)?;
        total = total
            .checked_add(nanos)
            .ok_or_else(|| "it is too long".to_string())?;
        rest = after.trim_start();
    }
    Ok(total)
}

fn short_unit(unit: &str) -> Result<i128, String> {
    let unit = unit.to_ascii_lowercase();
    Ok(match unit.as_str() {
        "w" | "wk" | "wks" | "week" | "weeks" => WEEK,
        "d" | "day" | "days" => DAY,
        "h" | "hr" | "hrs" | "hour" | "hours" => HOUR,
        "m" | "min" | "mins" | "minute" | "minutes" => MINUTE,
        "s" | "sec" | "secs" | "second" | "seconds" => SECOND,
        "ms" | "msec" | "millisecond" | "milliseconds" => MILLISECOND,
        "" => return Err("a number needs a unit (w, d, h, m, s or ms)".to_string()),
        "mo" | "mon" | "month" | "months" | "y" | "yr" | "year" | "years" => {
            return Err("months and years have no fixed length".to_string());
        }
        _ => {
            return Err(format!(
                "unknown unit {unit:?} (expected w, d, h, m, s or ms)"
            ));
        }
    })
}

/// The part after `P`: `[nW][nD][T[nH][nM][nS]]`.
fn iso(body: &str) -> Result<i128, String> {
    let (date, time) = match body.find(['T', 't']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let mut total = iso_part(date, &[('W', WEEK), ('D', DAY)])?;
    if let Some(time) = time {
        if time.is_empty() {
            return Err("nothing follows T".to_string());
        }
        let part = iso_part(time, &[('H', HOUR), ('M', MINUTE), ('S', SECOND)])?;
        total = total
            .checked_add(part)
            .ok_or_else(|| "it is too long".to_string())?;
    } else if date.is_empty() {
        return Err("nothing follows P".to_string());
    }
    Ok(total)
}

/// Numbers each followed by one of `designators`, in that order.
fn iso_part(mut rest: &str, designators: &[(char, i128)]) -> Result<i128, String> {
    let mut total: i128 = 0;
    let mut next = 0;
    while !rest.is_empty() {
        let (amount, after) = number(rest)?;
        let Some(designator) = after.chars().next() else {
            return Err("a number needs a designator such as H, M or S".to_string());
        };
        let upper = designator.to_ascii_uppercase();
        let position = designators[next..]
            .iter()
            .position(|&(d, _)| d == upper)
            .map(|p| p + next);
        let Some(position) = position else {
            return Err(if designators.len() == 2 && matches!(upper, 'Y' | 'M') {
                "months and years have no fixed length (write minutes after T: PT5M)".to_string()
            } else {
                format!("unexpected {designator:?} (expected W and D before T, H, M and S after)")
            });
        };
        let nanos = amount.times(designators[position].1)?;
        total = total
            .checked_add(nanos)
            .ok_or_else(|| "it is too long".to_string())?;
        next = position + 1;
        rest = &after[designator.len_utf8()..];
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seconds(text: &str) -> Result<f64, String> {
        parse_duration(text).map(|d| d.as_seconds_f64())
    }

    #[test]
    fn reads_numbers_with_units() {
        for (text, expected) in [
            ("15m", 900.0),
            ("1h30m", 5400.0),
            ("1h 30m", 5400.0),
            (" 90 min ", 5400.0),
            ("2d", 172_800.0),
            ("45s", 45.0),
            ("1w", 604_800.0),
            ("-1h", -3600.0),
            ("+1h", 3600.0),
            ("1.5h", 5400.0),
            ("0,5m", 30.0),
            ("250ms", 0.25),
            ("2 Hours 5 Seconds", 7205.0),
            ("1H30M", 5400.0),
            ("0s", 0.0),
        ] {
            assert_eq!(seconds(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn reads_iso_8601() {
        for (text, expected) in [
            ("PT1H30M", 5400.0),
            ("PT15M", 900.0),
            ("P2D", 172_800.0),
            ("P1DT12H", 129_600.0),
            ("P1W", 604_800.0),
            ("PT0.5S", 0.5),
            ("PT1,5H", 5400.0),
            ("-PT1H", -3600.0),
            ("pt45s", 45.0),
        ] {
            assert_eq!(seconds(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn keeps_nanoseconds_exactly() {
        let d = parse_duration("-1.000000001s").unwrap();
        assert_eq!(d.num_nanoseconds(), Some(-1_000_000_001));
        let d = parse_duration("PT0.123456789S").unwrap();
        assert_eq!(d.num_nanoseconds(), Some(123_456_789));
    }

    #[test]
    fn explains_what_is_wrong() {
        let error = |text: &str| parse_duration(text).unwrap_err();
        assert!(error("").contains("it is empty"));
        assert!(error("-").contains("it is empty"));
        assert!(error("90").contains("needs a unit"));
        assert!(error("1h30").contains("needs a unit"));
        assert!(error("3mo").contains("no fixed length"));
        assert!(error("1y").contains("no fixed length"));
        assert!(error("P1M").contains("no fixed length"));
        assert!(error("P1Y").contains("no fixed length"));
        assert!(error("5 parsecs").contains("unknown unit"));
        assert!(error("h").contains("expected a number"));
        assert!(error("1h-30m").contains("expected a number"));
        assert!(error("P").contains("nothing follows P"));
        assert!(error("PT").contains("nothing follows T"));
        assert!(error("PT1S1H").contains("unexpected"));
        assert!(error("PT1H1H").contains("unexpected"));
        assert!(error("P1H").contains("unexpected"));
        assert!(error("PT5").contains("designator"));
        assert!(error("99999999999999999999w").contains("too long"));
        assert!(error("1000000000000000000000000000000000000000000h").contains("too long"));
        assert_eq!(
            error("soon"),
            r#"invalid duration "soon": expected a number at "soon""#
        );
    }
}
