//! The daemon behind `sluice serve`: runs every pipeline when the [`Planner`] says it
//! is due, one run at a time per pipeline (different pipelines run side by side), and
//! serves a small management API (manual triggers, status). Runs are the engine's
//! blocking `engine::run`, each on a `spawn_blocking` thread; the scheduling loop
//! sleeps until the planner's next wake-up, a trigger, the end of a run or a shutdown.
//!
//! Everything the loop, the runs and the API share sits in [`Shared`]: the prepared
//! pipelines behind a `RwLock` (a reload can swap them), the planner behind a `Mutex`
//! (never held across an `.await`), the state store, the clock, and a `Notify` that
//! wakes the loop. The router is built in one function ([`api::router`]); webhooks
//! are its fallback (`webhooks.rs`), found by path among the loaded pipelines, and
//! are stored by one inbox writer that commits concurrent calls together
//! (`ingest.rs`) and applied by one worker per pipeline (`worker.rs`). A run lock per
//! pipeline makes scheduled runs and webhook runs of one pipeline take turns.

mod alert;
mod api;
mod event;
mod ingest;
mod json_check;
mod reload;
mod runner;
mod webhooks;
mod worker;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use tokio::net::TcpListener;
use tokio::sync::Notify;

pub use api::router;
pub use event::Event;
pub use reload::{Loader, Reloaded};
pub use webhooks::{DELIVERY_HEADER, SIGNATURE_HEADER};

use crate::catalog::Prepared;
use crate::schedule::{Clock, History, Planner, Spec};
use crate::state::{PipelineState, State, StateError};

