//! What the daemon has to tell: one event per run start and end, and its own start and
//! stop. The daemon hands events to a callback; `sluice serve` prints them to stderr.

use std::fmt;
use std::net::SocketAddr;

use crate::report::{ProblemKind, Report, Trigger};

/// Something the daemon did.
#[derive(Debug, Clone)]
pub enum Event {
    /// The management API accepts connections at this address.
    Listening(SocketAddr),
    /// A run began.
    Started {
        /// The pipeline.
        pipeline: String,
        /// What started it.
        trigger: Trigger,
    },
    /// A run ended with a report (whatever its status).
    Finished(Box<Report>),
    /// A run could not run at all (the pipeline cannot be run, the state failed, …).
    Failed {
        /// The pipeline.
        pipeline: String,
        /// What started it.
        trigger: Trigger,
        /// Why, free of secrets.
        error: String,
    },
    /// The pipelines were loaded again after a change in their folder.
    Reloaded {
        /// How many pipelines are served now.
        served: usize,
        /// Pipelines whose files no longer load: their previous version is served.
        kept: Vec<String>,
        /// Pipelines whose files are gone: no longer served.
        removed: Vec<String>,
        /// The reload's errors, one line each.
        errors: Vec<String>,
    },
    /// Something the daemon does without (a watch that could not start).
    Warning(String),
    /// A shutdown began; this many runs are being waited for.
    Stopping(usize),
    /// The daemon stopped.
    Stopped,
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Listening(addr) => write!(f, "listening on http://{addr}"),
            Event::Started { pipeline, trigger } => {
                write!(f, "{pipeline}: run started ({})", trigger.as_str())
            }
            Event::Finished(report) => {
                let c = &report.counts;
                let took = (report.finished_at - report.started_at)
                    .to_std()
                    .unwrap_or_default();
                write!(
                    f,
                    "{}: run {} {} ({}) in {:.1}s: received {}, created {}, updated {}, unchanged {}, deleted {}, skipped {}, invalid {}, duplicates {}, failed {}",
                    report.pipeline,
                    report.run_id,
                    report.status.as_str(),
                    report.trigger.as_str(),
                    took.as_secs_f64(),
                    c.received,
                    c.created,
                    c.updated,
                    c.unchanged,
                    c.deleted,
                    c.skipped,
                    c.invalid,
                    c.duplicates,
                    c.failed
                )?;
                match report
                    .problems
                    .iter()
                    .find(|p| p.kind == ProblemKind::Error)
                {
                    Some(problem) => write!(f, "; error: {}", problem.message),
                    None => Ok(()),
                }
            }
            Event::Failed {
                pipeline,
                trigger,
                error,
            } => write!(f, "{pipeline}: run failed ({}): {error}", trigger.as_str()),
            Event::Reloaded {
                served,
                kept,
                removed,
                errors,
            } => {
                write!(f, "reloaded: {served} pipelines served")?;
                if !removed.is_empty() {
                    write!(f, "; no longer served: {}", removed.join(", "))?;
                }
                if !kept.is_empty() {
                    write!(
                        f,
                        "; previous version kept (the new one has errors): {}",
                        kept.join(", ")
                    )?;
                }
                for error in errors {
                    write!(f, "\n  {error}")?;
                }
                Ok(())
            }
            Event::Warning(message) => write!(f, "warning: {message}"),
            Event::Stopping(0) => write!(f, "shutting down"),
            Event::Stopping(n) => write!(
                f,
                "shutting down: waiting for {n} running run{}",
                if *n == 1 { "" } else { "s" }
            ),
            Event::Stopped => write!(f, "stopped"),
        }
    }
}
