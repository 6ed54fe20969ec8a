//! How a dry run's preview is shown: as text on the terminal, or written to a file
//! (.xlsx with the sheets Stats, Raw data, Mapped data, Invalid, Duplicates; .json; or
//! .csv of the mapped records).

use std::fmt::Write as _;
use std::path::Path;

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use serde_json::{Value, json};

use crate::engine::Preview;
use crate::report::Report;

/// The preview for a terminal: what would change, a few records before and after
/// mapping, and every invalid record and duplicate id.
pub fn text(report: &Report, preview: &Preview, samples: usize) -> String {
    let c = &report.counts;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "dry run of `{}` ({}): nothing was written",
        report.pipeline, report.mode
    );
    let _ = writeln!(out);
    for (label, value) in [
        ("received", c.received),
        ("would create", c.created),
        ("would update", c.updated),
        ("unchanged", c.unchanged),
        ("would delete", c.deleted),
        ("skipped", c.skipped),
        ("invalid", c.invalid),
        ("duplicates", c.duplicates),
    ] {
        let _ = writeln!(out, "  {label:<14}{value:>10}");
    }
    let shown: Vec<_> = preview.samples.iter().take(samples).collect();
    if !shown.is_empty() {
        let _ = writeln!(out, "\nsample records (source → mapped):");
        for sample in shown {
            let _ = writeln!(out, "  [{}] {}", sample.change, sample.source_id);
            let _ = writeln!(out, "    raw:    {}", sample.raw);
            let _ = writeln!(out, "    mapped: {}", sample.mapped);
        }
    }
    if !preview.invalid.is_empty() {
        let _ = writeln!(out, "\ninvalid records:");
        for rejected in &preview.invalid {
            let id = rejected.source_id.as_deref().unwrap_or("(no id)");
            let _ = writeln!(out, "  {id}: {}", rejected.message);
        }
    }
    if !preview.duplicates.is_empty() {
        let _ = writeln!(out, "\nduplicated ids (only the first record is written):");
        for duplicate in &preview.duplicates {
            let _ = writeln!(out, "  {}", duplicate.source_id.as_deref().unwrap_or(""));
        }
    }
    if !preview.deletes.is_empty() {
        let _ = writeln!(out, "\nwould delete:");
        for id in &preview.deletes {
            let _ = writeln!(out, "  {id}");
        }
    }
    for side in ["left", "right"] {
        let writes: Vec<_> = preview.writes.iter().filter(|w| w.side == side).collect();
        if writes.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\nwould write to the {side} side ({}):", writes.len());
        for write in writes {
            let who = write
                .user
                .as_ref()
                .map(|u| format!("{u}: "))
                .unwrap_or_default();
            let item = write
                .item
                .as_ref()
                .map(Value::to_string)
                .unwrap_or_default();
            let _ = writeln!(out, "  [{}] {who}{} {item}", write.change, write.id);
        }
    }
    for problem in report.problems.iter().filter(|p| p.source_id.is_none()) {
        let _ = writeln!(out, "\n{}", problem.message);
    }
    out
}

/// Writes the preview to `path`, in the format its extension names.
pub fn write(path: &Path, report: &Report, preview: &Preview) -> Result<(), String> {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let written = match extension.as_str() {
        "json" => {
            let document = json!({"report": report, "preview": preview});
            serde_json::to_vec_pretty(&document)
                .map_err(|e| e.to_string())
                .and_then(|bytes| std::fs::write(path, bytes).map_err(|e| e.to_string()))
        }
        "csv" => write_csv(path, preview),
        "xlsx" => write_xlsx(path, report, preview).map_err(|e| e.to_string()),
        _ => Err("the preview can be written as .xlsx, .json or .csv".to_string()),
    };
    written.map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}

/// The mapped sample records as CSV: the change, the source id, then the fields.
fn write_csv(path: &Path, preview: &Preview) -> Result<(), String> {
    let columns = columns(preview.samples.iter().map(|s| &s.mapped));
    let mut writer = csv::Writer::from_path(path).map_err(|e| e.to_string())?;
    let mut header = vec!["change".to_string(), "source_id".to_string()];
    header.extend(columns.iter().cloned());
    writer.write_record(&header).map_err(|e| e.to_string())?;
    for sample in &preview.samples {
        let mut row = vec![sample.change.to_string(), sample.source_id.clone()];
        row.extend(columns.iter().map(|c| cell_text(sample.mapped.get(c))));
        writer.write_record(&row).map_err(|e| e.to_string())?;
    }
    writer.flush().map_err(|e| e.to_string())
}

fn write_xlsx(path: &Path, report: &Report, preview: &Preview) -> Result<(), XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let c = &report.counts;
    let stats = workbook.add_worksheet().set_name("Stats")?;
    let rows = [
        ("pipeline", report.pipeline.clone()),
        ("mode", report.mode.clone()),
        ("received", c.received.to_string()),
        ("would create", c.created.to_string()),
        ("would update", c.updated.to_string()),
        ("unchanged", c.unchanged.to_string()),
        ("would delete", c.deleted.to_string()),
        ("skipped", c.skipped.to_string()),
        ("invalid", c.invalid.to_string()),
        ("duplicates", c.duplicates.to_string()),
    ];
    for (row, (label, value)) in (0u32..).zip(rows) {
        stats.write_string_with_format(row, 0, label, &bold)?;
        stats.write_string(row, 1, value)?;
    }
    let raw = workbook.add_worksheet().set_name("Raw data")?;
    table(
        raw,
        &bold,
        preview.samples.iter().map(|s| (&s.source_id, &s.raw)),
    )?;
    let mapped = workbook.add_worksheet().set_name("Mapped data")?;
    table(
        mapped,
        &bold,
        preview.samples.iter().map(|s| (&s.source_id, &s.mapped)),
    )?;
    for (name, list) in [
        ("Invalid", &preview.invalid),
        ("Duplicates", &preview.duplicates),
    ] {
        let sheet = workbook.add_worksheet().set_name(name)?;
        sheet.write_string_with_format(0, 0, "source id", &bold)?;
        sheet.write_string_with_format(0, 1, "reason", &bold)?;
        for (row, rejected) in (1u32..).zip(list) {
            sheet.write_string(row, 0, rejected.source_id.as_deref().unwrap_or(""))?;
            sheet.write_string(row, 1, &rejected.message)?;
        }
    }
    workbook.save(path)
}

/// Records as a sheet: a header row of their fields, then one row per record.
fn table<'a>(
    sheet: &mut Worksheet,
    bold: &Format,
    records: impl Iterator<Item = (&'a String, &'a Value)> + Clone,
) -> Result<(), XlsxError> {
    let columns = columns(records.clone().map(|(_, r)| r));
    sheet.write_string_with_format(0, 0, "source id", bold)?;
    for (col, name) in (1u16..).zip(&columns) {
        sheet.write_string_with_format(0, col, name, bold)?;
    }
    for (row, (id, record)) in (1u32..).zip(records) {
        sheet.write_string(row, 0, id)?;
        for (col, name) in (1u16..).zip(&columns) {
            sheet.write_string(row, col, cell_text(record.get(name)))?;
        }
    }
    Ok(())
}

/// The top-level fields of some records, in first-seen order.
fn columns<'a>(records: impl Iterator<Item = &'a Value>) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    for record in records {
        if let Value::Object(map) = record {
            for key in map.keys() {
                if !columns.contains(key) {
                    columns.push(key.clone());
                }
            }
        }
    }
    columns
}

fn cell_text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}
