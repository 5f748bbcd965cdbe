//! One analysis of a configuration directory: the files as the editor has them, the
//! module tree, every diagnostic `aic validate` reports, and an index of what each span
//! of each file names (a definition, a reference, a resource type, a schema attribute, a
//! function, an `env.*` attribute).
//!
//! An analysis is an immutable snapshot: the server builds a new one after edits and
//! answers requests from the latest one whose files parsed.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use aic_engine::load::{self, VariableArgs};
use aic_lang::addr::Mode;
use aic_lang::ast::{self, Expr, ExprKind};
use aic_lang::config::{Module, ModuleTree};
use aic_lang::diag::Diagnostic;
use aic_lang::source::{FileId, SourceMap, Span};
use aic_lang::world::Overlay;
use aic_provider::Registry;

/// What kind of thing a symbol is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SymKind {
    Variable,
    Let,
    Output,
    Resource,
    Data,
    Module,
    Environment,
    Type,
}

impl SymKind {
    pub fn word(self) -> &'static str {
        match self {
            SymKind::Variable => "variable",
            SymKind::Let => "let",
            SymKind::Output => "output",
            SymKind::Resource => "resource",
            SymKind::Data => "data source",
            SymKind::Module => "module",
            SymKind::Environment => "environment",
            SymKind::Type => "type",
        }
    }
}

/// A declared thing: its kind, the module (index into [`Analysis::modules`]) and its
/// name (`TYPE.NAME` for resources and data sources).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Symbol {
    pub module: usize,
    pub kind: SymKind,
    pub name: String,
}

/// What a span of a file stands for.
#[derive(Debug, Clone, PartialEq)]
pub enum Occurrence {
    /// The name where a symbol is declared.
    Def(Symbol),
    /// A use of a symbol.
    Ref(Symbol),
    /// A resource or data source type (a block label or the head of a reference).
    ResourceType { type_name: String, mode: Mode },
    /// An attribute name inside a resource, data source or provider body: the path of
    /// nested blocks, then the name.
    SchemaAttr {
        type_name: String,
        mode: Mode,
        path: Vec<String>,
        name: String,
    },
    /// A function name in a call.
    Function(String),
    /// `env.NAME` (the name part) in module `module`.
    EnvAttr(String),
    /// A module call's `source` string: the called module.
    ModuleSource(usize),
}

/// One module of the tree, flattened.
pub struct ModuleInfo {
    pub module: Module,
    /// The modules it calls: call name → index.
    pub children: HashMap<String, usize>,
}

/// A snapshot of the configuration directory.
pub struct Analysis {
    pub sources: SourceMap,
    /// Index 0 is the root module (empty when the directory could not be read).
    pub modules: Vec<ModuleInfo>,
    /// Per file, its occurrences sorted by start.
    pub occurrences: HashMap<FileId, Vec<(Span, Occurrence)>>,
    /// Every diagnostic of `aic validate` and the sources their spans point into.
    pub diagnostics: Vec<Diagnostic>,
    pub diagnostic_sources: SourceMap,
    /// The configuration was read and every file parsed.
    pub syntax_ok: bool,
}

impl Analysis {
    /// Analyses `dir` with the buffers of `overlay` in place of their files.
    pub fn new(dir: &Path, overlay: &Arc<Overlay>, registry: &Registry) -> Analysis {
        let mut validated = load::validate_with(
            dir,
            None,
            &VariableArgs::default(),
            registry,
            overlay.as_ref(),
        );
        // In the order `aic validate` shows them.
        aic_lang::diag::sort(&mut validated.diagnostics);
        let parsed = load::parse_with(dir, overlay.as_ref());
        let syntax_ok = parsed.syntax_ok();
        let mut modules = Vec::new();
        if let Some(tree) = parsed.tree {
            flatten(tree, &mut modules);
        }
        let mut analysis = Analysis {
            sources: parsed.sources,
            modules,
            occurrences: HashMap::new(),
            diagnostics: validated.diagnostics,
            diagnostic_sources: validated.sources,
            syntax_ok,
        };
        analysis.index();
        analysis
    }

    /// The file id of `path` (compared canonically).
    pub fn file_id(&self, path: &Path) -> Option<FileId> {
        let want = path.canonicalize().ok()?;
        self.sources
            .files()
            .find(|(_, f)| f.path.canonicalize().ok().as_deref() == Some(want.as_path()))
            .map(|(id, _)| id)
    }

