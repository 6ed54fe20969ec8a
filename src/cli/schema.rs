//! `sluice schema`: prints the JSON Schema of pipeline files, for editors.

use std::io::Write;

use super::{SUCCESS, USAGE};

pub fn run() -> u8 {
    let schema = crate::pipeline::json_schema();
    let mut out = std::io::stdout().lock();
    let written = serde_json::to_writer_pretty(&mut out, &schema)
        .map_err(std::io::Error::from)
        .and_then(|()| writeln!(out));
    match written {
        Ok(()) => SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write the schema: {e}");
            USAGE
        }
    }
}
