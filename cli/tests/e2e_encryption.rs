//! End to end through the `aic` binary: client-side state encryption, the backend's
//! `encryption` block (docs/state.md, *Encryption*).
//!
//! With a key configured, the state, its kept versions, the journal of an interrupted
//! apply and saved plans are sealed (AES-256-GCM) in every backend: no file the project
//! writes and nothing PostgreSQL or S3 stores holds a sensitive value in clear text. The
//! wrong key, a tampered file, clear text under encryption and a missing key are refused,
//! changing nothing; `aic state encrypt`, `decrypt` and `rekey` move a project in and out
//! of encryption and rotate its key.

mod remote_backends;

use std::path::{Path, PathBuf};

use aic_provider_testkit::aic;
use aic_provider_testkit::runner::{unlock_id, Aic, Project, Run};
use remote_backends::{
    bucket_of, holds, postgres_backend, s3_backend, unique, with_inner, Moto, Postgres,
};

/// 32 bytes of 1, and of 2, in base64.
const KEY_A: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
const KEY_B: &str = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";

const ENCRYPTED: &str = "encryption {\n    key = env_var(\"AIC_STATE_KEY\")\n  }";

/// A configuration with a sensitive variable kept in the state (a trigger and an output).
fn config(backend: &str) -> String {
    format!(
        r#"
{backend}

variable pw: string {{ sensitive = true }}
variable hold: string = "60s"

resource null_resource secret {{
  triggers = {{ pw = var.pw }}
}}

resource local_file marker {{
  filename = "out/marker.txt"
  content  = "after ${{null_resource.secret.id}}\n"
}}

resource time_sleep hold {{
  create_duration = var.hold
  depends_on      = [local_file.marker]
}}

output pw = var.pw {{
  sensitive = true
}}
"#
    )
}

fn local(inner: &str) -> String {
    format!("backend local {{\n  {inner}\n}}")
}

