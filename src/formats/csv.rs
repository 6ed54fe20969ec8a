//! CSV records. Reading: the header row names the fields, every value is a JSON string
//! (an empty cell is `""`), a row with the wrong number of fields is a record error and
//! the rest goes on; Latin-1 files are decoded. Writing: the columns are fixed by the
//! options or the first record; nested values are written as JSON text.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::atomic::AtomicFile;
use super::error::FileError;
use super::json::Flow;
use super::read::{EachRecord, Encoding, ReadError, ReadOptions};
use super::write::{Columns, RecordWriter, WriteOptions};

const BUFFER: usize = 256 * 1024;

/// Streams the records of a CSV file.
pub(crate) fn read(
    path: &Path,
    options: &ReadOptions,
    each: &mut EachRecord<'_>,
) -> Result<(), FileError> {
    let file = File::open(path).map_err(|e| FileError::io(path, e))?;
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(options.delimiter)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(BUFFER)
        .from_reader(file);
    let mut row = ::csv::ByteRecord::new();
    let mut layout: Option<Layout> = None;
    while reader
        .read_byte_record(&mut row)
        .map_err(|e| csv_error(path, e))?
    {
        let line = row.position().map_or(0, |p| p.line());
        if layout.is_none() {
            let names = if options.header {
                header_names(path, &row, options.encoding, line)?
            } else {
                (1..=row.len()).map(|n| n.to_string()).collect()
            };
            layout = Some(Layout::new(path, names, line)?);
            if options.header {
                continue;
            }
        }
        let Some(layout) = &layout else {
            continue;
        };
        if let Flow::Stop = each(layout.record(&mut row, options.encoding, line)) {
            return Ok(());
        }
    }
    Ok(())
}

/// Field names in column order, and the record every row fills in.
struct Layout {
    /// An object with every field set to `null`: cloning it builds the map without
    /// comparing keys, cheaper than inserting field by field.
    template: Map<String, Value>,
    /// For each field of `template`, in its (sorted) order, the column it comes from.
    columns: Vec<usize>,
}

impl Layout {
    fn new(path: &Path, names: Vec<String>, line: u64) -> Result<Layout, FileError> {
        let mut template = Map::new();
        for name in &names {
            if template.insert(name.clone(), Value::Null).is_some() {
                return Err(FileError::parse(
                    path,
                    format!("line {line}"),
                    format!("the header names the column `{name}` twice"),
                ));
            }
        }
        let columns = template
            .keys()
            .map(|key| names.iter().position(|n| n == key).unwrap_or(0))
            .collect();
        Ok(Layout { template, columns })
    }

    fn record(
        &self,
        row: &mut ::csv::ByteRecord,
        encoding: Encoding,
        line: u64,
    ) -> Result<Value, ReadError> {
        let at = || format!("line {line}");
        if row.len() != self.columns.len() {
            return Err(ReadError::new(
                at(),
                format!(
                    "{} fields where the header has {}",
                    row.len(),
                    self.columns.len()
                ),
            ));
        }
        let mut record = self.template.clone();
        if encoding == Encoding::Latin1 {
            for (slot, &column) in record.values_mut().zip(&self.columns) {
                *slot = Value::String(latin1(row.get(column).unwrap_or_default()));
            }
            return Ok(Value::Object(record));
        }
        // UTF-8 is checked once per row, not once per field; the row's buffer is kept.
        match ::csv::StringRecord::from_byte_record(std::mem::take(row)) {
            Ok(text) => {
                for (slot, &column) in record.values_mut().zip(&self.columns) {
                    *slot = Value::String(text.get(column).unwrap_or_default().to_owned());
                }
                *row = text.into_byte_record();
                Ok(Value::Object(record))
            }
            Err(error) => {
                let field = error.utf8_error().field() + 1;
                *row = error.into_byte_record();
                Err(ReadError::new(
                    at(),
                    format!("field {field} is not valid UTF-8 (is the file Latin-1?)"),
                ))
            }
        }
    }
}

