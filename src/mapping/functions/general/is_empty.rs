//! `is_empty`: whether a value is missing or empty.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::{self, Value};

pub(crate) const IS_EMPTY: Function = Function {
    name: "is_empty",
    category: Category::General,
    summary: "True for null, blank text (empty or only white space), and empty lists and \
              objects; false for everything else, including `0` and `false`.",
    params: &[Param::required("value")],
    examples: &[
        Example {
            expr: r#"" " | is_empty"#,
            result: r#"true"#,
        },
        Example {
            expr: r#"is_empty([])"#,
            result: r#"true"#,
        },
        Example {
            expr: r#"is_empty(0)"#,
            result: r#"false"#,
        },
    ],
    nulls: Nulls::Accept,
    imp: Imp::Plain(is_empty),
};

fn is_empty(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    Ok(Value::Bool(value::is_empty(args.value(0))))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn empty_values() {
        for v in [json!(null), json!(""), json!("\t \n"), json!([]), json!({})] {
            assert_eq!(call_builtin("is_empty", &[v]), Ok(json!(true)));
        }
    }

    #[test]
    fn values_that_are_not_empty() {
        for v in [
            json!(0),
            json!(false),
            json!(" x "),
            json!([null]),
            json!({"a": null}),
        ] {
            assert_eq!(call_builtin("is_empty", &[v]), Ok(json!(false)));
        }
    }
}
