//! When and how long to wait before trying a request again: exponential backoff with
//! jitter, or what the platform asked for in `Retry-After` (seconds or an HTTP date),
//! always at least [`MIN_WAIT`] and at most the policy's longest wait.

use std::time::{Duration, SystemTime};

use crate::pipeline::Retries;

/// The shortest wait before a retry, also when `Retry-After` says 0 or a past date.
pub const MIN_WAIT: Duration = Duration::from_millis(100);

/// Attempts, first wait and longest wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included (at least 1).
    pub attempts: u32,
    /// The wait before the second attempt; each next one doubles.
    pub backoff: Duration,
    /// The longest wait, `Retry-After` included.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts: 3,
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The policy a `retries` block sets (defaults for what it leaves out).
    pub fn from_config(config: Option<&Retries>) -> RetryPolicy {
        let default = RetryPolicy::default();
        let Some(config) = config else {
            return default;
        };
        let backoff = config.backoff.as_ref().map_or(default.backoff, |d| d.get());
        let max_backoff = config
            .max_backoff
            .as_ref()
            .map_or(default.max_backoff, |d| d.get())
            .max(backoff);
        RetryPolicy {
            attempts: config.attempts.max(1),
            backoff,
            max_backoff,
        }
    }

    /// The wait after failed attempt number `attempt` (1 for the first): what the
    /// platform asked for, else `backoff × 2^(attempt-1)` with jitter (between half
    /// and all of it); clamped to [`MIN_WAIT`]..=`max_backoff`.
    pub fn wait(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let wait = match retry_after {
            Some(asked) => asked,
            None => {
                let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
                let full = self.backoff.saturating_mul(factor).min(self.max_backoff);
                let half = full / 2;
                half + half.mul_f64(fastrand::f64())
            }
        };
        wait.clamp(MIN_WAIT, self.max_backoff.max(MIN_WAIT))
    }
}

/// Reads a `Retry-After` value: a number of seconds or an HTTP date (a date in the
/// past is no wait). `None` when it is neither.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            attempts: 5,
            backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(1),
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_cap() {
        let p = policy();
        for _ in 0..50 {
            let first = p.wait(1, None);
            assert!(first >= Duration::from_millis(100) && first <= Duration::from_millis(200));
            let third = p.wait(3, None);
            assert!(third >= Duration::from_millis(400) && third <= Duration::from_millis(800));
            assert!(p.wait(30, None) <= Duration::from_secs(1));
        }
    }

    #[test]
    fn retry_after_is_honoured_within_bounds() {
        let p = policy();
        assert_eq!(p.wait(1, Some(Duration::ZERO)), MIN_WAIT);
        assert_eq!(
            p.wait(1, Some(Duration::from_millis(700))),
            Duration::from_millis(700)
        );
        assert_eq!(
            p.wait(1, Some(Duration::from_secs(3600))),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(parse_retry_after("0", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after(" 12 ", now),
            Some(Duration::from_secs(12))
        );
        // 2015-10-21 07:28:00 UTC is `now`; 07:28:05 is five seconds later.
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:05 GMT", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn config_fills_defaults() {
        assert_eq!(RetryPolicy::from_config(None), RetryPolicy::default());
        let config = Retries {
            attempts: 0,
            backoff: None,
            max_backoff: None,
        };
        assert_eq!(RetryPolicy::from_config(Some(&config)).attempts, 1);
    }
}
