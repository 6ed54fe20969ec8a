//! CSV records. Reading: the header row names the fields, every value is a JSON string
//! (an empty cell is `""`), a row with the wrong number of fields is a record error and
//! the rest goes on; Latin-1 files are decoded. Writing: the columns are fixed by the
//! options or the first record; nested values are written as JSON text.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use ::csv::StringRecord;
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
    let mut rows = CsvReader::open(path, options)?;
    loop {
        let mut record = CsvRecord::default();
        let flow = match rows.read_into(&mut record)? {
            CsvRow::End => return Ok(()),
            CsvRow::Record => each(Ok(record.into_value())),
            CsvRow::Problem(error) => each(Err(error)),
        };
        if let Flow::Stop = flow {
            return Ok(());
        }
    }
}

/// What [`CsvReader::read_into`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum CsvRow {
    /// The next record is in the value given.
    Record,
    /// A row that is not a record (wrong number of fields, not UTF-8); the value given
    /// is left as it was and the rows after it can still be read.
    Problem(ReadError),
    /// The file has no more rows.
    End,
}

/// A record read by a [`CsvReader`]. Handed back to the reader that filled it, it is
/// filled again in place: its map and the text buffers of its fields are reused.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CsvRecord {
    value: Value,
    /// The layout that filled `value`; 0 for none.
    layout: u64,
}

impl CsvRecord {
    /// The record: a JSON object of text fields (`null` before the first read).
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The record, no longer reused.
    pub fn into_value(self) -> Value {
        self.value
    }
}

/// Numbers the layouts of all readers, so that a record is only filled in place by the
/// reader (of the file) that made it.
static LAYOUTS: AtomicU64 = AtomicU64::new(1);

/// A CSV file read one row at a time into a [`CsvRecord`] the caller owns. Handing the
/// same records back row after row reads a long file without allocating per row;
/// `formats::read_file` gives a fresh record per row instead.
pub struct CsvReader {
    path: PathBuf,
    reader: ::csv::Reader<File>,
    row: ::csv::ByteRecord,
    header: bool,
    encoding: Encoding,
    layout: Option<Layout>,
}

impl CsvReader {
    /// Opens `path`; the header row is read with the first record.
    pub fn open(path: &Path, options: &ReadOptions) -> Result<CsvReader, FileError> {
        let file = File::open(path).map_err(|e| FileError::io(path, e))?;
        let reader = ::csv::ReaderBuilder::new()
            .delimiter(options.delimiter)
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(BUFFER)
            .from_reader(file);
        Ok(CsvReader {
            path: path.to_path_buf(),
            reader,
            row: ::csv::ByteRecord::new(),
            header: options.header,
            encoding: options.encoding,
            layout: None,
        })
    }

    /// Reads the next row into `record`. A record this reader filled before is filled
    /// again in place; any other is replaced by a new one. `Err` is a file that cannot
    /// be read on (I/O, or a CSV error the reader cannot step over).
    pub fn read_into(&mut self, record: &mut CsvRecord) -> Result<CsvRow, FileError> {
        let (Some(line), Some(layout)) = (self.next_row()?, &self.layout) else {
            return Ok(CsvRow::End);
        };
        Ok(layout.fill(&mut self.row, self.encoding, line, record))
    }

    /// Reads the next row as text into `row`, whose buffers are reused: the same rows
    /// and problems as [`CsvReader::read_into`], without making a record of the row
    /// ([`row_record`] makes the same record from the text).
    pub fn read_text(&mut self, row: &mut StringRecord) -> Result<CsvRow, FileError> {
        let (Some(line), Some(layout)) = (self.next_row()?, &self.layout) else {
            return Ok(CsvRow::End);
        };
        Ok(layout.text(&mut self.row, self.encoding, line, row))
    }

    /// The field names in column order, once the first row has been read.
    pub fn names(&self) -> Option<&[String]> {
        self.layout.as_ref().map(|layout| &layout.names[..])
    }

