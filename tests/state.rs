//! The state store through its public API, on real redb files in temporary folders:
//! round trips, the schema version, exclusive use (in this process and from another
//! one), run ids, reports and their pruning, dry runs, deletion candidates, atomic
//! commits, and the report's JSON form.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use sluice::report::{Counts, Problem, ProblemKind, Report, RunStatus, Trigger};
use sluice::state::{
    Commit, FailedRecord, PipelineState, RecordState, RunTicket, State, StateError,
};

fn temp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(".sluice/state.redb");
    (dir, path)
}

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 14, minute, 0)
        .single()
        .expect("valid time")
}

fn record(fp: u8, seen: u64) -> RecordState {
    RecordState {
        dest_id: Some(format!("dest-{fp}")),
        fingerprint: [fp; 16],
        last_seen_run: seen,
    }
}

fn report(ticket: &RunTicket, pipeline: &str, status: RunStatus, dry_run: bool) -> Report {
    Report {
        pipeline: pipeline.into(),
        run_id: ticket.run_id.clone(),
        trigger: Trigger::Manual,
        mode: "full".into(),
        dry_run,
        status,
        started_at: at(ticket.seq as u32),
        finished_at: at(ticket.seq as u32 + 1),
        counts: Counts {
            received: 3,
            created: 1,
            updated: 1,
            failed: 1,
            ..Counts::default()
        },
        retries_succeeded: 2,
        problems: vec![Problem {
            source_id: Some("p-3".into()),
            kind: ProblemKind::Failed,
            message: "HTTP 503 from the destination".into(),
        }],
        sides: None,
    }
}

fn failed(id: &str, attempts: u32) -> FailedRecord {
    FailedRecord {
        source_id: id.into(),
        record: json!({ "id": id, "email": "a@example.com", "tags": [1, 2] }),
        error: "HTTP 500".into(),
        attempts,
        first_failed_at: at(1),
        last_failed_at: at(2),
    }
}

#[test]
fn open_creates_the_folders_and_an_unknown_pipeline_has_the_default_state() {
    let (_dir, path) = temp();
    let state = State::open(&path).expect("opens");
    assert!(path.exists());
    assert_eq!(
        state.pipeline("nobody").expect("reads"),
        PipelineState::default()
    );
    assert!(state.pipelines().expect("lists").is_empty());
    assert!(state.history("nobody", 10).expect("reads").is_empty());
    assert!(state.failed("nobody").expect("reads").is_empty());
    assert_eq!(state.record_count("nobody").expect("counts"), 0);
    assert_eq!(state.report("nobody-1").expect("reads"), None);
}

#[test]
fn a_second_open_in_this_process_is_refused_until_the_first_is_closed() {
    let (_dir, path) = temp();
    let first = State::open(&path).expect("opens");
    let err = State::open(&path).expect_err("in use");
    assert!(matches!(&err, StateError::InUse { path: p } if p == &path));
    assert_eq!(
        err.to_string(),
        format!(
            "state file `{}` is in use by another sluice process",
            path.display()
        )
    );
    drop(first);
    State::open(&path).expect("opens once the first is closed");
}

/// What the child prints, on a line of its own, once it holds the file.
const HOLDING: &str = "child holds the state file";

/// Run by `a_file_held_by_another_process_is_refused` in a child process: opens the
/// state file named in `SLUICE_TEST_HOLD_STATE`, says so, and holds it until its stdin
/// closes. Without the variable (a normal test run) it does nothing.
#[test]
fn child_holds_state() {
    let Some(path) = std::env::var_os("SLUICE_TEST_HOLD_STATE") else {
        return;
    };
    let state = State::open(Path::new(&path)).expect("child opens");
    println!("\n{HOLDING}");
    std::io::stdout().flush().expect("flushes");
    let mut rest = String::new();
    while std::io::stdin().read_line(&mut rest).expect("reads stdin") > 0 {}
    drop(state);
}

