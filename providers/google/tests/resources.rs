//! Clusters, node pools and data sources against the GKE emulator (`scripts/emulator.sh
//! start gke`; a missing venv fails naming `scripts/emulator.sh install gke`): operations
//! of one cluster queued, a cluster busy with someone else's operation waited out, a
//! failed operation's status surfaced, bulk refresh, import, GKE's errors classified and
//! pointing at the attribute. (The conformance run of both types is in the CLI's tests.)

use std::sync::Arc;

use aic_lang::value::Value;
use std::error::Error;

use aic_provider::{ConfiguredProvider, ErrorKind, Provider, ProviderError};
use aic_provider_google::{GoogleProvider, Timing};
use aic_provider_testkit::backend::Emulator;
use aic_provider_testkit::http;
use aic_provider_testkit::steps::{self, text, Action, TestResult};
use serde_json::json;

const CLUSTER: &str = "google_container_cluster";
const POOL: &str = "google_container_node_pool";

fn provider_config(emulator: &Emulator, token: &str) -> Value {
    Value::object([
        ("project", Value::string("tests")),
        ("region", Value::string("europe-west1")),
        ("endpoint", Value::string(emulator.endpoint())),
        ("access_token", Value::string(token)),
    ])
}

async fn configured_with(emulator: &Emulator, token: &str) -> Arc<dyn ConfiguredProvider> {
    GoogleProvider::new()
        .with_timing(Timing::fast())
        .with_fast_backoff()
        .configure(&provider_config(emulator, token))
        .await
        .unwrap_or_else(|e| panic!("configure: {e}"))
}

async fn configured(emulator: &Emulator) -> Arc<dyn ConfiguredProvider> {
    configured_with(emulator, "test-token").await
}

/// Plans and creates `config` as the engine does (no validation problems, the created
/// object keeping what was planned).
async fn create(
    provider: &Arc<dyn ConfiguredProvider>,
    type_name: &str,
    config: Value,
) -> Result<Value, Box<dyn Error>> {
    steps::create(provider.as_ref(), type_name, &config).await
}

/// Plans and creates `config`: GKE's error when the create fails.
async fn create_error(
    provider: &Arc<dyn ConfiguredProvider>,
    type_name: &str,
    config: Value,
) -> ProviderError {
    let planned = steps::plan(provider.as_ref(), type_name, None, &config)
        .await
        .unwrap_or_else(|e| panic!("plan: {e}"))
        .planned;
    match provider.create(type_name, &planned).await {
        Ok(created) => panic!("created: {created}"),
        Err(e) => e,
    }
}

/// Plans `config` against `prior` (an update in place) and applies it; what it applied.
async fn update(
    provider: &Arc<dyn ConfiguredProvider>,
    type_name: &str,
    prior: &Value,
    config: Value,
) -> Result<Value, ProviderError> {
    let (action, response) = steps::action(provider.as_ref(), type_name, prior, &config)
        .await
        .unwrap_or_else(|e| panic!("plan: {e}"));
    assert_eq!(action, Action::Update);
    let applied = provider.update(type_name, prior, &response.planned).await?;
    steps::assert_matches_plan(&response.planned, &applied);
    Ok(applied)
}

fn cluster(name: &str) -> Value {
    Value::object([
        ("name", Value::string(name)),
        ("deletion_protection", Value::bool(false)),
        ("remove_default_node_pool", Value::bool(true)),
        (
            "release_channel",
            Value::object([("channel", Value::string("UNSPECIFIED"))]),
        ),
    ])
}

fn pool(cluster: &str, name: &str, node_count: f64) -> Value {
    Value::object([
        ("name", Value::string(name)),
        ("cluster", Value::string(cluster)),
        ("node_count", Value::number(node_count)),
    ])
}

fn number(object: &Value, name: &str) -> f64 {
    object.get(name).and_then(Value::as_number).unwrap_or(-1.0)
}

