//! `parse_time`: reads a time from text, with an optional strftime format and time zone.

use std::sync::Arc;

use chrono_tz::Tz;

use crate::mapping::functions::{
    Args, Call, Category, Example, FnError, Function, Imp, Nulls, Param,
};
use crate::mapping::value::{self, Value};

use super::civil::{Civil, rfc3339_utc};
use super::common::{
    Moment, Prepared, Rfc3339, TimeFormat, Use, compile_format, moment_arg, parse_moment,
    parse_zone, prepare_format, prepare_zone, rfc3339, rfc3339_text,
};
use super::day_offsets::DayOffsets;

pub(crate) const PARSE_TIME: Function = Function {
    name: "parse_time",
    category: Category::Time,
    summary: "Reads a time and gives it as RFC 3339 in UTC: without a format RFC 3339 / ISO \
              8601 (`2026-03-29T10:15:00+02:00`, `2026-03-29 10:15`, `2026-03-29`) or RFC \
              2822, with one exactly that strftime format (`\"%d-%m-%Y %H:%M\"`; `%z` also \
              accepts `Z`). Times without an offset are local time in `zone` (an IANA name, \
              default \"UTC\"): one skipped by daylight saving time is an error, one that \
              occurs twice gives the earlier instant, and a date alone gives midnight.",
    params: &[
        Param::required("value"),
        Param::optional("format"),
        Param::optional("zone"),
    ],
    examples: &[
        Example {
            expr: r#""29-03-2026 10:15" | parse_time("%d-%m-%Y %H:%M", "Europe/Amsterdam")"#,
            result: r#""2026-03-29T08:15:00Z""#,
        },
        Example {
            expr: r#"parse_time("2026-01-15T09:30:00+01:00")"#,
            result: r#""2026-01-15T08:30:00Z""#,
        },
        Example {
            expr: r#"parse_time("2026-01-15 09:30", null, "Europe/Amsterdam")"#,
            result: r#""2026-01-15T08:30:00Z""#,
        },
        Example {
            expr: r#"parse_time("15/01/2026", "%d/%m/%Y")"#,
            result: r#""2026-01-15T00:00:00Z""#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Prepared(prepare),
};

/// A call site: the format split into items and the zone looked up once when constant.
struct ParseTime {
    format: Prepared<Option<TimeFormat>>,
    zone: Prepared<Tz>,
}

fn prepare(consts: &[Option<&Value>]) -> Result<Arc<dyn Call>, String> {
    Ok(Arc::new(ParseTime {
        format: prepare_format(consts, 1, Use::Parse)?,
        zone: prepare_zone(consts, 2)?,
    }))
}

impl Call for ParseTime {
    fn call(&self, args: &mut Args<'_, '_>) -> Result<Value, FnError> {
        let zone = self.zone.get(args, 2)?;
        let moment: Moment = match self.format.get(args, 1, Use::Parse)? {
            None => moment_arg(args, 0)?,
            Some(format) => {
                let text = args.text(0)?;
                format.parse(value::trim_text(&text)).map_err(|reason| {
                    args.fail(format_args!(
                        "{} does not match the format {} ({reason})",
                        value::excerpt(args.value(0)),
                        value::excerpt(&Value::String(format.text.clone()))
                    ))
                })?
            }
        };
        let instant = moment
            .instant(zone)
            .map_err(|e| args.fail(format_args!("{}: {e}", value::excerpt(args.value(0)))))?;
        rfc3339(instant).map_err(|e| args.fail(e))
    }
}

/// `parse_time` with a constant format and zone, on text: the evaluator's fast path.
/// It answers only when the ordinary call would succeed with the same result; on any
/// failure it gives `None` and the evaluator makes the ordinary call, which says why.
pub(crate) struct FixedParseTime {
    format: Option<TimeFormat>,
    zone: Tz,
    offsets: DayOffsets,
}

impl FixedParseTime {
    /// From the constant format and zone arguments (null when left out); `None` when
    /// they are not valid (the compiler has reported it).
    pub(crate) fn new(format: &Value, zone: &Value) -> Option<FixedParseTime> {
        let format = match format {
            Value::Null => None,
            Value::String(text) => Some(compile_format(text, Use::Parse).ok()?),
            _ => return None,
        };
        let zone = match zone {
            Value::Null => Tz::UTC,
            Value::String(name) => parse_zone(name).ok()?,
            _ => return None,
        };
        Some(FixedParseTime {
            format,
            zone,
            offsets: DayOffsets::new(zone),
        })
    }

    /// The time in `text` as RFC 3339 in UTC, written by `write`.
    pub(crate) fn parse<T>(&self, text: &str, write: impl FnOnce(&str) -> T) -> Option<T> {
        let text = match &self.format {
            Some(_) => value::trim_text(text),
            None => text,
        };
        // The common case, on plain integers: a numeric format, a valid wall-clock time,
        // the zone's offset for that day remembered (see `civil` and `day_offsets`).
        if let Some(format) = &self.format
            && let Some(local) = format.read_civil(text).and_then(Civil::seconds)
            && let Some(utc) = self.offsets.utc(local)
            && let Some(bytes) = rfc3339_utc(utc)
        {
            return std::str::from_utf8(&bytes).ok().map(write);
        }
        let moment = match &self.format {
            Some(format) => format.parse(text).ok()?,
            None => parse_moment(text)?,
        };
        match rfc3339_text(moment.instant(self.zone).ok()?).ok()? {
            Rfc3339::Whole(bytes) => std::str::from_utf8(&bytes).ok().map(write),
            Rfc3339::Fraction(text) => Some(write(&text)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::call_at_run_time;
    use crate::mapping::functions::call_builtin;
    use serde_json::{Value, json};

    /// Both with constant arguments (prepared once) and with arguments read at run time.
    fn parse(args: &[Value]) -> Result<Value, String> {
        let prepared = call_builtin("parse_time", args).map_err(|e| e.0);
        let at_run_time = call_at_run_time("parse_time", args).map_err(|e| e.0);
        assert_eq!(prepared, at_run_time, "{args:?}");
        prepared
    }

    #[test]
    fn reads_iso_times_without_a_format() {
        assert_eq!(
            parse(&[json!("2026-01-15T09:30:00+01:00")]),
            Ok(json!("2026-01-15T08:30:00Z"))
        );
        assert_eq!(
            parse(&[json!("2026-01-15T09:30:00.120Z")]),
            Ok(json!("2026-01-15T09:30:00.120Z"))
        );
        assert_eq!(
            parse(&[json!("2026-01-15 09:30")]),
            Ok(json!("2026-01-15T09:30:00Z"))
        );
        assert_eq!(
            parse(&[json!("2026-01-15")]),
            Ok(json!("2026-01-15T00:00:00Z"))
        );
    }

    #[test]
    fn local_times_and_dates_are_taken_in_the_zone() {
        let zone = json!("Europe/Amsterdam");
        assert_eq!(
            parse(&[json!("2026-07-01T12:00"), json!(null), zone.clone()]),
            Ok(json!("2026-07-01T10:00:00Z"))
        );
        assert_eq!(
            parse(&[json!("2026-07-01"), json!(null), zone.clone()]),
            Ok(json!("2026-06-30T22:00:00Z"))
        );
        // An offset in the text wins over the zone.
        assert_eq!(
            parse(&[json!("2026-07-01T12:00Z"), json!(null), zone]),
            Ok(json!("2026-07-01T12:00:00Z"))
        );
    }

    #[test]
    fn reads_with_a_format() {
        let zone = json!("Europe/Amsterdam");
        assert_eq!(
            parse(&[
                json!("29-03-2026 10:15"),
                json!("%d-%m-%Y %H:%M"),
                zone.clone()
            ]),
            Ok(json!("2026-03-29T08:15:00Z"))
        );
        assert_eq!(
            parse(&[
                json!("28-03-2026 10:15"),
                json!("%d-%m-%Y %H:%M"),
                zone.clone()
            ]),
            Ok(json!("2026-03-28T09:15:00Z"))
        );
        assert_eq!(
            parse(&[json!(" 15/01/2026 "), json!("%d/%m/%Y")]),
            Ok(json!("2026-01-15T00:00:00Z"))
        );
        assert_eq!(
            parse(&[json!("15/01/2026"), json!("%d/%m/%Y"), zone.clone()]),
            Ok(json!("2026-01-14T23:00:00Z"))
        );
        assert_eq!(
            parse(&[
                json!("15.01.2026 09:30:05 +0530"),
                json!("%d.%m.%Y %H:%M:%S %z"),
                zone
            ]),
            Ok(json!("2026-01-15T04:00:05Z"))
        );
        assert_eq!(
            parse(&[json!("Jan 5, 2026 3:04 PM"), json!("%b %e, %Y %I:%M %p")]),
            Ok(json!("2026-01-05T15:04:00Z"))
        );
        assert_eq!(
            parse(&[json!(1700000000), json!("%s")]),
            Ok(json!("2023-11-14T22:13:20Z"))
        );
    }

    #[test]
    fn daylight_saving_time_gaps_are_errors_and_overlaps_take_the_earlier_instant() {
        let format = json!("%Y-%m-%d %H:%M");
        let zone = json!("Europe/Amsterdam");
        let gap = parse(&[json!("2026-03-29 02:30"), format.clone(), zone.clone()]);
        assert_eq!(
            gap,
            Err(
                "parse_time: \"2026-03-29 02:30\": 2026-03-29 02:30:00 does not exist in \
                 Europe/Amsterdam (the clocks skip it when daylight saving time starts)"
                    .to_string()
            )
        );
        assert!(parse(&[json!("2026-03-29 02:30"), json!(null), zone.clone()]).is_err());
        assert_eq!(
            parse(&[json!("2026-10-25 02:30"), format.clone(), zone.clone()]),
            Ok(json!("2026-10-25T00:30:00Z"))
        );
        assert_eq!(
            parse(&[json!("2026-10-25 03:30"), format, zone]),
            Ok(json!("2026-10-25T02:30:00Z"))
        );
    }

    #[test]
    fn null_gives_null() {
        assert_eq!(parse(&[json!(null)]), Ok(json!(null)));
        assert_eq!(parse(&[json!(null), json!("%Y")]), Ok(json!(null)));
    }

    #[test]
    fn errors_name_the_value_and_the_format() {
        assert_eq!(
            parse(&[json!("29/03/2026"), json!("%Y-%m-%d")]),
            Err(r#"parse_time: "29/03/2026" does not match the format "%Y-%m-%d" (input contains invalid characters)"#.to_string())
        );
        assert_eq!(
            parse(&[json!("next tuesday")]),
            Err(r#"parse_time: "next tuesday" is not a time (expected RFC 3339 such as "2026-03-29T10:15:00Z" or a date such as "2026-03-29")"#.to_string())
        );
        assert!(parse(&[json!("10:15"), json!("%H:%M")]).is_err());
        assert!(parse(&[json!([2026])]).is_err());
    }

    #[test]
    fn invalid_formats_and_zones_are_reported() {
        let bad_format = [json!("2026"), json!("%Y %Q")];
        let prepared = call_builtin("parse_time", &bad_format).unwrap_err().0;
        assert!(
            prepared.starts_with("invalid time format \"%Y %Q\""),
            "{prepared}"
        );
        let at_run_time = call_at_run_time("parse_time", &bad_format).unwrap_err().0;
        assert_eq!(at_run_time, format!("parse_time: {prepared}"));

        let bad_zone = [json!("2026-01-01"), json!(null), json!("Europe/Atlantis")];
        let prepared = call_builtin("parse_time", &bad_zone).unwrap_err().0;
        assert!(
            prepared.starts_with("unknown time zone \"Europe/Atlantis\""),
            "{prepared}"
        );
        assert!(call_at_run_time("parse_time", &bad_zone).is_err());
        assert!(call_builtin("parse_time", &[json!("2026"), json!(5)]).is_err());
        assert!(call_builtin("parse_time", &[json!("2026"), json!(null), json!(1)]).is_err());
    }
}
