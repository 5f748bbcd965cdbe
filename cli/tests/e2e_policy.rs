//! End to end: policies. A native policy and a Rego policy each block a plan and an
//! apply with a clear message, changing nothing; passing policies and warnings do not
//! block; a check over values unknown at plan time is deferred and decided at apply; a
//! saved plan with policy errors is refused; the checker catches mistakes in policy
//! blocks; every apply and destroy leaves an audit line.

mod e2e_common;

use e2e_common::Project;

/// A private file and a world-readable one, and `private_files` (native).
const FILES: &str = r#"
resource local_file secret {
  filename        = "secret.txt"
  content         = "s3cr3t"
  file_permission = "0600"
}

resource local_file notes {
  filename = "notes.txt"
  content  = "hello"
}

policy private_files {
  resources = ["local_file"]
  assert    = self.file_permission == "0600"
  message   = "${self.address} is written with mode ${self.file_permission}, not 0600"
  level     = "LEVEL"
}
"#;

fn files(level: &str) -> Project {
    Project::with_main(&FILES.replace("LEVEL", level))
}

#[test]
fn a_native_policy_blocks_plan_and_apply() {
    let p = files("error");
    let plan = p.aic(&["plan"]).failure();
    // The plan itself is shown, with its policy results.
    let plan = plan
        .stdout_has("Plan: 2 to add, 0 to change, 0 to destroy.")
        .stdout_has("Policy results: 1 failed, 1 passed.")
        .stdout_has("✗ private_files (error) on local_file.notes: local_file.notes is written with mode 0777, not 0600")
        .stdout_has("✓ private_files on local_file.secret");
    // A diagnostic names the instance and points at the assertion.
    plan.stderr_has("E0805")
        .stderr_has("Policy violation")
        .stderr_has("policy `private_files` fails on `local_file.notes`")
        .stderr_has(r#"assert = self.file_permission == "0600""#)
        .stderr_has("Plan failed: 1 policy error; `aic apply` refuses this plan.");

    p.aic(&["apply", "--auto-approve"])
        .failure()
        .stderr_has("E0805")
        .stderr_has("refusing to apply: 1 policy error (listed above)")
        .stdout_lacks("Apply complete!");
    assert!(!p.exists("notes.txt") && !p.exists("secret.txt"));
    assert!(!p.state_file("default").exists(), "no state is written");
    assert!(!p.exists(".aic/audit/default.jsonl"), "nothing was applied");
}

const REGO: &str = r#"package aic

deny contains msg if {
  some rc in input.resource_changes
  rc.type == "local_file"
  not endswith(rc.after.filename, ".json")
  msg := sprintf("%s writes %s: only JSON files are allowed", [rc.address, rc.after.filename])
}
"#;

#[test]
fn a_rego_policy_blocks_plan_and_apply() {
    let p = Project::with_main(
        r#"
resource local_file data {
  filename = "data.json"
  content  = "{}"
}

resource local_file readme {
  filename = "README.txt"
  content  = "read me"
}

policy json_only {
  rego  = file("policies/json.rego")
  query = "data.aic.deny"
}
"#,
    );
    p.write("policies/json.rego", REGO);

    p.aic(&["plan"])
        .failure()
        .stdout_has(
            "✗ json_only (error): local_file.readme writes README.txt: only JSON files are allowed",
        )
        .stderr_has("policy `json_only` fails on the plan: local_file.readme writes README.txt")
        .stderr_has("Plan failed: 1 policy error");

    // The JSON plan carries the same result.
    let run = p.aic(&["plan", "--format", "json"]).failure();
    let results = run.json()["policy_results"].clone();
    assert_eq!(
        results,
        serde_json::json!([{
            "policy": "json_only",
            "address": null,
            "level": "error",
            "passed": false,
            "message": "local_file.readme writes README.txt: only JSON files are allowed"
        }]),
        "{run}"
    );

    p.aic(&["apply", "--auto-approve"])
        .failure()
        .stderr_has("refusing to apply: 1 policy error");
    assert!(!p.exists("README.txt") && !p.exists("data.json"));
    assert!(!p.state_file("default").exists());

    // Fixing the configuration lets it through.
    p.edit("main.aic", "README.txt", "readme.json");
    p.aic(&["plan"])
        .success()
        .stdout_has("Policy results: 0 failed, 1 passed.")
        .stdout_has("✓ json_only");
    p.aic(&["apply", "--auto-approve"]).success();
    assert!(p.exists("readme.json"));
}

#[test]
fn a_rego_syntax_error_points_into_the_rego_file() {
    let p = Project::with_main(
        r#"
resource local_file a {
  filename = "a.json"
  content  = "{}"
}

policy broken {
  rego = file("bad.rego")
}
"#,
    );
    p.write(
        "bad.rego",
        "package aic\n\ndeny contains msg if {\n  msg := \n}\n",
    );
    for cmd in [&["validate"][..], &["plan"][..]] {
        let run = p.aic(cmd).failure();
        let run = run
            .stderr_has("E0804")
            .stderr_has("Rego policy does not parse");
        assert!(
            run.stderr.contains("bad.rego:4:") || run.stderr.contains("bad.rego:5:"),
            "the diagnostic points at the line in bad.rego:\n{run}"
        );
        run.stderr_has("policy `broken` reads it here");
    }
    assert!(!p.exists("a.json"));
}

#[test]
fn passing_policies_apply_and_every_apply_and_destroy_is_audited() {
    let p = files("error");
    p.edit(
        "main.aic",
        "  content  = \"hello\"\n",
        "  content  = \"hello\"\n  file_permission = \"0600\"\n",
    );
    p.aic(&["plan"])
        .success()
        .stdout_has("Policy results: 0 failed, 2 passed.");
    p.aic(&["apply", "--auto-approve"])
        .success()
        .stdout_has("Apply complete! Resources: 2 added, 0 changed, 0 destroyed.");
    assert_eq!(p.read("notes.txt"), "hello");

    p.aic(&["destroy", "--auto-approve"]).success();
    assert!(!p.exists("notes.txt"));

    let log = p.read(".aic/audit/default.jsonl");
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).expect("each audit line is JSON"))
        .collect();
    assert_eq!(lines.len(), 2, "{log}");
    let (apply, destroy) = (&lines[0], &lines[1]);
    assert_eq!(apply["operation"], "apply");
    assert_eq!(apply["environment"], "default");
    assert_eq!(apply["who"], "e2e-user");
    assert_eq!(apply["serial_before"], serde_json::Value::Null);
    assert_eq!(apply["serial_after"], 1);
    assert_eq!(
        apply["summary"],
        serde_json::json!({"add": 2, "change": 0, "destroy": 0, "failed": 0})
    );
    assert_eq!(apply["detail"]["outcome"], "complete");
    assert_eq!(destroy["operation"], "destroy");
    assert_eq!(destroy["serial_before"], 1);
    assert_eq!(destroy["serial_after"], 2);
    assert_eq!(destroy["summary"]["destroy"], 2);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(p.file(".aic/audit/default.jsonl"))
        .expect("audit log")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn a_warning_is_reported_and_does_not_block() {
    let p = files("warning");
    p.aic(&["plan"])
        .success()
        .stdout_has("! private_files (warning) on local_file.notes: local_file.notes is written with mode 0777, not 0600")
        .stderr_has("W0805").stderr_has("Policy warning")
        .stderr_lacks("Plan failed");
    p.aic(&["apply", "--auto-approve"])
        .success()
        .stdout_has("Apply complete! Resources: 2 added");
    assert!(p.exists("notes.txt"));
}

