//! The `ibm_quantum` provider: IBM Quantum Platform's Qiskit Runtime REST API over
//! `reqwest` (rustls), with IBM Cloud IAM token exchange. No Rust SDK of IBM exists.
//!
//! | resources | data sources |
//! | --- | --- |
//! | (issue 17, to come: `ibm_quantum_session`, `ibm_quantum_job`) | `ibm_quantum_backends`, `ibm_quantum_backend` |
//!
//! Each provider configuration is configured into its own [`Ibm`] client: the instance
//! CRN (`Service-CRN`), the API base URL, and a bearer token exchanged at IAM for the API
//! key from the environment and renewed before it expires. Calls go through the kit's
//! backoff and error classification.
//!
//! **Architecture invariant**: this is the only crate that links `reqwest`. It talks to the
//! engine only through the `aic-provider` traits and is reached only through a
//! [`Registry`] ([`register`]).

use std::sync::{Arc, LazyLock};

use aic_lang::value::Value;
use aic_provider::{ConfiguredProvider, Provider, ProviderError, ProviderSchema, Registry};
use aic_provider_kit::{Backoff, Configured, Table};
use async_trait::async_trait;

mod client;
pub mod config;
mod data;

pub use aic_provider_kit::Timing;
pub use client::{Ibm, API_VERSION};
pub use config::Settings;

/// The provider's types.
static TABLE: LazyLock<Arc<Table<Ibm>>> = LazyLock::new(|| {
    Arc::new(
        Table::new(config::schema())
            .data_source(data::Backends)
            .data_source(data::Backend),
    )
});

/// The `ibm_quantum` provider before configuration.
#[derive(Debug, Clone, Default)]
pub struct IbmProvider {
    timing: Timing,
    fast_backoff: bool,
}

impl IbmProvider {
    pub fn new() -> IbmProvider {
        IbmProvider::default()
    }

    /// This provider with other polling intervals (short ones for emulators and tests).
    #[must_use]
    pub fn with_timing(mut self, timing: Timing) -> Self {
        self.timing = timing;
        self
    }

    /// This provider retrying throttled and transient calls after short delays
    /// ([`Backoff::fast`], for emulators and tests).
    #[must_use]
    pub fn with_fast_backoff(mut self) -> Self {
        self.fast_backoff = true;
        self
    }

    /// A client for `settings` with the API key from the environment.
    pub fn client(&self, settings: Settings) -> Result<Ibm, ProviderError> {
        let key = config::api_key(|var| std::env::var(var).ok())?;
        let backoff = if self.fast_backoff {
            Backoff::fast()
        } else {
            Backoff::default()
        };
        Ok(Ibm::new(settings, key, self.timing, backoff))
    }
}

#[async_trait]
impl Provider for IbmProvider {
    fn schema(&self) -> &ProviderSchema {
        TABLE.schema()
    }

    fn sdk(&self) -> Option<String> {
        Some(format!(
            "Qiskit Runtime REST API (IBM-API-Version {API_VERSION}) over reqwest"
        ))
    }

    async fn configure(
        &self,
        config: &Value,
    ) -> Result<Arc<dyn ConfiguredProvider>, ProviderError> {
        let ibm = self.client(Settings::from_config(config)?)?;
        Ok(Arc::new(Configured::new(ibm, TABLE.clone())))
    }
}

/// Registers the `ibm_quantum` provider in `registry` (polling intervals from the
/// environment: `AIC_IBM_POLL_MS`, see [`Timing::from_env`]).
pub fn register(registry: &mut Registry) {
    registry.register(
        "ibm_quantum",
        Arc::new(IbmProvider::new().with_timing(Timing::from_env("AIC_IBM_POLL_MS"))),
    );
}
