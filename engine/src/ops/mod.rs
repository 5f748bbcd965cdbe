//! Operations: what a command does from start to end — load, lock, read the state
//! (recovering an interrupted apply), plan, apply, write the state, append to the audit
//! log — for `plan`, `apply` (of a new or a saved plan), `destroy`, `rollback`,
//! `rollout`, `import` and the state commands.
//!
//! An operation returns a typed outcome, or an [`OpError`] (diagnostics with their
//! sources, or a state error). While it runs it reports what happens as [`Event`]s to an
//! [`Observer`]: a front end (the CLI, a language server, an API) renders them; nothing
//! here prints. Operations that change objects are split in two — `prepare` (load,
//! lock, plan) and `apply` — so that the front end can show the plan and ask before
//! anything changes.
//!
//! Architecture invariant: this is the top layer of the engine; nothing imports it. It
//! decides what happens in which order; the decisions about single objects are the
//! planner's and apply's.

mod apply;
mod audit;
pub mod console;
mod events;
mod format;
mod graph;
mod import;
mod migrate;
mod plan;
mod project;
mod recovery;
mod rollback;
pub mod rollout;
mod saved_plan;
mod state;

use aic_lang::diag::Diagnostic;
use aic_lang::source::SourceMap;

use crate::load::LoadFailure;
use crate::state::StateError;

pub use apply::{ApplyOutcome, ApplyRequest, PreparedApply};
pub use events::{Event, Observer, Quiet};
pub use format::{format_files, FileFormat, FormatMode, FormatOutcome};
pub use graph::{graph, GraphFormat, GraphRequest};
pub use import::{import, ImportRequest};
pub use migrate::Migrated;
pub use plan::{plan, PlanOutcome, PlanRequest};
pub use project::Project;
pub use rollback::{PreparedRollback, RollbackOutcome, RollbackRequest};
pub use saved_plan::SavedPlan;
pub use state::{InitOutcome, Reseal, ResealOutcome, StateSelector};

/// Why an operation did not happen (or stopped).
#[derive(Debug)]
pub enum OpError {
    /// Something is wrong with the configuration, the request or what it finds (a stale
    /// saved plan, an address not in the state, …): diagnostics, with the sources their
    /// spans point into.
    Diagnostics {
        sources: SourceMap,
        diagnostics: Vec<Diagnostic>,
    },
    /// Reading, writing or locking the state failed.
    State(StateError),
}

impl OpError {
    /// One diagnostic without a source location.
    pub fn diagnostic(d: Diagnostic) -> OpError {
        OpError::Diagnostics {
            sources: SourceMap::new(),
            diagnostics: vec![d],
        }
    }

    /// The diagnostics of this error, if it is made of diagnostics.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            OpError::Diagnostics { diagnostics, .. } => diagnostics,
            OpError::State(_) => &[],
        }
    }
}

impl From<StateError> for OpError {
    fn from(e: StateError) -> OpError {
        OpError::State(e)
    }
}

impl From<LoadFailure> for OpError {
    fn from(f: LoadFailure) -> OpError {
        OpError::Diagnostics {
            sources: f.sources,
            diagnostics: f.diagnostics,
        }
    }
}

impl std::fmt::Display for OpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpError::Diagnostics { diagnostics, .. } => {
                let words: Vec<String> = diagnostics
                    .iter()
                    .map(|d| match &d.help {
                        Some(h) => format!("{}: {} ({h})", d.code, d.summary),
                        None => format!("{}: {}", d.code, d.summary),
                    })
                    .collect();
                f.write_str(&words.join("; "))
            }
            OpError::State(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for OpError {}
