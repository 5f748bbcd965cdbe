//! Saved plans (`aic plan --out FILE`, spec engine §3): the file format, and the checks
//! that refuse to apply a plan to anything but what it was made from.
//!
//! A saved plan holds the plan (its JSON form, for display and policy results), the
//! environment, the lineage and serial of the state it was made from, a digest of the
//! configuration, the flags it was made with, and the `(address, actions)` of every
//! change. Applying it re-plans with the same flags and refuses when the environment,
//! lineage, serial or configuration differ, or when the new plan's changes are not
//! exactly the saved ones.

use std::path::{Path, PathBuf};

use aic_lang::diag::Diagnostic;
use serde::{Deserialize, Serialize};

use crate::codes;
use crate::plan::{Action, Plan};
use crate::render::render_json;
use crate::state::State;

use super::plan::PlanRequest;
use super::OpError;

/// The version written in `format`.
const FORMAT: &str = "aic-plan/1";

/// What a saved plan file holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedPlan {
    pub format: String,
    pub environment: String,
    pub lineage: String,
    pub serial: u64,
    pub config_digest: String,
    pub vars: Vec<String>,
    pub var_files: Vec<PathBuf>,
    pub targets: Vec<String>,
    pub excludes: Vec<String>,
    pub replace: Vec<String>,
    pub destroy: bool,
    /// `(address, actions)` of every change, to verify the re-plan matches.
    pub changes: Vec<(String, Vec<String>)>,
    /// The plan's JSON form.
    pub plan: serde_json::Value,
}

impl SavedPlan {
    /// The saved form of `plan`, made from `state` as `request` asked.
    pub fn new(plan: &Plan, state: &State, request: &PlanRequest) -> SavedPlan {
        SavedPlan {
            format: FORMAT.into(),
            environment: plan.environment.clone(),
            lineage: state.lineage.clone(),
            serial: state.serial,
            config_digest: plan.config_digest.clone(),
            vars: request.variables.vars.clone(),
            var_files: request.variables.var_files.clone(),
            targets: request.targets.clone(),
            excludes: request.excludes.clone(),
            replace: request.replace.clone(),
            destroy: request.destroy,
            changes: change_list(plan),
            plan: serde_json::from_str(&render_json(plan)).unwrap_or(serde_json::Value::Null),
        }
    }

    /// `request` with the environment and flags this plan was made with; what applying
    /// it plans again.
    pub fn request(&self, mut request: PlanRequest) -> PlanRequest {
        request.environment = Some(self.environment.clone());
        request.variables.vars = self.vars.clone();
        request.variables.var_files = self.var_files.clone();
        request.targets = self.targets.clone();
        request.excludes = self.excludes.clone();
        request.replace = self.replace.clone();
        request.destroy = self.destroy;
        request
    }

