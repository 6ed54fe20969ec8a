//! JSON records, streamed: a JSON array of records, a single JSON value, or one record
//! per line (NDJSON, where a record may also span several lines). Records are handed
//! to a callback one at a time, so memory does not grow with the input.

use std::fmt;
use std::io::BufRead;

use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde_json::Value;

/// A record that could not be read, with where it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// 1-based line where the bad record starts (for NDJSON) or where the error is.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// What the callback wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on with the next record.
    Continue,
    /// Stop reading; the reader returns without reading further.
    Stop,
}

/// Reads every record and calls `each` with it, or with the error for a record that
/// cannot be parsed (NDJSON goes on with the next line; a broken array cannot).
/// Returns an I/O error only when the input itself cannot be read.
pub fn read_records<R: BufRead>(
    mut input: R,
    mut each: impl FnMut(Result<Value, ReadError>) -> Flow,
) -> std::io::Result<()> {
    let first = loop {
        let buffer = input.fill_buf()?;
        if buffer.is_empty() {
            return Ok(());
        }
        match buffer.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => break buffer[i],
            None => {
                let len = buffer.len();
                input.consume(len);
            }
        }
    };
    if first == b'[' {
        read_array(input, each)
    } else {
        read_lines(input, |_, record| each(record))
    }
}

fn read_array<R: BufRead>(
    input: R,
    mut each: impl FnMut(Result<Value, ReadError>) -> Flow,
) -> std::io::Result<()> {
    match stream_array(input, |value| each(Ok(value))) {
        Ok(()) => Ok(()),
        Err(e) if e.is_io() => Err(std::io::Error::other(e)),
        Err(e) => {
            each(Err(ReadError {
                line: e.line(),
                message: format!("invalid JSON: {e}"),
            }));
            Ok(())
        }
    }
}

/// Streams the elements of the JSON array `input` holds (white space around it is
/// allowed, nothing else) to `each`. A syntax error ends the read: an array cannot be
/// resumed after one.
pub fn stream_array<R: BufRead>(
    input: R,
    mut each: impl FnMut(Value) -> Flow,
) -> Result<(), serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_reader(input);
    deserializer.deserialize_seq(EachElement { each: &mut each })?;
    deserializer.end()
}

/// Reads one record per line (a record may span lines) and calls `each` with the line
/// the record starts on and the record, or the error of a record that cannot be parsed;
/// reading goes on with the next line.
pub fn read_lines<R: BufRead>(
    mut input: R,
    mut each: impl FnMut(usize, Result<Value, ReadError>) -> Flow,
) -> std::io::Result<()> {
    let mut line = String::new();
    let mut pending = String::new();
    let mut line_number = 0;
    let mut start_line = 0;
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            break;
        }
        line_number += 1;
        if pending.is_empty() {
            if line.trim().is_empty() {
                continue;
            }
            start_line = line_number;
            // The common case: one record on one line, parsed without copying.
            match serde_json::from_str::<Value>(&line) {
                Ok(value) => {
                    if let Flow::Stop = each(start_line, Ok(value)) {
                        return Ok(());
                    }
                    continue;
                }
                Err(e) if e.is_eof() => pending.push_str(&line),
                Err(e) => {
                    if let Flow::Stop = each(
                        start_line,
                        Err(ReadError {
                            line: start_line,
                            message: format!("invalid JSON: {e}"),
                        }),
                    ) {
                        return Ok(());
                    }
                }
            }
            continue;
        }
        pending.push_str(&line);
        match serde_json::from_str::<Value>(&pending) {
            Err(e) if e.is_eof() => continue,
            result => {
                let record = result.map_err(|e| ReadError {
                    line: start_line,
                    message: format!("invalid JSON: {e}"),
                });
                pending.clear();
                if let Flow::Stop = each(start_line, record) {
                    return Ok(());
                }
            }
        }
    }
    if !pending.trim().is_empty() {
        each(
            start_line,
            Err(ReadError {
                line: start_line,
                message: "the input ends inside a record".to_string(),
            }),
        );
    }
    Ok(())
}

/// Visits a JSON array element by element.
struct EachElement<'f, F> {
    each: &'f mut F,
}

impl<'de, F: FnMut(Value) -> Flow> Visitor<'de> for EachElement<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element_seed(ValueSeed)? {
            if let Flow::Stop = (self.each)(value) {
                // Drain the rest without keeping it, so the array still parses to its end.
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                return Ok(());
            }
        }
        Ok(())
    }
}

struct ValueSeed;

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        serde::Deserialize::deserialize(deserializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(text: &str) -> Vec<Result<Value, ReadError>> {
        let mut out = Vec::new();
        read_records(text.as_bytes(), |r| {
            out.push(r);
            Flow::Continue
        })
        .expect("reads");
        out
    }

    #[test]
    fn reads_arrays_single_objects_and_ndjson() {
        assert_eq!(
            read(" [{\"a\":1}, {\"a\":2}] "),
            vec![Ok(json!({"a":1})), Ok(json!({"a":2}))]
        );
        assert_eq!(read("{\n  \"a\": 1\n}\n"), vec![Ok(json!({"a":1}))]);
        assert_eq!(
            read("{\"a\":1}\n\n{\"a\":2}\n"),
            vec![Ok(json!({"a":1})), Ok(json!({"a":2}))]
        );
        assert!(read("   \n").is_empty());
    }

    #[test]
    fn a_bad_line_is_reported_and_the_rest_is_read() {
        let got = read("{\"a\":1}\n{\"a\":}\n{\"a\":3}\n");
        assert_eq!(got.len(), 3);
        assert_eq!(got[1].as_ref().unwrap_err().line, 2);
        assert_eq!(got[2], Ok(json!({"a":3})));
    }

    #[test]
    fn a_truncated_record_is_reported() {
        let got = read("{\"a\":1}\n{\"a\": [1,\n");
        assert_eq!(
            got[1].as_ref().unwrap_err().message,
            "the input ends inside a record"
        );
    }

    #[test]
    fn a_broken_array_reports_where() {
        let got = read("[{\"a\":1},\n {\"a\":");
        assert_eq!(got[0], Ok(json!({"a":1})));
        assert_eq!(got[1].as_ref().unwrap_err().line, 2);
    }
}
