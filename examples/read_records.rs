//! Reads every record of one file with `formats::read_file` and prints the count and
//! the speed: for checking that a format streams (run under `/usr/bin/time -v`).
//!
//! cargo build --release --example read_records
//! /usr/bin/time -v target/release/examples/read_records /tmp/big.xml [RECORDS_PATH]

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use sluice::formats::{Flow, Format, ReadOptions, read_file};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: read_records FILE [RECORDS_PATH]");
        return ExitCode::FAILURE;
    };
    let Some(format) = Format::from_path(path) else {
        eprintln!("{path}: unknown extension");
        return ExitCode::FAILURE;
    };
    let options = ReadOptions {
        records: args.get(1).cloned(),
        ..ReadOptions::default()
    };
    let started = Instant::now();
    let (mut records, mut errors) = (0u64, 0u64);
    let result = read_file(Path::new(path), format, &options, &mut |record| {
        match record {
            Ok(_) => records += 1,
            Err(_) => errors += 1,
        }
        Flow::Continue
    });
    let seconds = started.elapsed().as_secs_f64();
    let mb = std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 / 1e6);
    println!(
        "{records} records ({errors} errors), {mb:.0} MB in {seconds:.2} s: {:.0} MB/s",
        mb / seconds
    );
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