#[test]
fn a_file_held_by_another_process_is_refused() {
    let (_dir, path) = temp();
    drop(State::open(&path).expect("creates"));
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "child_holds_state",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("SLUICE_TEST_HOLD_STATE", &path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawns");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    let holding = lines.by_ref().any(|line| line == HOLDING);
    assert!(holding, "the child never opened the state file");

    let err = State::open(&path).expect_err("in use by the child");
    assert_eq!(
        err.to_string(),
        format!(
            "state file `{}` is in use by another sluice process",
            path.display()
        )
    );

    // closing its stdin lets the child go; read its output to the end so it can finish
    drop(child.stdin.take());
    lines.for_each(drop);
    assert!(child.wait().expect("child ends").success());
    State::open(&path).expect("free once the child has ended");
}

#[test]
fn a_newer_schema_is_refused_with_a_clear_error() {
    let (_dir, path) = temp();
    drop(State::open(&path).expect("creates"));
    {
        let db = redb::Database::create(&path).expect("opens raw");
        let txn = db.begin_write().expect("writes");
        {
            let meta: redb::TableDefinition<&str, u64> = redb::TableDefinition::new("meta");
            let mut table = txn.open_table(meta).expect("meta");
            table.insert("schema_version", 99).expect("inserts");
        }
        txn.commit().expect("commits");
    }
    let err = State::open(&path).expect_err("newer");
    assert!(matches!(
        err,
        StateError::NewerSchema {
            found: 99,
            supported: 2,
            ..
        }
    ));
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("newer sluice"), "{message}");
}

#[test]
fn a_file_that_is_not_a_database_is_refused_naming_it() {
    let (_dir, path) = temp();
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, vec![b'x'; 8192]).expect("writes");
    let err = State::open(&path).expect_err("not redb");
    assert!(matches!(err, StateError::Open { .. }), "{err:?}");
    assert!(err.to_string().contains(&path.display().to_string()));
}

#[test]
fn run_ids_count_from_one_and_are_never_reused_across_reopen() {
    let (_dir, path) = temp();
    {
        let state = State::open(&path).expect("opens");
        let one = state.begin_run("participants").expect("begins");
        assert_eq!(one.seq, 1);
        assert_eq!(one.run_id, "participants-1");
        assert_eq!(state.begin_run("participants").expect("begins").seq, 2);
        assert_eq!(
            state.begin_run("sessions").expect("begins").run_id,
            "sessions-1"
        );
        // a run that never finishes still uses up its number
    }
    let state = State::open(&path).expect("reopens");
    let three = state.begin_run("participants").expect("begins");
    assert_eq!((three.seq, three.run_id.as_str()), (3, "participants-3"));
    state
        .finish_run(
            &report(&three, "participants", RunStatus::Succeeded, false),
            10,
        )
        .expect("finishes");
    assert_eq!(state.begin_run("participants").expect("begins").seq, 4);
}

#[test]
fn finish_run_stores_the_report_and_updates_the_pipeline() {
    let (_dir, path) = temp();
    let state = State::open(&path).expect("opens");
    let first = state.begin_run("p").expect("begins");
    let ok = report(&first, "p", RunStatus::Succeeded, false);
    state.finish_run(&ok, 10).expect("finishes");
    let second = state.begin_run("p").expect("begins");
    let partial = report(&second, "p", RunStatus::Partial, false);
    state.finish_run(&partial, 10).expect("finishes");

    let expected = PipelineState {
        cursor: None,
        last_run_id: Some("p-2".into()),
        last_started_at: Some(at(2)),
        last_finished_at: Some(at(3)),
        last_status: Some(RunStatus::Partial),
        last_success_at: Some(at(2)),
        runs: 2,
    };
    assert_eq!(state.pipeline("p").expect("reads"), expected);
    assert_eq!(
        state.pipelines().expect("lists"),
        vec![("p".to_string(), expected.clone())]
    );
    assert_eq!(state.report("p-1").expect("reads"), Some(ok.clone()));
    assert_eq!(state.report("p-2").expect("reads"), Some(partial.clone()));
    assert_eq!(
        state.history("p", 10).expect("reads"),
        vec![partial.clone(), ok]
    );
    assert_eq!(state.history("p", 1).expect("reads"), vec![partial]);
    assert!(state.history("p", 0).expect("reads").is_empty());

    drop(state);
    let state = State::open(&path).expect("reopens");
    assert_eq!(state.pipeline("p").expect("reads"), expected);
}

