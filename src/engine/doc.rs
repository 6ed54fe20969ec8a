//! Records read in place from a page of JSON: a page of an HTTP listing is parsed
//! (by `serde_json`, with its rules and its limits) without a `serde_json::Value` tree
//! for every record, which costs an allocation for every key and every text, and
//! their freeing. Each record's top-level fields are kept as they were read: text
//! borrowed from the page's text (which the page keeps), other values as values. The
//! engine reads the id, the cursor and the mapping's fields from there, and builds a
//! `Value` of a record only when something needs the whole of it (a `when` condition,
//! a mapping statement that reads the record as a whole, a failed write kept for a
//! retry, a preview).
//!
//! A page whose records are not where a list of records is expected (or whose path
//! steps through a list) is left to the ordinary parse into a `Value`, which says
//! what is wrong as before. Objects with a key twice read as `serde_json` reads them:
//! the last one counts.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::identity::{id_text, lookup as lookup_in};
use crate::mapping::{CanonicalWriter, FieldValue, Mapping, Outcome};

self_cell::self_cell!(
    /// The page's text and what was read from it, which borrows from the text.
    struct Parsed {
        owner: String,
        #[covariant]
        dependent: Page,
    }
);

/// What a page holds.
#[derive(Default)]
struct Page<'a> {
    /// The page without its records (an empty list in their place): what pagination
    /// reads.
    rest: Value,
    /// Each record: where its fields start in `fields`, or the record itself when it
    /// is not an object.
    records: Vec<Record>,
    /// The top-level fields of every object record, record after record, in the
    /// order of the text.
    fields: Vec<(Cow<'a, str>, Field<'a>)>,
}

enum Record {
    Object {
        start: usize,
        /// Whether its keys are, in order, those of the record before it, an object
        /// too (found while the page is parsed, on the HTTP runtime's thread, so that
        /// the engine need not compare them again: [`SlotMemo`]).
        same_keys: bool,
    },
    Other(Value),
}

/// A top-level field of a record read in place.
enum Field<'a> {
    Null,
    Text(Cow<'a, str>),
    /// Anything else (numbers, booleans, lists, objects).
    Other(Value),
}

/// A parsed page whose records (the list at a path) are read in place.
pub struct Doc {
    parsed: Parsed,
    /// The records' path, by key.
    path: Vec<String>,
    /// This page among all pages parsed in the process (told apart by [`SlotMemo`]).
    serial: u64,
}

/// The serial number of the next page parsed.
static NEXT_SERIAL: AtomicU64 = AtomicU64::new(0);

impl fmt::Debug for Doc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Doc({} records)", self.len())
    }
}

impl Doc {
    /// Parses `text`, with the records at the dotted `path` (`None`: the whole
    /// document). `None` when the page should be parsed into a `Value` instead: it is
    /// not JSON, or its records are not a list (the ordinary parse says why).
    pub fn parse(text: String, path: Option<&str>) -> Option<Doc> {
        Doc::read(text, path).ok()
    }

    /// [`parse`](Self::parse), which gives the text back when the page is not read in
    /// place (so that its caller can parse it the ordinary way without a copy).
    pub fn read(text: String, path: Option<&str>) -> Result<Doc, String> {
        let path: Vec<String> = path
            .map(|p| p.split('.').map(str::to_string).collect())
            .unwrap_or_default();
        let parsed = Parsed::try_new_or_recover(text, |text| {
            // Room for the records and their fields, guessed from the size of the
            // text (a field takes a dozen bytes or more), so that the lists of an
            // ordinary page are not copied as they grow (a huge page's grow as needed).
            let mut page = Page {
                records: Vec::with_capacity((text.len() / 256).min(1 << 14)),
                fields: Vec::with_capacity((text.len() / 12).min(1 << 16)),
                ..Page::default()
            };
            let mut reader = serde_json::Deserializer::from_str(text);
            let steps: Vec<&str> = path.iter().map(String::as_str).collect();
            page.rest = Level {
                path: &steps,
                page: &mut page,
            }
            .deserialize(&mut reader)?;
            reader.end()?;
            Ok::<_, serde_json::Error>(page)
        })
        .map_err(|(text, _)| text)?;
        let serial = NEXT_SERIAL.fetch_add(1, Ordering::Relaxed);
        Ok(Doc {
            parsed,
            path,
            serial,
        })
    }