    /// Reads the next data row into `self.row` (the header row makes the layout first)
    /// and gives its line; `None` at the end of the file.
    fn next_row(&mut self) -> Result<Option<u64>, FileError> {
        loop {
            if !self
                .reader
                .read_byte_record(&mut self.row)
                .map_err(|e| csv_error(&self.path, e))?
            {
                return Ok(None);
            }
            let line = self.row.position().map_or(0, |p| p.line());
            if self.layout.is_some() {
                return Ok(Some(line));
            }
            let names = if self.header {
                header_names(&self.path, &self.row, self.encoding, line)?
            } else {
                (1..=self.row.len()).map(|n| n.to_string()).collect()
            };
            self.layout = Some(Layout::new(&self.path, names, line)?);
            if !self.header {
                return Ok(Some(line));
            }
        }
    }
}

/// The record of a row that [`CsvReader::read_text`] read from a file whose fields are
/// `names`: the record [`CsvReader::read_into`] gives for that row.
pub fn row_record(names: &[String], row: &StringRecord) -> Value {
    Value::Object(
        names
            .iter()
            .zip(row.iter())
            .map(|(name, text)| (name.clone(), Value::String(text.to_owned())))
            .collect(),
    )
}

/// Field names in column order, and the record every row fills in.
struct Layout {
    /// The field names in column order.
    names: Vec<String>,
    /// An object with every field set to `null`: cloning it builds the map without
    /// comparing keys, cheaper than inserting field by field.
    template: Map<String, Value>,
    /// For each field of `template`, in its (sorted) order, the column it comes from.
    columns: Vec<usize>,
    /// This layout's number (see [`LAYOUTS`]).
    id: u64,
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
        let id = LAYOUTS.fetch_add(1, Ordering::Relaxed);
        Ok(Layout {
            names,
            template,
            columns,
            id,
        })
    }

    /// Puts the fields of `row` into `record`: in place when `record` already has this
    /// layout's keys (the text buffers of its fields are reused), else into a copy of
    /// the template.
    fn fill(
        &self,
        row: &mut ::csv::ByteRecord,
        encoding: Encoding,
        line: u64,
        record: &mut CsvRecord,
    ) -> CsvRow {
        if let Some(problem) = self.wrong_length(row, line) {
            return problem;
        }
        if encoding == Encoding::Latin1 {
            let mut fields = self.fields(record);
            for (slot, &column) in fields.values_mut().zip(&self.columns) {
                set_latin1(slot, row.get(column).unwrap_or_default());
            }
            self.put_back(record, fields);
            return CsvRow::Record;
        }
        // UTF-8 is checked once per row, not once per field; the row's buffer is kept.
        match ::csv::StringRecord::from_byte_record(std::mem::take(row)) {
            Ok(text) => {
                let mut fields = self.fields(record);
                for (slot, &column) in fields.values_mut().zip(&self.columns) {
                    set_text(slot, text.get(column).unwrap_or_default());
                }
                self.put_back(record, fields);
                *row = text.into_byte_record();
                CsvRow::Record
            }
            Err(error) => not_utf8(error, row, line),
        }
    }

    /// Puts the fields of `bytes` into `row` as text (the buffers of `row` come back
    /// to `bytes`, to be filled with the next row).
    fn text(
        &self,
        bytes: &mut ::csv::ByteRecord,
        encoding: Encoding,
        line: u64,
        row: &mut StringRecord,
    ) -> CsvRow {
        if let Some(problem) = self.wrong_length(bytes, line) {
            return problem;
        }
        if encoding == Encoding::Latin1 {
            row.clear();
            for field in bytes.iter() {
                row.push_field(&latin1(field));
            }
            return CsvRow::Record;
        }
        match StringRecord::from_byte_record(std::mem::take(bytes)) {
            Ok(text) => {
                *bytes = std::mem::replace(row, text).into_byte_record();
                CsvRow::Record
            }
            Err(error) => not_utf8(error, bytes, line),
        }
    }

    /// The problem of a row whose number of fields is not the header's.
    fn wrong_length(&self, row: &::csv::ByteRecord, line: u64) -> Option<CsvRow> {
        (row.len() != self.columns.len()).then(|| {
            CsvRow::Problem(ReadError::new(
                format!("line {line}"),
                format!(
                    "{} fields where the header has {}",
                    row.len(),
                    self.columns.len()
                ),
            ))
        })
    }

    /// The map of `record` when this layout filled it (taken out, to be put back
    /// filled), else a copy of the template.
    fn fields(&self, record: &mut CsvRecord) -> Map<String, Value> {
        match std::mem::take(&mut record.value) {
            Value::Object(map) if record.layout == self.id => map,
            _ => self.template.clone(),
        }
    }

    fn put_back(&self, record: &mut CsvRecord, fields: Map<String, Value>) {
        record.value = Value::Object(fields);
        record.layout = self.id;
    }
}

