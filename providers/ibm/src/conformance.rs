//! The conformance cases of the `ibm_quantum` provider (feature `conformance`), against the
//! IBM Quantum emulator (`scripts/emulator.sh start ibm-quantum`; a missing venv fails
//! naming `scripts/emulator.sh install ibm-quantum`): one per resource type, for
//! [`aic_provider_testkit::Suite::run`]. Faults are injected through the emulator's
//! control API; changes out of band go through IBM's API with a client of their own;
//! objects are counted through the control API (IBM's API lists no sessions).

use std::sync::Arc;

use aic_lang::value::Value;
use aic_provider::Provider;
use aic_provider_testkit::backend::Emulator;
use aic_provider_testkit::http;
use aic_provider_testkit::{
    Aic, Case, Drift, EmulatorFaults, Import, Scenario, Suite, Target, Variant,
};
use async_trait::async_trait;
use reqwest::Method;
use serde_json::json;

use crate::config::{Settings, API_KEY_VARS};
use crate::{Ibm, IbmProvider, Timing};

/// The emulator's one instance.
pub const CRN: &str = "crn:v1:bluemix:public:quantum-computing:us-east:a/0e6a2b5c1f0b4a1e9d3c7b8a6f5e4d3c:5f2a9c1e-7b3d-4e8f-a1c2-9d0e8f7a6b5c::";

/// Any key works with the emulator.
pub const API_KEY: &str = "conformance-key";

/// A Bell pair measured into `bit[2] c`.
pub const BELL: &str = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[2] q;\nbit[2] c;\nh q[0];\ncx q[0], q[1];\nc = measure q;\n";

/// The emulator, and a client of IBM's API of its own for changes out of band.
pub struct Backend {
    pub emulator: Emulator,
    outside: Ibm,
}

impl Backend {
    /// Starts the emulator (jobs queue and run 50 ms).
    pub fn start() -> Result<Arc<Backend>, String> {
        let emulator = Emulator::start(
            "ibm-quantum",
            &["job_queue_seconds=0.05", "job_run_seconds=0.05", "seed=7"],
        );
        let settings = Settings::from_config(&provider_config(emulator.endpoint()))
            .map_err(|e| e.to_string())?;
        let outside = Ibm::new(
            settings,
            "outside-key".to_owned(),
            Timing::fast(),
            aic_provider_kit::Backoff::fast(),
        );
        Ok(Arc::new(Backend { emulator, outside }))
    }

    /// The run of the `ibm_quantum` provider (its API key from the environment, as for
    /// users); `aic` runs its crash-recovery step.
    pub async fn suite(self: &Arc<Self>, aic: Option<Aic>) -> Result<Suite, String> {
        std::env::set_var(API_KEY_VARS[0], API_KEY);
        let config = provider_config(self.emulator.endpoint());
        let provider = IbmProvider::new()
            .with_timing(Timing::fast())
            .with_fast_backoff()
            .configure(&config)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Suite {
            provider_name: "ibm_quantum".to_owned(),
            provider_config: config,
            provider,
            faults: Arc::new(EmulatorFaults::new(self.emulator.endpoint())?),
            aic: aic.map(|a| a.env(API_KEY_VARS[0], API_KEY).env("AIC_IBM_POLL_MS", "10")),
            attempts: 5,
        })
    }

    /// One case per resource type.
    pub fn cases(self: &Arc<Self>) -> Vec<Box<dyn Case>> {
        vec![
            Box::new(SessionCase(self.clone())),
            Box::new(JobCase(self.clone())),
        ]
    }

    /// The documents the control API lists under `/_emulator/{what}` (`sessions`, `jobs`).
    pub fn listed(&self, what: &str) -> Result<Vec<serde_json::Value>, String> {
        let port = http::port_of(self.emulator.endpoint()).ok_or("no emulator port")?;
        let answer = http::request(port, "GET", &format!("/_emulator/{what}"), "")
            .map_err(|e| format!("/_emulator/{what}: {e}"))?;
        let json: serde_json::Value =
            serde_json::from_slice(&answer.body).map_err(|e| format!("/_emulator/{what}: {e}"))?;
        Ok(json
            .get(what)
            .and_then(serde_json::Value::as_array)
            .cloned()
            .unwrap_or_default())
    }
}

