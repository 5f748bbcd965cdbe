//! The `aws` provider's IoT and Greengrass V2 types against moto (IoT) and the project's
//! Greengrass V2 emulator (reading thing groups from that moto), through the provider
//! API the engine uses: recipes published whatever their syntax, new versions as
//! replacements, deployments whose changes are the target's next deployment without
//! resetting configuration, rollouts waited for and aborted, and the data sources the
//! devices' health is read from.
//!
//! Each test starts its own moto and emulator; a missing one fails, naming
//! `scripts/moto.sh install` or `scripts/emulator.sh install greengrass`.

mod common;

use std::sync::Arc;

use aic_lang::value::Value;
use aic_provider::{with_attributes, ConfiguredProvider, ErrorKind, Provider};
use aic_provider_aws::{AwsProvider, Timing};
use aic_provider_testkit::backend::Emulator;
use aic_provider_testkit::http;
use common::*;
use serde_json::json;

/// moto, the emulator reading its thing groups, and the provider pointed at both.
struct Edge {
    moto: Moto,
    emulator: Emulator,
    provider: Arc<dyn ConfiguredProvider>,
}

impl Edge {
    async fn start(settings: &[&str]) -> Result<Edge, Box<dyn std::error::Error>> {
        let moto = Moto::start();
        let iot = format!("iot_endpoint=\"{}\"", moto.endpoint());
        let mut all = vec![
            "time_scale=30",
            "membership_refresh_seconds=0.1",
            iot.as_str(),
        ];
        all.extend_from_slice(settings);
        let emulator = Emulator::start("greengrass", &all);
        let config = with_attributes(
            &moto.provider_config(REGION),
            [(
                "endpoints",
                object([
                    ("ec2", Value::null()),
                    ("iot", Value::null()),
                    ("greengrassv2", Value::string(emulator.endpoint())),
                ]),
            )],
        );
        let provider = AwsProvider::new()
            .with_timing(Timing::fast())
            .configure(&config)
            .await?;
        Ok(Edge {
            moto,
            emulator,
            provider,
        })
    }

    /// A started backend with a fleet of `n` devices (`PREFIX-01`…) in thing group
    /// `PREFIX-fleet`, and `com.example.App` published at `versions`.
    async fn with_fleet(
        prefix: &str,
        n: usize,
        versions: &[&str],
    ) -> Result<(Edge, Vec<String>, String), Box<dyn std::error::Error>> {
        let edge = Edge::start(&[]).await?;
        let things: Vec<String> = (1..=n).map(|i| format!("{prefix}-{i:02}")).collect();
        let group = edge.fleet(&format!("{prefix}-fleet"), &things).await?;
        for v in versions {
            create(
                edge.p(),
                "aws_greengrassv2_component_version",
                &component(&recipe_yaml("com.example.App", v)),
            )
            .await?;
        }
        Ok((edge, things, group))
    }

    fn p(&self) -> &dyn ConfiguredProvider {
        self.provider.as_ref()
    }

    /// Thing group `group` with core devices `things` in it (IoT things through the
    /// provider, registered as core devices in the emulator); the group's ARN.
    async fn fleet(
        &self,
        group: &str,
        things: &[String],
    ) -> Result<String, Box<dyn std::error::Error>> {
        let made = create(
            self.p(),
            "aws_iot_thing_group",
            &object([("name", Value::string(group))]),
        )
        .await?;
        for thing in things {
            create(
                self.p(),
                "aws_iot_thing",
                &object([("name", Value::string(thing.as_str()))]),
            )
            .await?;
            create(
                self.p(),
                "aws_iot_thing_group_membership",
                &object([
                    ("thing_name", Value::string(thing.as_str())),
                    ("thing_group_name", Value::string(group)),
                ]),
            )
            .await?;
        }
        let devices: Vec<serde_json::Value> =
            things.iter().map(|t| json!({"thingName": t})).collect();
        self.emulator.control("devices", &json!(devices))?;
        Ok(text(&made, "arn"))
    }

    /// `GET /_emulator/devices/{thing}`.
    fn device(&self, thing: &str) -> serde_json::Value {
        let port = http::port_of(self.emulator.endpoint()).unwrap_or(0);
        let answer = http::request(port, "GET", &format!("/_emulator/devices/{thing}"), "")
            .unwrap_or_else(|e| panic!("{e}"));
        serde_json::from_slice(&answer.body).unwrap_or_default()
    }

