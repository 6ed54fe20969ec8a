//! Notifications (`[notify]`): after a run, its report is POSTed as JSON to `url`
//! when `on` asks for it (`any` run, or on `error`: a run that failed or was partial).
//! Sending happens on its own task with a few retries, so it never holds up the
//! scheduling loop or the next run; a notification that still fails is logged (the
//! URL is a secret: it never appears in the log).

use std::sync::Arc;
use std::time::Duration;

use super::{Event, Shared};
use crate::pipeline::{Notify, NotifyOn};
use crate::report::{Report, RunStatus, Trigger};

/// How many times a notification is tried.
const ATTEMPTS: u32 = 4;
/// The wait before the second attempt; it doubles each time.
const FIRST_WAIT: Duration = Duration::from_millis(500);
/// How long one attempt may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Whether a run that ended with `status` is reported under `on`.
pub(super) fn wanted(on: NotifyOn, status: RunStatus) -> bool {
    match on {
        NotifyOn::Any => true,
        NotifyOn::Error => status != RunStatus::Succeeded,
        NotifyOn::Never => false,
    }
}

/// Sends `report` if the pipeline's `[notify]` asks for it.
pub(super) fn report(shared: &Arc<Shared>, notify: Option<&Notify>, report: &Report) {
    let Some(notify) = notify else { return };
    if !wanted(notify.on, report.status) {
        return;
    }
    match serde_json::to_value(report) {
        Ok(body) => send(shared, notify, &report.pipeline, body),
        Err(e) => shared.emit(&Event::Warning(format!(
            "{}: the run report could not be encoded for [notify]: {e}",
            report.pipeline
        ))),
    }
}

/// Sends a run that could not run at all (no report) if `[notify]` asks for it.
pub(super) fn failure(
    shared: &Arc<Shared>,
    notify: Option<&Notify>,
    pipeline: &str,
    trigger: Trigger,
    error: &str,
) {
    let Some(notify) = notify else { return };
    if !wanted(notify.on, RunStatus::Failed) {
        return;
    }
    let body = serde_json::json!({
        "pipeline": pipeline,
        "trigger": trigger,
        "status": "failed",
        "error": error,
    });
    send(shared, notify, pipeline, body);
}

fn send(shared: &Arc<Shared>, notify: &Notify, pipeline: &str, body: serde_json::Value) {
    let Some(url) = notify.url.as_ref().map(|u| u.expose().0.clone()) else {
        return;
    };
    let shared = shared.clone();
    let pipeline = pipeline.to_string();
    tokio::spawn(async move {
        let client = match reqwest::Client::builder().timeout(TIMEOUT).build() {
            Ok(client) => client,
            Err(e) => {
                let message = format!("{pipeline}: [notify] has no HTTP client: {e}");
                shared.emit(&Event::Warning(message));
                return;
            }
        };
        let mut wait = FIRST_WAIT;
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            match client.post(url.clone()).json(&body).send().await {
                Ok(response) if response.status().is_success() => return,
                Ok(response) => last = format!("answered {}", response.status()),
                // Without the URL: it may carry a token.
                Err(e) => last = describe(&e),
            }
            if attempt < ATTEMPTS {
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
        }
        shared.emit(&Event::Warning(format!(
            "{pipeline}: the run report could not be sent to [notify] url after {ATTEMPTS} attempts: {last}"
        )));
    });
}

/// A request error without its URL.
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".to_string()
    } else if error.is_connect() {
        "could not connect".to_string()
    } else if error.is_request() || error.is_body() {
        "the request failed".to_string()
    } else {
        "the request or its answer failed".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_picks_the_runs_reported() {
        use RunStatus::{Failed, Partial, Succeeded};
        assert!(wanted(NotifyOn::Any, Succeeded));
        assert!(wanted(NotifyOn::Any, Failed));
        assert!(!wanted(NotifyOn::Error, Succeeded));
        assert!(wanted(NotifyOn::Error, Partial));
        assert!(wanted(NotifyOn::Error, Failed));
        assert!(!wanted(NotifyOn::Never, Failed));
    }
}
