//! Waiting for an API to get somewhere: polling with a bounded, jittered exponential
//! backoff, a timeout that names what was awaited, and cancellation; and retrying an
//! operation the API refuses while something else is still going away (a dependency being
//! deleted, an instance shutting down).
//!
//! Cancellation: dropping a waiter's future stops it (the engine's operation timeout does
//! that); a [`Cancel`] handle stops every waiter that watches it, at its next sleep.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aic_provider::{ErrorKind, ProviderError};
use tokio::sync::Notify;

use crate::random;

/// How often and how long to poll. The first poll is immediate; the delay then doubles
/// from `poll_interval` up to `max_poll_interval` (each delay jittered by up to a quarter
/// of itself) until `timeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub poll_interval: Duration,
    pub max_poll_interval: Duration,
    pub timeout: Duration,
}

impl Default for Timing {
    /// Intervals for real clouds: from 2 s to 15 s, giving up after 15 minutes.
    fn default() -> Self {
        Timing {
            poll_interval: Duration::from_secs(2),
            max_poll_interval: Duration::from_secs(15),
            timeout: Duration::from_secs(15 * 60),
        }
    }
}

impl Timing {
    /// Short intervals for emulators and tests: from 10 ms to 200 ms, giving up after a
    /// minute.
    pub fn fast() -> Timing {
        Timing {
            poll_interval: Duration::from_millis(10),
            max_poll_interval: Duration::from_millis(200),
            timeout: Duration::from_secs(60),
        }
    }

    /// The default timing, or, when the environment variable `var` holds a number of
    /// milliseconds, polls starting at that interval and backing off to ten times it
    /// (emulators answer at once, so tests of the `aic` binary set it low).
    pub fn from_env(var: &str) -> Timing {
        let millis = std::env::var(var)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok());
        match millis {
            Some(ms) => Timing {
                poll_interval: Duration::from_millis(ms),
                max_poll_interval: Duration::from_millis(ms.saturating_mul(10)),
                ..Timing::default()
            },
            None => Timing::default(),
        }
    }

    /// A waiter for `what` ("VPC vpc-1 to exist") with these intervals.
    pub fn waiter(self, what: impl Into<String>) -> Waiter {
        Waiter {
            timing: self,
            what: what.into(),
            cancel: None,
        }
    }
}

/// What one poll found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<T> {
    /// Arrived.
    Done(T),
    /// Not yet; ask again after the delay the API asked for, if it did.
    Again(Option<Duration>),
}

/// Stops the waiters that watch it. Clones share the same state.
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    inner: Arc<(AtomicBool, Notify)>,
}

impl Cancel {
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Stops every waiter watching this handle (now, or at its next sleep).
    pub fn cancel(&self) {
        self.inner.0.store(true, Ordering::SeqCst);
        self.inner.1.notify_waiters();
    }

    pub fn is_cancelled(&self) -> bool {
        self.inner.0.load(Ordering::SeqCst)
    }

    /// Sleeps `delay`; `false` when cancelled first.
    async fn sleep(&self, delay: Duration) -> bool {
        let notified = self.inner.1.notified();
        if self.is_cancelled() {
            return false;
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => true,
            () = notified => false,
        }
    }
}

/// Polls for one thing; see [`Timing::waiter`].
#[derive(Debug, Clone)]
pub struct Waiter {
    timing: Timing,
    what: String,
    cancel: Option<Cancel>,
}

impl Waiter {
    /// This waiter, stopped by `cancel`.
    #[must_use]
    pub fn cancelled_by(mut self, cancel: &Cancel) -> Self {
        self.cancel = Some(cancel.clone());
        self
    }

    async fn sleep(&self, delay: Duration) -> Result<(), ProviderError> {
        let slept = match &self.cancel {
            Some(cancel) => cancel.sleep(delay).await,
            None => {
                tokio::time::sleep(delay).await;
                true
            }
        };
        if slept {
            Ok(())
        } else {
            Err(ProviderError::other(format!(
                "cancelled while waiting for {}",
                self.what
            )))
        }
    }

    fn timed_out(&self) -> ProviderError {
        ProviderError::other(format!(
            "gave up after {}s waiting for {}",
            self.timing.timeout.as_secs(),
            self.what
        ))
        .with_help(
            "The API did not finish in time. Look at the object with the cloud's console or \
             command line; run the command again to continue.",
        )
    }

    /// The next delay after `delay`, and `delay` jittered for sleeping.
    fn next(&self, delay: Duration) -> (Duration, Duration) {
        let quarter = u64::try_from(delay.as_nanos() / 4).unwrap_or(u64::MAX);
        let jittered = delay + Duration::from_nanos(random::below(quarter.saturating_add(1)));
        (
            delay.saturating_mul(2).min(self.timing.max_poll_interval),
            jittered,
        )
    }

    /// Calls `check` until it returns `Some`, sleeping between calls. An error from
    /// `check` ends the wait; so do the timeout and cancellation, with an error naming
    /// what was awaited.
    pub async fn until<T, F, Fut>(&self, mut check: F) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<T>, ProviderError>>,
    {
        self.poll(|| {
            let checked = check();
            async move {
                Ok(match checked.await? {
                    Some(done) => Step::Done(done),
                    None => Step::Again(None),
                })
            }
        })
        .await
    }

