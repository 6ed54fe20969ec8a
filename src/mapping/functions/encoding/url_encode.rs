//! `url_encode`: percent-encodes a text for use in a URL.

use std::borrow::Cow;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const URL_ENCODE: Function = Function {
    name: "url_encode",
    category: Category::Encoding,
    summary: "Percent-encodes a text for a URL query parameter or path segment: every \
              character except the unreserved `A–Z a–z 0–9 - . _ ~` becomes `%XX` (UTF-8 \
              bytes; a space becomes `%20`).",
    params: &[Param::required("value")],
    examples: &[
        Example {
            expr: r#""Spring Sale & more" | url_encode"#,
            result: r#""Spring%20Sale%20%26%20more""#,
        },
        Example {
            expr: r#""caf\u{e9} 50%" | url_encode"#,
            result: r#""caf%C3%A9%2050%25""#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(url_encode),
};

/// Everything but the unreserved characters of RFC 3986.
const RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn url_encode(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let encoded = match Cow::from(utf8_percent_encode(&args.text(0)?, RESERVED)) {
        Cow::Owned(encoded) => Some(encoded),
        Cow::Borrowed(_) => None,
    };
    match encoded {
        Some(encoded) => Ok(Value::String(encoded)),
        // Nothing to encode: the text as it is.
        None => args.take_text(0).map(Value::String),
    }
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    fn encode(text: &str) -> serde_json::Value {
        match call_builtin("url_encode", &[json!(text)]) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn encodes_all_but_unreserved() {
        assert_eq!(encode("AZaz09-._~"), json!("AZaz09-._~"));
        assert_eq!(
            encode("a b+c/d?e=f&g#h"),
            json!("a%20b%2Bc%2Fd%3Fe%3Df%26g%23h")
        );
        assert_eq!(encode("100%"), json!("100%25"));
        assert_eq!(encode("é€😀"), json!("%C3%A9%E2%82%AC%F0%9F%98%80"));
        assert_eq!(encode(""), json!(""));
    }

    #[test]
    fn numbers_null_and_errors() {
        assert_eq!(
            call_builtin("url_encode", &[json!(-1.5)]),
            Ok(json!("-1.5"))
        );
        assert_eq!(call_builtin("url_encode", &[json!(null)]), Ok(json!(null)));
        assert!(call_builtin("url_encode", &[json!({"a": 1})]).is_err());
    }
}
