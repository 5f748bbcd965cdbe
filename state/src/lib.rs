//! Durable state: the data model ([`State`]), the contract commands and the engine use
//! ([`StateStore`]), the rules every backend shares ([`Store`]: serials, lineages,
//! decoding, journal replay, history, encryption), the apply journal, locks, and the
//! local backend.
//!
//! The split follows OpenTofu's `statemgr`/`backend`: a storage system implements the
//! small [`Backend`] trait (bytes of state versions, journal entries, a lock, each with
//! that system's own guarantees), and [`Store`] turns any backend into a [`StateStore`].
//! The PostgreSQL and S3 backends live in their own crates (`aic-state-postgres`,
//! `aic-state-s3`) so that their client libraries stay out of this one.
//!
//! Architecture invariant: this crate knows nothing of the language, providers or the
//! plan. Attributes are plain JSON values; the engine gives them meaning. Backends own
//! the bytes; everything above [`Store`] sees [`State`] values, never ciphertext.

mod backend;
mod blocking;
#[cfg(feature = "conformance")]
pub mod conformance;
mod encryption;
mod error;
mod fsio;
mod journal;
mod local;
mod lock;
pub mod model;
mod store;

pub use backend::{
    AppendError, Backend, JournalLog, JournalStart, KeptVersion, Previous, Replace, Replaced,
    Revision, Stored,
};
pub use blocking::Driver;
pub use encryption::{Encryption, EncryptionError, Kind, Secret};
pub use error::{DamagedState, StateError};
pub use journal::{JournalOp, JournalReplay, StateJournal};
pub use local::{check_environment_name, LocalBackend, LocalFiles};
pub use lock::{current_host, current_user, LockInfo, StateLock};
pub use model::{OutputState, PathStep, ResourceState, Resources, State, FORMAT_VERSION};
pub use store::{HistoryEntry, LoadedState, StateStore, Store};
