//! The one loader: a configuration directory becomes a checked [`Config`] for one
//! environment, with every diagnostic found on the way — errors and warnings.
//!
//! Loading has two stages, so that a command needing only part of it does not pay for
//! (or fail on) the rest:
//!
//! 1. [`parse`]: every `.aic` file of the root module and the modules it calls is read
//!    and parsed into a module tree; duplicates and missing or cyclic module sources
//!    are reported; the root module's `rollout` and `moved`/`removed`/`import` blocks
//!    are read and checked, and policies of called modules are reported as ignored. The
//!    result ([`Parsed`]) answers where an environment's state lives
//!    ([`Parsed::backend`]) and which rollouts exist, even when a called module is
//!    broken.
//! 2. [`Parsed::check`]: the environment is selected, its `backend` block read,
//!    variable values merged, every module type-checked against the provider schemas
//!    and expanded (`count`, `for_each`), and the root module's policies read. The
//!    result is a [`Config`] (with its warnings) or a [`LoadFailure`] (with every
//!    diagnostic).
//!
//! An environment's commands need only its own `backend` block to be valid: a broken
//! block of another environment does not stop them. [`validate`] checks every block.
//!
//! Architecture invariant: this layer reads configuration files and nothing else — no
//! state, no provider call. Everything after it works from a [`Config`].

mod backend;
pub(crate) mod policy;
mod refactor;
pub mod rollout;
mod variables;

use std::path::{Path, PathBuf};

use aic_lang::addr::ModuleInstance;
use aic_lang::check::{self, ExpandedModule};
use aic_lang::config::{self, ModuleTree};
use aic_lang::diag::Diagnostic;
use aic_lang::source::{FileId, SourceMap};
use aic_lang::value::Value;
use aic_lang::world::{System, World};
use aic_provider::Registry;

use crate::backend::BackendSettings;
use crate::codes;
use crate::eval::{rollout_value, Expansions, RegistrySchemas, StdFunctions, Values, WalkScope};

pub use policy::{Policy, Rule, DEFAULT_QUERY};
pub use refactor::Refactorings;
pub use rollout::{
    Analysis, Check, CheckKind, Inconclusive, Notify, NotifyEvent, NotifyTarget, OnFailure, Phase,
    Rollout, Strategy,
};
pub use variables::VariableArgs;

/// The directory holding `std:NAME` modules: `AIC_STDLIB` when set (a configured
/// directory overrides the embedded modules), else the modules embedded in this binary,
/// written once to `stdlib-DIGEST` under the user's cache directory
/// (`$XDG_CACHE_HOME/aic`, `~/.cache/aic`, or the temporary directory). Should that fail,
/// the `stdlib/modules` of the sources this binary was built from.
pub fn stdlib_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("AIC_STDLIB") {
        return PathBuf::from(dir);
    }
    static EMBEDDED: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    EMBEDDED
        .get_or_init(write_embedded_stdlib)
        .clone()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../stdlib/modules"))
}

/// Writes the embedded standard modules to the cache directory (once per digest: a
/// complete copy is marked, and written under another name first then renamed, so that
/// concurrent runs never read half a copy). Their directory, or `None` when it cannot be
/// written.
fn write_embedded_stdlib() -> Option<PathBuf> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("aic");
    let dir = cache.join(format!("stdlib-{}", aic_stdlib::modules::digest()));
    if dir.join(".complete").is_file() {
        return Some(dir);
    }
    let staging = cache.join(format!(
        ".stdlib-{}-{}",
        aic_stdlib::modules::digest(),
        std::process::id()
    ));
    let write = || -> std::io::Result<()> {
        for (rel, text) in aic_stdlib::modules::FILES {
            let path = staging.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, text)?;
        }
        std::fs::write(staging.join(".complete"), "")
    };
    let written = write().and_then(|()| std::fs::rename(&staging, &dir));
    if written.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    // Another run may have put a complete copy there first.
    dir.join(".complete").is_file().then_some(dir)
}

