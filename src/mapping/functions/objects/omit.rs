//! `omit`: removes the named keys from an object.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::{self, Value};

use super::pick::key_names;

pub(crate) const OMIT: Function = Function {
    name: "omit",
    category: Category::Objects,
    summary: "Removes the named keys from an object; the \
              names are further arguments or one list. Names that are absent are ignored.",
    params: &[Param::required("object"), Param::variadic("keys")],
    examples: &[
        Example {
            expr: r#"{id: 7, name: "Ada", secret: "x"} | omit("secret")"#,
            result: r#"{"id": 7, "name": "Ada"}"#,
        },
        Example {
            expr: r#"{id: 7, name: "Ada", secret: "x"} | omit(["id", "secret", "email"])"#,
            result: r#"{"name": "Ada"}"#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(omit),
};

fn omit(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let mut map = match args.take(0) {
        Value::Object(map) => map,
        other => {
            return Err(args.error(
                0,
                format_args!(
                    "must be an object, got {} {}",
                    value::type_name(&other),
                    value::excerpt(&other)
                ),
            ));
        }
    };
    let names = key_names(args, 1)?;
    if !names.is_empty() {
        map.retain(|key, _| !names.iter().any(|name| name == key));
    }
    Ok(Value::Object(map))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn removes_named_keys() {
        let record = json!({"a": 1, "b": null, "c": [3], "d": 4, "1": "one"});
        let got = call_builtin("omit", &[record.clone(), json!("a")]).unwrap();
        let keys: Vec<&String> = got.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["1", "b", "c", "d"]);
        let got = call_builtin("omit", &[record.clone(), json!("b"), json!("x"), json!(1)]);
        assert_eq!(got, Ok(json!({"a": 1, "c": [3], "d": 4})));
        let got = call_builtin("omit", &[record.clone(), json!(["a", "c", "a"])]).unwrap();
        let keys: Vec<&String> = got.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["1", "b", "d"]);
        assert_eq!(
            call_builtin("omit", &[record.clone(), json!([])]),
            Ok(record.clone())
        );
        assert_eq!(
            call_builtin("omit", std::slice::from_ref(&record)),
            Ok(record)
        );
    }

    #[test]
    fn null_gives_null() {
        assert_eq!(
            call_builtin("omit", &[json!(null), json!("a")]),
            Ok(json!(null))
        );
    }

    #[test]
    fn wrong_types_are_errors() {
        let err = call_builtin("omit", &[json!("abc"), json!("a")]).unwrap_err();
        assert!(err.0.contains("`object` must be an object"), "{err}");
        let err = call_builtin("omit", &[json!({"a": 1}), json!([null])]).unwrap_err();
        assert!(
            err.0.contains("`keys` must hold key names, got null"),
            "{err}"
        );
        assert!(call_builtin("omit", &[json!({"a": 1}), json!({"a": 1})]).is_err());
    }
}
