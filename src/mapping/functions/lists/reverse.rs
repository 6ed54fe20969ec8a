//! `reverse`: reverses the order of a list.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const REVERSE: Function = Function {
    name: "reverse",
    category: Category::Lists,
    summary: "Reverses the order of the elements of a list.",
    params: &[Param::required("list")],
    examples: &[Example {
        expr: r#"[1, 2, 3] | reverse"#,
        result: r#"[3, 2, 1]"#,
    }],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(reverse),
};

fn reverse(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let mut items = args.take_list(0)?;
    items.reverse();
    Ok(Value::Array(items))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn reverses_lists() {
        assert_eq!(
            call_builtin("reverse", &[json!(["a", [1, 2], null])]),
            Ok(json!([null, [1, 2], "a"]))
        );
        assert_eq!(call_builtin("reverse", &[json!([1])]), Ok(json!([1])));
        assert_eq!(call_builtin("reverse", &[json!([])]), Ok(json!([])));
    }

    #[test]
    fn null_gives_null() {
        assert_eq!(call_builtin("reverse", &[json!(null)]), Ok(json!(null)));
    }

    #[test]
    fn text_is_an_error() {
        assert!(call_builtin("reverse", &[json!("abc")]).is_err());
        assert!(call_builtin("reverse", &[json!({"a": 1})]).is_err());
    }
}
