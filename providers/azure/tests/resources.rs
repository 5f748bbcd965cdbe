//! The `azurerm` provider against the ARM emulator (`scripts/emulator.sh start azure`; a
//! missing venv fails naming `scripts/emulator.sh install azure`): a VM on its network with
//! the interface's address, bulk refresh with one list call per page, a `Failed`
//! provisioning surfaced with ARM's code and the object it left, ARM's validation
//! errors pointing at the attribute, many VMs polling at once, throttling honouring
//! `Retry-After`, a resource group deleted only when empty or allowed, import by ARM id, the
//! credentials from the environment, the data sources. (The conformance run of every type
//! is `tests/conformance.rs`, with the `conformance` feature.)

use std::sync::Arc;
use std::time::{Duration, Instant};

use aic_lang::value::Value;
use aic_provider::{ConfiguredProvider, ErrorKind, Provider, ProviderError};
use aic_provider_azure::{Arm, AzureProvider, Settings, Timing};
use aic_provider_kit::Backoff;
use aic_provider_testkit::backend::Emulator;
use aic_provider_testkit::http;
use aic_provider_testkit::steps::{self, object, strings, text, TestResult};
use serde_json::json;

const SUBSCRIPTION: &str = "11111111-2222-3333-4444-555555555555";
const GROUP: &str = "rg-tests";

fn set_credentials() {
    for (k, v) in [
        ("AZURE_CLIENT_ID", "tests-client"),
        ("AZURE_CLIENT_SECRET", "tests-secret"),
        ("AZURE_TENANT_ID", "tests-tenant"),
    ] {
        if std::env::var(k).is_err() {
            std::env::set_var(k, v);
        }
    }
}

fn start(settings: &[&str]) -> Emulator {
    set_credentials();
    let mut all = vec!["retry_after=0"];
    all.extend_from_slice(settings);
    Emulator::start("azure", &all)
}

fn provider_config(emulator: &Emulator) -> Value {
    object([
        ("subscription_id", Value::string(SUBSCRIPTION)),
        ("location", Value::string("westeurope")),
        ("endpoint", Value::string(emulator.endpoint())),
        ("authority_host", Value::string(emulator.endpoint())),
    ])
}

async fn configured(emulator: &Emulator) -> Arc<dyn ConfiguredProvider> {
    AzureProvider::new()
        .with_timing(Timing::fast())
        .with_fast_backoff()
        .configure(&provider_config(emulator))
        .await
        .unwrap_or_else(|e| panic!("configure: {e}"))
}

async fn create(
    provider: &Arc<dyn ConfiguredProvider>,
    type_name: &str,
    config: Value,
) -> Result<Value, Box<dyn std::error::Error>> {
    steps::create(provider.as_ref(), type_name, &config).await
}

async fn create_error(
    provider: &Arc<dyn ConfiguredProvider>,
    type_name: &str,
    config: Value,
) -> ProviderError {
    let planned = steps::plan(provider.as_ref(), type_name, None, &config)
        .await
        .unwrap_or_else(|e| panic!("plan: {e}"))
        .planned;
    match provider.create(type_name, &planned).await {
        Ok(created) => panic!("created: {created}"),
        Err(e) => e,
    }
}

fn group_id() -> String {
    format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}")
}

/// A group, a network and a subnet; the subnet's id.
async fn network(
    provider: &Arc<dyn ConfiguredProvider>,
) -> Result<String, Box<dyn std::error::Error>> {
    create(
        provider,
        "azurerm_resource_group",
        object([("name", Value::string(GROUP))]),
    )
    .await?;
    create(
        provider,
        "azurerm_virtual_network",
        object([
            ("name", Value::string("net")),
            ("resource_group_name", Value::string(GROUP)),
            ("address_space", strings(&["10.0.0.0/16"])),
        ]),
    )
    .await?;
    let subnet = create(
        provider,
        "azurerm_subnet",
        object([
            ("name", Value::string("vms")),
            ("resource_group_name", Value::string(GROUP)),
            ("virtual_network_name", Value::string("net")),
            ("address_prefixes", strings(&["10.0.1.0/24"])),
        ]),
    )
    .await?;
    Ok(text(&subnet, "id"))
}

async fn nic(
    provider: &Arc<dyn ConfiguredProvider>,
    subnet: &str,
    name: &str,
) -> Result<Value, Box<dyn std::error::Error>> {
    create(
        provider,
        "azurerm_network_interface",
        object([
            ("name", Value::string(name)),
            ("resource_group_name", Value::string(GROUP)),
            (
                "ip_configuration",
                Value::list([object([
                    ("name", Value::string("internal")),
                    ("subnet_id", Value::string(subnet)),
                    ("private_ip_address_allocation", Value::string("Dynamic")),
                ])]),
            ),
        ]),
    )
    .await
}

