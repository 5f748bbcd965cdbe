//! Checking a plan against the root module's policies: native ones on every planned
//! resource instance, Rego ones on the JSON plan through `regorus`.
//!
//! A native assertion sees `self`: the planned object with its attributes plus
//! `address`, `type` and `name`. When the assertion depends on values known only after
//! apply, the check is *deferred*: the plan shows it so, and apply checks it on the
//! applied object ([`DeferredChecks`]). A Rego policy's query result is a set (or array)
//! of violations, each a string or an object with `msg` (and optionally `address`).
//! Results are [`PolicyResult`]s on the plan; an `error` violation blocks the apply.

use std::collections::HashMap;
use std::sync::Mutex;

use aic_lang::addr::{InstanceAddr, Mode, ModuleInstance};
use aic_lang::ast::Expr;
use aic_lang::diag::Diagnostic;
use aic_lang::eval::Evaluator;
use aic_lang::value::Value;

use crate::codes;
use crate::eval::{StdFunctions, Values};
use crate::load::policy::{parse_rego, regorus_location, Policy, Rule};
use crate::plan::{Action, Plan, PolicyLevel, PolicyResult};

use super::Workspace;

/// The outcome of one assertion on one object.
enum Outcome {
    Passed,
    Failed(String),
    Deferred,
}

/// `self` of a native policy: the object's attributes plus `address`, `type`, `name`.
fn self_value(addr: &InstanceAddr, object: &Value) -> Value {
    let mut attrs: Vec<(String, Value)> = object
        .as_entries()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    attrs.retain(|(k, _)| !matches!(k.as_str(), "address" | "type" | "name"));
    attrs.push(("address".into(), Value::string(addr.to_string())));
    attrs.push((
        "type".into(),
        Value::string(addr.resource.type_name.clone()),
    ));
    attrs.push(("name".into(), Value::string(addr.resource.name.clone())));
    Value::object(attrs)
}

fn applies_to(resources: &Option<Vec<String>>, addr: &InstanceAddr) -> bool {
    addr.resource.mode == Mode::Managed
        && resources
            .as_ref()
            .is_none_or(|types| types.contains(&addr.resource.type_name))
}

/// Checks `assert` on one object, with the root module's names in scope.
fn check_native(
    ws: &Workspace,
    values: &Values,
    addr: &InstanceAddr,
    object: &Value,
    assert: &Expr,
    message: Option<&Expr>,
) -> Outcome {
    let root = ModuleInstance::root();
    let sensitive_vars = ws.sensitive_vars(&root);
    let mut scope = ws.scope(&root, None, None, values, &sensitive_vars);
    scope.self_value = Some(self_value(addr, object));
    let functions = StdFunctions::new(scope.module_dir.clone());
    let mut ev = Evaluator::new(&scope, &functions);
    let source = ws.sources.snippet(assert.span);
    let verdict = match ev.eval(assert) {
        Ok(v) if !v.is_known() => return Outcome::Deferred,
        Ok(v) => match v.as_bool() {
            Some(true) => return Outcome::Passed,
            Some(false) => None,
            None => Some(format!(
                "`assert` must be a bool, but `{source}` is {}",
                v.type_of()
            )),
        },
        Err(e) => {
            let d = e.to_diagnostic();
            Some(format!(
                "`{source}` could not be evaluated on {addr}: {}",
                d.help.unwrap_or(d.summary)
            ))
        }
    };
    if let Some(problem) = verdict {
        return Outcome::Failed(problem);
    }
    let custom = message.and_then(|m| ev.eval(m).ok()).and_then(|v| {
        // A message never shows a sensitive value.
        (v.is_known() && !v.contains_sensitive())
            .then(|| v.as_str().map(str::to_owned))
            .flatten()
    });
    Outcome::Failed(custom.unwrap_or_else(|| format!("{addr} does not satisfy `{source}`")))
}

