//! `aic console` end to end: expressions read from stdin (one a line) are evaluated in the
//! configuration's scope; before apply a resource's computed attribute is
//! `(known after apply)`; after apply the console shows what `aic output` shows; a
//! sensitive value prints as `(sensitive value)`; an error is a diagnostic on stderr and
//! the lines after it are still evaluated.

mod e2e_common;

use std::io::Write;
use std::process::Stdio;

use e2e_common::Project;

const MAIN: &str = r#"variable greeting: string = "hello"

variable token: string = "s3cret" {
  sensitive = true
}

environment dev {
  regions = ["local", "local-2"]
}

let prefix = "aic-${env.name}"

resource random_id suffix {
  byte_length = 4
}

resource local_file motd {
  filename = "out/${prefix}-motd.txt"
  content  = "${var.greeting} ${random_id.suffix.hex}"
}

output file    = local_file.motd.filename
output hex     = random_id.suffix.hex
output content = local_file.motd.content
"#;

/// Runs `aic console --env dev` with `lines` on stdin: (stdout lines, stderr, exit code).
fn console(p: &Project, lines: &[&str]) -> (Vec<String>, String, Option<i32>) {
    let mut cmd = p.command(&["console", "--env", "dev"]);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("aic console starts");
    let mut stdin = child.stdin.take().unwrap();
    for l in lines {
        writeln!(stdin, "{l}").unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

#[test]
fn console_evaluates_in_the_configurations_scope_and_shows_what_output_shows() {
    let p = Project::with_main(MAIN);

    // Before apply: constants are known, computed attributes are not.
    let (out, err, code) = console(
        &p,
        &[
            "prefix",
            "upper(var.greeting)",
            "env.regions[1]",
            "length(env.regions) * 2",
            "random_id.suffix.hex",
            "var.token",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        out,
        vec![
            "\"aic-dev\"",
            "\"HELLO\"",
            "\"local-2\"",
            "4",
            "(known after apply)",
            "(sensitive value)"
        ]
    );

    p.aic(&["apply", "--env", "dev", "--auto-approve"])
        .success();
    let outputs: serde_json::Value = serde_json::from_str(
        &p.aic(&["output", "--json", "--env", "dev"])
            .success()
            .stdout,
    )
    .unwrap();

    // After apply: the resources' recorded values, as `aic output` shows them.
    let (out, err, code) = console(
        &p,
        &[
            "local_file.motd.filename",
            "random_id.suffix.hex",
            "local_file.motd.content",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    let expected: Vec<String> = ["file", "hex", "content"]
        .iter()
        .map(|k| serde_json::to_string(&outputs[k]["value"]).unwrap())
        .collect();
    assert_eq!(out, expected);
    assert!(out[1].len() > 4, "hex is known now: {out:?}");

    // An error is a diagnostic; the session goes on, and the exit code says a line failed.
    let (out, err, code) = console(&p, &["var.greting", "var.greeting"]);
    assert_eq!(out, vec!["\"hello\""], "{err}");
    assert!(err.contains("E0"), "{err}");
    assert!(
        err.contains("greeting"),
        "a did-you-mean names the variable: {err}"
    );
    assert_eq!(code, Some(1));
}
