//! `upper`: upper-cases a text.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const UPPER: Function = Function {
    name: "upper",
    category: Category::Text,
    summary: "Converts a text to upper case (all scripts, not only ASCII: `ß` becomes `SS`).",
    params: &[Param::required("value")],
    examples: &[
        Example {
            expr: r#""nl" | upper"#,
            result: r#""NL""#,
        },
        Example {
            expr: r#""caf\u{e9} de flore" | upper"#,
            result: r#""CAFÉ DE FLORE""#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(upper),
};

fn upper(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let mut text = args.take_text(0)?;
    if text.is_ascii() {
        text.make_ascii_uppercase();
        Ok(Value::String(text))
    } else {
        Ok(Value::String(text.to_uppercase()))
    }
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn uppers_ascii_and_unicode() {
        assert_eq!(call_builtin("upper", &[json!("abc Z")]), Ok(json!("ABC Z")));
        assert_eq!(
            call_builtin("upper", &[json!("école straße")]),
            Ok(json!("ÉCOLE STRASSE"))
        );
        assert_eq!(call_builtin("upper", &[json!("")]), Ok(json!("")));
    }

    #[test]
    fn formats_scalars_and_propagates_null() {
        assert_eq!(call_builtin("upper", &[json!(false)]), Ok(json!("FALSE")));
        assert_eq!(call_builtin("upper", &[json!(1.5)]), Ok(json!("1.5")));
        assert_eq!(call_builtin("upper", &[json!(null)]), Ok(json!(null)));
    }

    #[test]
    fn lists_and_objects_are_errors() {
        let err = call_builtin("upper", &[json!(["a"])]).unwrap_err();
        assert!(err.0.contains("`value` must be text"), "{err}");
        assert!(call_builtin("upper", &[json!({"a": 1})]).is_err());
    }
}
