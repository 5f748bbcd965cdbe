//! End to end: `aic plan --out FILE` and `aic apply FILE`, and the saved plans apply must
//! refuse (the state moved on, the configuration changed, another environment). Runs the
//! real `aic` binary on a copy of `tests/fixtures/e2e/environments`.

mod e2e_common;

use e2e_common::Project;

fn serial(p: &Project, env: &str) -> u64 {
    let text = std::fs::read_to_string(p.state_file(env)).expect("state file");
    let v: serde_json::Value = serde_json::from_str(&text).expect("state is JSON");
    v["serial"].as_u64().expect("serial")
}

#[test]
fn a_saved_plan_is_applied_as_made() {
    let p = Project::fixture("environments");
    let run = p
        .aic(&["plan", "--env", "dev", "--out", "dev.plan"])
        .success()
        .stdout_has("Plan: 2 to add, 0 to change, 0 to destroy.")
        .stderr_has("Saved the plan to dev.plan");
    assert!(run.stderr.contains("aic apply dev.plan"), "{run}");
    assert!(!p.exists("out"), "plan --out writes only the plan");

    // The saved plan can be shown, as text (the whole plan, as `aic plan` printed it)
    // and as the JSON plan.
    p.aic(&["show", "dev.plan"])
        .success()
        .stdout_has("Plan for environment `dev`")
        .stdout_has("# local_file.config will be created")
        .stdout_has("\"out/dev/config.txt\"")
        .stdout_has("Plan: 2 to add, 0 to change, 0 to destroy.");
    let shown = p.aic(&["show", "--json", "dev.plan"]).success().json();
    assert_eq!(shown["environment"], "dev");
    assert_eq!(shown["summary"]["add"], 2);

    // Applied without naming the environment: the plan knows it.
    let run = p.aic(&["apply", "dev.plan"]).success();
    assert!(
        run.stdout
            .contains("Apply complete! Resources: 2 added, 0 changed, 0 destroyed."),
        "{run}"
    );
    assert_eq!(p.read("out/dev/config.txt"), "environment dev\n");
    assert_eq!(p.read("out/dev/notes.txt"), "first notes\n");
    assert_eq!(
        p.state_list(Some("dev")),
        ["local_file.config", "local_file.notes"]
    );
    assert!(!p.state_file("prod").exists(), "prod was not touched");
    assert!(!p.exists("out/prod"));

    // A saved plan with nothing to do applies as a no-op.
    p.aic(&["plan", "--env", "dev", "--out", "noop.plan"])
        .success()
        .stdout_has("No changes.");
    let before = serial(&p, "dev");
    p.aic(&["apply", "noop.plan"]).success();
    assert_eq!(serial(&p, "dev"), before, "a no-op apply writes no state");
}

#[test]
fn a_saved_plan_is_refused_once_the_state_moved_on() {
    let p = Project::fixture("environments");
    p.aic(&["apply", "--env", "dev", "--auto-approve"])
        .success();
    p.edit("main.aic", "first notes", "second notes");
    p.aic(&["plan", "--env", "dev", "--out", "stale.plan"])
        .success()
        .stdout_has("Plan: 1 to add, 0 to change, 1 to destroy.");
    // Someone else applies meanwhile (here: the same change, without the saved plan).
    p.aic(&["apply", "--env", "dev", "--auto-approve"])
        .success();
    let serial_after = serial(&p, "dev");
    p.write("out/dev/notes.txt", "hand-made\n");

    let run = p
        .aic(&["apply", "stale.plan"])
        .failure()
        .stderr_has("the state changed since this plan was made")
        .stderr_has("aic plan --out FILE");
    assert!(!run.stdout.contains("Apply complete!"), "{run}");
    assert_eq!(serial(&p, "dev"), serial_after, "nothing was written");
    assert_eq!(
        p.read("out/dev/notes.txt"),
        "hand-made\n",
        "nothing was applied"
    );
    assert!(!p.lock_file("dev").exists(), "the lock was released");
}

#[test]
fn a_plan_made_before_the_first_apply_is_refused_once_a_state_exists() {
    let p = Project::fixture("environments");
    p.aic(&["plan", "--env", "dev", "--out", "first.plan"])
        .success();
    p.aic(&["apply", "--env", "dev", "--auto-approve"])
        .success();
    p.aic(&["apply", "first.plan"])
        .failure()
        .stderr_has("the state changed since this plan was made (serial 0 then, 1 now)");
    assert_eq!(serial(&p, "dev"), 1);
}

