//! Applies the benchmark mapping (benches/participants.map) to in-memory records in a
//! loop, for profilers: `cargo build --release --example mapping_loop` then
//! `valgrind --tool=callgrind target/release/examples/mapping_loop 20000`.
//! Prints records per second (one core) as a rough figure; the benchmark of record is
//! `cargo bench --bench mapping`. A second argument sets how many distinct records are
//! cycled through (10,000 by default, as the benchmark): fewer fit in the CPU's caches.
//! A third argument `in-place` maps the same records read in place from one JSON page
//! (`sluice::engine::doc`, as the HTTP source reads its pages) instead of as values.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

#[path = "../benches/support/participant_records.rs"]
mod participant_records;

use participant_records::participant_records;
use sluice::diagnostic::SourceFile;
use sluice::engine::doc::{Doc, DocRecord, SlotMemo};
use sluice::mapping::functions::Registry;
use sluice::mapping::{Environment, NoImports, Outcome, compile, no_vars};

fn main() -> Result<(), String> {
    let count = |n: usize, default: usize| match std::env::args().nth(n) {
        Some(arg) => arg.parse().map_err(|e| format!("bad count {arg:?}: {e}")),
        None => Ok(default),
    };
    let total = count(1, 1_000_000)?;
    let text = include_str!("../benches/participants.map");
    let registry = Registry::builtin();
    let env = Environment {
        functions: &registry,
        vars: None,
        imports: &NoImports,
    };
    let mapping = compile(&SourceFile::new("participants.map", text), &env)
        .mapping
        .ok_or("the benchmark mapping does not compile")?;
    let records = participant_records(count(2, 10_000)?);
    let vars = no_vars();
    let in_place = std::env::args().nth(3).as_deref() == Some("in-place");
    let page_records: Vec<DocRecord> = if in_place {
        let page = serde_json::to_string(&records).map_err(|e| e.to_string())?;
        let page = Doc::parse(page, None).ok_or("the page is not read in place")?;
        Arc::new(page).into_records().collect()
    } else {
        Vec::new()
    };
    let mut slots = SlotMemo::default();
    let started = Instant::now();
    let mut mapped = 0usize;
    if in_place {
        for record in page_records.iter().cycle().take(total) {
            let outcome = black_box(record).map(&mapping, vars, &mut slots);
            if let Outcome::Mapped(_) = black_box(outcome) {
                mapped += 1;
            }
        }
    } else {
        for record in records.iter().cycle().take(total) {
            if let Outcome::Mapped(_) = black_box(mapping.apply(black_box(record), vars)) {
                mapped += 1;
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{mapped} of {total} records mapped in {seconds:.3} s: {:.0} records/s",
        total as f64 / seconds
    );
    Ok(())
}
