//! One run of one pipeline, top to bottom.

use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::EngineError;
use super::ahead::{Ahead, Raw, Ready, Verdict};
use super::connect;
use super::cursor;
use super::destination::{Change, Destination, Write, WriteFailure, WriteResult};
use super::identity::{IdHashMap, IdHashSet, id_hash, legacy_fingerprint};
use super::links::StateLinks;
use super::preview::{Preview, Rejected, Sample};
use super::source::{Item, Unit};
use crate::catalog::Prepared;
use crate::formats::Flow;
use crate::mapping::links::with_links;
use crate::pipeline::{self, AfterRead, Deletes, FileSource, SyncMode};
use crate::report::{Counts, Problem, ProblemKind, Report, RunStatus, Trigger};
use crate::state::{Commit, FailedRecord, PipelineRecords, RecordState, Staged, State};

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub trigger: Trigger,
    /// Read, map and compare, but write nothing anywhere.
    pub dry_run: bool,
    /// Ignore the incremental cursor (read everything).
    pub full: bool,
    /// Let a run delete more than `max_delete_fraction` of the known records.
    pub allow_mass_delete: bool,
    /// Stop reading after this many records.
    pub limit: Option<u64>,
    /// How many raw/mapped pairs a preview shows.
    pub samples: usize,
    /// How many reports to keep per pipeline.
    pub keep_reports: usize,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            trigger: Trigger::Manual,
            dry_run: false,
            full: false,
            allow_mass_delete: false,
            limit: None,
            samples: 20,
            keep_reports: 100,
        }
    }
}

/// Told how a run is going (for a progress bar).
pub trait Progress {
    fn update(&self, _counts: &Counts) {}
}

impl Progress for () {}

/// The report, and for a dry run the preview.
#[derive(Debug)]
pub struct RunResult {
    pub report: Report,
    pub preview: Option<Preview>,
}

/// How many ids a source run's set of seen ids has room for from the start: a run of
/// up to ~114,000 records never grows it. (Growing moves the table into fresh memory
/// twice its size, and fresh memory is dear: 2-8 µs a 4 KiB page on the machine of
/// benches/README.md.) The table's 2 MiB are touched only where ids land; a small run
/// writes its 128 KiB of control bytes and no more.
const SEEN_ROOM: usize = 1 << 16;

/// Record states are committed in batches of this many.
const BATCH: usize = 2_000;

/// The batch for a staged destination (`Destination::staged`), whose batches are held
/// back until it finishes (`HOLD_AT`): a batch this size is closed (encoded compactly)
/// less often, and memory stays bounded all the same.
const STAGED_BATCH: usize = 16_000;
/// A staged destination's run holds back at most this many record changes before
/// committing them (memory stays bounded on long runs).
const HOLD_AT: usize = 250_000;
/// A report lists at most this many problems (the counts stay exact).
const MAX_PROBLEMS: usize = 10_000;

/// Runs `prepared` once. `state` is `None` only for a dry run without a state file.
pub fn run(
    prepared: &Prepared,
    state: Option<&State>,
    options: &RunOptions,
    progress: &dyn Progress,
) -> Result<RunResult, EngineError> {
    if let Some(spec) = &prepared.pipeline.two_way {
        return super::two_way::run(prepared, spec, state, options);
    }
    run_on(prepared, state, options, progress, Input::Source)
}

/// Applies records that arrived by webhook, in order, as one run: each takes the path
/// of a source record (`when` → map → duplicate-id check → fingerprint against state →
/// write what is new or changed → commit its state), and the run is recorded with its
/// report like any other. No source is read, so the cursor does not move, nothing is
/// deleted and records that failed in earlier runs wait for the next scheduled run.
pub fn apply_records(
    prepared: &Prepared,
    state: &State,
    records: Vec<Value>,
    trigger: Trigger,
) -> Result<RunResult, EngineError> {
    if prepared.pipeline.two_way.is_some() {
        return Err(EngineError::Setup(
            "a two-way pipeline takes no webhook records".into(),
        ));
    }
    let options = RunOptions {
        trigger,
        ..RunOptions::default()
    };
    run_on(
        prepared,
        Some(state),
        &options,
        &(),
        Input::Records(records),
    )
}

