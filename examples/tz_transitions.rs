//! Checks the assumption `parse_time`'s per-day offset cache rests on
//! (src/mapping/functions/time/day_offsets.rs): from 1900 to 2100, no time zone of the
//! tz database changes its UTC offset twice within three days. It steps through every
//! zone a quarter of an hour at a time, finds each change to the second, and prints the
//! changes that come closer than three days after the previous one (none, with chrono-tz
//! 0.10). Takes about four minutes:
//!
//! cargo run --release --example tz_transitions

use std::time::Instant;

use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::{TZ_VARIANTS, Tz};

/// 1900-01-01 and 2101-01-01, in seconds since 1970.
const FROM: i64 = -2_208_988_800;
const TO: i64 = 4_133_980_800;
const STEP: i64 = 900;
const CLOSE: i64 = 3 * 86_400;

fn offset(zone: Tz, at: i64) -> Option<i32> {
    let utc = DateTime::from_timestamp(at, 0)?.naive_utc();
    Some(zone.offset_from_utc_datetime(&utc).fix().local_minus_utc())
}

fn main() -> Result<(), String> {
    let started = Instant::now();
    let (mut changes, mut close) = (0u64, 0u64);
    for zone in TZ_VARIANTS {
        let offset = |at| offset(zone, at).ok_or_else(|| format!("{at} is out of range"));
        let mut before = offset(FROM)?;
        let mut last_change: Option<i64> = None;
        let mut at = FROM;
        while at < TO {
            let next = at + STEP;
            let now = offset(next)?;
            if now != before {
                // The first second with the new offset.
                let (mut low, mut high) = (at, next);
                while high - low > 1 {
                    let middle = (low + high) / 2;
                    if offset(middle)? == before {
                        low = middle;
                    } else {
                        high = middle;
                    }
                }
                if let Some(previous) = last_change.filter(|p| high - p < CLOSE) {
                    close += 1;
                    println!(
                        "{}: changes {} s apart, at {previous} and {high}",
                        zone.name(),
                        high - previous
                    );
                }
                last_change = Some(high);
                changes += 1;
                before = now;
            }
            at = next;
        }
    }
    println!(
        "{} zones, {changes} offset changes from 1900 to 2100, {close} closer than three days \
         to the previous one ({:.0} s)",
        TZ_VARIANTS.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
