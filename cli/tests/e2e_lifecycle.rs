//! End to end: the life of a configuration of `local_file`s and a `random_id`, from the
//! first apply to `aic destroy`, and changes made outside aic (drift). Runs the real
//! `aic` binary on a copy of `tests/fixtures/e2e/lifecycle`.

mod e2e_common;

use e2e_common::{Project, Run};

const NO_CHANGES: &str = "No changes. Your infrastructure matches the configuration.";

fn plan_json(p: &Project) -> serde_json::Value {
    p.aic(&["plan", "--format", "json"]).success().json()
}

/// `(address, actions)` of every change in a JSON plan other than no-ops.
fn json_changes(plan: &serde_json::Value) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = plan["resource_changes"]
        .as_array()
        .expect("resource_changes is an array")
        .iter()
        .map(|c| {
            let actions = c["actions"]
                .as_array()
                .expect("actions is an array")
                .iter()
                .map(|a| a.as_str().unwrap_or_default().to_owned())
                .collect();
            (
                c["address"].as_str().unwrap_or_default().to_owned(),
                actions,
            )
        })
        .filter(|(_, a): &(String, Vec<String>)| a != &["no-op"])
        .collect();
    out.sort();
    out
}

fn change(addr: &str, actions: &[&str]) -> (String, Vec<String>) {
    (
        addr.to_owned(),
        actions.iter().map(|a| (*a).to_owned()).collect(),
    )
}

fn output_tag(p: &Project) -> String {
    let run = p.aic(&["output", "--json"]).success();
    let v = run.json();
    v["tag"]["value"]
        .as_str()
        .unwrap_or_else(|| panic!("no string output `tag`:\n{run}"))
        .to_owned()
}

fn apply(p: &Project) -> Run {
    p.aic(&["apply", "--auto-approve"]).success()
}

