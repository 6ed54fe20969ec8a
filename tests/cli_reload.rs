//! End to end: hot reload in `sluice serve` (a real process). A valid edit of a
//! pipeline file is served without a restart; an invalid edit keeps the previous
//! version serving and is reported in the log and in `GET /status`; a new file is
//! picked up; a deleted file's pipeline is no longer served.

mod support;

use serde_json::Value;
use support::daemon::Daemon;

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
    let answer = daemon.http("POST", "/pipelines/people/run");
    assert_eq!(answer.code, 202, "{}", answer.body);
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
    assert_eq!(daemon.http("POST", "/pipelines/more/run").code, 404);
}
