//! The backend test suite (`aic_state::conformance`) against PostgreSQL.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};

use aic_state::conformance::Harness;
use aic_state::Backend;
use aic_state_postgres::Postgres;
use common::{unique_schema, Server};

/// Environments in a schema of this test's own.
struct Pg {
    server: Server,
    schema: String,
    next: AtomicU64,
}

impl Pg {
    fn new() -> Pg {
        Pg {
            server: Server::shared_or_own(),
            schema: unique_schema(),
            next: AtomicU64::new(0),
        }
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        if std::env::var_os("AIC_TEST_POSTGRES_URL").is_some() {
            self.server.sql(&format!(
                "DROP SCHEMA IF EXISTS \"{}\" CASCADE",
                self.schema
            ));
        }
    }
}

impl Harness for Pg {
    type Backend = Postgres;

    fn fresh(&self) -> Postgres {
        let env = format!("e{}", self.next.fetch_add(1, Ordering::Relaxed));
        Postgres::new(&self.server.url, Some(&self.schema), &env).expect("backend")
    }

    fn reopen(&self, backend: &Postgres) -> Postgres {
        Postgres::new(&self.server.url, Some(&self.schema), backend.environment()).expect("backend")
    }

    fn overwrite_current(&self, backend: &Postgres, bytes: &[u8]) {
        let n = self.server.execute(
            &format!(
                "UPDATE \"{}\".states SET body = $2 WHERE environment = $1 AND serial = \
                 (SELECT max(serial) FROM \"{}\".states WHERE environment = $1)",
                self.schema, self.schema
            ),
            &[&backend.environment(), &bytes],
        );
        assert_eq!(n, 1, "one current version");
    }

    fn overwrite_journal(&self, backend: &Postgres, bytes: &[u8]) {
        let env = backend.environment();
        self.server.execute(
            &format!(
                "DELETE FROM \"{}\".journal WHERE environment = $1",
                self.schema
            ),
            &[&env],
        );
        for (seq, line) in bytes
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .enumerate()
        {
            self.server.execute(
                &format!(
                    "INSERT INTO \"{}\".journal (environment, seq, line) VALUES ($1, $2, $3)",
                    self.schema
                ),
                &[&env, &(seq as i64), &line],
            );
        }
    }

    fn property_cases(&self) -> u32 {
        16
    }
}

aic_state::conformance_tests!(Pg::new());
