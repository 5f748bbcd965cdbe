//! Compute (`Microsoft.Compute`) through `azure_mgmt_compute`'s clients: Linux virtual
//! machines, managed disks and availability sets, with azurerm's names and attributes.
//! Bodies are built as ARM's JSON and read into the SDK's models (so what is sent is what
//! the SDK would send); PUTs and DELETEs are started with the SDK's `.send()` and polled
//! by the client; listings are the SDK's pageables (one request per page, `nextLink`
//! followed by the SDK).

use std::future::Future;

use aic_lang::types::Type;
use aic_lang::value::Value;
use aic_provider::{Problem, ProviderError, ResourceSchema};
use aic_provider_kit::lro::Answer;
use aic_provider_kit::values::{problem_at, whole_number_outside};
use aic_provider_kit::{Attr, Block, Declare, ID};
use async_trait::async_trait;
use azure_mgmt_compute::package_2024_07_01::models;
use futures::StreamExt;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value as Json};

use crate::client::{answer_of, error_of, no_targets, Arm, Targets, COMPUTE_API, DISKS_API};
use crate::ids::{same, ArmId};
use crate::typed::{
    known, named_id, placed, tags_json, tags_of, text, texts, ArmType, LOCATION, NAME,
    RESOURCE_GROUP_NAME, TAGS,
};

pub(crate) const VM: &str = "Microsoft.Compute/virtualMachines";
pub(crate) const DISK: &str = "Microsoft.Compute/disks";
pub(crate) const AVSET: &str = "Microsoft.Compute/availabilitySets";

/// The first answer of an SDK request sent with `.send()`.
pub(crate) async fn sent<R, Fut>(
    operation: &str,
    targets: Targets,
    request: Fut,
) -> Result<Answer, ProviderError>
where
    R: Into<azure_core::Response>,
    Fut: Future<Output = azure_core::Result<R>>,
{
    let response = request
        .await
        .map_err(|e| error_of(operation, &e, targets))?;
    answer_of(response.into())
        .await
        .map_err(|e| error_of(operation, &e, targets))
}

/// ARM's JSON as one of the SDK's models.
pub(crate) fn model<T: DeserializeOwned>(what: &str, body: &Json) -> Result<T, ProviderError> {
    serde_json::from_value(body.clone()).map_err(|e| {
        ProviderError::other(format!(
            "the {what} does not fit azure_mgmt_compute's model: {e}"
        ))
    })
}

/// One of the SDK's models as ARM's JSON.
pub(crate) fn wire<T: Serialize>(item: &T) -> Result<Json, ProviderError> {
    serde_json::to_value(item)
        .map_err(|e| ProviderError::other(format!("an SDK model has no JSON form: {e}")))
}

