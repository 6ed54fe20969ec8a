//! A serde deserializer over the spanned tree, so that the typed model is filled by
//! ordinary `#[derive(Deserialize)]` while every problem keeps its place in the file:
//!
//! - an error is tied to the innermost value being read when it arose (a bad duration
//!   points at `"soon"`, a missing key at its table's header);
//! - unknown keys do not stop reading: each one is recorded with a suggestion from the
//!   struct's field list, so a file with five typos gets five diagnostics;
//! - enums written as tables are tagged on `type` (`paginate = { type = "cursor", … }`),
//!   enums written as strings are plain choices (`mode = "full"`), and an unknown tag
//!   names the known ones.
//!
//! The tagged form is decided here rather than with `#[serde(tag = "type")]`, because
//! serde buffers internally tagged content and would lose the spans of everything
//! inside. The JSON schema still describes the tagged form (`#[schemars(tag = "type")]`).

use std::cell::RefCell;
use std::fmt::{self, Display};

use serde::de::value::StrDeserializer;
use serde::de::{
    self, DeserializeSeed, EnumAccess, Expected, IntoDeserializer, MapAccess, SeqAccess,
    Unexpected, VariantAccess, Visitor,
};

use super::codes;
use super::tree::{Key, Located, Node, Value};
use crate::diagnostic::{Diagnostic, did_you_mean};

/// The newtype name by which [`super::secret::Secret`] asks to be read, so that a
/// credential written inline (not `${env:…}` or `${file:…}`) gets a warning.
pub(crate) const SECRET: &str = "$sluice::Secret";

/// The separator by which custom types' errors (`D::Error::custom`) pass a suggestion.
pub(crate) const HELP: &str = "\nhelp: ";

/// Diagnostics recorded while reading goes on (unknown keys).
#[derive(Debug, Default)]
pub(crate) struct Sink {
    pub diagnostics: RefCell<Vec<Diagnostic>>,
}

/// A problem that stops reading the value it is in.
#[derive(Debug, Clone)]
pub(crate) struct Error {
    code: &'static str,
    message: String,
    help: Option<String>,
    at: Option<Located>,
}

impl Error {
    fn new(code: &'static str, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
            help: None,
            at: None,
        }
    }

    fn at(mut self, at: &Located) -> Error {
        self.at = Some(at.clone());
        self
    }

    fn with_help(mut self, help: Option<String>) -> Error {
        self.help = help;
        self
    }

    /// Ties the error to `node` unless a more precise place is known; a missing key is
    /// named with its table.
    fn within(mut self, node: &Node, path: &str) -> Error {
        if self.at.is_none() {
            if self.code == codes::MISSING_KEY && !path.is_empty() {
                self.message = format!("{} in `[{path}]`", self.message);
            }
            self.at = Some(node.at.clone());
        }
        self
    }

    /// The diagnostic; `fallback` is the place when none is known (the whole file).
    pub fn into_diagnostic(self, fallback: &Located) -> Diagnostic {
        let at = self.at.unwrap_or_else(|| fallback.clone());
        let diagnostic = Diagnostic::error(self.code, self.message, &at.file, at.span);
        match self.help {
            Some(help) => diagnostic.with_help(help),
            None => diagnostic,
        }
    }
}

impl Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

fn unexpected(u: &Unexpected<'_>) -> String {
    match u {
        Unexpected::Str(s) => format!("{s:?}"),
        Unexpected::Signed(i) => format!("the number {i}"),
        Unexpected::Unsigned(i) => format!("the number {i}"),
        Unexpected::Float(f) => format!("the number {f}"),
        Unexpected::Bool(b) => format!("`{b}`"),
        Unexpected::Map => "a table".to_string(),
        Unexpected::Seq => "an array".to_string(),
        other => other.to_string(),
    }
}

impl de::Error for Error {
    fn custom<T: Display>(msg: T) -> Error {
        let text = msg.to_string();
        match text.split_once(HELP) {
            Some((message, help)) => {
                Error::new(codes::INVALID_VALUE, message).with_help(Some(help.to_string()))
            }
            None => Error::new(codes::INVALID_VALUE, text),
        }
    }

