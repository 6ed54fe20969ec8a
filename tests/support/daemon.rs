//! The daemon under test: `sluice serve` as a real process on a free loopback port, in a
//! project folder. [`Daemon::start`] waits until it listens; its log (stderr) is
//! collected line by line for [`Daemon::wait_for_line`] and printed when a test fails;
//! [`Daemon::terminate`] sends SIGTERM, [`Daemon::kill`] SIGKILL, and a daemon still
//! running when its test ends (a failed assertion) is killed.
//!
//! Requests are plain HTTP/1.1 on a fresh connection each ([`request`]), so a test sees
//! exactly the status, headers and body the daemon sent.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The longest any condition is waited for.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The `sluice` binary run in `dir`, with none of the variables that would point it
/// elsewhere (state, pipelines, daemon URL, listen address, API token).
pub fn sluice(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sluice"));
    command
        .current_dir(dir)
        .env_remove("SLUICE_STATE")
        .env_remove("SLUICE_PIPELINES")
        .env_remove("SLUICE_URL")
        .env_remove("SLUICE_LISTEN")
        .env_remove("SLUICE_API_TOKEN");
    command
}

/// One answer of the daemon.
#[derive(Debug, Clone)]
pub struct Answer {
    pub code: u16,
    /// The status line and headers, in lower case.
    pub head: String,
    pub body: String,
}

impl Answer {
    /// The body as JSON (null when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// One request to `addr` on a new connection; `None` when no complete answer came
/// (nobody listens, or the daemon was killed meanwhile).
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Option<Answer> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(PATIENCE)).ok()?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if !body.is_empty() {
        head.push_str("Content-Type: application/json\r\n");
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    let code = head.split_whitespace().nth(1)?.parse().ok()?;
    Some(Answer {
        code,
        head: head.to_ascii_lowercase(),
        body: body.to_string(),
    })
}

/// Polls `check` until it holds, at most `patience`.
pub fn wait_until(patience: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + patience;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `sluice serve` running in a project folder.
pub struct Daemon {
    child: Child,
    /// Where it listens (`127.0.0.1:PORT`).
    pub addr: String,
    lines: mpsc::Receiver<String>,
    log: Vec<String>,
}

impl Daemon {
    /// Starts `sluice serve` in `dir` and waits until it listens.
    pub fn start(dir: &Path) -> Daemon {
        Daemon::start_with(dir, &[])
    }

    /// Starts `sluice serve` in `dir` with these environment variables set, and waits
    /// until it listens.
    pub fn start_with(dir: &Path, env: &[(&str, &str)]) -> Daemon {
        let mut child = sluice(dir)
            .envs(env.iter().copied())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sluice serve starts");
        let stderr = child.stderr.take().expect("stderr");
        let (send, lines) = mpsc::channel();
        // Drains the log as it comes, so the daemon never blocks on a full pipe.
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

    /// Waits for a log line containing `text` (one seen before counts); it is returned.
    pub fn wait_for_line(&mut self, text: &str) -> String {
        self.wait_for_line_within(text, PATIENCE)
    }

    /// Waits up to `patience` for a log line containing `text`; it is returned.
    pub fn wait_for_line_within(&mut self, text: &str, patience: Duration) -> String {
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

    /// A request without a body; the answer (the daemon must give one).
    pub fn http(&self, method: &str, path: &str) -> Answer {
        self.http_with(method, path, &[], b"")
    }

    /// A request with headers and a body; the answer (the daemon must give one).
    pub fn http_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Answer {
        request(&self.addr, method, path, headers, body)
            .unwrap_or_else(|| panic!("no answer to {method} {path}"))
    }

    /// The `GET /status` entry of pipeline `name`.
    pub fn status(&self, name: &str) -> Value {
        let answer = self.http("GET", "/status");
        assert_eq!(answer.code, 200, "{}", answer.body);
        let body = answer.json();
        body["pipelines"]
            .as_array()
            .expect("pipelines")
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no `{name}` in {body:#}"))
    }

    /// Polls `GET /status` until `check` holds; the last status.
    pub fn wait_for_status(&self, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let answer = self.http("GET", "/status");
            assert_eq!(answer.code, 200, "{}", answer.body);
            let status = answer.json();
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

    /// Polls `GET /status` until `name` has finished `runs` runs and is idle.
    pub fn wait_for_runs(&self, name: &str, runs: u64) -> Value {
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

    /// Sends SIGTERM (a graceful stop).
    pub fn terminate(&self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success());
    }

    /// Kills it with SIGKILL (no chance to finish anything) and waits until it is gone.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("killed");
    }

    /// Waits for it to exit; its exit code.
    pub fn wait_for_exit(&mut self) -> Option<i32> {
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
        if std::thread::panicking() {
            self.log.extend(self.lines.try_iter());
            eprintln!("the daemon's log:\n{}", self.log.join("\n"));
        }
    }
}
