//! Writing XML: `<records>` holding one `<record>` per record (both names can be set),
//! each field a child element. Objects become nested elements, lists repeated elements
//! of the field's name (a list inside a list becomes an element of `<item>`s), `null`
//! an empty element, `#text` the element's own text. Reading the file back gives the
//! same records with every value as text.

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::atomic::AtomicFile;
use super::error::FileError;
use super::json_file::commit;
use super::write::{RecordWriter, WriteOptions, object};

/// Writes records as XML elements, as they come.
pub(crate) struct XmlWriter {
    path: PathBuf,
    out: BufWriter<AtomicFile>,
    root: String,
    record: String,
    scratch: String,
}

impl XmlWriter {
    pub(crate) fn create(path: &Path, options: &WriteOptions) -> Result<XmlWriter, FileError> {
        let root = options
            .root
            .clone()
            .unwrap_or_else(|| "records".to_string());
        let record = options
            .record
            .clone()
            .unwrap_or_else(|| "record".to_string());
        for name in [&root, &record] {
            if !is_name(name) {
                return Err(FileError::options(
                    path,
                    format!("`{name}` is not a valid XML element name"),
                ));
            }
        }
        let mut out = BufWriter::with_capacity(256 * 1024, AtomicFile::create(path)?);
        write!(
            out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root}>\n"
        )
        .map_err(|e| FileError::io(path, e))?;
        Ok(XmlWriter {
            path: path.to_path_buf(),
            out,
            root,
            record,
            scratch: String::new(),
        })
    }
}

impl RecordWriter for XmlWriter {
    fn write(&mut self, record: &Value) -> Result<(), FileError> {
        let fields = object(&self.path, record)?;
        self.scratch.clear();
        element(&mut self.scratch, &self.record, fields, Some(1))
            .map_err(|message| FileError::record(&self.path, message))?;
        self.out
            .write_all(self.scratch.as_bytes())
            .map_err(|e| FileError::io(&self.path, e))
    }

    fn finish(mut self: Box<Self>) -> Result<(), FileError> {
        writeln!(self.out, "</{}>", self.root).map_err(|e| FileError::io(&self.path, e))?;
        commit(&self.path, self.out)
    }
}

/// Where an element goes: indented at a depth, one element per line, or (inside an
/// element with its own `#text`, where white space would join the text) inline.
type Layout = Option<usize>;

/// `<name>` with a child element per field.
fn element(
    out: &mut String,
    name: &str,
    fields: &Map<String, Value>,
    layout: Layout,
) -> Result<(), String> {
    indent(out, layout);
    if fields.is_empty() {
        let _ = write!(out, "<{name}/>");
        end_line(out, layout);
        return Ok(());
    }
    let inner = if fields.contains_key("#text") {
        None
    } else {
        layout.map(|depth| depth + 1)
    };
    let _ = write!(out, "<{name}>");
    end_line(out, inner);
    for (key, value) in fields {
        if key == "#text" {
            text(out, value)?;
        } else if is_name(key) {
            field(out, key, value, inner)?;
        } else {
            return Err(format!("the field `{key}` is not a valid XML element name"));
        }
    }
    if inner.is_some() {
        indent(out, layout);
    }
    let _ = write!(out, "</{name}>");
    end_line(out, layout);
    Ok(())
}

fn field(out: &mut String, key: &str, value: &Value, layout: Layout) -> Result<(), String> {
    match value {
        Value::Object(fields) => element(out, key, fields, layout),
        Value::Array(items) => {
            for item in items {
                if let Value::Array(_) = item {
                    let mut inner = Map::new();
                    inner.insert("item".to_string(), item.clone());
                    element(out, key, &inner, layout)?;
                } else {
                    field(out, key, item, layout)?;
                }
            }
            Ok(())
        }
        Value::Null => element(out, key, &Map::new(), layout),
        scalar => {
            indent(out, layout);
            let _ = write!(out, "<{key}>");
            text(out, scalar)?;
            let _ = write!(out, "</{key}>");
            end_line(out, layout);
            Ok(())
        }
    }
}

/// Escaped text of a value; `\r` as a character reference so that it survives reading.
fn text(out: &mut String, value: &Value) -> Result<(), String> {
    let owned;
    let text = match value {
        Value::String(s) => s.as_str(),
        Value::Null => "",
        other => {
            owned = other.to_string();
            &owned
        }
    };
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                return Err(format!(
                    "the character U+{:04X} cannot be written in XML",
                    c as u32
                ));
            }
            c => out.push(c),
        }
    }
    Ok(())
}

fn indent(out: &mut String, layout: Layout) {
    for _ in 0..layout.unwrap_or(0) {
        out.push_str("  ");
    }
}

fn end_line(out: &mut String, layout: Layout) {
    if layout.is_some() {
        out.push('\n');
    }
}

/// Whether `name` can be an XML element name.
fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_alphabetic() || first == '_' || first == ':')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | ':' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn xml(record: Value) -> Result<String, String> {
        let mut out = String::new();
        let fields = record.as_object().unwrap();
        element(&mut out, "record", fields, Some(1)).map(|()| out)
    }

    #[test]
    fn objects_nest_and_lists_repeat() {
        let got = xml(json!({
            "id": 7, "name": "A & B <c>", "tags": ["x", "y"], "none": null,
            "address": {"city": "Ede", "zip": "1234"}, "grid": [[1, 2]], "empty": {}
        }))
        .unwrap();
        let want = "  <record>
    <address>
      <city>Ede</city>
      <zip>1234</zip>
    </address>
    <empty/>
    <grid>
      <item>1</item>
      <item>2</item>
    </grid>
    <id>7</id>
    <name>A &amp; B &lt;c&gt;</name>
    <none/>
    <tags>x</tags>
    <tags>y</tags>
  </record>
";
        assert_eq!(got, want);
    }

    #[test]
    fn text_of_a_mixed_element_is_inline() {
        let got = xml(json!({"line": {"sku": "B", "#text": "2\r\n"}})).unwrap();
        assert_eq!(
            got,
            "  <record>\n    <line>2&#13;\n<sku>B</sku></line>\n  </record>\n"
        );
    }

    #[test]
    fn bad_names_and_characters_are_refused() {
        assert!(
            xml(json!({"first name": "x"}))
                .unwrap_err()
                .contains("`first name`")
        );
        assert!(xml(json!({"1": "x"})).is_err());
        assert!(xml(json!({"a": "\u{1}"})).unwrap_err().contains("U+0001"));
        assert!(is_name("ns:a-b.c_1") && is_name("é") && !is_name("") && !is_name("-a"));
    }
}
