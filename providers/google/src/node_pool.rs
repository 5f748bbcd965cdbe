//! `google_container_node_pool`: a node pool of a GKE cluster (`CreateNodePool`,
//! `ListNodePools`, `SetNodePoolSize`, `SetNodePoolAutoscaling`, `SetNodePoolManagement`,
//! `UpdateNodePool`, `DeleteNodePool`), with Terraform's google provider's names.
//!
//! In place: `node_count` (`:setSize`), `autoscaling` (`:setAutoscaling`), `management`
//! (`:setManagement`), and `version`, `upgrade_settings` and `node_config`'s
//! `machine_type`, `disk_size_gb`, `labels` and `taint` (one `UpdateNodePool`). The name,
//! cluster, location, `initial_node_count` and `node_config.spot` force a new pool.
//!
//! A pool's current size is not in GKE's `NodePool` (its `initialNodeCount` keeps the
//! creation value): as the google provider does, it is read from the `targetSize` of the
//! pool's managed instance groups (Compute's `instanceGroupManagers.get` on its
//! `instanceGroupUrls`), per zone.

use std::collections::HashMap;

use aic_lang::types::Type;
use aic_lang::value::Value;
use aic_provider::{Problem, ProviderError, ResourceSchema};
use aic_provider_kit::bulk::Results;
use aic_provider_kit::create::finish_or_undo;
use aic_provider_kit::values::id;
use aic_provider_kit::wait::gone_as_none;
use aic_provider_kit::{Attr, Block, CreateToken, Declare, Resource, ID};
use async_trait::async_trait;
use google_cloud_container_v1::model::NodePool as ApiPool;
use indexmap::IndexMap;
use serde_json::json;

use crate::client::Gke;
use crate::cluster::{LOCATION, NAME, PROJECT};
use crate::names::{parse_pool, sorted_map, ClusterName};
use crate::problem_at;

const CLUSTER: Attr<String> = Attr::new("cluster");
const INITIAL_NODE_COUNT: Attr<i64> = Attr::new("initial_node_count");
const NODE_COUNT: Attr<i64> = Attr::new("node_count");
const VERSION: Attr<String> = Attr::new("version");

const AUTOSCALING: Block = Block::new("autoscaling");
const MIN_NODE_COUNT: Attr<i64> = Attr::new("min_node_count");
const MAX_NODE_COUNT: Attr<i64> = Attr::new("max_node_count");

const NODE_CONFIG: Block = Block::new("node_config");
const MACHINE_TYPE: Attr<String> = Attr::new("machine_type");
const DISK_SIZE_GB: Attr<i64> = Attr::new("disk_size_gb");
const LABELS: Attr<IndexMap<String, String>> = Attr::new("labels");
const SPOT: Attr<bool> = Attr::new("spot");
const TAINT: Block = Block::new("taint");
const KEY: Attr<String> = Attr::new("key");
const VALUE: Attr<String> = Attr::new("value");
const EFFECT: Attr<String> = Attr::new("effect");

const MANAGEMENT: Block = Block::new("management");
const AUTO_REPAIR: Attr<bool> = Attr::new("auto_repair");
const AUTO_UPGRADE: Attr<bool> = Attr::new("auto_upgrade");

const UPGRADE_SETTINGS: Block = Block::new("upgrade_settings");
const MAX_SURGE: Attr<i64> = Attr::new("max_surge");
const MAX_UNAVAILABLE: Attr<i64> = Attr::new("max_unavailable");

const EFFECTS: [&str; 3] = ["NO_SCHEDULE", "PREFER_NO_SCHEDULE", "NO_EXECUTE"];
const DEFAULT_MACHINE_TYPE: &str = "e2-medium";
const DEFAULT_DISK_SIZE_GB: i64 = 100;

pub(crate) struct NodePool;

