//! The `aic` binary with the `google` provider against the GKE emulator, end to end: a
//! cluster and node pool created, the pool resized and given an autoscaler in place, the
//! master and nodes upgraded, a spot change replacing the pool, a resize made out of band
//! planned back, clusters made outside aic imported, two pools of one cluster changed in
//! one apply, a failed GKE operation failing the apply with GKE's message, and an apply
//! killed with SIGKILL in the middle of an operation converging when run again.
//!
//! The binary is this package's, run by the test kit's one runner ([`aic!`]). Every test
//! starts its own emulator and fails, naming `scripts/emulator.sh install gke`, when it is
//! missing.

use aic_provider_testkit::aic;
use aic_provider_testkit::backend::Emulator;
use aic_provider_testkit::http;
use aic_provider_testkit::runner::{self, wait_until, Run};
use serde_json::{json, Value};

const CLUSTER_ID: &str = "projects/e2e/locations/europe-west1/clusters/main";

/// A project directory and the emulator its `aic` talks to.
struct Project {
    project: runner::Project,
    emulator: Emulator,
}

impl Project {
    fn new(settings: &[&str]) -> Project {
        let emulator = Emulator::start("gke", settings);
        let aic = aic!().env("AIC_GOOGLE_POLL_MS", "10");
        let project = runner::Project::empty(&aic);
        Project { project, emulator }
    }

    /// Writes `main.aic`: the provider block for the emulator, then `body`.
    fn write(&self, body: &str) {
        let main = format!(
            "provider google {{\n  project      = \"e2e\"\n  region       = \"europe-west1\"\n  endpoint     = \"{}\"\n  access_token = \"e2e-token\"\n}}\n\n{body}",
            self.emulator.endpoint()
        );
        self.project.write("main.aic", &main);
    }

    fn aic(&self, args: &[&str]) -> Run {
        self.project.aic(args)
    }

    fn apply(&self) -> Run {
        self.aic(&["apply", "--auto-approve"])
    }

    /// The plan is empty.
    fn no_changes(&self) {
        self.aic(&["plan", "--detailed-exitcode"]).code(0);
    }

    fn state(&self, address: &str) -> Value {
        self.project.state_attributes(address, None)
    }

    /// A call of GKE's API on the emulator, as someone else would make it.
    fn api(&self, method: &str, path: &str, body: &Value) -> Value {
        let port = http::port_of(self.emulator.endpoint()).unwrap_or(0);
        let body = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        let answer = http::request(
            port,
            method,
            &format!("/v1/{path}?access_token=other"),
            &body,
        )
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        assert!(answer.status() < 300, "{method} {path}: {}", answer.text());
        serde_json::from_slice(&answer.body).unwrap_or_default()
    }

