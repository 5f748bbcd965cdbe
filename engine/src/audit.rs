//! The audit trail: one JSON line per state-changing operation (apply, destroy,
//! rollout phase, rollback, …) appended to `<project>/.aic/audit/<environment>.jsonl`.
//!
//! Each line records who ran it, on which host, when, against which environment,
//! the state serial before and after, a summary of the changes and free-form detail.
//! The file is private (0600), only ever appended to (`O_APPEND`) and fsync'd after
//! every line, so a line once reported written survives a crash.

use std::fs::{DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::state::{current_host, current_user};

/// What one audit line says about an operation. `who`, `host` and `when` are
/// filled in by [`append`].
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    /// `"apply"`, `"destroy"`, `"rollout"`, `"rollback"`, `"import"`, …
    pub operation: String,
    /// The environment whose state the operation changed.
    pub environment: String,
    /// The state serial before the operation (`None`: there was no state).
    pub serial_before: Option<u64>,
    /// The state serial after it (`None`: nothing was written).
    pub serial_after: Option<u64>,
    /// Counts, e.g. `{"add":1,"change":0,"destroy":0,"failed":0}`, or phase information.
    pub summary: Value,
    /// Free-form: rollout and phase names, outcome, errors; `Null` if none.
    pub detail: Value,
}

/// `<project>/.aic/audit/<environment>.jsonl`
pub fn log_path(project_dir: &Path, environment: &str) -> PathBuf {
    project_dir
        .join(".aic")
        .join("audit")
        .join(format!("{environment}.jsonl"))
}

/// Appends one JSON line {when (RFC 3339 UTC), who ($USER or uid), host, operation,
/// environment, serial_before, serial_after, summary, detail} to
/// `<project>/.aic/audit/<environment>.jsonl` (created 0600, O_APPEND, fsync'd).
/// Never fails the caller's operation silently: returns the error.
pub fn append(project_dir: &Path, record: &AuditRecord) -> std::io::Result<()> {
    let path = log_path(project_dir, &record.environment);
    if let Some(dir) = path.parent() {
        DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    }
    let mut line = serde_json::to_vec(&line_for(record, OffsetDateTime::now_utc()))
        .map_err(std::io::Error::other)?;
    line.push(b'\n');
    let mut file = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(&path)?;
    // One write call: with O_APPEND concurrent writers never interleave inside a line.
    file.write_all(&line)?;
    file.sync_all()
}

/// Reads every line of an environment's audit log (oldest first); empty if there is none.
pub fn read(project_dir: &Path, environment: &str) -> std::io::Result<Vec<Value>> {
    let path = log_path(project_dir, environment);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(std::io::Error::other))
        .collect()
}

fn line_for(record: &AuditRecord, now: OffsetDateTime) -> Value {
    let now = now.replace_nanosecond(0).unwrap_or(now);
    json!({
        "when": now.format(&Rfc3339).unwrap_or_else(|_| now.to_string()),
        "who": current_user(),
        "host": current_host(),
        "operation": record.operation,
        "environment": record.environment,
        "serial_before": record.serial_before,
        "serial_after": record.serial_after,
        "summary": record.summary,
        "detail": record.detail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn record(op: &str, before: Option<u64>, after: Option<u64>) -> AuditRecord {
        AuditRecord {
            operation: op.to_owned(),
            environment: "prod".to_owned(),
            serial_before: before,
            serial_after: after,
            summary: json!({"add": 1, "change": 0, "destroy": 0, "failed": 0}),
            detail: Value::Null,
        }
    }

    #[test]
    fn appends_private_json_lines_with_the_documented_fields() {
        let dir = tempfile::tempdir().unwrap();
        append(dir.path(), &record("apply", None, Some(1))).unwrap();
        append(dir.path(), &record("destroy", Some(1), Some(2))).unwrap();

        let path = dir.path().join(".aic/audit/prod.jsonl");
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2, "{text}");
        let fields: Vec<&str> = lines[0]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            fields,
            [
                "when",
                "who",
                "host",
                "operation",
                "environment",
                "serial_before",
                "serial_after",
                "summary",
                "detail"
            ]
        );
        assert_eq!(lines[0]["operation"], "apply");
        assert_eq!(lines[0]["serial_before"], Value::Null);
        assert_eq!(lines[0]["serial_after"], 1);
        assert_eq!(lines[1]["operation"], "destroy");
        assert_eq!(lines[1]["serial_before"], 1);
        assert_eq!(lines[1]["serial_after"], 2);
        assert_eq!(lines[1]["environment"], "prod");
        assert_eq!(lines[1]["summary"]["add"], 1);
        assert!(!lines[1]["who"].as_str().unwrap().is_empty());
        assert!(!lines[1]["host"].as_str().unwrap().is_empty());
        let when = lines[1]["when"].as_str().unwrap();
        let parsed = OffsetDateTime::parse(when, &Rfc3339).unwrap();
        assert_eq!(parsed.offset(), time::UtcOffset::UTC, "{when}");

        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(read(dir.path(), "prod").unwrap(), lines);
        assert!(read(dir.path(), "staging").unwrap().is_empty());
    }

    #[test]
    fn an_unwritable_log_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        // `.aic/audit` is a file, so the log cannot be created under it.
        std::fs::create_dir_all(dir.path().join(".aic")).unwrap();
        std::fs::write(dir.path().join(".aic/audit"), b"").unwrap();
        assert!(append(dir.path(), &record("apply", None, Some(1))).is_err());
    }
}
