//! The `aic` binary with the `ibm_quantum` provider against the IBM Quantum emulator, end
//! to end: real counts of a Bell pair on the noiseless simulator (≈50/50), a circuit too
//! wide for its device failing the apply with IBM's reason, a destroy that cancels a job
//! still queued, a submit whose answer was lost adopted without a second job, and
//! `examples/quantum`'s quantum-canary rollout passing (then running the workload) and
//! failing (rolled back, the workload never submitted).
//!
//! The binary is this package's, run by the test kit's one runner ([`aic!`]). Every test
//! starts its own emulator and fails, naming `scripts/emulator.sh install ibm-quantum`,
//! when it is missing.

use std::path::Path;

use aic_provider_testkit::aic;
use aic_provider_testkit::backend::Emulator;
use aic_provider_testkit::http;
use aic_provider_testkit::runner::{self, Run};
use serde_json::{json, Value};

const CRN: &str = "crn:v1:bluemix:public:quantum-computing:us-east:a/0e6a2b5c1f0b4a1e9d3c7b8a6f5e4d3c:5f2a9c1e-7b3d-4e8f-a1c2-9d0e8f7a6b5c::";

/// A project directory and the emulator its `aic` talks to.
struct Project {
    project: runner::Project,
    emulator: Emulator,
}

impl Project {
    fn new(main: Option<&str>, settings: &[&str]) -> Project {
        let aic = aic!()
            .env("IBM_CLOUD_API_KEY", "e2e-key")
            .env("AIC_IBM_POLL_MS", "10");
        let project = match main {
            Some(text) => runner::Project::with_main(&aic, text),
            None => {
                let example = Path::new(
                    &*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
                )
                .join("../examples/quantum");
                runner::Project::copy_of(&aic, &example)
            }
        };
        Project {
            project,
            emulator: Emulator::start("ibm-quantum", settings),
        }
    }

    /// A project of `main.aic` text, whose provider block points at the emulator.
    fn with_main(body: &str, settings: &[&str]) -> Project {
        let main = format!(
            "variable endpoint: string\n\nprovider ibm_quantum {{\n  instance     = \"{CRN}\"\n  endpoint     = var.endpoint\n  iam_endpoint = var.endpoint\n}}\n\n{body}"
        );
        Project::new(Some(&main), settings)
    }

    /// A copy of `examples/quantum`.
    fn example(settings: &[&str]) -> Project {
        Project::new(None, settings)
    }

    /// Runs `aic ARGS` with `--var endpoint=…` (and `iam_endpoint`) where it takes vars.
    fn aic(&self, args: &[&str]) -> Run {
        let endpoint = format!("endpoint={}", self.emulator.endpoint());
        let iam = format!("iam_endpoint={}", self.emulator.endpoint());
        let takes_vars = !matches!(args.first(), Some(&"state" | &"show" | &"output"));
        let mut all = args.to_vec();
        if takes_vars {
            all.extend(["--var", endpoint.as_str()]);
            if self
                .project
                .read("main.aic")
                .contains("variable iam_endpoint")
            {
                all.extend(["--var", iam.as_str()]);
            }
        }
        self.project.aic(&all)
    }

    /// `GET /_emulator/{what}`: the emulator's `jobs` or `sessions`.
    fn listed(&self, what: &str) -> Vec<Value> {
        let port = http::port_of(self.emulator.endpoint()).unwrap_or(0);
        let answer = http::request(port, "GET", &format!("/_emulator/{what}"), "")
            .unwrap_or_else(|e| panic!("/_emulator/{what}: {e}"));
        let json: Value = serde_json::from_slice(&answer.body).unwrap_or_default();
        json[what].as_array().cloned().unwrap_or_default()
    }

    fn requests(&self) -> String {
        let port = http::port_of(self.emulator.endpoint()).unwrap_or(0);
        http::request(port, "GET", "/_emulator/requests", "")
            .map(|m| m.text())
            .unwrap_or_default()
    }
}

const BELL: &str = r#"let bell = <<-QASM
  OPENQASM 3.0;
  include "stdgates.inc";
  qubit[2] q;
  bit[2] c;
  h q[0];
  cx q[0], q[1];
  c = measure q;
  QASM
"#;

fn count(counts: &Value, bits: &str) -> f64 {
    counts[bits].as_f64().unwrap_or(0.0)
}

