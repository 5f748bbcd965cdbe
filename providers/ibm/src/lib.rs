//! The `ibm_quantum` provider: IBM Quantum Platform's Qiskit Runtime REST API over
//! `reqwest` (rustls), with IBM Cloud IAM token exchange. No Rust SDK of IBM exists.
//!
//! | resources | data sources |
//! | --- | --- |
//! | `ibm_quantum_session`, `ibm_quantum_job` | `ibm_quantum_backends`, `ibm_quantum_backend` |
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
#[cfg(feature = "conformance")]
pub mod conformance;
mod data;
mod job;
mod session;

pub use aic_provider_kit::Timing;
pub use client::{Ibm, API_VERSION};
pub use config::Settings;

/// The provider's types.
static TABLE: LazyLock<Arc<Table<Ibm>>> = LazyLock::new(|| {
    Arc::new(
        Table::new(config::schema())
            .resource(session::Session)
            .resource(job::Job)
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

/// The provider's schema (every type), for documentation and tests.
pub static SCHEMA: LazyLock<&'static ProviderSchema> = LazyLock::new(|| TABLE.schema());

pub(crate) use aic_provider_kit::values::problem_at;

/// The Markdown reference of the provider (the text of `docs/providers/ibm_quantum.md`).
pub fn reference_markdown() -> String {
    let mut out = String::from(
        "# The `ibm_quantum` provider\n\n\
         <!-- Generated from the provider schema; do not edit. Regenerate with\n     \
         cargo run -p aic-provider-ibm --example gen-ibm-docs > docs/providers/ibm_quantum.md -->\n\n\
         IBM Quantum Platform through the Qiskit Runtime REST API, over `reqwest` (rustls): \
         choose a backend by its properties, open a session, run sampler and estimator jobs \
         and record their results in the state (no Rust SDK of IBM exists).\n\n\
         - **Use**: *required* attributes must be set; *optional* ones may be (the default \
         applies otherwise); *computed* ones are set by IBM and can be read from the \
         resource.\n\
         - **Force new**: changing the attribute replaces the object. A job runs once: a \
         changed circuit, parameter or shot count submits a new job.\n\
         - **Credentials**: the API key comes from `IBM_CLOUD_API_KEY` (else \
         `QISKIT_IBM_TOKEN`) and is exchanged at IBM Cloud IAM for a bearer token, renewed \
         after 80 % of its life (and 10 s before it expires); a token revoked early (401) \
         is renewed once. Every call sends `Authorization`, `Service-CRN` (the `instance`) \
         and `IBM-API-Version`.\n\
         - **Emulator**: `scripts/emulator.sh start ibm-quantum` prints \
         `endpoint=URL pid=PID`; set both `endpoint` and `iam_endpoint` to that URL and any \
         API key. Set `AIC_IBM_POLL_MS` to poll faster than the 2 s the real service needs.\n\
         - **Jobs** wait until they end (`wait`, `wait_timeout`): a job that failed or was \
         cancelled is an error with IBM's reason code and text (`Error code 1516; Number \
         of qubits (6) in circuit-… is greater than maximum (5) …`), and is deleted again; \
         a job that has not ended in time is cancelled and deleted. Destroying a job \
         cancels it if it is still queued or running, then deletes it.\n\
         - **Lost answers**: every job aic submits carries the tag \
         `aic:create-token:TOKEN`, so that a submit whose answer was lost (a 5xx, a \
         timeout, a crash of aic) finds its job (`GET /jobs?tags=…`) instead of running it \
         twice. Tags starting with `aic:` are not shown in `tags`. IBM keeps no tags on \
         sessions and lists none: a lost answer to opening a session is an error, never \
         repeated.\n\
         - **Sessions** that closed (their `max_ttl` ran out, or someone closed them) read \
         as gone: the next apply opens a new one, and replaces the jobs that name it \
         (`lifecycle { ignore_changes = [session_id] }` on a job keeps it).\n\
         - **Import** (`aic import ADDR ID`) takes a session's or job's id.\n\
         - **Errors** carry IBM's numeric code and message. 429 (honouring `Retry-After`) \
         and 5xx answers are retried with backoff; a job submit answered 5xx (which may \
         have run) is retried only after looking for its job by its tag, and a session \
         open only when throttled (see lost answers).\n\n",
    );
    out.push_str(&aic_provider::docs::markdown("ibm_quantum", TABLE.schema()));
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
