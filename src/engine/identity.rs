//! Record identity and change detection: the source id read from a record, a compact
//! hash of it for the duplicate check, and the fingerprints of records: of a mapped
//! record's JSON text (what a record state keeps), and of a value's content (keys of
//! requests, two-way sides, and the record states of older builds).

use serde_json::Value;
use xxhash_rust::xxh3::xxh3_128;

use crate::formats::compact::write_compact;

/// The value at a dotted path (`order.header.number`; a number selects a list element)
/// as id text: strings as they are, numbers and booleans written out. `None` when the
/// path leads nowhere or to null, an empty string, a list or an object.
pub fn source_id(record: &Value, path: &str) -> Option<String> {
    id_text(lookup(record, path)?)
}

/// An id field's value as the id's text: text (not empty), a number, a boolean.
pub fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        // Integers (most numeric ids) without the formatting machinery.
        Value::Number(n) => Some(match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => itoa::Buffer::new().format(u).to_string(),
            (None, Some(i)) => itoa::Buffer::new().format(i).to_string(),
            (None, None) => n.to_string(),
        }),
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

/// A set of [`id_hash`]es. They are hashes already, so the table uses their bits as
/// they are instead of hashing them again (SipHash cost ~280 instructions an insert).
pub type IdHashSet = std::collections::HashSet<u128, BuildIdHasher>;
/// A map keyed by [`id_hash`]es, like [`IdHashSet`].
pub type IdHashMap<V> = std::collections::HashMap<u128, V, BuildIdHasher>;
/// Builds [`IdHasher`]s.
pub type BuildIdHasher = std::hash::BuildHasherDefault<IdHasher>;

/// The hasher of [`IdHashSet`]: the two halves of a 128-bit id hash folded together.
/// Any other input (never given by the set) is hashed with FNV-1a, so it stays correct.
#[derive(Default)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u128(&mut self, hash: u128) {
        self.0 ^= (hash as u64) ^ ((hash >> 64) as u64);
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0 ^ 0xcbf2_9ce4_8422_2325;
        for &byte in bytes {
            h = (h ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3);
        }
        self.0 = h;
    }
}

/// The fingerprint of a record: a 128-bit hash of its content (each value's kind,
/// length and bytes, keys in order), so equal records give equal fingerprints and any
/// change to a key, a value or a type gives another. Computed without building the
/// record's JSON text.
///
/// Record states written by builds before 27 November 2026 hold this fingerprint of
/// the mapped record; see [`legacy_fingerprint`].
pub fn fingerprint(record: &Value) -> [u8; 16] {
    hash_encoded(|bytes| encode(bytes, record))
}

/// The fingerprint a record state keeps of the mapped record last written: a 128-bit
/// hash of the record's compact JSON text, keys in order (`Canonical::write_json`, or
/// `write_compact` of the value: the same bytes). The text tells every value and type
/// apart, so equal records give equal fingerprints and any change another. A run makes
/// the text anyway for a destination that writes it: then fingerprinting costs a hash.
pub fn text_fingerprint(text: &[u8]) -> [u8; 16] {
    xxh3_128(text).to_le_bytes()
}

/// [`text_fingerprint`] of a mapped record given as a value.
pub fn value_text_fingerprint(record: &Value) -> [u8; 16] {
    // Writing a value into memory cannot fail: no I/O, and its keys are text.
    hash_encoded(|bytes| drop(write_compact(bytes, record)))
}

/// The fingerprint an older build's record state holds for a mapped record: its content
/// [`fingerprint`], of the value read back from its JSON text when there is one (`json`,
/// which stands for the same value), else of `mapped`. A run compares it only when the
/// stored fingerprint is not the record's [`text_fingerprint`].
pub fn legacy_fingerprint(mapped: &Value, json: Option<&[u8]>) -> Option<[u8; 16]> {
    match json {
        Some(text) => serde_json::from_slice::<Value>(text)
            .ok()
            .map(|value| fingerprint(&value)),
        None => Some(fingerprint(mapped)),
    }
}

