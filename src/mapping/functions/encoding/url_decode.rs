//! `url_decode`: decodes a percent-encoded text.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const URL_DECODE: Function = Function {
    name: "url_decode",
    category: Category::Encoding,
    summary: "Decodes `%XX` sequences (UTF-8) and, as in query strings and forms, `+` as a \
              space. A `%` not followed by two hexadecimal digits is kept as it is.",
    params: &[Param::required("value")],
    examples: &[
        Example {
            expr: r#""Spring%20Sale%20%26%20more" | url_decode"#,
            result: r#""Spring Sale & more""#,
        },
        Example {
            expr: r#""summer+sale+caf%C3%A9" | url_decode"#,
            result: r#""summer sale café""#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(url_decode),
};

fn url_decode(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let decoded = {
        let text = args.text(0)?;
        let spaced = if text.contains('+') {
            Cow::Owned(text.replace('+', " "))
        } else {
            Cow::Borrowed(text.as_ref())
        };
        if !spaced.contains('%') {
            match spaced {
                Cow::Owned(spaced) => Some(spaced),
                Cow::Borrowed(_) => None,
            }
        } else {
            let decoded = percent_decode_str(&spaced).decode_utf8().map_err(|_| {
                args.error(0, "contains %-escapes that do not decode to UTF-8 text")
            })?;
            Some(decoded.into_owned())
        }
    };
    match decoded {
        Some(decoded) => Ok(Value::String(decoded)),
        // Nothing to decode: the text as it is.
        None => args.take_text(0).map(Value::String),
    }
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    fn decode(text: &str) -> Result<serde_json::Value, String> {
        call_builtin("url_decode", &[json!(text)]).map_err(|e| e.0)
    }

    #[test]
    fn decodes_escapes_and_plus() {
        assert_eq!(decode("a%20b%2Bc%2Fd"), Ok(json!("a b+c/d")));
        assert_eq!(decode("a+b"), Ok(json!("a b")));
        assert_eq!(decode("%C3%A9%e2%82%ac"), Ok(json!("é€")));
        assert_eq!(decode("plain"), Ok(json!("plain")));
        assert_eq!(decode(""), Ok(json!("")));
    }

    #[test]
    fn round_trips_url_encode() {
        let original = json!("a b+c&d=é/100%");
        let encoded = call_builtin("url_encode", std::slice::from_ref(&original));
        let decoded = encoded.and_then(|e| call_builtin("url_decode", &[e]));
        assert_eq!(decoded, Ok(original));
    }

    #[test]
    fn lenient_about_stray_percent_signs() {
        assert_eq!(decode("100%"), Ok(json!("100%")));
        assert_eq!(decode("50%zz"), Ok(json!("50%zz")));
        assert_eq!(decode("%4"), Ok(json!("%4")));
    }

    #[test]
    fn errors_and_null() {
        let err = decode("%FF").unwrap_err();
        assert!(err.contains("do not decode to UTF-8"), "{err}");
        assert_eq!(call_builtin("url_decode", &[json!(null)]), Ok(json!(null)));
        assert!(call_builtin("url_decode", &[json!(["a"])]).is_err());
    }
}
