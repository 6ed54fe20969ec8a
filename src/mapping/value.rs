//! The values the mapping language computes with, and the rules every operator and
//! function shares: type names, emptiness, equality, ordering and text conversion.
//!
//! Values are `serde_json::Value`s, so records read
//! from JSON are used without conversion and mapped records are written back as they are.
//! Objects keep their keys sorted (a `BTreeMap`): a value is then 32 bytes instead of
//! 80 with an insertion-ordered map, and building and reading records is markedly
//! faster. The destination record keeps the mapping's own order (see `record.rs`).

use std::borrow::Cow;
use std::cmp::Ordering;

pub use serde_json::{Map, Number, Value};

/// The name of a value's type, as shown in error messages and by `type_of`.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

/// True for null, the empty string, a string of only white space, and empty lists and objects.
pub fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => trim_text(s).is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        Value::Bool(_) | Value::Number(_) => false,
    }
}

/// `str::trim`, with the common case (ASCII white space, or none) decided byte by byte
/// rather than character by character.
pub fn trim_text(text: &str) -> &str {
    // The ASCII characters that `char::is_whitespace` accepts.
    let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r');
    let bytes = text.as_bytes();
    // Most text has nothing to trim: printable ASCII at both ends (this also covers
    // the empty text).
    let printable = |b: Option<&u8>| b.is_some_and(|b| (b'!'..=b'~').contains(b));
    if printable(bytes.first()) && printable(bytes.last()) || bytes.is_empty() {
        return text;
    }
    let start = bytes.iter().position(|b| !space(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !space(b))
        .map_or(start, |last| last + 1);
    let inner = text.get(start..end).unwrap_or(text);
    match (inner.as_bytes().first(), inner.as_bytes().last()) {
        // Non-ASCII at an end may be Unicode white space: the full trim decides.
        (Some(first), Some(last)) if !first.is_ascii() || !last.is_ascii() => inner.trim(),
        _ => inner,
    }
}

/// A number as the language sees it: an integer when it fits in `i64`, otherwise a float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    /// The number as a float (integers convert exactly up to 2^53).
    pub fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }

    /// Converts back to a value; a float that is not finite has no JSON form and is an error.
    pub fn into_value(self) -> Result<Value, String> {
        match self {
            Num::Int(i) => Ok(Value::from(i)),
            Num::Float(f) => Number::from_f64(f)
                .map(Value::Number)
                .ok_or_else(|| format!("the result {f} is not a finite number")),
        }
    }
}

/// Reads a value as a number; strings are not converted (use `to_int` or `to_float`).
pub fn as_num(value: &Value) -> Option<Num> {
    let Value::Number(n) = value else { return None };
    if let Some(i) = n.as_i64() {
        Some(Num::Int(i))
    } else {
        n.as_f64().map(Num::Float)
    }
}

/// A float value, or an error when it is NaN or infinite.
pub fn float_value(f: f64) -> Result<Value, String> {
    Num::Float(f).into_value()
}

/// The text of a scalar: strings as they are, numbers and booleans formatted.
/// Null, lists and objects have no text form and give `None`.
pub fn as_text(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::String(s) => Some(Cow::Borrowed(s.as_str())),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// Equality as `==` sees it: structural, with `1 == 1.0`.
pub fn equals(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => match (as_num(a), as_num(b)) {
            (Some(Num::Int(x)), Some(Num::Int(y))) => x == y,
            (Some(x), Some(y)) => x.as_f64() == y.as_f64(),
            _ => false,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equals(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| equals(v, w)))
        }
        _ => a == b,
    }
}

/// Ordering between two values of comparable types: numbers with numbers, strings with
/// strings (by code point), booleans with booleans, lists element by element.
/// `None` when the types cannot be compared.
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => match (as_num(a)?, as_num(b)?) {
            (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
            (x, y) => x.as_f64().partial_cmp(&y.as_f64()),
        },
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Null, Value::Null) => Some(Ordering::Equal),
        (Value::Array(x), Value::Array(y)) => {
            for (p, q) in x.iter().zip(y) {
                match compare(p, q)? {
                    Ordering::Equal => continue,
                    other => return Some(other),
                }
            }
            Some(x.len().cmp(&y.len()))
        }
        _ => None,
    }
}

