//! Saved plans (`aic plan --out FILE`, spec engine §3): the file format, and the checks
//! that refuse to apply a plan to anything but what it was made from.
//!
//! A saved plan holds the plan (its JSON form, for display and policy results), the
//! environment, the lineage and serial of the state it was made from, a digest of the
//! configuration, the flags it was made with, and the `(address, actions)` of every
//! change. Applying it re-plans with the same flags and refuses when the environment,
//! lineage, serial or configuration differ, or when the new plan's changes are not
//! exactly the saved ones.
//!
//! `--var` values are not kept in the file, which is written mode 0600: only each one's
//! name and a salted SHA-256 digest of the argument. `aic apply FILE` takes the same
//! `--var` arguments again and refuses others (E0662).

use std::path::{Path, PathBuf};

use aic_lang::diag::Diagnostic;
use serde::{Deserialize, Serialize};

use crate::codes;
use crate::plan::{Action, Plan};
use crate::render::{render_json, render_text, TextOptions};
use crate::state::State;

use super::plan::PlanRequest;
use super::OpError;

/// The version written in `format`.
const FORMAT: &str = "aic-plan/2";

/// What a saved plan file holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedPlan {
    pub format: String,
    pub environment: String,
    pub lineage: String,
    pub serial: u64,
    pub config_digest: String,
    /// Random text mixed into the digests of `vars`.
    pub var_salt: String,
    /// Each `--var NAME=VALUE` as `NAME sha256:HEX` (the digest of salt and argument).
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
    /// The plan as `aic plan` prints it (no colours), for `aic show PLANFILE`.
    #[serde(default)]
    pub text: String,
}

impl SavedPlan {
    /// The saved form of `plan`, made from `state` as `request` asked.
    pub fn new(plan: &Plan, state: &State, request: &PlanRequest) -> SavedPlan {
        let var_salt = uuid::Uuid::new_v4().simple().to_string();
        SavedPlan {
            format: FORMAT.into(),
            environment: plan.environment.clone(),
            lineage: state.lineage.clone(),
            serial: state.serial,
            config_digest: plan.config_digest.clone(),
            vars: var_digests(&var_salt, &request.variables.vars),
            var_salt,
            var_files: request.variables.var_files.clone(),
            targets: request.targets.clone(),
            excludes: request.excludes.clone(),
            replace: request.replace.clone(),
            destroy: request.destroy,
            changes: change_list(plan),
            plan: serde_json::from_str(&render_json(plan)).unwrap_or(serde_json::Value::Null),
            text: render_text(plan, &TextOptions::default()),
        }
    }

    /// `request` with the environment and flags this plan was made with; what applying
    /// it plans again. Its `--var` arguments are the ones given now, which
    /// [`check_vars`](Self::check_vars) compares with the saved digests.
    pub fn request(&self, mut request: PlanRequest) -> PlanRequest {
        request.environment = Some(self.environment.clone());
        request.variables.var_files = self.var_files.clone();
        request.targets = self.targets.clone();
        request.excludes = self.excludes.clone();
        request.replace = self.replace.clone();
        request.destroy = self.destroy;
        request
    }

    /// Refuses the plan unless `vars` (the `--var` arguments given to apply it) are the
    /// ones it was made with, in the same order.
    pub fn check_vars(&self, vars: &[String]) -> Result<(), OpError> {
        if var_digests(&self.var_salt, vars) == self.vars {
            return Ok(());
        }
        let names: Vec<String> = self
            .vars
            .iter()
            .map(|v| format!("--var {}=…", v.split(' ').next().unwrap_or("")))
            .collect();
        let made = if names.is_empty() {
            "no --var arguments".to_string()
        } else {
            names.join(" ")
        };
        Err(stale(format!(
            "this plan was made with {made}, and other values were given now; a saved plan keeps only digests of --var values, so pass the same ones to `aic apply FILE`, or make a new plan."
        )))
    }

    /// Writes the plan to `path`, readable by its owner only (mode 0600).
    pub fn write(&self, path: &Path) -> Result<(), OpError> {
        use std::io::Write;
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let fail = |e: std::io::Error| OpError::diagnostic(cannot_write(path, &e.to_string()));
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| OpError::diagnostic(cannot_write(path, &e.to_string())))?;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)
            .map_err(fail)?;
        // An existing file keeps its mode on open: narrow it before writing.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(fail)?;
        file.write_all(text.as_bytes()).map_err(fail)?;
        file.sync_all().map_err(fail)
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

/// `NAME sha256:HEX` of each `--var NAME=VALUE` argument, salted.
fn var_digests(salt: &str, vars: &[String]) -> Vec<String> {
    use sha2::{Digest, Sha256};
    vars.iter()
        .map(|arg| {
            let name = arg.split('=').next().unwrap_or("").trim();
            let hash = Sha256::new()
                .chain_update(salt.as_bytes())
                .chain_update([0u8])
                .chain_update(arg.as_bytes())
                .finalize();
            let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
            format!("{name} sha256:{hex}")
        })
        .collect()
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
            var_salt: "s".into(),
            vars: Vec::new(),
            var_files: Vec::new(),
            targets: Vec::new(),
            excludes: Vec::new(),
            replace: Vec::new(),
            destroy: false,
            changes: Vec::new(),
            plan,
            text: String::new(),
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

#[cfg(test)]
mod var_tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn var_values_are_kept_as_salted_digests_and_must_be_given_again() {
        let made = args(&["region=eu", "pw=TOPSECRET"]);
        let digests = var_digests("salt1", &made);
        assert_eq!(digests.len(), 2);
        assert!(digests[1].starts_with("pw sha256:"), "{digests:?}");
        assert!(!digests.concat().contains("TOPSECRET"));
        assert_ne!(var_digests("salt2", &made), digests, "salted");
        let mut plan = SavedPlan {
            format: FORMAT.into(),
            environment: "default".into(),
            lineage: "L".into(),
            serial: 1,
            config_digest: "d".into(),
            var_salt: "salt1".into(),
            vars: digests,
            var_files: Vec::new(),
            targets: Vec::new(),
            excludes: Vec::new(),
            replace: Vec::new(),
            destroy: false,
            changes: Vec::new(),
            plan: serde_json::Value::Null,
            text: String::new(),
        };
        assert!(plan.check_vars(&made).is_ok());
        let e = plan
            .check_vars(&args(&["region=eu", "pw=guess"]))
            .expect_err("another value");
        let help: String = e
            .diagnostics()
            .iter()
            .filter_map(|d| d.help.clone())
            .collect();
        assert!(help.contains("--var region=… --var pw=…"), "{help}");
        assert!(plan.check_vars(&args(&["region=eu"])).is_err());
        plan.vars.clear();
        assert!(plan.check_vars(&[]).is_ok());
    }
}