    fn invalid_type(unexp: Unexpected<'_>, exp: &dyn Expected) -> Error {
        Error::new(
            codes::INVALID_VALUE,
            format!("expected {exp}, found {}", unexpected(&unexp)),
        )
    }

    fn invalid_value(unexp: Unexpected<'_>, exp: &dyn Expected) -> Error {
        Error::invalid_type(unexp, exp)
    }

    fn missing_field(field: &'static str) -> Error {
        Error::new(codes::MISSING_KEY, format!("missing key `{field}`"))
    }

    fn duplicate_field(field: &'static str) -> Error {
        Error::new(codes::INVALID_VALUE, format!("key `{field}` given twice"))
    }
}

fn one_of(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A close known name; for short names, where similarity scores say little, also one
/// that is a single edit away (`kye` for `key`).
fn suggestion(name: &str, candidates: &[&str]) -> Option<String> {
    did_you_mean(name, candidates.iter().copied())
        .or_else(|| {
            candidates
                .iter()
                .copied()
                .find(|c| strsim::osa_distance(name, c) == 1)
        })
        .map(|s| format!("did you mean `{s}`?"))
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Reads `T` from `node`; on failure, the first error as a diagnostic. Unknown keys go
/// to `sink`.
pub(crate) fn read<T: de::DeserializeOwned>(
    node: &Node,
    path: &str,
    sink: &Sink,
) -> Result<T, Diagnostic> {
    let de = ValueDe {
        node,
        path: path.to_string(),
        key: None,
        fields: &[],
        sink,
        skip_type: false,
    };
    T::deserialize(de).map_err(|e| e.within(node, path).into_diagnostic(&node.at))
}

/// Reads one value of the tree.
struct ValueDe<'a> {
    node: &'a Node,
    /// Dotted path of the value, for messages.
    path: String,
    /// The key this value sits under, and its siblings' names, for unknown-key reports.
    key: Option<&'a Key>,
    fields: &'static [&'static str],
    sink: &'a Sink,
    /// Inside a `type`-tagged table: `type` has been read already.
    skip_type: bool,
}

impl<'a> ValueDe<'a> {
    fn wrong_type(&self, expected: &dyn Expected) -> Error {
        Error::new(
            codes::INVALID_VALUE,
            format!("expected {expected}, found {}", self.node.value.describe()),
        )
        .at(&self.node.at)
    }

    fn map(&self, entries: &'a [(Key, Node)], fields: &'static [&'static str]) -> MapDe<'a> {
        MapDe {
            entries: entries.iter(),
            current: None,
            path: self.path.clone(),
            fields,
            sink: self.sink,
            skip_type: self.skip_type,
        }
    }

    /// Warns when a credential is written in the file itself.
    fn warn_if_inline(&self) {
        if self.node.at.text().contains("${") {
            return;
        }
        let at = &self.node.at;
        let diagnostic = Diagnostic::warning(
            codes::INLINE_SECRET,
            format!("`{}` is a credential written in the file", self.path),
            &at.file,
            at.span.clone(),
        )
        .with_help("write `${env:NAME}` or `${file:PATH}`: pipeline files are shared and kept in version control");
        self.sink.diagnostics.borrow_mut().push(diagnostic);
    }

    /// Records `key` (in the table at `parent`) as unknown.
    fn record_unknown_key(&self, key: &Key, parent: &str) {
        record_unknown_key(self.sink, key, parent, self.fields);
    }
}

/// Records `key` (in the table at `parent`, whose known keys are `fields`) as unknown.
pub(crate) fn record_unknown_key(sink: &Sink, key: &Key, parent: &str, fields: &[&str]) {
    let parent = if parent.is_empty() {
        String::new()
    } else {
        format!(" in `[{parent}]`")
    };
    let mut diagnostic = Diagnostic::error(
        codes::UNKNOWN_KEY,
        format!("unknown key `{}`{parent}", key.name),
        &key.at.file,
        key.at.span.clone(),
    );
    if let Some(help) = suggestion(&key.name, fields) {
        diagnostic = diagnostic.with_help(help);
    } else if !fields.is_empty() {
        diagnostic = diagnostic.with_help(format!("known keys: {}", one_of(fields)));
    }
    sink.diagnostics.borrow_mut().push(diagnostic);
}

struct NamedExpected(&'static str);

impl Expected for NamedExpected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

macro_rules! unsigned {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.node.value {
                Value::Integer(n) if n >= 0 => visitor.visit_u64(n.unsigned_abs()),
                Value::Integer(_) => Err(self.wrong_type(&NamedExpected("a whole number, 0 or more"))),
                _ => Err(self.wrong_type(&NamedExpected("a whole number"))),
            }
        }
    )*};
}

