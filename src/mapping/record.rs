//! A mapped record: the values of the destination fields, in a layout (the [`Shape`])
//! that the compiled mapping shares between all its records. Field names are not
//! copied per record, and fields keep the order in which the mapping assigns them.
//!
//! Each field's value is a [`Slot`]: text is held as a small string (up to 24 bytes
//! without an allocation), so copying a short source field or a constant into the output
//! costs no allocation; other values are JSON values.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use compact_str::CompactString;
use serde::ser::{Serialize, SerializeMap, Serializer};

use super::value::{Map, Value};
use crate::formats::compact::{write_compact, write_text};

/// The layout of a mapping's output: top-level fields in assignment order; dotted
/// targets (`address.city`) nest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shape {
    pub(crate) fields: Vec<(String, ShapeNode)>,
    /// The same fields with each level's keys in order, as the record's JSON object
    /// has them (made on first use, after the shape is complete).
    sorted: std::sync::OnceLock<Vec<SortedField>>,
}

/// A field of a level of the shape in key order, with its key as JSON text made once.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SortedField {
    key: String,
    /// `"key":` as compact JSON writes it.
    pub(crate) json_key: Box<[u8]>,
    pub(crate) node: SortedNode,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SortedNode {
    Slot(usize),
    Object(Vec<SortedField>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ShapeNode {
    /// A field whose value is `values[slot]`.
    Slot(usize),
    /// A nested object.
    Object(Vec<(String, ShapeNode)>),
}

impl Shape {
    /// Adds a destination path and gives its slot. The compiler has already refused
    /// paths that overlap an earlier one.
    pub(crate) fn add(&mut self, path: &[String], slot: usize) {
        let mut level = &mut self.fields;
        let Some((last, parents)) = path.split_last() else {
            return;
        };
        for key in parents {
            let position = match level.iter().position(|(k, _)| k == key) {
                Some(p) => p,
                None => {
                    level.push((key.clone(), ShapeNode::Object(Vec::new())));
                    level.len() - 1
                }
            };
            match &mut level[position].1 {
                ShapeNode::Object(children) => level = children,
                ShapeNode::Slot(_) => return,
            }
        }
        level.push((last.clone(), ShapeNode::Slot(slot)));
    }

    /// The fields with the keys of every level in order.
    pub(crate) fn sorted(&self) -> &[SortedField] {
        self.sorted.get_or_init(|| sorted_level(&self.fields))
    }

    /// Finds the node a path of keys leads to, and how many keys it used.
    pub(crate) fn find<'s>(&'s self, keys: &[&str]) -> Option<(&'s ShapeNode, usize)> {
        let mut level = &self.fields;
        for (used, key) in keys.iter().enumerate() {
            let (_, node) = level.iter().find(|(k, _)| k == key)?;
            match node {
                ShapeNode::Object(children) if used + 1 < keys.len() => level = children,
                other => return Some((other, used + 1)),
            }
        }
        None
    }
}

fn sorted_level(fields: &[(String, ShapeNode)]) -> Vec<SortedField> {
    let mut level: Vec<SortedField> = fields
        .iter()
        .map(|(key, node)| {
            let node = match node {
                ShapeNode::Slot(slot) => SortedNode::Slot(*slot),
                ShapeNode::Object(children) => SortedNode::Object(sorted_level(children)),
            };
            let mut json_key = Vec::with_capacity(key.len() + 3);
            // Writing text into a vector cannot fail.
            let _ = write_text(&mut json_key, key);
            json_key.push(b':');
            SortedField {
                key: key.clone(),
                json_key: json_key.into_boxed_slice(),
                node,
            }
        })
        .collect();
    level.sort_by(|a, b| a.key.cmp(&b.key));
    level
}

impl ShapeNode {
    /// This node as a value, reading `values` (cloned).
    pub(crate) fn to_value(&self, values: &[Slot]) -> Value {
        match self {
            ShapeNode::Slot(slot) => values.get(*slot).map_or(Value::Null, Slot::to_value),
            ShapeNode::Object(children) => object(children, values),
        }
    }
}

fn object(fields: &[(String, ShapeNode)], values: &[Slot]) -> Value {
    Value::Object(
        fields
            .iter()
            .map(|(k, node)| (k.clone(), node.to_value(values)))
            .collect::<Map<_, _>>(),
    )
}

/// Like [`object`], moving the values out of `values` instead of cloning them.
fn object_from(fields: &[(String, ShapeNode)], values: &mut [Slot]) -> Value {
    Value::Object(
        fields
            .iter()
            .map(|(k, node)| {
                let value = match node {
                    ShapeNode::Slot(slot) => values.get_mut(*slot).map_or(Value::Null, Slot::take),
                    ShapeNode::Object(children) => object_from(children, values),
                };
                (k.clone(), value)
            })
            .collect::<Map<_, _>>(),
    )
}

/// The value of one destination field.
#[derive(Debug, Clone)]
pub(crate) enum Slot {
    /// Text, stored inline when short.
    Text(CompactString),
    /// Any other value (or text moved in from a `serde_json::Value`).
    Value(Value),
}

impl Slot {
    /// A slot holding an evaluated value: borrowed text is copied into a small string
    /// (no allocation when short), owned values are moved.
    pub(crate) fn from_cow(value: Cow<'_, Value>) -> Slot {
        match value {
            Cow::Borrowed(Value::String(text)) => Slot::Text(CompactString::new(text)),
            Cow::Borrowed(other) => Slot::Value(other.clone()),
            Cow::Owned(value) => Slot::Value(value),
        }
    }

    /// The slot as a JSON value (borrowed when it holds one).
    pub(crate) fn as_value(&self) -> Cow<'_, Value> {
        match self {
            Slot::Text(text) => Cow::Owned(Value::String(text.to_string())),
            Slot::Value(value) => Cow::Borrowed(value),
        }
    }

    pub(crate) fn to_value(&self) -> Value {
        self.as_value().into_owned()
    }

    /// The value, leaving null in its place.
    fn take(&mut self) -> Value {
        match std::mem::replace(self, Slot::Value(Value::Null)) {
            Slot::Text(text) => Value::String(text.into_string()),
            Slot::Value(value) => value,
        }
    }
}