/// Where a run's records come from.
enum Input {
    /// The pipeline's `[source]`.
    Source,
    /// Records handed over (webhooks).
    Records(Vec<Value>),
}

fn run_on(
    prepared: &Prepared,
    state: Option<&State>,
    options: &RunOptions,
    progress: &dyn Progress,
    input: Input,
) -> Result<RunResult, EngineError> {
    let pipeline = &prepared.pipeline;
    let name = pipeline.name.as_str();
    let started_at = Utc::now();
    let base = pipeline.folder().to_path_buf();
    let zone = pipeline
        .schedule
        .as_ref()
        .and_then(|s| s.timezone.as_ref())
        .map_or(chrono_tz::Tz::UTC, |z| z.0);

    // A run writes to the state; a dry run does not.
    let live = match (options.dry_run, state) {
        (false, Some(state)) => Some(state),
        (false, None) => {
            return Err(EngineError::Setup("a run needs the state store".into()));
        }
        (true, _) => None,
    };
    let from_source = matches!(input, Input::Source);
    let incremental = pipeline.sync.mode == SyncMode::Incremental && from_source;
    let saved_cursor = match (state, incremental && !options.full) {
        (Some(state), true) => state.pipeline(name)?.cursor,
        _ => None,
    };

    // The source first: its first records are on their way while the run begins.
    let cx = connect::Context {
        base: &base,
        started_at,
        zone,
        state,
        cursor: saved_cursor.as_deref(),
    };
    let (mut source, given) = match input {
        Input::Source => (
            Some(connect::open_source(prepared, &cx).map_err(EngineError::Setup)?),
            Vec::new(),
        ),
        Input::Records(records) => (None, records),
    };
    if let Some(source) = source.as_mut() {
        source.start();
    }
    let ticket = match live {
        Some(state) => Some(state.begin_run(name)?),
        None => None,
    };
    let run_id = ticket
        .as_ref()
        .map_or_else(|| format!("{name}-dry-run"), |t| t.run_id.clone());
    let seq = ticket.as_ref().map_or(u64::MAX, |t| t.seq);
    let reader = state.map(State::reader).transpose()?;
    let known_records = reader.as_ref().map(|r| r.pipeline(name)).transpose()?;
    let file_source = match &pipeline.source {
        Some(pipeline::Source::File(config)) if from_source => Some(config),
        _ => None,
    };
    let id_path = connect::id_path(pipeline);
    let cursor_field = connect::cursor_field(pipeline).filter(|_| from_source);
    let destination = if options.dry_run {
        None
    } else {
        Some(connect::open_destination(prepared, &cx).map_err(EngineError::Setup)?)
    };
    let window = destination.as_ref().map_or(1, |d| d.window().max(1));
    let batch_size = match &destination {
        Some(d) if d.staged() => STAGED_BATCH,
        _ => BATCH,
    };
    let seen_room = if from_source { SEEN_ROOM } else { given.len() };

    let json = destination.as_ref().is_some_and(|d| d.takes_json());
    let ahead = Ahead {
        prepared,
        id_path,
        cursor_field,
        saved_cursor: saved_cursor.as_deref(),
        json,
        writer: json.then(|| prepared.mapping.canonical_writer()).flatten(),
        slots: Default::default(),
    };
    let mut walk = Walk {
        name,
        ahead: &ahead,
        prepared,
        options,
        known: known_records.as_ref(),
        state: live,
        store: state,
        destination,
        pending: Vec::with_capacity(window),
        window,
        batch_size,
        id_path,
        saved_cursor: saved_cursor.as_deref(),
        new_cursor: None,
        seq,
        seen: IdHashSet::with_capacity_and_hasher(seen_room, Default::default()),
        counts: Counts::default(),
        retrying: HashMap::new(),
        retried: IdHashMap::default(),
        retries_succeeded: 0,
        problems: Vec::new(),
        preview: Preview::default(),
        batch: new_batch(seq, batch_size),
        unsynced: false,
        held: Staged::default(),
        fatal: None,
        stopped: false,
        guard_tripped: false,
        progress,
    };

    // Mappings find other pipelines' ids (`link`) in a snapshot of the state.
    let links = Rc::new(StateLinks::new(state.map(State::reader).transpose()?));
    let (done_units, failed_units) = with_links(links, || -> Result<_, EngineError> {
        // Records whose write failed in earlier runs go first.
        if let Some(store) = state.filter(|_| from_source) {
            for failed in store.failed(name)? {
                walk.retry(failed);
            }
            walk.write_pending();
        }

        // Read every unit; a unit that fails is reported and the others go on.
        let units = match source.as_mut() {
            Some(source) => source.units().map_err(EngineError::Setup)?,
            None => Vec::new(),
        };
        let mut done_units = Vec::new();
        let mut failed_units = Vec::new();
        for unit in units {
            let Some(source) = source.as_mut() else { break };
            let mut unit_error = None;
            source.read(&unit, &mut |item| walk.item(item, &mut unit_error));
            match unit_error {
                Some(message) => failed_units.push((unit, message)),
                None => done_units.push(unit),
            }
            if walk.fatal.is_some() || walk.stopped {
                break;
            }
        }
        // Or take the records handed over, in order.
        let mut no_unit_error = None;
        for record in given {
            if walk.item(Item::Record(record), &mut no_unit_error) == Flow::Stop {
                break;
            }
        }
        Ok((done_units, failed_units))
    })?;
    for (unit, message) in &failed_units {
        // Read errors name the file already.
        let message = if message.contains(&unit.name) {
            message.clone()
        } else {
            format!("{}: {message}", unit.name)
        };
        walk.problem(None, ProblemKind::Error, message);
    }
    walk.write_pending();
    let read_complete = failed_units.is_empty() && !walk.stopped && walk.fatal.is_none();
    walk.flush();

    // Deletes: full mode, propagate, complete read, within the guard.
    if pipeline.sync.mode == SyncMode::Full
        && pipeline.sync.deletes == Deletes::Propagate
        && read_complete
        && from_source
    {
        walk.commit_held();
        walk.deletes(pipeline.sync.max_delete_fraction.get())?;
    }

    // Let the destination finish, then move the cursor and touch the source files.
    walk.finish_destination();
    if walk.fatal.is_none() && read_complete && walk.counts.failed == 0 {
        walk.batch.cursor = walk.new_cursor.take();
    }
    // The run's last commit. When no source file waits for it to be on the disk, the
    // report's commit right after it (durable) takes it there: one fsync less.
    walk.flush_with(file_source.is_none());
    if let (Some(config), false) = (file_source, options.dry_run) {
        if walk.fatal.is_none() {
            let mut touched = Vec::new();
            for unit in &done_units {
                if let Err(message) = after_read(config, &base, unit) {
                    touched.push(message);
                }
            }
            for message in touched {
                walk.problem(None, ProblemKind::Error, message);
            }
        }
        if let Some(dir) = &config.reject_dir {
            for (unit, _) in &failed_units {
                if let Err(message) = move_into(&base.join(dir), &unit.path) {
                    walk.problem(None, ProblemKind::Error, message);
                }
            }
        }
    }

    let fatal = walk.fatal.take();
    if let Some(message) = &fatal {
        walk.problem(None, ProblemKind::Error, message.clone());
    }
    let counts = walk.counts;
    let status = if fatal.is_some() {
        RunStatus::Failed
    } else if counts.failed > 0 || !failed_units.is_empty() || walk.guard_tripped {
        if walk.guard_tripped {
            RunStatus::Failed
        } else {
            RunStatus::Partial
        }
    } else {
        RunStatus::Succeeded
    };
    let report = Report {
        pipeline: name.to_string(),
        run_id,
        trigger: options.trigger,
        mode: mode_name(pipeline.sync.mode).to_string(),
        dry_run: options.dry_run,
        status,
        started_at,
        finished_at: Utc::now(),
        counts,
        retries_succeeded: walk.retries_succeeded,
        problems: std::mem::take(&mut walk.problems),
        sides: None,
    };
    let preview = options.dry_run.then(|| std::mem::take(&mut walk.preview));
    drop(walk);
    if let Some(state) = live {
        state.finish_run(&report, options.keep_reports)?;
    }
    Ok(RunResult { report, preview })
}

