//! The values known during a walk (module variables, lets, resource instances, outputs),
//! the evaluation scope built on them ([`WalkScope`]), the instance keys every resource
//! and module call expands to ([`Expansions`]), the scope of constants ([`Constants`])
//! and the value of `rollout.*` ([`rollout_value`]).

use std::collections::HashMap;
use std::path::PathBuf;

use aic_lang::addr::{InstanceAddr, InstanceKey, Mode, ModuleInstance, ResourceAddr};
use aic_lang::check::ExpandedModule;
use aic_lang::codes;
use aic_lang::diag::Code;
use aic_lang::eval::{Scope, ScopeMiss};
use aic_lang::types::Type;
use aic_lang::value::{Value, ValueKind};

/// The instance keys of every resource and module call, per module instance: what
/// `count` and `for_each` expanded to (`None` for a single instance).
#[derive(Debug, Clone, Default)]
pub struct Expansions {
    /// (module instance, resource) → its instance keys.
    pub resources: HashMap<(ModuleInstance, ResourceAddr), Vec<Option<InstanceKey>>>,
    /// (calling module instance, module call name) → its instance keys.
    pub modules: HashMap<(ModuleInstance, String), Vec<Option<InstanceKey>>>,
}

impl Expansions {
    /// The expansion the checker produced.
    pub fn of(modules: &[ExpandedModule]) -> Expansions {
        let mut out = Expansions::default();
        for em in modules {
            for (addr, insts) in &em.resources {
                out.resources.insert(
                    (em.path.clone(), addr.clone()),
                    insts.iter().map(|i| i.key.clone()).collect(),
                );
            }
            for (name, insts) in &em.calls {
                out.modules.insert(
                    (em.path.clone(), name.clone()),
                    insts.iter().map(|i| i.key.clone()).collect(),
                );
            }
        }
        out
    }
}

/// What `rollout.*` is while a rollout phase runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RolloutContext {
    pub rollout: String,
    pub phase: String,
    /// The canary weight (100 outside canary steps).
    pub weight: u32,
    /// The key of the wave target being checked (`"us-east-1"` for
    /// `module.region["us-east-1"]`), or `""`.
    pub target: String,
}

/// The value of `rollout`: `{ name, phase, weight, target }`; outside a rollout, weight
/// 100 and empty strings.
pub fn rollout_value(c: Option<&RolloutContext>) -> Value {
    let (name, phase, weight, target) = match c {
        Some(c) => (
            c.rollout.as_str(),
            c.phase.as_str(),
            c.weight,
            c.target.as_str(),
        ),
        None => ("", "", 100, ""),
    };
    Value::object([
        ("name", Value::string(name)),
        ("phase", Value::string(phase)),
        ("weight", Value::number(f64::from(weight))),
        ("target", Value::string(target)),
    ])
}

/// A scope without names, for settings that must be constants (variable values given
/// on the command line, backend settings): literals and function calls only.
pub struct Constants {
    /// What is being evaluated, for the label: "a variable value".
    pub what: &'static str,
    /// The help sentence.
    pub help: &'static str,
}

impl Constants {
    /// Values of root variables given with `--var`, `--var-file` or `AIC_VAR_*`.
    pub const VARIABLE_VALUE: Constants = Constants {
        what: "a variable value",
        help: "Variable values are constants: write a literal value.",
    };
}

impl Scope for Constants {
    fn resolve(&self, path: &[&str]) -> Result<(Value, usize), ScopeMiss> {
        Err(ScopeMiss {
            segment: 0,
            code: &aic_lang::codes::E0202,
            label: format!(
                "`{}` cannot be used in {}",
                path.first().copied().unwrap_or(""),
                self.what
            ),
            help: Some(self.help.into()),
        })
    }
}

/// Every value computed so far in a walk.
#[derive(Debug, Default, Clone)]
pub struct Values {
    pub vars: HashMap<(ModuleInstance, String), Value>,
    pub lets: HashMap<(ModuleInstance, String), Value>,
    /// Keyed by address with a fast hasher: a reference to `r.c[*]` looks up every
    /// instance of `r.c` (docs/performance.md, "Scale").
    pub resources: rustc_hash::FxHashMap<InstanceAddr, Value>,
    pub outputs: HashMap<(ModuleInstance, String), Value>,
    /// Values computed while applying: functions that are unknown until apply
    /// (`bcrypt`, `timestamp`, …) give their values.
    pub at_apply: bool,
}

