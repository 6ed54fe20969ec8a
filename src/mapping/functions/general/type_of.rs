//! `type_of`: the name of a value's type.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::{self, Value};

pub(crate) const TYPE_OF: Function = Function {
    name: "type_of",
    category: Category::General,
    summary: "Gives the name of the value's type: `\"null\"`, `\"boolean\"`, `\"integer\"`, \
              `\"float\"`, `\"string\"`, `\"list\"` or `\"object\"`.",
    params: &[Param::required("value")],
    examples: &[
        Example {
            expr: r#"type_of(42)"#,
            result: r#""integer""#,
        },
        Example {
            expr: r#"type_of([1, 2])"#,
            result: r#""list""#,
        },
        Example {
            expr: r#"type_of(null)"#,
            result: r#""null""#,
        },
    ],
    nulls: Nulls::Accept,
    imp: Imp::Plain(type_of),
};

fn type_of(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    Ok(Value::String(value::type_name(args.value(0)).to_string()))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn names_every_type() {
        let cases = [
            (json!(null), "null"),
            (json!(true), "boolean"),
            (json!(-3), "integer"),
            (json!(u64::MAX), "integer"),
            (json!(1.0), "float"),
            (json!(""), "string"),
            (json!([]), "list"),
            (json!({"a": 1}), "object"),
        ];
        for (v, name) in cases {
            assert_eq!(call_builtin("type_of", &[v]), Ok(json!(name)));
        }
    }
}
