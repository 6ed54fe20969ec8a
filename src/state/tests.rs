//! Unit tests of the store's internals: the schema version, in-place seen bumps,
//! snapshots. The public behaviour is tested in tests/state.rs.

use redb::{Database, ReadableDatabase};

use super::chunks::Builder;
use super::tables::{
    META, SCHEMA_KEY, SCHEMA_VERSION, V1_RECORDS_PREFIX, chunks_table, chunks_table_name,
    encode_record,
};
use super::*;

fn record(fp: u8, seen: u64) -> RecordState {
    RecordState {
        dest_id: Some(format!("d{fp}")),
        fingerprint: [fp; 16],
        last_seen_run: seen,
    }
}

#[test]
fn a_new_file_gets_the_schema_version_and_every_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nested/folders/state.redb");
    let state = State::open(&path).expect("opens");
    assert_eq!(state.path(), path);
    let version = state
        .read(|txn| Ok(txn.open_table(META)?.get(SCHEMA_KEY)?.map(|v| v.value())))
        .expect("reads");
    assert_eq!(version, Some(SCHEMA_VERSION));
    let tables = state
        .read(|txn| {
            Ok(txn
                .list_tables()?
                .map(|t| redb::TableHandle::name(&t).to_string())
                .collect::<Vec<_>>())
        })
        .expect("lists");
    for table in [
        "meta",
        "pipelines",
        "run_seq",
        "run_ids",
        "reports",
        "journal",
        "journal_ops",
        "failed",
    ] {
        assert!(
            tables.iter().any(|t| t == table),
            "{table} missing: {tables:?}"
        );
    }
}

#[test]
fn an_older_file_without_meta_is_given_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state.redb");
    drop(Database::create(&path).expect("creates"));
    drop(State::open(&path).expect("opens"));
    let db = Database::create(&path).expect("reopens");
    let txn = db.begin_read().expect("reads");
    let meta = txn.open_table(META).expect("meta exists");
    assert_eq!(
        meta.get(SCHEMA_KEY).expect("reads").map(|v| v.value()),
        Some(SCHEMA_VERSION)
    );
}

#[test]
fn seen_rewrites_only_the_run_number_in_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = State::open(&dir.path().join("s.redb")).expect("opens");
    let batch = Commit {
        records: vec![("a".into(), record(1, 1)), ("b".into(), record(2, 1))],
        ..Commit::default()
    };
    state.commit("p", &batch).expect("commits");
    let seen = Commit {
        seen: vec!["b".into(), "missing".into(), "a".into()],
        seen_run: 9,
        ..Commit::default()
    };
    state.commit("p", &seen).expect("commits");
    let reader = state.reader().expect("reader");
    assert_eq!(reader.record("p", "a").expect("reads"), Some(record(1, 9)));
    assert_eq!(reader.record("p", "b").expect("reads"), Some(record(2, 9)));
    // an unknown id is passed over, not created
    assert_eq!(reader.record("p", "missing").expect("reads"), None);
    assert_eq!(state.record_count("p").expect("counts"), 2);
}

#[test]
fn a_reader_is_a_snapshot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = State::open(&dir.path().join("s.redb")).expect("opens");
    let before = state.reader().expect("reader");
    let batch = Commit {
        records: vec![("a".into(), record(1, 1))],
        ..Commit::default()
    };
    state.commit("p", &batch).expect("commits");
    assert_eq!(before.record("p", "a").expect("reads"), None);
    assert_eq!(
        state
            .reader()
            .expect("reader")
            .record("p", "a")
            .expect("reads"),
        Some(record(1, 1))
    );
}

/// Writes a chunk of pipeline `p` as it is, under `key`.
fn put_chunk(state: &State, key: &str, bytes: &[u8]) {
    state
        .write(|txn| {
            let name = chunks_table_name("p");
            txn.open_table(chunks_table(&name))?.insert(key, bytes)?;
            Ok(())
        })
        .expect("writes");
}

#[test]
fn a_damaged_record_is_reported_with_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.redb");
    let state = State::open(&path).expect("opens");
    // a well-formed chunk holding a record too short to be one
    let mut builder = Builder::default();
    assert!(builder.push("bad", &[1u8, 2, 3], None).is_none());
    let (_, chunk) = builder.finish().expect("a chunk");
    put_chunk(&state, "", &chunk);
    let err = state
        .reader()
        .expect("reader")
        .record("p", "bad")
        .expect_err("damaged");
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(
        message.contains("record `bad` of pipeline `p`"),
        "{message}"
    );
    assert!(matches!(err, StateError::Damaged { .. }));
    let seen = Commit {
        seen: vec!["bad".into()],
        seen_run: 2,
        ..Commit::default()
    };
    // the mark is journaled; folding it meets the damage
    state.commit("p", &seen).expect("journaled");
    assert!(matches!(state.reader(), Err(StateError::Damaged { .. })));
    assert!(matches!(
        state.unseen("p", 5),
        Err(StateError::Damaged { .. })
    ));
}

