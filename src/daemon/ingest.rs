//! Group commit of webhook calls: every accepted call must be stored durably before it
//! is answered, and one durable commit (an fsync) per call would cap the daemon at a
//! few hundred calls a second. So the handlers hand their calls to one writer task and
//! wait; the writer takes whatever calls are waiting (up to [`BATCH`]), stores them
//! in one transaction committed durably (`State::receive_all`), and only then answers
//! each of them. Calls that come while a commit is going on make up the next batch, so
//! under load a batch grows until the commit time is shared by many calls, and a lone
//! call is committed at once, alone.
//!
//! A call whose handler gave up meanwhile (the client went away) is still stored and
//! applied: like before, an event may be stored without being acknowledged, never
//! acknowledged without being stored.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::state::{Incoming, Received, State};

/// The most calls one transaction stores.
const BATCH: usize = 1024;
/// How many calls may wait for the writer before handlers wait to hand theirs over.
const QUEUE: usize = 16 * BATCH;

/// A call waiting to be stored, and where its outcome goes.
struct Pending {
    call: Incoming,
    reply: oneshot::Sender<Result<Received, String>>,
}

/// The handlers' side of the writer.
#[derive(Clone)]
pub(super) struct Ingest {
    calls: mpsc::Sender<Pending>,
}

/// The writer's side: its queue, until [`Writer::run`] takes it.
pub(super) struct Writer {
    calls: mpsc::Receiver<Pending>,
}

/// A writer and the handle to reach it (no runtime needed yet).
pub(super) fn channel() -> (Ingest, Writer) {
    let (send, calls) = mpsc::channel(QUEUE);
    (Ingest { calls: send }, Writer { calls })
}

impl Ingest {
    /// Stores `call` durably; returns once it is (or is known to be a repeat).
    pub(super) async fn store(&self, call: Incoming) -> Result<Received, String> {
        let (reply, outcome) = oneshot::channel();
        self.calls
            .send(Pending { call, reply })
            .await
            .map_err(|_| "the inbox writer has stopped".to_string())?;
        outcome
            .await
            .map_err(|_| "the inbox writer stopped before storing the event".to_string())?
    }
}

impl Writer {
    /// Stores calls as they come, a batch a transaction, until every [`Ingest`] is gone.
    pub(super) async fn run(mut self, state: Arc<State>) {
        let mut batch = Vec::with_capacity(BATCH);
        while self.calls.recv_many(&mut batch, BATCH).await > 0 {
            let (calls, replies): (Vec<Incoming>, Vec<_>) =
                batch.drain(..).map(|p| (p.call, p.reply)).unzip();
            let state = state.clone();
            let stored = tokio::task::spawn_blocking(move || state.receive_all(&calls)).await;
            match stored {
                Ok(Ok(received)) => {
                    for (reply, received) in replies.into_iter().zip(received) {
                        let _ = reply.send(Ok(received));
                    }
                }
                Ok(Err(e)) => answer_all(replies, &e.to_string()),
                Err(e) => answer_all(replies, &format!("storing stopped abnormally: {e}")),
            }
        }
    }
}

/// Tells every caller of a failed batch that nothing was stored.
fn answer_all(replies: Vec<oneshot::Sender<Result<Received, String>>>, error: &str) {
    for reply in replies {
        let _ = reply.send(Err(error.to_string()));
    }
}
