//! The one tokio runtime every HTTP call runs on. The engine is synchronous: a
//! connector calls [`block_on`] from the engine's thread, which polls the future right
//! there while the shared runtime's worker threads drive the sockets and timers.
//!
//! This works from any thread: a plain one, and a `spawn_blocking` thread of another
//! runtime (the daemon runs the engine that way), where `Runtime::block_on` would
//! panic. The future need not be `Send` or `'static`, so requests may borrow. The
//! calling thread is blocked meanwhile: async code calls the connectors from
//! `spawn_blocking`, or awaits their async forms (such as `HttpSourceReader::fetch`).

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use tokio::runtime::Runtime;

use super::HttpError;

static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

/// The shared runtime, built on first use. HTTP work waits on the network more than on
/// the CPU: two worker threads at most, and one on a machine of two cores or fewer, so
/// that the engine's thread (a run's critical path) keeps a core to itself instead of
/// being preempted by a second worker parsing pages (measured: benches/README.md).
pub fn runtime() -> Result<&'static Runtime, HttpError> {
    RUNTIME
        .get_or_init(|| {
            let cores = thread::available_parallelism().map_or(1, usize::from);
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(cores.saturating_sub(1).clamp(1, 2))
                .thread_name("sluice-http")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| HttpError::Runtime(format!("cannot start the HTTP runtime: {e}")))
}

/// Runs `future` to completion on the calling thread, inside the shared runtime's
/// context (so reqwest, timers and semaphores find it).
pub fn block_on<F: Future>(future: F) -> Result<F::Output, HttpError> {
    let runtime = runtime()?;
    let _context = runtime.enter();
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return Ok(output),
            // A wake before the park leaves a token, so no wake-up is lost; a
            // spurious wake-up only polls once more.
            Poll::Pending => thread::park(),
        }
    }
}

/// Wakes the thread that is blocked in [`block_on`].
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_and_tasks_work_from_a_plain_thread() {
        let value = block_on(async {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            tokio::spawn(async { 41 }).await.unwrap_or(0) + 1
        });
        assert_eq!(value.ok(), Some(42));
    }

    #[test]
    fn works_inside_spawn_blocking_of_another_runtime() {
        let outer = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let value = outer.block_on(async {
            tokio::task::spawn_blocking(|| {
                block_on(async {
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                    7
                })
                .ok()
            })
            .await
            .ok()
            .flatten()
        });
        assert_eq!(value, Some(7));
    }
}