/// A GET answered 404 is `None`.
pub(crate) fn found(got: Result<Answer, ProviderError>) -> Result<Option<Json>, ProviderError> {
    match got {
        Ok(answer) => Ok(answer.body),
        Err(e) if e.kind() == aic_provider::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Every item of an SDK pageable, as JSON; empty when the group is gone.
pub(crate) async fn pages<P, I>(
    operation: &str,
    mut pageable: azure_core::Pageable<P, azure_core::Error>,
    items: impl Fn(P) -> Vec<I>,
) -> Result<Vec<Json>, ProviderError>
where
    P: Send + 'static,
    I: Serialize,
{
    let mut out = Vec::new();
    while let Some(page) = pageable.next().await {
        match page {
            Ok(page) => {
                for item in items(page) {
                    out.push(wire(&item)?);
                }
            }
            Err(e) => {
                let error = error_of(operation, &e, no_targets);
                if error.kind() == aic_provider::ErrorKind::NotFound {
                    return Ok(Vec::new());
                }
                return Err(error);
            }
        }
    }
    Ok(out)
}

/// `found`, or `known`'s value of `attr` when it names the same resource (ARM answers some
/// ids in another case than they were sent).
fn keep_case(known: Option<&Value>, attr: Attr<String>, found: Option<&str>) -> Value {
    let Some(found) = found.filter(|f| !f.is_empty()) else {
        return Value::null();
    };
    match known.and_then(|k| attr.get(k).ok().flatten()) {
        Some(k) if same(&k, found) => Value::string(k),
        _ => Value::string(found),
    }
}

fn location_attr(what: &str) -> aic_provider_kit::Declared {
    LOCATION.optional_computed().force_new().describe(format!(
        "The Azure location of the {what}; the provider's `location` when not set."
    ))
}

fn rg_attr() -> aic_provider_kit::Declared {
    RESOURCE_GROUP_NAME
        .required()
        .force_new()
        .describe("The resource group it is in.")
}

fn tags_attr() -> aic_provider_kit::Declared {
    TAGS.optional()
        .describe("Tags of the Azure resource; changed in place.")
}

// ---------------------------------------------------------------------------------------
// azurerm_linux_virtual_machine

const SIZE: Attr<String> = Attr::new("size");
pub(crate) const ADMIN_USERNAME: Attr<String> = Attr::new("admin_username");
pub(crate) const ADMIN_SSH_KEY: Block = Block::new("admin_ssh_key");
pub(crate) const USERNAME: Attr<String> = Attr::new("username");
pub(crate) const PUBLIC_KEY: Attr<String> = Attr::new("public_key");
const NETWORK_INTERFACE_IDS: Attr<Vec<String>> = Attr::new("network_interface_ids");
const OS_DISK: Block = Block::new("os_disk");
pub(crate) const CACHING: Attr<String> = Attr::new("caching");
pub(crate) const STORAGE_ACCOUNT_TYPE: Attr<String> = Attr::new("storage_account_type");
pub(crate) const DISK_SIZE_GB: Attr<i64> = Attr::new("disk_size_gb");
pub(crate) const SOURCE_IMAGE_REFERENCE: Block = Block::new("source_image_reference");
pub(crate) const PUBLISHER: Attr<String> = Attr::new("publisher");
pub(crate) const OFFER: Attr<String> = Attr::new("offer");
pub(crate) const SKU: Attr<String> = Attr::new("sku");
pub(crate) const VERSION: Attr<String> = Attr::new("version");
const ZONE: Attr<String> = Attr::new("zone");
const AVAILABILITY_SET_ID: Attr<String> = Attr::new("availability_set_id");
const COMPUTER_NAME: Attr<String> = Attr::new("computer_name");
const CUSTOM_DATA: Attr<String> = Attr::new("custom_data");
const PRIVATE_IP_ADDRESS: Attr<String> = Attr::new("private_ip_address");
const PRIVATE_IP_ADDRESSES: Attr<Vec<String>> = Attr::new("private_ip_addresses");
const VIRTUAL_MACHINE_ID: Attr<String> = Attr::new("virtual_machine_id");

/// Where the VM's private addresses are put in its JSON (looked up on its NICs).
const ADDRESSES_KEY: &str = "aicPrivateIpAddresses";

pub(crate) const CACHINGS: [&str; 3] = ["None", "ReadOnly", "ReadWrite"];
pub(crate) const STORAGE_TYPES: [&str; 6] = [
    "Standard_LRS",
    "StandardSSD_LRS",
    "Premium_LRS",
    "StandardSSD_ZRS",
    "Premium_ZRS",
    "UltraSSD_LRS",
];

pub(crate) fn ssh_key_schema() -> ResourceSchema {
    ResourceSchema::new("An SSH public key of the admin user.")
        .with(
            USERNAME
                .required()
                .describe("The user (the `admin_username`)."),
        )
        .with(
            PUBLIC_KEY
                .required()
                .describe("The public key, OpenSSH format (`ssh-rsa AAAA…`)."),
        )
}

fn os_disk_schema() -> ResourceSchema {
    ResourceSchema::new("The OS disk, a managed disk made from the image.")
        .with(
            CACHING
                .required()
                .of_type(Type::string_union(CACHINGS))
                .describe("`None`, `ReadOnly` or `ReadWrite`."),
        )
        .with(
            STORAGE_ACCOUNT_TYPE
                .required()
                .force_new()
                .of_type(Type::string_union(STORAGE_TYPES))
                .describe("The disk's SKU (`Standard_LRS`, `Premium_LRS`, …)."),
        )
        .with(
            DISK_SIZE_GB
                .optional_computed()
                .describe("Size in GB; the image's when not set. Grown in place (never shrunk)."),
        )
        .with(
            NAME.optional_computed()
                .force_new()
                .describe("The disk's name; Azure's when not set."),
        )
}

pub(crate) fn image_schema() -> ResourceSchema {
    ResourceSchema::new("The platform image the VM is made from.")
        .with(PUBLISHER.required().describe("`Canonical`, …"))
        .with(OFFER.required().describe("`ubuntu-24_04-lts`, …"))
        .with(SKU.required().describe("`server`, …"))
        .with(VERSION.required().describe("A version, or `latest`."))
}

pub(crate) struct LinuxVirtualMachine;

fn vm_targets(target: &str) -> Option<&'static [&'static str]> {
    Some(match target {
        "vmSize" | "properties.hardwareProfile.vmSize" | "hardwareProfile.vmSize" => &["size"],
        "vmName" => &["name"],
        "adminUsername" | "osProfile.adminUsername" => &["admin_username"],
        "computerName" | "osProfile.computerName" => &["computer_name"],
        "imageReference" => &["source_image_reference"],
        "networkInterfaces" | "networkProfile.networkInterfaces" => &["network_interface_ids"],
        "availabilitySet" => &["availability_set_id"],
        "zones" => &["zone"],
        "location" => &["location"],
        _ => return None,
    })
}

pub(crate) fn ssh_keys(planned: &Value) -> Result<Vec<Json>, ProviderError> {
    ADMIN_SSH_KEY
        .items(planned)
        .into_iter()
        .map(|k| {
            Ok(json!({
                "path": format!("/home/{}/.ssh/authorized_keys", USERNAME.require(k)?),
                "keyData": PUBLIC_KEY.require(k)?,
            }))
        })
        .collect()
}

#[async_trait]
impl ArmType for LinuxVirtualMachine {
    fn type_name(&self) -> &'static str {
        "azurerm_linux_virtual_machine"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(
            "A Linux virtual machine from a platform image, with SSH keys. Creating, \
             resizing and deleting wait for Azure's operation; one that ends `Failed` is an \
             error with Azure's code and message, and the failed VM is recorded tainted: \
             the next plan replaces it.",
        )
        .with(NAME.required().force_new().describe("The VM's name."))
        .with(rg_attr())
        .with(location_attr("VM"))
        .with(
            SIZE.required()
                .describe("The VM size (`Standard_B2s`, …); a resize is done in place."),
        )
        .with(
            ADMIN_USERNAME
                .required()
                .force_new()
                .describe("The admin user's name."),
        )
        .with(
            NETWORK_INTERFACE_IDS
                .required()
                .describe("The network interfaces, the first one primary; changed in place."),
        )
        .with(
            ZONE.optional()
                .force_new()
                .describe("The availability zone (`1`, `2`, `3`)."),
        )
        .with(
            AVAILABILITY_SET_ID
                .optional()
                .force_new()
                .describe("The availability set it belongs to."),
        )
        .with(
            COMPUTER_NAME
                .optional_computed()
                .force_new()
                .describe("The host name; the VM's name when not set."),
        )
        .with(CUSTOM_DATA.optional().force_new().sensitive().describe(
            "Base64 cloud-init data; Azure never returns it, so aic keeps the configured \
             value.",
        ))
        .with(tags_attr())
        .with(
            PRIVATE_IP_ADDRESS
                .computed()
                .describe("The private address of the primary network interface."),
        )
        .with(
            PRIVATE_IP_ADDRESSES
                .computed()
                .describe("The private addresses of every network interface."),
        )
        .with(
            VIRTUAL_MACHINE_ID
                .computed()
                .describe("Azure's unique id of the VM (`vmId`)."),
        )
        .with(
            ID.computed()
                .describe("The VM's ARM id, also the import id."),
        )
        .with_block(ADMIN_SSH_KEY.set(ssh_key_schema()).min_items(1).force_new())
        .with_block(OS_DISK.single(os_disk_schema()).min_items(1))
        .with_block(
            SOURCE_IMAGE_REFERENCE
                .single(image_schema())
                .min_items(1)
                .force_new(),
        )
    }

    fn what(&self) -> &'static str {
        "virtual machine"
    }

    fn kinds(&self) -> &'static [&'static str] {
        &[VM]
    }

    fn api(&self) -> &'static str {
        COMPUTE_API
    }

    fn targets(&self) -> Targets {
        vm_targets
    }

    fn validate(&self, config: &Value, problems: &mut Vec<Problem>) {
        let known = |v: Option<&Value>| v.filter(|v| v.is_known()).cloned();
        let user =
            known(config.get(ADMIN_USERNAME.name())).and_then(|v| v.as_str().map(str::to_owned));
        if let (Some(user), Some(keys)) = (user, known(config.get(ADMIN_SSH_KEY.name()))) {
            for key in keys.as_elements().unwrap_or_default() {
                if let Some(name) = key.get(USERNAME.name()).and_then(Value::as_str) {
                    if name != user {
                        problems.push(problem_at(
                            &["admin_ssh_key"],
                            format!(
                                "the key's `username` is {name:?}; Azure installs keys only for \
                                 the admin user {user:?}"
                            ),
                        ));
                    }
                }
            }
        }
    }

    fn id(&self, cx: &Arm, planned: &Value) -> Result<ArmId, ProviderError> {
        named_id(cx, planned, VM)
    }

    async fn body(
        &self,
        cx: &Arm,
        planned: &Value,
        existing: Option<&Json>,
    ) -> Result<Json, ProviderError> {
        let name = NAME.require(planned)?;
        let os = OS_DISK.items(planned);
        let os = os
            .first()
            .ok_or_else(|| ProviderError::invalid_config("`os_disk` is required"))?;
        let image = SOURCE_IMAGE_REFERENCE.items(planned);
        let image = image
            .first()
            .ok_or_else(|| ProviderError::invalid_config("`source_image_reference` is required"))?;
        let mut os_disk = json!({
            "createOption": "FromImage",
            "caching": CACHING.require(os)?,
            "managedDisk": {"storageAccountType": STORAGE_ACCOUNT_TYPE.require(os)?},
            "deleteOption": "Delete",
        });
        if let Some(size) = known(DISK_SIZE_GB, os)? {
            os_disk["diskSizeGB"] = json!(size);
        }
        let existing_name =
            existing.and_then(|e| text(e, "/properties/storageProfile/osDisk/name"));
        if let Some(disk_name) = known(NAME, os)?.or(existing_name.map(str::to_owned)) {
            os_disk["name"] = json!(disk_name);
        }
        let mut os_profile = json!({
            "computerName": known(COMPUTER_NAME, planned)?.unwrap_or_else(|| name.clone()),
            "adminUsername": ADMIN_USERNAME.require(planned)?,
            "linuxConfiguration": {
                "disablePasswordAuthentication": true,
                "ssh": {"publicKeys": ssh_keys(planned)?},
            },
        });
        if let Some(data) = CUSTOM_DATA.get(planned)? {
            os_profile["customData"] = json!(data);
        }
        let nics: Vec<Json> = NETWORK_INTERFACE_IDS
            .require(planned)?
            .iter()
            .enumerate()
            .map(|(i, id)| json!({"id": id, "properties": {"primary": i == 0}}))
            .collect();
        let mut storage = json!({
            "imageReference": {
                "publisher": PUBLISHER.require(image)?,
                "offer": OFFER.require(image)?,
                "sku": SKU.require(image)?,
                "version": VERSION.require(image)?,
            },
            "osDisk": os_disk,
        });
        // Data disks are `azurerm_virtual_machine_data_disk_attachment`s: kept as they are.
        if let Some(data_disks) =
            existing.and_then(|e| e.pointer("/properties/storageProfile/dataDisks"))
        {
            storage["dataDisks"] = data_disks.clone();
        }
        let mut properties = json!({
            "hardwareProfile": {"vmSize": SIZE.require(planned)?},
            "storageProfile": storage,
            "osProfile": os_profile,
            "networkProfile": {"networkInterfaces": nics},
        });
        if let Some(set) = AVAILABILITY_SET_ID.get(planned)? {
            properties["availabilitySet"] = json!({"id": set});
        }
        let mut body = json!({
            "location": cx.location(LOCATION.get(planned)?)?,
            "tags": tags_json(planned)?,
            "properties": properties,
        });
        if let Some(zone) = ZONE.get(planned)? {
            body["zones"] = json!([zone]);
        }
        Ok(body)
    }

    fn value(&self, json: &Json, known: Option<&Value>) -> Result<Value, ProviderError> {
        let id = ArmId::parse(text(json, "/id").unwrap_or_default(), self.what())?;
        let p = |ptr: &str| text(json, &format!("/properties{ptr}"));
        let keys: Vec<Value> = json
            .pointer("/properties/osProfile/linuxConfiguration/ssh/publicKeys")
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|k| {
                let path = text(k, "/path").unwrap_or_default();
                let user = path
                    .strip_prefix("/home/")
                    .and_then(|rest| rest.split('/').next())
                    .unwrap_or_default();
                ssh_key_schema().instance([USERNAME.to(user), PUBLIC_KEY.text(text(k, "/keyData"))])
            })
            .collect();
        let os_disk = os_disk_schema().instance([
            CACHING.text(p("/storageProfile/osDisk/caching")),
            STORAGE_ACCOUNT_TYPE.text(p("/storageProfile/osDisk/managedDisk/storageAccountType")),
            DISK_SIZE_GB.to_opt(
                json.pointer("/properties/storageProfile/osDisk/diskSizeGB")
                    .and_then(Json::as_i64),
            ),
            NAME.text(p("/storageProfile/osDisk/name")),
        ]);
        let image = json
            .pointer("/properties/storageProfile/imageReference")
            .map(|i| {
                image_schema().instance([
                    PUBLISHER.text(text(i, "/publisher")),
                    OFFER.text(text(i, "/offer")),
                    SKU.text(text(i, "/sku")),
                    VERSION.text(text(i, "/version")),
                ])
            })
            .unwrap_or_else(Value::null);
        let nics: Vec<Value> = json
            .pointer("/properties/networkProfile/networkInterfaces")
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|n| text(n, "/id"))
            .map(|found| {
                let configured = known
                    .and_then(|k| NETWORK_INTERFACE_IDS.get(k).ok().flatten())
                    .unwrap_or_default();
                let id = configured
                    .into_iter()
                    .find(|c| same(c, found))
                    .unwrap_or_else(|| found.to_owned());
                Value::string(id)
            })
            .collect();
        let addresses = texts(json, &format!("/{ADDRESSES_KEY}"));
        let zone = texts(json, "/zones").into_iter().next();
        Ok(self.schema().instance([
            placed(&id)[0].clone(),
            placed(&id)[1].clone(),
            LOCATION.text(text(json, "/location")),
            SIZE.text(p("/hardwareProfile/vmSize")),
            ADMIN_USERNAME.text(p("/osProfile/adminUsername")),
            (NETWORK_INTERFACE_IDS.name(), Value::list(nics)),
            ZONE.to_opt(zone),
            (
                AVAILABILITY_SET_ID.name(),
                keep_case(known, AVAILABILITY_SET_ID, p("/availabilitySet/id")),
            ),
            COMPUTER_NAME.text(p("/osProfile/computerName")),
            match known {
                Some(k) => CUSTOM_DATA.copied(k),
                None => CUSTOM_DATA.null(),
            },
            tags_of(json),
            PRIVATE_IP_ADDRESS.to_opt(addresses.first().cloned()),
            PRIVATE_IP_ADDRESSES.to(addresses),
            VIRTUAL_MACHINE_ID.text(p("/vmId")),
            ID.to(id.to_string()),
            ADMIN_SSH_KEY.to_set(keys),
            (OS_DISK.name(), os_disk),
            (SOURCE_IMAGE_REFERENCE.name(), image),
        ]))
    }

    async fn start_put(&self, cx: &Arm, id: &ArmId, body: &Json) -> Result<Answer, ProviderError> {
        let vm: models::VirtualMachine = model("virtual machine", body)?;
        sent(
            "PUT virtual machine",
            vm_targets,
            cx.compute()
                .virtual_machines_client()
                .create_or_update(&id.resource_group, id.name(), vm, cx.subscription())
                .send(),
        )
        .await
    }

    async fn start_delete(&self, cx: &Arm, id: &ArmId) -> Result<Answer, ProviderError> {
        sent(
            "DELETE virtual machine",
            no_targets,
            cx.compute()
                .virtual_machines_client()
                .delete(&id.resource_group, id.name(), cx.subscription())
                .send(),
        )
        .await
    }

    async fn get(&self, cx: &Arm, id: &ArmId) -> Result<Option<Json>, ProviderError> {
        let got = cx
            .retried(|| {
                sent(
                    "GET virtual machine",
                    no_targets,
                    cx.compute()
                        .virtual_machines_client()
                        .get(&id.resource_group, id.name(), cx.subscription())
                        .send(),
                )
            })
            .await;
        let Some(mut vm) = found(got)? else {
            return Ok(None);
        };
        let nic_ids: Vec<String> = vm
            .pointer("/properties/networkProfile/networkInterfaces")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(|n| text(n, "/id"))
            .map(str::to_owned)
            .collect();
        let mut addresses = Vec::new();
        for nic in &nic_ids {
            if let Some(nic) = cx
                .get("GET network interface", nic, crate::client::NETWORK_API)
                .await?
            {
                addresses.extend(nic_addresses(&nic));
            }
        }
        vm[ADDRESSES_KEY] = json!(addresses);
        Ok(Some(vm))
    }

    async fn list(&self, cx: &Arm, member: &ArmId) -> Result<Vec<Json>, ProviderError> {
        let operation = "list virtual machines";
        let mut vms = cx
            .retried(|| {
                pages(
                    operation,
                    cx.compute()
                        .virtual_machines_client()
                        .list(&member.resource_group, cx.subscription())
                        .into_stream(),
                    |page: models::VirtualMachineListResult| page.value,
                )
            })
            .await?;
        // The addresses: one listing of the group's network interfaces.
        let nics = cx
            .list(
                "list network interfaces",
                &format!(
                    "{}/providers/Microsoft.Network/networkInterfaces",
                    ArmId::group(&member.subscription, &member.resource_group)
                ),
                crate::client::NETWORK_API,
            )
            .await?;
        for vm in &mut vms {
            let mut addresses = Vec::new();
            for wanted in vm
                .pointer("/properties/networkProfile/networkInterfaces")
                .and_then(Json::as_array)
                .cloned()
                .unwrap_or_default()
                .iter()
                .filter_map(|n| text(n, "/id"))
            {
                if let Some(nic) = nics
                    .iter()
                    .find(|n| text(n, "/id").is_some_and(|id| same(id, wanted)))
                {
                    addresses.extend(nic_addresses(nic));
                }
            }
            vm[ADDRESSES_KEY] = json!(addresses);
        }
        Ok(vms)
    }
}

