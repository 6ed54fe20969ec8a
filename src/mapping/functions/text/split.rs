//! `split`: cuts a text into a list at every separator.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const SPLIT: Function = Function {
    name: "split",
    category: Category::Text,
    summary: "Cuts a text at every occurrence of `separator` (plain text) into a list of \
              texts. An empty text gives `[]`; an empty separator splits into characters.",
    params: &[Param::required("value"), Param::required("separator")],
    examples: &[
        Example {
            expr: r#""news;offers;events" | split(";")"#,
            result: r#"["news", "offers", "events"]"#,
        },
        Example {
            expr: r#""a, b,,c" | split(",") | map(trim)"#,
            result: r#"["a", "b", "", "c"]"#,
        },
        Example {
            expr: r#""" | split(",")"#,
            result: "[]",
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(split),
};

fn split(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let separator = args.text(1)?;
    let text = args.text(0)?;
    let parts: Vec<Value> = if text.is_empty() {
        Vec::new()
    } else if separator.is_empty() {
        text.chars().map(|c| Value::String(c.to_string())).collect()
    } else {
        text.split(separator.as_ref())
            .map(|part| Value::String(part.to_string()))
            .collect()
    };
    Ok(Value::Array(parts))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn splits_at_every_separator() {
        assert_eq!(
            call_builtin("split", &[json!("a,b,,c,"), json!(",")]),
            Ok(json!(["a", "b", "", "c", ""]))
        );
        assert_eq!(
            call_builtin("split", &[json!("a - b - c"), json!(" - ")]),
            Ok(json!(["a", "b", "c"]))
        );
        assert_eq!(
            call_builtin("split", &[json!("no separator"), json!(";")]),
            Ok(json!(["no separator"]))
        );
    }

    #[test]
    fn edge_cases() {
        assert_eq!(
            call_builtin("split", &[json!(""), json!(",")]),
            Ok(json!([]))
        );
        assert_eq!(
            call_builtin("split", &[json!("héj"), json!("")]),
            Ok(json!(["h", "é", "j"]))
        );
        assert_eq!(
            call_builtin("split", &[json!(1.5), json!(".")]),
            Ok(json!(["1", "5"]))
        );
        assert_eq!(
            call_builtin("split", &[json!(null), json!(",")]),
            Ok(json!(null))
        );
    }

    #[test]
    fn wrong_types_are_errors() {
        assert!(call_builtin("split", &[json!(["a,b"]), json!(",")]).is_err());
        let err = call_builtin("split", &[json!("a"), json!(null)]).unwrap_err();
        assert!(err.0.contains("`separator`"), "{err}");
    }
}
