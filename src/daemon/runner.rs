//! The scheduling loop and one run: poll the planner, start what is due, sleep until
//! the next wake-up (at most [`MAX_SLEEP`], so a wall clock that jumps is noticed), a
//! trigger, the end of a run or the shutdown; then wait for the runs still going.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::task::JoinSet;

use super::{Event, Shared, alert};
use crate::engine::{self, RunOptions};
use crate::report::{RunStatus, Trigger};
use crate::schedule::{RunOutcome, Start};

/// The longest the loop sleeps without looking at the clock again.
const MAX_SLEEP: Duration = Duration::from_secs(60);

/// Runs pipelines when due until `shutdown` completes, then waits for running runs.
pub(super) async fn schedule(shared: Arc<Shared>, shutdown: impl Future<Output = ()>) {
    let mut runs = JoinSet::new();
    // Which pipeline each run task serves, to free it should the task itself fail.
    let mut tasks: HashMap<tokio::task::Id, (String, Trigger)> = HashMap::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let now = shared.clock.now();
        let (starts, wakeup) = {
            let mut planner = shared.planner();
            let starts = planner.poll(now);
            (starts, planner.next_wakeup(now))
        };
        for start in starts {
            let what = (start.pipeline.clone(), start.trigger);
            let task = runs.spawn(run(shared.clone(), start));
            tasks.insert(task.id(), what);
        }
        let sleep = wakeup.map_or(MAX_SLEEP, |at| {
            (at - now).to_std().unwrap_or(Duration::ZERO).min(MAX_SLEEP)
        });
        tokio::select! {
            () = &mut shutdown => break,
            () = shared.wake.notified() => {}
            () = tokio::time::sleep(sleep) => {}
            Some(joined) = runs.join_next_with_id(), if !runs.is_empty() => {
                ended(&shared, &mut tasks, joined);
            }
        }
    }
    shared.stopping.store(true, Ordering::SeqCst);
    shared.emit(&Event::Stopping(runs.len()));
    while let Some(joined) = runs.join_next_with_id().await {
        ended(&shared, &mut tasks, joined);
    }
}

/// A run task ended. Normally [`run`] told the planner already; a task that panicked
/// did not, so its pipeline is marked as failed here instead of staying "running".
fn ended(
    shared: &Shared,
    tasks: &mut HashMap<tokio::task::Id, (String, Trigger)>,
    joined: Result<(tokio::task::Id, ()), tokio::task::JoinError>,
) {
    let id = match &joined {
        Ok((id, ())) => *id,
        Err(e) => e.id(),
    };
    let Some((pipeline, trigger)) = tasks.remove(&id) else {
        return;
    };
    if let Err(e) = joined {
        let now = shared.clock.now();
        let outcome = RunOutcome {
            started_at: now,
            finished_at: now,
            status: RunStatus::Failed,
        };
        let mut planner = shared.planner();
        if planner.is_running(&pipeline) {
            planner.finished(&pipeline, outcome);
        }
        drop(planner);
        shared.emit(&Event::Failed {
            pipeline,
            trigger,
            error: format!("the run task ended abnormally: {e}"),
        });
    }
}

/// One run of `start.pipeline` on a blocking thread; the planner hears how it ended.
async fn run(shared: Arc<Shared>, start: Start) {
    let Start { pipeline, trigger } = start;
    let began = shared.clock.now();
    shared.emit(&Event::Started {
        pipeline: pipeline.clone(),
        trigger,
    });
    let outcome = match shared.prepared(&pipeline) {
        None => Err(format!("pipeline `{pipeline}` is no longer loaded")),
        Some(prepared) => {
            // Webhook runs of this pipeline finish first.
            let lock = shared.run_lock(&pipeline);
            let _turn = lock.lock().await;
            let state = shared.state.clone();
            let options = RunOptions {
                trigger,
                ..RunOptions::default()
            };
            let joined = tokio::task::spawn_blocking(move || {
                engine::run(&prepared, Some(&state), &options, &())
            })
            .await;
            match joined {
                Ok(Ok(result)) => Ok(result.report),
                Ok(Err(e)) => Err(e.to_string()),
                Err(e) => Err(format!("the run stopped abnormally: {e}")),
            }
        }
    };
    let (ran, event) = match outcome {
        Ok(report) => (
            RunOutcome {
                started_at: report.started_at,
                finished_at: report.finished_at,
                status: report.status,
            },
            Event::Finished(Box::new(report)),
        ),
        Err(error) => (
            RunOutcome {
                started_at: began,
                finished_at: shared.clock.now(),
                status: RunStatus::Failed,
            },
            Event::Failed {
                pipeline: pipeline.clone(),
                trigger,
                error,
            },
        ),
    };
    shared.planner().finished(&pipeline, ran);
    let notify = shared
        .prepared(&pipeline)
        .and_then(|p| p.pipeline.notify.clone());
    match &event {
        Event::Finished(report) => alert::report(&shared, notify.as_ref(), report),
        Event::Failed { error, .. } => {
            alert::failure(&shared, notify.as_ref(), &pipeline, trigger, error);
        }
        _ => {}
    }
    shared.emit(&event);
    shared.wake.notify_one();
}
