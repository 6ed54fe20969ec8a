//! `base64_decode`: decodes Base64 back to text.

use std::borrow::Cow;

use base64::Engine;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const BASE64_DECODE: Function = Function {
    name: "base64_decode",
    category: Category::Encoding,
    summary: "Decodes Base64 to text. Accepts the standard and the URL-safe alphabet \
              (`-` and `_`), with or without `=` padding, and ignores white space and line \
              breaks; the decoded bytes must be UTF-8 text.",
    params: &[Param::required("value")],
    examples: &[
        Example {
            expr: r#""YXBpLXVzZXI6czNjcmV0" | base64_decode"#,
            result: r#""api-user:s3cret""#,
        },
        Example {
            expr: r#""Q2Fmw6k" | base64_decode"#,
            result: r#""Café""#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(base64_decode),
};

/// Lenient decoding: padding optional, non-zero trailing bits tolerated.
const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

fn base64_decode(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let text = args.text(0)?;
    let mut input = Cow::Borrowed(text.trim());
    if input.bytes().any(|b| b.is_ascii_whitespace()) {
        input = Cow::Owned(input.split_ascii_whitespace().collect());
    }
    let engine = if input.bytes().any(|b| b == b'-' || b == b'_') {
        &URL_SAFE
    } else {
        &STANDARD
    };
    let bytes = engine
        .decode(input.as_bytes())
        .map_err(|e| args.error(0, format_args!("is not valid Base64: {e}")))?;
    String::from_utf8(bytes).map(Value::String).map_err(|_| {
        args.error(
            0,
            "decodes to binary data, not UTF-8 text (this function only gives text)",
        )
    })
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    fn decode(text: &str) -> Result<serde_json::Value, String> {
        call_builtin("base64_decode", &[json!(text)]).map_err(|e| e.0)
    }

    #[test]
    fn decodes_standard_base64() {
        assert_eq!(decode("YQ=="), Ok(json!("a")));
        assert_eq!(decode("YWJj"), Ok(json!("abc")));
        assert_eq!(decode("w7/Dvz8+"), Ok(json!("ÿÿ?>")));
        assert_eq!(decode(""), Ok(json!("")));
    }

    #[test]
    fn is_lenient_about_padding_alphabet_and_space() {
        assert_eq!(decode("YQ"), Ok(json!("a")));
        assert_eq!(decode("YWI"), Ok(json!("ab")));
        assert_eq!(decode("w7_Dvz8-"), Ok(json!("ÿÿ?>")));
        assert_eq!(decode("w7_Dvz8-YQ=="), Ok(json!("ÿÿ?>a")));
        assert_eq!(decode("  YWJj\n"), Ok(json!("abc")));
        assert_eq!(decode("YW\r\nJj YQ"), Ok(json!("abca")));
        assert_eq!(decode("YR"), Ok(json!("a")));
    }

    #[test]
    fn invalid_input_is_an_error() {
        let err = decode("not base64!").unwrap_err();
        assert!(err.contains("`value` is not valid Base64"), "{err}");
        assert!(decode("Y").is_err());
        assert!(decode("w7/Dvz8-").is_err(), "mixed alphabets");
        let err = decode("/w==").unwrap_err();
        assert!(err.contains("not UTF-8 text"), "{err}");
    }

    #[test]
    fn null_and_wrong_types() {
        assert_eq!(
            call_builtin("base64_decode", &[json!(null)]),
            Ok(json!(null))
        );
        assert!(call_builtin("base64_decode", &[json!(["YQ=="])]).is_err());
    }
}
