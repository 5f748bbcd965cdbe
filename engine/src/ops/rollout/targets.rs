//! The targets of a rollout phase: its `targets` expression resolved to module
//! instances and resources of the environment's workspace ([`resolve_targets`]), and the
//! instances a plan of some targets must cover ([`plan_scope`]).

use std::collections::{BTreeSet, HashSet};

use aic_lang::addr::{InstanceAddr, InstanceKey, ModuleInstance, ResourceAddr};
use aic_lang::diag::Diagnostic;
use aic_lang::eval::{Evaluator, Scope, ScopeMiss};
use aic_lang::value::{Value, ValueKind};

use crate::codes;
use crate::eval::StdFunctions;
use crate::graph::Node;
use crate::load::Phase;
use crate::planner::Workspace;
use crate::state::State;

/// One target of a phase: a module instance or a resource (all its instances).
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// As written by users: `module.region["us-east-1"]`, `local_file.a`.
    pub address: String,
    /// The value of `rollout.target` while it is checked: its key, else its address.
    pub key: String,
    pub module: Option<ModuleInstance>,
    pub resource: Option<InstanceAddr>,
}

impl Target {
    /// Whether `addr` belongs to this target.
    pub fn contains(&self, addr: &InstanceAddr) -> bool {
        if let Some(m) = &self.module {
            return addr.module.0.len() >= m.0.len() && addr.module.0.starts_with(&m.0);
        }
        if let Some(r) = &self.resource {
            return r.module == addr.module
                && r.resource == addr.resource
                && (r.key.is_none() || r.key == addr.key);
        }
        false
    }
}

fn key_text(k: &Option<InstanceKey>, fallback: &str) -> String {
    match k {
        Some(InstanceKey::Str(s)) => s.clone(),
        Some(InstanceKey::Int(i)) => i.to_string(),
        None => fallback.to_string(),
    }
}

/// Evaluates `targets` with module calls and resources standing for their addresses.
struct TargetScope<'a> {
    ws: &'a Workspace,
}

const TARGET_MARK: &str = "\u{1}target:";

impl TargetScope<'_> {
    fn expansion(
        keys: &[Option<InstanceKey>],
        address: impl Fn(&Option<InstanceKey>) -> String,
    ) -> Value {
        let mark = |k: &Option<InstanceKey>| Value::string(format!("{TARGET_MARK}{}", address(k)));
        match keys.first() {
            None => Value::tuple(Vec::new()),
            Some(None) => mark(&None),
            Some(Some(InstanceKey::Int(_))) => Value::tuple(keys.iter().map(mark)),
            Some(Some(InstanceKey::Str(_))) => {
                Value::object(keys.iter().map(|k| (key_text(k, ""), mark(k))))
            }
        }
    }
}

impl Scope for TargetScope<'_> {
    fn resolve(&self, path: &[&str]) -> Result<(Value, usize), ScopeMiss> {
        let root = ModuleInstance::root();
        let miss = |name: &str| {
            ScopeMiss {
            segment: 0,
            code: &codes::E0906,
            label: format!("`{name}` is not known in `targets`"),
            help: Some("Targets name module instances, resources and data sources of the root module; they may use `env`, `var` and `let` values.".into()),
        }
        };
        let first = path.first().copied().unwrap_or("");
        match first {
            "env" => Ok((self.ws.env.clone(), 1)),
            "var" => {
                let name = path.get(1).ok_or_else(|| miss("var"))?;
                self.ws
                    .const_values
                    .vars
                    .get(&(root, name.to_string()))
                    .map(|v| (v.clone(), 2))
                    .ok_or_else(|| miss(&format!("var.{name}")))
            }
            "module" => {
                let name = path.get(1).ok_or_else(|| miss("module"))?;
                let keys = self
                    .ws
                    .graph
                    .expansion
                    .modules
                    .get(&(root.clone(), name.to_string()))
                    .ok_or_else(|| miss(&format!("module.{name}")))?;
                Ok((
                    Self::expansion(keys, |k| root.child(*name, k.clone()).to_string()),
                    2,
                ))
            }
            name => {
                if let Some(v) = self
                    .ws
                    .const_values
                    .lets
                    .get(&(root.clone(), name.to_string()))
                {
                    return Ok((v.clone(), 1));
                }
                // `data.TYPE.NAME`: a data source, read in the phase after what it
                // depends on (as `terraform apply -target=data.TYPE.NAME`).
                let (ra, consumed) = if name == "data" {
                    let t = path.get(1).ok_or_else(|| miss("data"))?;
                    let n = path.get(2).ok_or_else(|| miss(&format!("data.{t}")))?;
                    (ResourceAddr::data(*t, *n), 3)
                } else {
                    let n = path.get(1).ok_or_else(|| miss(name))?;
                    (ResourceAddr::managed(name, *n), 2)
                };
                let shown = ra.to_string();
                let keys = self
                    .ws
                    .graph
                    .expansion
                    .resources
                    .get(&(root.clone(), ra.clone()))
                    .ok_or_else(|| miss(&shown))?;
                Ok((
                    Self::expansion(keys, |k| {
                        InstanceAddr {
                            module: root.clone(),
                            resource: ra.clone(),
                            key: k.clone(),
                        }
                        .to_string()
                    }),
                    consumed,
                ))
            }
        }
    }
}

