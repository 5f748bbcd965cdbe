//! The `azurerm` provider: Azure Resource Manager through the Azure SDK for Rust —
//! `azure_mgmt_compute` for compute, plain ARM REST through `azure_core`'s pipeline for
//! resource groups and networking (decision 0006), `azure_identity`'s client-secret
//! credential for tokens.
//!
//! | resources | data sources |
//! | --- | --- |
//! | `azurerm_resource_group`, `azurerm_virtual_network`, `azurerm_subnet`, `azurerm_network_interface`, `azurerm_linux_virtual_machine`, `azurerm_managed_disk`, `azurerm_virtual_machine_data_disk_attachment`, `azurerm_availability_set`, `azurerm_linux_virtual_machine_scale_set` | `azurerm_resource_group`, `azurerm_virtual_machine_sizes`, `azurerm_platform_image` |
//!
//! Each provider configuration is configured into its own [`Arm`] client (subscription,
//! default location, endpoint, authority host). Long-running operations are started with
//! one request and polled through the kit's `lro::arm`, honouring `Retry-After`; calls go
//! through the kit's backoff and error classification.
//!
//! **Architecture invariant**: this is the only crate that links the Azure SDK crates. It
//! talks to the engine only through the `aic-provider` traits and is reached only through a
//! [`Registry`] ([`register`]).

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use aic_lang::value::Value;
use aic_provider::{ConfiguredProvider, Provider, ProviderError, ProviderSchema, Registry};
use aic_provider_kit::{Backoff, Configured, Table};
use async_trait::async_trait;

mod attachment;
mod client;
mod compute;
pub mod config;
#[cfg(feature = "conformance")]
pub mod conformance;
mod data;
pub mod ids;
mod network;
mod scale_set;
mod typed;

pub use aic_provider_kit::Timing;
pub use client::{Arm, ATTEMPT_TIMEOUT, CLASSIFIER, SCOPE};
pub use config::Settings;

use typed::Typed;

/// The provider's types.
static TABLE: LazyLock<Arc<Table<Arm>>> = LazyLock::new(|| {
    Arc::new(
        Table::new(config::schema())
            .resource(Typed(network::ResourceGroup))
            .resource(Typed(network::VirtualNetwork))
            .resource(Typed(network::Subnet))
            .resource(Typed(network::NetworkInterface))
            .resource(Typed(compute::LinuxVirtualMachine))
            .resource(Typed(compute::ManagedDisk))
            .resource(attachment::DataDiskAttachment)
            .resource(Typed(compute::AvailabilitySet))
            .resource(Typed(scale_set::LinuxScaleSet))
            .data_source(data::ResourceGroupData)
            .data_source(data::VmSizes)
            .data_source(data::PlatformImage),
    )
});

/// The `azurerm` provider before configuration.
#[derive(Debug, Clone)]
pub struct AzureProvider {
    timing: Timing,
    backoff: Backoff,
    attempt_timeout: Duration,
}

impl Default for AzureProvider {
    fn default() -> Self {
        AzureProvider {
            timing: Timing::default(),
            backoff: Backoff::default(),
            attempt_timeout: ATTEMPT_TIMEOUT,
        }
    }
}

impl AzureProvider {
    pub fn new() -> AzureProvider {
        AzureProvider::default()
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
        self.backoff = Backoff::fast();
        self
    }

    /// This provider giving up on a request after `timeout` (a lost answer).
    #[must_use]
    pub fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// A client for `settings`, with credentials from the process environment.
    pub fn client(&self, settings: Settings) -> Result<Arm, ProviderError> {
        Arm::new(
            settings,
            |k| std::env::var(k).ok(),
            self.timing,
            self.backoff,
            self.attempt_timeout,
        )
    }
}

#[async_trait]
impl Provider for AzureProvider {
    fn schema(&self) -> &ProviderSchema {
        TABLE.schema()
    }

    fn sdk(&self) -> Option<String> {
        Some("azure_mgmt_compute 0.21 (package-2024-07-01), azure_core 0.21".to_owned())
    }

    async fn configure(
        &self,
        config: &Value,
    ) -> Result<Arc<dyn ConfiguredProvider>, ProviderError> {
        let arm = self.client(Settings::from_config(config)?)?;
        Ok(Arc::new(Configured::new(arm, TABLE.clone())))
    }
}

