//! A time zone's UTC offset per local day, remembered: wall-clock times read by
//! `parse_time` mostly fall on a few days, and chrono-tz searches its transition table
//! for every conversion.
//!
//! A day's offset is remembered only when the zone has the same offset, unambiguously,
//! at the day's first and last second (00:00:00 and 23:59:59). That proves the offset
//! held all day provided a zone never changes its offset twice within one day — and
//! from 1900 to 2100 no zone of the tz database changes it twice within three days
//! (`cargo run --release --example tz_transitions` checks every zone; run it again when
//! chrono-tz is upgraded). Days outside those years, days with a change (DST, a
//! skipped or repeated hour) and skipped times are converted by chrono-tz each time.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::offset::LocalResult;
use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::Tz;

use super::civil::{DAY, days_from_civil};

/// How many days are remembered (a direct-mapped table: a day's slot is its number
/// modulo this). 1,024 days cover nearly three years without two days sharing a slot.
const SLOTS: usize = 1024;

/// The days the tz database was checked for (see the module documentation).
const FIRST_DAY: i64 = days_from_civil(1900, 1, 1);
const LAST_DAY: i64 = days_from_civil(2100, 12, 31);

/// Local wall-clock times in one zone to UTC, with each day's offset remembered. Shared
/// between threads: each slot is one atomic word holding a day and its offset.
pub(crate) struct DayOffsets {
    zone: Tz,
    slots: Box<[AtomicU64]>,
}

impl DayOffsets {
    pub(crate) fn new(zone: Tz) -> DayOffsets {
        let slots = if zone == Tz::UTC { 0 } else { SLOTS };
        DayOffsets {
            zone,
            slots: (0..slots).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// The UTC instant (seconds since 1970) of the wall-clock time `local` (seconds since
    /// 1970-01-01T00:00:00 on the zone's clocks). A time that occurs twice gives the
    /// earlier instant; a time the clocks skip gives `None`. Exactly what
    /// `local_to_utc` gives.
    pub(crate) fn utc(&self, local: i64) -> Option<i64> {
        if self.zone == Tz::UTC {
            return Some(local);
        }
        let day = local.div_euclid(DAY);
        let Some(slot) = self.slot(day) else {
            return exact_utc(self.zone, local);
        };
        let key = (day - FIRST_DAY + 1) as u64;
        let entry = slot.load(Ordering::Relaxed);
        if entry >> 32 == key {
            return Some(local - i64::from(entry as u32 as i32));
        }
        match self.whole_day_offset(day) {
            Some(offset) => {
                slot.store(key << 32 | u64::from(offset as u32), Ordering::Relaxed);
                Some(local - i64::from(offset))
            }
            None => exact_utc(self.zone, local),
        }
    }

    /// The slot of a day that may be remembered.
    fn slot(&self, day: i64) -> Option<&AtomicU64> {
        if !(FIRST_DAY..=LAST_DAY).contains(&day) {
            return None;
        }
        self.slots.get(day.rem_euclid(SLOTS as i64) as usize)
    }

    /// The offset (seconds east of UTC) the zone has all through `day`, when it has one.
    fn whole_day_offset(&self, day: i64) -> Option<i32> {
        let offset_at = |local: i64| match self
            .zone
            .from_local_datetime(&DateTime::from_timestamp(local, 0)?.naive_utc())
        {
            LocalResult::Single(t) => Some(t.offset().fix().local_minus_utc()),
            LocalResult::Ambiguous(..) | LocalResult::None => None,
        };
        let first = offset_at(day * DAY)?;
        (offset_at(day * DAY + DAY - 1)? == first).then_some(first)
    }
}

/// chrono-tz's conversion of one wall-clock time (the earlier of two; none when skipped).
fn exact_utc(zone: Tz, local: i64) -> Option<i64> {
    match zone.from_local_datetime(&DateTime::from_timestamp(local, 0)?.naive_utc()) {
        LocalResult::Single(t) => Some(t.timestamp()),
        LocalResult::Ambiguous(a, b) => Some(a.timestamp().min(b.timestamp())),
        LocalResult::None => None,
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use chrono_tz::Tz;
    use proptest::prelude::*;

    use super::super::common::local_to_utc;
    use super::*;

    /// Zones with daylight saving time at night, at midnight (São Paulo, Havana), by
    /// half an hour (Lord Howe), twice a year around Ramadan (Casablanca), a skipped day
    /// (Apia, 2011), odd historical offsets (Amsterdam before 1940), none (Kolkata).
    const ZONES: [&str; 9] = [
        "Europe/Amsterdam",
        "America/Sao_Paulo",
        "America/Havana",
        "Australia/Lord_Howe",
        "Africa/Casablanca",
        "Pacific/Apia",
        "Asia/Kolkata",
        "America/New_York",
        "UTC",
    ];

    fn chrono_utc(zone: Tz, local: i64) -> Option<i64> {
        let naive = DateTime::from_timestamp(local, 0)?.naive_utc();
        local_to_utc(naive, zone).ok().map(|t| t.timestamp())
    }

    /// Every quarter of an hour of two years around changes, in every test zone, asked
    /// twice (the second time from the remembered offsets), agrees with chrono-tz.
    #[test]
    fn agrees_with_chrono_tz_every_quarter_hour() {
        for name in ZONES {
            let zone: Tz = name.parse().unwrap_or(Tz::UTC);
            let offsets = DayOffsets::new(zone);
            for (from, to) in [
                (days_from_civil(2011, 1, 1), days_from_civil(2012, 1, 1)),
                (days_from_civil(2025, 9, 1), days_from_civil(2026, 12, 31)),
                (days_from_civil(1937, 6, 1), days_from_civil(1937, 8, 1)),
                (days_from_civil(1899, 12, 30), days_from_civil(1900, 1, 3)),
            ] {
                for _round in 0..2 {
                    for local in (from * DAY..to * DAY).step_by(900) {
                        assert_eq!(
                            offsets.utc(local),
                            chrono_utc(zone, local),
                            "{name} at local {:?}",
                            DateTime::from_timestamp(local, 0)
                        );
                    }
                }
            }
        }
    }

    proptest! {
        #[test]
        fn agrees_with_chrono_tz_at_any_second(
            zone in 0..ZONES.len(),
            local in days_from_civil(1800, 1, 1) * DAY..days_from_civil(2200, 1, 1) * DAY,
        ) {
            let zone: Tz = ZONES[zone].parse().unwrap_or(Tz::UTC);
            let offsets = DayOffsets::new(zone);
            prop_assert_eq!(offsets.utc(local), chrono_utc(zone, local));
            prop_assert_eq!(offsets.utc(local), chrono_utc(zone, local));
        }
    }
}
