//! `azurerm_virtual_machine_data_disk_attachment`: a managed disk attached to a VM at a
//! LUN. Not an ARM resource of its own: an entry of the VM's `storageProfile.dataDisks`,
//! changed with a PATCH of the VM (`azure_mgmt_compute`'s `update`), polled to its end.
//! Attachments of one VM take turns (each PATCH carries the VM's whole list of data disks).

use aic_lang::types::Type;
use aic_lang::value::Value;
use aic_provider::{ProviderError, ResourceSchema};
use aic_provider_kit::bulk::{each, Results};
use aic_provider_kit::values::id_if_any;
use aic_provider_kit::{Attr, CreateToken, Declare, Resource, ID};
use async_trait::async_trait;
use azure_core::Method;
use azure_mgmt_compute::package_2024_07_01::models;
use serde_json::{json, Value as Json};

use crate::client::{no_targets, Arm, COMPUTE_API};
use crate::compute::{model, sent, DISK, VM};
use crate::ids::{same, ArmId};
use crate::typed::text;

const MANAGED_DISK_ID: Attr<String> = Attr::new("managed_disk_id");
const VIRTUAL_MACHINE_ID: Attr<String> = Attr::new("virtual_machine_id");
const LUN: Attr<i64> = Attr::new("lun");
const CACHING: Attr<String> = Attr::new("caching");
const CREATE_OPTION: Attr<String> = Attr::new("create_option");

pub(crate) struct DataDiskAttachment;

fn schema() -> ResourceSchema {
    ResourceSchema::new(
        "A managed disk attached to a Linux virtual machine at a LUN (an entry of the VM's \
         data disks, changed with a PATCH of the VM).",
    )
    .with(
        MANAGED_DISK_ID
            .required()
            .force_new()
            .describe("The `azurerm_managed_disk`'s id."),
    )
    .with(
        VIRTUAL_MACHINE_ID
            .required()
            .force_new()
            .describe("The VM's id."),
    )
    .with(
        LUN.required()
            .force_new()
            .describe("The logical unit number, unique per VM."),
    )
    .with(
        CACHING
            .required()
            .of_type(Type::string_union(["None", "ReadOnly", "ReadWrite"]))
            .describe("`None`, `ReadOnly` or `ReadWrite`; changed in place."),
    )
    .with(
        CREATE_OPTION
            .optional()
            .force_new()
            .default_value("Attach")
            .of_type(Type::string_union(["Attach"]))
            .describe("`Attach`: attach the existing disk."),
    )
    .with(
        ID.computed()
            .describe("`VM_ID/dataDisks/DISK_NAME` (azurerm's id), also the import id."),
    )
}

/// The VM and disk of an attachment id.
fn split(id: &str) -> Result<(ArmId, String), ProviderError> {
    let lower = id.to_ascii_lowercase();
    let at = lower.rfind("/datadisks/").ok_or_else(|| {
        ProviderError::invalid_config(format!(
            "`{id}` is not a data disk attachment id (`VM_ID/dataDisks/DISK_NAME`)"
        ))
    })?;
    let vm = ArmId::parse(&id[..at], "a virtual machine")?;
    Ok((vm, id[at + "/dataDisks/".len()..].to_owned()))
}

