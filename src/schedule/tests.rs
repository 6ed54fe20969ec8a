//! The planner on a hand-moved clock: the event-platform example, calendar times across
//! daylight-saving changes, `until`, `min_interval`, queue-once and `after`.

use chrono::{DateTime, Duration as Delta, Utc};
use chrono_tz::Europe::Amsterdam;

use super::*;
use crate::pipeline::{CronSchedule, Duration, Schedule, TimeZone, Timestamp};
use crate::report::{RunStatus, Trigger};

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("a test time")
        .with_timezone(&Utc)
}

fn minutes(n: i64) -> Delta {
    Delta::minutes(n)
}

fn schedule() -> Schedule {
    Schedule {
        every: None,
        cron: None,
        timezone: None,
        min_interval: None,
        until: None,
        run_on_start: false,
    }
}

fn every(text: &str) -> Schedule {
    Schedule {
        every: Some(Duration::parse(text).expect("a duration")),
        ..schedule()
    }
}

fn cron(text: &str, zone: &str) -> Schedule {
    Schedule {
        cron: Some(CronSchedule::parse(text).expect("a cron expression")),
        timezone: Some(TimeZone::parse(zone).expect("a zone")),
        ..schedule()
    }
}

fn spec(schedule: Option<Schedule>, after: &[&str]) -> Spec {
    Spec {
        enabled: true,
        schedule,
        after: after.iter().map(|s| s.to_string()).collect(),
    }
}

fn planner(pipelines: Vec<(&str, Spec)>, clock: &TestClock) -> Planner {
    Planner::new(
        pipelines
            .into_iter()
            .map(|(name, spec)| (name.to_string(), spec, History::default())),
        clock.now(),
    )
}

fn names(starts: &[Start]) -> Vec<&str> {
    starts.iter().map(|s| s.pipeline.as_str()).collect()
}

/// Polls, runs whatever is due for `took` and ends it with `status`; the names run.
fn run_due(p: &mut Planner, clock: &TestClock, took: Delta, status: RunStatus) -> Vec<Start> {
    let started_at = clock.now();
    let starts = p.poll(started_at);
    clock.advance(took);
    for start in &starts {
        let outcome = RunOutcome {
            started_at,
            finished_at: clock.now(),
            status,
        };
        p.finished(&start.pipeline, outcome);
    }
    starts
}

fn status_of(p: &Planner, name: &str) -> PipelineStatus {
    p.status()
        .into_iter()
        .find(|s| s.name == name)
        .expect("a known pipeline")
}

#[test]
fn every_counts_from_the_end_of_the_last_run_whatever_triggered_it() {
    // The event platform's example: enabled at 14:00 with a 60-minute interval.
    let clock = TestClock::new(utc("2026-11-01T14:00:00Z"));
    let mut p = planner(vec![("people", spec(Some(every("60m")), &[]))], &clock);

    // Never ran: due at once.
    assert_eq!(p.next_wakeup(clock.now()), Some(clock.now()));
    let first = run_due(&mut p, &clock, minutes(1), RunStatus::Succeeded);
    assert_eq!(names(&first), ["people"]);
    assert_eq!(first[0].trigger, Trigger::Schedule);
    // 60 minutes after the end of the first run (14:01).
    assert_eq!(
        p.next_wakeup(clock.now()),
        Some(utc("2026-11-01T15:01:00Z"))
    );
    clock.set(utc("2026-11-01T15:00:59Z"));
    assert!(p.poll(clock.now()).is_empty());
    clock.set(utc("2026-11-01T15:01:00Z"));
    assert_eq!(
        names(&run_due(&mut p, &clock, minutes(1), RunStatus::Succeeded)),
        ["people"]
    );

    // A manual run at 15:15 moves the next scheduled run to an hour after its end.
    clock.set(utc("2026-11-01T15:15:00Z"));
    assert_eq!(
        p.trigger("people", Trigger::Manual, clock.now()),
        Ok(Accepted::Starting)
    );
    let manual = run_due(&mut p, &clock, minutes(1), RunStatus::Succeeded);
    assert_eq!(manual[0].trigger, Trigger::Manual);
    assert_eq!(
        p.next_wakeup(clock.now()),
        Some(utc("2026-11-01T16:16:00Z"))
    );
    clock.set(utc("2026-11-01T16:02:00Z"));
    assert!(p.poll(clock.now()).is_empty(), "no run an hour after 15:02");
    clock.set(utc("2026-11-01T16:16:00Z"));
    assert_eq!(names(&p.poll(clock.now())), ["people"]);
    assert_eq!(status_of(&p, "people").history.runs, 3);
}

