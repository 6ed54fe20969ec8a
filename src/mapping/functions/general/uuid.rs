//! `uuid`: a new random identifier.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls};
use crate::mapping::value::Value;

pub(crate) const UUID: Function = Function {
    name: "uuid",
    category: Category::General,
    summary: "Gives a new random UUID (version 4) as lower-case text, different on every \
              call: `\"9b2f1c3e-…\"`.",
    params: &[],
    examples: &[Example {
        expr: r#"length(uuid())"#,
        result: r#"36"#,
    }],
    // No arguments: it must be called, never replaced by null.
    nulls: Nulls::Accept,
    imp: Imp::Plain(uuid),
};

fn uuid(_args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let mut buffer = ::uuid::Uuid::encode_buffer();
    let text = ::uuid::Uuid::new_v4()
        .hyphenated()
        .encode_lower(&mut buffer);
    Ok(Value::String(text.to_string()))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;

    #[test]
    fn gives_distinct_version_4_uuids() {
        let a = call_builtin("uuid", &[]).unwrap();
        let b = call_builtin("uuid", &[]).unwrap();
        assert_ne!(a, b);
        let text = a.as_str().unwrap();
        assert_eq!(text.len(), 36);
        let parsed = ::uuid::Uuid::parse_str(text).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(text, text.to_lowercase());
    }
}
