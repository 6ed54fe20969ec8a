//! `merge`: combines objects into one.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::{self, Value};

pub(crate) const MERGE: Function = Function {
    name: "merge",
    category: Category::Objects,
    summary: "Combines the keys of several objects into one (shallowly); when a key occurs \
              more than once the later object's value wins. Null \
              arguments are skipped; null when all are null.",
    params: &[Param::required("object"), Param::variadic("more")],
    examples: &[
        Example {
            expr: r#"merge({name: "Ada", city: "London"}, {city: "Paris", year: 1815})"#,
            result: r#"{"name": "Ada", "city": "Paris", "year": 1815}"#,
        },
        Example {
            expr: r#"merge(null, {a: 1}, null)"#,
            result: r#"{"a": 1}"#,
        },
    ],
    nulls: Nulls::Accept,
    imp: Imp::Plain(merge),
};

fn merge(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let mut merged: Option<value::Map<String, Value>> = None;
    for i in 0..args.len() {
        match args.value(i) {
            Value::Null => continue,
            Value::Object(_) => {}
            other => {
                return Err(args.error(
                    i,
                    format_args!(
                        "must be an object, got {} {}",
                        value::type_name(other),
                        value::excerpt(other)
                    ),
                ));
            }
        }
        let Value::Object(map) = args.take(i) else {
            continue;
        };
        match merged.as_mut() {
            None => merged = Some(map),
            Some(target) => target.extend(map),
        }
    }
    Ok(merged.map_or(Value::Null, Value::Object))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn later_keys_win_in_place() {
        let got = call_builtin(
            "merge",
            &[
                json!({"a": 1, "b": 2}),
                json!({"c": 3, "a": 10}),
                json!({"b": null}),
            ],
        )
        .unwrap();
        assert_eq!(got, json!({"a": 10, "b": null, "c": 3}));
        let keys: Vec<&String> = got.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["a", "b", "c"]);
    }

    #[test]
    fn merging_is_shallow() {
        assert_eq!(
            call_builtin("merge", &[json!({"x": {"a": 1}}), json!({"x": {"b": 2}})]),
            Ok(json!({"x": {"b": 2}}))
        );
    }

    #[test]
    fn one_object_and_nulls() {
        assert_eq!(
            call_builtin("merge", &[json!({"a": 1})]),
            Ok(json!({"a": 1}))
        );
        assert_eq!(
            call_builtin("merge", &[json!(null), json!({"a": 1}), json!(null)]),
            Ok(json!({"a": 1}))
        );
        assert_eq!(call_builtin("merge", &[json!(null)]), Ok(json!(null)));
        assert_eq!(
            call_builtin("merge", &[json!(null), json!(null)]),
            Ok(json!(null))
        );
        assert_eq!(
            call_builtin("merge", &[json!({}), json!({})]),
            Ok(json!({}))
        );
    }

    #[test]
    fn other_types_are_errors() {
        let err = call_builtin("merge", &[json!({"a": 1}), json!([1])]).unwrap_err();
        assert!(
            err.0.contains("`more` must be an object, got list"),
            "{err}"
        );
        let err = call_builtin("merge", &[json!("x"), json!({})]).unwrap_err();
        assert!(err.0.contains("`object` must be an object"), "{err}");
    }
}
