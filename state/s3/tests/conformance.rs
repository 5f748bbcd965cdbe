//! The backend test suite (`aic_state::conformance`) against S3 (moto).

mod common;

use std::sync::atomic::{AtomicU64, Ordering};

use aic_state::conformance::Harness;
use aic_state::Backend;
use aic_state_s3::{Settings, S3};
use common::Moto;

/// Environments in a bucket of this test's own.
struct Bucket {
    moto: Moto,
    settings: Settings,
    next: AtomicU64,
}

impl Bucket {
    fn new() -> Bucket {
        let moto = Moto::shared_or_own();
        let settings = moto.bucket();
        Bucket {
            moto,
            settings,
            next: AtomicU64::new(0),
        }
    }
}

impl Harness for Bucket {
    type Backend = S3;

    fn fresh(&self) -> S3 {
        let env = format!("e{}", self.next.fetch_add(1, Ordering::Relaxed));
        S3::new(self.settings.clone(), &env).expect("backend")
    }

    fn reopen(&self, backend: &S3) -> S3 {
        S3::new(
            Settings {
                key: Some(backend.key().to_owned()),
                ..self.settings.clone()
            },
            backend.environment(),
        )
        .expect("backend")
    }

    fn overwrite_current(&self, backend: &S3, bytes: &[u8]) {
        self.moto.put(&self.settings.bucket, backend.key(), bytes);
    }

    fn overwrite_journal(&self, backend: &S3, bytes: &[u8]) {
        let prefix = format!("{}.journal/", backend.key());
        self.moto.delete_prefix(&self.settings.bucket, &prefix);
        self.moto
            .put(&self.settings.bucket, &format!("{prefix}{:020}", 0), bytes);
    }

    fn property_cases(&self) -> u32 {
        16
    }
}

aic_state::conformance_tests!(Bucket::new());