fn autoscaling_schema() -> ResourceSchema {
    ResourceSchema::new("The cluster autoscaler's limits, per zone.")
        .with(
            MIN_NODE_COUNT
                .required()
                .describe("The fewest nodes per zone."),
        )
        .with(
            MAX_NODE_COUNT
                .required()
                .describe("The most nodes per zone."),
        )
}

fn taint_schema() -> ResourceSchema {
    ResourceSchema::new("A Kubernetes taint on every node.")
        .with(KEY.required().describe("The taint's key."))
        .with(VALUE.required().describe("The taint's value."))
        .with(
            EFFECT
                .required()
                .of_type(Type::string_union(EFFECTS))
                .describe("`NO_SCHEDULE`, `PREFER_NO_SCHEDULE` or `NO_EXECUTE`."),
        )
}

fn node_config_schema() -> ResourceSchema {
    ResourceSchema::new("The nodes' machines.")
        .with(
            MACHINE_TYPE
                .optional()
                .default_value(DEFAULT_MACHINE_TYPE)
                .describe("The Compute machine type (`e2-medium` when not set)."),
        )
        .with(
            DISK_SIZE_GB
                .optional()
                .default_value(DEFAULT_DISK_SIZE_GB as f64)
                .describe("Boot disk size in GB (at least 10; 100 when not set)."),
        )
        .with(
            LABELS
                .optional()
                .describe("Kubernetes labels of every node."),
        )
        .with(
            SPOT.optional()
                .force_new()
                .default_value(false)
                .describe("Spot VMs (a change makes a new pool)."),
        )
        .with_block(TAINT.list(taint_schema()))
}

fn management_schema() -> ResourceSchema {
    ResourceSchema::new("Node auto-repair and auto-upgrade.")
        .with(
            AUTO_REPAIR
                .optional()
                .default_value(true)
                .describe("Repair unhealthy nodes."),
        )
        .with(
            AUTO_UPGRADE.optional().default_value(true).describe(
                "Upgrade nodes to the master's version (always on in a release channel).",
            ),
        )
}

fn upgrade_settings_schema() -> ResourceSchema {
    ResourceSchema::new("How nodes are replaced during upgrades (surge upgrades).")
        .with(
            MAX_SURGE
                .optional()
                .default_value(1.0)
                .describe("Extra nodes created during an upgrade."),
        )
        .with(
            MAX_UNAVAILABLE
                .optional()
                .default_value(0.0)
                .describe("Nodes that may be unavailable at once during an upgrade."),
        )
}

/// The cluster and pool `object` (planned or prior) names.
fn pool_name(gke: &Gke, object: &Value) -> Result<(ClusterName, String), ProviderError> {
    if let Some(id) = aic_provider_kit::values::id_if_any(object) {
        return parse_pool(&id);
    }
    let cluster = CLUSTER.require(object)?;
    let name = if cluster.starts_with("projects/") {
        ClusterName::parse(&cluster)?
    } else {
        ClusterName {
            project: PROJECT
                .get(object)?
                .unwrap_or_else(|| gke.settings.project.clone()),
            location: gke.location(LOCATION.get(object)?)?,
            cluster,
        }
    };
    Ok((name, NAME.require(object)?))
}

/// Whether the object shows block `block`: when the configuration had it (the prior); for
/// an import, when its values are not what leaving the block out means (`default`).
fn shows(block: Block, prior: Option<&Value>, shown: &Value, default: &Value) -> bool {
    match prior {
        Some(prior) => !block.items(prior).is_empty(),
        None => shown.equals(default) != Some(true),
    }
}

fn single(block: Block, value: Option<Value>) -> (&'static str, Value) {
    (block.name(), value.unwrap_or_else(Value::null))
}

