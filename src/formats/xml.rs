//! XML records, streamed with quick-xml: one record element is built at a time, so
//! memory does not grow with the file.
//!
//! A record element becomes an object: its attributes and child elements are fields by
//! their plain names (as written, prefix included; `xmlns` declarations are left out);
//! a name that occurs more than once becomes a list; an element holding only text is
//! a string (an empty element is `""`); an element with attributes or children is an
//! object, its text (if any besides white space) under `#text`. All values are strings.
//!
//! Entities are never expanded beyond XML's own five (`&lt;` …) and character
//! references: a DOCTYPE is skipped, and a reference to any other entity stays in the
//! text as written (`&name;`), so neither external entities nor entity bombs can act.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesRef, BytesStart, Event};
use serde_json::{Map, Value};

use super::error::FileError;
use super::json::Flow;
use super::read::{EachRecord, ReadError};

const BUFFER: usize = 256 * 1024;

/// Elements nested deeper than this inside a record make it a record error.
const MAX_DEPTH: usize = 100;

/// Streams the records of an XML file.
pub(crate) fn read(
    path: &Path,
    records: Option<&str>,
    each: &mut EachRecord<'_>,
) -> Result<(), FileError> {
    let file = File::open(path).map_err(|e| FileError::io(path, e))?;
    let mut reader = Reader::from_reader(BufReader::with_capacity(BUFFER, file));
    let mut state = State {
        matcher: Matcher::new(records),
        outside: Vec::new(),
        record: None,
        seen_root: false,
    };
    let mut buf = Vec::new();
    loop {
        let at = reader.buffer_position();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| xml_error(path, reader.error_position(), e))?;
        let bad = |message: String| FileError::parse(path, position(path, at), message);
        let flow = match event {
            Event::Start(start) => state.open(&start, false, at, path, each).map_err(bad)?,
            Event::Empty(start) => state.open(&start, true, at, path, each).map_err(bad)?,
            Event::End(_) => state.close(path, each),
            Event::Text(text) => state.text(&text.xml10_content()),
            Event::CData(text) => state.text(&text.xml10_content()),
            Event::GeneralRef(reference) => state.text(&reference_text(&reference).map_err(bad)?),
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => Flow::Continue,
        };
        if let Flow::Stop = flow {
            return Ok(());
        }
        buf.clear();
    }
    let end = reader.buffer_position();
    let open = state.record.as_ref().and_then(RecordBuilder::innermost);
    if let Some(open) = open.or(state.outside.last()) {
        return Err(FileError::parse(
            path,
            position(path, end),
            format!("the file ends inside <{open}>"),
        ));
    }
    if !state.seen_root {
        return Err(FileError::parse(
            path,
            position(path, end),
            "the file holds no XML element",
        ));
    }
    Ok(())
}

/// Where the reader is: the elements open outside any record, the record being built.
struct State {
    matcher: Matcher,
    outside: Vec<String>,
    record: Option<RecordBuilder>,
    seen_root: bool,
}

impl State {
    fn open(
        &mut self,
        start: &BytesStart<'_>,
        empty: bool,
        at: u64,
        path: &Path,
        each: &mut EachRecord<'_>,
    ) -> Result<Flow, String> {
        self.seen_root = true;
        let name = start.name().0.to_string();
        if let Some(builder) = &mut self.record {
            builder.open(name, start)?;
            if empty {
                builder.close();
            }
            return Ok(Flow::Continue);
        }
        if !self.matcher.matches(&self.outside, &name) {
            if !empty {
                self.outside.push(name);
            }
            return Ok(Flow::Continue);
        }
        let mut builder = RecordBuilder::new(at);
        builder.open(name, start)?;
        if empty {
            builder.close();
            return Ok(finish(path, builder, each));
        }
        self.record = Some(builder);
        Ok(Flow::Continue)
    }

    fn close(&mut self, path: &Path, each: &mut EachRecord<'_>) -> Flow {
        match &mut self.record {
            Some(builder) => {
                if builder.close()
                    && let Some(builder) = self.record.take()
                {
                    return finish(path, builder, each);
                }
            }
            None => {
                self.outside.pop();
            }
        }
        Flow::Continue
    }

    /// Text inside a record is kept; outside records it is ignored.
    fn text(&mut self, text: &str) -> Flow {
        if let Some(builder) = &mut self.record {
            builder.text(text);
        }
        Flow::Continue
    }
}

fn finish(path: &Path, builder: RecordBuilder, each: &mut EachRecord<'_>) -> Flow {
    let start = builder.start;
    each(builder.finish().ok_or_else(|| {
        ReadError::new(
            position(path, start),
            format!("elements nested deeper than {MAX_DEPTH} levels in one record"),
        )
    }))
}

/// Which elements are records.
enum Matcher {
    /// Each child of the root.
    RootChildren,
    /// Elements whose ancestry ends with (or, `absolute`, equals) `names`.
    Path { names: Vec<String>, absolute: bool },
}

