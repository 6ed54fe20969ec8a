//! `to_int`: converts a number, numeric text or boolean to an integer.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::{self, Num, Value};

use super::common::float_to_int;

pub(crate) const TO_INT: Function = Function {
    name: "to_int",
    category: Category::Numbers,
    summary: "Converts to an integer: integers, floats without a fractional part, text such \
              as `\" 42 \"`, `\"-5\"` or `\"12.0\"`, and booleans (1 or 0); anything else, \
              such as `\"12.5\"`, is an error (use `round` first).",
    params: &[Param::required("value")],
    examples: &[
        Example {
            expr: r#"" 42 " | to_int"#,
            result: "42",
        },
        Example {
            expr: r#"to_int("12.0")"#,
            result: "12",
        },
        Example {
            expr: "to_int(true)",
            result: "1",
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(to_int),
};

fn to_int(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let value = args.value(0);
    let converted = match value {
        Value::Number(_) => match value::as_num(value) {
            Some(Num::Int(n)) => Some(n),
            Some(Num::Float(f)) => float_to_int(f),
            None => None,
        },
        Value::String(s) => parse_int(s),
        Value::Bool(b) => Some(i64::from(*b)),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    };
    match converted {
        Some(n) => Ok(Value::from(n)),
        None => Err(args.fail(format_args!(
            "cannot convert {} {} to an integer",
            value::type_name(value),
            value::excerpt(value)
        ))),
    }
}

/// Integer text, possibly written as a float without fraction (`"12.0"`, `"1e3"`).
fn parse_int(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(n) = text.parse::<i64>() {
        return Some(n);
    }
    // Only plain numbers: no `inf`, `NaN` or other words Rust's float parser accepts.
    if !text.bytes().any(|b| b.is_ascii_digit())
        || text
            .bytes()
            .any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E')
    {
        return None;
    }
    text.parse::<f64>().ok().and_then(float_to_int)
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    fn to_int(v: serde_json::Value) -> Result<serde_json::Value, String> {
        call_builtin("to_int", &[v]).map_err(|e| e.0)
    }

    #[test]
    fn converts_numbers_text_and_booleans() {
        assert_eq!(to_int(json!(7)), Ok(json!(7)));
        assert_eq!(to_int(json!(-3.0)), Ok(json!(-3)));
        assert_eq!(to_int(json!(" 42 ")), Ok(json!(42)));
        assert_eq!(to_int(json!("-5")), Ok(json!(-5)));
        assert_eq!(to_int(json!("+5")), Ok(json!(5)));
        assert_eq!(to_int(json!("12.0")), Ok(json!(12)));
        assert_eq!(to_int(json!("1e3")), Ok(json!(1000)));
        assert_eq!(to_int(json!(true)), Ok(json!(1)));
        assert_eq!(to_int(json!(false)), Ok(json!(0)));
        assert_eq!(to_int(json!("9223372036854775807")), Ok(json!(i64::MAX)));
    }

    #[test]
    fn null_gives_null() {
        assert_eq!(to_int(json!(null)), Ok(json!(null)));
    }

    #[test]
    fn fractions_words_and_other_types_are_errors_naming_the_value() {
        assert_eq!(
            to_int(json!("12.5")),
            Err(r#"to_int: cannot convert string "12.5" to an integer"#.to_string())
        );
        assert_eq!(
            to_int(json!(2.5)),
            Err("to_int: cannot convert float 2.5 to an integer".to_string())
        );
        for bad in [
            json!("abc"),
            json!(""),
            json!("  "),
            json!("inf"),
            json!("NaN"),
            json!("1,5"),
            json!("9223372036854775808"),
            json!(1e300),
            json!([1]),
            json!({"a": 1}),
        ] {
            assert!(to_int(bad.clone()).is_err(), "{bad}");
        }
    }
}
