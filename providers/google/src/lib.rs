//! The `google` provider: Google Kubernetes Engine through Google's Rust client
//! `google-cloud-container-v1` (REST/JSON transport).
//!
//! | resources | data sources |
//! | --- | --- |
//! | `google_container_cluster`, `google_container_node_pool` | `google_container_engine_versions`, `google_container_cluster` |
//!
//! Each provider configuration is configured into its own [`Gke`] client: the project, the
//! default location, the endpoint and the credentials (the `access_token`, else Application
//! Default Credentials). Every mutation's `Operation` is polled to `DONE`, one at a time
//! per cluster; calls go through the kit's backoff and error classification.
//!
//! **Architecture invariant**: this is the only crate that links the Google Cloud client
//! libraries. It talks to the engine only through the `aic-provider` traits and is reached
//! only through a [`Registry`] ([`register`]).

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use aic_lang::value::Value;
use aic_provider::{ConfiguredProvider, Provider, ProviderError, ProviderSchema, Registry};
use aic_provider_kit::{Backoff, Configured, Table};
use async_trait::async_trait;

mod client;
mod cluster;
pub mod config;
#[cfg(feature = "conformance")]
pub mod conformance;
mod data;
pub mod names;
mod node_pool;

pub use aic_provider_kit::Timing;
pub use client::{api_error, Gke, ATTEMPT_TIMEOUT};
pub use config::Settings;

/// The provider's types.
static TABLE: LazyLock<Arc<Table<Gke>>> = LazyLock::new(|| {
    Arc::new(
        Table::new(config::schema())
            .resource(cluster::Cluster)
            .resource(node_pool::NodePool)
            .data_source(data::EngineVersions)
            .data_source(data::ClusterData),
    )
});

/// The `google` provider before configuration.
#[derive(Debug, Clone)]
pub struct GoogleProvider {
    timing: Timing,
    backoff: Backoff,
    attempt_timeout: Duration,
}

impl Default for GoogleProvider {
    fn default() -> Self {
        GoogleProvider {
            timing: Timing::default(),
            backoff: Backoff::default(),
            attempt_timeout: ATTEMPT_TIMEOUT,
        }
    }
}

impl GoogleProvider {
    pub fn new() -> GoogleProvider {
        GoogleProvider::default()
    }

    /// This provider with other polling intervals (short ones for emulators and tests).
    #[must_use]
    pub fn with_timing(mut self, timing: Timing) -> Self {
        self.timing = timing;
        self
    }

    /// This provider retrying throttled and transient calls after short delays
    /// ([`Backoff::fast`], for emulators and tests).
    #[must_use]
    pub fn with_fast_backoff(mut self) -> Self {
        self.backoff = Backoff::fast();
        self
    }

    /// This provider giving up on a call after `timeout` (a lost answer).
    #[must_use]
    pub fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// A client for `settings`.
    pub async fn client(&self, settings: Settings) -> Result<Gke, ProviderError> {
        Gke::new(settings, self.timing, self.backoff, self.attempt_timeout).await
    }
}

#[async_trait]
impl Provider for GoogleProvider {
    fn schema(&self) -> &ProviderSchema {
        TABLE.schema()
    }

    fn sdk(&self) -> Option<String> {
        Some("google-cloud-container-v1 1.x (REST/JSON)".to_owned())
    }

    async fn configure(
        &self,
        config: &Value,
    ) -> Result<Arc<dyn ConfiguredProvider>, ProviderError> {
        let gke = self.client(Settings::from_config(config)?).await?;
        Ok(Arc::new(Configured::new(gke, TABLE.clone())))
    }
}

/// Registers the `google` provider in `registry` (polling intervals from the environment:
/// `AIC_GOOGLE_POLL_MS`, see [`Timing::from_env`]).
pub fn register(registry: &mut Registry) {
    registry.register(
        "google",
        Arc::new(GoogleProvider::new().with_timing(Timing::from_env("AIC_GOOGLE_POLL_MS"))),
    );
}

/// The provider's schema (every type), for documentation and tests.
pub static SCHEMA: LazyLock<&'static ProviderSchema> = LazyLock::new(|| TABLE.schema());

pub(crate) use aic_provider_kit::values::problem_at;

/// The Markdown reference of the provider (the text of `docs/providers/google.md`).
pub fn reference_markdown() -> String {
    let mut out = String::from(
        "# The `google` provider\n\n\
         <!-- Generated from the provider schema; do not edit. Regenerate with\n     \
         cargo run -p aic-provider-google --example gen-google-docs > docs/providers/google.md -->\n\n\
         Google Kubernetes Engine through Google's Rust client `google-cloud-container-v1` \
         (REST/JSON transport): clusters, node pools, their versions, with the names and \
         attributes of Terraform's google provider.\n\n\
         - **Use**: *required* attributes must be set; *optional* ones may be (the default \
         applies otherwise); *computed* ones are set by GKE and can be read from the \
         resource.\n\
         - **Force new**: changing the attribute replaces the object.\n\
         - **Credentials**: the provider's `access_token` (sent as `Authorization: Bearer`), \
         else Application Default Credentials (`GOOGLE_APPLICATION_CREDENTIALS`, \
         `gcloud auth application-default login`, the metadata server).\n\
         - **Operations**: every change returns GKE's `Operation`, polled until `DONE`; a \
         failed operation is an error with its `google.rpc.Status` code and message. GKE \
         runs one operation per cluster at a time: aic queues the operations of one cluster \
         (two node pools of one cluster changed in one apply run one after the other), and \
         one refused because of an operation started elsewhere (`FAILED_PRECONDITION` \
         \"incompatible operation\") is started again when that one ended. Set \
         `AIC_GOOGLE_POLL_MS` to poll faster than the 2 s the real service needs.\n\
         - **Errors**: `google.rpc.Status` codes map onto aic's classes: `NOT_FOUND`, \
         `RESOURCE_EXHAUSTED` (retried with backoff, honouring `Retry-After`), \
         `UNAVAILABLE`/`INTERNAL`/`DEADLINE_EXCEEDED` (retried), `INVALID_ARGUMENT` (pointing \
         at the attribute of the field GKE names), `ALREADY_EXISTS`, `PERMISSION_DENIED`.\n\
         - **Refresh** is in bulk: one `ListClusters` per project (of the location, or `-` \
         when the clusters are in several), one `ListNodePools` per cluster; a node pool's \
         size is the `targetSize` of its instance groups, as the google provider reads it.\n\
         - **Lost answers**: a create whose answer was lost (a 5xx, a timeout, a crash) \
         looks for the cluster or node pool by its name before creating again.\n\
         - **Import** (`aic import ADDR ID`) takes `projects/P/locations/L/clusters/C` or \
         `projects/P/locations/L/clusters/C/nodePools/N`. An imported cluster records \
         `deletion_protection = false` until its configuration is applied.\n\
         - **Emulator**: `scripts/emulator.sh start gke` prints `endpoint=URL pid=PID`; set \
         `endpoint` to that URL and `access_token` to any value.\n\n",
    );
    out.push_str(&aic_provider::docs::markdown("google", TABLE.schema()));
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
