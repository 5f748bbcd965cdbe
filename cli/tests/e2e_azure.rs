//! The `aic` binary with the `azurerm` provider against the ARM emulator, end to end: a
//! resource group, network, interface and Linux VM created, resized in place, replaced
//! for a new admin user, drift made out of band planned back, a VM imported by its ARM
//! id, a `Failed` provisioning failing the apply with ARM's code while independent work
//! finishes (the failed VM recorded tainted and replaced by the next apply), throttling
//! retried, an apply killed with SIGKILL in the middle of a VM's creation converging when
//! run again, `examples/azure` applied in two locations, and a destroy that leaves
//! nothing.
//!
//! The binary is this package's, run by the test kit's one runner ([`aic!`]). Every test
//! starts its own emulator and fails, naming `scripts/emulator.sh install azure`, when it
//! is missing.

use std::path::Path;

use aic_provider_testkit::aic;
use aic_provider_testkit::backend::Emulator;
use aic_provider_testkit::http;
use aic_provider_testkit::runner::{self, wait_until, Run};
use serde_json::{json, Value};

const SUBSCRIPTION: &str = "22222222-3333-4444-5555-666666666666";

/// A project directory and the emulator its `aic` talks to.
struct Project {
    project: runner::Project,
    emulator: Emulator,
}

impl Project {
    fn new(main: Option<&str>, settings: &[&str]) -> Project {
        let aic = aic!()
            .env("AZURE_CLIENT_ID", "e2e-client")
            .env("AZURE_CLIENT_SECRET", "e2e-secret")
            .env("AZURE_TENANT_ID", "e2e-tenant")
            .env("AIC_AZURE_POLL_MS", "10");
        let project = match main {
            Some(text) => runner::Project::with_main(&aic, text),
            None => {
                let example = Path::new(
                    &std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
                )
                .join("../examples/azure");
                runner::Project::copy_of(&aic, &example)
            }
        };
        let mut all = vec!["retry_after=0", "accept_any_token=true"];
        all.extend_from_slice(settings);
        Project {
            project,
            emulator: Emulator::start("azure", &all),
        }
    }

    /// A project of `main.aic` text after the provider block pointing at the emulator.
    fn with_main(body: &str, settings: &[&str]) -> Project {
        Project::new(Some(&main_text(body)), settings)
    }

    /// Runs `aic ARGS` with `--var endpoint=…` where it takes vars.
    fn aic(&self, args: &[&str]) -> Run {
        let endpoint = format!("endpoint={}", self.emulator.endpoint());
        self.project.aic(&with_endpoint(args, &endpoint))
    }

    /// An ARM GET of `path` (api-version included).
    fn get(&self, path: &str) -> Value {
        let port = http::port_of(self.emulator.endpoint()).unwrap_or(0);
        let answer = arm(port, "GET", path);
        serde_json::from_slice(&answer.body).unwrap_or_default()
    }

    /// The names of the VMs in group `rg`.
    fn vms(&self, rg: &str) -> Vec<String> {
        self.vms_of(SUBSCRIPTION, rg)
    }

    /// The names of the VMs in group `rg` of subscription `sub`.
    fn vms_of(&self, sub: &str, rg: &str) -> Vec<String> {
        let listed = self.get(&format!(
            "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines?api-version=2024-07-01"
        ));
        listed["value"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v["name"].as_str().map(str::to_owned))
            .collect()
    }

    fn requests(&self) -> Vec<String> {
        self.emulator
            .request_log()
            .iter()
            .map(|r| {
                format!(
                    "{} {} {}",
                    r["method"].as_str().unwrap_or(""),
                    r["path"].as_str().unwrap_or(""),
                    r["status"]
                )
            })
            .collect()
    }

    fn control(&self, action: &str, body: Value) {
        self.emulator
            .control(action, &body)
            .unwrap_or_else(|e| panic!("{action}: {e}"));
    }
}

/// `main.aic`: the provider block pointing at the emulator, then `body`.
fn main_text(body: &str) -> String {
    format!(
        "variable endpoint: string\n\nprovider azurerm {{\n  subscription_id = \"{SUBSCRIPTION}\"\n  location        = \"westeurope\"\n  endpoint        = var.endpoint\n  authority_host  = var.endpoint\n}}\n\n{body}"
    )
}

fn with_endpoint<'a>(args: &[&'a str], endpoint: &'a str) -> Vec<&'a str> {
    let takes_vars = !matches!(
        args.first(),
        Some(&"state" | &"show" | &"output" | &"version")
    );
    let mut all = args.to_vec();
    if takes_vars {
        all.extend(["--var", endpoint]);
    }
    all
}