/// The object of `pool` of cluster `name`, of `node_count` nodes per zone, with what the
/// API does not say taken from `prior` (an import has none).
fn value_of(
    pool: &ApiPool,
    name: &ClusterName,
    prior: Option<&Value>,
    node_count: Option<i64>,
) -> Value {
    let config = pool.config.clone().unwrap_or_default();
    let taints = config.taints.iter().map(|t| {
        taint_schema().instance([
            KEY.to(t.key.as_str()),
            VALUE.to(t.value.as_str()),
            EFFECT.to(t.effect.name().unwrap_or("EFFECT_UNSPECIFIED")),
        ])
    });
    let node_config = node_config_schema().instance([
        MACHINE_TYPE.to(config.machine_type.as_str()),
        DISK_SIZE_GB.to(i64::from(config.disk_size_gb)),
        LABELS.to_opt(sorted_map(&config.labels)),
        SPOT.to(config.spot),
        TAINT.to_list(taints),
    ]);
    let default_config = node_config_schema().instance([
        MACHINE_TYPE.to(DEFAULT_MACHINE_TYPE),
        DISK_SIZE_GB.to(DEFAULT_DISK_SIZE_GB),
        LABELS.null(),
        SPOT.to(false),
        TAINT.to_list([]),
    ]);
    let node_config =
        shows(NODE_CONFIG, prior, &node_config, &default_config).then_some(node_config);
    let autoscaling = pool.autoscaling.as_ref().filter(|a| a.enabled).map(|a| {
        autoscaling_schema().instance([
            MIN_NODE_COUNT.to(i64::from(a.min_node_count)),
            MAX_NODE_COUNT.to(i64::from(a.max_node_count)),
        ])
    });
    let m = pool.management.clone().unwrap_or_default();
    let management = management_schema().instance([
        AUTO_REPAIR.to(m.auto_repair),
        AUTO_UPGRADE.to(m.auto_upgrade),
    ]);
    let default_management =
        management_schema().instance([AUTO_REPAIR.to(true), AUTO_UPGRADE.to(true)]);
    let management =
        shows(MANAGEMENT, prior, &management, &default_management).then_some(management);
    let u = pool.upgrade_settings.clone().unwrap_or_default();
    let upgrade_settings = upgrade_settings_schema().instance([
        MAX_SURGE.to(i64::from(u.max_surge)),
        MAX_UNAVAILABLE.to(i64::from(u.max_unavailable)),
    ]);
    let default_upgrade =
        upgrade_settings_schema().instance([MAX_SURGE.to(1), MAX_UNAVAILABLE.to(0)]);
    let upgrade_settings = shows(UPGRADE_SETTINGS, prior, &upgrade_settings, &default_upgrade)
        .then_some(upgrade_settings);
    let cluster = prior
        .and_then(|p| CLUSTER.get(p).ok().flatten())
        .unwrap_or_else(|| name.path());
    let initial = match pool.initial_node_count {
        0 => prior
            .and_then(|p| p.get(INITIAL_NODE_COUNT.name()))
            .cloned()
            .unwrap_or_else(Value::null),
        n => Value::number(f64::from(n)),
    };
    NodePool.schema().instance([
        ID.to(name.pool_path(&pool.name)),
        NAME.to(pool.name.as_str()),
        CLUSTER.to(cluster),
        LOCATION.to(name.location.as_str()),
        PROJECT.to(name.project.as_str()),
        (INITIAL_NODE_COUNT.name(), initial),
        NODE_COUNT.to_opt(node_count),
        VERSION.text(Some(&pool.version)),
        single(AUTOSCALING, autoscaling),
        single(NODE_CONFIG, node_config),
        single(MANAGEMENT, management),
        single(UPGRADE_SETTINGS, upgrade_settings),
    ])
}

/// Nodes per zone of `pool`: the `targetSize` of its instance groups, averaged over them.
async fn node_count(gke: &Gke, pool: &ApiPool) -> Result<Option<i64>, ProviderError> {
    if pool.instance_group_urls.is_empty() {
        return Ok(None);
    }
    let mut total = 0;
    for url in &pool.instance_group_urls {
        let group = gke.get_url("GetInstanceGroupManager", url).await?;
        total += group
            .get("targetSize")
            .and_then(serde_json::Value::as_i64)
            .unwrap_or(0);
    }
    Ok(Some(total / pool.instance_group_urls.len() as i64))
}

