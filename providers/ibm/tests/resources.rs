//! Sessions and jobs against the IBM Quantum emulator (`scripts/emulator.sh start
//! ibm-quantum`; a missing venv fails naming `scripts/emulator.sh install ibm-quantum`):
//! real counts of a Bell pair, estimator values, a circuit too wide for its device, a
//! queued job cancelled by its destroy, and a lost answer to opening a session. (The
//! conformance run of both types is in the CLI's tests.)

use std::sync::Arc;

use aic_lang::value::Value;
use aic_provider::{ConfiguredProvider, PlanRequest, Provider, ProviderError};
use aic_provider_ibm::{config::API_KEY_VARS, IbmProvider, Timing};
use aic_provider_testkit::backend::Emulator;
use serde_json::json;

const CRN: &str = "crn:v1:bluemix:public:quantum-computing:us-east:a/0e6a2b5c1f0b4a1e9d3c7b8a6f5e4d3c:5f2a9c1e-7b3d-4e8f-a1c2-9d0e8f7a6b5c::";

const BELL: &str = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[2] q;\nbit[2] c;\nh q[0];\ncx q[0], q[1];\nc = measure q;\n";

async fn configured(emulator: &Emulator) -> Arc<dyn ConfiguredProvider> {
    std::env::set_var(API_KEY_VARS[0], "test-key");
    let config = Value::object([
        ("instance", Value::string(CRN)),
        ("endpoint", Value::string(emulator.endpoint())),
        ("iam_endpoint", Value::string(emulator.endpoint())),
    ]);
    IbmProvider::new()
        .with_timing(Timing::fast())
        .with_fast_backoff()
        .configure(&config)
        .await
        .unwrap_or_else(|e| panic!("configure: {e}"))
}

/// Validates, plans and creates `config` as the engine does.
async fn create(
    provider: &Arc<dyn ConfiguredProvider>,
    type_name: &str,
    config: Value,
) -> Result<Value, ProviderError> {
    let problems = provider.validate(type_name, &config);
    assert!(
        problems.iter().all(|p| !p.is_error()),
        "{type_name} does not validate: {problems:?}"
    );
    let planned = provider
        .plan(PlanRequest {
            type_name: type_name.to_owned(),
            prior: None,
            config,
        })
        .await?
        .planned;
    provider.create(type_name, &planned).await
}

fn sampler(backend: &str, circuit: &str, shots: f64) -> Value {
    Value::object([
        ("program_id", Value::string("sampler")),
        ("backend", Value::string(backend)),
        (
            "pubs",
            Value::list([Value::object([
                ("circuit", Value::string(circuit)),
                ("parameter_values", Value::null()),
                ("observables", Value::null()),
                ("shots", Value::number(shots)),
            ])]),
        ),
    ])
}

