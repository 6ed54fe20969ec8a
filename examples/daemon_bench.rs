//! The daemon benchmarks of issue 6, against the real `sluice serve` binary on
//! 127.0.0.1, in a temporary project:
//!
//! - **ingest**: N webhook POSTs, each a distinct record with its own delivery id and
//!   an HMAC-SHA256 signature, sent by C keep-alive connections at once (each sends its
//!   next request when the answer to the last came). Every answer must be a 202 — the
//!   daemon gives one only once the event is stored durably in the inbox. Prints
//!   requests/s and latency percentiles, then waits until the inbox is empty
//!   (`sluice_webhook_inbox_events` in `/metrics`), stops the daemon and checks in its
//!   state file that every record was applied and the inbox holds nothing.
//! - **reload**: R edits of a served pipeline file; for each, the time from the write to
//!   the new version active (`GET /status` shows its new schedule). Prints the median
//!   and the maximum.
//!
//! ```sh
//! cargo build --release --bin sluice --example daemon_bench
//! target/release/examples/daemon_bench [ingest|reload|all] [--requests N] [--concurrency C] [--rounds R]
//! ```
//!
//! Defaults: all, 100,000 requests, 64 connections, 20 rounds. The `sluice` binary is
//! the one beside `examples/` (or `SLUICE_BIN`). The load client runs on one thread
//! (`--client-threads` for more), so the daemon has the rest of the machine. Like
//! `wrk`, it is lean: each request is built whole (headers, signature, delivery id,
//! body) before the clock starts and written with one call on a raw TCP connection,
//! one request in flight per connection (no pipelining); of each answer only the
//! status line and `Content-Length` are parsed (and the body kept when it is not a
//! 202, to show it).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sluice::state::State;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SECRET: &str = "bench-hook-secret";
const PIPELINE: &str = "hooks";
const HOOK_PATH: &str = "/hooks/people";

const HOOKS: &str = r#"
[source]
type = "file"
path = "data/none.ndjson"
id = "id"

[destination]
type = "file"
path = "out/hooks.ndjson"

[mapping]
inline = '''
id    = id
email = email | lower
name  = name | trim
'''

[webhook]
path = "/hooks/people"
secret = "${env:BENCH_HOOK_SECRET}"
"#;

fn reloaded(hours: u32) -> String {
    format!(
        r#"
[schedule]
every = "{hours}h"

[source]
type = "file"
path = "data/people.ndjson"
id = "id"

[destination]
type = "file"
path = "out/reloaded.ndjson"

[mapping]
inline = "id = id"
"#
    )
}

struct Options {
    ingest: bool,
    reload: bool,
    requests: usize,
    concurrency: usize,
    rounds: usize,
    client_threads: usize,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        ingest: true,
        reload: true,
        requests: 100_000,
        concurrency: 64,
        rounds: 20,
        client_threads: 1,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<usize, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{name} needs a positive number"))
        };
        match arg.as_str() {
            "ingest" => options.reload = false,
            "reload" => options.ingest = false,
            "all" => {}
            "--requests" => options.requests = number("--requests")?,
            "--concurrency" => options.concurrency = number("--concurrency")?,
            "--rounds" => options.rounds = number("--rounds")?,
            "--client-threads" => options.client_threads = number("--client-threads")?,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(options)
}

/// `sluice serve` in a project folder; killed when dropped.
struct Daemon {
    child: Child,
    addr: String,
}

impl Daemon {
    fn start(dir: &Path) -> Result<Daemon, String> {
        let mut child = Command::new(sluice_bin()?)
            .current_dir(dir)
            .env_remove("SLUICE_STATE")
            .env_remove("SLUICE_PIPELINES")
            .env_remove("SLUICE_API_TOKEN")
            .env("BENCH_HOOK_SECRET", SECRET)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start sluice serve: {e}"))?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let mut lines = BufReader::new(stderr).lines().map_while(Result::ok);
        let addr = lines
            .by_ref()
            .find_map(|l| l.split("listening on http://").nth(1).map(str::to_string))
            .ok_or("the daemon did not start listening")?;
        // The log is read so the daemon never waits on a full pipe; all but the line per
        // applied webhook batch is shown.
        std::thread::spawn(move || {
            for line in lines {
                if !line.contains("succeeded (webhook)") {
                    eprintln!("daemon: {line}");
                }
            }
        });
        Ok(Daemon { child, addr })
    }

