//! End to end: `sluice run`, `dry-run`, `history`, `report` and `status` through the
//! real binary, on projects in temporary folders (file sources and destinations, a
//! real redb state file).

#[path = "support/project.rs"]
mod project;

use std::process::Stdio;
use std::time::Duration;

use project::Project;
use serde_json::{Value, json};

fn counts(report: &Value) -> Value {
    report["counts"].clone()
}

fn ndjson(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("NDJSON"))
        .collect()
}

const PEOPLE: &str = r#"
[source]
type = "file"
path = "data/people.ndjson"
id = "id"

[destination]
type = "file"
path = "out/people.ndjson"

[sync]
mode = "full"

[mapping]
inline = '''
id    = id
email = email | trim | lower | required
name  = name | trim
skip if status == "test"
'''
"#;

fn person(id: u32, name: &str) -> Value {
    json!({"id": id, "email": format!(" P{id}@Example.com "), "name": name, "status": "ok"})
}

#[test]
fn a_full_run_then_nothing_changed_then_one_change() {
    let p = Project::new();
    p.write("pipelines/people.toml", PEOPLE);
    let mut people: Vec<Value> = (1..=5).map(|i| person(i, "Ada")).collect();
    people.push(json!({"id": 6, "email": "", "name": "No Mail"}));
    people.push(json!({"id": 7, "email": "t@x.org", "status": "test"}));
    people.push(person(3, "Again"));
    p.records("pipelines/data/people.ndjson", &people);

    let (code, report) = p.run("people", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["status"], "succeeded");
    assert_eq!(report["dry_run"], false);
    assert_eq!(
        counts(&report),
        json!({"received": 8, "created": 5, "updated": 0, "unchanged": 0, "deleted": 0,
               "skipped": 1, "invalid": 1, "duplicates": 1, "failed": 0})
    );
    let problems = report["problems"].as_array().expect("problems");
    assert!(
        problems
            .iter()
            .any(|p| p["kind"] == "duplicate" && p["source_id"] == "3")
    );
    assert!(
        problems
            .iter()
            .any(|p| p["kind"] == "invalid" && p["source_id"] == "6")
    );
    let written = ndjson(&p.read("pipelines/out/people.ndjson"));
    assert_eq!(written.len(), 5);
    assert_eq!(
        written[0],
        json!({"id": 1, "email": "p1@example.com", "name": "Ada"})
    );

    let (_, again) = p.run("people", &[]);
    assert_eq!(again["counts"]["unchanged"], 5, "{again:#}");
    assert_eq!(again["counts"]["created"], 0);

    people[1] = person(2, "Grace");
    p.records("pipelines/data/people.ndjson", &people);
    let (_, third) = p.run("people", &[]);
    assert_eq!(third["counts"]["updated"], 1, "{third:#}");
    assert_eq!(third["counts"]["unchanged"], 4);
    assert!(p.read("pipelines/out/people.ndjson").contains("Grace"));
}

