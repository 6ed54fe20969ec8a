//! `to_float`: converts a number, numeric text (`.` or `,` decimals) or boolean to a float.

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls, Param};
use crate::mapping::value::{self, Value};

pub(crate) const TO_FLOAT: Function = Function {
    name: "to_float",
    category: Category::Numbers,
    summary: "Converts to a float: numbers, booleans (1.0 or 0.0) and text with `.` or `,` as \
              the decimal separator (`\"12,50\"`); when both appear, the last one is the \
              decimal separator and the other groups thousands (`\"1.234,50\"`).",
    params: &[Param::required("value")],
    examples: &[
        Example {
            expr: r#""12,50" | to_float"#,
            result: "12.5",
        },
        Example {
            expr: r#"to_float("1,234.5")"#,
            result: "1234.5",
        },
        Example {
            expr: "to_float(3)",
            result: "3.0",
        },
    ],
    nulls: Nulls::Propagate,
    imp: Imp::Plain(to_float),
};

fn to_float(args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    let value = args.value(0);
    let converted = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => parse_float(s),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    };
    match converted.filter(|f| f.is_finite()) {
        Some(f) => value::float_value(f).map_err(|e| args.fail(e)),
        None => Err(args.fail(format_args!(
            "cannot convert {} {} to a number",
            value::type_name(value),
            value::excerpt(value)
        ))),
    }
}

/// Numeric text with `.` or `,` as the decimal separator and the other one (if any)
/// grouping thousands; a separator that appears more than once groups thousands.
fn parse_float(text: &str) -> Option<f64> {
    let text = text.trim();
    let valid = text.bytes().enumerate().all(|(i, b)| match b {
        b'0'..=b'9' | b'.' | b',' | b'e' | b'E' => true,
        b'+' | b'-' => i == 0 || matches!(text.as_bytes()[i - 1], b'e' | b'E'),
        _ => false,
    });
    if !valid || !text.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let dots = text.bytes().filter(|&b| b == b'.').count();
    let commas = text.bytes().filter(|&b| b == b',').count();
    let (decimal, group) = match (dots, commas) {
        (0, 0) => return text.parse().ok(),
        (_, 0) if dots > 1 => (None, Some('.')),
        (0, _) if commas > 1 => (None, Some(',')),
        (_, 0) => (Some('.'), None),
        (0, _) => (Some(','), None),
        _ => {
            let last = text.rfind(['.', ','])?;
            if text[last..].starts_with('.') {
                (Some('.'), Some(','))
            } else {
                (Some(','), Some('.'))
            }
        }
    };
    let (int, frac) = match decimal {
        Some(d) => {
            let (int, frac) = text.rsplit_once(d)?;
            if int.contains(d) {
                return None;
            }
            (int, Some(frac))
        }
        None => (text, None),
    };
    let mut plain = String::with_capacity(text.len());
    match group {
        Some(g) => {
            let mut groups = int.split(g);
            let first = groups.next()?;
            let unsigned = first.trim_start_matches(['+', '-']);
            if unsigned.is_empty()
                || unsigned.len() > 3
                || !unsigned.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            plain.push_str(first);
            for group in groups {
                if group.len() != 3 || !group.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                plain.push_str(group);
            }
        }
        None => plain.push_str(int),
    }
    if let Some(frac) = frac {
        plain.push('.');
        plain.push_str(frac);
    }
    plain.parse().ok()
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use serde_json::json;

    fn to_float(v: serde_json::Value) -> Result<serde_json::Value, String> {
        call_builtin("to_float", &[v]).map_err(|e| e.0)
    }

    #[test]
    fn converts_numbers_and_booleans() {
        assert_eq!(to_float(json!(3)), Ok(json!(3.0)));
        assert_eq!(to_float(json!(2.5)), Ok(json!(2.5)));
        assert_eq!(to_float(json!(true)), Ok(json!(1.0)));
        assert_eq!(to_float(json!(false)), Ok(json!(0.0)));
    }

    #[test]
    fn reads_both_decimal_separators_and_grouping() {
        for (text, expected) in [
            ("12.5", 12.5),
            (" 12,50 ", 12.5),
            ("-0,5", -0.5),
            ("1.234,50", 1234.5),
            ("1,234.50", 1234.5),
            ("1.234.567", 1234567.0),
            ("1,234,567.25", 1234567.25),
            ("-1.234.567,25", -1234567.25),
            ("1e3", 1000.0),
            ("2.5E-1", 0.25),
            (".5", 0.5),
            ("7", 7.0),
        ] {
            assert_eq!(to_float(json!(text)), Ok(json!(expected)), "{text}");
        }
    }

    #[test]
    fn null_gives_null() {
        assert_eq!(to_float(json!(null)), Ok(json!(null)));
    }

    #[test]
    fn other_text_and_types_are_errors_naming_the_value() {
        assert_eq!(
            to_float(json!("12 EUR")),
            Err(r#"to_float: cannot convert string "12 EUR" to a number"#.to_string())
        );
        for bad in [
            json!(""),
            json!("abc"),
            json!("inf"),
            json!("NaN"),
            json!("1e999"),
            json!("1.2.3,4,5"),
            json!("1,23.4"),
            json!("12,34,5"),
            json!("1.2,3.4"),
            json!("--1"),
            json!("1-2"),
            json!(","),
            json!([1.5]),
            json!({}),
        ] {
            assert!(to_float(bad.clone()).is_err(), "{bad}");
        }
    }
}
