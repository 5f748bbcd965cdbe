//! `aic lsp`: the language server.
//!
//! The server keeps every open buffer in memory and analyses a configuration directory
//! (the directory of an opened file, or the root module whose tree holds it) with the
//! same loader `aic validate` runs, the buffers standing in for their files. Analysis is
//! debounced: edits mark the directory dirty and the analysis runs when the edits pause
//! (or at once when a request needs it). While a file does not parse, navigation uses the
//! last analysis that parsed, and the diagnostics of the other files come from it too.
//!
//! It runs on one thread over `lsp-server` (decision 0004): every request is answered
//! from an immutable [`analysis::Analysis`] built by the loader, which is fast enough to
//! run synchronously (docs/performance.md).
//!
//! Architecture invariant: no cloud SDK. Providers (for schemas in hover and completion)
//! come in through the [`aic_provider::Registry`] the caller passes.

mod analysis;
mod completion;
mod features;
mod server;
mod text;

pub use server::run;