    /// The component `name` on device `thing`: its version and configuration.
    fn installed(&self, thing: &str, name: &str) -> serde_json::Value {
        let device = self.device(thing);
        let components = &device["installedComponents"];
        match components {
            serde_json::Value::Array(items) => items
                .iter()
                .find(|c| c["componentName"] == name)
                .cloned()
                .unwrap_or_default(),
            serde_json::Value::Object(map) => map.get(name).cloned().unwrap_or_default(),
            _ => serde_json::Value::Null,
        }
    }
}

fn recipe_yaml(name: &str, version: &str) -> String {
    format!(
        "RecipeFormatVersion: '2020-01-25'\nComponentName: {name}\nComponentVersion: '{version}'\n\
         ComponentConfiguration:\n  DefaultConfiguration:\n    greeting: hello\n    port: 8080\n\
         Manifests:\n  - Platform:\n      os: linux\n    Lifecycle:\n      Run: serve\n"
    )
}

fn component(recipe: &str) -> Value {
    object([("inline_recipe", Value::string(recipe))])
}

fn spec(version: &str, merge: Option<&str>) -> Value {
    object([
        ("component_version", Value::string(version)),
        (
            "configuration_update",
            merge.map_or_else(Value::null, |m| {
                object([("merge", Value::string(m)), ("reset", Value::null())])
            }),
        ),
        ("run_with", Value::null()),
    ])
}

fn deployment(target: &str, components: &[(&str, Value)], wait: bool, job: Value) -> Value {
    object([
        ("target_arn", Value::string(target)),
        (
            "components",
            Value::map(components.iter().map(|(k, v)| (*k, v.clone()))),
        ),
        ("iot_job_configuration", job),
        (
            "wait_for",
            if wait {
                Value::string("COMPLETED")
            } else {
                Value::null()
            },
        ),
    ])
}

#[tokio::test]
async fn a_flow_style_yaml_recipe_is_published_and_its_version_is_known_when_planning() -> TestResult
{
    let edge = Edge::start(&[]).await?;
    // Starts with `{` but is YAML: the service would parse it as JSON and refuse it.
    let recipe = "{RecipeFormatVersion: 2020-01-25, ComponentName: com.example.Flow, ComponentVersion: 1.2.3, Manifests: [{Platform: {os: linux}, Lifecycle: {Run: 'true'}}]}";
    let config = component(recipe);
    let planned = plan(
        edge.p(),
        "aws_greengrassv2_component_version",
        None,
        &config,
    )
    .await?
    .planned;
    assert_eq!(text(&planned, "component_name"), "com.example.Flow");
    assert_eq!(text(&planned, "component_version"), "1.2.3");
    let made = create(edge.p(), "aws_greengrassv2_component_version", &config).await?;
    assert_eq!(
        text(&made, "status"),
        "DEPLOYABLE",
        "created once deployable"
    );
    assert!(text(&made, "arn").ends_with(":components:com.example.Flow:versions:1.2.3"));
    assert_no_drift(
        edge.p(),
        "aws_greengrassv2_component_version",
        &made,
        &config,
    )
    .await
}

#[tokio::test]
async fn a_new_version_replaces_and_the_same_version_with_another_recipe_is_refused() -> TestResult
{
    let edge = Edge::start(&[]).await?;
    let t = "aws_greengrassv2_component_version";
    let made = create(
        edge.p(),
        t,
        &component(&recipe_yaml("com.example.App", "1.0.0")),
    )
    .await?;
    let (next, _) = action(
        edge.p(),
        t,
        &made,
        &component(&recipe_yaml("com.example.App", "1.1.0")),
    )
    .await?;
    assert_eq!(next, Action::Replace(vec!["inline_recipe".to_owned()]));
    // The same recipe written as JSON is the same version: no change.
    let as_json = "{\"RecipeFormatVersion\":\"2020-01-25\",\"ComponentName\":\"com.example.App\",\"ComponentVersion\":\"1.0.0\",\"ComponentConfiguration\":{\"DefaultConfiguration\":{\"greeting\":\"hello\",\"port\":8080}},\"Manifests\":[{\"Platform\":{\"os\":\"linux\"},\"Lifecycle\":{\"Run\":\"serve\"}}]}";
    let (same, _) = action(edge.p(), t, &made, &component(as_json)).await?;
    assert_eq!(same, Action::NoOp);
    let edited = recipe_yaml("com.example.App", "1.0.0").replace("serve", "serve --verbose");
    let err = edge
        .p()
        .plan(aic_provider::PlanRequest {
            type_name: t.to_owned(),
            prior: Some(made.clone()),
            config: component(&edited),
        })
        .await
        .err()
        .ok_or("an edited recipe of a published version was planned")?;
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert!(
        err.help_text().contains("ComponentVersion"),
        "{}",
        err.help_text()
    );
    Ok(())
}