/// A state file of a build before 27 November 2026 holds each record's content
/// fingerprint (`identity::fingerprint`), not the fingerprint of its JSON text: its
/// records are still unchanged, their states take the new fingerprint, and a record
/// that did change is still an update.
#[test]
fn record_states_of_an_older_build_are_unchanged_and_take_the_new_fingerprint() {
    use sluice::engine::identity::{fingerprint, text_fingerprint};
    use sluice::state::{Commit, State};

    let p = Project::new();
    p.write("pipelines/people.toml", PEOPLE);
    let mut people: Vec<Value> = (1..=5).map(|i| person(i, "Ada")).collect();
    p.records("pipelines/data/people.ndjson", &people);
    let (code, first) = p.run("people", &[]);
    assert_eq!(code, Some(0), "{first:#}");
    assert_eq!(first["counts"]["created"], 5);

    // The states as the older build wrote them: the content fingerprint of each
    // written line, which is the mapped record.
    let written = p.read("pipelines/out/people.ndjson");
    let lines: Vec<(String, &str)> = written
        .lines()
        .map(|line| {
            let record: Value = serde_json::from_str(line).expect("NDJSON");
            (record["id"].to_string(), line)
        })
        .collect();
    let state_path = p.path(".sluice/state.redb");
    {
        let state = State::open(&state_path).expect("state");
        let reader = state.reader().expect("reader");
        let mut older = Commit::default();
        for (id, line) in &lines {
            let mut record = reader.record("people", id).expect("reads").expect("stored");
            assert_eq!(record.fingerprint, text_fingerprint(line.as_bytes()));
            let value: Value = serde_json::from_str(line).expect("NDJSON");
            record.fingerprint = fingerprint(&value);
            older.records.push((id.clone(), record));
        }
        drop(reader);
        state.commit("people", &older).expect("commits");
    }

    people[1] = person(2, "Grace");
    p.records("pipelines/data/people.ndjson", &people);
    let (code, second) = p.run("people", &[]);
    assert_eq!(code, Some(0), "{second:#}");
    assert_eq!(second["counts"]["unchanged"], 4, "{second:#}");
    assert_eq!(second["counts"]["updated"], 1, "{second:#}");
    assert_eq!(second["counts"]["created"], 0, "{second:#}");

    let rewritten = p.read("pipelines/out/people.ndjson");
    let state = State::open(&state_path).expect("state");
    let reader = state.reader().expect("reader");
    for line in rewritten.lines() {
        let record: Value = serde_json::from_str(line).expect("NDJSON");
        let stored = reader
            .record("people", &record["id"].to_string())
            .expect("reads")
            .expect("stored");
        assert_eq!(
            stored.fingerprint,
            text_fingerprint(line.as_bytes()),
            "{line}"
        );
    }
}

#[test]
fn a_file_that_cannot_be_put_in_place_leaves_nothing_of_the_run_in_the_state() {
    let p = Project::new();
    p.write("pipelines/people.toml", PEOPLE);
    let people: Vec<Value> = (1..=5).map(|i| person(i, "Ada")).collect();
    p.records("pipelines/data/people.ndjson", &people);
    // A folder (not empty) where the file goes: the written file cannot be renamed there.
    p.write("pipelines/out/people.ndjson/keep.txt", "in the way");

    let (code, report) = p.run("people", &[]);
    assert_ne!(code, Some(0), "{report:#}");
    assert_eq!(report["status"], "failed");
    let problems = report["problems"].to_string();
    assert!(problems.contains("cannot write"), "{report:#}");

    // Nothing of the failed run counts as written: the next run creates every record.
    std::fs::remove_dir_all(p.path("pipelines/out/people.ndjson")).expect("remove folder");
    let (code, again) = p.run("people", &[]);
    assert_eq!(code, Some(0), "{again:#}");
    assert_eq!(again["counts"]["created"], 5, "{again:#}");
    assert_eq!(ndjson(&p.read("pipelines/out/people.ndjson")).len(), 5);
}

#[test]
fn the_report_table_history_report_and_status() {
    let p = Project::new();
    p.write("pipelines/people.toml", PEOPLE);
    p.records("pipelines/data/people.ndjson", &[person(1, "Ada")]);
    let out = p.sluice(&["run", "people"]);
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{table}");
    assert!(table.contains("people-1"), "{table}");
    assert!(table.contains("created"), "{table}");
    p.sluice(&["run", "people"]);

    let out = p.sluice(&["history", "people"]);
    let history = String::from_utf8_lossy(&out.stdout).into_owned();
    let newest = history.find("people-2").expect("second run listed");
    let oldest = history.find("people-1").expect("first run listed");
    assert!(newest < oldest, "{history}");

    let out = p.sluice(&["report", "people-1", "--json"]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(report["counts"]["created"], 1);
    let out = p.sluice(&["report", "people-99"]);
    assert_eq!(out.status.code(), Some(1));

    let out = p.sluice(&["status"]);
    let status = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        status.contains("people") && status.contains("succeeded"),
        "{status}"
    );
}

