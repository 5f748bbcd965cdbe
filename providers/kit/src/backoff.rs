//! Jittered exponential backoff that honours the delay an API asked for (`Retry-After`),
//! and the retry loop every API call of a provider can go through.
//!
//! Only retryable errors ([`ProviderError::is_retryable`]: throttled and transient) are
//! retried. The delay before attempt `n + 1` is drawn uniformly from
//! `[0, min(max, base · 2ⁿ)]` ("full jitter", so that many clients throttled together do
//! not retry together), and is never shorter than the error's
//! [`ProviderError::retry_after`].

use std::future::Future;
use std::time::Duration;

use aic_provider::ProviderError;

use crate::random;

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The delay bound of the first retry.
    pub base: Duration,
    /// The largest delay bound.
    pub max: Duration,
    /// Calls in all, the first included (1: no retry).
    pub attempts: u32,
}

impl Default for Backoff {
    /// For real APIs: 4 calls, delays bounded by 0.5 s, 1 s, 2 s (up to 20 s).
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(500),
            max: Duration::from_secs(20),
            attempts: 4,
        }
    }
}

impl Backoff {
    /// Short delays for emulators and tests (bounded by 5 ms, 10 ms, 20 ms …).
    pub fn fast() -> Backoff {
        Backoff {
            base: Duration::from_millis(5),
            max: Duration::from_millis(200),
            attempts: 4,
        }
    }

    /// The upper bound of the delay after failed attempt `attempt` (1-based).
    pub fn bound(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(16);
        self.base.saturating_mul(factor).min(self.max)
    }

    /// The delay after failed attempt `attempt` (1-based): jittered below
    /// [`Backoff::bound`], and at least what the API asked for.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let bound = self.bound(attempt);
        let nanos = u64::try_from(bound.as_nanos()).unwrap_or(u64::MAX);
        let jittered = Duration::from_nanos(random::below(nanos.saturating_add(1)));
        retry_after.map_or(jittered, |asked| jittered.max(asked))
    }

    /// Calls `op` until it succeeds, fails with an error that is not retryable, or has
    /// been called [`Backoff::attempts`] times; sleeps [`Backoff::delay`] between calls.
    pub async fn retry<T, F, Fut>(&self, mut op: F) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let mut attempt = 1;
        loop {
            match op().await {
                Err(e) if e.is_retryable() && attempt < self.attempts => {
                    tokio::time::sleep(self.delay(attempt, e.retry_after())).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use aic_provider::ErrorKind;

    #[test]
    fn delays_grow_are_jittered_and_capped() {
        let backoff = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_millis(350),
            attempts: 5,
        };
        assert_eq!(backoff.bound(1), Duration::from_millis(100));
        assert_eq!(backoff.bound(2), Duration::from_millis(200));
        assert_eq!(backoff.bound(3), Duration::from_millis(350));
        let delays: Vec<Duration> = (0..200).map(|_| backoff.delay(2, None)).collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_millis(200)));
        let distinct: std::collections::BTreeSet<_> = delays.iter().collect();
        assert!(distinct.len() > 100, "jitter draws distinct delays");
    }

    #[test]
    fn retry_after_is_a_floor() {
        let backoff = Backoff::fast();
        for _ in 0..50 {
            assert!(backoff.delay(1, Some(Duration::from_secs(1))) >= Duration::from_secs(1));
        }
    }

    #[tokio::test]
    async fn retries_only_retryable_errors_and_stops_after_the_attempts() {
        let calls = Cell::new(0);
        let result: Result<(), _> = Backoff::fast()
            .retry(|| {
                calls.set(calls.get() + 1);
                async { Err(ProviderError::throttled("slow down")) }
            })
            .await;
        assert_eq!(result.err().map(|e| e.kind()), Some(ErrorKind::Throttled));
        assert_eq!(calls.get(), 4);

        calls.set(0);
        let result: Result<(), _> = Backoff::fast()
            .retry(|| {
                calls.set(calls.get() + 1);
                async { Err(ProviderError::conflict("busy")) }
            })
            .await;
        assert_eq!(result.err().map(|e| e.kind()), Some(ErrorKind::Conflict));
        assert_eq!(calls.get(), 1);

        calls.set(0);
        let result = Backoff::fast()
            .retry(|| {
                calls.set(calls.get() + 1);
                let n = calls.get();
                async move {
                    if n < 3 {
                        Err(ProviderError::transient("500"))
                    } else {
                        Ok(n)
                    }
                }
            })
            .await;
        assert_eq!(result.ok(), Some(3));
    }
}
