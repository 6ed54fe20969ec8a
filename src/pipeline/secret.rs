//! Credentials: a value that prints as `***` everywhere (Debug, Display, logs, reports)
//! and is read only through [`Secret::expose`], so that a secret cannot reach output by
//! accident. Secrets are written `${env:NAME}` or `${file:PATH}` in pipeline files.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use std::marker::PhantomData;

use serde::de::{Error as _, Visitor};
use serde::{Deserialize, Deserializer};

use super::de::SECRET;

/// A credential (key, password, token, webhook secret, alert URL).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T = String>(T);

impl<T> Secret<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Secret<T> {
        Secret(value)
    }

    /// The value itself: use it only where the credential is needed (a request header,
    /// a signature), never for output.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Secret<T> {
    /// A value that does not parse is reported without showing it.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Secret<T>, D::Error> {
        d.deserialize_newtype_struct(SECRET, SecretVisitor(PhantomData))
    }
}

/// Reads the value inside the newtype the pipeline deserializer recognises.
struct SecretVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for SecretVisitor<T> {
    type Value = Secret<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a secret")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Secret<T>, D::Error> {
        T::deserialize(d).map(Secret).map_err(|e| {
            let message = e.to_string();
            let kind = message
                .strip_prefix("expected ")
                .and_then(|m| m.split_once(", found"))
                .map_or("a different value", |(kind, _)| kind);
            D::Error::custom(format!("expected {kind}; the secret value is not shown"))
        })
    }
}

/// A secret is described by its value's schema (`${env:NAME}` is text of any kind).
impl<T: JsonSchema> JsonSchema for Secret<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_value() {
        let secret = Secret::new("hunter2".to_string());
        assert_eq!(format!("{secret:?} {secret}"), "*** ***");
        assert_eq!(secret.expose(), "hunter2");
    }
}
