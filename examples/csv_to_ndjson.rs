//! The record-format benchmark: streams a CSV file through `formats::read_file` into an
//! NDJSON `RecordWriter` and prints the throughput. Memory should stay flat whatever
//! the size of the file (measure with `/usr/bin/time -v`).
//!
//! cargo run --release --example csv_to_ndjson -- make /tmp/bench.csv 1024   # ~1 GB
//! cargo build --release --example csv_to_ndjson
//! /usr/bin/time -v target/release/examples/csv_to_ndjson /tmp/bench.csv /tmp/bench.ndjson
//! target/release/examples/csv_to_ndjson read /tmp/bench.csv                   # reader only
//! target/release/examples/csv_to_ndjson /tmp/bench.csv /tmp/o.ndjson --two-threads

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use serde_json::Value;
use sluice::formats::{
    Flow, Format, ReadError, ReadOptions, WriteOptions, create_writer, read_file,
};

/// As in the `sluice` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const FIRST: [&str; 8] = [
    "Ada",
    "Grace",
    "Alan",
    "Katherine",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
];
const LAST: [&str; 8] = [
    "Lovelace", "Hopper", "Turing", "Johnson", "Dijkstra", "Liskov", "Knuth", "Allen",
];
const CITIES: [&str; 5] = ["Amsterdam", "Gent", "Berlin", "Paris", "London"];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [make, path, megabytes] if make == "make" => match megabytes.parse::<u64>() {
            Ok(mb) => make_csv(Path::new(path), mb << 20).map_err(|e| e.to_string()),
            Err(e) => Err(format!("size in MB: {e}")),
        },
        [read, input] if read == "read" => read_only(Path::new(input)),
        [input, output] => convert(Path::new(input), Path::new(output), Threads::One),
        [input, output, two] if two == "--two-threads" => {
            convert(Path::new(input), Path::new(output), Threads::Two)
        }
        _ => Err(
            "usage: csv_to_ndjson make OUT.csv SIZE_MB | csv_to_ndjson read IN.csv | \
                  csv_to_ndjson IN.csv OUT.ndjson [--two-threads]"
                .into(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// Writes participant rows (10 columns, some quoted) until the file holds `size` bytes.
fn make_csv(path: &Path, size: u64) -> std::io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let header = "participant_id,first_name,last_name,email,company,country_code,registered,tickets,city,notes\n";
    out.write_all(header.as_bytes())?;
    let mut written = header.len() as u64;
    let mut line = String::new();
    let mut i: u64 = 0;
    while written < size {
        let k = i as usize;
        let (first, last) = (FIRST[k % 8], LAST[(k / 8) % 8]);
        line.clear();
        use std::fmt::Write as _;
        let _ = writeln!(
            line,
            "p-{i},{first},{last},{}.{}{i}@example.com,\"Company {}, Inc.\",{},{:02}/{:02}/2026 {:02}:{:02},{},{},{}",
            first.to_lowercase(),
            last.to_lowercase(),
            i % 997,
            ["NL", "BE", "DE", "FR"][k % 4],
            1 + k % 28,
            1 + (k / 28) % 12,
            k % 24,
            k % 60,
            1 + i % 4,
            CITIES[k % 5],
            if i.is_multiple_of(3) {
                "\"said \"\"hi\"\" twice\""
            } else {
                ""
            },
        );
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
        i += 1;
    }
    out.flush()?;
    println!(
        "{}: {i} rows, {:.0} MB",
        path.display(),
        written as f64 / 1e6
    );
    Ok(())
}

/// Reads every record of `input` and drops it: the reader alone.
fn read_only(input: &Path) -> Result<(), String> {
    let size = std::fs::metadata(input).map_err(|e| e.to_string())?.len();
    let started = Instant::now();
    let mut records = 0u64;
    read_file(input, Format::Csv, &ReadOptions::default(), &mut |record| {
        records += u64::from(record.is_ok());
        Flow::Continue
    })
    .map_err(|e| e.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    let mb = size as f64 / 1e6;
    println!(
        "{records} records, {mb:.0} MB of CSV read in {seconds:.2} s: {:.0} MB/s",
        mb / seconds
    );
    Ok(())
}

/// Whether reading and writing share a thread.
#[derive(Clone, Copy, PartialEq)]
enum Threads {
    /// `read_file` calls the writer for each record.
    One,
    /// `read_file` runs on a thread of its own and hands batches of 512 records to the
    /// writer over a bounded channel (as `sluice map` does), so two cores work.
    Two,
}

/// Reads every record of `input` and writes it to `output`.
fn convert(input: &Path, output: &Path, threads: Threads) -> Result<(), String> {
    let size = std::fs::metadata(input).map_err(|e| e.to_string())?.len();
    let started = Instant::now();
    let mut writer = create_writer(output, Format::Ndjson, &WriteOptions::default())
        .map_err(|e| e.to_string())?;
    let (mut records, mut errors) = (0u64, 0u64);
    let mut write = |record: Result<Value, ReadError>| -> Result<(), String> {
        match record {
            Ok(record) => {
                writer.write(&record).map_err(|e| e.to_string())?;
                records += 1;
            }
            Err(_) => errors += 1,
        }
        Ok(())
    };
    if threads == Threads::One {
        let mut failure = Ok(());
        read_file(input, Format::Csv, &ReadOptions::default(), &mut |record| {
            failure = write(record);
            if failure.is_ok() {
                Flow::Continue
            } else {
                Flow::Stop
            }
        })
        .map_err(|e| e.to_string())?;
        failure?;
    } else {
        let (send, receive) = std::sync::mpsc::sync_channel::<Vec<_>>(4);
        let input = input.to_path_buf();
        let reader = std::thread::spawn(move || {
            let mut batch = Vec::with_capacity(512);
            let result = read_file(
                &input,
                Format::Csv,
                &ReadOptions::default(),
                &mut |record| {
                    batch.push(record);
                    if batch.len() == 512 {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(512));
                        if send.send(full).is_err() {
                            return Flow::Stop;
                        }
                    }
                    Flow::Continue
                },
            );
            let _ = send.send(batch);
            result.map_err(|e| e.to_string())
        });
        for batch in receive {
            for record in batch {
                write(record)?;
            }
        }
        reader
            .join()
            .map_err(|_| "the reader panicked".to_string())??;
    }
    let written = started.elapsed().as_secs_f64();
    writer.finish().map_err(|e| e.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    let mb = size as f64 / 1e6;
    println!(
        "{records} records ({errors} errors), {mb:.0} MB of CSV in {seconds:.2} s: {:.0} MB/s, \
         {:.0} records/s",
        mb / seconds,
        records as f64 / seconds
    );
    println!(
        "  reading and writing {written:.2} s ({:.0} MB/s), finish (fsync, rename) {:.2} s",
        mb / written,
        seconds - written
    );
    Ok(())
}
