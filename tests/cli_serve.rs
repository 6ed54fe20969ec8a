//! End to end: `sluice serve` as a real process on a free loopback port, with a
//! project in a temporary folder: the first run comes promptly, `after` orders runs,
//! manual triggers over HTTP and with `sluice trigger`, `min_interval` refuses with a
//! 429 and the wait, unknown pipelines are 404, and SIGTERM stops it cleanly, letting a
//! run that is going on finish first.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The longest any condition is waited for.
const PATIENCE: Duration = Duration::from_secs(10);

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
inline = '''
id   = id
name = name | trim
'''
"#;

const LIMITED: &str = r#"
[schedule]
every = "2h"
min_interval = "1h"

[source]
type = "file"
path = "data/people.ndjson"
id = "id"

[destination]
type = "file"
path = "out/limited.ndjson"

[mapping]
inline = "id = id"
"#;

const FOLLOWERS: &str = r#"
[pipeline]
after = ["people"]

[schedule]
every = "1h"

[source]
type = "file"
path = "data/people.ndjson"
id = "id"

[destination]
type = "file"
path = "out/followers.ndjson"

[mapping]
inline = "id = id"
"#;

fn time(value: &Value) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(value.as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{value} is not a time: {e}"))
}

fn sluice(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sluice"));
    command
        .current_dir(dir)
        .env_remove("SLUICE_STATE")
        .env_remove("SLUICE_PIPELINES")
        .env_remove("SLUICE_URL")
        .env_remove("SLUICE_LISTEN");
    command
}

/// The daemon; killed if a test fails before it was stopped.
struct Daemon {
    child: Child,
    addr: String,
    lines: mpsc::Receiver<String>,
    log: Vec<String>,
}

impl Daemon {
    fn start(dir: &Path) -> Daemon {
        let mut child = sluice(dir)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sluice serve starts");
        let stderr = child.stderr.take().expect("stderr");
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut daemon = Daemon {
            child,
            addr: String::new(),
            lines,
            log: Vec::new(),
        };
        let line = daemon.wait_for_line("listening on http://");
        daemon.addr = line
            .split("http://")
            .nth(1)
            .expect("an address")
            .trim()
            .to_string();
        daemon
    }

    /// Waits for a log line containing `text`; it is returned.
    fn wait_for_line(&mut self, text: &str) -> String {
        self.wait_for_line_within(text, PATIENCE)
    }