    /// How many records the page holds.
    pub fn len(&self) -> usize {
        self.parsed.borrow_dependent().records.len()
    }

    /// Whether the page holds no records.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The page without its records (an empty list in their place): what pagination
    /// reads.
    pub fn without_records(&self) -> &Value {
        &self.parsed.borrow_dependent().rest
    }

    /// The whole page as a value.
    pub fn to_json(self: &Arc<Self>) -> Value {
        let records = Value::Array(
            Arc::clone(self)
                .into_records()
                .map(|record| record.to_json())
                .collect(),
        );
        if self.path.is_empty() {
            return records;
        }
        let mut whole = self.without_records().clone();
        let mut place = &mut whole;
        for step in &self.path {
            match place {
                Value::Object(map) => match map.get_mut(step) {
                    Some(next) => place = next,
                    None => return whole,
                },
                _ => return whole,
            }
        }
        if place.is_array() {
            *place = records;
        }
        whole
    }

    /// The records of a shared page, in order.
    pub fn into_records(self: Arc<Self>) -> impl Iterator<Item = DocRecord> {
        (0..self.len()).map(move |index| DocRecord {
            doc: Arc::clone(&self),
            index,
        })
    }
}

/// One record of a [`Doc`], read in place; the page lives as long as its records.
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

/// A record as read: its fields, or the record when it is not an object.
enum View<'d> {
    Object(&'d [(Cow<'d, str>, Field<'d>)]),
    Other(&'d Value),
}

static NULL: Value = Value::Null;

impl DocRecord {
    fn view(&self) -> View<'_> {
        let page = self.doc.parsed.borrow_dependent();
        match page.records.get(self.index) {
            Some(Record::Object { start, .. }) => {
                let end = match page.records.get(self.index + 1..) {
                    Some(rest) => rest.iter().find_map(|r| match r {
                        Record::Object { start, .. } => Some(*start),
                        Record::Other(_) => None,
                    }),
                    None => None,
                }
                .unwrap_or(page.fields.len());
                View::Object(page.fields.get(*start..end).unwrap_or_default())
            }
            Some(Record::Other(value)) => View::Other(value),
            None => View::Other(&NULL),
        }
    }

    /// The record as a value.
    pub fn to_json(&self) -> Value {
        match self.view() {
            View::Object(fields) => {
                let mut map = Map::new();
                for (key, field) in fields {
                    let value = match field {
                        Field::Null => Value::Null,
                        Field::Text(text) => Value::String(text.to_string()),
                        Field::Other(value) => value.clone(),
                    };
                    map.insert(key.to_string(), value);
                }
                Value::Object(map)
            }
            View::Other(value) => value.clone(),
        }
    }

    /// The value at a dotted path (as [`super::identity::lookup`] reads one); `None`
    /// when missing or null.
    pub fn lookup(&self, path: &str) -> Option<Value> {
        let fields = match self.view() {
            View::Object(fields) => fields,
            View::Other(value) => return lookup_in(value, path).cloned(),
        };
        let (first, rest) = match path.split_once('.') {
            Some((first, rest)) => (first, Some(rest)),
            None => (path, None),
        };
        // The last field of that name counts, as in a `serde_json` object.
        let (_, field) = fields.iter().rev().find(|(key, _)| key == first)?;
        match (field, rest) {
            (Field::Null, _) | (Field::Text(_), Some(_)) => None,
            (Field::Text(text), None) => Some(Value::String(text.to_string())),
            (Field::Other(value), None) => Some(value.clone()),
            (Field::Other(value), Some(rest)) => lookup_in(value, rest).cloned(),
        }
    }

    /// The record's id at `path`, as [`id_text`] makes it of the value there (which
    /// is not built when it is a top-level field).
    pub fn id(&self, path: &str) -> Option<String> {
        let fields = match self.view() {
            View::Object(fields) if !path.contains('.') => fields,
            _ => return self.lookup(path).as_ref().and_then(id_text),
        };
        // The last field of that name counts, as in a `serde_json` object.
        let (_, field) = fields.iter().rev().find(|(key, _)| key == path)?;
        match field {
            Field::Null => None,
            Field::Text(text) => (!text.is_empty()).then(|| text.to_string()),
            Field::Other(value) => id_text(value),
        }
    }

    /// Applies `mapping` to the record: the fields it reads are taken from the page as
    /// they were read (text borrowed), and the whole record is built as a value only
    /// when a statement needs it. The outcome is the one [`Mapping::apply`] gives on
    /// [`to_json`](Self::to_json).
    pub fn map(&self, mapping: &Mapping, vars: &Value, slots: &mut SlotMemo) -> Outcome {
        self.with_fields(mapping, slots, |fields| match fields {
            Ok(found) => mapping.apply_fields(found, || self.to_json(), vars),
            Err(value) => mapping.apply(value, vars),
        })
    }

    /// Maps the record with `writer` and appends the mapped record's canonical JSON
    /// text to `out`, reading the fields as [`map`](Self::map) does; `false`, with
    /// `out` as it was, when the record must be mapped the ordinary way
    /// ([`CanonicalWriter::write_fields`]).
    pub fn write_canonical(
        &self,
        writer: &CanonicalWriter<'_>,
        slots: &mut SlotMemo,
        skip_empty: bool,
        out: &mut Vec<u8>,
    ) -> bool {
        self.with_fields(writer.mapping(), slots, |fields| match fields {
            Ok(found) => writer.write_fields(found, skip_empty, out),
            Err(value) => writer.write_record(value, skip_empty, out),
        })
    }

    /// Hands `then` the top-level fields `mapping` reads, by its field slots (missing
    /// ones null), or the record as a value when it is not an object. (Handed rather
    /// than returned: the fields are a few hundred bytes on the stack, which a return
    /// would copy.)
    fn with_fields<'s, R>(
        &'s self,
        mapping: &Mapping,
        slots: &mut SlotMemo,
        then: impl FnOnce(Result<&[FieldValue<'s>], &'s Value>) -> R,
    ) -> R {
        let fields = match self.view() {
            View::Object(fields) => fields,
            View::Other(value) => return then(Err(value)),
        };
        // On the stack when few (most mappings): made in place, not moved.
        let count = mapping.field_count();
        let mut inline = [FieldValue::Null; INLINE_FIELDS];
        let mut spilled = Vec::new();
        let found = match inline.get_mut(..count) {
            Some(found) => found,
            None => {
                spilled.resize(count, FieldValue::Null);
                &mut spilled[..]
            }
        };
        let value = |field: &'s Field<'s>| match field {
            Field::Null => FieldValue::Null,
            Field::Text(text) => FieldValue::Text(text),
            Field::Other(value) => FieldValue::Value(value),
        };
        if slots.follows(self) {
            // The keys of the record just mapped, known to be these: their slots as
            // they are.
            for ((_, field), (_, slot)) in fields.iter().zip(&slots.keys) {
                if let Some(place) = slot.and_then(|slot| found.get_mut(slot)) {
                    *place = value(field);
                }
            }
        } else {
            for (position, (key, field)) in fields.iter().enumerate() {
                if let Some(place) = slots
                    .slot(mapping, position, key)
                    .and_then(|slot| found.get_mut(slot))
                {
                    *place = value(field);
                }
            }
        }
        then(Ok(found))
    }
}

