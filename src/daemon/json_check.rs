//! Checking a webhook's JSON body without building it. The inbox keeps a body as it
//! came (`EncodedEvent::post`), so the daemon only needs to know that it is a JSON
//! object that `serde_json::Value` will read back: [`object`] parses it with a visitor
//! that accepts every value `Value` accepts (the same parser, the same number and
//! nesting limits) and keeps nothing, so no map, string or vector is allocated.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// Why a body is not what a webhook POST takes.
#[derive(Debug)]
pub(super) enum BodyError {
    /// It does not parse as JSON.
    NotJson(serde_json::Error),
    /// It is JSON, but not an object.
    NotObject,
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::NotJson(e) => write!(f, "the body is not JSON: {e}"),
            BodyError::NotObject => f.write_str("the body is not a JSON object"),
        }
    }
}

/// `body` when it is one JSON object (surrounding whitespace allowed), as
/// `serde_json::from_slice::<Value>` would read it.
pub(super) fn object(body: &[u8]) -> Result<&[u8], BodyError> {
    serde_json::from_slice::<Checked>(body).map_err(BodyError::NotJson)?;
    // It parsed, so all before the value is JSON whitespace.
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Ok(body),
        _ => Err(BodyError::NotObject),
    }
}

/// Any JSON value, checked and dropped.
struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Checked, D::Error> {
        deserializer.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = Checked;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_none<E: de::Error>(self) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Checked, D::Error> {
        Checked::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(Checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `serde_json::Value` says of `body`: an object, JSON of another kind, or
    /// not JSON.
    fn as_value(body: &str) -> &'static str {
        match serde_json::from_str::<serde_json::Value>(body) {
            Ok(value) if value.is_object() => "object",
            Ok(_) => "not an object",
            Err(_) => "not JSON",
        }
    }

    fn checked(body: &str) -> &'static str {
        match object(body.as_bytes()) {
            Ok(_) => "object",
            Err(BodyError::NotObject) => "not an object",
            Err(BodyError::NotJson(_)) => "not JSON",
        }
    }

    #[test]
    fn agrees_with_value() {
        let deep = format!("{}{}", "{\"a\":[".repeat(200), "]}".repeat(200));
        for body in [
            r#"{"id": 1, "name": "Ada", "tags": ["a", {"b": null}], "n": -1.5e3}"#,
            " \n{} \t",
            "{\"a\": \"\\u00e9\\n\"}",
            r#"{"a": 1e400}"#,
            r#"{"a": "\ud800"}"#,
            r#"{"a": 1,}"#,
            r#"{"a": 1} x"#,
            r#"{"a" 1}"#,
            "[1, 2]",
            "\"text\"",
            "12",
            "null",
            "",
            "{",
            &deep,
        ] {
            assert_eq!(checked(body), as_value(body), "{body}");
        }
    }

    #[test]
    fn messages_name_the_problem() {
        let not_json = object(b"{").map_err(|e| e.to_string());
        assert!(matches!(not_json, Err(m) if m.starts_with("the body is not JSON: ")));
        let not_object = object(b"[]").map_err(|e| e.to_string());
        assert_eq!(not_object, Err("the body is not a JSON object".to_string()));
    }
}
