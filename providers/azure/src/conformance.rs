//! The conformance cases of the `azurerm` provider (feature `conformance`), against the
//! ARM emulator (`scripts/emulator.sh start azure`; a missing venv fails naming
//! `scripts/emulator.sh install azure`): one per resource type, for
//! [`aic_provider_testkit::Suite::run`]. Faults and changes out of band go through the
//! emulator's control API; objects are counted through ARM's own list calls. The objects a
//! case needs (a group, a network, a VM) are made through the provider itself.

use std::sync::Arc;
use std::time::Duration;

use aic_lang::value::Value;
use aic_provider::{ConfiguredProvider, PlanRequest, Provider};
use aic_provider_testkit::backend::Emulator;
use aic_provider_testkit::http;
use aic_provider_testkit::{
    Aic, Case, Drift, EmulatorFaults, Import, Scenario, Suite, Target, Variant,
};
use async_trait::async_trait;
use serde_json::json;

use crate::{AzureProvider, Timing};

/// The subscription of every conformance object.
pub const SUBSCRIPTION: &str = "00000000-0000-0000-0000-0000000c0f00";
/// Their location.
pub const LOCATION: &str = "westeurope";
/// The group every case's objects are in (but the group case's own).
pub const GROUP: &str = "conf-rg";
/// The credentials the emulator accepts (any).
pub const CREDENTIALS: [(&str, &str); 3] = [
    ("AZURE_CLIENT_ID", "conformance-client"),
    ("AZURE_CLIENT_SECRET", "conformance-secret"),
    ("AZURE_TENANT_ID", "conformance-tenant"),
];

/// Sets the credential variables the provider reads (the emulator accepts any).
pub fn set_credentials() {
    for (k, v) in CREDENTIALS {
        if std::env::var(k).is_err() {
            std::env::set_var(k, v);
        }
    }
}

/// The emulator of one run, and the provider configured against it.
pub struct Backend {
    pub emulator: Emulator,
    provider: tokio::sync::OnceCell<Arc<dyn ConfiguredProvider>>,
}

impl Backend {
    /// Starts the emulator (operations take 50 ms, `Retry-After: 0`).
    pub fn start() -> Result<Arc<Backend>, String> {
        set_credentials();
        let emulator = Emulator::start(
            "azure",
            &[
                r#"delays={"default":0.05}"#,
                "retry_after=0",
                "accept_any_token=true",
            ],
        );
        Ok(Arc::new(Backend {
            emulator,
            provider: tokio::sync::OnceCell::new(),
        }))
    }

    /// The provider configured for the emulator: fast polls and retries, and a 400 ms
    /// attempt timeout (the injected timeouts hold an answer 500 ms).
    pub async fn provider(&self) -> Result<Arc<dyn ConfiguredProvider>, String> {
        self.provider
            .get_or_try_init(|| async {
                AzureProvider::new()
                    .with_timing(Timing::fast())
                    .with_fast_backoff()
                    .with_attempt_timeout(Duration::from_millis(400))
                    .configure(&provider_config(self.emulator.endpoint()))
                    .await
                    .map_err(|e| e.to_string())
            })
            .await
            .cloned()
    }

    /// The run of the `azurerm` provider; `aic` runs its crash-recovery step.
    pub async fn suite(self: &Arc<Self>, aic: Option<Aic>) -> Result<Suite, String> {
        let mut aic = aic.map(|a| a.env("AIC_AZURE_POLL_MS", "10"));
        for (k, v) in CREDENTIALS {
            aic = aic.map(|a| a.env(k, v));
        }
        Ok(Suite {
            provider_name: "azurerm".to_owned(),
            provider_config: provider_config(self.emulator.endpoint()),
            provider: self.provider().await?,
            faults: Arc::new(EmulatorFaults::new(self.emulator.endpoint())?),
            aic,
            attempts: 5,
        })
    }

    /// One case per resource type.
    pub fn cases(self: &Arc<Self>) -> Vec<Box<dyn Case>> {
        let b = || self.clone();
        vec![
            Box::new(GroupCase(b())),
            Box::new(NetworkCase(b())),
            Box::new(SubnetCase(b())),
            Box::new(NicCase(b())),
            Box::new(VmCase(b())),
            Box::new(DiskCase(b())),
            Box::new(AttachmentCase(b())),
            Box::new(AvailabilitySetCase(b())),
            Box::new(ScaleSetCase(b())),
        ]
    }

