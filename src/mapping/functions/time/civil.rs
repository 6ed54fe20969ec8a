//! Calendar arithmetic on plain integers, for `parse_time`'s fast path: a wall-clock
//! time as seconds since 1970-01-01T00:00:00 (proleptic Gregorian calendar, no time
//! zone), and RFC 3339 written straight from such seconds.
//!
//! chrono does the same through `NaiveDate`, which stores an ordinal day and year flags
//! and recomputes the month and day on every read; on the hot path of every mapped time
//! these few divisions (Howard Hinnant's `days_from_civil` / `civil_from_days`) cost a
//! fraction of that.

/// Seconds in a day.
pub(crate) const DAY: i64 = 86_400;

/// A date and time of day as read from text, not yet checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Civil {
    pub(crate) year: u32,
    pub(crate) month: u32,
    pub(crate) day: u32,
    pub(crate) hour: u32,
    pub(crate) minute: u32,
    pub(crate) second: u32,
}

impl Civil {
    /// The seconds since 1970-01-01T00:00:00 of this wall-clock time; `None` when it is
    /// not a valid date and time (month 13, 31 April, hour 24, a leap second…).
    pub(crate) fn seconds(self) -> Option<i64> {
        let valid = (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month)
            && self.hour < 24
            && self.minute < 60
            && self.second < 60;
        valid.then(|| {
            days_from_civil(i64::from(self.year), self.month, self.day) * DAY
                + i64::from(self.hour * 3600 + self.minute * 60 + self.second)
        })
    }
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a date (month 1–12, day 1–31).
pub(crate) const fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    // Months counted from March, so that the leap day ends the year.
    let month_from_march = ((month + 9) % 12) as i64;
    let day_of_year = (153 * month_from_march + 2) / 5 + day as i64 - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date (year, month 1–12, day 1–31) of a count of days since 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    // All three are small and non-negative by construction.
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `seconds` since 1970-01-01T00:00:00Z as RFC 3339 in UTC (`2026-03-29T08:15:00Z`);
/// `None` outside the years 0000–9999, which RFC 3339 cannot write.
pub(crate) fn rfc3339_utc(seconds: i64) -> Option<[u8; 20]> {
    let (year, month, day) = civil_from_days(seconds.div_euclid(DAY));
    let year = u32::try_from(year).ok().filter(|y| *y <= 9999)?;
    let time = seconds.rem_euclid(DAY) as u32;
    let mut text = *b"0000-00-00T00:00:00Z";
    let mut put = |at: usize, value: u32| {
        let pair = TWO_DIGITS
            .get(value as usize % 100)
            .copied()
            .unwrap_or(*b"00");
        text[at..at + 2].copy_from_slice(&pair);
    };
    put(0, year / 100);
    put(2, year);
    put(5, month);
    put(8, day);
    put(11, time / 3600);
    put(14, time / 60 % 60);
    put(17, time % 60);
    Some(text)
}

/// "00" to "99": two digits written at once.
const TWO_DIGITS: [[u8; 2]; 100] = {
    let mut pairs = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        pairs[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    pairs
};

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate};
    use proptest::prelude::*;

    use super::*;

    fn chrono_seconds(c: Civil) -> Option<i64> {
        NaiveDate::from_ymd_opt(i32::try_from(c.year).ok()?, c.month, c.day)?
            .and_hms_opt(c.hour, c.minute, c.second)
            .map(|t| t.and_utc().timestamp())
    }

    #[test]
    fn known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(0, 1, 1), -719_528);
        assert_eq!(civil_from_days(-719_528), (0, 1, 1));
        assert_eq!(civil_from_days(19_447), (2023, 3, 31));
        assert_eq!(
            rfc3339_utc(1_774_772_100).as_ref().map(|t| &t[..]),
            Some(&b"2026-03-29T08:15:00Z"[..])
        );
        assert_eq!(rfc3339_utc(days_from_civil(10_000, 1, 1) * DAY), None);
        assert_eq!(rfc3339_utc(-719_528 * DAY - 1), None);
    }

    proptest! {
        /// Every date and time the fast path reads (years of up to four digits, fields
        /// of up to two) gives chrono's answer, valid or not.
        #[test]
        fn agrees_with_chrono(
            year in 0u32..=9999, month in 0u32..=13, day in 0u32..=32,
            hour in 0u32..=25, minute in 0u32..=61, second in 0u32..=61,
        ) {
            let civil = Civil { year, month, day, hour, minute, second };
            prop_assert_eq!(civil.seconds(), chrono_seconds(civil));
            if let Some(seconds) = civil.seconds() {
                let chrono_text = DateTime::from_timestamp(seconds, 0)
                    .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
                let ours = rfc3339_utc(seconds).map(|t| String::from_utf8_lossy(&t).into_owned());
                prop_assert_eq!(ours, chrono_text);
            }
        }
    }
}