/// Equal when the JSON values are: text is the same whichever way it is stored.
impl PartialEq for Slot {
    fn eq(&self, other: &Slot) -> bool {
        match (self, other) {
            (Slot::Text(a), Slot::Text(b)) => a == b,
            (Slot::Text(a), Slot::Value(Value::String(b)))
            | (Slot::Value(Value::String(b)), Slot::Text(a)) => a.as_str() == b.as_str(),
            (Slot::Value(a), Slot::Value(b)) => a == b,
            _ => false,
        }
    }
}

impl Serialize for Slot {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Slot::Text(text) => serializer.serialize_str(text),
            Slot::Value(value) => value.serialize(serializer),
        }
    }
}

/// The destination record a mapping made of one source record.
#[derive(Clone, PartialEq)]
pub struct MappedRecord {
    shape: Arc<Shape>,
    values: Vec<Slot>,
}

impl MappedRecord {
    pub(crate) fn new(shape: Arc<Shape>, values: Vec<Slot>) -> MappedRecord {
        MappedRecord { shape, values }
    }

    /// The record as a JSON object.
    pub fn to_value(&self) -> Value {
        object(&self.shape.fields, &self.values)
    }

    /// The record as a JSON object, its values moved rather than copied.
    pub fn into_value(mut self) -> Value {
        object_from(&self.shape.fields, &mut self.values)
    }

    /// The record exactly as [`into_value`](Self::into_value) would make it (every
    /// level's keys in order), read in place: to write its JSON text or take its
    /// fingerprint without building it. `skip_empty`: without the values that the
    /// engine's `without_empty` drops (null and empty text, lists and objects, at every
    /// depth of objects).
    pub fn canonical(&self, skip_empty: bool) -> Canonical<'_> {
        Canonical {
            fields: self.shape.sorted(),
            values: &self.values,
            skip_empty,
        }
    }

    /// The value of a top-level field.
    pub fn get(&self, field: &str) -> Option<Value> {
        let (_, node) = self.shape.fields.iter().find(|(k, _)| k == field)?;
        Some(node.to_value(&self.values))
    }
}

impl fmt::Debug for MappedRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_value())
    }
}

/// Compact JSON.
impl fmt::Display for MappedRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

impl Serialize for MappedRecord {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Fields {
            fields: &self.shape.fields,
            values: &self.values,
        }
        .serialize(serializer)
    }
}

/// Serializes one level of the shape without building values.
struct Fields<'a> {
    fields: &'a [(String, ShapeNode)],
    values: &'a [Slot],
}

impl Serialize for Fields<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.fields.len()))?;
        for (key, node) in self.fields {
            match node {
                ShapeNode::Slot(slot) => match self.values.get(*slot) {
                    Some(value) => map.serialize_entry(key, value)?,
                    None => map.serialize_entry(key, &Value::Null)?,
                },
                ShapeNode::Object(children) => map.serialize_entry(
                    key,
                    &Fields {
                        fields: children,
                        values: self.values,
                    },
                )?,
            }
        }
        map.end()
    }
}

/// One level of a [`MappedRecord`] as its JSON object: keys in order, optionally
/// without empty values. Serializes to the same JSON as the object would.
#[derive(Clone, Copy)]
pub struct Canonical<'a> {
    fields: &'a [SortedField],
    values: &'a [Slot],
    skip_empty: bool,
}

