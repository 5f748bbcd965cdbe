//! The conformance cases of the `google` provider (feature `conformance`), against the GKE
//! emulator (`scripts/emulator.sh start gke`; a missing venv fails naming
//! `scripts/emulator.sh install gke`): one per resource type, for
//! [`aic_provider_testkit::Suite::run`]. Faults and changes out of band go through the
//! emulator's control API; objects are counted through GKE's own list calls.

use std::sync::Arc;
use std::time::Duration;

use aic_lang::value::Value;
use aic_provider::Provider;
use aic_provider_testkit::backend::Emulator;
use aic_provider_testkit::http;
use aic_provider_testkit::{
    Aic, Case, Drift, EmulatorFaults, Import, Scenario, Suite, Target, Variant,
};
use async_trait::async_trait;
use serde_json::json;

use crate::{GoogleProvider, Timing};

/// The project of every conformance object.
pub const PROJECT: &str = "conformance";
/// Their region.
pub const REGION: &str = "europe-west1";
/// Any token works with the emulator.
pub const TOKEN: &str = "conformance-token";
/// The cluster the node pool case's pools live in.
pub const HOST_CLUSTER: &str = "conf-host";

/// The emulator of one run.
pub struct Backend {
    pub emulator: Emulator,
}

impl Backend {
    /// Starts the emulator (operations take 50 ms).
    pub fn start() -> Result<Arc<Backend>, String> {
        let emulator = Emulator::start("gke", &["operation_seconds=0.05"]);
        Ok(Arc::new(Backend { emulator }))
    }

    /// The run of the `google` provider; `aic` runs its crash-recovery step.
    pub async fn suite(self: &Arc<Self>, aic: Option<Aic>) -> Result<Suite, String> {
        let config = provider_config(self.emulator.endpoint());
        let provider = GoogleProvider::new()
            .with_timing(Timing::fast())
            .with_fast_backoff()
            // The emulator's injected timeouts hold an answer 500 ms.
            .with_attempt_timeout(Duration::from_millis(400))
            .configure(&config)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Suite {
            provider_name: "google".to_owned(),
            provider_config: config,
            provider,
            faults: Arc::new(EmulatorFaults::new(self.emulator.endpoint())?),
            aic: aic.map(|a| a.env("AIC_GOOGLE_POLL_MS", "10")),
            attempts: 5,
        })
    }

    /// One case per resource type.
    pub fn cases(self: &Arc<Self>) -> Vec<Box<dyn Case>> {
        vec![
            Box::new(ClusterCase(self.clone())),
            Box::new(NodePoolCase(self.clone())),
        ]
    }

    /// A call of GKE's API (`path` under `/v1/`) with the token as a query parameter.
    pub fn api(
        &self,
        method: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        let port = http::port_of(self.emulator.endpoint()).ok_or("no emulator port")?;
        let sep = if path.contains('?') { '&' } else { '?' };
        let full = format!("/v1/{path}{sep}access_token={TOKEN}");
        let body = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        let answer =
            http::request(port, method, &full, &body).map_err(|e| format!("{full}: {e}"))?;
        if answer.status() >= 300 {
            return Err(format!("{method} {full}: {}", answer.text()));
        }
        serde_json::from_slice(&answer.body).map_err(|e| format!("{full}: {e}"))
    }

    /// Every operation running now ends (`/_emulator/settle`).
    pub fn settle(&self) -> Result<(), String> {
        self.emulator.control("settle", &json!({})).map(|_| ())
    }

    /// Changes `name` (a cluster's or pool's full name) out of band: `change` is the body of
    /// `/_emulator/drift` without the name.
    pub fn drift(&self, name: &str, mut change: serde_json::Value) -> Result<(), String> {
        change["name"] = json!(name);
        self.emulator.control("drift", &change).map(|_| ())
    }

    /// The names of the clusters GKE lists in the conformance project.
    pub fn clusters(&self) -> Result<Vec<String>, String> {
        let listed = self.api(
            "GET",
            &format!("projects/{PROJECT}/locations/-/clusters"),
            &json!(null),
        )?;
        Ok(names(&listed, "clusters"))
    }

    /// The names of the node pools of the host cluster.
    pub fn pools(&self) -> Result<Vec<String>, String> {
        let listed = self.api("GET", &format!("{}/nodePools", host_path()), &json!(null))?;
        Ok(names(&listed, "nodePools"))
    }
}

