//! State store speed over one million records of one pipeline, as a large full sync
//! uses it: commit them in batches of 5,000, look every one up through a `StateReader`,
//! then mark every one seen (batches of 5,000), then list the unseen. Commits and seen
//! marks are timed until they are folded into the records table (the next `reader()`).
//! Ids come in a scattered order, as from a source. Target: lookups + seen ≪ 5 s.
//!
//! cargo bench --bench state

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sluice::state::{Commit, RecordState, State};

const RECORDS: usize = 1_000_000;
const BATCH: usize = 5_000;
const PIPELINE: &str = "participants";

/// Source ids in a scattered (not key) order, as a source hands them out.
fn ids() -> Vec<String> {
    // 7,919 is prime and shares no factor with 1,000,000: i ↦ 7919·i mod n visits each once
    (0..RECORDS)
        .map(|i| format!("participant-{:07}", (i * 7_919) % RECORDS))
        .collect()
}

fn record(i: usize) -> RecordState {
    let mut fingerprint = [0u8; 16];
    fingerprint[..8].copy_from_slice(&(i as u64).to_le_bytes());
    RecordState {
        dest_id: Some(format!("dest-{i:08}")),
        fingerprint,
        last_seen_run: 1,
    }
}

fn commit_all(state: &State, ids: &[String]) {
    for (n, chunk) in ids.chunks(BATCH).enumerate() {
        let batch = Commit {
            records: chunk
                .iter()
                .enumerate()
                .map(|(i, id)| (id.clone(), record(n * BATCH + i)))
                .collect(),
            ..Commit::default()
        };
        if let Err(e) = state.commit(PIPELINE, &batch) {
            panic!("{e}");
        }
    }
    fold(state);
}

/// Folds the journal, as the next run's `reader()` does.
fn fold(state: &State) {
    if let Err(e) = state.reader() {
        panic!("{e}");
    }
}

fn lookup_all(state: &State, ids: &[String]) -> usize {
    let reader = match state.reader() {
        Ok(reader) => reader,
        Err(e) => panic!("{e}"),
    };
    let mut found = 0;
    for id in ids {
        match reader.record(PIPELINE, id) {
            Ok(Some(_)) => found += 1,
            Ok(None) => {}
            Err(e) => panic!("{e}"),
        }
    }
    found
}

fn seen_all(state: &State, ids: &[String], run: u64) {
    for chunk in ids.chunks(BATCH) {
        let batch = Commit {
            seen: chunk.to_vec(),
            seen_run: run,
            ..Commit::default()
        };
        if let Err(e) = state.commit(PIPELINE, &batch) {
            panic!("{e}");
        }
    }
    fold(state);
}

fn state_store(c: &mut Criterion) {
    let Ok(dir) = tempfile::tempdir() else {
        panic!("no temporary folder");
    };
    let ids = ids();
    let mut group = c.benchmark_group("state");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(RECORDS as u64));

    let mut file = 0;
    group.bench_function("commit_1m_in_batches_of_5000", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                file += 1;
                let path = dir.path().join(format!("commit-{file}.redb"));
                let state = match State::open(&path) {
                    Ok(state) => state,
                    Err(e) => panic!("{e}"),
                };
                let start = Instant::now();
                commit_all(&state, &ids);
                total += start.elapsed();
                drop(state);
                let _ = std::fs::remove_file(&path);
            }
            total
        })
    });

    let state = match State::open(&dir.path().join("loaded.redb")) {
        Ok(state) => state,
        Err(e) => panic!("{e}"),
    };
    commit_all(&state, &ids);
    group.bench_function("lookup_1m", |b| {
        b.iter(|| assert_eq!(lookup_all(&state, &ids), RECORDS))
    });
    let mut run = 1;
    group.bench_function("seen_1m_in_batches_of_5000", |b| {
        b.iter(|| {
            run += 1;
            seen_all(&state, &ids, run)
        })
    });
    group.bench_function("unseen_scan_1m", |b| {
        b.iter(|| match state.unseen(PIPELINE, run) {
            Ok(unseen) => assert!(unseen.is_empty()),
            Err(e) => panic!("{e}"),
        })
    });
    group.finish();
}

criterion_group!(benches, state_store);
criterion_main!(benches);