/// Every file under `dir`, recursively.
fn every_file(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The files of `p` that hold any of `secrets` in clear text.
fn files_holding(p: &Project, secrets: &[&str]) -> Vec<String> {
    every_file(p.path())
        .into_iter()
        .filter(|f| {
            let text = String::from_utf8_lossy(&std::fs::read(f).expect("read")).into_owned();
            secrets.iter().any(|s| holds(&text, s))
        })
        .map(|f| f.display().to_string())
        .collect()
}

fn is_sealed(bytes: &str) -> bool {
    bytes.trim_start().starts_with("{\"aic_encrypted\":")
}

/// Runs `args` (a command that takes the lock); when a killed holder left its lock (S3
/// keeps it), breaks it with the id the refusal names and runs again.
fn after_a_crash(p: &Project, args: &[String]) -> Run {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = p.aic(&args);
    if run.code == Some(0) || !run.stderr.contains("E0604") {
        return run.success();
    }
    p.aic(&["state", "unlock", &unlock_id(&run)]).success();
    p.aic(&args).success()
}

/// An encrypted project through a killed apply (its journal holds the first secret),
/// its recovery, a saved plan, a second secret and history: neither secret is in clear
/// text in any file of the project, nor in what `stored()` returns (the rows or objects
/// of a remote backend), at any of these points. Without encryption the same apply
/// (in `control`, a backend of the same kind holding no state yet) leaves the secret in
/// clear text there: the search can fail.
fn no_secret_in_clear(aic: &Aic, backend: &str, control: &str, stored: &dyn Fn() -> String) {
    let first = unique("TOPSECRET-one-");
    let second = unique("TOPSECRET-two-");
    let keyed = aic.clone().env("AIC_STATE_KEY", KEY_A);
    let p = Project::with_main(&keyed, &config(&with_inner(backend, ENCRYPTED)));
    let pw = format!("pw={first}");
    let assert_no_secret = |when: &str| {
        let leaks = files_holding(&p, &[&first, &second]);
        assert!(
            leaks.is_empty(),
            "{when}: secrets in clear text in {leaks:?}"
        );
        let remote = stored();
        assert!(
            !holds(&remote, &first) && !holds(&remote, &second),
            "{when}: the backend stores a secret in clear text:\n{remote}"
        );
    };

    let mut run = p.spawn(&["apply", "--auto-approve", "--var", &pw]);
    run.wait_for_stderr("time_sleep.hold: Creating...");
    run.signal(libc::SIGKILL);
    assert_eq!(run.wait().code, None, "killed by a signal");
    assert_no_secret("after a killed apply");
    // What the journal recorded is there (replayed in memory by `state pull`).
    let pulled = p.aic(&["state", "pull"]).success().stdout;
    assert!(
        pulled.contains(&first),
        "the journal recorded null_resource.secret: {pulled}"
    );

    let fast = ["--var", pw.as_str(), "--var", "hold=1s"];
    let with_fast = |args: &[&'static str]| -> Vec<String> {
        args.iter().chain(&fast).map(|s| s.to_string()).collect()
    };
    p.aic(
        &with_fast(&["plan", "--out", "plan.bin"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    )
    .success();
    let plan = std::fs::read_to_string(p.file("plan.bin")).expect("plan file");
    assert!(is_sealed(&plan), "the saved plan is encrypted: {plan}");
    p.aic(&["show", "plan.bin"])
        .success()
        .stdout_has("time_sleep.hold");
    after_a_crash(&p, &with_fast(&["apply", "plan.bin"])).stdout_has("Apply complete!");
    assert_no_secret("after applying a saved plan");
    let pw2 = format!("pw={second}");
    p.aic(&["apply", "--auto-approve", "--var", &pw2, "--var", "hold=1s"])
        .success()
        .stdout_has("Apply complete!");
    let state = p.aic(&["state", "pull"]).success().stdout;
    assert!(
        state.contains(&second),
        "the state holds the value: {state}"
    );
    assert_no_secret("after a second apply (the first secret in history)");

    // The control: without encryption the secret is where the search looks.
    let plain = Project::with_main(aic, &config(control));
    plain
        .aic(&["apply", "--auto-approve", "--var", &pw, "--var", "hold=1s"])
        .success();
    assert!(
        !files_holding(&plain, &[&first]).is_empty() || holds(&stored(), &first),
        "an unencrypted state holds the secret in clear text"
    );
}

#[test]
fn no_file_of_an_encrypted_local_project_holds_a_secret() {
    no_secret_in_clear(&aic!(), &local(""), &local(""), &String::new);
}

#[test]
fn nothing_postgres_stores_for_an_encrypted_project_holds_a_secret() {
    let pg = Postgres::shared_or_own();
    let (aic, backend) = postgres_backend(&pg);
    let (_, control) = postgres_backend(&pg);
    no_secret_in_clear(&aic, &backend, &control, &|| pg.dump());
}

#[test]
fn nothing_s3_stores_for_an_encrypted_project_holds_a_secret() {
    let moto = Moto::shared_or_own();
    let (aic, backend) = s3_backend(&moto);
    let (_, control) = s3_backend(&moto);
    let buckets = [bucket_of(&backend), bucket_of(&control)];
    no_secret_in_clear(&aic, &backend, &control, &|| {
        buckets
            .iter()
            .flat_map(|b| moto.objects(b))
            .map(|(key, body)| format!("{key}: {body}\n"))
            .collect()
    });
}

/// A small configuration whose state holds `secret` (a null_resource's trigger).
fn small(inner: &str, secret: &str) -> String {
    format!(
        "{}\n\nresource null_resource s {{\n  triggers = {{ v = \"{secret}\" }}\n}}\n",
        local(inner)
    )
}

/// Every file under `.aic/state`, with its bytes.
fn state_files(p: &Project) -> Vec<(PathBuf, Vec<u8>)> {
    every_file(&p.file(".aic/state"))
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "json"))
        .map(|f| {
            let bytes = std::fs::read(&f).expect("read");
            (f, bytes)
        })
        .collect()
}

fn all_sealed(p: &Project) -> bool {
    let files = state_files(p);
    !files.is_empty()
        && files
            .iter()
            .all(|(_, b)| is_sealed(&String::from_utf8_lossy(b)))
}

fn none_sealed(p: &Project) -> bool {
    state_files(p)
        .iter()
        .all(|(_, b)| !is_sealed(&String::from_utf8_lossy(b)))
}

#[test]
fn the_wrong_key_a_tampered_state_and_a_missing_block_are_refused_changing_nothing() {
    let p = Project::with_main(&aic!().env("AIC_STATE_KEY", KEY_A), &small(ENCRYPTED, "v1"));
    p.aic(&["apply", "--auto-approve"]).success();
    p.edit("main.aic", "\"v1\"", "\"v2\"");
    p.aic(&["apply", "--auto-approve"]).success();
    assert!(all_sealed(&p), "state and history are encrypted");
    assert_eq!(p.state_list(None), ["null_resource.s"]);
    let before = state_files(&p);

    // Another key: both key ids named, nothing written.
    let other = Project::copy_of(&aic!().env("AIC_STATE_KEY", KEY_B), p.path());
    other
        .aic(&["apply", "--auto-approve"])
        .failure()
        .stderr_has("E0618")
        .stderr_has("fallback_key");
    other
        .aic(&["state", "decrypt"])
        .failure()
        .stderr_has("E0618");
    assert_eq!(state_files(&other).len(), before.len());
    for ((_, a), (_, b)) in state_files(&other).iter().zip(&before) {
        assert_eq!(a, b, "a refused command changes no file");
    }

    // No key in the environment: the block cannot be read, nothing is.
    Project::copy_of(&aic!(), p.path())
        .aic(&["plan"])
        .failure()
        .stderr_has("AIC_STATE_KEY");

    // No `encryption` block: E0616 says to add one.
    let unconfigured = Project::copy_of(&aic!(), p.path());
    unconfigured.write("main.aic", &small("", "v2"));
    unconfigured
        .aic(&["plan"])
        .failure()
        .stderr_has("E0616")
        .stderr_has("encryption");

    // One changed byte of the ciphertext: E0619, and the file is left as it was.
    let state = p.file(".aic/state/default.json");
    let mut bytes = std::fs::read(&state).expect("state");
    let at = String::from_utf8_lossy(&bytes)
        .find("\"data\":\"")
        .expect("data")
        + 12;
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    std::fs::write(&state, &bytes).expect("tamper");
    p.aic(&["apply", "--auto-approve"])
        .failure()
        .stderr_has("E0619");
    p.aic(&["state", "rekey"]).failure().stderr_has("E0619");
    assert_eq!(
        std::fs::read(&state).expect("state"),
        bytes,
        "left as it was"
    );
    // A kept version is intact: rollback is the way back.
    p.aic(&["state", "history"]).success().stdout_has("1");
}

#[test]
fn state_encrypt_and_decrypt_move_a_project_in_and_out_of_encryption() {
    let aic = aic!().env("AIC_STATE_KEY", KEY_A);
    let p = Project::with_main(&aic, &small("", "clear-one"));
    p.aic(&["apply", "--auto-approve"]).success();
    p.edit("main.aic", "clear-one", "clear-two");
    p.aic(&["apply", "--auto-approve"]).success();
    assert!(none_sealed(&p));
    p.aic(&["state", "encrypt"])
        .failure()
        .stderr_has("E0654")
        .stderr_has("encryption {");

    // The block is added: clear text is refused until `aic state encrypt`.
    p.write("main.aic", &small(ENCRYPTED, "clear-two"));
    p.aic(&["plan"])
        .failure()
        .stderr_has("E0617")
        .stderr_has("aic state encrypt");
    assert!(none_sealed(&p), "a refused plan writes nothing");
    p.aic(&["state", "encrypt"])
        .success()
        .stdout_has("Encrypted: 3 versions");
    assert!(all_sealed(&p), "every kept version is encrypted");
    assert!(
        state_files(&p)
            .iter()
            .all(|(_, b)| !holds(&String::from_utf8_lossy(b), "clear-")),
        "no version holds the values in clear text"
    );
    p.aic(&["plan"]).success().stdout_has("No changes.");
    p.aic(&["rollback", "--auto-approve", "--to", "1"])
        .success()
        .stdout_has("written as serial 4");
    assert!(all_sealed(&p));

    // Out again: decrypt with the block, then remove it.
    p.aic(&["state", "decrypt"])
        .success()
        .stdout_has("Decrypted: 5 versions")
        .stdout_has("Remove the `encryption` block");
    assert!(none_sealed(&p));
    p.aic(&["plan"]).failure().stderr_has("E0617");
    p.write("main.aic", &small("", "clear-one"));
    p.aic(&["plan"]).success().stdout_has("No changes.");
}

#[test]
fn rekey_rotates_every_version_from_a_passphrase_to_a_key() {
    let aic = aic!()
        .env("AIC_STATE_PASSPHRASE", "correct horse battery staple")
        .env("AIC_STATE_KEY", KEY_B);
    let by_passphrase = "encryption {\n    passphrase = env_var(\"AIC_STATE_PASSPHRASE\")\n  }";
    let p = Project::with_main(&aic, &small(by_passphrase, "r1"));
    p.aic(&["apply", "--auto-approve"]).success();
    p.edit("main.aic", "\"r1\"", "\"r2\"");
    p.aic(&["apply", "--auto-approve"]).success();
    assert!(all_sealed(&p));
    let argon = |p: &Project| {
        state_files(p)
            .iter()
            .filter(|(_, b)| String::from_utf8_lossy(b).contains("argon2id"))
            .count()
    };
    assert_eq!(argon(&p), 2, "both versions sealed with the passphrase");

    // The new key, the passphrase as fallback: everything still reads.
    let rotating = "encryption {\n    key                 = env_var(\"AIC_STATE_KEY\")\n    fallback_passphrase = env_var(\"AIC_STATE_PASSPHRASE\")\n  }";
    p.write("main.aic", &small(rotating, "r2"));
    p.aic(&["plan"]).success().stdout_has("No changes.");
    p.aic(&["state", "rekey"])
        .success()
        .stdout_has("Encrypted again with the new key: 3 versions")
        .stdout_has("remove `fallback_key`");
    assert!(all_sealed(&p));
    assert_eq!(
        argon(&p),
        0,
        "no version is sealed with the passphrase any more"
    );

    // The key alone opens every version; the passphrase alone none.
    p.write("main.aic", &small(ENCRYPTED, "r2"));
    p.aic(&["plan"]).success().stdout_has("No changes.");
    p.aic(&["rollback", "--auto-approve", "--to", "1"])
        .success();
    p.write("main.aic", &small(by_passphrase, "r1"));
    p.aic(&["plan"]).failure().stderr_has("E0618");
}

#[test]
fn a_saved_plan_is_encrypted_and_needs_the_key_to_be_shown_or_applied() {
    let p = Project::with_main(
        &aic!().env("AIC_STATE_KEY", KEY_A),
        &small(ENCRYPTED, "planned-secret"),
    );
    p.aic(&["plan", "--out", "plan.bin"]).success();
    let text = p.read("plan.bin");
    assert!(is_sealed(&text), "{text}");
    assert!(!text.contains("planned-secret"));
    p.aic(&["show", "plan.bin"])
        .success()
        .stdout_has("null_resource.s will be created");
    let other = Project::copy_of(&aic!().env("AIC_STATE_KEY", KEY_B), p.path());
    other
        .aic(&["show", "plan.bin"])
        .failure()
        .stderr_has("E0618");
    other
        .aic(&["apply", "plan.bin"])
        .failure()
        .stderr_has("E0618");
    p.aic(&["apply", "plan.bin"])
        .success()
        .stdout_has("Apply complete! Resources: 1 added");
}

#[test]
fn encryption_blocks_are_checked() {
    let check = |inner: &str| {
        Project::with_main(&aic!().env("AIC_STATE_KEY", "c2hvcnQ="), &small(inner, "x"))
            .aic(&["validate"])
            .failure()
    };
    check(ENCRYPTED)
        .stderr_has("E0624")
        .stderr_has("the key is 5 bytes long, not 32")
        .stderr_has("openssl rand -base64 32");
    check("encryption {}")
        .stderr_has("E0652")
        .stderr_has("needs `key` or `passphrase`");
    check("encryption {\n    passprase = \"a\"\n  }")
        .stderr_has("has no setting `passprase`")
        .stderr_has("Did you mean `passphrase`?");
    check("encryption {\n    key = \"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\"\n    passphrase = \"a\"\n  }")
        .stderr_has("E0652")
        .stderr_has("the first one");
    check("encrypt {}").stderr_has("has no `encrypt` block");
}
