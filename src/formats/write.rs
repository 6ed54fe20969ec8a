//! Writing records to one file, whatever its format. Every writer writes to a temporary
//! file next to the destination and renames it into place in `finish`, so readers of
//! the destination see the old file or the complete new one, never a half-written one.

use std::path::Path;

use serde_json::Value;

use super::error::FileError;
use super::read::{Format, type_name};
use super::{csv, json_file, sheet_write, xml_write};

pub use super::template::{PathTemplateError, expand_path};

/// What `create_writer` needs to know besides the format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOptions {
    /// CSV: the field separator.
    pub delimiter: u8,
    /// XML: the root element; `records` when absent.
    pub root: Option<String>,
    /// XML: the element of each record; `record` when absent.
    pub record: Option<String>,
    /// XLSX: the sheet name; `Sheet1` when absent.
    pub sheet: Option<String>,
    /// CSV and XLSX: the columns in order. When absent, the first record's keys (in the
    /// record's key order, which for `serde_json` objects is sorted).
    pub columns: Option<Vec<String>>,
}

impl Default for WriteOptions {
    fn default() -> WriteOptions {
        WriteOptions {
            delimiter: b',',
            root: None,
            record: None,
            sheet: None,
            columns: None,
        }
    }
}

/// Writes records to one file.
///
/// A `FileError::Record` from `write` concerns that record alone (nothing of it was
/// written) and the writer can go on; any other error leaves the writer unusable.
pub trait RecordWriter: Send {
    /// Writes one record (a JSON object).
    fn write(&mut self, record: &Value) -> Result<(), FileError>;
    /// Whether [`write_json`](Self::write_json) uses the record's JSON text as it is
    /// (JSON and NDJSON files), so a caller that has the text at hand should pass it.
    fn takes_json(&self) -> bool {
        false
    }
    /// Writes one record given as its compact JSON text (what
    /// [`crate::formats::compact::write_compact`] makes of it). Writers that
    /// [take JSON](Self::takes_json) write the text and need not look at `record`,
    /// which may then be an empty object; the others write `record`.
    fn write_json(&mut self, record: &Value, _json: &[u8]) -> Result<(), FileError> {
        self.write(record)
    }
    /// Completes the file and moves it onto the destination.
    fn finish(self: Box<Self>) -> Result<(), FileError>;
}

/// Opens a writer that writes to a temporary file next to `path` and atomically
/// renames it onto `path` in `finish` (dropping the writer without `finish` leaves
/// `path` untouched and removes the temporary file). Missing folders are created.
///
/// CSV, JSON, NDJSON and XML are written as records come; XLSX rows go to a temporary
/// file of rust_xlsxwriter's (constant memory) and are zipped in `finish`. XLS cannot
/// be written.
pub fn create_writer(
    path: &Path,
    format: Format,
    options: &WriteOptions,
) -> Result<Box<dyn RecordWriter>, FileError> {
    Ok(match format {
        Format::Csv => Box::new(csv::CsvWriter::create(path, options)?),
        Format::Json => Box::new(json_file::JsonWriter::create(path)?),
        Format::Ndjson => Box::new(json_file::NdjsonWriter::create(path)?),
        Format::Xml => Box::new(xml_write::XmlWriter::create(path, options)?),
        Format::Xlsx => Box::new(sheet_write::XlsxWriter::create(path, options)?),
        Format::Xls => {
            return Err(FileError::options(
                path,
                "xls files can be read but not written; write xlsx instead",
            ));
        }
    })
}

/// The columns of a table-shaped file (CSV, XLSX): fixed before the first row, since a
/// streamed file cannot grow a column later. A record's missing fields are empty cells;
/// a field outside the columns makes the record a `FileError::Record`.
pub(crate) struct Columns {
    names: Vec<String>,
}

