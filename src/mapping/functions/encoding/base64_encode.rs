//! `base64_encode`: encodes a text in Base64.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const BASE64_ENCODE: Function = Function {
    name: "base64_encode",
    category: Category::Encoding,
    summary: "Encodes a text (its UTF-8 bytes) in Base64 with the standard alphabet and \
              `=` padding, as used in HTTP basic authentication and data URLs.",
    params: &[Param::required("value")],
    examples: &[
        Example {
            expr: r#""api-user:s3cret" | base64_encode"#,
            result: r#""YXBpLXVzZXI6czNjcmV0""#,
        },
        Example {
            expr: r#""Caf\u{e9}" | base64_encode"#,
            result: r#""Q2Fmw6k=""#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(base64_encode),
};

fn base64_encode(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let text = args.text(0)?;
    Ok(Value::String(STANDARD.encode(text.as_bytes())))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn encodes_with_padding() {
        assert_eq!(call_builtin("base64_encode", &[json!("")]), Ok(json!("")));
        assert_eq!(
            call_builtin("base64_encode", &[json!("a")]),
            Ok(json!("YQ=="))
        );
        assert_eq!(
            call_builtin("base64_encode", &[json!("ab")]),
            Ok(json!("YWI="))
        );
        assert_eq!(
            call_builtin("base64_encode", &[json!("abc")]),
            Ok(json!("YWJj"))
        );
        // The standard alphabet: `+` and `/`.
        assert_eq!(
            call_builtin("base64_encode", &[json!("ÿÿ?>")]),
            Ok(json!("w7/Dvz8+"))
        );
    }

    #[test]
    fn numbers_null_and_errors() {
        assert_eq!(
            call_builtin("base64_encode", &[json!(42)]),
            Ok(json!("NDI="))
        );
        assert_eq!(
            call_builtin("base64_encode", &[json!(null)]),
            Ok(json!(null))
        );
        assert!(call_builtin("base64_encode", &[json!([1])]).is_err());
    }
}