fn header_names(
    path: &Path,
    row: &::csv::ByteRecord,
    encoding: Encoding,
    line: u64,
) -> Result<Vec<String>, FileError> {
    row.iter()
        .enumerate()
        .map(|(i, bytes)| {
            let bytes = match (i, bytes) {
                (0, [0xEF, 0xBB, 0xBF, rest @ ..]) => rest,
                (_, bytes) => bytes,
            };
            decode(bytes, encoding).map_err(|()| {
                FileError::parse(
                    path,
                    format!("line {line}"),
                    format!(
                        "header field {} is not valid UTF-8 (is the file Latin-1?)",
                        i + 1
                    ),
                )
            })
        })
        .collect()
}

/// Bytes → text.
fn decode(bytes: &[u8], encoding: Encoding) -> Result<String, ()> {
    match encoding {
        Encoding::Latin1 => Ok(latin1(bytes)),
        Encoding::Utf8 => std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| ()),
    }
}

/// ISO 8859-1: each byte is the character of the same number.
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn csv_error(path: &Path, error: ::csv::Error) -> FileError {
    let location = error
        .position()
        .map_or_else(|| "the file".to_string(), |p| format!("line {}", p.line()));
    match error.into_kind() {
        ::csv::ErrorKind::Io(e) => FileError::io(path, e),
        kind => FileError::parse(path, location, format!("{kind:?}")),
    }
}

/// Writes CSV: a header row of the columns, then one row per record.
pub(crate) struct CsvWriter {
    path: PathBuf,
    out: ::csv::Writer<AtomicFile>,
    columns: Option<Columns>,
    given: Option<Vec<String>>,
    cells: Vec<String>,
}

impl CsvWriter {
    pub(crate) fn create(path: &Path, options: &WriteOptions) -> Result<CsvWriter, FileError> {
        let file = AtomicFile::create(path)?;
        let out = ::csv::WriterBuilder::new()
            .delimiter(options.delimiter)
            .buffer_capacity(BUFFER)
            .from_writer(file);
        Ok(CsvWriter {
            path: path.to_path_buf(),
            out,
            columns: None,
            given: options.columns.clone(),
            cells: Vec::new(),
        })
    }

    fn write_header(&mut self, columns: &Columns) -> Result<(), FileError> {
        let path = &self.path;
        self.out
            .write_record(columns.names())
            .map_err(|e| write_error(path, e))
    }
}

impl RecordWriter for CsvWriter {
    fn write(&mut self, record: &Value) -> Result<(), FileError> {
        if self.columns.is_none() {
            let columns = Columns::new(&self.path, self.given.take(), record)?;
            self.write_header(&columns)?;
            self.columns = Some(columns);
        }
        let Some(columns) = &self.columns else {
            return Ok(());
        };
        let values = columns.values(&self.path, record)?;
        self.cells.resize(values.len(), String::new());
        for (cell, value) in self.cells.iter_mut().zip(values) {
            cell.clear();
            text_of(value, cell);
        }
        let path = &self.path;
        self.out
            .write_record(&self.cells)
            .map_err(|e| write_error(path, e))
    }

    fn finish(mut self: Box<Self>) -> Result<(), FileError> {
        if let Some(names) = self.given.take() {
            // No record came: still write the header of the columns asked for.
            let columns = Columns::from_names(&self.path, names)?;
            self.write_header(&columns)?;
        }
        let path = self.path;
        let mut file = self.out.into_inner().map_err(|e| {
            FileError::io(
                &path,
                std::io::Error::new(e.error().kind(), e.error().to_string()),
            )
        })?;
        file.flush().map_err(|e| FileError::io(&path, e))?;
        file.commit()
    }
}

/// A cell's text: strings as they are, `null` empty, other values as JSON.
pub(crate) fn text_of(value: Option<&Value>, out: &mut String) {
    match value {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => out.push_str(s),
        Some(other) => out.push_str(&other.to_string()),
    }
}