/// The `provider ibm_quantum` block for the emulator at `endpoint`.
pub fn provider_config(endpoint: &str) -> Value {
    Value::object([
        ("instance", Value::string(CRN)),
        ("endpoint", Value::string(endpoint)),
        ("iam_endpoint", Value::string(endpoint)),
    ])
}

fn id_of(object: &Value) -> String {
    object
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

struct SessionCase(Arc<Backend>);

fn session(mode: &str, max_ttl: f64) -> Value {
    Value::object([
        ("backend", Value::string("ibm_kestrel")),
        ("mode", Value::string(mode)),
        ("max_ttl", Value::number(max_ttl)),
    ])
}

#[async_trait]
impl Case for SessionCase {
    fn type_name(&self) -> &'static str {
        "ibm_quantum_session"
    }

    async fn scenario(&self) -> Result<Scenario, String> {
        Ok(Scenario {
            create: session("batch", 600.0),
            update: Variant::None(
                "every argument of a session forces a new one: IBM changes nothing of an open \
                 session but whether it accepts jobs, and one that stops accepting closes",
            ),
            replace: Variant::To(session("batch", 900.0)),
            import: Import::Id(Box::new(id_of)),
            import_ignores: vec![],
            create_request: Some(Target::Request {
                method: Some("POST".into()),
                contains: "/api/v1/sessions".into(),
            }),
        })
    }

    async fn drift(&self, object: &Value) -> Result<Drift, String> {
        // Closed by someone else: gone for good.
        self.0
            .outside
            .call(
                "CloseSession",
                Method::DELETE,
                &format!("/sessions/{}/close", id_of(object)),
                None,
            )
            .await
            .map_err(|e| e.to_string())?;
        Ok(Drift::Made)
    }

    async fn count(&self) -> Result<Option<usize>, String> {
        let open = self
            .0
            .listed("sessions")?
            .iter()
            .filter(|s| s.get("state").and_then(serde_json::Value::as_str) != Some("closed"))
            .count();
        Ok(Some(open))
    }

    fn lost_answer_unfindable(&self) -> Option<&'static str> {
        Some(
            "IBM's API neither tags nor lists sessions: a lost answer to opening one is an \
             error, never repeated (providers/ibm/tests/resources.rs checks it)",
        )
    }
}

struct JobCase(Arc<Backend>);

fn job(shots: f64, tags: &[&str]) -> Value {
    Value::object([
        ("program_id", Value::string("sampler")),
        ("backend", Value::string("ibmq_qasm_simulator")),
        (
            "pubs",
            Value::list([Value::object([
                ("circuit", Value::string(BELL)),
                ("parameter_values", Value::null()),
                ("observables", Value::null()),
                ("shots", Value::number(shots)),
            ])]),
        ),
        ("tags", Value::list(tags.iter().map(|t| Value::string(*t)))),
    ])
}

#[async_trait]
impl Case for JobCase {
    fn type_name(&self) -> &'static str {
        "ibm_quantum_job"
    }

    async fn scenario(&self) -> Result<Scenario, String> {
        Ok(Scenario {
            create: job(64.0, &["conformance", "one"]),
            update: Variant::To(job(64.0, &["conformance", "two"])),
            replace: Variant::To(job(128.0, &["conformance", "two"])),
            import: Import::Id(Box::new(id_of)),
            import_ignores: vec![],
            create_request: Some(Target::Request {
                method: Some("POST".into()),
                contains: "/api/v1/jobs".into(),
            }),
        })
    }

    async fn drift(&self, object: &Value) -> Result<Drift, String> {
        self.0
            .outside
            .call(
                "ReplaceJobTags",
                Method::PUT,
                &format!("/jobs/{}/tags", id_of(object)),
                Some(&json!({"tags": ["retagged"]})),
            )
            .await
            .map_err(|e| e.to_string())?;
        Ok(Drift::Made)
    }

    async fn count(&self) -> Result<Option<usize>, String> {
        Ok(Some(self.0.listed("jobs")?.len()))
    }
}
