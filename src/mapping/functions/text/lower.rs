//! `lower`: lower-cases a text.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const LOWER: Function = Function {
    name: "lower",
    category: Category::Text,
    summary: "Converts a text to lower case (all scripts, not only ASCII).",
    params: &[Param::required("value")],
    examples: &[Example {
        expr: r#""Ada@Example.COM" | lower"#,
        result: r#""ada@example.com""#,
    }],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(lower),
};

fn lower(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let mut text = args.take_text(0)?;
    if text.is_ascii() {
        text.make_ascii_lowercase();
        Ok(Value::String(text))
    } else {
        Ok(Value::String(text.to_lowercase()))
    }
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn lowers_ascii_and_unicode() {
        assert_eq!(
            call_builtin("lower", &[json!("ÉCOLE Ab")]),
            Ok(json!("école ab"))
        );
        assert_eq!(call_builtin("lower", &[json!(true)]), Ok(json!("true")));
    }
}
