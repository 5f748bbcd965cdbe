//! The audit records of the operations that change an environment — one place that
//! says what an `apply`, `destroy`, `rollback` or rollout phase line holds. The log file
//! itself is [`crate::audit`]'s.

use std::path::Path;

use serde_json::json;

use crate::apply::ApplyReport;
use crate::audit::{self, AuditRecord};

use super::events::{Event, Observer};
use super::rollout::progress::PhaseRecord;

/// `complete`, `interrupted` or `failed`.
fn outcome(report: &ApplyReport) -> &'static str {
    if report.interrupted {
        "interrupted"
    } else if report.failed.is_empty() {
        "complete"
    } else {
        "failed"
    }
}

/// The line of an apply (or destroy) that took the state from `serial_before` (0: no
/// state) to `serial_after`.
pub(crate) fn apply_record(
    environment: &str,
    destroy: bool,
    serial_before: u64,
    serial_after: u64,
    report: &ApplyReport,
) -> AuditRecord {
    AuditRecord {
        operation: if destroy { "destroy" } else { "apply" }.to_owned(),
        environment: environment.to_owned(),
        serial_before: (serial_before > 0).then_some(serial_before),
        serial_after: Some(serial_after),
        summary: json!({
            "add": report.added,
            "change": report.changed,
            "destroy": report.destroyed,
            "failed": report.failed.len(),
        }),
        detail: json!({
            "outcome": outcome(report),
            "failed": report
                .failed
                .iter()
                .map(|(a, m)| json!({"address": a.to_string(), "error": m}))
                .collect::<Vec<_>>(),
            "skipped": report.skipped.iter().map(ToString::to_string).collect::<Vec<_>>(),
        }),
    }
}

/// The line of a rollback to serial `to`, written as `serial_after`.
pub(crate) fn rollback_record(
    environment: &str,
    serial_before: u64,
    serial_after: u64,
    to: u64,
    report: &ApplyReport,
) -> AuditRecord {
    AuditRecord {
        operation: "rollback".into(),
        environment: environment.to_owned(),
        serial_before: Some(serial_before),
        serial_after: Some(serial_after),
        summary: json!({
            "add": report.added,
            "change": report.changed,
            "destroy": report.destroyed,
            "failed": report.failed.len() + report.skipped.len(),
        }),
        detail: json!({
            "to": to,
            "outcome": outcome(report),
            "errors": report.failed.iter().map(|(a, m)| format!("{a}: {m}")).collect::<Vec<_>>(),
        }),
    }
}

/// The line of a rollout phase that ended `outcome` (`succeeded`, `failed`,
/// `rolled_back`).
pub(crate) fn phase_record(
    rollout: &str,
    phase: &str,
    rec: &PhaseRecord,
    serial_before: u64,
    summary: &serde_json::Value,
    outcome: &str,
) -> AuditRecord {
    AuditRecord {
        operation: "rollout".into(),
        environment: rec.environment.clone(),
        serial_before: Some(serial_before),
        serial_after: rec.serial_after,
        summary: summary.clone(),
        detail: json!({
            "rollout": rollout,
            "phase": phase,
            "run": rec.run,
            "strategy": rec.strategy,
            "outcome": outcome,
            "message": rec.message,
            "checks": rec.checks,
            "targets": rec.targets,
        }),
    }
}

/// Appends `record` to the project's audit log. The state is already written: a
/// failure is reported to `observer`, never a lost state.
pub(crate) fn append(dir: &Path, record: &AuditRecord, observer: &dyn Observer) {
    if let Err(error) = audit::append(dir, record) {
        let path = audit::log_path(dir, &record.environment);
        observer.event(&Event::AuditNotWritten {
            path: &path,
            error: &error,
        });
    }
}
