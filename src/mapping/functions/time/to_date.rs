//! `to_date`: the calendar date of a time in a time zone.

use std::sync::Arc;

use chrono_tz::Tz;

use crate::mapping::functions::{
    Args, Call, Category, Example, FnError, Function, Imp, Nulls, Param,
};
use crate::mapping::value::Value;

use super::common::{Moment, Prepared, date_text, moment_arg, prepare_zone};

pub(crate) const TO_DATE: Function = Function {
    name: "to_date",
    category: Category::Time,
    summary: "The calendar date (`YYYY-MM-DD`) of a time in `zone` (an IANA name, default \
              \"UTC\"); a date passes through, and a time without offset keeps its date.",
    params: &[Param::required("value"), Param::optional("zone")],
    examples: &[
        Example {
            expr: r#"to_date("2026-03-29T23:30:00Z", "Europe/Amsterdam")"#,
            result: r#""2026-03-30""#,
        },
        Example {
            expr: r#""2026-03-29T23:30:00Z" | to_date"#,
            result: r#""2026-03-29""#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Prepared(prepare),
};

/// A call site: the zone looked up once when constant.
struct ToDate {
    zone: Prepared<Tz>,
}

fn prepare(consts: &[Option<&Value>]) -> Result<Arc<dyn Call>, String> {
    Ok(Arc::new(ToDate {
        zone: prepare_zone(consts, 1)?,
    }))
}

impl Call for ToDate {
    fn call(&self, args: &mut Args<'_, '_>) -> Result<Value, FnError> {
        let zone = self.zone.get(args, 1)?;
        let date = match moment_arg(args, 0)? {
            Moment::Date(date) => date,
            Moment::Local(local) => local.date(),
            Moment::Instant(t) => t.with_timezone(&zone).date_naive(),
        };
        date_text(date).map_err(|e| args.fail(e))
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::call_at_run_time;
    use crate::mapping::functions::call_builtin;
    use serde_json::{Value, json};

    fn to_date(args: &[Value]) -> Result<Value, String> {
        let prepared = call_builtin("to_date", args).map_err(|e| e.0);
        let at_run_time = call_at_run_time("to_date", args).map_err(|e| e.0);
        assert_eq!(prepared, at_run_time, "{args:?}");
        prepared
    }

    #[test]
    fn gives_the_date_in_the_zone() {
        let late = json!("2026-03-29T23:30:00Z");
        assert_eq!(
            to_date(std::slice::from_ref(&late)),
            Ok(json!("2026-03-29"))
        );
        assert_eq!(
            to_date(&[late.clone(), json!("Europe/Amsterdam")]),
            Ok(json!("2026-03-30"))
        );
        assert_eq!(
            to_date(&[late, json!("America/Los_Angeles")]),
            Ok(json!("2026-03-29"))
        );
        assert_eq!(
            to_date(&[json!("2026-03-30T00:30:00+02:00")]),
            Ok(json!("2026-03-29"))
        );
    }

    #[test]
    fn dates_and_local_times_keep_their_date() {
        let zone = json!("Pacific/Auckland");
        assert_eq!(
            to_date(&[json!(" 2026-02-28 "), zone.clone()]),
            Ok(json!("2026-02-28"))
        );
        assert_eq!(
            to_date(&[json!("2026-02-28 23:59"), zone]),
            Ok(json!("2026-02-28"))
        );
    }

    #[test]
    fn null_gives_null_and_other_values_are_errors() {
        assert_eq!(to_date(&[json!(null), json!("UTC")]), Ok(json!(null)));
        assert!(to_date(&[json!("2026-02-30")]).is_err());
        assert!(to_date(&[json!(20260101)]).is_err());
        let bad_zone = [json!("2026-01-01"), json!("Nowhere")];
        assert!(call_builtin("to_date", &bad_zone).is_err());
        assert!(call_at_run_time("to_date", &bad_zone).is_err());
    }
}
