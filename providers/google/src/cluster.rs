//! `google_container_cluster`: a GKE cluster (`CreateCluster`, `GetCluster`, `ListClusters`,
//! `SetLabels`, `UpdateCluster`, `DeleteCluster`), with Terraform's google provider's names.
//!
//! What changes in place: `resource_labels` (`:setResourceLabels` with the cluster's label
//! fingerprint), `min_master_version` (a master upgrade, `UpdateCluster`
//! `desiredMasterVersion`), `release_channel` (`UpdateCluster` `desiredReleaseChannel`);
//! `deletion_protection` and `remove_default_node_pool` are aic's own and call nothing.
//! Everything else forces a new cluster, as in the google provider.

use std::collections::HashMap;

use aic_lang::types::{ObjectAttr, Type};
use aic_lang::value::Value;
use aic_provider::{
    plan_resource, PlanRequest, PlanResponse, Problem, ProviderError, ResourceSchema,
};
use aic_provider_kit::bulk::Results;
use aic_provider_kit::create::finish_or_undo;
use aic_provider_kit::values::{id, id_if_any};
use aic_provider_kit::wait::gone_as_none;
use aic_provider_kit::{Attr, Block, CreateToken, Declare, Resource, ID};
use async_trait::async_trait;
use google_cloud_container_v1::model::Cluster as ApiCluster;
use indexmap::IndexMap;
use serde_json::json;

use crate::client::Gke;
use crate::names::{sorted_map, ClusterName};
use crate::problem_at;

pub(crate) const NAME: Attr<String> = Attr::new("name");
pub(crate) const LOCATION: Attr<String> = Attr::new("location");
pub(crate) const PROJECT: Attr<String> = Attr::new("project");
const INITIAL_NODE_COUNT: Attr<i64> = Attr::new("initial_node_count");
const REMOVE_DEFAULT_NODE_POOL: Attr<bool> = Attr::new("remove_default_node_pool");
const MIN_MASTER_VERSION: Attr<String> = Attr::new("min_master_version");
pub(crate) const MASTER_VERSION: Attr<String> = Attr::new("master_version");
pub(crate) const NETWORK: Attr<String> = Attr::new("network");
pub(crate) const SUBNETWORK: Attr<String> = Attr::new("subnetwork");
pub(crate) const RESOURCE_LABELS: Attr<IndexMap<String, String>> = Attr::new("resource_labels");
const DELETION_PROTECTION: Attr<bool> = Attr::new("deletion_protection");
pub(crate) const ENDPOINT: Attr<String> = Attr::new("endpoint");
pub(crate) const MASTER_AUTH: &str = "master_auth";
const RELEASE_CHANNEL: Block = Block::new("release_channel");
const CHANNEL: Attr<String> = Attr::new("channel");

/// GKE's release channels.
pub(crate) const CHANNELS: [&str; 5] = ["UNSPECIFIED", "RAPID", "REGULAR", "STABLE", "EXTENDED"];

pub(crate) struct Cluster;

/// The type of `master_auth`.
pub(crate) fn master_auth_type() -> Type {
    Type::object([("cluster_ca_certificate", ObjectAttr::required(Type::String))])
}

/// The cluster `object` (planned or prior) names.
pub(crate) fn cluster_name(gke: &Gke, object: &Value) -> Result<ClusterName, ProviderError> {
    if let Some(id) = id_if_any(object) {
        return ClusterName::parse(&id);
    }
    Ok(ClusterName {
        project: PROJECT
            .get(object)?
            .unwrap_or_else(|| gke.settings.project.clone()),
        location: gke.location(LOCATION.get(object)?)?,
        cluster: NAME.require(object)?,
    })
}

fn channel_of(cluster: &ApiCluster) -> Option<String> {
    cluster
        .release_channel
        .as_ref()
        .and_then(|c| c.channel.name())
        .filter(|c| *c != "UNSPECIFIED")
        .map(str::to_owned)
}

