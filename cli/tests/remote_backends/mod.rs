//! Throw-away PostgreSQL and S3 (moto) servers for the end-to-end tests of remote state
//! backends, and what lets a test look at what they store.
//!
//! A test uses the server the test script started (`AIC_TEST_POSTGRES_URL`,
//! `AIC_TEST_S3_ENDPOINT`) or starts its own, stopped when the test ends. Without
//! PostgreSQL or moto installed a test **fails**, naming the setup command.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;

use aic_provider_testkit::aic;
use aic_provider_testkit::runner::Aic;

fn script(name: &str) -> PathBuf {
    PathBuf::from(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("../scripts")
        .join(name)
}

/// Runs `scripts/NAME start`, failing with the setup command when it cannot.
pub fn start(name: &str) -> String {
    let out = Command::new(script(name))
        .arg("start")
        .output()
        .unwrap_or_else(|e| panic!("cannot run scripts/{name}: {e}"));
    assert!(
        out.status.success(),
        "could not start a test back end ({}); run `scripts/{name} install` first.\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A PostgreSQL server: the shared one, or one of this test's own (stopped on drop).
pub struct Postgres {
    pub url: String,
    dir: Option<String>,
}

impl Postgres {
    pub fn shared_or_own() -> Postgres {
        if let Ok(url) = std::env::var("AIC_TEST_POSTGRES_URL") {
            if !url.is_empty() {
                return Postgres { url, dir: None };
            }
        }
        let out = start("postgres.sh");
        let field = |name: &str| {
            out.split_whitespace()
                .find_map(|w| w.strip_prefix(&format!("{name}=")))
                .map(str::to_owned)
                .unwrap_or_else(|| panic!("`scripts/postgres.sh start` printed no {name}: {out}"))
        };
        Postgres {
            url: field("url"),
            dir: Some(field("dir")),
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = Command::new(script("postgres.sh"))
                .args(["stop", dir])
                .output();
        }
    }
}

/// A moto server: the shared one, or one of this test's own (stopped on drop).
pub struct Moto {
    pub endpoint: String,
    pid: Option<String>,
}

impl Moto {
    pub fn shared_or_own() -> Moto {
        if let Ok(endpoint) = std::env::var("AIC_TEST_S3_ENDPOINT") {
            if !endpoint.is_empty() {
                return Moto {
                    endpoint,
                    pid: None,
                };
            }
        }
        let out = start("moto.sh");
        let mut words = out.split_whitespace();
        let (Some(port), Some(pid)) = (words.next(), words.next()) else {
            panic!("`scripts/moto.sh start` printed no `PORT PID`: {out}")
        };
        Moto {
            endpoint: format!("http://127.0.0.1:{port}"),
            pid: Some(pid.to_owned()),
        }
    }

    /// Creates bucket `name` (moto takes an unsigned path-style `PUT /NAME`).
    pub fn create_bucket(&self, name: &str) {
        self.request("PUT", &format!("/{name}"));
    }

    /// `METHOD PATH` without a body, as the `testing` user (moto checks no signature, but
    /// refuses anonymous reads of objects): the answer's body.
    /// Panics unless moto answers 200.
    fn request(&self, method: &str, path: &str) -> String {
        let host = self.endpoint.trim_start_matches("http://");
        let mut stream = TcpStream::connect(host).expect("connect to moto");
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n{AS_TESTING}\r\n"
        )
        .expect("send");
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).expect("read");
        let answer = String::from_utf8_lossy(&answer).into_owned();
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "moto refused {method} {path}:\n{answer}"
        );
        answer
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default()
    }
}

/// An `Authorization` header naming moto's `testing` credentials (its signature is not
/// checked).
const AS_TESTING: &str = "Authorization: AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0\r\n";

impl Drop for Moto {
    fn drop(&mut self) {
        if let Some(pid) = &self.pid {
            let _ = Command::new(script("moto.sh")).args(["stop", pid]).output();
        }
    }
}

pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    format!("{prefix}{}x{nanos}", std::process::id())
}

pub fn postgres_backend(pg: &Postgres) -> (Aic, String) {
    let schema = unique("e2e_");
    (
        aic!().env("AIC_PG_URL", &pg.url),
        format!(
            "backend postgres {{\n  url    = env_var(\"AIC_PG_URL\")\n  schema = \"{schema}\"\n}}"
        ),
    )
}

pub fn s3_backend(moto: &Moto) -> (Aic, String) {
    let bucket = unique("e2e-");
    moto.create_bucket(&bucket);
    (
        aic!()
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AIC_S3_ENDPOINT", &moto.endpoint),
        format!(
            "backend s3 {{\n  bucket   = \"{bucket}\"\n  key      = \"teams/${{env.name}}.json\"\n  region   = \"us-east-1\"\n  endpoint = env_var(\"AIC_S3_ENDPOINT\")\n}}"
        ),
    )
}

impl Postgres {
    /// Every row of every table of the database, as `pg_dump --data-only` prints them
    /// (`bytea` columns in hex: see [`holds`]).
    pub fn dump(&self) -> String {
        let pg_dump = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .map(|d| d.path().join("bin/pg_dump"))
            .find(|p| p.exists())
            .unwrap_or_else(|| PathBuf::from("pg_dump"));
        let out = Command::new(&pg_dump)
            .args(["--data-only", "--no-owner", &self.url])
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {}: {e}; run `scripts/postgres.sh install` first",
                    pg_dump.display()
                )
            });
        assert!(
            out.status.success(),
            "pg_dump failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Moto {
    /// Every object of bucket `bucket`: `(key, body)`.
    pub fn objects(&self, bucket: &str) -> Vec<(String, String)> {
        let listing = self.request("GET", &format!("/{bucket}?list-type=2"));
        listing
            .split("<Key>")
            .skip(1)
            .filter_map(|s| s.split_once("</Key>").map(|(k, _)| k.to_owned()))
            .map(|key| {
                let body = self.request("GET", &format!("/{bucket}/{key}"));
                (key, body)
            })
            .collect()
    }
}

/// Whether `text` holds `secret` in clear: as is, or hex-encoded as `pg_dump` prints a
/// `bytea` column.
pub fn holds(text: &str, secret: &str) -> bool {
    let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
    text.contains(secret) || text.contains(&hex)
}

/// `backend` (a block as [`postgres_backend`] and [`s3_backend`] write it) with
/// `inner` (e.g. an `encryption` block) added inside.
pub fn with_inner(backend: &str, inner: &str) -> String {
    let end = backend.rfind('}').expect("a backend block ends with `}`");
    format!("{}  {inner}\n}}", &backend[..end])
}

/// The bucket an [`s3_backend`] block names.
pub fn bucket_of(backend: &str) -> String {
    backend
        .split("bucket")
        .nth(1)
        .and_then(|s| s.split('"').nth(1))
        .expect("an s3 backend block names its bucket")
        .to_owned()
}
