//! JSON and NDJSON files: reading them for `read_file` (on top of the streaming readers
//! of json.rs, plus records at a path inside a document) and writing them.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::atomic::AtomicFile;
use super::error::FileError;
use super::json::{Flow, read_lines, stream_array};
use super::read::{EachRecord, ReadError, type_name};
use super::write::{RecordWriter, object, object_text};

const BUFFER: usize = 256 * 1024;

fn open(path: &Path) -> Result<BufReader<File>, FileError> {
    let file = File::open(path).map_err(|e| FileError::io(path, e))?;
    Ok(BufReader::with_capacity(BUFFER, file))
}

/// A JSON file: a top-level array (streamed), one object or several objects one after
/// another (streamed), or the records at a dotted path inside the document (loaded
/// whole). An empty file is an error: it is not a JSON document, and reading it as "no
/// records" could make a truncated export look like deleted records.
pub(crate) fn read_json(
    path: &Path,
    records: Option<&str>,
    each: &mut EachRecord<'_>,
) -> Result<(), FileError> {
    let mut input = open(path)?;
    if let Some(records) = records {
        return read_at_path(path, input, records, each);
    }
    let syntax = |e: serde_json::Error| syntax_error(path, e);
    match first_byte(&mut input).map_err(|e| FileError::io(path, e))? {
        None => Err(FileError::parse(
            path,
            "line 1",
            "the file is empty (an empty list of records is `[]`)",
        )),
        Some(b'[') => {
            let mut number = 0;
            stream_array(input, |value| {
                number += 1;
                each(as_record(value, || format!("record {number}")))
            })
            .map_err(syntax)
        }
        Some(b'{') => {
            let values = serde_json::Deserializer::from_reader(input).into_iter::<Value>();
            for (i, value) in values.enumerate() {
                let record = as_record(value.map_err(syntax)?, || format!("record {}", i + 1));
                if let Flow::Stop = each(record) {
                    break;
                }
            }
            Ok(())
        }
        Some(_) => Err(FileError::parse(
            path,
            "line 1",
            "expected a list of records `[…]` or a record `{…}`",
        )),
    }
}

/// An NDJSON file: one record per line; a bad line is a record error.
pub(crate) fn read_ndjson(path: &Path, each: &mut EachRecord<'_>) -> Result<(), FileError> {
    let input = open(path)?;
    read_lines(input, |line, record| {
        let location = || format!("line {line}");
        each(match record {
            Ok(value) => as_record(value, location),
            Err(e) => Err(ReadError::new(location(), e.message)),
        })
    })
    .map_err(|e| FileError::io(path, e))
}

fn read_at_path(
    path: &Path,
    input: impl BufRead,
    records: &str,
    each: &mut EachRecord<'_>,
) -> Result<(), FileError> {
    let document: Value = serde_json::from_reader(input).map_err(|e| syntax_error(path, e))?;
    let mut here = document;
    for (depth, key) in records.split('.').enumerate() {
        let found = match &mut here {
            Value::Object(fields) => fields.remove(key),
            Value::Array(items) => match key.parse::<usize>() {
                Ok(i) if i < items.len() => Some(items.swap_remove(i)),
                _ => None,
            },
            _ => None,
        };
        here = found.ok_or_else(|| {
            let within: Vec<&str> = records.split('.').take(depth).collect();
            let within = if within.is_empty() {
                "the document".to_string()
            } else {
                format!("`{}`", within.join("."))
            };
            FileError::options(
                path,
                format!("`records = \"{records}\"`: {within} has no `{key}`"),
            )
        })?;
    }
    match here {
        Value::Array(items) => {
            for (i, value) in items.into_iter().enumerate() {
                if let Flow::Stop = each(as_record(value, || format!("record {}", i + 1))) {
                    break;
                }
            }
            Ok(())
        }
        Value::Object(_) => {
            each(Ok(here));
            Ok(())
        }
        other => Err(FileError::options(
            path,
            format!(
                "`records = \"{records}\"` is {}, not a list of records",
                type_name(&other)
            ),
        )),
    }
}

fn as_record(value: Value, location: impl FnOnce() -> String) -> Result<Value, ReadError> {
    if value.is_object() {
        Ok(value)
    } else {
        Err(ReadError::new(
            location(),
            format!("a record must be an object, not {}", type_name(&value)),
        ))
    }
}

fn first_byte(input: &mut impl BufRead) -> std::io::Result<Option<u8>> {
    loop {
        let buffer = input.fill_buf()?;
        if buffer.is_empty() {
            return Ok(None);
        }
        match buffer.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => return Ok(Some(buffer[i])),
            None => {
                let len = buffer.len();
                input.consume(len);
            }
        }
    }
}

fn syntax_error(path: &Path, e: serde_json::Error) -> FileError {
    if e.is_io() {
        return FileError::io(path, e.into());
    }
    FileError::parse(
        path,
        format!("line {}, column {}", e.line(), e.column()),
        format!("invalid JSON: {e}"),
    )
}

/// Writes a JSON array, one record per line, as records come.
pub(crate) struct JsonWriter {
    path: PathBuf,
    out: BufWriter<AtomicFile>,
    written: u64,
}

