//! `azurerm_linux_virtual_machine_scale_set`: a Uniform scale set of Linux VMs through
//! `azure_mgmt_compute`'s scale-set client. `sku` (the size) and `instances` change in
//! place: a PUT with the new `sku.capacity` scales the set, adding or removing instances,
//! polled to its end.

use aic_lang::types::Type;
use aic_lang::value::Value;
use aic_provider::{Problem, ProviderError, ResourceSchema};
use aic_provider_kit::lro::Answer;
use aic_provider_kit::values::{problem_at, whole_number_outside};
use aic_provider_kit::{Attr, Block, Declare, ID};
use async_trait::async_trait;
use azure_mgmt_compute::package_2024_07_01::models;
use serde_json::{json, Value as Json};

use crate::client::{no_targets, Arm, Targets, COMPUTE_API};
use crate::compute::{
    found, image_schema, model, pages, sent, ssh_key_schema, ssh_keys, ADMIN_SSH_KEY,
    ADMIN_USERNAME, CACHING, CACHINGS, DISK_SIZE_GB, OFFER, PUBLIC_KEY, PUBLISHER, SKU,
    SOURCE_IMAGE_REFERENCE, STORAGE_ACCOUNT_TYPE, STORAGE_TYPES, USERNAME, VERSION,
};
use crate::ids::{same, ArmId};
use crate::typed::{
    known, named_id, placed, tags_json, tags_of, text, texts, ArmType, LOCATION, NAME,
    RESOURCE_GROUP_NAME, TAGS,
};

const VMSS: &str = "Microsoft.Compute/virtualMachineScaleSets";

const INSTANCES: Attr<i64> = Attr::new("instances");
const COMPUTER_NAME_PREFIX: Attr<String> = Attr::new("computer_name_prefix");
const UPGRADE_MODE: Attr<String> = Attr::new("upgrade_mode");
const ZONES: Attr<Vec<String>> = Attr::new("zones");
const UNIQUE_ID: Attr<String> = Attr::new("unique_id");
const OS_DISK: Block = Block::new("os_disk");
const NETWORK_INTERFACE: Block = Block::new("network_interface");
const IP_CONFIGURATION: Block = Block::new("ip_configuration");
const PRIMARY: Attr<bool> = Attr::new("primary");
const SUBNET_ID: Attr<String> = Attr::new("subnet_id");

fn os_disk_schema() -> ResourceSchema {
    ResourceSchema::new("The OS disk of every instance.")
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
                .describe("The disks' SKU."),
        )
        .with(
            DISK_SIZE_GB
                .optional_computed()
                .force_new()
                .describe("Size in GB; the image's when not set."),
        )
}

fn ip_configuration_schema() -> ResourceSchema {
    ResourceSchema::new("An IP configuration of the instances' interface.")
        .with(NAME.required().describe("The configuration's name."))
        .with(
            SUBNET_ID
                .required()
                .describe("The subnet the instances' addresses come from."),
        )
        .with(
            PRIMARY
                .optional_computed()
                .describe("Whether it is the primary configuration (the first one when not set)."),
        )
}

fn network_interface_schema() -> ResourceSchema {
    ResourceSchema::new("A network interface of every instance.")
        .with(
            NAME.required()
                .describe("The interface configuration's name."),
        )
        .with(PRIMARY.optional_computed().describe(
            "Whether it is the instances' primary interface (the first one when not set).",
        ))
        .with_block(
            IP_CONFIGURATION
                .list(ip_configuration_schema())
                .min_items(1),
        )
}

fn vmss_targets(target: &str) -> Option<&'static [&'static str]> {
    Some(match target {
        "sku.name" | "vmSize" => &["sku"],
        "sku.capacity" => &["instances"],
        "vmScaleSetName" => &["name"],
        "imageReference" => &["source_image_reference"],
        "virtualMachineProfile.osProfile.adminUsername" => &["admin_username"],
        "virtualMachineProfile.osProfile.computerNamePrefix" => &["computer_name_prefix"],
        _ => return None,
    })
}

