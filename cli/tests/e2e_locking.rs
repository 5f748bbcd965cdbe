//! End to end: the environment lock. While one `aic apply` holds it (a `time_sleep` keeps
//! it busy), a second one with a short `--lock-timeout` fails naming the holder, and one
//! with a long timeout waits and then succeeds. Runs the real `aic` binary on a copy of
//! `tests/fixtures/e2e/slow`.

mod e2e_common;

use e2e_common::{unlock_id, Project};

#[test]
fn a_second_writer_fails_naming_the_holder_or_waits_for_it() {
    let p = Project::fixture("slow");
    let mut holder_cmd = p.command(&["apply", "--auto-approve"]);
    holder_cmd.env("USER", "lock-holder");
    let mut holder = p.spawn_cmd(holder_cmd, &["apply", "--auto-approve"]);
    // The holder has the lock once it started its first operation.
    holder.wait_for_stderr("time_sleep.hold: Creating...");
    assert!(p.lock_file("default").exists());

    // A short timeout: refused, naming who holds the lock and how to break it.
    let refused = p
        .aic(&["apply", "--auto-approve", "--lock-timeout", "1s"])
        .failure()
        .stderr_has("the state of environment `default` is locked by lock-holder@")
        .stderr_has(&format!("(pid {})", holder.pid()))
        .stderr_has("for `apply`")
        .stderr_has("--lock-timeout")
        .stderr_has("aic state unlock");
    assert!(
        !refused.err_words().contains("looks stale"),
        "the holder runs, so its lock is not stale:\n{refused}"
    );
    let id = unlock_id(&refused);
    let lock: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p.lock_file("default")).expect("lock"))
            .expect("the lock file is JSON");
    assert_eq!(lock["id"], id.as_str(), "the message names the lock's id");
    assert!(!refused.stdout.contains("Apply complete!"), "{refused}");
    // `aic state rm` is a writer too.
    p.aic(&["state", "rm", "local_file.after"])
        .failure()
        .stderr_has("is locked by lock-holder@");

    // A long timeout: waits for the holder, then finds nothing left to do.
    let waiter = p.spawn(&["apply", "--auto-approve", "--lock-timeout", "5m"]);
    let holder = holder.wait().success();
    assert!(
        holder
            .stdout
            .contains("Apply complete! Resources: 2 added, 0 changed, 0 destroyed."),
        "{holder}"
    );
    // It waited rather than failing, and planned only after the holder's apply.
    let waited = waiter.wait().success();
    assert!(
        waited
            .stdout
            .contains("No changes. Your infrastructure matches the configuration."),
        "{waited}"
    );
    assert!(!p.lock_file("default").exists(), "every lock was released");
    assert_eq!(p.state_list(None), ["local_file.after", "time_sleep.hold"]);
    assert_eq!(p.read("out/after.txt"), "written after the pause (5s)\n");
}

#[test]
fn reading_commands_do_not_wait_for_the_lock() {
    let p = Project::fixture("slow");
    let mut holder = p.spawn(&["apply", "--auto-approve"]);
    holder.wait_for_stderr("time_sleep.hold: Creating...");
    // plan, state list and show only read: they answer while the apply runs, and do not
    // take the running apply for an interrupted one.
    p.aic(&["plan"])
        .success()
        .stdout_has("to add, 0 to change, 0 to destroy.")
        .stdout_lacks("tainted")
        .stderr_lacks("interrupted");
    p.aic(&["state", "list"])
        .success()
        .stderr_lacks("interrupted");
    p.aic(&["show"]).success().stderr_lacks("interrupted");
    holder.assert_running("the reading commands to answer");
    holder.wait().success();
}

#[test]
fn a_lock_left_by_a_killed_apply_is_reported_stale_and_can_be_broken() {
    let p = Project::fixture("slow");
    let mut holder = p.spawn(&["apply", "--auto-approve"]);
    holder.wait_for_stderr("time_sleep.hold: Creating...");
    holder.signal(libc::SIGKILL);
    let killed = holder.wait();
    assert_eq!(killed.code, None, "killed by a signal:\n{killed}");
    assert!(
        p.lock_file("default").exists(),
        "a killed process leaves its lock"
    );
    // A lock without an OS lock (as an older aic wrote them) is the case still broken by
    // hand; one with an OS lock is taken over by itself (cli/tests/e2e_crash.rs).
    let lock_path = p.lock_file("default");
    let mut lock: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&lock_path).unwrap()).unwrap();
    assert_eq!(lock["os_lock"], true, "{lock}");
    lock.as_object_mut().unwrap().remove("os_lock");
    std::fs::write(&lock_path, serde_json::to_vec(&lock).unwrap()).unwrap();

    let refused = p
        .aic(&["apply", "--auto-approve"])
        .failure()
        .stderr_has("that process no longer runs, the lock looks stale")
        .stderr_has("aic state unlock");
    let id = unlock_id(&refused);

    p.aic(&["state", "unlock", "not-the-id"])
        .failure()
        .stderr_has(&format!(
            "does not match the lock held on environment `default` (id `{id}`)"
        ));
    p.aic(&["state", "unlock", &id])
        .success()
        .stdout_has(&format!("Lock {id} held by"))
        .stdout_has("was removed");
    assert!(!p.lock_file("default").exists());
    p.aic(&["state", "unlock", &id])
        .failure()
        .stderr_has("is not locked");

    // Recovery: the create the kill interrupted is done again and the apply completes.
    // A pause exists only in the state, so nothing can have been orphaned: it is simply
    // created (objects outside the state are covered by e2e_crash).
    let run = p
        .aic(&["apply", "--auto-approve"])
        .success()
        .stderr_lacks("interrupted run")
        .stdout_has("Plan: 2 to add, 0 to change, 0 to destroy.")
        .stdout_has("Apply complete!");
    assert!(
        run.stderr.contains("time_sleep.hold: Creation complete"),
        "{run}"
    );
    assert!(p.exists("out/after.txt"));
    assert_eq!(p.state_list(None), ["local_file.after", "time_sleep.hold"]);
    let id = &p.state_attributes("time_sleep.hold", None)["id"];
    assert!(id.is_string(), "the pause was really created: id {id}");
    // Once recovered, nothing is left to reconcile and nothing is warned about.
    let run = p.aic(&["plan"]).success().stderr_lacks("interrupted run");
    assert_eq!(
        run.last_line(),
        "No changes. Your infrastructure matches the configuration.",
        "{run}"
    );
}