/// The `release_channel` block: GKE's channel; none for `UNSPECIFIED`, unless the prior
/// block said `UNSPECIFIED` itself.
fn release_channel(cluster: &ApiCluster, prior: Option<&Value>) -> Value {
    let said_none = prior
        .and_then(|p| configured_channel(p).ok().flatten())
        .is_some_and(|c| c == "UNSPECIFIED");
    match channel_of(cluster) {
        Some(c) => Value::object([CHANNEL.to(c)]),
        None if said_none => Value::object([CHANNEL.to("UNSPECIFIED")]),
        None => Value::null(),
    }
}

/// The object of `cluster` (named `name`), with what the API does not know taken from
/// `prior` (aic's own arguments; an import has none).
fn value_of(cluster: &ApiCluster, name: &ClusterName, prior: Option<&Value>) -> Value {
    let prior_or_null = |attr: &'static str| {
        prior
            .and_then(|p| p.get(attr))
            .cloned()
            .unwrap_or_else(Value::null)
    };
    let master_auth = cluster
        .master_auth
        .as_ref()
        .map_or_else(Value::null, |auth| {
            Value::object([(
                "cluster_ca_certificate",
                Value::string(&auth.cluster_ca_certificate),
            )])
        });
    // `Cluster.initial_node_count` is deprecated: the default pool's, when it exists.
    let initial = Some(prior_or_null(INITIAL_NODE_COUNT.name()))
        .filter(|v| !v.is_null())
        .or_else(|| {
            cluster
                .node_pools
                .iter()
                .find(|p| p.name == "default-pool")
                .map(|p| Value::number(f64::from(p.initial_node_count)))
        })
        .unwrap_or_else(Value::null);
    Cluster.schema().instance([
        ID.to(name.path()),
        NAME.to(name.cluster.as_str()),
        LOCATION.to(name.location.as_str()),
        PROJECT.to(name.project.as_str()),
        (INITIAL_NODE_COUNT.name(), initial),
        (
            REMOVE_DEFAULT_NODE_POOL.name(),
            prior_or_null(REMOVE_DEFAULT_NODE_POOL.name()),
        ),
        (
            MIN_MASTER_VERSION.name(),
            prior_or_null(MIN_MASTER_VERSION.name()),
        ),
        MASTER_VERSION.text(Some(&cluster.current_master_version)),
        NETWORK.text(Some(&cluster.network)),
        SUBNETWORK.text(Some(&cluster.subnetwork)),
        RESOURCE_LABELS.to_opt(sorted_map(&cluster.resource_labels)),
        // An imported cluster is unprotected until its configuration says otherwise.
        DELETION_PROTECTION.to(prior
            .and_then(|p| DELETION_PROTECTION.get(p).ok().flatten())
            .unwrap_or(false)),
        ENDPOINT.text(Some(&cluster.endpoint)),
        (MASTER_AUTH, master_auth),
        (RELEASE_CHANNEL.name(), release_channel(cluster, prior)),
    ])
}

/// `GetCluster`: the cluster, `None` when it is gone.
pub(crate) async fn get(
    gke: &Gke,
    name: &ClusterName,
) -> Result<Option<ApiCluster>, ProviderError> {
    gone_as_none(
        gke.call("GetCluster", || {
            gke.client().get_cluster().set_name(name.path()).send()
        })
        .await,
    )
}

/// The clusters `ids` name, listed once per project (`ListClusters` of the location, or
/// of `-`, every location, when they are in several).
async fn list(gke: &Gke, ids: &[String]) -> Result<Vec<(String, ApiCluster)>, ProviderError> {
    let names: Vec<ClusterName> = ids
        .iter()
        .map(|id| ClusterName::parse(id))
        .collect::<Result<_, _>>()?;
    let mut by_project: IndexMap<&str, Vec<&str>> = IndexMap::new();
    for name in &names {
        let locations = by_project.entry(name.project.as_str()).or_default();
        if !locations.contains(&name.location.as_str()) {
            locations.push(&name.location);
        }
    }
    let mut found = Vec::new();
    for (project, locations) in by_project {
        let location = match locations[..] {
            [one] => one,
            _ => "-",
        };
        let parent = format!("projects/{project}/locations/{location}");
        let listed = gke
            .call("ListClusters", || {
                gke.client()
                    .list_clusters()
                    .set_parent(parent.clone())
                    .send()
            })
            .await?;
        if let Some(missing) = listed
            .missing_zones
            .iter()
            .find(|z| locations.contains(&z.as_str()) || location == "-")
        {
            return Err(ProviderError::transient(format!(
                "GKE could not list the clusters of `{missing}` (`missingZones`)"
            )));
        }
        for cluster in listed.clusters {
            let name = ClusterName {
                project: project.to_owned(),
                location: cluster.location.clone(),
                cluster: cluster.name.clone(),
            };
            found.push((name.path(), cluster));
        }
    }
    Ok(found)
}

