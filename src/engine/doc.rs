//! Records read in place from a JSON document parsed at once: a page of an HTTP
//! listing, parsed by sonic-rs into one arena instead of a `serde_json::Value` tree
//! with an allocation for every key and text. The records of the page stay where the
//! parser put them; the engine reads the few fields it needs (the id, the cursor, the
//! mapping's source fields) from there, and builds a `serde_json::Value` of a record
//! only when something needs the whole of it (a `when` condition, a mapping statement
//! that reads the record as a whole, a failed write kept for a retry, a preview).
//!
//! The document parser is an accelerator, never a judge: a page it refuses, or one
//! nested deeper than [`MAX_DEPTH`], is parsed by `serde_json` as before, which gives
//! the usual value or the usual error. Objects
//! with a key twice read as `serde_json` reads them: the last one counts.

use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Number, Value};
use smallvec::{SmallVec, smallvec};
use sonic_rs::{JsonContainerTrait, JsonValueTrait};

use crate::mapping::{FieldValue, Mapping, Outcome};

/// How deeply a document may nest to be parsed in place. The document parser recurses
/// without a limit of its own (a page of a million `[` would overflow the stack), and
/// records nest a few levels; deeper pages go to `serde_json`, whose limit is 128.
const MAX_DEPTH: usize = 32;

self_cell::self_cell!(
    /// The parsed document and its index, which points into it.
    struct Parsed {
        owner: sonic_rs::Value,
        #[covariant]
        dependent: Index,
    }
);

/// Where a document's records and their top-level fields are, found once when the
/// page is parsed (on the HTTP runtime) so that reading them later costs no search.
struct Index<'a> {
    /// The value at the records' path, if there is one.
    records_value: Option<&'a sonic_rs::Value>,
    /// Each record, and where its fields start in `fields`.
    records: Vec<(&'a sonic_rs::Value, usize)>,
    /// The top-level fields of every record, record after record, in document order.
    fields: Vec<(&'a str, Field<'a>)>,
}

impl<'a> Index<'a> {
    fn of(root: &'a sonic_rs::Value, path: &[&str]) -> Index<'a> {
        let mut records_value = Some(root);
        for step in path {
            records_value = records_value.and_then(|value| step_into(value, step));
        }
        let mut records = Vec::new();
        let mut fields = Vec::new();
        if let Some(list) = records_value.and_then(|value| value.as_array()) {
            records.reserve(list.len());
            fields.reserve(list.len() * 8);
            for record in list.iter() {
                records.push((record, fields.len()));
                if let Some(object) = record.as_object() {
                    fields.extend(object.iter().map(|(key, value)| (key, Field::of(value))));
                }
            }
        }
        Index {
            records_value,
            records,
            fields,
        }
    }
}

/// A parsed JSON document whose records (the list at a path) are read in place.
pub struct Doc(Parsed);

impl fmt::Debug for Doc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Doc({} records)", self.len())
    }
}

impl Doc {
    /// Parses `text`, with the records at the dotted `path` (`None`: the whole
    /// document). `None` when the document should be parsed by `serde_json` instead
    /// (see the module documentation).
    pub fn parse(text: &str, path: Option<&str>) -> Option<Doc> {
        if !nesting_within(text.as_bytes(), MAX_DEPTH) {
            return None;
        }
        let root = sonic_rs::from_str::<sonic_rs::Value>(text).ok()?;
        let path: Vec<&str> = path.map(|p| p.split('.').collect()).unwrap_or_default();
        Some(Doc(Parsed::new(root, |root| Index::of(root, &path))))
    }

    /// Whether something other than a list (or null) is where the records should be.
    pub fn records_not_a_list(&self) -> bool {
        self.0
            .borrow_dependent()
            .records_value
            .is_some_and(|v| !v.is_null() && !v.is_array())
    }

    /// How many records the document holds.
    pub fn len(&self) -> usize {
        self.0.borrow_dependent().records.len()
    }

    /// Whether the document holds no records.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The document as a `serde_json` value with the records' list left out (null in
    /// its place): what pagination reads (next cursors, totals, next URLs).
    pub fn without_records(&self) -> Value {
        let index = self.0.borrow_dependent();
        let root = self.0.borrow_owner();
        match index.records_value {
            Some(records) if std::ptr::eq(records, root) => Value::Null,
            records => to_json_skipping(root, records.map(|v| v as *const sonic_rs::Value)),
        }
    }

    /// The whole document as a `serde_json` value.
    pub fn to_json(&self) -> Value {
        to_json(self.0.borrow_owner())
    }

    /// The records of a shared document, in order.
    pub fn into_records(self: Arc<Self>) -> impl Iterator<Item = DocRecord> {
        (0..self.len()).map(move |index| DocRecord {
            doc: Arc::clone(&self),
            index,
        })
    }
}

