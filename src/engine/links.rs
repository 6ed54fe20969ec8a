//! The links a run's mapping reads (`link("sessions")`): destination ids other pipelines
//! wrote, from a snapshot of the state taken when the run starts.

use crate::mapping::links::Links;
use crate::state::StateReader;

/// Links read from the state store.
pub struct StateLinks {
    reader: Option<StateReader>,
}

impl StateLinks {
    /// Links from `reader`; `None` (a dry run without a state file) knows no ids.
    pub fn new(reader: Option<StateReader>) -> StateLinks {
        StateLinks { reader }
    }
}

impl Links for StateLinks {
    /// The destination id the pipeline stored for the source id; a record written to a
    /// destination that gives no ids of its own (a file) is known by its source id.
    fn destination_id(&self, pipeline: &str, source_id: &str) -> Result<Option<String>, String> {
        let Some(reader) = &self.reader else {
            return Ok(None);
        };
        match reader.record(pipeline, source_id) {
            Ok(Some(record)) => Ok(Some(
                record.dest_id.unwrap_or_else(|| source_id.to_string()),
            )),
            Ok(None) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }
}