#[tokio::test]
async fn two_node_pools_of_one_cluster_resized_at_once_both_succeed() -> TestResult {
    // Operations take long enough that the second one would meet the first.
    let emulator = Emulator::start("gke", &["operation_seconds=0.3"]);
    let provider = configured(&emulator).await;
    let c = create(&provider, CLUSTER, cluster("queue")).await?;
    let id = text(&c, "id");
    let a = create(&provider, POOL, pool(&id, "a", 1.0)).await?;
    let b = create(&provider, POOL, pool(&id, "b", 1.0)).await?;
    let (a, b) = tokio::join!(
        update(&provider, POOL, &a, pool(&id, "a", 2.0)),
        update(&provider, POOL, &b, pool(&id, "b", 3.0)),
    );
    assert_eq!(number(&a?, "node_count"), 2.0);
    assert_eq!(number(&b?, "node_count"), 3.0);
    let pools = provider
        .read_many(POOL, &[pool_with_id(&id, "a"), pool_with_id(&id, "b")])
        .await;
    let counts: Vec<f64> = pools
        .into_iter()
        .map(|r| r.ok().flatten().map_or(-1.0, |v| number(&v, "node_count")))
        .collect();
    assert_eq!(counts, vec![2.0, 3.0]);
    Ok(())
}

fn pool_with_id(cluster: &str, name: &str) -> Value {
    Value::object([("id", Value::string(format!("{cluster}/nodePools/{name}")))])
}