impl JsonWriter {
    pub(crate) fn create(path: &Path) -> Result<JsonWriter, FileError> {
        Ok(JsonWriter {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(BUFFER, AtomicFile::create(path)?),
            written: 0,
        })
    }

    /// What goes before the next record: the array's opening before the first.
    fn separator(&self) -> &'static [u8] {
        if self.written == 0 { b"[\n" } else { b",\n" }
    }
}

impl RecordWriter for JsonWriter {
    fn write(&mut self, record: &Value) -> Result<(), FileError> {
        object(&self.path, record)?;
        let separator = self.separator();
        self.out
            .write_all(separator)
            .and_then(|()| write_compact(&mut self.out, record))
            .map_err(|e| FileError::io(&self.path, e))?;
        self.written += 1;
        Ok(())
    }

    fn takes_json(&self) -> bool {
        true
    }

    fn write_json(&mut self, _record: &Value, json: &[u8]) -> Result<(), FileError> {
        object_text(&self.path, json)?;
        let separator = self.separator();
        self.out
            .write_all(separator)
            .and_then(|()| self.out.write_all(json))
            .map_err(|e| FileError::io(&self.path, e))?;
        self.written += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<(), FileError> {
        let end: &[u8] = if self.written == 0 { b"[]\n" } else { b"\n]\n" };
        self.out
            .write_all(end)
            .map_err(|e| FileError::io(&self.path, e))?;
        commit(&self.path, self.out)
    }
}

/// Writes one record per line.
pub(crate) struct NdjsonWriter {
    path: PathBuf,
    out: BufWriter<AtomicFile>,
}

impl NdjsonWriter {
    pub(crate) fn create(path: &Path) -> Result<NdjsonWriter, FileError> {
        Ok(NdjsonWriter {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(BUFFER, AtomicFile::create(path)?),
        })
    }
}

impl RecordWriter for NdjsonWriter {
    fn write(&mut self, record: &Value) -> Result<(), FileError> {
        object(&self.path, record)?;
        write_compact(&mut self.out, record)
            .and_then(|()| self.out.write_all(b"\n"))
            .map_err(|e| FileError::io(&self.path, e))
    }

    fn takes_json(&self) -> bool {
        true
    }

    fn write_json(&mut self, _record: &Value, json: &[u8]) -> Result<(), FileError> {
        object_text(&self.path, json)?;
        self.out
            .write_all(json)
            .and_then(|()| self.out.write_all(b"\n"))
            .map_err(|e| FileError::io(&self.path, e))
    }

    fn finish(self: Box<Self>) -> Result<(), FileError> {
        commit(&self.path, self.out)
    }
}

/// Writes a value as compact JSON, byte for byte what `serde_json::to_writer` writes,
/// but copying text that needs no escapes in one piece (most text needs none).
fn write_compact(out: &mut impl Write, value: &Value) -> std::io::Result<()> {
    match value {
        Value::String(text) => write_text(out, text),
        Value::Object(fields) => {
            out.write_all(b"{")?;
            for (i, (key, value)) in fields.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                write_text(out, key)?;
                out.write_all(b":")?;
                write_compact(out, value)?;
            }
            out.write_all(b"}")
        }
        Value::Array(items) => {
            out.write_all(b"[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                write_compact(out, item)?;
            }
            out.write_all(b"]")
        }
        scalar => Ok(serde_json::to_writer(out, scalar)?),
    }
}