#[test]
fn a_pipeline_with_history_waits_for_its_interval_and_one_without_schedule_never_runs() {
    let clock = TestClock::new(utc("2026-11-01T14:00:00Z"));
    let history = History {
        last_started_at: Some(utc("2026-11-01T13:30:00Z")),
        last_finished_at: Some(utc("2026-11-01T13:40:00Z")),
        last_status: Some(RunStatus::Succeeded),
        last_success_at: Some(utc("2026-11-01T13:40:00Z")),
        runs: 4,
    };
    let mut p = Planner::new(
        [
            ("hourly".to_string(), spec(Some(every("1h")), &[]), history),
            ("manual".to_string(), spec(None, &[]), History::default()),
        ],
        clock.now(),
    );
    assert!(p.poll(clock.now()).is_empty());
    assert_eq!(
        p.next_wakeup(clock.now()),
        Some(utc("2026-11-01T14:40:00Z"))
    );
    assert_eq!(status_of(&p, "manual").next_run, None);
    clock.set(utc("2026-11-01T20:00:00Z"));
    assert_eq!(names(&p.poll(clock.now())), ["hourly"]);
}

/// Fridays 16:00 in Amsterdam, before and after both changes of 2026 (29 March,
/// 25 October): always 16:00 local, 15:00 UTC in winter and 14:00 UTC in summer.
#[test]
fn cron_fires_at_the_same_local_time_on_both_sides_of_daylight_saving_changes() {
    let s = cron("0 16 * * Fri", "Europe/Amsterdam");
    let c = s.cron.as_ref().expect("cron");
    let fire = |after: &str| next_cron(c, Amsterdam, utc(after)).expect("fires");
    // Winter → summer.
    assert_eq!(fire("2026-03-21T00:00:00Z"), utc("2026-03-27T15:00:00Z"));
    assert_eq!(fire("2026-03-27T15:00:00Z"), utc("2026-04-03T14:00:00Z"));
    // Summer → winter.
    assert_eq!(fire("2026-10-17T00:00:00Z"), utc("2026-10-23T14:00:00Z"));
    assert_eq!(fire("2026-10-23T14:00:00Z"), utc("2026-10-30T15:00:00Z"));
    for at in [fire("2026-03-27T15:00:00Z"), fire("2026-10-23T14:00:00Z")] {
        let local = at.with_timezone(&Amsterdam);
        assert_eq!(local.format("%a %H:%M").to_string(), "Fri 16:00");
    }

    // Through the planner: a run that began at Friday's fire time makes the next
    // Friday due, in summer time.
    let clock = TestClock::new(utc("2026-03-27T15:00:00Z"));
    let mut p = planner(vec![("weekly", spec(Some(s.clone()), &[]))], &clock);
    run_due(&mut p, &clock, minutes(5), RunStatus::Succeeded);
    assert_eq!(
        status_of(&p, "weekly").next_run,
        Some(utc("2026-04-03T14:00:00Z"))
    );
    clock.set(utc("2026-04-03T13:59:59Z"));
    assert!(p.poll(clock.now()).is_empty());
    clock.set(utc("2026-04-03T14:00:00Z"));
    assert_eq!(names(&p.poll(clock.now())), ["weekly"]);
}

