//! What a run computes for each source record from the record alone, before deciding
//! on it: the cursor text, the id and its hash, `when`, the mapping, the fingerprint
//! and, for a destination that takes it, the mapped record's JSON text. None of these
//! reads what the run has done so far; the duplicate check, the cursor, the state
//! lookup, the writes, counts and problems do, and `run.rs` takes those decisions in
//! source order from a [`Ready`] record.
//!
//! (Computing this on a thread of its own, ahead of the engine, was measured and
//! dropped: on the dlt benchmark it cost more CPU than it took off the engine's
//! thread — records crossing three threads' caches — and on the 1M-record file sync
//! 20 % more CPU; see benches/README.md.)

use std::cell::RefCell;

use serde_json::Value;

use super::cursor;
use super::doc::{DocRecord, SlotMemo};
use super::identity::{
    fingerprint, id_hash, lookup, source_id, text_fingerprint, value_text_fingerprint,
    without_empty,
};
use crate::catalog::Prepared;
use crate::formats::compact::write_compact;
use crate::mapping::{CanonicalWriter, Outcome};
use crate::pipeline::EmptyFields;

/// What a run computes for each record before its turn.
pub(super) struct Ahead<'r> {
    pub prepared: &'r Prepared,
    pub id_path: &'r str,
    /// The incremental cursor's field, when the run reads past a cursor.
    pub cursor_field: Option<&'r str>,
    /// The saved cursor: records not past it are not mapped.
    pub saved_cursor: Option<&'r str>,
    /// Whether the destination takes mapped records as JSON text too.
    pub json: bool,
    /// The mapping writing that text straight from the record's fields, when it can
    /// (only when the destination takes the text).
    pub writer: Option<CanonicalWriter<'r>>,
    /// Where the mapping's fields are among the keys of records read in place.
    pub slots: RefCell<SlotMemo>,
}

/// A source record as a run holds it.
#[derive(Debug)]
pub(super) enum Raw {
    Value(Value),
    /// Read in place from a parsed page.
    Doc(DocRecord),
}

impl Raw {
    /// The record as a JSON value.
    pub fn into_value(self) -> Value {
        match self {
            Raw::Value(value) => value,
            Raw::Doc(record) => record.to_json(),
        }
    }

    /// The fingerprint of the record as read.
    pub fn fingerprint(&self) -> [u8; 16] {
        match self {
            Raw::Value(value) => fingerprint(value),
            Raw::Doc(record) => fingerprint(&record.to_json()),
        }
    }
}

impl Default for Raw {
    fn default() -> Raw {
        Raw::Value(Value::Null)
    }
}

/// A source record with everything decided that does not depend on the records before.
pub(super) struct Ready {
    /// The record as read (kept for a retry of a failed write and for previews).
    pub raw: Raw,
    /// The cursor field's text (only when the run has a cursor field).
    pub cursor: Option<String>,
    /// The source id and its hash; `None`: the record has none.
    pub id: Option<(String, u128)>,
    /// `when` and the mapping; `None` when they need not run (no id, or not past the
    /// saved cursor).
    pub verdict: Option<Verdict>,
}

/// What `when` and the mapping made of a record.
pub(super) enum Verdict {
    /// `when` gave false.
    NotWhen,
    /// `when` failed: the message.
    WhenFailed(String),
    /// The mapping skipped the record: its reason.
    Skipped(String),
    /// The mapping failed: its problems, joined.
    Invalid(String),
    /// The mapped record (empty fields dropped when the pipeline says so), its
    /// fingerprint, and its compact JSON text when the destination takes it. With the
    /// text, the record is not built: `mapped` is null (see `Write::json`).
    Mapped {
        mapped: Value,
        print: [u8; 16],
        json: Option<Vec<u8>>,
    },
}