/// A file whose content is a random id: unknown until apply.
const DEFERRED: &str = r#"
resource random_id token {
  byte_length = 4
}

resource local_file token {
  filename = "token.txt"
  content  = random_id.token.hex
}

resource local_file after {
  filename = "after.txt"
  content  = local_file.token.content
}

policy token_length {
  resources = ["local_file"]
  assert    = length(self.content) == LENGTH
  message   = "${self.address} holds ${length(self.content)} characters, not LENGTH"
}
"#;

#[test]
fn a_check_over_unknown_values_is_deferred_and_decided_at_apply() {
    // 4 random bytes are 8 hex digits: the deferred check passes at apply.
    let p = Project::with_main(&DEFERRED.replace("LENGTH", "8"));
    p.aic(&["plan"])
        .success()
        .stdout_has("Policy results: 0 failed, 0 passed, 2 deferred to apply.")
        .stdout_has("… token_length (error, deferred to apply) on local_file.token");
    p.aic(&["apply", "--auto-approve"])
        .success()
        .stderr_has("Policy checks deferred to apply:")
        .stderr_has("✓ token_length on local_file.token");
    assert_eq!(p.read("token.txt").len(), 8);
    // Now known: checked at plan time.
    p.aic(&["plan"])
        .success()
        .stdout_has("Policy results: 0 failed, 2 passed.");
}

