//! `to_bool`: reads yes/no answers, switches, 1/0 and true/false as a boolean.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::{self, Value};

pub(crate) const TO_BOOL: Function = Function {
    name: "to_bool",
    category: Category::Booleans,
    summary: "Converts to true or false: booleans, the numbers 1 and 0, and the texts \
              (any case, spaces trimmed) true/false, t/f, yes/no, y/n, 1/0, on/off, ja/nee, \
              j/nein and oui/non; anything else is an error.",
    params: &[Param::required("value")],
    examples: &[
        Example {
            expr: r#"" Yes " | to_bool"#,
            result: "true",
        },
        Example {
            expr: r#"to_bool("nee")"#,
            result: "false",
        },
        Example {
            expr: "to_bool(1)",
            result: "true",
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(to_bool),
};

/// Longest accepted word, in bytes: longer texts need not be lower-cased to be refused.
const LONGEST: usize = 5;

fn to_bool(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let value = args.value(0);
    let converted = match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_f64() {
            Some(1.0) => Some(true),
            Some(0.0) => Some(false),
            _ => None,
        },
        Value::String(s) => parse_bool(s),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    };
    converted.map(Value::Bool).ok_or_else(|| {
        args.fail(format_args!(
            "cannot convert {} {} to a boolean (expected yes/no, true/false, 1/0 or on/off)",
            value::type_name(value),
            value::excerpt(value)
        ))
    })
}

fn parse_bool(text: &str) -> Option<bool> {
    let text = text.trim();
    if text.len() > LONGEST {
        return None;
    }
    let mut lower = [0u8; LONGEST];
    let lower = &mut lower[..text.len()];
    lower.copy_from_slice(text.as_bytes());
    lower.make_ascii_lowercase();
    match &*lower {
        b"true" | b"t" | b"yes" | b"y" | b"1" | b"on" | b"ja" | b"j" | b"oui" => Some(true),
        b"false" | b"f" | b"no" | b"n" | b"0" | b"off" | b"nee" | b"nein" | b"non" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    #[test]
    fn reads_words_in_any_case() {
        for yes in ["yes", " Y ", "1", "TRUE", "t", "On", "ja", "J", "oui"] {
            assert_eq!(
                call_builtin("to_bool", &[json!(yes)]),
                Ok(json!(true)),
                "{yes}"
            );
        }
        for no in ["no", "N", "0", "False", "f", "OFF", "nee", "nein", "Non\t"] {
            assert_eq!(
                call_builtin("to_bool", &[json!(no)]),
                Ok(json!(false)),
                "{no}"
            );
        }
    }

    #[test]
    fn reads_booleans_and_one_or_zero() {
        assert_eq!(call_builtin("to_bool", &[json!(true)]), Ok(json!(true)));
        assert_eq!(call_builtin("to_bool", &[json!(false)]), Ok(json!(false)));
        assert_eq!(call_builtin("to_bool", &[json!(1)]), Ok(json!(true)));
        assert_eq!(call_builtin("to_bool", &[json!(0)]), Ok(json!(false)));
        assert_eq!(call_builtin("to_bool", &[json!(1.0)]), Ok(json!(true)));
    }

    #[test]
    fn null_gives_null() {
        assert_eq!(call_builtin("to_bool", &[json!(null)]), Ok(json!(null)));
    }

    #[test]
    fn anything_else_is_an_error_naming_the_value() {
        assert_eq!(
            call_builtin("to_bool", &[json!("maybe")]).map_err(|e| e.0),
            Err(r#"to_bool: cannot convert string "maybe" to a boolean (expected yes/no, true/false, 1/0 or on/off)"#.to_string())
        );
        for bad in [
            json!(""),
            json!("yess"),
            json!("truefalse"),
            json!("ÿes"),
            json!(2),
            json!(-1),
            json!(0.5),
            json!([true]),
            json!({}),
        ] {
            assert!(
                call_builtin("to_bool", std::slice::from_ref(&bad)).is_err(),
                "{bad}"
            );
        }
    }
}
