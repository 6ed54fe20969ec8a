//! Work on source records that needs nothing of the run's progress, done ahead of the
//! engine's thread: a record's cursor text, its id and the id's hash, its `when`, its
//! mapping and the mapped record's fingerprint. None of these reads what the run has
//! done so far (the duplicate check, the state lookup and the writes do, and stay on
//! the engine's thread, in source order), so a thread of their own can compute them
//! while the engine diffs and writes the records before: [`read_ahead`] reads the
//! source there and hands the engine [`Ready`] records in order, in small batches
//! through a bounded channel. The engine takes each one's decisions exactly where it
//! would have made them, so counts, problems and their order are the same.

use std::rc::Rc;
use std::sync::Arc;
use std::sync::{Mutex, PoisonError, mpsc};

use serde_json::Value;

use super::cursor;
use super::identity::{fingerprint, id_hash, lookup, source_id, without_empty};
use super::links::StateLinks;
use super::source::{Item, Source, Unit};
use crate::catalog::Prepared;
use crate::formats::Flow;
use crate::formats::compact::write_compact;
use crate::mapping::Outcome;
use crate::mapping::links::{Links, with_links};
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
}

/// A source record with everything decided that does not depend on the records before.
pub(super) struct Ready {
    /// The record as read (kept for a retry of a failed write and for previews).
    pub raw: Value,
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
    /// fingerprint, and its compact JSON text when the destination takes it.
    Mapped {
        mapped: Value,
        print: [u8; 16],
        json: Option<Vec<u8>>,
    },
}

impl Ahead<'_> {
    /// Computes what can be computed for `raw`. `cursor`: whether the saved cursor
    /// applies (records of the source; not retries of failed writes).
    pub fn ready(&self, raw: Value, cursor: bool) -> Ready {
        let cursor_text = match self.cursor_field.filter(|_| cursor) {
            Some(field) => lookup(&raw, field).and_then(cursor::cursor_text),
            None => None,
        };
        let past = cursor_text
            .as_deref()
            .is_none_or(|value| cursor::is_past(value, self.saved_cursor));
        let id = source_id(&raw, self.id_path).map(|id| {
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

    fn verdict(&self, raw: &Value) -> Verdict {
        let prepared = self.prepared;
        if let Some(condition) = &prepared.condition {
            match condition.evaluate(raw, &prepared.vars) {
                Ok(true) => {}
                Ok(false) => return Verdict::NotWhen,
                Err(e) => return Verdict::WhenFailed(e.to_string()),
            }
        }
        let mapped = match prepared.mapping.apply(raw, &prepared.vars) {
            Outcome::Mapped(mapped) => mapped.into_value(),
            Outcome::Skipped { reason } => return Verdict::Skipped(reason),
            Outcome::Invalid { problems } => return Verdict::Invalid(problems.join("; ")),
        };
        let mapped = match prepared.pipeline.sync.empty_fields {
            EmptyFields::Skip => without_empty(mapped),
            EmptyFields::Overwrite => mapped,
        };
        let print = fingerprint(&mapped);
        // Text that cannot be made here is left to the destination, which reports why.
        let json = self.json.then(|| {
            let mut json = Vec::with_capacity(JSON_CAPACITY);
            write_compact(&mut json, &mapped).ok().map(|()| json)
        });
        Verdict::Mapped {
            mapped,
            print,
            json: json.flatten(),
        }
    }
}

/// Room for a mapped record's JSON text (grown when a record needs more).
const JSON_CAPACITY: usize = 128;

/// What [`read_ahead`] hands the engine.
pub(super) enum Got {
    Ready(Box<Ready>),
    /// A record that could not be read (the unit goes on).
    Unreadable {
        location: String,
        message: String,
    },
    /// The current unit could not be read.
    UnitFailed {
        message: String,
    },
    /// The current unit was read to its end (or the engine stopped it).
    UnitDone,
}

/// Records handed over at a time, and batches the reading thread may run ahead: a
/// few hundred records besides what the source itself holds.
const BATCH: usize = 256;
const BATCHES_AHEAD: usize = 4;

/// Anything the engine is done with, to be freed on the reading thread.
pub(super) type Spent = Box<dyn Send>;

/// What [`read_ahead`] reads and with what.
pub(super) struct Reading<'a> {
    pub units: &'a [Unit],
    pub ahead: &'a Ahead<'a>,
    /// The run's links, installed on the reading thread for the mapping.
    pub links: &'a Arc<StateLinks>,
    /// What the engine is done with: records made on the reading thread are freed
    /// there (freeing is most of what a record costs once written), between batches.
    pub freed: mpsc::Receiver<Spent>,
}

/// Reads `reading.units` of `source` on a thread of its own, computing each record's
/// [`Ready`] there, and hands `take` what it got, in order, with a [`Got::UnitDone`]
/// after each unit. When `take` answers [`Flow::Stop`], reading stops (what was read
/// ahead is dropped) and `take` gets nothing more. Without a thread to be had, all of
/// it happens on this one.
pub(super) fn read_ahead(
    source: &mut dyn Source,
    reading: Reading<'_>,
    take: &mut dyn FnMut(Got) -> Flow,
) {
    let Reading {
        units,
        ahead,
        links,
        freed,
    } = reading;
    // The reading thread holds the lock while it reads; this one takes the source
    // back only when no thread could be started.
    let source = Mutex::new(source);
    std::thread::scope(|scope| {
        let (batches, received) = mpsc::sync_channel::<Vec<Got>>(BATCHES_AHEAD);
        let locked = &source;
        // The thread owns the sender: the batches end when it does.
        let reader = std::thread::Builder::new()
            .name("sluice-ahead".to_string())
            .spawn_scoped(scope, move || {
                let links: Rc<dyn Links> = Rc::new(SharedLinks(Arc::clone(links)));
                let mut source = locked.lock().unwrap_or_else(PoisonError::into_inner);
                with_links(links, || {
                    read_units(&mut **source, units, ahead, &batches, &freed);
                });
            });
        let Ok(reader) = reader else {
            let mut source = source.lock().unwrap_or_else(PoisonError::into_inner);
            read_here(&mut **source, units, ahead, take);
            return;
        };
        'batches: for batch in &received {
            for got in batch {
                if take(got) == Flow::Stop {
                    break 'batches;
                }
            }
        }
        drop(received);
        if let Err(panic) = reader.join() {
            std::panic::resume_unwind(panic);
        }
    });
}

