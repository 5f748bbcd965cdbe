//! The configuration model: the items of a module collected from all its files, and the
//! tree of modules a root module calls.
//!
//! Owns duplicate detection and module loading (local paths and `std:NAME`). It reads
//! source files and nothing else; it does not evaluate expressions beyond literal
//! module sources.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use crate::addr::ResourceAddr;
use crate::ast::{self, BlockKind, Expr, ExprKind, Item, TemplatePart};
use crate::codes;
use crate::diag::Diagnostic;
use crate::source::{SourceMap, Span};
use crate::syntax;
use crate::world::{Kind, System, World};

/// A resource or data source block with its meta-arguments picked out.
#[derive(Debug, Clone)]
pub struct Resource {
    pub addr: ResourceAddr,
    pub block: ast::Block,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Option<Expr>,
    /// `provider = aws.eu`: the alias.
    pub provider_alias: Option<ast::Ident>,
    pub lifecycle: Option<ast::Block>,
}

impl Resource {
    pub const META: [&'static str; 5] =
        ["count", "for_each", "depends_on", "provider", "lifecycle"];

    /// Attributes of the body that the provider schema checks (meta-arguments excluded).
    pub fn schema_attributes(&self) -> impl Iterator<Item = &ast::Attribute> {
        self.block
            .body
            .attributes()
            .filter(|a| !Resource::META.contains(&a.name.name.as_str()))
    }

    pub fn span(&self) -> Span {
        self.block.span
    }
}

/// `module NAME { source = …, for_each/count, arguments… }`
#[derive(Debug, Clone)]
pub struct ModuleCall {
    pub name: ast::Ident,
    pub block: ast::Block,
    pub source: String,
    pub source_span: Span,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Option<Expr>,
}

impl ModuleCall {
    pub const META: [&'static str; 4] = ["source", "count", "for_each", "depends_on"];

    /// Arguments passed to the module's variables.
    pub fn arguments(&self) -> impl Iterator<Item = &ast::Attribute> {
        self.block
            .body
            .attributes()
            .filter(|a| !ModuleCall::META.contains(&a.name.name.as_str()))
    }
}

/// A provider configuration: `provider aws { … }` or `provider aws eu { … }`.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub name: String,
    pub alias: Option<String>,
    pub block: ast::Block,
}

/// Everything one module declares, from all its files.
#[derive(Debug, Clone, Default)]
pub struct Module {
    pub dir: PathBuf,
    pub variables: IndexMap<String, ast::Variable>,
    pub lets: IndexMap<String, ast::Let>,
    pub outputs: IndexMap<String, ast::Output>,
    pub types: IndexMap<String, ast::TypeDef>,
    pub providers: IndexMap<(String, Option<String>), ProviderConfig>,
    pub resources: IndexMap<ResourceAddr, Resource>,
    pub module_calls: IndexMap<String, ModuleCall>,
    pub environments: IndexMap<String, ast::Block>,
    pub rollouts: IndexMap<String, ast::Block>,
    pub policies: IndexMap<String, ast::Block>,
    pub backends: Vec<ast::Block>,
    pub imports: Vec<ast::Block>,
    pub moved: Vec<ast::Block>,
    pub removed: Vec<ast::Block>,
}

/// A module with the modules it calls, loaded recursively.
#[derive(Debug, Clone)]
pub struct ModuleTree {
    pub module: Module,
    pub children: IndexMap<String, ModuleTree>,
}

impl Module {
    /// Collects the items of parsed files into one module, reporting duplicates.
    pub fn from_files(
        dir: &Path,
        files: impl IntoIterator<Item = ast::File>,
        diags: &mut Vec<Diagnostic>,
    ) -> Module {
        let mut m = Module {
            dir: dir.to_path_buf(),
            ..Module::default()
        };
        // First definitions by namespace, for duplicate reports.
        let mut seen: IndexMap<(&'static str, String), Span> = IndexMap::new();
        let mut dup = |ns: &'static str, name: String, span: Span, diags: &mut Vec<Diagnostic>| {
            if let Some(first) = seen.get(&(ns, name.clone())) {
                diags.push(
                    Diagnostic::new(&codes::E0201)
                        .with_primary(span, format!("{ns} `{name}` is defined again here"))
                        .with_secondary(*first, "first defined here")
                        .with_help(
                            "Names must be unique within a module; rename or remove one of them.",
                        ),
                );
                true
            } else {
                seen.insert((ns, name), span);
                false
            }
        };
        // The files are taken, not copied: a module's items are most of its memory.
        for file in files {
            for item in file.items {
                match item {
                    Item::Variable(v) => {
                        if !dup("variable", v.name.name.clone(), v.name.span, diags) {
                            m.variables.insert(v.name.name.clone(), v);
                        }
                    }
                    Item::Let(l) => {
                        if !dup("let", l.name.name.clone(), l.name.span, diags) {
                            m.lets.insert(l.name.name.clone(), l);
                        }
                    }
                    Item::Output(o) => {
                        if !dup("output", o.name.name.clone(), o.name.span, diags) {
                            m.outputs.insert(o.name.name.clone(), o);
                        }
                    }
                    Item::Type(t) => {
                        if !dup("type", t.name.name.clone(), t.name.span, diags) {
                            m.types.insert(t.name.name.clone(), t);
                        }
                    }
                    Item::Block(b) => m.add_block(b, &mut dup, diags),
                }
            }
        }
        m
    }