    /// An ARM call (`path` from `/subscriptions/…`, api-version included) with any token.
    pub fn api(
        &self,
        method: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        let port = http::port_of(self.emulator.endpoint()).ok_or("no emulator port")?;
        let body = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        let answer = arm_request(port, method, path, &body).map_err(|e| format!("{path}: {e}"))?;
        if answer.status() >= 300 {
            return Err(format!("{method} {path}: {}", answer.text()));
        }
        Ok(serde_json::from_slice(&answer.body).unwrap_or(serde_json::Value::Null))
    }

    /// The names in the collection at `path` (every page).
    pub fn names(&self, path: &str) -> Result<Vec<String>, String> {
        let listed = self.api("GET", path, &json!(null))?;
        let mut names: Vec<String> = listed["value"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v["name"].as_str().map(str::to_owned))
            .collect();
        if let Some(next) = listed["nextLink"].as_str() {
            let at = next.find("/subscriptions/").unwrap_or(0);
            names.extend(self.names(&next[at..])?);
        }
        Ok(names)
    }

    /// Changes the object `id` out of band (a JSON merge patch of what GET shows).
    pub fn drift(&self, id: &str, patch: serde_json::Value) -> Result<(), String> {
        self.emulator
            .control("azure/drift", &json!({"id": id, "patch": patch}))
            .map(|_| ())
    }

    /// Creates `config` of `type_name` through the provider unless `id` exists.
    pub async fn ensure(&self, type_name: &str, id: &str, config: Value) -> Result<Value, String> {
        let provider = self.provider().await?;
        if let Ok(Some(found)) = provider.import(type_name, id).await {
            return Ok(found);
        }
        let planned = provider
            .plan(PlanRequest {
                type_name: type_name.to_owned(),
                prior: None,
                config,
            })
            .await
            .map_err(|e| format!("plan {type_name}: {e}"))?
            .planned;
        provider
            .create(type_name, &planned)
            .await
            .map_err(|e| format!("create {type_name}: {e}"))
    }

    /// The conformance group.
    pub async fn group(&self) -> Result<(), String> {
        self.ensure(
            "azurerm_resource_group",
            &group_id(GROUP),
            obj([("name", s(GROUP)), ("location", s(LOCATION))]),
        )
        .await
        .map(|_| ())
    }

    /// The network of the cases below it, and its subnet `name` (`prefix`).
    pub async fn subnet(&self, name: &str, prefix: &str) -> Result<String, String> {
        self.group().await?;
        self.ensure(
            "azurerm_virtual_network",
            &format!(
                "{}/providers/Microsoft.Network/virtualNetworks/conf-net",
                group_id(GROUP)
            ),
            obj([
                ("name", s("conf-net")),
                ("resource_group_name", s(GROUP)),
                ("location", s(LOCATION)),
                ("address_space", Value::list([s("10.2.0.0/16")])),
            ]),
        )
        .await?;
        let id = format!(
            "{}/providers/Microsoft.Network/virtualNetworks/conf-net/subnets/{name}",
            group_id(GROUP)
        );
        self.ensure(
            "azurerm_subnet",
            &id,
            obj([
                ("name", s(name)),
                ("resource_group_name", s(GROUP)),
                ("virtual_network_name", s("conf-net")),
                ("address_prefixes", Value::list([s(prefix)])),
            ]),
        )
        .await?;
        Ok(id)
    }

    /// A network interface `name` in subnet `conf-vms`.
    pub async fn nic(&self, name: &str) -> Result<String, String> {
        let subnet = self.subnet("conf-vms", "10.2.3.0/24").await?;
        let id = format!(
            "{}/providers/Microsoft.Network/networkInterfaces/{name}",
            group_id(GROUP)
        );
        self.ensure("azurerm_network_interface", &id, nic(name, &subnet, "a"))
            .await?;
        Ok(id)
    }
}

/// One ARM request to the emulator on `port`, with a bearer token (any: the emulator runs
/// with `accept_any_token`).
pub fn arm_request(
    port: u16,
    method: &str,
    path: &str,
    body: &str,
) -> std::io::Result<http::Message> {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer conformance\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut reader = std::io::BufReader::new(stream);
    http::read_message(&mut reader, true)?
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "no answer"))
}

/// `/subscriptions/SUB/resourceGroups/NAME`
pub fn group_id(name: &str) -> String {
    format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/{name}")
}