/// A declared environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentInfo {
    pub name: String,
    /// `protected = true` is written in its block.
    pub protected: bool,
}

/// A configuration directory read and parsed (stage 1 of loading).
pub struct Parsed {
    /// The root module's directory.
    pub dir: PathBuf,
    /// Every file read, for rendering diagnostics.
    pub sources: SourceMap,
    /// The module tree; `None` when the directory could not be read.
    pub tree: Option<ModuleTree>,
    /// Everything reported so far.
    pub diagnostics: Vec<Diagnostic>,
    /// The files of the root module.
    root_files: Vec<FileId>,
    /// The tree was read and parsed without errors: checking can go on.
    syntax_ok: bool,
    rollouts: Vec<Rollout>,
    refactorings: Refactorings,
}

/// Reads and parses the configuration in `dir` (see the module documentation).
pub fn parse(dir: &Path) -> Parsed {
    parse_with(dir, &System)
}

/// [`parse`], reading the files of `world` (the language server's world holds an
/// editor's unsaved buffers in place of their files).
pub fn parse_with(dir: &Path, world: &dyn World) -> Parsed {
    let mut sources = SourceMap::new();
    let mut diagnostics = Vec::new();
    let stdlib = stdlib_dir();
    let tree = match config::load_tree_in(world, dir, Some(&stdlib), &mut sources, &mut diagnostics)
    {
        Ok(t) => Some(t),
        Err(e) => {
            diagnostics.push(Diagnostic::new(&codes::E0200).with_help(format!(
                "Reading {} failed: {e}. Run aic in a configuration directory or pass --dir DIR.",
                dir.display()
            )));
            None
        }
    };
    if tree.is_some() && sources.is_empty() {
        diagnostics.push(Diagnostic::new(&codes::E0252).with_help(format!(
            "{} holds no .aic files; run aic in a configuration directory or pass --dir DIR.",
            dir.display()
        )));
    }
    let root_files = tree
        .as_ref()
        .map(|t| {
            sources
                .files()
                .filter(|(_, f)| f.path.parent() == Some(t.module.dir.as_path()))
                .map(|(id, _)| id)
                .collect()
        })
        .unwrap_or_default();
    let syntax_ok = tree.is_some() && !diagnostics.iter().any(Diagnostic::is_error);
    let mut parsed = Parsed {
        dir: dir.to_path_buf(),
        sources,
        tree,
        diagnostics,
        root_files,
        syntax_ok,
        rollouts: Vec::new(),
        refactorings: Refactorings::default(),
    };
    if let (true, Some(tree)) = (parsed.syntax_ok, &parsed.tree) {
        let root = &tree.module;
        let mut diags = policy::ignored_child_policies(tree);
        let (rollouts, d) = rollout::read(root);
        diags.extend(d);
        parsed.rollouts = rollouts;
        parsed.refactorings = refactor::read(root, &parsed.sources, &mut diags);
        parsed.diagnostics.extend(diags);
    }
    parsed
}

impl Parsed {
    /// Whether the configuration was read and parsed without errors (checking can go
    /// on; errors in `backend`, `rollout` or refactoring blocks may still be reported).
    pub fn syntax_ok(&self) -> bool {
        self.syntax_ok
    }

    /// Whether an error was reported.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The declared environments, in order (none: only `default` exists).
    pub fn environments(&self) -> Vec<EnvironmentInfo> {
        let Some(tree) = &self.tree else {
            return Vec::new();
        };
        tree.module
            .environments
            .iter()
            .map(|(name, block)| EnvironmentInfo {
                name: name.clone(),
                protected: block
                    .body
                    .attribute("protected")
                    .is_some_and(|a| matches!(a.value.kind, aic_lang::ast::ExprKind::Bool(true))),
            })
            .collect()
    }

