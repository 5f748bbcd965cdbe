//! End to end: rollout checks that analyse Prometheus metrics (`prometheus { url, query }`
//! with `condition`, `interval`, `count`, limits), against a REAL Prometheus server
//! (`scripts/prometheus.sh`) scraping a metrics endpoint served by the test. The
//! endpoint's error ratio follows what is deployed: release v2 at 50 % or more of the
//! traffic serves errors, so a canary of v2 is aborted and rolled back when the ratio
//! crosses the threshold, and v1 passes. Offline tests use a stand-in Prometheus API for
//! inconclusive results and an unreachable server; `aic validate` reports bad blocks.

mod e2e_common;
#[path = "common/prometheus.rs"]
mod prometheus;
#[path = "common/receiver.rs"]
mod receiver;

use e2e_common::Project;
use prometheus::Prometheus;
use receiver::{Answer, Receiver};
use serde_json::{json, Value};

const MODULE: &str = r#"
variable region: string
variable release: string
variable weight: number = 100

resource local_file app {
  filename = "out/${env.name}/${var.region}/app.txt"
  content  = "release ${var.release} weight ${var.weight}\n"
}
"#;

/// Production with one region `a`, and a rollout `release` whose canary phase runs the
/// check `analysis` (its body).
fn project(analysis: &str) -> Project {
    let p = Project::with_main(&format!(
        r#"
variable release: string = "v1"
variable prometheus_url: string = "http://127.0.0.1:9"

environment production {{
  regions = ["a"]
}}

module region {{
  source   = "./modules/region"
  for_each = toset(env.regions)
  region   = each.key
  release  = var.release
  weight   = rollout.weight
}}

rollout release {{
  phase canary {{
    environment = production
    targets     = [module.region["a"]]
    strategy canary {{
      steps = [10, 50, 100]
    }}
    check errors {{
{analysis}
    }}
  }}
}}
"#
    ));
    p.write("modules/region/main.aic", MODULE);
    p
}

/// The error ratio of the deployed app: release v2 at a weight of 50 or more fails.
fn error_ratio(deployed: &str) -> f64 {
    let weight: u32 = deployed
        .split_whitespace()
        .skip_while(|w| *w != "weight")
        .nth(1)
        .and_then(|w| w.parse().ok())
        .unwrap_or(0);
    if deployed.contains("release v2") && weight >= 50 {
        0.2
    } else {
        0.01
    }
}

/// A metrics endpoint reporting the error ratio of what is deployed in `p`.
fn metrics(p: &Project) -> Receiver {
    let app = p.file("out/production/a/app.txt");
    Receiver::start(move |_| {
        let deployed = std::fs::read_to_string(&app).unwrap_or_default();
        Answer::text(format!(
            "# TYPE app_error_ratio gauge\napp_error_ratio{{env=\"production\",phase=\"canary\"}} {}\n",
            error_ratio(&deployed)
        ))
    })
}

const ANALYSIS: &str = r#"
      prometheus {
        url   = var.prometheus_url
        query = "max by (env) (app_error_ratio{env='${env.name}', phase='${rollout.phase}'})"
      }
      condition = self[0] < 0.05
      interval  = "1s"
      count     = 5
"#;

fn rollout(p: &Project, prom: &str, release: &str) -> e2e_common::Run {
    p.aic(&[
        "rollout",
        "release",
        "--auto-approve",
        "--no-pause",
        "--var",
        &format!("prometheus_url={prom}"),
        "--var",
        &format!("release={release}"),
    ])
}

fn phase(p: &Project) -> Value {
    let s: Value = serde_json::from_str(&p.read(".aic/state/production.json")).expect("state");
    s["rollouts"]["release"]["phases"]["canary"].clone()
}

/// Each measurement of a check result as (verdict, value).
fn measurements(check: &Value) -> Vec<(String, Value)> {
    check["measurements"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|m| {
            (
                m["verdict"].as_str().unwrap_or("").to_string(),
                m["value"].clone(),
            )
        })
        .collect()
}

