//! `concat`: glues texts together, skipping nulls.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const CONCAT: Function = Function {
    name: "concat",
    category: Category::Text,
    summary: "Glues its arguments together into one text. Null arguments are skipped (all \
              null gives `\"\"`); numbers and booleans are written as text.",
    params: &[Param::required("value"), Param::variadic("more")],
    examples: &[
        Example {
            expr: r#"concat("Ada", " ", "Lovelace")"#,
            result: r#""Ada Lovelace""#,
        },
        Example {
            expr: r#"concat("Ada", null, "!")"#,
            result: r#""Ada!""#,
        },
        Example {
            expr: r#""order-" | concat(1187)"#,
            result: r#""order-1187""#,
        },
    ],
    nulls: Nulls::Accept,
    imp: Imp::Plain(concat),
};

fn concat(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    // Check every argument (and measure) before building, so the first can be reused.
    let mut extra = 0;
    for i in 1..args.len() {
        match args.value(i) {
            Value::Null => {}
            Value::String(s) => extra += s.len(),
            Value::Number(_) | Value::Bool(_) => extra += 8,
            Value::Array(_) | Value::Object(_) => {
                args.text(i)?;
            }
        }
    }
    let mut out = if args.has(0) {
        args.take_text_with_room(0, extra)?
    } else {
        String::with_capacity(extra)
    };
    for i in 1..args.len() {
        if let Some(text) = args.opt_text(i)? {
            out.push_str(&text);
        }
    }
    Ok(Value::String(out))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn concatenates_and_skips_nulls() {
        assert_eq!(
            call_builtin("concat", &[json!("a"), json!("b"), json!("c")]),
            Ok(json!("abc"))
        );
        assert_eq!(
            call_builtin("concat", &[json!(null), json!("b"), json!(null)]),
            Ok(json!("b"))
        );
        assert_eq!(call_builtin("concat", &[json!(null)]), Ok(json!("")));
        assert_eq!(call_builtin("concat", &[json!("only")]), Ok(json!("only")));
    }

    #[test]
    fn formats_scalars() {
        assert_eq!(
            call_builtin("concat", &[json!(1), json!("-"), json!(2.5), json!(true)]),
            Ok(json!("1-2.5true"))
        );
    }

    #[test]
    fn lists_and_objects_are_errors() {
        let err = call_builtin("concat", &[json!("a"), json!(["b"])]).unwrap_err();
        assert!(err.0.contains("`more` must be text"), "{err}");
        let err = call_builtin("concat", &[json!({}), json!("b")]).unwrap_err();
        assert!(err.0.contains("`value` must be text"), "{err}");
    }
}
