//! End to end: `notify` blocks of a rollout and of a phase, delivered to a loopback
//! receiver standing in for a webhook, Slack and PagerDuty. Every payload is checked, and
//! the PagerDuty pairing: a failed phase triggers an alert, the later run that passes it
//! resolves the same dedup key. Undeliverable notifications are retried with backoff,
//! reported as warnings, and never change the rollout's outcome; URLs and routing keys
//! are never printed.

mod e2e_common;
#[path = "common/health.rs"]
mod health;
#[path = "common/receiver.rs"]
mod receiver;

use e2e_common::Project;
use health::Health;
use receiver::{Answer, Receiver};
use serde_json::{json, Value};

const MODULE: &str = r#"
variable region: string
variable release: string

resource local_file app {
  filename = "out/${env.name}/${var.region}/app.txt"
  content  = "release ${var.release}\n"
}
"#;

const KEY: &str = "R0UTING-KEY-0123456789";

/// Staging and production, one region each; a two-phase rollout with the given
/// rollout-level and phase-level (`initial`) notifications.
fn project(rollout_notes: &str, phase_notes: &str) -> Project {
    let p = Project::with_main(&format!(
        r#"
variable release: string = "v1"
variable health_url: string = "http://127.0.0.1:9/healthz"
variable hook_url: string = "http://127.0.0.1:9/hook" {{
  sensitive = true
}}
variable slack_url: string = "http://127.0.0.1:9/slack" {{
  sensitive = true
}}
variable pagerduty_url: string = "http://127.0.0.1:9/pd" {{
  sensitive = true
}}
variable pagerduty_key: string = "{KEY}" {{
  sensitive = true
}}

environment staging {{
  regions = ["a"]
}}

environment production {{
  regions = ["a"]
}}

module region {{
  source   = "./modules/region"
  for_each = toset(env.regions)
  region   = each.key
  release  = var.release
}}

rollout release {{
{rollout_notes}
  phase beta {{
    environment = staging
    check health {{
      http = "${{var.health_url}}?phase=${{rollout.phase}}"
    }}
  }}
  phase initial {{
    environment = production
    check health {{
      http = "${{var.health_url}}?phase=${{rollout.phase}}"
    }}
{phase_notes}
  }}
}}
"#
    ));
    p.write("modules/region/main.aic", MODULE);
    p
}

const ALL_THREE: &str = r#"
  notify log {
    webhook {
      url = var.hook_url
    }
  }
  notify chat {
    on = ["failed", "rolled_back", "completed"]
    slack {
      url = var.slack_url
    }
  }
  notify oncall {
    pagerduty {
      routing_key = var.pagerduty_key
      url         = var.pagerduty_url
    }
  }
"#;

const PHASE_HOOK: &str = r#"
    notify phase_hook {
      on = ["started"]
      webhook {
        url = "${var.hook_url}?from=phase"
      }
    }
"#;

fn rollout(p: &Project, h: &Health, r: &Receiver) -> e2e_common::Run {
    let base = r.url();
    p.aic(&[
        "rollout",
        "release",
        "--auto-approve",
        "--no-pause",
        "--var",
        &format!("health_url={}", h.url()),
        "--var",
        &format!("hook_url={base}/hook"),
        "--var",
        &format!("slack_url={base}/slack"),
        "--var",
        &format!("pagerduty_url={base}/pd"),
    ])
}

/// Each request as (path, what): the event of a webhook body, the text of a Slack one,
/// the action of a PagerDuty one.
fn summary(r: &Receiver) -> Vec<(String, String)> {
    r.requests()
        .iter()
        .map(|q| {
            let b = q.json();
            let what = match q.target.split('?').next().unwrap_or("") {
                "/hook" => format!(
                    "{} {}",
                    b["event"].as_str().unwrap_or("?"),
                    b["phase"].as_str().unwrap_or("-")
                ),
                "/slack" => b["text"].as_str().unwrap_or("?").to_string(),
                _ => b["event_action"].as_str().unwrap_or("?").to_string(),
            };
            (q.target.clone(), what)
        })
        .collect()
}