macro_rules! signed {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.node.value {
                Value::Integer(n) => visitor.visit_i64(n),
                _ => Err(self.wrong_type(&NamedExpected("a whole number"))),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for ValueDe<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::String(s) | Value::Datetime(s) => visitor.visit_str(s),
            Value::Integer(n) => visitor.visit_i64(*n),
            Value::Float(f) => visitor.visit_f64(*f),
            Value::Boolean(b) => visitor.visit_bool(*b),
            Value::Array(items) => visitor.visit_seq(SeqDe {
                items: items.iter().enumerate(),
                path: self.path.clone(),
                sink: self.sink,
            }),
            Value::Table(entries) => visitor.visit_map(self.map(entries, &[])),
        }
    }

    unsigned!(
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64
    );
    signed!(
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64
    );

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node.value {
            Value::Float(f) => visitor.visit_f64(f),
            #[allow(clippy::cast_precision_loss)]
            Value::Integer(n) => visitor.visit_f64(n as f64),
            _ => Err(self.wrong_type(&NamedExpected("a number"))),
        }
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node.value {
            Value::Boolean(b) => visitor.visit_bool(b),
            _ => Err(self.wrong_type(&NamedExpected("`true` or `false`"))),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::String(s) | Value::Datetime(s) => visitor.visit_str(s),
            _ => Err(self.wrong_type(&visitor)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == SECRET && matches!(self.node.value, Value::String(_)) {
            self.warn_if_inline();
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::Array(items) => visitor.visit_seq(SeqDe {
                items: items.iter().enumerate(),
                path: self.path.clone(),
                sink: self.sink,
            }),
            _ => Err(self.wrong_type(&NamedExpected("an array"))),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::Table(entries) => visitor.visit_map(self.map(entries, &[])),
            _ => Err(self.wrong_type(&NamedExpected("a table"))),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::Table(entries) => visitor.visit_map(self.map(entries, fields)),
            _ => Err(self.wrong_type(&NamedExpected("a table"))),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let (tag, tag_node) = match &self.node.value {
            Value::String(s) => (s.as_str(), self.node),
            Value::Table(_) => match self.node.get(&["type"]) {
                Some(node) => match node.as_str() {
                    Some(tag) => (tag, node),
                    None => {
                        return Err(Error::new(
                            codes::INVALID_VALUE,
                            format!(
                                "expected the name of a type, found {}",
                                node.value.describe()
                            ),
                        )
                        .at(&node.at));
                    }
                },
                None => {
                    return Err(Error::new(
                        codes::MISSING_KEY,
                        format!("missing key `type` (one of {})", one_of(variants)),
                    ));
                }
            },
            _ => {
                let expected = format!("one of {}", one_of(variants));
                return Err(Error::new(
                    codes::INVALID_VALUE,
                    format!("expected {expected}, found {}", self.node.value.describe()),
                )
                .at(&self.node.at));
            }
        };
        if !variants.contains(&tag) {
            let what = if matches!(self.node.value, Value::Table(_)) {
                "type"
            } else {
                "value"
            };
            return Err(Error::new(
                codes::UNKNOWN_TYPE,
                format!(
                    "unknown {what} {tag:?} for `{}`; expected one of {}",
                    self.path,
                    one_of(variants)
                ),
            )
            .with_help(suggestion(tag, variants))
            .at(&tag_node.at));
        }
        visitor.visit_enum(EnumDe { tag, de: self })
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if let Some(key) = self.key {
            let parent = self
                .path
                .strip_suffix(key.name.as_str())
                .map_or("", |p| p.trim_end_matches('.'));
            self.record_unknown_key(key, parent);
        }
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char bytes byte_buf unit unit_struct tuple tuple_struct
    }
}

struct MapDe<'a> {
    entries: std::slice::Iter<'a, (Key, Node)>,
    current: Option<&'a (Key, Node)>,
    path: String,
    fields: &'static [&'static str],
    sink: &'a Sink,
    skip_type: bool,
}

