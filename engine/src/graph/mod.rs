//! The dependency graph, instance by instance.
//!
//! Nodes are resource instances and the named values between them (module variables,
//! lets, outputs), one per module instance; an edge `a → b` means `b` reads `a`. A
//! resource instance such as `aws_instance.web[3]` depends only on what its own
//! expressions reference: a literal or `count.index`/`each.key` index selects one
//! instance, any other index all of them.

use std::collections::HashMap;
use std::fmt;

pub mod picture;

use aic_lang::addr::{InstanceAddr, InstanceKey, ModuleInstance, ResourceAddr};
use aic_lang::ast::{Expr, ExprKind, TemplatePart};
use aic_lang::check::{module_at, ExpandedInstance, ExpandedModule};
use aic_lang::config::ModuleTree;
use aic_lang::diag::Diagnostic;
use aic_lang::value::Value;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;

use crate::eval::Expansions;
use crate::plan::Action;
use picture::{Picture, PictureNode};

/// A node of the graph.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    Var(ModuleInstance, String),
    Let(ModuleInstance, String),
    Resource(InstanceAddr),
    Output(ModuleInstance, String),
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = |m: &ModuleInstance| {
            if m.is_root() {
                String::new()
            } else {
                format!("{m}.")
            }
        };
        match self {
            Node::Var(m, n) => write!(f, "{}var.{n}", prefix(m)),
            Node::Let(m, n) => write!(f, "{}let.{n}", prefix(m)),
            Node::Resource(a) => write!(f, "{a}"),
            Node::Output(m, n) => write!(f, "{}output.{n}", prefix(m)),
        }
    }
}

/// Where a resource instance lives and how it is evaluated.
#[derive(Debug, Clone)]
pub struct InstanceInfo {
    pub addr: InstanceAddr,
    pub each: Option<Value>,
    pub count: Option<Value>,
}

/// The graph plus lookups from addresses to nodes.
pub struct ConfigGraph {
    pub graph: DiGraph<Node, ()>,
    /// Both keyed with a fast hasher: the graph of 100,000 instances looks them up for
    /// every reference (docs/performance.md, "Scale").
    pub index: rustc_hash::FxHashMap<Node, NodeIndex>,
    /// Every resource instance of the configuration.
    pub instances: rustc_hash::FxHashMap<InstanceAddr, InstanceInfo>,
    /// The instance keys of every resource and module call.
    pub expansion: Expansions,
}

impl ConfigGraph {
    fn node(&mut self, n: Node) -> NodeIndex {
        if let Some(i) = self.index.get(&n) {
            return *i;
        }
        let i = self.graph.add_node(n.clone());
        self.index.insert(n, i);
        i
    }

    /// Builds the graph from the expansion the checker produced (`expansion` indexes
    /// `modules`).
    pub fn build(
        root: &ModuleTree,
        modules: &[ExpandedModule],
        expansion: Expansions,
    ) -> ConfigGraph {
        let mut g = ConfigGraph {
            graph: DiGraph::new(),
            index: Default::default(),
            instances: Default::default(),
            expansion,
        };
        for em in modules {
            for (addr, insts) in &em.resources {
                for i in insts {
                    let ia = InstanceAddr {
                        module: em.path.clone(),
                        resource: addr.clone(),
                        key: i.key.clone(),
                    };
                    g.instances.insert(
                        ia.clone(),
                        InstanceInfo {
                            addr: ia.clone(),
                            each: i.each.clone(),
                            count: i.count.clone(),
                        },
                    );
                    g.node(Node::Resource(ia));
                }
            }
        }
        for em in modules {
            let Some(tree) = module_at(root, &em.path) else {
                continue;
            };
            let m = &tree.module;
            for name in m.variables.keys() {
                g.node(Node::Var(em.path.clone(), name.clone()));
            }
            for (name, l) in &m.lets {
                let to = g.node(Node::Let(em.path.clone(), name.clone()));
                let deps = g.refs(&em.path, tree, &l.value, None);
                g.link(deps, to);
            }
            for (name, o) in &m.outputs {
                let to = g.node(Node::Output(em.path.clone(), name.clone()));
                let deps = g.refs(&em.path, tree, &o.value, None);
                g.link(deps, to);
            }
            for (addr, insts) in &em.resources {
                let Some(r) = m.resources.get(addr) else {
                    continue;
                };
                // The instances of one resource usually read the same nodes (`r.c[*]` read
                // by every instance of a counted resource): those found for the previous
                // instance are linked again without looking each one up.
                let mut previous: Option<(Vec<Node>, Vec<NodeIndex>)> = None;
                for i in insts {
                    let ia = InstanceAddr {
                        module: em.path.clone(),
                        resource: addr.clone(),
                        key: i.key.clone(),
                    };
                    let to = g.node(Node::Resource(ia));
                    let mut deps = Vec::new();
                    for a in r.block.body.attributes() {
                        if a.name.name == "provider" {
                            continue;
                        }
                        deps.extend(g.refs(&em.path, tree, &a.value, Some(i)));
                    }
                    for b in r.block.body.blocks() {
                        collect_block(&mut deps, &g, &em.path, tree, b, i);
                    }
                    let from = match previous.take() {
                        Some((nodes, from)) if nodes == deps => from,
                        _ => deps.iter().map(|d| g.node(d.clone())).collect(),
                    };
                    g.link_indices(&from, to);
                    previous = Some((deps, from));
                }
            }
            // Module variables of each child instance read the call's arguments here.
            for (name, call) in &m.module_calls {
                let Some(child) = tree.children.get(name) else {
                    continue;
                };
                let keys = g
                    .expansion
                    .modules
                    .get(&(em.path.clone(), name.clone()))
                    .cloned()
                    .unwrap_or_default();
                let insts = em.calls.get(name).cloned().unwrap_or_default();
                for (k, inst) in keys.iter().zip(insts.iter()) {
                    let child_path = em.path.child(name.clone(), k.clone());
                    let mut call_deps = Vec::new();
                    if let Some(d) = &call.depends_on {
                        call_deps = g.refs(&em.path, tree, d, Some(inst));
                    }
                    for a in call.arguments() {
                        let to = g.node(Node::Var(child_path.clone(), a.name.name.clone()));
                        let mut deps = g.refs(&em.path, tree, &a.value, Some(inst));
                        deps.extend(call_deps.iter().cloned());
                        g.link(deps, to);
                    }
                    let _ = child;
                }
            }
        }
        g
    }

