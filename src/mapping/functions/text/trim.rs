//! `trim`: removes white space at both ends.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::{self, Value};

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
    if let Value::String(text) = args.value(0) {
        let trimmed = value::trim_text(text);
        if trimmed.len() == text.len() {
            // Unchanged: moved out when the argument is owned, copied once otherwise.
            return Ok(args.take(0));
        }
        return Ok(Value::String(trimmed.to_string()));
    }
    let text = args.text(0)?;
    Ok(Value::String(value::trim_text(&text).to_string()))
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

    #[test]
    fn trims_as_the_standard_library_does() {
        let samples = [
            "",
            " ",
            "a",
            " a ",
            "\t\n\x0b\x0c\r x \r\n",
            "\u{a0}x\u{2003}",
            " \u{85}é ",
            "é",
            " ü\u{3000}",
            "\u{3000}",
            "a b",
            "\u{1680}",
        ];
        for text in samples {
            assert_eq!(
                crate::mapping::value::trim_text(text),
                text.trim(),
                "{text:?}"
            );
        }
    }
}
