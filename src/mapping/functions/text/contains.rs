//! `contains`: tells whether a text contains a part, or a list an element.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::{self, Value};

pub(crate) const CONTAINS: Function = Function {
    name: "contains",
    category: Category::Text,
    summary: "For a text: true when `needle` occurs in it (case-sensitive). For a list: \
              true when one of its elements equals `needle` (`1` equals `1.0`).",
    params: &[Param::required("value"), Param::required("needle")],
    examples: &[
        Example {
            expr: r#""Spring Sale 2026" | contains("Sale")"#,
            result: "true",
        },
        Example {
            expr: r#"["news", "offers"] | contains("events")"#,
            result: "false",
        },
        Example {
            expr: r#"[1, 2, 3] | contains(2)"#,
            result: "true",
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(contains),
};

fn contains(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    if let Value::Array(items) = args.value(0) {
        let needle = args.value(1);
        return Ok(Value::Bool(
            items.iter().any(|item| value::equals(item, needle)),
        ));
    }
    let needle = args.text(1)?;
    let text = args.text(0).map_err(|_| {
        let got = args.value(0);
        args.error(
            0,
            format_args!(
                "must be text or a list, got {} {}",
                value::type_name(got),
                value::excerpt(got)
            ),
        )
    })?;
    Ok(Value::Bool(text.contains(needle.as_ref())))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn finds_parts_of_texts() {
        assert_eq!(
            call_builtin("contains", &[json!("hello world"), json!("o w")]),
            Ok(json!(true))
        );
        assert_eq!(
            call_builtin("contains", &[json!("hello"), json!("H")]),
            Ok(json!(false))
        );
        assert_eq!(
            call_builtin("contains", &[json!("hello"), json!("")]),
            Ok(json!(true))
        );
        assert_eq!(
            call_builtin("contains", &[json!(31612), json!(61)]),
            Ok(json!(true))
        );
    }

    #[test]
    fn finds_elements_of_lists() {
        assert_eq!(
            call_builtin("contains", &[json!(["a", "b"]), json!("b")]),
            Ok(json!(true))
        );
        // Elements are compared whole, not as parts of texts.
        assert_eq!(
            call_builtin("contains", &[json!(["abc"]), json!("b")]),
            Ok(json!(false))
        );
        assert_eq!(
            call_builtin("contains", &[json!([1, 2.0]), json!(2)]),
            Ok(json!(true))
        );
        assert_eq!(
            call_builtin("contains", &[json!([1]), json!("1")]),
            Ok(json!(false))
        );
        assert_eq!(
            call_builtin("contains", &[json!([null]), json!(null)]),
            Ok(json!(true))
        );
        assert_eq!(
            call_builtin("contains", &[json!([[1, 2], {"a": 1}]), json!({"a": 1.0})]),
            Ok(json!(true))
        );
        assert_eq!(
            call_builtin("contains", &[json!([]), json!("a")]),
            Ok(json!(false))
        );
    }

    #[test]
    fn null_and_errors() {
        assert_eq!(
            call_builtin("contains", &[json!(null), json!("a")]),
            Ok(json!(null))
        );
        let err = call_builtin("contains", &[json!({"a": 1}), json!("a")]).unwrap_err();
        assert!(err.0.contains("must be text or a list"), "{err}");
        let err = call_builtin("contains", &[json!("abc"), json!(["a"])]).unwrap_err();
        assert!(err.0.contains("`needle` must be text"), "{err}");
    }
}
