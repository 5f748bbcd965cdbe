//! The providers built into aic: `null`, `random`, `local` and `time`, with the resource
//! and attribute names of Terraform's providers of the same names so that
//! configurations port unchanged.
//!
//! | provider | resources | data sources |
//! | --- | --- | --- |
//! | `null` | `null_resource` | `null_data_source` |
//! | `random` | `random_id`, `random_string`, `random_integer` | |
//! | `local` | `local_file`, `local_sensitive_file` | `local_file`, `local_sensitive_file` |
//! | `time` | `time_sleep` | |
//!
//! Each is a table of types on the provider kit (`aic-provider-kit`): a type is its
//! schema, declared with typed fields, and its operations.
//!
//! **Architecture invariant**: these providers touch only the local machine (files, the
//! clock, the random number generator), talk to the engine only through the
//! `aic-provider` traits, and are reached only through a [`Registry`]
//! ([`WithBuiltin::with_builtin`]). Relative paths are relative to the process's working
//! directory, which the engine sets to the configuration's directory.
//!
//! The reference in `docs/providers/builtin.md` is generated from the schemas by
//! `cargo run -p aic-provider-builtin --example gen-docs > docs/providers/builtin.md`;
//! a test fails when it is stale.

use std::sync::Arc;

use aic_lang::value::{AttrPath, PathStep};
use aic_provider::{Provider, Registry};

#[cfg(feature = "conformance")]
pub mod conformance;
pub mod duration;
mod entropy;
mod fsio;
pub mod local;
pub mod null;
pub mod random;
pub mod time;

/// The built-in providers with the names they are registered under.
pub fn providers() -> Vec<(&'static str, Arc<dyn Provider>)> {
    vec![
        ("null", Arc::new(null::provider())),
        ("random", Arc::new(random::provider())),
        ("local", Arc::new(local::provider())),
        ("time", Arc::new(time::provider())),
    ]
}

/// Registers the built-in providers in `registry`, replacing providers of the same names.
pub fn register(registry: &mut Registry) {
    for (name, provider) in providers() {
        registry.register(name, provider);
    }
}

/// A registry holding the built-in providers (the same as [`WithBuiltin::with_builtin`]).
pub fn registry() -> Registry {
    Registry::with_builtin()
}

/// `Registry::with_builtin()`: a registry holding the built-in providers. A trait because
/// the registry type lives in `aic-provider`, which must not depend on any provider.
pub trait WithBuiltin {
    fn with_builtin() -> Registry;
}

impl WithBuiltin for Registry {
    fn with_builtin() -> Registry {
        let mut registry = Registry::new();
        register(&mut registry);
        registry
    }
}

/// The Markdown reference of the built-in providers (the text of
/// `docs/providers/builtin.md`).
pub fn reference_markdown() -> String {
    let mut out = String::from(
        "# Built-in providers\n\n\
         <!-- Generated from the provider schemas; do not edit. Regenerate with\n     \
         cargo run -p aic-provider-builtin --example gen-docs > docs/providers/builtin.md -->\n\n\
         aic ships the `null`, `random`, `local` and `time` providers. Resource and attribute \
         names are those of Terraform's providers of the same names.\n\n\
         - **Use**: *required* attributes must be set; *optional* ones may be (the default \
         applies otherwise); *computed* ones are set by the provider and can be read from \
         the resource.\n\
         - **Force new**: changing the attribute replaces the resource (destroy and create) \
         instead of updating it in place.\n\
         - **Sensitive**: plans and outputs show `(sensitive)` instead of the value.\n\
         - **Paths**: a relative `filename` is relative to the working directory of aic, \
         which is the configuration's directory.\n\
         - **Permissions** (`file_permission`, `directory_permission`) are octal strings \
         applied when the file or directory is created, before the process umask, as \
         Terraform does: the default `\"0777\"` usually gives `0755`.\n\
         - **Random values** are generated once, at creation, and change only when the \
         resource is replaced. Unlike Terraform, `random_string.result` is sensitive (and \
         `random_string.id` is `\"none\"`).\n\n",
    );
    for (name, provider) in Registry::with_builtin().iter() {
        out.push_str(&aic_provider::docs::markdown(name, provider.schema()));
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// The path of a top-level attribute (`&[]`: the whole object).
pub(crate) fn schema_path(names: &[&str]) -> AttrPath {
    AttrPath::new(
        names
            .iter()
            .map(|name| PathStep::Attr((*name).to_owned()))
            .collect(),
    )
}
