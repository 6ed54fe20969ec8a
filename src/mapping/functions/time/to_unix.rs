//! `to_unix`: a time as seconds since 1970-01-01T00:00:00Z.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

use chrono_tz::Tz;

use super::common::moment_arg;

pub(crate) const TO_UNIX: Function = Function {
    name: "to_unix",
    category: Category::Time,
    summary: "A time as a Unix timestamp: whole seconds since 1970-01-01T00:00:00Z (rounded \
              down). A date, or a time without offset, is taken in UTC.",
    params: &[Param::required("value")],
    examples: &[
        Example {
            expr: r#"to_unix("2023-11-14T22:13:20Z")"#,
            result: "1700000000",
        },
        Example {
            expr: r#""1970-01-02" | to_unix"#,
            result: "86400",
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(to_unix),
};

fn to_unix(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let instant = moment_arg(args, 0)?
        .instant(Tz::UTC)
        .map_err(|e| args.fail(e))?;
    Ok(Value::from(instant.timestamp()))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn counts_seconds_since_1970() {
        let to_unix = |v| call_builtin("to_unix", &[v]);
        assert_eq!(
            to_unix(json!("2023-11-14T22:13:20Z")),
            Ok(json!(1_700_000_000))
        );
        assert_eq!(
            to_unix(json!("2023-11-14T23:13:20.999+01:00")),
            Ok(json!(1_700_000_000))
        );
        assert_eq!(to_unix(json!("1970-01-01 00:00")), Ok(json!(0)));
        assert_eq!(to_unix(json!("1969-12-31T23:59:59.5Z")), Ok(json!(-1)));
        assert_eq!(to_unix(json!(null)), Ok(json!(null)));
        assert!(to_unix(json!("yesterday")).is_err());
        assert!(to_unix(json!(1_700_000_000)).is_err());
    }
}
