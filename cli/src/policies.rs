//! Policy results and the audit trail around `plan`, `apply` and `destroy`: violation
//! diagnostics on stderr, the refusal to apply a plan with `error` violations, the
//! checks apply ran on applied objects, and the audit line of each apply.

use std::path::Path;

use aic_engine::apply::ApplyReport;
use aic_engine::audit::{self, AuditRecord};
use aic_engine::plan::{Plan, PolicyLevel, PolicyResult};
use aic_engine::policy::violation_diagnostics;
use aic_engine::walk::Workspace;
use aic_lang::diag;
use serde_json::json;

/// Prints a diagnostic for each failed policy check of `plan` (stderr) and returns how
/// many are errors.
pub(crate) fn report_violations(ws: &Workspace, plan: &Plan, color: bool) -> usize {
    let diags = violation_diagnostics(ws, &plan.policy_results);
    if !diags.is_empty() {
        eprint!(
            "{}",
            diag::render_all(&diags, &ws.sources, color, crate::commands::term_width())
        );
    }
    error_count(&plan.policy_results)
}

fn error_count(results: &[PolicyResult]) -> usize {
    results
        .iter()
        .filter(|r| !r.passed && !r.deferred && r.level == PolicyLevel::Error)
        .count()
}

/// Why a plan with `n` policy errors is not applied.
pub(crate) fn refusal(n: usize) -> String {
    format!(
        "refusing to apply: {n} policy error{} (listed above). Change the configuration so that it complies; nothing was changed.",
        if n == 1 { "" } else { "s" }
    )
}

/// The refusal of a saved plan (its JSON form) whose policy results hold errors.
pub(crate) fn saved_plan_refusal(plan: &serde_json::Value) -> Option<String> {
    let failed: Vec<String> = plan
        .get("policy_results")
        .and_then(|r| r.as_array())
        .into_iter()
        .flatten()
        .filter(|r| r["passed"] == false && r["deferred"] != true && r["level"] == "error")
        .map(|r| {
            let on = r["address"]
                .as_str()
                .map_or_else(String::new, |a| format!(" on {a}"));
            format!(
                "  {}{on}: {}",
                r["policy"].as_str().unwrap_or("?"),
                r["message"].as_str().unwrap_or("")
            )
        })
        .collect();
    (!failed.is_empty()).then(|| {
        format!(
            "this plan has {} policy error{} and cannot be applied:\n{}\nChange the configuration so that it complies and make a new plan.",
            failed.len(),
            if failed.len() == 1 { "" } else { "s" },
            failed.join("\n")
        )
    })
}

/// The checks the plan deferred to apply, as apply ran them (stderr).
pub(crate) fn print_apply_results(report: &ApplyReport) {
    if report.policy_results.is_empty() {
        return;
    }
    eprintln!("\nPolicy checks deferred to apply:");
    for r in &report.policy_results {
        let addr = r
            .address
            .as_ref()
            .map_or_else(String::new, |a| format!(" on {a}"));
        if r.passed {
            eprintln!("  ✓ {}{addr}", r.policy);
        } else {
            eprintln!("  ✗ {} ({}){addr}: {}", r.policy, r.level, r.message);
        }
    }
}

/// Appends the audit line of an apply or destroy. The state is already written: a
/// failure here is a warning, never a lost state.
pub(crate) fn audit_apply(
    dir: &Path,
    environment: &str,
    destroy: bool,
    serial_before: u64,
    serial_after: u64,
    report: &ApplyReport,
) {
    let outcome = if report.interrupted {
        "interrupted"
    } else if report.failed.is_empty() {
        "complete"
    } else {
        "failed"
    };
    let record = AuditRecord {
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
            "outcome": outcome,
            "failed": report
                .failed
                .iter()
                .map(|(a, m)| json!({"address": a.to_string(), "error": m}))
                .collect::<Vec<_>>(),
            "skipped": report.skipped.iter().map(ToString::to_string).collect::<Vec<_>>(),
        }),
    };
    if let Err(e) = audit::append(dir, &record) {
        eprintln!(
            "Warning: the state was written, but the audit log {} could not be appended to: {e}",
            audit::log_path(dir, environment).display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_plans_with_policy_errors_are_refused() {
        let plan = json!({"policy_results": [
            {"policy": "tags", "address": "local_file.a", "level": "error", "passed": false, "message": "needs a tag"},
            {"policy": "soft", "address": null, "level": "warning", "passed": false, "message": "hm"},
            {"policy": "later", "address": "local_file.b", "level": "error", "passed": false, "deferred": true, "message": "x"},
            {"policy": "ok", "address": "local_file.c", "level": "error", "passed": true, "message": "y"},
        ]});
        let msg = saved_plan_refusal(&plan).expect("refused");
        assert!(msg.contains("1 policy error "), "{msg}");
        assert!(msg.contains("tags on local_file.a: needs a tag"), "{msg}");
        assert!(!msg.contains("soft") && !msg.contains("later"), "{msg}");
        let fine = json!({"policy_results": [plan["policy_results"][1].clone()]});
        assert_eq!(saved_plan_refusal(&fine), None);
    }
}