/// How many fields a mapping may read for them to be gathered on the stack.
const INLINE_FIELDS: usize = 16;

/// The mapping's field slot of the key at each position of the last record mapped:
/// the records of a listing mostly have the same keys in the same order, so a key is
/// compared with the one before instead of searched for among the mapping's fields,
/// and not even compared when the page says the record has the keys of the record
/// before it, the one mapped last. One memo serves one mapping.
#[derive(Debug, Default)]
pub struct SlotMemo {
    keys: Vec<(String, Option<usize>)>,
    /// The page (its serial) and the index of the record mapped last.
    last: Option<(u64, usize)>,
}

impl SlotMemo {
    /// Whether `record` has, by its page's word, the keys of the record mapped last;
    /// notes `record` as the one mapped last.
    fn follows(&mut self, record: &DocRecord) -> bool {
        let here = (record.doc.serial, record.index);
        let last = self.last.replace(here);
        let same_keys = matches!(
            record
                .doc
                .parsed
                .borrow_dependent()
                .records
                .get(record.index),
            Some(Record::Object {
                same_keys: true,
                ..
            })
        );
        same_keys && record.index > 0 && last == Some((here.0, record.index - 1))
    }

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

/// Why a page is left to the ordinary parse (never shown: that parse explains).
fn elsewhere<E: de::Error>() -> E {
    E::custom("left to the ordinary parse")
}

/// A level of the page on the way to the records: an object whose key `path[0]`
/// leads on; gives the level without the records.
struct Level<'p, 'a> {
    path: &'p [&'p str],
    page: &'p mut Page<'a>,
}

