//! The `aic` binary with the `aws` provider's IoT and Greengrass V2 types, end to end,
//! against moto (IoT things and groups) and the project's Greengrass V2 emulator (a
//! simulated fleet reading its thing groups from that moto): publishing a component and
//! deploying it to a thing group, a new component version deployed as the group's next
//! deployment with the devices' configuration kept, a fleet where 30 % of the devices fail
//! (the rollout aborted, the failed devices rolled back), and an apply killed with SIGKILL
//! while its deployment rolls out, whose rerun adopts that deployment instead of making a
//! second one.
//!
//! Every test starts its own moto and emulator and fails, naming `scripts/moto.sh install`
//! or `scripts/emulator.sh install greengrass`, when one is missing.

use aic_provider_aws::conformance_edge::aws_sdk_greengrassv2::types::DeploymentHistoryFilter;
use aic_provider_aws::conformance_edge::{greengrass_client, recipe};
use aic_provider_testkit::aic;
use aic_provider_testkit::backend::{Emulator, Moto};
use aic_provider_testkit::http;
use aic_provider_testkit::runner::{self, wait_until, Run};
use serde_json::{json, Value};

/// A project, and the moto and emulator its `aic` talks to.
struct Edge {
    project: runner::Project,
    moto: Moto,
    emulator: Emulator,
    /// The names of the variables taking the IoT and Greengrass V2 endpoints.
    vars: (&'static str, &'static str),
}

const PROVIDER: &str = r#"variable iot: string
variable greengrass: string

provider aws {
  region     = "us-east-1"
  access_key = "testing"
  secret_key = "testing"
  endpoint   = var.iot
  endpoints {
    greengrassv2 = var.greengrass
  }
}
"#;

impl Edge {
    /// `main.aic` of the provider block and `body`; core devices `devices` registered in
    /// the emulator (their IoT things are made by the configuration).
    fn new(body: &str, devices: &[String], settings: &[&str]) -> Edge {
        let project = runner::Project::with_main(&Edge::runner(), &format!("{PROVIDER}\n{body}"));
        Edge::around(project, ("iot", "greengrass"), devices, settings)
    }

    /// A copy of `examples/edge`, with its devices registered.
    fn example(devices: &[String]) -> Edge {
        let example = std::path::Path::new(
            &*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
        )
        .join("../examples/edge");
        let project = runner::Project::copy_of(&Edge::runner(), &example);
        Edge::around(
            project,
            ("iot_endpoint", "greengrass_endpoint"),
            devices,
            &[],
        )
    }

    fn runner() -> runner::Aic {
        aic!()
            .env("AIC_AWS_POLL_MS", "20")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
    }

    fn around(
        project: runner::Project,
        vars: (&'static str, &'static str),
        devices: &[String],
        settings: &[&str],
    ) -> Edge {
        let moto = Moto::start();
        let iot = format!("iot_endpoint=\"{}\"", moto.endpoint());
        let mut all = vec![
            "time_scale=30",
            "membership_refresh_seconds=0.1",
            iot.as_str(),
        ];
        all.extend_from_slice(settings);
        let emulator = Emulator::start("greengrass", &all);
        let edge = Edge {
            project,
            moto,
            emulator,
            vars,
        };
        let specs: Vec<Value> = devices
            .iter()
            .map(|d| json!({"thingName": d, "skipIotCheck": true}))
            .collect();
        edge.emulator
            .control("devices", &json!(specs))
            .unwrap_or_else(|e| panic!("{e}"));
        edge
    }

    /// `aic ARGS` with the endpoints as variables where the command takes them.
    fn aic(&self, args: &[&str]) -> Run {
        let iot = format!("{}={}", self.vars.0, self.moto.endpoint());
        let gg = format!("{}={}", self.vars.1, self.emulator.endpoint());
        let mut all = args.to_vec();
        if !matches!(args.first(), Some(&"state" | &"show" | &"output")) {
            all.extend(["--var", iot.as_str(), "--var", gg.as_str()]);
        }
        self.project.aic(&all)
    }

    fn get(&self, path: &str) -> Value {
        let port = http::port_of(self.emulator.endpoint()).unwrap_or(0);
        let answer = http::request(port, "GET", &format!("/_emulator/{path}"), "")
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_slice(&answer.body).unwrap_or_default()
    }

    /// Component `name` as device `thing` runs it (version, configuration).
    fn running(&self, thing: &str, name: &str) -> Value {
        self.get(&format!("devices/{thing}"))["installedComponents"][name].clone()
    }

