//! `truncate`: cuts a text to a maximum number of characters.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const TRUNCATE: Function = Function {
    name: "truncate",
    category: Category::Text,
    summary: "Cuts a text to at most `max` characters. When an `ellipsis` is given and the \
              text is cut, it ends the result and counts within `max` (white space before \
              it is dropped); shorter texts are left as they are.",
    params: &[
        Param::required("value"),
        Param::required("max"),
        Param::optional("ellipsis"),
    ],
    examples: &[
        Example {
            expr: r#""Spring collection 2026" | truncate(6)"#,
            result: r#""Spring""#,
        },
        Example {
            expr: r#""Spring collection 2026" | truncate(12, "...")"#,
            result: r#""Spring co...""#,
        },
        Example {
            expr: r#""Spring collection 2026" | truncate(8, "\u{2026}")"#,
            result: r#""Spring…""#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(truncate),
};

fn truncate(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let max = args.int(1)?;
    let max = usize::try_from(max)
        .map_err(|_| args.error(1, format_args!("must not be negative, got {max}")))?;
    let mut text = args.take_text(0)?;
    let ellipsis = args.opt_text(2)?;
    let Some(cut) = byte_offset(&text, max) else {
        // Already short enough.
        return Ok(Value::String(text));
    };
    let Some(ellipsis) = ellipsis else {
        text.truncate(cut);
        return Ok(Value::String(text));
    };
    let ellipsis_chars = ellipsis.chars().count();
    if ellipsis_chars >= max {
        // No room for any of the text next to the ellipsis: keep the text alone.
        text.truncate(cut);
        return Ok(Value::String(text));
    }
    let keep = byte_offset(&text, max - ellipsis_chars).unwrap_or(text.len());
    text.truncate(keep);
    let trimmed = text.trim_end().len();
    text.truncate(trimmed);
    text.push_str(&ellipsis);
    Ok(Value::String(text))
}

/// The byte offset of character `n`, or `None` when the text has `n` characters or fewer.
fn byte_offset(text: &str, n: usize) -> Option<usize> {
    if text.is_ascii() {
        (n < text.len()).then_some(n)
    } else {
        text.char_indices().nth(n).map(|(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    fn truncate(text: &str, max: i64, ellipsis: Option<&str>) -> serde_json::Value {
        let mut args = vec![json!(text), json!(max)];
        if let Some(ellipsis) = ellipsis {
            args.push(json!(ellipsis));
        }
        match call_builtin("truncate", &args) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn cuts_to_max_characters() {
        assert_eq!(truncate("abcdef", 3, None), json!("abc"));
        assert_eq!(truncate("abc", 3, None), json!("abc"));
        assert_eq!(truncate("abc", 10, None), json!("abc"));
        assert_eq!(truncate("abc", 0, None), json!(""));
        assert_eq!(truncate("héllo", 2, None), json!("hé"));
        assert_eq!(truncate("日本語", 2, None), json!("日本"));
    }

    #[test]
    fn ellipsis_counts_within_max() {
        assert_eq!(truncate("abcdefgh", 5, Some("...")), json!("ab..."));
        assert_eq!(truncate("abcdefgh", 5, Some("…")), json!("abcd…"));
        assert_eq!(truncate("héllo wörld", 7, Some("…")), json!("héllo…"));
        // Not cut: no ellipsis.
        assert_eq!(truncate("abcde", 5, Some("…")), json!("abcde"));
        // No room for the ellipsis: plain cut.
        assert_eq!(truncate("abcdef", 3, Some("...")), json!("abc"));
        assert_eq!(truncate("abcdef", 2, Some("...")), json!("ab"));
        assert_eq!(truncate("abcdef", 0, Some("…")), json!(""));
        assert_eq!(truncate("abcdef", 3, Some("")), json!("abc"));
    }

    #[test]
    fn null_numbers_and_errors() {
        assert_eq!(
            call_builtin("truncate", &[json!(null), json!(3)]),
            Ok(json!(null))
        );
        assert_eq!(
            call_builtin("truncate", &[json!(123456), json!(3), json!(null)]),
            Ok(json!("123"))
        );
        let err = call_builtin("truncate", &[json!("abc"), json!(-1)]).unwrap_err();
        assert!(err.0.contains("`max` must not be negative"), "{err}");
        assert!(call_builtin("truncate", &[json!("abc"), json!("2")]).is_err());
        assert!(call_builtin("truncate", &[json!("abc"), json!(2), json!([])]).is_err());
        assert!(call_builtin("truncate", &[json!("abc"), json!(9), json!([])]).is_err());
        assert!(call_builtin("truncate", &[json!({}), json!(2)]).is_err());
    }
}
