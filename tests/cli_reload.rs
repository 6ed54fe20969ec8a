//! End to end: hot reload in `sluice serve` (a real process). A valid edit of a
//! pipeline file is served without a restart; an invalid edit keeps the previous
//! version serving and is reported in the log and in `GET /status`; a new file is
//! picked up; a deleted file's pipeline is no longer served.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The longest any condition is waited for.
const PATIENCE: Duration = Duration::from_secs(20);

fn pipeline(every: &str, out: &str) -> String {
    format!(
        r#"
[schedule]
every = "{every}"

[source]
type = "file"
path = "data/people.ndjson"
id = "id"

[destination]
type = "file"
path = "out/{out}.ndjson"

[mapping]
inline = "id = id"
"#
    )
}

struct Daemon {
    child: Child,
    addr: String,
    lines: mpsc::Receiver<String>,
    log: Vec<String>,
}

impl Daemon {
    fn start(dir: &Path) -> Daemon {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
            .current_dir(dir)
            .env_remove("SLUICE_STATE")
            .env_remove("SLUICE_PIPELINES")
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

    fn wait_for_line(&mut self, text: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
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

    fn http(&self, method: &str, path: &str) -> (u16, Value) {
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
        (code, serde_json::from_str(body).unwrap_or(Value::Null))
    }

    /// Polls `GET /status` until `check` holds; the last status.
    fn wait_for_status(&self, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let (code, status) = self.http("GET", "/status");
            assert_eq!(code, 200);
            if check(&status) {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {status:#}"
            );
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

/// The pipeline `name` in a status body.
fn entry<'a>(status: &'a Value, name: &str) -> Option<&'a Value> {
    status["pipelines"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)
}

fn schedule_of(status: &Value, name: &str) -> String {
    entry(status, name)
        .and_then(|p| p["schedule"].as_str())
        .unwrap_or_default()
        .to_string()
}

#[test]
fn edits_new_files_and_deletions_are_served_without_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pipelines = dir.path().join("pipelines");
    std::fs::create_dir_all(pipelines.join("data")).expect("folders");
    std::fs::write(pipelines.join("data/people.ndjson"), "{\"id\": 1}\n").expect("data");
    let file = pipelines.join("people.toml");
    std::fs::write(&file, pipeline("1h", "people")).expect("written");
    let mut daemon = Daemon::start(dir.path());
    let status = daemon.wait_for_status("the first run", |s| {
        entry(s, "people").is_some_and(|p| p["runs"] == 1 && p["running_since"].is_null())
    });
    assert!(schedule_of(&status, "people").contains("1h"), "{status:#}");

    // A valid edit is served.
    std::fs::write(&file, pipeline("2h", "people")).expect("edited");
    let status = daemon.wait_for_status("the edit", |s| schedule_of(s, "people").contains("2h"));
    assert_eq!(status["reload_errors"], serde_json::json!([]));

    // An invalid edit keeps the previous version, reported in the log and the status.
    std::fs::write(&file, pipeline("soon", "people")).expect("broken");
    let status = daemon.wait_for_status("the reload error", |s| {
        s["reload_errors"].as_array().is_some_and(|e| !e.is_empty())
    });
    assert!(schedule_of(&status, "people").contains("2h"), "{status:#}");
    let errors = status["reload_errors"].to_string();
    assert!(errors.contains("people.toml"), "{errors}");
    daemon.wait_for_line("previous version kept");
    // The old version still runs.
    let (code, body) = daemon.http("POST", "/pipelines/people/run");
    assert_eq!(code, 202, "{body}");
    daemon.wait_for_status("the manual run", |s| {
        entry(s, "people").is_some_and(|p| p["runs"] == 2 && p["running_since"].is_null())
    });

    // A new file is picked up (and runs: it never ran); the fix clears the errors.
    std::fs::write(pipelines.join("more.toml"), pipeline("1h", "more")).expect("new");
    std::fs::write(&file, pipeline("3h", "people")).expect("fixed");
    let status = daemon.wait_for_status("the new pipeline and the fix", |s| {
        entry(s, "more").is_some_and(|p| p["runs"] == 1) && schedule_of(s, "people").contains("3h")
    });
    assert_eq!(status["reload_errors"], serde_json::json!([]));
    assert!(pipelines.join("out/more.ndjson").exists());

    // A deleted file's pipeline is no longer served.
    std::fs::remove_file(pipelines.join("more.toml")).expect("deleted");
    daemon.wait_for_status("the deletion", |s| {
        entry(s, "more").is_none() && entry(s, "people").is_some()
    });
    let (code, _) = daemon.http("POST", "/pipelines/more/run");
    assert_eq!(code, 404);
}
