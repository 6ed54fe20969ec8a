//! The report of one run: what a run did, in counts and per-record problems. The engine
//! fills it in, the state store keeps it, `sluice run`/`report`/`history` print it (as a
//! table for terminals, or as JSON in the shape PRODUCT.md fixes) and `[notify]` sends it.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How many problems [`Report::table`] lists before summing up the rest.
pub const TABLE_PROBLEMS: usize = 50;

/// The report of one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The pipeline's name.
    pub pipeline: String,
    /// The run's id, `{pipeline}-{seq}` as handed out by `State::begin_run`.
    pub run_id: String,
    /// What started the run.
    pub trigger: Trigger,
    /// The sync mode the run used (`full`, `incremental`, `two_way`).
    pub mode: String,
    /// True for a dry run, which changes nothing.
    pub dry_run: bool,
    /// How the run ended.
    pub status: RunStatus,
    /// When the run began.
    pub started_at: DateTime<Utc>,
    /// When the run ended.
    pub finished_at: DateTime<Utc>,
    /// What happened to the records.
    pub counts: Counts,
    /// Writes that failed at first and succeeded on a retry within this run.
    pub retries_succeeded: u64,
    /// Per-record problems and run-level errors, messages already free of secrets.
    pub problems: Vec<Problem>,
    /// Two-way runs: what was read from and written to each side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sides: Option<Sides>,
}

/// What a two-way run read from and wrote to each side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Sides {
    pub left: SideCounts,
    pub right: SideCounts,
}

/// One side's part of a two-way run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SideCounts {
    /// Items read from the side.
    pub read: u64,
    /// Items written to the side that it did not hold.
    pub created: u64,
    /// Items written over an older version the side held.
    pub updated: u64,
    /// Deletions written to the side: tombstones (the action field says deleted) and
    /// items removed because the other side deleted them.
    pub deleted: u64,
    /// Items whose write to the side failed.
    pub failed: u64,
}

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// `sluice run` or a manual trigger over HTTP.
    Manual,
    /// The pipeline's `[schedule]`.
    Schedule,
    /// An incoming webhook.
    Webhook,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Every record was dealt with.
    Succeeded,
    /// The run completed but some records failed to be written.
    Partial,
    /// The run could not complete.
    Failed,
}

/// What happened to the records of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Counts {
    /// Records read from the source.
    pub received: u64,
    /// Records created at the destination.
    pub created: u64,
    /// Records updated at the destination.
    pub updated: u64,
    /// Records whose mapped value had not changed, so nothing was sent.
    pub unchanged: u64,
    /// Destination records deleted because their source record disappeared.
    pub deleted: u64,
    /// Records left out by `when` or a mapping's `skip if`.
    pub skipped: u64,
    /// Records the mapping rejected.
    pub invalid: u64,
    /// Records whose id was already seen in the same run.
    pub duplicates: u64,
    /// Records whose write failed (they are retried on the next run).
    pub failed: u64,
}

impl Counts {
    /// True when every received record is accounted for:
    /// `received = created + updated + unchanged + skipped + invalid + duplicates + failed`.
    /// Deletes are not among them: they concern records that were not received.
    pub fn balanced(&self) -> bool {
        let accounted = [
            self.created,
            self.updated,
            self.unchanged,
            self.skipped,
            self.invalid,
            self.duplicates,
            self.failed,
        ]
        .iter()
        .try_fold(0u64, |sum, n| sum.checked_add(*n));
        accounted == Some(self.received)
    }
}

/// One problem of a run: a record's, or the run's own (`source_id` is then `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The source record's id, when the problem concerns one record.
    pub source_id: Option<String>,
    /// What kind of problem.
    pub kind: ProblemKind,
    /// What went wrong, free of secrets.
    pub message: String,
}

/// The kind of a [`Problem`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProblemKind {
    /// The mapping rejected the record.
    Invalid,
    /// The record was left out (`when`, `skip if`).
    Skipped,
    /// The record's id was already seen in this run.
    Duplicate,
    /// Writing the record failed.
    Failed,
    /// The record was deleted at the destination.
    Deleted,
    /// A run-level error (reading the source, a refused mass delete, …).
    Error,
}

impl Trigger {
    /// The name used in JSON and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Manual => "manual",
            Trigger::Schedule => "schedule",
            Trigger::Webhook => "webhook",
        }
    }
}

impl RunStatus {
    /// The name used in JSON and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Succeeded => "succeeded",
            RunStatus::Partial => "partial",
            RunStatus::Failed => "failed",
        }
    }
}

impl ProblemKind {
    /// The name used in JSON and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Invalid => "invalid",
            ProblemKind::Skipped => "skipped",
            ProblemKind::Duplicate => "duplicate",
            ProblemKind::Failed => "failed",
            ProblemKind::Deleted => "deleted",
            ProblemKind::Error => "error",
        }
    }
}

