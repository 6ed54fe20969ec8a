//! Throttling one connector's requests: a rate (`rate_limit = "10/s"`, requests spaced
//! evenly, so no window of that period holds more) and a concurrency limit (requests in
//! flight at once). Both are shared by every request of the connector, retries included.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

use crate::pipeline::RateLimit;

/// The rate and concurrency limits of one source or destination.
#[derive(Debug)]
pub struct Limits {
    /// The gap between two request starts; zero without a rate limit.
    spacing: Duration,
    /// When the next request may start.
    next: Mutex<Option<Instant>>,
    in_flight: Semaphore,
    /// The size of `in_flight`.
    permits: usize,
}

impl Limits {
    /// Limits from a connector's `rate_limit` and `concurrency` (default 1).
    pub fn new(rate: Option<&RateLimit>, concurrency: Option<u32>) -> Limits {
        let spacing = rate.map_or(Duration::ZERO, |r| r.per / r.count.get());
        let permits = (concurrency.unwrap_or(1).max(1) as usize).min(Semaphore::MAX_PERMITS);
        Limits {
            spacing,
            next: Mutex::new(None),
            in_flight: Semaphore::new(permits),
            permits,
        }
    }

    /// How many requests may be in flight at once.
    pub fn concurrency(&self) -> usize {
        self.permits
    }

    /// Waits for a free slot and for the rate, in that order; the slot is held until
    /// the permit is dropped (when the response has been read).
    pub async fn acquire(&self) -> Option<SemaphorePermit<'_>> {
        let permit = self.in_flight.acquire().await.ok()?;
        if !self.spacing.is_zero() {
            let start = {
                let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                let start = next.map_or(now, |n| n.max(now));
                *next = Some(start + self.spacing);
                start
            };
            tokio::time::sleep_until(start).await;
        }
        Some(permit)
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use super::*;
    use crate::http::runtime::block_on;

    #[test]
    fn requests_are_spaced_by_the_rate() {
        let rate = RateLimit {
            count: NonZeroU32::new(20).expect("not zero"),
            per: Duration::from_secs(1),
        };
        let limits = Limits::new(Some(&rate), Some(4));
        let elapsed = block_on(async {
            let start = Instant::now();
            for _ in 0..5 {
                drop(limits.acquire().await);
            }
            start.elapsed()
        })
        .expect("runtime");
        // Five starts, four gaps of 50 ms.
        assert!(elapsed >= Duration::from_millis(195), "{elapsed:?}");
    }

    #[test]
    fn concurrency_defaults_to_one() {
        assert_eq!(Limits::new(None, None).concurrency(), 1);
        assert_eq!(Limits::new(None, Some(8)).concurrency(), 8);
    }
}