fn mode_name(mode: SyncMode) -> &'static str {
    match mode {
        SyncMode::Full => "full",
        SyncMode::Incremental => "incremental",
        SyncMode::TwoWay => "two_way",
    }
}

/// The state of a run while records flow through it.
struct Walk<'r> {
    name: &'r str,
    ahead: &'r Ahead<'r>,
    prepared: &'r Prepared,
    options: &'r RunOptions,
    /// What the state knew of the pipeline's records when the run began.
    known: Option<&'r PipelineRecords<'r>>,
    /// The state store, except in a dry run.
    state: Option<&'r State>,
    /// The state store for reading, in a dry run too (when there is one).
    store: Option<&'r State>,
    destination: Option<Box<dyn Destination>>,
    /// Writes decided on and not yet handed to the destination.
    pending: Vec<Pending>,
    /// How many writes the destination takes at once.
    window: usize,
    /// How many record changes close a batch (`BATCH` or `STAGED_BATCH`).
    batch_size: usize,
    id_path: &'r str,
    saved_cursor: Option<&'r str>,
    new_cursor: Option<String>,
    seq: u64,
    /// Hashes of the source ids seen in this run.
    seen: IdHashSet,
    counts: Counts,
    /// Failed records of earlier runs being retried: attempts so far and the first
    /// failure, by source id.
    retrying: HashMap<String, (u32, DateTime<Utc>)>,
    /// Fingerprints of the raw records retried in this run, by id hash: the same
    /// record read again from the source is not processed twice.
    retried: IdHashMap<[u8; 16]>,
    retries_succeeded: u64,
    problems: Vec<Problem>,
    preview: Preview,
    batch: Commit,
    /// Commits were made without an fsync (for a staged destination) and no durable
    /// commit followed yet.
    unsynced: bool,
    /// A staged destination's batches not committed yet.
    held: Staged,
    /// What stopped the run, if something did.
    fatal: Option<String>,
    /// `--limit` reached.
    stopped: bool,
    guard_tripped: bool,
    progress: &'r dyn Progress,
}