#[tokio::test]
async fn a_cluster_busy_with_an_operation_started_elsewhere_is_waited_out() -> TestResult {
    let emulator = Emulator::start("gke", &["operation_seconds=0.05"]);
    let provider = configured(&emulator).await;
    let c = create(&provider, CLUSTER, cluster("busy")).await?;
    let id = text(&c, "id");
    let p = create(&provider, POOL, pool(&id, "p", 1.0)).await?;
    // Someone else's long upgrade of the master: GKE refuses the resize meanwhile.
    emulator
        .control("settings", &json!({"operation_seconds": 0.5}))
        .unwrap_or_else(|e| panic!("{e}"));
    let port = http::port_of(emulator.endpoint()).unwrap_or(0);
    let started = http::request(
        port,
        "PUT",
        &format!("/v1/{id}?access_token=other"),
        &json!({"update": {"desiredMasterVersion": "1.34"}}).to_string(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(started.status(), 200, "{}", started.text());
    let resized = update(&provider, POOL, &p, pool(&id, "p", 2.0)).await?;
    assert_eq!(number(&resized, "node_count"), 2.0);
    let refused = emulator
        .requests()
        .iter()
        .filter(|r| r.ends_with(":setSize"))
        .count();
    assert!(
        refused >= 2,
        "the resize met the running upgrade: {refused} attempt(s)"
    );
    Ok(())
}

#[tokio::test]
async fn a_failed_operation_is_an_error_with_its_status_and_nothing_changed() -> TestResult {
    let emulator = Emulator::start("gke", &["operation_seconds=0.05"]);
    let provider = configured(&emulator).await;
    let c = create(&provider, CLUSTER, cluster("failing")).await?;
    let id = text(&c, "id");
    let p = create(&provider, POOL, pool(&id, "p", 1.0)).await?;
    emulator
        .control(
            "fail-operation",
            &json!({"cluster": id, "operationType": "SET_NODE_POOL_SIZE", "code": "RESOURCE_EXHAUSTED",
                    "message": "Insufficient regional quota to satisfy request: resource \"CPUS\"", "times": 10}),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let err = update(&provider, POOL, &p, pool(&id, "p", 5.0))
        .await
        .err()
        .unwrap_or_else(|| panic!("the failed operation was not an error"));
    assert!(
        err.to_string().contains("Insufficient regional quota"),
        "{err}"
    );
    assert_eq!(
        err.cloud().map(|c| c.code.as_str()),
        Some("RESOURCE_EXHAUSTED")
    );
    let read = provider
        .read(POOL, &p)
        .await?
        .unwrap_or_else(|| panic!("gone"));
    assert_eq!(number(&read, "node_count"), 1.0);
    Ok(())
}

#[tokio::test]
async fn refresh_lists_once_per_project_and_once_per_cluster() -> TestResult {
    let emulator = Emulator::start("gke", &["operation_seconds=0.05"]);
    let provider = configured(&emulator).await;
    let one = create(&provider, CLUSTER, cluster("one")).await?;
    let mut two_config = cluster("two");
    two_config =
        aic_provider::with_attributes(&two_config, [("location", Value::string("us-east1"))]);
    let two = create(&provider, CLUSTER, two_config).await?;
    let a = create(&provider, POOL, pool(&text(&one, "id"), "a", 1.0)).await?;
    let b = create(&provider, POOL, pool(&text(&one, "id"), "b", 1.0)).await?;
    // One deleted out of band reads as gone without failing the others.
    emulator
        .control("drift", &json!({"name": text(&b, "id"), "delete": true}))
        .unwrap_or_else(|e| panic!("{e}"));
    emulator.clear_requests();
    let clusters = provider
        .read_many(CLUSTER, &[one.clone(), two.clone()])
        .await;
    assert!(
        clusters.iter().all(|r| matches!(r, Ok(Some(_)))),
        "{clusters:?}"
    );
    let pools = provider.read_many(POOL, &[a.clone(), b.clone()]).await;
    assert!(matches!(pools[0], Ok(Some(_))), "{pools:?}");
    assert!(matches!(pools[1], Ok(None)), "{pools:?}");
    let calls = emulator.requests();
    let lists: Vec<&String> = calls
        .iter()
        .filter(|r| {
            r.starts_with("GET /v1/") && (r.ends_with("/clusters") || r.ends_with("/nodePools"))
        })
        .collect();
    assert_eq!(
        lists,
        vec![
            "GET /v1/projects/tests/locations/-/clusters",
            &format!("GET /v1/{}/nodePools", text(&one, "id")),
        ],
        "{calls:?}"
    );
    Ok(())
}

#[tokio::test]
async fn import_by_resource_name_reproduces_the_objects() -> TestResult {
    let emulator = Emulator::start("gke", &["operation_seconds=0.05"]);
    let provider = configured(&emulator).await;
    let c = create(&provider, CLUSTER, cluster("imported")).await?;
    let p = create(&provider, POOL, pool(&text(&c, "id"), "p", 2.0)).await?;
    let pool = provider
        .import(POOL, &text(&p, "id"))
        .await?
        .unwrap_or_else(|| panic!("nothing imported"));
    assert_eq!(number(&pool, "node_count"), 2.0);
    assert_eq!(text(&pool, "cluster"), text(&c, "id"));
    let cluster = provider
        .import(
            CLUSTER,
            "projects/tests/locations/europe-west1/clusters/imported",
        )
        .await?
        .unwrap_or_else(|| panic!("nothing imported"));
    assert_eq!(text(&cluster, "master_version"), text(&c, "master_version"));
    assert_eq!(
        provider
            .import(
                CLUSTER,
                "projects/tests/locations/europe-west1/clusters/nope"
            )
            .await?,
        None
    );
    let err = provider.import(CLUSTER, "imported").await.err();
    assert!(err.is_some_and(|e| e
        .help_text()
        .contains("projects/PROJECT/locations/LOCATION/clusters/CLUSTER")));
    Ok(())
}

#[tokio::test]
async fn gke_errors_are_classified_and_point_at_the_attribute() -> TestResult {
    let emulator = Emulator::start("gke", &["operation_seconds=0.05", r#"tokens=["right"]"#]);
    let wrong = configured_with(&emulator, "wrong").await;
    let err = wrong
        .import(CLUSTER, "projects/tests/locations/europe-west1/clusters/x")
        .await
        .err();
    assert_eq!(
        err.as_ref().map(ProviderError::kind),
        Some(ErrorKind::InvalidConfig),
        "{err:?}"
    );
    assert!(err.is_some_and(|e| e.help_text().contains("access_token")));

    let provider = configured_with(&emulator, "right").await;
    let c = create(&provider, CLUSTER, cluster("errors")).await?;
    let bad = aic_provider::with_attributes(
        &pool(&text(&c, "id"), "bad", 1.0),
        [(
            "node_config",
            Value::object([("machine_type", Value::string("n9-bogus-7"))]),
        )],
    );
    let err = create_error(&provider, POOL, bad).await;
    assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{err}");
    assert_eq!(
        err.cloud().map(|c| c.code.as_str()),
        Some("INVALID_ARGUMENT")
    );
    assert_eq!(
        err.attribute().map(ToString::to_string).as_deref(),
        Some("node_config.machine_type"),
        "{err}"
    );
    let err = create_error(&provider, CLUSTER, cluster("errors")).await;
    assert_eq!(err.cloud().map(|c| c.code.as_str()), Some("ALREADY_EXISTS"));
    Ok(())
}

#[tokio::test]
async fn deletion_protection_refuses_to_destroy_a_cluster() -> TestResult {
    let emulator = Emulator::start("gke", &["operation_seconds=0.05"]);
    let provider = configured(&emulator).await;
    let protected =
        aic_provider::with_attributes(&cluster("kept"), [("deletion_protection", Value::null())]);
    let c = create(&provider, CLUSTER, protected).await?;
    assert_eq!(
        c.get("deletion_protection").and_then(Value::as_bool),
        Some(true)
    );
    let err = provider.delete(CLUSTER, &c).await.err();
    assert!(err.is_some_and(|e| e.help_text().contains("deletion_protection = false")));
    assert!(provider.read(CLUSTER, &c).await?.is_some());
    Ok(())
}

#[tokio::test]
async fn a_master_upgrade_then_a_node_upgrade() -> TestResult {
    let emulator = Emulator::start("gke", &["operation_seconds=0.05"]);
    let provider = configured(&emulator).await;
    let old = aic_provider::with_attributes(
        &cluster("upgraded"),
        [("min_master_version", Value::string("1.32"))],
    );
    let c = create(&provider, CLUSTER, old).await?;
    assert!(text(&c, "master_version").starts_with("1.32."), "{c}");
    let p = create(&provider, POOL, pool(&text(&c, "id"), "p", 1.0)).await?;
    assert!(text(&p, "version").starts_with("1.32."), "{p}");
    let new = aic_provider::with_attributes(
        &cluster("upgraded"),
        [("min_master_version", Value::string("1.33"))],
    );
    let c = update(&provider, CLUSTER, &c, new).await?;
    assert!(text(&c, "master_version").starts_with("1.33."), "{c}");
    let upgraded = aic_provider::with_attributes(
        &pool(&text(&c, "id"), "p", 1.0),
        [("version", Value::string(text(&c, "master_version")))],
    );
    let p = update(&provider, POOL, &p, upgraded).await?;
    assert_eq!(text(&p, "version"), text(&c, "master_version"));
    Ok(())
}

#[tokio::test]
async fn data_sources_read_versions_and_a_cluster() -> TestResult {
    let emulator = Emulator::start("gke", &["operation_seconds=0.05"]);
    let provider = configured(&emulator).await;
    let versions = provider
        .read_data(
            "google_container_engine_versions",
            &Value::object([("version_prefix", Value::string("1.32."))]),
        )
        .await?;
    let masters = versions
        .get("valid_master_versions")
        .and_then(Value::as_elements)
        .map(|v| {
            v.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    assert!(
        !masters.is_empty() && masters.iter().all(|v| v.starts_with("1.32.")),
        "{masters:?}"
    );
    assert_eq!(text(&versions, "latest_master_version"), masters[0]);
    assert!(text(&versions, "default_cluster_version").starts_with("1."));

    let c = create(&provider, CLUSTER, cluster("read")).await?;
    let read = provider
        .read_data(CLUSTER, &Value::object([("name", Value::string("read"))]))
        .await?;
    assert_eq!(text(&read, "endpoint"), text(&c, "endpoint"));
    assert!(read.get("master_auth").is_some_and(Value::is_sensitive));
    let missing = provider
        .read_data(CLUSTER, &Value::object([("name", Value::string("absent"))]))
        .await
        .err();
    assert_eq!(missing.map(|e| e.kind()), Some(ErrorKind::NotFound));
    Ok(())
}