    fn control(&self, action: &str, body: Value) {
        self.emulator
            .control(action, &body)
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Nodes per zone of a pool, as Compute's instance groups say.
    fn pool_size(&self, pool: &str) -> i64 {
        let found = self.api(
            "GET",
            &format!("{CLUSTER_ID}/nodePools/{pool}"),
            &Value::Null,
        );
        let url = found["instanceGroupUrls"][0]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let path = url
            .split_once("/compute/")
            .map(|(_, p)| p)
            .unwrap_or_default();
        let port = http::port_of(self.emulator.endpoint()).unwrap_or(0);
        let answer = http::request(port, "GET", &format!("/compute/{path}?access_token=x"), "")
            .unwrap_or_else(|e| panic!("{e}"));
        let group: Value = serde_json::from_slice(&answer.body).unwrap_or_default();
        group["targetSize"].as_i64().unwrap_or(-1)
    }

    fn clusters(&self) -> Vec<String> {
        let listed = self.api("GET", "projects/e2e/locations/-/clusters", &Value::Null);
        listed["clusters"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|c| c["name"].as_str().map(str::to_owned))
            .collect()
    }
}

/// The cluster at `version`, without its default pool and in no release channel.
fn cluster(version: &str) -> String {
    format!(
        "resource google_container_cluster main {{\n  name                     = \"main\"\n  min_master_version       = \"{version}\"\n  remove_default_node_pool = true\n  deletion_protection      = false\n  resource_labels          = {{ team = \"platform\" }}\n  release_channel {{\n    channel = \"UNSPECIFIED\"\n  }}\n}}\n"
    )
}

/// A pool of the cluster: `size` is `node_count = N` or an `autoscaling { … }` block.
fn pool(name: &str, size: &str, extra: &str) -> String {
    format!(
        "\nresource google_container_node_pool {name} {{\n  name    = \"{name}\"\n  cluster = google_container_cluster.main.id\n  {size}\n  node_config {{\n    machine_type = \"e2-standard-4\"\n    labels       = {{ pool = \"{name}\" }}\n{extra}  }}\n  management {{\n    auto_upgrade = false\n  }}\n}}\n"
    )
}

#[test]
fn a_pool_is_resized_given_an_autoscaler_and_upgraded_in_place() {
    let p = Project::new(&["operation_seconds=0.05"]);
    p.write(&(cluster("1.32") + &pool("workers", "node_count = 1", "")));
    p.aic(&["plan"])
        .success()
        .stdout_has("Plan: 2 to add, 0 to change, 0 to destroy.");
    p.apply()
        .success()
        .stdout_has("Apply complete! Resources: 2 added");
    assert_eq!(p.clusters(), ["main"]);
    let cluster_state = p.state("google_container_cluster.main");
    assert!(
        cluster_state["master_version"]
            .as_str()
            .unwrap_or_default()
            .starts_with("1.32."),
        "{cluster_state}"
    );
    assert_eq!(
        p.state("google_container_node_pool.workers")["id"],
        format!("{CLUSTER_ID}/nodePools/workers")
    );
    // Only the pool the configuration names: the default pool went.
    let pools = p.api("GET", &format!("{CLUSTER_ID}/nodePools"), &Value::Null);
    assert_eq!(
        pools["nodePools"].as_array().map(Vec::len),
        Some(1),
        "{pools}"
    );
    p.no_changes();

    // A resize, in place.
    p.write(&(cluster("1.32") + &pool("workers", "node_count = 3", "")));
    p.aic(&["plan"])
        .success()
        .stdout_has("Plan: 0 to add, 1 to change, 0 to destroy.");
    p.apply().success().stdout_has("1 changed");
    assert_eq!(p.pool_size("workers"), 3);
    p.no_changes();

    // An autoscaler instead of a fixed size, in place.
    let autoscaling = "autoscaling {\n    min_node_count = 1\n    max_node_count = 5\n  }";
    p.write(&(cluster("1.32") + &pool("workers", autoscaling, "")));
    p.apply().success().stdout_has("1 changed");
    let found = p.api(
        "GET",
        &format!("{CLUSTER_ID}/nodePools/workers"),
        &Value::Null,
    );
    assert_eq!(found["autoscaling"]["enabled"], true, "{found}");
    assert_eq!(found["autoscaling"]["maxNodeCount"], 5, "{found}");
    p.no_changes();

    // The master, then the nodes, to 1.33.
    p.write(&(cluster("1.33") + &pool("workers", autoscaling, "")));
    p.apply().success().stdout_has("1 changed");
    let master = p.state("google_container_cluster.main")["master_version"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(master.starts_with("1.33."), "{master}");
    let version = format!("version = \"{master}\"\n  {autoscaling}");
    p.write(&(cluster("1.33") + &pool("workers", &version, "")));
    p.apply().success().stdout_has("1 changed");
    let found = p.api(
        "GET",
        &format!("{CLUSTER_ID}/nodePools/workers"),
        &Value::Null,
    );
    assert_eq!(found["version"], master.as_str(), "{found}");
    p.no_changes();

    p.aic(&["destroy", "--auto-approve"]).success();
    assert!(p.clusters().is_empty());
}

#[test]
fn a_spot_change_replaces_the_pool_and_a_resize_out_of_band_is_planned_back() {
    let p = Project::new(&["operation_seconds=0.05"]);
    p.write(&(cluster("1.33") + &pool("workers", "node_count = 2", "")));
    p.apply().success();
    // Resized by hand: drift, planned back to 2.
    p.control(
        "drift",
        json!({"name": format!("{CLUSTER_ID}/nodePools/workers"), "nodeCount": 6}),
    );
    p.aic(&["plan", "--detailed-exitcode"])
        .code(2)
        .stdout_has("Plan: 0 to add, 1 to change, 0 to destroy.");
    p.apply().success();
    assert_eq!(p.pool_size("workers"), 2);
    p.no_changes();

    let before = p.api(
        "GET",
        &format!("{CLUSTER_ID}/nodePools/workers"),
        &Value::Null,
    );
    p.write(&(cluster("1.33") + &pool("workers", "node_count = 2", "    spot         = true\n")));
    p.aic(&["plan"])
        .success()
        .stdout_has("Plan: 1 to add, 0 to change, 1 to destroy.");
    p.apply().success();
    let after = p.api(
        "GET",
        &format!("{CLUSTER_ID}/nodePools/workers"),
        &Value::Null,
    );
    assert_eq!(after["config"]["spot"], true, "{after}");
    assert_ne!(before["etag"], after["etag"], "a new pool");
    p.no_changes();
}

#[test]
fn clusters_made_outside_aic_are_imported_and_then_plan_no_change() {
    let p = Project::new(&["operation_seconds=0.05"]);
    p.api(
        "POST",
        "projects/e2e/locations/europe-west1/clusters",
        &json!({"cluster": {"name": "main", "initialClusterVersion": "1.33", "releaseChannel": {},
                            "resourceLabels": {"team": "platform"},
                            "nodePools": [{"name": "workers", "initialNodeCount": 2,
                                           "config": {"machineType": "e2-standard-4", "labels": {"pool": "workers"}},
                                           "management": {"autoRepair": true}}]}}),
    );
    p.control("settle", json!({}));
    // Imported objects record only what GKE knows: no `min_master_version`, no
    // `remove_default_node_pool`, and no `release_channel` block for a cluster in none.
    let body = cluster("1.33")
        .replace("  remove_default_node_pool = true\n", "")
        .replace("  min_master_version       = \"1.33\"\n", "")
        .replace(
            "  release_channel {\n    channel = \"UNSPECIFIED\"\n  }\n",
            "",
        )
        + &pool("workers", "node_count = 2", "");
    p.write(&body);
    p.aic(&["import", "google_container_cluster.main", CLUSTER_ID])
        .success();
    p.aic(&[
        "import",
        "google_container_node_pool.workers",
        &format!("{CLUSTER_ID}/nodePools/workers"),
    ])
    .success();
    p.no_changes();
    let imported = p.state("google_container_node_pool.workers");
    assert_eq!(imported["node_count"], 2, "{imported}");
    // An id that is not a GKE resource name is refused, naming the form.
    p.aic(&["state", "rm", "google_container_cluster.main"])
        .success();
    p.aic(&["import", "google_container_cluster.main", "main"])
        .failure()
        .stderr_has("projects/PROJECT/locations/LOCATION/clusters/CLUSTER");
}

#[test]
fn two_pools_of_one_cluster_changed_in_one_apply_both_succeed() {
    // Long enough operations that the second would meet the first.
    let p = Project::new(&["operation_seconds=0.3"]);
    let two = |a: u32, b: u32| {
        cluster("1.33")
            + &pool("blue", &format!("node_count = {a}"), "")
            + &pool("green", &format!("node_count = {b}"), "")
    };
    p.write(&two(1, 1));
    p.apply().success().stdout_has("3 added");
    p.write(&two(2, 3));
    p.apply().success().stdout_has("2 changed");
    assert_eq!((p.pool_size("blue"), p.pool_size("green")), (2, 3));
    p.no_changes();
}

#[test]
fn a_failed_gke_operation_fails_the_apply_with_its_message() {
    let p = Project::new(&["operation_seconds=0.05"]);
    p.write(&(cluster("1.33") + &pool("workers", "node_count = 1", "")));
    p.apply().success();
    p.control(
        "fail-operation",
        json!({"cluster": CLUSTER_ID, "operationType": "SET_NODE_POOL_SIZE", "code": "FAILED_PRECONDITION",
               "message": "Insufficient regional quota to satisfy request: resource \"CPUS\": request requires '12.0' and is short '4.0'.",
               "times": 10}),
    );
    p.write(&(cluster("1.33") + &pool("workers", "node_count = 3", "")));
    p.apply()
        .failure()
        .stderr_has("Insufficient regional quota")
        .stderr_has("FAILED_PRECONDITION");
    assert_eq!(p.pool_size("workers"), 1);
    assert_eq!(
        p.state("google_container_node_pool.workers")["node_count"],
        1
    );
    let port = http::port_of(p.emulator.endpoint()).unwrap_or(0);
    let _ = http::request(port, "DELETE", "/_emulator/fail-operation", "");
    p.apply().success().stdout_has("1 changed");
    assert_eq!(p.pool_size("workers"), 3);
}

#[test]
fn an_apply_killed_during_a_gke_operation_converges_when_run_again() {
    // The cluster's creation runs 3 s: long enough to kill aic while it polls.
    let p = Project::new(&[
        "operation_seconds=0.05",
        r#"operation_seconds_by_type={"CREATE_CLUSTER": 3}"#,
    ]);
    p.write(&(cluster("1.33") + &pool("workers", "node_count = 1", "")));
    let mut run = p.project.spawn(&["apply", "--auto-approve"]);
    wait_until("the cluster's creation to start", || {
        if !p.clusters().is_empty() {
            return true;
        }
        run.assert_running("the cluster's creation to start");
        false
    });
    run.signal(libc::SIGKILL);
    let killed = run.wait();
    assert_eq!(killed.code, None, "killed by a signal:\n{killed}");
    // The killed apply's lock died with it: the rerun takes it over, replays the
    // journal and adopts the cluster whose creation was under way.
    p.apply()
        .success()
        .stderr_has("Recovered")
        .stdout_has("Apply complete!");
    assert_eq!(p.clusters(), ["main"], "the cluster was not created twice");
    assert_eq!(
        p.project.state_list(None),
        [
            "google_container_cluster.main",
            "google_container_node_pool.workers"
        ]
    );
    p.no_changes();
}

#[test]
fn the_gke_example_upgrades_every_region_in_waves() {
    let emulator = Emulator::start("gke", &["operation_seconds=0.05"]);
    let aic = aic!().env("AIC_GOOGLE_POLL_MS", "10");
    let example = std::path::Path::new(
        &*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("../examples/gke");
    let p = runner::Project::copy_of(&aic, &example);
    let endpoint = format!("endpoint={}", emulator.endpoint());
    let vars = ["--var", endpoint.as_str(), "--var", "access_token=e2e"];
    let with = |args: &[&str]| -> Vec<String> {
        args.iter()
            .chain(vars.iter())
            .map(|s| (*s).to_owned())
            .collect()
    };
    let run = |args: Vec<String>| p.aic(&args.iter().map(String::as_str).collect::<Vec<_>>());
    for env in ["staging", "production"] {
        run(with(&["apply", "--env", env, "--auto-approve"])).success();
    }
    let versions = |env: &str| -> Vec<String> {
        let outputs = p.aic(&["output", "--env", env, "--json"]).success().json();
        outputs["versions"]["value"]
            .as_object()
            .map(|m| {
                m.values()
                    .map(|v| v.as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let production = versions("production");
    assert_eq!(production.len(), 3, "{production:?}");
    assert!(
        production.iter().all(|v| v.starts_with("1.32.")),
        "{production:?}"
    );

    let rollout = run(with(&[
        "rollout",
        "upgrade",
        "--var",
        "version=1.33",
        "--auto-approve",
        "--no-pause",
    ]))
    .success();
    assert!(
        rollout.stderr.contains("Rollout upgrade complete."),
        "{rollout}"
    );
    for env in ["staging", "production"] {
        let upgraded = versions(env);
        assert!(
            !upgraded.is_empty() && upgraded.iter().all(|v| v.starts_with("1.33.")),
            "{env}: {upgraded:?}"
        );
    }
    // Region by region: each region's node upgrade ended before the next region's master
    // upgrade began.
    let port = http::port_of(emulator.endpoint()).unwrap_or(0);
    let log = http::request(port, "GET", "/_emulator/requests", "")
        .map(|m| m.text())
        .unwrap_or_default();
    let log: Value = serde_json::from_str(&log).unwrap_or_default();
    let upgrades: Vec<String> = log["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|r| r["method"] == "PUT")
        .filter_map(|r| r["path"].as_str().map(str::to_owned))
        .filter(|p| p.contains("/production-"))
        .collect();
    let regions: Vec<&str> = upgrades
        .iter()
        .filter_map(|p| p.split("/locations/").nth(1)?.split('/').next())
        .collect();
    let mut order = regions.clone();
    order.dedup();
    assert_eq!(
        order.len(),
        3,
        "each region's upgrades together: {upgrades:#?}"
    );
    run(with(&[
        "plan",
        "--env",
        "production",
        "--var",
        "version=1.33",
        "--detailed-exitcode",
    ]))
    .code(0);
}