    /// As [`Waiter::until`], for APIs that say when to ask again: `check` returns
    /// [`Step::Again`] with the delay the API asked for (`Retry-After`), which replaces
    /// the waiter's own delay for that sleep. `Retry-After: 0` is no hint (Azure's own
    /// SDKs read it so): the waiter's own delay applies, never a busy loop.
    pub async fn poll<T, F, Fut>(&self, mut check: F) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Step<T>, ProviderError>>,
    {
        let start = Instant::now();
        let mut delay = self.timing.poll_interval;
        loop {
            let asked = match check().await? {
                Step::Done(done) => return Ok(done),
                Step::Again(asked) => asked,
            };
            let (next, jittered) = self.next(delay);
            let sleep = asked.filter(|d| !d.is_zero()).unwrap_or(jittered);
            if start.elapsed() + sleep > self.timing.timeout {
                return Err(self.timed_out());
            }
            self.sleep(sleep).await?;
            delay = next;
        }
    }

    /// Runs `op` again while it fails with a `Conflict` (a dependency still being
    /// deleted, an object still busy), until the timeout; then returns its last result.
    pub async fn while_conflict<T, F, Fut>(&self, mut op: F) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let start = Instant::now();
        let mut delay = self.timing.poll_interval;
        loop {
            match op().await {
                Err(e)
                    if e.kind() == ErrorKind::Conflict
                        && start.elapsed() + delay <= self.timing.timeout =>
                {
                    let (next, sleep) = self.next(delay);
                    self.sleep(sleep).await?;
                    delay = next;
                }
                other => return other,
            }
        }
    }

    /// Deletes with `op`: retried while it conflicts, and successful when the object is
    /// already gone (`NotFound`), as a delete must be.
    pub async fn delete<T, F, Fut>(&self, op: F) -> Result<(), ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        gone_as_none(self.while_conflict(op).await).map(|_| ())
    }
}

/// `Ok(None)` for a `NotFound` error (the object is gone), the error otherwise.
pub fn gone_as_none<T>(result: Result<T, ProviderError>) -> Result<Option<T>, ProviderError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    #[tokio::test]
    async fn polls_until_done() {
        let calls = Cell::new(0);
        let result = Timing::fast()
            .waiter("three calls")
            .until(|| {
                calls.set(calls.get() + 1);
                let n = calls.get();
                async move { Ok((n == 3).then_some(n)) }
            })
            .await;
        assert_eq!(result.ok(), Some(3));
    }

    #[tokio::test]
    async fn a_zero_retry_after_polls_at_the_waiters_own_pace() {
        let calls = Cell::new(0u32);
        let timing = Timing {
            poll_interval: Duration::from_millis(20),
            max_poll_interval: Duration::from_millis(20),
            timeout: Duration::from_millis(200),
        };
        let result: Result<(), _> = timing
            .waiter("an operation")
            .poll(|| {
                calls.set(calls.get() + 1);
                async { Ok(Step::Again(Some(Duration::ZERO))) }
            })
            .await;
        assert!(result.is_err(), "it timed out");
        // At least 20 ms apart within 200 ms: about 8 polls, not thousands.
        assert!(calls.get() <= 11, "{} polls", calls.get());
    }

    #[tokio::test]
    async fn times_out_with_what_it_waited_for() {
        let timing = Timing {
            timeout: Duration::from_millis(30),
            ..Timing::fast()
        };
        let result: Result<(), _> = timing.waiter("Godot").until(|| async { Ok(None) }).await;
        let message = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("waiting for Godot"), "{message}");
    }

    #[tokio::test]
    async fn cancellation_stops_a_wait() {
        let cancel = Cancel::new();
        let waiter = Timing::default().waiter("nothing").cancelled_by(&cancel);
        let stopper = cancel.clone();
        let wait = waiter.until(|| {
            stopper.cancel();
            async { Ok::<Option<()>, _>(None) }
        });
        let message = wait.await.err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(message, "cancelled while waiting for nothing");
    }

    #[tokio::test]
    async fn retries_conflicts_only_and_deletes_of_gone_objects_succeed() {
        let calls = Cell::new(0);
        let waiter = Timing::fast().waiter("a delete");
        let result = waiter
            .while_conflict(|| {
                calls.set(calls.get() + 1);
                let n = calls.get();
                async move {
                    match n {
                        1 => Err(ProviderError::conflict("busy")),
                        2 => Err(ProviderError::invalid_config("bad")),
                        _ => Ok(()),
                    }
                }
            })
            .await;
        assert_eq!(
            result.err().map(|e| e.kind()),
            Some(ErrorKind::InvalidConfig)
        );
        assert_eq!(calls.get(), 2);
        let gone = waiter
            .delete(|| async { Err::<(), _>(ProviderError::not_found("gone")) })
            .await;
        assert!(gone.is_ok());
    }
}
