//! The planner: per pipeline its rules ([`Spec`]), what it knows of past runs
//! ([`History`]), whether a run is going on and whether one is asked for. The daemon
//! calls [`Planner::poll`] to start what is due, [`Planner::finished`] when a run ends
//! and [`Planner::trigger`] for manual runs; all times come from the caller.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::calendar::next_cron;
use crate::pipeline::{Pipeline, Schedule};
use crate::report::{RunStatus, Trigger};

/// What the planner needs of a pipeline's file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spec {
    /// `[pipeline] enabled`: a disabled pipeline never runs.
    pub enabled: bool,
    /// `[schedule]`; without it the pipeline runs only when triggered.
    pub schedule: Option<Schedule>,
    /// `[pipeline] after`: the pipelines that must have synced first.
    pub after: Vec<String>,
}

impl Spec {
    /// The rules of a loaded pipeline.
    pub fn of(pipeline: &Pipeline) -> Spec {
        Spec {
            enabled: pipeline.enabled,
            schedule: pipeline.schedule.clone(),
            after: pipeline.after.clone(),
        }
    }
}

/// What is known of a pipeline's finished runs (the state store's `PipelineState`
/// gives it at start; [`Planner::finished`] keeps it up to date).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct History {
    /// When the last finished run began.
    pub last_started_at: Option<DateTime<Utc>>,
    /// When the last finished run ended.
    pub last_finished_at: Option<DateTime<Utc>>,
    /// How the last finished run ended.
    pub last_status: Option<RunStatus>,
    /// When the last run that succeeded ended.
    pub last_success_at: Option<DateTime<Utc>>,
    /// How many runs have finished.
    pub runs: u64,
}

/// How one run went, as far as planning cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOutcome {
    /// When it began.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
    /// How it ended (a run that could not start at all is `Failed`).
    pub status: RunStatus,
}

/// A run to start now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Start {
    /// The pipeline.
    pub pipeline: String,
    /// Why it runs: `Manual` (or `Webhook`) when asked for, else `Schedule`.
    pub trigger: Trigger,
}

/// A trigger the planner took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Accepted {
    /// The pipeline is idle: the run starts at the next poll.
    Starting,
    /// The pipeline is running: one more run follows this one.
    Queued,
    /// A run was already asked for and has not started: this trigger joins it.
    AlreadyQueued,
}

/// A trigger the planner refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// No pipeline has that name.
    #[error("there is no pipeline `{0}`")]
    Unknown(String),
    /// The pipeline file says `enabled = false`.
    #[error("pipeline `{0}` is disabled in its file")]
    Disabled(String),
    /// The last run began less than `min_interval` ago.
    #[error(
        "pipeline `{pipeline}`: its last run began less than `min_interval` ({min_interval}) ago; try again in {}s",
        whole_seconds(*wait)
    )]
    TooSoon {
        /// The pipeline.
        pipeline: String,
        /// Its `min_interval`.
        min_interval: crate::pipeline::Duration,
        /// How long until a trigger is accepted.
        wait: std::time::Duration,
    },
}

impl Refused {
    /// For [`Refused::TooSoon`]: the wait in whole seconds, rounded up (a `Retry-After`).
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Refused::TooSoon { wait, .. } => Some(whole_seconds(*wait)),
            _ => None,
        }
    }
}

/// A wait in whole seconds, rounded up (never 0: a refusal means "not yet").
fn whole_seconds(wait: std::time::Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// One pipeline as the planner sees it, for `GET /status`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PipelineStatus {
    /// The pipeline's name.
    pub name: String,
    /// False when its file disables it.
    pub enabled: bool,
    /// Its schedule in words (`every 1h`, `cron 0 16 * * Fri (Europe/Amsterdam)`).
    pub schedule: Option<String>,
    /// When the run going on now began.
    pub running_since: Option<DateTime<Utc>>,
    /// A run asked for and not started yet (it follows the current run, if any).
    pub queued: Option<Trigger>,
    /// Its finished runs.
    #[serde(flatten)]
    pub history: History,
    /// When the schedule next wants a run (in the past while `waiting`).
    pub next_run: Option<DateTime<Utc>>,
    /// Why a run the schedule wants has not started.
    pub waiting: Option<String>,
}

#[derive(Debug)]
struct Entry {
    spec: Spec,
    history: History,
    /// When the run going on began.
    running: Option<DateTime<Utc>>,
    /// A run asked for: started at the next poll, or after the current run.
    requested: Option<Trigger>,
    /// `run_on_start` has not been honoured yet.
    start_run: bool,
}

