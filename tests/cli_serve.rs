//! End to end: `sluice serve` as a real process on a free loopback port, with a
//! project in a temporary folder: the first run comes promptly, `after` orders runs,
//! manual triggers over HTTP and with `sluice trigger`, `min_interval` refuses with a
//! 429 and the wait, unknown pipelines are 404, and SIGTERM stops it cleanly, letting a
//! run that is going on finish first.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::mpsc;

use serde_json::{Value, json};
use support::daemon::{Daemon, PATIENCE, sluice};

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

/// A source that answers its one request only when told to: its URL, a receiver that
/// hears when the request came (the run is reading its source), and a sender that
/// releases the answer, `records` as a JSON list.
fn held_source(records: Value) -> (String, mpsc::Receiver<()>, mpsc::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port on 127.0.0.1");
    let addr = listener.local_addr().expect("an address");
    let (asked, heard) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
        let mut line = String::new();
        // The request head; a GET has no body.
        while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
            line.clear();
        }
        let _ = asked.send(());
        if released.recv().is_err() {
            return;
        }
        let body = records.to_string();
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    });
    (format!("http://{addr}/people"), heard, release)
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
    let answer = daemon.http("POST", "/pipelines/people/run");
    assert_eq!(answer.code, 202, "{}", answer.body);
    assert_eq!(answer.json()["pipeline"], "people");
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
    let answer = daemon.http("POST", "/pipelines/limited/run");
    assert_eq!(answer.code, 429, "{}", answer.body);
    let wait = answer.json()["retry_after_seconds"]
        .as_u64()
        .expect("a wait");
    assert!((3500..=3600).contains(&wait), "{}", answer.body);
    assert!(
        answer.head.contains(&format!("retry-after: {wait}")),
        "{}",
        answer.head
    );
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
    let answer = daemon.http("POST", "/pipelines/nope/run");
    assert_eq!(answer.code, 404, "{}", answer.body);
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
    std::fs::create_dir_all(&pipelines).expect("folders");
    let records: Vec<Value> = (0..3)
        .map(|i| json!({"id": i, "name": format!(" person {i} ")}))
        .collect();
    // The run stays in its source read until the test releases the answer, so the
    // signal certainly arrives while it is going on, however loaded the machine.
    let (url, asked, release) = held_source(Value::Array(records));
    let big = PEOPLE
        .replace("out/people.ndjson", "out/big.ndjson")
        .replace(
            "type = \"file\"\npath = \"data/people.ndjson\"",
            &format!("type = \"http\"\nurl = \"{url}\""),
        );
    std::fs::write(pipelines.join("big.toml"), big).expect("written");

    let mut daemon = Daemon::start(dir.path());
    daemon.wait_for_line("big: run started (schedule)");
    asked
        .recv_timeout(PATIENCE)
        .expect("the run asks its source");
    daemon.terminate();
    daemon.wait_for_line("shutting down: waiting for 1 running run");
    let answer = daemon.http("POST", "/pipelines/big/run");
    assert_eq!(answer.code, 503, "{}", answer.body);
    release.send(()).expect("the source still waits");
    let finished = daemon.wait_for_line("big: run big-1 succeeded");
    assert!(finished.contains("created 3"), "{finished}");
    assert_eq!(daemon.wait_for_exit(), Some(0));
    daemon.wait_for_line("stopped");
    let written = std::fs::read_to_string(pipelines.join("out/big.ndjson")).expect("output");
    assert_eq!(written.lines().count(), 3);
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