async fn get(gke: &Gke, name: &ClusterName, pool: &str) -> Result<Option<ApiPool>, ProviderError> {
    let path = name.pool_path(pool);
    gone_as_none(
        gke.call("GetNodePool", || {
            gke.client().get_node_pool().set_name(path.clone()).send()
        })
        .await,
    )
}

/// The request's `NodePool` for `planned`.
fn api_pool(planned: &Value, pool: &str) -> Result<ApiPool, ProviderError> {
    let initial = match INITIAL_NODE_COUNT.get(planned)? {
        Some(n) => n,
        None => NODE_COUNT.get(planned)?.unwrap_or(1),
    };
    let mut body = json!({"name": pool, "initialNodeCount": initial});
    if let Some(version) = VERSION.get(planned)? {
        body["version"] = json!(version);
    }
    if let Some(a) = AUTOSCALING.items(planned).first() {
        body["autoscaling"] = autoscaling_json(Some(a))?;
    }
    if let Some(config) = NODE_CONFIG.items(planned).first() {
        body["config"] = json!({
            "machineType": MACHINE_TYPE.or(config, DEFAULT_MACHINE_TYPE.to_owned())?,
            "diskSizeGb": DISK_SIZE_GB.or(config, DEFAULT_DISK_SIZE_GB)?,
            "labels": LABELS.get(config)?.unwrap_or_default(),
            "taints": taints_json(config)?,
            "spot": SPOT.or(config, false)?,
        });
    }
    if let Some(m) = MANAGEMENT.items(planned).first() {
        body["management"] = management_json(m)?;
    }
    if let Some(u) = UPGRADE_SETTINGS.items(planned).first() {
        body["upgradeSettings"] = upgrade_json(u)?;
    }
    serde_json::from_value(body)
        .map_err(|e| ProviderError::invalid_config(format!("not a GKE node pool: {e}")))
}

fn autoscaling_json(block: Option<&Value>) -> Result<serde_json::Value, ProviderError> {
    Ok(match block {
        Some(a) => json!({
            "enabled": true,
            "minNodeCount": MIN_NODE_COUNT.require(a)?,
            "maxNodeCount": MAX_NODE_COUNT.require(a)?,
        }),
        None => json!({"enabled": false}),
    })
}

fn taints_json(config: &Value) -> Result<Vec<serde_json::Value>, ProviderError> {
    TAINT
        .items(config)
        .into_iter()
        .map(|t| {
            Ok(json!({
                "key": KEY.require(t)?,
                "value": VALUE.require(t)?,
                "effect": EFFECT.require(t)?,
            }))
        })
        .collect()
}

fn management_json(m: &Value) -> Result<serde_json::Value, ProviderError> {
    Ok(json!({
        "autoRepair": AUTO_REPAIR.or(m, true)?,
        "autoUpgrade": AUTO_UPGRADE.or(m, true)?,
    }))
}

fn upgrade_json(u: &Value) -> Result<serde_json::Value, ProviderError> {
    Ok(json!({
        "maxSurge": MAX_SURGE.or(u, 1)?,
        "maxUnavailable": MAX_UNAVAILABLE.or(u, 0)?,
    }))
}

fn block_of(block: Block, object: &Value) -> Value {
    block
        .items(object)
        .first()
        .map_or_else(Value::null, |v| (*v).clone())
}

fn differs(block: Block, prior: &Value, planned: &Value) -> bool {
    block_of(block, prior).equals(&block_of(block, planned)) != Some(true)
}

fn from_json<T: serde::de::DeserializeOwned>(
    what: &str,
    value: serde_json::Value,
) -> Result<T, ProviderError> {
    serde_json::from_value(value)
        .map_err(|e| ProviderError::invalid_config(format!("not a GKE {what}: {e}")))
}