#[test]
fn a_dry_run_report_is_stored_but_leaves_the_pipeline_alone() {
    let (_dir, path) = temp();
    let state = State::open(&path).expect("opens");
    let real = state.begin_run("p").expect("begins");
    state
        .finish_run(&report(&real, "p", RunStatus::Succeeded, false), 10)
        .expect("finishes");
    let before = state.pipeline("p").expect("reads");

    let dry = state.begin_run("p").expect("begins");
    let dry_report = report(&dry, "p", RunStatus::Succeeded, true);
    state.finish_run(&dry_report, 10).expect("finishes");
    assert_eq!(state.pipeline("p").expect("reads"), before);
    assert_eq!(state.report(&dry.run_id).expect("reads"), Some(dry_report));

    // a pipeline only ever dry-run has no state at all
    let only_dry = state.begin_run("q").expect("begins");
    state
        .finish_run(&report(&only_dry, "q", RunStatus::Succeeded, true), 10)
        .expect("finishes");
    assert_eq!(
        state.pipeline("q").expect("reads"),
        PipelineState::default()
    );
    assert_eq!(state.pipelines().expect("lists").len(), 1);
}

#[test]
fn a_webhook_batch_is_stored_but_leaves_the_schedule_clock_alone() {
    let (_dir, path) = temp();
    let state = State::open(&path).expect("opens");
    let scheduled = state.begin_run("p").expect("begins");
    let mut failed = report(&scheduled, "p", RunStatus::Failed, false);
    failed.trigger = Trigger::Schedule;
    state.finish_run(&failed, 10).expect("finishes");
    let before = state.pipeline("p").expect("reads");

    // a succeeded webhook batch, later than the scheduled run
    let batch = state.begin_run("p").expect("begins");
    let mut hooked = report(&batch, "p", RunStatus::Succeeded, false);
    hooked.trigger = Trigger::Webhook;
    state.finish_run(&hooked, 10).expect("finishes");
    assert_eq!(
        state.report(&batch.run_id).expect("reads"),
        Some(hooked.clone())
    );
    assert_eq!(state.history("p", 10).expect("reads"), vec![hooked, failed]);
    // `every` still counts from the scheduled run's end, `after` still sees it failed,
    // also after a restart (the daemon's planner starts from this state)
    assert_eq!(state.pipeline("p").expect("reads"), before);
    drop(state);
    let state = State::open(&path).expect("reopens");
    assert_eq!(state.pipeline("p").expect("reads"), before);
    assert_eq!(before.last_finished_at, Some(at(2)));
    assert_eq!(before.last_success_at, None);
    assert_eq!(before.runs, 1);

    // a pipeline fed only by webhooks has never run as far as its schedule knows
    let only_hooks = state.begin_run("q").expect("begins");
    let mut hooked = report(&only_hooks, "q", RunStatus::Succeeded, false);
    hooked.trigger = Trigger::Webhook;
    state.finish_run(&hooked, 10).expect("finishes");
    assert_eq!(
        state.pipeline("q").expect("reads"),
        PipelineState::default()
    );
}

