//! `[vars]`: named values a pipeline fills into `{vars.NAME}` placeholders and hands
//! to its mapping as `$vars.NAME`.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// One variable: text, a number or a boolean.
#[derive(Debug, Clone, PartialEq)]
pub enum VarValue {
    Text(String),
    Integer(i64),
    Float(f64),
    Bool(bool),
}

impl VarValue {
    /// The value as JSON, for the mapping's `$vars`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            VarValue::Text(s) => serde_json::Value::from(s.as_str()),
            VarValue::Integer(i) => serde_json::Value::from(*i),
            VarValue::Float(f) => serde_json::Value::from(*f),
            VarValue::Bool(b) => serde_json::Value::from(*b),
        }
    }
}

/// The text a placeholder is replaced with.
impl fmt::Display for VarValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VarValue::Text(s) => f.write_str(s),
            VarValue::Integer(i) => write!(f, "{i}"),
            VarValue::Float(x) => write!(f, "{x}"),
            VarValue::Bool(b) => write!(f, "{b}"),
        }
    }
}

impl<'de> Deserialize<'de> for VarValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<VarValue, D::Error> {
        struct Var;
        impl Visitor<'_> for Var {
            type Value = VarValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("text, a number or a boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<VarValue, E> {
                Ok(VarValue::Text(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<VarValue, E> {
                Ok(VarValue::Integer(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<VarValue, E> {
                i64::try_from(v)
                    .map(VarValue::Integer)
                    .map_err(|_| E::custom(format!("the number {v} is too large")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<VarValue, E> {
                Ok(VarValue::Float(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<VarValue, E> {
                Ok(VarValue::Bool(v))
            }
        }
        d.deserialize_any(Var)
    }
}

impl JsonSchema for VarValue {
    fn schema_name() -> Cow<'static, str> {
        "VarValue".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": ["string", "number", "boolean"] })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_fill_placeholders_as_text() {
        assert_eq!(VarValue::Text("E1".into()).to_string(), "E1");
        assert_eq!(VarValue::Integer(7).to_string(), "7");
        assert_eq!(VarValue::Float(0.5).to_string(), "0.5");
        assert_eq!(VarValue::Bool(true).to_json(), serde_json::json!(true));
    }
}