impl Ahead<'_> {
    /// Computes what can be computed for `raw`. `cursor`: whether the saved cursor
    /// applies (records of the source; not retries of failed writes).
    pub fn ready(&self, raw: Raw, cursor: bool) -> Ready {
        let cursor_text = match self.cursor_field.filter(|_| cursor) {
            Some(field) => match &raw {
                Raw::Value(value) => lookup(value, field).and_then(cursor::cursor_text),
                Raw::Doc(record) => record.lookup(field).as_ref().and_then(cursor::cursor_text),
            },
            None => None,
        };
        let past = cursor_text
            .as_deref()
            .is_none_or(|value| cursor::is_past(value, self.saved_cursor));
        let id = match &raw {
            Raw::Value(value) => source_id(value, self.id_path),
            Raw::Doc(record) => record.id(self.id_path),
        }
        .map(|id| {
            let hash = id_hash(&id);
            (id, hash)
        });
        let verdict = (past && id.is_some()).then(|| self.verdict(&raw));
        Ready {
            raw,
            cursor: cursor_text,
            id,
            verdict,
        }
    }

    fn verdict(&self, raw: &Raw) -> Verdict {
        let prepared = self.prepared;
        // `when` reads the whole record: a record read in place becomes a value, once.
        let converted;
        let value = match raw {
            Raw::Value(value) => Some(value),
            Raw::Doc(record) if prepared.condition.is_some() => {
                converted = record.to_json();
                Some(&converted)
            }
            Raw::Doc(_) => None,
        };
        if let (Some(condition), Some(value)) = (&prepared.condition, value) {
            match condition.evaluate(value, &prepared.vars) {
                Ok(true) => {}
                Ok(false) => return Verdict::NotWhen,
                Err(e) => return Verdict::WhenFailed(e.to_string()),
            }
        }
        let skip_empty = prepared.pipeline.sync.empty_fields == EmptyFields::Skip;
        if let Some(writer) = &self.writer {
            // The mapped record's text, written straight from the record's fields: no
            // mapped record is made (nor freed), and the fingerprint is the text's hash.
            let mut json = Vec::with_capacity(JSON_CAPACITY);
            let written = match (value, raw) {
                (Some(value), _) | (None, Raw::Value(value)) => {
                    writer.write_record(value, skip_empty, &mut json)
                }
                (None, Raw::Doc(record)) => record.write_canonical(
                    writer,
                    &mut self.slots.borrow_mut(),
                    skip_empty,
                    &mut json,
                ),
            };
            if written {
                return Verdict::Mapped {
                    mapped: Value::Null,
                    print: text_fingerprint(&json),
                    json: Some(json),
                };
            }
        }
        let outcome = match (value, raw) {
            (Some(value), _) | (None, Raw::Value(value)) => {
                prepared.mapping.apply(value, &prepared.vars)
            }
            (None, Raw::Doc(record)) => record.map(
                &prepared.mapping,
                &prepared.vars,
                &mut self.slots.borrow_mut(),
            ),
        };
        let record = match outcome {
            Outcome::Mapped(record) => record,
            Outcome::Skipped { reason } => return Verdict::Skipped(reason),
            Outcome::Invalid { problems } => return Verdict::Invalid(problems.join("; ")),
        };
        if self.json {
            // The destination writes the text: it is read from the mapped record in
            // place, no value is built (nor freed), and the fingerprint is its hash.
            let view = record.canonical(skip_empty);
            let mut json = Vec::with_capacity(JSON_CAPACITY);
            if view.write_json(&mut json).is_ok() {
                return Verdict::Mapped {
                    mapped: Value::Null,
                    print: text_fingerprint(&json),
                    json: Some(json),
                };
            }
        }
        let mapped = record.into_value();
        let mapped = if skip_empty {
            without_empty(mapped)
        } else {
            mapped
        };
        // Text that cannot be made here is left to the destination, which reports why.
        let json = self
            .json
            .then(|| {
                let mut json = Vec::with_capacity(JSON_CAPACITY);
                write_compact(&mut json, &mapped).ok().map(|()| json)
            })
            .flatten();
        let print = json
            .as_deref()
            .map_or_else(|| value_text_fingerprint(&mapped), text_fingerprint);
        Verdict::Mapped {
            mapped,
            print,
            json,
        }
    }
}

/// Room for a mapped record's JSON text (grown when a record needs more).
const JSON_CAPACITY: usize = 128;
