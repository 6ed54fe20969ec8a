//! Applying webhooks: one worker task per pipeline takes the events of its inbox in
//! arrival order and applies them with `engine::apply_records` — each record as one
//! source record of a run — then removes them from the inbox. Removal comes after
//! `apply_records` returned, so after the records' state was committed: a crash in
//! between applies them again at start-up, and the state's fingerprints make that
//! second pass write nothing new. So the run's commits need not wait for the disk
//! (`State::deferred`); the removal is durable and takes them to the disk with it,
//! one fsync a run instead of one a commit — fsyncs that hold the state's write lock,
//! which the inbox writer needs for every call it stores.
//!
//! A worker holds the pipeline's run lock while it applies, so webhook runs and
//! scheduled runs of one pipeline take turns on the same state. Events naming a record
//! already in the batch start a new batch, so a later change of a record is never
//! taken for a duplicate of an earlier one. An id-only notification is resolved with
//! the `fetch` URL first; when that fails the event stays in the inbox and is tried
//! again later (the inbox waits rather than lose it).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::Value;
use tokio::sync::Notify;

use super::{Event, Shared, alert};
use crate::catalog::Prepared;
use crate::engine::{self, connect, identity};
use crate::http::HttpSourceReader;
use crate::pipeline;
use crate::report::{Report, Trigger};
use crate::state::{InboxEvent, State};

/// How many inbox events are read at once: at most one run's batch. Large, so that
/// under a stream of webhooks the write transactions of applying them (run, records,
/// report, inbox) stay few, and the inbox writer rarely waits for the write lock.
const READ: usize = 5_000;
/// How often a worker forgets the delivery keys past their time.
const FORGET: Duration = Duration::from_secs(60);
/// How long a worker waits before trying again after a failure (unless woken).
const RETRY: Duration = Duration::from_secs(5);
/// The least time between two passes over an inbox that calls keep filling: the
/// events that come meanwhile are applied together, as one run, rather than in many
/// small runs whose fixed costs (a run's transactions and fsyncs, its report) would
/// take the CPU the ingest path needs. A call to an idle worker is applied at once.
const PAUSE: Duration = Duration::from_millis(100);

/// Wakes `pipeline`'s worker, starting it when it is not running.
pub(super) fn wake(shared: &Arc<Shared>, pipeline: &str) {
    let mut workers = shared.workers.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(wake) = workers.get(pipeline) {
        wake.notify_one();
        return;
    }
    let wake = Arc::new(Notify::new());
    wake.notify_one();
    workers.insert(pipeline.to_string(), wake.clone());
    tokio::spawn(work(shared.clone(), pipeline.to_string(), wake));
}

/// What one pass over the inbox ended with.
enum Pass {
    /// The inbox is empty.
    Empty,
    /// Something failed; the events left are tried again later.
    Failed(String),
    /// The pipeline is no longer loaded; its events wait for it.
    Gone,
}

async fn work(shared: Arc<Shared>, pipeline: String, wake: Arc<Notify>) {
    let mut forgot: Option<Instant> = None;
    loop {
        wake.notified().await;
        match drain(&shared, &pipeline, &mut forgot).await {
            Pass::Empty => tokio::time::sleep(PAUSE).await,
            Pass::Failed(error) => {
                shared.emit(&Event::Failed {
                    pipeline: pipeline.clone(),
                    trigger: Trigger::Webhook,
                    error: format!("{error}; the webhook events wait in the inbox"),
                });
                let again = wake.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(RETRY).await;
                    again.notify_one();
                });
            }
            Pass::Gone => {
                let mut workers = shared.workers.lock().unwrap_or_else(|p| p.into_inner());
                workers.remove(&pipeline);
                return;
            }
        }
    }
}

/// Applies the inbox until it is empty or something fails; forgets old delivery keys
/// when [`FORGET`] has passed since `forgot`.
async fn drain(shared: &Arc<Shared>, pipeline: &str, forgot: &mut Option<Instant>) -> Pass {
    loop {
        let forget = forgot.is_none_or(|at| at.elapsed() >= FORGET);
        if forget {
            *forgot = Some(Instant::now());
        }
        let Some(prepared) = shared.prepared(pipeline) else {
            return Pass::Gone;
        };
        let notify = prepared.pipeline.notify.clone();
        let lock = shared.run_lock(pipeline);
        let _turn = lock.lock().await;
        let state = shared.state.as_ref().clone();
        let name = pipeline.to_string();
        let joined = tokio::task::spawn_blocking(move || {
            let mut applied = apply_some(&prepared, &state, &name);
            if forget && let Err(e) = state.forget_deliveries(&name, Utc::now()) {
                applied.error.get_or_insert(e.to_string());
            }
            applied
        })
        .await;
        let applied = match joined {
            Ok(applied) => applied,
            Err(e) => return Pass::Failed(format!("applying webhooks stopped abnormally: {e}")),
        };
        for report in applied.reports {
            alert::report(shared, notify.as_ref(), &report);
            shared.emit(&Event::Finished(Box::new(report)));
        }
        if let Some(error) = applied.error {
            return Pass::Failed(error);
        }
        if !applied.more {
            return Pass::Empty;
        }
    }
}