/// A field's value as [`Canonical`] gives it.
pub enum Field<'a> {
    /// Text.
    Text(&'a str),
    /// Any other value; with `skip_empty`, its objects' empty values are to be left
    /// out too (see [`vanishes`]).
    Value(&'a Value),
    /// A nested object of the mapping's own (`address.city = …`).
    Object(Canonical<'a>),
}

impl<'a> Canonical<'a> {
    /// The fields in key order, empty ones left out when `skip_empty`.
    pub fn fields(self) -> impl Iterator<Item = (&'a str, Field<'a>)> {
        self.kept()
            .map(|(field, value)| (field.key.as_str(), value))
    }

    /// The fields in key order with their shape entries, empty ones left out when
    /// `skip_empty`.
    fn kept(self) -> impl Iterator<Item = (&'a SortedField, Field<'a>)> {
        self.fields.iter().filter_map(move |field| {
            let value = match &field.node {
                SortedNode::Slot(slot) => match self.values.get(*slot) {
                    Some(Slot::Text(text)) => Field::Text(text),
                    Some(Slot::Value(Value::String(text))) => Field::Text(text),
                    Some(Slot::Value(value)) => Field::Value(value),
                    None => Field::Value(&Value::Null),
                },
                SortedNode::Object(children) => Field::Object(Canonical {
                    fields: children,
                    values: self.values,
                    skip_empty: self.skip_empty,
                }),
            };
            let empty = self.skip_empty
                && match &value {
                    Field::Text(text) => text.is_empty(),
                    Field::Value(value) => vanishes(value),
                    Field::Object(object) => object.kept().next().is_none(),
                };
            (!empty).then_some((field, value))
        })
    }

    /// Appends the record's compact JSON text: byte for byte what
    /// [`write_compact`](crate::formats::compact::write_compact) writes of the value
    /// it stands for (keys written once per shape, not per record).
    pub fn write_json(self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        out.push(b'{');
        for (n, (field, value)) in self.kept().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            out.extend_from_slice(&field.json_key);
            match value {
                Field::Text(text) => write_text(out, text)?,
                Field::Value(value) if self.skip_empty => write_compact(out, &Pruned(value))?,
                Field::Value(value) => write_compact(out, value)?,
                Field::Object(object) => object.write_json(out)?,
            }
        }
        out.push(b'}');
        Ok(())
    }
}

/// Whether dropping empty values leaves nothing of `value`: null, empty text, an
/// empty list, or an object all of whose values vanish. (Lists are kept as they are.)
pub(crate) fn vanishes(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.values().all(vanishes),
        _ => false,
    }
}

impl Serialize for Canonical<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (key, field) in self.fields() {
            match field {
                Field::Text(text) => map.serialize_entry(key, text)?,
                Field::Value(value) if self.skip_empty => {
                    map.serialize_entry(key, &Pruned(value))?
                }
                Field::Value(value) => map.serialize_entry(key, value)?,
                Field::Object(object) => map.serialize_entry(key, &object)?,
            }
        }
        map.end()
    }
}

/// A value with its objects' empty values left out, at every depth of objects.
pub(crate) struct Pruned<'a>(pub(crate) &'a Value);

impl Serialize for Pruned<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(object) => {
                let mut map = serializer.serialize_map(None)?;
                for (key, value) in object {
                    if !vanishes(value) {
                        map.serialize_entry(key, &Pruned(value))?;
                    }
                }
                map.end()
            }
            other => other.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_fields_serialize_in_assignment_order() {
        let mut shape = Shape::default();
        let path = |p: &str| p.split('.').map(String::from).collect::<Vec<_>>();
        shape.add(&path("b"), 0);
        shape.add(&path("address.city"), 1);
        shape.add(&path("a"), 2);
        shape.add(&path("address.zip"), 3);
        let record = MappedRecord::new(
            Arc::new(shape),
            vec![
                Slot::Value(json!(1)),
                Slot::Text("Gent".into()),
                Slot::Value(json!(null)),
                Slot::Value(json!("9000")),
            ],
        );
        assert_eq!(
            record.to_string(),
            r#"{"b":1,"address":{"city":"Gent","zip":"9000"},"a":null}"#
        );
        assert_eq!(
            record.to_value(),
            serde_json::from_str::<Value>(&record.to_string()).unwrap()
        );
        assert_eq!(
            record.get("address"),
            Some(json!({"city": "Gent", "zip": "9000"}))
        );
        assert_eq!(record.clone().into_value(), record.to_value());
        let same = MappedRecord::new(
            Arc::clone(&record.shape),
            vec![
                Slot::Value(json!(1)),
                Slot::Value(json!("Gent")),
                Slot::Value(json!(null)),
                Slot::Text("9000".into()),
            ],
        );
        assert_eq!(record, same);
    }
}
