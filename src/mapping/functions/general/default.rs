//! `default`: a fallback for a missing or blank value.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const DEFAULT: Function = Function {
    name: "default",
    category: Category::General,
    summary: "Gives the fallback when the value is null or blank text (empty or only white \
              space), and the value otherwise; `0`, `false` and empty lists or objects are \
              kept. `??` replaces only null.",
    params: &[Param::required("value"), Param::required("fallback")],
    examples: &[
        Example {
            expr: r#""  " | default("unknown")"#,
            result: r#""unknown""#,
        },
        Example {
            expr: r#"null | default(0)"#,
            result: r#"0"#,
        },
        Example {
            expr: r#"0 | default(10)"#,
            result: r#"0"#,
        },
    ],
    nulls: Nulls::Accept,
    imp: Imp::Plain(default),
};

fn default(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let missing = match args.value(0) {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    };
    Ok(args.take(if missing { 1 } else { 0 }))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn replaces_null_and_blank_text() {
        for missing in [json!(null), json!(""), json!(" \t\n")] {
            assert_eq!(
                call_builtin("default", &[missing, json!("x")]),
                Ok(json!("x"))
            );
        }
        assert_eq!(
            call_builtin("default", &[json!(null), json!(null)]),
            Ok(json!(null))
        );
        assert_eq!(
            call_builtin("default", &[json!(""), json!({"a": 1})]),
            Ok(json!({"a": 1}))
        );
    }

    #[test]
    fn keeps_other_values_unchanged() {
        for kept in [
            json!(" a "),
            json!(0),
            json!(false),
            json!([]),
            json!({}),
            json!([null]),
        ] {
            assert_eq!(
                call_builtin("default", &[kept.clone(), json!("x")]),
                Ok(kept)
            );
        }
    }
}
