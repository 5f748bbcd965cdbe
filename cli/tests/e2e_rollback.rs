//! End to end: `aic rollback` puts the infrastructure back as a kept state version
//! recorded it. Runs the real `aic` binary on temporary configurations of built-in
//! resources; `local_file` objects are compared attribute by attribute (their id is
//! derived from their content) and their files on disk are read back.

mod e2e_common;

use e2e_common::Project;
use serde_json::Value;

/// Version 1: files a and b (b depends on a), a random id and a pause whose
/// `destroy_duration` is updated in place between versions.
const V1: &str = r#"resource local_file a {
  filename = "out/a.txt"
  content  = "a, first version\n"
}

resource local_file b {
  filename = "out/b.txt"
  content  = "b sits next to ${local_file.a.filename}\n"
}

resource random_id tag {
  byte_length = 4
}

resource time_sleep pause {
  create_duration  = "0s"
  destroy_duration = "0s"
}

output a_id = local_file.a.id
output tag  = random_id.tag.hex
"#;

/// Version 2: a changed (a replacement: every `local_file` argument forces one), b
/// removed, c added, the pause updated in place, an output gone and one added.
const V2: &str = r#"resource local_file a {
  filename = "out/a.txt"
  content  = "a, second version\n"
}

resource local_file c {
  filename = "out/c.txt"
  content  = "c came with version 2 after ${local_file.a.filename}\n"
}

resource random_id tag {
  byte_length = 4
}

resource time_sleep pause {
  create_duration  = "0s"
  destroy_duration = "1ms"
}

output a_id = local_file.a.id
output c_id = local_file.c.id
"#;

fn state(p: &Project, env: &str) -> Value {
    let text = std::fs::read_to_string(p.state_file(env)).expect("the state file");
    serde_json::from_str(&text).expect("the state file is JSON")
}

/// The resource entries of a state by address.
fn resources(state: &Value) -> Vec<(String, Value)> {
    state["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| {
            (
                r["address"].as_str().expect("address").to_owned(),
                r.clone(),
            )
        })
        .collect()
}

/// Asserts `got` holds exactly the resource instances of `want`, each with the same
/// attributes (compared one by one), configuration, dependencies and sensitive paths.
fn assert_same_resources(got: &Value, want: &Value) {
    let (got, want) = (resources(got), resources(want));
    let names = |v: &[(String, Value)]| v.iter().map(|(a, _)| a.clone()).collect::<Vec<_>>();
    assert_eq!(names(&got), names(&want), "the same instances");
    for ((addr, g), (_, w)) in got.iter().zip(&want) {
        let (ga, wa) = (
            g["attributes"].as_object().expect("attributes"),
            w["attributes"].as_object().expect("attributes"),
        );
        assert_eq!(
            ga.keys().collect::<Vec<_>>(),
            wa.keys().collect::<Vec<_>>(),
            "{addr}: the same attribute names"
        );
        for (name, value) in wa {
            assert_eq!(ga.get(name), Some(value), "{addr}.{name}");
        }
        for field in [
            "applied_config",
            "dependencies",
            "sensitive_paths",
            "type",
            "provider",
        ] {
            assert_eq!(g[field], w[field], "{addr}: {field}");
        }
        assert_eq!(g, w, "{addr}: the whole entry");
    }
}

/// A project applied at version 1 (serial 1) and then version 2 (serial 2); returns
/// the state file of each version.
fn applied_twice() -> (Project, Value, Value) {
    let p = Project::with_main(V1);
    p.aic(&["apply", "--auto-approve"]).success();
    let v1 = state(&p, "default");
    p.write("main.aic", V2);
    p.aic(&["apply", "--auto-approve"]).success();
    let v2 = state(&p, "default");
    assert_eq!(
        (v1["serial"].as_u64(), v2["serial"].as_u64()),
        (Some(1), Some(2))
    );
    (p, v1, v2)
}