#[test]
fn a_bell_pair_on_the_noiseless_simulator_counts_about_half_00_and_half_11() {
    let p = Project::example(&["job_queue_seconds=0.05"]);
    let shots = "shots=4000";
    p.aic(&[
        "apply",
        "--env",
        "lab",
        "--auto-approve",
        "--var",
        "simulator=true",
        "--var",
        "min_qubits=2",
        "--var",
        shots,
    ])
    .success();
    let job = p
        .project
        .state_attributes("ibm_quantum_job.bell", Some("lab"));
    assert_eq!(job["status"], "Completed", "{job}");
    assert_eq!(job["backend"], "ibmq_qasm_simulator");
    let counts = &job["results"][0]["counts"];
    let (zeros, ones) = (count(counts, "00"), count(counts, "11"));
    assert_eq!(
        zeros + ones,
        4000.0,
        "only 00 and 11 on a noiseless device: {counts}"
    );
    // 4000 fair coin flips: 2000 ± 5σ (σ ≈ 32).
    assert!((zeros - 2000.0).abs() < 160.0, "≈50/50: {counts}");
    let outputs = p
        .aic(&["output", "--env", "lab", "--json"])
        .success()
        .json();
    assert_eq!(
        outputs["fidelity"]["value"].as_f64(),
        Some(1.0),
        "{outputs}"
    );
    // The workload ran too (a plain apply applies everything): <ZZ> of a Bell pair is 1.
    let workload = p
        .project
        .state_attributes("ibm_quantum_job.workload", Some("lab"));
    assert!(
        (workload["results"][0]["evs"].as_f64().unwrap_or(0.0) - 2.0).abs() < 0.2,
        "<ZZ + XX> ≈ 2: {workload}"
    );
    p.aic(&["destroy", "--env", "lab", "--auto-approve"])
        .success();
    assert!(p.listed("jobs").is_empty(), "destroy deleted the jobs");
}