/// Why the daemon could not start or serve.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The state store could not be read.
    #[error("{0}")]
    State(#[from] StateError),
    /// The management API failed.
    #[error("the management API failed: {0}")]
    Serve(#[from] std::io::Error),
}

/// What the scheduling loop, the runs and the API handlers share.
pub struct Shared {
    /// The runnable pipelines by name.
    pipelines: RwLock<BTreeMap<String, Arc<Prepared>>>,
    /// When each pipeline runs.
    planner: Mutex<Planner>,
    /// The state store every run writes to.
    state: Arc<State>,
    /// Where the time comes from.
    clock: Arc<dyn Clock>,
    /// Wakes the scheduling loop (a trigger, the end of a run).
    wake: Notify,
    /// Set once a shutdown began: no new runs, triggers are refused.
    stopping: AtomicBool,
    /// Where events go.
    log: Box<dyn Fn(&Event) + Send + Sync>,
    /// Held by whatever runs a pipeline (a run, a webhook worker), by pipeline.
    run_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Wakes each pipeline's webhook worker, by pipeline.
    workers: Mutex<HashMap<String, Arc<Notify>>>,
    /// The errors of the last reload (empty once one succeeds), for `GET /status`.
    reload_errors: Mutex<Vec<String>>,
    /// The bearer token the management routes want, if one is set.
    api_token: Option<crate::pipeline::Secret>,
    /// Hands webhook calls to the inbox writer (group commit).
    ingest: ingest::Ingest,
}

impl Shared {
    /// The planner, locked (a poisoned lock still holds consistent data: every
    /// planner method leaves it whole).
    fn planner(&self) -> MutexGuard<'_, Planner> {
        self.planner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn prepared(&self, name: &str) -> Option<Arc<Prepared>> {
        let pipelines = self.pipelines.read().unwrap_or_else(|p| p.into_inner());
        pipelines.get(name).cloned()
    }

    /// The pipeline whose `[webhook] path` is `path`, if one is loaded.
    fn webhook_at(&self, path: &str) -> Option<(String, Arc<Prepared>)> {
        let pipelines = self.pipelines.read().unwrap_or_else(|p| p.into_inner());
        pipelines
            .iter()
            .find(|(_, p)| p.pipeline.webhook.as_ref().is_some_and(|h| h.path == path))
            .map(|(name, p)| (name.clone(), p.clone()))
    }

    /// The lock that whatever runs `pipeline` holds meanwhile.
    fn run_lock(&self, pipeline: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.run_locks.lock().unwrap_or_else(|p| p.into_inner());
        locks.entry(pipeline.to_string()).or_default().clone()
    }

    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    fn emit(&self, event: &Event) {
        (self.log)(event);
    }
}

/// The daemon, ready to serve.
pub struct Daemon {
    shared: Arc<Shared>,
    /// The inbox writer, started by [`Daemon::run`].
    writer: ingest::Writer,
    /// The folder to watch and how to load it again, for hot reload.
    reload: Option<(std::path::PathBuf, Loader)>,
}

impl Daemon {
    /// A daemon for `pipelines`, with their run history read from `state`; events go
    /// to `log`.
    pub fn new(
        pipelines: BTreeMap<String, Prepared>,
        state: State,
        clock: Arc<dyn Clock>,
        log: impl Fn(&Event) + Send + Sync + 'static,
    ) -> Result<Daemon, DaemonError> {
        let mut plans = Vec::new();
        for (name, prepared) in &pipelines {
            let history = history(&state.pipeline(name)?);
            plans.push((name.clone(), Spec::of(&prepared.pipeline), history));
        }
        let planner = Planner::new(plans, clock.now());
        let (ingest, writer) = ingest::channel();
        let pipelines = pipelines
            .into_iter()
            .map(|(name, prepared)| (name, Arc::new(prepared)))
            .collect();
        Ok(Daemon {
            shared: Arc::new(Shared {
                pipelines: RwLock::new(pipelines),
                planner: Mutex::new(planner),
                state: Arc::new(state),
                clock,
                wake: Notify::new(),
                stopping: AtomicBool::new(false),
                log: Box::new(log),
                run_locks: Mutex::new(HashMap::new()),
                workers: Mutex::new(HashMap::new()),
                reload_errors: Mutex::new(Vec::new()),
                api_token: None,
                ingest,
            }),
            writer,
            reload: None,
        })
    }

    /// Makes the management routes want `Authorization: Bearer <token>`.
    pub fn api_token(mut self, token: Option<crate::pipeline::Secret>) -> Daemon {
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            shared.api_token = token;
        }
        self
    }

    /// Reloads the pipelines with `load` whenever a file under `dir` changes.
    pub fn reload_on_change(mut self, dir: &std::path::Path, load: Loader) -> Daemon {
        self.reload = Some((reload::folder_of(dir), load));
        self
    }

    /// Serves the API on `listener` and runs pipelines when due until `shutdown`
    /// completes; then stops scheduling, lets running runs finish and returns.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), DaemonError> {
        let shared = self.shared;
        if let Ok(addr) = listener.local_addr() {
            shared.emit(&Event::Listening(addr));
        }
        // Kept alive while the daemon runs: dropping it stops the watch.
        let _watch = match self.reload {
            Some((dir, load)) => match reload::watch(shared.clone(), &dir, load) {
                Ok(watch) => Some(watch),
                Err(message) => {
                    shared.emit(&Event::Warning(format!("{message}; no hot reload")));
                    None
                }
            },
            None => None,
        };
        tokio::spawn(self.writer.run(shared.state.clone()));
        let (stop_api, api_stopped) = tokio::sync::oneshot::channel::<()>();
        let app = router(shared.clone());
        // Events left in the inbox by the last process are applied first.
        let hooked: Vec<String> = {
            let pipelines = shared.pipelines.read().unwrap_or_else(|p| p.into_inner());
            pipelines
                .iter()
                .filter(|(_, p)| p.pipeline.webhook.is_some())
                .map(|(name, _)| name.clone())
                .collect()
        };
        for name in hooked {
            worker::wake(&shared, &name);
        }
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = api_stopped.await;
                })
                .await
        });
        runner::schedule(shared.clone(), shutdown).await;
        let _ = stop_api.send(());
        let served = server.await;
        shared.emit(&Event::Stopped);
        match served {
            Ok(result) => result.map_err(DaemonError::from),
            Err(join) => Err(DaemonError::Serve(std::io::Error::other(join.to_string()))),
        }
    }
}

/// What the planner needs of a pipeline's stored state.
fn history(state: &PipelineState) -> History {
    History {
        last_started_at: state.last_started_at,
        last_finished_at: state.last_finished_at,
        last_status: state.last_status,
        last_success_at: state.last_success_at,
        runs: state.runs,
    }
}
