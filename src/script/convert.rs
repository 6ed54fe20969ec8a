//! Values crossing between the mapping language (JSON values) and Rhai (`Dynamic`).
//!
//! null ↔ `()`, booleans, integers (`i64`) and floats, strings, lists ↔ arrays, objects
//! ↔ object maps. A value with no JSON form (a closure, a timestamp, NaN) is an error.
//! Nesting is bounded, so a script that builds an absurdly deep value cannot exhaust the
//! stack on the way out.

use rhai::{Array, Dynamic, FLOAT, INT, ImmutableString, Map};
use serde_json::{Number, Value};

/// The deepest nesting converted (serde_json reads no deeper than 128 either).
const MAX_DEPTH: usize = 128;

/// A JSON value as a Rhai value.
pub fn to_dynamic(value: &Value) -> Dynamic {
    match value {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => Dynamic::from_bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Dynamic::from_int(i),
            None => Dynamic::from_float(n.as_f64().unwrap_or(FLOAT::NAN)),
        },
        Value::String(s) => Dynamic::from(ImmutableString::from(s.as_str())),
        Value::Array(items) => Dynamic::from_array(items.iter().map(to_dynamic).collect()),
        Value::Object(map) => Dynamic::from_map(
            map.iter()
                .map(|(k, v)| (k.as_str().into(), to_dynamic(v)))
                .collect::<Map>(),
        ),
    }
}

/// A Rhai value as a JSON value; the error says what could not be converted.
pub fn from_dynamic(value: Dynamic) -> Result<Value, String> {
    convert(value, 0)
}

fn convert(value: Dynamic, depth: usize) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err(format!("a value nested more than {MAX_DEPTH} levels deep"));
    }
    if value.is_unit() {
        return Ok(Value::Null);
    }
    if let Ok(b) = value.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Ok(i) = value.as_int() {
        return Ok(Value::from(i as INT));
    }
    if let Ok(f) = value.as_float() {
        return Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| format!("the number {f}, which JSON cannot hold"));
    }
    if let Ok(c) = value.as_char() {
        return Ok(Value::String(c.to_string()));
    }
    if value.is_string() {
        return value
            .into_immutable_string()
            .map(|s| Value::String(s.to_string()))
            .map_err(|t| format!("a value of type {t}"));
    }
    if value.is_array() {
        let items: Array = value
            .into_array()
            .map_err(|t| format!("a value of type {t}"))?;
        return items
            .into_iter()
            .map(|item| convert(item, depth + 1))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array);
    }
    if value.is_map() {
        let type_name = value.type_name();
        let map = value
            .try_cast::<Map>()
            .ok_or_else(|| format!("a value of type {type_name}"))?;
        return map
            .into_iter()
            .map(|(k, v)| convert(v, depth + 1).map(|v| (k.to_string(), v)))
            .collect::<Result<serde_json::Map<_, _>, _>>()
            .map(Value::Object);
    }
    Err(format!(
        "a value of type `{}`, which has no JSON form",
        value.type_name()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_values_round_trip() {
        let value = json!({
            "a": null, "b": true, "c": -3, "d": 2.5, "e": "tekst",
            "f": [1, "x", [null]], "g": { "h": { "i": [] } }
        });
        assert_eq!(from_dynamic(to_dynamic(&value)), Ok(value));
    }

    #[test]
    fn large_unsigned_integers_become_floats() {
        let value = json!(u64::MAX);
        assert_eq!(from_dynamic(to_dynamic(&value)), Ok(json!(u64::MAX as f64)));
    }

    #[test]
    fn values_without_a_json_form_are_errors() {
        assert!(from_dynamic(Dynamic::from_float(FLOAT::NAN)).is_err());
        let error = from_dynamic(Dynamic::from(std::time::Instant::now())).unwrap_err();
        assert!(error.contains("no JSON form"), "{error}");
        assert_eq!(from_dynamic(Dynamic::from('x')), Ok(json!("x")));
    }

    #[test]
    fn deep_values_are_refused_not_overflowed() {
        let mut value = Dynamic::UNIT;
        for _ in 0..1_000 {
            value = Dynamic::from_array(vec![value]);
        }
        assert!(from_dynamic(value).unwrap_err().contains("nested"));
    }
}