fn listed(emulator: &Emulator, what: &str) -> Vec<serde_json::Value> {
    let port = aic_provider_testkit::http::port_of(emulator.endpoint()).unwrap_or(0);
    let answer =
        aic_provider_testkit::http::request(port, "GET", &format!("/_emulator/{what}"), "")
            .map(|m| m.text())
            .unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(&answer).unwrap_or_default();
    json.get(what)
        .and_then(serde_json::Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn count(result: &Value, bits: &str) -> f64 {
    result
        .get("counts")
        .and_then(|c| c.get(bits))
        .and_then(Value::as_number)
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bell_pair_in_a_session_counts_about_half_00_and_half_11() -> Result<(), ProviderError> {
    let emulator = Emulator::start("ibm-quantum", &["job_queue_seconds=0.05"]);
    let provider = configured(&emulator).await;
    let session = create(
        &provider,
        "ibm_quantum_session",
        Value::object([("backend", Value::string("ibmq_qasm_simulator"))]),
    )
    .await?;
    assert_eq!(session.get("state").and_then(Value::as_str), Some("open"));
    assert_eq!(
        session.get("mode").and_then(Value::as_str),
        Some("dedicated")
    );
    let session_id = session.get("id").cloned().unwrap_or_else(Value::null);
    let config = aic_provider::with_attributes(
        &sampler("ibmq_qasm_simulator", BELL, 2000.0),
        [("session_id", session_id.clone())],
    );
    let job = create(&provider, "ibm_quantum_job", config).await?;
    assert_eq!(job.get("status").and_then(Value::as_str), Some("Completed"));
    assert_eq!(job.get("session_id"), Some(&session_id));
    let results = job
        .get("results")
        .and_then(Value::as_elements)
        .unwrap_or_default();
    assert_eq!(results.len(), 1, "one result per pub: {job}");
    let (zeros, ones) = (count(&results[0], "00"), count(&results[0], "11"));
    assert_eq!(
        zeros + ones,
        2000.0,
        "a noiseless Bell pair is 00 or 11: {job}"
    );
    // 2000 fair coin flips: 1000 ± 5σ (σ ≈ 22).
    assert!((zeros - 1000.0).abs() < 112.0, "≈50/50: {zeros} / {ones}");

    // The session is active now that a job ran in it; destroying it closes it.
    let read = provider.read("ibm_quantum_session", &session).await?;
    assert_eq!(
        read.as_ref()
            .and_then(|s| s.get("state"))
            .and_then(Value::as_str),
        Some("active")
    );
    provider.delete("ibm_quantum_session", &session).await?;
    assert_eq!(provider.read("ibm_quantum_session", &session).await?, None);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_estimator_job_gives_expectation_values_per_pub() -> Result<(), ProviderError> {
    let emulator = Emulator::start("ibm-quantum", &["job_queue_seconds=0.05"]);
    let provider = configured(&emulator).await;
    let pub_with = |observable: &str| {
        Value::object([
            ("circuit", Value::string(BELL)),
            ("parameter_values", Value::null()),
            (
                "observables",
                Value::map([(observable, Value::number(1.0))]),
            ),
            ("shots", Value::null()),
        ])
    };
    let job = create(
        &provider,
        "ibm_quantum_job",
        Value::object([
            ("program_id", Value::string("estimator")),
            ("backend", Value::string("ibmq_qasm_simulator")),
            ("pubs", Value::list([pub_with("ZZ"), pub_with("ZI")])),
            ("shots", Value::number(4096.0)),
        ]),
    )
    .await?;
    let results = job
        .get("results")
        .and_then(Value::as_elements)
        .unwrap_or_default();
    let evs: Vec<f64> = results
        .iter()
        .filter_map(|r| r.get("evs").and_then(Value::as_number))
        .collect();
    assert_eq!(evs.len(), 2, "{job}");
    assert!(
        (evs[0] - 1.0).abs() < 1e-9,
        "<ZZ> of a Bell pair is 1: {evs:?}"
    );
    assert!(
        evs[1].abs() < 0.1,
        "<ZI> of a Bell pair is about 0: {evs:?}"
    );
    assert!(results[1]
        .get("stds")
        .and_then(Value::as_number)
        .is_some_and(|s| s > 0.0));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_circuit_wider_than_its_device_fails_with_ibms_reason_and_leaves_no_job() {
    let emulator = Emulator::start("ibm-quantum", &["job_queue_seconds=0.05"]);
    let provider = configured(&emulator).await;
    let wide = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[6] q;\nbit[6] c;\nh q[0];\nc = measure q;\n";
    let error = create(
        &provider,
        "ibm_quantum_job",
        sampler("ibm_kestrel", wide, 100.0),
    )
    .await
    .err()
    .map(|e| format!("{e} {}", e.help_text()))
    .unwrap_or_default();
    assert!(
        error.contains("Failed")
            && error.contains("Error code 1516")
            && error.contains("greater than maximum (5)"),
        "{error}"
    );
    assert_eq!(
        listed(&emulator, "jobs"),
        Vec::<serde_json::Value>::new(),
        "the failed job is deleted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroying_a_queued_job_cancels_and_deletes_it() -> Result<(), ProviderError> {
    let emulator = Emulator::start("ibm-quantum", &["job_queue_seconds=60"]);
    let provider = configured(&emulator).await;
    let config = aic_provider::with_attributes(
        &sampler("ibm_kestrel", BELL, 100.0),
        [("wait", Value::bool(false))],
    );
    let job = create(&provider, "ibm_quantum_job", config).await?;
    assert_eq!(job.get("status").and_then(Value::as_str), Some("Queued"));
    assert_eq!(job.get("results"), Some(&Value::list([])));
    provider.delete("ibm_quantum_job", &job).await?;
    assert_eq!(provider.read("ibm_quantum_job", &job).await?, None);
    assert!(listed(&emulator, "jobs").is_empty());
    let port = aic_provider_testkit::http::port_of(emulator.endpoint()).unwrap_or(0);
    let log = aic_provider_testkit::http::request(port, "GET", "/_emulator/requests", "")
        .map(|m| m.text())
        .unwrap_or_default();
    assert!(
        log.contains("/cancel"),
        "the job was cancelled before its delete"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_to_opening_a_session_is_an_error_and_opens_no_second() {
    let emulator = Emulator::start("ibm-quantum", &[]);
    let provider = configured(&emulator).await;
    emulator
        .control(
            "faults",
            &json!({"method": "POST", "path": "/api/v1/sessions", "status": 500, "when": "after", "times": 1}),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let error = create(
        &provider,
        "ibm_quantum_session",
        Value::object([("backend", Value::string("ibm_kestrel"))]),
    )
    .await
    .err();
    assert!(
        error.as_ref().is_some_and(|e| !e.is_retryable()
            && e.to_string()
                .contains("answer to opening an IBM Quantum session was lost")),
        "{error:?}"
    );
    assert_eq!(
        listed(&emulator, "sessions").len(),
        1,
        "opened once, not again"
    );
}