fn names(listed: &serde_json::Value, key: &str) -> Vec<String> {
    listed
        .get(key)
        .and_then(serde_json::Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|c| c.get("name").and_then(serde_json::Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// `projects/conformance/locations/europe-west1/clusters/conf-host`
pub fn host_path() -> String {
    format!("projects/{PROJECT}/locations/{REGION}/clusters/{HOST_CLUSTER}")
}

/// The `provider google` block for the emulator at `endpoint`.
pub fn provider_config(endpoint: &str) -> Value {
    Value::object([
        ("project", Value::string(PROJECT)),
        ("region", Value::string(REGION)),
        ("endpoint", Value::string(endpoint)),
        ("access_token", Value::string(TOKEN)),
    ])
}

fn id_of(object: &Value) -> String {
    object
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn labels(pairs: &[(&str, &str)]) -> Value {
    Value::map(pairs.iter().map(|(k, v)| (*k, Value::string(*v))))
}

struct ClusterCase(Arc<Backend>);

const CLUSTER: &str = "conf-cluster";

fn cluster(initial_node_count: f64, team: &str) -> Value {
    Value::object([
        ("name", Value::string(CLUSTER)),
        ("initial_node_count", Value::number(initial_node_count)),
        ("deletion_protection", Value::bool(false)),
        ("resource_labels", labels(&[("team", team)])),
    ])
}

#[async_trait]
impl Case for ClusterCase {
    fn type_name(&self) -> &'static str {
        "google_container_cluster"
    }

    async fn scenario(&self) -> Result<Scenario, String> {
        Ok(Scenario {
            create: cluster(1.0, "a"),
            update: Variant::To(cluster(1.0, "b")),
            replace: Variant::To(cluster(2.0, "b")),
            import: Import::Id(Box::new(id_of)),
            import_ignores: vec![],
            create_request: Some(Target::Request {
                method: Some("POST".into()),
                contains: format!("/locations/{REGION}/clusters"),
            }),
        })
    }

    async fn drift(&self, object: &Value) -> Result<Drift, String> {
        self.0.drift(
            &id_of(object),
            json!({"set": {"resourceLabels": {"team": "changed-by-hand"}}}),
        )?;
        Ok(Drift::Made)
    }

    async fn count(&self) -> Result<Option<usize>, String> {
        Ok(Some(
            self.0.clusters()?.iter().filter(|c| *c == CLUSTER).count(),
        ))
    }
}

struct NodePoolCase(Arc<Backend>);

const POOL: &str = "conf-pool";

fn pool(node_count: f64, role: &str, spot: bool) -> Value {
    Value::object([
        ("name", Value::string(POOL)),
        ("cluster", Value::string(host_path())),
        ("node_count", Value::number(node_count)),
        (
            "node_config",
            Value::object([
                ("machine_type", Value::string("e2-standard-2")),
                ("disk_size_gb", Value::number(50.0)),
                ("labels", labels(&[("role", role)])),
                ("spot", Value::bool(spot)),
            ]),
        ),
        (
            "management",
            Value::object([
                ("auto_repair", Value::bool(true)),
                ("auto_upgrade", Value::bool(false)),
            ]),
        ),
    ])
}

#[async_trait]
impl Case for NodePoolCase {
    fn type_name(&self) -> &'static str {
        "google_container_node_pool"
    }

    async fn scenario(&self) -> Result<Scenario, String> {
        // The host cluster: in no release channel (so auto-upgrade may be off), without
        // its default pool's name in the way.
        if !self.0.clusters()?.iter().any(|c| c == HOST_CLUSTER) {
            self.0.api(
                "POST",
                &format!("projects/{PROJECT}/locations/{REGION}/clusters"),
                &json!({"cluster": {"name": HOST_CLUSTER, "initialNodeCount": 1, "releaseChannel": {}}}),
            )?;
            self.0.settle()?;
        }
        Ok(Scenario {
            create: pool(1.0, "a", false),
            update: Variant::To(pool(2.0, "b", false)),
            replace: Variant::To(pool(2.0, "b", true)),
            import: Import::Id(Box::new(id_of)),
            import_ignores: vec![],
            create_request: Some(Target::Request {
                method: Some("POST".into()),
                contains: format!("/clusters/{HOST_CLUSTER}/nodePools"),
            }),
        })
    }

    async fn drift(&self, object: &Value) -> Result<Drift, String> {
        self.0.drift(&id_of(object), json!({"nodeCount": 4}))?;
        Ok(Drift::Made)
    }

    async fn count(&self) -> Result<Option<usize>, String> {
        Ok(Some(self.0.pools()?.iter().filter(|p| *p == POOL).count()))
    }
}