fn vm(name: &str, nic: &str, size: &str) -> Value {
    object([
        ("name", Value::string(name)),
        ("resource_group_name", Value::string(GROUP)),
        ("size", Value::string(size)),
        ("admin_username", Value::string("azureuser")),
        ("network_interface_ids", strings(&[nic])),
        ("custom_data", Value::string("I2Nsb3VkLWNvbmZpZw==")),
        (
            "admin_ssh_key",
            Value::set([object([
                ("username", Value::string("azureuser")),
                ("public_key", Value::string("ssh-rsa AAAAB3NzaC1yc2E tests")),
            ])]),
        ),
        (
            "os_disk",
            object([
                ("caching", Value::string("ReadWrite")),
                ("storage_account_type", Value::string("Standard_LRS")),
            ]),
        ),
        (
            "source_image_reference",
            object([
                ("publisher", Value::string("Canonical")),
                ("offer", Value::string("ubuntu-24_04-lts")),
                ("sku", Value::string("server")),
                ("version", Value::string("latest")),
            ]),
        ),
    ])
}

fn vm_id(name: &str) -> String {
    format!(
        "{}/providers/Microsoft.Compute/virtualMachines/{name}",
        group_id()
    )
}

#[tokio::test]
async fn vms_get_their_interface_address_and_refresh_with_one_list_call_per_page() -> TestResult {
    let emulator = start(&[r#"delays={"default":0.02}"#, "page_size=2"]);
    let provider = configured(&emulator).await;
    let subnet = network(&provider).await?;
    let mut vms = Vec::new();
    for i in 0..5 {
        let nic = nic(&provider, &subnet, &format!("nic-{i}")).await?;
        let made = create(
            &provider,
            "azurerm_linux_virtual_machine",
            vm(&format!("vm-{i}"), &text(&nic, "id"), "Standard_B1s"),
        )
        .await?;
        assert_eq!(
            text(&made, "private_ip_address"),
            text(&nic, "private_ip_address")
        );
        assert!(text(&made, "private_ip_address").starts_with("10.0.1."));
        assert!(made.get("custom_data").is_some_and(Value::is_sensitive));
        vms.push(made);
    }
    emulator.clear_requests();
    let read = provider
        .read_many("azurerm_linux_virtual_machine", &vms)
        .await;
    for (r, v) in read.iter().zip(&vms) {
        let found = r.as_ref().map_err(|e| e.to_string())?;
        assert_eq!(found.as_ref().and_then(|f| f.equals(v)), Some(true));
    }
    let log = emulator.requests();
    let lists = |what: &str| {
        log.iter()
            .filter(|r| r.starts_with("GET ") && r.ends_with(what))
            .count()
    };
    // 5 VMs and 5 interfaces, 2 per page: 3 pages each; no GET of a single VM.
    assert_eq!(lists("/virtualMachines"), 3, "{log:#?}");
    assert_eq!(lists("/networkInterfaces"), 3, "{log:#?}");
    assert!(
        !log.iter().any(|r| r.contains("/virtualMachines/vm-")),
        "{log:#?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_failed_provisioning_is_an_error_with_arms_code_and_the_vm_it_left() -> TestResult {
    let emulator = start(&[r#"delays={"default":0.02}"#]);
    let provider = configured(&emulator).await;
    let subnet = network(&provider).await?;
    let nic = nic(&provider, &subnet, "nic-f").await?;
    emulator.control(
        "azure/fail",
        &json!({"match": "virtualMachines/vm-f$", "operation": "create",
                "code": "AllocationFailed", "message": "No capacity for Standard_B1s."}),
    )?;
    let err = create_error(
        &provider,
        "azurerm_linux_virtual_machine",
        vm("vm-f", &text(&nic, "id"), "Standard_B1s"),
    )
    .await;
    assert_eq!(
        err.cloud().map(|c| c.code.as_str()),
        Some("AllocationFailed"),
        "{err}"
    );
    assert!(
        err.to_string().contains("No capacity for Standard_B1s."),
        "{err}"
    );
    // The VM is left as Azure has it (provisioning state `Failed`) and returned with the
    // error, for the engine to record tainted.
    let left = err.object().cloned().ok_or("the error carries no object")?;
    assert_eq!(text(&left, "id"), vm_id("vm-f"));
    assert_eq!(text(&left, "name"), "vm-f");
    let found = provider
        .import("azurerm_linux_virtual_machine", &vm_id("vm-f"))
        .await?;
    assert!(found.is_some(), "the failed VM is still in Azure");
    assert_eq!(provisioning(&emulator, "vm-f"), ["Failed"]);
    // Replaced, as the next apply does: deleted, then created anew.
    provider
        .delete("azurerm_linux_virtual_machine", &left)
        .await?;
    let made = create(
        &provider,
        "azurerm_linux_virtual_machine",
        vm("vm-f", &text(&nic, "id"), "Standard_B1s"),
    )
    .await?;
    assert_eq!(text(&made, "id"), vm_id("vm-f"));
    assert_eq!(provisioning(&emulator, "vm-f"), ["Succeeded"]);
    Ok(())
}

/// The `provisioningState` of every VM named `name` the emulator holds.
fn provisioning(emulator: &Emulator, name: &str) -> Vec<String> {
    let port = http::port_of(emulator.endpoint()).unwrap_or(0);
    let answer = http::request(port, "GET", "/_emulator/azure/state", "")
        .unwrap_or_else(|e| panic!("/_emulator/azure/state: {e}"));
    let json: serde_json::Value = serde_json::from_slice(&answer.body).unwrap_or_default();
    let suffix = format!("/virtualmachines/{name}");
    json["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|r| {
            r["id"]
                .as_str()
                .is_some_and(|id| id.to_ascii_lowercase().ends_with(&suffix))
        })
        .map(|r| r["provisioningState"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn arms_validation_errors_point_at_the_attribute() -> TestResult {
    let emulator = start(&[r#"delays={"default":0.02}"#]);
    let provider = configured(&emulator).await;
    let subnet = network(&provider).await?;
    let nic = nic(&provider, &subnet, "nic-v").await?;
    let err = create_error(
        &provider,
        "azurerm_linux_virtual_machine",
        vm("vm-v", &text(&nic, "id"), "Standard_Nope"),
    )
    .await;
    assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{err}");
    assert_eq!(
        err.cloud().map(|c| c.code.as_str()),
        Some("InvalidParameter")
    );
    assert_eq!(
        err.attribute().map(ToString::to_string).as_deref(),
        Some("size")
    );
    assert!(err.to_string().contains("Standard_Nope"), "{err}");
    Ok(())
}

#[tokio::test]
async fn many_vms_poll_their_operations_at_once() -> TestResult {
    let emulator = start(&[r#"delays={"default":0.02,"Microsoft.Compute/virtualMachines":2}"#]);
    let provider = configured(&emulator).await;
    let subnet = network(&provider).await?;
    let mut nics = Vec::new();
    for i in 0..8 {
        nics.push(text(
            &nic(&provider, &subnet, &format!("nic-{i}")).await?,
            "id",
        ));
    }
    let made = futures::future::join_all(nics.iter().enumerate().map(|(i, nic)| {
        let provider = provider.clone();
        let config = vm(&format!("vm-{i}"), nic, "Standard_B1s");
        async move {
            create(&provider, "azurerm_linux_virtual_machine", config)
                .await
                .map_err(|e| e.to_string())
        }
    }))
    .await;
    for m in made {
        m?;
    }
    // In the emulator's order of requests: every VM's PUT came before any VM was read back
    // after its operation ended (each takes 2 s). Polled one after another, the first VM
    // would have been read back before the second was even sent.
    let log = emulator.requests();
    let position = |wanted: &dyn Fn(&str) -> bool, last: bool| {
        let mut found = log.iter().enumerate().filter(|(_, r)| wanted(r));
        if last {
            found.last().map(|(i, _)| i)
        } else {
            found.next().map(|(i, _)| i)
        }
    };
    let last_put = position(
        &|r: &str| r.starts_with("PUT ") && r.contains("/virtualMachines/vm-"),
        true,
    )
    .ok_or("no PUT of a VM")?;
    for i in 0..8 {
        let path = format!("/virtualMachines/vm-{i}");
        let read_back = position(&|r: &str| r.starts_with("GET ") && r.ends_with(&path), true)
            .ok_or_else(|| format!("vm-{i} was never read back"))?;
        assert!(
            last_put < read_back,
            "vm-{i} was read back (request {read_back}) before the last VM was sent (request {last_put}): {log:#?}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_throttled_call_is_retried_after_the_delay_arm_asked_for() -> TestResult {
    let emulator = start(&[r#"delays={"default":0.02}"#]);
    let provider = configured(&emulator).await;
    network(&provider).await?;
    emulator.control(
        "faults",
        &json!({"method": "PUT", "path": "managedDisks|disks/d1$", "status": 429,
                "headers": {"Retry-After": "1"}}),
    )?;
    let started = Instant::now();
    let disk = create(
        &provider,
        "azurerm_managed_disk",
        object([
            ("name", Value::string("d1")),
            ("resource_group_name", Value::string(GROUP)),
            ("storage_account_type", Value::string("Standard_LRS")),
            ("create_option", Value::string("Empty")),
            ("disk_size_gb", Value::number(4.0)),
        ]),
    )
    .await?;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    assert_eq!(text(&disk, "name"), "d1");
    let throttled = emulator
        .requests()
        .iter()
        .filter(|r| r.starts_with("PUT ") && r.ends_with("/disks/d1"))
        .count();
    assert_eq!(throttled, 2, "one throttled PUT, one that ran");
    Ok(())
}

#[tokio::test]
async fn a_group_holding_resources_is_deleted_only_when_allowed_and_import_takes_arm_ids_in_any_case(
) -> TestResult {
    let emulator = start(&[r#"delays={"default":0.02}"#]);
    let provider = configured(&emulator).await;
    let subnet = network(&provider).await?;
    let nic = nic(&provider, &subnet, "nic-c").await?;
    let made = create(
        &provider,
        "azurerm_linux_virtual_machine",
        vm("vm-c", &text(&nic, "id"), "Standard_B1s"),
    )
    .await?;
    let imported = provider
        .import(
            "azurerm_linux_virtual_machine",
            &vm_id("vm-c")
                .to_ascii_uppercase()
                .replace("SUBSCRIPTIONS", "subscriptions"),
        )
        .await?
        .ok_or("import found nothing")?;
    assert_eq!(text(&imported, "id"), text(&made, "id"));
    assert_eq!(text(&imported, "size"), "Standard_B1s");
    let wrong = provider
        .import("azurerm_linux_virtual_machine", &text(&nic, "id"))
        .await;
    assert_eq!(
        wrong.err().map(|e| e.kind()),
        Some(ErrorKind::InvalidConfig)
    );

    let group = provider
        .import("azurerm_resource_group", &group_id())
        .await?
        .ok_or("no group")?;
    // As azurerm 3.0: a group that still holds resources is not deleted; the error names
    // what Azure would have deleted with it.
    let refused = provider
        .delete("azurerm_resource_group", &group)
        .await
        .err()
        .ok_or("a group holding resources was deleted")?;
    let message = refused.to_string();
    for inside in [
        "/virtualMachines/vm-c",
        "/networkInterfaces/nic-c",
        "/virtualNetworks/",
    ] {
        assert!(message.contains(inside), "{message} lacks {inside}");
    }
    let help = refused.help_text();
    assert!(
        help.contains("prevent_deletion_if_contains_resources = false"),
        "{help}"
    );
    assert!(provider
        .read("azurerm_linux_virtual_machine", &made)
        .await?
        .is_some());
    // With the feature off, Azure's cascade takes everything in the group along.
    let config = object([
        ("subscription_id", Value::string(SUBSCRIPTION)),
        ("location", Value::string("westeurope")),
        ("endpoint", Value::string(emulator.endpoint())),
        ("authority_host", Value::string(emulator.endpoint())),
        (
            "features",
            object([(
                "resource_group",
                object([("prevent_deletion_if_contains_resources", Value::bool(false))]),
            )]),
        ),
    ]);
    let provider = AzureProvider::new()
        .with_timing(Timing::fast())
        .with_fast_backoff()
        .configure(&config)
        .await?;
    provider.delete("azurerm_resource_group", &group).await?;
    assert!(provider
        .read("azurerm_linux_virtual_machine", &made)
        .await?
        .is_none());
    assert!(provider
        .read("azurerm_network_interface", &nic)
        .await?
        .is_none());
    // Deleting again is harmless.
    provider.delete("azurerm_resource_group", &group).await?;
    Ok(())
}

#[tokio::test]
async fn data_sources_read_groups_sizes_and_images() -> TestResult {
    let emulator = start(&[]);
    let provider = configured(&emulator).await;
    network(&provider).await?;
    let group = provider
        .read_data(
            "azurerm_resource_group",
            &object([("name", Value::string(GROUP))]),
        )
        .await?;
    assert_eq!(text(&group, "id"), group_id());
    assert_eq!(text(&group, "location"), "westeurope");
    let sizes = provider
        .read_data("azurerm_virtual_machine_sizes", &object([]))
        .await?;
    let names = sizes
        .get("names")
        .and_then(Value::as_elements)
        .unwrap_or_default();
    assert!(
        names.iter().any(|n| n.as_str() == Some("Standard_B1s")),
        "{sizes}"
    );
    let image = provider
        .read_data(
            "azurerm_platform_image",
            &object([
                ("publisher", Value::string("Canonical")),
                ("offer", Value::string("ubuntu-24_04-lts")),
                ("sku", Value::string("server")),
            ]),
        )
        .await?;
    assert!(!text(&image, "version").is_empty(), "{image}");
    assert!(
        text(&image, "id").contains("/Versions/") || text(&image, "id").contains("/versions/"),
        "{image}"
    );
    let missing = provider
        .read_data(
            "azurerm_resource_group",
            &object([("name", Value::string("nope"))]),
        )
        .await;
    assert_eq!(missing.err().map(|e| e.kind()), Some(ErrorKind::NotFound));
    Ok(())
}

#[tokio::test]
async fn credentials_come_from_the_environment_and_never_the_configuration() {
    let settings = Settings::from_config_and_env(
        &object([("subscription_id", Value::string(SUBSCRIPTION))]),
        |_| None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let err = Arm::new(
        settings,
        |k| (k != "AZURE_CLIENT_ID").then(|| "x".to_owned()),
        Timing::fast(),
        Backoff::fast(),
        Duration::from_secs(1),
    )
    .err();
    assert_eq!(
        err.as_ref().map(ProviderError::kind),
        Some(ErrorKind::InvalidConfig)
    );
    assert!(err.is_some_and(|e| e.to_string().contains("AZURE_CLIENT_ID")));
    let schema = AzureProvider::new();
    let provider = schema.schema();
    assert!(!provider.provider.attributes.contains_key("client_secret"));
}

fn scale_set(subnet: &str, instances: f64) -> Value {
    object([
        ("name", Value::string("web")),
        ("resource_group_name", Value::string(GROUP)),
        ("sku", Value::string("Standard_B1s")),
        ("instances", Value::number(instances)),
        ("admin_username", Value::string("azureuser")),
        (
            "admin_ssh_key",
            Value::set([object([
                ("username", Value::string("azureuser")),
                ("public_key", Value::string("ssh-rsa AAAAB3NzaC1yc2E tests")),
            ])]),
        ),
        (
            "os_disk",
            object([
                ("caching", Value::string("ReadWrite")),
                ("storage_account_type", Value::string("Standard_LRS")),
            ]),
        ),
        (
            "source_image_reference",
            object([
                ("publisher", Value::string("Canonical")),
                ("offer", Value::string("ubuntu-24_04-lts")),
                ("sku", Value::string("server")),
                ("version", Value::string("latest")),
            ]),
        ),
        (
            "network_interface",
            Value::list([object([
                ("name", Value::string("nic")),
                (
                    "ip_configuration",
                    Value::list([object([
                        ("name", Value::string("internal")),
                        ("subnet_id", Value::string(subnet)),
                    ])]),
                ),
            ])]),
        ),
    ])
}

/// The instance ids Azure lists in scale set `web`.
fn instances(emulator: &Emulator) -> Vec<String> {
    let port = http::port_of(emulator.endpoint()).unwrap_or(0);
    let answer = http::request(port, "GET", "/_emulator/azure/state", "")
        .unwrap_or_else(|e| panic!("/_emulator/azure/state: {e}"));
    let text = answer.text();
    let mut ids: Vec<String> = text
        .match_indices("/virtualMachineScaleSets/web/virtualMachines/")
        .map(|(at, m)| {
            text[at + m.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect()
        })
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[tokio::test]
async fn a_scale_set_scales_in_place() -> TestResult {
    let emulator = start(&[r#"delays={"default":0.02}"#]);
    let provider = configured(&emulator).await;
    let subnet = network(&provider).await?;
    let set = create(
        &provider,
        "azurerm_linux_virtual_machine_scale_set",
        scale_set(&subnet, 2.0),
    )
    .await?;
    assert_eq!(instances(&emulator), ["0", "1"]);
    let mut now = set;
    for (count, expected) in [(5.0, vec!["0", "1", "2", "3", "4"]), (1.0, vec!["0"])] {
        let (action, response) = steps::action(
            provider.as_ref(),
            "azurerm_linux_virtual_machine_scale_set",
            &now,
            &scale_set(&subnet, count),
        )
        .await?;
        assert_eq!(action, steps::Action::Update, "scaling is in place");
        now = provider
            .update(
                "azurerm_linux_virtual_machine_scale_set",
                &now,
                &response.planned,
            )
            .await?;
        assert_eq!(now.get("instances").and_then(Value::as_number), Some(count));
        assert_eq!(instances(&emulator), expected);
    }
    Ok(())
}