fn write_text(out: &mut impl Write, text: &str) -> std::io::Result<()> {
    // No early exit, so that the check runs on whole vectors of bytes.
    let plain = !text.bytes().fold(false, |escape, b| {
        escape | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if plain {
        out.write_all(b"\"")?;
        out.write_all(text.as_bytes())?;
        out.write_all(b"\"")
    } else {
        Ok(serde_json::to_writer(out, text)?)
    }
}

/// Flushes the buffer and moves the file into place.
pub(crate) fn commit(path: &Path, out: BufWriter<AtomicFile>) -> Result<(), FileError> {
    out.into_inner()
        .map_err(|e| FileError::io(path, e.into_error()))?
        .commit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(text: &str, records: Option<&str>) -> Result<Vec<Result<Value, ReadError>>, FileError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.json");
        std::fs::write(&path, text).unwrap();
        let mut out = Vec::new();
        read_json(&path, records, &mut |r| {
            out.push(r);
            Flow::Continue
        })?;
        Ok(out)
    }

    #[test]
    fn arrays_objects_and_concatenated_objects() {
        assert_eq!(
            read("[{\"a\":1},{\"a\":2}]", None).unwrap(),
            [Ok(json!({"a":1})), Ok(json!({"a":2}))]
        );
        assert_eq!(read(" {\"a\":1}\n", None).unwrap(), [Ok(json!({"a":1}))]);
        assert_eq!(read("{\"a\":1}\n{\"a\":2}", None).unwrap().len(), 2);
        assert!(read("[]", None).unwrap().is_empty());
    }

    #[test]
    fn a_value_that_is_not_an_object_is_a_record_error() {
        let got = read("[{\"a\":1}, 7, {\"a\":3}]", None).unwrap();
        assert_eq!(
            got[1],
            Err(ReadError::new(
                "record 2",
                "a record must be an object, not a number"
            ))
        );
        assert_eq!(got[2], Ok(json!({"a":3})));
    }

    #[test]
    fn broken_and_empty_documents_are_file_errors() {
        let error = read("[{\"a\":1},\n{\"a\":", None).unwrap_err();
        assert!(error.to_string().contains("line 2"), "{error}");
        assert!(read("  ", None).unwrap_err().to_string().contains("empty"));
        assert!(read("42", None).is_err());
    }

    #[test]
    fn records_at_a_path() {
        let doc = r#"{"meta":{"n":2},"data":{"items":[{"id":1},{"id":2}],"one":{"id":3}}}"#;
        assert_eq!(read(doc, Some("data.items")).unwrap().len(), 2);
        assert_eq!(read(doc, Some("data.one")).unwrap(), [Ok(json!({"id":3}))]);
        assert_eq!(
            read(doc, Some("data.items.1")).unwrap(),
            [Ok(json!({"id":2}))]
        );
        let error = read(doc, Some("data.rows")).unwrap_err().to_string();
        assert!(error.contains("`data` has no `rows`"), "{error}");
        let error = read(doc, Some("meta.n")).unwrap_err().to_string();
        assert!(error.contains("is a number, not a list"), "{error}");
    }

    #[test]
    fn ndjson_errors_name_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.ndjson");
        std::fs::write(&path, "{\"a\":1}\n\n[1]\n{\"a\":}\n{\"a\":2}\n").unwrap();
        let mut out = Vec::new();
        read_ndjson(&path, &mut |r| {
            out.push(r);
            Flow::Continue
        })
        .unwrap();
        assert_eq!(out.len(), 4);
        assert_eq!(out[1].as_ref().unwrap_err().location, "line 3");
        assert_eq!(out[2].as_ref().unwrap_err().location, "line 4");
        assert_eq!(out[3], Ok(json!({"a":2})));
    }

    #[test]
    fn compact_output_is_what_serde_json_writes() {
        let value = json!({"a\"b": ["x\ny", "plain", "tab\tq\"\\", "é\u{7f}\u{1}"],
                           "n": [1, -2.5, 1e300, null, true], "o": {}, "e": [], "": ""});
        let mut out = Vec::new();
        write_compact(&mut out, &value).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string(&value).unwrap()
        );
    }

    #[test]
    fn writers_write_arrays_and_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        let mut writer: Box<dyn RecordWriter> = Box::new(JsonWriter::create(&path).unwrap());
        writer.write(&json!({"a": 1})).unwrap();
        assert!(writer.write(&json!("x")).unwrap_err().is_record_error());
        writer.write(&json!({"b": [true]})).unwrap();
        writer.finish().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "[\n{\"a\":1},\n{\"b\":[true]}\n]\n");

        let writer: Box<dyn RecordWriter> = Box::new(JsonWriter::create(&path).unwrap());
        writer.finish().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "[]\n");

        let path = dir.path().join("out.ndjson");
        let mut writer: Box<dyn RecordWriter> = Box::new(NdjsonWriter::create(&path).unwrap());
        writer.write(&json!({"a": 1})).unwrap();
        writer.write(&json!({"a": 2})).unwrap();
        writer.finish().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "{\"a\":1}\n{\"a\":2}\n");
    }

    /// Records given with their JSON text (the engine makes it ahead) give the same
    /// files as records written from their values.
    #[test]
    fn records_given_as_text_are_written_as_from_values() {
        let dir = tempfile::tempdir().unwrap();
        let records = [json!({"a": 1, "t": "x\"y"}), json!({"b": [true, null]})];
        let text = |record: &Value| {
            let mut out = Vec::new();
            crate::formats::compact::write_compact(&mut out, record).unwrap();
            out
        };
        type Create = fn(&Path) -> Result<Box<dyn RecordWriter>, FileError>;
        let kinds: [(&str, Create); 2] = [
            ("ndjson", |p| Ok(Box::new(NdjsonWriter::create(p)?))),
            ("json", |p| Ok(Box::new(JsonWriter::create(p)?))),
        ];
        for (extension, create) in kinds {
            let from_values = dir.path().join(format!("values.{extension}"));
            let mut writer = create(&from_values).unwrap();
            records.iter().for_each(|r| writer.write(r).unwrap());
            writer.finish().unwrap();
            let from_text = dir.path().join(format!("text.{extension}"));
            let mut writer = create(&from_text).unwrap();
            assert!(writer.takes_json());
            records
                .iter()
                .for_each(|r| writer.write_json(r, &text(r)).unwrap());
            assert!(
                writer
                    .write_json(&json!("x"), b"\"x\"")
                    .unwrap_err()
                    .is_record_error()
            );
            writer.finish().unwrap();
            assert_eq!(
                std::fs::read(&from_values).unwrap(),
                std::fs::read(&from_text).unwrap(),
                "{extension}"
            );
        }
    }
}
