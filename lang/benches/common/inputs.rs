//! The generated inputs of the parser benchmark, shared with the parser equivalence
//! tests (`lang/tests/parser_equivalence.rs`).

#![allow(dead_code)]

use std::fmt::Write as _;

/// One resource of about 40 lines, plus a `let` or an `output` now and then.
pub fn resource(out: &mut String, i: usize) {
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

pub fn config(resources: usize) -> String {
    let mut out = String::from("/* Generated for the parser benchmark. */\n\n");
    out.push_str(
        "variable replicas: number = 2\nvariable size: \"small\" | \"large\" = \"small\"\n\n",
    );
    for i in 0..resources {
        resource(&mut out, i);
    }
    out
}

pub fn deeply_nested(depth: usize) -> String {
    format!("let x = {}1{}\n", "(".repeat(depth), ")".repeat(depth))
}

pub fn long_line(bytes: usize) -> String {
    let mut s = String::from("let names = [");
    let mut i = 0;
    while s.len() < bytes {
        let _ = write!(s, "\"name-{i}\", ");
        i += 1;
    }
    s.push_str("]\n");
    s
}
