//! `length`: the number of elements, keys or characters.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::{self, Value};

pub(crate) const LENGTH: Function = Function {
    name: "length",
    category: Category::Lists,
    summary: "Counts the elements of a list, the keys of an object or the characters of a \
              text (null gives null; numbers and booleans are errors).",
    params: &[Param::required("value")],
    examples: &[
        Example {
            expr: r#"[1, 2, 3] | length"#,
            result: r#"3"#,
        },
        Example {
            expr: r#""Zoë" | length"#,
            result: r#"3"#,
        },
        Example {
            expr: r#"{name: "Ada", city: "London"} | length"#,
            result: r#"2"#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(length),
};

fn length(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let count = match args.value(0) {
        Value::Array(items) => items.len(),
        Value::Object(map) => map.len(),
        Value::String(s) => s.chars().count(),
        other => {
            return Err(args.error(
                0,
                format_args!(
                    "must be a list, an object or text, got {} {}",
                    value::type_name(other),
                    value::excerpt(other)
                ),
            ));
        }
    };
    Ok(Value::from(count))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn counts_elements_keys_and_characters() {
        assert_eq!(call_builtin("length", &[json!([1, [2, 3]])]), Ok(json!(2)));
        assert_eq!(call_builtin("length", &[json!({"a": 1})]), Ok(json!(1)));
        assert_eq!(call_builtin("length", &[json!("héllo")]), Ok(json!(5)));
        assert_eq!(call_builtin("length", &[json!("日本")]), Ok(json!(2)));
    }

    #[test]
    fn empty_values_have_length_zero() {
        assert_eq!(call_builtin("length", &[json!([])]), Ok(json!(0)));
        assert_eq!(call_builtin("length", &[json!({})]), Ok(json!(0)));
        assert_eq!(call_builtin("length", &[json!("")]), Ok(json!(0)));
    }

    #[test]
    fn null_gives_null() {
        assert_eq!(call_builtin("length", &[json!(null)]), Ok(json!(null)));
    }

    #[test]
    fn numbers_and_booleans_are_errors() {
        let err = call_builtin("length", &[json!(12345)]).unwrap_err();
        assert!(err.0.contains("got integer 12345"), "{err}");
        assert!(call_builtin("length", &[json!(true)]).is_err());
    }
}