#[test]
fn every_apply_path_records_the_configuration_it_applied() {
    let (_p, v1, v2) = applied_twice();
    let entry = |s: &Value, addr: &str| {
        resources(s)
            .into_iter()
            .find(|(a, _)| a == addr)
            .unwrap_or_else(|| panic!("{addr} in the state"))
            .1
    };
    // Created.
    assert_eq!(
        entry(&v1, "local_file.b")["applied_config"],
        serde_json::json!({"filename": "out/b.txt", "content": "b sits next to out/a.txt\n"})
    );
    assert_eq!(
        entry(&v1, "local_file.b")["dependencies"],
        serde_json::json!(["local_file.a"])
    );
    // Replaced.
    assert_eq!(
        entry(&v2, "local_file.a")["applied_config"],
        serde_json::json!({"filename": "out/a.txt", "content": "a, second version\n"})
    );
    // Updated in place.
    assert_eq!(
        entry(&v2, "time_sleep.pause")["applied_config"],
        serde_json::json!({"create_duration": "0s", "destroy_duration": "1ms"})
    );
    // Left alone: still the configuration it was applied with.
    assert_eq!(
        entry(&v2, "random_id.tag")["applied_config"],
        serde_json::json!({"byte_length": 4})
    );
}

#[test]
fn rollback_restores_the_previous_version_and_can_itself_be_rolled_back() {
    let (p, v1, v2) = applied_twice();
    assert_eq!(
        p.read("out/c.txt"),
        "c came with version 2 after out/a.txt\n"
    );
    assert!(!p.exists("out/b.txt"));

    let run = p
        .aic(&["rollback", "--auto-approve"])
        .success()
        .stdout_has("Rolling back environment `default` from serial 2 to serial 1.")
        .stdout_has("# local_file.a must be replaced")
        .stdout_has("# local_file.b will be created")
        .stdout_has("# local_file.c will be destroyed")
        .stdout_has("# time_sleep.pause will be updated in-place")
        .stdout_has("Plan: 2 to add, 1 to change, 2 to destroy.")
        .stdout_has("Rollback complete! Resources: 2 added, 1 changed, 2 destroyed.")
        .stdout_has("is back at serial 1, written as serial 3");
    assert!(
        !run.stdout.contains("random_id.tag will") && !run.stdout.contains("random_id.tag must"),
        "an unchanged object is left alone:\n{run}"
    );

    // The state: a new version, of the same lineage, holding version 1's objects.
    let v3 = state(&p, "default");
    assert_eq!(v3["serial"], 3);
    assert_eq!(v3["lineage"], v1["lineage"]);
    assert_same_resources(&v3, &v1);
    assert_eq!(v3["outputs"], v1["outputs"], "outputs are version 1's");
    // The files on disk are version 1's.
    assert_eq!(p.read("out/a.txt"), "a, first version\n");
    assert_eq!(p.read("out/b.txt"), "b sits next to out/a.txt\n");
    assert!(!p.exists("out/c.txt"), "c was destroyed");
    assert_eq!(p.files_in("out"), ["a.txt", "b.txt"]);
    // History keeps the version rolled back from.
    let history = p.aic(&["state", "history"]).success();
    for serial in ["1", "2", "3"] {
        assert!(
            history
                .stdout
                .lines()
                .any(|l| l.split_whitespace().next() == Some(serial)),
            "serial {serial} is kept:\n{history}"
        );
    }
    // The audit log has the rollback.
    let audit = p.read(".aic/audit/default.jsonl");
    let last: Value = serde_json::from_str(audit.lines().last().expect("an audit line"))
        .expect("an audit line is JSON");
    assert_eq!(last["operation"], "rollback");
    assert_eq!(last["environment"], "default");
    assert_eq!(last["serial_before"], 2);
    assert_eq!(last["serial_after"], 3);
    assert_eq!(
        last["summary"],
        serde_json::json!({"add": 2, "change": 1, "destroy": 2, "failed": 0})
    );
    assert_eq!(last["who"], "e2e-user");

    // The rollback of the rollback (to serial 2, the version before the current one)
    // returns to version 2.
    p.aic(&["rollback", "--auto-approve"])
        .success()
        .stdout_has("Rolling back environment `default` from serial 3 to serial 2.")
        .stdout_has("Rollback complete!");
    let v4 = state(&p, "default");
    assert_eq!(v4["serial"], 4);
    assert_same_resources(&v4, &v2);
    assert_eq!(v4["outputs"], v2["outputs"]);
    assert_eq!(p.read("out/a.txt"), "a, second version\n");
    assert_eq!(
        p.read("out/c.txt"),
        "c came with version 2 after out/a.txt\n"
    );
    assert!(!p.exists("out/b.txt"));
    // The configuration is version 2, and so is the infrastructure again.
    p.aic(&["plan"])
        .success()
        .stdout_has("No changes. Your infrastructure matches the configuration.");
}