impl DataDiskAttachment {
    async fn vm(&self, cx: &Arm, vm: &ArmId) -> Result<Option<Json>, ProviderError> {
        let got = cx
            .retried(|| {
                sent(
                    "GET virtual machine",
                    no_targets,
                    cx.compute()
                        .virtual_machines_client()
                        .get(&vm.resource_group, vm.name(), cx.subscription())
                        .send(),
                )
            })
            .await;
        match got {
            Ok(answer) => Ok(answer.body),
            Err(e) if e.kind() == aic_provider::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The VM's data disks changed by `change`, sent as a PATCH and polled to its end.
    async fn patch(
        &self,
        cx: &Arm,
        vm: &ArmId,
        change: impl FnOnce(&mut Vec<Json>) -> Result<(), ProviderError>,
    ) -> Result<(), ProviderError> {
        let Some(current) = self.vm(cx, vm).await? else {
            return Err(ProviderError::not_found(format!(
                "the virtual machine {vm} does not exist"
            )));
        };
        let mut disks: Vec<Json> = current
            .pointer("/properties/storageProfile/dataDisks")
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default();
        change(&mut disks)?;
        let operation = "PATCH virtual machine (data disks)";
        let body = json!({"properties": {"storageProfile": {"dataDisks": disks}}});
        if disks.is_empty() {
            // The SDK's model drops an empty `dataDisks` (`skip_serializing_if =
            // "Vec::is_empty"`), which would leave the last disk attached: sent as it is.
            return cx
                .put(
                    operation,
                    Method::Patch,
                    &vm.to_string(),
                    COMPUTE_API,
                    &body,
                    no_targets,
                )
                .await;
        }
        let update: models::VirtualMachineUpdate = model("virtual machine update", &body)?;
        cx.put_with(
            "PATCH virtual machine (data disks)",
            &vm.to_string(),
            COMPUTE_API,
            || {
                sent(
                    "PATCH virtual machine (data disks)",
                    no_targets,
                    cx.compute()
                        .virtual_machines_client()
                        .update(
                            &vm.resource_group,
                            vm.name(),
                            update.clone(),
                            cx.subscription(),
                        )
                        .send(),
                )
            },
        )
        .await
    }

    fn value_of(
        &self,
        vm: &ArmId,
        disk: &Json,
        known: Option<&Value>,
    ) -> Result<Value, ProviderError> {
        let disk_id = text(disk, "/managedDisk/id").unwrap_or_default();
        let name = text(disk, "/name")
            .map(str::to_owned)
            .or_else(|| {
                ArmId::parse(disk_id, "a disk")
                    .ok()
                    .map(|d| d.name().to_owned())
            })
            .unwrap_or_default();
        let keep = |attr: Attr<String>, found: &str| match known
            .and_then(|k| attr.get(k).ok().flatten())
        {
            Some(k) if same(&k, found) => k,
            _ => found.to_owned(),
        };
        let vm_id = keep(VIRTUAL_MACHINE_ID, &vm.to_string());
        Ok(schema().instance([
            MANAGED_DISK_ID.to(keep(MANAGED_DISK_ID, disk_id)),
            VIRTUAL_MACHINE_ID.to(vm_id.clone()),
            LUN.to_opt(disk.get("lun").and_then(Json::as_i64)),
            CACHING.to(text(disk, "/caching").unwrap_or("None")),
            CREATE_OPTION.to("Attach"),
            ID.to(format!("{vm_id}/dataDisks/{name}")),
        ]))
    }

    /// The attachment of `disk_id` (or of the disk named `disk_name`) to `vm`.
    async fn find(
        &self,
        cx: &Arm,
        vm: &ArmId,
        wanted: impl Fn(&Json) -> bool,
        known: Option<&Value>,
    ) -> Result<Option<Value>, ProviderError> {
        let Some(current) = self.vm(cx, vm).await? else {
            return Ok(None);
        };
        let disks = current
            .pointer("/properties/storageProfile/dataDisks")
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default();
        disks
            .iter()
            .find(|d| wanted(d))
            .map(|d| self.value_of(vm, d, known))
            .transpose()
    }

    fn parts(&self, object: &Value) -> Result<(ArmId, String), ProviderError> {
        let vm = ArmId::parse(&VIRTUAL_MACHINE_ID.require(object)?, "a virtual machine")?;
        let disk = MANAGED_DISK_ID.require(object)?;
        ArmId::parse(&disk, "a managed disk").and_then(|d| {
            if d.is(&[DISK]) {
                Ok(())
            } else {
                Err(ProviderError::invalid_config(format!(
                    "`{disk}` is not the id of a managed disk"
                )))
            }
        })?;
        if !vm.is(&[VM]) {
            return Err(ProviderError::invalid_config(format!(
                "`{vm}` is not the id of a virtual machine"
            )));
        }
        Ok((vm, disk))
    }
}

#[async_trait]
impl Resource<Arm> for DataDiskAttachment {
    fn type_name(&self) -> &'static str {
        "azurerm_virtual_machine_data_disk_attachment"
    }

    fn schema(&self) -> ResourceSchema {
        schema()
    }

    async fn create(
        &self,
        cx: &Arm,
        planned: &Value,
        _token: &CreateToken,
    ) -> Result<Value, ProviderError> {
        let (vm, disk) = self.parts(planned)?;
        let lun = LUN.require(planned)?;
        let caching = CACHING.require(planned)?;
        let _turn = cx.turn(&vm.to_string()).await;
        let wanted = disk.clone();
        self.patch(cx, &vm, |disks| {
            if !disks
                .iter()
                .any(|d| text(d, "/managedDisk/id").is_some_and(|id| same(id, &wanted)))
            {
                disks.push(json!({
                    "lun": lun,
                    "createOption": "Attach",
                    "caching": caching,
                    "managedDisk": {"id": wanted},
                }));
            }
            Ok(())
        })
        .await?;
        self.find(
            cx,
            &vm,
            |d| text(d, "/managedDisk/id").is_some_and(|id| same(id, &disk)),
            Some(planned),
        )
        .await?
        .ok_or_else(|| {
            ProviderError::other(format!(
                "the disk {disk} is not attached to {vm} after the PATCH"
            ))
        })
    }

    async fn read_many(&self, cx: &Arm, priors: &[Value]) -> Results {
        each(priors, |prior| self.read(cx, prior)).await
    }

    async fn read(&self, cx: &Arm, prior: &Value) -> Result<Option<Value>, ProviderError> {
        if id_if_any(prior).is_none() {
            return Ok(None);
        }
        let (vm, disk) = self.parts(prior)?;
        self.find(
            cx,
            &vm,
            |d| text(d, "/managedDisk/id").is_some_and(|id| same(id, &disk)),
            Some(prior),
        )
        .await
    }

    async fn update(
        &self,
        cx: &Arm,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let (vm, disk) = self.parts(prior)?;
        let caching = CACHING.require(planned)?;
        let _turn = cx.turn(&vm.to_string()).await;
        let wanted = disk.clone();
        self.patch(cx, &vm, |disks| {
            for d in disks.iter_mut() {
                if text(d, "/managedDisk/id").is_some_and(|id| same(id, &wanted)) {
                    d["caching"] = json!(caching);
                }
            }
            Ok(())
        })
        .await?;
        self.find(
            cx,
            &vm,
            |d| text(d, "/managedDisk/id").is_some_and(|id| same(id, &disk)),
            Some(planned),
        )
        .await?
        .ok_or_else(|| ProviderError::not_found(format!("the disk {disk} is no longer attached")))
    }

    async fn delete(&self, cx: &Arm, prior: &Value) -> Result<(), ProviderError> {
        let (vm, disk) = self.parts(prior)?;
        let _turn = cx.turn(&vm.to_string()).await;
        let attached = self
            .find(
                cx,
                &vm,
                |d| text(d, "/managedDisk/id").is_some_and(|id| same(id, &disk)),
                None,
            )
            .await?;
        if attached.is_none() {
            return Ok(());
        }
        match self
            .patch(cx, &vm, |disks| {
                disks.retain(|d| !text(d, "/managedDisk/id").is_some_and(|id| same(id, &disk)));
                Ok(())
            })
            .await
        {
            Err(e) if e.kind() == aic_provider::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    async fn import(&self, cx: &Arm, id: &str) -> Result<Option<Value>, ProviderError> {
        let (vm, name) = split(id)?;
        self.find(
            cx,
            &vm,
            |d| {
                text(d, "/name").is_some_and(|n| n.eq_ignore_ascii_case(&name))
                    || text(d, "/managedDisk/id")
                        .and_then(|i| ArmId::parse(i, "a disk").ok())
                        .is_some_and(|i| i.name().eq_ignore_ascii_case(&name))
            },
            None,
        )
        .await
    }
}