    /// Every deployment to `target`, superseded ones included.
    async fn deployments_to(&self, target: &str) -> Vec<String> {
        let gg = greengrass_client(self.emulator.endpoint()).await;
        let listed = gg
            .list_deployments()
            .target_arn(target)
            .history_filter(DeploymentHistoryFilter::All)
            .send()
            .await
            .unwrap_or_else(|e| panic!("ListDeployments: {e:?}"));
        listed
            .deployments()
            .iter()
            .filter_map(|d| d.deployment_id().map(str::to_owned))
            .collect()
    }
}

fn devices(prefix: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}-{i:02}")).collect()
}

/// A thing group of `things` (IoT things and memberships), a component version of
/// `com.example.App` at `version` and its deployment to the group with `merge`, waited
/// for; `job` is more of the deployment's body.
fn fleet(things: &[String], version: &str, merge: &str, job: &str) -> String {
    let names: Vec<String> = things.iter().map(|t| format!("\"{t}\"")).collect();
    format!(
        r#"resource aws_iot_thing_group fleet {{
  name = "fleet"
}}

resource aws_iot_thing device {{
  for_each = toset([{names}])
  name     = each.key
}}

resource aws_iot_thing_group_membership device {{
  for_each         = toset([{names}])
  thing_name       = aws_iot_thing.device[each.key].name
  thing_group_name = aws_iot_thing_group.fleet.name
}}

resource aws_greengrassv2_component_version app {{
  inline_recipe = <<-YAML
{recipe}  YAML
}}

resource aws_greengrassv2_deployment fleet {{
  target_arn      = aws_iot_thing_group.fleet.arn
  deployment_name = "fleet"
  components = {{
    "com.example.App" = {{
      component_version    = aws_greengrassv2_component_version.app.component_version
      configuration_update = {{ merge = jsonencode({merge}) }}
    }}
  }}
  deployment_policies {{
    failure_handling_policy = "ROLLBACK"
  }}
{job}  wait_for   = "COMPLETED"
  depends_on = [aws_iot_thing_group_membership.device]
}}
"#,
        names = names.join(", "),
        recipe = indent(&recipe("com.example.App", version), "    "),
    )
}

fn indent(text: &str, by: &str) -> String {
    text.lines().map(|l| format!("{by}{l}\n")).collect()
}