    /// The environment a command works in: `explicit` (`--env`, `AIC_ENV`), else
    /// `default` — unless the configuration declares environments, where one must be
    /// chosen (E0220).
    pub fn environment(&self, explicit: Option<&str>) -> Result<String, Diagnostic> {
        if let Some(e) = explicit {
            return Ok(e.to_string());
        }
        let declared = self.environments();
        if declared.is_empty() {
            return Ok("default".to_string());
        }
        let names: Vec<&str> = declared.iter().map(|e| e.name.as_str()).collect();
        Err(check::no_environment_selected(&names))
    }

    /// Where the state of environment `env` lives, its settings reading variables from
    /// defaults, the environment's `vars` and this process's `AIC_VAR_*`. Needs only the
    /// root module's files to parse: state commands keep working while a called module is
    /// broken. Without a configuration, the default place.
    pub fn backend(&self, env: &str) -> Result<BackendSettings, Vec<Diagnostic>> {
        let variables = VariableArgs {
            env_vars: std::env::vars()
                .filter_map(|(k, v)| k.strip_prefix("AIC_VAR_").map(|n| (n.to_owned(), v)))
                .collect(),
            ..VariableArgs::default()
        };
        self.backend_with(env, &variables)
    }

    /// [`Self::backend`] with the variable values of `variables` (`--var` and the like).
    pub fn backend_with(
        &self,
        env: &str,
        variables: &VariableArgs,
    ) -> Result<BackendSettings, Vec<Diagnostic>> {
        let Some(tree) = &self.tree else {
            return Ok(BackendSettings::default());
        };
        let root_errors: Vec<Diagnostic> = self
            .diagnostics
            .iter()
            .filter(|d| {
                d.is_error()
                    && d.primary_span()
                        .is_some_and(|s| self.root_files.contains(&s.file))
            })
            .cloned()
            .collect();
        if !root_errors.is_empty() {
            return Err(root_errors);
        }
        let functions = StdFunctions::new(&self.dir);
        let mut sources = self.sources.clone();
        let mut ignored = Vec::new();
        let inputs =
            variables::variable_inputs(tree, variables, &functions, &mut sources, &mut ignored);
        backend::settings_for(&tree.module, env, &inputs, &functions)
    }

    /// The source text of the `backend` block that applies to environment `env`, as
    /// written (`aic init` records it to notice a change); empty when none does.
    pub fn backend_text(&self, env: &str) -> String {
        self.tree
            .as_ref()
            .and_then(|t| backend::block_for(&t.module, env))
            .map(|b| self.sources.snippet(b.span).to_owned())
            .unwrap_or_default()
    }

    /// The rollouts of the root module (read only when the configuration parsed).
    pub fn rollouts(&self) -> &[Rollout] {
        &self.rollouts
    }

