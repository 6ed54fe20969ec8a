//! Writes a synthetic project of N pipelines (each with a mapping and a Rhai script)
//! for timing `sluice validate` end to end:
//!
//! cargo run --release --example make_pipelines -- /tmp/bench-project 200
//! cd /tmp/bench-project && BENCH_TOKEN=x time sluice validate

#[path = "../benches/support/pipeline_project.rs"]
mod pipeline_project;

use std::path::PathBuf;

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(args.next().ok_or("usage: make_pipelines DIR [COUNT]")?);
    let count: usize = match args.next() {
        Some(arg) => arg.parse().map_err(|e| format!("bad count {arg:?}: {e}"))?,
        None => 200,
    };
    pipeline_project::write_project(&root, count).map_err(|e| e.to_string())?;
    println!(
        "{count} pipelines written to {}",
        root.join("pipelines").display()
    );
    Ok(())
}