/// Checks every policy against a plan: native ones on each planned instance (no-ops
/// included: a policy is about what exists, not only what changes), Rego ones on the
/// JSON plan. `values` are the planned values, for the names the assertions read.
pub fn evaluate(ws: &Workspace, plan: &Plan, values: &Values) -> Vec<PolicyResult> {
    let mut results = Vec::new();
    let mut rego_input: Option<String> = None;
    for p in &ws.policies {
        match &p.rule {
            Rule::Native {
                resources,
                assert,
                message,
            } => {
                for change in &plan.resource_changes {
                    let (Some(after), false) = (&change.after, change.action == Action::Delete)
                    else {
                        continue;
                    };
                    if change.action == Action::Read || !applies_to(resources, &change.addr) {
                        continue;
                    }
                    let outcome =
                        check_native(ws, values, &change.addr, after, assert, message.as_ref());
                    results.push(native_result(p, &change.addr, outcome, ws, assert));
                }
            }
            Rule::Rego {
                path,
                source,
                query,
                ..
            } => {
                let input = rego_input.get_or_insert_with(|| crate::render::render_json(plan));
                results.extend(check_rego(p, path, source, query, input));
            }
        }
    }
    results
}

fn native_result(
    p: &Policy,
    addr: &InstanceAddr,
    outcome: Outcome,
    ws: &Workspace,
    assert: &Expr,
) -> PolicyResult {
    let (passed, deferred, message) = match outcome {
        Outcome::Passed => (true, false, ws.sources.snippet(assert.span).to_owned()),
        Outcome::Failed(m) => (false, false, m),
        Outcome::Deferred => (
            false,
            true,
            "depends on values known only after apply; checked on the applied object".to_owned(),
        ),
    };
    PolicyResult {
        policy: p.name.clone(),
        address: Some(addr.clone()),
        level: p.level,
        passed,
        deferred,
        message,
    }
}

/// Evaluates a Rego policy on the JSON plan `input`: one failed result per violation, or
/// one passed result when there is none.
fn check_rego(p: &Policy, path: &str, source: &str, query: &str, input: &str) -> Vec<PolicyResult> {
    let result = |address: Option<InstanceAddr>, passed: bool, message: String| PolicyResult {
        policy: p.name.clone(),
        address,
        level: p.level,
        passed,
        deferred: false,
        message,
    };
    let violations = parse_rego(path, source).and_then(|mut engine| {
        engine.set_input_json(input).map_err(|e| e.to_string())?;
        let value = engine
            .eval_rule(query.to_owned())
            .map_err(|e| e.to_string())?;
        Ok(rego_violations(&value))
    });
    match violations {
        Ok(v) if v.is_empty() => vec![result(None, true, format!("{query} is empty"))],
        Ok(v) => v
            .into_iter()
            .map(|(address, message)| result(address, false, message))
            .collect(),
        Err(e) => {
            let (_, text) = regorus_location(&e);
            vec![result(
                None,
                false,
                format!("evaluating {query} in {path} failed: {text}"),
            )]
        }
    }
}

/// The violations in a rule's value: each element of a set or array that is a string,
/// or an object with `msg` (and optionally `address`, a resource address). Undefined or
/// false means none; `true` one without a message.
fn rego_violations(value: &regorus::Value) -> Vec<(Option<InstanceAddr>, String)> {
    if *value == regorus::Value::Undefined {
        return Vec::new();
    }
    let json: serde_json::Value = value
        .to_json_str()
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(serde_json::Value::Null);
    let one = |item: &serde_json::Value| -> (Option<InstanceAddr>, String) {
        match item {
            serde_json::Value::String(s) => (None, s.clone()),
            serde_json::Value::Object(o) => (
                o.get("address")
                    .and_then(|a| a.as_str())
                    .and_then(|a| a.parse().ok()),
                o.get("msg")
                    .or_else(|| o.get("message"))
                    .and_then(|m| m.as_str())
                    .map_or_else(|| item.to_string(), str::to_owned),
            ),
            other => (None, other.to_string()),
        }
    };
    match &json {
        serde_json::Value::Array(items) => items.iter().map(one).collect(),
        serde_json::Value::Null | serde_json::Value::Bool(false) => Vec::new(),
        serde_json::Value::Bool(true) => vec![(None, "the policy denies this plan".to_owned())],
        serde_json::Value::Object(o) if o.is_empty() => Vec::new(),
        other => vec![one(other)],
    }
}