fn collect_marks(v: &Value, out: &mut Vec<String>) -> bool {
    match v.kind() {
        ValueKind::String(s) => match s.strip_prefix(TARGET_MARK) {
            Some(a) => {
                out.push(a.to_string());
                true
            }
            None => false,
        },
        ValueKind::List(xs) | ValueKind::Set(xs) | ValueKind::Tuple(xs) => {
            xs.iter().all(|x| collect_marks(x, out))
        }
        ValueKind::Map(m) | ValueKind::Object(m) => m.values().all(|x| collect_marks(x, out)),
        _ => false,
    }
}

/// The targets of `phase` in `ws` (its environment's workspace), in the order listed;
/// empty when the phase targets everything.
pub fn resolve_targets(ws: &Workspace, phase: &Phase) -> Result<Vec<Target>, Diagnostic> {
    let Some(expr) = &phase.targets else {
        return Ok(Vec::new());
    };
    let scope = TargetScope { ws };
    let functions = StdFunctions::new(ws.dir.clone());
    let mut ev = Evaluator::new(&scope, &functions);
    let v = ev.eval(expr).map_err(|e| e.to_diagnostic())?;
    let mut addrs = Vec::new();
    if !collect_marks(&v, &mut addrs) {
        return Err(Diagnostic::new(&codes::E0906)
            .with_primary(expr.span, "this list holds something other than module instances or resources")
            .with_help("Write module instances or resources: `[module.region[\"us-east-1\"]]`, `[for r in env.regions : module.region[r]]`, `[local_file.motd]`."));
    }
    let mut out: Vec<Target> = Vec::new();
    for a in addrs {
        if out.iter().any(|t| t.address == a) {
            continue;
        }
        // A module instance of the root module, else a resource (instance).
        let module = ws
            .graph
            .expansion
            .modules
            .iter()
            .filter(|((parent, _), _)| parent.is_root())
            .flat_map(|((_, name), keys)| {
                keys.iter()
                    .map(move |k| ModuleInstance::root().child(name.clone(), k.clone()))
            })
            .find(|m| m.to_string() == a);
        let target = match (module, a.parse::<InstanceAddr>()) {
            (Some(m), _) => Target {
                key: m.0.last().map(|s| key_text(&s.key, &a)).unwrap_or_default(),
                address: a.clone(),
                module: Some(m),
                resource: None,
            },
            (None, Ok(ia)) => Target {
                key: key_text(&ia.key, &a),
                address: a.clone(),
                module: None,
                resource: Some(ia),
            },
            (None, Err(_)) => {
                return Err(Diagnostic::new(&codes::E0906).with_primary(
                    expr.span,
                    format!("`{a}` is not in environment `{}`", ws.environment),
                ))
            }
        };
        out.push(target);
    }
    Ok(out)
}

/// The instance addresses to plan for `targets`: theirs, what they depend on (through
/// any chain of values), and objects of theirs the state holds but the configuration
/// no longer has (so they are destroyed).
pub fn plan_scope(ws: &Workspace, state: &State, targets: &[&Target]) -> Vec<InstanceAddr> {
    let mut set: BTreeSet<InstanceAddr> = ws
        .graph
        .instances
        .keys()
        .filter(|a| targets.iter().any(|t| t.contains(a)))
        .cloned()
        .collect();
    let mut stack: Vec<InstanceAddr> = set.iter().cloned().collect();
    let mut seen: HashSet<InstanceAddr> = set.iter().cloned().collect();
    while let Some(a) = stack.pop() {
        let Some(idx) = ws.graph.index.get(&Node::Resource(a)) else {
            continue;
        };
        for d in ws.graph.resource_dependencies(*idx) {
            if let Some(Node::Resource(dep)) = ws.graph.graph.node_weight(d) {
                if seen.insert(dep.clone()) {
                    set.insert(dep.clone());
                    stack.push(dep.clone());
                }
            }
        }
    }
    for rs in &state.resources {
        if let Ok(a) = rs.address.parse::<InstanceAddr>() {
            if !ws.graph.instances.contains_key(&a) && targets.iter().any(|t| t.contains(&a)) {
                set.insert(a);
            }
        }
    }
    set.into_iter().collect()
}