impl NodePool {
    async fn read_back(
        &self,
        gke: &Gke,
        name: &ClusterName,
        pool: &str,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let found = get(gke, name, pool).await?.ok_or_else(|| {
            ProviderError::not_found(format!("GKE node pool {} is gone", name.pool_path(pool)))
        })?;
        let count = node_count(gke, &found).await?;
        Ok(value_of(&found, name, Some(planned), count))
    }

    async fn delete_pool(
        &self,
        gke: &Gke,
        name: &ClusterName,
        pool: &str,
    ) -> Result<(), ProviderError> {
        let path = name.pool_path(pool);
        gone_as_none(
            gke.mutate("DeleteNodePool", &name.path(), || {
                gke.client()
                    .delete_node_pool()
                    .set_name(path.clone())
                    .send()
            })
            .await,
        )
        .map(|_| ())
    }

    async fn set_size(
        &self,
        gke: &Gke,
        name: &ClusterName,
        pool: &str,
        size: i64,
    ) -> Result<(), ProviderError> {
        let path = name.pool_path(pool);
        let size = i32::try_from(size).map_err(|_| {
            ProviderError::invalid_config(format!("`node_count` {size} is too large"))
        })?;
        gke.mutate("SetNodePoolSize", &name.path(), || {
            gke.client()
                .set_node_pool_size()
                .set_name(path.clone())
                .set_node_count(size)
                .send()
        })
        .await
    }
}

