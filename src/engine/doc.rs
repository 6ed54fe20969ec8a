//! Records read in place from a JSON document parsed at once: a page of an HTTP
//! listing, parsed by sonic-rs into one arena instead of a `serde_json::Value` tree
//! with an allocation for every key and text. The records of the page stay where the
//! parser put them; the engine reads the few fields it needs (the id, the cursor, the
//! mapping's source fields) from there, and builds a `serde_json::Value` of a record
//! only when something needs the whole of it (a `when` condition, a mapping statement
//! that reads the record as a whole, a failed write kept for a retry, a preview).
//!
//! The document parser is an accelerator, never a judge: a page it refuses, or one
//! nested deeper than `serde_json` accepts ([`MAX_DEPTH`]), is parsed by `serde_json`
//! as before, which gives the usual value or the usual error. Objects
//! with a key twice read as `serde_json` reads them: the last one counts.

use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Number, Value};
use smallvec::{SmallVec, smallvec};
use sonic_rs::{JsonContainerTrait, JsonType, JsonValueTrait};

use crate::mapping::{FieldValue, Mapping, Outcome};

/// How deeply `serde_json` lets a document nest (a level for each list and object):
/// deeper pages go to it, which gives its usual error, so both paths accept the same.
const MAX_DEPTH: usize = 127;

