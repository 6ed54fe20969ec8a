//! The schedule: pure logic that decides when each pipeline runs. Given the pipelines'
//! `[schedule]` and `after` rules, their run history and the time, the [`Planner`]
//! answers "what is due now" ([`Planner::poll`]), "when must I look again"
//! ([`Planner::next_wakeup`]) and "may this manual trigger run" ([`Planner::trigger`]).
//! It never sleeps, reads no clock of its own and does no I/O: the daemon feeds it the
//! time from a [`Clock`] and the end of every run, and tests move a [`TestClock`].
//!
//! The rules (README, "Running as a daemon"):
//! - A scheduled pipeline that never ran is due as soon as the planner starts.
//! - Runs are manual and scheduled runs; webhook batches are not runs to the schedule
//!   (the daemon never reports them here, and the state store keeps them out of the
//!   history it starts from).
//! - `every`: due `every` after the end of the last run, manual or scheduled.
//! - `cron`: due at the first calendar time (in `timezone`) after the last run began;
//!   a time missed while the daemon was down runs once when it comes back.
//! - `until`: no scheduled runs after it. `run_on_start`: due once when the planner starts.
//! - `after`: a scheduled run waits until each dependency's last successful run ended
//!   after this pipeline's last run began (or, before its first run, until each
//!   dependency has succeeded once), and while a dependency is running.
//! - One run at a time per pipeline: triggers during a run queue one follow-up run.
//! - `min_interval`: a manual trigger is refused while the latest run (finished or
//!   running) began less than `min_interval` ago, with the remaining wait.

mod calendar;
mod clock;
mod planner;
#[cfg(test)]
mod tests;

pub use calendar::next_cron;
pub use clock::{Clock, SystemClock, TestClock};
pub use planner::{Accepted, History, PipelineStatus, Planner, Refused, RunOutcome, Spec, Start};