/// What [`apply_some`] did.
struct Applied {
    /// One per run.
    reports: Vec<Report>,
    /// The inbox may hold more events.
    more: bool,
    /// What stopped it early.
    error: Option<String>,
}

/// Applies up to [`READ`] inbox events, in order, in runs of records with distinct ids.
fn apply_some(prepared: &Prepared, state: &State, pipeline: &str) -> Applied {
    let mut applied = Applied {
        reports: Vec::new(),
        more: false,
        error: None,
    };
    let events = match state.inbox(pipeline, READ) {
        Ok(events) => events,
        Err(e) => {
            applied.error = Some(e.to_string());
            return applied;
        }
    };
    applied.more = events.len() == READ;
    let id_path = connect::id_path(&prepared.pipeline);
    let mut fetcher = None;
    let mut batch = Batch::default();
    for (seq, event) in events {
        let record = match resolve(prepared, state, &mut fetcher, event) {
            Ok(record) => record,
            Err(error) => {
                applied.error = Some(error);
                break;
            }
        };
        let id = identity::source_id(&record, id_path);
        if let Some(id) = &id
            && batch.ids.contains(id)
            && let Err(error) = batch.apply(prepared, state, pipeline, &mut applied)
        {
            applied.error = Some(error);
            return applied;
        }
        batch.ids.extend(id);
        batch.records.push(record);
        batch.seqs.push(seq);
    }
    if let Err(error) = batch.apply(prepared, state, pipeline, &mut applied) {
        applied.error.get_or_insert(error);
    }
    applied
}

/// Records waiting to be applied in one run, and their inbox entries.
#[derive(Default)]
struct Batch {
    records: Vec<Value>,
    seqs: Vec<u64>,
    ids: HashSet<String>,
}

impl Batch {
    /// Applies the batch as one run, then removes its events from the inbox.
    fn apply(
        &mut self,
        prepared: &Prepared,
        state: &State,
        pipeline: &str,
        applied: &mut Applied,
    ) -> Result<(), String> {
        if self.records.is_empty() {
            return Ok(());
        }
        let records = std::mem::take(&mut self.records);
        // The run's own commits skip the fsync: removing its events from the inbox
        // below is durable and takes them to the disk; lost in a crash before, they
        // are applied again from the inbox.
        let result = engine::apply_records(prepared, &state.deferred(), records, Trigger::Webhook)
            .map_err(|e| {
                let _ = state.persist();
                e.to_string()
            })?;
        applied.reports.push(result.report);
        let seqs = std::mem::take(&mut self.seqs);
        self.ids.clear();
        state.inbox_done(pipeline, &seqs).map_err(|e| e.to_string())
    }
}

/// The record an event delivers: its body, or with `fetch` the record its id names.
fn resolve(
    prepared: &Prepared,
    state: &State,
    fetcher: &mut Option<HttpSourceReader>,
    event: InboxEvent,
) -> Result<Value, String> {
    let Some(hook) = prepared.pipeline.webhook.as_ref() else {
        return Ok(event.body.unwrap_or(Value::Null));
    };
    if hook.fetch.is_none() {
        return Ok(event.body.unwrap_or(Value::Null));
    }
    let id_path = hook
        .id
        .as_deref()
        .unwrap_or_else(|| connect::id_path(&prepared.pipeline));
    let id = match (&event.id, &event.body) {
        (Some(id), _) => id.clone(),
        (None, Some(body)) => match identity::source_id(body, id_path) {
            Some(id) => id,
            // Nothing to fetch: the record goes on as it came, and is reported
            // invalid for lacking an id.
            None => return Ok(body.clone()),
        },
        (None, None) => return Ok(Value::Null),
    };
    if fetcher.is_none() {
        *fetcher = Some(open_fetcher(prepared, state)?);
    }
    let Some(reader) = fetcher.as_ref() else {
        return Err("no fetcher".into());
    };
    reader
        .fetch_record(&id)
        .map_err(|e| format!("cannot fetch record `{id}` for a webhook: {e}"))
}

/// The source's HTTP reader with the webhook's `fetch` URL.
fn open_fetcher(prepared: &Prepared, state: &State) -> Result<HttpSourceReader, String> {
    let pipeline = &prepared.pipeline;
    let Some(pipeline::Source::Http(config)) = &pipeline.source else {
        return Err("`[webhook] fetch` needs an HTTP source (for its auth)".into());
    };
    let mut config = config.clone();
    if let Some(fetch) = pipeline.webhook.as_ref().and_then(|h| h.fetch.clone()) {
        config.fetch = Some(fetch);
    }
    let base = pipeline.folder();
    let cx = connect::Context {
        base,
        started_at: Utc::now(),
        zone: chrono_tz::Tz::UTC,
        state: Some(state),
        cursor: None,
    };
    connect::open_http_source(prepared, &config, &cx)
}