#[test]
fn a_damaged_chunk_is_reported_with_the_pipeline_not_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.redb");
    let state = State::open(&path).expect("opens");
    put_chunk(&state, "m", &[9u8, 0, 0, 0, 1]);
    let err = state
        .reader()
        .expect("reader")
        .record("p", "x")
        .expect_err("damaged");
    let message = err.to_string();
    assert!(
        message.contains("records of pipeline `p` from `m`"),
        "{message}"
    );
    assert!(matches!(err, StateError::Damaged { .. }));
    // below every chunk: no chunk to read
    assert_eq!(
        state
            .reader()
            .expect("reader")
            .record("p", "a")
            .expect("reads"),
        None
    );
    assert!(matches!(
        state.record_count("p"),
        Err(StateError::Damaged { .. })
    ));
    assert!(matches!(
        state.unseen("p", 1),
        Err(StateError::Damaged { .. })
    ));
}

/// A file of schema version 1 (one entry per record in `records/{pipeline}`) is
/// migrated on open: every record is kept, in the same order, and the old tables go.
#[test]
fn a_version_1_file_is_migrated_to_chunks_on_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.redb");
    let ids: Vec<String> = (0..500).map(|i| format!("id-{i:04}")).collect();
    {
        let state = State::open(&path).expect("opens");
        state
            .write(|txn| {
                txn.open_table(META)?.insert(SCHEMA_KEY, 1)?;
                for pipeline in ["p", "q"] {
                    let name = format!("{V1_RECORDS_PREFIX}{pipeline}");
                    let mut table = txn.open_table(chunks_table(&name))?;
                    let mut bytes = Vec::new();
                    for (i, id) in ids.iter().enumerate() {
                        encode_record(&record(i as u8, i as u64), &mut bytes);
                        table.insert(id.as_str(), bytes.as_slice())?;
                    }
                }
                Ok(())
            })
            .expect("writes a version 1 layout");
    }
    let state = State::open(&path).expect("migrates");
    let version = state
        .read(|txn| Ok(txn.open_table(META)?.get(SCHEMA_KEY)?.map(|v| v.value())))
        .expect("reads");
    assert_eq!(version, Some(SCHEMA_VERSION));
    let reader = state.reader().expect("reader");
    for (i, id) in ids.iter().enumerate() {
        for pipeline in ["p", "q"] {
            assert_eq!(
                reader.record(pipeline, id).expect("reads"),
                Some(record(i as u8, i as u64)),
                "{pipeline} {id}"
            );
        }
    }
    assert_eq!(state.record_count("q").expect("counts"), 500);
    let unseen: Vec<String> = state
        .unseen("p", 1_000)
        .expect("lists")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(unseen, ids);
    let tables = state
        .read(|txn| {
            Ok(txn
                .list_tables()?
                .map(|t| redb::TableHandle::name(&t).to_string())
                .collect::<Vec<_>>())
        })
        .expect("lists");
    assert!(
        !tables.iter().any(|t| t.starts_with(V1_RECORDS_PREFIX)),
        "{tables:?}"
    );
}

/// Commits journaled but not yet folded when the file was still at version 1 are
/// folded into the migrated chunks afterwards, on top of the migrated records.
#[test]
fn a_version_1_journal_folds_into_the_migrated_chunks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.redb");
    {
        let state = State::open(&path).expect("opens");
        // journaled, not folded: a version 1 file held its journal the same way
        let batch = Commit {
            records: vec![("b".into(), record(7, 2)), ("z".into(), record(8, 2))],
            seen: vec!["a".into()],
            seen_run: 2,
            deleted: vec!["c".into()],
            ..Commit::default()
        };
        state.commit("p", &batch).expect("journals");
        state
            .write(|txn| {
                txn.open_table(META)?.insert(SCHEMA_KEY, 1)?;
                let name = format!("{V1_RECORDS_PREFIX}p");
                let mut table = txn.open_table(chunks_table(&name))?;
                let mut bytes = Vec::new();
                for (id, fp) in [("a", 1), ("b", 2), ("c", 3)] {
                    encode_record(&record(fp, 1), &mut bytes);
                    table.insert(id, bytes.as_slice())?;
                }
                Ok(())
            })
            .expect("writes a version 1 layout");
    }
    let state = State::open(&path).expect("migrates");
    let all: Vec<(String, RecordState)> = state.unseen("p", u64::MAX).expect("lists");
    assert_eq!(
        all,
        vec![
            ("a".to_string(), record(1, 2)),
            ("b".to_string(), record(7, 2)),
            ("z".to_string(), record(8, 2)),
        ]
    );
}