impl Walk<'_> {
    /// Takes one item of the source.
    fn item(&mut self, item: Item, unit_error: &mut Option<String>) -> Flow {
        match item {
            Item::Record(record) => self.record(Raw::Value(record), Origin::Source),
            Item::Doc(record) => self.record(Raw::Doc(record), Origin::Source),
            Item::Unreadable { location, message } => {
                self.counts.received += 1;
                self.counts.invalid += 1;
                self.reject(None, format!("{location}: {message}"));
            }
            Item::UnitFailed { message } => *unit_error = Some(message),
        }
        self.after_item()
    }

    /// After each item: progress now and then, and whether to read on.
    fn after_item(&mut self) -> Flow {
        if self.counts.received.is_multiple_of(1_000) {
            self.progress.update(&self.counts);
        }
        if self.fatal.is_some() {
            return Flow::Stop;
        }
        if self
            .options
            .limit
            .is_some_and(|limit| self.counts.received >= limit)
        {
            self.stopped = true;
            return Flow::Stop;
        }
        Flow::Continue
    }

    /// Retries a record whose write failed in an earlier run. Whatever happens to it
    /// now other than another failed write settles its entry.
    fn retry(&mut self, failed: FailedRecord) {
        self.retrying.insert(
            failed.source_id.clone(),
            (failed.attempts, failed.first_failed_at),
        );
        self.batch.resolved.push(failed.source_id);
        self.record(Raw::Value(failed.record), Origin::Retry);
    }

    /// One source record, from id to state.
    fn record(&mut self, raw: Raw, origin: Origin) {
        let ready = self.ahead.ready(raw, origin == Origin::Source);
        self.decide(ready, origin);
    }

    fn decide(&mut self, ready: Ready, origin: Origin) {
        let Ready {
            raw,
            cursor: cursor_text,
            id,
            verdict,
        } = ready;
        // Incremental: only records past the saved cursor count as read.
        if origin == Origin::Source
            && let Some(value) = cursor_text
        {
            if !cursor::is_past(&value, self.saved_cursor) {
                return;
            }
            self.new_cursor = Some(cursor::max(self.new_cursor.take(), value));
        }
        self.counts.received += 1;
        let Some((id, hash)) = id else {
            self.counts.invalid += 1;
            self.reject(None, format!("the record has no id (`{}`)", self.id_path));
            return;
        };
        if origin == Origin::Retry {
            self.retried.insert(hash, raw.fingerprint());
        } else if !self.retried.is_empty()
            && self
                .retried
                .get(&hash)
                .is_some_and(|print| *print == raw.fingerprint())
        {
            // Retried at the start of this run as it is: already counted and written.
            self.counts.received -= 1;
            self.seen.insert(hash);
            return;
        }
        if origin == Origin::Source && !self.seen.insert(hash) {
            self.counts.duplicates += 1;
            let message =
                format!("id `{id}` was already seen in this run; this record is not written");
            self.preview.duplicates.push(Rejected {
                source_id: Some(id.clone()),
                message: message.clone(),
            });
            self.problem(Some(id), ProblemKind::Duplicate, message);
            return;
        }
        let (mapped, print, json) = match verdict {
            Some(Verdict::Mapped {
                mapped,
                print,
                json,
            }) => (mapped, print, json),
            Some(Verdict::NotWhen) => {
                self.counts.skipped += 1;
                self.problem(
                    Some(id),
                    ProblemKind::Skipped,
                    "`when` is false".to_string(),
                );
                return;
            }
            Some(Verdict::WhenFailed(message)) => {
                self.counts.invalid += 1;
                self.reject(Some(id), format!("`when`: {message}"));
                return;
            }
            Some(Verdict::Skipped(reason)) => {
                self.counts.skipped += 1;
                self.problem(Some(id), ProblemKind::Skipped, reason);
                return;
            }
            Some(Verdict::Invalid(problems)) => {
                self.counts.invalid += 1;
                self.reject(Some(id), problems);
                return;
            }
            // Not past the cursor (returned above) or no id: cannot happen.
            None => return,
        };
        let known = match self.known.map(|r| r.record(&id)).transpose() {
            Ok(known) => known.flatten(),
            Err(e) => {
                self.fatal = Some(e.to_string());
                return;
            }
        };
        // A state of an older build holds another fingerprint of the same record (see
        // `identity::legacy_fingerprint`): the record is unchanged, and its state takes
        // the fingerprint of now.
        let refresh = known.as_ref().is_some_and(|k| {
            k.fingerprint != print
                && legacy_fingerprint(&mapped, json.as_deref()) == Some(k.fingerprint)
        });
        let change = match &known {
            None => Change::Create { record: &mapped },
            Some(k) if k.fingerprint == print || refresh => Change::Unchanged { record: &mapped },
            Some(k) => Change::Update {
                dest_id: k.dest_id.as_deref(),
                record: &mapped,
            },
        };
        let kind = match change {
            Change::Create { .. } => "create",
            Change::Update { .. } => "update",
            _ => "unchanged",
        };
        if self.options.dry_run {
            self.count(kind);
            if self.preview.samples.len() < self.options.samples {
                self.preview.samples.push(Sample {
                    source_id: id,
                    change: kind,
                    raw: raw.into_value(),
                    mapped: mapped.clone(),
                });
            }
            return;
        }
        if self.destination.is_none() {
            return;
        }
        self.pending.push(Pending {
            id,
            kind,
            dest_id: known.and_then(|k| k.dest_id),
            mapped,
            json,
            print,
            refresh,
            raw,
        });
        if self.pending.len() >= self.window {
            self.write_pending();
        }
    }

    /// Hands the pending writes to the destination and books each result: a write the
    /// destination took goes into the next state commit, a failed one is kept for a
    /// retry.
    fn write_pending(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        // The window's vector goes back into `self.pending` afterwards, to be filled again.
        let mut pending = std::mem::take(&mut self.pending);
        let Some(destination) = self.destination.as_deref_mut() else {
            return;
        };
        let writes: Vec<Write<'_>> = pending
            .iter()
            .map(|p| Write {
                source_id: &p.id,
                change: match p.kind {
                    "create" => Change::Create { record: &p.mapped },
                    "update" => Change::Update {
                        dest_id: p.dest_id.as_deref(),
                        record: &p.mapped,
                    },
                    _ => Change::Unchanged { record: &p.mapped },
                },
                json: p.json.as_deref(),
            })
            .collect();
        let mut results = destination.apply(&writes);
        drop(writes);
        results.resize_with(pending.len(), || {
            Err(WriteFailure {
                message: "the destination gave no answer for this record".to_string(),
            })
        });
        for (write, result) in pending.iter_mut().zip(results) {
            self.book(write, result);
        }
        pending.clear();
        self.pending = pending;
        if self.batch.records.len() + self.batch.seen.len() >= self.batch_size {
            self.flush();
        }
    }

    /// Books the destination's answer for one write.
    /// Books the destination's answer for one write. What `write` still holds
    /// afterwards (the records) is freed by the caller.
    fn book(&mut self, write: &mut Pending, result: WriteResult) {
        let id = std::mem::take(&mut write.id);
        let kind = write.kind;
        let known_dest_id = write.dest_id.take();
        let print = write.print;
        match result {
            Ok(dest_id) => {
                self.count(kind);
                if !self.retrying.is_empty() && self.retrying.remove(&id).is_some() {
                    self.retries_succeeded += 1;
                }
                if kind != "unchanged" || write.refresh {
                    // Only an id that failed before (retried at the start of this run)
                    // or earlier in this run can be waiting for a retry.
                    if !self.retried.is_empty() || self.counts.failed > 0 {
                        self.batch.resolved.push(id.clone());
                    }
                    self.batch.records.push((
                        id,
                        RecordState {
                            dest_id: dest_id.or(known_dest_id),
                            fingerprint: print,
                            last_seen_run: self.seq,
                        },
                    ));
                }
            }
            Err(failure) => {
                self.counts.failed += 1;
                let now = Utc::now();
                let (attempts, first_failed_at) = self.retrying.remove(&id).unwrap_or((0, now));
                self.batch.resolved.retain(|resolved| *resolved != id);
                self.batch.failed.push(FailedRecord {
                    source_id: id.clone(),
                    record: std::mem::take(&mut write.raw).into_value(),
                    error: failure.message.clone(),
                    attempts: attempts + 1,
                    first_failed_at,
                    last_failed_at: now,
                });
                self.problem(Some(id), ProblemKind::Failed, failure.message);
            }
        }
    }

    fn count(&mut self, kind: &str) {
        match kind {
            "create" => self.counts.created += 1,
            "update" => self.counts.updated += 1,
            _ => self.counts.unchanged += 1,
        }
    }

    /// An invalid record: reported, and listed in a preview.
    fn reject(&mut self, id: Option<String>, message: String) {
        self.preview.invalid.push(Rejected {
            source_id: id.clone(),
            message: message.clone(),
        });
        self.problem(id, ProblemKind::Invalid, message);
    }

    fn problem(&mut self, source_id: Option<String>, kind: ProblemKind, message: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem {
                source_id,
                kind,
                message,
            });
        }
    }

    /// Commits the pending record states (nothing in a dry run). While a staged
    /// destination (a file put in place at the end) is open, without an fsync: a crash
    /// loses these states together with the writes they stand for. The first durable
    /// commit after its `finish` (the run's last, or its report's when no source file
    /// waits for the state) takes the earlier ones to the disk with it.
    fn flush(&mut self) {
        self.flush_with(false);
    }

    /// [`flush`](Self::flush); `then_durable`: a durable commit follows at once (the
    /// run's report), so this one need not wait for the disk, nor be made at all to
    /// take earlier commits there.
    fn flush_with(&mut self, then_durable: bool) {
        let Some(state) = self.state else { return };
        let staged = self.destination.as_ref().is_some_and(|d| d.staged());
        let batch = &self.batch;
        let empty = batch.records.is_empty()
            && batch.seen.is_empty()
            && batch.deleted.is_empty()
            && batch.failed.is_empty()
            && batch.resolved.is_empty()
            && batch.cursor.is_none();
        if empty && (staged || !self.unsynced || then_durable) {
            return;
        }
        if staged {
            // Nothing of a staged destination's run is visible before it finishes: its
            // batches are held back and committed together, folded at once. The batch's
            // vectors are filled again.
            self.unsynced = true;
            self.held.take(&mut self.batch);
            if self.held.changes() >= HOLD_AT {
                self.commit_held();
            }
            return;
        }
        let batch = std::mem::replace(&mut self.batch, new_batch(self.seq, self.batch_size));
        self.unsynced = then_durable;
        let committed = if then_durable {
            state.commit_unsynced(self.name, &batch)
        } else {
            state.commit(self.name, &batch)
        };
        if let Err(e) = committed {
            self.fatal.get_or_insert(e.to_string());
        }
    }

    /// Commits the batches held back for a staged destination (without an fsync: the
    /// first durable commit after the destination finished takes them to the disk).
    fn commit_held(&mut self) {
        let Some(state) = self.state else { return };
        if self.held.is_empty() {
            return;
        }
        let held = std::mem::take(&mut self.held);
        if let Err(e) = state.commit_staged(self.name, &held) {
            self.fatal.get_or_insert(e.to_string());
        }
    }

    /// Lets the destination finish and commits the batches held back for it: they are
    /// folded while the destination finishes on a thread of its own (a file is synced
    /// meanwhile) and kept only if it finished — a file not put in place leaves nothing
    /// of them in the state. The commit is not durable: the next durable one, after
    /// the destination finished, takes it to the disk.
    fn finish_destination(&mut self) {
        let Some(destination) = self.destination.take() else {
            self.commit_held();
            return;
        };
        // Taken once: by the finishing thread, or here when no thread can be started.
        let finishing = Mutex::new(Some(destination.finishing()));
        let finish = || {
            let finishing = finishing.lock().ok().and_then(|mut f| f.take());
            finishing.map_or(Ok(()), |finishing| finishing())
        };
        let held = std::mem::take(&mut self.held);
        let (finished, committed) = std::thread::scope(|scope| {
            let mut finisher = std::thread::Builder::new()
                .name("sluice-finish".to_string())
                .spawn_scoped(scope, finish)
                .ok();
            // The destination's outcome (the first call waits for it).
            let mut wait = || match finisher.take() {
                Some(finisher) => finisher
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                None => finish(),
            };
            let mut finished = Ok(());
            let committed = match self.state.filter(|_| !held.is_empty()) {
                Some(state) => state.commit_staged_if(self.name, &held, || {
                    finished = wait();
                    finished.is_ok()
                }),
                None => Ok(false),
            };
            // Unless the commit asked for it (it had nothing to fold, or failed first),
            // the destination's outcome is still to be taken.
            if finished.is_ok() {
                finished = wait();
            }
            (finished, committed)
        });
        if let Err(failure) = finished {
            self.fatal.get_or_insert(failure.message);
        }
        if let Err(e) = committed {
            self.fatal.get_or_insert(e.to_string());
        }
    }

    /// Deletes what the source no longer has, within `max_fraction` of the known
    /// records unless mass deletes are allowed.
    fn deletes(&mut self, max_fraction: f64) -> Result<(), EngineError> {
        let Some(state) = self.state else {
            return self.preview_deletes();
        };
        let seen = &self.seen;
        let gone = state.missing(self.name, |id| seen.contains(&id_hash(id)))?;
        if gone.is_empty() {
            return Ok(());
        }
        let known = state.record_count(self.name)?;
        if !self.within_guard(gone.len() as u64, known, max_fraction) {
            return Ok(());
        }
        for chunk in gone.chunks(self.window) {
            let Some(destination) = self.destination.as_deref_mut() else {
                break;
            };
            let writes: Vec<Write<'_>> = chunk
                .iter()
                .map(|(id, record)| Write {
                    source_id: id,
                    change: Change::Delete {
                        dest_id: record.dest_id.as_deref(),
                    },
                    json: None,
                })
                .collect();
            let results = destination.apply(&writes);
            for ((id, _), result) in chunk.iter().zip(results) {
                match result {
                    Ok(_) => {
                        self.counts.deleted += 1;
                        self.problem(
                            Some(id.clone()),
                            ProblemKind::Deleted,
                            "not in the source any more".to_string(),
                        );
                        self.batch.deleted.push(id.clone());
                    }
                    Err(failure) => {
                        self.problem(
                            Some(id.clone()),
                            ProblemKind::Failed,
                            format!("delete: {}", failure.message),
                        );
                    }
                }
            }
        }
        self.flush();
        Ok(())
    }

    /// A dry run's deletes: known records whose ids this run did not see.
    fn preview_deletes(&mut self) -> Result<(), EngineError> {
        let Some(store) = self.store else {
            return Ok(());
        };
        let total = store.record_count(self.name)?;
        let seen = &self.seen;
        let gone: Vec<String> = store
            .missing(self.name, |id| seen.contains(&id_hash(id)))?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let fraction = self.prepared.pipeline.sync.max_delete_fraction.get();
        if gone.is_empty() || !self.within_guard(gone.len() as u64, total, fraction) {
            return Ok(());
        }
        self.counts.deleted = gone.len() as u64;
        self.preview.deletes = gone;
        Ok(())
    }

    /// Whether deleting `count` of `known` records stays within the guard; if not,
    /// the run reports why.
    fn within_guard(&mut self, count: u64, known: u64, max_fraction: f64) -> bool {
        if self.options.allow_mass_delete || (count as f64) <= max_fraction * known as f64 {
            return true;
        }
        self.guard_tripped = true;
        self.problem(
            None,
            ProblemKind::Error,
            format!(
                "{count} of {known} known records are gone from the source, more than \
                 max_delete_fraction ({max_fraction}) allows: nothing was deleted (run with \
                 --allow-mass-delete if this is right)"
            ),
        );
        false
    }
}