impl<'de> DeserializeSeed<'de> for Level<'_, 'de> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        match self.path.split_first() {
            None => deserializer.deserialize_any(Records(self.page)),
            Some(_) => deserializer.deserialize_any(self),
        }
    }
}

impl<'de> Visitor<'de> for Level<'_, 'de> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let Some((step, further)) = self.path.split_first() else {
            return Err(elsewhere());
        };
        let mut rest = Map::new();
        while let Some(key) = map.next_key_seed(Text)? {
            let value = if key == *step {
                // A later list of records replaces an earlier one, as the later key
                // replaces the earlier in a value.
                self.page.records.clear();
                self.page.fields.clear();
                map.next_value_seed(Level {
                    path: further,
                    page: self.page,
                })?
            } else {
                map.next_value()?
            };
            rest.insert(key.into_owned(), value);
        }
        Ok(Value::Object(rest))
    }

    // Anything but an object on the way: a missing list of records is an empty page.
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    // A path stepping through a list: left to the ordinary parse.
    fn visit_seq<A: SeqAccess<'de>>(self, _seq: A) -> Result<Value, A::Error> {
        Err(elsewhere())
    }
}

/// The value at the records' path: a list of records (or null: none).
struct Records<'p, 'a>(&'p mut Page<'a>);

impl<'de> Visitor<'de> for Records<'_, 'de> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let page = self.0;
        while seq.next_element_seed(OneRecord(page))?.is_some() {}
        // The list's place in the page (see `Doc::to_json`).
        Ok(Value::Array(Vec::new()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    // Anything else where the records should be: the ordinary parse says what.
    fn visit_map<A: MapAccess<'de>>(self, _map: A) -> Result<Value, A::Error> {
        Err(elsewhere())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Value, E> {
        Err(elsewhere())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Value, E> {
        Err(elsewhere())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Value, E> {
        Err(elsewhere())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Value, E> {
        Err(elsewhere())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Value, E> {
        Err(elsewhere())
    }
}

/// One record of the list: its top-level fields when it is an object.
struct OneRecord<'p, 'a>(&'p mut Page<'a>);

impl<'de> DeserializeSeed<'de> for OneRecord<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for OneRecord<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a record")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let page = self.0;
        let start = page.fields.len();
        while let Some(key) = map.next_key_seed(Text)? {
            let field = map.next_value_seed(FieldSeed)?;
            page.fields.push((key, field));
        }
        // The record before, when it is an object, holds the fields up to `start`.
        let same_keys = match page.records.last() {
            Some(Record::Object { start: before, .. }) => {
                match (page.fields.get(*before..start), page.fields.get(start..)) {
                    (Some(previous), Some(these)) => {
                        previous.len() == these.len()
                            && previous.iter().zip(these).all(|(a, b)| a.0 == b.0)
                    }
                    _ => false,
                }
            }
            _ => false,
        };
        page.records.push(Record::Object { start, same_keys });
        Ok(())
    }

    // A record that is not an object is kept as a value.
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.other(list(seq)?)
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.other(Value::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.other(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.other(Value::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.other(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.other(Value::from(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.other(Value::from(v))
    }
}

impl OneRecord<'_, '_> {
    fn other<E>(self, record: Value) -> Result<(), E> {
        self.0.records.push(Record::Other(record));
        Ok(())
    }
}

/// The rest of a list, as a value.
fn list<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Value, A::Error> {
    let mut items = Vec::new();
    while let Some(item) = seq.next_element()? {
        items.push(item);
    }
    Ok(Value::Array(items))
}

/// Text borrowed from the page where it has no escapes, else unescaped.
struct Text;

impl<'de> DeserializeSeed<'de> for Text {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Text {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("text")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// A record's top-level field.
struct FieldSeed;

impl<'de> DeserializeSeed<'de> for FieldSeed {
    type Value = Field<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed {
    type Value = Field<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Field::Text(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Field::Text(Cow::Owned(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Field::Text(Cow::Owned(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Field::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Field::Other(Value::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Field::Other(Value::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Field::Other(Value::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Field::Other(Value::from(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        list(seq).map(Field::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut object = Map::new();
        while let Some((key, value)) = map.next_entry::<String, Value>()? {
            object.insert(key, value);
        }
        Ok(Field::Other(Value::Object(object)))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use crate::mapping::tests::compiled as mapping;

    use super::*;

    fn doc(text: &str, path: Option<&str>) -> Arc<Doc> {
        match Doc::parse(text.to_string(), path) {
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
            &json!({"data": {"items": []}, "next": "abc"})
        );
        let records: Vec<Value> = page.into_records().map(|r| r.to_json()).collect();
        assert_eq!(
            records,
            vec![json!({"id": 1, "name": "Ada"}), json!({"id": "2"})]
        );
        let text = r#"{"data": {"items": [{"id": 1}], "more": true}, "next": null}"#;
        let expected: Value = serde_json::from_str(text).unwrap_or_default();
        assert_eq!(doc(text, Some("data.items")).to_json(), expected);
        let text = r#"{"data": {"items": null}}"#;
        let expected: Value = serde_json::from_str(text).unwrap_or_default();
        assert_eq!(doc(text, Some("data.items")).to_json(), expected);
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
    fn what_serde_json_refuses_is_left_to_it() {
        // serde_json's nesting limit, with the records at the top, under a path, in a
        // record, and beside the records.
        let nested = |levels: usize| format!("{}{}", "[".repeat(levels), "]".repeat(levels));
        for depth in [127, 128, 100_000] {
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
                assert_eq!(
                    parsed.is_ok(),
                    depth == 127,
                    "serde_json on {depth}: {text}"
                );
                let read = Doc::parse(text.clone(), path).is_some();
                assert_eq!(read, depth == 127, "{depth}: {text}");
            }
        }
        for bad in [
            r#"{"a": 1,}"#,
            r#"{"a": "\ud800"}"#,
            "[1] x",
            r#"{"a": 1e400}"#,
        ] {
            assert!(Doc::parse(bad.to_string(), None).is_none(), "{bad}");
        }
        // Records that are not a list, and a path through a list.
        for (text, path) in [
            (r#"{"data": {"id": 1}}"#, "data"),
            (r#"{"data": "x"}"#, "data.items"),
            (r#"{"data": [{"items": []}]}"#, "data.0.items"),
        ] {
            let Ok(value) = serde_json::from_str::<Value>(text) else {
                panic!("not JSON: {text}");
            };
            let read = Doc::parse(text.to_string(), Some(path));
            // A missing list is an empty page; a list elsewhere is the value path's.
            match read {
                Some(page) => {
                    assert!(page.is_empty(), "{text}");
                    assert_eq!(page.without_records(), &value, "{text}");
                }
                None => assert_ne!(path, "data.items", "{text}"),
            }
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

    /// A record's keys are taken as known when its page says they are those of the
    /// record before it and that record was the one mapped last — not across pages,
    /// not after a record in between, not when the keys differ in any way.
    #[test]
    fn a_slot_memo_follows_only_records_whose_page_vouches_for_their_keys() {
        let text = r#"[{"x": "a", "y": "b"}, {"x": "c", "y": "d"}, {"y": "e", "x": "f"},
            {"y": "g", "x": "h"}, 5, {"y": "i", "x": "j"}, {"y": "k"}, {"y": "l", "x": "m"}]"#;
        let records: Vec<DocRecord> = doc(text, None).into_records().collect();
        let mut memo = SlotMemo::default();
        let follows: Vec<bool> = records.iter().map(|r| memo.follows(r)).collect();
        assert_eq!(
            follows,
            [false, true, false, true, false, false, false, false]
        );
        // The same keys on a page of its own: a page is not its neighbour's.
        let other = doc(r#"[{"y": "n", "x": "o"}]"#, None);
        let Some(first) = other.into_records().next() else {
            panic!("no record");
        };
        assert!(!memo.follows(&first));
        // Mapped twice, a record does not follow itself.
        assert!(!memo.follows(&first));
    }

    fn layout() -> impl Strategy<Value = Value> {
        prop_oneof![
            4 => Just(json!({"x": "a", "y": "b", "n": 3})),
            2 => Just(json!({"n": 1, "y": "c", "x": "d"})),
            1 => Just(json!({"x": "e"})),
            1 => Just(json!({"x": "f", "y": "g", "n": 3, "z": "h"})),
            1 => Just(json!({"x": "NL", "q": "i", "n": 0})),
            1 => Just(json!(7)),
        ]
    }

    proptest! {
        /// Records whose keys repeat, change order, shrink and grow, with records that
        /// are not objects between them, map in place as their values do, one memo
        /// serving every page, some records not mapped (as a run passes over records
        /// without an id), and a record mapped twice maps the same twice.
        #[test]
        fn a_slot_memo_serves_pages_of_records_in_any_layout(
            pages in prop::collection::vec(prop::collection::vec(layout(), 1..8), 1..3),
            mapped in prop::collection::vec(prop::bool::weighted(0.8), 8),
            again in any::<bool>(),
        ) {
            let mut memos = [SlotMemo::default(), SlotMemo::default()];
            for records in pages {
                let text = serde_json::to_string(&records).unwrap_or_default();
                for (record, mapped) in doc(&text, None).into_records().zip(&mapped) {
                    if !mapped {
                        continue;
                    }
                    let value = record.to_json();
                    for (mapping, memo) in [&*FAST, &*WHOLE].into_iter().zip(&mut memos) {
                        let expected = mapping.apply(&value, &json!({}));
                        prop_assert_eq!(&record.map(mapping, &json!({}), memo), &expected);
                        if again {
                            prop_assert_eq!(&record.map(mapping, &json!({}), memo), &expected);
                        }
                    }
                }
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
            // The id read in place is the id of the value, at the top and deeper.
            for path in ["x", "y", "n", "missing", "y.x", "n.0"] {
                prop_assert_eq!(
                    record.id(path),
                    crate::engine::identity::source_id(&value[0], path)
                );
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
