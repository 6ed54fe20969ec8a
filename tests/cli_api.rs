//! End to end: the management API's extras on `sluice serve` (a real process) with
//! `SLUICE_API_TOKEN` set: `/health` answers without the token, the management routes
//! want it, `GET /pipelines/{name}/runs` lists stored reports and `GET /metrics` is
//! Prometheus text.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The longest any condition is waited for.
const PATIENCE: Duration = Duration::from_secs(20);
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

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// One request; the status code and the body text.
fn http(addr: &str, method: &str, path: &str, token: Option<&str>) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("the daemon accepts");
    stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .expect("request sent");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("a response");
    let (head, body) = response.split_once("\r\n\r\n").expect("head and body");
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status code");
    (code, body.to_string())
}

#[test]
fn health_runs_metrics_and_the_bearer_token() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pipelines = dir.path().join("pipelines");
    std::fs::create_dir_all(pipelines.join("data")).expect("folders");
    std::fs::write(pipelines.join("data/people.ndjson"), "{\"id\": 1}\n").expect("data");
    std::fs::write(pipelines.join("people.toml"), PEOPLE).expect("written");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .current_dir(dir.path())
        .env_remove("SLUICE_STATE")
        .env_remove("SLUICE_PIPELINES")
        .env("SLUICE_API_TOKEN", TOKEN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sluice serve starts");
    let stderr = child.stderr.take().expect("stderr");
    let _daemon = Daemon(child);
    let mut lines = BufReader::new(stderr).lines().map_while(Result::ok);
    let addr = lines
        .find_map(|l| l.split("listening on http://").nth(1).map(str::to_string))
        .expect("an address");
    std::thread::spawn(move || lines.for_each(drop));

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
