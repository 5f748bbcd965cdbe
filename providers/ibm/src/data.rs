//! The data sources: `ibm_quantum_backends` (`GET /backends`, filtered) and
//! `ibm_quantum_backend` (`/backends/{name}/configuration`, `/status`, `/properties`).

use aic_lang::types::{ObjectAttr, Type};
use aic_lang::value::Value;
use aic_provider::{ProviderError, ResourceSchema};
use aic_provider_kit::{Attr, DataSource, Declare, ID};
use async_trait::async_trait;
use indexmap::IndexMap;
use serde_json::Value as Json;

use crate::client::{query_encode, Ibm, CLASSIFIER};

const MIN_QUBITS: Attr<i64> = Attr::new("min_qubits");
const OPERATIONAL: Attr<bool> = Attr::new("operational");
const SIMULATOR: Attr<bool> = Attr::new("simulator");
const LEAST_BUSY: Attr<bool> = Attr::new("least_busy");
const NAMES: Attr<Vec<String>> = Attr::new("names");
const NAME: Attr<String> = Attr::new("name");
const BACKENDS: Attr<String> = Attr::new("backends");
const NUM_QUBITS: Attr<i64> = Attr::new("num_qubits");
const BASIS_GATES: Attr<Vec<String>> = Attr::new("basis_gates");
const COUPLING_MAP: Attr<String> = Attr::new("coupling_map");
const STATUS: Attr<String> = Attr::new("status");
const PENDING_JOBS: Attr<i64> = Attr::new("pending_jobs");
const MAX_SHOTS: Attr<i64> = Attr::new("max_shots");
const QUBITS: Attr<String> = Attr::new("qubits");
const GATES: Attr<String> = Attr::new("gates");

fn object_type(attrs: &[(&str, Type)]) -> Type {
    Type::Object(
        attrs
            .iter()
            .map(|(k, t)| ((*k).to_owned(), ObjectAttr::required(t.clone())))
            .collect::<IndexMap<_, _>>(),
    )
}

fn backend_summary_type() -> Type {
    object_type(&[
        ("name", Type::String),
        ("num_qubits", Type::Number),
        ("status", Type::String),
        ("operational", Type::Bool),
        ("pending_jobs", Type::Number),
    ])
}

/// One entry of `GET /backends`.
struct Listed {
    name: String,
    qubits: i64,
    status: String,
    pending: i64,
}

impl Listed {
    fn from_json(entry: &Json) -> Option<Listed> {
        Some(Listed {
            name: entry.get("name")?.as_str()?.to_owned(),
            qubits: entry.get("qubits").and_then(Json::as_i64).unwrap_or(0),
            status: entry
                .pointer("/status/name")
                .and_then(Json::as_str)
                .unwrap_or("unknown")
                .to_owned(),
            pending: entry
                .get("queue_length")
                .and_then(Json::as_i64)
                .unwrap_or(0),
        })
    }

    fn operational(&self) -> bool {
        self.status == "online"
    }

    fn value(&self) -> Value {
        Value::object([
            ("name", Value::string(self.name.clone())),
            ("num_qubits", Value::number(self.qubits as f64)),
            ("status", Value::string(self.status.clone())),
            ("operational", Value::bool(self.operational())),
            ("pending_jobs", Value::number(self.pending as f64)),
        ])
    }
}

pub(crate) async fn configuration(ibm: &Ibm, name: &str) -> Result<Json, ProviderError> {
    ibm.get(
        "GetBackendConfiguration",
        &format!("/backends/{}/configuration", query_encode(name)),
    )
    .await
}

pub(crate) struct Backends;

