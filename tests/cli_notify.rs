//! End to end: `[notify]` in `sluice serve` (a real process). Run reports are POSTed to
//! a small receiver on loopback: `on = "any"` reports a successful run, `on = "error"`
//! a run that could not run, and a receiver that fails once is tried again.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::Value;
use support::daemon::{Daemon, PATIENCE};

fn pipeline(on: &str, url: &str, out: &str) -> String {
    format!(
        r#"
[schedule]
every = "1h"

[source]
type = "file"
path = "data/people.ndjson"
id = "id"

[destination]
type = "file"
path = "{out}"

[mapping]
inline = "id = id"

[notify]
on = "{on}"
url = "{url}"
"#
    )
}

/// What the receiver got, and how many answers it still fails.
#[derive(Default)]
struct Inbox {
    reports: Vec<Value>,
    attempts: usize,
    fail_first: usize,
}

/// A receiver on a free loopback port; its URL.
fn receiver(inbox: Arc<Mutex<Inbox>>) -> String {
    let (send, address) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a port");
            send.send(listener.local_addr().expect("an address"))
                .expect("sent");
            let app = axum::Router::new()
                .route("/alerts", post(take))
                .with_state(inbox);
            axum::serve(listener, app).await.expect("served");
        });
    });
    let addr = address.recv().expect("the receiver's address");
    format!("http://{addr}/alerts")
}

async fn take(State(inbox): State<Arc<Mutex<Inbox>>>, Json(report): Json<Value>) -> StatusCode {
    let mut inbox = inbox.lock().expect("inbox");
    inbox.attempts += 1;
    if inbox.fail_first > 0 {
        inbox.fail_first -= 1;
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    inbox.reports.push(report);
    StatusCode::NO_CONTENT
}

#[test]
fn run_reports_are_posted_as_on_says_with_retries() {
    let inbox = Arc::new(Mutex::new(Inbox {
        fail_first: 1,
        ..Inbox::default()
    }));
    let url = receiver(inbox.clone());
    let dir = tempfile::tempdir().expect("temp dir");
    let pipelines = dir.path().join("pipelines");
    std::fs::create_dir_all(pipelines.join("data")).expect("folders");
    std::fs::write(pipelines.join("data/people.ndjson"), "{\"id\": 1}\n").expect("data");
    let good = pipeline("any", &url, "out/good.ndjson");
    // A file where its folder should be: the run cannot open its destination.
    std::fs::write(pipelines.join("blocked"), "").expect("written");
    let broken = pipeline("error", &url, "blocked/broken.ndjson");
    std::fs::write(pipelines.join("good.toml"), good).expect("written");
    std::fs::write(pipelines.join("broken.toml"), broken).expect("written");
    let _daemon = Daemon::start(dir.path());

    let deadline = Instant::now() + PATIENCE;
    loop {
        let got = inbox.lock().expect("inbox").reports.len();
        if got >= 2 {
            break;
        }
        assert!(Instant::now() < deadline, "reports did not arrive");
        std::thread::sleep(Duration::from_millis(50));
    }
    let inbox = inbox.lock().expect("inbox");
    let by_name = |name: &str| {
        inbox
            .reports
            .iter()
            .find(|r| r["pipeline"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no report of `{name}`: {:#?}", inbox.reports))
    };
    let good = by_name("good");
    assert_eq!(good["status"], "succeeded", "{good:#}");
    assert_eq!(good["counts"]["created"], 1, "{good:#}");
    let broken = by_name("broken");
    assert_ne!(broken["status"], "succeeded", "{broken:#}");
    // One answer failed and was tried again.
    assert_eq!(inbox.attempts, 3);
}