#[tokio::test]
async fn a_version_whose_artifact_cannot_be_read_fails_and_is_deleted() -> TestResult {
    let edge = Edge::start(&["failing_artifacts=[\"s3://broken/\"]"]).await?;
    let recipe = format!(
        "{}    Artifacts:\n      - URI: s3://broken/app.zip\n",
        recipe_yaml("com.example.Broken", "1.0.0")
    );
    let config = component(&recipe);
    let planned = plan(
        edge.p(),
        "aws_greengrassv2_component_version",
        None,
        &config,
    )
    .await?
    .planned;
    let err = edge
        .p()
        .create("aws_greengrassv2_component_version", &planned)
        .await
        .err()
        .ok_or("a version with an unreadable artifact was created")?;
    let message = err.to_string();
    assert!(
        message.contains("FAILED") && message.contains("s3://broken/app.zip"),
        "{message}"
    );
    let port = http::port_of(edge.emulator.endpoint()).unwrap_or(0);
    let answer = http::request(
        port,
        "GET",
        "/_emulator/components/com.example.Broken/versions/1.0.0",
        "",
    )?;
    assert_eq!(
        answer.status(),
        404,
        "the failed version was deleted: {}",
        answer.text()
    );
    Ok(())
}

#[tokio::test]
async fn a_changed_deployment_is_the_targets_next_one_and_keeps_the_devices_configuration(
) -> TestResult {
    let (edge, things, group) = Edge::with_fleet("gw", 3, &["1.0.0", "1.1.0"]).await?;
    let t = "aws_greengrassv2_deployment";
    let merge = Some("{\"greeting\":\"hi\"}");
    let first = deployment(
        &group,
        &[("com.example.App", spec("1.0.0", merge))],
        true,
        Value::null(),
    );
    let made = create(edge.p(), t, &first).await?;
    assert_eq!(text(&made, "revision_id"), "1");
    assert_eq!(
        edge.installed("gw-01", "com.example.App")["configuration"]["greeting"],
        "hi"
    );
    // Someone tunes a device's port; the next deployment must not reset it.
    edge.emulator.control_with(
        "PATCH",
        "devices/gw-02",
        &json!({"components": {"com.example.App": {"configuration": {"greeting": "hi", "port": 9090}}}}),
    )?;
    let second = deployment(
        &group,
        &[("com.example.App", spec("1.1.0", merge))],
        true,
        Value::null(),
    );
    let (next, response) = action(edge.p(), t, &made, &second).await?;
    assert_eq!(next, Action::Update, "a new deployment, not a replacement");
    let updated = edge.p().update(t, &made, &response.planned).await?;
    assert_matches_plan(&response.planned, &updated);
    assert_ne!(
        text(&updated, "id"),
        text(&made, "id"),
        "the target's next deployment"
    );
    assert_eq!(text(&updated, "revision_id"), "2");
    for thing in &things {
        let app = edge.installed(thing, "com.example.App");
        assert_eq!(app["componentVersion"], "1.1.0", "{thing}: {app}");
        assert_eq!(app["configuration"]["greeting"], "hi", "{thing}: {app}");
    }
    assert_eq!(
        edge.installed("gw-02", "com.example.App")["configuration"]["port"],
        9090,
        "the configuration nobody changed in aic was kept"
    );
    // The first deployment was superseded; reading it finds it gone.
    assert!(edge.p().read(t, &made).await?.is_none());
    assert_no_drift(edge.p(), t, &updated, &second).await
}

