//! Data sources: `google_container_engine_versions` (`GetServerConfig`) and
//! `google_container_cluster` (`GetCluster`).

use aic_lang::types::Type;
use aic_lang::value::Value;
use aic_provider::{ProviderError, ResourceSchema};
use aic_provider_kit::{Attr, DataSource, Declare, ID};
use async_trait::async_trait;
use indexmap::IndexMap;

use crate::client::Gke;
use crate::cluster::{
    cluster_name, get, master_auth_type, ENDPOINT, LOCATION, MASTER_AUTH, MASTER_VERSION, NAME,
    NETWORK, PROJECT, RESOURCE_LABELS, SUBNETWORK,
};

const VERSION_PREFIX: Attr<String> = Attr::new("version_prefix");
const DEFAULT_CLUSTER_VERSION: Attr<String> = Attr::new("default_cluster_version");
const LATEST_MASTER_VERSION: Attr<String> = Attr::new("latest_master_version");
const LATEST_NODE_VERSION: Attr<String> = Attr::new("latest_node_version");
const VALID_MASTER_VERSIONS: Attr<Vec<String>> = Attr::new("valid_master_versions");
const VALID_NODE_VERSIONS: Attr<Vec<String>> = Attr::new("valid_node_versions");
const RELEASE_CHANNEL_DEFAULT_VERSION: Attr<IndexMap<String, String>> =
    Attr::new("release_channel_default_version");
const RELEASE_CHANNEL_LATEST_VERSION: Attr<IndexMap<String, String>> =
    Attr::new("release_channel_latest_version");
const RELEASE_CHANNEL: Attr<String> = Attr::new("release_channel");
const STATUS: Attr<String> = Attr::new("status");
const NODE_POOLS: Attr<Vec<String>> = Attr::new("node_pools");

pub(crate) struct EngineVersions;

#[async_trait]
impl DataSource<Gke> for EngineVersions {
    fn type_name(&self) -> &'static str {
        "google_container_engine_versions"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(
            "The Kubernetes versions GKE offers in a location (`GetServerConfig`), newest first.",
        )
        .with(
            LOCATION
                .optional()
                .describe("A region or zone; the provider's `region` when not set."),
        )
        .with(
            PROJECT
                .optional()
                .describe("The project; the provider's when not set."),
        )
        .with(
            VERSION_PREFIX
                .optional()
                .describe("Only versions starting with this (`1.33.`): a minor version's patches."),
        )
        .with(
            DEFAULT_CLUSTER_VERSION
                .computed()
                .describe("The version of a new cluster."),
        )
        .with(
            LATEST_MASTER_VERSION
                .computed()
                .describe("The newest master version."),
        )
        .with(
            LATEST_NODE_VERSION
                .computed()
                .describe("The newest node version."),
        )
        .with(
            VALID_MASTER_VERSIONS
                .computed()
                .describe("Every master version, newest first."),
        )
        .with(
            VALID_NODE_VERSIONS
                .computed()
                .describe("Every node version, newest first."),
        )
        .with(
            RELEASE_CHANNEL_DEFAULT_VERSION
                .computed()
                .describe("Each release channel's default version (`REGULAR` → …)."),
        )
        .with(
            RELEASE_CHANNEL_LATEST_VERSION
                .computed()
                .describe("Each release channel's newest version."),
        )
    }

    async fn read(&self, gke: &Gke, config: &Value) -> Result<Value, ProviderError> {
        let project = PROJECT
            .get(config)?
            .unwrap_or_else(|| gke.settings.project.clone());
        let location = gke.location(LOCATION.get(config)?)?;
        let name = format!("projects/{project}/locations/{location}");
        let server = gke
            .call("GetServerConfig", || {
                gke.client()
                    .get_server_config()
                    .set_name(name.clone())
                    .send()
            })
            .await?;
        let prefix = VERSION_PREFIX.get(config)?.unwrap_or_default();
        let matching = |versions: &[String]| -> Vec<String> {
            versions
                .iter()
                .filter(|v| v.starts_with(&prefix))
                .cloned()
                .collect()
        };
        let masters = matching(&server.valid_master_versions);
        let nodes = matching(&server.valid_node_versions);
        let mut defaults = IndexMap::new();
        let mut latest = IndexMap::new();
        for channel in &server.channels {
            let Some(name) = channel.channel.name() else {
                continue;
            };
            defaults.insert(name.to_owned(), channel.default_version.clone());
            if let Some(newest) = matching(&channel.valid_versions).first() {
                latest.insert(name.to_owned(), newest.clone());
            }
        }
        Ok(self.schema().instance([
            LOCATION.to(location),
            PROJECT.to(project),
            VERSION_PREFIX.to_opt((!prefix.is_empty()).then_some(prefix.clone())),
            DEFAULT_CLUSTER_VERSION.text(Some(&server.default_cluster_version)),
            LATEST_MASTER_VERSION.to_opt(masters.first().cloned()),
            LATEST_NODE_VERSION.to_opt(nodes.first().cloned()),
            VALID_MASTER_VERSIONS.to(masters),
            VALID_NODE_VERSIONS.to(nodes),
            RELEASE_CHANNEL_DEFAULT_VERSION.to(defaults),
            RELEASE_CHANNEL_LATEST_VERSION.to(latest),
        ]))
    }
}

