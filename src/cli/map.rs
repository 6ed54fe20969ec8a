//! `sluice map FILE.map`: applies a mapping to records from stdin or a file and prints
//! the mapped records as NDJSON; skipped and invalid records go to stderr with reasons.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread;

use clap::Args;
use serde_json::{Map, Value};

use super::{PROBLEMS, SUCCESS, USAGE, print_diagnostics};
use crate::files::read_source;
use crate::formats::compact::write_compact;
use crate::formats::json::{Flow, read_records};
use crate::formats::{self, CsvReader, CsvRow, ReadOptions, StringRecord};
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

/// Records (or why one could not be read) handed from the reading thread to the
/// mapping thread at a time.
type Batch = Vec<Result<Source, String>>;

/// A record as its reader made it.
enum Source {
    /// A CSV row as text, to be given back to the reader and filled again.
    Row(StringRecord),
    /// A record of any other format.
    Json(Value),
}

/// Sends `batch` when it is full; `Stop` when the mapping thread has gone.
fn send_full(batches: &SyncSender<Batch>, batch: &mut Batch) -> Flow {
    if batch.len() < BATCH {
        return Flow::Continue;
    }
    let full = std::mem::replace(batch, Vec::with_capacity(BATCH));
    match batches.send(full) {
        Ok(()) => Flow::Continue,
        Err(_) => Flow::Stop,
    }
}

/// Sends the last records (the mapping thread may be gone: then nobody wants them).
fn send_rest(batches: &SyncSender<Batch>, batch: Batch) {
    if !batch.is_empty() {
        let _ = batches.send(batch);
    }
}

/// Reads a CSV file's rows into batches, filling rows that the mapping thread gave back
/// (`returned`) when there are some. `first` is the row already read.
fn read_csv(
    mut rows: CsvReader,
    first: Result<Source, String>,
    batches: &SyncSender<Batch>,
    returned: &Receiver<Vec<StringRecord>>,
) -> io::Result<()> {
    let mut spare: Vec<StringRecord> = Vec::new();
    let mut batch = Vec::with_capacity(BATCH);
    batch.push(first);
    let result = loop {
        if spare.is_empty() {
            while let Ok(records) = returned.try_recv() {
                spare.extend(records);
            }
        }
        let mut row = spare.pop().unwrap_or_default();
        match rows.read_text(&mut row) {
            Ok(CsvRow::End) => break Ok(()),
            Ok(CsvRow::Record) => batch.push(Ok(Source::Row(row))),
            Ok(CsvRow::Problem(e)) => {
                spare.push(row);
                batch.push(Err(e.to_string()));
            }
            Err(e) => break Err(io::Error::other(e.to_string())),
        }
        if send_full(batches, &mut batch) == Flow::Stop {
            return Ok(());
        }
    };
    send_rest(batches, batch);
    result
}

/// A CSV file opened and its first row read (which reads the header): the field names
/// are known before mapping starts. `None` when the file is empty.
struct OpenCsv {
    rows: CsvReader,
    first: Result<Source, String>,
    names: Vec<String>,
}

fn open_csv(path: &Path) -> io::Result<Option<OpenCsv>> {
    let fail = |e: formats::FileError| io::Error::other(e.to_string());
    let mut rows = CsvReader::open(path, &ReadOptions::default()).map_err(fail)?;
    let mut row = StringRecord::new();
    let first = match rows.read_text(&mut row).map_err(fail)? {
        CsvRow::End => return Ok(None),
        CsvRow::Record => Ok(Source::Row(row)),
        CsvRow::Problem(e) => Err(e.to_string()),
    };
    let names = rows.names().map(<[String]>::to_vec).unwrap_or_default();
    Ok(Some(OpenCsv { rows, first, names }))
}

/// What the mapping thread hands to the writing thread.
enum Output {
    /// Mapped records, to be written (the source records are freed with them).
    Records(Vec<MappedRecord>, Vec<Value>),
    /// NDJSON already written (CSV rows mapped straight to JSON).
    Text(Vec<u8>),
}

/// Writes the mapped records as NDJSON on stdout, a large buffer at a time, and hands
/// each batch back (`done`) to be freed.
fn write_ndjson(
    written: &Receiver<Output>,
    done: &mpsc::Sender<Vec<MappedRecord>>,
    spare_text: &mpsc::Sender<Vec<u8>>,
) -> io::Result<()> {
    let mut out = io::stdout().lock();
    let mut buffer = Vec::with_capacity(OUTPUT + (OUTPUT >> 2));
    for output in written {
        let records = match output {
            Output::Records(records, _sources) => records,
            Output::Text(mut text) => {
                out.write_all(&buffer)?;
                buffer.clear();
                out.write_all(&text)?;
                // The buffer goes back to be filled again (no new pages to fault in).
                text.clear();
                let _ = spare_text.send(text);
                continue;
            }
        };
        for record in &records {
            write_compact(&mut buffer, record).map_err(io::Error::other)?;
            buffer.push(b'\n');
        }
        // The mapping thread may have stopped: then the records are freed here.
        let _ = done.send(records);
        if buffer.len() >= OUTPUT {
            out.write_all(&buffer)?;
            buffer.clear();
        }
    }
    out.write_all(&buffer)?;
    out.flush()
}