    fn link(&mut self, deps: Vec<Node>, to: NodeIndex) {
        for d in deps {
            let from = self.node(d);
            self.edge(from, to);
        }
    }

    /// [`ConfigGraph::link`] for nodes already in the graph.
    fn link_indices(&mut self, from: &[NodeIndex], to: NodeIndex) {
        for f in from {
            self.edge(*f, to);
        }
    }

    fn edge(&mut self, from: NodeIndex, to: NodeIndex) {
        if from != to && self.graph.find_edge(from, to).is_none() {
            self.graph.add_edge(from, to, ());
        }
    }

    /// The nodes an expression evaluated in module instance `mi` reads.
    fn refs(
        &self,
        mi: &ModuleInstance,
        tree: &ModuleTree,
        e: &Expr,
        inst: Option<&ExpandedInstance>,
    ) -> Vec<Node> {
        let mut out = Vec::new();
        let mut bound = Vec::new();
        self.walk(mi, tree, e, inst, &mut bound, &mut out);
        out
    }

    fn walk(
        &self,
        mi: &ModuleInstance,
        tree: &ModuleTree,
        e: &Expr,
        inst: Option<&ExpandedInstance>,
        bound: &mut Vec<String>,
        out: &mut Vec<Node>,
    ) {
        let m = &tree.module;
        // A traversal: find its root name and the static steps after it.
        let mut chain = Vec::new();
        let mut cur = e;
        loop {
            chain.push(cur);
            match &cur.kind {
                ExprKind::GetAttr(b, _) | ExprKind::Index(b, _) | ExprKind::Splat(b) => cur = b,
                _ => break,
            }
        }
        chain.reverse();
        if let Some(ExprKind::Name(root)) = chain.first().map(|c| &c.kind) {
            if chain.len() > 1 || matches!(e.kind, ExprKind::Name(_)) {
                let step_name = |i: usize| match chain.get(i).map(|c| &c.kind) {
                    Some(ExprKind::GetAttr(_, n)) => Some(n.name.clone()),
                    _ => None,
                };
                let step_key = |i: usize| -> Option<Option<InstanceKey>> {
                    match chain.get(i).map(|c| &c.kind) {
                        Some(ExprKind::Index(_, idx)) => Some(static_key(idx, inst)),
                        _ => None,
                    }
                };
                let name = root.name.as_str();
                if !bound.iter().any(|b| b == name) {
                    match name {
                        "var" => {
                            if let Some(v) = step_name(1) {
                                out.push(Node::Var(mi.clone(), v));
                            }
                        }
                        "module" => {
                            if let Some(call) = step_name(1) {
                                let keys = self
                                    .expansion
                                    .modules
                                    .get(&(mi.clone(), call.clone()))
                                    .cloned()
                                    .unwrap_or_default();
                                let (sel, out_at) = match step_key(2) {
                                    Some(Some(k)) => (vec![Some(k)], 3),
                                    Some(None) => (keys.clone(), 3),
                                    None => (keys.clone(), 2),
                                };
                                let child = tree.children.get(&call);
                                let outputs: Vec<String> = match step_name(out_at) {
                                    Some(o) => vec![o],
                                    None => child
                                        .map(|c| c.module.outputs.keys().cloned().collect())
                                        .unwrap_or_default(),
                                };
                                for k in sel {
                                    let p = mi.child(call.clone(), k);
                                    for o in &outputs {
                                        out.push(Node::Output(p.clone(), o.clone()));
                                    }
                                }
                            }
                        }
                        "data" => {
                            if let (Some(t), Some(n)) = (step_name(1), step_name(2)) {
                                self.resource_refs(mi, ResourceAddr::data(t, n), step_key(3), out);
                            }
                        }
                        _ if m.lets.contains_key(name) => {
                            out.push(Node::Let(mi.clone(), name.to_string()))
                        }
                        _ => {
                            if let Some(n) = step_name(1) {
                                self.resource_refs(
                                    mi,
                                    ResourceAddr::managed(name, n),
                                    step_key(2),
                                    out,
                                );
                            }
                        }
                    }
                }
                // Index expressions may reference things too.
                for c in chain.iter().skip(1) {
                    if let ExprKind::Index(_, idx) = &c.kind {
                        self.walk(mi, tree, idx, inst, bound, out);
                    }
                }
                return;
            }
        }
        match &e.kind {
            ExprKind::Null | ExprKind::Bool(_) | ExprKind::Number(..) | ExprKind::Name(_) => {}
            ExprKind::Template(t) => {
                for p in &t.parts {
                    if let TemplatePart::Interpolation(x) = p {
                        self.walk(mi, tree, x, inst, bound, out);
                    }
                }
            }
            ExprKind::List(xs) => xs
                .iter()
                .for_each(|x| self.walk(mi, tree, x, inst, bound, out)),
            ExprKind::Object(items) => {
                for it in items {
                    if let aic_lang::ast::ObjectKey::Expr(k) = &it.key {
                        self.walk(mi, tree, k, inst, bound, out);
                    }
                    self.walk(mi, tree, &it.value, inst, bound, out);
                }
            }
            ExprKind::GetAttr(b, _)
            | ExprKind::Splat(b)
            | ExprKind::Paren(b)
            | ExprKind::Unary(_, b) => self.walk(mi, tree, b, inst, bound, out),
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
                self.walk(mi, tree, a, inst, bound, out);
                self.walk(mi, tree, b, inst, bound, out);
            }
            ExprKind::Conditional(a, b, c) => {
                for x in [a, b, c] {
                    self.walk(mi, tree, x, inst, bound, out);
                }
            }
            ExprKind::Call(c) => c
                .args
                .iter()
                .for_each(|x| self.walk(mi, tree, x, inst, bound, out)),
            ExprKind::ForList(f) | ExprKind::ForObject(f) => {
                self.walk(mi, tree, &f.collection, inst, bound, out);
                let depth = bound.len();
                if let Some(k) = &f.key {
                    bound.push(k.name.clone());
                }
                bound.push(f.value.name.clone());
                for x in [Some(&f.first), f.second.as_ref(), f.condition.as_ref()]
                    .into_iter()
                    .flatten()
                {
                    self.walk(mi, tree, x, inst, bound, out);
                }
                bound.truncate(depth);
            }
        }
    }

    fn resource_refs(
        &self,
        mi: &ModuleInstance,
        addr: ResourceAddr,
        key: Option<Option<InstanceKey>>,
        out: &mut Vec<Node>,
    ) {
        let Some(keys) = self.expansion.resources.get(&(mi.clone(), addr.clone())) else {
            return;
        };
        let selected: Vec<Option<InstanceKey>> = match key {
            // A static key that names no instance cannot be read without an error, so it
            // adds no dependency (it can only sit behind a guard).
            Some(Some(k)) if keys.contains(&Some(k.clone())) => vec![Some(k)],
            Some(Some(_)) => Vec::new(),
            _ => keys.clone(),
        };
        for k in selected {
            out.push(Node::Resource(InstanceAddr {
                module: mi.clone(),
                resource: addr.clone(),
                key: k,
            }));
        }
    }

    /// Resource instances that `node` depends on, directly or through value nodes.
    pub fn resource_dependencies(&self, node: NodeIndex) -> Vec<NodeIndex> {
        // A set of the nodes visited, not a flag per node of the graph: apply asks this
        // for every instance, and zeroing a flag for each of 100,000 nodes per call made
        // that quadratic.
        let mut seen = rustc_hash::FxHashSet::default();
        let mut stack: Vec<NodeIndex> = self
            .graph
            .neighbors_directed(node, Direction::Incoming)
            .collect();
        let mut out = Vec::new();
        while let Some(n) = stack.pop() {
            if n.index() >= self.graph.node_count() || !seen.insert(n) {
                continue;
            }
            match self.graph.node_weight(n) {
                Some(Node::Resource(_)) => out.push(n),
                _ => stack.extend(self.graph.neighbors_directed(n, Direction::Incoming)),
            }
        }
        out
    }

    /// A topological order of every node, or the cycle as a diagnostic.
    pub fn order(&self) -> Result<Vec<NodeIndex>, Diagnostic> {
        match petgraph::algo::toposort(&self.graph, None) {
            Ok(o) => Ok(o),
            Err(cycle) => {
                let start = cycle.node_id();
                let path = self.cycle_path(start);
                let names: Vec<String> = path
                    .iter()
                    .filter_map(|n| self.graph.node_weight(*n))
                    .map(|n| n.to_string())
                    .collect();
                Err(Diagnostic::new(&aic_lang::codes::E0207).with_help(format!(
                    "These depend on each other: {}. Break the cycle by removing one of the references.",
                    names.join(" → ")
                )))
            }
        }
    }

    /// The whole cycle through `start` (petgraph reports only one node of it).
    fn cycle_path(&self, start: NodeIndex) -> Vec<NodeIndex> {
        // BFS from start's successors back to start, remembering parents.
        let mut parent: HashMap<NodeIndex, NodeIndex> = HashMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        while let Some(n) = queue.pop_front() {
            for next in self.graph.neighbors_directed(n, Direction::Outgoing) {
                if next == start {
                    let mut path = vec![start];
                    let mut cur = n;
                    while cur != start {
                        path.push(cur);
                        cur = parent.get(&cur).copied().unwrap_or(start);
                    }
                    path.push(start);
                    let last = path.len() - 1;
                    if let Some(middle) = path.get_mut(1..last) {
                        middle.reverse();
                    }
                    return path;
                }
                if let std::collections::hash_map::Entry::Vacant(e) = parent.entry(next) {
                    e.insert(n);
                    queue.push_back(next);
                }
            }
        }
        vec![start]
    }

    /// Graphviz DOT of the resource instances and the dependencies between them.
    pub fn to_dot(&self) -> String {
        let mut out =
            String::from("digraph aic {\n  rankdir = \"RL\";\n  node [shape = \"box\"];\n");
        let mut lines = Vec::new();
        for n in self.graph.node_indices() {
            if let Some(Node::Resource(a)) = self.graph.node_weight(n) {
                lines.push(format!("  \"{}\";", escape(&a.to_string())));
                for d in self.resource_dependencies(n) {
                    if let Some(Node::Resource(b)) = self.graph.node_weight(d) {
                        lines.push(format!(
                            "  \"{}\" -> \"{}\";",
                            escape(&a.to_string()),
                            escape(&b.to_string())
                        ));
                    }
                }
            }
        }
        lines.sort();
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
        out.push_str("}\n");
        out
    }

    /// The picture of this graph (for [`picture::render_svg`] and
    /// [`picture::render_changes_mermaid`]) titled `title`: every resource instance, with
    /// the action `changes` gives it; a changed instance the graph lacks (one the plan
    /// destroys) is added without edges.
    pub fn picture(&self, title: &str, changes: Option<&[(InstanceAddr, Action)]>) -> Picture {
        let mut picture = Picture {
            title: title.to_string(),
            ..Picture::default()
        };
        let action_of: HashMap<&InstanceAddr, Action> = changes
            .unwrap_or_default()
            .iter()
            .map(|(a, act)| (a, *act))
            .collect();
        let default = changes.map(|_| Action::NoOp);
        let mut index_of: HashMap<NodeIndex, usize> = HashMap::new();
        let mut resources: Vec<(&InstanceAddr, NodeIndex)> = self
            .graph
            .node_indices()
            .filter_map(|n| match self.graph.node_weight(n) {
                Some(Node::Resource(a)) => Some((a, n)),
                _ => None,
            })
            .collect();
        resources.sort_by_key(|(a, _)| a.to_string());
        let mut present = std::collections::HashSet::new();
        for (addr, n) in &resources {
            index_of.insert(*n, picture.nodes.len());
            present.insert(*addr);
            let action = action_of.get(addr).copied().or(default);
            picture.nodes.push(PictureNode::of(addr, action));
        }
        for (addr, action) in changes.unwrap_or_default() {
            if !present.contains(addr) {
                picture.nodes.push(PictureNode::of(addr, Some(*action)));
            }
        }
        for (_, n) in &resources {
            for d in self.resource_dependencies(*n) {
                if let (Some(&from), Some(&to)) = (index_of.get(&d), index_of.get(n)) {
                    picture.edges.push((from, to));
                }
            }
        }
        picture.edges.sort_unstable();
        picture.edges.dedup();
        picture
    }

    /// Mermaid flowchart of the same.
    pub fn to_mermaid(&self) -> String {
        let mut ids: Vec<(String, NodeIndex)> = self
            .graph
            .node_indices()
            .filter_map(|n| match self.graph.node_weight(n) {
                Some(Node::Resource(a)) => Some((a.to_string(), n)),
                _ => None,
            })
            .collect();
        ids.sort();
        let id_of: HashMap<NodeIndex, usize> =
            ids.iter().enumerate().map(|(i, (_, n))| (*n, i)).collect();
        let mut out = String::from("flowchart RL\n");
        for (i, (name, _)) in ids.iter().enumerate() {
            out.push_str(&format!("  n{i}[\"{}\"]\n", name.replace('"', "#quot;")));
        }
        let mut edges = Vec::new();
        for (name, n) in &ids {
            let _ = name;
            for d in self.resource_dependencies(*n) {
                if let (Some(a), Some(b)) = (id_of.get(n), id_of.get(&d)) {
                    edges.push(format!("  n{a} --> n{b}\n"));
                }
            }
        }
        edges.sort();
        for e in edges {
            out.push_str(&e);
        }
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn collect_block(
    deps: &mut Vec<Node>,
    g: &ConfigGraph,
    mi: &ModuleInstance,
    tree: &ModuleTree,
    b: &aic_lang::ast::Block,
    inst: &ExpandedInstance,
) {
    for a in b.body.attributes() {
        // `ignore_changes = [tags]` names attributes, not values.
        if b.kind.name == "lifecycle" && a.name.name == "ignore_changes" {
            continue;
        }
        deps.extend(g.refs(mi, tree, &a.value, Some(inst)));
    }
    for inner in b.body.blocks() {
        collect_block(deps, g, mi, tree, inner, inst);
    }
}

/// The instance key an index expression selects, when it is static: a literal, or
/// `count.index` / `each.key` of the instance being evaluated.
fn static_key(idx: &Expr, inst: Option<&ExpandedInstance>) -> Option<InstanceKey> {
    // Evaluate the index with only `count` and `each` in scope: literals, `count.index`,
    // `count.index - 1`, `each.key`, `"${each.key}-a"` … are static; anything reading
    // another name is not.
    let scope = KeyScope { inst };
    let v = aic_lang::eval::Evaluator::new(&scope, &NoFunctions)
        .eval(idx)
        .ok()?;
    match v.kind() {
        // A negative index selects no instance: such a reference can only be reached behind
        // a guard like `count.index == 0 ? … : x[count.index - 1]`.
        aic_lang::value::ValueKind::Number(n) if n.fract() == 0.0 => {
            Some(InstanceKey::Int(if *n < 0.0 {
                u64::MAX
            } else {
                *n as u64
            }))
        }
        aic_lang::value::ValueKind::String(s) => Some(InstanceKey::Str(s.clone())),
        _ => None,
    }
}

struct KeyScope<'a> {
    inst: Option<&'a ExpandedInstance>,
}

impl aic_lang::eval::Scope for KeyScope<'_> {
    fn resolve(&self, path: &[&str]) -> Result<(Value, usize), aic_lang::eval::ScopeMiss> {
        let found = match path.first().copied() {
            Some("count") => self.inst.and_then(|i| i.count.clone()),
            Some("each") => self.inst.and_then(|i| i.each.clone()),
            _ => None,
        };
        found.map(|v| (v, 1)).ok_or(aic_lang::eval::ScopeMiss {
            segment: 0,
            code: &aic_lang::codes::E0202,
            label: String::new(),
            help: None,
        })
    }
}

struct NoFunctions;

impl aic_lang::eval::Functions for NoFunctions {
    fn call(&self, _: &str, _: &[Value]) -> Option<Result<Value, aic_lang::eval::FunctionFailure>> {
        None
    }

    fn names(&self) -> Vec<&str> {
        Vec::new()
    }
}