fn abort_after(percent: f64, executed: f64) -> Value {
    object([
        ("job_executions_rollout_config", Value::null()),
        (
            "abort_config",
            object([(
                "criteria_list",
                Value::list([object([
                    ("failure_type", Value::string("FAILED")),
                    ("action", Value::string("CANCEL")),
                    ("threshold_percentage", Value::number(percent)),
                    ("min_number_of_executed_things", Value::number(executed)),
                ])]),
            )]),
        ),
        ("timeout_config", Value::null()),
    ])
}

#[tokio::test]
async fn a_rollout_failing_on_30_percent_of_the_fleet_is_aborted_and_the_devices_roll_back(
) -> TestResult {
    let (edge, _, group) = Edge::with_fleet("dev", 10, &["1.0.0", "2.0.0"]).await?;
    let t = "aws_greengrassv2_deployment";
    let good = deployment(
        &group,
        &[("com.example.App", spec("1.0.0", None))],
        true,
        abort_after(20.0, 10.0),
    );
    let made = create(edge.p(), t, &good).await?;
    // Version 2.0.0 breaks on three devices of ten.
    edge.emulator.control(
        "failures",
        &json!({"componentName": "com.example.App", "componentVersion": "2.0.0", "things": ["dev-02", "dev-05", "dev-09"]}),
    )?;
    let bad = deployment(
        &group,
        &[("com.example.App", spec("2.0.0", None))],
        true,
        abort_after(20.0, 10.0),
    );
    let (_, response) = action(edge.p(), t, &made, &bad).await?;
    let err = edge
        .p()
        .update(t, &made, &response.planned)
        .await
        .err()
        .ok_or("a rollout failing on 30 % of the fleet succeeded")?;
    assert!(err.to_string().contains("canceled"), "aborted: {err}");
    for thing in ["dev-02", "dev-05", "dev-09"] {
        let app = edge.installed(thing, "com.example.App");
        assert_eq!(
            app["componentVersion"], "1.0.0",
            "{thing} rolled back: {app}"
        );
    }
    let health = edge
        .p()
        .read_data(
            "aws_greengrassv2_core_devices",
            &object([
                ("thing_group_arn", Value::null()),
                ("status", Value::string("UNHEALTHY")),
            ]),
        )
        .await?;
    assert_eq!(
        health
            .get("thing_names")
            .and_then(Value::as_elements)
            .map(<[Value]>::len),
        Some(0),
        "rolled-back devices are healthy: {health}"
    );
    let effective = edge
        .p()
        .read_data(
            "aws_greengrassv2_effective_deployments",
            &object([("core_device_thing_name", Value::string("dev-05"))]),
        )
        .await?;
    let newest = effective
        .get("effective_deployments")
        .and_then(Value::as_elements)
        .and_then(|d| d.first().cloned())
        .ok_or("no effective deployment")?;
    assert_eq!(text(&newest, "status"), "FAILED", "{newest}");
    assert!(
        text(&newest, "reason").contains("FAILED_ROLLBACK_COMPLETE"),
        "{newest}"
    );
    Ok(())
}

#[tokio::test]
async fn errors_name_the_service_that_failed() -> TestResult {
    let edge = Edge::start(&[]).await?;
    let missing = "arn:aws:iot:us-east-1:123456789012:thinggroup/nowhere";
    let config = deployment(
        missing,
        &[("com.example.App", spec("1.0.0", None))],
        false,
        Value::null(),
    );
    let planned = plan(edge.p(), "aws_greengrassv2_deployment", None, &config)
        .await?
        .planned;
    let err = edge
        .p()
        .create("aws_greengrassv2_deployment", &planned)
        .await
        .err()
        .ok_or("a deployment to a missing group was created")?;
    assert!(
        err.to_string().contains("Greengrass V2 CreateDeployment"),
        "{err}"
    );
    assert_eq!(
        err.cloud().map(|c| c.code.as_str()),
        Some("ResourceNotFoundException")
    );
    let err = edge
        .p()
        .create(
            "aws_iot_thing_group_membership",
            &object([
                ("thing_name", Value::string("ghost")),
                ("thing_group_name", Value::string("nowhere")),
                ("id", Value::null()),
            ]),
        )
        .await
        .err()
        .ok_or("a membership of missing objects was created")?;
    assert!(
        err.to_string().contains("IoT AddThingToThingGroup"),
        "{err}"
    );
    drop(edge.moto);
    Ok(())
}