impl Columns {
    /// The columns given, else the keys of the first record.
    pub(crate) fn new(
        path: &Path,
        given: Option<Vec<String>>,
        first: &Value,
    ) -> Result<Columns, FileError> {
        match given {
            Some(names) => Columns::from_names(path, names),
            None => Ok(Columns {
                names: object(path, first)?.keys().cloned().collect(),
            }),
        }
    }

    /// The columns named, refusing a name given twice.
    pub(crate) fn from_names(path: &Path, names: Vec<String>) -> Result<Columns, FileError> {
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(FileError::options(
                    path,
                    format!("the column `{name}` is listed twice"),
                ));
            }
        }
        Ok(Columns { names })
    }

    /// The column names, in order.
    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    /// The record's value for each column, or the error naming the fields that have no
    /// column.
    pub(crate) fn values<'r>(
        &self,
        path: &Path,
        record: &'r Value,
    ) -> Result<Vec<Option<&'r Value>>, FileError> {
        let fields = object(path, record)?;
        let values: Vec<Option<&Value>> = self.names.iter().map(|n| fields.get(n)).collect();
        if values.iter().flatten().count() < fields.len() {
            let extra: Vec<String> = fields
                .keys()
                .filter(|k| !self.names.contains(k))
                .map(|k| format!("`{k}`"))
                .collect();
            return Err(FileError::record(
                path,
                format!(
                    "the record has fields the file has no column for: {} (the columns \
                     come from the first record or the `columns` option)",
                    extra.join(", ")
                ),
            ));
        }
        Ok(values)
    }
}

/// The record as an object, or a record error.
pub(crate) fn object<'r>(
    path: &Path,
    record: &'r Value,
) -> Result<&'r serde_json::Map<String, Value>, FileError> {
    record.as_object().ok_or_else(|| {
        FileError::record(
            path,
            format!("a record must be an object, not {}", type_name(record)),
        )
    })
}

/// Checks that a record's compact JSON text is an object, like [`object`] for values.
pub(crate) fn object_text(path: &Path, json: &[u8]) -> Result<(), FileError> {
    let kind = match json.first() {
        Some(b'{') => return Ok(()),
        Some(b'[') => "a list",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        Some(b'-' | b'0'..=b'9') => "a number",
        _ => "JSON text",
    };
    Err(FileError::record(
        path,
        format!("a record must be an object, not {kind}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn columns_come_from_the_first_record_or_the_options() {
        let path = Path::new("out.csv");
        let columns = Columns::new(path, None, &json!({"b": 1, "a": 2})).unwrap();
        assert_eq!(columns.names(), ["a", "b"]);
        let given = Some(vec!["b".to_string(), "a".to_string()]);
        let columns = Columns::new(path, given, &json!({})).unwrap();
        assert_eq!(columns.names(), ["b", "a"]);
        let twice = Columns::from_names(path, vec!["a".into(), "a".into()]);
        assert!(twice.is_err());
    }

    #[test]
    fn missing_fields_are_empty_and_extra_fields_refused() {
        let path = Path::new("out.csv");
        let columns = Columns::from_names(path, vec!["a".into(), "b".into()]).unwrap();
        let record = json!({"a": 1});
        assert_eq!(
            columns.values(path, &record).unwrap(),
            [Some(&json!(1)), None]
        );
        let error = columns
            .values(path, &json!({"a": 1, "c": 2, "d": 3}))
            .unwrap_err();
        assert!(error.is_record_error());
        assert!(error.to_string().contains("`c`, `d`"), "{error}");
        let error = columns.values(path, &json!([1])).unwrap_err();
        assert!(error.to_string().contains("not a list"), "{error}");
    }

    #[test]
    fn xls_cannot_be_written() {
        let dir = tempfile::tempdir().unwrap();
        let result = create_writer(
            &dir.path().join("a.xls"),
            Format::Xls,
            &WriteOptions::default(),
        );
        assert!(matches!(result, Err(FileError::Options { .. })));
    }
}