/// The problem of a row that is not UTF-8 (its buffer goes back to `row`).
fn not_utf8(error: ::csv::FromUtf8Error, row: &mut ::csv::ByteRecord, line: u64) -> CsvRow {
    let field = error.utf8_error().field() + 1;
    *row = error.into_byte_record();
    CsvRow::Problem(ReadError::new(
        format!("line {line}"),
        format!("field {field} is not valid UTF-8 (is the file Latin-1?)"),
    ))
}

/// Sets a field to the Latin-1 `bytes`, reusing its buffer when it holds text already.
fn set_latin1(slot: &mut Value, bytes: &[u8]) {
    match slot {
        Value::String(buffer) => {
            buffer.clear();
            buffer.extend(bytes.iter().map(|&b| char::from(b)));
        }
        other => *other = Value::String(latin1(bytes)),
    }
}

/// Sets a field to `text`, reusing its buffer when it holds text already.
fn set_text(slot: &mut Value, text: &str) {
    match slot {
        Value::String(buffer) => {
            buffer.clear();
            buffer.push_str(text);
        }
        other => *other = Value::String(text.to_owned()),
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
    fn read_into_refills_its_own_records_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.csv");
        std::fs::write(&path, "b,a\n1,long text\nx\n,2\n3,4\n").unwrap();
        let mut rows = CsvReader::open(&path, &ReadOptions::default()).unwrap();
        let mut record = CsvRecord::default();
        assert_eq!(record.value(), &Value::Null);
        assert_eq!(rows.read_into(&mut record).unwrap(), CsvRow::Record);
        assert_eq!(record.value(), &json!({"b": "1", "a": "long text"}));
        let CsvRow::Problem(problem) = rows.read_into(&mut record).unwrap() else {
            panic!("a row of one field is a problem");
        };
        assert_eq!(problem.location, "line 3");
        assert_eq!(record.value(), &json!({"b": "1", "a": "long text"}));
        assert_eq!(rows.read_into(&mut record).unwrap(), CsvRow::Record);
        assert_eq!(record.value(), &json!({"b": "", "a": "2"}));
        // A record of another file's reader is replaced, not filled in place.
        let other_path = dir.path().join("other.csv");
        std::fs::write(&other_path, "c\n9\n").unwrap();
        let mut other = CsvReader::open(&other_path, &ReadOptions::default()).unwrap();
        assert_eq!(other.read_into(&mut record).unwrap(), CsvRow::Record);
        assert_eq!(record.value(), &json!({"c": "9"}));
        assert_eq!(rows.read_into(&mut record).unwrap(), CsvRow::Record);
        assert_eq!(record.clone().into_value(), json!({"b": "3", "a": "4"}));
        assert_eq!(rows.read_into(&mut record).unwrap(), CsvRow::End);
    }

    #[test]
    fn read_into_reuses_latin1_records_too() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.csv");
        std::fs::write(&path, b"n\xE4me\ncaf\xE9\nna\xEFve\n").unwrap();
        let options = ReadOptions {
            encoding: Encoding::Latin1,
            ..ReadOptions::default()
        };
        let mut rows = CsvReader::open(&path, &options).unwrap();
        let mut record = CsvRecord::default();
        assert_eq!(rows.read_into(&mut record).unwrap(), CsvRow::Record);
        assert_eq!(record.value(), &json!({"näme": "café"}));
        assert_eq!(rows.read_into(&mut record).unwrap(), CsvRow::Record);
        assert_eq!(record.value(), &json!({"näme": "naïve"}));
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