    /// The innermost occurrence covering byte `offset` of `file`.
    pub fn occurrence_at(&self, file: FileId, offset: usize) -> Option<(Span, &Occurrence)> {
        let offset = u32::try_from(offset).ok()?;
        self.occurrences
            .get(&file)?
            .iter()
            .filter(|(s, _)| s.start <= offset && offset <= s.end)
            .min_by_key(|(s, _)| s.end - s.start)
            .map(|(s, o)| (*s, o))
    }

    /// The module whose files include `file`.
    pub fn module_of(&self, file: FileId) -> Option<usize> {
        let path = &self.sources.get(file)?.path;
        let dir = path.parent()?;
        self.modules
            .iter()
            .position(|m| same_dir(&m.module.dir, dir))
    }

    /// Where `symbol` is declared: the span of its name.
    pub fn definition(&self, symbol: &Symbol) -> Option<Span> {
        let m = &self.modules.get(symbol.module)?.module;
        let name = symbol.name.as_str();
        match symbol.kind {
            SymKind::Variable => m.variables.get(name).map(|v| v.name.span),
            SymKind::Let => m.lets.get(name).map(|l| l.name.span),
            SymKind::Output => m.outputs.get(name).map(|o| o.name.span),
            SymKind::Type => m.types.get(name).map(|t| t.name.span),
            SymKind::Module => m.module_calls.get(name).map(|c| c.name.span),
            SymKind::Environment => m
                .environments
                .get(name)
                .and_then(|b| b.labels.first())
                .map(|l| l.span),
            SymKind::Resource | SymKind::Data => {
                let (ty, n) = name.split_once('.')?;
                m.resources
                    .iter()
                    .find(|(a, _)| {
                        a.type_name == ty
                            && a.name == n
                            && (a.mode == Mode::Data) == (symbol.kind == SymKind::Data)
                    })
                    .and_then(|(_, r)| r.block.labels.get(1))
                    .map(|l| l.span)
            }
        }
    }

    /// Every use of `symbol` (not its declaration).
    pub fn references(&self, symbol: &Symbol) -> Vec<Span> {
        let mut out: Vec<Span> = self
            .occurrences
            .values()
            .flatten()
            .filter(|(_, o)| matches!(o, Occurrence::Ref(s) if s == symbol))
            .map(|(s, _)| *s)
            .collect();
        out.sort();
        out
    }

    fn index(&mut self) {
        let mut found: Vec<(Span, Occurrence)> = Vec::new();
        for (i, info) in self.modules.iter().enumerate() {
            Indexer {
                module: i,
                info,
                modules: &self.modules,
                out: &mut found,
                bound: Vec::new(),
            }
            .module(&info.module);
        }
        for (span, occ) in found {
            self.occurrences
                .entry(span.file)
                .or_default()
                .push((span, occ));
        }
        for list in self.occurrences.values_mut() {
            list.sort_by_key(|(s, _)| (s.start, s.end));
        }
    }
}

/// Whether two directory paths name the same directory.
pub fn same_dir(a: &Path, b: &Path) -> bool {
    a == b
        || match (a.canonicalize(), b.canonicalize()) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
}

fn flatten(tree: ModuleTree, out: &mut Vec<ModuleInfo>) -> usize {
    let index = out.len();
    out.push(ModuleInfo {
        module: tree.module,
        children: HashMap::new(),
    });
    for (name, child) in tree.children {
        let c = flatten(child, out);
        if let Some(info) = out.get_mut(index) {
            info.children.insert(name, c);
        }
    }
    index
}

/// Walks one module's items and records every occurrence.
struct Indexer<'a> {
    module: usize,
    info: &'a ModuleInfo,
    modules: &'a [ModuleInfo],
    out: &'a mut Vec<(Span, Occurrence)>,
    /// Names bound by enclosing `for` expressions (they hide lets).
    bound: Vec<String>,
}