fn pairs(xs: &[(&str, &str)]) -> Vec<(String, String)> {
    xs.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn every_event_reaches_its_receivers_and_pagerduty_resolves_what_it_triggered() {
    let h = Health::start(|t| {
        if t.contains("phase=initial") {
            503
        } else {
            200
        }
    });
    let r = Receiver::start(|_| Answer::status(202));
    let p = project(ALL_THREE, PHASE_HOOK);
    let run = rollout(&p, &h, &r).failure();
    assert!(
        run.stderr
            .contains("notify oncall: trigger sent to pagerduty"),
        "{run}"
    );
    let first = summary(&r);
    assert_eq!(
        first,
        pairs(&[
            ("/hook", "started beta"),
            ("/hook", "passed beta"),
            ("/hook", "started initial"),
            ("/hook?from=phase", "started initial"),
            ("/hook", "failed initial"),
            (
                "/slack",
                ":x: Rollout release: phase initial (production) FAILED — check health failed (GET HEALTH?phase=initial → 503, expected 200)"
            ),
            ("/pd", "trigger"),
            ("/hook", "rolled_back initial"),
            (
                "/slack",
                ":leftwards_arrow_with_hook: Rollout release: phase initial (production) was rolled back — check health failed (GET HEALTH?phase=initial → 503, expected 200); rolled back to serial 1"
            ),
        ])
        .into_iter()
        .map(|(a, b)| (a, b.replace("HEALTH", &h.url())))
        .collect::<Vec<_>>(),
        "{run}"
    );
    let reqs = r.requests();
    for q in &reqs {
        assert_eq!(q.method, "POST");
        assert_eq!(q.header("content-type"), Some("application/json"));
    }
    // The documented webhook body.
    let failed = reqs[4].json();
    assert_eq!(failed["rollout"], "release");
    assert_eq!(failed["environment"], "production");
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["checks"][0]["check"], "health");
    assert_eq!(failed["checks"][0]["passed"], false);
    assert!(failed["run"].as_str().is_some_and(|r| !r.is_empty()));
    assert!(failed["at"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert_eq!(
        reqs[5].json().as_object().map(|o| o.len()),
        Some(1),
        "Slack gets a text"
    );
    // The PagerDuty trigger.
    let trigger = reqs[6].json();
    assert_eq!(trigger["routing_key"], KEY);
    assert_eq!(trigger["dedup_key"], "aic/release/initial");
    assert_eq!(trigger["payload"]["severity"], "error");
    assert_eq!(trigger["payload"]["source"], "aic rollout release");
    assert_eq!(trigger["payload"]["component"], "initial");
    assert_eq!(trigger["payload"]["group"], "production");
    assert!(trigger["payload"]["summary"]
        .as_str()
        .is_some_and(|s| s.starts_with("Rollout release: phase initial (production) FAILED")));
    let state: Value = serde_json::from_str(&p.read(".aic/state/production.json")).expect("state");
    let rec = &state["rollouts"]["release"]["phases"]["initial"];
    assert_eq!(rec["paged"], true, "{rec}");
    assert_eq!(
        rec["notifications"].as_array().map(Vec::len),
        Some(7),
        "{rec}"
    );
    // Secrets stay secret.
    assert!(
        !run.stderr.contains(KEY) && !run.stderr.contains(&r.url()),
        "{run}"
    );

    // Fixed: the rerun resumes at `initial`, passes it, resolves the alert, completes.
    h.set(|_| 200);
    let run = rollout(&p, &h, &r).success();
    assert!(
        run.stderr
            .contains("notify oncall: resolve sent to pagerduty"),
        "{run}"
    );
    let second: Vec<(String, String)> = summary(&r).split_off(first.len());
    assert_eq!(
        second,
        pairs(&[
            ("/hook", "started initial"),
            ("/hook?from=phase", "started initial"),
            ("/hook", "passed initial"),
            ("/pd", "resolve"),
            ("/hook", "completed -"),
            (
                "/slack",
                ":white_check_mark: Rollout release completed: phases beta, initial — all 2 phase(s) succeeded"
            ),
        ]),
        "{run}"
    );
    let reqs = r.requests();
    let resolve = reqs[first.len() + 3].json();
    assert_eq!(
        resolve,
        json!({"routing_key": KEY, "event_action": "resolve", "dedup_key": "aic/release/initial"})
    );
    let completed = reqs[first.len() + 4].json();
    assert_eq!(completed["phases"], json!(["beta", "initial"]));
    assert_eq!(completed["phase"], Value::Null);
    let state: Value = serde_json::from_str(&p.read(".aic/state/production.json")).expect("state");
    assert_eq!(
        state["rollouts"]["release"]["phases"]["initial"].get("paged"),
        None
    );

    // A later run that passes resolves nothing: no alert is open.
    let run = rollout(&p, &h, &r).success();
    let third: Vec<(String, String)> = summary(&r).split_off(first.len() + second.len());
    assert!(!third.iter().any(|(t, _)| t == "/pd"), "{third:?}\n{run}");
}

#[test]
fn undeliverable_notifications_are_retried_and_reported_and_change_nothing() {
    let h = Health::start(|_| 200);
    // The first POST to /flaky fails; every POST to /slack does.
    let r = Receiver::start(|q| {
        if q.target == "/slack" {
            Answer::status(503)
        } else {
            Answer::status(200)
        }
    });
    let flaky = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let f = flaky.clone();
    r.set(move |q| match q.target.as_str() {
        "/slack" => Answer::status(503),
        "/flaky" if f.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 => Answer::status(500),
        _ => Answer::status(200),
    });
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed = format!(
        "http://127.0.0.1:{}/hook",
        l.local_addr().expect("addr").port()
    );
    drop(l);
    let notes = format!(
        r#"
  notify nowhere {{
    on = ["completed"]
    webhook {{
      url = "{closed}"
    }}
  }}
  notify chat {{
    on = ["completed"]
    slack {{
      url = var.slack_url
    }}
  }}
  notify flaky {{
    on = ["completed"]
    webhook {{
      url = "{}/flaky"
    }}
  }}
"#,
        r.url()
    );
    let p = project(&notes, "");
    let run = rollout(&p, &h, &r).success();
    assert!(run.stderr.contains("Rollout release complete."), "{run}");
    assert!(
        run.stderr.contains(
            "Warning: notification chat (slack, completed): not delivered after 4 attempt(s): HTTP 503"
        ),
        "{run}"
    );
    assert!(
        run.stderr.contains(
            "Warning: notification nowhere (webhook, completed): not delivered after 4 attempt(s):"
        ),
        "{run}"
    );
    assert!(
        run.stderr
            .contains("notify flaky: completed sent to webhook (attempt 2)"),
        "{run}"
    );
    let targets: Vec<String> = r.requests().iter().map(|q| q.target.clone()).collect();
    assert_eq!(
        targets.iter().filter(|t| *t == "/slack").count(),
        4,
        "{targets:?}"
    );
    assert_eq!(
        targets.iter().filter(|t| *t == "/flaky").count(),
        2,
        "{targets:?}"
    );
    assert!(
        !run.stderr.contains(&closed) && !run.stderr.contains(&r.url()),
        "{run}"
    );
}

#[test]
fn bad_notify_blocks_are_reported_by_validate() {
    let p = project(
        r#"
  notify a {
    on = ["started", "finished"]
    webhook {
      url = var.hook_url
    }
  }
  notify b {
    on = ["started"]
    pagerduty {
      url = var.pagerduty_url
    }
  }
  notify c {
    slack {
      url = var.slack_url
    }
    webhook {
      url = var.hook_url
    }
  }
  notify d {
  }
"#,
        r#"
    notify e {
      on = ["completed"]
      webhook {
        url = var.hook_url
      }
    }
"#,
    );
    let v = p.aic(&["validate", "--env", "production"]).failure();
    for needle in [
        "`finished` is not a rollout event",
        "the `pagerduty` block of notification `b` has no `routing_key`",
        "notification `c` has more than one destination",
        "notification `d` says nowhere to send",
        "notification `e` cannot be sent on `completed`",
    ] {
        assert!(v.stderr.contains(needle), "missing `{needle}` in {v}");
    }
    // PagerDuty is told of failures and passes only.
    let p = project(
        r#"
  notify oncall {
    on = ["started"]
    pagerduty {
      routing_key = var.pagerduty_key
    }
  }
"#,
        "",
    );
    let v = p.aic(&["validate", "--env", "production"]).failure();
    assert!(
        v.stderr
            .contains("notification `oncall` cannot be sent on `started`"),
        "{v}"
    );
}