fn write_error(path: &Path, error: ::csv::Error) -> FileError {
    match error.into_kind() {
        ::csv::ErrorKind::Io(e) => FileError::io(path, e),
        kind => FileError::io(path, std::io::Error::other(format!("{kind:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read_text(bytes: &[u8], options: &ReadOptions) -> Vec<Result<Value, ReadError>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.csv");
        std::fs::write(&path, bytes).unwrap();
        let mut out = Vec::new();
        read(&path, options, &mut |r| {
            out.push(r);
            Flow::Continue
        })
        .unwrap();
        out
    }

    #[test]
    fn header_names_the_fields_and_values_stay_text() {
        let got = read_text(
            b"id,name,n\n1,Ann,\n2,\"B, b\",7\n",
            &ReadOptions::default(),
        );
        assert_eq!(
            got,
            vec![
                Ok(json!({"id": "1", "name": "Ann", "n": ""})),
                Ok(json!({"id": "2", "name": "B, b", "n": "7"})),
            ]
        );
    }

    #[test]
    fn a_bom_is_not_part_of_the_first_name() {
        let got = read_text(b"\xEF\xBB\xBFid\n1\n", &ReadOptions::default());
        assert_eq!(got, vec![Ok(json!({"id": "1"}))]);
    }

    #[test]
    fn wrong_field_counts_are_record_errors_with_their_line() {
        let got = read_text(b"a,b\n1,2\n3\n4,5,6\n7,8\n", &ReadOptions::default());
        assert_eq!(got.len(), 4);
        assert_eq!(
            got[1],
            Err(ReadError::new("line 3", "1 fields where the header has 2"))
        );
        assert_eq!(got[2].as_ref().unwrap_err().location, "line 4");
        assert_eq!(got[3], Ok(json!({"a": "7", "b": "8"})));
    }

    #[test]
    fn duplicate_header_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.csv");
        std::fs::write(&path, "a,a\n1,2\n").unwrap();
        let error = read(&path, &ReadOptions::default(), &mut |_| Flow::Continue).unwrap_err();
        assert!(error.to_string().contains("`a` twice"), "{error}");
    }

    #[test]
    fn invalid_utf8_is_a_record_error_and_latin1_decodes() {
        let got = read_text(b"name\ncaf\xE9\n", &ReadOptions::default());
        assert!(got[0].as_ref().unwrap_err().message.contains("Latin-1"));
        let latin1 = ReadOptions {
            encoding: Encoding::Latin1,
            ..ReadOptions::default()
        };
        let got = read_text(b"n\xE4me\ncaf\xE9\n", &latin1);
        assert_eq!(got, vec![Ok(json!({"näme": "café"}))]);
    }

    #[test]
    fn without_a_header_fields_are_numbered() {
        let options = ReadOptions {
            header: false,
            delimiter: b';',
            ..ReadOptions::default()
        };
        let got = read_text(b"a;b\nc;d\n", &options);
        assert_eq!(
            got,
            vec![
                Ok(json!({"1": "a", "2": "b"})),
                Ok(json!({"1": "c", "2": "d"}))
            ]
        );
    }

    #[test]
    fn stop_ends_the_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.csv");
        std::fs::write(&path, "a\n1\n2\n3\n").unwrap();
        let mut seen = 0;
        read(&path, &ReadOptions::default(), &mut |_| {
            seen += 1;
            Flow::Stop
        })
        .unwrap();
        assert_eq!(seen, 1);
    }

    #[test]
    fn cell_text() {
        let mut out = String::new();
        for value in [
            json!(null),
            json!("x"),
            json!(1.5),
            json!(true),
            json!({"a": [1]}),
        ] {
            text_of(Some(&value), &mut out);
            out.push('|');
        }
        assert_eq!(out, "|x|1.5|true|{\"a\":[1]}|");
    }
}
