//! `compact`: removes null and blank elements from a list.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const COMPACT: Function = Function {
    name: "compact",
    category: Category::Lists,
    summary: "Removes the elements that are null or blank text (empty or only white space); \
              `0`, `false` and empty lists or objects are kept.",
    params: &[Param::required("list")],
    examples: &[
        Example {
            expr: r#"["a", null, "", "  ", "b"] | compact"#,
            result: r#"["a", "b"]"#,
        },
        Example {
            expr: r#"[0, false, null, []] | compact"#,
            result: r#"[0, false, []]"#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(compact),
};

fn is_blank(item: &Value) -> bool {
    match item {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

fn compact(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let mut items = args.take_list(0)?;
    items.retain(|item| !is_blank(item));
    Ok(Value::Array(items))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn removes_nulls_and_blank_text() {
        assert_eq!(
            call_builtin(
                "compact",
                &[json!([null, "x", "\t\n", 0, false, {}, [], [null], " y "])]
            ),
            Ok(json!(["x", 0, false, {}, [], [null], " y "]))
        );
        assert_eq!(call_builtin("compact", &[json!([null, ""])]), Ok(json!([])));
        assert_eq!(call_builtin("compact", &[json!([])]), Ok(json!([])));
    }

    #[test]
    fn null_gives_null() {
        assert_eq!(call_builtin("compact", &[json!(null)]), Ok(json!(null)));
    }

    #[test]
    fn other_types_are_errors() {
        assert!(call_builtin("compact", &[json!("")]).is_err());
        assert!(call_builtin("compact", &[json!({"a": null})]).is_err());
    }
}
