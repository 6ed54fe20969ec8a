//! End to end: the management API's extras on `sluice serve` (a real process) with
//! `SLUICE_API_TOKEN` set: `/health` answers without the token, the management routes
//! want it, `GET /pipelines/{name}/runs` lists stored reports and `GET /metrics` is
//! Prometheus text.

mod support;

use std::time::{Duration, Instant};

use support::daemon::{Daemon, PATIENCE, request};
const TOKEN: &str = "api-token-for-tests";

const PEOPLE: &str = r#"
[schedule]
every = "1h"

[source]
type = "file"
path = "data/people.ndjson"
id = "id"

[destination]
type = "file"
path = "out/people.ndjson"

[mapping]
inline = "id = id"
"#;

/// One request; the status code and the body text.
fn http(addr: &str, method: &str, path: &str, token: Option<&str>) -> (u16, String) {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
    let answer = request(addr, method, path, &headers, b"").expect("an answer");
    (answer.code, answer.body)
}

#[test]
fn health_runs_metrics_and_the_bearer_token() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pipelines = dir.path().join("pipelines");
    std::fs::create_dir_all(pipelines.join("data")).expect("folders");
    std::fs::write(pipelines.join("data/people.ndjson"), "{\"id\": 1}\n").expect("data");
    std::fs::write(pipelines.join("people.toml"), PEOPLE).expect("written");
    let daemon = Daemon::start_with(dir.path(), &[("SLUICE_API_TOKEN", TOKEN)]);
    let addr = daemon.addr.clone();

    assert_eq!(http(&addr, "GET", "/health", None).0, 200);
    assert_eq!(http(&addr, "GET", "/status", None).0, 401);
    assert_eq!(http(&addr, "GET", "/status", Some("wrong")).0, 401);
    assert_eq!(http(&addr, "POST", "/pipelines/people/run", None).0, 401);
    assert_eq!(http(&addr, "GET", "/status", Some(TOKEN)).0, 200);

    // The first run comes by itself; its report is listed.
    let deadline = Instant::now() + PATIENCE;
    let runs = loop {
        let (code, body) = http(&addr, "GET", "/pipelines/people/runs", Some(TOKEN));
        assert_eq!(code, 200, "{body}");
        let runs: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        if runs.as_array().is_some_and(|r| !r.is_empty()) {
            break runs;
        }
        assert!(Instant::now() < deadline, "no run listed");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(runs[0]["pipeline"], "people");
    assert_eq!(runs[0]["status"], "succeeded");
    let (code, body) = http(&addr, "GET", "/pipelines", Some(TOKEN));
    assert_eq!(code, 200, "{body}");
    let listed: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(listed["pipelines"][0]["name"], "people", "{listed:#}");
    assert_eq!(
        listed["pipelines"][0]["last_report"]["status"], "succeeded",
        "{listed:#}"
    );
    assert_eq!(listed["reload_errors"], serde_json::json!([]), "{listed:#}");
    assert_eq!(http(&addr, "GET", "/pipelines", None).0, 401);
    assert_eq!(
        http(&addr, "GET", "/pipelines/nobody/runs", Some(TOKEN)).0,
        404
    );

    let deadline = Instant::now() + PATIENCE;
    loop {
        let (code, text) = http(&addr, "GET", "/metrics", Some(TOKEN));
        assert_eq!(code, 200);
        assert!(
            text.contains("# TYPE sluice_pipeline_runs_total counter"),
            "{text}"
        );
        assert!(text.contains("sluice_reload_errors 0"), "{text}");
        if text.contains("sluice_pipeline_runs_total{pipeline=\"people\"} 1")
            && text.contains("sluice_pipeline_last_run_succeeded{pipeline=\"people\"} 1")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "metrics did not show the run: {text}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
