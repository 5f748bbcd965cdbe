//! `--target` and `--exclude`, with Terraform's rules: a target brings in what it
//! depends on when it is created or updated, and what depends on it when it is
//! destroyed; an excluded instance leaves out what depends on it (and, when destroying,
//! what it depends on). Targets are resources, instances and module instances.

use std::collections::{HashMap, HashSet};

use aic_lang::addr::{InstanceAddr, ModuleInstance};
use aic_lang::diag::Diagnostic;

use crate::graph::Node;
use crate::state::model::ResourceState;

use super::{PlanOptions, Workspace};

/// Whether module instance `m` (a target, whose steps may omit keys to mean every
/// instance) contains `module`.
pub(crate) fn module_contains(m: &ModuleInstance, module: &ModuleInstance) -> bool {
    module.0.len() >= m.0.len()
        && m.0
            .iter()
            .zip(&module.0)
            .all(|(t, a)| t.name == a.name && (t.key.is_none() || t.key == a.key))
}

/// Whether `addr` is named by one of `resources` (a resource names all its instances)
/// or lies in one of `modules`.
pub(crate) fn named(
    addr: &InstanceAddr,
    resources: &[InstanceAddr],
    modules: &[ModuleInstance],
) -> bool {
    resources.iter().any(|t| {
        t.module == addr.module
            && t.resource == addr.resource
            && (t.key.is_none() || t.key == addr.key)
    }) || modules.iter().any(|m| module_contains(m, &addr.module))
}

/// The instances a plan covers when it is limited by targets or exclusions.
#[derive(Debug, Default)]
pub(crate) struct Scope {
    /// `None`: no `--target`, everything is included.
    included: Option<HashSet<InstanceAddr>>,
    excluded: HashSet<InstanceAddr>,
}

impl Scope {
    /// The scope of `opts` over the configuration's instances and the prior objects.
    pub(crate) fn new(
        ws: &Workspace,
        prior: &rustc_hash::FxHashMap<InstanceAddr, ResourceState>,
        opts: &PlanOptions,
    ) -> Scope {
        let targeted = !opts.targets.is_empty() || !opts.target_modules.is_empty();
        let excluding = !opts.excludes.is_empty() || !opts.exclude_modules.is_empty();
        if !targeted && !excluding {
            return Scope::default();
        }
        let deps = Dependencies::new(ws, prior);
        let all: Vec<&InstanceAddr> = ws.graph.instances.keys().chain(prior.keys()).collect();
        let seeds = |resources: &[InstanceAddr], modules: &[ModuleInstance]| {
            all.iter()
                .filter(|a| named(a, resources, modules))
                .map(|a| (*a).clone())
                .collect::<Vec<_>>()
        };
        let included = targeted.then(|| {
            let s = seeds(&opts.targets, &opts.target_modules);
            if opts.destroy {
                deps.closure(s, &deps.dependents)
            } else {
                deps.closure(s, &deps.dependencies)
            }
        });
        let excluded = if excluding {
            let s = seeds(&opts.excludes, &opts.exclude_modules);
            if opts.destroy {
                deps.closure(s, &deps.dependencies)
            } else {
                deps.closure(s, &deps.dependents)
            }
        } else {
            HashSet::new()
        };
        Scope { included, excluded }
    }

    /// Whether the plan covers `addr`.
    pub(crate) fn contains(&self, addr: &InstanceAddr) -> bool {
        self.included.as_ref().is_none_or(|s| s.contains(addr)) && !self.excluded.contains(addr)
    }

    /// Whether the plan is limited at all.
    pub(crate) fn is_limited(&self) -> bool {
        self.included.is_some() || !self.excluded.is_empty()
    }
}

/// Which instances depend on which: from the configuration's graph and from the
/// dependencies the state recorded (objects no longer configured).
struct Dependencies {
    dependencies: HashMap<InstanceAddr, HashSet<InstanceAddr>>,
    dependents: HashMap<InstanceAddr, HashSet<InstanceAddr>>,
}

impl Dependencies {
    fn new(
        ws: &Workspace,
        prior: &rustc_hash::FxHashMap<InstanceAddr, ResourceState>,
    ) -> Dependencies {
        let mut d = Dependencies {
            dependencies: HashMap::new(),
            dependents: HashMap::new(),
        };
        let mut link = |from: InstanceAddr, to: InstanceAddr| {
            d.dependencies
                .entry(from.clone())
                .or_default()
                .insert(to.clone());
            d.dependents.entry(to).or_default().insert(from);
        };
        for addr in ws.graph.instances.keys() {
            let Some(idx) = ws.graph.index.get(&Node::Resource(addr.clone())) else {
                continue;
            };
            for dep in ws.graph.resource_dependencies(*idx) {
                if let Some(Node::Resource(a)) = ws.graph.graph.node_weight(dep) {
                    link(addr.clone(), a.clone());
                }
            }
        }
        for (addr, rs) in prior {
            for dep in &rs.dependencies {
                if let Ok(a) = dep.parse::<InstanceAddr>() {
                    link(addr.clone(), a);
                }
            }
        }
        d
    }

    fn closure(
        &self,
        seeds: Vec<InstanceAddr>,
        edges: &HashMap<InstanceAddr, HashSet<InstanceAddr>>,
    ) -> HashSet<InstanceAddr> {
        let mut out: HashSet<InstanceAddr> = seeds.iter().cloned().collect();
        let mut stack = seeds;
        while let Some(a) = stack.pop() {
            for n in edges.get(&a).into_iter().flatten() {
                if out.insert(n.clone()) {
                    stack.push(n.clone());
                }
            }
        }
        out
    }
}

/// Terraform's warning for a plan limited by `--target` or `--exclude`.
pub(crate) fn targeting_warning() -> Diagnostic {
    Diagnostic::new(&crate::codes::W0630).with_help(
        "You are creating a plan with the --target or --exclude option, which means that the \
         result of this plan may not represent all of the changes requested by the current \
         configuration. These options are not for routine use, and are provided only for \
         exceptional situations such as recovering from errors or mistakes, or when aic \
         specifically suggests to use them as part of an error message.",
    )
}