    /// Stage 2: checks the configuration for `environment` (`None`: the implicit
    /// `default`) with `variables`, against the providers of `registry`.
    pub fn check(
        self,
        environment: Option<&str>,
        variables: &VariableArgs,
        registry: &Registry,
    ) -> Result<Config, LoadFailure> {
        let Parsed {
            dir,
            mut sources,
            tree,
            mut diagnostics,
            syntax_ok,
            rollouts,
            refactorings,
            ..
        } = self;
        let tree = match tree {
            Some(t) if syntax_ok => t,
            _ => {
                return Err(LoadFailure {
                    sources,
                    diagnostics,
                })
            }
        };
        let functions = StdFunctions::new(&dir);
        let inputs = variables::variable_inputs(
            &tree,
            variables,
            &functions,
            &mut sources,
            &mut diagnostics,
        );
        let schemas = RegistrySchemas::new(registry);
        let checked = check::expand(&tree, environment, &inputs, &schemas, &functions);
        diagnostics.extend(checked.diagnostics);
        let backend =
            match backend::settings_for(&tree.module, &checked.environment, &inputs, &functions) {
                Ok(b) => b,
                Err(d) => {
                    diagnostics.extend(d);
                    BackendSettings::default()
                }
            };
        if diagnostics.iter().any(Diagnostic::is_error) {
            return Err(LoadFailure {
                sources,
                diagnostics,
            });
        }
        let expansion = Expansions::of(&checked.modules);
        let env = checked.env;
        // Policies: their constant attributes may read the root module's variables and
        // lets. Rego files join the sources, so diagnostics show them and the digest
        // covers them.
        let (policies, policy_diags) = {
            let root = ModuleInstance::root();
            let consts = root_constants(&checked.modules);
            let rollout = rollout_value(None);
            let scope = WalkScope {
                values: &consts,
                expansion: &expansion,
                module: &root,
                module_dir: tree.module.dir.clone(),
                root_dir: &tree.module.dir,
                env: &env,
                each: None,
                count: None,
                self_value: None,
                sensitive_vars: &[],
                rollout: &rollout,
            };
            policy::read(&tree, &mut sources, &|e| {
                aic_lang::eval::Evaluator::new(&scope, &functions)
                    .eval(e)
                    .map_err(|err| err.to_diagnostic())
            })
        };
        diagnostics.extend(policy_diags);
        if diagnostics.iter().any(Diagnostic::is_error) {
            return Err(LoadFailure {
                sources,
                diagnostics,
            });
        }
        let protected = env
            .get("protected")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let digest = digest(&sources);
        Ok(Config {
            dir,
            sources,
            tree,
            environment: checked.environment,
            env,
            protected,
            modules: checked.modules,
            expansion,
            policies,
            rollouts,
            refactorings,
            backend,
            digest,
            warnings: diagnostics,
        })
    }
}

/// The variables and lets of the root module, as the checker computed them.
fn root_constants(modules: &[ExpandedModule]) -> Values {
    let mut values = Values::default();
    if let Some(root) = modules.iter().find(|m| m.path.is_root()) {
        for (k, v) in &root.vars {
            values
                .vars
                .insert((ModuleInstance::root(), k.clone()), v.clone());
        }
        for (k, v) in &root.lets {
            values
                .lets
                .insert((ModuleInstance::root(), k.clone()), v.clone());
        }
    }
    values
}

/// A configuration loaded and checked for one environment.
pub struct Config {
    /// The root module's directory.
    pub dir: PathBuf,
    /// Every file read (modules, Rego policies, variable values), for diagnostics.
    pub sources: SourceMap,
    pub tree: ModuleTree,
    /// The selected environment's name.
    pub environment: String,
    /// The `env` object of the selected environment.
    pub env: Value,
    /// The environment is `protected`: destroying needs `--allow-destroy`.
    pub protected: bool,
    /// Every module instance, expanded.
    pub modules: Vec<ExpandedModule>,
    /// The instance keys of every resource and module call.
    pub expansion: Expansions,
    /// The root module's policies.
    pub policies: Vec<Policy>,
    /// The root module's rollouts.
    pub rollouts: Vec<Rollout>,
    /// The root module's `moved`, `removed` and `import` blocks.
    pub refactorings: Refactorings,
    /// Where the environment's state lives.
    pub backend: BackendSettings,
    /// Digest of every source file, so a saved plan can tell the configuration changed.
    pub digest: String,
    /// The warnings loading reported (there were no errors).
    pub warnings: Vec<Diagnostic>,
}

/// Loading failed: the sources (for rendering) and every diagnostic, warnings included.
pub struct LoadFailure {
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
}

/// Loads the configuration in `dir` for `environment`: [`parse`], then
/// [`Parsed::check`].
pub fn load(
    dir: &Path,
    environment: Option<&str>,
    variables: &VariableArgs,
    registry: &Registry,
) -> Result<Config, LoadFailure> {
    parse(dir).check(environment, variables, registry)
}

