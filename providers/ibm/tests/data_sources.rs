//! The data sources and the client (IAM exchange, token renewal, throttling, 5xx) against
//! the IBM Quantum emulator (`scripts/emulator.sh start ibm-quantum`; a missing venv fails
//! naming `scripts/emulator.sh install ibm-quantum`).

use std::time::Instant;

use aic_lang::value::Value;
use aic_provider::{ConfiguredProvider, ErrorKind, Provider, ProviderError};
use aic_provider_ibm::{config::API_KEY_VARS, IbmProvider};
use aic_provider_testkit::backend::Emulator;
use serde_json::json;

const CRN: &str = "crn:v1:bluemix:public:quantum-computing:us-east:a/0e6a2b5c1f0b4a1e9d3c7b8a6f5e4d3c:5f2a9c1e-7b3d-4e8f-a1c2-9d0e8f7a6b5c::";

async fn configured(emulator: &Emulator) -> std::sync::Arc<dyn ConfiguredProvider> {
    // The API key comes from the environment, as for users.
    std::env::set_var(API_KEY_VARS[0], "test-key");
    let config = Value::object([
        ("instance", Value::string(CRN)),
        ("endpoint", Value::string(emulator.endpoint())),
        ("iam_endpoint", Value::string(emulator.endpoint())),
    ]);
    IbmProvider::new()
        .with_fast_backoff()
        .configure(&config)
        .await
        .unwrap_or_else(|e| panic!("configure: {e}"))
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_elements)
        .unwrap_or_default()
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backends_are_filtered_and_the_least_busy_is_chosen() -> Result<(), ProviderError> {
    let emulator = Emulator::start("ibm-quantum", &[]);
    let provider = configured(&emulator).await;
    let all = provider
        .read_data(
            "ibm_quantum_backends",
            &Value::object([("min_qubits", Value::number(5.0))]),
        )
        .await?;
    assert_eq!(
        strings(all.get("names")),
        [
            "ibmq_qasm_simulator",
            "ibm_kestrel",
            "ibm_harrier",
            "ibm_eyrie"
        ],
        "every device, least busy first"
    );
    let devices = provider
        .read_data(
            "ibm_quantum_backends",
            &Value::object([
                ("min_qubits", Value::number(20.0)),
                ("simulator", Value::bool(false)),
            ]),
        )
        .await?;
    assert_eq!(strings(devices.get("names")), ["ibm_harrier", "ibm_eyrie"]);

    // Drift: the least busy device goes offline, another's queue empties.
    emulator
        .control("backends/ibm_harrier", &json!({"status": "paused"}))
        .map_err(ProviderError::other)?;
    emulator
        .control("backends/ibm_eyrie", &json!({"queue_length": 0}))
        .map_err(ProviderError::other)?;
    let least = provider
        .read_data(
            "ibm_quantum_backends",
            &Value::object([
                ("min_qubits", Value::number(20.0)),
                ("simulator", Value::bool(false)),
                ("least_busy", Value::bool(true)),
            ]),
        )
        .await?;
    assert_eq!(least.get("name").and_then(Value::as_str), Some("ibm_eyrie"));
    assert_eq!(strings(least.get("names")), ["ibm_eyrie"]);

    let none = provider
        .read_data(
            "ibm_quantum_backends",
            &Value::object([("min_qubits", Value::number(500.0))]),
        )
        .await
        .err();
    assert_eq!(none.map(|e| e.kind()), Some(ErrorKind::InvalidConfig));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_backend_with_its_configuration_status_and_calibration() -> Result<(), ProviderError> {
    let emulator = Emulator::start("ibm-quantum", &[]);
    let provider = configured(&emulator).await;
    let kestrel = provider
        .read_data(
            "ibm_quantum_backend",
            &Value::object([("name", Value::string("ibm_kestrel"))]),
        )
        .await?;
    assert_eq!(
        kestrel.get("num_qubits").and_then(Value::as_integer),
        Some(5)
    );
    assert_eq!(
        strings(kestrel.get("basis_gates")),
        ["cx", "id", "rz", "sx", "x"]
    );
    let pairs = kestrel
        .get("coupling_map")
        .and_then(Value::as_elements)
        .map_or(0, <[Value]>::len);
    assert_eq!(pairs, 8, "a line of 5 qubits, both directions");
    assert_eq!(
        kestrel.get("operational").and_then(Value::as_bool),
        Some(true)
    );
    assert_eq!(
        kestrel.get("pending_jobs").and_then(Value::as_integer),
        Some(4)
    );
    let qubits = kestrel
        .get("qubits")
        .and_then(Value::as_elements)
        .unwrap_or_default();
    assert_eq!(qubits.len(), 5);
    for q in qubits {
        let t1 = q.get("t1_us").and_then(Value::as_number).unwrap_or(0.0);
        let err = q
            .get("readout_error")
            .and_then(Value::as_number)
            .unwrap_or(1.0);
        assert!(
            t1 > 1.0 && (0.0..0.5).contains(&err),
            "calibration of a qubit: {q:?}"
        );
    }
    let gates = kestrel
        .get("gates")
        .and_then(Value::as_elements)
        .unwrap_or_default();
    assert!(gates.iter().any(|g| {
        g.get("gate").and_then(Value::as_str) == Some("cx")
            && g.get("error")
                .and_then(Value::as_number)
                .is_some_and(|e| e > 0.0)
    }));

    let simulator = provider
        .read_data(
            "ibm_quantum_backend",
            &Value::object([("name", Value::string("ibmq_qasm_simulator"))]),
        )
        .await?;
    assert_eq!(
        simulator.get("simulator").and_then(Value::as_bool),
        Some(true)
    );
    assert_eq!(simulator.get("coupling_map"), Some(&Value::null()));

    let missing = provider
        .read_data(
            "ibm_quantum_backend",
            &Value::object([("name", Value::string("ibm_nowhere"))]),
        )
        .await
        .err();
    assert_eq!(missing.map(|e| e.kind()), Some(ErrorKind::NotFound));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_renewed_and_throttling_and_5xx_are_retried() -> Result<(), ProviderError> {
    let emulator = Emulator::start("ibm-quantum", &["token_lifetime_seconds=11"]);
    let provider = configured(&emulator).await;
    let kestrel = Value::object([("name", Value::string("ibm_kestrel"))]);
    let read = || provider.read_data("ibm_quantum_backend", &kestrel);
    read().await?;
    // A token of 11 s is renewed 10 s before it expires: after 1 s, a new one is used.
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let before = iam_exchanges(&emulator);
    read().await?;
    // (On a loaded machine the read's three calls may outlast the new token's one second
    // too, and renew it again: at least one renewal, and never after a 401.)
    assert!(iam_exchanges(&emulator) > before, "renewed before expiry");
    assert_eq!(
        api_statuses(&emulator)
            .iter()
            .filter(|s| **s == 401)
            .count(),
        0,
        "no call was refused for an expired token"
    );

    // A token revoked early (401) is renewed once and the call succeeds.
    emulator
        .control("expire-tokens", &json!({}))
        .map_err(ProviderError::other)?;
    read().await?;

    // 429 with Retry-After, then a 503: retried.
    emulator
        .control(
            "faults",
            &json!({"method": "GET", "path": "/api/v1/backends/ibm_kestrel/status", "status": 429, "headers": {"Retry-After": "1"}, "times": 1}),
        )
        .map_err(ProviderError::other)?;
    emulator
        .control(
            "faults",
            &json!({"method": "GET", "path": "/api/v1/backends/ibm_kestrel/properties", "status": 503, "times": 1}),
        )
        .map_err(ProviderError::other)?;
    let started = Instant::now();
    read().await?;
    assert!(
        started.elapsed().as_secs_f64() >= 1.0,
        "Retry-After honoured: {:?}",
        started.elapsed()
    );
    Ok(())
}

fn iam_exchanges(emulator: &Emulator) -> usize {
    let port = aic_provider_testkit::http::port_of(emulator.endpoint()).unwrap_or(0);
    let answer = aic_provider_testkit::http::request(port, "GET", "/_emulator/requests", "")
        .map(|m| m.text())
        .unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(&answer).unwrap_or_default();
    json.get("requests")
        .and_then(serde_json::Value::as_array)
        .or_else(|| json.as_array())
        .into_iter()
        .flatten()
        .filter(|r| {
            r.get("path")
                .and_then(serde_json::Value::as_str)
                .is_some_and(|p| p.starts_with("/identity/token"))
        })
        .count()
}

/// The status of every `/api/v1` answer so far.
fn api_statuses(emulator: &Emulator) -> Vec<u64> {
    let port = aic_provider_testkit::http::port_of(emulator.endpoint()).unwrap_or(0);
    let answer = aic_provider_testkit::http::request(port, "GET", "/_emulator/requests", "")
        .map(|m| m.text())
        .unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(&answer).unwrap_or_default();
    json.get("requests")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter(|r| {
            r.get("path")
                .and_then(serde_json::Value::as_str)
                .is_some_and(|p| p.starts_with("/api/v1"))
        })
        .filter_map(|r| r.get("status").and_then(serde_json::Value::as_u64))
        .collect()
}