#[test]
fn rollback_to_an_explicit_serial_and_to_the_current_one() {
    let (p, v1, _) = applied_twice();
    p.write("main.aic", V1);
    p.aic(&["apply", "--auto-approve"]).success();
    // Serial 3 equals version 1 again; going to 2 and then explicitly to 1.
    p.aic(&["rollback", "--to", "2", "--auto-approve"])
        .success()
        .stdout_has("from serial 3 to serial 2");
    p.aic(&["rollback", "--to", "1", "--auto-approve"])
        .success()
        .stdout_has("from serial 4 to serial 1");
    assert_same_resources(&state(&p, "default"), &v1);
    assert_eq!(p.read("out/a.txt"), "a, first version\n");
    // Already there: nothing is written.
    p.aic(&["rollback", "--to", "5", "--auto-approve"])
        .success()
        .stdout_has("is at serial 5 already");
    assert_eq!(state(&p, "default")["serial"], 5);
}

#[test]
fn an_unknown_serial_is_refused_listing_the_kept_ones() {
    let (p, _, _) = applied_twice();
    let before = std::fs::read(p.state_file("default")).expect("state");
    p.aic(&["rollback", "--to", "7", "--auto-approve"])
        .failure()
        .stderr_has("E0643")
        .stderr_has("State version not kept")
        .stderr_has("keeps no version with serial 7. Kept versions: 1 (current: 2).")
        .stderr_has("History keeps the last 50 versions")
        .stdout_lacks("Rollback complete");
    assert_eq!(
        std::fs::read(p.state_file("default")).expect("state"),
        before,
        "the state is untouched"
    );
    assert_eq!(
        p.read("out/c.txt"),
        "c came with version 2 after out/a.txt\n"
    );
    assert!(
        !p.exists(".aic/audit/default.jsonl")
            || !p.read(".aic/audit/default.jsonl").contains("rollback")
    );
    assert!(!p.lock_file("default").exists(), "the lock is released");
}

#[test]
fn without_an_earlier_version_there_is_nothing_to_roll_back_to() {
    let p = Project::with_main(V1);
    p.aic(&["rollback", "--auto-approve"])
        .failure()
        .stderr_has("has no state yet");
    p.aic(&["apply", "--auto-approve"]).success();
    p.aic(&["rollback", "--auto-approve"])
        .failure()
        .stderr_has("E0640")
        .stderr_has("keeps no version before the current one (serial 1)");
}

#[test]
fn rollback_asks_unless_approved() {
    let (p, _, _) = applied_twice();
    let before = std::fs::read(p.state_file("default")).expect("state");
    // No terminal on stdin: refused rather than applied unasked.
    p.aic(&["rollback"])
        .failure()
        .stdout_has("Rolling back environment `default` from serial 2 to serial 1.")
        .stderr_has("refusing to roll back without confirmation");
    assert_eq!(
        std::fs::read(p.state_file("default")).expect("state"),
        before
    );
}

const PROTECTED: &str = r#"environment prod {
  regions   = ["local"]
  protected = true
}

resource local_file keep {
  filename = "out/keep.txt"
  content  = "kept\n"
}
"#;

#[test]
fn a_protected_environment_refuses_a_destroying_rollback_without_allow_destroy() {
    let p = Project::with_main(PROTECTED);
    p.aic(&["apply", "--env", "prod", "--auto-approve"])
        .success();
    let v1 = state(&p, "prod");
    // Version 2 only adds: allowed in a protected environment.
    p.write(
        "main.aic",
        &format!("{PROTECTED}\nresource local_file extra {{\n  filename = \"out/extra.txt\"\n  content  = \"extra\\n\"\n}}\n"),
    );
    p.aic(&["apply", "--env", "prod", "--auto-approve"])
        .success();
    let before = std::fs::read(p.state_file("prod")).expect("state");
    // Rolling back destroys `extra`: refused, nothing changed.
    p.aic(&["rollback", "--env", "prod", "--auto-approve"])
        .failure()
        .stderr_has("E0630")
        .stderr_has("Environment `prod` is protected and rolling back to serial 1 would destroy `local_file.extra`")
        .stderr_has("--allow-destroy");
    assert_eq!(std::fs::read(p.state_file("prod")).expect("state"), before);
    assert_eq!(p.read("out/extra.txt"), "extra\n");
    // With --allow-destroy it goes through.
    p.aic(&[
        "rollback",
        "--env",
        "prod",
        "--auto-approve",
        "--allow-destroy",
    ])
    .success()
    .stdout_has("Rolling back environment `prod` from serial 2 to serial 1.")
    .stdout_has("Rollback complete! Resources: 0 added, 0 changed, 1 destroyed.");
    assert!(!p.exists("out/extra.txt"));
    assert_same_resources(&state(&p, "prod"), &v1);
}

