//! Shared by the PostgreSQL backend's tests: a throw-away server and raw SQL access.
//!
//! A test uses the server named by `AIC_TEST_POSTGRES_URL` (the test script starts one
//! for the whole run) or starts its own with `scripts/postgres.sh start`, stopped when
//! the [`Server`] is dropped. Tests that kill server processes always start their own.
//! Without PostgreSQL installed a test **fails**, naming `scripts/postgres.sh install`.

#![allow(dead_code)] // each test binary uses part of this module

use std::path::PathBuf;
use std::process::Command;

/// A PostgreSQL server for one test (stopped on drop) or the shared one.
pub struct Server {
    pub url: String,
    /// The data directory of a server this test started.
    dir: Option<String>,
}

fn script() -> PathBuf {
    PathBuf::from(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("../../scripts/postgres.sh")
}

impl Server {
    /// The shared server if the test script started one, else one of this test's own.
    pub fn shared_or_own() -> Server {
        match std::env::var("AIC_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => Server { url, dir: None },
            _ => Server::own(),
        }
    }

    /// A server of this test's own.
    pub fn own() -> Server {
        let out = Command::new(script())
            .arg("start")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script().display()));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "could not start PostgreSQL ({}); run `scripts/postgres.sh install` first.\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let field = |name: &str| {
            stdout
                .split_whitespace()
                .find_map(|w| w.strip_prefix(&format!("{name}=")))
                .map(str::to_owned)
                .unwrap_or_else(|| {
                    panic!("`scripts/postgres.sh start` printed no {name}: {stdout}")
                })
        };
        Server {
            url: field("url"),
            dir: Some(field("dir")),
        }
    }

    /// The URL with an application name, so that a test can find its own connections.
    pub fn url_named(&self, application: &str) -> String {
        let sep = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{sep}application_name={application}", self.url)
    }

    /// Runs SQL statements on a connection of their own.
    pub fn sql(&self, statements: &str) {
        let url = self.url.clone();
        let statements = statements.to_owned();
        runtime().block_on(async move {
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .expect("connect");
            let task = tokio::spawn(connection);
            client.batch_execute(&statements).await.expect("run SQL");
            drop(client);
            let _ = task.await;
        });
    }

    /// Runs one statement with parameters.
    pub fn execute(
        &self,
        statement: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> u64 {
        let url = self.url.clone();
        runtime().block_on(async move {
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .expect("connect");
            let task = tokio::spawn(connection);
            let n = client.execute(statement, params).await.expect("run SQL");
            drop(client);
            let _ = task.await;
            n
        })
    }

    /// Terminates every connection whose application name is `application` (what a
    /// dropped connection looks like to its client).
    pub fn kill_connections(&self, application: &str) -> u64 {
        let url = self.url.clone();
        let application = application.to_owned();
        runtime().block_on(async move {
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .expect("connect");
            let task = tokio::spawn(connection);
            let rows = client
                .query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE application_name = $1 AND pid <> pg_backend_pid()",
                    &[&application],
                )
                .await
                .expect("terminate");
            drop(client);
            let _ = task.await;
            rows.len() as u64
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = Command::new(script()).args(["stop", dir]).status();
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// A schema name no other test uses.
pub fn unique_schema() -> String {
    format!("t_{}", uuid::Uuid::new_v4().simple())
}
