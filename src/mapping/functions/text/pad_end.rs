//! `pad_end`: pads a text on the right up to a width.

use super::pad_start::{Side, pad};
use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::Value;

pub(crate) const PAD_END: Function = Function {
    name: "pad_end",
    category: Category::Text,
    summary: "Adds `fill` (default: a space; repeated, and cut if it is longer than one \
              character) at the end until the text is `width` characters long. Longer \
              texts are left as they are.",
    params: &[
        Param::required("value"),
        Param::required("width"),
        Param::optional("fill"),
    ],
    examples: &[
        Example {
            expr: r#""Ada" | pad_end(6, ".")"#,
            result: r#""Ada...""#,
        },
        Example {
            expr: r#""ID" | pad_end(4) | concat("|")"#,
            result: r#""ID  |""#,
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(pad_end),
};

fn pad_end(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    pad(args, Side::End)
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn pads_at_the_end() {
        assert_eq!(
            call_builtin("pad_end", &[json!("5"), json!(3), json!("0")]),
            Ok(json!("500"))
        );
        assert_eq!(
            call_builtin("pad_end", &[json!("ab"), json!(4)]),
            Ok(json!("ab  "))
        );
        assert_eq!(
            call_builtin("pad_end", &[json!("abc"), json!(10), json!("123")]),
            Ok(json!("abc1231231"))
        );
        assert_eq!(
            call_builtin("pad_end", &[json!("ü"), json!(2), json!("é")]),
            Ok(json!("üé"))
        );
        assert_eq!(
            call_builtin("pad_end", &[json!(1.5), json!(5), json!("0")]),
            Ok(json!("1.500"))
        );
    }

    #[test]
    fn null_long_texts_and_errors() {
        assert_eq!(
            call_builtin("pad_end", &[json!(null), json!(3)]),
            Ok(json!(null))
        );
        assert_eq!(
            call_builtin("pad_end", &[json!("abcd"), json!(2)]),
            Ok(json!("abcd"))
        );
        assert!(call_builtin("pad_end", &[json!("a"), json!(-3)]).is_err());
        assert!(call_builtin("pad_end", &[json!("a"), json!(3), json!("")]).is_err());
        assert!(call_builtin("pad_end", &[json!("a"), json!(3), json!([" "])]).is_err());
    }
}
