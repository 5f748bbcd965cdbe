//! Reading `backend` blocks (spec §3.12): the root module's `backend KIND { … }`, or the
//! one nested in an environment's block, which wins. Settings are constants (literals and
//! functions such as `env_var`). Every block is checked, whichever environment is loaded.

use aic_lang::ast::Block;
use aic_lang::config::Module;
use aic_lang::diag::{suggest, Diagnostic};
use aic_lang::eval::{Evaluator, Functions};

use crate::backend::BackendSettings;
use crate::codes;
use crate::eval::Constants;

/// Backend settings may use no names.
const SETTING: Constants = Constants {
    what: "a backend setting",
    help: "Backend settings are constants: write a literal value, or call a function such as env_var(…).",
};

/// Backend kinds of the spec, and whether this build has them.
const KINDS: [(&str, bool); 3] = [("local", true), ("postgres", false), ("s3", false)];

/// The local backend's settings.
const LOCAL_SETTINGS: [&str; 1] = ["path"];

/// The `backend` block that applies to environment `env`: the environment's own, else
/// the top-level one.
fn block_for<'m>(module: &'m Module, env: &str) -> Option<&'m Block> {
    module
        .environments
        .get(env)
        .and_then(|e| e.body.blocks().find(|b| b.kind.name == "backend"))
        .or_else(|| module.backends.first())
}

/// Reads one `backend` block.
fn read_block(b: &Block, functions: &dyn Functions) -> Result<BackendSettings, Vec<Diagnostic>> {
    let kind = b.labels.first().map(|l| l.value.as_str()).unwrap_or("");
    let names: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
    match KINDS.iter().find(|(k, _)| *k == kind) {
        None => {
            let mut d = Diagnostic::new(&codes::E0650).with_primary(
                b.kind.span,
                if kind.is_empty() {
                    "a backend needs a kind: `backend local { … }`".to_string()
                } else {
                    format!("`{kind}` is not a backend")
                },
            );
            d = d.with_help(match suggest(kind, names.iter().copied()) {
                Some(s) if !kind.is_empty() => {
                    format!("Did you mean `{s}`? Backends: {}.", names.join(", "))
                }
                _ => format!("Backends: {}.", names.join(", ")),
            });
            return Err(vec![d]);
        }
        Some((_, false)) => {
            return Err(vec![Diagnostic::new(&codes::E0651)
                .with_primary(
                    b.kind.span,
                    format!("the `{kind}` backend is not part of this build of aic"),
                )
                .with_help(
                    "This build keeps state with the `local` backend only: remove the block, or write `backend local { path = \"DIR\" }` (DIR may be a shared, backed-up volume).",
                )]);
        }
        Some((_, true)) => {}
    }
    let mut diags = Vec::new();
    let mut path = None;
    for blk in b.body.blocks() {
        diags.push(
            Diagnostic::new(&codes::E0652)
                .with_primary(blk.kind.span, "the `local` backend has no blocks")
                .with_help("Its one setting is `path = \"DIR\"`."),
        );
    }
    for a in b.body.attributes() {
        let name = a.name.name.as_str();
        if !LOCAL_SETTINGS.contains(&name) {
            let help = match suggest(name, LOCAL_SETTINGS.iter().copied()) {
                Some(s) => {
                    format!("Did you mean `{s}`? The `local` backend's one setting is `path`.")
                }
                None => "The `local` backend's one setting is `path`.".to_string(),
            };
            diags.push(
                Diagnostic::new(&codes::E0652)
                    .with_primary(
                        a.name.span,
                        format!("the `local` backend has no setting `{name}`"),
                    )
                    .with_help(help),
            );
            continue;
        }
        match Evaluator::new(&SETTING, functions).eval(&a.value) {
            Ok(v) => match v.as_str() {
                Some(s) if !s.is_empty() && !v.is_sensitive() => path = Some(s.to_string()),
                _ => diags.push(
                    Diagnostic::new(&codes::E0652)
                        .with_primary(
                            a.value.span,
                            format!("`path` must be a non-empty string, found {}", v.type_of()),
                        )
                        .with_help("Write the directory for the state files, e.g. `path = \"/srv/aic/state\"`."),
                ),
            },
            Err(e) => diags.push(e.to_diagnostic()),
        }
    }
    if diags.is_empty() {
        Ok(BackendSettings::Local { path })
    } else {
        Err(diags)
    }
}

/// Checks every `backend` block of the root module (top level and per environment).
pub(crate) fn check(module: &Module, functions: &dyn Functions) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let nested = module
        .environments
        .values()
        .flat_map(|e| e.body.blocks().filter(|b| b.kind.name == "backend"));
    for b in module.backends.iter().chain(nested) {
        if let Err(d) = read_block(b, functions) {
            diags.extend(d);
        }
    }
    if let Some(second) = module.backends.get(1) {
        diags.push(
            Diagnostic::new(&codes::E0652)
                .with_primary(second.kind.span, "a second top-level backend")
                .with_secondary(module.backends[0].kind.span, "the first one")
                .with_help("A configuration has one top-level backend; an environment may set its own inside its block."),
        );
    }
    diags
}

/// The settings that apply to environment `env` (none: the default place).
pub(crate) fn settings_for(
    module: &Module,
    env: &str,
    functions: &dyn Functions,
) -> Result<BackendSettings, Vec<Diagnostic>> {
    match block_for(module, env) {
        Some(b) => read_block(b, functions),
        None => Ok(BackendSettings::Default),
    }
}
