//! Record identity and change detection: the source id read from a record, a compact
//! hash of it for the duplicate check, and the fingerprint of a mapped record.

use serde_json::Value;
use xxhash_rust::xxh3::xxh3_128;

/// The value at a dotted path (`order.header.number`; a number selects a list element)
/// as id text: strings as they are, numbers and booleans written out. `None` when the
/// path leads nowhere or to null, an empty string, a list or an object.
pub fn source_id(record: &Value, path: &str) -> Option<String> {
    match lookup(record, path)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The value at a dotted path, if any.
pub fn lookup<'v>(record: &'v Value, path: &str) -> Option<&'v Value> {
    let mut current = record;
    for step in path.split('.') {
        current = match current {
            Value::Object(map) => map.get(step)?,
            Value::Array(items) => items.get(step.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    (!current.is_null()).then_some(current)
}

/// A 128-bit hash of a source id, for the set of ids seen in a run (16 bytes an id
/// whatever its length; a collision among a billion ids has a chance below 10⁻¹⁸).
pub fn id_hash(id: &str) -> u128 {
    xxh3_128(id.as_bytes())
}

/// The fingerprint of a record as it is written: its JSON text hashed. Mapped records
/// serialise in mapping order, so equal records give equal fingerprints.
pub fn fingerprint(record: &Value) -> [u8; 16] {
    let text = serde_json::to_vec(record).unwrap_or_default();
    xxh3_128(&text).to_le_bytes()
}

/// Drops null and empty values (empty text, list or object) from an object, at every
/// depth, for `empty_fields = "skip"`: they must not wipe data at the destination.
pub fn without_empty(record: Value) -> Value {
    match record {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, without_empty(v)))
                .filter(|(_, v)| !is_empty(v))
                .collect(),
        ),
        other => other,
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_come_from_paths() {
        let record = json!({"id": 7, "order": {"header": {"number": "A-1"}}, "lines": [{"sku": "X"}], "blank": ""});
        assert_eq!(source_id(&record, "id").as_deref(), Some("7"));
        assert_eq!(
            source_id(&record, "order.header.number").as_deref(),
            Some("A-1")
        );
        assert_eq!(source_id(&record, "lines.0.sku").as_deref(), Some("X"));
        assert_eq!(source_id(&record, "blank"), None);
        assert_eq!(source_id(&record, "missing"), None);
        assert_eq!(source_id(&record, "order"), None);
    }

    #[test]
    fn fingerprints_follow_content() {
        assert_eq!(fingerprint(&json!({"a": 1})), fingerprint(&json!({"a": 1})));
        assert_ne!(fingerprint(&json!({"a": 1})), fingerprint(&json!({"a": 2})));
    }

    #[test]
    fn empty_values_are_dropped_at_every_depth() {
        let record = json!({"a": null, "b": "", "c": [], "d": {"e": null}, "f": 0, "g": {"h": "x", "i": ""}});
        assert_eq!(without_empty(record), json!({"f": 0, "g": {"h": "x"}}));
    }
}
