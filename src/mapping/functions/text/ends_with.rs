//! `ends_with`: tells whether a text ends with a suffix.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const ENDS_WITH: Function = Function {
    name: "ends_with",
    category: Category::Text,
    summary: "True when the text ends with `suffix` (case-sensitive; combine with \
              `lower` to ignore case).",
    params: &[Param::required("value"), Param::required("suffix")],
    examples: &[
        Example {
            expr: r#""ada@gmail.com" | ends_with("@gmail.com")"#,
            result: "true",
        },
        Example {
            expr: r#""Brochure.PDF" | lower | ends_with(".pdf")"#,
            result: "true",
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(ends_with),
};

fn ends_with(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let suffix = args.text(1)?;
    let text = args.text(0)?;
    Ok(Value::Bool(text.ends_with(suffix.as_ref())))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn checks_the_end() {
        assert_eq!(
            call_builtin("ends_with", &[json!("hello"), json!("lo")]),
            Ok(json!(true))
        );
        assert_eq!(
            call_builtin("ends_with", &[json!("hello"), json!("LO")]),
            Ok(json!(false))
        );
        assert_eq!(
            call_builtin("ends_with", &[json!("hello"), json!("")]),
            Ok(json!(true))
        );
        assert_eq!(
            call_builtin("ends_with", &[json!("é"), json!("e")]),
            Ok(json!(false))
        );
        assert_eq!(
            call_builtin("ends_with", &[json!(2.5), json!(5)]),
            Ok(json!(true))
        );
    }

    #[test]
    fn null_and_errors() {
        assert_eq!(
            call_builtin("ends_with", &[json!(null), json!("a")]),
            Ok(json!(null))
        );
        let err = call_builtin("ends_with", &[json!("a"), json!(null)]).unwrap_err();
        assert!(err.0.contains("`suffix` must be text"), "{err}");
        assert!(call_builtin("ends_with", &[json!(["a"]), json!("a")]).is_err());
    }
}
