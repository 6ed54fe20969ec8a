//! Calendar times: the next time a cron expression fires, read in the pipeline's time
//! zone and computed afresh each time, so a daylight-saving change never shifts it (a
//! scheduler that freezes the UTC offset when a job is created drifts by an hour).
//!
//! Daylight saving, as croner resolves it and as users are told: a wall-clock time that
//! does not exist (02:30 on the spring-forward night in Europe) fires at the first time
//! after the gap (03:00); a wall-clock time that happens twice (02:30 on the fall-back
//! night) fires once, at its first occurrence.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::pipeline::CronSchedule;

/// How often the search steps past a candidate that does not lie after `after` (the
/// repeated hour of a fall-back night resolves to its first, earlier occurrence).
const MAX_STEPS: usize = 8;

/// The first time strictly after `after` at which `cron` fires in `zone`; `None` when it
/// never fires again (a year field in the past).
pub fn next_cron(cron: &CronSchedule, zone: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut from = after.with_timezone(&zone);
    for _ in 0..MAX_STEPS {
        let candidate = cron.cron().find_next_occurrence(&from, false).ok()?;
        let utc = candidate.with_timezone(&Utc);
        if utc > after {
            return Some(utc);
        }
        // A wall-clock time in the repeated hour resolved to its first occurrence,
        // which already passed: that time has fired; look past it.
        from = candidate;
    }
    None
}