/// The `provider azurerm` block for the emulator at `endpoint`.
pub fn provider_config(endpoint: &str) -> Value {
    Value::object([
        ("subscription_id", Value::string(SUBSCRIPTION)),
        ("location", Value::string(LOCATION)),
        ("endpoint", Value::string(endpoint)),
        ("authority_host", Value::string(endpoint)),
    ])
}

fn s(text: &str) -> Value {
    Value::string(text)
}

fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::object(pairs)
}

fn tags(team: &str) -> Value {
    Value::map([("team", s(team))])
}

fn id_of(object: &Value) -> String {
    object
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn count(names: Vec<String>, wanted: &[&str]) -> usize {
    names
        .iter()
        .filter(|n| wanted.contains(&n.as_str()))
        .count()
}

fn in_group(collection: &str, api: &str) -> String {
    format!(
        "{}/providers/{collection}?api-version={api}",
        group_id(GROUP)
    )
}

fn tag_drift() -> serde_json::Value {
    json!({"tags": {"team": "changed-by-hand"}})
}

fn put_request(contains: String) -> Option<Target> {
    Some(Target::Request {
        method: Some("PUT".into()),
        contains,
    })
}

/// A network interface in `subnet`.
pub fn nic(name: &str, subnet: &str, team: &str) -> Value {
    obj([
        ("name", s(name)),
        ("resource_group_name", s(GROUP)),
        ("tags", tags(team)),
        (
            "ip_configuration",
            Value::list([obj([
                ("name", s("internal")),
                ("subnet_id", s(subnet)),
                ("private_ip_address_allocation", s("Dynamic")),
            ])]),
        ),
    ])
}

struct GroupCase(Arc<Backend>);

const CASE_GROUP: &str = "conf-group";

fn group(location: &str, team: &str) -> Value {
    obj([
        ("name", s(CASE_GROUP)),
        ("location", s(location)),
        ("tags", tags(team)),
    ])
}

#[async_trait]
impl Case for GroupCase {
    fn type_name(&self) -> &'static str {
        "azurerm_resource_group"
    }

    async fn scenario(&self) -> Result<Scenario, String> {
        Ok(Scenario {
            create: group(LOCATION, "a"),
            update: Variant::To(group(LOCATION, "b")),
            replace: Variant::To(group("northeurope", "b")),
            import: Import::Id(Box::new(id_of)),
            import_ignores: vec![],
            create_request: put_request(format!("/resourceGroups/{CASE_GROUP}")),
        })
    }

    async fn drift(&self, object: &Value) -> Result<Drift, String> {
        self.0.drift(&id_of(object), tag_drift())?;
        Ok(Drift::Made)
    }

    async fn count(&self) -> Result<Option<usize>, String> {
        let names = self.0.names(&format!(
            "/subscriptions/{SUBSCRIPTION}/resourcegroups?api-version=2021-04-01"
        ))?;
        Ok(Some(count(names, &[CASE_GROUP])))
    }
}

struct NetworkCase(Arc<Backend>);

fn network(location: &str, team: &str) -> Value {
    obj([
        ("name", s("conf-vnet")),
        ("resource_group_name", s(GROUP)),
        ("location", s(location)),
        ("address_space", Value::list([s("10.1.0.0/16")])),
        ("tags", tags(team)),
    ])
}

#[async_trait]
impl Case for NetworkCase {
    fn type_name(&self) -> &'static str {
        "azurerm_virtual_network"
    }

    async fn scenario(&self) -> Result<Scenario, String> {
        self.0.group().await?;
        Ok(Scenario {
            create: network(LOCATION, "a"),
            update: Variant::To(network(LOCATION, "b")),
            replace: Variant::To(network("northeurope", "b")),
            import: Import::Id(Box::new(id_of)),
            import_ignores: vec![],
            create_request: put_request("/virtualNetworks/conf-vnet".into()),
        })
    }

    async fn drift(&self, object: &Value) -> Result<Drift, String> {
        self.0.drift(&id_of(object), tag_drift())?;
        Ok(Drift::Made)
    }

    async fn count(&self) -> Result<Option<usize>, String> {
        let names = self
            .0
            .names(&in_group("Microsoft.Network/virtualNetworks", "2024-03-01"))?;
        Ok(Some(count(names, &["conf-vnet"])))
    }
}

struct SubnetCase(Arc<Backend>);

