//! `keys`: the keys of an object.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const KEYS: Function = Function {
    name: "keys",
    category: Category::Objects,
    summary: "Gives the keys of an object as a list of text, in alphabetical order (objects keep their keys sorted).",
    params: &[Param::required("object")],
    examples: &[Example {
        expr: r#"{name: "Ada", "birth year": 1815} | keys"#,
        result: r#"["birth year", "name"]"#,
    }],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(keys),
};

fn keys(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let map = args.object(0)?;
    Ok(Value::Array(
        map.keys().map(|k| Value::String(k.clone())).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn lists_keys_in_sorted_order() {
        assert_eq!(
            call_builtin("keys", &[json!({"z": 1, "a": null, "m": {"x": 1}})]),
            Ok(json!(["a", "m", "z"]))
        );
        assert_eq!(call_builtin("keys", &[json!({})]), Ok(json!([])));
    }

    #[test]
    fn null_gives_null() {
        assert_eq!(call_builtin("keys", &[json!(null)]), Ok(json!(null)));
    }

    #[test]
    fn other_types_are_errors() {
        let err = call_builtin("keys", &[json!([1, 2])]).unwrap_err();
        assert!(err.0.contains("`object` must be an object"), "{err}");
        assert!(call_builtin("keys", &[json!("a")]).is_err());
    }
}
