//! A [`Project`]: a configuration directory and the providers this aic offers — where
//! every operation starts.

use std::path::{Path, PathBuf};

use aic_lang::diag::Diagnostic;
use aic_provider::Registry;

use crate::backend::{BackendSettings, EnvStore, StateBackends};
use crate::codes;
use crate::load::{self, Parsed, VariableArgs};
use crate::planner::Workspace;

use super::events::{Event, Observer};
use super::OpError;

/// A configuration directory and the provider registry operations use on it.
#[derive(Clone)]
pub struct Project {
    dir: PathBuf,
    registry: Registry,
    backends: StateBackends,
}

impl Project {
    pub fn new(dir: impl Into<PathBuf>, registry: Registry) -> Project {
        Project {
            dir: dir.into(),
            registry,
            backends: StateBackends::default(),
        }
    }

    /// The project with the state backends besides `local` that this aic offers.
    pub fn with_backends(mut self, backends: StateBackends) -> Project {
        self.backends = backends;
        self
    }

    /// The configuration directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The providers.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Reads and parses the configuration ([`load::parse`]).
    pub fn parse(&self) -> Parsed {
        load::parse(&self.dir)
    }

    /// The workspace of environment `environment` (`None`: the implicit `default`), with
    /// the warnings of loading reported to `observer`.
    pub fn workspace(
        &self,
        environment: Option<&str>,
        variables: &VariableArgs,
        observer: &dyn Observer,
    ) -> Result<Workspace, OpError> {
        self.check(self.parse(), environment, variables, observer)
    }

    /// Stage 2 of loading, then the workspace; warnings go to `observer`.
    pub(crate) fn check(
        &self,
        parsed: Parsed,
        environment: Option<&str>,
        variables: &VariableArgs,
        observer: &dyn Observer,
    ) -> Result<Workspace, OpError> {
        let config = parsed.check(environment, variables, &self.registry)?;
        if !config.warnings.is_empty() {
            observer.event(&Event::Diagnostics {
                sources: &config.sources,
                diagnostics: &config.warnings,
            });
        }
        Ok(Workspace::new(config, self.registry.clone())?)
    }

    /// The environment a state command works in: `explicit`, else `default` when the
    /// configuration declares no environments.
    pub fn environment(&self, parsed: &Parsed, explicit: Option<&str>) -> Result<String, OpError> {
        parsed.environment(explicit).map_err(OpError::diagnostic)
    }

    /// The store of environment `env`'s state, where its `backend` block says.
    pub fn store(&self, parsed: &Parsed, env: &str) -> Result<EnvStore, OpError> {
        match parsed.backend(env) {
            Ok(settings) => self.open_store(&settings, env),
            Err(mut diagnostics) => {
                diagnostics.push(
                    Diagnostic::new(&codes::E0653).with_help(format!(
                        "aic cannot tell where the state of environment `{env}` is kept: fix the configuration above first."
                    )),
                );
                Err(OpError::Diagnostics {
                    sources: parsed.sources.clone(),
                    diagnostics,
                })
            }
        }
    }

    /// The store `settings` name for environment `env`; E0651 when this aic has no
    /// backend of that kind.
    pub fn open_store(&self, settings: &BackendSettings, env: &str) -> Result<EnvStore, OpError> {
        match settings.open(&self.dir, env, &self.backends)? {
            Some(store) => Ok(store),
            None => {
                let kind = settings.kind();
                let offered: Vec<&str> = std::iter::once("local")
                    .chain(self.backends.kinds())
                    .collect();
                Err(OpError::diagnostic(Diagnostic::new(&codes::E0651).with_help(format!(
                    "The state of environment `{env}` is kept by the `{kind}` backend, which is not part of this build of aic (it offers {}). Use an aic built with the `{kind}` feature, or move the state with `aic init --migrate-state`.",
                    offered.join(", ")
                ))))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A build without a backend kind refuses its blocks when a store is opened, before
    /// anything is read or written; registering the kind opens it.
    #[test]
    fn a_backend_kind_this_build_lacks_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("main.aic"),
            "backend postgres {\n  url = \"postgres://db/aic\"\n}\n",
        )
        .expect("write");
        let project = Project::new(dir.path(), Registry::new());
        let parsed = project.parse();
        let err = project
            .store(&parsed, "default")
            .expect_err("no postgres backend in this project");
        let text = format!("{:?}", err.diagnostics());
        assert!(text.contains("E0651"), "{text}");
        assert!(
            text.contains("the `postgres` backend, which is not part of this build of aic"),
            "{text}"
        );
        assert!(!dir.path().join(".aic").exists(), "nothing was written");

        let mut backends = StateBackends::default();
        backends.register("postgres", |settings, env| {
            assert_eq!(settings["url"], "postgres://db/aic");
            let dir = std::env::temp_dir().join(format!("aic-test-{}", std::process::id()));
            Ok(std::sync::Arc::new(crate::state::LocalFiles::in_dir(
                dir, env,
            )?))
        });
        let store = project
            .with_backends(backends)
            .store(&parsed, "default")
            .expect("registered");
        assert_eq!(crate::state::StateStore::environment(&store), "default");
    }
}