/// A total order for sorting any values: null < booleans < numbers < text < lists <
/// objects. Numbers compare by exact value (an integer and a float are compared without
/// rounding), text by code point, lists element by element with this same order,
/// objects by size. A true total order, so the standard sort cannot panic on it.
pub fn total_order(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Number(_) => 2,
            Value::String(_) => 3,
            Value::Array(_) => 4,
            Value::Object(_) => 5,
        }
    }
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Number(_), Value::Number(_)) => match (as_num(a), as_num(b)) {
            (Some(x), Some(y)) => exact_order(x, y),
            _ => Ordering::Equal,
        },
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Array(x), Value::Array(y)) => x
            .iter()
            .zip(y)
            .map(|(p, q)| total_order(p, q))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| x.len().cmp(&y.len())),
        (Value::Object(x), Value::Object(y)) => x.len().cmp(&y.len()),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// Numbers by their exact values (JSON numbers are finite).
fn exact_order(x: Num, y: Num) -> Ordering {
    match (x, y) {
        (Num::Int(i), Num::Int(j)) => i.cmp(&j),
        (Num::Float(f), Num::Float(g)) => f.total_cmp(&g),
        (Num::Int(i), Num::Float(f)) => int_float_order(i, f),
        (Num::Float(f), Num::Int(i)) => int_float_order(i, f).reverse(),
    }
}

/// Compares an integer with a float exactly, without rounding the integer.
fn int_float_order(i: i64, f: f64) -> Ordering {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f >= TWO_63 {
        return Ordering::Less;
    }
    if f < -TWO_63 {
        return Ordering::Greater;
    }
    // |f| < 2^63 here, so its whole part converts to i64 exactly.
    let whole = f.trunc();
    i.cmp(&(whole as i64))
        .then_with(|| 0.0_f64.total_cmp(&(f - whole)))
}

/// A value named by its type, for messages: `null`, `text "abc"`, `integer 3`.
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::String(_) => format!("text {}", excerpt(value)),
        other => format!("{} {}", type_name(other), excerpt(other)),
    }
}

/// A short, single-line rendering of a value for error messages (long values are cut).
pub fn excerpt(value: &Value) -> String {
    const MAX: usize = 60;
    let text = value.to_string();
    if text.chars().count() <= MAX {
        text
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integers_and_floats_are_equal_when_their_values_are() {
        assert!(equals(&json!(1), &json!(1.0)));
        assert!(!equals(&json!(1), &json!("1")));
        assert!(equals(&json!({"a": [1, 2]}), &json!({"a": [1.0, 2]})));
    }

    #[test]
    fn emptiness_covers_blank_strings_and_empty_collections() {
        for v in [json!(null), json!(""), json!("  "), json!([]), json!({})] {
            assert!(is_empty(&v), "{v}");
        }
        for v in [json!(0), json!(false), json!("x"), json!([null])] {
            assert!(!is_empty(&v), "{v}");
        }
    }

    /// The evaluator reads a record's fields in one merge pass, relying on objects
    /// iterating in key order; this fails if serde_json's `preserve_order` comes back.
    #[test]
    fn objects_iterate_in_key_order() {
        let map: Map<String, Value> = [("b", 1), ("a", 2), ("c", 3)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        let keys: Vec<&str> = map.keys().map(String::as_str).collect();
        assert_eq!(keys, ["a", "b", "c"]);
    }

    #[test]
    fn mixed_types_do_not_compare() {
        assert_eq!(compare(&json!(1), &json!("1")), None);
        assert_eq!(compare(&json!(2), &json!(1.5)), Some(Ordering::Greater));
    }
}
