//! `trim`: removes white space at both ends.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const TRIM: Function = Function {
    name: "trim",
    category: Category::Text,
    summary: "Removes white space (spaces, tabs, line breaks) at both ends of a text.",
    params: &[Param::required("value")],
    examples: &[Example {
        expr: r#""  Ada Lovelace \n" | trim"#,
        result: r#""Ada Lovelace""#,
    }],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(trim),
};

fn trim(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let text = args.text(0)?;
    Ok(Value::String(text.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn trims_text_and_formats_numbers() {
        assert_eq!(call_builtin("trim", &[json!("\t x ")]), Ok(json!("x")));
        assert_eq!(call_builtin("trim", &[json!(12)]), Ok(json!("12")));
        assert_eq!(call_builtin("trim", &[json!(null)]), Ok(json!(null)));
        assert!(call_builtin("trim", &[json!([1])]).is_err());
    }
}
