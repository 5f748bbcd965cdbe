//! Durable state: the data model, its persistence behind [`StateStore`], the apply
//! journal, kept history and the environment lock.
//!
//! Architecture invariant: this module knows nothing of the language, providers or
//! the plan. Attributes are plain JSON values; the engine gives them meaning.
//! Backends own the bytes on disk; everything above them sees [`State`] values.

mod error;
mod fsio;
mod journal;
mod local;
mod lock;
pub mod model;
mod store;

pub use error::{DamagedState, StateError};
pub use journal::{JournalOp, JournalReplay, StateJournal};
pub use local::LocalBackend;
pub(crate) use lock::{current_host, current_user};
pub use lock::{LockInfo, StateLock};
pub use model::{OutputState, PathStep, ResourceState, State, FORMAT_VERSION};
pub use store::{HistoryEntry, LoadedState, StateStore};