#[async_trait]
impl Resource<Gke> for NodePool {
    fn type_name(&self) -> &'static str {
        "google_container_node_pool"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(
            "A node pool of a GKE cluster. Changes wait for GKE's operation to end; \
             operations of one cluster run one after another.",
        )
        .with(NAME.required().force_new().describe("The pool's name."))
        .with(
            CLUSTER
                .required()
                .force_new()
                .describe("The cluster: its id (`projects/P/locations/L/clusters/C`) or its name."),
        )
        .with(LOCATION.optional_computed().force_new().describe(
            "The cluster's location, when `cluster` is a name (the provider's `region` when \
             not set).",
        ))
        .with(PROJECT.optional_computed().force_new().describe(
            "The project, when `cluster` is a name (the provider's `project` when not set).",
        ))
        .with(
            INITIAL_NODE_COUNT
                .optional_computed()
                .force_new()
                .describe("Nodes per zone at creation (default `node_count`, else 1)."),
        )
        .with(
            NODE_COUNT
                .optional_computed()
                .describe("Nodes per zone; resized in place. Leave it out with `autoscaling`."),
        )
        .with(VERSION.optional_computed().describe(
            "The nodes' Kubernetes version (at most the master's); an upgrade when it changes.",
        ))
        .with(
            ID.computed().describe(
                "`projects/P/locations/L/clusters/C/nodePools/NAME`, also the import id.",
            ),
        )
        .with_block(AUTOSCALING.single(autoscaling_schema()))
        .with_block(NODE_CONFIG.single(node_config_schema()))
        .with_block(MANAGEMENT.single(management_schema()))
        .with_block(UPGRADE_SETTINGS.single(upgrade_settings_schema()))
    }

    fn validate(&self, config: &Value, problems: &mut Vec<Problem>) {
        let number = |object: &Value, name: &str| {
            object
                .get(name)
                .filter(|v| v.is_known())
                .and_then(Value::as_number)
        };
        if let Some(a) = AUTOSCALING.items(config).first() {
            if let (Some(min), Some(max)) = (
                number(a, MIN_NODE_COUNT.name()),
                number(a, MAX_NODE_COUNT.name()),
            ) {
                if min > max {
                    problems.push(problem_at(
                        &[AUTOSCALING.name(), MIN_NODE_COUNT.name()],
                        format!("`min_node_count` ({min}) is more than `max_node_count` ({max})"),
                    ));
                }
            }
            if config.get(NODE_COUNT.name()).is_some_and(|v| !v.is_null()) {
                problems.push(problem_at(
                    &[NODE_COUNT.name()],
                    "`node_count` and `autoscaling` exclude each other: the autoscaler sets the size",
                ));
            }
        }
        if let Some(size) = NODE_CONFIG
            .items(config)
            .first()
            .and_then(|c| number(c, DISK_SIZE_GB.name()))
        {
            if size < 10.0 {
                problems.push(problem_at(
                    &[NODE_CONFIG.name(), DISK_SIZE_GB.name()],
                    format!("`disk_size_gb` is at least 10, not {size}"),
                ));
            }
        }
    }

    async fn create(
        &self,
        gke: &Gke,
        planned: &Value,
        _token: &CreateToken,
    ) -> Result<Value, ProviderError> {
        let (name, pool) = pool_name(gke, planned)?;
        let body = api_pool(planned, &pool)?;
        let started = gke
            .start_create(
                "CreateNodePool",
                &name.path(),
                || {
                    gke.client()
                        .create_node_pool()
                        .set_parent(name.path())
                        .set_node_pool(body.clone())
                        .send()
                },
                || async { Ok(get(gke, &name, &pool).await?.is_some()) },
            )
            .await?;
        let finish = async {
            match started {
                Some(started) => gke.finish("CreateNodePool", &name.path(), started).await?,
                None => gke.until_pool_settled(&name, &pool).await?,
            }
            let initial = i64::from(body.initial_node_count);
            if let Some(size) = NODE_COUNT.get(planned)?.filter(|n| *n != initial) {
                self.set_size(gke, &name, &pool, size).await?;
            }
            self.read_back(gke, &name, &pool, planned).await
        };
        finish_or_undo(
            finish,
            || self.delete_pool(gke, &name, &pool),
            &format!("node pool {}", name.pool_path(&pool)),
        )
        .await
    }

    /// The pool of a create whose answer was lost is the one with its name.
    async fn find_created(
        &self,
        gke: &Gke,
        planned: &Value,
        _token: &CreateToken,
    ) -> Result<Option<Value>, ProviderError> {
        let (name, pool) = pool_name(gke, planned)?;
        match get(gke, &name, &pool).await? {
            Some(found) => {
                let count = node_count(gke, &found).await?;
                Ok(Some(value_of(&found, &name, Some(planned), count)))
            }
            None => Ok(None),
        }
    }

    /// One `ListNodePools` per cluster.
    async fn read_many(&self, gke: &Gke, priors: &[Value]) -> Results {
        let mut listed: HashMap<String, Result<Vec<ApiPool>, ProviderError>> = HashMap::new();
        let mut results = Vec::with_capacity(priors.len());
        for prior in priors {
            let result = async {
                let Some(pool_id) = aic_provider_kit::values::id_if_any(prior) else {
                    return Ok(None);
                };
                let (name, pool) = parse_pool(&pool_id)?;
                let path = name.path();
                if !listed.contains_key(&path) {
                    let pools = gone_as_none(
                        gke.call("ListNodePools", || {
                            gke.client()
                                .list_node_pools()
                                .set_parent(path.clone())
                                .send()
                        })
                        .await,
                    )
                    .map(|found| found.map(|l| l.node_pools).unwrap_or_default());
                    listed.insert(path.clone(), pools);
                }
                let pools = listed
                    .get(&path)
                    .cloned()
                    .unwrap_or_else(|| Ok(Vec::new()))?;
                match pools.iter().find(|p| p.name == pool) {
                    Some(found) => {
                        let count = node_count(gke, found).await?;
                        Ok(Some(value_of(found, &name, Some(prior), count)))
                    }
                    None => Ok(None),
                }
            }
            .await;
            results.push(result);
        }
        results
    }

    async fn update(
        &self,
        gke: &Gke,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let (name, pool) = parse_pool(&id(prior)?)?;
        let cluster = name.path();
        let path = name.pool_path(&pool);
        if differs(AUTOSCALING, prior, planned) {
            let autoscaling: google_cloud_container_v1::model::NodePoolAutoscaling = from_json(
                "autoscaling",
                autoscaling_json(AUTOSCALING.items(planned).first().copied())?,
            )?;
            gke.mutate("SetNodePoolAutoscaling", &cluster, || {
                gke.client()
                    .set_node_pool_autoscaling()
                    .set_name(path.clone())
                    .set_autoscaling(autoscaling.clone())
                    .send()
            })
            .await?;
        }
        let size = NODE_COUNT.get(planned)?;
        if AUTOSCALING.items(planned).is_empty()
            && size.is_some()
            && size != NODE_COUNT.get(prior)?
        {
            self.set_size(gke, &name, &pool, size.unwrap_or_default())
                .await?;
        }
        if differs(MANAGEMENT, prior, planned) {
            if let Some(m) = MANAGEMENT.items(planned).first() {
                let management: google_cloud_container_v1::model::NodeManagement =
                    from_json("management", management_json(m)?)?;
                gke.mutate("SetNodePoolManagement", &cluster, || {
                    gke.client()
                        .set_node_pool_management()
                        .set_name(path.clone())
                        .set_management(management.clone())
                        .send()
                })
                .await?;
            }
        }
        let mut update = serde_json::Map::new();
        let version = VERSION.get(planned)?;
        if version.is_some() && version != VERSION.get(prior)? {
            update.insert("nodeVersion".into(), json!(version));
        }
        if differs(UPGRADE_SETTINGS, prior, planned) {
            if let Some(u) = UPGRADE_SETTINGS.items(planned).first() {
                update.insert("upgradeSettings".into(), upgrade_json(u)?);
            }
        }
        if let Some(config) = NODE_CONFIG.items(planned).first() {
            let before = block_of(NODE_CONFIG, prior);
            let changed = |attr: &str| {
                config
                    .get(attr)
                    .map(|v| before.get(attr).and_then(|b| b.equals(v)))
                    != Some(Some(true))
            };
            if changed(MACHINE_TYPE.name()) {
                update.insert(
                    "machineType".into(),
                    json!(MACHINE_TYPE.or(config, DEFAULT_MACHINE_TYPE.into())?),
                );
            }
            if changed(DISK_SIZE_GB.name()) {
                update.insert(
                    "diskSizeGb".into(),
                    json!(DISK_SIZE_GB.or(config, DEFAULT_DISK_SIZE_GB)?.to_string()),
                );
            }
            if changed(LABELS.name()) {
                update.insert(
                    "labels".into(),
                    json!({"labels": LABELS.get(config)?.unwrap_or_default()}),
                );
            }
            if changed(TAINT.name()) {
                update.insert("taints".into(), json!({"taints": taints_json(config)?}));
            }
        }
        if !update.is_empty() {
            if !update.contains_key("nodeVersion") {
                // GKE requires the version: the current one changes nothing.
                update.insert(
                    "nodeVersion".into(),
                    json!(VERSION.get(prior)?.unwrap_or_else(|| "-".into())),
                );
            }
            update.insert("name".into(), json!(path));
            let request: google_cloud_container_v1::model::UpdateNodePoolRequest =
                from_json("node pool update", serde_json::Value::Object(update))?;
            gke.mutate("UpdateNodePool", &cluster, || {
                gke.client()
                    .update_node_pool()
                    .with_request(request.clone())
                    .send()
            })
            .await?;
        }
        self.read_back(gke, &name, &pool, planned).await
    }

    async fn delete(&self, gke: &Gke, prior: &Value) -> Result<(), ProviderError> {
        let (name, pool) = parse_pool(&id(prior)?)?;
        self.delete_pool(gke, &name, &pool).await
    }

    async fn import(&self, gke: &Gke, id: &str) -> Result<Option<Value>, ProviderError> {
        let (name, pool) = parse_pool(id)?;
        match get(gke, &name, &pool).await? {
            Some(found) => {
                let count = node_count(gke, &found).await?;
                Ok(Some(value_of(&found, &name, None, count)))
            }
            None => Ok(None),
        }
    }
}
