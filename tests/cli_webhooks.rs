//! End to end: webhooks into `sluice serve` as a real process on a free loopback port.
//! A full record POSTed with a good signature reaches a file destination; a bad or
//! missing signature is a 401 and nothing is stored; a repeated delivery is applied
//! once; and a daemon killed with SIGKILL in the middle of a burst of concurrent
//! webhooks applies, after a restart, every event it acknowledged exactly once.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use support::daemon::{Daemon, PATIENCE, request, wait_until};
use support::platform::platform;
const SECRET: &str = "hook-secret-for-tests";

const TO_FILE: &str = r#"
[source]
type = "file"
path = "data/none.ndjson"
id = "id"

[destination]
type = "file"
path = "out/people.ndjson"

[mapping]
inline = '''
id   = id
name = name | trim
'''

[webhook]
path = "/hooks/people"
secret = "${env:HOOK_SECRET}"
"#;

fn to_platform(base: &str) -> String {
    format!(
        r#"
[source]
type = "file"
path = "data/none.ndjson"
id = "id"

[destination]
type = "http"
base_url = "{base}"
match = "email"
create = {{ method = "POST", path = "/people", id = "data.id" }}
update = {{ method = "PATCH", path = "/people/{{dest_id}}" }}
lookup = {{ method = "GET", path = "/people?email={{email}}", id = "0.id" }}

[mapping]
inline = '''
email = email
n     = n
'''

[webhook]
path = "/hooks/platform"
"#
    )
}

fn sign(body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(sluice::auth::primitives::hmac_sha256(
            SECRET.as_bytes(),
            body
        ))
    )
}