pub(crate) struct ClusterData;

#[async_trait]
impl DataSource<Gke> for ClusterData {
    fn type_name(&self) -> &'static str {
        "google_container_cluster"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new("An existing GKE cluster (`GetCluster`), whoever manages it.")
            .with(NAME.required().describe("The cluster's name."))
            .with(
                LOCATION
                    .optional()
                    .describe("Its region or zone; the provider's `region` when not set."),
            )
            .with(
                PROJECT
                    .optional()
                    .describe("Its project; the provider's when not set."),
            )
            .with(
                ID.computed()
                    .describe("`projects/P/locations/L/clusters/NAME`."),
            )
            .with(
                ENDPOINT
                    .computed()
                    .describe("The IP address of the control plane."),
            )
            .with(
                MASTER_VERSION
                    .computed()
                    .describe("The control plane's version."),
            )
            .with(
                Attr::<String>::new(MASTER_AUTH)
                    .computed()
                    .sensitive()
                    .of_type(master_auth_type())
                    .describe("`cluster_ca_certificate`: the CA certificate, base64 PEM."),
            )
            .with(NETWORK.computed().describe("The VPC network."))
            .with(SUBNETWORK.computed().describe("The subnetwork."))
            .with(
                RESOURCE_LABELS
                    .computed()
                    .describe("The cluster's resource labels."),
            )
            .with(
                RELEASE_CHANNEL
                    .computed()
                    .of_type(Type::String)
                    .describe("Its release channel (`REGULAR`, …; `UNSPECIFIED` for none)."),
            )
            .with(
                STATUS
                    .computed()
                    .describe("`RUNNING`, `PROVISIONING`, `RECONCILING`, …"),
            )
            .with(
                NODE_POOLS
                    .computed()
                    .describe("The names of its node pools."),
            )
    }

    async fn read(&self, gke: &Gke, config: &Value) -> Result<Value, ProviderError> {
        let name = cluster_name(gke, config)?;
        let cluster = get(gke, &name).await?.ok_or_else(|| {
            ProviderError::not_found(format!("GKE has no cluster {}", name.path()))
                .with_help("Check the data source's `name`, `location` and `project`.")
        })?;
        let channel = cluster
            .release_channel
            .as_ref()
            .and_then(|c| c.channel.name())
            .unwrap_or("UNSPECIFIED");
        Ok(self.schema().instance([
            NAME.to(name.cluster.as_str()),
            LOCATION.to(name.location.as_str()),
            PROJECT.to(name.project.as_str()),
            ID.to(name.path()),
            ENDPOINT.text(Some(&cluster.endpoint)),
            MASTER_VERSION.text(Some(&cluster.current_master_version)),
            (
                MASTER_AUTH,
                Value::object([(
                    "cluster_ca_certificate",
                    Value::string(
                        cluster
                            .master_auth
                            .as_ref()
                            .map(|a| a.cluster_ca_certificate.as_str())
                            .unwrap_or_default(),
                    ),
                )]),
            ),
            NETWORK.text(Some(&cluster.network)),
            SUBNETWORK.text(Some(&cluster.subnetwork)),
            RESOURCE_LABELS
                .to(crate::names::sorted_map(&cluster.resource_labels).unwrap_or_default()),
            RELEASE_CHANNEL.to(channel),
            STATUS.to(cluster.status.name().unwrap_or("STATUS_UNSPECIFIED")),
            NODE_POOLS.to(cluster
                .node_pools
                .iter()
                .map(|p| p.name.clone())
                .collect::<Vec<_>>()),
        ]))
    }
}