/// Records reach chunks and come back whatever the order and mix of commits: many
/// chunks, inserts below the first chunk's key, deletes emptying chunks, seen marks.
#[test]
fn chunks_follow_every_kind_of_change_like_a_plain_map() {
    use std::collections::BTreeMap;
    let dir = tempfile::tempdir().expect("tempdir");
    let state = State::open(&dir.path().join("s.redb")).expect("opens");
    let mut model: BTreeMap<String, RecordState> = BTreeMap::new();
    let id = |n: usize| format!("{:x}-{}", (n * 7_919) % 4_001, "x".repeat(n % 30));
    for round in 0..6u64 {
        let mut batch = Commit {
            seen_run: 100 + round,
            ..Commit::default()
        };
        for n in 0..4_000 {
            let key = id(n);
            match (n as u64 + round) % 5 {
                0 | 1 if (round as usize + n).is_multiple_of(3) => {
                    let value = record((n % 250) as u8, round);
                    model.insert(key.clone(), value.clone());
                    batch.records.push((key, value));
                }
                2 if round % 2 == 1 => {
                    if let Some(known) = model.get_mut(&key) {
                        known.last_seen_run = batch.seen_run;
                    }
                    batch.seen.push(key);
                }
                3 if round >= 2 && n.is_multiple_of(4) => {
                    model.remove(&key);
                    batch.deleted.push(key);
                }
                _ => {}
            }
        }
        state.commit("p", &batch).expect("commits");
        let reader = state.reader().expect("reader");
        for n in 0..4_000 {
            let key = id(n);
            assert_eq!(
                reader.record("p", &key).expect("reads"),
                model.get(&key).cloned(),
                "round {round}, {key}"
            );
        }
        let all: Vec<(String, RecordState)> = state.unseen("p", u64::MAX).expect("lists");
        let expected: Vec<(String, RecordState)> =
            model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        assert_eq!(all, expected, "round {round}");
        assert_eq!(state.record_count("p").expect("counts"), model.len() as u64);
    }
}

#[test]
fn state_and_reader_are_send_and_sync() {
    fn both<T: Send + Sync>() {}
    both::<State>();
    both::<StateReader>();
    both::<StateError>();
}

#[test]
fn a_new_file_appears_whole_and_leaves_no_temporary_behind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state.redb");
    // A half-written temporary left by a killed process that had our process id.
    let stale = dir
        .path()
        .join(format!("state.redb.new-{}", std::process::id()));
    fs::write(&stale, b"half a redb file").expect("writes");
    let state = State::open(&path).expect("opens despite the stale temporary");
    drop(state);
    let names: Vec<String> = fs::read_dir(dir.path())
        .expect("lists")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(names, ["state.redb"]);
    State::open(&path).expect("reopens");
}

#[test]
fn deferred_commits_are_seen_at_once_and_kept_by_the_next_durable_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("state.redb");
    {
        let state = State::open(&path).expect("open");
        let lazy = state.deferred();
        assert_eq!(lazy.begin_run("p").expect("run").seq, 1);
        // Seen through the durable handle at once.
        assert_eq!(state.begin_run("p").expect("run").seq, 2);
        assert_eq!(lazy.begin_run("p").expect("run").seq, 3);
        state.inbox_done("p", &[]).expect("durable");
    }
    let state = State::open(&path).expect("reopen");
    assert_eq!(state.begin_run("p").expect("run").seq, 4);
}

/// Resolving ids removes the pipeline's own failed records, and only those, whether
/// or not other pipelines have failed records too.
#[test]
fn resolved_ids_remove_only_their_pipelines_failed_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = State::open(&dir.path().join("s.redb")).expect("opens");
    let failed = |id: &str| FailedRecord {
        source_id: id.into(),
        record: serde_json::json!({"id": id}),
        error: "refused".into(),
        attempts: 1,
        first_failed_at: chrono::DateTime::UNIX_EPOCH,
        last_failed_at: chrono::DateTime::UNIX_EPOCH,
    };
    let commit = |pipeline: &str, failed: Vec<FailedRecord>, resolved: &[&str]| {
        let batch = Commit {
            failed,
            resolved: resolved.iter().map(|id| id.to_string()).collect(),
            ..Commit::default()
        };
        state.commit(pipeline, &batch).expect("commits");
    };
    let ids = |pipeline: &str| -> Vec<String> {
        let failed = state.failed(pipeline).expect("reads");
        failed.into_iter().map(|f| f.source_id).collect()
    };
    commit("q", vec![failed("x")], &[]);
    commit("p", Vec::new(), &["x"]);
    assert_eq!(ids("q"), ["x"]);
    commit("p", vec![failed("x"), failed("y")], &[]);
    commit("p", Vec::new(), &["x", "z"]);
    assert_eq!(ids("p"), ["y"]);
    assert_eq!(ids("q"), ["x"]);
    commit("o", Vec::new(), &["x", "y"]);
    assert_eq!(
        (ids("p"), ids("q")),
        (vec!["y".to_string()], vec!["x".to_string()])
    );
}

