//! `sluice map FILE.map`: applies a mapping to records from stdin or a file and prints
//! the mapped records as NDJSON; skipped and invalid records go to stderr with reasons.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::sync::mpsc;
use std::thread;

use clap::Args;
use serde_json::{Map, Value};

use super::{PROBLEMS, SUCCESS, USAGE, print_diagnostics};
use crate::files::read_source;
use crate::formats::json::{Flow, read_records};
use crate::formats::{self, ReadOptions};
use crate::mapping::{Environment, MappedRecord, Outcome, compile};
use crate::pipeline::FileFormat;

#[derive(Debug, Args)]
pub struct MapArgs {
    /// The mapping file.
    mapping: PathBuf,
    /// Read records from this file instead of stdin: JSON or NDJSON, or CSV, XML, XLSX
    /// or XLS by its extension.
    #[arg(long, short, value_name = "FILE")]
    input: Option<PathBuf>,
    /// A pipeline variable for `$vars.NAME`; repeat for more.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    vars: Vec<(String, String)>,
}

fn parse_var(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("expected NAME=VALUE, got `{text}`")),
    }
}

/// Records handed from the reading thread to the mapping thread at a time.
const BATCH: usize = 512;

/// Counts for the summary line.
#[derive(Default)]
struct Tally {
    mapped: u64,
    skipped: u64,
    invalid: u64,
    unreadable: u64,
}

pub fn run(args: MapArgs) -> u8 {
    let file = match read_source(&args.mapping) {
        Ok(file) => file,
        Err(message) => {
            eprintln!("error: {message}");
            return USAGE;
        }
    };
    // The built-in functions and the Rhai functions of stdlib/functions/.
    let Some(toolkit) = super::project::toolkit() else {
        return USAGE;
    };
    let names: BTreeSet<String> = args.vars.iter().map(|(k, _)| k.clone()).collect();
    let env = Environment {
        functions: &toolkit.functions,
        vars: Some(&names),
        imports: &toolkit.imports,
    };
    let compilation = compile(&file, &env);
    print_diagnostics(&compilation.diagnostics);
    let Some(mapping) = compilation.mapping else {
        let errors = compilation.errors().count();
        eprintln!(
            "error: the mapping has {errors} error{}",
            if errors == 1 { "" } else { "s" }
        );
        return PROBLEMS;
    };
    let vars = Value::Object(
        args.vars
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect::<Map<_, _>>(),
    );

    // CSV, XML and spreadsheets are read by the record formats; JSON and NDJSON (and
    // stdin) by the streaming JSON reader.
    let file_format = args
        .input
        .as_deref()
        .and_then(|p| FileFormat::from_path(&p.to_string_lossy()))
        .filter(|f| !matches!(f, FileFormat::Json | FileFormat::Ndjson));
    let input: Box<dyn io::BufRead + Send> = match (&args.input, file_format) {
        (None, _) => Box::new(BufReader::with_capacity(1 << 16, io::stdin())),
        (Some(_), Some(_)) => Box::new(io::empty()),
        (Some(path), None) => match File::open(path) {
            Ok(f) => Box::new(BufReader::with_capacity(1 << 16, f)),
            Err(e) => {
                eprintln!("error: cannot read `{}`: {e}", path.display());
                return USAGE;
            }
        },
    };
    let input_path = args.input.clone();
    // Reading and parsing runs on its own thread, mapping on this one; batches keep the
    // hand-over cheap and the bounded channel keeps memory flat.
    let (batches, received) = mpsc::sync_channel::<Vec<Result<Value, String>>>(8);
    let reader = thread::spawn(move || {
        let mut batch = Vec::with_capacity(BATCH);
        let mut each = |record: Result<Value, String>| {
            batch.push(record);
            if batch.len() == BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                if batches.send(full).is_err() {
                    return Flow::Stop;
                }
            }
            Flow::Continue
        };
        let result = match (input_path, file_format) {
            (Some(path), Some(format)) => {
                formats::read_file(&path, format, &ReadOptions::default(), &mut |record| {
                    each(record.map_err(|e| e.to_string()))
                })
                .map_err(|e| io::Error::other(e.to_string()))
            }
            _ => read_records(input, |record| each(record.map_err(|e| e.to_string()))),
        };
        if !batch.is_empty() {
            let _ = batches.send(batch);
        }
        result
    });

    // Serializing, writing and freeing run on a third thread, so that this one only maps.
    let (to_writer, written) = mpsc::sync_channel::<(Vec<MappedRecord>, Vec<Value>)>(8);
    let writer = thread::spawn(move || -> io::Result<()> {
        let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
        for (records, _sources) in written {
            for record in &records {
                serde_json::to_writer(&mut out, record)?;
                out.write_all(b"\n")?;
            }
        }
        out.flush()
    });

    let mut tally = Tally::default();
    let mut number = 0u64;
    'batches: for batch in received {
        let mut mapped = Vec::with_capacity(batch.len());
        let mut sources = Vec::with_capacity(batch.len());
        for record in batch {
            number += 1;
            let record = match record {
                Ok(record) => record,
                Err(e) => {
                    tally.unreadable += 1;
                    eprintln!("record {number}: unreadable: {e}");
                    continue;
                }
            };
            if !record.is_object() {
                tally.invalid += 1;
                eprintln!("record {number}: invalid: a record must be a JSON object");
                continue;
            }
            match mapping.apply(&record, &vars) {
                Outcome::Mapped(value) => {
                    tally.mapped += 1;
                    mapped.push(value);
                }
                Outcome::Skipped { reason } => {
                    tally.skipped += 1;
                    eprintln!("record {number}: skipped: {reason}");
                }
                Outcome::Invalid { problems } => {
                    tally.invalid += 1;
                    eprintln!("record {number}: invalid: {}", problems.join("; "));
                }
            }
            sources.push(record);
        }
        if to_writer.send((mapped, sources)).is_err() {
            // The writer stopped on an error; it is reported below.
            break 'batches;
        }
    }
    drop(to_writer);
    // Leaving the loop dropped the receiver, which stops the reader if the writer gave up.
    let write = writer
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("the writing thread failed")));
    let read = reader
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("the reading thread failed")));
    match write {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write the output: {e}");
            return PROBLEMS;
        }
        Ok(()) => {}
    }
    if let Err(e) = read {
        eprintln!("error: cannot read the input: {e}");
        return PROBLEMS;
    }
    eprintln!(
        "{} mapped, {} skipped, {} invalid{}",
        tally.mapped,
        tally.skipped,
        tally.invalid,
        if tally.unreadable > 0 {
            format!(", {} unreadable", tally.unreadable)
        } else {
            String::new()
        }
    );
    if tally.unreadable > 0 {
        PROBLEMS
    } else {
        SUCCESS
    }
}