    /// SIGTERM, then waits for the exit.
    fn stop(mut self) -> Result<(), String> {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .map_err(|e| format!("cannot signal the daemon: {e}"))?;
        self.child
            .wait()
            .map_err(|e| format!("the daemon did not stop: {e}"))?;
        Ok(())
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

/// The `sluice` binary: `SLUICE_BIN`, or the one in the target folder of this example.
fn sluice_bin() -> Result<PathBuf, String> {
    if let Some(bin) = std::env::var_os("SLUICE_BIN") {
        return std::path::absolute(bin).map_err(|e| e.to_string());
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("sluice"))
        .filter(|bin| bin.is_file())
        .ok_or("no sluice binary beside examples/: cargo build --release --bin sluice")?;
    Ok(bin)
}

/// A GET on a new connection; the status and body.
fn get(addr: &str, path: &str) -> Result<(u16, String), String> {
    let mut stream = std::net::TcpStream::connect(addr).map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|e| e.to_string())?;
    let (head, body) = response.split_once("\r\n\r\n").ok_or("no HTTP answer")?;
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or("no status")?;
    Ok((code, body.to_string()))
}

fn project() -> Result<tempfile::TempDir, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let pipelines = dir.path().join("pipelines");
    std::fs::create_dir_all(pipelines.join("data")).map_err(|e| e.to_string())?;
    std::fs::write(pipelines.join("data/people.ndjson"), "{\"id\": 1}\n")
        .map_err(|e| e.to_string())?;
    Ok(dir)
}

/// One prepared webhook call: the whole request as it goes on the wire (headers with
/// its signature and delivery id, and the body), built before the clock starts.
struct Call {
    request: Vec<u8>,
}

fn calls(n: usize, addr: &str) -> Vec<Call> {
    (0..n)
        .map(|i| {
            let body = serde_json::json!({
                "id": i,
                "email": format!("Person.{i}@Example.com"),
                "name": format!(" Ada {i} "),
                "status": "confirmed",
            })
            .to_string();
            let signature = hex::encode(sluice::auth::primitives::hmac_sha256(
                SECRET.as_bytes(),
                body.as_bytes(),
            ));
            let request = format!(
                "POST {HOOK_PATH} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
                 X-Sluice-Signature: sha256={signature}\r\nX-Delivery-Id: bench-{i}\r\n\
                 Content-Length: {}\r\n\r\n{body}",
                body.len()
            );
            Call {
                request: request.into_bytes(),
            }
        })
        .collect()
}

/// What one connection saw: latencies in microseconds, and answers other than 202.
#[derive(Default)]
struct Seen {
    latencies: Vec<u32>,
    refused: Vec<String>,
}

/// One answer: its status code and body.
struct Answer {
    status: u16,
    body: Vec<u8>,
}

