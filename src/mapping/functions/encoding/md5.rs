//! `md5`: the MD5 hash of a text, in hexadecimal.

use ::md5::{Digest, Md5};

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const MD5: Function = Function {
    name: "md5",
    category: Category::Encoding,
    summary: "The MD5 hash of a text (its UTF-8 bytes) as 32 lower-case hexadecimal \
              characters. For systems that still ask for MD5 (Gravatar, old ad platforms); \
              prefer `sha256` otherwise.",
    params: &[Param::required("value")],
    examples: &[Example {
        expr: r#""ada@example.com" | md5"#,
        result: r#""3e3417d7ef77d5932a6734b916515ed5""#,
    }],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(md5),
};

fn md5(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let text = args.text(0)?;
    let digest = Md5::digest(text.as_bytes());
    Ok(Value::String(hex::encode(digest)))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn hashes_utf8_text() {
        assert_eq!(
            call_builtin("md5", &[json!("")]),
            Ok(json!("d41d8cd98f00b204e9800998ecf8427e"))
        );
        assert_eq!(
            call_builtin(
                "md5",
                &[json!("The quick brown fox jumps over the lazy dog")]
            ),
            Ok(json!("9e107d9d372bb6826bd81d3542a419d6"))
        );
    }

    #[test]
    fn numbers_null_and_errors() {
        assert_eq!(
            call_builtin("md5", &[json!(true)]),
            call_builtin("md5", &[json!("true")])
        );
        assert_eq!(call_builtin("md5", &[json!(null)]), Ok(json!(null)));
        assert!(call_builtin("md5", &[json!({})]).is_err());
    }
}
