//! The differential test of plans and applies against Terraform 1.0.3: every scenario
//! under `tests/terraform/` is a sequence of steps (a configuration, a command and its
//! flags, and optionally the failure or warning expected), written once in `.aic` and
//! once in HCL. At every step both tools plan and (for `apply` and `destroy`) apply, each
//! in its own working directory, and the test compares what a user would notice: whether
//! the command succeeded, the set of (address, action) pairs of the plan, the output
//! changes, the `--detailed-exitcode` exit code, and what the state holds afterwards
//! (resource addresses, attribute values, outputs and their sensitivity). See
//! `tests/terraform/README.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::Value as Json;

fn suite_dir() -> PathBuf {
    Path::new(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("tests/terraform")
}

// ----- scenarios -----------------------------------------------------------------------

/// What a step runs.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Verb {
    /// Plan only.
    Plan,
    /// Plan, then apply.
    Apply,
    /// Plan the destruction only.
    PlanDestroy,
    /// Plan the destruction, then destroy.
    Destroy,
}

#[derive(Debug, Clone)]
struct Step {
    line: usize,
    config: String,
    verb: Verb,
    /// Flags in aic's spelling (`--target=ADDR`).
    flags: Vec<String>,
    /// Both tools must fail, and aic's message must contain this text.
    error: Option<String>,
    /// aic's messages must contain this text (a warning) although it succeeds.
    warning: Option<String>,
}

struct Scenario {
    name: String,
    dir: PathBuf,
    steps: Vec<Step>,
}

fn parse_steps(name: &str, text: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (rest, warning) = match line.split_once(" ~ ") {
            Some((a, w)) => (a, Some(w.trim().to_owned())),
            None => (line, None),
        };
        let (rest, error) = match rest.split_once(" ! ") {
            Some((a, e)) => (a, Some(e.trim().to_owned())),
            None => (rest, None),
        };
        let mut words = rest.split_whitespace();
        let config = words.next().unwrap_or_default().to_owned();
        let verb = match words.next() {
            Some("plan") => Verb::Plan,
            Some("apply") => Verb::Apply,
            Some("plan-destroy") => Verb::PlanDestroy,
            Some("destroy") => Verb::Destroy,
            other => panic!("{name}/steps:{}: unknown command {other:?}", i + 1),
        };
        let flags: Vec<String> = words.map(str::to_owned).collect();
        for f in &flags {
            assert!(
                ["--target=", "--replace=", "--var=", "--refresh="]
                    .iter()
                    .any(|p| f.starts_with(p)),
                "{name}/steps:{}: flag {f} is not one the suite translates",
                i + 1
            );
        }
        steps.push(Step {
            line: i + 1,
            config,
            verb,
            flags,
            error,
            warning,
        });
    }
    steps
}

fn scenarios() -> Vec<Scenario> {
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(suite_dir())
        .expect("tests/terraform")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("steps").is_file())
        .collect();
    dirs.sort();
    for dir in dirs {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(dir.join("steps")).expect("steps");
        let steps = parse_steps(&name, &text);
        for s in &steps {
            for ext in ["aic", "tf"] {
                let f = dir.join(format!("{}.{ext}", s.config));
                assert!(
                    f.is_file(),
                    "{name}/steps:{}: {} is missing",
                    s.line,
                    f.display()
                );
            }
        }
        out.push(Scenario { name, dir, steps });
    }
    out
}

// ----- the peer ------------------------------------------------------------------------