/// Every diagnostic of loading the configuration in `dir` for `environment`, with the
/// sources to render them (`aic validate`).
pub struct Validated {
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
}

impl Validated {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Loads the configuration in `dir` for `environment` only to report what is wrong:
/// everything [`load`] reports, and the `backend` blocks of every environment.
pub fn validate(
    dir: &Path,
    environment: Option<&str>,
    variables: &VariableArgs,
    registry: &Registry,
) -> Validated {
    validate_with(dir, environment, variables, registry, &System)
}

/// [`validate`], reading the files of `world` (the language server's diagnostics of
/// unsaved buffers).
pub fn validate_with(
    dir: &Path,
    environment: Option<&str>,
    variables: &VariableArgs,
    registry: &Registry,
    world: &dyn World,
) -> Validated {
    let parsed = parse_with(dir, world);
    let every_backend = match (&parsed.tree, parsed.syntax_ok) {
        (Some(tree), true) => {
            let functions = StdFunctions::new(dir);
            let mut sources = parsed.sources.clone();
            let mut ignored = Vec::new();
            let inputs =
                variables::variable_inputs(tree, variables, &functions, &mut sources, &mut ignored);
            backend::check(&tree.module, &inputs, &functions)
        }
        _ => Vec::new(),
    };
    // Every declared environment is checked (the one asked for first): an `env.*`
    // attribute that one of them lacks is an error before that environment is ever
    // planned (spec: language §3.9).
    let mut others: Vec<String> = if parsed.syntax_ok {
        parsed.environments().into_iter().map(|e| e.name).collect()
    } else {
        Vec::new()
    };
    if let Some(chosen) = environment {
        if !others.iter().any(|e| e == chosen) {
            // Not declared: checking it reports that.
            others.clear();
        } else {
            others.retain(|e| e != chosen);
            others.insert(0, chosen.to_string());
        }
    }
    let check = |parsed: Parsed, env: Option<&str>| match parsed.check(env, variables, registry) {
        Ok(c) => Validated {
            sources: c.sources,
            diagnostics: c.warnings,
        },
        Err(f) => Validated {
            sources: f.sources,
            diagnostics: f.diagnostics,
        },
    };
    let mut validated = match others.split_first() {
        None => check(parsed, environment),
        Some((first, rest)) => {
            let mut v = check(parsed, Some(first));
            // Parsing again gives the same files the same ids, so every diagnostic
            // renders against the first parse's sources.
            let mut found: Vec<(Diagnostic, Vec<&str>)> = v
                .diagnostics
                .drain(..)
                .map(|d| (d, vec![first.as_str()]))
                .collect();
            for env in rest {
                for d in check(parse_with(dir, world), Some(env)).diagnostics {
                    match found.iter_mut().find(|(x, _)| *x == d) {
                        Some((_, envs)) => envs.push(env),
                        None => found.push((d, vec![env.as_str()])),
                    }
                }
            }
            for (mut d, envs) in found {
                // A diagnostic of only some environments says which.
                if envs.len() < others.len() {
                    let names: Vec<String> = envs.iter().map(|e| format!("`{e}`")).collect();
                    let note = format!(
                        "(In environment{} {}.)",
                        if names.len() == 1 { "" } else { "s" },
                        names.join(", ")
                    );
                    d.help = Some(match d.help.take() {
                        Some(h) => format!("{h} {note}"),
                        None => note,
                    });
                }
                v.diagnostics.push(d);
            }
            v
        }
    };
    for d in every_backend {
        if !validated.diagnostics.contains(&d) {
            validated.diagnostics.push(d);
        }
    }
    validated
}

fn digest(sources: &SourceMap) -> String {
    // FNV-1a over paths and contents: a change detector, not a security measure.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    let mut files: Vec<_> = sources.files().map(|(_, f)| f).collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    for f in files {
        feed(f.path.display().to_string().as_bytes());
        feed(f.text.as_bytes());
    }
    format!("{h:016x}")
}
