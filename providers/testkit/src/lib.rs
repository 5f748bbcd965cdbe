//! The provider test kit: what every provider's tests share.
//!
//! - [`conformance`]: the run every resource type of every provider passes — create, read,
//!   a second empty plan, update, replacement, drift, import, delete, faults in the middle
//!   of a create, and crash recovery through the `aic` binary;
//! - [`faults`]: fault injection through one interface, over an HTTP proxy (moto), the
//!   project emulators' control API, or a wrapper around a provider's calls;
//! - [`backend`]: moto and the project emulators as processes of a test;
//! - [`runner`]: the one helper that runs the `aic` binary in a temporary project
//!   ([`aic!`] names the binary cargo built);
//! - [`steps`]: the engine's steps for providers' own tests (plan, create, the action a
//!   plan means, no drift after apply);
//! - [`http`]: a minimal loopback HTTP client;
//! - [`docs`]: the checks of a provider's generated reference.
//!
//! **Architecture invariant**: a test crate only; it talks to providers through the
//! `aic-provider` traits and to the engine only through the `aic` binary, and names no
//! provider.

pub mod backend;
pub mod conformance;
pub mod docs;
pub mod faults;
pub mod http;
pub mod runner;
pub mod steps;

pub use conformance::{Case, Drift, Import, Outcome, Report, Scenario, Step, Suite, Variant};
pub use faults::{CallFaults, EmulatorFaults, Fault, FaultKind, FaultProxy, Faults, Target};
pub use runner::{Aic, Project, Run};
