//! The values known during a walk (module variables, lets, resource instances, outputs)
//! and the evaluation scope built on them.

use std::collections::HashMap;
use std::path::PathBuf;

use aic_lang::addr::{InstanceAddr, InstanceKey, Mode, ModuleInstance, ResourceAddr};
use aic_lang::eval::{Scope, ScopeMiss};
use aic_lang::types::Type;
use aic_lang::value::{Value, ValueKind};

use crate::graph::ConfigGraph;

/// Every value computed so far in a walk.
#[derive(Debug, Default, Clone)]
pub struct Values {
    pub vars: HashMap<(ModuleInstance, String), Value>,
    pub lets: HashMap<(ModuleInstance, String), Value>,
    pub resources: HashMap<InstanceAddr, Value>,
    pub outputs: HashMap<(ModuleInstance, String), Value>,
}

/// A scope for evaluating expressions of one module instance.
pub struct WalkScope<'a> {
    pub values: &'a Values,
    pub graph: &'a ConfigGraph,
    pub module: &'a ModuleInstance,
    pub module_dir: PathBuf,
    pub env: &'a Value,
    pub each: Option<Value>,
    pub count: Option<Value>,
    pub self_value: Option<Value>,
    /// Variables declared sensitive in this module.
    pub sensitive_vars: &'a [String],
}

impl WalkScope<'_> {
    fn resource(&self, addr: ResourceAddr) -> Option<Value> {
        let keys = self
            .graph
            .expansions
            .get(&(self.module.clone(), addr.clone()))?;
        let value_of = |k: &Option<InstanceKey>| {
            let ia = InstanceAddr {
                module: self.module.clone(),
                resource: addr.clone(),
                key: k.clone(),
            };
            self.values
                .resources
                .get(&ia)
                .cloned()
                .unwrap_or_else(|| Value::unknown(Type::Any))
        };
        Some(match keys.first() {
            None => Value::tuple(Vec::new()),
            Some(None) => value_of(&None),
            Some(Some(InstanceKey::Int(_))) => Value::tuple(keys.iter().map(value_of)),
            Some(Some(InstanceKey::Str(_))) => Value::object(keys.iter().map(|k| {
                let name = match k {
                    Some(InstanceKey::Str(s)) => s.clone(),
                    _ => String::new(),
                };
                (name, value_of(k))
            })),
        })
    }

    /// `addr[key]` as indexing the value of [`WalkScope::resource`] would give it, without
    /// building that tuple or object (and cloning every instance) for each reference.
    fn resource_element(
        &self,
        addr: ResourceAddr,
        key: &mut dyn FnMut() -> Option<Value>,
    ) -> Option<Value> {
        let ia = InstanceAddr {
            module: self.module.clone(),
            resource: addr,
            key: None,
        };
        let keys = self
            .graph
            .expansions
            .get(&(ia.module.clone(), ia.resource.clone()))?;
        let first = keys.first()?.as_ref()?;
        let k = key()?;
        if k.is_sensitive() {
            return None;
        }
        let chosen = match (first, k.kind()) {
            (InstanceKey::Int(_), ValueKind::Number(n)) => {
                if *n < 0.0 || n.fract() != 0.0 || *n as usize >= keys.len() {
                    return None;
                }
                keys.get(*n as usize)?
            }
            // The object keeps the last instance of a repeated name.
            (InstanceKey::Str(_), ValueKind::String(s)) if !s.is_empty() => keys
                .iter()
                .rev()
                .find(|k| matches!(k, Some(InstanceKey::Str(x)) if x == s))?,
            _ => return None,
        };
        let ia = InstanceAddr {
            key: chosen.clone(),
            ..ia
        };
        Some(
            self.values
                .resources
                .get(&ia)
                .cloned()
                .unwrap_or_else(|| Value::unknown(Type::Any)),
        )
    }

    fn module_value(&self, name: &str) -> Option<Value> {
        let keys = self
            .graph
            .module_instances
            .get(&(self.module.clone(), name.to_string()))?;
        let outputs_of = |k: &Option<InstanceKey>| {
            let child = self.module.child(name, k.clone());
            let mut outs: Vec<(String, Value)> = self
                .values
                .outputs
                .iter()
                .filter(|((m, _), _)| *m == child)
                .map(|((_, n), v)| (n.clone(), v.clone()))
                .collect();
            outs.sort_by(|a, b| a.0.cmp(&b.0));
            Value::object(outs)
        };
        Some(match keys.first() {
            None => Value::tuple(Vec::new()),
            Some(None) => outputs_of(&None),
            Some(Some(InstanceKey::Int(_))) => Value::tuple(keys.iter().map(outputs_of)),
            Some(Some(InstanceKey::Str(_))) => Value::object(keys.iter().map(|k| {
                let n = match k {
                    Some(InstanceKey::Str(s)) => s.clone(),
                    _ => String::new(),
                };
                (n, outputs_of(k))
            })),
        })
    }
}

