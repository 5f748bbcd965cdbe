//! Parser throughput (see docs/performance.md for the numbers and how to run them).
//!
//! Generated configurations of 1,000 and 10,000 resources (about 40 lines each, with
//! nested blocks, tag objects, interpolations, heredocs, lists, for expressions and
//! comments), and pathological inputs: parentheses nested as deep as allowed (64) and far
//! deeper (10,000, refused before parsing), and a single line of 1 MB; and, for
//! comparison, the reference (pest) parser alone on 1,000 resources.

use std::hint::black_box;

use aic_lang::source::FileId;
use aic_lang::syntax::engines::pest_file;
use aic_lang::syntax::parse_file;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

#[path = "common/inputs.rs"]
mod inputs;
use inputs::{config, deeply_nested, long_line};

fn bench_parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    g.sample_size(10);
    // (name, parameter, input, whether the parser must refuse it)
    let inputs = [
        ("resources", 1_000, config(1_000), false),
        ("resources", 10_000, config(10_000), false),
        ("nested_parens", 64, deeply_nested(64).repeat(1_000), false),
        ("nested_parens", 10_000, deeply_nested(10_000), true),
        ("long_line_bytes", 1 << 20, long_line(1 << 20), false),
    ];
    for (name, n, text, refused) in &inputs {
        let parsed = parse_file(FileId(0), text);
        assert_eq!(
            parsed.has_errors(),
            *refused,
            "{name}/{n}: {:?}",
            parsed.diagnostics.first()
        );
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_with_input(BenchmarkId::new(*name, n), text, |b, text| {
            b.iter(|| parse_file(FileId(0), black_box(text)));
        });
    }
    g.finish();

    // The reference parser alone (what every parse cost before the fast parser), on the
    // smaller configuration: the "before" of docs/performance.md, measured alongside.
    let mut g = c.benchmark_group("parse_pest");
    g.sample_size(10);
    let text = config(1_000);
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_with_input(BenchmarkId::new("resources", 1_000), &text, |b, text| {
        b.iter(|| pest_file(FileId(0), black_box(text)));
    });
    g.finish();
}

criterion_group!(benches, bench_parse);
criterion_main!(benches);
