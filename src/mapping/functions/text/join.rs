//! `join`: joins the elements of a list into one text.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::{self, Value};

pub(crate) const JOIN: Function = Function {
    name: "join",
    category: Category::Text,
    summary: "Joins the elements of a list into one text, with `separator` between them \
              (default: nothing). Null elements are skipped; numbers and booleans are \
              written as text.",
    params: &[Param::required("list"), Param::optional("separator")],
    examples: &[
        Example {
            expr: r#"["news", "offers"] | join(", ")"#,
            result: r#""news, offers""#,
        },
        Example {
            expr: r#"["Ada", null, "Lovelace"] | join(" ")"#,
            result: r#""Ada Lovelace""#,
        },
        Example {
            expr: r#"["NL", 31, true] | join"#,
            result: r#""NL31true""#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(join),
};

fn join(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let separator = args.opt_text(1)?.unwrap_or_default();
    let items = args.list(0)?;
    let mut out = String::new();
    let mut first = true;
    for item in items {
        if item.is_null() {
            continue;
        }
        let Some(text) = value::as_text(item) else {
            return Err(args.error(
                0,
                format_args!(
                    "can only hold texts, numbers and booleans, got {} {}",
                    value::type_name(item),
                    value::excerpt(item)
                ),
            ));
        };
        if !first {
            out.push_str(&separator);
        }
        first = false;
        out.push_str(&text);
    }
    Ok(Value::String(out))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn joins_with_and_without_separator() {
        assert_eq!(
            call_builtin("join", &[json!(["a", "b", "c"]), json!("-")]),
            Ok(json!("a-b-c"))
        );
        assert_eq!(call_builtin("join", &[json!(["a", "b"])]), Ok(json!("ab")));
        assert_eq!(
            call_builtin("join", &[json!(["a", "b"]), json!(null)]),
            Ok(json!("ab"))
        );
    }

    #[test]
    fn skips_nulls_and_formats_scalars() {
        assert_eq!(
            call_builtin(
                "join",
                &[json!([null, "a", null, 1, 2.5, false]), json!("|")]
            ),
            Ok(json!("a|1|2.5|false"))
        );
        assert_eq!(
            call_builtin("join", &[json!([]), json!(",")]),
            Ok(json!(""))
        );
        assert_eq!(
            call_builtin("join", &[json!([null]), json!(",")]),
            Ok(json!(""))
        );
        assert_eq!(
            call_builtin("join", &[json!(null), json!(",")]),
            Ok(json!(null))
        );
        // Empty strings are kept: only nulls are skipped.
        assert_eq!(
            call_builtin("join", &[json!(["a", "", "b"]), json!(",")]),
            Ok(json!("a,,b"))
        );
    }

    #[test]
    fn wrong_types_are_errors() {
        let err = call_builtin("join", &[json!("abc"), json!(",")]).unwrap_err();
        assert!(err.0.contains("must be a list"), "{err}");
        let err = call_builtin("join", &[json!(["a", ["b"]]), json!(",")]).unwrap_err();
        assert!(err.0.contains("can only hold"), "{err}");
        assert!(call_builtin("join", &[json!(["a"]), json!([","])]).is_err());
    }
}