#[test]
fn reports_are_pruned_to_the_newest_n_per_pipeline() {
    let (_dir, path) = temp();
    let state = State::open(&path).expect("opens");
    for _ in 0..7 {
        let ticket = state.begin_run("p").expect("begins");
        state
            .finish_run(&report(&ticket, "p", RunStatus::Succeeded, false), 3)
            .expect("finishes");
    }
    let other = state.begin_run("other").expect("begins");
    state
        .finish_run(&report(&other, "other", RunStatus::Failed, false), 3)
        .expect("finishes");

    let ids: Vec<String> = state
        .history("p", 100)
        .expect("reads")
        .into_iter()
        .map(|r| r.run_id)
        .collect();
    assert_eq!(ids, ["p-7", "p-6", "p-5"]);
    for pruned in ["p-1", "p-2", "p-3", "p-4"] {
        assert_eq!(state.report(pruned).expect("reads"), None, "{pruned}");
    }
    assert!(state.report("other-1").expect("reads").is_some());
    assert_eq!(state.pipeline("p").expect("reads").runs, 7);
}

#[test]
fn a_report_with_a_foreign_run_id_is_still_stored() {
    let (_dir, path) = temp();
    let state = State::open(&path).expect("opens");
    let ticket = RunTicket {
        run_id: "imported-run".into(),
        seq: 0,
    };
    let mut foreign = report(&ticket, "p", RunStatus::Succeeded, false);
    foreign.started_at = at(1);
    state.finish_run(&foreign, 5).expect("finishes");
    assert_eq!(state.report("imported-run").expect("reads"), Some(foreign));
    // it used up a sequence number, so the next run id is fresh
    assert_eq!(state.begin_run("p").expect("begins").run_id, "p-2");
}

#[test]
fn commits_round_trip_records_cursor_and_failed_records() {
    let (_dir, path) = temp();
    let state = State::open(&path).expect("opens");
    let no_dest = RecordState {
        dest_id: None,
        fingerprint: [7; 16],
        last_seen_run: 1,
    };
    let batch = Commit {
        records: vec![
            ("a".into(), record(1, 1)),
            ("b".into(), record(2, 1)),
            ("c".into(), no_dest.clone()),
        ],
        cursor: Some("2026-11-25T14:00:00Z".into()),
        failed: vec![failed("x", 1), failed("y", 2)],
        ..Commit::default()
    };
    state.commit("p", &batch).expect("commits");
    state
        .commit(
            "other",
            &Commit {
                records: vec![("a".into(), record(9, 4))],
                ..Commit::default()
            },
        )
        .expect("commits");
    drop(state);

    let state = State::open(&path).expect("reopens");
    let reader = state.reader().expect("reader");
    assert_eq!(reader.record("p", "a").expect("reads"), Some(record(1, 1)));
    assert_eq!(reader.record("p", "c").expect("reads"), Some(no_dest));
    assert_eq!(
        reader.record("other", "a").expect("reads"),
        Some(record(9, 4))
    );
    assert_eq!(reader.record("p", "zzz").expect("reads"), None);
    assert_eq!(state.record_count("p").expect("counts"), 3);
    assert_eq!(state.record_count("other").expect("counts"), 1);
    assert_eq!(
        state.pipeline("p").expect("reads").cursor.as_deref(),
        Some("2026-11-25T14:00:00Z")
    );
    assert_eq!(
        state.failed("p").expect("reads"),
        vec![failed("x", 1), failed("y", 2)]
    );
    assert!(state.failed("other").expect("reads").is_empty());

    // an update, a delete, a retry that failed again and one that succeeded; no cursor
    // in the batch keeps the saved one
    let next = Commit {
        records: vec![("a".into(), record(3, 2))],
        deleted: vec!["b".into(), "never-known".into()],
        failed: vec![failed("x", 2)],
        resolved: vec!["y".into()],
        ..Commit::default()
    };
    state.commit("p", &next).expect("commits");
    let reader = state.reader().expect("reader");
    assert_eq!(reader.record("p", "a").expect("reads"), Some(record(3, 2)));
    assert_eq!(reader.record("p", "b").expect("reads"), None);
    assert_eq!(state.record_count("p").expect("counts"), 2);
    assert_eq!(state.failed("p").expect("reads"), vec![failed("x", 2)]);
    assert_eq!(
        state.pipeline("p").expect("reads").cursor.as_deref(),
        Some("2026-11-25T14:00:00Z")
    );

    state.reset_cursor("p").expect("resets");
    assert_eq!(state.pipeline("p").expect("reads").cursor, None);
    state.reset_cursor("nobody").expect("resets");
    assert_eq!(state.pipelines().expect("lists").len(), 1);
}