/// A scope for evaluating expressions of one module instance.
pub struct WalkScope<'a> {
    pub values: &'a Values,
    pub expansion: &'a Expansions,
    pub module: &'a ModuleInstance,
    pub module_dir: PathBuf,
    /// The root module's directory, for `path.root`.
    pub root_dir: &'a std::path::Path,
    pub env: &'a Value,
    pub each: Option<Value>,
    pub count: Option<Value>,
    pub self_value: Option<Value>,
    /// Variables declared sensitive in this module.
    pub sensitive_vars: &'a [String],
    /// `rollout.*`: the rollout, phase, canary weight and wave target being applied.
    pub rollout: &'a Value,
}

impl WalkScope<'_> {
    fn resource(&self, addr: ResourceAddr) -> Option<Value> {
        let keys = self
            .expansion
            .resources
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

    /// The resource `path` names where `resolve` would consume the whole path with one:
    /// `data.TYPE.NAME`, or `TYPE.NAME` when `TYPE` is neither a root name nor a `let`.
    fn resource_path(&self, path: &[&str]) -> Option<ResourceAddr> {
        match path {
            ["data", t, n] => Some(ResourceAddr {
                mode: Mode::Data,
                type_name: t.to_string(),
                name: n.to_string(),
            }),
            [name, n] => {
                let special = [
                    "var", "env", "each", "count", "self", "path", "rollout", "data", "module",
                ];
                let is_let = self
                    .values
                    .lets
                    .contains_key(&(self.module.clone(), name.to_string()));
                (!special.contains(name) && !is_let).then(|| ResourceAddr::managed(*name, *n))
            }
            _ => None,
        }
    }

    /// The instances of a counted resource one by one, in the order of the tuple
    /// [`WalkScope::resource`] builds, without building it; `false` for a resource that
    /// is not counted (one instance, or `for_each`).
    fn resource_elements(&self, addr: &ResourceAddr, each: &mut dyn FnMut(&Value)) -> bool {
        let Some(keys) = self
            .expansion
            .resources
            .get(&(self.module.clone(), addr.clone()))
        else {
            return false;
        };
        if !matches!(keys.first(), None | Some(Some(InstanceKey::Int(_)))) {
            return false;
        }
        let unknown = Value::unknown(Type::Any);
        let mut ia = InstanceAddr {
            module: self.module.clone(),
            resource: addr.clone(),
            key: None,
        };
        for k in keys {
            ia.key = k.clone();
            each(self.values.resources.get(&ia).unwrap_or(&unknown));
        }
        true
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
            .expansion
            .resources
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
            .expansion
            .modules
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

/// A name this scope does not know, with the code of its kind (as the checker reports
/// it).
fn miss(code: &'static Code, label: String) -> ScopeMiss {
    ScopeMiss {
        segment: 0,
        code,
        label,
        help: None,
    }
}

impl Scope for WalkScope<'_> {
    fn resolve(&self, path: &[&str]) -> Result<(Value, usize), ScopeMiss> {
        let first = path.first().copied().unwrap_or("");
        match first {
            "var" => {
                let name = path
                    .get(1)
                    .ok_or_else(|| miss(&codes::E0202, "`var` needs a name: `var.NAME`".into()))?;
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
            "each" => self.each.clone().map(|v| (v, 1)).ok_or_else(|| {
                miss(
                    &codes::E0215,
                    "`each` is only defined in a block with `for_each`".into(),
                )
            }),
            "count" => self.count.clone().map(|v| (v, 1)).ok_or_else(|| {
                miss(
                    &codes::E0216,
                    "`count.index` is only defined in a block with `count`".into(),
                )
            }),
            "self" => self.self_value.clone().map(|v| (v, 1)).ok_or_else(|| {
                miss(
                    &codes::E0217,
                    "`self` is only defined in `lifecycle`, `policy` and `validate` blocks and in the `condition` of a rollout's `prometheus` check".into(),
                )
            }),
            "path" => Ok((
                aic_lang::eval::path_object(
                    &self.module_dir,
                    self.root_dir,
                    working_dir().unwrap_or(self.root_dir),
                ),
                1,
            )),
            "rollout" => Ok((self.rollout.clone(), 1)),
            "data" => {
                let (Some(t), Some(n)) = (path.get(1), path.get(2)) else {
                    return Err(miss(&codes::E0203, "expected `data.TYPE.NAME`".into()));
                };
                self.resource(ResourceAddr {
                    mode: Mode::Data,
                    type_name: t.to_string(),
                    name: n.to_string(),
                })
                .map(|v| (v, 3))
                .ok_or_else(|| {
                    miss(
                        &codes::E0203,
                        format!("there is no `data.{t}.{n}` in this module"),
                    )
                })
            }
            "module" => {
                let name = path
                    .get(1)
                    .ok_or_else(|| miss(&codes::E0218, "expected `module.NAME`".into()))?;
                self.module_value(name)
                    .map(|v| (v, 2))
                    .ok_or_else(|| miss(&codes::E0218, format!("there is no module `{name}` here")))
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
                Err(miss(&codes::E0202, format!("`{name}` is not defined")))
            }
        }
    }

    fn resolve_element(
        &self,
        path: &[&str],
        key: &mut dyn FnMut() -> Option<Value>,
    ) -> Option<Value> {
        let addr = self.resource_path(path)?;
        self.resource_element(addr, key)
    }

    fn for_each_element(&self, path: &[&str], each: &mut dyn FnMut(&Value)) -> bool {
        self.resource_path(path)
            .is_some_and(|addr| self.resource_elements(&addr, each))
    }
}

/// The directory aic runs in (`path.cwd`), read once per process: the engine is the edge
/// where the language meets the machine.
fn working_dir() -> Option<&'static std::path::Path> {
    static CWD: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    CWD.get_or_init(|| aic_lang::world::World::cwd(&aic_lang::world::System))
        .as_deref()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aic_lang::eval::Evaluator;
    use aic_lang::source::SourceMap;

    use crate::eval::StdFunctions;

    /// The same scope without the element shortcut: resolves, then indexes.
    struct Plain<'a>(&'a WalkScope<'a>);

    impl Scope for Plain<'_> {
        fn resolve(&self, path: &[&str]) -> Result<(Value, usize), ScopeMiss> {
            self.0.resolve(path)
        }
    }

    fn expansion() -> Expansions {
        let mut expansions = HashMap::new();
        let root = ModuleInstance::root();
        expansions.insert(
            (root.clone(), ResourceAddr::managed("null_resource", "c")),
            (0..3).map(|i| Some(InstanceKey::Int(i))).collect(),
        );
        expansions.insert(
            (root.clone(), ResourceAddr::managed("null_resource", "e")),
            ["a", "b"]
                .iter()
                .map(|k| Some(InstanceKey::Str(k.to_string())))
                .collect(),
        );
        expansions.insert(
            (root.clone(), ResourceAddr::managed("null_resource", "s")),
            (0..2).map(|i| Some(InstanceKey::Int(i))).collect(),
        );
        expansions.insert(
            (root.clone(), ResourceAddr::managed("null_resource", "one")),
            vec![None],
        );
        expansions.insert(
            (root, ResourceAddr::managed("null_resource", "none")),
            Vec::new(),
        );
        Expansions {
            resources: expansions,
            modules: HashMap::new(),
        }
    }

    #[test]
    fn element_shortcut_matches_resolve_then_index() {
        let expansion = expansion();
        let root = ModuleInstance::root();
        let mut values = Values::default();
        let inst = |name: &str, key: Option<InstanceKey>| InstanceAddr {
            module: ModuleInstance::root(),
            resource: ResourceAddr::managed("null_resource", name),
            key,
        };
        let obj = |id: &str| Value::object([("id", Value::string(id))]);
        values
            .resources
            .insert(inst("c", Some(InstanceKey::Int(0))), obj("c0"));
        // `c[1]` has no value yet: it reads as unknown.
        values
            .resources
            .insert(inst("c", Some(InstanceKey::Int(2))), obj("c2"));
        values.resources.insert(
            inst("e", Some(InstanceKey::Str("a".into()))),
            obj("ea").mark_sensitive(),
        );
        values.resources.insert(inst("one", None), obj("o"));
        values.resources.insert(
            inst("s", Some(InstanceKey::Int(0))),
            obj("s0").mark_sensitive(),
        );
        values.resources.insert(
            inst("s", Some(InstanceKey::Int(1))),
            Value::object([("id", Value::string("s1").mark_sensitive())]),
        );
        values.lets.insert((root.clone(), "l".into()), obj("let"));
        values
            .vars
            .insert((root.clone(), "s".into()), Value::number(0.0));
        let sensitive = vec!["s".to_string()];
        let scope = WalkScope {
            values: &values,
            expansion: &expansion,
            module: &root,
            module_dir: PathBuf::from("."),
            root_dir: std::path::Path::new("."),
            env: &Value::null(),
            each: None,
            count: Some(Value::object([("index", Value::number(1.0))])),
            self_value: None,
            sensitive_vars: &sensitive,
            rollout: &Value::null(),
        };
        let functions = StdFunctions::new(".");
        let mut sources = SourceMap::new();
        let cases = [
            "null_resource.c[0]",
            "null_resource.c[0].id",
            "null_resource.c[1]",
            "null_resource.c[2].id",
            "null_resource.c[count.index]",
            "null_resource.c[count.index + 1].id",
            "null_resource.c[3]",
            "null_resource.c[-1]",
            "null_resource.c[0.5]",
            "null_resource.c[\"0\"]",
            "null_resource.c[nope]",
            "null_resource.c[var.s]",
            "null_resource.c[var.s].id",
            "null_resource.c[tonumber(\"2\")].id",
            "null_resource.e[\"a\"].id",
            "null_resource.e[\"b\"]",
            "null_resource.e[\"z\"]",
            "null_resource.e[\"\"]",
            "null_resource.e[0]",
            "null_resource.one[\"id\"]",
            "null_resource.none[0]",
            "null_resource.missing[0]",
            "l[\"id\"]",
            "var.x[0]",
            // `[*].attr` reads each instance's attribute without the tuple.
            "null_resource.c[*].id",
            "null_resource.c[*].id[0]",
            "null_resource.c[*].nope",
            "null_resource.c[*]",
            "null_resource.c[*].id[*]",
            "length(null_resource.c[*].id)",
            "null_resource.s[*].id",
            "null_resource.e[*].id",
            "null_resource.one[*].id",
            "null_resource.none[*].id",
            "null_resource.missing[*].id",
            "l[*].id",
        ];
        for text in cases {
            let id = sources.add(format!("{text}.aic"), text.to_string());
            let e = aic_lang::syntax::parse_expr(id, text).expect(text);
            let fast = Evaluator::new(&scope, &functions).eval(&e);
            let plain = Evaluator::new(&Plain(&scope), &functions).eval(&e);
            assert_eq!(fast, plain, "{text}");
        }
        // The shortcuts are taken where they apply, and only there.
        let visits = |path: &[&str]| {
            let mut seen = Vec::new();
            let taken = scope.for_each_element(path, &mut |v| seen.push(v.clone()));
            taken.then_some(seen.len())
        };
        assert_eq!(visits(&["null_resource", "c"]), Some(3));
        assert_eq!(visits(&["null_resource", "none"]), Some(0));
        assert_eq!(visits(&["null_resource", "e"]), None);
        assert_eq!(visits(&["null_resource", "one"]), None);
        assert_eq!(visits(&["l", "id"]), None);
        let key = |k: Value| move || Some(k.clone());
        let path = ["null_resource", "c"];
        assert!(scope
            .resolve_element(&path, &mut key(Value::number(2.0)))
            .is_some());
        assert!(scope
            .resolve_element(&path, &mut key(Value::number(3.0)))
            .is_none());
        assert!(scope
            .resolve_element(&["null_resource", "e"], &mut key(Value::string("a")))
            .is_some());
        assert!(scope
            .resolve_element(&["l", "x"], &mut key(Value::number(0.0)))
            .is_none());
    }
}