/// The private addresses of a network interface, primary configuration first.
fn nic_addresses(nic: &Json) -> Vec<String> {
    let mut configurations: Vec<&Json> = nic
        .pointer("/properties/ipConfigurations")
        .and_then(Json::as_array)
        .map(|c| c.iter().collect())
        .unwrap_or_default();
    configurations.sort_by_key(|c| {
        !c.pointer("/properties/primary")
            .and_then(Json::as_bool)
            .unwrap_or(false)
    });
    configurations
        .iter()
        .filter_map(|c| text(c, "/properties/privateIPAddress"))
        .map(str::to_owned)
        .collect()
}

// ---------------------------------------------------------------------------------------
// azurerm_managed_disk

const CREATE_OPTION: Attr<String> = Attr::new("create_option");

pub(crate) struct ManagedDisk;

fn disk_targets(target: &str) -> Option<&'static [&'static str]> {
    Some(match target {
        "diskName" => &["name"],
        "diskSizeGB" | "properties.diskSizeGB" => &["disk_size_gb"],
        "sku" | "sku.name" => &["storage_account_type"],
        "location" => &["location"],
        _ => return None,
    })
}

#[async_trait]
impl ArmType for ManagedDisk {
    fn type_name(&self) -> &'static str {
        "azurerm_managed_disk"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(
            "A managed disk; attach it to a VM with \
             `azurerm_virtual_machine_data_disk_attachment`.",
        )
        .with(NAME.required().force_new().describe("The disk's name."))
        .with(rg_attr())
        .with(location_attr("disk"))
        .with(
            STORAGE_ACCOUNT_TYPE
                .required()
                .of_type(Type::string_union(STORAGE_TYPES))
                .describe("The disk's SKU; changed in place."),
        )
        .with(
            CREATE_OPTION
                .required()
                .force_new()
                .of_type(Type::string_union(["Empty"]))
                .describe("`Empty`: a new, empty disk."),
        )
        .with(
            DISK_SIZE_GB
                .required()
                .describe("Size in GB; grown in place (Azure refuses to shrink a disk)."),
        )
        .with(
            ZONE.optional()
                .force_new()
                .describe("The availability zone (`1`, `2`, `3`)."),
        )
        .with(tags_attr())
        .with(
            ID.computed()
                .describe("The disk's ARM id, also the import id."),
        )
    }

    fn what(&self) -> &'static str {
        "managed disk"
    }

    fn kinds(&self) -> &'static [&'static str] {
        &[DISK]
    }

    fn api(&self) -> &'static str {
        DISKS_API
    }

    fn targets(&self) -> Targets {
        disk_targets
    }

    fn validate(&self, config: &Value, problems: &mut Vec<Problem>) {
        if let Some(size) = whole_number_outside(config, DISK_SIZE_GB.name(), 1.0..=65536.0) {
            problems.push(problem_at(
                &["disk_size_gb"],
                format!("a disk is 1 to 65536 GB, a whole number; {size} is not"),
            ));
        }
    }

    fn id(&self, cx: &Arm, planned: &Value) -> Result<ArmId, ProviderError> {
        named_id(cx, planned, DISK)
    }

    async fn body(
        &self,
        cx: &Arm,
        planned: &Value,
        _existing: Option<&Json>,
    ) -> Result<Json, ProviderError> {
        let mut body = json!({
            "location": cx.location(LOCATION.get(planned)?)?,
            "tags": tags_json(planned)?,
            "sku": {"name": STORAGE_ACCOUNT_TYPE.require(planned)?},
            "properties": {
                "creationData": {"createOption": CREATE_OPTION.require(planned)?},
                "diskSizeGB": DISK_SIZE_GB.require(planned)?,
            },
        });
        if let Some(zone) = ZONE.get(planned)? {
            body["zones"] = json!([zone]);
        }
        Ok(body)
    }

    fn value(&self, json: &Json, _known: Option<&Value>) -> Result<Value, ProviderError> {
        let id = ArmId::parse(text(json, "/id").unwrap_or_default(), self.what())?;
        Ok(self.schema().instance([
            placed(&id)[0].clone(),
            placed(&id)[1].clone(),
            LOCATION.text(text(json, "/location")),
            STORAGE_ACCOUNT_TYPE.text(text(json, "/sku/name")),
            CREATE_OPTION.text(text(json, "/properties/creationData/createOption")),
            DISK_SIZE_GB.to_opt(
                json.pointer("/properties/diskSizeGB")
                    .and_then(Json::as_i64),
            ),
            ZONE.to_opt(texts(json, "/zones").into_iter().next()),
            tags_of(json),
            ID.to(id.to_string()),
        ]))
    }

    async fn start_put(&self, cx: &Arm, id: &ArmId, body: &Json) -> Result<Answer, ProviderError> {
        let disk: models::Disk = model("managed disk", body)?;
        sent(
            "PUT managed disk",
            disk_targets,
            cx.compute()
                .disks_client()
                .create_or_update(cx.subscription(), &id.resource_group, id.name(), disk)
                .send(),
        )
        .await
    }

    async fn start_delete(&self, cx: &Arm, id: &ArmId) -> Result<Answer, ProviderError> {
        sent(
            "DELETE managed disk",
            no_targets,
            cx.compute()
                .disks_client()
                .delete(cx.subscription(), &id.resource_group, id.name())
                .send(),
        )
        .await
    }

    async fn get(&self, cx: &Arm, id: &ArmId) -> Result<Option<Json>, ProviderError> {
        found(
            cx.retried(|| {
                sent(
                    "GET managed disk",
                    no_targets,
                    cx.compute()
                        .disks_client()
                        .get(cx.subscription(), &id.resource_group, id.name())
                        .send(),
                )
            })
            .await,
        )
    }

    async fn list(&self, cx: &Arm, member: &ArmId) -> Result<Vec<Json>, ProviderError> {
        cx.retried(|| {
            pages(
                "list managed disks",
                cx.compute()
                    .disks_client()
                    .list_by_resource_group(cx.subscription(), &member.resource_group)
                    .into_stream(),
                |page: models::DiskList| page.value,
            )
        })
        .await
    }
}

