//! `sha256`: the SHA-256 hash of a text, in hexadecimal.

use sha2::{Digest, Sha256};

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const SHA256: Function = Function {
    name: "sha256",
    category: Category::Encoding,
    summary: "The SHA-256 hash of a text (its UTF-8 bytes) as 64 lower-case hexadecimal \
              characters, as ad platforms expect for matching e-mail addresses and phone \
              numbers. Normalise first: the hash of `Ada@x.com` differs from `ada@x.com`.",
    params: &[Param::required("value")],
    examples: &[
        Example {
            expr: r#""ada@example.com" | sha256"#,
            result: r#""b5fc85e55755f9e0d030a10ab4429b6b2944855f9a0d60077fe832becbc41d72""#,
        },
        Example {
            expr: r#"" Ada@Example.com " | normalize_email | sha256"#,
            result: r#""b5fc85e55755f9e0d030a10ab4429b6b2944855f9a0d60077fe832becbc41d72""#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(sha256),
};

fn sha256(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let text = args.text(0)?;
    let digest = Sha256::digest(text.as_bytes());
    Ok(Value::String(hex::encode(digest)))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn hashes_utf8_text() {
        assert_eq!(
            call_builtin("sha256", &[json!("")]),
            Ok(json!(
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
            ))
        );
        assert_eq!(
            call_builtin("sha256", &[json!("abc")]),
            Ok(json!(
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
            ))
        );
    }

    #[test]
    fn numbers_null_and_errors() {
        assert_eq!(
            call_builtin("sha256", &[json!(123)]),
            call_builtin("sha256", &[json!("123")])
        );
        assert_eq!(call_builtin("sha256", &[json!(null)]), Ok(json!(null)));
        assert!(call_builtin("sha256", &[json!(["a"])]).is_err());
    }
}
