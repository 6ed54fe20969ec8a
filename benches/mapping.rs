//! Mapping evaluation throughput: the twelve-field participant mapping of
//! benches/participants.map applied to in-memory records on one core.
//!
//! cargo bench --bench mapping

use std::hint::black_box;

/// The allocator of the `sluice` binary, so the figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;
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

fn records() -> Vec<Value> {
    let first = ["Ada", " Grace", "Alan ", "Katherine"];
    let countries = ["nl", "BE", "de", "US"];
    (0..RECORDS)
        .map(|i| {
            serde_json::json!({
                "participant_id": format!("p-{i}"),
                "first_name": first[i % 4],
                "last_name": " Lovelace ",
                "email": format!(" Ada.Lovelace{i}@Example.COM"),
                "company": if i % 5 == 0 { Value::Null } else { Value::from(format!("Company {}", i % 97)) },
                "country_code": countries[i % 4],
                "registered": format!("{:02}/{:02}/2026 {:02}:{:02}", 1 + i % 28, 1 + i % 12, i % 24, i % 60),
                "tickets": 1 + i % 4,
                "city": " Amsterdam",
                "status": "confirmed",
            })
        })
        .collect()
}

fn evaluation(c: &mut Criterion) {
    let mapping = mapping();
    let records = records();
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
