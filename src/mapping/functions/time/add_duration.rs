//! `add_duration`: moves a time (or date) by a duration such as `"1h30m"` or `"-2d"`.

use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use chrono_tz::Tz;

use crate::mapping::functions::{
    Args, Call, Category, Example, FnError, Function, Imp, Nulls, Param,
};
use crate::mapping::value::{self, Value};

use super::common::{Moment, Prepared, date_text, moment_arg, rfc3339};
use super::duration::parse_duration;

pub(crate) const ADD_DURATION: Function = Function {
    name: "add_duration",
    category: Category::Time,
    summary: "Adds a duration to a time: `\"15m\"`, `\"1h30m\"`, `\"2d\"`, `\"1w\"`, `\"45s\"`, \
              `\"-1h\"` (units w, d, h, m, s, ms; a day is 24 hours) or ISO 8601 \
              (`\"PT1H30M\"`, `\"P1DT12H\"`). A date stays a date when the duration is whole \
              days; otherwise dates and times without offset are taken in UTC.",
    params: &[Param::required("value"), Param::required("duration")],
    examples: &[
        Example {
            expr: r#""2026-03-29T08:15:00Z" | add_duration("1h30m")"#,
            result: r#""2026-03-29T09:45:00Z""#,
        },
        Example {
            expr: r#"add_duration("2026-03-29T08:15:00Z", "-PT15M")"#,
            result: r#""2026-03-29T08:00:00Z""#,
        },
        Example {
            expr: r#"add_duration("2026-02-27", "2d")"#,
            result: r#""2026-03-01""#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Prepared(prepare),
};

/// A call site: the duration parsed once when constant.
struct AddDuration {
    duration: Prepared<TimeDelta>,
}

fn prepare(consts: &[Option<&Value>]) -> Result<Arc<dyn Call>, String> {
    let duration = match consts.get(1).copied().flatten() {
        None => Prepared::AtRunTime,
        Some(Value::String(text)) => Prepared::Known(parse_duration(text)?),
        Some(other) => {
            return Err(format!(
                "the duration must be text such as \"1h30m\", got {} {}",
                value::type_name(other),
                value::excerpt(other)
            ));
        }
    };
    Ok(Arc::new(AddDuration { duration }))
}

/// A day, for telling whole days apart.
const DAY: TimeDelta = TimeDelta::days(1);

impl Call for AddDuration {
    fn call(&self, args: &mut Args<'_, '_>) -> Result<Value, FnError> {
        let delta = match &self.duration {
            Prepared::Known(delta) => *delta,
            Prepared::AtRunTime => parse_duration(&args.text(1)?).map_err(|e| args.fail(e))?,
        };
        let moment = moment_arg(args, 0)?;
        let out_of_range = || {
            args.fail(format_args!(
                "{} plus {} is out of range",
                value::excerpt(args.value(0)),
                value::excerpt(args.value(1))
            ))
        };
        if let Moment::Date(date) = moment
            && delta.subsec_nanos() == 0
            && delta.num_seconds() % DAY.num_seconds() == 0
        {
            let moved = date.checked_add_signed(delta).ok_or_else(out_of_range)?;
            return date_text(moved).map_err(|e| args.fail(e));
        }
        let instant = moment.instant(Tz::UTC).map_err(|e| args.fail(e))?;
        let moved = instant.checked_add_signed(delta).ok_or_else(out_of_range)?;
        rfc3339(moved.with_timezone(&Utc)).map_err(|e| args.fail(e))
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::call_at_run_time;
    use crate::mapping::functions::call_builtin;
    use serde_json::{Value, json};

    fn add(value: Value, duration: Value) -> Result<Value, String> {
        let args = [value, duration];
        let prepared = call_builtin("add_duration", &args).map_err(|e| e.0);
        let at_run_time = call_at_run_time("add_duration", &args).map_err(|e| e.0);
        assert_eq!(prepared, at_run_time, "{args:?}");
        prepared
    }

    #[test]
    fn moves_times() {
        let t = || json!("2026-03-29T08:15:00Z");
        assert_eq!(add(t(), json!("1h30m")), Ok(json!("2026-03-29T09:45:00Z")));
        assert_eq!(add(t(), json!("-PT15M")), Ok(json!("2026-03-29T08:00:00Z")));
        assert_eq!(add(t(), json!("2d")), Ok(json!("2026-03-31T08:15:00Z")));
        assert_eq!(add(t(), json!("1w")), Ok(json!("2026-04-05T08:15:00Z")));
        assert_eq!(
            add(t(), json!("250ms")),
            Ok(json!("2026-03-29T08:15:00.250Z"))
        );
        assert_eq!(
            add(json!("2026-03-29T10:15:00+02:00"), json!("45s")),
            Ok(json!("2026-03-29T08:15:45Z"))
        );
        assert_eq!(
            add(json!("2026-03-29 10:15"), json!("1h")),
            Ok(json!("2026-03-29T11:15:00Z"))
        );
    }

    #[test]
    fn dates_stay_dates_for_whole_days() {
        assert_eq!(
            add(json!("2026-02-27"), json!("2d")),
            Ok(json!("2026-03-01"))
        );
        assert_eq!(
            add(json!("2026-03-01"), json!("-P1D")),
            Ok(json!("2026-02-28"))
        );
        assert_eq!(
            add(json!("2026-03-01"), json!("2w")),
            Ok(json!("2026-03-15"))
        );
        assert_eq!(
            add(json!("2026-03-01"), json!("0s")),
            Ok(json!("2026-03-01"))
        );
        assert_eq!(
            add(json!("2026-03-01"), json!("12h")),
            Ok(json!("2026-03-01T12:00:00Z"))
        );
        assert_eq!(
            add(json!("2026-03-01"), json!("-1.5d")),
            Ok(json!("2026-02-27T12:00:00Z"))
        );
    }

    #[test]
    fn null_gives_null() {
        assert_eq!(add(json!(null), json!("1h")), Ok(json!(null)));
    }

    #[test]
    fn errors_are_reported() {
        assert!(
            add(json!("someday"), json!("1h"))
                .unwrap_err()
                .contains("is not a time")
        );
        assert!(add(json!(5), json!("1h")).is_err());
        assert!(
            add(json!("9999-12-31T23:00:00Z"), json!("2h"))
                .unwrap_err()
                .contains("out of range")
        );
        assert!(add(json!("9999-12-31"), json!("1000000w")).is_err());
        let bad = [json!("2026-03-01"), json!("1 month")];
        let prepared = call_builtin("add_duration", &bad).unwrap_err().0;
        assert!(
            prepared.starts_with("invalid duration \"1 month\""),
            "{prepared}"
        );
        let at_run_time = call_at_run_time("add_duration", &bad).unwrap_err().0;
        assert_eq!(at_run_time, format!("add_duration: {prepared}"));
        assert!(call_builtin("add_duration", &[json!("2026-03-01"), json!(3600)]).is_err());
        assert!(call_at_run_time("add_duration", &[json!("2026-03-01"), json!(null)]).is_err());
    }
}