#[test]
fn a_canary_passes_while_the_error_rate_stays_under_the_threshold() {
    let p = project(ANALYSIS);
    let m = metrics(&p);
    let prom = Prometheus::start(&[&m.address()]);
    prom.wait_for("app_error_ratio");
    let run = rollout(&p, &prom.url, "v1").success();
    assert!(run.stderr.contains("Rollout release complete."), "{run}");
    assert!(
        run.stderr
            .contains("check errors: measurement 5/5: [0.01] → successful"),
        "{run}"
    );
    let rec = phase(&p);
    assert_eq!(rec["status"], "succeeded", "{rec}");
    let checks = rec["checks"].as_array().expect("checks");
    // One analysis per canary step, five measurements each, all under the threshold.
    assert_eq!(
        checks.iter().map(|c| c["step"].clone()).collect::<Vec<_>>(),
        vec![json!(10), json!(50), json!(100)]
    );
    for c in checks {
        assert_eq!(c["passed"], true, "{c}");
        assert_eq!(
            measurements(c),
            vec![("successful".to_string(), json!([0.01])); 5],
            "{c}"
        );
        // The query was sent with `env.*` and `rollout.*` interpolated.
        let detail = c["detail"].as_str().unwrap_or("");
        assert!(
            detail.contains("app_error_ratio{env='production', phase='canary'}"),
            "{detail}"
        );
    }
    // `--status` shows the measurements of the last analysis.
    let st = p.aic(&["rollout", "release", "--status"]).success();
    assert!(
        st.stdout
            .contains("errors at 100%: 0.01 ✓ 0.01 ✓ 0.01 ✓ 0.01 ✓ 0.01 ✓"),
        "{st}"
    );
}

#[test]
fn a_canary_is_rolled_back_when_the_error_rate_crosses_the_threshold() {
    let p = project(ANALYSIS);
    let m = metrics(&p);
    let prom = Prometheus::start(&[&m.address()]);
    prom.wait_for("app_error_ratio");
    rollout(&p, &prom.url, "v1").success();
    assert_eq!(
        p.read("out/production/a/app.txt"),
        "release v1 weight 100\n"
    );
    let serial_v1 = phase(&p)["serial_after"].as_u64().expect("serial");

    // v2: fine at 10 %, failing once it takes half of the traffic.
    let run = rollout(&p, &prom.url, "v2").failure();
    assert!(
        run.stderr.contains("rolled back"),
        "the failed canary is rolled back: {run}"
    );
    let rec = phase(&p);
    assert_eq!(rec["status"], "rolled_back", "{rec}");
    let checks: Vec<Value> = rec["checks"].as_array().cloned().unwrap_or_default();
    let at10 = checks.iter().find(|c| c["step"] == 10).expect("step 10");
    assert_eq!(at10["passed"], true, "{at10}");
    assert_eq!(
        measurements(at10),
        vec![("successful".to_string(), json!([0.01])); 5]
    );
    // The failing analysis stopped at its first measurement over the threshold: every
    // measurement before it passed, none was taken after it (failure_limit = 0), so the
    // rollback began within one interval of Prometheus seeing the rise.
    let failed = checks.last().expect("a failed check");
    assert_eq!(failed["passed"], false, "{failed}");
    assert_eq!(
        failed["step"], 50,
        "the 50 % step serves the errors: {failed}"
    );
    let ms = measurements(failed);
    let (last, before) = ms.split_last().expect("measurements");
    assert_eq!(last, &("failed".to_string(), json!([0.2])), "{failed}");
    assert!(
        before
            .iter()
            .all(|m| m == &("successful".to_string(), json!([0.01]))),
        "{failed}"
    );
    assert!(ms.len() <= 5, "{failed}");
    let detail = failed["detail"].as_str().unwrap_or("");
    assert!(detail.contains("more than failure_limit = 0"), "{detail}");
    // Back to v1 at full weight: the state the phase started from.
    assert_eq!(
        p.read("out/production/a/app.txt"),
        "release v1 weight 100\n"
    );
    assert_eq!(rec["serial_before"].as_u64(), Some(serial_v1), "{rec}");
    let st = p.aic(&["rollout", "release", "--status"]).success();
    assert!(st.stdout.contains("rolled_back"), "{st}");
    assert!(st.stdout.contains("errors at 50%:"), "{st}");
    assert!(st.stdout.contains("0.2 ✗"), "{st}");
}

/// A stand-in Prometheus API answering every query with `result` of type `kind`.
fn fake_prometheus(kind: &'static str, result: Value) -> Receiver {
    Receiver::start(move |req| {
        if req.target.starts_with("/api/v1/query?") {
            Answer::json(
                200,
                json!({"status": "success", "data": {"resultType": kind, "result": result.clone()}}),
            )
        } else {
            Answer::status(404)
        }
    })
}

