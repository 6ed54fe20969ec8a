//! `to_string`: any value as text.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const TO_STRING: Function = Function {
    name: "to_string",
    category: Category::Text,
    summary: "Converts a value to text: texts stay as they are, numbers and booleans are \
              written out, lists and objects become compact JSON.",
    params: &[Param::required("value")],
    examples: &[
        Example {
            expr: r#"1187 | to_string"#,
            result: r#""1187""#,
        },
        Example {
            expr: r#"["news", "offers"] | to_string"#,
            result: r#""[\"news\",\"offers\"]""#,
        },
        Example {
            expr: r#"{plan: "pro", seats: 5} | to_string"#,
            result: r#""{\"plan\":\"pro\",\"seats\":5}""#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(to_string),
};

fn to_string(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    match args.value(0) {
        Value::Array(_) | Value::Object(_) => Ok(Value::String(args.value(0).to_string())),
        _ => args.take_text(0).map(Value::String),
    }
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn formats_scalars() {
        assert_eq!(call_builtin("to_string", &[json!("x")]), Ok(json!("x")));
        assert_eq!(call_builtin("to_string", &[json!(-12)]), Ok(json!("-12")));
        assert_eq!(call_builtin("to_string", &[json!(2.5)]), Ok(json!("2.5")));
        assert_eq!(call_builtin("to_string", &[json!(1.0)]), Ok(json!("1.0")));
        assert_eq!(call_builtin("to_string", &[json!(true)]), Ok(json!("true")));
        assert_eq!(call_builtin("to_string", &[json!(null)]), Ok(json!(null)));
    }

    #[test]
    fn writes_lists_and_objects_as_compact_json() {
        assert_eq!(
            call_builtin("to_string", &[json!([1, "a", null])]),
            Ok(json!("[1,\"a\",null]"))
        );
        assert_eq!(
            call_builtin("to_string", &[json!({"b": 1, "a": {"c": []}})]),
            Ok(json!("{\"a\":{\"c\":[]},\"b\":1}"))
        );
        assert_eq!(call_builtin("to_string", &[json!([])]), Ok(json!("[]")));
        assert_eq!(
            call_builtin("to_string", &[json!(["é\n"])]),
            Ok(json!("[\"é\\n\"]"))
        );
    }
}
