//! `format_time`: writes a time with a strftime format in a time zone.

use std::fmt::Write as _;
use std::sync::Arc;

use chrono::SecondsFormat;
use chrono_tz::Tz;

use crate::mapping::functions::{
    Args, Call, Category, Example, FnError, Function, Imp, Nulls, Param,
};
use crate::mapping::value::{self, Value};

use super::common::{Prepared, TimeFormat, Use, moment_arg, prepare_format, prepare_zone};

pub(crate) const FORMAT_TIME: Function = Function {
    name: "format_time",
    category: Category::Time,
    summary: "Writes a time (RFC 3339, or a date) as text in `zone` (an IANA name, default \
              \"UTC\"), with a strftime format such as `\"%d-%m-%Y %H:%M\"`, or without one \
              as RFC 3339 with that zone's offset. A date, or a time without offset, is \
              taken as local time in `zone`.",
    params: &[
        Param::required("value"),
        Param::optional("format"),
        Param::optional("zone"),
    ],
    examples: &[
        Example {
            expr: r#""2026-03-29T08:15:00Z" | format_time("%d/%m/%Y %H:%M", "Europe/Amsterdam")"#,
            result: r#""29/03/2026 10:15""#,
        },
        Example {
            expr: r#"format_time("2026-03-29T01:00:00Z", null, "Europe/Amsterdam")"#,
            result: r#""2026-03-29T03:00:00+02:00""#,
        },
        Example {
            expr: r#"format_time("2026-01-05", "%A %-d %B %Y")"#,
            result: r#""Monday 5 January 2026""#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Prepared(prepare),
};

/// A call site: the format split into items and the zone looked up once when constant.
struct FormatTime {
    format: Prepared<Option<TimeFormat>>,
    zone: Prepared<Tz>,
}

fn prepare(consts: &[Option<&Value>]) -> Result<Arc<dyn Call>, String> {
    Ok(Arc::new(FormatTime {
        format: prepare_format(consts, 1, Use::Format)?,
        zone: prepare_zone(consts, 2)?,
    }))
}

impl Call for FormatTime {
    fn call(&self, args: &mut Args<'_, '_>) -> Result<Value, FnError> {
        let zone = self.zone.get(args, 2)?;
        let format = self.format.get(args, 1, Use::Format)?;
        let instant = moment_arg(args, 0)?
            .instant(zone)
            .map_err(|e| args.fail(format_args!("{}: {e}", value::excerpt(args.value(0)))))?;
        let local = instant.with_timezone(&zone);
        let Some(format) = format else {
            return Ok(Value::String(
                local.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            ));
        };
        let mut out = String::with_capacity(format.text.len() + 16);
        write!(out, "{}", local.format_with_items(format.items.iter())).map_err(|_| {
            args.fail(format_args!(
                "cannot write {} with the format {}",
                value::excerpt(args.value(0)),
                value::excerpt(&Value::String(format.text.clone()))
            ))
        })?;
        Ok(Value::String(out))
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::call_at_run_time;
    use crate::mapping::functions::call_builtin;
    use serde_json::{Value, json};

    /// Both with constant arguments (prepared once) and with arguments read at run time.
    fn format(args: &[Value]) -> Result<Value, String> {
        let prepared = call_builtin("format_time", args).map_err(|e| e.0);
        let at_run_time = call_at_run_time("format_time", args).map_err(|e| e.0);
        assert_eq!(prepared, at_run_time, "{args:?}");
        prepared
    }

    #[test]
    fn formats_in_the_zone() {
        let zone = json!("Europe/Amsterdam");
        assert_eq!(
            format(&[
                json!("2026-03-29T08:15:00Z"),
                json!("%d/%m/%Y %H:%M"),
                zone.clone()
            ]),
            Ok(json!("29/03/2026 10:15"))
        );
        assert_eq!(
            format(&[
                json!("2026-01-15T08:15:00Z"),
                json!("%H:%M %Z (%:z)"),
                zone.clone()
            ]),
            Ok(json!("09:15 CET (+01:00)"))
        );
        assert_eq!(
            format(&[json!("2026-03-29T08:15:00Z"), json!("%Y%m%d")]),
            Ok(json!("20260329"))
        );
        assert_eq!(
            format(&[json!("2026-03-29T23:30:00-02:00"), json!("%Y-%m-%d"), zone]),
            Ok(json!("2026-03-30"))
        );
    }

    #[test]
    fn without_a_format_gives_rfc3339_with_the_zone_offset() {
        let zone = json!("Europe/Amsterdam");
        assert_eq!(
            format(&[json!("2026-03-29T01:00:00Z"), json!(null), zone.clone()]),
            Ok(json!("2026-03-29T03:00:00+02:00"))
        );
        assert_eq!(
            format(&[json!("2026-03-29T00:59:59.5Z"), json!(null), zone]),
            Ok(json!("2026-03-29T01:59:59.500+01:00"))
        );
        assert_eq!(
            format(&[json!("2026-03-29T01:00:00+02:00")]),
            Ok(json!("2026-03-28T23:00:00Z"))
        );
    }

    #[test]
    fn dates_and_local_times_are_taken_in_the_zone() {
        let zone = json!("America/New_York");
        assert_eq!(
            format(&[json!("2026-03-29"), json!("%d-%m-%Y"), zone.clone()]),
            Ok(json!("29-03-2026"))
        );
        assert_eq!(
            format(&[json!("2026-03-29"), json!(null), zone.clone()]),
            Ok(json!("2026-03-29T00:00:00-04:00"))
        );
        assert_eq!(
            format(&[json!("2026-03-29 10:15"), json!("%H:%M"), zone]),
            Ok(json!("10:15"))
        );
    }

    #[test]
    fn null_gives_null() {
        assert_eq!(format(&[json!(null), json!("%Y")]), Ok(json!(null)));
    }

    #[test]
    fn errors_name_the_value() {
        assert_eq!(
            format(&[json!("29/03/2026"), json!("%Y")]),
            Err(r#"format_time: "29/03/2026" is not a time (expected RFC 3339 such as "2026-03-29T10:15:00Z" or a date such as "2026-03-29")"#.to_string())
        );
        assert!(format(&[json!(true)]).is_err());
        assert!(format(&[json!({"a": 1})]).is_err());
        let gap = [
            json!("2026-03-29 02:30"),
            json!(null),
            json!("Europe/Amsterdam"),
        ];
        assert!(format(&gap).unwrap_err().contains("does not exist"));
    }

    #[test]
    fn invalid_formats_and_zones_are_reported() {
        let prepared = call_builtin("format_time", &[json!("2026-01-01"), json!("%Y %Q")]);
        assert!(prepared.unwrap_err().0.starts_with("invalid time format"));
        let reading_only = [json!("2026-01-01"), json!("%#z")];
        assert!(call_builtin("format_time", &reading_only).is_err());
        assert!(call_at_run_time("format_time", &reading_only).is_err());
        let bad_zone = [json!("2026-01-01"), json!(null), json!("Nowhere")];
        assert!(call_builtin("format_time", &bad_zone).is_err());
        assert!(call_at_run_time("format_time", &bad_zone).is_err());
    }
}