#[test]
fn incremental_reads_only_past_the_cursor_and_full_resets_it() {
    let p = Project::new();
    let pipeline = PEOPLE
        .replace("mode = \"full\"", "mode = \"incremental\"")
        .replace(
            "id = \"id\"\n",
            "id = \"id\"\nincremental = { field = \"updated\" }\n",
        );
    p.write("pipelines/people.toml", &pipeline);
    let stamp = |mut r: Value, t: &str| {
        r["updated"] = json!(t);
        r
    };
    let mut people = vec![
        stamp(person(1, "Ada"), "2026-11-01T10:00:00Z"),
        stamp(person(2, "Bob"), "2026-11-02T10:00:00+01:00"),
    ];
    p.records("pipelines/data/people.ndjson", &people);
    let (_, first) = p.run("people", &[]);
    assert_eq!(first["counts"]["received"], 2, "{first:#}");
    assert_eq!(first["mode"], "incremental");

    // Same instant in another offset: not past the cursor. A later one is.
    people.push(stamp(person(3, "Cy"), "2026-11-02T09:00:00Z"));
    people.push(stamp(person(4, "Di"), "2026-11-03T00:00:00Z"));
    p.records("pipelines/data/people.ndjson", &people);
    let (_, second) = p.run("people", &[]);
    assert_eq!(second["counts"]["received"], 1, "{second:#}");
    assert_eq!(second["counts"]["created"], 1);

    let (_, full) = p.run("people", &["--full"]);
    assert_eq!(full["counts"]["received"], 4, "{full:#}");
    assert_eq!(full["counts"]["created"], 1);
    assert_eq!(full["counts"]["unchanged"], 3);
}

#[test]
fn deletes_propagate_within_the_guard() {
    let p = Project::new();
    let pipeline = PEOPLE.replace(
        "mode = \"full\"",
        "mode = \"full\"\ndeletes = \"propagate\"\nmax_delete_fraction = 0.3",
    );
    p.write("pipelines/people.toml", &pipeline);
    let people: Vec<Value> = (1..=10).map(|i| person(i, "X")).collect();
    p.records("pipelines/data/people.ndjson", &people);
    p.run("people", &[]);

    p.records("pipelines/data/people.ndjson", &people[..8]);
    let (code, report) = p.run("people", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["counts"]["deleted"], 2);
    assert_eq!(ndjson(&p.read("pipelines/out/people.ndjson")).len(), 8);

    // Losing 5 of the 8 known is more than 30 %: nothing is deleted, the run fails.
    p.records("pipelines/data/people.ndjson", &people[..3]);
    let (code, guarded) = p.run("people", &[]);
    assert_eq!(code, Some(1), "{guarded:#}");
    assert_eq!(guarded["status"], "failed");
    assert_eq!(guarded["counts"]["deleted"], 0);
    let message = guarded["problems"].to_string();
    assert!(message.contains("--allow-mass-delete"), "{message}");

    let (code, allowed) = p.run("people", &["--allow-mass-delete"]);
    assert_eq!(code, Some(0), "{allowed:#}");
    assert_eq!(allowed["counts"]["deleted"], 5);

    // A record still in the source but now skipped or invalid is not deleted.
    let mut changed = people[..3].to_vec();
    changed[0]["status"] = json!("test");
    changed[1]["email"] = json!("");
    p.records("pipelines/data/people.ndjson", &changed);
    let (_, kept) = p.run("people", &[]);
    assert_eq!(kept["counts"]["skipped"], 1, "{kept:#}");
    assert_eq!(kept["counts"]["invalid"], 1, "{kept:#}");
    assert_eq!(kept["counts"]["deleted"], 0, "{kept:#}");
}

