//! Rollout notifications: `notify` blocks of a rollout or a phase, sent on the events they
//! list to a webhook (the JSON body below), a Slack incoming webhook (`{"text": …}`) or
//! PagerDuty (Events API v2: a `trigger` on failure, a `resolve` on a later pass, one
//! dedup key per rollout and phase: `aic/ROLLOUT/PHASE`).
//!
//! Delivery is retried with backoff (4 attempts, 0.5 s, 1 s and 2 s apart) on refused
//! connections, timeouts, 429 and 5xx answers; a notification that cannot be delivered is
//! reported as a warning and never changes the rollout's outcome. URLs and routing keys
//! are secrets: no message shows them.
//!
//! The webhook body:
//!
//! ```json
//! { "rollout": "release", "event": "failed", "phase": "initial",
//!   "environment": "production", "run": "…", "status": "failed",
//!   "message": "check errors failed (…)", "at": "2026-12-06T17:00:00Z",
//!   "checks": [ { "check": "errors", "passed": false, "detail": "…", "step": 50 } ] }
//! ```
//!
//! (`phase`, `environment` and `status` are null for `completed`, which lists `phases`.)

use std::time::Duration;

use serde_json::{json, Value as Json};

use crate::eval::Values;
use crate::load::{Notify, NotifyEvent, NotifyTarget};
use crate::ops::events::{Event, Observer};
use crate::planner::Workspace;

use super::analysis::root_cause;
use super::progress::{now_rfc3339, CheckResult, NotificationRecord};

/// PagerDuty's Events API v2 endpoint.
pub const PAGERDUTY_URL: &str = "https://events.pagerduty.com/v2/enqueue";

/// How many times a notification is attempted, and the first wait between attempts
/// (doubled each time).
pub const ATTEMPTS: u32 = 4;
pub const BACKOFF: Duration = Duration::from_millis(500);
const TIMEOUT: Duration = Duration::from_secs(10);

/// What happened, for the bodies.
pub struct Happening<'a> {
    pub rollout: &'a str,
    pub event: NotifyEvent,
    /// None for `completed`.
    pub phase: Option<&'a str>,
    pub environment: Option<&'a str>,
    pub run: &'a str,
    pub status: Option<&'a str>,
    pub message: &'a str,
    pub checks: &'a [CheckResult],
    /// `completed`: the phases of the run.
    pub phases: &'a [String],
}

/// A notification with its URL and routing key evaluated.
#[derive(Clone)]
pub struct Resolved {
    pub name: String,
    pub on: Vec<NotifyEvent>,
    pub kind: &'static str,
    url: String,
    routing_key: Option<String>,
}

impl std::fmt::Debug for Resolved {
    // The URL and the routing key are secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "notify {} ({})", self.name, self.kind)
    }
}

/// Evaluates the URLs and routing keys of `notes` in `ws`; the ones that cannot be
/// computed are reported (`observer`) and left out.
pub fn resolve(
    ws: &Workspace,
    values: &Values,
    notes: &[Notify],
    observer: &dyn Observer,
) -> Vec<Resolved> {
    let text = |e: &aic_lang::ast::Expr, what: &str| -> Result<String, String> {
        match ws.eval_in(
            &aic_lang::addr::ModuleInstance::root(),
            None,
            None,
            values,
            e,
        ) {
            Ok(v) => match v.as_str() {
                Some(s) if v.is_known() && !s.is_empty() => Ok(s.to_string()),
                _ => Err(format!("its {what} is not a known, non-empty string")),
            },
            Err(d) => Err(format!("its {what} cannot be computed: {}", d.summary)),
        }
    };
    let mut out = Vec::new();
    for n in notes {
        let r = match &n.target {
            NotifyTarget::Webhook { url } | NotifyTarget::Slack { url } => {
                text(url, "URL").map(|u| (u, None))
            }
            NotifyTarget::PagerDuty { routing_key, url } => {
                let key = text(routing_key, "routing key");
                let url = match url {
                    Some(u) => text(u, "URL"),
                    None => Ok(PAGERDUTY_URL.to_string()),
                };
                key.and_then(|k| url.map(|u| (u, Some(k))))
            }
        };
        match r {
            Ok((url, routing_key)) => out.push(Resolved {
                name: n.name.clone(),
                on: n.on.clone(),
                kind: n.target.kind(),
                url,
                routing_key,
            }),
            Err(m) => observer.event(&Event::NotifyFailed {
                name: &n.name,
                kind: n.target.kind(),
                event: "any",
                error: &format!("{m}; it will not be sent"),
            }),
        }
    }
    out
}