/// Registers the `azurerm` provider in `registry` (polling intervals from the environment:
/// `AIC_AZURE_POLL_MS`, see [`Timing::from_env`]).
pub fn register(registry: &mut Registry) {
    registry.register(
        "azurerm",
        Arc::new(AzureProvider::new().with_timing(Timing::from_env("AIC_AZURE_POLL_MS"))),
    );
}

/// The provider's schema (every type), for documentation and tests.
pub static SCHEMA: LazyLock<&'static ProviderSchema> = LazyLock::new(|| TABLE.schema());

/// The Markdown reference of the provider (the text of `docs/providers/azure.md`).
pub fn reference_markdown() -> String {
    let mut out = String::from(
        "# The `azurerm` provider\n\n\
         <!-- Generated from the provider schema; do not edit. Regenerate with\n     \
         cargo run -p aic-provider-azure --example gen-azure-docs > docs/providers/azure.md -->\n\n\
         Microsoft Azure through Azure Resource Manager (ARM): resource groups, virtual \
         networks, subnets, network interfaces, Linux virtual machines, managed disks, \
         availability sets and scale sets, with the names and attributes of Terraform's azurerm provider. \
         Compute goes through the Azure SDK for Rust's `azure_mgmt_compute` (API version \
         2024-07-01, disks 2024-03-02); resource groups (2021-04-01) and networking \
         (2024-03-01) through plain ARM REST on the same `azure_core` pipeline.\n\n\
         - **Use**: *required* attributes must be set; *optional* ones may be (the default \
         applies otherwise); *computed* ones are set by Azure and can be read from the \
         resource.\n\
         - **Force new**: changing the attribute replaces the object.\n\
         - **Credentials**: a service principal's client secret, from `AZURE_CLIENT_ID`, \
         `AZURE_CLIENT_SECRET` and `AZURE_TENANT_ID` (`azure_identity`'s \
         `ClientSecretCredential`), never from the configuration; tokens come from the \
         provider's `authority_host`, else `AZURE_AUTHORITY_HOST`, else \
         `https://login.microsoftonline.com`.\n\
         - **Operations**: creates, updates and deletes answer 201/202 with \
         `Azure-AsyncOperation` or `Location`; aic polls them (honouring `Retry-After`), \
         then reads the resource, whose `provisioningState` is the truth. Every operation \
         polls on its own: many VMs are created at once. An operation that ends `Failed` is \
         an error with ARM's code and message; the object it left (in state `Failed`) is \
         recorded tainted, so the next plan replaces it (as Terraform does). Set `AIC_AZURE_POLL_MS` to poll \
         faster than Azure needs (for the emulator).\n\
         - **Errors**: ARM's `{\"error\":{\"code\",\"message\"}}` codes map onto aic's \
         classes: `ResourceNotFound`/`ResourceGroupNotFound`, throttling (429, \
         `SubscriptionRequestsThrottled`; retried with backoff, honouring `Retry-After`), \
         5xx (retried), `Conflict`/`AnotherOperationInProgress`/`OperationNotAllowed`, \
         authentication; a 400 (`InvalidParameter`, …) points at the attribute ARM's \
         `target` names.\n\
         - **Refresh** is in bulk: one listing per collection (the VMs, disks, interfaces, \
         networks, availability sets of a resource group; the subnets of a network; the \
         subscription's resource groups), following `nextLink`; a VM's private addresses \
         come from one listing of its group's network interfaces.\n\
         - **Resource groups**: destroying a group deletes everything in it, as ARM does; \
         the plan shows only the group.\n\
         - **Import** (`aic import ADDR ID`) takes the ARM id \
         (`/subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/VM`), \
         case-insensitive as in Azure; a data disk attachment's id is \
         `VM_ID/dataDisks/DISK_NAME`.\n\
         - **Emulator**: `scripts/emulator.sh start azure` prints `endpoint=URL pid=PID`; set \
         `endpoint` and `authority_host` to that URL, and `AZURE_CLIENT_ID`, \
         `AZURE_CLIENT_SECRET`, `AZURE_TENANT_ID` to any values.\n\n",
    );
    out.push_str(&aic_provider::docs::markdown("azurerm", TABLE.schema()));
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