impl Matcher {
    fn new(records: Option<&str>) -> Matcher {
        match records {
            None => Matcher::RootChildren,
            Some(path) => Matcher::Path {
                names: path
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                absolute: path.starts_with('/'),
            },
        }
    }

    /// Whether an element `name` opened inside the elements `outside` is a record.
    fn matches(&self, outside: &[String], name: &str) -> bool {
        match self {
            Matcher::RootChildren => outside.len() == 1,
            Matcher::Path { names, absolute } => {
                let Some((last, parents)) = names.split_last() else {
                    return false;
                };
                if last != name || parents.len() > outside.len() {
                    return false;
                }
                if *absolute && parents.len() != outside.len() {
                    return false;
                }
                outside[outside.len() - parents.len()..] == *parents
            }
        }
    }
}

/// One element being built.
struct Frame {
    name: String,
    fields: Map<String, Value>,
    text: String,
}

/// Builds one record element, element by element.
struct RecordBuilder {
    frames: Vec<Frame>,
    /// Elements opened past `MAX_DEPTH`: skipped, and the record is refused.
    skipped: usize,
    too_deep: bool,
    done: Option<Map<String, Value>>,
    /// The byte offset of the record's start tag.
    start: u64,
}

impl RecordBuilder {
    fn new(start: u64) -> RecordBuilder {
        RecordBuilder {
            frames: Vec::new(),
            skipped: 0,
            too_deep: false,
            done: None,
            start,
        }
    }

    fn open(&mut self, name: String, start: &BytesStart<'_>) -> Result<(), String> {
        if self.skipped > 0 || self.frames.len() >= MAX_DEPTH {
            self.skipped += 1;
            self.too_deep = true;
            return Ok(());
        }
        let mut fields = Map::new();
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|e| format!("invalid attribute in <{name}>: {e}"))?;
            let key = attribute.key.0;
            if key == "xmlns" || key.starts_with("xmlns:") {
                continue;
            }
            let value = unescape(&normalize_attribute(&attribute.value))?;
            insert(&mut fields, key.to_string(), Value::String(value));
        }
        self.frames.push(Frame {
            name,
            fields,
            text: String::new(),
        });
        Ok(())
    }

    fn text(&mut self, text: &str) {
        if self.skipped == 0
            && let Some(frame) = self.frames.last_mut()
        {
            frame.text.push_str(text);
        }
    }

    /// Closes the innermost element; true when that was the record element.
    fn close(&mut self) -> bool {
        if self.skipped > 0 {
            self.skipped -= 1;
            return false;
        }
        let Some(frame) = self.frames.pop() else {
            return true;
        };
        match self.frames.last_mut() {
            Some(parent) => {
                let value = if frame.fields.is_empty() {
                    Value::String(frame.text)
                } else {
                    Value::Object(with_text(frame.fields, frame.text))
                };
                insert(&mut parent.fields, frame.name, value);
                false
            }
            None => {
                self.done = Some(with_text(frame.fields, frame.text));
                true
            }
        }
    }

    /// The element still open deepest inside the record.
    fn innermost(&self) -> Option<&String> {
        self.frames.last().map(|f| &f.name)
    }

    /// The record, or None when it was nested too deep.
    fn finish(self) -> Option<Value> {
        if self.too_deep {
            return None;
        }
        self.done.map(Value::Object)
    }
}

/// Adds the element's text under `#text` unless it is only white space.
fn with_text(mut fields: Map<String, Value>, text: String) -> Map<String, Value> {
    if !text.trim().is_empty() {
        insert(&mut fields, "#text".to_string(), Value::String(text));
    }
    fields
}

/// Adds a field; a name seen before turns into a list of its values.
fn insert(fields: &mut Map<String, Value>, key: String, value: Value) {
    match fields.get_mut(&key) {
        None => {
            fields.insert(key, value);
        }
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
    }
}

/// The text a reference stands for: XML's five entities and character references;
/// any other entity is kept as written.
fn reference_text(reference: &BytesRef<'_>) -> Result<String, String> {
    let name: &str = reference;
    if reference.is_char_ref() {
        return match reference.resolve_char_ref() {
            Ok(Some(c)) => Ok(c.to_string()),
            _ => Err(format!("invalid character reference `&{name};`")),
        };
    }
    Ok(match resolve_predefined_entity(name) {
        Some(text) => text.to_string(),
        None => format!("&{name};"),
    })
}

/// Attribute-value normalization: line ends and tabs are spaces.
fn normalize_attribute(raw: &str) -> String {
    raw.replace("\r\n", " ").replace(['\r', '\n', '\t'], " ")
}

