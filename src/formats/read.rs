//! Reading the records of one file, whatever its format: the options every format
//! shares, the per-record error, and `read_file`, which hands each record to a callback
//! as the format's reader (csv.rs, json_file.rs, xml.rs, sheet.rs) produces it.

use std::fmt;
use std::path::Path;

use serde_json::Value;

use super::error::FileError;
use super::json::Flow;
use super::{csv, json_file, sheet, xml};

pub use crate::pipeline::FileFormat as Format;

/// How the bytes of a text file are decoded (CSV only; JSON and XML are UTF-8).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8; a field that is not valid UTF-8 is a record error.
    #[default]
    Utf8,
    /// ISO 8859-1: every byte is the character of the same number.
    Latin1,
}

/// What `read_file` needs to know besides the format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// JSON: the dotted path of the records inside the document (`data.items`; a number
    /// indexes a list). XML: the record element, as a path of element names matched
    /// against the end of the element's ancestry (`order`, `orders/order`), or from the
    /// root when it starts with `/` (`/export/orders/order`). `None`: the top-level array
    /// or object (JSON), each child element of the root (XML). NDJSON, CSV and sheets
    /// ignore it.
    pub records: Option<String>,
    /// CSV: the field separator.
    pub delimiter: u8,
    /// CSV and sheets: the first row holds the field names; else fields are named by
    /// their column number, `"1"`, `"2"`, ….
    pub header: bool,
    /// CSV: how bytes become text.
    pub encoding: Encoding,
    /// XLSX/XLS: the sheet to read; the first when absent.
    pub sheet: Option<String>,
}

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        ReadOptions {
            records: None,
            delimiter: b',',
            header: true,
            encoding: Encoding::Utf8,
            sheet: None,
        }
    }
}

/// A record that could not be read; the records around it still are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// Where: `line 12` (CSV, NDJSON), `row 5` (sheets), `record 3` (JSON arrays),
    /// `line 4, column 7` (XML).
    pub location: String,
    /// What is wrong.
    pub message: String,
}

impl ReadError {
    /// A record error at `location`.
    pub fn new(location: impl Into<String>, message: impl Into<String>) -> ReadError {
        ReadError {
            location: location.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

impl std::error::Error for ReadError {}

/// The callback `read_file` feeds: one call per record or per record-level error.
pub type EachRecord<'a> = dyn FnMut(Result<Value, ReadError>) -> Flow + 'a;

/// Streams the records of one file: calls `each` per record (always a JSON object) or
/// per record-level error, until the file ends or `each` returns `Flow::Stop`. Returns
/// `Err` for a file that cannot be opened or parsed as a whole; records handed over
/// before such an error were read correctly, but the read is incomplete.
///
/// CSV, NDJSON, JSON arrays and XML are streamed (memory does not grow with the file);
/// JSON with a `records` path and sheets are loaded whole.
pub fn read_file(
    path: &Path,
    format: Format,
    options: &ReadOptions,
    each: &mut EachRecord<'_>,
) -> Result<(), FileError> {
    match format {
        Format::Csv => csv::read(path, options, each),
        Format::Json => json_file::read_json(path, options.records.as_deref(), each),
        Format::Ndjson => json_file::read_ndjson(path, each),
        Format::Xml => xml::read(path, options.records.as_deref(), each),
        Format::Xlsx | Format::Xls => sheet::read(path, format, options, each),
    }
}

/// The JSON type name of a value, for messages.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