/// PagerDuty's dedup key of a phase: stable across runs, so a pass resolves the alert a
/// failure triggered.
pub fn dedup_key(rollout: &str, phase: &str) -> String {
    format!("aic/{rollout}/{phase}")
}

fn checks_json(checks: &[CheckResult]) -> Json {
    Json::Array(
        checks
            .iter()
            .map(|c| {
                let mut o = json!({"check": c.check, "passed": c.passed, "detail": c.detail});
                if let Some(s) = c.step {
                    o["step"] = json!(s);
                }
                if let Some(t) = &c.target {
                    o["target"] = json!(t);
                }
                o
            })
            .collect(),
    )
}

/// The documented webhook body.
pub fn webhook_body(h: &Happening<'_>) -> Json {
    let mut b = json!({
        "rollout": h.rollout,
        "event": h.event.as_str(),
        "phase": h.phase,
        "environment": h.environment,
        "run": h.run,
        "status": h.status,
        "message": h.message,
        "at": now_rfc3339(),
        "checks": checks_json(h.checks),
    });
    if h.event == NotifyEvent::Completed {
        b["phases"] = json!(h.phases);
    }
    b
}

/// One line for people: `Rollout release: phase initial (production) failed — …`.
pub fn summary(h: &Happening<'_>) -> String {
    let what = match h.event {
        NotifyEvent::Started => "started",
        NotifyEvent::Passed => "passed",
        NotifyEvent::Failed => "FAILED",
        NotifyEvent::RolledBack => "was rolled back",
        NotifyEvent::Completed => "completed",
    };
    let mut s = match (h.phase, h.environment) {
        (Some(p), Some(e)) => format!("Rollout {}: phase {p} ({e}) {what}", h.rollout),
        _ => format!(
            "Rollout {} {what}: phases {}",
            h.rollout,
            h.phases.join(", ")
        ),
    };
    if !h.message.is_empty() {
        s.push_str(" — ");
        s.push_str(h.message);
    }
    s
}

/// The Slack incoming-webhook payload.
pub fn slack_body(h: &Happening<'_>) -> Json {
    let icon = match h.event {
        NotifyEvent::Started => ":arrow_forward:",
        NotifyEvent::Passed | NotifyEvent::Completed => ":white_check_mark:",
        NotifyEvent::Failed => ":x:",
        NotifyEvent::RolledBack => ":leftwards_arrow_with_hook:",
    };
    json!({ "text": format!("{icon} {}", summary(h)) })
}

/// The PagerDuty Events API v2 event: a trigger for failures, a resolve for passes.
pub fn pagerduty_body(h: &Happening<'_>, routing_key: &str) -> Option<Json> {
    let phase = h.phase?;
    let key = dedup_key(h.rollout, phase);
    match h.event {
        NotifyEvent::Failed | NotifyEvent::RolledBack => {
            let mut summary = summary(h);
            if summary.chars().count() > 1024 {
                summary = summary.chars().take(1021).collect::<String>() + "...";
            }
            Some(json!({
                "routing_key": routing_key,
                "event_action": "trigger",
                "dedup_key": key,
                "payload": {
                    "summary": summary,
                    "source": format!("aic rollout {}", h.rollout),
                    "severity": "error",
                    "component": phase,
                    "group": h.environment,
                    "class": h.event.as_str(),
                    "custom_details": {
                        "run": h.run,
                        "status": h.status,
                        "message": h.message,
                        "checks": checks_json(h.checks),
                    },
                },
            }))
        }
        NotifyEvent::Passed => Some(json!({
            "routing_key": routing_key,
            "event_action": "resolve",
            "dedup_key": key,
        })),
        NotifyEvent::Started | NotifyEvent::Completed => None,
    }
}

/// One POST of `body` to `url`: Ok, or whether to retry and why not delivered (never
/// naming the URL).
async fn post(client: &reqwest::Client, url: &str, body: &Json) -> Result<(), (bool, String)> {
    match client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_string())
        .send()
        .await
    {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => {
            let status = r.status().as_u16();
            let retry = status == 429 || status >= 500;
            let text: String = r
                .text()
                .await
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect();
            Err((retry, format!("HTTP {status} {}", text.trim())))
        }
        Err(e) => {
            let e = e.without_url();
            let why = if e.is_timeout() {
                "no answer within 10s".to_string()
            } else if e.is_builder() {
                return Err((false, "the URL is not a valid http(s) URL".into()));
            } else {
                root_cause(&e)
            };
            Err((true, why))
        }
    }
}