/// Reads one HTTP/1.1 answer from `stream` into `buf` (cleared first): the status line
/// and `Content-Length` are all that is parsed; the body is kept for error messages.
async fn answer(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<Answer, String> {
    buf.clear();
    let (head, length) = loop {
        if let Some(head) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = head + 4;
            let length = content_length(&buf[..head])?;
            break (head, length);
        }
        read_more(stream, buf).await?;
    };
    while buf.len() < head + length {
        read_more(stream, buf).await?;
    }
    if buf.len() > head + length {
        return Err("more bytes than one answer (the client sends one request at a time)".into());
    }
    let status = buf
        .strip_prefix(b"HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| std::str::from_utf8(code).ok())
        .and_then(|code| code.parse().ok())
        .ok_or("no HTTP/1.1 status line")?;
    Ok(Answer {
        status,
        body: buf[head..].to_vec(),
    })
}

/// Appends what the socket has to `buf`; an error when the daemon closed it.
async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<(), String> {
    buf.reserve(1024);
    let n = stream
        .read_buf(buf)
        .await
        .map_err(|e| format!("read: {e}"))?;
    if n == 0 {
        return Err("the daemon closed the connection".into());
    }
    Ok(())
}

/// The `Content-Length` in an answer's head (it must have one: no chunked answers).
fn content_length(head: &[u8]) -> Result<usize, String> {
    let head = std::str::from_utf8(head).map_err(|_| "an answer head that is not UTF-8")?;
    head.split("\r\n")
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .ok_or_else(|| format!("an answer without Content-Length: {head}"))
}

/// Sends calls (the next not yet taken) over one keep-alive connection, one request in
/// flight at a time (no pipelining), until none is left.
async fn connection(
    addr: String,
    calls: Arc<Vec<Call>>,
    next: Arc<AtomicUsize>,
) -> Result<Seen, String> {
    let mut stream = TcpStream::connect(&addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut seen = Seen::default();
    let mut buf = Vec::with_capacity(1024);
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(call) = calls.get(i) else {
            return Ok(seen);
        };
        let sent = Instant::now();
        stream
            .write_all(&call.request)
            .await
            .map_err(|e| format!("request {i}: {e}"))?;
        let answer = answer(&mut stream, &mut buf)
            .await
            .map_err(|e| format!("answer {i}: {e}"))?;
        let micros = sent.elapsed().as_micros();
        seen.latencies
            .push(u32::try_from(micros).unwrap_or(u32::MAX));
        if answer.status != 202 {
            seen.refused.push(format!(
                "{} {}",
                answer.status,
                String::from_utf8_lossy(&answer.body)
            ));
        }
    }
}

/// One client thread: `connections` connections on a runtime of its own, started when
/// every thread is ready.
fn client(
    connections: usize,
    addr: String,
    calls: Arc<Vec<Call>>,
    next: Arc<AtomicUsize>,
    start: &std::sync::Barrier,
) -> Result<Vec<Seen>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string());
    start.wait();
    runtime?.block_on(async {
        let tasks: Vec<_> = (0..connections)
            .map(|_| tokio::spawn(connection(addr.clone(), calls.clone(), next.clone())))
            .collect();
        let mut seen = Vec::with_capacity(tasks.len());
        for task in tasks {
            seen.push(task.await.map_err(|e| e.to_string())??);
        }
        Ok(seen)
    })
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    f64::from(sorted[rank.clamp(1, sorted.len()) - 1]) / 1000.0
}