/// The `tf` wrapper, from the peer script (idempotent: it installs Terraform on first use).
fn peer() -> PathBuf {
    let script =
        Path::new(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("../../shared/tools/terraform-peer.sh");
    assert!(
        script.is_file(),
        "the Terraform peer script {} is missing: this test compares aic's plans with \
         Terraform 1.0.3, which `bash ../shared/tools/terraform-peer.sh` installs \
         (scripts/test.sh runs it)",
        script.display()
    );
    let out = Command::new("bash")
        .arg(&script)
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "`bash {}` failed: it installs Terraform 1.0.3; run it by hand to see why",
        script.display()
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let tf = PathBuf::from(text.lines().last().unwrap_or_default().trim());
    assert!(
        tf.is_file(),
        "`bash {}` printed no `tf` wrapper",
        script.display()
    );
    tf
}

const PROVIDERS_TF: &str = r#"terraform {
  required_providers {
    null = { source = "hashicorp/null", version = "2.1.2" }
  }
}
"#;

// ----- running both tools --------------------------------------------------------------

/// What one tool did at one step.
#[derive(Debug, Default)]
struct Observed {
    /// The plan's exit code with `--detailed-exitcode` (0, 1 or 2).
    plan_code: i32,
    /// (address, actions) of every change that is not a no-op.
    changes: BTreeSet<(String, String)>,
    /// (output name, actions) of every output change that is not a no-op.
    outputs: BTreeSet<(String, String)>,
    /// Whether the apply (or destroy) succeeded; `None` when none ran.
    applied: Option<bool>,
    /// All messages, for the failure report and the expected texts.
    log: String,
    /// Resource instances (managed) and their attributes, outputs and their
    /// sensitivity, after the step; ids replaced by `<id ADDR>`.
    state: Option<Json>,
}

fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn actions_text(actions: &Json) -> String {
    actions
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Json::as_str)
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

/// (address or output name, actions) pairs.
type Changes = BTreeSet<(String, String)>;

/// The non-no-op changes and output changes of a plan in JSON (both tools' shape).
fn plan_changes(plan: &Json) -> (Changes, Changes) {
    let mut changes = BTreeSet::new();
    for c in plan["resource_changes"].as_array().into_iter().flatten() {
        let actions = if c["change"].is_object() {
            &c["change"]["actions"]
        } else {
            &c["actions"]
        };
        let a = actions_text(actions);
        if a != "no-op" {
            changes.insert((c["address"].as_str().unwrap_or_default().to_owned(), a));
        }
    }
    let mut outputs = BTreeSet::new();
    if let Some(m) = plan["output_changes"].as_object() {
        for (name, c) in m {
            let a = actions_text(&c["actions"]);
            if a != "no-op" {
                outputs.insert((name.clone(), a));
            }
        }
    }
    (changes, outputs)
}

/// Replaces every resource id (a random number) inside strings with `<id ADDR>`, and
/// the id of an object no longer in the state (a value kept from before a replacement)
/// with `<gone id>`.
fn replace_ids(v: &mut Json, ids: &[(String, String)]) {
    match v {
        Json::String(s) => {
            for (id, addr) in ids {
                if s.contains(id.as_str()) {
                    *s = s.replace(id.as_str(), &format!("<id {addr}>"));
                }
            }
            if s.len() >= 15 && s.chars().all(|c| c.is_ascii_digit()) {
                *s = "<gone id>".to_owned();
            }
        }
        Json::Array(xs) => xs.iter_mut().for_each(|x| replace_ids(x, ids)),
        Json::Object(m) => m.values_mut().for_each(|x| replace_ids(x, ids)),
        _ => {}
    }
}

/// The comparable part of a state: `{"resources": {ADDR: attributes}, "outputs": {NAME:
/// {"value", "sensitive"}}}`, with ids replaced.
fn normalise_state(mut resources: BTreeMap<String, Json>, outputs: BTreeMap<String, Json>) -> Json {
    let mut ids: Vec<(String, String)> = resources
        .iter()
        .filter_map(|(addr, attrs)| {
            attrs["id"]
                .as_str()
                .filter(|id| id.len() >= 6)
                .map(|id| (id.to_owned(), addr.clone()))
        })
        .collect();
    // Longest first, so an id never replaces part of a longer one.
    ids.sort_by_key(|b| std::cmp::Reverse(b.0.len()));
    let mut state = serde_json::json!({
        "resources": Json::Object(std::mem::take(&mut resources).into_iter().collect()),
        "outputs": Json::Object(outputs.into_iter().collect()),
    });
    replace_ids(&mut state, &ids);
    state
}