impl Indexer<'_> {
    fn sym(&self, kind: SymKind, name: impl Into<String>) -> Symbol {
        Symbol {
            module: self.module,
            kind,
            name: name.into(),
        }
    }

    fn push(&mut self, span: Span, occ: Occurrence) {
        self.out.push((span, occ));
    }

    fn module(&mut self, m: &Module) {
        for (name, v) in &m.variables {
            self.push(
                v.name.span,
                Occurrence::Def(self.sym(SymKind::Variable, name)),
            );
            if let Some(d) = &v.default {
                self.expr(d);
            }
            if let Some(b) = &v.body {
                self.body(b, None);
            }
        }
        for (name, l) in &m.lets {
            self.push(l.name.span, Occurrence::Def(self.sym(SymKind::Let, name)));
            self.expr(&l.value);
        }
        for (name, o) in &m.outputs {
            self.push(
                o.name.span,
                Occurrence::Def(self.sym(SymKind::Output, name)),
            );
            self.expr(&o.value);
            if let Some(b) = &o.body {
                self.body(b, None);
            }
        }
        for (name, t) in &m.types {
            self.push(t.name.span, Occurrence::Def(self.sym(SymKind::Type, name)));
        }
        for (addr, r) in &m.resources {
            let (kind, mode) = match addr.mode {
                Mode::Data => (SymKind::Data, Mode::Data),
                Mode::Managed => (SymKind::Resource, Mode::Managed),
            };
            if let Some(l) = r.block.labels.first() {
                self.push(
                    l.span,
                    Occurrence::ResourceType {
                        type_name: addr.type_name.clone(),
                        mode,
                    },
                );
            }
            if let Some(l) = r.block.labels.get(1) {
                let name = format!("{}.{}", addr.type_name, addr.name);
                self.push(l.span, Occurrence::Def(self.sym(kind, name)));
            }
            self.body(&r.block.body, Some((&addr.type_name, mode, Vec::new())));
        }
        for (name, c) in &m.module_calls {
            self.push(
                c.name.span,
                Occurrence::Def(self.sym(SymKind::Module, name)),
            );
            if let Some(child) = self.info.children.get(name) {
                self.push(c.source_span, Occurrence::ModuleSource(*child));
                // An argument names a variable of the called module.
                for a in c.arguments() {
                    self.push(
                        a.name.span,
                        Occurrence::Ref(Symbol {
                            module: *child,
                            kind: SymKind::Variable,
                            name: a.name.name.clone(),
                        }),
                    );
                }
            }
            self.body(&c.block.body, None);
        }
        for (name, b) in &m.environments {
            if let Some(l) = b.labels.first() {
                self.push(
                    l.span,
                    Occurrence::Def(self.sym(SymKind::Environment, name)),
                );
            }
            self.body(&b.body, None);
        }
        for p in m.providers.values() {
            self.body(&p.block.body, None);
        }
        for b in m
            .rollouts
            .values()
            .chain(m.policies.values())
            .chain(&m.backends)
            .chain(&m.imports)
            .chain(&m.moved)
            .chain(&m.removed)
        {
            self.body(&b.body, None);
        }
    }

    /// A body; inside a resource, `schema` is its type, mode and nested block path.
    fn body(&mut self, body: &ast::Body, schema: Option<(&str, Mode, Vec<String>)>) {
        for e in &body.elements {
            match e {
                ast::BodyElement::Attribute(a) => {
                    if let Some((ty, mode, path)) = &schema {
                        let meta = path.is_empty()
                            && aic_lang::config::Resource::META.contains(&a.name.name.as_str());
                        if !meta {
                            self.push(
                                a.name.span,
                                Occurrence::SchemaAttr {
                                    type_name: ty.to_string(),
                                    mode: *mode,
                                    path: path.clone(),
                                    name: a.name.name.clone(),
                                },
                            );
                        }
                    }
                    self.expr(&a.value);
                }
                ast::BodyElement::Block(b) => {
                    let inner = schema.as_ref().and_then(|(ty, mode, path)| {
                        (b.kind.name != "lifecycle").then(|| {
                            let mut p = path.clone();
                            p.push(b.kind.name.clone());
                            (*ty, *mode, p)
                        })
                    });
                    if let Some((ty, mode, path)) = &inner {
                        let mut parent = path.clone();
                        let name = parent.pop().unwrap_or_default();
                        self.push(
                            b.kind.span,
                            Occurrence::SchemaAttr {
                                type_name: ty.to_string(),
                                mode: *mode,
                                path: parent,
                                name,
                            },
                        );
                    }
                    self.body(&b.body, inner);
                }
            }
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Name(n) => {
                if !self.bound.contains(&n.name) {
                    if self.info.module.lets.contains_key(&n.name) {
                        self.push(n.span, Occurrence::Ref(self.sym(SymKind::Let, &n.name)));
                    } else if self.is_resource_type(&n.name, Mode::Managed) {
                        self.push(
                            n.span,
                            Occurrence::ResourceType {
                                type_name: n.name.clone(),
                                mode: Mode::Managed,
                            },
                        );
                    }
                }
            }
            ExprKind::GetAttr(base, attr) => {
                self.get_attr(base, attr);
                self.expr(base);
            }
            ExprKind::Call(c) => {
                self.push(c.name.span, Occurrence::Function(c.name.name.clone()));
                for a in &c.args {
                    self.expr(a);
                }
            }
            ExprKind::ForList(fe) | ExprKind::ForObject(fe) => {
                self.expr(&fe.collection);
                let names: Vec<String> = fe
                    .key
                    .iter()
                    .chain(std::iter::once(&fe.value))
                    .map(|i| i.name.clone())
                    .collect();
                let n = names.len();
                self.bound.extend(names);
                self.expr(&fe.first);
                if let Some(s) = &fe.second {
                    self.expr(s);
                }
                if let Some(c) = &fe.condition {
                    self.expr(c);
                }
                self.bound.truncate(self.bound.len() - n);
            }
            _ => e.for_each_child(&mut |c| self.expr(c)),
        }
    }

    fn is_resource_type(&self, name: &str, mode: Mode) -> bool {
        self.info
            .module
            .resources
            .keys()
            .any(|a| a.mode == mode && a.type_name == name)
    }

    /// `base.attr`: `var.X`, `env.X`, `TYPE.NAME`, `data.TYPE.NAME`, `module.M`,
    /// `module.M.OUTPUT` (also through an index: `module.M["k"].OUTPUT`).
    fn get_attr(&mut self, base: &Expr, attr: &ast::Ident) {
        let name_of = |e: &Expr| match &e.kind {
            ExprKind::Name(n) => Some(n.name.clone()),
            _ => None,
        };
        match &base.kind {
            ExprKind::Name(n) if !self.bound.contains(&n.name) => match n.name.as_str() {
                "var" => self.push(
                    attr.span,
                    Occurrence::Ref(self.sym(SymKind::Variable, &attr.name)),
                ),
                "env" => self.push(attr.span, Occurrence::EnvAttr(attr.name.clone())),
                "module" => self.push(
                    attr.span,
                    Occurrence::Ref(self.sym(SymKind::Module, &attr.name)),
                ),
                ty if self.is_resource_type(ty, Mode::Managed) => self.push(
                    attr.span,
                    Occurrence::Ref(self.sym(SymKind::Resource, format!("{ty}.{}", attr.name))),
                ),
                _ => {}
            },
            ExprKind::GetAttr(inner, ty) => {
                let head = name_of(inner);
                if head.as_deref() == Some("data") && !self.bound.iter().any(|b| b == "data") {
                    self.push(
                        ty.span,
                        Occurrence::ResourceType {
                            type_name: ty.name.clone(),
                            mode: Mode::Data,
                        },
                    );
                    self.push(
                        attr.span,
                        Occurrence::Ref(
                            self.sym(SymKind::Data, format!("{}.{}", ty.name, attr.name)),
                        ),
                    );
                } else if head.as_deref() == Some("module") {
                    self.module_output(&ty.name, attr);
                }
            }
            ExprKind::Index(inner, _) => {
                if let ExprKind::GetAttr(m, call) = &inner.kind {
                    if name_of(m).as_deref() == Some("module") {
                        self.module_output(&call.name, attr);
                    }
                }
            }
            _ => {}
        }
    }

    fn module_output(&mut self, call: &str, output: &ast::Ident) {
        if let Some(child) = self.info.children.get(call) {
            let has = self
                .modules
                .get(*child)
                .is_some_and(|m| m.module.outputs.contains_key(&output.name));
            if has {
                self.push(
                    output.span,
                    Occurrence::Ref(Symbol {
                        module: *child,
                        kind: SymKind::Output,
                        name: output.name.clone(),
                    }),
                );
            }
        }
    }
}