#[test]
fn a_time_skipped_in_spring_fires_right_after_the_gap_and_a_repeated_time_fires_once() {
    let s = cron("30 2 * * *", "Europe/Amsterdam");
    let c = s.cron.as_ref().expect("cron");
    // 29 March 2026: 02:00 local becomes 03:00; 02:30 does not exist. It fires at
    // 03:00 CEST (01:00 UTC), then at 02:30 CEST the next day.
    let gap = next_cron(c, Amsterdam, utc("2026-03-28T23:00:00Z")).expect("fires");
    assert_eq!(gap, utc("2026-03-29T01:00:00Z"));
    assert_eq!(
        gap.with_timezone(&Amsterdam).format("%H:%M").to_string(),
        "03:00"
    );
    assert_eq!(
        next_cron(c, Amsterdam, gap),
        Some(utc("2026-03-30T00:30:00Z"))
    );

    // 25 October 2026: 03:00 local becomes 02:00; 02:30 happens twice (00:30 and
    // 01:30 UTC). It fires once, at the first.
    let first = next_cron(c, Amsterdam, utc("2026-10-24T22:00:00Z")).expect("fires");
    assert_eq!(first, utc("2026-10-25T00:30:00Z"));
    assert_eq!(
        next_cron(c, Amsterdam, first),
        Some(utc("2026-10-26T01:30:00Z")),
        "not again at the second 02:30"
    );
    // Even from inside the repeated hour (a manual run at the second 02:10).
    assert_eq!(
        next_cron(c, Amsterdam, utc("2026-10-25T01:10:00Z")),
        Some(utc("2026-10-26T01:30:00Z"))
    );

    // The planner fires once on that night.
    let clock = TestClock::new(utc("2026-10-24T22:00:00Z"));
    let history = History {
        last_started_at: Some(utc("2026-10-24T00:30:00Z")),
        last_finished_at: Some(utc("2026-10-24T00:31:00Z")),
        last_status: Some(RunStatus::Succeeded),
        last_success_at: Some(utc("2026-10-24T00:31:00Z")),
        runs: 1,
    };
    let mut p = Planner::new(
        [("nightly".to_string(), spec(Some(s.clone()), &[]), history)],
        clock.now(),
    );
    let mut fired = Vec::new();
    while clock.now() < utc("2026-10-25T06:00:00Z") {
        let now = clock.now();
        for start in p.poll(now) {
            fired.push(now);
            let outcome = RunOutcome {
                started_at: now,
                finished_at: now + Delta::seconds(30),
                status: RunStatus::Succeeded,
            };
            p.finished(&start.pipeline, outcome);
        }
        clock.advance(minutes(1));
    }
    assert_eq!(fired, [utc("2026-10-25T00:30:00Z")]);
}

#[test]
fn until_stops_scheduled_runs() {
    let clock = TestClock::new(utc("2026-12-03T22:00:00Z"));
    let mut s = every("1h");
    s.until = Some(Timestamp(utc("2026-12-04T00:00:00Z")));
    let mut p = planner(vec![("ending", spec(Some(s), &[]))], &clock);
    run_due(&mut p, &clock, minutes(30), RunStatus::Succeeded); // 22:00-22:30
    clock.set(utc("2026-12-03T23:30:00Z"));
    assert_eq!(names(&p.poll(clock.now())), ["ending"]);
    p.finished(
        "ending",
        RunOutcome {
            started_at: utc("2026-12-03T23:30:00Z"),
            finished_at: utc("2026-12-03T23:31:00Z"),
            status: RunStatus::Succeeded,
        },
    );
    // The next would be 00:31, after `until`.
    assert_eq!(p.next_wakeup(clock.now()), None);
    assert_eq!(status_of(&p, "ending").next_run, None);
    clock.set(utc("2026-12-05T00:00:00Z"));
    assert!(p.poll(clock.now()).is_empty());
    // Manual runs are still possible.
    assert!(p.trigger("ending", Trigger::Manual, clock.now()).is_ok());
    assert_eq!(names(&p.poll(clock.now())), ["ending"]);

    // A pipeline that never ran and whose `until` has passed does not start.
    let mut s = every("1h");
    s.until = Some(Timestamp(utc("2026-12-04T00:00:00Z")));
    let mut late = planner(vec![("late", spec(Some(s), &[]))], &clock);
    assert!(late.poll(clock.now()).is_empty());
}