fn tf_key(k: &Json) -> String {
    match k {
        Json::String(s) => format!("[{}]", Json::String(s.clone())),
        Json::Number(n) => format!("[{n}]"),
        _ => String::new(),
    }
}

/// Terraform's state file, normalised.
fn tf_state(dir: &Path) -> Option<Json> {
    let text = std::fs::read_to_string(dir.join("terraform.tfstate")).ok()?;
    let st: Json = serde_json::from_str(&text).ok()?;
    let mut resources = BTreeMap::new();
    for r in st["resources"].as_array().into_iter().flatten() {
        if r["mode"] != "managed" {
            continue;
        }
        let module = r["module"]
            .as_str()
            .map(|m| format!("{m}."))
            .unwrap_or_default();
        for i in r["instances"].as_array().into_iter().flatten() {
            let addr = format!(
                "{module}{}.{}{}",
                r["type"].as_str().unwrap_or_default(),
                r["name"].as_str().unwrap_or_default(),
                tf_key(&i["index_key"])
            );
            resources.insert(addr, i["attributes"].clone());
        }
    }
    Some(normalise_state(resources, state_outputs(&st)))
}

/// The outputs of a state file (both tools write `outputs: {NAME: {value, sensitive}}`).
fn state_outputs(st: &Json) -> BTreeMap<String, Json> {
    st["outputs"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, o)| {
            let v = serde_json::json!({
                "value": o["value"],
                "sensitive": o["sensitive"].as_bool().unwrap_or(false),
            });
            (name.clone(), v)
        })
        .collect()
}

/// aic's state file, normalised.
fn aic_state(dir: &Path) -> Option<Json> {
    let text = std::fs::read_to_string(dir.join(".aic/state/default.json")).ok()?;
    let st: Json = serde_json::from_str(&text).ok()?;
    let mut resources = BTreeMap::new();
    for r in st["resources"].as_array().into_iter().flatten() {
        let addr = r["address"].as_str().unwrap_or_default().to_owned();
        if addr.starts_with("data.") || addr.contains(".data.") {
            continue;
        }
        resources.insert(addr, r["attributes"].clone());
    }
    Some(normalise_state(resources, state_outputs(&st)))
}

/// Copies a scenario's step configuration (and its `modules/` directory) into `work`,
/// replacing the previous step's.
fn lay_out(scenario: &Scenario, step: &Step, work: &Path, ext: &str) {
    let main = work.join(format!("main.{ext}"));
    let text = std::fs::read_to_string(scenario.dir.join(format!("{}.{ext}", step.config)))
        .expect("config");
    std::fs::write(&main, text).expect("write config");
    let modules = scenario.dir.join("modules");
    if modules.is_dir() {
        copy_dir(&modules, &work.join("modules"));
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        let p = e.path();
        let dest = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).expect("copy");
        }
    }
}

fn tf_flags(flags: &[String]) -> Vec<String> {
    flags
        .iter()
        .map(|f| f.strip_prefix('-').unwrap_or(f).to_owned())
        .collect()
}