fn got(item: Item, ahead: &Ahead<'_>) -> Got {
    match item {
        Item::Record(raw) => Got::Ready(Box::new(ahead.ready(raw, true))),
        Item::Unreadable { location, message } => Got::Unreadable { location, message },
        Item::UnitFailed { message } => Got::UnitFailed { message },
    }
}

/// The reading thread: every unit, in batches, until the engine stops listening.
fn read_units(
    source: &mut dyn Source,
    units: &[Unit],
    ahead: &Ahead<'_>,
    batches: &mpsc::SyncSender<Vec<Got>>,
    freed: &mpsc::Receiver<Spent>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    for unit in units {
        let mut gone = false;
        source.read(unit, &mut |item| {
            batch.push(got(item, ahead));
            if batch.len() < BATCH {
                return Flow::Continue;
            }
            while let Ok(spent) = freed.try_recv() {
                drop(spent);
            }
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            if batches.send(full).is_err() {
                gone = true;
                return Flow::Stop;
            }
            Flow::Continue
        });
        if gone {
            return;
        }
        batch.push(Got::UnitDone);
    }
    let _ = batches.send(batch);
}

/// Every unit on the calling thread.
fn read_here(
    source: &mut dyn Source,
    units: &[Unit],
    ahead: &Ahead<'_>,
    take: &mut dyn FnMut(Got) -> Flow,
) {
    for unit in units {
        let mut stopped = false;
        source.read(unit, &mut |item| {
            let flow = take(got(item, ahead));
            stopped = flow == Flow::Stop;
            flow
        });
        if stopped || take(Got::UnitDone) == Flow::Stop {
            return;
        }
    }
}

/// The run's links, shared by the engine's and the reading thread (the mapping finds
/// them in a thread-local `Rc` on each).
pub(super) struct SharedLinks(pub Arc<StateLinks>);

impl Links for SharedLinks {
    fn destination_id(&self, pipeline: &str, source_id: &str) -> Result<Option<String>, String> {
        self.0.destination_id(pipeline, source_id)
    }
}