#[test]
fn min_interval_refuses_manual_triggers_with_the_remaining_wait() {
    let clock = TestClock::new(utc("2026-11-01T14:00:00Z"));
    let mut s = every("1h");
    s.min_interval = Some(Duration::parse("15m").expect("duration"));
    let mut p = planner(vec![("limited", spec(Some(s), &[]))], &clock);
    run_due(&mut p, &clock, minutes(2), RunStatus::Succeeded); // 14:00-14:02

    clock.set(utc("2026-11-01T14:10:00Z"));
    let refused = p
        .trigger("limited", Trigger::Manual, clock.now())
        .expect_err("too soon");
    assert!(matches!(&refused, Refused::TooSoon { wait, .. } if wait.as_secs() == 300));
    assert_eq!(refused.retry_after_secs(), Some(300));
    assert!(
        refused.to_string().contains("try again in 300s"),
        "{refused}"
    );
    // Webhooks are not limited.
    assert!(p.trigger("limited", Trigger::Webhook, clock.now()).is_ok());
    assert_eq!(p.poll(clock.now())[0].trigger, Trigger::Webhook);
    p.finished(
        "limited",
        RunOutcome {
            started_at: utc("2026-11-01T14:10:00Z"),
            finished_at: utc("2026-11-01T14:11:00Z"),
            status: RunStatus::Succeeded,
        },
    );
    // A sub-second wait rounds up.
    clock.set(utc("2026-11-01T14:24:59.5Z"));
    let refused = p
        .trigger("limited", Trigger::Manual, clock.now())
        .expect_err("too soon");
    assert_eq!(refused.retry_after_secs(), Some(1));
    clock.set(utc("2026-11-01T14:25:00Z"));
    assert_eq!(
        p.trigger("limited", Trigger::Manual, clock.now()),
        Ok(Accepted::Starting)
    );

    assert_eq!(
        p.trigger("nope", Trigger::Manual, clock.now()),
        Err(Refused::Unknown("nope".into()))
    );
}

#[test]
fn triggers_during_a_run_queue_one_follow_up() {
    let clock = TestClock::new(utc("2026-11-01T14:00:00Z"));
    let mut p = planner(vec![("people", spec(Some(every("1h")), &[]))], &clock);
    assert_eq!(names(&p.poll(clock.now())), ["people"]);
    clock.advance(minutes(1));
    let now = clock.now();
    assert_eq!(
        p.trigger("people", Trigger::Manual, now),
        Ok(Accepted::Queued)
    );
    assert_eq!(
        p.trigger("people", Trigger::Manual, now),
        Ok(Accepted::AlreadyQueued)
    );
    assert_eq!(
        p.trigger("people", Trigger::Manual, now),
        Ok(Accepted::AlreadyQueued)
    );
    assert!(p.poll(now).is_empty(), "one run at a time");
    assert!(p.is_running("people"));
    assert_eq!(status_of(&p, "people").queued, Some(Trigger::Manual));
    clock.advance(minutes(1));
    p.finished(
        "people",
        RunOutcome {
            started_at: utc("2026-11-01T14:00:00Z"),
            finished_at: clock.now(),
            status: RunStatus::Succeeded,
        },
    );
    assert!(!p.is_running("people"));
    assert_eq!(p.next_wakeup(clock.now()), Some(clock.now()));
    let follow_up = run_due(&mut p, &clock, minutes(1), RunStatus::Succeeded);
    assert_eq!(follow_up.len(), 1);
    assert_eq!(follow_up[0].trigger, Trigger::Manual);
    assert!(p.poll(clock.now()).is_empty(), "only one follow-up");
    assert_eq!(status_of(&p, "people").queued, None);
}