/// Resolves the references in an attribute value as `reference_text` does.
fn unescape(raw: &str) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let semicolon = after
            .find(';')
            .ok_or_else(|| format!("`&` without `;` in the attribute value `{raw}`"))?;
        out.push_str(&reference_text(&BytesRef::new(&after[..semicolon]))?);
        rest = &after[semicolon + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn xml_error(path: &Path, at: u64, error: quick_xml::Error) -> FileError {
    match error {
        quick_xml::Error::Io(e) => {
            FileError::io(path, std::io::Error::new(e.kind(), e.to_string()))
        }
        other => FileError::parse(path, position(path, at), format!("invalid XML: {other}")),
    }
}

/// `line L, column C` of a byte offset, read again from the file (only on errors).
fn position(path: &Path, offset: u64) -> String {
    let Ok(file) = File::open(path) else {
        return format!("byte {offset}");
    };
    let mut line = 1;
    let mut column = 1;
    let mut chunk = vec![0; 64 * 1024];
    let mut reader = file.take(offset);
    loop {
        match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                for &byte in &chunk[..n] {
                    if byte == b'\n' {
                        line += 1;
                        column = 1;
                    } else if byte & 0xC0 != 0x80 {
                        column += 1;
                    }
                }
            }
            Err(_) => return format!("byte {offset}"),
        }
    }
    format!("line {line}, column {column}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read_xml(
        text: &str,
        records: Option<&str>,
    ) -> Result<Vec<Result<Value, ReadError>>, FileError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.xml");
        std::fs::write(&path, text).unwrap();
        let mut out = Vec::new();
        read(&path, records, &mut |r| {
            out.push(r);
            Flow::Continue
        })?;
        Ok(out)
    }

    #[test]
    fn records_are_children_of_the_root_by_default() {
        let got = read_xml(
            r#"<?xml version="1.0"?>
            <orders xmlns="urn:x">
              <order id="1" xmlns:a="urn:a"><total>9.50</total><line sku="A"/><line sku="B">2</line></order>
              <order id="2"/>
            </orders>"#,
            None,
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                Ok(json!({"id": "1", "total": "9.50",
                          "line": [{"sku": "A"}, {"sku": "B", "#text": "2"}]})),
                Ok(json!({"id": "2"})),
            ]
        );
    }

    #[test]
    fn a_path_picks_the_record_elements() {
        let doc = "<export><meta><order>no</order></meta><orders><order><n>1</n></order>\
                   <order><n>2</n><address><city>Ede</city></address></order></orders></export>";
        let two = [
            Ok(json!({"n": "1"})),
            Ok(json!({"n": "2", "address": {"city": "Ede"}})),
        ];
        assert_eq!(read_xml(doc, Some("orders/order")).unwrap(), two);
        assert_eq!(read_xml(doc, Some("/export/orders/order")).unwrap(), two);
        assert_eq!(read_xml(doc, Some("/orders/order")).unwrap(), []);
        assert_eq!(read_xml(doc, Some("order")).unwrap().len(), 3);
    }

    #[test]
    fn text_entities_cdata_and_mixed_content() {
        let got = read_xml(
            "<r><x a=\"&lt;&#233;&amp;\tb\">fish &amp; chips <![CDATA[<raw>]]><b>bold</b></x>\
             <x><e/></x></r>",
            None,
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                Ok(json!({"a": "<é& b", "b": "bold", "#text": "fish & chips <raw>"})),
                Ok(json!({"e": ""})),
            ]
        );
    }

    #[test]
    fn entities_declared_in_a_doctype_are_not_expanded() {
        let doc = r#"<?xml version="1.0"?>
<!DOCTYPE r [
  <!ENTITY xxe SYSTEM "file:///etc/passwd">
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<r><x v="&lol2;">&xxe;|&lol2;</x></r>"#;
        assert_eq!(
            read_xml(doc, None).unwrap(),
            [Ok(json!({"v": "&lol2;", "#text": "&xxe;|&lol2;"}))]
        );
    }

    #[test]
    fn malformed_xml_is_a_file_error_with_its_position() {
        let error = read_xml("<r>\n<x>1</x>\n<x>2</y>\n</r>", None).unwrap_err();
        assert!(matches!(error, FileError::Parse { .. }));
        assert!(error.to_string().contains("line 3"), "{error}");
        let error = read_xml("<r><x>1</x>", None).unwrap_err();
        assert!(error.to_string().contains("ends inside <r>"), "{error}");
        let error = read_xml("<r><x>1", None).unwrap_err();
        assert!(error.to_string().contains("ends inside <x>"), "{error}");
        assert!(read_xml("", None).is_err());
        assert!(read_xml("<r><x a=\"1\" a=\"2\"/></r>", None).is_err());
    }

    #[test]
    fn records_nested_too_deep_are_record_errors() {
        let deep = format!("{}{}", "<d>".repeat(150), "</d>".repeat(150));
        let doc = format!("<r><x>{deep}</x><x>ok</x></r>");
        let got = read_xml(&doc, None).unwrap();
        assert!(got[0].as_ref().unwrap_err().message.contains("deeper than"));
        assert_eq!(got[1], Ok(json!({"#text": "ok"})));
    }
}
