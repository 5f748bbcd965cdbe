//! A real Prometheus server for the analysis tests, started by `scripts/prometheus.sh`
//! (a free 127.0.0.1 port, 1 s scrapes of the given targets, data in a temp dir) and
//! stopped when dropped. A missing `prometheus` binary fails the test: install it with
//! `scripts/prometheus.sh install` (`scripts/test.sh` does).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Prometheus {
    pub url: String,
    port: u16,
    pid: String,
    dir: String,
}

fn script() -> PathBuf {
    std::path::Path::new(
        &*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("../scripts/prometheus.sh")
}

impl Prometheus {
    /// A server scraping `targets` (`127.0.0.1:PORT`) every second.
    pub fn start(targets: &[&str]) -> Prometheus {
        let out = Command::new("bash")
            .arg(script())
            .arg("start")
            .args(targets)
            .output()
            .expect("run scripts/prometheus.sh");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "cannot start a Prometheus server: {stderr}\nThese tests need Debian's prometheus package: run `scripts/prometheus.sh install` (as root; scripts/test.sh does it)."
        );
        let line = String::from_utf8_lossy(&out.stdout).into_owned();
        let field = |k: &str| {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(&format!("{k}=")))
                .unwrap_or_else(|| panic!("no {k}= in `{line}`"))
                .to_string()
        };
        let url = field("url");
        let port = url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port");
        Prometheus {
            url,
            port,
            pid: field("pid"),
            dir: field("dir"),
        }
    }

    /// The body of an instant query's answer.
    pub fn query(&self, promql: &str) -> String {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        write!(
            s,
            "GET /api/v1/query?query={} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n",
            encode(promql)
        )
        .expect("send");
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out.split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or(out)
    }

    /// Waits until `promql` has a sample (the target was scraped).
    pub fn wait_for(&self, promql: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let body = self.query(promql);
            if body.contains("\"value\"") {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "Prometheus has no `{promql}` after 60 s: {body}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .args(["stop", &self.pid, &self.dir])
            .status();
    }
}
