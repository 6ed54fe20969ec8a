//! `starts_with`: tells whether a text begins with a prefix.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const STARTS_WITH: Function = Function {
    name: "starts_with",
    category: Category::Text,
    summary: "True when the text begins with `prefix` (case-sensitive; combine with \
              `lower` to ignore case).",
    params: &[Param::required("value"), Param::required("prefix")],
    examples: &[
        Example {
            expr: r#""+31612345678" | starts_with("+31")"#,
            result: "true",
        },
        Example {
            expr: r#""Newsletter" | lower | starts_with("news")"#,
            result: "true",
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(starts_with),
};

fn starts_with(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let prefix = args.text(1)?;
    let text = args.text(0)?;
    Ok(Value::Bool(text.starts_with(prefix.as_ref())))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn checks_the_beginning() {
        assert_eq!(
            call_builtin("starts_with", &[json!("hello"), json!("he")]),
            Ok(json!(true))
        );
        assert_eq!(
            call_builtin("starts_with", &[json!("hello"), json!("He")]),
            Ok(json!(false))
        );
        assert_eq!(
            call_builtin("starts_with", &[json!("hello"), json!("")]),
            Ok(json!(true))
        );
        assert_eq!(
            call_builtin("starts_with", &[json!(""), json!("a")]),
            Ok(json!(false))
        );
        assert_eq!(
            call_builtin("starts_with", &[json!(2026), json!(20)]),
            Ok(json!(true))
        );
    }

    #[test]
    fn null_and_errors() {
        assert_eq!(
            call_builtin("starts_with", &[json!(null), json!("a")]),
            Ok(json!(null))
        );
        let err = call_builtin("starts_with", &[json!("a"), json!(null)]).unwrap_err();
        assert!(err.0.contains("`prefix` must be text"), "{err}");
        assert!(call_builtin("starts_with", &[json!(["a"]), json!("a")]).is_err());
    }
}