/// One request to `addr`; the status code and the JSON body, or `None` when no
/// complete answer came (the daemon was killed).
fn call(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Option<(u16, Value)> {
    request(addr, method, path, headers, body).map(|answer| (answer.code, answer.json()))
}

fn post(addr: &str, path: &str, headers: &[(&str, &str)], body: &Value) -> (u16, Value) {
    let bytes = serde_json::to_vec(body).expect("JSON");
    call(addr, "POST", path, headers, &bytes).expect("an answer")
}

fn start(dir: &Path) -> Daemon {
    Daemon::start_with(dir, &[("HOOK_SECRET", SECRET)])
}

fn project(pipeline_file: &str, text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let pipelines = dir.path().join("pipelines");
    std::fs::create_dir_all(pipelines.join("data")).expect("folders");
    std::fs::write(pipelines.join(pipeline_file), text).expect("written");
    dir
}

#[test]
fn a_signed_full_record_reaches_the_file_and_a_bad_signature_stores_nothing() {
    let dir = project("people.toml", TO_FILE);
    let mut daemon = start(dir.path());
    let out = dir.path().join("pipelines/out/people.ndjson");
    let read_out = || std::fs::read_to_string(&out).unwrap_or_default();

    // No signature, a wrong one, a signature of another body: 401, nothing stored.
    let bad = json!({"id": 66, "name": "Mallory"});
    let bytes = serde_json::to_vec(&bad).expect("JSON");
    let (code, _) = post(&daemon.addr, "/hooks/people", &[], &bad);
    assert_eq!(code, 401);
    let wrong = sign(b"{}");
    let (code, body) = post(
        &daemon.addr,
        "/hooks/people",
        &[("X-Sluice-Signature", &wrong)],
        &bad,
    );
    assert_eq!(code, 401, "{body}");
    let (code, _) = post(
        &daemon.addr,
        "/hooks/people",
        &[("X-Sluice-Signature", "sha256=zz")],
        &bad,
    );
    assert_eq!(code, 401);
    assert!(!bytes.is_empty());

    // A good one is accepted, stored and written.
    let good = serde_json::to_vec(&json!({"id": 1, "name": " Ada "})).expect("JSON");
    let signature = sign(&good);
    let answer = call(
        &daemon.addr,
        "POST",
        "/hooks/people",
        &[("X-Sluice-Signature", &signature)],
        &good,
    )
    .expect("an answer");
    assert_eq!(answer.0, 202, "{}", answer.1);
    wait_until(PATIENCE, "the record in the file", || {
        read_out().contains("Ada")
    });
    let written: Value = serde_json::from_str(read_out().trim()).expect("one NDJSON record");
    assert_eq!(written, json!({"id": 1, "name": "Ada"}));
    daemon.wait_for_line("succeeded (webhook)");

    // Unknown paths are 404; the API's own routes still answer.
    let (code, _) = post(&daemon.addr, "/hooks/nobody", &[], &json!({}));
    assert_eq!(code, 404);
    let (code, _) = call(&daemon.addr, "GET", "/status", &[], b"").expect("status");
    assert_eq!(code, 200);
    let metrics = daemon.http("GET", "/metrics").body;
    assert!(
        metrics.contains("sluice_webhook_inbox_events{pipeline=\"people\"} 0"),
        "{metrics}"
    );
    assert!(!read_out().contains("Mallory"));
}

/// The platform's records by email, and how many `POST /people` each got.
fn platform_view(tenant: &str) -> (BTreeMap<String, usize>, BTreeMap<String, usize>) {
    let mut stored = BTreeMap::new();
    for record in platform().store(tenant).values() {
        let email = record["email"].as_str().unwrap_or_default().to_string();
        *stored.entry(email).or_insert(0) += 1;
    }
    let mut creates = BTreeMap::new();
    for request in platform().log(tenant) {
        if request.method == "POST" && request.path == "/people" {
            let email = request.body["email"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            *creates.entry(email).or_insert(0) += 1;
        }
    }
    (stored, creates)
}

#[test]
fn a_repeated_delivery_is_applied_once() {
    let base = platform().tenant("repeats", Vec::new());
    let dir = project("platform.toml", &to_platform(&base));
    let daemon = start(dir.path());
    let record = json!({"id": 1, "email": "a@example.com", "n": 1});
    let delivery = [("X-Delivery-Id", "delivery-1")];
    let (code, body) = post(&daemon.addr, "/hooks/platform", &delivery, &record);
    assert_eq!(code, 202, "{body}");
    // The same delivery id, even with another body, is a repeat.
    let changed = json!({"id": 1, "email": "a@example.com", "n": 2});
    let (code, body) = post(&daemon.addr, "/hooks/platform", &delivery, &changed);
    assert_eq!((code, &body["duplicate"]), (200, &json!(true)), "{body}");
    // Without a delivery id, the same body within the window is a repeat.
    let other = json!({"id": 2, "email": "b@example.com", "n": 1});
    let (code, _) = post(&daemon.addr, "/hooks/platform", &[], &other);
    assert_eq!(code, 202);
    let (code, body) = post(&daemon.addr, "/hooks/platform", &[], &other);
    assert_eq!((code, &body["duplicate"]), (200, &json!(true)), "{body}");

    wait_until(PATIENCE, "both records at the platform", || {
        platform_view("repeats").0.len() == 2
    });
    let (stored, creates) = platform_view("repeats");
    assert_eq!(stored.values().copied().collect::<Vec<_>>(), [1, 1]);
    assert_eq!(creates.values().copied().collect::<Vec<_>>(), [1, 1]);
    let people = platform().store("repeats");
    assert!(
        people
            .values()
            .any(|r| r["n"] == 1 && r["email"] == "a@example.com")
    );
    let writes = platform()
        .log("repeats")
        .iter()
        .filter(|r| r.method != "GET")
        .count();
    assert_eq!(writes, 2, "{:#?}", platform().log("repeats"));
}

#[test]
fn events_acknowledged_before_a_kill_are_applied_once_after_a_restart() {
    const EVENTS: usize = 2_000;
    const CLIENTS: usize = 16;
    let base = platform().tenant("burst", Vec::new());
    let dir = project("platform.toml", &to_platform(&base));
    let mut daemon = start(dir.path());
    let addr = daemon.addr.clone();

    let acked = Arc::new(Mutex::new(Vec::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let next = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (addr, acked, count, next) = (addr.clone(), acked.clone(), count.clone(), next.clone());
        clients.push(std::thread::spawn(move || {
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= EVENTS {
                    return;
                }
                let email = format!("p{n}@example.com");
                let body =
                    serde_json::to_vec(&json!({"id": n, "email": email, "n": n})).expect("JSON");
                let delivery = format!("burst-{n}");
                let answer = call(
                    &addr,
                    "POST",
                    "/hooks/platform",
                    &[("X-Delivery-Id", &delivery)],
                    &body,
                );
                match answer {
                    Some((code, _)) if (200..300).contains(&code) => {
                        acked.lock().expect("acked").push(email);
                        count.fetch_add(1, Ordering::SeqCst);
                    }
                    // Refused connections and cut answers after the kill.
                    _ => {}
                }
            }
        }));
    }
    // Kill it in the middle of the burst, once a good part was acknowledged.
    wait_until(Duration::from_secs(120), "some acknowledged events", || {
        count.load(Ordering::SeqCst) >= EVENTS / 4
    });
    daemon.kill();
    for client in clients {
        client.join().expect("client");
    }
    let acked = acked.lock().expect("acked").clone();
    assert!(
        acked.len() >= EVENTS / 4 && acked.len() < EVENTS,
        "{}",
        acked.len()
    );

    let daemon = start(dir.path());
    wait_until(
        Duration::from_secs(180),
        "every acknowledged event applied",
        || {
            let (stored, _) = platform_view("burst");
            acked.iter().all(|email| stored.contains_key(email))
        },
    );
    let (stored, creates) = platform_view("burst");
    for email in &acked {
        assert_eq!(stored.get(email), Some(&1), "{email} stored once");
        assert_eq!(creates.get(email), Some(&1), "{email} created once");
    }
    // Events stored but not acknowledged (cut by the kill) may be applied too, once.
    assert!(stored.values().all(|n| *n == 1));
    assert!(
        creates.values().all(|n| *n == 1),
        "a record was created twice"
    );
    drop(daemon);
}
