//! `last`: the last element of a list.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const LAST: Function = Function {
    name: "last",
    category: Category::Lists,
    summary: "Gives the last element of a list (null when the list is empty).",
    params: &[Param::required("list")],
    examples: &[
        Example {
            expr: r#"["a", "b", "c"] | last"#,
            result: r#""c""#,
        },
        Example {
            expr: r#"[] | last"#,
            result: r#"null"#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(last),
};

fn last(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    // Borrowed: only the element is copied, never the whole list.
    Ok(args.list(0)?.last().cloned().unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn gives_the_last_element() {
        assert_eq!(call_builtin("last", &[json!([1, 2, 3])]), Ok(json!(3)));
        assert_eq!(call_builtin("last", &[json!([[1], [2]])]), Ok(json!([2])));
        assert_eq!(call_builtin("last", &[json!(["only"])]), Ok(json!("only")));
    }

    #[test]
    fn an_empty_list_or_null_gives_null() {
        assert_eq!(call_builtin("last", &[json!([])]), Ok(json!(null)));
        assert_eq!(call_builtin("last", &[json!(null)]), Ok(json!(null)));
    }

    #[test]
    fn other_types_are_errors() {
        assert!(call_builtin("last", &[json!("abc")]).is_err());
        assert!(call_builtin("last", &[json!(3)]).is_err());
    }
}