/// A document with at most this many `[` and `{` bytes cannot nest deeper than that,
/// and the document parser, which recurses a level at a time without a limit of its
/// own (~260 bytes of stack a level, measured), parses it on any thread. Documents
/// with more are first scanned for their depth.
const SHALLOW_BRACKETS: usize = 2048;

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
    /// The index of the document at `root`, its records at `path`; `None` when the
    /// document nests deeper than [`MAX_DEPTH`] (checked on the way, unless `shallow`
    /// says it cannot).
    fn of(root: &'a sonic_rs::Value, path: &[&str], shallow: bool) -> Option<Index<'a>> {
        let mut records_value = Some(root);
        for step in path {
            records_value = records_value.and_then(|value| step_into(value, step));
        }
        let mut records = Vec::new();
        let mut fields = Vec::new();
        let Some(list) = records_value.and_then(|value| value.as_array()) else {
            return (shallow || within(root, MAX_DEPTH, None)).then_some(Index {
                records_value,
                records,
                fields,
            });
        };
        // Levels left below a record: the path's, the list's and the record's are used.
        let below_record = MAX_DEPTH.checked_sub(path.len() + 2)?;
        if !shallow && !within(root, MAX_DEPTH, Some(list_value(records_value)?)) {
            return None;
        }
        records.reserve(list.len());
        fields.reserve(list.len() * 8);
        for record in list.iter() {
            records.push((record, fields.len()));
            match record.as_object() {
                Some(object) => {
                    for (key, value) in object.iter() {
                        let field = Field::of(value);
                        if let Field::Other(value) = field
                            && !shallow
                            && !within(value, below_record, None)
                        {
                            return None;
                        }
                        fields.push((key, field));
                    }
                }
                None if !shallow && !within(record, below_record + 1, None) => return None,
                None => {}
            }
        }
        Some(Index {
            records_value,
            records,
            fields,
        })
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
        let bytes = text.as_bytes();
        let opening = bytes.iter().filter(|&&b| b == b'[' || b == b'{').count();
        if opening > SHALLOW_BRACKETS && !nesting_within(bytes, MAX_DEPTH) {
            return None;
        }
        let root = sonic_rs::from_str::<sonic_rs::Value>(text).ok()?;
        let path: Vec<&str> = path.map(|p| p.split('.').collect()).unwrap_or_default();
        let shallow = opening <= MAX_DEPTH;
        Parsed::try_new(root, |root| Index::of(root, &path, shallow).ok_or(()))
            .ok()
            .map(Doc)
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
    pub fn map(&self, mapping: &Mapping, vars: &Value, slots: &mut SlotMemo) -> Outcome {
        let mut found: SmallVec<[Field<'_>; 16]> = smallvec![Field::Null; mapping.field_count()];
        for (position, (key, field)) in self.fields().iter().enumerate() {
            if let Some(place) = slots
                .slot(mapping, position, key)
                .and_then(|slot| found.get_mut(slot))
            {
                *place = *field;
            }
        }
        // Values other than text (numbers mostly) are converted; they are few.
        let converted: SmallVec<[Value; 4]> = found
            .iter()
            .filter_map(|field| match field {
                Field::Other(value) => Some(to_json(value)),
                Field::Null | Field::Text(_) => None,
            })
            .collect();
        let mut converted_values = converted.iter();
        let fields: SmallVec<[FieldValue<'_>; 16]> = found
            .iter()
            .map(|field| match field {
                Field::Null => FieldValue::Null,
                Field::Text(text) => FieldValue::Text(text),
                Field::Other(_) => converted_values
                    .next()
                    .map_or(FieldValue::Null, FieldValue::Value),
            })
            .collect();
        mapping.apply_fields(&fields, || self.to_json(), vars)
    }
}

/// The mapping's field slot of the key at each position of the last record mapped:
/// the records of a listing mostly have the same keys in the same order, so a key is
/// compared with the one before instead of searched for among the mapping's fields.
/// One memo serves one mapping.
#[derive(Debug, Default)]
pub struct SlotMemo {
    keys: Vec<(String, Option<usize>)>,
}

impl SlotMemo {
    fn slot(&mut self, mapping: &Mapping, position: usize, key: &str) -> Option<usize> {
        match self.keys.get_mut(position) {
            Some((known, slot)) if known == key => *slot,
            Some(entry) => {
                *entry = (key.to_string(), mapping.field_slot(key));
                entry.1
            }
            None => {
                let slot = mapping.field_slot(key);
                if position == self.keys.len() {
                    self.keys.push((key.to_string(), slot));
                }
                slot
            }
        }
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
        match value.get_type() {
            JsonType::Null => Field::Null,
            JsonType::String => value.as_str().map_or(Field::Other(value), Field::Text),
            _ => Field::Other(value),
        }
    }
}

/// The records' list, by address (what [`within`] skips).
fn list_value(value: Option<&sonic_rs::Value>) -> Option<*const sonic_rs::Value> {
    value.map(|v| v as *const sonic_rs::Value)
}

/// Whether `value` nests at most `levels` deep (a list or an object is a level),
/// leaving out the value at `skip` (by address).
fn within(value: &sonic_rs::Value, levels: usize, skip: Option<*const sonic_rs::Value>) -> bool {
    if skip.is_some_and(|s| std::ptr::eq(s, value)) {
        return true;
    }
    match value.get_type() {
        JsonType::Object => {
            levels > 0
                && value
                    .as_object()
                    .is_none_or(|o| o.iter().all(|(_, v)| within(v, levels - 1, skip)))
        }
        JsonType::Array => {
            levels > 0
                && value
                    .as_array()
                    .is_none_or(|a| a.iter().all(|v| within(v, levels - 1, skip)))
        }
        _ => true,
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
/// most [`MAX_DEPTH`] deep (checked when parsed), which bounds the recursion.
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
/// page, are skipped eight bytes at a time.
fn nesting_within(text: &[u8], limit: usize) -> bool {
    let mut depth = 0usize;
    let mut at = 0;
    while let Some(&byte) = text.get(at) {
        at += 1;
        match byte {
            b'"' => match string_end(text, at) {
                Some(end) => at = end,
                None => return true,
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

/// Where the string whose text starts at `at` ends (just past its closing quote).
fn string_end(text: &[u8], mut at: usize) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // Whether a byte of `word` is `byte` (the classic zero-byte test on `word ^ byte`).
    let has = |word: u64, byte: u8| {
        let x = word ^ (ONES * u64::from(byte));
        x.wrapping_sub(ONES) & !x & HIGHS != 0
    };
    loop {
        while let Some(chunk) = text.get(at..at + 8) {
            let word = u64::from_ne_bytes(chunk.try_into().ok()?);
            if has(word, b'"') || has(word, b'\\') {
                break;
            }
            at += 8;
        }
        match text.get(at)? {
            b'"' => return Some(at + 1),
            // The escaped byte is skipped too.
            b'\\' => at += 2,
            _ => at += 1,
        }
    }
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
        // serde_json's limit, with the records at the top, under a path, in a record,
        // and beside the records.
        let nested = |levels: usize| format!("{}{}", "[".repeat(levels), "]".repeat(levels));
        for (depth, used) in [(MAX_DEPTH, true), (MAX_DEPTH + 1, false)] {
            let at_top = nested(depth);
            let under_path = format!(r#"{{"data": {}}}"#, nested(depth - 1));
            let in_record = format!(r#"{{"data": [{{"a": {}}}]}}"#, nested(depth - 3));
            let beside = format!(r#"{{"data": [], "b": {{"c": {}}}}}"#, nested(depth - 2));
            for (text, path) in [
                (&at_top, None),
                (&under_path, Some("data")),
                (&in_record, Some("data")),
                (&beside, Some("data")),
            ] {
                let parsed: Result<Value, _> = serde_json::from_str(text);
                assert_eq!(parsed.is_ok(), used, "serde_json on {depth}: {text}");
                assert_eq!(Doc::parse(text, path).is_some(), used, "{depth}: {text}");
            }
        }
        // Past the brackets counted at once, the text is scanned first.
        let wide = format!("[{}]", vec!["[[1]]"; SHALLOW_BRACKETS].join(","));
        assert_eq!(doc(&wide, None).len(), SHALLOW_BRACKETS);
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

    fn mapping(text: &str) -> Mapping {
        use crate::diagnostic::SourceFile;
        use crate::mapping::functions::Registry;
        use crate::mapping::{Environment, NoImports, compile};
        let registry = Registry::builtin();
        let env = Environment {
            functions: &registry,
            vars: None,
            imports: &NoImports,
        };
        match compile(&SourceFile::new("doc.map", text), &env).mapping {
            Some(mapping) => mapping,
            None => panic!("the test mapping does not compile: {text}"),
        }
    }

    /// Statements the fast forms answer from the fields read in place (text, numbers,
    /// null, a comparison of numbers) …
    static FAST: std::sync::LazyLock<Mapping> = std::sync::LazyLock::new(|| {
        mapping(
            r#"
a = x
b = x | trim | lower
c = concat(x, " ", y)
d = y ?? "none"
e = if n > 2 then x else "small"
g = n
"#,
        )
    });

    /// … and ones they leave to the evaluator on the whole record: a comparison of
    /// text, `$record`, an empty `required`.
    static WHOLE: std::sync::LazyLock<Mapping> = std::sync::LazyLock::new(|| {
        mapping(
            r#"
a = x
f = if x == "NL" then "yes" else "no"
r = $record.y
h = x | required
"#,
        )
    });

    #[test]
    fn one_slot_memo_serves_records_with_keys_in_any_order() {
        let page = doc(
            r#"[{"x": "a", "y": "b"}, {"y": "c", "x": "d"}, {"z": 1, "x": "e"}, {"x": "f"},
                {"n": 3, "y": "g", "x": "h", "q": 0}]"#,
            None,
        );
        let mut memos = [SlotMemo::default(), SlotMemo::default()];
        for record in page.into_records() {
            let value = record.to_json();
            for (mapping, memo) in [&*FAST, &*WHOLE].into_iter().zip(&mut memos) {
                assert_eq!(
                    record.map(mapping, &json!({}), memo),
                    mapping.apply(&value, &json!({})),
                    "{value}"
                );
            }
        }
    }

    fn field_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            Just(json!("NL")),
            "[ a-zA-Z]{0,6}".prop_map(Value::from),
            any::<i32>().prop_map(Value::from),
            any::<bool>().prop_map(Value::from),
            Just(json!([1, "a"])),
            Just(json!({"x": 1})),
        ]
    }

    proptest! {
        #[test]
        fn records_read_in_place_map_as_their_values_do(
            x in field_value(),
            y in field_value(),
            n in field_value(),
            twice in any::<bool>(),
        ) {
            // A key given twice: the later value counts, both ways.
            let text = if twice {
                format!(r#"[{{"x": "first", "y": {y}, "n": {n}, "x": {x}}}]"#)
            } else {
                format!(r#"[{{"x": {x}, "y": {y}, "n": {n}}}]"#)
            };
            let page = doc(&text, None);
            let Some(record) = page.into_records().next() else {
                panic!("no record");
            };
            let value: Value = serde_json::from_str(&text).unwrap_or_default();
            for mapping in [&*FAST, &*WHOLE] {
                let in_place = record.map(mapping, &json!({}), &mut SlotMemo::default());
                prop_assert_eq!(in_place, mapping.apply(&value[0], &json!({})));
            }
        }

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
