//! Shared by the end-to-end tests (`e2e_*.rs`): the test kit's one `aic` runner
//! (`aic_provider_testkit::runner`) with the `aic` binary of this package, and the
//! fixtures of `tests/fixtures/e2e`.
//!
//! Every test owns its directory, so tests are independent and may run in parallel.
//! Waits poll for something a user would see (a file, a line of progress) with a
//! generous deadline that only guards against hangs; no test asserts on durations.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code, unused_imports)]

use std::path::{Path, PathBuf};

use aic_provider_testkit::aic;
use aic_provider_testkit::runner;
pub use aic_provider_testkit::runner::{unlock_id, wait_until, words, Background, Run, HANG_GUARD};

/// The binary under test.
pub const AIC: &str = env!("CARGO_BIN_EXE_aic");

/// `tests/fixtures/e2e/NAME` of the workspace.
pub fn fixture_dir(name: &str) -> PathBuf {
    Path::new(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("..")
        .join("tests")
        .join("fixtures")
        .join("e2e")
        .join(name)
}

/// A configuration directory of one test, where this package's `aic` runs: the runner's
/// [`runner::Project`], made from a fixture or a text.
pub struct Project(runner::Project);

impl Project {
    /// An empty directory.
    pub fn empty() -> Self {
        Project(runner::Project::empty(&aic!()))
    }

    /// A copy of `tests/fixtures/e2e/NAME`.
    pub fn fixture(name: &str) -> Self {
        Project(runner::Project::copy_of(&aic!(), &fixture_dir(name)))
    }

    /// A directory holding `main.aic` with `text`.
    pub fn with_main(text: &str) -> Self {
        Project(runner::Project::with_main(&aic!(), text))
    }
}

impl std::ops::Deref for Project {
    type Target = runner::Project;

    fn deref(&self) -> &runner::Project {
        &self.0
    }
}
