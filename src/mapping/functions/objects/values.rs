//! `values`: the values of an object.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::{self, Value};

pub(crate) const VALUES: Function = Function {
    name: "values",
    category: Category::Objects,
    summary: "Gives the values of an object as a list, in the alphabetical order of their keys.",
    params: &[Param::required("object")],
    examples: &[Example {
        expr: r#"{name: "Ada", year: 1815} | values"#,
        result: r#"["Ada", 1815]"#,
    }],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(values),
};

fn values(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    match args.take(0) {
        Value::Object(map) => Ok(Value::Array(map.into_iter().map(|(_, v)| v).collect())),
        other => Err(args.error(
            0,
            format_args!(
                "must be an object, got {} {}",
                value::type_name(&other),
                value::excerpt(&other)
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn lists_values_in_key_order() {
        assert_eq!(
            call_builtin("values", &[json!({"z": 1, "a": null, "m": {"x": [1]}})]),
            Ok(json!([null, {"x": [1]}, 1]))
        );
        assert_eq!(call_builtin("values", &[json!({})]), Ok(json!([])));
    }

    #[test]
    fn null_gives_null() {
        assert_eq!(call_builtin("values", &[json!(null)]), Ok(json!(null)));
    }

    #[test]
    fn other_types_are_errors() {
        let err = call_builtin("values", &[json!([1, 2])]).unwrap_err();
        assert!(
            err.0.contains("`object` must be an object, got list [1,2]"),
            "{err}"
        );
        assert!(call_builtin("values", &[json!(3)]).is_err());
    }
}