fn run_aic(dir: &Path, step: &Step) -> Observed {
    let aic = env!("CARGO_BIN_EXE_aic");
    let mut obs = Observed::default();
    let destroy = matches!(step.verb, Verb::Destroy | Verb::PlanDestroy);
    let mut plan = Command::new(aic);
    plan.current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("AIC_ENV")
        .args(["plan", "--format", "json", "--detailed-exitcode"]);
    if destroy {
        plan.arg("--destroy");
    }
    plan.args(&step.flags);
    let out = run(&mut plan);
    obs.plan_code = out.status.code().unwrap_or(-1);
    let _ = writeln!(
        obs.log,
        "$ aic plan {}\n{}",
        step.flags.join(" "),
        text(&out)
    );
    if obs.plan_code != 1 {
        if let Ok(j) = serde_json::from_slice::<Json>(&out.stdout) {
            (obs.changes, obs.outputs) = plan_changes(&j);
        }
    }
    if obs.plan_code != 1 && matches!(step.verb, Verb::Apply | Verb::Destroy) {
        let verb = if destroy { "destroy" } else { "apply" };
        let mut apply = Command::new(aic);
        apply
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .env_remove("AIC_ENV")
            .args([verb, "--auto-approve"])
            .args(&step.flags);
        let out = run(&mut apply);
        obs.applied = Some(out.status.success());
        let _ = writeln!(obs.log, "$ aic {verb}\n{}", text(&out));
    }
    obs.state = aic_state(dir);
    obs
}

fn run_tf(tf: &Path, dir: &Path, step: &Step, init: bool) -> Observed {
    let mut obs = Observed::default();
    let tf_cmd = || {
        let mut c = Command::new(tf);
        c.current_dir(dir).env("TF_INPUT", "0");
        c
    };
    if init {
        let out = run(tf_cmd().args(["init", "-no-color", "-input=false"]));
        assert!(
            out.status.success(),
            "terraform init failed in {}:\n{}",
            dir.display(),
            text(&out)
        );
    }
    let destroy = matches!(step.verb, Verb::Destroy | Verb::PlanDestroy);
    let mut plan = tf_cmd();
    plan.args([
        "plan",
        "-no-color",
        "-input=false",
        "-detailed-exitcode",
        "-out=p.bin",
    ]);
    if destroy {
        plan.arg("-destroy");
    }
    plan.args(tf_flags(&step.flags));
    let out = run(&mut plan);
    obs.plan_code = out.status.code().unwrap_or(-1);
    let _ = writeln!(
        obs.log,
        "$ terraform plan {}\n{}",
        step.flags.join(" "),
        text(&out)
    );
    if obs.plan_code != 1 {
        let show = run(tf_cmd().args(["show", "-json", "p.bin"]));
        if let Ok(j) = serde_json::from_slice::<Json>(&show.stdout) {
            (obs.changes, obs.outputs) = plan_changes(&j);
        }
        if matches!(step.verb, Verb::Apply | Verb::Destroy) {
            let out = run(tf_cmd().args(["apply", "-no-color", "-input=false", "p.bin"]));
            obs.applied = Some(out.status.success());
            let _ = writeln!(obs.log, "$ terraform apply p.bin\n{}", text(&out));
        }
    }
    let _ = std::fs::remove_file(dir.join("p.bin"));
    obs.state = tf_state(dir);
    obs
}