fn subnet(name: &str, prefix: &str) -> Value {
    obj([
        ("name", s(name)),
        ("resource_group_name", s(GROUP)),
        ("virtual_network_name", s("conf-net")),
        ("address_prefixes", Value::list([s(prefix)])),
    ])
}

#[async_trait]
impl Case for SubnetCase {
    fn type_name(&self) -> &'static str {
        "azurerm_subnet"
    }

    async fn scenario(&self) -> Result<Scenario, String> {
        self.0.subnet("conf-vms", "10.2.3.0/24").await?;
        Ok(Scenario {
            create: subnet("conf-subnet", "10.2.1.0/24"),
            update: Variant::To(subnet("conf-subnet", "10.2.1.0/25")),
            replace: Variant::To(subnet("conf-subnet2", "10.2.1.0/25")),
            import: Import::Id(Box::new(id_of)),
            import_ignores: vec![],
            create_request: put_request("/subnets/conf-subnet".into()),
        })
    }

    async fn drift(&self, object: &Value) -> Result<Drift, String> {
        self.0.drift(
            &id_of(object),
            json!({"properties": {"addressPrefixes": ["10.2.1.0/26"]}}),
        )?;
        Ok(Drift::Made)
    }

    async fn count(&self) -> Result<Option<usize>, String> {
        let names = self.0.names(&in_group(
            "Microsoft.Network/virtualNetworks/conf-net/subnets",
            "2024-03-01",
        ))?;
        Ok(Some(count(names, &["conf-subnet", "conf-subnet2"])))
    }
}

struct NicCase(Arc<Backend>);

#[async_trait]
impl Case for NicCase {
    fn type_name(&self) -> &'static str {
        "azurerm_network_interface"
    }

    async fn scenario(&self) -> Result<Scenario, String> {
        let subnet = self.0.subnet("conf-nics", "10.2.2.0/24").await?;
        Ok(Scenario {
            create: nic("conf-nic", &subnet, "a"),
            update: Variant::To(nic("conf-nic", &subnet, "b")),
            replace: Variant::To(nic("conf-nic2", &subnet, "b")),
            import: Import::Id(Box::new(id_of)),
            import_ignores: vec![],
            create_request: put_request("/networkInterfaces/conf-nic".into()),
        })
    }

    async fn drift(&self, object: &Value) -> Result<Drift, String> {
        self.0.drift(&id_of(object), tag_drift())?;
        Ok(Drift::Made)
    }

    async fn count(&self) -> Result<Option<usize>, String> {
        let names = self.0.names(&in_group(
            "Microsoft.Network/networkInterfaces",
            "2024-03-01",
        ))?;
        Ok(Some(count(names, &["conf-nic", "conf-nic2"])))
    }
}

struct VmCase(Arc<Backend>);

/// A Linux VM on network interface `nic`.
pub fn vm(name: &str, nic: &str, size: &str, admin: &str) -> Value {
    obj([
        ("name", s(name)),
        ("resource_group_name", s(GROUP)),
        ("size", s(size)),
        ("admin_username", s(admin)),
        ("network_interface_ids", Value::list([s(nic)])),
        ("tags", tags("a")),
        (
            "admin_ssh_key",
            Value::set([obj([
                ("username", s(admin)),
                (
                    "public_key",
                    s("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 conformance"),
                ),
            ])]),
        ),
        (
            "os_disk",
            obj([
                ("caching", s("ReadWrite")),
                ("storage_account_type", s("Standard_LRS")),
            ]),
        ),
        (
            "source_image_reference",
            obj([
                ("publisher", s("Canonical")),
                ("offer", s("ubuntu-24_04-lts")),
                ("sku", s("server")),
                ("version", s("latest")),
            ]),
        ),
    ])
}

#[async_trait]
impl Case for VmCase {
    fn type_name(&self) -> &'static str {
        "azurerm_linux_virtual_machine"
    }

    async fn scenario(&self) -> Result<Scenario, String> {
        let nic = self.0.nic("conf-vm-nic").await?;
        Ok(Scenario {
            create: vm("conf-vm", &nic, "Standard_B1s", "azureuser"),
            update: Variant::To(vm("conf-vm", &nic, "Standard_B2s", "azureuser")),
            replace: Variant::To(vm("conf-vm", &nic, "Standard_B2s", "admin2")),
            import: Import::Id(Box::new(id_of)),
            import_ignores: vec![],
            create_request: put_request("/virtualMachines/conf-vm".into()),
        })
    }

    async fn drift(&self, object: &Value) -> Result<Drift, String> {
        self.0.drift(&id_of(object), tag_drift())?;
        Ok(Drift::Made)
    }

    async fn count(&self) -> Result<Option<usize>, String> {
        let names = self
            .0
            .names(&in_group("Microsoft.Compute/virtualMachines", "2024-07-01"))?;
        Ok(Some(count(names, &["conf-vm"])))
    }
}

