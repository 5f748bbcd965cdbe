//! End to end: `aic rollout` with a loopback HTTP health endpoint in the test process.
//! Phases pass; a failed check rolls a phase back to the exact state before it; a
//! rollout killed with SIGKILL resumes where it stopped; waves stop or go on as the
//! failure tolerance says; blue-green keeps the old object when a check fails;
//! `--status` and `--graph` show where a rollout stands and what it will do.

mod e2e_common;
#[path = "common/health.rs"]
mod health;
#[path = "common/receiver.rs"]
mod receiver;

use e2e_common::{unlock_id, Project};
use health::Health;
use serde_json::Value;

const MODULE: &str = r#"
variable region: string
variable release: string
variable weight: number = 100

resource local_file app {
  filename = "out/${env.name}/${var.region}/app.txt"
  content  = "release ${var.release} weight ${var.weight}\n"
}

resource local_file marker {
  filename = "out/${env.name}/${var.region}/release-${var.release}.txt"
  content  = "${var.release}\n"
}

output file = local_file.app.filename
"#;

/// A configuration with environments staging (one region) and production (`regions`),
/// and `rollout` blocks given by `rollouts`.
fn project(regions: &[&str], rollouts: &str) -> Project {
    let list: Vec<String> = regions.iter().map(|r| format!("\"{r}\"")).collect();
    let p = Project::with_main(&format!(
        r#"
variable release: string = "v1"
variable health_url: string = "http://127.0.0.1:9/healthz"

environment staging {{
  regions = ["a"]
}}

environment production {{
  regions = [{}]
}}

module region {{
  source   = "./modules/region"
  for_each = toset(env.regions)
  region   = each.key
  release  = var.release
  weight   = rollout.weight
}}

{rollouts}
"#,
        list.join(", ")
    ));
    p.write("modules/region/main.aic", MODULE);
    p
}

const THREE_PHASES: &str = r#"
rollout release {
  phase beta {
    environment = staging
    check health {
      http = "${var.health_url}?phase=${rollout.phase}"
    }
  }
  phase initial {
    environment = production
    targets     = [module.region["a"]]
    strategy canary {
      steps = [10, 100]
      pause = "1h"
    }
    check health {
      http = "${var.health_url}?phase=${rollout.phase}&weight=${rollout.weight}"
    }
    check file {
      assert  = module.region["a"].file == "out/production/a/app.txt"
      message = "region a has no app file"
    }
  }
  phase global {
    environment = production
    targets     = [for r in env.regions : module.region[r]]
    strategy waves {
      size = 2
    }
    check health {
      http = "${var.health_url}?phase=${rollout.phase}&target=${rollout.target}"
    }
  }
}
"#;

fn rollout(p: &Project, h: &Health, extra: &[&str]) -> e2e_common::Run {
    let url = format!("health_url={}", h.url());
    let mut args = vec![
        "rollout",
        "release",
        "--auto-approve",
        "--no-pause",
        "--var",
        &url,
    ];
    args.extend_from_slice(extra);
    p.aic(&args)
}

fn state(p: &Project, env: &str) -> Value {
    serde_json::from_str(&p.read(&format!(".aic/state/{env}.json"))).expect("state is JSON")
}

fn phase(p: &Project, env: &str, name: &str) -> Value {
    state(p, env)["rollouts"]["release"]["phases"][name].clone()
}

