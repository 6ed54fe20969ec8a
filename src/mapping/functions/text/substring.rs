//! `substring`: a part of a text, by character position.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const SUBSTRING: Function = Function {
    name: "substring",
    category: Category::Text,
    summary: "The part of a text from character `start` (0 is the first; negative counts \
              from the end) that is `length` characters long (default: up to the end). \
              Positions past the end give a shorter or empty text.",
    params: &[
        Param::required("value"),
        Param::required("start"),
        Param::optional("length"),
    ],
    examples: &[
        Example {
            expr: r#""2026-11-25" | substring(0, 4)"#,
            result: r#""2026""#,
        },
        Example {
            expr: r#""NL91ABNA0417164300" | substring(-4)"#,
            result: r#""4300""#,
        },
        Example {
            expr: r#""Caf\u{e9} de Flore" | substring(5, 2)"#,
            result: r#""de""#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(substring),
};

fn substring(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let start = args.int(1)?;
    let length = match args.value(2) {
        Value::Null => None,
        _ => {
            let length = args.int(2)?;
            let length = usize::try_from(length)
                .map_err(|_| args.error(2, format_args!("must not be negative, got {length}")))?;
            Some(length)
        }
    };
    let mut text = args.take_text(0)?;
    let (begin, end) = byte_range(&text, start, length);
    text.truncate(end);
    text.drain(..begin);
    Ok(Value::String(text))
}

/// The byte range of the characters `start..start + length` (see the summary).
fn byte_range(text: &str, start: i64, length: Option<usize>) -> (usize, usize) {
    let ascii = text.is_ascii();
    let char_count = || {
        if ascii {
            text.len()
        } else {
            text.chars().count()
        }
    };
    let first = if start >= 0 {
        usize::try_from(start).unwrap_or(usize::MAX)
    } else {
        let back = usize::try_from(start.unsigned_abs()).unwrap_or(usize::MAX);
        char_count().saturating_sub(back)
    };
    // Byte offset of the character at `n` from byte `from`, or the end of the text.
    let offset = |from: usize, n: usize| -> usize {
        if ascii {
            from.saturating_add(n).min(text.len())
        } else {
            text.get(from..)
                .unwrap_or_default()
                .char_indices()
                .nth(n)
                .map_or(text.len(), |(i, _)| from + i)
        }
    };
    let begin = offset(0, first);
    let end = match length {
        Some(length) => offset(begin, length),
        None => text.len(),
    };
    (begin, end)
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    fn sub(text: &str, start: i64, length: Option<i64>) -> serde_json::Value {
        let mut args = vec![json!(text), json!(start)];
        if let Some(length) = length {
            args.push(json!(length));
        }
        match call_builtin("substring", &args) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn counts_characters_not_bytes() {
        assert_eq!(sub("héllo wörld", 1, Some(4)), json!("éllo"));
        assert_eq!(sub("héllo wörld", 6, None), json!("wörld"));
        assert_eq!(sub("héllo wörld", -5, Some(2)), json!("wö"));
        assert_eq!(sub("日本語テキスト", 2, Some(3)), json!("語テキ"));
    }

    #[test]
    fn ascii_cases() {
        assert_eq!(sub("abcdef", 0, Some(3)), json!("abc"));
        assert_eq!(sub("abcdef", 2, None), json!("cdef"));
        assert_eq!(sub("abcdef", -2, None), json!("ef"));
        assert_eq!(sub("abcdef", 4, Some(0)), json!(""));
    }

    #[test]
    fn out_of_range_positions_are_clamped() {
        assert_eq!(sub("abc", 5, None), json!(""));
        assert_eq!(sub("abc", 1, Some(100)), json!("bc"));
        assert_eq!(sub("abc", -10, Some(2)), json!("ab"));
        assert_eq!(sub("äbc", -10, None), json!("äbc"));
        assert_eq!(sub("äbc", 9, Some(1)), json!(""));
        assert_eq!(sub("", 0, Some(1)), json!(""));
        assert_eq!(sub("abc", i64::MIN, Some(i64::MAX)), json!("abc"));
        assert_eq!(sub("abc", i64::MAX, None), json!(""));
    }

    #[test]
    fn numbers_nulls_and_errors() {
        assert_eq!(
            call_builtin("substring", &[json!(20261125), json!(0), json!(4)]),
            Ok(json!("2026"))
        );
        assert_eq!(
            call_builtin("substring", &[json!("abc"), json!(1.0), json!(null)]),
            Ok(json!("bc"))
        );
        assert_eq!(
            call_builtin("substring", &[json!(null), json!(0)]),
            Ok(json!(null))
        );
        let err = call_builtin("substring", &[json!("abc"), json!(0), json!(-1)]).unwrap_err();
        assert!(err.0.contains("`length` must not be negative"), "{err}");
        let err = call_builtin("substring", &[json!("abc"), json!("1")]).unwrap_err();
        assert!(err.0.contains("`start` must be an integer"), "{err}");
        assert!(call_builtin("substring", &[json!("abc"), json!(0.5)]).is_err());
        assert!(call_builtin("substring", &[json!(["abc"]), json!(0)]).is_err());
    }
}