/// Decides when each pipeline runs. See the module documentation for the rules.
#[derive(Debug)]
pub struct Planner {
    /// When the planner began: pipelines that never ran are due from here.
    began: DateTime<Utc>,
    entries: BTreeMap<String, Entry>,
}

impl Planner {
    /// A planner for `pipelines` (name, rules, past runs) starting at `now`.
    pub fn new(
        pipelines: impl IntoIterator<Item = (String, Spec, History)>,
        now: DateTime<Utc>,
    ) -> Planner {
        let entries = pipelines
            .into_iter()
            .map(|(name, spec, history)| {
                let start_run = spec.schedule.as_ref().is_some_and(|s| s.run_on_start);
                let entry = Entry {
                    spec,
                    history,
                    running: None,
                    requested: None,
                    start_run,
                };
                (name, entry)
            })
            .collect();
        Planner {
            began: now,
            entries,
        }
    }

    /// The pipelines' names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// True while a run of `pipeline` started by [`Planner::poll`] has not finished.
    pub fn is_running(&self, pipeline: &str) -> bool {
        self.entries
            .get(pipeline)
            .is_some_and(|e| e.running.is_some())
    }

    /// The runs to start now; each is marked running until [`Planner::finished`].
    /// Asked-for runs come first and ignore `after`; scheduled runs wait for it.
    pub fn poll(&mut self, now: DateTime<Utc>) -> Vec<Start> {
        let mut starts = Vec::new();
        for (name, entry) in &self.entries {
            if entry.running.is_some() || !entry.spec.enabled {
                continue;
            }
            let trigger = match entry.requested {
                Some(trigger) => trigger,
                None => {
                    let due = self.next_scheduled(entry).is_some_and(|at| at <= now);
                    if !due || self.held_back(entry).is_some() {
                        continue;
                    }
                    Trigger::Schedule
                }
            };
            starts.push(Start {
                pipeline: name.clone(),
                trigger,
            });
        }
        for start in &starts {
            if let Some(entry) = self.entries.get_mut(&start.pipeline) {
                entry.running = Some(now);
                entry.requested = None;
                entry.start_run = false;
            }
        }
        starts
    }

    /// Records the end of a run of `pipeline` (started by [`Planner::poll`]). A run
    /// asked for meanwhile is due at the next poll.
    pub fn finished(&mut self, pipeline: &str, outcome: RunOutcome) {
        let Some(entry) = self.entries.get_mut(pipeline) else {
            return;
        };
        entry.running = None;
        let history = &mut entry.history;
        history.last_started_at = Some(outcome.started_at);
        history.last_finished_at = Some(outcome.finished_at);
        history.last_status = Some(outcome.status);
        if outcome.status == RunStatus::Succeeded {
            history.last_success_at = Some(outcome.finished_at);
        }
        history.runs += 1;
    }

    /// Takes the pipelines of a reload: a known pipeline gets its new rules and keeps
    /// its history, run and request; a new one starts with `history` (from the state
    /// store) and, if it never ran, is due at once; one left out is
    /// forgotten (a run of it going on finishes, unplanned).
    pub fn reload(&mut self, pipelines: impl IntoIterator<Item = (String, Spec, History)>) {
        let mut entries = BTreeMap::new();
        for (name, spec, history) in pipelines {
            let entry = match self.entries.remove(&name) {
                Some(mut entry) => {
                    entry.spec = spec;
                    entry
                }
                None => {
                    let start_run = spec.schedule.as_ref().is_some_and(|s| s.run_on_start);
                    Entry {
                        spec,
                        history,
                        running: None,
                        requested: None,
                        start_run,
                    }
                }
            };
            entries.insert(name, entry);
        }
        self.entries = entries;
    }

    /// Asks for a run of `pipeline` now. A manual trigger is refused while the latest
    /// run began less than `min_interval` ago; webhook triggers are not limited. A
    /// trigger during a run queues one follow-up run, however many arrive.
    pub fn trigger(
        &mut self,
        pipeline: &str,
        trigger: Trigger,
        now: DateTime<Utc>,
    ) -> Result<Accepted, Refused> {
        let Some(entry) = self.entries.get_mut(pipeline) else {
            return Err(Refused::Unknown(pipeline.to_string()));
        };
        if !entry.spec.enabled {
            return Err(Refused::Disabled(pipeline.to_string()));
        }
        let min_interval = entry
            .spec
            .schedule
            .as_ref()
            .and_then(|s| s.min_interval.clone());
        let latest_start = entry.running.or(entry.history.last_started_at);
        if let (Trigger::Manual, Some(min), Some(began)) = (trigger, min_interval, latest_start) {
            let allowed =
                began + chrono::Duration::from_std(min.get()).unwrap_or(chrono::TimeDelta::MAX);
            if now < allowed {
                let wait = (allowed - now).to_std().unwrap_or_default();
                return Err(Refused::TooSoon {
                    pipeline: pipeline.to_string(),
                    min_interval: min,
                    wait,
                });
            }
        }
        if entry.requested.is_some() {
            return Ok(Accepted::AlreadyQueued);
        }
        entry.requested = Some(trigger);
        Ok(if entry.running.is_some() {
            Accepted::Queued
        } else {
            Accepted::Starting
        })
    }

