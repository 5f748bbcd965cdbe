//! Plan semantics that the differential suite against Terraform 1.0.3
//! (`terraform_plans.rs`) cannot cover, because Terraform 1.0.3 lacks the feature
//! (`optional(T, default)`, `--exclude`, `self` in `lifecycle`) or the behaviour is
//! aic's own (validating every environment, diagnostics, the CLI's output streams).

mod e2e_common;

use std::io::Read as _;
use std::process::Stdio;

use e2e_common::Project;

/// `triggers` of `addr` in the state.
fn triggers(p: &Project, addr: &str) -> serde_json::Value {
    p.state_attributes(addr, None)["triggers"].clone()
}

#[test]
fn optional_attribute_defaults_are_filled_in_everywhere() {
    let p = Project::with_main(
        r#"
type Settings = object({ name: string, size: optional(number, 3), tags: optional(set(string), ["x"]) })
variable from_default: Settings = { name = "d" }
variable from_flag: Settings = { name = "unused" }
module child {
  source   = "./child"
  settings = { name = "m" }
}
resource null_resource root {
  triggers = {
    default_size = tostring(var.from_default.size)
    flag_size    = tostring(var.from_flag.size)
    flag_tags    = join(",", tolist(var.from_flag.tags))
  }
}
output child = module.child.size
"#,
    );
    p.write(
        "child/main.aic",
        r#"
variable settings: object({ name: string, size: optional(number, 7) })
resource null_resource c {
  triggers = { size = tostring(var.settings.size) }
}
output size = var.settings.size
"#,
    );
    p.aic(&[
        "apply",
        "--auto-approve",
        "--var",
        r#"from_flag={ name = "f" }"#,
    ])
    .success();
    assert_eq!(
        triggers(&p, "null_resource.root"),
        serde_json::json!({ "default_size": "3", "flag_size": "3", "flag_tags": "x" })
    );
    assert_eq!(
        triggers(&p, "module.child.null_resource.c"),
        serde_json::json!({ "size": "7" })
    );
    let out = p.aic(&["output", "--json"]).success();
    let outputs: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(outputs["child"]["value"], serde_json::json!(7));
}

#[test]
fn optional_defaults_reach_module_arguments_known_only_at_apply() {
    let p = Project::with_main(
        r#"
resource null_resource up {}
module child {
  source   = "./child"
  settings = { name = null_resource.up.id }
}
"#,
    );
    p.write(
        "child/main.aic",
        r#"
variable settings: object({ name: string, size: optional(number, 7) })
resource null_resource c {
  triggers = { size = tostring(var.settings.size) }
}
"#,
    );
    p.aic(&["apply", "--auto-approve"]).success();
    assert_eq!(
        triggers(&p, "module.child.null_resource.c"),
        serde_json::json!({ "size": "7" })
    );
    p.aic(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn exclude_leaves_out_the_instance_and_what_depends_on_it() {
    let p = Project::with_main(
        r#"
resource null_resource a {}
resource null_resource b {
  triggers = { a = null_resource.a.id }
}
resource null_resource c {}
"#,
    );
    let run = p
        .aic(&["apply", "--auto-approve", "--exclude", "null_resource.a"])
        .success();
    assert!(
        run.stderr.contains("Resource targeting is in effect"),
        "no targeting warning:\n{run}"
    );
    assert_eq!(p.state_list(None), vec!["null_resource.c"]);
    p.aic(&["apply", "--auto-approve"]).success();
    // Destroying everything but `b` keeps what `b` depends on.
    p.aic(&["destroy", "--auto-approve", "--exclude", "null_resource.b"])
        .success();
    assert_eq!(
        p.state_list(None),
        vec!["null_resource.a", "null_resource.b"]
    );
}

#[test]
fn self_in_lifecycle_reads_the_instance() {
    let p = Project::with_main(
        r#"
resource null_resource keep {
  triggers = { role = "database" }
  lifecycle {
    prevent_destroy = self.triggers["role"] == "database"
  }
}
"#,
    );
    p.aic(&["validate"]).success();
    p.aic(&["apply", "--auto-approve"]).success();
    let run = p.aic(&["destroy", "--auto-approve"]).code(1);
    assert!(
        run.stderr.contains("Instance cannot be destroyed"),
        "destroy was not refused:\n{run}"
    );
}

#[test]
fn an_output_written_as_a_block_gets_the_items_form() {
    let p = Project::with_main("output s {\n  value = \"x\"\n}\n");
    let run = p.aic(&["validate"]).code(1);
    assert!(
        run.stderr.contains("Write it as `output NAME = EXPR`"),
        "no helpful diagnostic:\n{run}"
    );
    assert!(
        !run.stderr.contains("did you mean `output`"),
        "suggests the word it already is:\n{run}"
    );
}

#[test]
fn validate_checks_every_environment() {
    let p = Project::with_main(
        r#"
environment staging {
  size = 1
}
environment production {
  size  = 3
  extra = "x"
}
resource null_resource a {
  triggers = { extra = env.extra }
}
"#,
    );
    let run = p.aic(&["validate"]).code(1);
    assert!(
        run.stderr.contains("staging"),
        "the environment lacking `extra` is not named:\n{run}"
    );
    // Whichever environment is asked for.
    let run = p.aic(&["validate", "--env", "production"]).code(1);
    assert!(run.stderr.contains("staging"), "not checked:\n{run}");
    p.edit("main.aic", "env.extra", "try(env.extra, \"none\")");
    p.aic(&["validate"]).success();
}

#[test]
fn an_output_of_a_sensitive_provider_attribute_must_say_so() {
    let p = Project::with_main(
        r#"
resource random_string s {
  length = 8
}
output leak = random_string.s.result
"#,
    );
    let run = p.aic(&["validate"]).code(1);
    assert!(run.stderr.contains("E0235"), "not refused:\n{run}");
    p.write(
        "main.aic",
        r#"
resource random_string s {
  length = 8
}
output ok = random_string.s.result {
  sensitive = true
}
"#,
    );
    p.aic(&["validate"]).success();
}

#[test]
fn outputs_known_only_during_apply_are_recorded() {
    let p = Project::with_main(
        r#"
output hash = bcrypt("secret") {
  sensitive = true
}
"#,
    );
    p.aic(&["apply", "--auto-approve"]).success();
    let out = p.aic(&["output", "hash", "--json"]).success();
    assert!(out.stdout.contains("$2"), "no bcrypt hash:\n{out}");
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let p = Project::with_main(
        // Each instance holds more than a pipe's buffer (64 KiB), so the writer meets the
        // closed pipe.
        "resource null_resource a {\n  count = 2\n  triggers = { text = join(\"\", [for i in range(1000) : \"${join(\"\", [for j in range(80) : \"x\"])}\"]) }\n}\n",
    );
    p.aic(&["apply", "--auto-approve"]).success();
    for args in [
        vec!["state", "show", "null_resource.a[0]"],
        vec!["state", "list"],
        vec!["show", "--json"],
        vec!["plan", "--format", "json"],
    ] {
        let mut cmd = p.command(&args);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start aic");
        // Read one byte, then close the pipe as `head -c 1` would.
        let mut stdout = child.stdout.take().expect("stdout");
        let mut one = [0u8; 1];
        let _ = stdout.read(&mut one);
        drop(stdout);
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked"),
            "`aic {}` panicked on a closed pipe:\n{stderr}",
            args.join(" ")
        );
    }
}