#[test]
fn after_waits_for_a_fresh_successful_run_of_each_dependency() {
    let clock = TestClock::new(utc("2026-11-01T14:00:00Z"));
    let mut p = planner(
        vec![
            ("participants", spec(Some(every("1h")), &["sessions"])),
            ("sessions", spec(Some(every("1h")), &[])),
        ],
        &clock,
    );
    // Both never ran: only `sessions` starts; `participants` waits for it.
    let first = p.poll(clock.now());
    assert_eq!(names(&first), ["sessions"]);
    assert_eq!(
        status_of(&p, "participants").waiting.as_deref(),
        Some("waiting for `sessions`: it is running")
    );
    clock.advance(minutes(1));
    p.finished(
        "sessions",
        RunOutcome {
            started_at: utc("2026-11-01T14:00:00Z"),
            finished_at: clock.now(),
            status: RunStatus::Succeeded,
        },
    );
    let second = run_due(&mut p, &clock, minutes(1), RunStatus::Succeeded);
    assert_eq!(names(&second), ["participants"]); // 14:01-14:02

    // sessions runs at 15:01 and fails; participants is due at 15:02 but held back.
    clock.set(utc("2026-11-01T15:01:00Z"));
    let third = run_due(&mut p, &clock, minutes(1), RunStatus::Failed);
    assert_eq!(names(&third), ["sessions"]);
    clock.set(utc("2026-11-01T15:30:00Z"));
    assert!(p.poll(clock.now()).is_empty());
    let status = status_of(&p, "participants");
    assert_eq!(
        status.waiting.as_deref(),
        Some("waiting for `sessions`: its last run failed")
    );
    assert_eq!(status.next_run, Some(utc("2026-11-01T15:02:00Z")));
    // Held back, it sets no wake-up; sessions' next run (16:02) does.
    assert_eq!(
        p.next_wakeup(clock.now()),
        Some(utc("2026-11-01T16:02:00Z"))
    );
    // A manual trigger is not held back.
    assert!(
        p.trigger("participants", Trigger::Manual, clock.now())
            .is_ok()
    );
    let manual = run_due(&mut p, &clock, minutes(1), RunStatus::Succeeded);
    assert_eq!(names(&manual), ["participants"]); // 15:30-15:31
    assert_eq!(
        status_of(&p, "participants").waiting.as_deref(),
        Some("waiting for `sessions`: its last run failed")
    );

    // sessions succeeds at 16:02; participants runs at its time, 16:31.
    clock.set(utc("2026-11-01T16:02:00Z"));
    assert_eq!(
        names(&run_due(&mut p, &clock, minutes(1), RunStatus::Succeeded)),
        ["sessions"]
    );
    assert_eq!(status_of(&p, "participants").waiting, None);
    assert_eq!(
        p.next_wakeup(clock.now()),
        Some(utc("2026-11-01T16:31:00Z"))
    );
    clock.set(utc("2026-11-01T16:31:00Z"));
    assert_eq!(
        names(&run_due(&mut p, &clock, minutes(1), RunStatus::Succeeded)),
        ["participants"]
    );
    // Succeeded, but not since participants last ran: the next run waits again.
    assert_eq!(
        status_of(&p, "participants").waiting.as_deref(),
        Some("waiting for `sessions`: it has not synced since this pipeline last ran")
    );
}