#[test]
fn a_locked_state_makes_rollback_fail_naming_the_holder_or_wait() {
    let (p, v1, _) = applied_twice();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    // Held by this (living) test process, as another aic would hold it.
    let lock = serde_json::json!({
        "id": "4b1c7a52-0000-4000-8000-000000000001",
        "who": "lock-holder",
        "host": host,
        "pid": std::process::id(),
        "operation": "apply",
        "created": "2026-01-01T00:00:00Z",
    });
    p.write(".aic/state/default.lock", &lock.to_string());
    let before = std::fs::read(p.state_file("default")).expect("state");
    p.aic(&["rollback", "--auto-approve", "--lock-timeout", "1s"])
        .failure()
        .stderr_has("the state of environment `default` is locked by lock-holder@")
        .stderr_has("for `apply`")
        .stderr_has("aic state unlock 4b1c7a52-0000-4000-8000-000000000001");
    assert_eq!(
        std::fs::read(p.state_file("default")).expect("state"),
        before
    );
    // With a long timeout it waits for the holder to let go, then rolls back.
    let mut waiter = p.spawn(&["rollback", "--auto-approve", "--lock-timeout", "5m"]);
    // It says whom it waits for before waiting, and writes nothing meanwhile.
    waiter.wait_for_stderr(
        "Waiting for the state lock of environment `default`, held by lock-holder@",
    );
    let said = waiter.stderr_so_far();
    assert!(
        said.contains("for `aic apply` since 2026-01-01T00:00:00Z; giving up after 5m"),
        "{said}"
    );
    waiter.assert_running("the lock to be released");
    assert!(
        std::fs::read(p.state_file("default")).expect("state") == before,
        "nothing happens while the lock is held"
    );
    std::fs::remove_file(p.lock_file("default")).expect("release the lock");
    waiter.wait().success().stdout_has("Rollback complete!");
    assert_same_resources(&state(&p, "default"), &v1);
}

#[test]
fn an_imported_object_is_recreated_from_its_attributes() {
    let p = Project::with_main(
        "resource local_file adopted {\n  filename = \"out/adopted.txt\"\n  content  = \"made by hand\\n\"\n}\n",
    );
    p.write("out/adopted.txt", "made by hand\n");
    p.aic(&["import", "local_file.adopted", "out/adopted.txt"])
        .success();
    let imported = state(&p, "default");
    assert_eq!(
        resources(&imported)[0].1["applied_config"]["content"],
        "made by hand\n",
        "an import records the configuration its attributes describe"
    );
    p.edit("main.aic", "made by hand", "made by aic");
    p.aic(&["apply", "--auto-approve"]).success();
    assert_eq!(p.read("out/adopted.txt"), "made by aic\n");
    p.aic(&["rollback", "--auto-approve"])
        .success()
        .stdout_has("# local_file.adopted must be replaced");
    assert_eq!(p.read("out/adopted.txt"), "made by hand\n");
    let now = state(&p, "default");
    assert_eq!(
        resources(&now)[0].1["attributes"],
        resources(&imported)[0].1["attributes"]
    );
}

#[test]
fn ignored_changes_are_neither_applied_nor_recorded_as_applied() {
    let p = Project::with_main(
        r#"resource time_sleep t {
  create_duration  = "0s"
  destroy_duration = "0s"
  lifecycle {
    ignore_changes = [create_duration]
  }
}
"#,
    );
    p.aic(&["apply", "--auto-approve"]).success();
    p.edit(
        "main.aic",
        "create_duration  = \"0s\"",
        "create_duration  = \"1ms\"",
    );
    p.edit(
        "main.aic",
        "destroy_duration = \"0s\"",
        "destroy_duration = \"1ms\"",
    );
    p.aic(&["apply", "--auto-approve"])
        .success()
        .stdout_has("~ destroy_duration = \"0s\" -> \"1ms\"")
        .stdout_lacks("create_duration =");
    // Applied as planned: the ignored attribute kept its value, in the object and in
    // the configuration recorded as applied (which a rollback would use).
    let s = state(&p, "default");
    let (_, t) = &resources(&s)[0];
    assert_eq!(t["attributes"]["create_duration"], "0s");
    assert_eq!(t["attributes"]["destroy_duration"], "1ms");
    assert_eq!(
        t["applied_config"],
        serde_json::json!({"create_duration": "0s", "destroy_duration": "1ms"})
    );
}
