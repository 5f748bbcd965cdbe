//! The backend test suite (`aic_state::conformance`) against the local backend.

use std::fs;

use aic_state::conformance::Harness;
use aic_state::{Backend, LocalFiles};

/// Fresh environments in directories of one temp dir.
struct Local {
    root: tempfile::TempDir,
}

impl Local {
    fn new() -> Self {
        Local {
            root: tempfile::tempdir().expect("temp dir"),
        }
    }
}

impl Harness for Local {
    type Backend = LocalFiles;

    fn fresh(&self) -> LocalFiles {
        let dir = self.root.path().join(uuid_like());
        LocalFiles::in_dir(dir, "dev").expect("backend")
    }

    fn reopen(&self, backend: &LocalFiles) -> LocalFiles {
        backend.clone()
    }

    fn overwrite_current(&self, backend: &LocalFiles, bytes: &[u8]) {
        fs::write(backend.state_path(), bytes).expect("write the state file");
    }

    fn overwrite_journal(&self, backend: &LocalFiles, bytes: &[u8]) {
        assert_eq!(backend.environment(), "dev");
        fs::write(backend.journal_path(), bytes).expect("write the journal");
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("env{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

aic_state::conformance_tests!(Local::new());
