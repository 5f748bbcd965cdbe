//! Test back ends as processes of the test: moto (the AWS emulator, from the venv
//! `scripts/moto.sh install` creates) and the project's emulators
//! (`scripts/emulator.sh start NAME`). Each listens on a free 127.0.0.1 port and is stopped
//! by its PID when dropped. A missing back end is a failure naming the command that
//! installs it, never a skip.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::http;

/// The workspace root: found at run time above the package whose tests run (cargo and
/// nextest set `CARGO_MANIFEST_DIR` for a test), as the directory holding
/// `scripts/emulator.sh`. Cargo reuses a compiled testkit across checkouts of the same
/// sources, so the directory it was compiled in is only the fallback.
pub fn workspace_root() -> PathBuf {
    let compiled = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let Some(package) = std::env::var_os("CARGO_MANIFEST_DIR") else {
        return compiled;
    };
    Path::new(&package)
        .ancestors()
        .find(|dir| dir.join("scripts/emulator.sh").is_file())
        .map_or(compiled, Path::to_path_buf)
}

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// The cache directory of the project's scripts: `$AIC_CACHE`, else `~/.cache/aic`.
fn cache_dir() -> PathBuf {
    std::env::var_os("AIC_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/aic")
        })
}

/// The moto server executable: `$AIC_MOTO_SERVER`, else the venv of `scripts/moto.sh`.
pub fn moto_server_path() -> PathBuf {
    if let Some(path) = std::env::var_os("AIC_MOTO_SERVER") {
        return PathBuf::from(path);
    }
    cache_dir().join("moto-venv/bin/moto_server")
}

/// A moto server of one test, stopped when dropped.
pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Moto {
    /// Starts moto on a free port and waits until it answers.
    pub fn start() -> Moto {
        let server = moto_server_path();
        assert!(
            server.exists(),
            "moto is not installed ({} is missing): run `scripts/moto.sh install` \
             (or set AIC_MOTO_SERVER to a moto_server executable)",
            server.display()
        );
        let port = free_port();
        let child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", server.display()));
        let mut moto = Moto { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        while http::request(port, "GET", "/moto-api/", "").is_err() {
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!("moto_server exited with {status}; run `scripts/moto.sh install` again");
            }
            assert!(Instant::now() < deadline, "moto did not answer within 60 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        moto
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Forgets everything moto holds (`POST /moto-api/reset`).
    pub fn reset(&self) {
        let answer = http::request(self.port, "POST", "/moto-api/reset", "");
        let status = answer.as_ref().map(http::Message::status).unwrap_or(0);
        assert_eq!(status, 200, "reset failed: {answer:?}");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A project emulator (`emulators/NAME`) of one test, started with
/// `scripts/emulator.sh start NAME` and stopped by its PID when dropped.
pub struct Emulator {
    pid: u32,
    endpoint: String,
}

impl Emulator {
    /// Starts emulator `name` with initial `settings` (`KEY=JSON`).
    pub fn start(name: &str, settings: &[&str]) -> Emulator {
        let script = workspace_root().join("scripts/emulator.sh");
        let output = Command::new(&script)
            .arg("start")
            .arg(name)
            .args(settings)
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        let line = String::from_utf8_lossy(&output.stdout).into_owned();
        let field = |key: &str| {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(key))
                .map(str::to_owned)
        };
        let (Some(endpoint), Some(pid)) = (
            field("endpoint="),
            field("pid=").and_then(|p| p.parse().ok()),
        ) else {
            panic!(
                "the {name} emulator did not start ({}): run `scripts/emulator.sh install {name}`",
                line.trim()
            );
        };
        Emulator { pid, endpoint }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Calls the emulator's control API: `POST /_emulator/ACTION` with `body`.
    pub fn control(
        &self,
        action: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        self.control_with("POST", action, body)
    }

    /// Calls the emulator's control API with another method: `METHOD /_emulator/ACTION`
    /// with `body` (`PATCH devices/gw-1`).
    pub fn control_with(
        &self,
        method: &str,
        action: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        let port = http::port_of(&self.endpoint).ok_or("no port")?;
        let answer = http::request(
            port,
            method,
            &format!("/_emulator/{action}"),
            &body.to_string(),
        )
        .map_err(|e| format!("/_emulator/{action}: {e}"))?;
        if answer.status() >= 300 {
            return Err(format!("/_emulator/{action}: {}", answer.text()));
        }
        Ok(serde_json::from_slice(&answer.body).unwrap_or(serde_json::Value::Null))
    }

    /// The requests the emulator logged (`GET /_emulator/requests`), oldest first: each
    /// an object with `method`, `path`, `query`, `status` and `time`.
    pub fn request_log(&self) -> Vec<serde_json::Value> {
        let port = http::port_of(&self.endpoint).unwrap_or(0);
        let answer = http::request(port, "GET", "/_emulator/requests", "")
            .unwrap_or_else(|e| panic!("/_emulator/requests: {e}"));
        let json: serde_json::Value = serde_json::from_slice(&answer.body).unwrap_or_default();
        json["requests"].as_array().cloned().unwrap_or_default()
    }

    /// The logged requests as `METHOD path`, oldest first.
    pub fn requests(&self) -> Vec<String> {
        self.request_log()
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r["method"].as_str().unwrap_or(""),
                    r["path"].as_str().unwrap_or("")
                )
            })
            .collect()
    }

    /// Empties the request log (`DELETE /_emulator/requests`).
    pub fn clear_requests(&self) {
        let port = http::port_of(&self.endpoint).unwrap_or(0);
        let _ = http::request(port, "DELETE", "/_emulator/requests", "");
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let script = workspace_root().join("scripts/emulator.sh");
        let stopped = Command::new(script)
            .args(["stop", &self.pid.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .and_then(|child| child.wait_with_output());
        if let Ok(out) = stopped {
            for line in BufReader::new(&out.stderr[..])
                .lines()
                .map_while(Result::ok)
            {
                eprintln!("emulator stop: {line}");
            }
        }
    }
}