#[test]
fn a_deferred_violation_fails_the_instance_at_apply() {
    let p = Project::with_main(&DEFERRED.replace("LENGTH", "12"));
    p.aic(&["plan"]).success().stdout_has("2 deferred to apply");
    let run = p
        .aic(&["apply", "--auto-approve"])
        .failure()
        .stderr_has("✗ token_length (error) on local_file.token: local_file.token holds 8 characters, not 12")
        .stderr_has("failed: local_file.token: policy `token_length`: local_file.token holds 8 characters, not 12")
        .stderr_has("skipped: local_file.after");
    assert!(run.stdout.contains("Apply failed!"), "{run}");
    // The object exists, so it is in the state; what depends on it was not made.
    assert!(p.exists("token.txt") && !p.exists("after.txt"));
    let state = p.state_list(None);
    assert!(state.contains(&"local_file.token".to_owned()), "{state:?}");
    // The next plan decides the check (the content is known now) and blocks.
    p.aic(&["plan"])
        .failure()
        .stderr_has("policy `token_length` fails on `local_file.token`");
    let audit = p.read(".aic/audit/default.jsonl");
    let line: serde_json::Value = serde_json::from_str(audit.lines().next().unwrap()).unwrap();
    assert_eq!(line["detail"]["outcome"], "failed");
    assert_eq!(line["summary"]["failed"], 1);
}

#[test]
fn a_saved_plan_with_policy_errors_cannot_be_applied() {
    let p = files("error");
    p.aic(&["plan", "--out", "plan.json"])
        .failure()
        .stderr_has("Saved the plan to plan.json");
    p.aic(&["apply", "plan.json"])
        .failure()
        .stderr_has("this plan has 1 policy error and cannot be applied")
        .stderr_has("private_files on local_file.notes: local_file.notes is written with mode 0777, not 0600");
    assert!(!p.exists("notes.txt"));
    assert!(!p.state_file("default").exists());
}

#[test]
fn validate_catches_mistakes_in_policy_blocks() {
    let p = Project::with_main(
        r#"
resource local_file a {
  filename = "a.txt"
  content  = "a"
}

policy typos {
  resources = ["local_fil"]
  assert    = self.content != ""
  levels    = "error"
}

policy wrong_level {
  assert = true
  level  = "warn"
}

policy no_such_attribute {
  resources = ["local_file"]
  assert    = self.contents != ""
}

policy no_rule {
  level = "warning"
}

policy not_bool {
  assert = "yes"
}
"#,
    );
    p.aic(&["validate"])
        .failure()
        .stderr_has("E0228")
        .stderr_has("Unknown resource type")
        .stderr_has("Did you mean `local_file`?")
        .stderr_has("E0801")
        .stderr_has("Unknown policy attribute")
        .stderr_has("Did you mean `level`?")
        .stderr_has("E0803")
        .stderr_has("Unknown policy level")
        .stderr_has("Did you mean `\"warning\"`?")
        .stderr_has("this object has no attribute `contents`")
        .stderr_has("E0802")
        .stderr_has("Policy without a rule")
        .stderr_has("`assert` must be a bool");
}

#[test]
fn a_policy_in_a_called_module_is_reported_as_not_evaluated() {
    let p = Project::with_main(
        r#"
module m {
  source = "./modules/m"
}
"#,
    );
    p.write(
        "modules/m/main.aic",
        r#"
resource local_file f {
  filename = "out/f.txt"
  content  = "x"
}

policy never {
  assert  = false
  message = "never"
}
"#,
    );
    p.aic(&["validate"])
        .success()
        .stderr_has("W0806")
        .stderr_has("this policy is not evaluated: policies are read from the root module only");
}
