//! A mapped record: the values of the destination fields, in a layout (the [`Shape`])
//! that the compiled mapping shares between all its records. Field names are not
//! copied per record, and fields keep the order in which the mapping assigns them.

use std::fmt;
use std::sync::Arc;

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::value::{Map, Value};

/// The layout of a mapping's output: top-level fields in assignment order; dotted
/// targets (`address.city`) nest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shape {
    pub(crate) fields: Vec<(String, ShapeNode)>,
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

impl ShapeNode {
    /// This node as a value, reading `values` (cloned).
    pub(crate) fn to_value(&self, values: &[Value]) -> Value {
        match self {
            ShapeNode::Slot(slot) => values.get(*slot).cloned().unwrap_or(Value::Null),
            ShapeNode::Object(children) => object(children, values),
        }
    }
}

fn object(fields: &[(String, ShapeNode)], values: &[Value]) -> Value {
    Value::Object(
        fields
            .iter()
            .map(|(k, node)| (k.clone(), node.to_value(values)))
            .collect::<Map<_, _>>(),
    )
}

/// The destination record a mapping made of one source record.
#[derive(Clone, PartialEq)]
pub struct MappedRecord {
    shape: Arc<Shape>,
    values: Vec<Value>,
}

impl MappedRecord {
    pub(crate) fn new(shape: Arc<Shape>, values: Vec<Value>) -> MappedRecord {
        MappedRecord { shape, values }
    }

    /// The record as a JSON object.
    pub fn to_value(&self) -> Value {
        object(&self.shape.fields, &self.values)
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
    values: &'a [Value],
}

impl Serialize for Fields<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.fields.len()))?;
        for (key, node) in self.fields {
            match node {
                ShapeNode::Slot(slot) => {
                    map.serialize_entry(key, self.values.get(*slot).unwrap_or(&Value::Null))?
                }
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
            vec![json!(1), json!("Gent"), json!(null), json!("9000")],
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
    }
}