#[test]
fn a_saved_plan_is_refused_once_the_configuration_changed() {
    let p = Project::fixture("environments");
    p.aic(&["plan", "--env", "dev", "--out", "p.plan"])
        .success();
    p.edit("main.aic", "first notes", "other notes");

    p.aic(&["apply", "p.plan"])
        .failure()
        .stderr_has("the configuration changed since this plan was made");
    assert!(!p.exists("out"), "nothing was applied");
    assert!(!p.state_file("dev").exists(), "no state was written");

    // A new file counts as a change of the configuration too.
    p.edit("main.aic", "other notes", "first notes");
    p.aic(&["plan", "--env", "dev", "--out", "q.plan"])
        .success();
    p.write(
        "more.aic",
        "resource local_file more {\n  filename = \"out/more.txt\"\n  content  = \"more\\n\"\n}\n",
    );
    p.aic(&["apply", "q.plan"])
        .failure()
        .stderr_has("configuration changed");
    assert!(!p.exists("out"));
}

#[test]
fn a_saved_plan_is_refused_for_another_environment() {
    let p = Project::fixture("environments");
    p.aic(&["plan", "--env", "dev", "--out", "dev.plan"])
        .success();

    p.aic(&["apply", "dev.plan", "--env", "prod"])
        .failure()
        .stderr_has("this plan was made for environment `dev`, not `prod`");
    let env_var = {
        let mut cmd = p.command(&["apply", "dev.plan"]);
        cmd.env("AIC_ENV", "prod");
        p.run(cmd, &["apply", "dev.plan", "(AIC_ENV=prod)"])
    };
    env_var.failure().stderr_has("made for environment `dev`");
    assert!(!p.exists("out"), "nothing was applied");
    assert!(!p.state_file("prod").exists() && !p.state_file("dev").exists());

    // Each environment has its own state: applying dev leaves prod empty.
    p.aic(&["apply", "dev.plan", "--env", "dev"]).success();
    assert_eq!(p.state_list(Some("dev")).len(), 2);
    assert!(p.state_list(Some("prod")).is_empty());
    assert!(!p.exists("out/prod"));
}

#[test]
fn a_file_that_is_not_a_plan_is_refused() {
    let p = Project::fixture("environments");
    p.write("junk.plan", "{ not a plan");
    p.aic(&["apply", "junk.plan"])
        .failure()
        .stderr_has("junk.plan is not an aic plan file")
        .stderr_has("aic plan --out FILE");
    p.aic(&["apply", "missing.plan"])
        .failure()
        .stderr_has("cannot read the plan file missing.plan");
    assert!(!p.exists("out"));
}

#[test]
fn a_saved_plan_is_private_and_keeps_no_var_value() {
    use std::os::unix::fs::PermissionsExt;
    let p = Project::with_main(
        r#"
variable pw: string
resource null_resource n {
  triggers = { h = sha256(var.pw) }
}
"#,
    );
    // An existing world-readable file is narrowed too.
    p.write("p.plan", "");
    std::fs::set_permissions(p.file("p.plan"), std::fs::Permissions::from_mode(0o644))
        .expect("chmod");
    p.aic(&["plan", "--var", "pw=TOPSECRET", "--out", "p.plan"])
        .success();
    let mode = std::fs::metadata(p.file("p.plan"))
        .expect("plan")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    let text = p.read("p.plan");
    assert!(
        !text.contains("TOPSECRET"),
        "the value is in the plan:\n{text}"
    );

    // Applying needs the same value again; another one (or none) is refused, unapplied.
    let run = p.aic(&["apply", "p.plan", "--var", "pw=guess"]).failure();
    assert!(run.stderr.contains("E0662"), "{run}");
    assert!(run.stderr.contains("--var pw=…"), "{run}");
    p.aic(&["apply", "p.plan"]).failure().stderr_has("E0662");
    assert!(p.state_list(None).is_empty(), "nothing was applied");
    p.aic(&["apply", "p.plan", "--var", "pw=TOPSECRET"])
        .success()
        .stdout_has("1 added");
    assert_eq!(p.state_list(None), ["null_resource.n"]);
}
