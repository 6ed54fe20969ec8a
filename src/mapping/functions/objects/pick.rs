//! `pick`: keeps only the named keys of an object.

use std::borrow::Cow;

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::{self, Value};

pub(crate) const PICK: Function = Function {
    name: "pick",
    category: Category::Objects,
    summary: "Keeps only the named keys of an object; \
              the names are further arguments or one list. Keys that are absent are left out.",
    params: &[Param::required("object"), Param::variadic("keys")],
    examples: &[
        Example {
            expr: r#"{id: 7, name: "Ada", secret: "x"} | pick("name", "id")"#,
            result: r#"{"name": "Ada", "id": 7}"#,
        },
        Example {
            expr: r#"{id: 7, name: "Ada"} | pick(["id", "email"])"#,
            result: r#"{"id": 7}"#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(pick),
};

/// The key names given from argument `from` on: further arguments, or a single list.
pub(super) fn key_names<'s>(
    args: &'s Args<'_, '_>,
    from: usize,
) -> Result<Vec<Cow<'s, str>>, FnError> {
    if let (Value::Array(items), true) = (args.value(from), args.len() == from + 1) {
        return items
            .iter()
            .map(|item| {
                value::as_text(item).ok_or_else(|| {
                    args.error(
                        from,
                        format_args!(
                            "must hold key names, got {} {}",
                            value::type_name(item),
                            value::excerpt(item)
                        ),
                    )
                })
            })
            .collect();
    }
    (from..args.len()).map(|i| args.text(i)).collect()
}

fn pick(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    // Borrowed: only the picked values are copied, never the whole object.
    let map = args.object(0)?;
    let names = key_names(args, 1)?;
    let mut picked = value::Map::with_capacity(names.len());
    for name in names {
        if let Some(v) = map.get(name.as_ref()) {
            picked.insert(name.into_owned(), v.clone());
        }
    }
    Ok(Value::Object(picked))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn keeps_only_named_keys() {
        let record = json!({"a": 1, "b": null, "c": [3], "1": "one"});
        let got = call_builtin(
            "pick",
            &[record.clone(), json!("c"), json!("b"), json!("x")],
        )
        .unwrap();
        assert_eq!(got, json!({"c": [3], "b": null}));
        let keys: Vec<&String> = got.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["b", "c"]);
        assert_eq!(
            call_builtin("pick", &[record.clone(), json!(["a", "a", 1])]),
            Ok(json!({"a": 1, "1": "one"}))
        );
        assert_eq!(
            call_builtin("pick", &[record.clone(), json!([])]),
            Ok(json!({}))
        );
        assert_eq!(call_builtin("pick", &[record]), Ok(json!({})));
    }

    #[test]
    fn null_gives_null() {
        assert_eq!(
            call_builtin("pick", &[json!(null), json!("a")]),
            Ok(json!(null))
        );
    }

    #[test]
    fn wrong_types_are_errors() {
        let err = call_builtin("pick", &[json!([1]), json!("a")]).unwrap_err();
        assert!(err.0.contains("`object` must be an object"), "{err}");
        let err = call_builtin("pick", &[json!({"a": 1}), json!([{"x": 1}])]).unwrap_err();
        assert!(
            err.0.contains("`keys` must hold key names, got object"),
            "{err}"
        );
        let err = call_builtin("pick", &[json!({"a": 1}), json!("a"), json!(null)]).unwrap_err();
        assert!(err.0.contains("`keys` must be text"), "{err}");
        assert!(call_builtin("pick", &[json!({"a": 1}), json!(["a"]), json!("b")]).is_err());
    }
}