/// Deletes or moves a source file whose records were all written.
fn after_read(config: &FileSource, base: &Path, unit: &Unit) -> Result<(), String> {
    match &config.after_read {
        AfterRead::Keep => Ok(()),
        AfterRead::Delete => std::fs::remove_file(&unit.path)
            .map_err(|e| format!("cannot delete `{}`: {e}", unit.name)),
        AfterRead::Move(_) => match config.move_dir() {
            Some(dir) => move_into(&base.join(dir), &unit.path),
            None => Ok(()),
        },
    }
}

/// Moves a file into a folder (created when missing).
fn move_into(dir: &Path, file: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    let Some(name) = file.file_name() else {
        return Err(format!("`{}` has no file name", file.display()));
    };
    std::fs::rename(file, dir.join(name)).map_err(|e| {
        format!(
            "cannot move `{}` to `{}`: {e}",
            file.display(),
            dir.display()
        )
    })
}

/// An empty batch of record states for run `seq`, with room for the `size` written
/// records it is closed at (grown one push at a time, its vector would be copied a dozen
/// times per batch).
fn new_batch(seq: u64, size: usize) -> Commit {
    Commit {
        seen_run: seq,
        records: Vec::with_capacity(size),
        ..Commit::default()
    }
}

/// A write decided on for one record, waiting for its window to be handed over.
struct Pending {
    id: String,
    /// `create`, `update` or `unchanged`.
    kind: &'static str,
    /// The destination id state knows for the record.
    dest_id: Option<String>,
    mapped: Value,
    /// `mapped` as compact JSON text, for a destination that takes it.
    json: Option<Vec<u8>>,
    print: [u8; 16],
    /// An unchanged record whose state holds an older build's fingerprint: `print`
    /// replaces it.
    refresh: bool,
    /// Kept for a retry if the write fails.
    raw: Raw,
}

/// Where a record comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// Read from the source in this run.
    Source,
    /// A failed record of an earlier run, retried first.
    Retry,
}