/// Bytes of NDJSON gathered before they are written.
const OUTPUT: usize = 1 << 20;

/// Room for the NDJSON of a batch of CSV rows mapped straight to JSON.
const TEXT: usize = 1 << 18;

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
    // A CSV file is opened here and its first row read, so that its field names are
    // known: a mapping made only of fast assignments then maps rows straight to JSON.
    let csv = match (&args.input, file_format) {
        (Some(path), Some(FileFormat::Csv)) => match open_csv(path) {
            Ok(csv) => csv,
            Err(e) => {
                eprintln!("error: cannot read the input: {e}");
                return PROBLEMS;
            }
        },
        _ => None,
    };
    let names = csv.as_ref().map(|c| c.names.clone()).unwrap_or_default();
    let rows = mapping.for_rows(&names);
    let input_path = args.input.clone();
    // CSV rows are read into text records that come back once mapped, so that their
    // buffers are reused instead of allocated and freed per row.
    // Reading and parsing runs on its own thread, mapping on this one; batches keep the
    // hand-over cheap and the bounded channel keeps memory flat.
    let (batches, received) = mpsc::sync_channel::<Batch>(8);
    let (give_back, returned) = mpsc::channel::<Vec<StringRecord>>();
    let reader = thread::spawn(move || match (input_path, file_format, csv) {
        (_, Some(FileFormat::Csv), None) => Ok(()),
        (_, _, Some(csv)) => read_csv(csv.rows, csv.first, &batches, &returned),
        (Some(path), Some(format), None) => {
            let mut batch = Vec::with_capacity(BATCH);
            let result = formats::read_file(&path, format, &ReadOptions::default(), &mut |r| {
                batch.push(r.map(Source::Json).map_err(|e| e.to_string()));
                send_full(&batches, &mut batch)
            })
            .map_err(|e| io::Error::other(e.to_string()));
            send_rest(&batches, batch);
            result
        }
        _ => {
            let mut batch = Vec::with_capacity(BATCH);
            let result = read_records(input, |r| {
                batch.push(r.map(Source::Json).map_err(|e| e.to_string()));
                send_full(&batches, &mut batch)
            });
            send_rest(&batches, batch);
            result
        }
    });

    // Serializing and writing run on a third thread, so that this one only maps. The
    // mapped records come back here to be freed: freeing memory on the thread that
    // allocated it is cheaper.
    let (to_writer, written) = mpsc::sync_channel::<Output>(8);
    let (done, to_free) = mpsc::channel::<Vec<MappedRecord>>();
    let (spare_text, texts) = mpsc::channel::<Vec<u8>>();
    let writer = thread::spawn(move || write_ndjson(&written, &done, &spare_text));

    let mut tally = Tally::default();
    let mut number = 0u64;
    'batches: for batch in received {
        let mut mapped = Vec::with_capacity(batch.len());
        let mut text = match &rows {
            Some(_) => texts
                .try_recv()
                .unwrap_or_else(|_| Vec::with_capacity(TEXT)),
            None => Vec::new(),
        };
        let mut sources = Vec::with_capacity(batch.len());
        let mut reused = Vec::new();
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
            let value = match record {
                Source::Row(row) => {
                    if let Some(rows) = &rows
                        && rows.write_json(|i| row.get(i), &mut text)
                    {
                        text.push(b'\n');
                        tally.mapped += 1;
                        reused.push(row);
                        continue;
                    }
                    let value = formats::row_record(&names, &row);
                    reused.push(row);
                    value
                }
                Source::Json(value) => value,
            };
            if !value.is_object() {
                tally.invalid += 1;
                eprintln!("record {number}: invalid: a record must be a JSON object");
                continue;
            }
            match mapping.apply(&value, &vars) {
                Outcome::Mapped(value) => {
                    tally.mapped += 1;
                    if rows.is_some() {
                        // Rows mapped straight to JSON and rows mapped the ordinary
                        // way keep their order in one text.
                        if let Err(e) = write_compact(&mut text, &value) {
                            eprintln!("record {number}: cannot be written: {e}");
                        }
                        text.push(b'\n');
                    } else {
                        mapped.push(value);
                    }
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
            sources.push(value);
        }
        // CSV rows go back to the reader to be filled again (it may be gone already:
        // then they are freed); other records are freed on the writing thread.
        if !reused.is_empty() {
            let _ = give_back.send(reused);
        }
        let output = if rows.is_some() {
            Output::Text(text)
        } else {
            Output::Records(mapped, sources)
        };
        if to_writer.send(output).is_err() {
            // The writer stopped on an error; it is reported below.
            break 'batches;
        }
        while let Ok(records) = to_free.try_recv() {
            drop(records);
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