/// One record of a [`Doc`], read in place; the document lives as long as its records.
#[derive(Clone)]
pub struct DocRecord {
    doc: Arc<Doc>,
    index: usize,
}

impl fmt::Debug for DocRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocRecord({})", self.to_json())
    }
}

static NULL: sonic_rs::Value = sonic_rs::Value::new();

impl DocRecord {
    /// The record as parsed.
    fn value(&self) -> &sonic_rs::Value {
        self.doc
            .0
            .borrow_dependent()
            .records
            .get(self.index)
            .map_or(&NULL, |(record, _)| record)
    }

    /// The record's top-level fields, in document order.
    fn fields(&self) -> &[(&str, Field<'_>)] {
        let index = self.doc.0.borrow_dependent();
        let start = index.records.get(self.index).map_or(0, |(_, start)| *start);
        let end = index
            .records
            .get(self.index + 1)
            .map_or(index.fields.len(), |(_, start)| *start);
        index.fields.get(start..end).unwrap_or_default()
    }

    /// The record as a `serde_json` value.
    pub fn to_json(&self) -> Value {
        to_json(self.value())
    }

    /// The value at a dotted path (as [`super::identity::lookup`] reads one), as a
    /// `serde_json` value; `None` when missing or null.
    pub fn lookup(&self, path: &str) -> Option<Value> {
        let mut steps = path.split('.');
        let first = steps.next()?;
        // The last field of that name counts, as in a `serde_json` object.
        let field = self
            .fields()
            .iter()
            .rev()
            .find(|(key, _)| *key == first)
            .map(|(_, field)| *field)?;
        let mut current = match field {
            Field::Null => return None,
            Field::Text(text) => {
                return (steps.next().is_none()).then(|| Value::String(text.to_string()));
            }
            Field::Other(value) => value,
        };
        for step in steps {
            current = step_into(current, step)?;
        }
        (!current.is_null()).then(|| to_json(current))
    }

    /// Applies `mapping` to the record: the fields it reads are taken from the page in
    /// place (text borrowed, other values converted), and the whole record is built as
    /// a value only when a statement needs it. The outcome is the one
    /// [`Mapping::apply`] gives on [`to_json`](Self::to_json).
    pub fn map(&self, mapping: &Mapping, vars: &Value) -> Outcome {
        let mut found: SmallVec<[Field<'_>; 16]> = smallvec![Field::Null; mapping.field_count()];
        for (key, field) in self.fields() {
            if let Some(place) = mapping.field_slot(key).and_then(|slot| found.get_mut(slot)) {
                *place = *field;
            }
        }
        let converted: SmallVec<[Value; 16]> = found
            .iter()
            .map(|field| match field {
                Field::Other(value) => to_json(value),
                Field::Null | Field::Text(_) => Value::Null,
            })
            .collect();
        let fields: SmallVec<[FieldValue<'_>; 16]> = found
            .iter()
            .zip(&converted)
            .map(|(field, value)| match field {
                Field::Null => FieldValue::Null,
                Field::Text(text) => FieldValue::Text(text),
                Field::Other(_) => FieldValue::Value(value),
            })
            .collect();
        mapping.apply_fields(&fields, || self.to_json(), vars)
    }
}

/// A top-level field of a record read in place.
#[derive(Clone, Copy)]
enum Field<'a> {
    Null,
    Text(&'a str),
    /// Anything else (numbers, booleans, lists, objects), to be converted if read.
    Other(&'a sonic_rs::Value),
}

impl<'a> Field<'a> {
    fn of(value: &'a sonic_rs::Value) -> Field<'a> {
        if value.is_null() {
            Field::Null
        } else if let Some(text) = value.as_str() {
            Field::Text(text)
        } else {
            Field::Other(value)
        }
    }
}

/// One step of a path: an object's key (its last occurrence) or a list's index.
fn step_into<'v>(value: &'v sonic_rs::Value, step: &str) -> Option<&'v sonic_rs::Value> {
    if let Some(object) = value.as_object() {
        object
            .iter()
            .filter(|(key, _)| *key == step)
            .last()
            .map(|(_, v)| v)
    } else if let Some(items) = value.as_array() {
        items.get(step.parse::<usize>().ok()?)
    } else {
        None
    }
}

/// A parsed value as a `serde_json` value (a key given twice: the last one counts,
/// as when `serde_json` parses the text).
pub fn to_json(value: &sonic_rs::Value) -> Value {
    to_json_skipping(value, None)
}

/// [`to_json`], with the value at `skip` (by address) left as null. Documents are at
/// most [`MAX_DEPTH`] deep (checked before parsing), which bounds the recursion.
fn to_json_skipping(value: &sonic_rs::Value, skip: Option<*const sonic_rs::Value>) -> Value {
    if skip.is_some_and(|s| std::ptr::eq(s, value)) {
        return Value::Null;
    }
    if let Some(text) = value.as_str() {
        Value::String(text.to_string())
    } else if let Some(object) = value.as_object() {
        let mut map = Map::new();
        for (key, v) in object.iter() {
            map.insert(key.to_string(), to_json_skipping(v, skip));
        }
        Value::Object(map)
    } else if let Some(items) = value.as_array() {
        Value::Array(items.iter().map(|v| to_json_skipping(v, skip)).collect())
    } else if let Some(b) = value.as_bool() {
        Value::Bool(b)
    } else if let Some(u) = value.as_u64() {
        Value::Number(u.into())
    } else if let Some(i) = value.as_i64() {
        Value::Number(i.into())
    } else if let Some(f) = value.as_f64() {
        // Finite: the parser refuses numbers out of range.
        Number::from_f64(f).map_or(Value::Null, Value::Number)
    } else {
        Value::Null
    }
}

/// Whether the JSON text nests lists and objects at most `limit` deep (text inside
/// strings ignored; malformed text is the parser's to judge). Strings, most of a
/// page, are skipped to their closing quote a machine word at a time.
fn nesting_within(text: &[u8], limit: usize) -> bool {
    let mut depth = 0usize;
    let mut at = 0;
    while let Some(&byte) = text.get(at) {
        at += 1;
        match byte {
            b'"' => loop {
                match memchr::memchr2(b'"', b'\\', text.get(at..).unwrap_or_default()) {
                    None => return true,
                    Some(found) => {
                        let quote = text.get(at + found) == Some(&b'"');
                        // After a backslash, the escaped byte is skipped too.
                        at += found + if quote { 1 } else { 2 };
                        if quote {
                            break;
                        }
                    }
                }
            },
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return false;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn doc(text: &str, path: Option<&str>) -> Arc<Doc> {
        match Doc::parse(text, path) {
            Some(doc) => Arc::new(doc),
            None => panic!("not parsed in place: {text}"),
        }
    }

    #[test]
    fn records_are_read_at_their_path() {
        let page = doc(
            r#"{"data": {"items": [{"id": 1, "name": "Ada"}, {"id": "2"}]}, "next": "abc"}"#,
            Some("data.items"),
        );
        assert_eq!(page.len(), 2);
        assert_eq!(
            page.without_records(),
            json!({"data": {"items": null}, "next": "abc"})
        );
        let records: Vec<Value> = page.into_records().map(|r| r.to_json()).collect();
        assert_eq!(
            records,
            vec![json!({"id": 1, "name": "Ada"}), json!({"id": "2"})]
        );
        let whole = doc(r#"[{"id": 1}]"#, None);
        assert_eq!(whole.len(), 1);
        let nothing = doc(r#"{"data": {}}"#, Some("data.items"));
        assert!(nothing.is_empty());
    }

    #[test]
    fn a_key_given_twice_reads_as_serde_json_reads_it() {
        let text = r#"[{"id": 1, "id": 2, "a": {"b": 1, "b": [3]}}]"#;
        let record = doc(text, None).into_records().next();
        let Some(record) = record else {
            panic!("no record");
        };
        let expected: Value = serde_json::from_str(text).unwrap_or_default();
        assert_eq!(record.to_json(), expected[0]);
        assert_eq!(record.lookup("id"), Some(json!(2)));
        assert_eq!(record.lookup("a.b.0"), Some(json!(3)));
        assert_eq!(record.lookup("missing"), None);
    }

    #[test]
    fn deep_or_malformed_documents_are_left_to_serde_json() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(Doc::parse(&deep, None).is_none());
        let within = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(Doc::parse(&within, None).is_some());
        // Brackets inside strings do not count.
        let quoted = format!("[\"{}\\\"{}\"]", "[".repeat(200), "{".repeat(200));
        assert!(Doc::parse(&quoted, None).is_some());
        for bad in [
            r#"{"a": 1,}"#,
            r#"{"a": "\ud800"}"#,
            "[1] x",
            r#"{"a": 1e400}"#,
        ] {
            assert!(Doc::parse(bad, None).is_none(), "{bad}");
        }
    }

    /// Arbitrary JSON values, as `serde_json` writes them.
    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            ".{0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(".{0,6}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn documents_read_in_place_equal_serde_json_values(records in prop::collection::vec(json_value(), 0..5)) {
            let text = serde_json::to_string(&json!({"data": records}))
                .unwrap_or_default();
            let page = doc(&text, Some("data"));
            let read: Vec<Value> = page.into_records().map(|r| r.to_json()).collect();
            prop_assert_eq!(read, records);
        }
    }
}
