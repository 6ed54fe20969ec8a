//! Spreadsheet records (XLSX, XLS) read with calamine; the sheet is loaded whole.
//!
//! The header row names the fields (an empty header cell is named by its column
//! number, as every column is without a header). Cells keep their type: text, numbers
//! (a whole number is an integer), booleans; dates are ISO 8601 text (`2026-03-06`,
//! `2026-03-06T14:30:00`, a time alone `14:30:00`, a duration `36:00:00`). Empty cells
//! are left out of the record and empty rows are skipped; a cell holding an error
//! (`#DIV/0!`) makes its row a record error. Locations are the sheet's own row numbers.

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use calamine::{Data, ExcelDateTime, Reader, Xls, Xlsx, open_workbook_from_rs};
use serde_json::{Map, Number, Value};

use super::error::FileError;
use super::json::Flow;
use super::read::{EachRecord, Format, ReadError, ReadOptions};

/// Reads the records of one sheet of an XLSX or XLS workbook.
pub(crate) fn read(
    path: &Path,
    format: Format,
    options: &ReadOptions,
    each: &mut EachRecord<'_>,
) -> Result<(), FileError> {
    let file = BufReader::new(File::open(path).map_err(|e| FileError::io(path, e))?);
    match format {
        Format::Xls => {
            let workbook: Xls<_> = open_workbook_from_rs(file).map_err(|e| unreadable(path, e))?;
            read_sheet(path, workbook, options, each)
        }
        _ => {
            let workbook: Xlsx<_> = open_workbook_from_rs(file).map_err(|e| unreadable(path, e))?;
            read_sheet(path, workbook, options, each)
        }
    }
}

fn unreadable(path: &Path, error: impl std::fmt::Display) -> FileError {
    FileError::parse(path, "the workbook", format!("cannot be read: {error}"))
}

fn read_sheet<RS: Read + Seek, W: Reader<RS>>(
    path: &Path,
    mut workbook: W,
    options: &ReadOptions,
    each: &mut EachRecord<'_>,
) -> Result<(), FileError>
where
    W::Error: std::fmt::Display,
{
    let names = workbook.sheet_names();
    let sheet = match &options.sheet {
        Some(sheet) if names.contains(sheet) => sheet.clone(),
        Some(sheet) => {
            return Err(FileError::options(
                path,
                format!("no sheet `{sheet}` (the sheets: {})", names.join(", ")),
            ));
        }
        None => names
            .first()
            .cloned()
            .ok_or_else(|| FileError::options(path, "the workbook has no sheets"))?,
    };
    let range = workbook
        .worksheet_range(&sheet)
        .map_err(|e| unreadable(path, e))?;
    let Some((first_row, first_column)) = range.start() else {
        return Ok(());
    };
    let first_row = first_row as usize + 1;
    let first_column = first_column as usize + 1;
    let mut rows = range.rows().enumerate();
    let width = range.width();
    let fields: Vec<String> = if options.header {
        let Some((_, header)) = rows.next() else {
            return Ok(());
        };
        header_names(path, header, first_row, first_column)?
    } else {
        (0..width).map(|j| (first_column + j).to_string()).collect()
    };
    for (i, row) in rows {
        if row.iter().all(|cell| matches!(cell, Data::Empty)) {
            continue;
        }
        let number = first_row + i;
        let record = record(row, &fields, number, first_column);
        if let Flow::Stop = each(record) {
            break;
        }
    }
    Ok(())
}

fn header_names(
    path: &Path,
    header: &[Data],
    row: usize,
    first_column: usize,
) -> Result<Vec<String>, FileError> {
    let mut names: Vec<String> = Vec::with_capacity(header.len());
    for (j, cell) in header.iter().enumerate() {
        let name = match cell_value(cell) {
            Ok(Some(Value::String(text))) if !text.is_empty() => text,
            Ok(Some(value)) if !value.is_string() => value.to_string(),
            _ => (first_column + j).to_string(),
        };
        if names.contains(&name) {
            return Err(FileError::parse(
                path,
                format!("row {row}"),
                format!("the header names the column `{name}` twice"),
            ));
        }
        names.push(name);
    }
    Ok(names)
}