#[test]
fn after_names_a_dependency_that_never_ran_or_is_missing() {
    let clock = TestClock::new(utc("2026-11-01T14:00:00Z"));
    let mut p = planner(
        vec![
            ("a", spec(Some(every("1h")), &["b"])),
            ("b", spec(None, &[])),
            ("c", spec(Some(every("1h")), &["gone"])),
        ],
        &clock,
    );
    assert!(p.poll(clock.now()).is_empty());
    assert_eq!(
        status_of(&p, "a").waiting.as_deref(),
        Some("waiting for `b`: it has not run yet")
    );
    assert_eq!(
        status_of(&p, "c").waiting.as_deref(),
        Some("waiting for `gone`: it is not loaded (its file has errors or is missing)")
    );
    assert_eq!(p.next_wakeup(clock.now()), None);
    // b is run by hand and partly fails: a still waits, saying why.
    p.trigger("b", Trigger::Manual, clock.now())
        .expect("accepted");
    run_due(&mut p, &clock, minutes(1), RunStatus::Partial);
    assert_eq!(
        status_of(&p, "a").waiting.as_deref(),
        Some("waiting for `b`: its last run was partial (some records failed)")
    );
}

#[test]
fn run_on_start_and_disabled_pipelines() {
    let clock = TestClock::new(utc("2026-11-01T14:00:00Z"));
    let history = History {
        last_started_at: Some(utc("2026-11-01T13:55:00Z")),
        last_finished_at: Some(utc("2026-11-01T13:56:00Z")),
        last_status: Some(RunStatus::Succeeded),
        last_success_at: Some(utc("2026-11-01T13:56:00Z")),
        runs: 1,
    };
    let mut on_start = every("1h");
    on_start.run_on_start = true;
    let disabled = Spec {
        enabled: false,
        ..spec(Some(every("1h")), &[])
    };
    let mut p = Planner::new(
        [
            ("eager".to_string(), spec(Some(on_start), &[]), history),
            ("off".to_string(), disabled, History::default()),
        ],
        clock.now(),
    );
    assert_eq!(
        names(&run_due(&mut p, &clock, minutes(1), RunStatus::Succeeded)),
        ["eager"]
    );
    assert_eq!(
        p.next_wakeup(clock.now()),
        Some(utc("2026-11-01T15:01:00Z"))
    );
    assert_eq!(
        p.trigger("off", Trigger::Manual, clock.now()),
        Err(Refused::Disabled("off".into()))
    );
    assert_eq!(
        status_of(&p, "off").waiting.as_deref(),
        Some("disabled in its file")
    );
}

#[test]
fn the_test_clock_moves_only_by_hand() {
    let clock = TestClock::new(utc("2026-01-01T00:00:00Z"));
    let before = clock.now();
    clock.advance(minutes(90));
    assert_eq!(clock.now() - before, minutes(90));
    assert!(SystemClock.now() > before);
}

#[test]
fn a_reload_keeps_history_adds_new_pipelines_and_forgets_removed_ones() {
    let clock = TestClock::new(utc("2026-11-02T09:00:00Z"));
    let mut p = planner(
        vec![
            ("a", spec(Some(every("1h")), &[])),
            ("b", spec(Some(every("1h")), &[])),
        ],
        &clock,
    );
    assert_eq!(
        names(&run_due(&mut p, &clock, minutes(1), RunStatus::Succeeded)),
        ["a", "b"]
    );
    // `a` now every 2h; `b` gone; `c` new (never ran: due at once).
    p.reload(vec![
        (
            "a".to_string(),
            spec(Some(every("2h")), &[]),
            History::default(),
        ),
        (
            "c".to_string(),
            spec(Some(every("1h")), &[]),
            History::default(),
        ),
    ]);
    assert_eq!(p.names().collect::<Vec<_>>(), ["a", "c"]);
    assert_eq!(
        names(&run_due(&mut p, &clock, minutes(1), RunStatus::Succeeded)),
        ["c"]
    );
    clock.advance(minutes(50));
    assert!(
        p.poll(clock.now()).is_empty(),
        "`a` keeps its history and its new rules"
    );
    clock.advance(minutes(70));
    assert_eq!(names(&p.poll(clock.now())), ["a", "c"]);
}