pub(crate) struct LinuxScaleSet;

#[async_trait]
impl ArmType for LinuxScaleSet {
    fn type_name(&self) -> &'static str {
        "azurerm_linux_virtual_machine_scale_set"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(
            "A Uniform scale set of Linux VMs from a platform image. `instances` and `sku` \
             change in place: the set is scaled (instances added or removed) by Azure's \
             operation, which aic waits for.",
        )
        .with(
            NAME.required()
                .force_new()
                .describe("The scale set's name."),
        )
        .with(
            RESOURCE_GROUP_NAME
                .required()
                .force_new()
                .describe("The resource group it is in."),
        )
        .with(
            LOCATION
                .optional_computed()
                .force_new()
                .describe("The Azure location of the set; the provider's `location` when not set."),
        )
        .with(
            SKU.required()
                .describe("The instances' VM size (`Standard_B1s`, …); changed in place."),
        )
        .with(
            INSTANCES
                .required()
                .describe("How many instances, 0-1000; scaled in place."),
        )
        .with(
            ADMIN_USERNAME
                .required()
                .force_new()
                .describe("The admin user's name."),
        )
        .with(
            COMPUTER_NAME_PREFIX
                .optional_computed()
                .force_new()
                .describe("The instances' host name prefix; the set's name when not set."),
        )
        .with(
            UPGRADE_MODE
                .optional()
                .force_new()
                .default_value("Manual")
                .of_type(Type::string_union(["Manual", "Automatic", "Rolling"]))
                .describe("How instances take a new model: `Manual`, `Automatic`, `Rolling`."),
        )
        .with(
            ZONES
                .optional()
                .force_new()
                .describe("Availability zones of the instances."),
        )
        .with(
            TAGS.optional()
                .describe("Tags of the Azure resource; changed in place."),
        )
        .with(
            UNIQUE_ID
                .computed()
                .describe("Azure's unique id of the set."),
        )
        .with(
            ID.computed()
                .describe("The set's ARM id, also the import id."),
        )
        .with_block(ADMIN_SSH_KEY.set(ssh_key_schema()).min_items(1).force_new())
        .with_block(OS_DISK.single(os_disk_schema()).min_items(1))
        .with_block(
            SOURCE_IMAGE_REFERENCE
                .single(image_schema())
                .min_items(1)
                .force_new(),
        )
        .with_block(
            NETWORK_INTERFACE
                .list(network_interface_schema())
                .min_items(1)
                .force_new(),
        )
    }

    fn what(&self) -> &'static str {
        "virtual machine scale set"
    }

    fn kinds(&self) -> &'static [&'static str] {
        &[VMSS]
    }

    fn api(&self) -> &'static str {
        COMPUTE_API
    }

    fn targets(&self) -> Targets {
        vmss_targets
    }

    fn validate(&self, config: &Value, problems: &mut Vec<Problem>) {
        if let Some(n) = whole_number_outside(config, INSTANCES.name(), 0.0..=1000.0) {
            problems.push(problem_at(
                &["instances"],
                format!("a scale set has 0 to 1000 instances; {n} is not"),
            ));
        }
    }

    fn id(&self, cx: &Arm, planned: &Value) -> Result<ArmId, ProviderError> {
        named_id(cx, planned, VMSS)
    }

    async fn body(
        &self,
        cx: &Arm,
        planned: &Value,
        _existing: Option<&Json>,
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
        });
        if let Some(size) = known(DISK_SIZE_GB, os)? {
            os_disk["diskSizeGB"] = json!(size);
        }
        let mut nics = Vec::new();
        let interfaces = NETWORK_INTERFACE.items(planned);
        for (i, nic) in interfaces.iter().enumerate() {
            let mut ips = Vec::new();
            let configurations = IP_CONFIGURATION.items(nic);
            for (j, ip) in configurations.iter().enumerate() {
                ips.push(json!({
                    "name": NAME.require(ip)?,
                    "properties": {
                        "primary": known(PRIMARY, ip)?.unwrap_or(j == 0),
                        "subnet": {"id": SUBNET_ID.require(ip)?},
                    },
                }));
            }
            nics.push(json!({
                "name": NAME.require(nic)?,
                "properties": {
                    "primary": known(PRIMARY, nic)?.unwrap_or(i == 0),
                    "ipConfigurations": ips,
                },
            }));
        }
        let mut body = json!({
            "location": cx.location(LOCATION.get(planned)?)?,
            "tags": tags_json(planned)?,
            "sku": {
                "name": SKU.require(planned)?,
                "tier": "Standard",
                "capacity": INSTANCES.require(planned)?,
            },
            "properties": {
                "orchestrationMode": "Uniform",
                "upgradePolicy": {"mode": UPGRADE_MODE.or(planned, "Manual".to_owned())?},
                "virtualMachineProfile": {
                    "osProfile": {
                        "computerNamePrefix": known(COMPUTER_NAME_PREFIX, planned)?.unwrap_or(name),
                        "adminUsername": ADMIN_USERNAME.require(planned)?,
                        "linuxConfiguration": {
                            "disablePasswordAuthentication": true,
                            "ssh": {"publicKeys": ssh_keys(planned)?},
                        },
                    },
                    "storageProfile": {
                        "imageReference": {
                            "publisher": PUBLISHER.require(image)?,
                            "offer": OFFER.require(image)?,
                            "sku": SKU.require(image)?,
                            "version": VERSION.require(image)?,
                        },
                        "osDisk": os_disk,
                    },
                    "networkProfile": {"networkInterfaceConfigurations": nics},
                },
            },
        });
        if let Some(zones) = ZONES.get(planned)?.filter(|z| !z.is_empty()) {
            body["zones"] = json!(zones);
        }
        Ok(body)
    }

    fn value(&self, json: &Json, known: Option<&Value>) -> Result<Value, ProviderError> {
        let id = ArmId::parse(text(json, "/id").unwrap_or_default(), self.what())?;
        let profile = json
            .pointer("/properties/virtualMachineProfile")
            .cloned()
            .unwrap_or(Json::Null);
        let keys: Vec<Value> = profile
            .pointer("/osProfile/linuxConfiguration/ssh/publicKeys")
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
            CACHING.text(text(&profile, "/storageProfile/osDisk/caching")),
            STORAGE_ACCOUNT_TYPE.text(text(
                &profile,
                "/storageProfile/osDisk/managedDisk/storageAccountType",
            )),
            DISK_SIZE_GB.to_opt(
                profile
                    .pointer("/storageProfile/osDisk/diskSizeGB")
                    .and_then(Json::as_i64),
            ),
        ]);
        let image = profile
            .pointer("/storageProfile/imageReference")
            .map(|i| {
                image_schema().instance([
                    PUBLISHER.text(text(i, "/publisher")),
                    OFFER.text(text(i, "/offer")),
                    SKU.text(text(i, "/sku")),
                    VERSION.text(text(i, "/version")),
                ])
            })
            .unwrap_or_else(Value::null);
        // Subnet ids in the case the configuration wrote them.
        let configured_subnets: Vec<String> = known
            .map(|k| {
                NETWORK_INTERFACE
                    .items(k)
                    .iter()
                    .flat_map(|n| IP_CONFIGURATION.items(n))
                    .filter_map(|ip| SUBNET_ID.get(ip).ok().flatten())
                    .collect()
            })
            .unwrap_or_default();
        let nics: Vec<Value> = profile
            .pointer("/networkProfile/networkInterfaceConfigurations")
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|n| {
                let ips: Vec<Value> = n
                    .pointer("/properties/ipConfigurations")
                    .and_then(Json::as_array)
                    .cloned()
                    .unwrap_or_default()
                    .iter()
                    .map(|ip| {
                        let found = text(ip, "/properties/subnet/id").unwrap_or_default();
                        let subnet = configured_subnets
                            .iter()
                            .find(|c| same(c, found))
                            .cloned()
                            .unwrap_or_else(|| found.to_owned());
                        ip_configuration_schema().instance([
                            NAME.text(text(ip, "/name")),
                            SUBNET_ID.to(subnet),
                            PRIMARY.to(ip
                                .pointer("/properties/primary")
                                .and_then(Json::as_bool)
                                .unwrap_or(false)),
                        ])
                    })
                    .collect();
                network_interface_schema().instance([
                    NAME.text(text(n, "/name")),
                    PRIMARY.to(n
                        .pointer("/properties/primary")
                        .and_then(Json::as_bool)
                        .unwrap_or(false)),
                    IP_CONFIGURATION.to_list(ips),
                ])
            })
            .collect();
        let zones = texts(json, "/zones");
        Ok(self.schema().instance([
            placed(&id)[0].clone(),
            placed(&id)[1].clone(),
            LOCATION.text(text(json, "/location")),
            SKU.text(text(json, "/sku/name")),
            INSTANCES.to_opt(json.pointer("/sku/capacity").and_then(Json::as_i64)),
            ADMIN_USERNAME.text(text(&profile, "/osProfile/adminUsername")),
            COMPUTER_NAME_PREFIX.text(text(&profile, "/osProfile/computerNamePrefix")),
            UPGRADE_MODE.to(text(json, "/properties/upgradePolicy/mode").unwrap_or("Manual")),
            if zones.is_empty() {
                ZONES.null()
            } else {
                ZONES.to(zones)
            },
            tags_of(json),
            UNIQUE_ID.text(text(json, "/properties/uniqueId")),
            ID.to(id.to_string()),
            ADMIN_SSH_KEY.to_set(keys),
            (OS_DISK.name(), os_disk),
            (SOURCE_IMAGE_REFERENCE.name(), image),
            NETWORK_INTERFACE.to_list(nics),
        ]))
    }

    async fn start_put(&self, cx: &Arm, id: &ArmId, body: &Json) -> Result<Answer, ProviderError> {
        let set: models::VirtualMachineScaleSet = model("virtual machine scale set", body)?;
        sent(
            "PUT virtual machine scale set",
            vmss_targets,
            cx.compute()
                .virtual_machine_scale_sets_client()
                .create_or_update(&id.resource_group, id.name(), set, cx.subscription())
                .send(),
        )
        .await
    }

    async fn start_delete(&self, cx: &Arm, id: &ArmId) -> Result<Answer, ProviderError> {
        sent(
            "DELETE virtual machine scale set",
            no_targets,
            cx.compute()
                .virtual_machine_scale_sets_client()
                .delete(&id.resource_group, id.name(), cx.subscription())
                .send(),
        )
        .await
    }

    async fn get(&self, cx: &Arm, id: &ArmId) -> Result<Option<Json>, ProviderError> {
        found(
            cx.retried(|| {
                sent(
                    "GET virtual machine scale set",
                    no_targets,
                    cx.compute()
                        .virtual_machine_scale_sets_client()
                        .get(&id.resource_group, id.name(), cx.subscription())
                        .send(),
                )
            })
            .await,
        )
    }

    async fn list(&self, cx: &Arm, member: &ArmId) -> Result<Vec<Json>, ProviderError> {
        cx.retried(|| {
            pages(
                "list virtual machine scale sets",
                cx.compute()
                    .virtual_machine_scale_sets_client()
                    .list(&member.resource_group, cx.subscription())
                    .into_stream(),
                |page: models::VirtualMachineScaleSetListResult| page.value,
            )
        })
        .await
    }
}