/// Diagnostics for the failed native checks of a plan, pointing at the policy's
/// `assert` and naming the instance: `aic plan` and `aic apply` print them on stderr.
pub fn violation_diagnostics(ws: &Workspace, results: &[PolicyResult]) -> Vec<Diagnostic> {
    results
        .iter()
        .filter(|r| !r.passed && !r.deferred)
        .map(|r| {
            let mut d = Diagnostic::new(match r.level {
                PolicyLevel::Error => &codes::E0805,
                PolicyLevel::Warning => &codes::W0805,
            });
            let on = r
                .address
                .as_ref()
                .map_or_else(|| "the plan".to_owned(), |a| format!("`{a}`"));
            let policy = ws.policies.iter().find(|p| p.name == r.policy);
            match policy.map(|p| &p.rule) {
                Some(Rule::Native { assert, .. }) => {
                    d = d.with_primary(
                        assert.span,
                        format!("policy `{}` fails on {on}: {}", r.policy, r.message),
                    );
                }
                Some(Rule::Rego { span, .. }) => {
                    d = d.with_primary(
                        *span,
                        format!("policy `{}` fails on {on}: {}", r.policy, r.message),
                    );
                }
                None => {}
            }
            let help = match r.level {
                PolicyLevel::Error => "Change the configuration so that it complies, or lower the policy to `level = \"warning\"` if it should only report.",
                PolicyLevel::Warning => "This policy is a warning: it does not block the apply.",
            };
            d.with_help(help)
        })
        .collect()
}

/// The native checks a plan deferred to apply, by instance: apply runs them on each
/// applied object before counting it a success.
#[derive(Debug, Default)]
pub struct DeferredChecks {
    by_addr: HashMap<InstanceAddr, Vec<String>>,
    results: Mutex<Vec<PolicyResult>>,
}

impl DeferredChecks {
    /// The deferred checks of `plan`.
    pub fn of(plan: &Plan) -> DeferredChecks {
        let mut by_addr: HashMap<InstanceAddr, Vec<String>> = HashMap::new();
        for r in plan.policy_results.iter().filter(|r| r.deferred) {
            if let Some(a) = &r.address {
                by_addr.entry(a.clone()).or_default().push(r.policy.clone());
            }
        }
        DeferredChecks {
            by_addr,
            results: Mutex::new(Vec::new()),
        }
    }

    /// Whether nothing was deferred.
    pub fn is_empty(&self) -> bool {
        self.by_addr.is_empty()
    }

    /// Runs the checks deferred for `addr` on its applied `object`. An `error` violation
    /// is `Err(message)`: the instance counts as failed (its object exists and is in the
    /// state). A check still unknown on the applied object fails likewise.
    pub fn check(
        &self,
        ws: &Workspace,
        values: &Values,
        addr: &InstanceAddr,
        object: &Value,
    ) -> Result<(), String> {
        let Some(names) = self.by_addr.get(addr) else {
            return Ok(());
        };
        let mut errors = Vec::new();
        for p in ws.policies.iter().filter(|p| names.contains(&p.name)) {
            let Rule::Native {
                assert, message, ..
            } = &p.rule
            else {
                continue;
            };
            let outcome = match check_native(ws, values, addr, object, assert, message.as_ref()) {
                Outcome::Deferred => Outcome::Failed(format!(
                    "`{}` is still unknown on the applied object",
                    ws.sources.snippet(assert.span)
                )),
                o => o,
            };
            let result = native_result(p, addr, outcome, ws, assert);
            if !result.passed && result.level == PolicyLevel::Error {
                errors.push(format!("policy `{}`: {}", p.name, result.message));
            }
            if let Ok(mut all) = self.results.lock() {
                all.push(result);
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }

    /// The results of the checks run so far, in the order they ran.
    pub fn results(&self) -> Vec<PolicyResult> {
        self.results.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_values_become_violations() {
        let mut engine = regorus::Engine::new();
        engine
            .add_policy(
                "t.rego".into(),
                r#"package aic
deny contains "plain text" if { input.n > 1 }
deny contains {"msg": "with an address", "address": "local_file.a"} if { input.n > 1 }
"#
                .into(),
            )
            .unwrap();
        engine.set_input_json(r#"{"n": 2}"#).unwrap();
        let v = engine.eval_rule("data.aic.deny".into()).unwrap();
        let mut got = rego_violations(&v);
        got.sort_by(|a, b| a.1.cmp(&b.1));
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].0, None);
        assert_eq!(got[0].1, "plain text");
        assert_eq!(got[1].0, Some("local_file.a".parse().unwrap()));
        assert_eq!(got[1].1, "with an address");

        engine.set_input_json(r#"{"n": 0}"#).unwrap();
        let v = engine.eval_rule("data.aic.deny".into()).unwrap();
        assert!(rego_violations(&v).is_empty(), "{v:?}");
    }
}
