//! Runs: handing out run numbers and ids, storing each run's report, the pipeline state
//! a finished run leaves behind, and the history `sluice history`/`report` print.

use redb::{ReadableTable, WriteTransaction};
use serde::Deserialize;

use super::error::{Fail, StateError};
use super::journal;
use super::model::RunTicket;
use super::tables::{REPORTS, RUN_IDS, RUN_SEQ, from_json, to_json};
use super::{State, update_pipeline};
use crate::report::{Report, RunStatus, Trigger};

impl State {
    /// Allocates a pipeline's next run: sequence numbers count from 1 and are stored at
    /// once, so a run id is never handed out twice, even across crashes.
    pub fn begin_run(&self, pipeline: &str) -> Result<RunTicket, StateError> {
        self.write(|txn| {
            let seq = next_seq(txn, pipeline)?;
            Ok(RunTicket {
                run_id: run_id(pipeline, seq),
                seq,
            })
        })
    }

    /// Stores a finished run's report and keeps the pipeline's `keep_reports` newest.
    /// A manual or scheduled run (not a dry run) also becomes the pipeline's last run
    /// (`last_*`, `runs`, and `last_success_at` when it succeeded): the schedule counts
    /// from these. A webhook batch does not: it neither moves `every` or `cron` nor
    /// satisfies an `after` dependency, after a restart as before one (the daemon's
    /// planner never hears of webhook runs either). A report whose run id did not come
    /// from [`State::begin_run`] is given the next sequence number.
    pub fn finish_run(&self, report: &Report, keep_reports: usize) -> Result<(), StateError> {
        self.write(|txn| {
            let pipeline = report.pipeline.as_str();
            let seq = match parse_run_id(pipeline, &report.run_id) {
                Some(seq) if seq <= last_seq(txn, pipeline)? => seq,
                _ => next_seq(txn, pipeline)?,
            };
            let bytes = to_json("run report", report)?;
            txn.open_table(REPORTS)?
                .insert((pipeline, seq), bytes.as_slice())?;
            txn.open_table(RUN_IDS)?
                .insert(report.run_id.as_str(), (pipeline, seq))?;

            if counts_for_schedule(report) {
                update_pipeline(txn, pipeline, |state| {
                    state.last_run_id = Some(report.run_id.clone());
                    state.last_started_at = Some(report.started_at);
                    state.last_finished_at = Some(report.finished_at);
                    state.last_status = Some(report.status);
                    state.runs += 1;
                    if report.status == RunStatus::Succeeded {
                        state.last_success_at = Some(report.finished_at);
                    }
                })?;
            }
            prune_reports(txn, pipeline, keep_reports)?;
            // the run's record changes reach the records table now, not at the next read
            journal::fold(txn, pipeline)
        })
    }

    /// A pipeline's stored reports, newest first, at most `limit`.
    pub fn history(&self, pipeline: &str, limit: usize) -> Result<Vec<Report>, StateError> {
        self.read(|txn| {
            let reports = txn.open_table(REPORTS)?;
            let mut out = Vec::new();
            for entry in reports.range((pipeline, 0)..=(pipeline, u64::MAX))?.rev() {
                if out.len() >= limit {
                    break;
                }
                let (key, value) = entry?;
                let seq = key.value().1;
                let what = || format!("report {seq} of pipeline `{pipeline}`");
                out.push(from_json(what, value.value())?);
            }
            Ok(out)
        })
    }

    /// The stored report of a run, by run id; `None` when unknown or pruned.
    pub fn report(&self, run_id: &str) -> Result<Option<Report>, StateError> {
        self.read(|txn| {
            let Some(place) = txn.open_table(RUN_IDS)?.get(run_id)? else {
                return Ok(None);
            };
            let (pipeline, seq) = place.value();
            match txn.open_table(REPORTS)?.get((pipeline, seq))? {
                Some(value) => Ok(Some(from_json(
                    || format!("report of run `{run_id}`"),
                    value.value(),
                )?)),
                None => Ok(None),
            }
        })
    }
}

/// Whether a report is one of the runs the schedule counts: manual and scheduled runs,
/// not dry runs and not webhook batches.
fn counts_for_schedule(report: &Report) -> bool {
    !report.dry_run && report.trigger != Trigger::Webhook
}

/// The id of a pipeline's run number `seq`. The number after the last `-` is the
/// sequence number, so ids of different pipelines never clash.
fn run_id(pipeline: &str, seq: u64) -> String {
    format!("{pipeline}-{seq}")
}

/// The sequence number in a run id made by [`run_id`] for `pipeline`.
fn parse_run_id(pipeline: &str, id: &str) -> Option<u64> {
    let digits = id.strip_prefix(pipeline)?.strip_prefix('-')?;
    let seq: u64 = digits.parse().ok()?;
    (run_id(pipeline, seq) == id).then_some(seq)
}

/// The last sequence number handed out for a pipeline (0 before its first run).
fn last_seq(txn: &WriteTransaction, pipeline: &str) -> Result<u64, Fail> {
    Ok(txn
        .open_table(RUN_SEQ)?
        .get(pipeline)?
        .map_or(0, |v| v.value()))
}

/// Hands out a pipeline's next sequence number.
fn next_seq(txn: &WriteTransaction, pipeline: &str) -> Result<u64, Fail> {
    let seq = last_seq(txn, pipeline)?.saturating_add(1);
    txn.open_table(RUN_SEQ)?.insert(pipeline, seq)?;
    Ok(seq)
}

/// Removes all but the `keep` newest reports of a pipeline, and their run id entries.
fn prune_reports(txn: &WriteTransaction, pipeline: &str, keep: usize) -> Result<(), Fail> {
    /// The one field pruning reads from a report.
    #[derive(Deserialize)]
    struct RunIdOnly {
        run_id: String,
    }

    let mut reports = txn.open_table(REPORTS)?;
    let mut old = Vec::new();
    for entry in reports
        .range((pipeline, 0)..=(pipeline, u64::MAX))?
        .rev()
        .skip(keep)
    {
        let (key, value) = entry?;
        let seq = key.value().1;
        let what = || format!("report {seq} of pipeline `{pipeline}`");
        let RunIdOnly { run_id } = from_json(what, value.value())?;
        old.push((seq, run_id));
    }
    let mut run_ids = txn.open_table(RUN_IDS)?;
    for (seq, run_id) in old {
        reports.remove((pipeline, seq))?;
        run_ids.remove(run_id.as_str())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_parse_back_only_for_their_pipeline() {
        assert_eq!(run_id("participants", 12), "participants-12");
        assert_eq!(parse_run_id("participants", "participants-12"), Some(12));
        assert_eq!(parse_run_id("a-1", "a-1-2"), Some(2));
        assert_eq!(parse_run_id("a", "a-1-2"), None);
        assert_eq!(parse_run_id("a", "a-012"), None);
        assert_eq!(parse_run_id("a", "a-+12"), None);
        assert_eq!(parse_run_id("a", "b-1"), None);
        assert_eq!(parse_run_id("a", "a-"), None);
    }
}