#[test]
fn empty_fields_are_left_out_unless_overwrite() {
    let p = Project::new();
    p.write("pipelines/skip.toml", PEOPLE);
    p.write(
        "pipelines/overwrite.toml",
        &PEOPLE
            .replace(
                "mode = \"full\"",
                "mode = \"full\"\nempty_fields = \"overwrite\"",
            )
            .replace("out/people.ndjson", "out/overwrite.ndjson"),
    );
    p.records(
        "pipelines/data/people.ndjson",
        &[json!({"id": 1, "email": "a@b.org", "name": "  "})],
    );
    p.run("skip", &[]);
    p.run("overwrite", &[]);
    assert_eq!(
        ndjson(&p.read("pipelines/out/people.ndjson")),
        [json!({"id": 1, "email": "a@b.org"})]
    );
    assert_eq!(
        ndjson(&p.read("pipelines/out/overwrite.ndjson")),
        [json!({"id": 1, "email": "a@b.org", "name": ""})]
    );
}

#[test]
fn a_csv_export_has_the_mapping_columns_in_order_even_when_the_first_record_leaves_one_out() {
    let p = Project::new();
    p.write(
        "pipelines/export.toml",
        &PEOPLE
            .replace("out/people.ndjson", "out/people.csv")
            .replace("email = email", "zip   = zip\nemail = email"),
    );
    p.records(
        "pipelines/data/people.ndjson",
        &[
            json!({"id": 1, "email": "a@b.org", "name": "Ann"}),
            json!({"id": 2, "email": "b@b.org", "name": "Bob", "zip": "1011 AB"}),
        ],
    );
    let (code, report) = p.run("export", &[]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(
        p.read("pipelines/out/people.csv"),
        "id,zip,email,name\n1,,a@b.org,Ann\n2,1011 AB,b@b.org,Bob\n"
    );
}

#[test]
fn a_dry_run_touches_nothing() {
    let p = Project::new();
    let pipeline = PEOPLE.replace(
        "mode = \"full\"",
        "mode = \"full\"\ndeletes = \"propagate\"",
    );
    p.write("pipelines/people.toml", &pipeline);
    let people: Vec<Value> = (1..=4).map(|i| person(i, "X")).collect();
    p.records("pipelines/data/people.ndjson", &people);

    // Without a state file, a dry run creates none.
    let out = p.sluice(&["dry-run", "people"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(!p.path(".sluice").exists());
    assert!(!p.path("pipelines/out").exists());

    p.run("people", &[]);
    let mut changed = people.clone();
    changed[0] = person(1, "Changed");
    changed.pop();
    changed.push(person(9, "New"));
    changed.push(person(9, "New twice"));
    changed.push(json!({"id": 10, "email": ""}));
    p.records("pipelines/data/people.ndjson", &changed);
    let state_before = std::fs::read(p.path(".sluice/state.redb")).expect("state");
    let output_before = p.read("pipelines/out/people.ndjson");

    let out = p.sluice(&["dry-run", "people", "--output", "preview.xlsx"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "would create",
        "would update",
        "would delete",
        "duplicates",
        "mapped:",
        "raw:",
    ] {
        assert!(text.contains(expected), "{expected} missing:\n{text}");
    }
    assert!(
        text.contains("10: "),
        "the invalid record is listed:\n{text}"
    );
    assert!(p.path("preview.xlsx").is_file());
    p.sluice(&["dry-run", "people", "--output", "preview.json"]);
    let preview: Value = serde_json::from_str(&p.read("preview.json")).expect("JSON preview");
    assert_eq!(preview["report"]["dry_run"], true);
    assert_eq!(preview["report"]["counts"]["created"], 1);
    assert_eq!(preview["report"]["counts"]["updated"], 1);
    assert_eq!(preview["report"]["counts"]["deleted"], 1);
    assert_eq!(preview["report"]["counts"]["duplicates"], 1);
    assert_eq!(preview["preview"]["deletes"], json!(["4"]));

    assert_eq!(
        std::fs::read(p.path(".sluice/state.redb")).expect("state"),
        state_before
    );
    assert_eq!(p.read("pipelines/out/people.ndjson"), output_before);
    let (_, after) = p.run("people", &[]);
    assert_eq!(
        after["counts"]["updated"], 1,
        "the dry run left the state alone: {after:#}"
    );
}

/// `--limit` stops reading where it says, also in the middle of a file read ahead of the
/// engine and at the end of one, and the records before it are decided as without it.
#[test]
fn a_dry_run_with_a_limit_stops_where_it_says() {
    let p = Project::new();
    p.write(
        "pipelines/people.toml",
        &PEOPLE.replace("data/people.ndjson", "data/*.ndjson"),
    );
    for (file, first) in [("a", 0u32), ("b", 600), ("c", 1200)] {
        let mut people: Vec<Value> = (first + 1..=first + 600).map(|i| person(i, "X")).collect();
        people[10] = json!({"id": first + 11, "email": ""});
        people[20] = json!({"id": first + 21, "email": "e", "status": "test"});
        p.records(&format!("pipelines/data/{file}.ndjson"), &people);
    }
    for (limit, created) in [
        (5u64, 5u64),
        (450, 448),
        (600, 598),
        (1500, 1494),
        (5000, 1794),
    ] {
        let limit_text = limit.to_string();
        let out = p.sluice(&[
            "dry-run",
            "people",
            "--limit",
            &limit_text,
            "--output",
            "preview.json",
        ]);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let preview: Value = serde_json::from_str(&p.read("preview.json")).expect("preview");
        let counts = &preview["report"]["counts"];
        assert_eq!(counts["received"], limit.min(1800), "{limit}: {counts}");
        assert_eq!(counts["created"], created, "{limit}: {counts}");
    }
}

const ORDERS: &str = r#"
[source]
type = "file"
path = "inbox/*.xml"
records = "order"
id = "header.number"
after_read = "delete"
reject_dir = "rejected"

[destination]
type = "file"
path = "out/orders.ndjson"

[mapping]
inline = '''
number   = header.number
customer = header.customer | lower
'''
"#;

fn order(number: u32, customer: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<order><header><number>{number}</number><customer>{customer}</customer></header></order>\n"
    )
}

#[test]
fn xml_order_files_are_imported_then_deleted_and_a_broken_one_rejected() {
    let p = Project::new();
    p.write("pipelines/orders.toml", ORDERS);
    p.write("pipelines/inbox/a.xml", &order(1001, "ADA@X.ORG"));
    p.write(
        "pipelines/inbox/b.xml",
        "<order><header><number>1002</number>",
    );
    p.write("pipelines/inbox/c.xml", &order(1003, "BOB@X.ORG"));
    let (code, report) = p.run("orders", &[]);
    assert_eq!(
        code,
        Some(1),
        "a rejected file makes the run partial: {report:#}"
    );
    assert_eq!(report["status"], "partial");
    assert_eq!(report["counts"]["created"], 2, "{report:#}");
    let problems = report["problems"].to_string();
    assert!(problems.contains("b.xml"), "{problems}");
    assert!(!p.path("pipelines/inbox/a.xml").exists());
    assert!(!p.path("pipelines/inbox/c.xml").exists());
    assert!(p.path("pipelines/rejected/b.xml").is_file());
    let written = ndjson(&p.read("pipelines/out/orders.ndjson"));
    assert_eq!(written.len(), 2);

    // A corrected order arrives: it is updated, not created twice.
    p.write("pipelines/inbox/d.xml", &order(1001, "ada@new.org"));
    let (_, next) = p.run("orders", &[]);
    assert_eq!(next["counts"]["updated"], 1, "{next:#}");
}

#[test]
fn a_run_killed_at_any_moment_loses_nothing_and_duplicates_nothing() {
    let p = Project::new();
    p.write("pipelines/people.toml", PEOPLE);
    let total = 60_000u32;
    let people: Vec<Value> = (1..=total).map(|i| person(i, "Killed")).collect();
    p.records("pipelines/data/people.ndjson", &people);
    for delay_ms in [30u64, 90, 150, 250, 400] {
        let mut child = p
            .command(&["run", "people"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sluice starts");
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
    }
    let (code, report) = p.run("people", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    let written = ndjson(&p.read("pipelines/out/people.ndjson"));
    assert_eq!(written.len(), total as usize);
    let mut ids: Vec<u64> = written.iter().filter_map(|r| r["id"].as_u64()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), total as usize, "every record exactly once");
    let (_, again) = p.run("people", &[]);
    assert_eq!(again["counts"]["unchanged"], u64::from(total), "{again:#}");
}

/// The event-app import: participants and sessions first, then registrations that link
/// both by the ids those pipelines wrote.
#[test]
fn registrations_link_participants_and_sessions() {
    let p = Project::new();
    let simple = |name: &str| {
        format!(
            "[source]\ntype = \"file\"\npath = \"data/{name}.ndjson\"\nid = \"id\"\n\n\
             [destination]\ntype = \"file\"\npath = \"out/{name}.ndjson\"\n\n\
             [mapping]\ninline = '''\nid = id\nname = name\n'''\n"
        )
    };
    p.write("pipelines/participants.toml", &simple("participants"));
    p.write("pipelines/sessions.toml", &simple("sessions"));
    p.write(
        "pipelines/registrations.toml",
        r#"
[pipeline]
after = ["participants", "sessions"]

[source]
type = "file"
path = "data/registrations.ndjson"
id = "id"

[destination]
type = "file"
path = "out/registrations.ndjson"

[mapping]
inline = '''
id          = id
participant = participant_id | link("participants")
sessions    = session_ids | link("sessions")
maybe       = participant_id | link_or_null("participants")
'''
"#,
    );
    p.records(
        "pipelines/data/participants.ndjson",
        &[
            json!({"id": "p1", "name": "Ann"}),
            json!({"id": 2, "name": "Bob"}),
        ],
    );
    p.records(
        "pipelines/data/sessions.ndjson",
        &[
            json!({"id": "s1", "name": "Keynote"}),
            json!({"id": "s2", "name": "Lab"}),
        ],
    );
    p.records(
        "pipelines/data/registrations.ndjson",
        &[
            json!({"id": "r1", "participant_id": "p1", "session_ids": ["s1", "s2"]}),
            json!({"id": "r2", "participant_id": 2, "session_ids": ["s2"]}),
            json!({"id": "r3", "participant_id": "p9", "session_ids": ["s1"]}),
            json!({"id": "r1", "participant_id": "p1", "session_ids": ["s1"]}),
        ],
    );
    // Before its dependencies ran, every registration is invalid.
    let (_, early) = p.run("registrations", &[]);
    assert_eq!(early["counts"]["invalid"], 3, "{early:#}");

    assert_eq!(p.run("participants", &[]).0, Some(0));
    assert_eq!(p.run("sessions", &[]).0, Some(0));

    // The preview shows the counts, the invalid registration and the repeated id.
    let preview = p.sluice(&["dry-run", "registrations"]);
    let text = String::from_utf8_lossy(&preview.stdout);
    assert!(text.contains("would create           2"), "{text}");
    assert!(text.contains("invalid                1"), "{text}");
    assert!(text.contains("duplicates             1"), "{text}");
    assert!(
        text.contains("r3: ") && text.contains("no record with source id `p9`"),
        "{text}"
    );
    assert!(
        text.contains("duplicated ids (only the first record is written):\n  r1"),
        "{text}"
    );

    let (code, report) = p.run("registrations", &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(
        counts(&report),
        json!({"received": 4, "created": 2, "updated": 0, "unchanged": 0, "deleted": 0,
               "skipped": 0, "invalid": 1, "duplicates": 1, "failed": 0})
    );
    let problems = report["problems"].to_string();
    assert!(
        problems.contains("pipeline `participants` has written no record with source id `p9`"),
        "{problems}"
    );
    assert!(problems.contains("id `r1` was already seen"), "{problems}");
    assert_eq!(
        ndjson(&p.read("pipelines/out/registrations.ndjson")),
        [
            json!({"id": "r1", "participant": "p1", "sessions": ["s1", "s2"], "maybe": "p1"}),
            json!({"id": "r2", "participant": "2", "sessions": ["s2"], "maybe": "2"}),
        ]
    );
}