#[test]
fn the_quantum_canary_passes_on_a_good_device_and_then_runs_the_workload() {
    let p = Project::example(&["job_queue_seconds=0.05"]);
    let run = p
        .aic(&["rollout", "quantum_canary", "--auto-approve", "--no-pause"])
        .success();
    assert!(
        run.stderr.contains("Rollout quantum_canary complete."),
        "{run}"
    );
    // The least busy device with 5 qubits or more is ibm_kestrel (noisy, ≈98 % correlated).
    let bell = p
        .project
        .state_attributes("ibm_quantum_job.bell", Some("lab"));
    assert_eq!(bell["backend"], "ibm_kestrel", "{bell}");
    let counts = &bell["results"][0]["counts"];
    let good = count(counts, "00") + count(counts, "11");
    assert!(
        (0.9..1.0).contains(&(good / 2000.0)),
        "noisy but good: {counts}"
    );
    let workload = p
        .project
        .state_attributes("ibm_quantum_job.workload", Some("lab"));
    assert_eq!(workload["status"], "Completed", "{workload}");
    let programs: Vec<String> = p
        .listed("jobs")
        .iter()
        .map(|j| j["program"]["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        programs,
        ["sampler", "estimator"],
        "canary first, then the workload"
    );
    // Nothing runs again: the session became active, the jobs completed, and a plan is
    // empty.
    p.aic(&["plan", "--env", "lab", "--detailed-exitcode"])
        .code(0);
}

#[test]
fn the_quantum_canary_fails_below_its_fidelity_and_the_workload_never_runs() {
    let p = Project::example(&["job_queue_seconds=0.05"]);
    // ibm_kestrel's noise keeps a Bell pair well below 99.9 % correlated.
    let run = p.aic(&[
        "rollout",
        "quantum_canary",
        "--auto-approve",
        "--no-pause",
        "--var",
        "min_fidelity=0.999",
    ]);
    assert_ne!(run.code, Some(0), "{run}");
    assert!(
        run.err_words().contains("below fidelity 0.999"),
        "the check's message: {run}"
    );
    // Rolled back to before the phase: nothing in the state, the canary job deleted,
    // the session closed, and the workload never submitted.
    assert!(
        p.project.state_list(Some("lab")).is_empty(),
        "{:?}",
        p.project.state_list(Some("lab"))
    );
    assert!(p.listed("jobs").is_empty(), "{:?}", p.listed("jobs"));
    let sessions = p.listed("sessions");
    assert!(
        !sessions.is_empty() && sessions.iter().all(|s| s["state"] == "closed"),
        "{sessions:?}"
    );
    let submits = p
        .listed("requests")
        .iter()
        .filter(|r| r["method"] == "POST" && r["path"] == "/api/v1/jobs")
        .count();
    assert_eq!(
        submits, 1,
        "only the canary was submitted, never the workload"
    );
}

#[test]
fn a_circuit_too_wide_for_its_device_fails_the_apply_with_ibms_reason() {
    let p = Project::with_main(
        r#"resource ibm_quantum_job wide {
  program_id = "sampler"
  backend    = "ibm_kestrel"
  pubs       = [{ circuit = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[6] q;\nbit[6] c;\nh q[0];\nc = measure q;\n", shots = 100 }]
}
"#,
        &["job_queue_seconds=0.05"],
    );
    let run = p.aic(&["apply", "--auto-approve"]);
    assert_ne!(run.code, Some(0), "{run}");
    let words = run.err_words();
    assert!(
        words.contains("Error code 1516") && words.contains("is greater than maximum (5)"),
        "IBM's reason: {run}"
    );
    assert!(
        p.project.state_list(None).is_empty(),
        "nothing in the state"
    );
    assert!(p.listed("jobs").is_empty(), "the failed job was deleted");
}

#[test]
fn destroy_cancels_a_job_still_queued() {
    let p = Project::with_main(
        &format!(
            r#"{BELL}
resource ibm_quantum_job slow {{
  program_id = "sampler"
  backend    = "ibm_kestrel"
  pubs       = [{{ circuit = bell }}]
  wait       = false
}}
"#
        ),
        &["job_queue_seconds=120"],
    );
    p.aic(&["apply", "--auto-approve"]).success();
    let job = p.project.state_attributes("ibm_quantum_job.slow", None);
    assert_eq!(job["status"], "Queued", "{job}");
    let id = job["id"].as_str().unwrap_or_default().to_owned();
    p.aic(&["destroy", "--auto-approve"]).success();
    assert!(p.listed("jobs").is_empty(), "the job was deleted");
    assert!(
        p.requests().contains(&format!("/api/v1/jobs/{id}/cancel")),
        "it was cancelled first"
    );
}

#[test]
fn a_submit_whose_answer_was_lost_is_adopted_without_a_second_job() {
    let p = Project::with_main(
        &format!(
            r#"{BELL}
resource ibm_quantum_job once {{
  program_id = "sampler"
  backend    = "ibmq_qasm_simulator"
  pubs       = [{{ circuit = bell, shots = 100 }}]
  tags       = ["e2e"]
}}
"#
        ),
        &["job_queue_seconds=0.05"],
    );
    // The submit runs, then its answer is a 500.
    p.emulator
        .control(
            "faults",
            &json!({"method": "POST", "path": "^/api/v1/jobs$", "status": 500, "when": "after", "times": 1}),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    p.aic(&["apply", "--auto-approve"]).success();
    let pending: u64 = p
        .listed("faults")
        .iter()
        .filter_map(|f| f["times"].as_u64())
        .sum();
    assert_eq!(pending, 0, "the fault hit the submit");
    assert!(
        p.listed("requests").iter().any(|r| r["method"] == "GET"
            && r["path"] == "/api/v1/jobs"
            && r["query"].to_string().contains("tags")),
        "the job was looked for by its tag"
    );
    let jobs = p.listed("jobs");
    assert_eq!(jobs.len(), 1, "submitted once: {jobs:?}");
    let job = p.project.state_attributes("ibm_quantum_job.once", None);
    assert_eq!(job["id"], jobs[0]["id"]);
    assert_eq!(job["status"], "Completed");
    assert_eq!(job["tags"], json!(["e2e"]), "aic's own tag is not shown");
    p.aic(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn a_second_named_configuration_of_the_provider_is_used_where_a_resource_names_it() {
    let p = Project::with_main(
        r#"provider ibm_quantum broken {
  instance     = "crn:v1:bluemix:public:quantum-computing:us-east:a/0:unknown::"
  endpoint     = var.endpoint
  iam_endpoint = var.endpoint
}

resource ibm_quantum_session good {
  backend = "ibm_kestrel"
}

resource ibm_quantum_session other {
  provider = ibm_quantum.broken
  backend  = "ibm_kestrel"
}
"#,
        &[],
    );
    // The default configuration opens its session; the named one sends its own instance,
    // which the emulator refuses (403): each resource used its own configuration.
    let run = p.aic(&["apply", "--auto-approve"]);
    assert_ne!(run.code, Some(0), "{run}");
    assert!(
        run.err_words().contains("ibm_quantum_session.other"),
        "{run}"
    );
    assert!(run.err_words().contains("1200"), "IBM's 403 code: {run}");
    assert_eq!(
        p.project.state_list(None),
        ["ibm_quantum_session.good"],
        "{run}"
    );
}
