//! Reading `backend` blocks (spec §3.12): the root module's `backend KIND { … }`, or the
//! one nested in an environment's block, which wins. Settings are known before any state
//! is read: literals, `env.name` and functions such as `env_var`. Every block is checked,
//! whichever environment is loaded; whether this aic offers a remote kind is known when
//! its store is opened (`Project::open_store`, E0651).

use std::collections::BTreeMap;

use aic_lang::ast::Block;
use aic_lang::check::{root_variable_values, Inputs};
use aic_lang::config::Module;
use aic_lang::diag::{suggest, Diagnostic};
use aic_lang::eval::{Evaluator, Functions, Scope, ScopeMiss};
use aic_lang::value::Value;

use crate::backend::{BackendSettings, EncryptionSettings, Place, SecretSetting};
use crate::codes;
use crate::eval::Constants;

/// What a backend setting may name: `env.name`, the environment whose state it places,
/// and the root module's variables (`var.NAME`) that have a value.
struct SettingScope<'a> {
    env: &'a str,
    vars: &'a Inputs,
}

impl Scope for SettingScope<'_> {
    fn resolve(&self, path: &[&str]) -> Result<(Value, usize), ScopeMiss> {
        match path {
            ["env", "name", ..] => Ok((Value::string(self.env), 2)),
            ["var", name, ..] => match self.vars.get(*name) {
                Some(v) => Ok((v.clone(), 2)),
                None => Err(ScopeMiss {
                    segment: 1,
                    code: &aic_lang::codes::E0202,
                    label: format!("`var.{name}` has no value here"),
                    help: Some(format!("A backend setting may read a root variable that is declared and has a value before any state is read: its default, the environment's `vars`, `AIC_VAR_{name}`, or `--var` for the commands that take it.")),
                }),
            },
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

const HELP: &str = "Backend settings are known before any state is read: write a literal value, use `env.name` or `var.NAME`, or call a function such as env_var(…).";

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
pub(crate) fn block_for<'m>(module: &'m Module, env: &str) -> Option<&'m Block> {
    module
        .environments
        .get(env)
        .and_then(|e| e.body.blocks().find(|b| b.kind.name == "backend"))
        .or_else(|| module.backends.first())
}