    /// Waits up to `patience` for a log line containing `text`; it is returned.
    fn wait_for_line_within(&mut self, text: &str, patience: Duration) -> String {
        let deadline = Instant::now() + patience;
        if let Some(line) = self.log.iter().find(|l| l.contains(text)) {
            return line.clone();
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.log.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no log line with {text:?}; the log:\n{}",
                    self.log.join("\n")
                ),
            }
        }
    }

    /// One request; the status code, the raw headers and the JSON body.
    fn http(&self, method: &str, path: &str) -> (u16, String, Value) {
        let mut stream = TcpStream::connect(&self.addr).expect("the daemon accepts");
        stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.addr
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
        let body = serde_json::from_str(body).unwrap_or(Value::Null);
        (code, head.to_ascii_lowercase(), body)
    }

    /// The status of one pipeline.
    fn status(&self, name: &str) -> Value {
        let (code, _, body) = self.http("GET", "/status");
        assert_eq!(code, 200, "{body}");
        body["pipelines"]
            .as_array()
            .expect("pipelines")
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no `{name}` in {body:#}"))
    }

    /// Polls `GET /status` until `name` has finished `runs` runs and is idle.
    fn wait_for_runs(&self, name: &str, runs: u64) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let status = self.status(name);
            let idle = status["running_since"].is_null() && status["queued"].is_null();
            if status["runs"].as_u64() >= Some(runs) && idle {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "`{name}` did not reach {runs} runs: {status:#}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Daemon {
    /// Sends SIGTERM (`Child::kill` would be SIGKILL).
    fn terminate(&self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success());
    }

    /// Waits for the daemon to exit; its exit code.
    fn wait_for_exit(&mut self) -> Option<i32> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("waitable") {
                return status.code();
            }
            assert!(Instant::now() < deadline, "the daemon did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn serve_runs_on_schedule_takes_triggers_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pipelines = dir.path().join("pipelines");
    std::fs::create_dir_all(pipelines.join("data")).expect("folders");
    std::fs::write(pipelines.join("people.toml"), PEOPLE).expect("written");
    std::fs::write(pipelines.join("limited.toml"), LIMITED).expect("written");
    std::fs::write(pipelines.join("followers.toml"), FOLLOWERS).expect("written");
    std::fs::write(
        pipelines.join("data/people.ndjson"),
        "{\"id\": 1, \"name\": \" Ada \"}\n{\"id\": 2, \"name\": \"Grace\"}\n",
    )
    .expect("written");

    let mut daemon = Daemon::start(dir.path());

    // Never ran: each runs promptly; `followers` after `people` succeeded.
    let people = daemon.wait_for_runs("people", 1);
    assert_eq!(people["last_status"], "succeeded", "{people:#}");
    assert_eq!(people["schedule"], "every 1h");
    assert!(people["next_run"].is_string(), "{people:#}");
    let followers = daemon.wait_for_runs("followers", 1);
    assert!(
        time(&followers["last_started_at"]) >= time(&people["last_finished_at"]),
        "{followers:#} {people:#}"
    );
    daemon.wait_for_runs("limited", 1);
    let written = std::fs::read_to_string(pipelines.join("out/people.ndjson")).expect("output");
    assert!(written.contains("\"Ada\""), "{written}");
    daemon.wait_for_line("people: run people-1 succeeded (schedule)");

    // A manual run over HTTP.
    let (code, _, body) = daemon.http("POST", "/pipelines/people/run");
    assert_eq!(code, 202, "{body}");
    assert_eq!(body["pipeline"], "people");
    daemon.wait_for_runs("people", 2);
    daemon.wait_for_line("people: run people-2 succeeded (manual)");

    // And with `sluice trigger`.
    let url = format!("http://{}", daemon.addr);
    let out = sluice(dir.path())
        .args(["trigger", "people", "--url", &url])
        .output()
        .expect("sluice trigger runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    daemon.wait_for_runs("people", 3);

    // `min_interval` refuses, with the wait.
    let (code, head, body) = daemon.http("POST", "/pipelines/limited/run");
    assert_eq!(code, 429, "{body}");
    let wait = body["retry_after_seconds"].as_u64().expect("a wait");
    assert!((3500..=3600).contains(&wait), "{body}");
    assert!(head.contains(&format!("retry-after: {wait}")), "{head}");
    let out = sluice(dir.path())
        .args(["trigger", "limited", "--url", &url])
        .output()
        .expect("sluice trigger runs");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("min_interval") && said.contains("try again in"),
        "{said}"
    );

    // Unknown pipelines.
    let (code, _, body) = daemon.http("POST", "/pipelines/nope/run");
    assert_eq!(code, 404, "{body}");
    let out = sluice(dir.path())
        .args(["trigger", "nope", "--url", &url])
        .output()
        .expect("sluice trigger runs");
    assert_eq!(out.status.code(), Some(2), "{out:?}");

    // SIGTERM: a clean stop.
    daemon.terminate();
    assert_eq!(daemon.wait_for_exit(), Some(0));
    daemon.wait_for_line("stopped");
}

#[test]
fn sigterm_lets_a_running_run_finish() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pipelines = dir.path().join("pipelines");
    std::fs::create_dir_all(pipelines.join("data")).expect("folders");
    std::fs::write(
        pipelines.join("big.toml"),
        PEOPLE.replace("out/people.ndjson", "out/big.ndjson"),
    )
    .expect("written");
    // Enough records that the run is still going when the signal arrives.
    let records: String = (0..10_000)
        .map(|i| format!("{{\"id\": {i}, \"name\": \" person {i} \"}}\n"))
        .collect();
    std::fs::write(pipelines.join("data/people.ndjson"), records).expect("written");

    let mut daemon = Daemon::start(dir.path());
    daemon.wait_for_line("big: run started (schedule)");
    daemon.terminate();
    daemon.wait_for_line("shutting down: waiting for 1 running run");
    let (code, _, body) = daemon.http("POST", "/pipelines/big/run");
    assert_eq!(code, 503, "{body}");
    // A slow machine may take a while over 10,000 records in a debug build.
    let finished = daemon.wait_for_line_within("big: run big-1 succeeded", 6 * PATIENCE);
    assert!(finished.contains("created 10000"), "{finished}");
    assert_eq!(daemon.wait_for_exit(), Some(0));
    daemon.wait_for_line("stopped");
    let written = std::fs::read_to_string(pipelines.join("out/big.ndjson")).expect("output");
    assert_eq!(written.lines().count(), 10_000);
}

#[test]
fn serve_refuses_an_address_it_cannot_listen_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("pipelines")).expect("folder");
    let out = sluice(dir.path())
        .args(["serve", "--listen", "not an address"])
        .output()
        .expect("sluice serve runs");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen on"));
}

#[test]
fn trigger_without_a_daemon_says_so() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A port nobody listens on: bound and released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let out = sluice(dir.path())
        .args([
            "trigger",
            "people",
            "--url",
            &format!("http://127.0.0.1:{port}"),
        ])
        .output()
        .expect("sluice trigger runs");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot reach the daemon"));
}
