//! End to end through the `aic` binary: state kept by `backend postgres` (a throw-away
//! PostgreSQL from `scripts/postgres.sh`) and `backend s3` (moto from `scripts/moto.sh`).
//! Every state command works as with local files; a colleague's checkout of the same
//! configuration sees the same state; nothing is written under `.aic/state`; a second
//! writer is refused naming the holder.
//!
//! A test uses the server the test script started (`AIC_TEST_POSTGRES_URL`,
//! `AIC_TEST_S3_ENDPOINT`) or starts its own, stopped when the test ends. Without
//! PostgreSQL or moto installed a test **fails**, naming the setup command.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;

use aic_provider_testkit::aic;
use aic_provider_testkit::runner::{unlock_id, Aic, Project};

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scripts")
        .join(name)
}

/// Runs `scripts/NAME start`, failing with the setup command when it cannot.
fn start(name: &str) -> String {
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
struct Postgres {
    url: String,
    dir: Option<String>,
}

impl Postgres {
    fn shared_or_own() -> Postgres {
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
struct Moto {
    endpoint: String,
    pid: Option<String>,
}

impl Moto {
    fn shared_or_own() -> Moto {
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
    fn create_bucket(&self, name: &str) {
        let host = self.endpoint.trim_start_matches("http://");
        let mut stream = TcpStream::connect(host).expect("connect to moto");
        write!(
            stream,
            "PUT /{name} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read");
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "moto did not create bucket {name}:\n{answer}"
        );
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        if let Some(pid) = &self.pid {
            let _ = Command::new(script("moto.sh")).args(["stop", pid]).output();
        }
    }
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    format!("{prefix}{}x{nanos}", std::process::id())
}

/// The configuration of these tests with `backend` as its top-level backend block.
fn config(backend: &str) -> String {
    format!(
        r#"
{backend}

environment staging {{}}
environment production {{}}

variable v: string = "one"

resource local_file f {{
  filename = "out/${{env.name}}.txt"
  content  = "version ${{var.v}}\n"
}}
"#
    )
}

/// Every state command on a remote backend, from two checkouts of `text`.
fn state_commands_work_on(aic: &Aic, text: &str) {
    let p = Project::with_main(aic, text);
    p.aic(&["validate", "--env", "staging"]).success();
    p.aic(&["plan", "--env", "staging"])
        .success()
        .stdout_has("Plan: 1 to add, 0 to change, 0 to destroy.");
    p.aic(&["apply", "--env", "staging", "--auto-approve"])
        .success()
        .stdout_has("Apply complete! Resources: 1 added");
    assert_eq!(p.read("out/staging.txt"), "version one\n");
    p.aic(&[
        "apply",
        "--env",
        "staging",
        "--auto-approve",
        "--var",
        "v=two",
    ])
    .success()
    .stdout_has("Apply complete!");
    assert_eq!(p.read("out/staging.txt"), "version two\n");
    assert!(
        !p.exists(".aic/state"),
        "no state file is written locally: {:?}",
        p.files_in(".aic")
    );

    // Another checkout of the same configuration sees the same state.
    let colleague = Project::with_main(aic, text);
    assert_eq!(colleague.state_list(Some("staging")), ["local_file.f"]);
    let shown = colleague.state_attributes("local_file.f", Some("staging"));
    assert_eq!(shown["content"], "version two\n", "{shown}");
    colleague.aic(&["output", "--env", "staging"]).success();
    // Each environment has its own.
    assert!(colleague.state_list(Some("production")).is_empty());

    // History keeps the versions; rollback returns to the first.
    let history = p.aic(&["state", "history", "--env", "staging"]).success();
    for serial in ["1", "2"] {
        assert!(
            history
                .stdout
                .lines()
                .any(|l| l.split_whitespace().next() == Some(serial)),
            "serial {serial} is kept:\n{history}"
        );
    }
    p.aic(&[
        "rollback",
        "--env",
        "staging",
        "--auto-approve",
        "--var",
        "v=two",
    ])
    .success()
    .stdout_has("from serial 2 to serial 1")
    .stdout_has("is back at serial 1, written as serial 3");
    assert_eq!(p.read("out/staging.txt"), "version one\n");

    // Editing the state: mv and rm under the lock, seen by the colleague.
    p.aic(&[
        "state",
        "mv",
        "--env",
        "staging",
        "local_file.f",
        "local_file.g",
    ])
    .success();
    assert_eq!(colleague.state_list(Some("staging")), ["local_file.g"]);
    p.aic(&[
        "state",
        "mv",
        "--env",
        "staging",
        "local_file.g",
        "local_file.f",
    ])
    .success();

    // Pull prints the state; push writes one back, refusing an older one unless forced.
    let pulled = p.aic(&["state", "pull", "--env", "staging"]).success();
    let state: serde_json::Value = serde_json::from_str(&pulled.stdout).expect("pull prints JSON");
    assert_eq!(state["serial"], 5, "{state}");
    p.write("pulled.json", &pulled.stdout);
    p.aic(&["state", "push", "--env", "staging", "pulled.json"])
        .success()
        .stdout_has("as serial 6");
    p.aic(&["state", "push", "--env", "staging", "pulled.json"])
        .failure()
        .stderr_has("E0626");
    p.aic(&[
        "state",
        "push",
        "--env",
        "staging",
        "pulled.json",
        "--force",
    ])
    .success()
    .stdout_has("as serial 7");
    let seen: serde_json::Value = serde_json::from_str(
        &colleague
            .aic(&["state", "pull", "--env", "staging"])
            .success()
            .stdout,
    )
    .expect("JSON");
    assert_eq!(seen["serial"], 7);
    assert_eq!(seen["lineage"], state["lineage"]);

    p.aic(&["destroy", "--env", "staging", "--auto-approve"])
        .success()
        .stdout_has("1 destroyed");
    assert!(!p.exists("out/staging.txt"));
    assert!(colleague.state_list(Some("staging")).is_empty());
    assert!(!p.exists(".aic/state") && !colleague.exists(".aic/state"));
}

/// While one apply holds the lock, another is refused naming the holder; the lock is
/// released when the holder ends.
fn a_second_writer_is_refused_on(aic: &Aic, backend: &str) {
    let text =
        format!("{backend}\n\nresource time_sleep hold {{\n  create_duration = \"5s\"\n}}\n");
    let p = Project::with_main(aic, &text);
    let mut holder_cmd = p.command(&["apply", "--auto-approve"]);
    holder_cmd.env("USER", "lock-holder");
    let mut holder = p.spawn_cmd(holder_cmd, &["apply", "--auto-approve"]);
    holder.wait_for_stderr("time_sleep.hold: Creating...");
    let refused = p
        .aic(&["apply", "--auto-approve", "--lock-timeout", "1s"])
        .failure()
        .stderr_has("E0604")
        .stderr_has("the state of environment `default` is locked by lock-holder@")
        .stderr_has(&format!("(pid {})", holder.pid()));
    assert!(!unlock_id(&refused).is_empty());
    holder.wait().success().stdout_has("Apply complete!");
    // Released: the next writer goes ahead.
    p.aic(&["apply", "--auto-approve", "--lock-timeout", "1s"])
        .success()
        .stdout_has("No changes.");
}

fn postgres_backend(pg: &Postgres) -> (Aic, String) {
    let schema = unique("e2e_");
    (
        aic!().env("AIC_PG_URL", &pg.url),
        format!(
            "backend postgres {{\n  url    = env_var(\"AIC_PG_URL\")\n  schema = \"{schema}\"\n}}"
        ),
    )
}

fn s3_backend(moto: &Moto) -> (Aic, String) {
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

#[test]
fn every_state_command_works_on_postgres() {
    let pg = Postgres::shared_or_own();
    let (aic, backend) = postgres_backend(&pg);
    state_commands_work_on(&aic, &config(&backend));
}

#[test]
fn every_state_command_works_on_s3() {
    let moto = Moto::shared_or_own();
    let (aic, backend) = s3_backend(&moto);
    state_commands_work_on(&aic, &config(&backend));
}

#[test]
fn a_second_writer_is_refused_on_postgres() {
    let pg = Postgres::shared_or_own();
    let (aic, backend) = postgres_backend(&pg);
    a_second_writer_is_refused_on(&aic, &backend);
}

#[test]
fn a_second_writer_is_refused_on_s3() {
    let moto = Moto::shared_or_own();
    let (aic, backend) = s3_backend(&moto);
    a_second_writer_is_refused_on(&aic, &backend);
}

#[test]
fn an_unreachable_database_is_a_clear_error_and_changes_nothing() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let url = format!("postgres://aic@127.0.0.1:{port}/postgres?connect_timeout=2");
    let p = Project::with_main(
        &aic!().env("AIC_PG_URL", &url),
        &config("backend postgres {\n  url = env_var(\"AIC_PG_URL\")\n}"),
    );
    let run = p
        .aic(&["apply", "--env", "staging", "--auto-approve"])
        .failure();
    assert!(run.stderr.contains(&format!("127.0.0.1:{port}")), "{run}");
    assert!(!p.exists("out/staging.txt"), "nothing may be created");
    assert!(!p.exists(".aic/state"));
}

#[test]
fn remote_backend_settings_are_checked() {
    let p = Project::with_main(
        &aic!(),
        &config("backend s3 {\n  bucket = \"b\"\n  regoin = \"x\"\n}"),
    );
    p.aic(&["validate", "--env", "staging"])
        .failure()
        .stderr_has("E0652")
        .stderr_has("the `s3` backend has no setting `regoin`")
        .stderr_has("Did you mean `region`?")
        .stderr_has("the `s3` backend needs `region`");
    let p = Project::with_main(
        &aic!(),
        &config("backend postgres {\n  url = env.protected\n}"),
    );
    p.aic(&["validate", "--env", "staging"])
        .failure()
        .stderr_has("`env.protected` cannot be used in a backend setting");
}