struct DiskCase(Arc<Backend>);

fn disk(size: f64, zone: Option<&str>) -> Value {
    obj([
        ("name", s("conf-disk")),
        ("resource_group_name", s(GROUP)),
        ("storage_account_type", s("Standard_LRS")),
        ("create_option", s("Empty")),
        ("disk_size_gb", Value::number(size)),
        ("zone", zone.map_or_else(Value::null, s)),
    ])
}

#[async_trait]
impl Case for DiskCase {
    fn type_name(&self) -> &'static str {
        "azurerm_managed_disk"
    }

    async fn scenario(&self) -> Result<Scenario, String> {
        self.0.group().await?;
        Ok(Scenario {
            create: disk(4.0, None),
            update: Variant::To(disk(8.0, None)),
            replace: Variant::To(disk(8.0, Some("1"))),
            import: Import::Id(Box::new(id_of)),
            import_ignores: vec![],
            create_request: put_request("/disks/conf-disk".into()),
        })
    }

    async fn drift(&self, object: &Value) -> Result<Drift, String> {
        self.0.drift(&id_of(object), tag_drift())?;
        Ok(Drift::Made)
    }

    async fn count(&self) -> Result<Option<usize>, String> {
        let names = self
            .0
            .names(&in_group("Microsoft.Compute/disks", "2024-03-02"))?;
        Ok(Some(count(names, &["conf-disk"])))
    }
}

struct AttachmentCase(Arc<Backend>);

const HOST_VM: &str = "conf-host-vm";

fn attachment(disk: &str, vm: &str, lun: f64, caching: &str) -> Value {
    obj([
        ("managed_disk_id", s(disk)),
        ("virtual_machine_id", s(vm)),
        ("lun", Value::number(lun)),
        ("caching", s(caching)),
    ])
}

impl AttachmentCase {
    fn vm_id() -> String {
        format!(
            "{}/providers/Microsoft.Compute/virtualMachines/{HOST_VM}",
            group_id(GROUP)
        )
    }

    fn disk_id() -> String {
        format!(
            "{}/providers/Microsoft.Compute/disks/conf-data",
            group_id(GROUP)
        )
    }
}

#[async_trait]
impl Case for AttachmentCase {
    fn type_name(&self) -> &'static str {
        "azurerm_virtual_machine_data_disk_attachment"
    }

    async fn scenario(&self) -> Result<Scenario, String> {
        let nic = self.0.nic("conf-host-nic").await?;
        self.0
            .ensure(
                "azurerm_linux_virtual_machine",
                &Self::vm_id(),
                vm(HOST_VM, &nic, "Standard_B2s", "azureuser"),
            )
            .await?;
        self.0
            .ensure(
                "azurerm_managed_disk",
                &Self::disk_id(),
                obj([
                    ("name", s("conf-data")),
                    ("resource_group_name", s(GROUP)),
                    ("storage_account_type", s("Standard_LRS")),
                    ("create_option", s("Empty")),
                    ("disk_size_gb", Value::number(4.0)),
                ]),
            )
            .await?;
        Ok(Scenario {
            create: attachment(&Self::disk_id(), &Self::vm_id(), 0.0, "ReadOnly"),
            update: Variant::To(attachment(&Self::disk_id(), &Self::vm_id(), 0.0, "None")),
            replace: Variant::To(attachment(&Self::disk_id(), &Self::vm_id(), 1.0, "None")),
            import: Import::Id(Box::new(id_of)),
            import_ignores: vec![],
            create_request: Some(Target::Request {
                method: Some("PATCH".into()),
                contains: format!("/virtualMachines/{HOST_VM}"),
            }),
        })
    }

    async fn drift(&self, _object: &Value) -> Result<Drift, String> {
        // Detached by hand.
        self.0.drift(
            &Self::vm_id(),
            json!({"properties": {"storageProfile": {"dataDisks": []}}}),
        )?;
        Ok(Drift::Made)
    }

    async fn count(&self) -> Result<Option<usize>, String> {
        let got = self.0.api(
            "GET",
            &format!("{}?api-version=2024-07-01", Self::vm_id()),
            &json!(null),
        )?;
        let disks = got["properties"]["storageProfile"]["dataDisks"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        Ok(Some(
            disks
                .iter()
                .filter(|d| {
                    d["managedDisk"]["id"]
                        .as_str()
                        .is_some_and(|id| id.eq_ignore_ascii_case(&Self::disk_id()))
                })
                .count(),
        ))
    }
}