fn hash_encoded(write: impl FnOnce(&mut Vec<u8>)) -> [u8; 16] {
    thread_local! {
        static BYTES: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BYTES.with_borrow_mut(|bytes| {
        bytes.clear();
        write(bytes);
        xxh3_128(bytes).to_le_bytes()
    })
}

/// Writes each value's kind, length and bytes: an encoding in which different values
/// never give the same bytes.
fn encode(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.push(b'n'),
        Value::Bool(b) => out.push(if *b { b't' } else { b'f' }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push(b'i');
                out.extend_from_slice(&i.to_le_bytes());
            } else if let Some(u) = n.as_u64() {
                out.push(b'u');
                out.extend_from_slice(&u.to_le_bytes());
            } else {
                out.push(b'd');
                out.extend_from_slice(&n.as_f64().unwrap_or(f64::NAN).to_bits().to_le_bytes());
            }
        }
        Value::String(s) => encode_text(out, b's', s),
        Value::Array(items) => {
            out.push(b'a');
            out.extend_from_slice(&(items.len() as u64).to_le_bytes());
            for item in items {
                encode(out, item);
            }
        }
        Value::Object(map) => {
            out.push(b'o');
            out.extend_from_slice(&(map.len() as u64).to_le_bytes());
            for (key, item) in map {
                encode_text(out, b'k', key);
                encode(out, item);
            }
        }
    }
}

fn encode_text(out: &mut Vec<u8>, tag: u8, text: &str) {
    out.push(tag);
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
}

/// Drops null and empty values (empty text, list or object) from an object, at every
/// depth, for `empty_fields = "skip"`: they must not wipe data at the destination.
pub fn without_empty(mut record: Value) -> Value {
    drop_empty(&mut record);
    record
}