/// Batches held back and committed together (`commit_staged`, a staged destination's
/// run) leave the store exactly as committing them one by one does, after a journal
/// that still holds earlier commits too.
#[test]
fn staged_batches_land_like_the_same_commits_one_by_one() {
    let id = |n: usize| format!("{:x}-{}", (n * 7_919) % 4_001, "y".repeat(n % 7));
    let batches: Vec<Commit> = (0..6u64)
        .map(|round| {
            let mut batch = Commit {
                seen_run: 100 + round,
                cursor: Some(format!("2026-01-0{round}")),
                ..Commit::default()
            };
            for n in 0..3_000 {
                match (n as u64 + round) % 5 {
                    0 | 1 => batch.records.push((id(n), record((n % 250) as u8, round))),
                    2 => batch.seen.push(id(n)),
                    3 if round >= 2 && n.is_multiple_of(4) => batch.deleted.push(id(n)),
                    _ => {}
                }
            }
            if round == 1 {
                let at = chrono::DateTime::UNIX_EPOCH;
                batch.failed.push(FailedRecord {
                    source_id: id(7),
                    record: serde_json::json!({"id": 7}),
                    error: "500".into(),
                    attempts: 1,
                    first_failed_at: at,
                    last_failed_at: at,
                });
            }
            if round == 4 {
                batch.resolved.push(id(7));
            }
            batch
        })
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let one_by_one = State::open(&dir.path().join("a.redb")).expect("opens");
    for batch in &batches {
        one_by_one.commit("p", batch).expect("commits");
    }
    let staged = State::open(&dir.path().join("b.redb")).expect("opens");
    for batch in &batches[..2] {
        staged.commit_unsynced("p", batch).expect("commits");
    }
    let mut held = Staged::default();
    for batch in &batches[2..] {
        held.take(&mut batch.clone());
    }
    staged.commit_staged("p", &held).expect("commits");

    let records = |state: &State| state.unseen("p", u64::MAX).expect("lists");
    assert!(!records(&one_by_one).is_empty());
    assert_eq!(records(&staged), records(&one_by_one));
    assert_eq!(
        staged.pipeline("p").expect("reads").cursor,
        one_by_one.pipeline("p").expect("reads").cursor
    );
    assert_eq!(
        staged.failed("p").expect("reads"),
        one_by_one.failed("p").expect("reads")
    );
    // Nothing left in the journal: finish_run has nothing to fold.
    let journal = staged
        .read(|txn| journal::pending(&txn.open_table(JOURNAL_OPS)?))
        .expect("reads");
    assert!(journal.is_empty(), "{journal:?}");
}

/// Held batches whose destination did not finish are not committed, and the batch
/// vectors `Staged::take` empties are ready to be filled again.
#[test]
fn staged_batches_refused_at_the_end_leave_the_store_as_it_was() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = State::open(&dir.path().join("s.redb")).expect("opens");
    let first = Commit {
        seen_run: 1,
        records: vec![("a".to_string(), record(1, 1))],
        cursor: Some("2026-01-01".to_string()),
        ..Commit::default()
    };
    state.commit("p", &first).expect("commits");

    let mut batch = Commit {
        seen_run: 2,
        records: vec![
            ("a".to_string(), record(2, 2)),
            ("b".to_string(), record(3, 2)),
        ],
        cursor: Some("2026-01-02".to_string()),
        ..Commit::default()
    };
    let mut held = Staged::default();
    held.take(&mut batch);
    assert!(batch.records.is_empty() && batch.records.capacity() >= 2);
    assert_eq!(batch.cursor, None);
    assert_eq!(held.changes(), 2);

    let committed = state.commit_staged_if("p", &held, || false).expect("folds");
    assert!(!committed);
    let records = state.unseen("p", u64::MAX).expect("lists");
    assert_eq!(records, vec![("a".to_string(), record(1, 1))]);
    assert_eq!(
        state.pipeline("p").expect("reads").cursor.as_deref(),
        Some("2026-01-01")
    );

    assert!(state.commit_staged_if("p", &held, || true).expect("folds"));
    assert_eq!(state.unseen("p", u64::MAX).expect("lists").len(), 2);
}