#[test]
fn a_cursor_commit_keeps_the_run_history() {
    let (_dir, path) = temp();
    let state = State::open(&path).expect("opens");
    let ticket = state.begin_run("p").expect("begins");
    state
        .finish_run(&report(&ticket, "p", RunStatus::Succeeded, false), 5)
        .expect("finishes");
    state
        .commit(
            "p",
            &Commit {
                cursor: Some("42".into()),
                ..Commit::default()
            },
        )
        .expect("commits");
    let p = state.pipeline("p").expect("reads");
    assert_eq!(p.cursor.as_deref(), Some("42"));
    assert_eq!(p.runs, 1);
    assert_eq!(p.last_run_id.as_deref(), Some("p-1"));
}

#[test]
fn unseen_returns_exactly_the_records_the_run_did_not_see() {
    let (_dir, path) = temp();
    let state = State::open(&path).expect("opens");
    let ids: Vec<String> = (0..100).map(|i| format!("id-{i:03}")).collect();
    state
        .commit(
            "p",
            &Commit {
                records: ids.iter().map(|id| (id.clone(), record(1, 1))).collect(),
                ..Commit::default()
            },
        )
        .expect("commits");
    // a neighbour pipeline whose keys sort right after "p"'s
    state
        .commit(
            "p2",
            &Commit {
                records: vec![("id-000".into(), record(1, 1))],
                ..Commit::default()
            },
        )
        .expect("commits");

    // run 2 sees every third id unchanged, rewrites every fifth, misses the rest
    let seen: Vec<String> = ids.iter().step_by(3).cloned().collect();
    let rewritten: Vec<(String, RecordState)> = ids
        .iter()
        .step_by(5)
        .map(|id| (id.clone(), record(2, 2)))
        .collect();
    for chunk in seen.chunks(7) {
        state
            .commit(
                "p",
                &Commit {
                    seen: chunk.to_vec(),
                    seen_run: 2,
                    ..Commit::default()
                },
            )
            .expect("commits");
    }
    state
        .commit(
            "p",
            &Commit {
                records: rewritten,
                ..Commit::default()
            },
        )
        .expect("commits");

    let unseen = state.unseen("p", 2).expect("reads");
    let expected: Vec<String> = (0..100)
        .filter(|i| i % 3 != 0 && i % 5 != 0)
        .map(|i| format!("id-{i:03}"))
        .collect();
    let got: Vec<&str> = unseen.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(got, expected);
    assert!(unseen.iter().all(|(_, r)| r == &record(1, 1)));
    assert!(state.unseen("p", 1).expect("reads").is_empty());
    assert_eq!(state.unseen("p", 3).expect("reads").len(), 100);
    assert_eq!(state.unseen("p2", 2).expect("reads").len(), 1);
    assert!(state.unseen("nobody", 2).expect("reads").is_empty());
}