    /// When [`Planner::poll`] may next have something to start, if nothing else
    /// happens meanwhile (a trigger, a run ending). `None`: nothing is scheduled. A time
    /// at or before `now` means "poll now".
    pub fn next_wakeup(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.entries
            .values()
            .filter(|e| e.spec.enabled && e.running.is_none())
            .filter_map(|e| {
                if e.requested.is_some() {
                    return Some(now);
                }
                let at = self.next_scheduled(e)?;
                // A run held back by `after` starts when a dependency's run ends,
                // which wakes the daemon anyway.
                (at > now || self.held_back(e).is_none()).then_some(at)
            })
            .min()
    }

    /// Every pipeline's status, by name.
    pub fn status(&self) -> Vec<PipelineStatus> {
        self.entries
            .iter()
            .map(|(name, e)| PipelineStatus {
                name: name.clone(),
                enabled: e.spec.enabled,
                schedule: e.spec.schedule.as_ref().and_then(describe),
                running_since: e.running,
                queued: e.requested,
                history: e.history,
                next_run: self.next_scheduled(e),
                waiting: if e.spec.enabled {
                    self.held_back(e)
                } else {
                    Some("disabled in its file".to_string())
                },
            })
            .collect()
    }

    /// When the schedule next wants a run of `entry` (perhaps in the past), whatever
    /// `after` says; `None` when it wants none (no schedule, disabled, past `until`).
    fn next_scheduled(&self, entry: &Entry) -> Option<DateTime<Utc>> {
        let schedule = entry
            .spec
            .schedule
            .as_ref()
            .filter(|_| entry.spec.enabled)?;
        let history = &entry.history;
        let at = if entry.start_run {
            self.began
        } else {
            match (history.last_started_at, &schedule.every, &schedule.cron) {
                (None, _, _) => self.began,
                (Some(started), Some(every), _) => {
                    let end = history.last_finished_at.unwrap_or(started);
                    end + chrono::Duration::from_std(every.get()).ok()?
                }
                (Some(started), None, Some(cron)) => {
                    let zone = schedule.timezone.as_ref().map_or(chrono_tz::UTC, |z| z.0);
                    next_cron(cron, zone, started)?
                }
                (Some(_), None, None) => return None,
            }
        };
        match &schedule.until {
            Some(until) if at > until.0 => None,
            _ => Some(at),
        }
    }

    /// Why `after` holds a scheduled run of `entry` back, if it does.
    fn held_back(&self, entry: &Entry) -> Option<String> {
        entry.spec.after.iter().find_map(|dependency| {
            let why = match self.entries.get(dependency) {
                None => "it is not loaded (its file has errors or is missing)",
                Some(dep) if dep.running.is_some() => "it is running",
                Some(dep) => {
                    let synced = match (dep.history.last_success_at, entry.history.last_started_at)
                    {
                        (Some(success), Some(started)) => success > started,
                        (Some(_), None) => true,
                        (None, _) => false,
                    };
                    if synced {
                        return None;
                    }
                    match dep.history.last_status {
                        None => "it has not run yet",
                        Some(RunStatus::Failed) => "its last run failed",
                        Some(RunStatus::Partial) => {
                            "its last run was partial (some records failed)"
                        }
                        Some(RunStatus::Succeeded) => {
                            "it has not synced since this pipeline last ran"
                        }
                    }
                }
            };
            Some(format!("waiting for `{dependency}`: {why}"))
        })
    }
}

/// A schedule in words, for the status.
fn describe(schedule: &Schedule) -> Option<String> {
    match (&schedule.every, &schedule.cron) {
        (Some(every), _) => Some(format!("every {every}")),
        (None, Some(cron)) => {
            let zone = schedule.timezone.as_ref().map_or("UTC", |z| z.0.name());
            Some(format!("cron {} ({zone})", cron.as_str()))
        }
        (None, None) if schedule.run_on_start => Some("on start".to_string()),
        (None, None) => None,
    }
}
