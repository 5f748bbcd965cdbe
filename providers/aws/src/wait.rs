//! Waiting for EC2 to get somewhere: polling with a bounded exponential backoff, and
//! retrying deletions that AWS refuses while dependent objects are still going away
//! (`DependencyViolation`), as the Terraform AWS provider does.

use std::future::Future;
use std::time::{Duration, Instant};

use aic_provider::{ErrorKind, ProviderError};

/// How often and how long the provider polls. The first poll is immediate; the delay then
/// doubles from `poll_interval` up to `max_poll_interval` until `timeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub poll_interval: Duration,
    pub max_poll_interval: Duration,
    pub timeout: Duration,
}

impl Default for Timing {
    /// Intervals for the real cloud: from 2 s to 15 s, giving up after 15 minutes.
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
}

impl Timing {
    /// The default timing, or, when `AIC_AWS_POLL_MS` is set to a number of milliseconds,
    /// polls starting at that interval and backing off to ten times it (emulators such as
    /// moto answer at once, so tests of the `aic` binary set it low).
    pub fn from_env() -> Timing {
        let millis = std::env::var("AIC_AWS_POLL_MS")
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
}

/// Calls `check` until it returns `Some`, sleeping between calls as `timing` says. Errors
/// from `check` end the wait; so does the timeout, with an error naming `what`.
pub async fn until<T, F, Fut>(timing: Timing, what: &str, mut check: F) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, ProviderError>>,
{
    let start = Instant::now();
    let mut delay = timing.poll_interval;
    loop {
        if let Some(done) = check().await? {
            return Ok(done);
        }
        if start.elapsed() + delay > timing.timeout {
            return Err(ProviderError::other(format!(
                "gave up after {}s waiting for {what}",
                timing.timeout.as_secs()
            ))
            .with_help(
                "AWS did not finish in time. Look at the object in the console or with the \
                 AWS CLI; run the command again to continue.",
            ));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(timing.max_poll_interval);
    }
}

/// Runs `op` again while it fails with a `Conflict` (a dependency still being deleted,
/// an instance still shutting down), until `timing.timeout`.
pub async fn while_conflict<T, F, Fut>(timing: Timing, mut op: F) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let start = Instant::now();
    let mut delay = timing.poll_interval;
    loop {
        match op().await {
            Err(e)
                if e.kind() == ErrorKind::Conflict && start.elapsed() + delay <= timing.timeout =>
            {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(timing.max_poll_interval);
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    #[tokio::test]
    async fn polls_until_done() {
        let calls = Cell::new(0);
        let result = until(Timing::fast(), "three calls", || {
            calls.set(calls.get() + 1);
            let n = calls.get();
            async move { Ok((n == 3).then_some(n)) }
        })
        .await;
        assert_eq!(result.ok(), Some(3));
    }

    #[tokio::test]
    async fn times_out_with_what_it_waited_for() {
        let timing = Timing {
            timeout: Duration::from_millis(30),
            ..Timing::fast()
        };
        let result: Result<(), _> = until(timing, "Godot", || async { Ok(None) }).await;
        let message = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("waiting for Godot"), "{message}");
    }

    #[tokio::test]
    async fn retries_conflicts_only() {
        let calls = Cell::new(0);
        let result = while_conflict(Timing::fast(), || {
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
    }
}