fn record(
    row: &[Data],
    fields: &[String],
    number: usize,
    first_column: usize,
) -> Result<Value, ReadError> {
    let mut record = Map::new();
    for (j, (cell, field)) in row.iter().zip(fields).enumerate() {
        match cell_value(cell) {
            Ok(Some(value)) => {
                record.insert(field.clone(), value);
            }
            Ok(None) => {}
            Err(error) => {
                return Err(ReadError::new(
                    format!("row {number}"),
                    format!(
                        "cell {}{number} (`{field}`) holds the error {error}",
                        column_letters(first_column + j)
                    ),
                ));
            }
        }
    }
    Ok(Value::Object(record))
}

/// A cell as a JSON value; None for an empty cell; Err for an error cell.
fn cell_value(cell: &Data) -> Result<Option<Value>, String> {
    Ok(Some(match cell {
        Data::Empty => return Ok(None),
        Data::Int(i) => Value::from(*i),
        Data::Float(f) => number(*f),
        Data::String(s) => Value::String(s.clone()),
        Data::Bool(b) => Value::Bool(*b),
        Data::DateTime(date) => Value::String(date_text(date)),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Value::String(s.clone()),
        Data::Error(error) => return Err(error.to_string()),
    }))
}

/// A float, as an integer when it is whole and exactly representable.
pub(crate) fn number(f: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if f.fract() == 0.0 && f.abs() < EXACT {
        Value::from(f as i64)
    } else {
        Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

fn date_text(date: &ExcelDateTime) -> String {
    let serial = date.as_f64();
    if date.is_duration() {
        let seconds = (serial * 86_400.0).round() as i64;
        let sign = if seconds < 0 { "-" } else { "" };
        let seconds = seconds.abs();
        return format!(
            "{sign}{:02}:{:02}:{:02}",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        );
    }
    let (year, month, day, hour, minute, second, milli) = date.to_ymd_hms_milli();
    let time = if milli > 0 {
        format!("{hour:02}:{minute:02}:{second:02}.{milli:03}")
    } else {
        format!("{hour:02}:{minute:02}:{second:02}")
    };
    if (0.0..1.0).contains(&serial) {
        time
    } else if (hour, minute, second, milli) == (0, 0, 0, 0) {
        format!("{year:04}-{month:02}-{day:02}")
    } else {
        format!("{year:04}-{month:02}-{day:02}T{time}")
    }
}

/// `1` → `A`, `28` → `AB`.
fn column_letters(mut column: usize) -> String {
    let mut letters = Vec::new();
    while column > 0 {
        let rest = (column - 1) % 26;
        letters.push(b'A' + rest as u8);
        column = (column - 1) / 26;
    }
    letters.reverse();
    String::from_utf8_lossy(&letters).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_keep_their_types() {
        assert_eq!(cell_value(&Data::Float(3.0)), Ok(Some(json!(3))));
        assert_eq!(cell_value(&Data::Float(2.5)), Ok(Some(json!(2.5))));
        assert_eq!(cell_value(&Data::Float(1e300)), Ok(Some(json!(1e300))));
        assert_eq!(cell_value(&Data::Int(-4)), Ok(Some(json!(-4))));
        assert_eq!(cell_value(&Data::Bool(true)), Ok(Some(json!(true))));
        assert_eq!(cell_value(&Data::Empty), Ok(None));
        assert!(cell_value(&Data::Error(calamine::CellErrorType::Div0)).is_err());
    }

    #[test]
    fn column_letters_count_like_excel() {
        assert_eq!(column_letters(1), "A");
        assert_eq!(column_letters(26), "Z");
        assert_eq!(column_letters(28), "AB");
        assert_eq!(column_letters(703), "AAA");
    }

    #[test]
    fn rows_with_error_cells_are_record_errors() {
        let fields = ["a".to_string(), "b".to_string()];
        let row = [Data::Int(1), Data::Error(calamine::CellErrorType::Div0)];
        let error = record(&row, &fields, 7, 1).unwrap_err();
        assert_eq!(error.location, "row 7");
        assert!(
            error
                .message
                .contains("cell B7 (`b`) holds the error #DIV/0!"),
            "{error}"
        );
        let row = [Data::String("x".into()), Data::Empty];
        assert_eq!(record(&row, &fields, 8, 1), Ok(json!({"a": "x"})));
    }
}