#[test]
fn a_commit_is_all_or_nothing() {
    let (_dir, path) = temp();
    let state = State::open(&path).expect("opens");
    let first = Commit {
        records: vec![("a".into(), record(1, 1))],
        cursor: Some("c1".into()),
        ..Commit::default()
    };
    state.commit("p", &first).expect("commits");
    drop(state);

    // damage the pipeline's stored state behind the store's back, so that a commit
    // fails at its cursor, after its record changes were written in the transaction
    {
        let db = redb::Database::create(&path).expect("opens raw");
        let txn = db.begin_write().expect("writes");
        {
            let pipelines: redb::TableDefinition<&str, &[u8]> =
                redb::TableDefinition::new("pipelines");
            let mut table = txn.open_table(pipelines).expect("pipelines");
            table
                .insert("p", b"{ not json".as_slice())
                .expect("inserts");
        }
        txn.commit().expect("commits");
    }

    let state = State::open(&path).expect("reopens");
    let failing = Commit {
        records: vec![("b".into(), record(2, 2)), ("a".into(), record(3, 2))],
        seen: vec!["a".into()],
        seen_run: 2,
        deleted: vec!["a".into()],
        cursor: Some("c2".into()),
        failed: vec![failed("x", 1)],
        ..Commit::default()
    };
    let err = state.commit("p", &failing).expect_err("damaged");
    assert!(matches!(err, StateError::Damaged { .. }), "{err:?}");
    assert!(err.to_string().contains("state of pipeline `p`"), "{err}");
    drop(state);

    let state = State::open(&path).expect("reopens");
    let reader = state.reader().expect("reader");
    assert_eq!(reader.record("p", "a").expect("reads"), Some(record(1, 1)));
    assert_eq!(reader.record("p", "b").expect("reads"), None);
    assert_eq!(state.record_count("p").expect("counts"), 1);
    assert!(state.failed("p").expect("reads").is_empty());
}

#[test]
fn changes_in_many_commits_read_back_as_if_applied_in_turn() {
    let (_dir, path) = temp();
    let state = State::open(&path).expect("opens");
    let commits = [
        Commit {
            records: vec![("a".into(), record(1, 1)), ("b".into(), record(2, 1))],
            seen: vec!["a".into()],
            seen_run: 5,
            ..Commit::default()
        },
        Commit {
            seen: vec!["b".into(), "c".into()],
            seen_run: 6,
            deleted: vec!["a".into()],
            ..Commit::default()
        },
        Commit {
            records: vec![("c".into(), record(3, 7)), ("a".into(), record(4, 2))],
            seen: vec!["a".into(), "c".into()],
            seen_run: 8,
            deleted: vec!["b".into()],
            ..Commit::default()
        },
        Commit {
            records: vec![("b".into(), record(5, 1))],
            ..Commit::default()
        },
    ];
    for commit in &commits {
        state.commit("p", commit).expect("commits");
    }
    // read back after a reopen: the changes were journaled, durably
    drop(state);
    let state = State::open(&path).expect("reopens");
    assert_eq!(state.record_count("p").expect("counts"), 3);
    let reader = state.reader().expect("reader");
    assert_eq!(reader.record("p", "a").expect("reads"), Some(record(4, 8)));
    assert_eq!(reader.record("p", "b").expect("reads"), Some(record(5, 1)));
    assert_eq!(reader.record("p", "c").expect("reads"), Some(record(3, 8)));
}

#[test]
fn report_json_has_exactly_the_documented_keys() {
    let ticket = RunTicket {
        run_id: "participants-1".into(),
        seq: 1,
    };
    let json = serde_json::to_value(report(&ticket, "participants", RunStatus::Partial, false))
        .expect("serializes");
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut keys: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
        keys.sort();
        keys
    };
    // PRODUCT.md's report, plus retries_succeeded
    let mut top = vec![
        "pipeline",
        "run_id",
        "trigger",
        "mode",
        "dry_run",
        "status",
        "started_at",
        "finished_at",
        "counts",
        "problems",
        "retries_succeeded",
    ];
    top.sort();
    assert_eq!(keys(&json), top);
    let mut counts = vec![
        "received",
        "created",
        "updated",
        "unchanged",
        "deleted",
        "skipped",
        "invalid",
        "duplicates",
        "failed",
    ];
    counts.sort();
    assert_eq!(keys(&json["counts"]), counts);
    assert_eq!(keys(&json["problems"][0]), ["kind", "message", "source_id"]);
    assert_eq!(json["trigger"], "manual");
    assert_eq!(json["status"], "partial");
    assert_eq!(json["problems"][0]["kind"], "failed");
    let started = json["started_at"].as_str().expect("text");
    assert!(DateTime::parse_from_rfc3339(started).is_ok(), "{started}");
}
