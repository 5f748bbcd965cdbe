//! A loopback HTTP health endpoint for rollout tests: answers every GET with the status
//! a rule picks from the request target (path and query), and records the targets.
//! Binds 127.0.0.1 on an ephemeral port; stopped when dropped.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

type Rule = Box<dyn Fn(&str) -> u16 + Send>;

pub struct Health {
    port: u16,
    rule: Arc<Mutex<Rule>>,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Health {
    /// A server answering every request with `rule(target)`.
    pub fn start(rule: impl Fn(&str) -> u16 + Send + 'static) -> Health {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the health server");
        let port = listener.local_addr().expect("local address").port();
        let rule: Arc<Mutex<Rule>> = Arc::new(Mutex::new(Box::new(rule)));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, s, st) = (rule.clone(), seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(c) = conn {
                    answer(c, &r, &s);
                }
            }
        });
        Health {
            port,
            rule,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT/healthz`
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/healthz", self.port)
    }

    /// Replaces the rule.
    pub fn set(&self, rule: impl Fn(&str) -> u16 + Send + 'static) {
        *self.rule.lock().expect("rule lock") = Box::new(rule);
    }

    /// The request targets answered so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.seen.lock().expect("seen lock").clone()
    }
}

fn answer(mut c: TcpStream, rule: &Mutex<Rule>, seen: &Mutex<Vec<String>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match c.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let text = String::from_utf8_lossy(&buf);
    let target = text
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("")
        .to_string();
    let status = (rule.lock().expect("rule lock"))(&target);
    seen.lock().expect("seen lock").push(target);
    let _ = write!(
        c,
        "HTTP/1.1 {status} Status\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    );
}

impl Drop for Health {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
