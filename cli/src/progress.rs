//! Apply progress on stderr: one line per started, finished, failed or retried
//! operation, as Terraform prints them, and — on a terminal — a live status line kept
//! at the bottom (done/total, what is running, elapsed time) redrawn as work moves and
//! every quarter second while operations run.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aic_engine::apply::Progress;
use aic_engine::plan::Action;

/// Counters behind the status line.
#[derive(Debug)]
struct Tally {
    total: usize,
    done: usize,
    failed: usize,
    /// Running operations in the order they started, with when.
    running: Vec<(String, Instant)>,
    started: Instant,
}

impl Tally {
    fn new(total: usize) -> Self {
        Tally {
            total,
            done: 0,
            failed: 0,
            running: Vec::new(),
            started: Instant::now(),
        }
    }

    /// Applies one event and returns the line to print for it.
    fn event(&mut self, p: &Progress) -> String {
        match p {
            Progress::Started { addr, action } => {
                self.running.push((addr.to_string(), Instant::now()));
                format!("{addr}: {}...", verb(*action, false))
            }
            Progress::Finished {
                addr,
                action,
                elapsed,
            } => {
                self.finish(&addr.to_string());
                self.done += 1;
                format!(
                    "{addr}: {} after {:.1}s",
                    verb(*action, true),
                    elapsed.as_secs_f64()
                )
            }
            Progress::Failed {
                addr,
                action,
                message,
            } => {
                self.finish(&addr.to_string());
                self.done += 1;
                self.failed += 1;
                format!("{addr}: {} failed: {message}", verb(*action, false))
            }
            Progress::Retrying {
                addr,
                attempt,
                message,
            } => format!("{addr}: retrying (attempt {attempt}) after: {message}"),
        }
    }

    fn finish(&mut self, addr: &str) {
        if let Some(i) = self.running.iter().position(|(a, _)| a == addr) {
            self.running.remove(i);
        }
    }

    /// The status line, at most `width` characters wide.
    fn status(&self, now: Instant, width: usize) -> String {
        const BAR: usize = 20;
        let filled = (self.done * BAR).checked_div(self.total).unwrap_or(BAR);
        let mut s = format!(
            "[{}{}] {}/{} done",
            "#".repeat(filled),
            "-".repeat(BAR - filled),
            self.done,
            self.total
        );
        if self.failed > 0 {
            s.push_str(&format!(", {} failed", self.failed));
        }
        s.push_str(&format!(
            ", {} running, {:.0}s",
            self.running.len(),
            now.duration_since(self.started).as_secs_f64()
        ));
        // The longest-running operation is the one a user waits for.
        if let Some((addr, since)) = self.running.first() {
            s.push_str(&format!(
                " · {addr} ({:.0}s)",
                now.duration_since(*since).as_secs_f64()
            ));
        }
        truncate(&s, width)
    }
}

fn truncate(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The verb Terraform uses for an action, running or done.
pub fn verb(action: Action, done: bool) -> &'static str {
    match (action, done) {
        (Action::Create, false) => "Creating",
        (Action::Create, true) => "Creation complete",
        (Action::Update, false) => "Modifying",
        (Action::Update, true) => "Modifications complete",
        (Action::Delete, false) => "Destroying",
        (Action::Delete, true) => "Destruction complete",
        (Action::DeleteThenCreate | Action::CreateThenDelete, false) => "Replacing",
        (Action::DeleteThenCreate | Action::CreateThenDelete, true) => "Replacement complete",
        (_, false) => "Reading",
        (_, true) => "Read complete",
    }
}

/// Prints progress for an apply of `total` operations: plain lines, plus a live status
/// line when `live` (stderr is a terminal). Call [`Reporter::finish`] when the apply
/// returns, to clear the status line.
pub struct Reporter {
    tally: Arc<Mutex<Tally>>,
    live: bool,
    ticker: Option<(
        std::thread::JoinHandle<()>,
        Arc<std::sync::atomic::AtomicBool>,
    )>,
}

const CLEAR: &str = "\r\x1b[2K";

fn width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

impl Reporter {
    pub fn new(total: usize, live: bool) -> Reporter {
        let tally = Arc::new(Mutex::new(Tally::new(total)));
        let ticker = live.then(|| {
            let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let (t, s) = (tally.clone(), stop.clone());
            let handle = std::thread::spawn(move || {
                while !s.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(250));
                    let t = t.lock().unwrap_or_else(|e| e.into_inner());
                    let mut err = std::io::stderr().lock();
                    let _ = write!(err, "{CLEAR}{}", t.status(Instant::now(), width()));
                    let _ = err.flush();
                }
            });
            (handle, stop)
        });
        Reporter {
            tally,
            live,
            ticker,
        }
    }

    /// Prints the line of one event of the apply.
    pub fn event(&self, p: &Progress) {
        let mut t = self.tally.lock().unwrap_or_else(|e| e.into_inner());
        let line = t.event(p);
        let mut err = std::io::stderr().lock();
        if self.live {
            let _ = write!(err, "{CLEAR}{line}\n{}", t.status(Instant::now(), width()));
            let _ = err.flush();
        } else {
            let _ = writeln!(err, "{line}");
        }
    }

    /// Stops the live line and clears it.
    pub fn finish(self) {
        if let Some((handle, stop)) = self.ticker {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            let _ = handle.join();
        }
        if self.live {
            let _t = self.tally.lock().unwrap_or_else(|e| e.into_inner());
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "{CLEAR}");
            let _ = err.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aic_lang::addr::InstanceAddr;

    fn addr(s: &str) -> InstanceAddr {
        s.parse().expect("address")
    }

    #[test]
    fn status_counts_done_failed_and_running_and_names_the_oldest_running() {
        let mut t = Tally::new(4);
        let t0 = t.started;
        t.event(&Progress::Started {
            addr: addr("null_resource.a"),
            action: Action::Create,
        });
        t.event(&Progress::Started {
            addr: addr("null_resource.b"),
            action: Action::Create,
        });
        let line = t.event(&Progress::Finished {
            addr: addr("null_resource.a"),
            action: Action::Create,
            elapsed: Duration::from_millis(1500),
        });
        assert_eq!(line, "null_resource.a: Creation complete after 1.5s");
        let line = t.event(&Progress::Failed {
            addr: addr("null_resource.b"),
            action: Action::Update,
            message: "boom".into(),
        });
        assert_eq!(line, "null_resource.b: Modifying failed: boom");
        t.event(&Progress::Started {
            addr: addr("local_file.c[2]"),
            action: Action::Delete,
        });
        let status = t.status(t0 + Duration::from_secs(3), 200);
        assert!(
            status.starts_with(
                "[##########----------] 2/4 done, 1 failed, 1 running, 3s · local_file.c[2]"
            ),
            "{status}"
        );
    }

    #[test]
    fn status_fits_the_terminal_width() {
        let mut t = Tally::new(1000);
        t.event(&Progress::Started {
            addr: addr("module.region[\"eu-west-1\"].aws_instance.web[17]"),
            action: Action::Create,
        });
        let s = t.status(Instant::now(), 40);
        assert_eq!(s.chars().count(), 40, "{s}");
        assert!(s.ends_with('…'));
    }

    #[test]
    fn an_empty_apply_shows_a_full_bar() {
        let t = Tally::new(0);
        assert!(t
            .status(Instant::now(), 100)
            .starts_with("[####################] 0/0 done"));
    }
}
