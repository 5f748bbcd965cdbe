//! Parser throughput in bytes per second of CPU time of the parsing thread, which, unlike
//! criterion's wall-clock figures, holds steady while other processes load the machine
//! (Linux only: it reads `/proc/thread-self/schedstat`). See docs/performance.md.
//!
//! `cargo bench -p aic-lang --bench parse_cpu`

use std::hint::black_box;

use aic_lang::source::FileId;
use aic_lang::syntax::engines::pest_file;
use aic_lang::syntax::parse_file;

#[path = "common/inputs.rs"]
mod inputs;

/// Nanoseconds this thread has spent on a CPU.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// The best of `runs` rounds of `reps` parses, in MB (10^6 bytes) per CPU second. The
/// trees are dropped inside the measurement (as in the criterion benchmark) or, with
/// `keep`, after it.
fn measure<T>(
    text: &str,
    (runs, reps, keep): (usize, usize, bool),
    parse: impl Fn(&str) -> T,
) -> Option<f64> {
    let mut best: Option<f64> = None;
    for _ in 0..runs {
        let mut kept = Vec::new();
        let start = thread_cpu_ns()?;
        for _ in 0..reps {
            let tree = parse(black_box(text));
            if keep {
                kept.push(tree);
            } else {
                drop(black_box(tree));
            }
        }
        let ns = thread_cpu_ns()?.saturating_sub(start).max(1);
        drop(kept);
        let mbps = (text.len() * reps) as f64 / ns as f64 * 1e3;
        best = Some(best.map_or(mbps, |b: f64| b.max(mbps)));
    }
    best
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this once, quickly.
    let quick = !std::env::args().any(|a| a == "--bench");
    let (runs, reps) = if quick { (1, 1) } else { (5, 5) };
    let cases = [
        ("resources/1000", inputs::config(1_000)),
        ("resources/10000", inputs::config(10_000)),
        ("nested_parens/64", inputs::deeply_nested(64).repeat(1_000)),
        ("long_line_bytes/1048576", inputs::long_line(1 << 20)),
    ];
    let fast = |t: &str| parse_file(FileId(0), t);
    let pest = |t: &str| pest_file(FileId(0), t);
    for (name, text) in &cases {
        let reps = if name.ends_with("10000") { 1 } else { reps };
        let Some(mbps) = measure(text, (runs, reps, false), fast) else {
            println!("no per-thread CPU clock on this system");
            return;
        };
        let parse_only = measure(text, (runs, reps, true), fast).unwrap_or(0.0);
        println!(
            "parse/{name}: {mbps:.1} MB/s of CPU time ({parse_only:.1} MB/s without dropping the tree)"
        );
    }
    let (name, text) = &cases[0];
    if let Some(mbps) = measure(text, (runs.min(3), 1, false), pest) {
        println!("parse_pest/{name}: {mbps:.1} MB/s of CPU time");
    }
}
