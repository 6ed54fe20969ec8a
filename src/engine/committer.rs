//! A run's record states committed on a thread of their own, for a staged destination
//! (a file put in place at the end of the run): there the commits need no fsync (see
//! `Destination::staged`), so nothing has to wait for them, and the engine's thread
//! goes on mapping while this one appends the batches to the state journal, folds it
//! into the records table now and then (rather than all at the end of the run) and
//! frees the records of the batch (allocated on other threads, costly to free).
//!
//! A fold copies every page of the records table it touches, so folding often would
//! copy a big table many times: the journal is folded once it holds [`FOLD_EVERY`]
//! changes and at least as many as all earlier folds of the run together, so the
//! folds double in size and copy the table a few times at most.
//!
//! Commits keep their order. The engine drains the committer before anything else
//! touches the state (deletes, the durable commit after the destination's `finish`),
//! and a failed commit stops the run as one on the engine's thread would.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use serde_json::Value;

use crate::state::{Commit, State};

/// The journal is folded once it holds this many changes (and as many as were folded).
const FOLD_EVERY: u64 = 20_000;
/// Batches that may wait for the thread; the engine blocks beyond that.
const QUEUE: usize = 2;

/// One batch for the thread: the commit (if any), and values to free.
struct Job {
    commit: Option<Commit>,
    garbage: Vec<Value>,
}

/// The committing thread of one run.
pub(super) struct Committer {
    jobs: Option<SyncSender<Job>>,
    thread: Option<JoinHandle<()>>,
    /// The first commit that failed; nothing is committed after it.
    failure: Arc<Mutex<Option<String>>>,
}

impl Committer {
    /// Starts the thread committing `pipeline`'s batches to `state`; `None` when no
    /// thread can be had (the engine then commits on its own thread).
    pub(super) fn start(state: &State, pipeline: &str) -> Option<Committer> {
        let (jobs, received) = sync_channel(QUEUE);
        let failure = Arc::new(Mutex::new(None));
        let thread = {
            let (state, pipeline, failure) =
                (state.clone(), pipeline.to_string(), Arc::clone(&failure));
            std::thread::Builder::new()
                .name("sluice-state".to_string())
                .spawn(move || commit_all(&state, &pipeline, &received, &failure))
                .ok()?
        };
        Some(Committer {
            jobs: Some(jobs),
            thread: Some(thread),
            failure,
        })
    }

    /// Hands over a batch (or none) and values to free. `Err` with the message of a
    /// commit that failed earlier.
    pub(super) fn send(
        &mut self,
        commit: Option<Commit>,
        garbage: Vec<Value>,
    ) -> Result<(), String> {
        self.failed()?;
        let sent = self
            .jobs
            .as_ref()
            .is_some_and(|jobs| jobs.send(Job { commit, garbage }).is_ok());
        if !sent {
            self.finish()?;
            return Err("the state committer stopped unexpectedly".to_string());
        }
        Ok(())
    }

    /// Waits until every batch handed over is committed; `Err` with the first failure.
    pub(super) fn finish(&mut self) -> Result<(), String> {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            self.failure
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get_or_insert_with(|| "the state committer stopped unexpectedly".to_string());
        }
        self.failed()
    }

    fn failed(&self) -> Result<(), String> {
        match &*self.failure.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(message) => Err(message.clone()),
            None => Ok(()),
        }
    }
}

impl Drop for Committer {
    /// No commit of the run may land after the engine moved on.
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

/// The thread: commits each batch without an fsync, folds the journal now and then.
fn commit_all(
    state: &State,
    pipeline: &str,
    jobs: &Receiver<Job>,
    failure: &Mutex<Option<String>>,
) {
    let (mut since_fold, mut folded) = (0u64, 0u64);
    for Job { commit, garbage } in jobs {
        drop(garbage);
        let Some(commit) = commit else { continue };
        if failure.lock().unwrap_or_else(|e| e.into_inner()).is_some() {
            continue;
        }
        since_fold += (commit.records.len() + commit.seen.len() + commit.deleted.len()) as u64;
        let mut result = state.commit_unsynced(pipeline, &commit);
        drop(commit);
        if result.is_ok() && since_fold >= FOLD_EVERY.max(folded) {
            folded += since_fold;
            since_fold = 0;
            result = state.fold_unsynced(pipeline, 1);
        }
        if let Err(e) = result {
            failure
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get_or_insert(e.to_string());
        }
    }
}