impl<'de> MapAccess<'de> for MapDe<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let next = self
            .entries
            .by_ref()
            .find(|(key, _)| !(self.skip_type && key.name == "type"));
        self.current = next;
        match next {
            Some((key, _)) => {
                let de: StrDeserializer<'_, Error> = key.name.as_str().into_deserializer();
                seed.deserialize(de).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let Some((key, node)) = self.current.take() else {
            return Err(Error::new(codes::INVALID_VALUE, "a value without a key"));
        };
        let path = join(&self.path, &key.name);
        let de = ValueDe {
            node,
            path: path.clone(),
            key: Some(key),
            fields: self.fields,
            sink: self.sink,
            skip_type: false,
        };
        seed.deserialize(de).map_err(|e| e.within(node, &path))
    }
}

struct SeqDe<'a> {
    items: std::iter::Enumerate<std::slice::Iter<'a, Node>>,
    path: String,
    sink: &'a Sink,
}

impl<'de> SeqAccess<'de> for SeqDe<'_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some((index, node)) = self.items.next() else {
            return Ok(None);
        };
        let path = format!("{}[{index}]", self.path);
        let de = ValueDe {
            node,
            path: path.clone(),
            key: None,
            fields: &[],
            sink: self.sink,
            skip_type: false,
        };
        seed.deserialize(de)
            .map(Some)
            .map_err(|e| e.within(node, &path))
    }
}

/// An enum: a string names a unit variant, a table's `type` names any variant.
struct EnumDe<'a, 't> {
    tag: &'t str,
    de: ValueDe<'a>,
}

impl<'de, 'a, 't> EnumAccess<'de> for EnumDe<'a, 't> {
    type Error = Error;
    type Variant = ValueDe<'a>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, ValueDe<'a>), Error> {
        let tag: StrDeserializer<'_, Error> = self.tag.into_deserializer();
        let value = seed.deserialize(tag)?;
        Ok((
            value,
            ValueDe {
                skip_type: true,
                key: None,
                ..self.de
            },
        ))
    }
}