    fn add_block(
        &mut self,
        b: ast::Block,
        dup: &mut impl FnMut(&'static str, String, Span, &mut Vec<Diagnostic>) -> bool,
        diags: &mut Vec<Diagnostic>,
    ) {
        let Some(kind) = b.top_kind else { return };
        let label = |i: usize| b.labels.get(i).map(|l| l.value.clone());
        let head = b.labels.iter().fold(b.kind.span, |s, l| s.to(l.span));
        match kind {
            BlockKind::Provider => {
                let Some(name) = label(0) else { return };
                let alias = label(1);
                let shown = match &alias {
                    Some(a) => format!("{name}.{a}"),
                    None => name.clone(),
                };
                if !dup("provider", shown, head, diags) {
                    self.providers.insert(
                        (name.clone(), alias.clone()),
                        ProviderConfig {
                            name,
                            alias,
                            block: b,
                        },
                    );
                }
            }
            BlockKind::Resource | BlockKind::Data => {
                let (Some(ty), Some(name)) = (label(0), label(1)) else {
                    return;
                };
                let addr = if kind == BlockKind::Data {
                    ResourceAddr::data(ty, name)
                } else {
                    ResourceAddr::managed(ty, name)
                };
                let ns = if kind == BlockKind::Data {
                    "data source"
                } else {
                    "resource"
                };
                if dup(ns, addr.to_string(), head, diags) {
                    return;
                }
                let attr = |n: &str| b.body.attribute(n).map(|a| a.value.clone());
                let provider_alias = b.body.attribute("provider").and_then(|a| match &a.value.kind {
                    ExprKind::GetAttr(base, alias) if matches!(&base.kind, ExprKind::Name(_)) => {
                        Some(alias.clone())
                    }
                    ExprKind::Name(_) => None,
                    _ => {
                        diags.push(
                            Diagnostic::new(&codes::E0208)
                                .with_primary(a.value.span, "expected `NAME` or `NAME.ALIAS`")
                                .with_help("Write `provider = aws.eu` to use the configuration `provider aws eu { … }`."),
                        );
                        None
                    }
                });
                if b.body.attribute("count").is_some() && b.body.attribute("for_each").is_some() {
                    let span = b.body.attribute("for_each").map_or(head, |a| a.span);
                    diags.push(
                        Diagnostic::new(&codes::E0209)
                            .with_primary(span, "`for_each` cannot be combined with `count`")
                            .with_help("Use one of them: `count` for N identical instances, `for_each` for one instance per key."),
                    );
                }
                let count = attr("count");
                let for_each = attr("for_each");
                let depends_on = attr("depends_on");
                let lifecycle = b
                    .body
                    .blocks()
                    .find(|x| x.kind.name == "lifecycle")
                    .cloned();
                self.resources.insert(
                    addr.clone(),
                    Resource {
                        addr,
                        count,
                        for_each,
                        depends_on,
                        provider_alias,
                        lifecycle,
                        block: b,
                    },
                );
            }
            BlockKind::Module => {
                let Some(name) = b.labels.first() else { return };
                if dup("module", name.value.clone(), head, diags) {
                    return;
                }
                let (source, source_span) = match b.body.attribute("source") {
                    Some(a) => match literal_string(&a.value) {
                        Some(s) => (s, a.value.span),
                        None => {
                            diags.push(
                                Diagnostic::new(&codes::E0210)
                                    .with_primary(a.value.span, "expected a string such as \"./modules/web\" or \"std:regional\"")
                                    .with_help("Write the source as a literal string."),
                            );
                            return;
                        }
                    },
                    None => {
                        diags.push(
                            Diagnostic::new(&codes::E0211)
                                .with_primary(head, "this module has no `source`")
                                .with_help("Add `source = \"./path\"` or `source = \"std:NAME\"`."),
                        );
                        return;
                    }
                };
                let attr = |n: &str| b.body.attribute(n).map(|a| a.value.clone());
                self.module_calls.insert(
                    name.value.clone(),
                    ModuleCall {
                        name: ast::Ident {
                            name: name.value.clone(),
                            span: name.span,
                        },
                        source,
                        source_span,
                        count: attr("count"),
                        for_each: attr("for_each"),
                        depends_on: attr("depends_on"),
                        block: b,
                    },
                );
            }
            BlockKind::Environment => {
                if let Some(n) = label(0) {
                    if !dup("environment", n.clone(), head, diags) {
                        self.environments.insert(n, b);
                    }
                }
            }
            BlockKind::Rollout => {
                if let Some(n) = label(0) {
                    if !dup("rollout", n.clone(), head, diags) {
                        self.rollouts.insert(n, b);
                    }
                }
            }
            BlockKind::Policy => {
                if let Some(n) = label(0) {
                    if !dup("policy", n.clone(), head, diags) {
                        self.policies.insert(n, b);
                    }
                }
            }
            BlockKind::Backend => self.backends.push(b),
            BlockKind::Import => self.imports.push(b),
            BlockKind::Moved => self.moved.push(b),
            BlockKind::Removed => self.removed.push(b),
        }
    }
}

/// A string literal without interpolation, if the expression is one.
pub fn literal_string(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Template(t) => {
            let mut s = String::new();
            for p in &t.parts {
                match p {
                    TemplatePart::Literal(l) => s.push_str(l),
                    TemplatePart::Interpolation(_) => return None,
                }
            }
            Some(s)
        }
        _ => None,
    }
}

/// Loads a module directory and, recursively, the modules it calls.
///
/// `stdlib_dir` is where `std:NAME` modules live. Every file of every module is added to
/// `sources`; all diagnostics (syntax, duplicates, missing or cyclic module sources) are
/// collected, and the tree holds what could be loaded.
pub fn load_tree(
    dir: &Path,
    stdlib_dir: Option<&Path>,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
) -> Result<ModuleTree, std::io::Error> {
    load_tree_in(&System, dir, stdlib_dir, sources, diags)
}

/// [`load_tree`] reading the files of `world`.
pub fn load_tree_in(
    world: &dyn World,
    dir: &Path,
    stdlib_dir: Option<&Path>,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
) -> Result<ModuleTree, std::io::Error> {
    let mut stack = Vec::new();
    load_rec(world, dir, stdlib_dir, sources, diags, &mut stack)
}

fn load_rec(
    world: &dyn World,
    dir: &Path,
    stdlib_dir: Option<&Path>,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
    stack: &mut Vec<PathBuf>,
) -> Result<ModuleTree, std::io::Error> {
    let canonical = world.canonicalize(dir)?;
    let ids = sources.load_dir_in(world, dir)?;
    let parsed: Vec<_> = syntax::parse_ids(sources, &ids)
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    for p in &parsed {
        diags.extend(p.diagnostics.iter().cloned());
    }
    let module = Module::from_files(dir, parsed.into_iter().map(|p| p.file), diags);
    stack.push(canonical);
    let mut children = IndexMap::new();
    for (name, call) in &module.module_calls {
        let child_dir = match call.source.strip_prefix("std:") {
            Some(std_name) => match stdlib_dir {
                Some(s) => s.join(std_name),
                None => PathBuf::from(std_name),
            },
            None => dir.join(&call.source),
        };
        let ok_dir = matches!(world.kind(&child_dir), Ok(Some(Kind::Dir)))
            && world
                .list(&child_dir)
                .map(|entries| {
                    entries
                        .iter()
                        .any(|p| p.extension().is_some_and(|x| x == "aic"))
                })
                .unwrap_or(false);
        if !ok_dir {
            let help = if call.source.starts_with("std:") {
                "Standard modules are the directories under stdlib/modules of the aic installation."
                    .to_string()
            } else {
                format!(
                    "Local sources are relative to this module's directory ({}); the directory must hold .aic files.",
                    dir.display()
                )
            };
            diags.push(
                Diagnostic::new(&codes::E0212)
                    .with_primary(
                        call.source_span,
                        format!("no .aic module at {}", child_dir.display()),
                    )
                    .with_help(help),
            );
            continue;
        }
        let child_canon = world.canonicalize(&child_dir)?;
        if stack.contains(&child_canon) {
            diags.push(
                Diagnostic::new(&codes::E0213)
                    .with_primary(
                        call.source_span,
                        "this module is already being loaded higher up",
                    )
                    .with_help("A module cannot call itself, directly or through other modules."),
            );
            continue;
        }
        let child = load_rec(world, &child_dir, stdlib_dir, sources, diags, stack)?;
        children.insert(name.clone(), child);
    }
    stack.pop();
    Ok(ModuleTree { module, children })
}