/// The request's `Cluster` for `planned`.
fn api_cluster(planned: &Value, name: &ClusterName) -> Result<ApiCluster, ProviderError> {
    let mut cluster = json!({
        "name": name.cluster,
        "initialNodeCount": INITIAL_NODE_COUNT.get(planned)?.unwrap_or(1),
        // No channel unless one is configured: a cluster enrolled in none keeps the version
        // its configuration asks for.
        "releaseChannel": {"channel": configured_channel(planned)?.unwrap_or_else(|| "UNSPECIFIED".into())},
    });
    if let Some(version) = MIN_MASTER_VERSION.get(planned)? {
        cluster["initialClusterVersion"] = json!(version);
    }
    if let Some(network) = NETWORK.get(planned)? {
        cluster["network"] = json!(network);
    }
    if let Some(subnetwork) = SUBNETWORK.get(planned)? {
        cluster["subnetwork"] = json!(subnetwork);
    }
    if let Some(labels) = RESOURCE_LABELS.get(planned)? {
        cluster["resourceLabels"] = json!(labels);
    }
    serde_json::from_value(cluster)
        .map_err(|e| ProviderError::invalid_config(format!("not a GKE cluster: {e}")))
}

fn configured_channel(object: &Value) -> Result<Option<String>, ProviderError> {
    match RELEASE_CHANNEL.items(object).first() {
        Some(block) => CHANNEL.get(block),
        None => Ok(None),
    }
}

impl Cluster {
    async fn create_cluster(
        &self,
        gke: &Gke,
        planned: &Value,
    ) -> Result<ClusterName, ProviderError> {
        let name = cluster_name(gke, planned)?;
        let cluster = api_cluster(planned, &name)?;
        // A lost answer (5xx, timeout) may have created the cluster: `make` looks for it by
        // its name before calling again.
        let started = gke
            .start_create(
                "CreateCluster",
                &name.path(),
                || {
                    gke.client()
                        .create_cluster()
                        .set_parent(name.parent())
                        .set_cluster(cluster.clone())
                        .send()
                },
                || async { Ok(get(gke, &name).await?.is_some()) },
            )
            .await?;
        let finish = async {
            match started {
                Some(started) => gke.finish("CreateCluster", &name.path(), started).await?,
                None => gke.until_settled(&name).await?,
            }
            if REMOVE_DEFAULT_NODE_POOL.get(planned)? == Some(true) {
                let pool = name.pool_path("default-pool");
                gone_as_none(
                    gke.mutate("DeleteNodePool", &name.path(), || {
                        gke.client()
                            .delete_node_pool()
                            .set_name(pool.clone())
                            .send()
                    })
                    .await,
                )?;
            }
            Ok(())
        };
        finish_or_undo(
            finish,
            || self.delete_cluster(gke, &name),
            &format!("cluster {}", name.path()),
        )
        .await?;
        Ok(name)
    }

    async fn delete_cluster(&self, gke: &Gke, name: &ClusterName) -> Result<(), ProviderError> {
        gone_as_none(
            gke.mutate("DeleteCluster", &name.path(), || {
                gke.client().delete_cluster().set_name(name.path()).send()
            })
            .await,
        )
        .map(|_| ())
    }

    async fn read_back(
        &self,
        gke: &Gke,
        name: &ClusterName,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        match get(gke, name).await? {
            Some(cluster) => Ok(value_of(&cluster, name, Some(planned))),
            None => Err(ProviderError::not_found(format!(
                "GKE cluster {} is gone",
                name.path()
            ))),
        }
    }
}