impl Report {
    /// A run's status from its counts: `failed` when the run could not complete (`fatal`),
    /// `partial` when some records failed, else `succeeded`.
    pub fn status_from(counts: &Counts, fatal: bool) -> RunStatus {
        if fatal {
            RunStatus::Failed
        } else if counts.failed > 0 {
            RunStatus::Partial
        } else {
            RunStatus::Succeeded
        }
    }

    /// The report as plain text for a terminal: the run, its counts, then its problems
    /// (at most [`TABLE_PROBLEMS`], then how many more there are).
    pub fn table(&self) -> String {
        let mut out = String::new();
        let mode = if self.dry_run {
            format!("{} (dry run)", self.mode)
        } else {
            self.mode.clone()
        };
        let elapsed = self.finished_at.signed_duration_since(self.started_at);
        let rows: [(&str, String); 7] = [
            ("pipeline", self.pipeline.clone()),
            ("run", self.run_id.clone()),
            ("status", self.status.as_str().to_string()),
            ("trigger", self.trigger.as_str().to_string()),
            ("mode", mode),
            ("started", time(self.started_at)),
            (
                "finished",
                format!("{} ({})", time(self.finished_at), duration(elapsed)),
            ),
        ];
        for (label, value) in rows {
            let _ = writeln!(out, "{label:<18} {value}");
        }

        let c = &self.counts;
        let counts = [
            ("received", c.received),
            ("created", c.created),
            ("updated", c.updated),
            ("unchanged", c.unchanged),
            ("deleted", c.deleted),
            ("skipped", c.skipped),
            ("invalid", c.invalid),
            ("duplicates", c.duplicates),
            ("failed", c.failed),
            ("retries succeeded", self.retries_succeeded),
        ];
        let width = counts
            .iter()
            .map(|(_, n)| n.to_string().len())
            .max()
            .unwrap_or(1);
        out.push('\n');
        for (label, n) in counts {
            let _ = writeln!(out, "{label:<18} {n:>width$}");
        }
        if let Some(sides) = &self.sides {
            out.push('\n');
            let _ = writeln!(
                out,
                "{:<18} {:>8} {:>8} {:>8} {:>8} {:>8}",
                "side", "read", "created", "updated", "deleted", "failed"
            );
            for (name, side) in [("left", sides.left), ("right", sides.right)] {
                let _ = writeln!(
                    out,
                    "{name:<18} {:>8} {:>8} {:>8} {:>8} {:>8}",
                    side.read, side.created, side.updated, side.deleted, side.failed
                );
            }
        }

        if self.problems.is_empty() {
            return out;
        }
        let _ = writeln!(out, "\nproblems ({})", self.problems.len());
        let shown = &self.problems[..self.problems.len().min(TABLE_PROBLEMS)];
        let id_width = shown
            .iter()
            .map(|p| p.source_id.as_deref().unwrap_or("-").chars().count())
            .max()
            .unwrap_or(1)
            .min(40);
        for problem in shown {
            let id = problem.source_id.as_deref().unwrap_or("-");
            let lead = format!("  {:<9} {id:<id_width$}  ", problem.kind.as_str());
            let indent = " ".repeat(lead.chars().count());
            let mut lines = problem.message.lines();
            let first = lines.next().unwrap_or("");
            let _ = writeln!(out, "{lead}{first}");
            for line in lines {
                let _ = writeln!(out, "{indent}{line}");
            }
        }
        let rest = self.problems.len() - shown.len();
        if rest > 0 {
            let _ = writeln!(out, "  … and {rest} more");
        }
        out
    }
}