/// One ARM request with a bearer token (the emulator accepts any in these tests).
fn arm(port: u16, method: &str, path: &str) -> http::Message {
    arm_with(port, method, path, "")
}

/// One ARM request with a JSON `body`.
fn arm_with(port: u16, method: &str, path: &str, body: &str) -> http::Message {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))
        .unwrap_or_else(|e| panic!("connect: {e}"));
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer e2e\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap_or_else(|e| panic!("write: {e}"));
    let mut reader = std::io::BufReader::new(stream);
    http::read_message(&mut reader, true)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no answer to {method} {path}"))
}

/// A group, a network, a subnet, an interface and a VM of `size` for `admin`.
fn stack(size: &str, admin: &str) -> String {
    format!(
        r#"resource azurerm_resource_group main {{
  name = "rg-e2e"
}}

resource azurerm_virtual_network main {{
  name                = "net"
  resource_group_name = azurerm_resource_group.main.name
  address_space       = ["10.0.0.0/16"]
}}

resource azurerm_subnet vms {{
  name                 = "vms"
  resource_group_name  = azurerm_resource_group.main.name
  virtual_network_name = azurerm_virtual_network.main.name
  address_prefixes     = ["10.0.1.0/24"]
}}

resource azurerm_network_interface vm {{
  name                = "vm-nic"
  resource_group_name = azurerm_resource_group.main.name
  ip_configuration {{
    name                          = "internal"
    subnet_id                     = azurerm_subnet.vms.id
    private_ip_address_allocation = "Dynamic"
  }}
}}

resource azurerm_linux_virtual_machine vm {{
  name                  = "vm"
  resource_group_name   = azurerm_resource_group.main.name
  size                  = "{size}"
  admin_username        = "{admin}"
  network_interface_ids = [azurerm_network_interface.vm.id]
  tags                  = {{ team = "web" }}
  admin_ssh_key {{
    username   = "{admin}"
    public_key = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 e2e"
  }}
  os_disk {{
    caching              = "ReadWrite"
    storage_account_type = "Standard_LRS"
  }}
  source_image_reference {{
    publisher = "Canonical"
    offer     = "ubuntu-24_04-lts"
    sku       = "server"
    version   = "latest"
  }}
}}

output ip = azurerm_linux_virtual_machine.vm.private_ip_address
"#
    )
}

const VM_PATH: &str = "/resourceGroups/rg-e2e/providers/Microsoft.Compute/virtualMachines/vm";

fn vm_id() -> String {
    format!("/subscriptions/{SUBSCRIPTION}{VM_PATH}")
}

