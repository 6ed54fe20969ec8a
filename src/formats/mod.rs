//! Record formats: turning files into records and records into files. `read_file`
//! streams the records of a CSV, JSON, NDJSON, XML, XLSX or XLS file; `create_writer`
//! writes CSV, JSON, NDJSON, XML or XLSX atomically (a temporary file renamed into
//! place). Records are JSON objects (`serde_json::Value`).

mod atomic;
pub mod compact;
mod csv;
mod error;
pub mod json;
mod json_file;
pub mod read;
mod sheet;
mod sheet_write;
mod template;
pub mod write;
mod xml;
mod xml_write;

pub use ::csv::StringRecord;
pub use atomic::AtomicFile;
pub use csv::{CsvReader, CsvRecord, CsvRow, row_record};
pub use error::FileError;
pub use json::Flow;
pub use read::{EachRecord, Encoding, Format, ReadError, ReadOptions, read_file};
pub use write::{PathTemplateError, RecordWriter, WriteOptions, create_writer, expand_path};