/// A time for people: `2026-11-25 14:03:07 UTC`.
fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A duration for people: `850 ms`, `12.4 s`, `3 min 05 s`, `2 h 04 min`.
fn duration(elapsed: chrono::TimeDelta) -> String {
    let ms = elapsed.num_milliseconds().max(0);
    if ms < 1_000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1_000.0)
    } else if ms < 3_600_000 {
        format!("{} min {:02} s", ms / 60_000, ms / 1_000 % 60)
    } else {
        format!("{} h {:02} min", ms / 3_600_000, ms / 60_000 % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, h, m, s)
            .single()
            .expect("valid time")
    }

    fn sample() -> Report {
        Report {
            pipeline: "participants".into(),
            run_id: "participants-7".into(),
            trigger: Trigger::Schedule,
            mode: "incremental".into(),
            dry_run: false,
            status: RunStatus::Partial,
            started_at: at(14, 0, 0),
            finished_at: at(14, 3, 5),
            counts: Counts {
                received: 10,
                created: 2,
                updated: 3,
                unchanged: 1,
                deleted: 1,
                skipped: 1,
                invalid: 1,
                duplicates: 1,
                failed: 1,
            },
            retries_succeeded: 4,
            problems: vec![
                Problem {
                    source_id: Some("p-17".into()),
                    kind: ProblemKind::Invalid,
                    message: "email has no @".into(),
                },
                Problem {
                    source_id: None,
                    kind: ProblemKind::Error,
                    message: "first line\nsecond line".into(),
                },
            ],
            sides: None,
        }
    }

    #[test]
    fn balanced_counts_every_received_record() {
        let report = sample();
        assert!(report.counts.balanced());
        let mut off = report.counts;
        off.created += 1;
        assert!(!off.balanced());
        // deletes are not part of the balance
        let mut deleted = report.counts;
        deleted.deleted = 1_000;
        assert!(deleted.balanced());
        assert!(Counts::default().balanced());
        let overflow = Counts {
            received: 5,
            created: u64::MAX,
            updated: 6,
            ..Counts::default()
        };
        assert!(!overflow.balanced());
    }

    #[test]
    fn status_from_counts() {
        let mut counts = Counts::default();
        assert_eq!(Report::status_from(&counts, false), RunStatus::Succeeded);
        assert_eq!(Report::status_from(&counts, true), RunStatus::Failed);
        counts.failed = 1;
        assert_eq!(Report::status_from(&counts, false), RunStatus::Partial);
        assert_eq!(Report::status_from(&counts, true), RunStatus::Failed);
    }

    #[test]
    fn json_names_are_lowercase_and_times_rfc3339() {
        let json = serde_json::to_value(sample()).expect("serializes");
        assert_eq!(json["trigger"], "schedule");
        assert_eq!(json["status"], "partial");
        assert_eq!(json["started_at"], "2026-11-25T14:00:00Z");
        assert_eq!(json["problems"][0]["kind"], "invalid");
        assert_eq!(json["problems"][1]["source_id"], serde_json::Value::Null);
        for (trigger, name) in [
            (Trigger::Manual, "manual"),
            (Trigger::Schedule, "schedule"),
            (Trigger::Webhook, "webhook"),
        ] {
            assert_eq!(serde_json::to_value(trigger).expect("serializes"), name);
            assert_eq!(trigger.as_str(), name);
        }
        for (kind, name) in [
            (ProblemKind::Invalid, "invalid"),
            (ProblemKind::Skipped, "skipped"),
            (ProblemKind::Duplicate, "duplicate"),
            (ProblemKind::Failed, "failed"),
            (ProblemKind::Deleted, "deleted"),
            (ProblemKind::Error, "error"),
        ] {
            assert_eq!(serde_json::to_value(kind).expect("serializes"), name);
            assert_eq!(kind.as_str(), name);
        }
    }

    #[test]
    fn json_round_trip() {
        let report = sample();
        let text = serde_json::to_string(&report).expect("serializes");
        let back: Report = serde_json::from_str(&text).expect("deserializes");
        assert_eq!(back, report);
    }

    #[test]
    fn table_lists_the_run_counts_and_problems() {
        let table = sample().table();
        for needle in [
            "pipeline           participants",
            "run                participants-7",
            "status             partial",
            "trigger            schedule",
            "mode               incremental",
            "started            2026-11-25 14:00:00 UTC",
            "finished           2026-11-25 14:03:05 UTC (3 min 05 s)",
            "received           10",
            "retries succeeded   4",
            "problems (2)",
            "  invalid   p-17  email has no @",
            "  error     -     first line\n                  second line",
        ] {
            assert!(table.contains(needle), "missing {needle:?} in\n{table}");
        }
        assert!(!table.contains("more"));
    }

    #[test]
    fn table_caps_the_problem_list() {
        let mut report = sample();
        report.dry_run = true;
        report.problems = (0..TABLE_PROBLEMS + 7)
            .map(|i| Problem {
                source_id: Some(format!("id-{i}")),
                kind: ProblemKind::Failed,
                message: "HTTP 500".into(),
            })
            .collect();
        let table = report.table();
        assert!(table.contains("incremental (dry run)"));
        assert!(table.contains(&format!("problems ({})", TABLE_PROBLEMS + 7)));
        assert!(table.contains(&format!("id-{}", TABLE_PROBLEMS - 1)));
        assert!(!table.contains(&format!("id-{} ", TABLE_PROBLEMS)));
        assert!(table.contains("  … and 7 more"));
    }

    #[test]
    fn durations_read_well() {
        let d = chrono::TimeDelta::milliseconds;
        assert_eq!(duration(d(850)), "850 ms");
        assert_eq!(duration(d(12_400)), "12.4 s");
        assert_eq!(duration(d(185_000)), "3 min 05 s");
        assert_eq!(duration(d(7_440_000)), "2 h 04 min");
        assert_eq!(duration(d(-5)), "0 ms");
    }
}
