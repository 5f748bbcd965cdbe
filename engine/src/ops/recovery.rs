//! Reading a state for an operation: the current version with the journal of an
//! interrupted apply replayed onto it (see docs/state.md, *Interrupted applies*), and
//! what that recovery found reported as events.

use crate::backend::EnvStore;
use crate::state::{State, StateStore};

use super::events::{Event, Observer};
use super::OpError;

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