fn miss(name: &str) -> ScopeMiss {
    ScopeMiss {
        segment: 0,
        code: "E0202",
        summary: "Unknown name",
        label: format!("`{name}` is not defined"),
        help: None,
    }
}

impl Scope for WalkScope<'_> {
    fn resolve(&self, path: &[&str]) -> Result<(Value, usize), ScopeMiss> {
        let first = path.first().copied().unwrap_or("");
        match first {
            "var" => {
                let name = path.get(1).ok_or_else(|| miss("var"))?;
                let v = self
                    .values
                    .vars
                    .get(&(self.module.clone(), name.to_string()))
                    .cloned()
                    .unwrap_or_else(|| Value::unknown(Type::Any));
                let v = if self.sensitive_vars.iter().any(|s| s == name) {
                    v.mark_sensitive()
                } else {
                    v
                };
                Ok((v, 2))
            }
            "env" => Ok((self.env.clone(), 1)),
            "each" => self
                .each
                .clone()
                .map(|v| (v, 1))
                .ok_or_else(|| miss("each")),
            "count" => self
                .count
                .clone()
                .map(|v| (v, 1))
                .ok_or_else(|| miss("count")),
            "self" => self
                .self_value
                .clone()
                .map(|v| (v, 1))
                .ok_or_else(|| miss("self")),
            "path" => {
                let dir = self.module_dir.display().to_string();
                Ok((
                    Value::object([
                        ("module", Value::string(dir.clone())),
                        ("root", Value::string(dir.clone())),
                        ("cwd", Value::string(dir)),
                    ]),
                    1,
                ))
            }
            "rollout" => Ok((
                Value::object([
                    ("weight", Value::number(100.0)),
                    ("phase", Value::string("")),
                ]),
                1,
            )),
            "data" => {
                let (Some(t), Some(n)) = (path.get(1), path.get(2)) else {
                    return Err(miss("data"));
                };
                self.resource(ResourceAddr {
                    mode: Mode::Data,
                    type_name: t.to_string(),
                    name: n.to_string(),
                })
                .map(|v| (v, 3))
                .ok_or_else(|| miss(&format!("data.{t}.{n}")))
            }
            "module" => {
                let name = path.get(1).ok_or_else(|| miss("module"))?;
                self.module_value(name)
                    .map(|v| (v, 2))
                    .ok_or_else(|| miss(&format!("module.{name}")))
            }
            name => {
                if let Some(v) = self
                    .values
                    .lets
                    .get(&(self.module.clone(), name.to_string()))
                {
                    return Ok((v.clone(), 1));
                }
                if let Some(n) = path.get(1) {
                    if let Some(v) = self.resource(ResourceAddr::managed(name, *n)) {
                        return Ok((v, 2));
                    }
                }
                Err(miss(name))
            }
        }
    }

    fn resolve_element(
        &self,
        path: &[&str],
        key: &mut dyn FnMut() -> Option<Value>,
    ) -> Option<Value> {
        // Only where `resolve` would consume the whole path with a resource.
        match path {
            ["data", t, n] => self.resource_element(
                ResourceAddr {
                    mode: Mode::Data,
                    type_name: t.to_string(),
                    name: n.to_string(),
                },
                key,
            ),
            [name, n] => {
                let special = [
                    "var", "env", "each", "count", "self", "path", "rollout", "data", "module",
                ];
                if special.contains(name)
                    || self
                        .values
                        .lets
                        .contains_key(&(self.module.clone(), name.to_string()))
                {
                    return None;
                }
                self.resource_element(ResourceAddr::managed(*name, *n), key)
            }
            _ => None,
        }
    }
}
