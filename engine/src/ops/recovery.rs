//! Reading a state for an operation: the current version with the journal of an
//! interrupted apply replayed onto it (see docs/state.md, *Interrupted applies*), and
//! what that recovery found reported as events.

use std::time::Duration;

use crate::backend::EnvStore;
use crate::state::{State, StateError, StateLock, StateStore};

use super::events::{Event, Observer};
use super::OpError;

/// Takes the environment's lock for `operation`, waiting up to `timeout` for another
/// holder to let go. When the lock is held and there is time to wait, the wait is
/// reported first ([`Event::WaitingForLock`]), as Terraform's "Acquiring state lock"
/// is, so that a run that seems to hang says why.
pub fn take_lock(
    store: &EnvStore,
    operation: &str,
    timeout: Duration,
    observer: &dyn Observer,
) -> Result<StateLock, OpError> {
    if timeout.is_zero() {
        return Ok(store.lock(operation, timeout)?);
    }
    match store.lock(operation, Duration::ZERO) {
        Err(StateError::Locked {
            env,
            holder,
            stale: false,
        }) => {
            observer.event(&Event::WaitingForLock {
                environment: &env,
                holder: &holder,
                timeout,
            });
            Ok(store.lock(operation, timeout)?)
        }
        taken => Ok(taken?),
    }
}

/// The state of `store` (an empty one when there is none), with a leftover journal
/// replayed. A journal beside a lock that a live process (not this one) holds belongs
/// to an apply still running: its operations are in flight, not interrupted, so its
/// create intents are not marked as possibly created.
pub fn read_state(store: &EnvStore, observer: &dyn Observer) -> Result<State, OpError> {
    let Some(mut loaded) = store.load()? else {
        return Ok(State::new());
    };
    let running = store
        .holder()
        .ok()
        .flatten()
        .filter(|h| h.pid != std::process::id() && !h.is_stale());
    if let Some(r) = &loaded.replay {
        if r.operations > 0 {
            match &running {
                Some(holder) => observer.event(&Event::RunningElsewhere {
                    holder,
                    operations: r.operations,
                }),
                None => observer.event(&Event::Recovered {
                    operations: r.operations,
                }),
            }
        }
    }
    if running.is_some() {
        for r in &mut loaded.state.resources {
            r.create_pending = false;
        }
    }
    let pending = loaded.state.unrecorded_creates();
    if !pending.is_empty() {
        observer.event(&Event::UnrecordedCreates {
            addresses: &pending,
        });
    }
    Ok(loaded.state)
}
