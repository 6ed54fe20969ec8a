//! `first`: the first element of a list.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const FIRST: Function = Function {
    name: "first",
    category: Category::Lists,
    summary: "Gives the first element of a list (null when the list is empty).",
    params: &[Param::required("list")],
    examples: &[
        Example {
            expr: r#"["a", "b", "c"] | first"#,
            result: r#""a""#,
        },
        Example {
            expr: r#"[] | first"#,
            result: r#"null"#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(first),
};

fn first(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    // Borrowed: only the element is copied, never the whole list.
    Ok(args.list(0)?.first().cloned().unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn gives_the_first_element() {
        assert_eq!(call_builtin("first", &[json!([1, 2, 3])]), Ok(json!(1)));
        assert_eq!(
            call_builtin("first", &[json!([{"a": 1}, 2])]),
            Ok(json!({"a": 1}))
        );
        assert_eq!(call_builtin("first", &[json!([null, 2])]), Ok(json!(null)));
    }

    #[test]
    fn an_empty_list_or_null_gives_null() {
        assert_eq!(call_builtin("first", &[json!([])]), Ok(json!(null)));
        assert_eq!(call_builtin("first", &[json!(null)]), Ok(json!(null)));
    }

    #[test]
    fn other_types_are_errors() {
        let err = call_builtin("first", &[json!("abc")]).unwrap_err();
        assert!(err.0.contains("must be a list"), "{err}");
        assert!(call_builtin("first", &[json!({"a": 1})]).is_err());
    }
}