#[test]
fn an_empty_result_is_inconclusive_and_fails_unless_told_to_pass() {
    let fake = fake_prometheus("vector", json!([]));
    let quick = r#"
      prometheus {
        url   = var.prometheus_url
        query = "app_error_ratio"
      }
      condition = self[0] < 0.05
      interval  = "100ms"
      count     = 2
"#;
    let p = project(quick);
    let run = rollout(&p, &fake.url(), "v1").failure();
    assert!(
        run.stderr
            .contains("measurement 1/2: [] → inconclusive (the query returned no samples)"),
        "{run}"
    );
    assert!(
        run.stderr.contains(
            "inconclusive: 1 inconclusive measurement(s), more than inconclusive_limit = 0"
        ),
        "{run}"
    );
    assert_eq!(phase(&p)["status"], "rolled_back");

    let p = project(&format!("{quick}      inconclusive_limit = 2\n"));
    rollout(&p, &fake.url(), "v1").success();
    let p = project(&format!("{quick}      inconclusive = \"pass\"\n"));
    let run = rollout(&p, &fake.url(), "v1").success();
    assert!(
        run.stderr
            .contains("passed as `inconclusive = \"pass\"` says"),
        "{run}"
    );
    // A scalar is `self` itself; a condition that is not a bool is inconclusive.
    let scalar = fake_prometheus("scalar", json!([1_700_000_000.0, "3"]));
    let p = project(
        r#"
      prometheus {
        url   = var.prometheus_url
        query = "scalar(x)"
      }
      condition = self == 3
"#,
    );
    rollout(&p, &scalar.url(), "v1").success();
    let p = project(
        r#"
      prometheus {
        url   = var.prometheus_url
        query = "scalar(x)"
      }
      condition = self + 1
"#,
    );
    let run = rollout(&p, &scalar.url(), "v1").failure();
    assert!(
        run.stderr.contains("the condition is not a known bool (4)"),
        "{run}"
    );
}

#[test]
fn an_unreachable_prometheus_fails_the_check_naming_the_server() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://127.0.0.1:{}", l.local_addr().expect("addr").port());
    drop(l);
    let p = project(
        r#"
      prometheus {
        url   = var.prometheus_url
        query = "up"
      }
      condition = self[0] == 1
      interval  = "100ms"
      consecutive_error_limit = 1
"#,
    );
    let run = rollout(&p, &url, "v1").failure();
    let needle = format!("cannot reach Prometheus at {url}");
    assert!(run.stderr.contains(&needle), "{run}");
    assert!(
        run.stderr
            .contains("2 consecutive error(s), more than consecutive_error_limit = 1"),
        "{run}"
    );
    let rec = phase(&p);
    assert_eq!(rec["status"], "rolled_back");
    let ms = measurements(&rec["checks"][0]);
    assert_eq!(ms.len(), 2, "{rec}");
    assert!(
        ms.iter().all(|(v, value)| v == "error" && value.is_null()),
        "{rec}"
    );
}

#[test]
fn bad_prometheus_checks_are_reported_by_validate() {
    let p = project(
        r#"
      prometheus {
        url = var.prometheus_url
        step = "1m"
      }
      count    = 0
      interval = "soon"
      inconclusive = "maybe"
"#,
    );
    let v = p.aic(&["validate", "--env", "production"]).failure();
    for needle in [
        "the `prometheus` block of check `errors` has no `query`",
        "the `prometheus` block of check `errors` has no attribute `step`",
        "check `errors` has no `condition`",
        "`count` must be a whole number from 1 to 100000, found 0",
        "`inconclusive` must be \"fail\" or \"pass\"",
    ] {
        assert!(v.stderr.contains(needle), "missing `{needle}` in {v}");
    }
    let p = project(
        r#"
      http = "http://127.0.0.1:9/healthz"
      prometheus {
        url   = var.prometheus_url
        query = "up"
      }
      condition = self[0] == 1
"#,
    );
    let v = p.aic(&["validate", "--env", "production"]).failure();
    assert!(
        v.stderr
            .contains("check `errors` has both `http` and `prometheus`"),
        "{v}"
    );
    let p = project(
        r#"
      prometheus {
        url   = var.prometheus_url
        query = "up"
      }
      condition = self[0] == 1
      retries   = 3
"#,
    );
    let v = p.aic(&["validate", "--env", "production"]).failure();
    assert!(
        v.stderr
            .contains("check `errors` has no attribute `retries`"),
        "{v}"
    );
}