fn ingest(options: &Options) -> Result<(), String> {
    let dir = project()?;
    std::fs::write(dir.path().join("pipelines/hooks.toml"), HOOKS).map_err(|e| e.to_string())?;
    let daemon = Daemon::start(dir.path())?;
    let calls = Arc::new(calls(options.requests, &daemon.addr));
    let threads = options.client_threads.min(options.concurrency);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(std::sync::Barrier::new(threads + 1));
    let clients: Vec<_> = (0..threads)
        .map(|t| {
            // Connections are shared out among the client threads as evenly as can be.
            let connections =
                options.concurrency / threads + usize::from(t < options.concurrency % threads);
            let (addr, calls, next, start) = (
                daemon.addr.clone(),
                calls.clone(),
                next.clone(),
                start.clone(),
            );
            std::thread::spawn(move || client(connections, addr, calls, next, &start))
        })
        .collect();
    start.wait();
    let began = Instant::now();
    let mut results = Vec::new();
    for client in clients {
        match client.join() {
            Ok(Ok(seen)) => results.extend(seen),
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err("a client thread panicked".into()),
        }
    }
    let elapsed = began.elapsed();
    let mut latencies = Vec::with_capacity(options.requests);
    let mut refused = Vec::new();
    for seen in results {
        latencies.extend(seen.latencies);
        refused.extend(seen.refused);
    }
    latencies.sort_unstable();
    let rate = latencies.len() as f64 / elapsed.as_secs_f64();
    println!(
        "ingest: {} signed webhook POSTs, {} connections: {:.2} s, {:.0} requests/s",
        latencies.len(),
        options.concurrency,
        elapsed.as_secs_f64(),
        rate
    );
    println!(
        "latency: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
        percentile(&latencies, 50.0),
        percentile(&latencies, 90.0),
        percentile(&latencies, 99.0),
        percentile(&latencies, 99.9),
        percentile(&latencies, 100.0)
    );
    if let Some(first) = refused.first() {
        return Err(format!(
            "{} answers were not 202, e.g. {first}",
            refused.len()
        ));
    }

    // Every event applied: the inbox drains, then the state file says so.
    let depth_line = format!("sluice_webhook_inbox_events{{pipeline=\"{PIPELINE}\"}} ");
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let (code, metrics) = get(&daemon.addr, "/metrics")?;
        let depth = metrics
            .lines()
            .find_map(|l| l.strip_prefix(&depth_line))
            .and_then(|n| n.trim().parse::<u64>().ok());
        if code == 200 && depth == Some(0) {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("the inbox did not drain: {depth:?} events left"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let applied = began.elapsed();
    println!(
        "applied: every event within {:.2} s of the first request ({:.0} events/s end to end)",
        applied.as_secs_f64(),
        options.requests as f64 / applied.as_secs_f64()
    );
    daemon.stop()?;
    let state = State::open(&dir.path().join(".sluice/state.redb")).map_err(|e| e.to_string())?;
    let records = state.record_count(PIPELINE).map_err(|e| e.to_string())?;
    let left = state.inbox_len(PIPELINE).map_err(|e| e.to_string())?;
    println!("state: {records} records applied, {left} events left in the inbox");
    if records != options.requests as u64 || left != 0 {
        return Err(format!(
            "expected {} records and an empty inbox",
            options.requests
        ));
    }
    Ok(())
}

/// The schedule `GET /status` shows for the pipeline `reloaded`.
fn served_schedule(addr: &str) -> Result<String, String> {
    let (code, body) = get(addr, "/status")?;
    if code != 200 {
        return Err(format!("GET /status: {code} {body}"));
    }
    let status: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
    Ok(status["pipelines"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["name"] == "reloaded"))
        .and_then(|p| p["schedule"].as_str())
        .unwrap_or_default()
        .to_string())
}

fn reload(options: &Options) -> Result<(), String> {
    let dir = project()?;
    let file = dir.path().join("pipelines/reloaded.toml");
    std::fs::write(&file, reloaded(1)).map_err(|e| e.to_string())?;
    let daemon = Daemon::start(dir.path())?;
    let mut times = Vec::new();
    for round in 0..options.rounds {
        // 2h … 21h, then again: always another schedule than the one served.
        let hours = 2 + (round % 20) as u32;
        let expected = format!("every {hours}h");
        // Changes settle apart from each other.
        std::thread::sleep(Duration::from_millis(500));
        let saved = Instant::now();
        std::fs::write(&file, reloaded(hours)).map_err(|e| e.to_string())?;
        loop {
            if served_schedule(&daemon.addr)? == expected {
                break;
            }
            if saved.elapsed() > Duration::from_secs(30) {
                return Err(format!("round {round}: `{expected}` not served after 30 s"));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        times.push(saved.elapsed());
    }
    daemon.stop()?;
    times.sort();
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    let median = times.get(times.len() / 2).map(ms).unwrap_or_default();
    let min = times.first().map(ms).unwrap_or_default();
    let max = times.last().map(ms).unwrap_or_default();
    println!(
        "reload: {} edits, save to new version active: median {median:.0} ms, min {min:.0} ms, max {max:.0} ms",
        times.len()
    );
    Ok(())
}

fn main() -> ExitCode {
    let run = || -> Result<(), String> {
        let options = options()?;
        if options.ingest {
            ingest(&options)?;
        }
        if options.reload {
            reload(&options)?;
        }
        Ok(())
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