/// Reads one `backend` block for environment `env`, whose root variables are `vars`.
fn read_block(
    b: &Block,
    env: &str,
    vars: &Inputs,
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
    let scope = SettingScope { env, vars };
    let mut encryption = None;
    for blk in b.body.blocks() {
        if blk.kind.name != "encryption" {
            diags.push(
                Diagnostic::new(&codes::E0652)
                    .with_primary(
                        blk.kind.span,
                        format!("the `{}` backend has no `{}` block", kind.name, blk.kind.name),
                    )
                    .with_help(format!(
                        "{its_settings} Its one block is `encryption {{ key = env_var(\"AIC_STATE_KEY\") }}`."
                    )),
            );
        } else if encryption.is_some() {
            diags.push(
                Diagnostic::new(&codes::E0652)
                    .with_primary(blk.kind.span, "a second `encryption` block")
                    .with_help("A backend has one `encryption` block; put `fallback_key` (or `fallback_passphrase`) in it to rotate keys."),
            );
        } else {
            match read_encryption(blk, &scope, functions) {
                Ok(e) => encryption = Some(Some(e)),
                Err(d) => {
                    diags.extend(d);
                    encryption = Some(None);
                }
            }
        }
    }
    let mut values = BTreeMap::new();
    for a in b.body.attributes() {
        let name = a.name.name.as_str();
        if !kind.settings.contains(&name) {
            diags.push(unknown_setting(
                a,
                &format!("the `{}` backend", kind.name),
                kind.settings,
                &its_settings,
            ));
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
    let place = match kind.name {
        "local" => Place::Local {
            path: values.remove("path"),
        },
        other => Place::Remote {
            kind: other.to_string(),
            settings: values,
        },
    };
    Ok(BackendSettings {
        place,
        encryption: encryption.flatten(),
    })
}

/// E0652: `a` names a setting `what` (a backend, an `encryption` block) does not have
/// (`known`), with a suggestion and `help`.
fn unknown_setting(
    a: &aic_lang::ast::Attribute,
    what: &str,
    known: &[&str],
    help: &str,
) -> Diagnostic {
    let name = a.name.name.as_str();
    let help = match suggest(name, known.iter().copied()) {
        Some(s) => format!("Did you mean `{s}`? {help}"),
        None => help.to_owned(),
    };
    Diagnostic::new(&codes::E0652)
        .with_primary(a.name.span, format!("{what} has no setting `{name}`"))
        .with_help(help)
}

const ENCRYPTION_HELP: &str = "An `encryption` block has `key` (32 bytes in base64, e.g. from `openssl rand -base64 32`) or `passphrase`, and for rotation `fallback_key` or `fallback_passphrase`: `encryption { key = env_var(\"AIC_STATE_KEY\") }`.";

/// Reads a backend's `encryption` block: one of `key`/`passphrase`, at most one of
/// `fallback_key`/`fallback_passphrase`. A key that is not 32 bytes of base64 or an
/// empty passphrase is E0624, at its value.
fn read_encryption(
    blk: &Block,
    scope: &SettingScope<'_>,
    functions: &dyn Functions,
) -> Result<EncryptionSettings, Vec<Diagnostic>> {
    const SETTINGS: [&str; 4] = ["key", "passphrase", "fallback_key", "fallback_passphrase"];
    let mut diags = Vec::new();
    for inner in blk.body.blocks() {
        diags.push(
            Diagnostic::new(&codes::E0652)
                .with_primary(inner.kind.span, "an `encryption` block has no blocks")
                .with_help(ENCRYPTION_HELP),
        );
    }
    let mut primary: Option<(SecretSetting, aic_lang::source::Span)> = None;
    let mut fallback: Option<(SecretSetting, aic_lang::source::Span)> = None;
    for a in blk.body.attributes() {
        let name = a.name.name.as_str();
        if !SETTINGS.contains(&name) {
            diags.push(unknown_setting(
                a,
                "an `encryption` block",
                &SETTINGS,
                ENCRYPTION_HELP,
            ));
            continue;
        }
        let text = match Evaluator::new(scope, functions).eval(&a.value) {
            Ok(v) => match v.as_str() {
                Some(s) => s.to_string(),
                None => {
                    diags.push(
                        Diagnostic::new(&codes::E0652)
                            .with_primary(
                                a.value.span,
                                format!("`{name}` must be a string, found {}", v.type_of()),
                            )
                            .with_help(ENCRYPTION_HELP),
                    );
                    continue;
                }
            },
            Err(e) => {
                diags.push(e.to_diagnostic());
                continue;
            }
        };
        // An empty fallback is none: `env_var("AIC_STATE_OLD_KEY", "")` while not rotating.
        if name.starts_with("fallback_") && text.is_empty() {
            continue;
        }
        let setting = if name.ends_with("key") {
            SecretSetting::Key(text)
        } else {
            SecretSetting::Passphrase(text)
        };
        if let Err(e) = setting.secret() {
            diags.push(
                Diagnostic::new(&codes::E0624)
                    .with_primary(a.value.span, format!("`{name}` cannot be used: {e}"))
                    .with_help(if name.ends_with("key") {
                        "A key is 32 random bytes in base64: make one with `openssl rand -base64 32` and keep it in the variable `env_var` reads, or use `passphrase` instead."
                    } else {
                        "A passphrase must not be empty."
                    }),
            );
            continue;
        }
        let slot = if name.starts_with("fallback_") {
            &mut fallback
        } else {
            &mut primary
        };
        if let Some((_, first)) = slot {
            diags.push(
                Diagnostic::new(&codes::E0652)
                    .with_primary(a.name.span, format!("`{name}` and another secret of its kind"))
                    .with_secondary(*first, "the first one")
                    .with_help("An `encryption` block seals with one secret (`key` or `passphrase`) and may open with one more (`fallback_key` or `fallback_passphrase`)."),
            );
            continue;
        }
        *slot = Some((setting, a.name.span));
    }
    if primary.is_none()
        && blk
            .body
            .attributes()
            .all(|a| a.name.name != "key" && a.name.name != "passphrase")
    {
        diags.push(
            Diagnostic::new(&codes::E0652)
                .with_primary(
                    blk.kind.span,
                    "the `encryption` block needs `key` or `passphrase`",
                )
                .with_help(ENCRYPTION_HELP),
        );
    }
    match primary {
        Some((primary, _)) if diags.is_empty() => Ok(EncryptionSettings {
            primary,
            fallback: fallback.map(|(f, _)| f),
        }),
        _ => Err(diags),
    }
}

/// The root variables of environment `env` for its backend settings, from `inputs`.
fn variables(module: &Module, env: &str, inputs: &Inputs, functions: &dyn Functions) -> Inputs {
    let selected = (!module.environments.is_empty() || env != "default").then_some(env);
    root_variable_values(module, selected, inputs, functions)
}

/// Checks every `backend` block of the root module (top level and per environment),
/// with the variable values `inputs`.
pub(crate) fn check(
    module: &Module,
    inputs: &Inputs,
    functions: &dyn Functions,
) -> Vec<Diagnostic> {
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
        let vars = variables(module, env, inputs, functions);
        if let Err(d) = read_block(b, env, &vars, functions) {
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

/// The settings that apply to environment `env` (none: the default place), with the
/// variable values `inputs`.
pub(crate) fn settings_for(
    module: &Module,
    env: &str,
    inputs: &Inputs,
    functions: &dyn Functions,
) -> Result<BackendSettings, Vec<Diagnostic>> {
    match block_for(module, env) {
        Some(b) => read_block(
            b,
            env,
            &variables(module, env, inputs, functions),
            functions,
        ),
        None => Ok(BackendSettings::default()),
    }
}