// ---------------------------------------------------------------------------------------
// azurerm_availability_set

const FAULT_DOMAINS: Attr<i64> = Attr::new("platform_fault_domain_count");
const UPDATE_DOMAINS: Attr<i64> = Attr::new("platform_update_domain_count");
const MANAGED: Attr<bool> = Attr::new("managed");

pub(crate) struct AvailabilitySet;

#[async_trait]
impl ArmType for AvailabilitySet {
    fn type_name(&self) -> &'static str {
        "azurerm_availability_set"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new("An availability set: VMs spread over fault and update domains.")
            .with(NAME.required().force_new().describe("The set's name."))
            .with(rg_attr())
            .with(location_attr("set"))
            .with(
                FAULT_DOMAINS
                    .optional()
                    .force_new()
                    .default_value(3)
                    .describe("Fault domains, 1-3."),
            )
            .with(
                UPDATE_DOMAINS
                    .optional()
                    .force_new()
                    .default_value(5)
                    .describe("Update domains, 1-20."),
            )
            .with(
                MANAGED
                    .optional()
                    .force_new()
                    .default_value(true)
                    .describe("For VMs with managed disks (SKU `Aligned`)."),
            )
            .with(tags_attr())
            .with(
                ID.computed()
                    .describe("The set's ARM id, also the import id."),
            )
    }

    fn what(&self) -> &'static str {
        "availability set"
    }

    fn kinds(&self) -> &'static [&'static str] {
        &[AVSET]
    }

    fn api(&self) -> &'static str {
        COMPUTE_API
    }

    fn validate(&self, config: &Value, problems: &mut Vec<Problem>) {
        for (attr, max) in [(FAULT_DOMAINS, 3.0), (UPDATE_DOMAINS, 20.0)] {
            if let Some(n) = config
                .get(attr.name())
                .filter(|v| v.is_known())
                .and_then(Value::as_number)
            {
                if !(1.0..=max).contains(&n) {
                    problems.push(problem_at(
                        &[attr.name()],
                        format!("`{}` is 1 to {max}; {n} is not", attr.name()),
                    ));
                }
            }
        }
    }

    fn id(&self, cx: &Arm, planned: &Value) -> Result<ArmId, ProviderError> {
        named_id(cx, planned, AVSET)
    }

    async fn body(
        &self,
        cx: &Arm,
        planned: &Value,
        _existing: Option<&Json>,
    ) -> Result<Json, ProviderError> {
        let sku = if MANAGED.or(planned, true)? {
            "Aligned"
        } else {
            "Classic"
        };
        Ok(json!({
            "location": cx.location(LOCATION.get(planned)?)?,
            "tags": tags_json(planned)?,
            "sku": {"name": sku},
            "properties": {
                "platformFaultDomainCount": FAULT_DOMAINS.or(planned, 3)?,
                "platformUpdateDomainCount": UPDATE_DOMAINS.or(planned, 5)?,
            },
        }))
    }

    fn value(&self, json: &Json, _known: Option<&Value>) -> Result<Value, ProviderError> {
        let id = ArmId::parse(text(json, "/id").unwrap_or_default(), self.what())?;
        let n = |ptr: &str| json.pointer(ptr).and_then(Json::as_i64);
        Ok(self.schema().instance([
            placed(&id)[0].clone(),
            placed(&id)[1].clone(),
            LOCATION.text(text(json, "/location")),
            FAULT_DOMAINS.to_opt(n("/properties/platformFaultDomainCount")),
            UPDATE_DOMAINS.to_opt(n("/properties/platformUpdateDomainCount")),
            MANAGED.to(text(json, "/sku/name").is_some_and(|s| s.eq_ignore_ascii_case("aligned"))),
            tags_of(json),
            ID.to(id.to_string()),
        ]))
    }

    async fn start_put(&self, cx: &Arm, id: &ArmId, body: &Json) -> Result<Answer, ProviderError> {
        let set: models::AvailabilitySet = model("availability set", body)?;
        sent(
            "PUT availability set",
            no_targets,
            cx.compute()
                .availability_sets_client()
                .create_or_update(&id.resource_group, id.name(), set, cx.subscription())
                .send(),
        )
        .await
    }

    async fn start_delete(&self, cx: &Arm, id: &ArmId) -> Result<Answer, ProviderError> {
        sent(
            "DELETE availability set",
            no_targets,
            cx.compute()
                .availability_sets_client()
                .delete(&id.resource_group, id.name(), cx.subscription())
                .send(),
        )
        .await
    }

    async fn list(&self, cx: &Arm, member: &ArmId) -> Result<Vec<Json>, ProviderError> {
        cx.retried(|| {
            pages(
                "list availability sets",
                cx.compute()
                    .availability_sets_client()
                    .list(&member.resource_group, cx.subscription())
                    .into_stream(),
                |page: models::AvailabilitySetListResult| page.value,
            )
        })
        .await
    }
}
