//! Writing XLSX with rust_xlsxwriter: a header row of the columns, then one row per
//! record. Text, numbers and booleans keep their cell types; a number that a double
//! cannot hold exactly is written as text; nested values are JSON text; `null` and
//! missing fields are empty cells.
//!
//! Memory stays flat: the sheet is written in rust_xlsxwriter's constant-memory mode,
//! rows going to a temporary file in the destination's folder (strings are stored in
//! the cells, not in a shared table), and `finish` zips that into the workbook.

use std::io::Write;
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{Workbook, Worksheet, XlsxError};
use serde_json::Value;

use super::atomic::AtomicFile;
use super::csv::text_of;
use super::error::FileError;
use super::write::{Columns, RecordWriter, WriteOptions};

/// Excel's limits.
const MAX_ROWS: u32 = 1_048_576;
const MAX_COLUMNS: usize = 16_384;
const MAX_TEXT: usize = 32_767;

/// Writes records as the rows of one sheet.
pub(crate) struct XlsxWriter {
    path: PathBuf,
    file: AtomicFile,
    workbook: Workbook,
    columns: Option<Columns>,
    given: Option<Vec<String>>,
    next_row: u32,
    scratch: String,
}

impl XlsxWriter {
    pub(crate) fn create(path: &Path, options: &WriteOptions) -> Result<XlsxWriter, FileError> {
        let file = AtomicFile::create(path)?;
        let mut workbook = Workbook::new();
        let folder = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        workbook
            .set_tempdir(folder)
            .map_err(|e| xlsx_error(path, e))?;
        let sheet = workbook
            .add_worksheet_with_constant_memory()
            .map_err(|e| xlsx_error(path, e))?;
        if let Some(name) = &options.sheet {
            sheet.set_name(name).map_err(|e| {
                FileError::options(path, format!("`{name}` cannot name a sheet: {e}"))
            })?;
        }
        Ok(XlsxWriter {
            path: path.to_path_buf(),
            file,
            workbook,
            columns: None,
            given: options.columns.clone(),
            next_row: 0,
            scratch: String::new(),
        })
    }

    fn sheet(&mut self) -> Result<&mut Worksheet, FileError> {
        let path = &self.path;
        self.workbook
            .worksheet_from_index(0)
            .map_err(|e| xlsx_error(path, e))
    }

    fn write_header(&mut self, columns: &Columns) -> Result<(), FileError> {
        if columns.names().len() > MAX_COLUMNS {
            return Err(FileError::options(
                &self.path,
                format!("XLSX holds at most {MAX_COLUMNS} columns"),
            ));
        }
        let path = self.path.clone();
        let sheet = self.sheet()?;
        for (j, name) in columns.names().iter().enumerate() {
            sheet
                .write_string(0, j as u16, name)
                .map_err(|e| xlsx_error(&path, e))?;
        }
        self.next_row = 1;
        Ok(())
    }
}

impl RecordWriter for XlsxWriter {
    fn write(&mut self, record: &Value) -> Result<(), FileError> {
        if self.columns.is_none() {
            let columns = Columns::new(&self.path, self.given.take(), record)?;
            self.write_header(&columns)?;
            self.columns = Some(columns);
        }
        let Some(columns) = self.columns.take() else {
            return Ok(());
        };
        let result = self.write_row(&columns, record);
        self.columns = Some(columns);
        result
    }

    fn finish(mut self: Box<Self>) -> Result<(), FileError> {
        if let Some(names) = self.given.take() {
            let columns = Columns::from_names(&self.path, names)?;
            self.write_header(&columns)?;
        }
        let path = self.path;
        let mut file = self.file;
        self.workbook
            .save_to_writer(&mut file)
            .map_err(|e| xlsx_error(&path, e))?;
        file.flush().map_err(|e| FileError::io(&path, e))?;
        file.commit()
    }
}

impl XlsxWriter {
    fn write_row(&mut self, columns: &Columns, record: &Value) -> Result<(), FileError> {
        let values = columns.values(&self.path, record)?;
        if self.next_row >= MAX_ROWS {
            return Err(FileError::options(
                &self.path,
                format!("XLSX holds at most {MAX_ROWS} rows"),
            ));
        }
        let cells: Vec<Cell> = values
            .into_iter()
            .map(|value| self.cell(value))
            .collect::<Result<_, _>>()?;
        let (path, row) = (self.path.clone(), self.next_row);
        let sheet = self.sheet()?;
        for (j, cell) in cells.into_iter().enumerate() {
            let col = j as u16;
            let written = match cell {
                Cell::Empty => continue,
                Cell::Text(text) => sheet.write_string(row, col, text),
                Cell::Number(n) => sheet.write_number(row, col, n),
                Cell::Bool(b) => sheet.write_boolean(row, col, b),
            };
            written.map_err(|e| xlsx_error(&path, e))?;
        }
        self.next_row += 1;
        Ok(())
    }

    /// A value as a cell, checked against Excel's limits before anything is written.
    fn cell(&mut self, value: Option<&Value>) -> Result<Cell, FileError> {
        Ok(match value {
            None | Some(Value::Null) => Cell::Empty,
            Some(Value::Bool(b)) => Cell::Bool(*b),
            Some(Value::Number(n)) => match exact_f64(n) {
                Some(f) => Cell::Number(f),
                None => Cell::Text(n.to_string()),
            },
            Some(other) => {
                self.scratch.clear();
                text_of(Some(other), &mut self.scratch);
                if self.scratch.chars().count() > MAX_TEXT {
                    return Err(FileError::record(
                        &self.path,
                        format!("a text longer than {MAX_TEXT} characters does not fit a cell"),
                    ));
                }
                Cell::Text(self.scratch.clone())
            }
        })
    }
}

enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
}

/// The number as a double, when the double is exactly it.
fn exact_f64(n: &serde_json::Number) -> Option<f64> {
    const EXACT: u64 = 1 << 53;
    if let Some(i) = n.as_i64() {
        return (i.unsigned_abs() <= EXACT).then_some(i as f64);
    }
    if let Some(u) = n.as_u64() {
        return (u <= EXACT).then_some(u as f64);
    }
    n.as_f64()
}

fn xlsx_error(path: &Path, error: XlsxError) -> FileError {
    match error {
        XlsxError::IoError(e) => FileError::io(path, e),
        other => FileError::io(path, std::io::Error::other(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_a_double_cannot_hold_stay_exact() {
        let n = |v: Value| exact_f64(v.as_number().unwrap());
        assert_eq!(n(json!(42)), Some(42.0));
        assert_eq!(n(json!(-2.5)), Some(-2.5));
        assert_eq!(n(json!(9_007_199_254_740_993_i64)), None);
        assert_eq!(n(json!(u64::MAX)), None);
    }
}
