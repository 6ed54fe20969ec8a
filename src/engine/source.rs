//! Sources: where a run's records come from. A source hands the engine a stream of
//! items: records, grouped in units (a file, a page) that can fail on their own
//! without stopping the others. Each connector is one implementation.

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use serde_json::Value;

use super::doc::DocRecord;
use crate::formats::{self, Flow, ReadOptions};
use crate::pipeline::{Encoding, FileFormat, FileSource};

/// What a source hands the engine.
#[derive(Debug)]
pub enum Item {
    /// One record of the current unit.
    Record(Value),
    /// One record of the current unit, read in place from a parsed page.
    Doc(DocRecord),
    /// A record that could not be read (the unit goes on), with where and why.
    Unreadable { location: String, message: String },
    /// The current unit could not be read; its earlier records were handed over.
    UnitFailed { message: String },
}

/// A unit of source data, such as one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// How the report names it (a path).
    pub name: String,
    pub path: PathBuf,
}

/// A stream of records, read unit by unit.
pub trait Source {
    /// The units to read, in order.
    fn units(&mut self) -> Result<Vec<Unit>, String>;
    /// Reads one unit, handing each item to `sink` until it answers `Flow::Stop`.
    fn read(&mut self, unit: &Unit, sink: &mut dyn FnMut(Item) -> Flow);
    /// Sets the first records on their way before the run reads (an HTTP source sends
    /// its first request), while the run does its own preparing; reading takes them
    /// up. Nothing by default.
    fn start(&mut self) {}
}

/// `type = "file"`: the files at `path` (a file, or `folder/*.ext`), one unit each.
pub struct FileSourceReader {
    config: FileSource,
    /// The pipeline file's folder; `path` is relative to it.
    base: PathBuf,
}

impl FileSourceReader {
    pub fn new(config: &FileSource, base: &Path) -> FileSourceReader {
        FileSourceReader {
            config: config.clone(),
            base: base.to_path_buf(),
        }
    }

    fn options(&self) -> ReadOptions {
        ReadOptions {
            records: self.config.records.clone(),
            delimiter: self
                .config
                .delimiter
                .and_then(|c| u8::try_from(c).ok())
                .unwrap_or(b','),
            header: self.config.header,
            encoding: match self.config.encoding {
                Encoding::Utf8 => formats::Encoding::Utf8,
                Encoding::Latin1 => formats::Encoding::Latin1,
            },
            sheet: self.config.sheet.clone(),
        }
    }
}

impl Source for FileSourceReader {
    fn units(&mut self) -> Result<Vec<Unit>, String> {
        let paths = matching_files(&self.base.join(&self.config.path))?;
        Ok(paths
            .into_iter()
            .map(|path| Unit {
                name: path.display().to_string(),
                path,
            })
            .collect())
    }

    /// Parses on a thread of its own, a few batches ahead of the engine, so reading and
    /// mapping use two cores; memory stays at those few batches.
    fn read(&mut self, unit: &Unit, sink: &mut dyn FnMut(Item) -> Flow) {
        let Some(format) = self.config.format() else {
            sink(Item::UnitFailed {
                message: "the file format cannot be told from the path".to_string(),
            });
            return;
        };
        let options = self.options();
        std::thread::scope(|scope| {
            let (batches, received) = mpsc::sync_channel::<Vec<Item>>(BATCHES_AHEAD);
            let path = &unit.path;
            let options = &options;
            let parser = std::thread::Builder::new()
                .name("sluice-read".to_string())
                .spawn_scoped(scope, move || {
                    let mut batch = Vec::with_capacity(BATCH);
                    let result = formats::read_file(path, format, options, &mut |record| {
                        batch.push(item_of(record));
                        if batch.len() < BATCH {
                            return Flow::Continue;
                        }
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        match batches.send(full) {
                            Ok(()) => Flow::Continue,
                            // The engine stopped reading.
                            Err(_) => Flow::Stop,
                        }
                    });
                    if let Err(e) = result {
                        batch.push(Item::UnitFailed {
                            message: e.to_string(),
                        });
                    }
                    let _ = batches.send(batch);
                });
            let Ok(parser) = parser else {
                // No thread to be had: read on this one.
                read_here(path, format, options, sink);
                return;
            };
            'batches: for batch in &received {
                for item in batch {
                    if sink(item) == Flow::Stop {
                        break 'batches;
                    }
                }
            }
            drop(received);
            if parser.join().is_err() {
                sink(Item::UnitFailed {
                    message: "the file reader stopped unexpectedly".to_string(),
                });
            }
        });
    }
}

/// Records handed from the parsing thread at a time, and batches it may run ahead.
const BATCH: usize = 256;
const BATCHES_AHEAD: usize = 4;

fn item_of(record: Result<Value, formats::ReadError>) -> Item {
    match record {
        Ok(value) => Item::Record(value),
        Err(e) => Item::Unreadable {
            location: e.location,
            message: e.message,
        },
    }
}

/// Reads a file on the calling thread.
fn read_here(
    path: &Path,
    format: FileFormat,
    options: &ReadOptions,
    sink: &mut dyn FnMut(Item) -> Flow,
) {
    let result = formats::read_file(path, format, options, &mut |record| sink(item_of(record)));
    if let Err(e) = result {
        sink(Item::UnitFailed {
            message: e.to_string(),
        });
    }
}

/// The files a source path names: the file itself, or the files of its folder whose
/// names match its last part (`*` any characters, `?` one), sorted by name. A pattern
/// that matches nothing gives no files (nothing to read is not an error); a plain path
/// that does not exist is one.
pub fn matching_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !name.contains(['*', '?']) {
        return if path.is_file() {
            Ok(vec![path.to_path_buf()])
        } else {
            Err(format!("source file `{}` does not exist", path.display()))
        };
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot read folder `{}`: {e}", dir.display())),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .filter(|e| wildcard(&name, &e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .collect();
    files.sort();
    Ok(files)
}

/// `*` and `?` matching of a whole name.
fn wildcard(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_whole_names() {
        assert!(wildcard("*.xml", "order-1.xml"));
        assert!(!wildcard("*.xml", "order-1.xml.tmp"));
        assert!(wildcard("order-?.xml", "order-1.xml"));
        assert!(wildcard("*", ""));
        assert!(!wildcard("a*b", "acd"));
    }
}
