//! Parser throughput (see docs/performance.md for the numbers and how to run them).
//!
//! Generated configurations of 1,000 and 10,000 resources (about 40 lines each, with
//! nested blocks, tag objects, interpolations, heredocs, lists, for expressions and
//! comments), and pathological inputs: parentheses nested as deep as allowed (64) and far
//! deeper (10,000, refused before parsing), and a single line of 1 MB.

use std::fmt::Write as _;
use std::hint::black_box;

use aic_lang::source::FileId;
use aic_lang::syntax::parse_file;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// One resource of about 40 lines, plus a `let` or an `output` now and then.
fn resource(out: &mut String, i: usize) {
    let zone = ["a", "b", "c"][i % 3];
    let _ = write!(
        out,
        r#"# Web server {i}, in zone {zone}.
resource aws_instance web_{i} {{
  count         = var.replicas
  ami           = data.aws_ami.ubuntu.id
  instance_type = var.size == "large" ? "m5.large" : "t3.micro"
  subnet_id     = aws_subnet.app["${{var.region}}{zone}"].id
  user_data     = <<-EOT
    #!/bin/sh
    echo "server ${{count.index}} of ${{var.replicas}}"
  EOT

  tags = {{
    Name        = "web-${{count.index}}-{i}"
    env         = env.name
    owner       = "platform-team"
    cost_center = 1_000 + {i}
  }}

  vpc_security_group_ids = [for sg in var.security_groups : sg.id if sg.enabled]
  ports                  = [80, 443, 8080]
  labels                 = {{ for k, v in var.labels : lower(k) => v }}

  ebs_block_device {{
    device_name = "/dev/sdb"
    volume_size = max(var.disk_gb, 20) * 2 // doubled for snapshots
    encrypted   = true
  }}

  network_interface {{
    device_index = 0
    subnet_id    = aws_subnet.app[*].id[0]
  }}

  depends_on = [aws_security_group.web, aws_iam_role.web]
  lifecycle {{
    create_before_destroy = true
    prevent_destroy       = env.protected && !var.allow_destroy
    ignore_changes        = [tags["LastModified"]]
  }}
}}

"#
    );
    if matches!(i % 10, 0) {
        let _ = writeln!(
            out,
            "let names_{i} = [for n in range({i}) : \"web-${{n}}\"]\n\
             output ip_{i} = aws_instance.web_{i}[0].private_ip ?? \"none\"\n"
        );
    }
}

fn config(resources: usize) -> String {
    let mut out = String::from("/* Generated for the parser benchmark. */\n\n");
    out.push_str(
        "variable replicas: number = 2\nvariable size: \"small\" | \"large\" = \"small\"\n\n",
    );
    for i in 0..resources {
        resource(&mut out, i);
    }
    out
}

fn deeply_nested(depth: usize) -> String {
    format!("let x = {}1{}\n", "(".repeat(depth), ")".repeat(depth))
}

fn long_line(bytes: usize) -> String {
    let mut s = String::from("let names = [");
    let mut i = 0;
    while s.len() < bytes {
        let _ = write!(s, "\"name-{i}\", ");
        i += 1;
    }
    s.push_str("]\n");
    s
}

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
}

criterion_group!(benches, bench_parse);
criterion_main!(benches);