/// Runs one scenario; returns its differences (empty when the tools agree) and the number
/// of steps run.
fn run_scenario(tf: &Path, scenario: &Scenario) -> Vec<String> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let aic_dir = tmp.path().join("aic");
    let tf_dir = tmp.path().join("tf");
    std::fs::create_dir_all(&aic_dir).expect("mkdir");
    std::fs::create_dir_all(&tf_dir).expect("mkdir");
    std::fs::write(tf_dir.join("providers.tf"), PROVIDERS_TF).expect("write");
    let mut diffs = Vec::new();
    let mut modules_seen = String::new();
    for step in &scenario.steps {
        lay_out(scenario, step, &aic_dir, "aic");
        lay_out(scenario, step, &tf_dir, "tf");
        // Terraform installs modules at init: again whenever the module calls change.
        let tf_text = std::fs::read_to_string(tf_dir.join("main.tf")).unwrap_or_default();
        let calls: String = tf_text
            .lines()
            .filter(|l| l.trim_start().starts_with("module ") || l.contains("source"))
            .collect::<Vec<_>>()
            .join("\n");
        let init = step.line == scenario.steps[0].line || calls != modules_seen;
        modules_seen = calls;
        let theirs = run_tf(tf, &tf_dir, step, init);
        let ours = run_aic(&aic_dir, step);
        let mut d = Vec::new();
        let ok = |o: &Observed| o.plan_code != 1 && o.applied != Some(false);
        if let Some(e) = &step.error {
            if ok(&theirs) {
                d.push("Terraform was expected to fail but succeeded".to_owned());
            }
            if ok(&ours) {
                d.push("aic was expected to fail but succeeded".to_owned());
            } else if !ours.log.contains(e.as_str()) {
                d.push(format!("aic's error does not say {e:?}"));
            }
        }
        if let Some(w) = &step.warning {
            if !ours.log.contains(w.as_str()) {
                d.push(format!("aic does not warn {w:?}"));
            }
        }
        if theirs.plan_code != ours.plan_code {
            d.push(format!(
                "plan --detailed-exitcode: Terraform {}, aic {}",
                theirs.plan_code, ours.plan_code
            ));
        }
        if theirs.changes != ours.changes {
            d.push(format!(
                "resource changes:\n      Terraform: {:?}\n      aic:       {:?}",
                theirs.changes, ours.changes
            ));
        }
        if theirs.outputs != ours.outputs {
            d.push(format!(
                "output changes:\n      Terraform: {:?}\n      aic:       {:?}",
                theirs.outputs, ours.outputs
            ));
        }
        if theirs.applied != ours.applied {
            d.push(format!(
                "apply succeeded: Terraform {:?}, aic {:?}",
                theirs.applied, ours.applied
            ));
        }
        let empty = serde_json::json!({"resources": {}, "outputs": {}});
        let ts = theirs.state.clone().unwrap_or_else(|| empty.clone());
        let os = ours.state.clone().unwrap_or_else(|| empty.clone());
        if ts != os {
            d.push(format!(
                "state:\n      Terraform: {ts}\n      aic:       {os}"
            ));
        }
        if !d.is_empty() {
            let flags = step.flags.join(" ");
            let verb = format!("{:?}", step.verb).to_lowercase();
            diffs.push(format!(
                "{}/steps:{}: {} {verb} {flags}\n  - {}\n  --- Terraform's log:\n{}\n  --- aic's log:\n{}",
                scenario.name,
                step.line,
                step.config,
                d.join("\n  - "),
                indent(&theirs.log),
                indent(&ours.log)
            ));
            // Later steps build on this one's state: stop the scenario here.
            break;
        }
    }
    diffs
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("    | {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn plans_and_applies_agree_with_terraform() {
    let started = Instant::now();
    let mut all = scenarios();
    if let Ok(only) = std::env::var("AIC_TF_SCENARIO") {
        all.retain(|s| s.name.contains(only.as_str()));
    }
    let steps: usize = all.iter().map(|s| s.steps.len()).sum();
    if std::env::var_os("AIC_TF_SCENARIO").is_none() {
        assert!(steps >= 100, "only {steps} steps");
    }
    let tf = Arc::new(peer());
    let queue = Arc::new(Mutex::new(all.into_iter().collect::<Vec<_>>()));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let threads: usize = std::env::var("AIC_TF_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(4);
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let queue = queue.clone();
            let failures = failures.clone();
            let tf = tf.clone();
            std::thread::spawn(move || {
                while let Some(s) = queue.lock().map(|mut q| q.pop()).ok().flatten() {
                    let d = run_scenario(&tf, &s);
                    if let Ok(mut f) = failures.lock() {
                        f.extend(d);
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("a scenario thread panicked");
    }
    let failures = failures.lock().map(|f| f.clone()).unwrap_or_default();
    println!("{steps} steps in {:.1} s", started.elapsed().as_secs_f64());
    assert!(
        failures.is_empty(),
        "{} scenario(s) differ from Terraform:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