struct AvailabilitySetCase(Arc<Backend>);

fn availability_set(faults: f64, team: &str) -> Value {
    obj([
        ("name", s("conf-avset")),
        ("resource_group_name", s(GROUP)),
        ("platform_fault_domain_count", Value::number(faults)),
        ("tags", tags(team)),
    ])
}

#[async_trait]
impl Case for AvailabilitySetCase {
    fn type_name(&self) -> &'static str {
        "azurerm_availability_set"
    }

    async fn scenario(&self) -> Result<Scenario, String> {
        self.0.group().await?;
        Ok(Scenario {
            create: availability_set(2.0, "a"),
            update: Variant::To(availability_set(2.0, "b")),
            replace: Variant::To(availability_set(3.0, "b")),
            import: Import::Id(Box::new(id_of)),
            import_ignores: vec![],
            create_request: put_request("/availabilitySets/conf-avset".into()),
        })
    }

    async fn drift(&self, object: &Value) -> Result<Drift, String> {
        self.0.drift(&id_of(object), tag_drift())?;
        Ok(Drift::Made)
    }

    async fn count(&self) -> Result<Option<usize>, String> {
        let names = self.0.names(&in_group(
            "Microsoft.Compute/availabilitySets",
            "2024-07-01",
        ))?;
        Ok(Some(count(names, &["conf-avset"])))
    }
}

struct ScaleSetCase(Arc<Backend>);

fn scale_set(subnet: &str, instances: f64, admin: &str) -> Value {
    obj([
        ("name", s("conf-vmss")),
        ("resource_group_name", s(GROUP)),
        ("sku", s("Standard_B1s")),
        ("instances", Value::number(instances)),
        ("admin_username", s(admin)),
        (
            "admin_ssh_key",
            Value::set([obj([
                ("username", s(admin)),
                (
                    "public_key",
                    s("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 conformance"),
                ),
            ])]),
        ),
        (
            "os_disk",
            obj([
                ("caching", s("ReadWrite")),
                ("storage_account_type", s("Standard_LRS")),
            ]),
        ),
        (
            "source_image_reference",
            obj([
                ("publisher", s("Canonical")),
                ("offer", s("ubuntu-24_04-lts")),
                ("sku", s("server")),
                ("version", s("latest")),
            ]),
        ),
        (
            "network_interface",
            Value::list([obj([
                ("name", s("nic")),
                (
                    "ip_configuration",
                    Value::list([obj([("name", s("internal")), ("subnet_id", s(subnet))])]),
                ),
            ])]),
        ),
    ])
}

#[async_trait]
impl Case for ScaleSetCase {
    fn type_name(&self) -> &'static str {
        "azurerm_linux_virtual_machine_scale_set"
    }

    async fn scenario(&self) -> Result<Scenario, String> {
        let subnet = self.0.subnet("conf-vms", "10.2.3.0/24").await?;
        Ok(Scenario {
            create: scale_set(&subnet, 2.0, "azureuser"),
            update: Variant::To(scale_set(&subnet, 3.0, "azureuser")),
            replace: Variant::To(scale_set(&subnet, 3.0, "admin2")),
            import: Import::Id(Box::new(id_of)),
            import_ignores: vec![],
            create_request: put_request("/virtualMachineScaleSets/conf-vmss".into()),
        })
    }

    async fn drift(&self, object: &Value) -> Result<Drift, String> {
        self.0.drift(&id_of(object), tag_drift())?;
        Ok(Drift::Made)
    }

    async fn count(&self) -> Result<Option<usize>, String> {
        let names = self.0.names(&in_group(
            "Microsoft.Compute/virtualMachineScaleSets",
            "2024-07-01",
        ))?;
        Ok(Some(count(names, &["conf-vmss"])))
    }
}