#[async_trait]
impl Resource<Gke> for Cluster {
    fn type_name(&self) -> &'static str {
        "google_container_cluster"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(
            "A GKE cluster: its control plane, and the default node pool GKE creates with it \
             (`remove_default_node_pool` deletes it, so that `google_container_node_pool`s \
             manage the nodes). Every change waits for GKE's operation to end.",
        )
        .with(NAME.required().force_new().describe("The cluster's name."))
        .with(LOCATION.optional_computed().force_new().describe(
            "A region (a regional cluster, nodes in three of its zones) or a zone; the \
             provider's `region` when not set.",
        ))
        .with(
            PROJECT
                .optional_computed()
                .force_new()
                .describe("The project; the provider's `project` when not set."),
        )
        .with(
            INITIAL_NODE_COUNT
                .optional_computed()
                .force_new()
                .describe("Nodes per zone of the default node pool (1 when not set)."),
        )
        .with(
            REMOVE_DEFAULT_NODE_POOL
                .optional()
                .describe("Delete the default node pool once the cluster exists."),
        )
        .with(MIN_MASTER_VERSION.optional().describe(
            "The control plane's version (`1.33`, `1.33.5-gke.1080000`, `latest`): at \
             creation, and a master upgrade when it changes.",
        ))
        .with(
            MASTER_VERSION
                .computed()
                .describe("The control plane's current version."),
        )
        .with(
            NETWORK
                .optional_computed()
                .force_new()
                .describe("The VPC network (`default` when not set)."),
        )
        .with(
            SUBNETWORK
                .optional_computed()
                .force_new()
                .describe("The subnetwork (`default` when not set)."),
        )
        .with(
            RESOURCE_LABELS
                .optional()
                .describe("Labels of the cluster's Google Cloud resources; changed in place."),
        )
        .with(DELETION_PROTECTION.optional().default_value(true).describe(
            "While true, destroying the cluster fails (aic's own setting, as in the \
                     google provider; an imported cluster records false).",
        ))
        .with(
            ENDPOINT
                .computed()
                .describe("The IP address of the control plane."),
        )
        .with(
            Attr::<String>::new(MASTER_AUTH)
                .computed()
                .sensitive()
                .of_type(master_auth_type())
                .describe("`cluster_ca_certificate`: the cluster's CA certificate, base64 PEM."),
        )
        .with(
            ID.computed().describe(
                "`projects/PROJECT/locations/LOCATION/clusters/NAME`, also the import id.",
            ),
        )
        .with_block(
            RELEASE_CHANNEL.single(
                ResourceSchema::new("The release channel the cluster is enrolled in.").with(
                    CHANNEL
                        .required()
                        .of_type(Type::string_union(CHANNELS))
                        .describe("`RAPID`, `REGULAR`, `STABLE`, `EXTENDED` or `UNSPECIFIED`."),
                ),
            ),
        )
    }

    fn validate(&self, config: &Value, problems: &mut Vec<Problem>) {
        if let Some(n) = config
            .get(INITIAL_NODE_COUNT.name())
            .filter(|v| v.is_known())
            .and_then(Value::as_number)
        {
            if n < 1.0 || n.fract() != 0.0 {
                problems.push(problem_at(
                    &[INITIAL_NODE_COUNT.name()],
                    format!("`initial_node_count` is a whole number of at least 1, not {n}"),
                ));
            }
        }
    }

    async fn plan(
        &self,
        _gke: &Gke,
        schema: &ResourceSchema,
        request: PlanRequest,
    ) -> Result<PlanResponse, ProviderError> {
        let mut response = plan_resource(schema, &request)?;
        // A master upgrade changes the version GKE reports.
        if let Some(prior) = &request.prior {
            let wanted = response
                .planned
                .get(MIN_MASTER_VERSION.name())
                .filter(|w| !w.is_null());
            let before = prior.get(MIN_MASTER_VERSION.name());
            let upgrade = wanted.is_some_and(|w| before.and_then(|b| b.equals(w)) != Some(true));
            if upgrade && response.requires_replace.is_empty() {
                response.planned = aic_provider::with_attributes(
                    &response.planned,
                    [(MASTER_VERSION.name(), Value::unknown(Type::String))],
                );
            }
        }
        Ok(response)
    }

    async fn create(
        &self,
        gke: &Gke,
        planned: &Value,
        _token: &CreateToken,
    ) -> Result<Value, ProviderError> {
        let name = self.create_cluster(gke, planned).await?;
        self.read_back(gke, &name, planned).await
    }

    /// The cluster of a create whose answer was lost is the one with its name.
    async fn find_created(
        &self,
        gke: &Gke,
        planned: &Value,
        _token: &CreateToken,
    ) -> Result<Option<Value>, ProviderError> {
        let name = cluster_name(gke, planned)?;
        Ok(get(gke, &name)
            .await?
            .map(|c| value_of(&c, &name, Some(planned))))
    }

    /// One `ListClusters` per project for all of them.
    async fn read_many(&self, gke: &Gke, priors: &[Value]) -> Results {
        let ids: Vec<Option<String>> = priors.iter().map(id_if_any).collect();
        let mut wanted: Vec<String> = ids.iter().flatten().cloned().collect();
        wanted.dedup();
        let listed = if wanted.is_empty() {
            Ok(Vec::new())
        } else {
            list(gke, &wanted).await
        };
        priors
            .iter()
            .zip(ids)
            .map(|(prior, id)| {
                let Some(id) = id else {
                    return Ok(None);
                };
                let listed = listed.as_ref().map_err(Clone::clone)?;
                match listed.iter().find(|(path, _)| *path == id) {
                    Some((_, cluster)) => Ok(Some(value_of(
                        cluster,
                        &ClusterName::parse(&id)?,
                        Some(prior),
                    ))),
                    None => Ok(None),
                }
            })
            .collect()
    }

    async fn update(
        &self,
        gke: &Gke,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let name = ClusterName::parse(&id(prior)?)?;
        let path = name.path();
        let labels = RESOURCE_LABELS.get(planned)?.unwrap_or_default();
        if labels != RESOURCE_LABELS.get(prior)?.unwrap_or_default() {
            let fingerprint = get(gke, &name)
                .await?
                .map(|c| c.label_fingerprint)
                .unwrap_or_default();
            let labels: HashMap<String, String> = labels.into_iter().collect();
            gke.mutate("SetLabels", &path, || {
                gke.client()
                    .set_labels()
                    .set_name(path.clone())
                    .set_resource_labels(labels.clone())
                    .set_label_fingerprint(fingerprint.clone())
                    .send()
            })
            .await?;
        }
        let channel = configured_channel(planned)?;
        if channel != configured_channel(prior)? {
            let update = json!({"desiredReleaseChannel": {"channel": channel.unwrap_or_else(|| "UNSPECIFIED".into())}});
            self.update_cluster(gke, &name, update).await?;
        }
        let version = MIN_MASTER_VERSION.get(planned)?;
        if version.is_some() && version != MIN_MASTER_VERSION.get(prior)? {
            self.update_cluster(gke, &name, json!({"desiredMasterVersion": version}))
                .await?;
        }
        self.read_back(gke, &name, planned).await
    }

    async fn delete(&self, gke: &Gke, prior: &Value) -> Result<(), ProviderError> {
        let name = ClusterName::parse(&id(prior)?)?;
        if DELETION_PROTECTION.get(prior)? != Some(false) {
            return Err(ProviderError::invalid_config(format!(
                "cluster {} has `deletion_protection` on",
                name.path()
            ))
            .with_help(
                "Set `deletion_protection = false` and apply, then destroy (as with Terraform's \
                 google provider).",
            ));
        }
        self.delete_cluster(gke, &name).await
    }

    async fn import(&self, gke: &Gke, id: &str) -> Result<Option<Value>, ProviderError> {
        let name = ClusterName::parse(id)?;
        Ok(get(gke, &name).await?.map(|c| value_of(&c, &name, None)))
    }
}

impl Cluster {
    async fn update_cluster(
        &self,
        gke: &Gke,
        name: &ClusterName,
        update: serde_json::Value,
    ) -> Result<(), ProviderError> {
        let update: google_cloud_container_v1::model::ClusterUpdate =
            serde_json::from_value(update).map_err(|e| {
                ProviderError::invalid_config(format!("not a GKE cluster update: {e}"))
            })?;
        let path = name.path();
        gke.mutate("UpdateCluster", &path, || {
            gke.client()
                .update_cluster()
                .set_name(path.clone())
                .set_update(update.clone())
                .send()
        })
        .await
    }
}