#[async_trait]
impl DataSource<Ibm> for Backends {
    fn type_name(&self) -> &'static str {
        "ibm_quantum_backends"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(
            "The backends (quantum devices and simulators) the instance may use, filtered. \
             With `least_busy = true` only the operational match with the fewest pending \
             jobs is kept. No match is an error.",
        )
        .with(
            MIN_QUBITS
                .optional()
                .describe("Keep backends with at least this many qubits."),
        )
        .with(OPERATIONAL.optional().describe(
            "Keep only operational (`online`) backends (`true`) or only the others (`false`).",
        ))
        .with(
            SIMULATOR
                .optional()
                .describe("Keep only simulators (`true`) or only real devices (`false`)."),
        )
        .with(
            LEAST_BUSY
                .optional()
                .default_value(false)
                .describe("Keep only the operational backend with the fewest pending jobs."),
        )
        .with(ID.computed().describe("The instance's CRN."))
        .with(
            NAMES
                .computed()
                .describe("The matching backends' names, least busy first."),
        )
        .with(
            NAME.computed()
                .describe("The first of `names` (with `least_busy`, the least busy backend)."),
        )
        .with(
            BACKENDS
                .computed()
                .of_type(Type::list(backend_summary_type()))
                .describe(
                    "The matching backends, least busy first: `name`, `num_qubits`, `status` \
                     (`online`, `paused`, `offline`), `operational`, `pending_jobs`.",
                ),
        )
    }

    async fn read(&self, ibm: &Ibm, config: &Value) -> Result<Value, ProviderError> {
        let min_qubits = MIN_QUBITS.get(config)?;
        let operational = OPERATIONAL.get(config)?;
        let simulator = SIMULATOR.get(config)?;
        let least_busy = LEAST_BUSY.or(config, false)?;
        let answer = ibm.get("ListBackends", "/backends").await?;
        let devices = answer
            .get("devices")
            .and_then(Json::as_array)
            .ok_or_else(|| CLASSIFIER.incomplete("ListBackends", "devices"))?;
        let mut matched = Vec::new();
        for listed in devices.iter().filter_map(Listed::from_json) {
            if min_qubits.is_some_and(|n| listed.qubits < n)
                || operational.is_some_and(|o| listed.operational() != o)
                || (least_busy && !listed.operational())
            {
                continue;
            }
            if let Some(want) = simulator {
                let config = configuration(ibm, &listed.name).await?;
                let is_simulator = config
                    .get("simulator")
                    .and_then(Json::as_bool)
                    .unwrap_or(false);
                if is_simulator != want {
                    continue;
                }
            }
            matched.push(listed);
        }
        matched.sort_by(|a, b| a.pending.cmp(&b.pending).then(a.name.cmp(&b.name)));
        if least_busy {
            matched.truncate(1);
        }
        let Some(first) = matched.first() else {
            return Err(ProviderError::invalid_config(
                "no IBM Quantum backend matches the filters of `ibm_quantum_backends`",
            )
            .with_help(
                "Loosen `min_qubits`, `operational`, `simulator` or `least_busy`; a backend \
                 that is paused or offline is not operational.",
            ));
        };
        let name = first.name.clone();
        Ok(Value::object([
            MIN_QUBITS.copied(config),
            OPERATIONAL.copied(config),
            SIMULATOR.copied(config),
            LEAST_BUSY.to(least_busy),
            ID.to(ibm.settings().instance.clone()),
            NAMES.to(matched.iter().map(|b| b.name.clone()).collect::<Vec<_>>()),
            NAME.to(name),
            (
                BACKENDS.name(),
                Value::list(matched.iter().map(Listed::value)),
            ),
        ]))
    }
}

pub(crate) struct Backend;

fn qubit_type() -> Type {
    object_type(&[
        ("t1_us", Type::Number),
        ("t2_us", Type::Number),
        ("frequency_ghz", Type::Number),
        ("readout_error", Type::Number),
    ])
}

fn gate_type() -> Type {
    object_type(&[
        ("gate", Type::String),
        ("qubits", Type::list(Type::Number)),
        ("error", Type::Number),
        ("length_ns", Type::Number),
    ])
}

/// The value of a calibration parameter named `name` in `params` (a list of
/// `{"name", "value", "unit"}`); null when absent.
fn parameter(params: Option<&Json>, name: &str) -> Value {
    params
        .and_then(Json::as_array)
        .and_then(|ps| {
            ps.iter()
                .find(|p| p.get("name").and_then(Json::as_str) == Some(name))
        })
        .and_then(|p| p.get("value"))
        .and_then(Json::as_f64)
        .map_or_else(Value::null, Value::number)
}

fn numbers(json: Option<&Json>) -> Value {
    Value::list(
        json.and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(Json::as_f64)
            .map(Value::number),
    )
}

