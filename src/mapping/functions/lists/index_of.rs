//! `index_of`: the position of an element in a list, or of a substring in a text.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::{self, Value};

pub(crate) const INDEX_OF: Function = Function {
    name: "index_of",
    category: Category::Lists,
    summary: "Gives the position (from 0) of the first element of a list equal to the \
              needle, or the character position of the first occurrence of the needle in a \
              text; -1 when it is absent.",
    params: &[Param::required("value"), Param::required("needle")],
    examples: &[
        Example {
            expr: r#"["red", "green", "blue"] | index_of("blue")"#,
            result: r#"2"#,
        },
        Example {
            expr: r#""Zoë Smith" | index_of("Smith")"#,
            result: r#"4"#,
        },
        Example {
            expr: r#"[1, 2] | index_of(3)"#,
            result: r#"-1"#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(index_of),
};

fn index_of(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let position = match args.value(0) {
        Value::Array(items) => {
            let needle = args.value(1);
            items.iter().position(|item| value::equals(item, needle))
        }
        Value::Object(_) => {
            let got = args.value(0);
            return Err(args.error(
                0,
                format_args!("must be a list or text, got object {}", value::excerpt(got)),
            ));
        }
        _ => {
            let text = args.text(0)?;
            let needle = args.text(1)?;
            text.find(needle.as_ref())
                .map(|byte| text.get(..byte).map_or(0, |before| before.chars().count()))
        }
    };
    Ok(position.map_or(Value::from(-1), Value::from))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn finds_elements_of_lists() {
        let list = json!([1, "a", null, {"k": [1]}, "a"]);
        assert_eq!(
            call_builtin("index_of", &[list.clone(), json!("a")]),
            Ok(json!(1))
        );
        assert_eq!(
            call_builtin("index_of", &[list.clone(), json!(1.0)]),
            Ok(json!(0))
        );
        assert_eq!(
            call_builtin("index_of", &[list.clone(), json!(null)]),
            Ok(json!(2))
        );
        assert_eq!(
            call_builtin("index_of", &[list.clone(), json!({"k": [1.0]})]),
            Ok(json!(3))
        );
        assert_eq!(call_builtin("index_of", &[list, json!("1")]), Ok(json!(-1)));
        assert_eq!(
            call_builtin("index_of", &[json!([]), json!(1)]),
            Ok(json!(-1))
        );
    }

    #[test]
    fn finds_substrings_by_character_position() {
        assert_eq!(
            call_builtin("index_of", &[json!("héllo wörld"), json!("w")]),
            Ok(json!(6))
        );
        assert_eq!(
            call_builtin("index_of", &[json!("abcabc"), json!("c")]),
            Ok(json!(2))
        );
        assert_eq!(
            call_builtin("index_of", &[json!("abc"), json!("x")]),
            Ok(json!(-1))
        );
        assert_eq!(
            call_builtin("index_of", &[json!("abc"), json!("")]),
            Ok(json!(0))
        );
        assert_eq!(
            call_builtin("index_of", &[json!(""), json!("a")]),
            Ok(json!(-1))
        );
        // Numbers are searched as their text.
        assert_eq!(
            call_builtin("index_of", &[json!(2026), json!(2)]),
            Ok(json!(0))
        );
        assert_eq!(
            call_builtin("index_of", &[json!("a1b"), json!(1)]),
            Ok(json!(1))
        );
    }

    #[test]
    fn null_gives_null() {
        assert_eq!(
            call_builtin("index_of", &[json!(null), json!("a")]),
            Ok(json!(null))
        );
    }

    #[test]
    fn wrong_types_are_errors() {
        let err = call_builtin("index_of", &[json!({"a": 1}), json!("a")]).unwrap_err();
        assert!(err.0.contains("`value` must be a list or text"), "{err}");
        let err = call_builtin("index_of", &[json!("abc"), json!(null)]).unwrap_err();
        assert!(err.0.contains("`needle` must be text"), "{err}");
        assert!(call_builtin("index_of", &[json!("abc"), json!(["a"])]).is_err());
    }
}
