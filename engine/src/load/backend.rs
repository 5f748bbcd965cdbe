//! Reading `backend` blocks (spec §3.12): the root module's `backend KIND { … }`, or the
//! one nested in an environment's block, which wins. Settings are known before any state
//! is read: literals, `env.name` and functions such as `env_var`. Every block is checked,
//! whichever environment is loaded; whether this aic offers a remote kind is known when
//! its store is opened (`Project::open_store`, E0651).

use std::collections::BTreeMap;

use aic_lang::ast::Block;
use aic_lang::config::Module;
use aic_lang::diag::{suggest, Diagnostic};
use aic_lang::eval::{Evaluator, Functions, Scope, ScopeMiss};
use aic_lang::value::Value;

use crate::backend::BackendSettings;
use crate::codes;
use crate::eval::Constants;

/// What a backend setting may name: `env.name`, the environment whose state it places.
struct SettingScope<'a> {
    env: &'a str,
}

impl Scope for SettingScope<'_> {
    fn resolve(&self, path: &[&str]) -> Result<(Value, usize), ScopeMiss> {
        match path {
            ["env", "name", ..] => Ok((Value::string(self.env), 2)),
            ["env", other, ..] => Err(ScopeMiss {
                segment: 1,
                code: &aic_lang::codes::E0202,
                label: format!("`env.{other}` cannot be used in a backend setting"),
                help: Some(HELP.into()),
            }),
            _ => Constants {
                what: "a backend setting",
                help: HELP,
            }
            .resolve(path),
        }
    }
}

const HELP: &str = "Backend settings are known before any state is read: write a literal value, use `env.name`, or call a function such as env_var(…).";

/// A backend kind of the spec: its settings, which of them are required, and what to
/// write in one.
struct Kind {
    name: &'static str,
    settings: &'static [&'static str],
    required: &'static [&'static str],
    example: &'static str,
}

/// Backend kinds of the spec (§3.12). Whether this aic offers the remote ones is known
/// when a store is opened (E0651).
const KINDS: [Kind; 3] = [
    Kind {
        name: "local",
        settings: &["path"],
        required: &[],
        example: "path = \"/srv/aic/state\"",
    },
    Kind {
        name: "postgres",
        settings: &["url", "schema"],
        required: &["url"],
        example: "url = env_var(\"AIC_PG_URL\")",
    },
    Kind {
        name: "s3",
        settings: &["bucket", "key", "region", "endpoint"],
        required: &["bucket", "region"],
        example: "bucket = \"my-state\"",
    },
];

/// The `backend` block that applies to environment `env`: the environment's own, else
/// the top-level one.
fn block_for<'m>(module: &'m Module, env: &str) -> Option<&'m Block> {
    module
        .environments
        .get(env)
        .and_then(|e| e.body.blocks().find(|b| b.kind.name == "backend"))
        .or_else(|| module.backends.first())
}

/// Reads one `backend` block for environment `env`.
fn read_block(
    b: &Block,
    env: &str,
    functions: &dyn Functions,
) -> Result<BackendSettings, Vec<Diagnostic>> {
    let kind_name = b.labels.first().map(|l| l.value.as_str()).unwrap_or("");
    let names: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
    let Some(kind) = KINDS.iter().find(|k| k.name == kind_name) else {
        let kind = kind_name;
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
    };
    let listed = kind
        .settings
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let its_settings = if kind.settings.len() == 1 {
        format!("The `{}` backend's one setting is {listed}.", kind.name)
    } else {
        format!("The `{}` backend's settings are {listed}.", kind.name)
    };
    let mut diags = Vec::new();
    for blk in b.body.blocks() {
        diags.push(
            Diagnostic::new(&codes::E0652)
                .with_primary(
                    blk.kind.span,
                    format!("the `{}` backend has no blocks", kind.name),
                )
                .with_help(its_settings.clone()),
        );
    }
    let scope = SettingScope { env };
    let mut values = BTreeMap::new();
    for a in b.body.attributes() {
        let name = a.name.name.as_str();
        if !kind.settings.contains(&name) {
            let help = match suggest(name, kind.settings.iter().copied()) {
                Some(s) => format!("Did you mean `{s}`? {its_settings}"),
                None => its_settings.clone(),
            };
            diags.push(
                Diagnostic::new(&codes::E0652)
                    .with_primary(
                        a.name.span,
                        format!("the `{}` backend has no setting `{name}`", kind.name),
                    )
                    .with_help(help),
            );
            continue;
        }
        match Evaluator::new(&scope, functions).eval(&a.value) {
            // A local path is shown in messages; a URL may carry a password.
            Ok(v) => match v
                .as_str()
                .filter(|_| kind.name != "local" || !v.is_sensitive())
            {
                Some(s) if !s.is_empty() => {
                    values.insert(name.to_string(), s.to_string());
                }
                _ => diags.push(
                    Diagnostic::new(&codes::E0652)
                        .with_primary(
                            a.value.span,
                            format!("`{name}` must be a non-empty string, found {}", v.type_of()),
                        )
                        .with_help(format!("For example `{}`.", kind.example)),
                ),
            },
            Err(e) => diags.push(e.to_diagnostic()),
        }
    }
    for required in kind.required {
        if b.body.attributes().all(|a| a.name.name != *required) {
            diags.push(
                Diagnostic::new(&codes::E0652)
                    .with_primary(
                        b.kind.span,
                        format!("the `{}` backend needs `{required}`", kind.name),
                    )
                    .with_help(its_settings.clone()),
            );
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(match kind.name {
        "local" => BackendSettings::Local {
            path: values.remove("path"),
        },
        other => BackendSettings::Remote {
            kind: other.to_string(),
            settings: values,
        },
    })
}

/// Checks every `backend` block of the root module (top level and per environment).
pub(crate) fn check(module: &Module, functions: &dyn Functions) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    // The top-level block is read as the first environment would (its value of
    // `env.name` does not change what is valid); each nested one as its own.
    let first = module
        .environments
        .keys()
        .next()
        .map(String::as_str)
        .unwrap_or("default");
    let nested = module.environments.iter().flat_map(|(name, e)| {
        e.body
            .blocks()
            .filter(|b| b.kind.name == "backend")
            .map(move |b| (b, name.as_str()))
    });
    for (b, env) in module.backends.iter().map(|b| (b, first)).chain(nested) {
        if let Err(d) = read_block(b, env, functions) {
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
        Some(b) => read_block(b, env, functions),
        None => Ok(BackendSettings::Default),
    }
}