impl<'de> VariantAccess<'de> for ValueDe<'_> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        // `{ type = "link_header" }`: every other key is unknown.
        for (key, _) in self.node.entries() {
            if key.name != "type" {
                self.record_unknown_key(key, &self.path);
            }
        }
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        if !matches!(self.node.value, Value::Table(_)) {
            return Err(self.wrong_type(&NamedExpected("a table with a `type`")));
        }
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, Error> {
        Err(self.wrong_type(&NamedExpected("a table with a `type`")))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::Table(entries) => visitor.visit_map(self.map(entries, fields)),
            _ => Err(self.wrong_type(&NamedExpected("a table with a `type`"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;
    use crate::diagnostic::SourceFile;
    use crate::pipeline::tree::from_toml;

    #[derive(Debug, Deserialize)]
    struct Doc {
        #[serde(default)]
        name: Option<String>,
        size: Option<u32>,
        inner: Option<Inner>,
        kind: Option<Kind>,
        choice: Option<Choice>,
        #[serde(default)]
        list: Vec<String>,
        #[serde(default)]
        map: BTreeMap<String, i64>,
    }

    #[derive(Debug, Deserialize)]
    struct Inner {
        every: String,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    enum Kind {
        #[serde(rename = "cursor")]
        Cursor(CursorKind),
        #[serde(rename = "link_header")]
        LinkHeader,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct CursorKind {
        next: String,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Choice {
        Full,
        TwoWay,
    }

    fn read_doc(text: &str) -> (Result<Doc, Diagnostic>, Vec<Diagnostic>) {
        let file = SourceFile::new("t.toml", text);
        let node = from_toml(&file, toml::de::DeTable::parse(&file.text).expect("TOML"));
        let sink = Sink::default();
        let doc = read::<Doc>(&node, "", &sink);
        (doc, sink.diagnostics.into_inner())
    }

    fn where_(d: &Diagnostic) -> (usize, usize, &'static str) {
        let (line, col) = d.line_col();
        (line, col, d.code)
    }

    #[test]
    fn reads_values_tables_and_tagged_enums() {
        let (doc, unknown) = read_doc(
            "name = \"x\"\nsize = 3\nlist = [\"a\"]\nchoice = \"two_way\"\nkind = { type = \"cursor\", next = \"n\" }\n[map]\na = 1\n[inner]\nevery = \"1m\"\n",
        );
        let doc = doc.expect("reads");
        assert!(unknown.is_empty());
        assert_eq!(
            doc.kind,
            Some(Kind::Cursor(CursorKind { next: "n".into() }))
        );
        assert_eq!(doc.choice, Some(Choice::TwoWay));
        assert_eq!(doc.map["a"], 1);
        assert_eq!(doc.inner.map(|i| i.every).as_deref(), Some("1m"));
        assert_eq!(doc.name.as_deref(), Some("x"));
        assert_eq!(doc.size, Some(3));
        assert_eq!(doc.list, ["a"]);
        let (doc, _) = read_doc("kind = { type = \"link_header\" }\n");
        assert_eq!(doc.expect("reads").kind, Some(Kind::LinkHeader));
    }

    #[test]
    fn every_unknown_key_is_reported_with_a_suggestion() {
        let (doc, unknown) = read_doc(
            "nmae = 1\nkind = { type = \"link_header\", next = \"x\" }\n[inner]\nevery = \"1m\"\nevry = 2\n",
        );
        assert!(doc.is_ok());
        let found: Vec<_> = unknown.iter().map(where_).collect();
        assert_eq!(
            found,
            [(1, 1, "P002"), (2, 32, "P002"), (5, 1, "P002")],
            "{unknown:?}"
        );
        assert_eq!(unknown[0].help.as_deref(), Some("did you mean `name`?"));
        assert_eq!(unknown[1].message, "unknown key `next` in `[kind]`");
        assert_eq!(unknown[2].message, "unknown key `evry` in `[inner]`");
        assert_eq!(unknown[2].help.as_deref(), Some("did you mean `every`?"));
    }

    #[test]
    fn short_keys_with_swapped_letters_get_a_suggestion() {
        assert_eq!(
            suggestion("kye", &["header", "key"]).as_deref(),
            Some("did you mean `key`?")
        );
        assert_eq!(
            suggestion("nmae", &["name"]).as_deref(),
            Some("did you mean `name`?")
        );
        assert_eq!(suggestion("owner", &["description", "after"]), None);
    }

    #[test]
    fn errors_point_at_the_value() {
        let (doc, _) = read_doc("size = \"big\"\n");
        let error = doc.unwrap_err();
        assert_eq!(where_(&error), (1, 8, "P003"));
        assert_eq!(error.message, "expected a whole number, found \"big\"");
        let (doc, _) = read_doc("size = -1\n");
        assert_eq!(
            doc.unwrap_err().message,
            "expected a whole number, 0 or more, found the number -1"
        );
        let (doc, _) = read_doc("[inner]\nx = 1\n");
        let error = doc.unwrap_err();
        assert_eq!(where_(&error), (1, 1, "P004"));
        assert_eq!(error.message, "missing key `every` in `[inner]`");
        let (doc, _) = read_doc("choice = \"ful\"\n");
        let error = doc.unwrap_err();
        assert_eq!(where_(&error), (1, 10, "P005"));
        assert_eq!(
            error.message,
            "unknown value \"ful\" for `choice`; expected one of `full`, `two_way`"
        );
        assert_eq!(error.help.as_deref(), Some("did you mean `full`?"));
        let (doc, _) = read_doc("kind = { type = \"curser\" }\n");
        let error = doc.unwrap_err();
        assert_eq!(where_(&error), (1, 17, "P005"));
        let (doc, _) = read_doc("list = [\"a\", 2]\n");
        assert_eq!(where_(&doc.unwrap_err()), (1, 14, "P003"));
    }
}