#[async_trait]
impl DataSource<Ibm> for Backend {
    fn type_name(&self) -> &'static str {
        "ibm_quantum_backend"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(
            "One backend: its configuration, its status now, and its latest calibration \
             (per-qubit T1/T2 and readout error, per-gate error).",
        )
        .with(
            NAME.required()
                .describe("The backend's name, e.g. `ibm_kestrel`."),
        )
        .with(ID.computed().describe("The backend's name."))
        .with(NUM_QUBITS.computed().describe("Its number of qubits."))
        .with(
            BASIS_GATES
                .computed()
                .describe("The gates it runs natively (`cx`, `ecr`, `rz`, `sx`, `x`, …)."),
        )
        .with(
            COUPLING_MAP
                .computed()
                .of_type(Type::list(Type::list(Type::Number)))
                .describe(
                    "Pairs `[control, target]` of qubits a two-qubit gate may join; null for \
                     an all-to-all simulator.",
                ),
        )
        .with(SIMULATOR.computed().describe("Whether it is a simulator."))
        .with(
            OPERATIONAL
                .computed()
                .describe("Whether it accepts and runs jobs now."),
        )
        .with(
            STATUS
                .computed()
                .describe("Its status now (`active`, `maintenance`, …)."),
        )
        .with(
            PENDING_JOBS
                .computed()
                .describe("Jobs waiting in its queue."),
        )
        .with(
            MAX_SHOTS
                .computed()
                .describe("The most shots a job may ask for."),
        )
        .with(
            QUBITS
                .computed()
                .of_type(Type::list(qubit_type()))
                .describe(
                    "Per qubit, in order: `t1_us`, `t2_us`, `frequency_ghz`, `readout_error` \
                     (null when not calibrated; empty for a simulator).",
                ),
        )
        .with(
            GATES
                .computed()
                .of_type(Type::list(gate_type()))
                .describe("Per calibrated gate: `gate`, `qubits`, `error`, `length_ns`."),
        )
    }

    async fn read(&self, ibm: &Ibm, config: &Value) -> Result<Value, ProviderError> {
        let name = NAME.require(config)?;
        let path = format!("/backends/{}", query_encode(&name));
        let configuration = configuration(ibm, &name).await?;
        let status = ibm
            .get("GetBackendStatus", &format!("{path}/status"))
            .await?;
        let properties = ibm
            .get("GetBackendProperties", &format!("{path}/properties"))
            .await?;
        let coupling = match configuration.get("coupling_map").and_then(Json::as_array) {
            None => Value::null(),
            Some(pairs) => Value::list(pairs.iter().map(|p| numbers(Some(p)))),
        };
        let qubits = properties
            .get("qubits")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .map(|q| {
                Value::object([
                    ("t1_us", parameter(Some(q), "T1")),
                    ("t2_us", parameter(Some(q), "T2")),
                    ("frequency_ghz", parameter(Some(q), "frequency")),
                    ("readout_error", parameter(Some(q), "readout_error")),
                ])
            });
        let gates = properties
            .get("gates")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .map(|g| {
                Value::object([
                    (
                        "gate",
                        Value::string(g.get("gate").and_then(Json::as_str).unwrap_or_default()),
                    ),
                    ("qubits", numbers(g.get("qubits"))),
                    ("error", parameter(g.get("parameters"), "gate_error")),
                    ("length_ns", parameter(g.get("parameters"), "gate_length")),
                ])
            });
        let int = |json: &Json, key: &str| json.get(key).and_then(Json::as_i64);
        Ok(Value::object([
            NAME.to(name.clone()),
            ID.to(name),
            NUM_QUBITS.to_opt(int(&configuration, "n_qubits")),
            BASIS_GATES.to(configuration
                .get("basis_gates")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .filter_map(Json::as_str)
                .map(str::to_owned)
                .collect::<Vec<_>>()),
            (COUPLING_MAP.name(), coupling),
            SIMULATOR.to(configuration
                .get("simulator")
                .and_then(Json::as_bool)
                .unwrap_or(false)),
            OPERATIONAL.to(status.get("state").and_then(Json::as_bool).unwrap_or(false)),
            STATUS.to_opt(status.get("status").and_then(Json::as_str)),
            PENDING_JOBS.to_opt(int(&status, "length_queue")),
            MAX_SHOTS.to_opt(int(&configuration, "max_shots")),
            (QUBITS.name(), Value::list(qubits)),
            (GATES.name(), Value::list(gates)),
        ]))
    }
}
