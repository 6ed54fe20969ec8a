//! `from_unix`: the time of a Unix timestamp (seconds, or milliseconds when large).

use chrono::DateTime;

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::{self, Num, Value};

use super::common::rfc3339;

/// Timestamps beyond this (in either direction) are milliseconds: 1e11 seconds is in the
/// year 5138, while 1e11 milliseconds is 1973-03-03.
const MILLISECONDS_FROM: f64 = 1e11;

pub(crate) const FROM_UNIX: Function = Function {
    name: "from_unix",
    category: Category::Time,
    summary: "The RFC 3339 time (UTC) of a Unix timestamp in seconds, as an integer, a float \
              or numeric text; values beyond ±1e11 are taken as milliseconds (so millisecond \
              timestamps before March 1973 are misread as seconds).",
    params: &[Param::required("value")],
    examples: &[
        Example {
            expr: "from_unix(1700000000)",
            result: r#""2023-11-14T22:13:20Z""#,
        },
        Example {
            expr: "from_unix(1700000000123)",
            result: r#""2023-11-14T22:13:20.123Z""#,
        },
        Example {
            expr: "from_unix(1700000000.5)",
            result: r#""2023-11-14T22:13:20.500Z""#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(from_unix),
};

fn from_unix(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let value = args.value(0);
    let number = match value {
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>().map(Num::Int).ok().or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(Num::Float)
            })
        }
        _ => value::as_num(value),
    };
    let instant = match number {
        Some(Num::Int(n)) if n.unsigned_abs() as f64 > MILLISECONDS_FROM => {
            let nanos = n.rem_euclid(1000) * 1_000_000;
            DateTime::from_timestamp(n.div_euclid(1000), nanos as u32)
        }
        Some(Num::Int(n)) => DateTime::from_timestamp(n, 0),
        Some(Num::Float(f)) => {
            let seconds = if f.abs() > MILLISECONDS_FROM {
                f / 1000.0
            } else {
                f
            };
            from_float_seconds(seconds)
        }
        None => {
            return Err(args.fail(format_args!(
                "{} {} is not a Unix timestamp (a number of seconds)",
                value::type_name(value),
                value::excerpt(value)
            )));
        }
    };
    instant
        .ok_or_else(|| "out of range".to_string())
        .and_then(rfc3339)
        .map_err(|e| {
            args.fail(format_args!(
                "the timestamp {} is out of range ({e})",
                value::excerpt(value)
            ))
        })
}

/// Seconds as a float, to the microsecond (a float holds no more for today's timestamps).
fn from_float_seconds(seconds: f64) -> Option<DateTime<chrono::Utc>> {
    // ±1e14 seconds is far beyond chrono's range (±262,000 years), so no overflow below.
    if !seconds.is_finite() || seconds.abs() >= 1e14 {
        return None;
    }
    let micros = (seconds * 1e6).round() as i64;
    let nanos = micros.rem_euclid(1_000_000) * 1000;
    DateTime::from_timestamp(micros.div_euclid(1_000_000), nanos as u32)
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    fn from_unix(v: serde_json::Value) -> Result<serde_json::Value, String> {
        call_builtin("from_unix", &[v]).map_err(|e| e.0)
    }

    #[test]
    fn reads_seconds() {
        assert_eq!(
            from_unix(json!(1_700_000_000)),
            Ok(json!("2023-11-14T22:13:20Z"))
        );
        assert_eq!(from_unix(json!(0)), Ok(json!("1970-01-01T00:00:00Z")));
        assert_eq!(from_unix(json!(-1)), Ok(json!("1969-12-31T23:59:59Z")));
        assert_eq!(
            from_unix(json!(99_999_999_999i64)),
            Ok(json!("5138-11-16T09:46:39Z"))
        );
        assert_eq!(
            from_unix(json!(" 1700000000 ")),
            Ok(json!("2023-11-14T22:13:20Z"))
        );
    }

    #[test]
    fn reads_fractions_to_the_microsecond() {
        assert_eq!(
            from_unix(json!(1_700_000_000.5)),
            Ok(json!("2023-11-14T22:13:20.500Z"))
        );
        assert_eq!(
            from_unix(json!(1_700_000_000.123)),
            Ok(json!("2023-11-14T22:13:20.123Z"))
        );
        assert_eq!(
            from_unix(json!(-0.25)),
            Ok(json!("1969-12-31T23:59:59.750Z"))
        );
        assert_eq!(
            from_unix(json!("1700000000.25")),
            Ok(json!("2023-11-14T22:13:20.250Z"))
        );
    }

    #[test]
    fn large_values_are_milliseconds() {
        assert_eq!(
            from_unix(json!(1_700_000_000_123i64)),
            Ok(json!("2023-11-14T22:13:20.123Z"))
        );
        assert_eq!(
            from_unix(json!(1_700_000_000_123.0)),
            Ok(json!("2023-11-14T22:13:20.123Z"))
        );
        assert_eq!(
            from_unix(json!(-100_000_000_001i64)),
            Ok(json!("1966-10-31T14:13:19.999Z"))
        );
    }

    #[test]
    fn null_gives_null_and_errors_name_the_value() {
        assert_eq!(from_unix(json!(null)), Ok(json!(null)));
        assert_eq!(
            from_unix(json!("soon")),
            Err(
                r#"from_unix: string "soon" is not a Unix timestamp (a number of seconds)"#
                    .to_string()
            )
        );
        assert!(from_unix(json!(true)).is_err());
        assert!(from_unix(json!("inf")).is_err());
        assert!(from_unix(json!(i64::MAX)).is_err());
        assert!(from_unix(json!(1e300)).is_err());
        assert!(from_unix(json!(u64::MAX)).is_err());
    }
}
