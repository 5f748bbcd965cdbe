//! A [`Project`]: a configuration directory and the providers this aic offers — where
//! every operation starts.

use std::path::{Path, PathBuf};

use aic_lang::diag::Diagnostic;
use aic_provider::Registry;

use crate::codes;
use crate::load::{self, Parsed, VariableArgs};
use crate::planner::Workspace;
use crate::state::LocalBackend;

use super::events::{Event, Observer};
use super::OpError;

/// A configuration directory and the provider registry operations use on it.
#[derive(Clone)]
pub struct Project {
    dir: PathBuf,
    registry: Registry,
}

impl Project {
    pub fn new(dir: impl Into<PathBuf>, registry: Registry) -> Project {
        Project {
            dir: dir.into(),
            registry,
        }
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
    pub fn store(&self, parsed: &Parsed, env: &str) -> Result<LocalBackend, OpError> {
        match parsed.backend(env) {
            Ok(settings) => Ok(settings.open(&self.dir, env)?),
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
}