#[test]
fn create_change_replace_remove_and_destroy() {
    let p = Project::fixture("lifecycle");

    // 1. First plan: everything to add; --detailed-exitcode says there are changes.
    p.aic(&["plan", "--detailed-exitcode"])
        .code(2)
        .stdout_has("# local_file.greeting will be created")
        .stdout_has("# random_id.tag will be created")
        .stdout_has("Plan: 4 to add, 0 to change, 0 to destroy.");
    assert!(!p.exists("out"), "plan must not write anything");
    assert!(
        !p.state_file("default").exists(),
        "plan must not create a state"
    );

    // 2. Apply creates the files and records four objects.
    let run = apply(&p);
    assert!(
        run.stdout
            .contains("Apply complete! Resources: 4 added, 0 changed, 0 destroyed."),
        "{run}"
    );
    let tag = output_tag(&p);
    assert_eq!(tag.len(), 8, "4 random bytes in hex: {tag}");
    assert_eq!(p.read("out/greeting.txt"), "hello\n");
    assert_eq!(p.read("out/tagged.txt"), format!("tag {tag}\n"));
    assert_eq!(p.read("out/extra.txt"), "extra\n");
    assert_eq!(
        p.state_list(None),
        [
            "local_file.extra",
            "local_file.greeting",
            "local_file.tagged",
            "random_id.tag"
        ]
    );
    assert!(
        !p.journal_file("default").exists() && !p.lock_file("default").exists(),
        "apply leaves neither journal nor lock behind"
    );

    // 3. Nothing to do now: `No changes.`, exit 0 even with --detailed-exitcode.
    let run = p.aic(&["plan"]).success();
    assert_eq!(run.last_line(), NO_CHANGES, "{run}");
    p.aic(&["plan", "--detailed-exitcode"]).success();
    assert!(json_changes(&plan_json(&p)).is_empty());
    let run = apply(&p);
    assert!(run.stdout.contains(NO_CHANGES), "{run}");

    // 4. A new content replaces the file (every local_file argument forces replacement).
    p.edit("main.aic", "\"hello\\n\"", "\"hello, world\\n\"");
    p.aic(&["plan", "--detailed-exitcode"])
        .code(2)
        .stdout_has("# local_file.greeting must be replaced")
        .stdout_has("-/+ resource \"local_file\" \"greeting\"")
        .stdout_has("# forces replacement")
        .stdout_has("Plan: 1 to add, 0 to change, 1 to destroy.");
    let plan = plan_json(&p);
    assert_eq!(
        json_changes(&plan),
        [change("local_file.greeting", &["delete", "create"])]
    );
    let greeting = plan["resource_changes"]
        .as_array()
        .and_then(|cs| {
            cs.iter()
                .find(|c| c["address"] == "local_file.greeting")
                .cloned()
        })
        .expect("a change for local_file.greeting");
    assert_eq!(greeting["replace_paths"], serde_json::json!([["content"]]));
    assert_eq!(greeting["before"]["content"], "hello\n");
    assert_eq!(greeting["after"]["content"], "hello, world\n");
    assert_eq!(plan["summary"]["add"], 1);
    assert_eq!(plan["summary"]["destroy"], 1);
    let run = apply(&p);
    assert!(
        run.stdout
            .contains("Apply complete! Resources: 1 added, 0 changed, 1 destroyed."),
        "{run}"
    );
    assert_eq!(p.read("out/greeting.txt"), "hello, world\n");
    assert_eq!(run.last_line(), format!("tag = \"{tag}\""), "{run}");

    // 5. New keepers: a new random value, and the file that shows it is replaced too.
    p.edit("main.aic", "generation = \"1\"", "generation = \"2\"");
    let run = p
        .aic(&["plan"])
        .success()
        .stdout_has("# random_id.tag must be replaced")
        .stdout_has("# local_file.tagged must be replaced")
        .stdout_has("Plan: 2 to add, 0 to change, 2 to destroy.");
    assert!(
        run.stdout.contains("\"generation\" = \"1\" -> \"2\""),
        "{run}"
    );
    assert_eq!(
        json_changes(&plan_json(&p)),
        [
            change("local_file.tagged", &["delete", "create"]),
            change("random_id.tag", &["delete", "create"]),
        ]
    );
    apply(&p).stdout_has("Apply complete! Resources: 2 added, 0 changed, 2 destroyed.");
    let new_tag = output_tag(&p);
    assert_ne!(new_tag, tag, "a replaced random_id has a new value");
    assert_eq!(p.read("out/tagged.txt"), format!("tag {new_tag}\n"));
    assert_eq!(
        p.state_attributes("random_id.tag", None)["hex"],
        new_tag.as_str()
    );
    assert_eq!(p.aic(&["plan"]).success().last_line(), NO_CHANGES);

    // 6. A resource taken out of the configuration is destroyed: its file is removed.
    let text = p.read("main.aic");
    let start = text.find("resource local_file extra").expect("extra block");
    let end = start + text[start..].find("}\n").expect("end of block") + 2;
    p.write("main.aic", &format!("{}{}", &text[..start], &text[end..]));
    p.aic(&["plan"])
        .success()
        .stdout_has("# local_file.extra will be destroyed")
        .stdout_has("# (because local_file.extra is not in configuration)")
        .stdout_has("Plan: 0 to add, 0 to change, 1 to destroy.");
    apply(&p).stdout_has("Apply complete! Resources: 0 added, 0 changed, 1 destroyed.");
    assert!(!p.exists("out/extra.txt"), "the removed file is deleted");
    assert!(p.exists("out/greeting.txt") && p.exists("out/tagged.txt"));
    assert_eq!(
        p.state_list(None),
        ["local_file.greeting", "local_file.tagged", "random_id.tag"]
    );

    // 7. `aic plan --destroy`, then `aic destroy`: everything goes, the state is empty.
    p.aic(&["plan", "--destroy", "--detailed-exitcode"])
        .code(2)
        .stdout_has("# local_file.greeting will be destroyed")
        .stdout_has("Plan: 0 to add, 0 to change, 3 to destroy.")
        // Destroying everything is not about the configuration lacking anything.
        .stdout_lacks("is not in configuration");
    assert!(
        p.exists("out/greeting.txt"),
        "plan --destroy changes nothing"
    );
    let run = p
        .aic(&["destroy", "--auto-approve"])
        .success()
        .stdout_has("Destroy complete! Resources: 3 destroyed.")
        .stdout_lacks("is not in configuration");
    assert!(
        !run.stdout.contains("\nOutputs:\n"),
        "destroy lists no outputs:\n{run}"
    );
    assert_eq!(
        p.files_in("out"),
        Vec::<String>::new(),
        "all files are gone"
    );
    assert!(p.state_list(None).is_empty());
    let outputs = p.aic(&["output", "--json"]).success().json();
    assert_eq!(outputs, serde_json::json!({}));
    // The state still exists (with its history); planning again starts from nothing.
    assert!(p.state_file("default").exists());
    p.aic(&["plan"])
        .success()
        .stdout_has("Plan: 3 to add, 0 to change, 0 to destroy.");
    let history = p.aic(&["state", "history"]).success();
    assert!(history.stdout.contains("(current)"), "{history}");
}

#[test]
fn a_hand_edited_file_is_reported_as_drift_and_restored() {
    let p = Project::fixture("lifecycle");
    apply(&p);
    let tag = output_tag(&p);
    p.write("out/tagged.txt", "edited by hand\n");

    let run = p
        .aic(&["plan", "--detailed-exitcode"])
        .code(2)
        .stdout_has("Objects have changed outside of aic")
        .stdout_has("# local_file.tagged has changed")
        .stdout_has("# local_file.tagged must be replaced")
        .stdout_has("Plan: 1 to add, 0 to change, 1 to destroy.");
    assert!(
        run.stdout
            .contains(&format!("\"tag {tag}\\n\" -> \"edited by hand\\n\"")),
        "the drift shows the recorded and the actual content:\n{run}"
    );
    let plan = p.aic(&["plan", "--format", "json"]).success().json();
    let drift = plan["drift"].as_array().expect("drift is an array");
    assert_eq!(drift.len(), 1, "{plan:#}");
    assert_eq!(drift[0]["address"], "local_file.tagged");
    // Without refresh, aic trusts the state and sees nothing to do.
    let run = p.aic(&["plan", "--refresh=false"]).success();
    assert_eq!(run.last_line(), NO_CHANGES, "{run}");

    apply(&p).stdout_has("Apply complete! Resources: 1 added, 0 changed, 1 destroyed.");
    assert_eq!(p.read("out/tagged.txt"), format!("tag {tag}\n"));
    assert_eq!(output_tag(&p), tag, "the random_id was not touched");
    assert_eq!(p.aic(&["plan"]).success().last_line(), NO_CHANGES);
}