#[test]
fn create_update_replace_drift_and_destroy() {
    let p = Project::with_main(
        &stack("Standard_B1s", "azureuser"),
        &[r#"delays={"default":0.05}"#],
    );
    p.aic(&["apply", "--auto-approve"])
        .success()
        .stdout_has("Apply complete! Resources: 5 added, 0 changed, 0 destroyed.");
    assert_eq!(p.vms("rg-e2e"), ["vm"]);
    let ip = p.aic(&["output", "ip"]).success();
    assert!(ip.stdout.contains("10.0.1.4"), "{ip}");
    p.aic(&["plan", "--detailed-exitcode"]).code(0);

    // A resize is an update in place.
    p.project.edit("main.aic", "Standard_B1s", "Standard_B2s");
    p.aic(&["plan"])
        .success()
        .stdout_has("will be updated in-place")
        .stdout_has("Plan: 0 to add, 1 to change, 0 to destroy.");
    p.aic(&["apply", "--auto-approve"])
        .success()
        .stdout_has("1 changed");
    let vm = p.get(&format!(
        "/subscriptions/{SUBSCRIPTION}{VM_PATH}?api-version=2024-07-01"
    ));
    assert_eq!(
        vm["properties"]["hardwareProfile"]["vmSize"],
        "Standard_B2s"
    );

    // A new admin user replaces the VM.
    p.project
        .write("main.aic", &main_text(&stack("Standard_B2s", "operator")));
    p.aic(&["plan"])
        .success()
        .stdout_has("must be replaced")
        .stdout_has("Plan: 1 to add, 0 to change, 1 to destroy.");
    p.aic(&["apply", "--auto-approve"])
        .success()
        .stdout_has("1 added, 0 changed, 1 destroyed");
    let vm = p.get(&format!(
        "/subscriptions/{SUBSCRIPTION}{VM_PATH}?api-version=2024-07-01"
    ));
    assert_eq!(vm["properties"]["osProfile"]["adminUsername"], "operator");
    assert_eq!(p.vms("rg-e2e"), ["vm"]);

    // Drift: a tag changed by hand is planned back.
    p.control(
        "azure/drift",
        json!({"id": vm_id(), "patch": {"tags": {"team": "changed-by-hand"}}}),
    );
    p.aic(&["plan", "--detailed-exitcode"])
        .code(2)
        .stdout_has("changed-by-hand");
    p.aic(&["apply", "--auto-approve"]).success();
    p.aic(&["plan", "--detailed-exitcode"]).code(0);

    // Destroy: the group and everything in it.
    p.aic(&["destroy", "--auto-approve"])
        .success()
        .stdout_has("5 destroyed");
    let groups = p.get(&format!(
        "/subscriptions/{SUBSCRIPTION}/resourcegroups?api-version=2021-04-01"
    ));
    assert_eq!(
        groups["value"].as_array().map(Vec::len),
        Some(0),
        "{groups}"
    );
}

#[test]
fn a_vm_is_imported_by_its_arm_id() {
    let p = Project::with_main(
        &stack("Standard_B1s", "azureuser"),
        &[r#"delays={"default":0.02}"#],
    );
    p.aic(&["apply", "--auto-approve"]).success();
    p.aic(&["state", "rm", "azurerm_linux_virtual_machine.vm"])
        .success();
    p.aic(&["plan"]).success().stdout_has("1 to add");
    let id = vm_id().to_ascii_lowercase();
    p.aic(&["import", "azurerm_linux_virtual_machine.vm", &id])
        .success();
    p.aic(&["plan", "--detailed-exitcode"]).code(0);
    assert_eq!(p.vms("rg-e2e"), ["vm"]);
}

#[test]
fn a_failed_provisioning_fails_the_apply_with_arms_code_and_the_next_apply_replaces_it() {
    let p = Project::with_main(
        &stack("Standard_B1s", "azureuser"),
        &[r#"delays={"default":0.02}"#],
    );
    p.control(
        "azure/fail",
        json!({"match": "virtualMachines/vm$", "operation": "create",
               "code": "AllocationFailed", "message": "Allocation failed: no capacity for Standard_B1s."}),
    );
    let failed = p.aic(&["apply", "--auto-approve"]).failure();
    assert!(
        failed.err_words().contains("AllocationFailed")
            && failed.err_words().contains("no capacity for Standard_B1s"),
        "{failed}"
    );
    // Independent work finished and is recorded; the failed VM, which Azure keeps in
    // provisioning state `Failed`, is recorded too: tainted.
    let listed = p.aic(&["state", "list"]).success();
    assert!(
        listed.stdout.contains("azurerm_network_interface.vm"),
        "{listed}"
    );
    assert!(
        listed.stdout.contains("azurerm_linux_virtual_machine.vm"),
        "{listed}"
    );
    p.aic(&["state", "show", "azurerm_linux_virtual_machine.vm"])
        .success()
        .stdout_has("\"tainted\": true");
    p.aic(&["show"])
        .success()
        .stdout_has("# azurerm_linux_virtual_machine.vm: (tainted)");
    assert_eq!(p.vms("rg-e2e"), ["vm"]);
    let vm = p.get(&format!(
        "/subscriptions/{SUBSCRIPTION}{VM_PATH}?api-version=2024-07-01"
    ));
    assert_eq!(vm["properties"]["provisioningState"], "Failed", "{vm}");
    // The next plan replaces it, saying why; the next apply does.
    p.aic(&["plan"])
        .success()
        .stdout_has("# azurerm_linux_virtual_machine.vm is tainted, so must be replaced")
        .stdout_has("1 to add, 0 to change, 1 to destroy");
    p.aic(&["apply", "--auto-approve"])
        .success()
        .stdout_has("1 added, 0 changed, 1 destroyed");
    assert_eq!(p.vms("rg-e2e"), ["vm"]);
    let vm = p.get(&format!(
        "/subscriptions/{SUBSCRIPTION}{VM_PATH}?api-version=2024-07-01"
    ));
    assert_eq!(vm["properties"]["provisioningState"], "Succeeded", "{vm}");
    p.aic(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn throttled_calls_are_retried() {
    let p = Project::with_main(
        &stack("Standard_B1s", "azureuser"),
        &[r#"delays={"default":0.02}"#],
    );
    p.control(
        "faults",
        json!({"method": "PUT", "path": "virtualMachines/vm$", "status": 429, "times": 2,
               "headers": {"Retry-After": "0"}}),
    );
    p.aic(&["apply", "--auto-approve"])
        .success()
        .stdout_has("5 added");
    let puts: Vec<String> = p
        .requests()
        .into_iter()
        .filter(|r| r.starts_with("PUT ") && r.contains("/virtualMachines/vm "))
        .collect();
    assert_eq!(
        puts.len(),
        3,
        "two throttled PUTs, then one that ran: {puts:#?}"
    );
    assert!(
        puts[0].ends_with("429") && puts[2].ends_with("201"),
        "{puts:#?}"
    );
}

#[test]
fn an_apply_killed_during_a_vm_creation_converges_when_run_again() {
    let p = Project::with_main(
        &stack("Standard_B1s", "azureuser"),
        &[r#"delays={"default":0.02,"Microsoft.Compute/virtualMachines":3}"#],
    );
    let endpoint = format!("endpoint={}", p.emulator.endpoint());
    let mut run = p
        .project
        .spawn(&with_endpoint(&["apply", "--auto-approve"], &endpoint));
    wait_until("the VM's PUT", || {
        run.assert_running("the VM's PUT");
        p.requests()
            .iter()
            .any(|r| r.starts_with("PUT ") && r.contains("/virtualMachines/vm "))
    });
    run.signal(libc::SIGKILL);
    let killed = run.wait();
    assert_eq!(killed.code, None, "killed by a signal:\n{killed}");
    let again = p.aic(&["apply", "--auto-approve"]).success();
    assert!(
        again
            .err_words()
            .contains("from an interrupted run's journal")
            && again
                .err_words()
                .contains("azurerm_linux_virtual_machine.vm will be imported"),
        "the VM the killed run was creating is adopted: {again}"
    );
    assert_eq!(p.vms("rg-e2e"), ["vm"], "one VM, not two");
    let creates = p
        .requests()
        .iter()
        .filter(|r| r.starts_with("PUT ") && r.contains("/virtualMachines/vm "))
        .count();
    assert_eq!(creates, 1, "the VM was adopted, not created again");
    p.aic(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn the_azure_example_applies_a_regional_module_per_location() {
    let p = Project::new(None, &[r#"delays={"default":0.02}"#]);
    let plan = p.aic(&["plan", "--env", "staging"]).success();
    assert!(
        plan.stdout.contains("module.region[\"westeurope\"]")
            && plan.stdout.contains("module.region[\"northeurope\"]"),
        "{plan}"
    );
    p.aic(&["apply", "--env", "staging", "--auto-approve"])
        .success()
        .stdout_has("Apply complete!");
    for rg in ["rg-web-westeurope", "rg-web-northeurope"] {
        // The example's default subscription.
        let vms = p.vms_of("00000000-0000-0000-0000-000000000000", rg);
        assert_eq!(vms.len(), 2, "two VMs in {rg}: {vms:?}");
    }
    p.aic(&["plan", "--env", "staging", "--detailed-exitcode"])
        .code(0);
    p.aic(&["destroy", "--env", "staging", "--auto-approve"])
        .success();
}

/// A resource group that still holds a resource aic does not manage is not destroyed (Azure
/// would delete the stranger with it): the error names it and says what to do, and the state
/// still records the group. With the provider's feature switched off, it goes.
#[test]
fn destroying_a_group_that_holds_a_stranger_is_refused_and_loses_nothing() {
    let group = r#"resource azurerm_resource_group main {
  name = "rg-keep"
}
"#;
    let p = Project::with_main(group, &[r#"delays={"default":0.02}"#]);
    p.aic(&["apply", "--auto-approve"]).success();
    let disk = format!(
        "/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-keep/providers/Microsoft.Compute/disks/stranger?api-version=2024-03-02"
    );
    let port = http::port_of(p.emulator.endpoint()).unwrap_or(0);
    let made = arm_with(
        port,
        "PUT",
        &disk,
        &json!({"location": "westeurope", "sku": {"name": "Standard_LRS"},
                "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 4}})
        .to_string(),
    );
    assert!(made.status() < 300, "PUT disk: {}", made.status());
    let refused = p.aic(&["destroy", "--auto-approve"]).failure();
    let words = refused.err_words();
    assert!(
        words.contains("/disks/stranger") && words.contains("aic does not manage"),
        "{refused}"
    );
    assert!(
        words.contains("prevent_deletion_if_contains_resources = false"),
        "{refused}"
    );
    p.aic(&["state", "list"])
        .success()
        .stdout_has("azurerm_resource_group.main");
    assert_eq!(
        arm(port, "GET", &disk).status(),
        200,
        "the stranger is still there"
    );

    // The feature off: the group's deletion takes the disk along.
    p.project.write(
        "main.aic",
        &main_text(group).replace(
            "  authority_host  = var.endpoint\n",
            "  authority_host  = var.endpoint\n  features {\n    resource_group {\n      prevent_deletion_if_contains_resources = false\n    }\n  }\n",
        ),
    );
    p.aic(&["destroy", "--auto-approve"]).success();
    assert_eq!(
        arm(port, "GET", &disk).status(),
        404,
        "deleted with its group"
    );
    let listed = p.aic(&["state", "list"]).success();
    assert!(listed.stdout.trim().is_empty(), "{listed}");
}
