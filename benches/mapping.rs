//! Mapping evaluation throughput: the twelve-field participant mapping of
//! benches/participants.map applied to in-memory records on one core.
//!
//! cargo bench --bench mapping

use std::hint::black_box;

/// The allocator of the `sluice` binary, so the figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "support/participant_records.rs"]
mod participant_records;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use participant_records::participant_records;
use sluice::diagnostic::SourceFile;
use sluice::mapping::functions::Registry;
use sluice::mapping::{Environment, Mapping, NoImports, Outcome, compile, no_vars};

const RECORDS: usize = 10_000;

fn mapping() -> Mapping {
    let text = include_str!("participants.map");
    let registry = Registry::builtin();
    let env = Environment {
        functions: &registry,
        vars: None,
        imports: &NoImports,
    };
    match compile(&SourceFile::new("participants.map", text), &env).mapping {
        Some(mapping) => mapping,
        None => panic!("the benchmark mapping does not compile"),
    }
}

fn evaluation(c: &mut Criterion) {
    let mapping = mapping();
    let records = participant_records(RECORDS);
    let vars = no_vars();
    let mut group = c.benchmark_group("mapping");
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.bench_function("participant_12_fields", |b| {
        b.iter(|| {
            let mut mapped = 0usize;
            for record in &records {
                if let Outcome::Mapped(_) = black_box(mapping.apply(black_box(record), vars)) {
                    mapped += 1;
                }
            }
            assert_eq!(mapped, RECORDS);
        })
    });
    group.finish();
}

criterion_group!(benches, evaluation);
criterion_main!(benches);