#[test]
fn a_published_component_deployed_to_a_group_runs_on_every_device() {
    let things = devices("gw", 3);
    let edge = Edge::new(
        &fleet(&things, "1.0.0", r#"{ greeting = "hi" }"#, ""),
        &things,
        &[],
    );
    let plan = edge.aic(&["plan"]).success();
    assert!(
        plan.stdout
            .contains("Plan: 9 to add, 0 to change, 0 to destroy."),
        "{plan}"
    );
    edge.aic(&["apply", "--auto-approve"]).success();
    for thing in &things {
        let app = edge.running(thing, "com.example.App");
        assert_eq!(app["componentVersion"], "1.0.0", "{thing}: {app}");
        assert_eq!(app["configuration"]["greeting"], "hi", "{thing}: {app}");
    }
    let version = edge
        .project
        .state_attributes("aws_greengrassv2_component_version.app", None);
    assert_eq!(version["status"], "DEPLOYABLE", "{version}");
    let deployment = edge
        .project
        .state_attributes("aws_greengrassv2_deployment.fleet", None);
    assert_eq!(deployment["deployment_status"], "ACTIVE", "{deployment}");
    edge.aic(&["plan", "--detailed-exitcode"]).code(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_component_version_is_the_groups_next_deployment_and_keeps_configuration() {
    let things = devices("gw", 3);
    let merge = r#"{ greeting = "hi" }"#;
    let edge = Edge::new(&fleet(&things, "1.0.0", merge, ""), &things, &[]);
    edge.aic(&["apply", "--auto-approve"]).success();
    let first = edge
        .project
        .state_attributes("aws_greengrassv2_deployment.fleet", None);
    // An operator tuned one device; the next deployment must not reset it.
    edge.emulator
        .control_with(
            "PATCH",
            "devices/gw-02",
            &json!({"components": {"com.example.App": {"configuration": {"greeting": "hi", "port": 9090}}}}),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    edge.project.write(
        "main.aic",
        &format!("{PROVIDER}\n{}", fleet(&things, "1.1.0", merge, "")),
    );
    let plan = edge.aic(&["plan"]).success();
    assert!(
        plan.stdout
            .contains("aws_greengrassv2_component_version.app must be replaced")
            && plan
                .stdout
                .contains("aws_greengrassv2_deployment.fleet will be updated in-place"),
        "{plan}"
    );
    edge.aic(&["apply", "--auto-approve"]).success();
    let second = edge
        .project
        .state_attributes("aws_greengrassv2_deployment.fleet", None);
    assert_ne!(second["id"], first["id"], "a new deployment");
    assert_eq!(second["revision_id"], "2", "{second}");
    for thing in &things {
        let app = edge.running(thing, "com.example.App");
        assert_eq!(app["componentVersion"], "1.1.0", "{thing}: {app}");
        assert_eq!(app["configuration"]["greeting"], "hi", "{thing}: {app}");
    }
    assert_eq!(
        edge.running("gw-02", "com.example.App")["configuration"]["port"],
        9090,
        "the device's own configuration was kept"
    );
    let target = second["target_arn"].as_str().unwrap_or_default().to_owned();
    assert_eq!(edge.deployments_to(&target).await.len(), 2);
    edge.aic(&["plan", "--detailed-exitcode"]).code(0);
}

const ABORT: &str = r#"  iot_job_configuration {
    abort_config {
      criteria_list {
        failure_type                  = "FAILED"
        threshold_percentage          = 20
        min_number_of_executed_things = 10
      }
    }
  }
"#;

#[test]
fn a_fleet_where_30_percent_fail_is_aborted_and_the_failed_devices_roll_back() {
    let things = devices("dev", 10);
    let merge = r#"{ greeting = "hi" }"#;
    let edge = Edge::new(&fleet(&things, "1.0.0", merge, ABORT), &things, &[]);
    edge.aic(&["apply", "--auto-approve"]).success();
    edge.emulator
        .control(
            "failures",
            &json!({"componentName": "com.example.App", "componentVersion": "2.0.0", "things": ["dev-02", "dev-05", "dev-09"]}),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    edge.project.write(
        "main.aic",
        &format!("{PROVIDER}\n{}", fleet(&things, "2.0.0", merge, ABORT)),
    );
    let run = edge.aic(&["apply", "--auto-approve"]);
    assert_eq!(run.code, Some(1), "{run}");
    let words = run.err_words();
    assert!(
        words.contains("aws_greengrassv2_deployment.fleet") && words.contains("was canceled"),
        "the deployment's abort is the error: {run}"
    );
    for thing in &things {
        let app = edge.running(thing, "com.example.App");
        let expected = if ["dev-02", "dev-05", "dev-09"].contains(&thing.as_str()) {
            "1.0.0"
        } else {
            "2.0.0"
        };
        assert_eq!(app["componentVersion"], expected, "{thing}: {app}");
    }
    let unhealthy = edge.get("devices")["devices"]
        .as_array()
        .map(|d| d.iter().filter(|d| d["status"] != "HEALTHY").count());
    assert_eq!(unhealthy, Some(0), "rolled back devices are healthy");
    // The next plan deploys again: the aborted rollout is not what the configuration says.
    edge.aic(&["plan", "--detailed-exitcode"]).code(2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_killed_during_its_rollout_is_adopted_when_run_again() {
    let things = devices("gw", 2);
    let edge = Edge::new(
        &fleet(&things, "1.0.0", r#"{ greeting = "hi" }"#, ""),
        &things,
        &[],
    );
    // The devices are offline: the deployment stays queued while the apply waits.
    for thing in &things {
        edge.emulator
            .control_with(
                "PATCH",
                &format!("devices/{thing}"),
                &json!({"connected": false}),
            )
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let iot = format!("iot={}", edge.moto.endpoint());
    let gg = format!("greengrass={}", edge.emulator.endpoint());
    let mut run = edge.project.spawn(&[
        "apply",
        "--auto-approve",
        "--var",
        iot.as_str(),
        "--var",
        gg.as_str(),
    ]);
    wait_until("the deployment to be created", || {
        run.assert_running("the deployment to be created");
        edge.get("requests")
            .to_string()
            .contains("\"path\":\"/greengrass/v2/deployments\"")
    });
    run.signal(libc::SIGKILL);
    let killed = run.wait();
    assert_eq!(killed.code, None, "killed by a signal:\n{killed}");
    for thing in &things {
        edge.emulator
            .control_with(
                "PATCH",
                &format!("devices/{thing}"),
                &json!({"connected": true}),
            )
            .unwrap_or_else(|e| panic!("{e}"));
    }
    // The killed apply's lock died with it: the rerun takes it over.
    let rerun = edge.aic(&["apply", "--auto-approve"]).success();
    assert!(
        rerun
            .err_words()
            .contains("from an interrupted run's journal"),
        "{rerun}"
    );
    let deployment = edge
        .project
        .state_attributes("aws_greengrassv2_deployment.fleet", None);
    let target = deployment["target_arn"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let all = edge.deployments_to(&target).await;
    assert_eq!(
        all,
        [deployment["id"].as_str().unwrap_or_default()],
        "one deployment, adopted"
    );
    edge.aic(&["plan", "--detailed-exitcode"]).code(0);
}

fn example_devices() -> Vec<String> {
    ["gw-canary-1", "gw-01", "gw-02", "gw-03", "gw-04"]
        .iter()
        .map(|d| (*d).to_owned())
        .collect()
}

#[test]
fn the_gateway_release_goes_to_the_canary_group_then_to_the_fleet() {
    let edge = Edge::example(&example_devices());
    let run = edge
        .aic(&["rollout", "gateway_release", "--auto-approve", "--no-pause"])
        .success();
    assert!(
        run.stderr.contains("Rollout gateway_release complete."),
        "{run}"
    );
    // The canary phase read the canary group's core devices after its deployment and
    // found each one HEALTHY.
    assert!(
        run.stderr
            .contains("check devices_healthy: passed — assertion holds"),
        "{run}"
    );
    for thing in example_devices() {
        let gateway = edge.running(&thing, "com.example.Gateway");
        assert_eq!(gateway["componentVersion"], "1.0.0", "{thing}: {gateway}");
    }
    assert_eq!(
        edge.running("gw-canary-1", "com.example.Gateway")["configuration"]["interval_seconds"],
        10
    );
    assert_eq!(
        edge.running("gw-01", "com.example.Gateway")["configuration"]["interval_seconds"],
        30
    );
}

#[test]
fn a_release_failing_on_the_canary_is_rolled_back_and_never_reaches_the_fleet() {
    let edge = Edge::example(&example_devices());
    edge.aic(&["rollout", "gateway_release", "--auto-approve", "--no-pause"])
        .success();
    edge.emulator
        .control(
            "failures",
            &json!({"componentName": "com.example.Gateway", "componentVersion": "2.0.0", "things": ["gw-canary-1"]}),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let run = edge.aic(&[
        "rollout",
        "gateway_release",
        "--auto-approve",
        "--no-pause",
        "--var",
        "app_version=2.0.0",
    ]);
    assert_ne!(run.code, Some(0), "{run}");
    assert!(run.err_words().contains("failed on 1 device(s)"), "{run}");
    for thing in example_devices() {
        let gateway = edge.running(&thing, "com.example.Gateway");
        assert_eq!(gateway["componentVersion"], "1.0.0", "{thing}: {gateway}");
    }
    let fleet_executions = edge.get("devices/gw-01")["executions"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(
        fleet_executions, 1,
        "the fleet only ever got the first release"
    );
}

/// `examples/platform`'s edge environment with its Greengrass release switched on (the
/// endpoints set): the canary gateway's group first, checked over the core devices'
/// health, then the other gateways.
#[test]
fn the_platform_examples_edge_release_reaches_the_canary_then_the_gateways() {
    let platform = std::path::Path::new(
        &*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("../examples/platform");
    let gateways: Vec<String> = [
        "gw-edge-fra-1",
        "gw-edge-fra-2",
        "gw-edge-sin-1",
        "gw-edge-sin-2",
    ]
    .iter()
    .map(|d| (*d).to_owned())
    .collect();
    // The example's AWS region: the emulator reads thing groups from moto there.
    let edge = Edge::around(
        runner::Project::copy_of(&Edge::runner(), &platform),
        ("iot_endpoint", "greengrass_endpoint"),
        &gateways,
        &[r#"region="eu-central-1""#],
    );
    let run = edge
        .aic(&[
            "rollout",
            "edge_release",
            "--env",
            "edge",
            "--auto-approve",
            "--no-pause",
        ])
        .success();
    assert!(
        run.stderr
            .contains("check gateways_healthy: passed — assertion holds"),
        "{run}"
    );
    assert!(
        run.stderr.contains("Rollout edge_release complete."),
        "{run}"
    );
    // The canary phase deployed to the canary group and passed its checks before the
    // fleet phase deployed to the other gateways.
    let at = |text: &str| {
        run.stderr
            .find(text)
            .unwrap_or_else(|| panic!("no `{text}`: {run}"))
    };
    let canary = at("aws_greengrassv2_deployment.canary[0]: Creation complete");
    let passed = at("Phase canary succeeded");
    let fleet = at("aws_greengrassv2_deployment.gateways[0]: Creating...");
    assert!(canary < passed && passed < fleet, "{run}");
    for gateway in &gateways {
        let agent = edge.running(gateway, "com.aic.PlatformAgent");
        assert_eq!(agent["componentVersion"], "2026.11.1", "{gateway}: {agent}");
    }
}
