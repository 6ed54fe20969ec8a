//! `replace`: replaces every occurrence of a plain text.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const REPLACE: Function = Function {
    name: "replace",
    category: Category::Text,
    summary: "Replaces every occurrence of `search` (plain text, case-sensitive) with \
              `replacement`. An empty `search` leaves the text as it is; use \
              `regex_replace` for patterns.",
    params: &[
        Param::required("value"),
        Param::required("search"),
        Param::required("replacement"),
    ],
    examples: &[
        Example {
            expr: r#""06-1234-5678" | replace("-", "")"#,
            result: r#""0612345678""#,
        },
        Example {
            expr: r#""Summer Sale" | replace(" ", "_")"#,
            result: r#""Summer_Sale""#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(replace),
};

fn replace(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let replaced = {
        let search = args.text(1)?;
        let replacement = args.text(2)?;
        let text = args.text(0)?;
        if search.is_empty() || !text.contains(search.as_ref()) {
            None
        } else {
            Some(text.replace(search.as_ref(), replacement.as_ref()))
        }
    };
    match replaced {
        Some(text) => Ok(Value::String(text)),
        // Nothing to replace: hand the text back without copying it when possible.
        None => args.take_text(0).map(Value::String),
    }
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn replaces_every_occurrence() {
        assert_eq!(
            call_builtin("replace", &[json!("a.b.c"), json!("."), json!("")]),
            Ok(json!("abc"))
        );
        assert_eq!(
            call_builtin("replace", &[json!("aaa"), json!("aa"), json!("b")]),
            Ok(json!("ba"))
        );
        assert_eq!(
            call_builtin("replace", &[json!("café"), json!("é"), json!("e")]),
            Ok(json!("cafe"))
        );
    }

    #[test]
    fn plain_text_not_patterns() {
        assert_eq!(
            call_builtin("replace", &[json!("1+1"), json!("+"), json!(" plus ")]),
            Ok(json!("1 plus 1"))
        );
        assert_eq!(
            call_builtin("replace", &[json!("a.b"), json!(".*"), json!("x")]),
            Ok(json!("a.b"))
        );
    }

    #[test]
    fn edge_cases() {
        assert_eq!(
            call_builtin("replace", &[json!("abc"), json!(""), json!("x")]),
            Ok(json!("abc"))
        );
        assert_eq!(
            call_builtin("replace", &[json!(1200), json!("00"), json!("k")]),
            Ok(json!("12k"))
        );
        assert_eq!(
            call_builtin("replace", &[json!(null), json!("a"), json!("b")]),
            Ok(json!(null))
        );
    }

    #[test]
    fn wrong_types_are_errors() {
        let err = call_builtin("replace", &[json!("a"), json!(["a"]), json!("b")]).unwrap_err();
        assert!(err.0.contains("`search`"), "{err}");
        let err = call_builtin("replace", &[json!("a"), json!("a"), json!(null)]).unwrap_err();
        assert!(err.0.contains("`replacement`"), "{err}");
    }
}