#[test]
fn a_file_deleted_by_hand_is_created_again() {
    let p = Project::fixture("lifecycle");
    apply(&p);
    std::fs::remove_file(p.file("out/greeting.txt")).expect("delete the file");

    p.aic(&["plan", "--detailed-exitcode"])
        .code(2)
        .stdout_has("Objects have changed outside of aic")
        .stdout_has("# local_file.greeting has been deleted")
        .stdout_has("# local_file.greeting will be created")
        .stdout_has("Plan: 1 to add, 0 to change, 0 to destroy.");
    apply(&p).stdout_has("Apply complete! Resources: 1 added, 0 changed, 0 destroyed.");
    assert_eq!(p.read("out/greeting.txt"), "hello\n");
    assert_eq!(p.state_list(None).len(), 4);
    assert_eq!(p.aic(&["plan"]).success().last_line(), NO_CHANGES);
}

#[test]
fn apply_without_auto_approve_and_without_a_terminal_refuses() {
    let p = Project::fixture("lifecycle");
    p.aic(&["apply"]).failure().stderr_has("--auto-approve");
    assert!(!p.exists("out"), "nothing was applied");
    assert!(p.state_list(None).is_empty());
}

#[test]
fn a_failed_operation_stops_only_what_depends_on_it() {
    let p = Project::with_main(
        r#"resource local_file good {
  filename = "out/good.txt"
  content  = "good\n"
}

resource local_file bad {
  filename = "out/blocked/bad.txt"
  content  = "bad\n"
}

resource local_file after_bad {
  filename = "out/after-bad.txt"
  content  = "after ${local_file.bad.id}\n"
}
"#,
    );
    // A plain file where the configuration needs a directory.
    p.write("out/blocked", "in the way\n");

    let run = p
        .aic(&["apply", "--auto-approve"])
        .failure()
        .stderr_has("Apply finished with errors.")
        .stderr_has("failed: local_file.bad")
        .stderr_has("is a file, not a directory")
        .stderr_has("skipped: local_file.after_bad")
        .stdout_has("Apply failed! Resources: 1 added, 0 changed, 0 destroyed.");
    assert!(!run.stdout.contains("Apply complete!"), "{run}");
    assert_eq!(
        p.read("out/good.txt"),
        "good\n",
        "independent work finished"
    );
    assert!(
        !p.exists("out/after-bad.txt"),
        "dependent work did not start"
    );
    assert_eq!(p.state_list(None), ["local_file.good"]);

    // Once the obstacle is gone, the rest is applied.
    std::fs::remove_file(p.file("out/blocked")).expect("remove the obstacle");
    p.aic(&["apply", "--auto-approve"])
        .success()
        .stdout_has("Apply complete! Resources: 2 added, 0 changed, 0 destroyed.");
    assert_eq!(p.read("out/blocked/bad.txt"), "bad\n");
    assert_eq!(p.state_list(None).len(), 3);
}

#[test]
fn an_import_block_without_an_id_is_an_error_not_ignored() {
    let p = Project::with_main(
        r#"
resource local_file f {
  filename = "out/f.txt"
  content  = "x"
}

import {
  to = local_file.f
}
"#,
    );
    p.aic(&["plan"])
        .failure()
        .stderr_has("E0260")
        .stderr_has("`import` needs `id`");
    assert!(!p.exists(".aic/state/default.json"));
}

#[test]
fn a_failed_create_before_destroy_keeps_the_old_object_in_the_state() {
    let p = Project::with_main(
        r#"
variable name: string = "out/old.txt"

resource local_file f {
  filename = var.name
  content  = "x"
  lifecycle {
    create_before_destroy = true
  }
}
"#,
    );
    apply(&p).success();
    // A regular file where the new file's directory should be: the create fails.
    p.write("out/blocker", "not a directory");
    p.aic(&[
        "apply",
        "--auto-approve",
        "--var",
        "name=out/blocker/new.txt",
    ])
    .failure();
    // The old file is still there, and so is its record: nothing was forgotten.
    assert_eq!(p.read("out/old.txt"), "x");
    assert_eq!(p.state_list(None), ["local_file.f"]);
    assert_eq!(
        p.state_attributes("local_file.f", None)["filename"],
        "out/old.txt"
    );
    p.aic(&["plan", "--detailed-exitcode"]).success();
}