/// Every resource of a state as (address, attributes), sorted.
fn resources(s: &Value) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = s["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            (
                r["address"].as_str().unwrap_or("").to_string(),
                r["attributes"].clone(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn audit_lines(p: &Project, env: &str) -> Vec<Value> {
    let path = format!(".aic/audit/{env}.jsonl");
    if !p.exists(&path) {
        return Vec::new();
    }
    p.read(&path)
        .lines()
        .map(|l| serde_json::from_str(l).expect("audit line is JSON"))
        .collect()
}

#[test]
fn a_three_phase_rollout_passes_and_records_each_phase() {
    let h = Health::start(|_| 200);
    let p = project(&["a", "b", "c"], THREE_PHASES);
    let run = rollout(&p, &h, &[]).success();
    assert!(run.stderr.contains("Rollout release complete."), "{run}");
    // Files of every targeted region, at weight 100 in the end.
    assert_eq!(p.read("out/staging/a/app.txt"), "release v1 weight 100\n");
    for r in ["a", "b", "c"] {
        assert_eq!(
            p.read(&format!("out/production/{r}/app.txt")),
            "release v1 weight 100\n"
        );
    }
    // The canary went through 10 then 100; the waves checked each region.
    let reqs = h.requests();
    let pos = |needle: &str| {
        reqs.iter()
            .position(|r| r.contains(needle))
            .unwrap_or_else(|| panic!("no request with {needle}: {reqs:?}"))
    };
    assert!(pos("phase=beta") < pos("weight=10"));
    assert!(pos("weight=10") < pos("weight=100"));
    assert!(pos("weight=100") < pos("target=a"));
    assert!(pos("target=b") < pos("target=c"));
    // Progress in each environment's state.
    let beta = phase(&p, "staging", "beta");
    assert_eq!(beta["status"], "succeeded");
    assert_eq!(beta["who"], "e2e-user");
    for name in ["initial", "global"] {
        let r = phase(&p, "production", name);
        assert_eq!(r["status"], "succeeded", "{name}: {r}");
        assert!(
            r["serial_before"].as_u64() < r["serial_after"].as_u64(),
            "{r}"
        );
        assert!(r["started"].as_str().is_some_and(|s| s.ends_with('Z')));
    }
    let initial = phase(&p, "production", "initial");
    assert_eq!(
        initial["checks"].as_array().map(Vec::len),
        Some(4),
        "{initial}"
    );
    let global = phase(&p, "production", "global");
    assert_eq!(global["targets"]["module.region[\"c\"]"], "succeeded");
    // One audit line per phase.
    let staging = audit_lines(&p, "staging");
    let rollout_lines: Vec<&Value> = staging
        .iter()
        .filter(|l| l["operation"] == "rollout")
        .collect();
    assert_eq!(rollout_lines.len(), 1, "{staging:?}");
    assert_eq!(rollout_lines[0]["detail"]["phase"], "beta");
    let prod: Vec<String> = audit_lines(&p, "production")
        .iter()
        .filter(|l| l["operation"] == "rollout")
        .map(|l| format!("{}:{}", l["detail"]["phase"], l["detail"]["outcome"]))
        .collect();
    assert_eq!(
        prod,
        vec!["\"initial\":\"succeeded\"", "\"global\":\"succeeded\""]
    );
    // Status table.
    let st = p.aic(&["rollout", "release", "--status"]).success();
    let lines: Vec<&str> = st.stdout.lines().collect();
    assert!(lines[1].starts_with("PHASE"), "{st}");
    assert!(
        lines[2].starts_with("beta") && lines[2].contains("succeeded"),
        "{st}"
    );
    assert!(
        lines[3].contains("canary") && lines[3].contains("checks 4/4 passed"),
        "{st}"
    );
    assert!(
        lines[4].contains("waves") && lines[4].contains("targets 3/3 succeeded"),
        "{st}"
    );
    assert!(lines[4].contains("e2e-user@"), "{st}");
}

#[test]
fn a_failed_check_rolls_the_phase_back_to_the_exact_state_before_it() {
    let h = Health::start(|t| {
        if t.contains("phase=initial") {
            503
        } else {
            200
        }
    });
    let p = project(&["a", "b"], THREE_PHASES);
    p.aic(&["apply", "--env", "production", "--auto-approve"])
        .success();
    let before = state(&p, "production");
    let files_before = p.files_in("out/production/a");
    assert_eq!(files_before, vec!["app.txt", "release-v1.txt"]);
    let run = rollout(&p, &h, &["--var", "release=v2"]).failure();
    assert!(run.stderr.contains("Phase initial failed"), "{run}");
    assert!(run.stderr.contains("503, expected 200"), "{run}");
    assert!(run.stderr.contains("was rolled back"), "{run}");
    // Beta went through; initial was rolled back; global never ran.
    assert_eq!(phase(&p, "staging", "beta")["status"], "succeeded");
    let initial = phase(&p, "production", "initial");
    assert_eq!(initial["status"], "rolled_back", "{initial}");
    assert_eq!(initial["serial_before"], before["serial"]);
    assert!(phase(&p, "production", "global").is_null());
    // The canary stopped at its first step.
    assert_eq!(initial["step"], 10);
    // Every resource is back, attribute by attribute, and so are the files.
    assert_eq!(resources(&state(&p, "production")), resources(&before));
    assert_eq!(p.files_in("out/production/a"), files_before);
    assert_eq!(
        p.read("out/production/a/app.txt"),
        "release v1 weight 100\n"
    );
    assert_eq!(p.read("out/production/a/release-v1.txt"), "v1\n");
    let outcomes: Vec<String> = audit_lines(&p, "production")
        .iter()
        .map(|l| l["operation"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        outcomes.ends_with(&["rollback".to_string(), "rollout".to_string()]),
        "{outcomes:?}"
    );
    let st = p.aic(&["rollout", "release", "--status"]).success();
    assert!(st.stdout.contains("rolled_back"), "{st}");
    let global: Vec<&str> = st
        .stdout
        .lines()
        .find(|l| l.starts_with("global"))
        .map(|l| l.split_whitespace().collect())
        .unwrap_or_default();
    assert_eq!(
        global,
        ["global", "production", "waves", "pending", "-", "-"],
        "{st}"
    );
}

#[test]
fn a_rollout_killed_mid_phase_resumes_at_that_phase() {
    let h = Health::start(|_| 200);
    let p = project(
        &["a"],
        r#"
rollout release {
  phase beta {
    environment = staging
  }
  phase slow {
    environment = production
    check health {
      http = "${var.health_url}?phase=${rollout.phase}"
    }
  }
}
resource time_sleep settle {
  create_duration = env.name == "production" ? "30s" : "0s"
}
"#,
    );
    let url = format!("health_url={}", h.url());
    let mut bg = p.spawn(&["rollout", "release", "--auto-approve", "--var", &url]);
    bg.wait_for_stderr("=== Phase slow");
    // The staging phase created its own (instant) sleep first: wait for the second.
    e2e_common::wait_until("the production sleep to start", || {
        bg.stderr_so_far()
            .matches("time_sleep.settle: Creating...")
            .count()
            >= 2
    });
    bg.signal(libc::SIGKILL);
    let killed = bg.wait();
    assert_eq!(killed.code, None, "{killed}");
    assert_eq!(phase(&p, "production", "slow")["status"], "started");
    let st = p.aic(&["rollout", "release", "--status"]).success();
    assert!(
        st.stdout.contains("slow") && st.stdout.contains("started"),
        "{st}"
    );
    // A lock without an OS lock (as an older aic wrote them) is the case still broken by
    // hand; one with an OS lock is taken over by itself (cli/tests/e2e_crash.rs).
    let lock_path = p.path().join(".aic/state/production.lock");
    let mut lock: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&lock_path).unwrap()).unwrap();
    assert_eq!(lock["os_lock"], true, "{lock}");
    lock.as_object_mut().unwrap().remove("os_lock");
    std::fs::write(&lock_path, serde_json::to_vec(&lock).unwrap()).unwrap();
    // The lock of the killed run must be broken by hand, as after a killed apply.
    let refused = p
        .aic(&[
            "rollout",
            "release",
            "--auto-approve",
            "--no-pause",
            "--var",
            &url,
        ])
        .failure();
    p.aic(&[
        "state",
        "unlock",
        &unlock_id(&refused),
        "--env",
        "production",
    ])
    .success();
    // Shorten the wait for the rerun.
    p.edit("main.aic", "\"30s\"", "\"1s\"");
    let run = rollout(&p, &h, &[]).success();
    assert!(run.stderr.contains("already succeeded: beta"), "{run}");
    assert!(!run.stderr.contains("=== Phase beta"), "{run}");
    assert!(run.stderr.contains("Resuming phase slow"), "{run}");
    assert_eq!(phase(&p, "production", "slow")["status"], "succeeded");
    assert_eq!(
        p.read("out/production/a/app.txt"),
        "release v1 weight 100\n"
    );
    // Converged: a plan finds nothing to do.
    p.aic(&["plan", "--env", "production", "--detailed-exitcode"])
        .success();
    // A finished rollout starts a new run from the first phase.
    let again = rollout(&p, &h, &[]).success();
    assert!(again.stderr.contains("=== Phase beta"), "{again}");
}

fn waves(max_failures: u32) -> String {
    format!(
        r#"
rollout release {{
  phase global {{
    environment = production
    targets     = [for r in env.regions : module.region[r]]
    strategy waves {{
      size         = 2
      pause        = "1h"
      max_failures = {max_failures}
    }}
    check health {{
      http = "${{var.health_url}}?target=${{rollout.target}}"
    }}
    on_failure = "halt"
  }}
}}
"#
    )
}

#[test]
fn waves_stop_once_more_targets_failed_than_tolerated() {
    let h = Health::start(|t| if t.contains("target=b") { 500 } else { 200 });
    let p = project(&["a", "b", "c", "d"], &waves(0));
    let run = rollout(&p, &h, &[]).failure();
    assert!(run.stderr.contains("Later waves are skipped"), "{run}");
    assert!(run.stderr.contains("on_failure = \"halt\""), "{run}");
    let r = phase(&p, "production", "global");
    assert_eq!(r["status"], "failed");
    assert_eq!(r["targets"]["module.region[\"a\"]"], "succeeded");
    assert_eq!(r["targets"]["module.region[\"b\"]"], "failed");
    assert_eq!(r["targets"]["module.region[\"c\"]"], "skipped");
    assert_eq!(r["targets"]["module.region[\"d\"]"], "skipped");
    // The first wave was applied (halt keeps it); the second never ran.
    assert!(p.exists("out/production/a/app.txt"));
    assert!(p.exists("out/production/b/app.txt"));
    assert!(!p.exists("out/production/c/app.txt"));
    assert!(!p.exists("out/production/d/app.txt"));
}

#[test]
fn waves_go_on_while_failures_stay_within_tolerance() {
    let h = Health::start(|t| if t.contains("target=b") { 500 } else { 200 });
    let p = project(&["a", "b", "c", "d"], &waves(1));
    let run = rollout(&p, &h, &[]).success();
    assert!(run.stderr.contains("Pause of 1h skipped"), "{run}");
    let r = phase(&p, "production", "global");
    assert_eq!(r["status"], "succeeded", "{r}");
    assert_eq!(r["targets"]["module.region[\"b\"]"], "failed");
    assert_eq!(r["targets"]["module.region[\"d\"]"], "succeeded");
    assert!(p.exists("out/production/d/app.txt"));
}

#[test]
fn a_failed_wave_target_is_one_whose_apply_failed() {
    let h = Health::start(|_| 200);
    let p = project(&["a", "b", "c"], &waves(0));
    // A file where region b's directory should be: its apply fails.
    p.write("out/production/b", "not a directory");
    let run = rollout(&p, &h, &[]).failure();
    let r = phase(&p, "production", "global");
    assert_eq!(r["targets"]["module.region[\"b\"]"], "failed", "{run}");
    assert_eq!(r["targets"]["module.region[\"c\"]"], "skipped", "{run}");
}

#[test]
fn blue_green_keeps_the_old_object_when_a_check_fails() {
    let h = Health::start(|_| 503);
    let p = project(
        &["a"],
        r#"
rollout release {
  phase switch {
    environment = production
    strategy blue_green {}
    check health {
      http = "${var.health_url}"
    }
  }
}
"#,
    );
    p.aic(&["apply", "--env", "production", "--auto-approve"])
        .success();
    let before = state(&p, "production");
    let run = rollout(&p, &h, &["--var", "release=v2"]).failure();
    assert!(
        run.stderr
            .contains("the old object is kept until the checks pass"),
        "{run}"
    );
    assert!(run.stderr.contains("keeping the 2 old one(s)"), "{run}");
    // The old marker survived and the new one is gone.
    assert_eq!(
        p.files_in("out/production/a"),
        vec!["app.txt", "release-v1.txt"]
    );
    assert_eq!(
        p.read("out/production/a/app.txt"),
        "release v1 weight 100\n"
    );
    assert_eq!(resources(&state(&p, "production")), resources(&before));
    assert_eq!(phase(&p, "production", "switch")["status"], "rolled_back");
    // Healthy now: the new objects stay and the old marker goes once checks pass.
    h.set(|_| 200);
    let run = rollout(&p, &h, &["--var", "release=v2"]).success();
    assert!(
        run.stderr.contains("destroying the 2 old object(s)"),
        "{run}"
    );
    assert_eq!(
        p.files_in("out/production/a"),
        vec!["app.txt", "release-v2.txt"]
    );
    assert_eq!(
        p.read("out/production/a/app.txt"),
        "release v2 weight 100\n"
    );
    p.aic(&[
        "plan",
        "--env",
        "production",
        "--detailed-exitcode",
        "--var",
        "release=v2",
    ])
    .success();
}

#[test]
fn rollout_blocks_are_validated() {
    let p = project(
        &["a"],
        r#"
rollout release {
  phase beta {
    environment = stagin
  }
  phase other {
    environment = production
    targets     = [module.regio["a"]]
    strategy canery {}
    check empty {}
  }
}
"#,
    );
    let run = p.aic(&["rollout", "release", "--status"]).failure();
    run.stderr_has("E0901")
        .stderr_has("Did you mean `staging`? Declared environments: staging, production.")
        .stderr_has("E0906")
        .stderr_has("Did you mean `module.region`?")
        .stderr_has("E0902")
        .stderr_has("Did you mean `canary`?")
        .stderr_has("E0905")
        .stderr_has("check `empty` has no `http`, `assert` or `prometheus`");
    let v = p.aic(&["validate", "--env", "staging"]).failure();
    v.stderr_has("E0901");
    let unknown = project(&["a"], THREE_PHASES)
        .aic(&["rollout", "relase", "--status"])
        .failure();
    unknown.stderr_has("there is no rollout `relase`. Did you mean `release`?");
}

#[test]
fn the_graph_of_the_platform_example() {
    let dir = std::path::Path::new(
        &*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("../examples/platform");
    let out = std::process::Command::new(e2e_common::AIC)
        .args(["rollout", "release", "--graph", "--dir"])
        .arg(&dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run aic");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}

#[test]
fn the_platform_example_rolls_out_offline() {
    let h = Health::start(|_| 200);
    // A stand-in Prometheus (the canary's error ratio is 0.2 %) and the deployment log.
    let prom = receiver::Receiver::start(|q| {
        if q.target.starts_with("/api/v1/query?") {
            receiver::Answer::json(
                200,
                serde_json::json!({"status": "success", "data": {"resultType": "vector",
                    "result": [{"metric": {}, "value": [1_700_000_000.0, "0.002"]}]}}),
            )
        } else {
            receiver::Answer::status(404)
        }
    });
    let log = receiver::Receiver::start(|_| receiver::Answer::status(204));
    let prom_var = format!("prometheus_url={}", prom.url());
    let log_var = format!("deployments_hook_url={}/rollouts", log.url());
    let dir = std::path::Path::new(
        &*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("../examples/platform");
    let p = Project::empty();
    for f in ["main.aic", "modules/region/main.aic"] {
        p.write(
            f,
            &std::fs::read_to_string(dir.join(f)).expect("example file"),
        );
    }
    p.aic(&["validate", "--env", "production"]).success();
    let vars = ["--var", &prom_var, "--var", &log_var];
    let run = rollout(&p, &h, &[&["--allow-destroy"][..], &vars].concat()).success();
    assert!(run.stderr.contains("Rollout release complete."), "{run}");
    // The canary's analysis: three measurements at each of its three steps.
    let queries = prom.requests();
    assert_eq!(queries.len(), 9, "{run}");
    assert!(
        queries[0].target.contains("weight%3D%2710%27"),
        "rollout.weight is in the query: {}",
        queries[0].target
    );
    let events: Vec<String> = log
        .requests()
        .iter()
        .map(|q| q.json()["event"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(events.len(), 9, "{events:?}");
    assert_eq!(
        events.last().map(String::as_str),
        Some("completed"),
        "{events:?}"
    );
    for r in ["us-east-1", "eu-west-1", "ap-southeast-1", "af-south-1"] {
        assert!(p.exists(&format!("out/production/{r}/config.json")), "{r}");
    }
    assert!(p.exists("out/staging/us-east-1/release-2026.11.1.txt"));
    // A new release: the enterprise phase keeps the old marker until its checks pass.
    let run = rollout(
        &p,
        &h,
        &[
            &["--allow-destroy", "--var", "release=2026.12.0"][..],
            &vars,
        ]
        .concat(),
    )
    .success();
    assert!(run.stderr.contains("blue-green"), "{run}");
    assert_eq!(
        p.files_in("out/production/eu-west-1"),
        vec!["config.json", "release-2026.12.0.txt"]
    );
    let st = p.aic(&["rollout", "release", "--status"]).success();
    let statuses: Vec<&str> = st
        .stdout
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().nth(3))
        .collect();
    assert_eq!(statuses, ["succeeded"; 4], "{st}");
}

/// A phase may target a data source (`data.TYPE.NAME`, as `terraform apply -target` may):
/// one that `depends_on` a target is read after the target is applied, so a check can
/// assert over what the cloud reports back; resources not targeted stay untouched.
#[test]
fn a_phase_targets_a_data_source_read_after_its_dependency_for_its_check() {
    let p = Project::with_main(
        r#"
variable release: string = "v1"

resource local_file app {
  filename = "out/app.txt"
  content  = "release ${var.release}"
}

data local_file app {
  filename   = "out/app.txt"
  depends_on = [local_file.app]
}

resource local_file other {
  filename = "out/other.txt"
  content  = "not in the phase"
}

rollout release {
  phase one {
    targets = [local_file.app, data.local_file.app]
    check read_back {
      assert  = data.local_file.app.content == "release ${var.release}"
      message = "read back: ${data.local_file.app.content}"
    }
  }
}
"#,
    );
    let first = p
        .aic(&["rollout", "release", "--auto-approve", "--no-pause"])
        .success();
    assert!(
        first
            .stderr
            .contains("check read_back: passed — assertion holds"),
        "{first}"
    );
    assert!(
        !p.exists("out/other.txt"),
        "an untargeted resource was applied"
    );
    // A new release: the data source is read again after the file changed.
    let second = p
        .aic(&[
            "rollout",
            "release",
            "--auto-approve",
            "--no-pause",
            "--var",
            "release=v2",
        ])
        .success();
    assert!(
        second
            .stderr
            .contains("check read_back: passed — assertion holds"),
        "{second}"
    );
    // A data source that does not exist is refused with the targets the phase may name.
    let wrong = Project::with_main(
        r#"
resource local_file app {
  filename = "out/app.txt"
  content  = "x"
}

rollout release {
  phase one {
    targets = [data.local_file.nope]
  }
}
"#,
    );
    wrong
        .aic(&["rollout", "release", "--status"])
        .failure()
        .stderr_has("E0906")
        .stderr_has("not a module instance, resource or data source of this configuration");
}
