//! Rollout progress as kept in each environment's state (`State::rollouts[NAME]`):
//! one record per phase that ran in that environment.
//!
//! ```json
//! { "phases": { "beta": { "run": "…", "status": "succeeded", "serial_before": 3,
//!   "serial_after": 6, "started": "2026-…Z", "finished": "…", "who": "ana", "host": "ci-7",
//!   "strategy": "all_at_once", "checks": [ … ], "targets": { … } } } }
//! ```

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::state::State;

/// Where a phase stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Started,
    Succeeded,
    Failed,
    RolledBack,
    Skipped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Started => "started",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::RolledBack => "rolled_back",
            Status::Skipped => "skipped",
        }
    }
}

/// The outcome of one check evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub check: String,
    /// The wave target it was run for, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The canary step (weight) it was run at, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<u32>,
    pub passed: bool,
    /// What was found: `GET http://… → 200`, or the assertion's message.
    pub detail: String,
    pub attempts: u32,
    pub at: String,
    /// A Prometheus analysis: each measurement taken, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measurements: Vec<Measurement>,
}

/// How one measurement of an analysis was judged (Argo Rollouts' measurement phases).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The condition holds.
    Successful,
    /// The condition does not hold (or the failure condition does).
    Failed,
    /// No data (an empty vector, NaN), a condition that is not a known bool, or neither
    /// condition holds.
    Inconclusive,
    /// No result: Prometheus could not be reached or rejected the query.
    Error,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Successful => "successful",
            Verdict::Failed => "failed",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Error => "error",
        }
    }
}

/// One measurement of an analysis check: the query's result and how it was judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    pub at: String,
    pub verdict: Verdict,
    /// The result (`self`): a number, a list of numbers, or a string; none on error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
    /// Why it was judged so (errors, inconclusive results).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// The progress of one phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct PhaseRecord {
    /// Identifies one run of the rollout across environments.
    pub run: String,
    pub environment: String,
    pub strategy: String,
    pub status: Status,
    /// The state serial before the phase changed anything: rollback returns to it.
    pub serial_before: Option<u64>,
    pub serial_after: Option<u64>,
    pub started: Option<String>,
    pub finished: Option<String>,
    pub who: String,
    pub host: String,
    #[serde(default)]
    pub checks: Vec<CheckResult>,
    /// Per target (waves): succeeded, failed or skipped.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub targets: IndexMap<String, String>,
    /// The last canary step applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<u32>,
    /// A one-line account of the outcome.
    #[serde(default)]
    pub message: String,
    /// Blue-green: the replaced objects whose destruction waits for the checks
    /// (`ResourceState` values).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<serde_json::Value>,
    /// The notifications sent for this phase.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notifications: Vec<NotificationRecord>,
    /// A PagerDuty alert was triggered for this phase and not yet resolved.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paged: bool,
}

/// One notification sent (or not) for a phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationRecord {
    pub notify: String,
    /// `webhook`, `slack` or `pagerduty`.
    pub kind: String,
    pub event: String,
    /// PagerDuty's `trigger` or `resolve`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    pub delivered: bool,
    pub attempts: u32,
    /// Why it was not delivered.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    pub at: String,
}

/// A rollout's records in one environment's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RolloutRecord {
    #[serde(default)]
    pub phases: IndexMap<String, PhaseRecord>,
}

/// The record of `rollout` in `state` (empty when there is none or it cannot be read).
pub fn record(state: &State, rollout: &str) -> RolloutRecord {
    state
        .rollouts
        .get(rollout)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

/// The record of `phase` of `rollout` in `state`.
pub fn phase_record(state: &State, rollout: &str, phase: &str) -> Option<PhaseRecord> {
    record(state, rollout).phases.get(phase).cloned()
}

/// Stores `rec` as the record of `phase` of `rollout` in `state`.
pub fn set_phase_record(state: &mut State, rollout: &str, phase: &str, rec: &PhaseRecord) {
    let mut r = record(state, rollout);
    r.phases.insert(phase.to_string(), rec.clone());
    if let Ok(v) = serde_json::to_value(&r) {
        state.rollouts.insert(rollout.to_string(), v);
    }
}

/// The current time as RFC 3339 (UTC, whole seconds).
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The user and host recorded with each phase.
pub fn who_and_host() -> (String, String) {
    let info = crate::state::LockInfo::new("rollout");
    (info.who, info.host)
}

/// Which phases a run executes, given each phase's latest record (in phase order).
///
/// The current run is the one of the most recently started record. If it has phases not
/// yet succeeded, the run resumes at the first of them (phases succeeded in it are
/// skipped); if every phase succeeded in it, or there is no record, a new run starts at
/// the first phase. Returns (run id to use, index of the first phase to run).
pub fn resume_point(records: &[Option<PhaseRecord>], new_run: &str) -> (String, usize) {
    let latest = records
        .iter()
        .flatten()
        .max_by(|a, b| a.started.cmp(&b.started));
    let Some(latest) = latest else {
        return (new_run.to_string(), 0);
    };
    let run = &latest.run;
    let first_open = records.iter().position(|r| {
        !r.as_ref()
            .is_some_and(|r| &r.run == run && r.status == Status::Succeeded)
    });
    match first_open {
        Some(i) => (run.clone(), i),
        None => (new_run.to_string(), 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(run: &str, status: Status, started: &str) -> Option<PhaseRecord> {
        Some(PhaseRecord {
            run: run.into(),
            status,
            started: Some(started.into()),
            ..PhaseRecord::default()
        })
    }

    #[test]
    fn resumes_at_the_first_phase_not_succeeded_in_the_current_run() {
        let r = [
            rec("a", Status::Succeeded, "2026-01-01T00:00:00Z"),
            rec("a", Status::RolledBack, "2026-01-01T00:01:00Z"),
            None,
        ];
        assert_eq!(resume_point(&r, "new"), ("a".into(), 1));
        // Interrupted while started.
        let r = [
            rec("a", Status::Succeeded, "2026-01-01T00:00:00Z"),
            rec("a", Status::Started, "2026-01-01T00:01:00Z"),
        ];
        assert_eq!(resume_point(&r, "new"), ("a".into(), 1));
    }

    #[test]
    fn a_finished_run_or_no_record_starts_a_new_run() {
        let r = [
            rec("a", Status::Succeeded, "2026-01-01T00:00:00Z"),
            rec("a", Status::Succeeded, "2026-01-01T00:01:00Z"),
        ];
        assert_eq!(resume_point(&r, "new"), ("new".into(), 0));
        assert_eq!(resume_point(&[None, None], "new"), ("new".into(), 0));
        // A phase succeeded in an older run does not count for the current one.
        let r = [
            rec("old", Status::Succeeded, "2026-01-01T00:00:00Z"),
            rec("b", Status::Failed, "2026-01-02T00:00:00Z"),
        ];
        assert_eq!(resume_point(&r, "new"), ("b".into(), 0));
    }

    #[test]
    fn records_round_trip_through_the_state() {
        let mut s = State::new();
        let r = PhaseRecord {
            run: "x".into(),
            status: Status::RolledBack,
            serial_before: Some(3),
            ..PhaseRecord::default()
        };
        set_phase_record(&mut s, "release", "beta", &r);
        assert_eq!(phase_record(&s, "release", "beta"), Some(r));
        assert_eq!(
            s.rollouts["release"]["phases"]["beta"]["status"],
            "rolled_back"
        );
        assert_eq!(phase_record(&s, "release", "other"), None);
    }
}