/// Sends `h` to every notification of `notes` listening for its event; each delivery's
/// record is returned (and reported to `observer`). `paged` says whether a PagerDuty alert
/// is open for the phase: a pass resolves only an open alert.
pub async fn send(
    notes: &[Resolved],
    h: &Happening<'_>,
    paged: bool,
    observer: &dyn Observer,
) -> Vec<NotificationRecord> {
    let mut out = Vec::new();
    let client = match reqwest::Client::builder()
        .timeout(TIMEOUT)
        .user_agent(concat!("aic/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            observer.event(&Event::NotifyFailed {
                name: "*",
                kind: "http",
                event: h.event.as_str(),
                error: &format!("cannot make an HTTP client: {}", root_cause(&e)),
            });
            return out;
        }
    };
    for n in notes.iter().filter(|n| n.on.contains(&h.event)) {
        let body = match (n.kind, &n.routing_key) {
            ("slack", _) => Some(slack_body(h)),
            ("pagerduty", Some(key)) => {
                if h.event == NotifyEvent::Passed && !paged {
                    None
                } else {
                    pagerduty_body(h, key)
                }
            }
            _ => Some(webhook_body(h)),
        };
        let Some(body) = body else { continue };
        let mut attempts = 0;
        let mut wait = BACKOFF;
        let result = loop {
            attempts += 1;
            match post(&client, &n.url, &body).await {
                Ok(()) => break Ok(()),
                Err((retry, why)) if retry && attempts < ATTEMPTS => {
                    let _ = why;
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
                Err((_, why)) => break Err(why),
            }
        };
        let action = body["event_action"].as_str().map(str::to_string);
        match &result {
            Ok(()) => observer.event(&Event::Notified {
                name: &n.name,
                kind: n.kind,
                event: action.as_deref().unwrap_or(h.event.as_str()),
                attempts,
            }),
            Err(why) => observer.event(&Event::NotifyFailed {
                name: &n.name,
                kind: n.kind,
                event: h.event.as_str(),
                error: &format!("not delivered after {attempts} attempt(s): {why}"),
            }),
        }
        out.push(NotificationRecord {
            notify: n.name.clone(),
            kind: n.kind.to_string(),
            event: h.event.as_str().to_string(),
            action,
            delivered: result.is_ok(),
            attempts,
            detail: result.err().unwrap_or_default(),
            at: now_rfc3339(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn happening(event: NotifyEvent) -> Happening<'static> {
        Happening {
            rollout: "release",
            event,
            phase: Some("initial"),
            environment: Some("production"),
            run: "r1",
            status: Some("failed"),
            message: "check errors failed",
            checks: &[],
            phases: &[],
        }
    }

    #[test]
    fn pagerduty_triggers_on_failure_and_resolves_with_the_same_key() {
        let t = pagerduty_body(&happening(NotifyEvent::Failed), "KEY").unwrap();
        assert_eq!(t["event_action"], "trigger");
        assert_eq!(t["routing_key"], "KEY");
        assert_eq!(t["dedup_key"], "aic/release/initial");
        assert_eq!(t["payload"]["severity"], "error");
        assert_eq!(
            t["payload"]["summary"],
            "Rollout release: phase initial (production) FAILED — check errors failed"
        );
        let r = pagerduty_body(&happening(NotifyEvent::Passed), "KEY").unwrap();
        assert_eq!(r["event_action"], "resolve");
        assert_eq!(r["dedup_key"], t["dedup_key"]);
        assert!(pagerduty_body(&happening(NotifyEvent::Started), "KEY").is_none());
    }

    #[test]
    fn slack_gets_a_text_and_webhooks_the_documented_body() {
        let s = slack_body(&happening(NotifyEvent::RolledBack));
        assert_eq!(
            s["text"],
            ":leftwards_arrow_with_hook: Rollout release: phase initial (production) was rolled back — check errors failed"
        );
        let w = webhook_body(&happening(NotifyEvent::Failed));
        for k in [
            "rollout",
            "event",
            "phase",
            "environment",
            "run",
            "status",
            "message",
            "at",
            "checks",
        ] {
            assert!(w.get(k).is_some(), "{k}");
        }
    }
}