    /// Writes the plan to `path`.
    pub fn write(&self, path: &Path) -> Result<(), OpError> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| OpError::diagnostic(cannot_write(path, &e.to_string())))?;
        std::fs::write(path, text)
            .map_err(|e| OpError::diagnostic(cannot_write(path, &e.to_string())))
    }

    /// Reads a plan file.
    pub fn read(path: &Path) -> Result<SavedPlan, OpError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            OpError::diagnostic(
                Diagnostic::new(&codes::E0660)
                    .with_help(format!("cannot read the plan file {}: {e}", path.display())),
            )
        })?;
        serde_json::from_str(&text).map_err(|e| {
            OpError::diagnostic(Diagnostic::new(&codes::E0661).with_help(format!(
                "{} is not an aic plan file ({e}); make one with `aic plan --out FILE`.",
                path.display()
            )))
        })
    }

    /// Refuses a plan made for another environment than `explicit` (`--env`), when one
    /// was given.
    pub fn check_environment(&self, explicit: Option<&str>) -> Result<(), OpError> {
        match explicit {
            Some(e) if e != self.environment => Err(stale(format!(
                "this plan was made for environment `{}`, not `{e}`; apply it with --env {} or make a new plan.",
                self.environment, self.environment
            ))),
            _ => Ok(()),
        }
    }

    /// Refuses a plan whose policy results hold errors.
    pub fn check_policies(&self) -> Result<(), OpError> {
        let failed: Vec<String> = self
            .plan
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
        if failed.is_empty() {
            return Ok(());
        }
        Err(OpError::diagnostic(
            Diagnostic::new(&codes::E0807).with_help(format!(
                "this plan has {} policy error{} and cannot be applied:\n{}\nChange the configuration so that it complies and make a new plan.",
                failed.len(),
                if failed.len() == 1 { "" } else { "s" },
                failed.join("\n")
            )),
        ))
    }

    /// Refuses the plan unless `state` is the one it was made from and the configuration
    /// (its `digest`) is unchanged.
    pub fn check_state(&self, state: &State, digest: &str) -> Result<(), OpError> {
        // Serial 0 is "no state yet": each load of a missing state makes up a new
        // lineage, so a plan made before the first apply has no lineage to compare (a
        // state written since has a serial above 0, refused below).
        if self.serial != 0 && self.lineage != state.lineage {
            return Err(stale(format!(
                "this plan was made for another state (lineage {}, the state's is {}); make a new plan with `aic plan --out FILE`.",
                self.lineage, state.lineage
            )));
        }
        if self.serial != state.serial {
            return Err(stale(format!(
                "the state changed since this plan was made (serial {} then, {} now); make a new plan with `aic plan --out FILE`.",
                self.serial, state.serial
            )));
        }
        if self.config_digest != digest {
            return Err(stale(
                "the configuration changed since this plan was made; make a new plan with `aic plan --out FILE`.".into(),
            ));
        }
        Ok(())
    }

    /// Refuses the plan unless `plan` (made again now) has exactly its changes.
    pub fn check_changes(&self, plan: &Plan) -> Result<(), OpError> {
        if change_list(plan) != self.changes {
            return Err(stale(
                "the real objects changed since this plan was made (the plan is stale); make a new plan with `aic plan --out FILE`.".into(),
            ));
        }
        Ok(())
    }
}

fn stale(help: String) -> OpError {
    OpError::diagnostic(Diagnostic::new(&codes::E0662).with_help(help))
}

fn cannot_write(path: &Path, e: &str) -> Diagnostic {
    Diagnostic::new(&codes::E0660).with_help(format!("cannot write {}: {e}", path.display()))
}

fn change_list(plan: &Plan) -> Vec<(String, Vec<String>)> {
    plan.resource_changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .map(|c| {
            (
                c.addr.to_string(),
                c.action
                    .json_actions()
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn saved(plan: serde_json::Value) -> SavedPlan {
        SavedPlan {
            format: FORMAT.into(),
            environment: "default".into(),
            lineage: "L".into(),
            serial: 1,
            config_digest: "d".into(),
            vars: Vec::new(),
            var_files: Vec::new(),
            targets: Vec::new(),
            excludes: Vec::new(),
            replace: Vec::new(),
            destroy: false,
            changes: Vec::new(),
            plan,
        }
    }

    fn help(e: OpError) -> String {
        e.diagnostics()
            .iter()
            .filter_map(|d| d.help.clone())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn saved_plans_with_policy_errors_are_refused() {
        let plan = json!({"policy_results": [
            {"policy": "tags", "address": "local_file.a", "level": "error", "passed": false, "message": "needs a tag"},
            {"policy": "soft", "address": null, "level": "warning", "passed": false, "message": "hm"},
            {"policy": "later", "address": "local_file.b", "level": "error", "passed": false, "deferred": true, "message": "x"},
            {"policy": "ok", "address": "local_file.c", "level": "error", "passed": true, "message": "y"},
        ]});
        let msg = help(saved(plan.clone()).check_policies().expect_err("refused"));
        assert!(msg.contains("1 policy error "), "{msg}");
        assert!(msg.contains("tags on local_file.a: needs a tag"), "{msg}");
        assert!(!msg.contains("soft") && !msg.contains("later"), "{msg}");
        let fine = json!({"policy_results": [plan["policy_results"][1].clone()]});
        assert!(saved(fine).check_policies().is_ok());
    }
}