fn drop_empty(value: &mut Value) {
    if let Value::Object(map) = value {
        map.retain(|_, item| {
            drop_empty(item);
            !is_empty(item)
        });
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
    use std::sync::Arc;

    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::mapping::MappedRecord;
    use crate::mapping::record::{Shape, Slot};

    #[test]
    fn ids_come_from_paths() {
        let record = json!({"id": 7, "order": {"header": {"number": "A-1"}}, "lines": [{"sku": "X"}], "blank": ""});
        assert_eq!(source_id(&record, "id").as_deref(), Some("7"));
        assert_eq!(
            source_id(&record, "order.header.number").as_deref(),
            Some("A-1")
        );
        assert_eq!(source_id(&record, "lines.0.sku").as_deref(), Some("X"));
        for number in [
            json!(0),
            json!(-12),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(2.5),
            json!(1e300),
        ] {
            assert_eq!(
                source_id(&json!({"id": number}), "id"),
                Some(number.to_string())
            );
        }
        assert_eq!(source_id(&record, "blank"), None);
        assert_eq!(source_id(&record, "missing"), None);
        assert_eq!(source_id(&record, "order"), None);
    }

    #[test]
    fn text_fingerprints_follow_content() {
        let print = value_text_fingerprint;
        assert_eq!(print(&json!({"a": 1})), print(&json!({"a": 1})));
        assert_eq!(
            print(&json!({"a": 1, "b": "x"})),
            text_fingerprint(br#"{"a":1,"b":"x"}"#)
        );
        for (one, other) in [
            (json!({"a": 1}), json!({"a": 2})),
            (json!({"a": 1}), json!({"a": "1"})),
            (json!({"a": 1}), json!({"a": 1.0})),
            (json!({"a": 1}), json!({"b": 1})),
            (json!({"a": ["x", "y"]}), json!({"a": ["xy"]})),
            (json!({"a": {"b": null}}), json!({"a": {}, "b": null})),
            (json!({"a": "x,\"b\":1"}), json!({"a": "x", "b": 1})),
            (json!([true]), json!([false])),
        ] {
            assert_ne!(print(&one), print(&other), "{one} and {other}");
        }
    }

    #[test]
    fn a_legacy_fingerprint_is_the_content_fingerprint_of_the_same_value() {
        let record = json!({"email": "a@x.org", "n": 1.5, "tags": ["x"]});
        let text = serde_json::to_vec(&record).expect("writes");
        assert_eq!(
            legacy_fingerprint(&record, None),
            Some(fingerprint(&record))
        );
        assert_eq!(
            legacy_fingerprint(&Value::Null, Some(&text)),
            Some(fingerprint(&record))
        );
        assert_eq!(legacy_fingerprint(&Value::Null, Some(b"{not json")), None);
    }

    #[test]
    fn fingerprints_follow_content() {
        assert_eq!(fingerprint(&json!({"a": 1})), fingerprint(&json!({"a": 1})));
        assert_ne!(fingerprint(&json!({"a": 1})), fingerprint(&json!({"a": 2})));
        assert_ne!(
            fingerprint(&json!({"a": 1})),
            fingerprint(&json!({"a": "1"}))
        );
        assert_ne!(
            fingerprint(&json!({"a": 1})),
            fingerprint(&json!({"a": 1.0}))
        );
        assert_ne!(fingerprint(&json!({"a": 1})), fingerprint(&json!({"b": 1})));
        assert_ne!(
            fingerprint(&json!({"a": ["x", "y"]})),
            fingerprint(&json!({"a": ["xy"]}))
        );
        assert_ne!(
            fingerprint(&json!({"a": {"b": null}})),
            fingerprint(&json!({"a": {}, "b": null}))
        );
        assert_ne!(fingerprint(&json!([true])), fingerprint(&json!([false])));
    }

    #[test]
    fn id_hash_sets_tell_ids_apart() {
        let mut set = IdHashSet::default();
        for i in 0..10_000 {
            assert!(set.insert(id_hash(&i.to_string())));
        }
        assert!(!set.insert(id_hash("42")));
        assert!(set.contains(&id_hash("9999")));
        assert!(!set.contains(&id_hash("10000")));
        let mut map: IdHashMap<u8> = IdHashMap::default();
        map.insert(id_hash("a"), 1);
        assert_eq!(map.get(&id_hash("a")), Some(&1));
        assert_eq!(map.get(&id_hash("b")), None);
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            (-1e6f64..1e6).prop_map(|n| json!(n)),
            "[a-zé\"\\\n]{0,4}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                proptest::collection::btree_map("[a-c]{0,2}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn arb_record() -> impl Strategy<Value = MappedRecord> {
        let path = proptest::collection::vec(
            prop_oneof!["a", "b", "aa", "é", "B", "", Just("q\"\\".to_string())],
            1..4,
        );
        let slot = prop_oneof![
            "[a-z]{0,3}".prop_map(|t| Slot::Text(t.into())),
            arb_json().prop_map(Slot::Value),
        ];
        proptest::collection::vec((path, slot), 0..8).prop_map(|fields| {
            let mut shape = Shape::default();
            let mut paths: Vec<Vec<String>> = Vec::new();
            let mut values = Vec::new();
            for (path, slot) in fields {
                // the compiler refuses a path that overlaps another
                let overlaps = paths
                    .iter()
                    .any(|p| p.starts_with(&path) || path.starts_with(p));
                if !overlaps {
                    shape.add(&path, values.len());
                    paths.push(path);
                    values.push(slot);
                }
            }
            MappedRecord::new(Arc::new(shape), values)
        })
    }

    proptest! {
        /// The JSON text read from a mapped record in place, and so its fingerprint,
        /// equal those of the value it stands for, with and without empty values; read
        /// back, the text gives that value (and its legacy fingerprint).
        #[test]
        fn canonical_records_give_the_values_fingerprint_and_text(record in arb_record()) {
            let value = record.to_value();
            for skip in [false, true] {
                let expected = if skip { without_empty(value.clone()) } else { value.clone() };
                let view = record.canonical(skip);
                let (mut direct, mut serialized, mut from_value) = (Vec::new(), Vec::new(), Vec::new());
                view.write_json(&mut direct).expect("writes");
                prop_assert_eq!(text_fingerprint(&direct), value_text_fingerprint(&expected));
                prop_assert_eq!(
                    legacy_fingerprint(&Value::Null, Some(&direct)),
                    Some(fingerprint(&expected))
                );
                write_compact(&mut serialized, &view).expect("writes");
                write_compact(&mut from_value, &expected).expect("writes");
                let expected = String::from_utf8(from_value).expect("utf-8");
                prop_assert_eq!(&String::from_utf8(direct).expect("utf-8"), &expected);
                prop_assert_eq!(&String::from_utf8(serialized).expect("utf-8"), &expected);
            }
        }
    }

    #[test]
    fn empty_values_are_dropped_at_every_depth() {
        let record = json!({"a": null, "b": "", "c": [], "d": {"e": null}, "f": 0, "g": {"h": "x", "i": ""}});
        assert_eq!(without_empty(record), json!({"f": 0, "g": {"h": "x"}}));
    }
}
