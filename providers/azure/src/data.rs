//! Data sources: a resource group (plain ARM REST), the VM sizes of a location and a
//! platform image of a location (`azure_mgmt_compute`'s typed answers).

use aic_lang::types::{ObjectAttr, Type};
use aic_lang::value::Value;
use aic_provider::{ProviderError, ResourceSchema};
use aic_provider_kit::{Attr, DataSource, Declare, ID};
use async_trait::async_trait;
use serde_json::Value as Json;

use crate::client::{error_of, no_targets, Arm, RESOURCES_API};
use crate::ids::ArmId;
use crate::typed::{tags_of, text, LOCATION, NAME, TAGS};

/// The typed body of an SDK request sent with `.send()`.
macro_rules! typed_body {
    ($operation:expr, $request:expr) => {
        async {
            let response = $request
                .send()
                .await
                .map_err(|e| error_of($operation, &e, no_targets))?;
            response
                .into_body()
                .await
                .map_err(|e| error_of($operation, &e, no_targets))
        }
    };
}

// ---------------------------------------------------------------------------------------
// data azurerm_resource_group

pub(crate) struct ResourceGroupData;

fn group_schema() -> ResourceSchema {
    ResourceSchema::new("An existing resource group.")
        .with(NAME.required().describe("The group's name."))
        .with(LOCATION.computed().describe("Its location."))
        .with(TAGS.computed().describe("Its tags."))
        .with(ID.computed().describe("Its ARM id."))
}

#[async_trait]
impl DataSource<Arm> for ResourceGroupData {
    fn type_name(&self) -> &'static str {
        "azurerm_resource_group"
    }

    fn schema(&self) -> ResourceSchema {
        group_schema()
    }

    async fn read(&self, cx: &Arm, config: &Value) -> Result<Value, ProviderError> {
        let name = NAME.require(config)?;
        let id = ArmId::group(cx.subscription(), &name);
        let json = cx
            .get("GET resource group", &id.to_string(), RESOURCES_API)
            .await?
            .ok_or_else(|| {
                ProviderError::not_found(format!(
                    "there is no resource group {name:?} in subscription {}",
                    cx.subscription()
                ))
            })?;
        Ok(group_schema().instance([
            NAME.to(name),
            LOCATION.text(text(&json, "/location")),
            tags_of(&json),
            ID.text(text(&json, "/id")),
        ]))
    }
}

// ---------------------------------------------------------------------------------------
// data azurerm_virtual_machine_sizes

const SIZES: &str = "sizes";
const NAMES: Attr<Vec<String>> = Attr::new("names");

fn size_type() -> Type {
    Type::object([
        ("name", ObjectAttr::required(Type::String)),
        ("number_of_cores", ObjectAttr::required(Type::Number)),
        ("memory_in_mb", ObjectAttr::required(Type::Number)),
        ("max_data_disk_count", ObjectAttr::required(Type::Number)),
        ("os_disk_size_in_mb", ObjectAttr::required(Type::Number)),
        (
            "resource_disk_size_in_mb",
            ObjectAttr::required(Type::Number),
        ),
    ])
}

fn sizes_schema() -> ResourceSchema {
    ResourceSchema::new("The VM sizes available in a location.")
        .with(
            LOCATION
                .optional_computed()
                .describe("The location; the provider's when not set."),
        )
        .with(NAMES.computed().describe("The sizes' names."))
        .with(
            Attr::<String>::new(SIZES)
                .computed()
                .of_type(Type::list(size_type()))
                .describe(
                    "Each size: `name`, `number_of_cores`, `memory_in_mb`, \
                     `max_data_disk_count`, `os_disk_size_in_mb`, `resource_disk_size_in_mb`.",
                ),
        )
}

pub(crate) struct VmSizes;

#[async_trait]
impl DataSource<Arm> for VmSizes {
    fn type_name(&self) -> &'static str {
        "azurerm_virtual_machine_sizes"
    }

    fn schema(&self) -> ResourceSchema {
        sizes_schema()
    }

    async fn read(&self, cx: &Arm, config: &Value) -> Result<Value, ProviderError> {
        let location = cx.location(LOCATION.get(config)?)?;
        let listed = cx
            .retried(|| {
                typed_body!(
                    "list VM sizes",
                    cx.compute()
                        .virtual_machine_sizes_client()
                        .list(&location, cx.subscription())
                )
            })
            .await?;
        let number = |n: Option<i32>| Value::number(f64::from(n.unwrap_or_default()));
        let mut names = Vec::new();
        let sizes: Vec<Value> = listed
            .value
            .iter()
            .map(|s| {
                let name = s.name.clone().unwrap_or_default();
                names.push(name.clone());
                Value::object([
                    ("name", Value::string(name)),
                    ("number_of_cores", number(s.number_of_cores)),
                    ("memory_in_mb", number(s.memory_in_mb)),
                    ("max_data_disk_count", number(s.max_data_disk_count)),
                    ("os_disk_size_in_mb", number(s.os_disk_size_in_mb)),
                    (
                        "resource_disk_size_in_mb",
                        number(s.resource_disk_size_in_mb),
                    ),
                ])
            })
            .collect();
        Ok(sizes_schema().instance([
            LOCATION.to(location),
            NAMES.to(names),
            (SIZES, Value::list(sizes)),
        ]))
    }
}

// ---------------------------------------------------------------------------------------
// data azurerm_platform_image

const PUBLISHER: Attr<String> = Attr::new("publisher");
const OFFER: Attr<String> = Attr::new("offer");
const SKU: Attr<String> = Attr::new("sku");
const VERSION: Attr<String> = Attr::new("version");

fn image_schema() -> ResourceSchema {
    ResourceSchema::new("A platform image of the Azure Marketplace in a location.")
        .with(
            LOCATION
                .optional_computed()
                .describe("The location; the provider's when not set."),
        )
        .with(PUBLISHER.required().describe("`Canonical`, …"))
        .with(OFFER.required().describe("`ubuntu-24_04-lts`, …"))
        .with(SKU.required().describe("`server`, …"))
        .with(
            VERSION
                .optional_computed()
                .describe("A version; the latest when not set."),
        )
        .with(ID.computed().describe("The image version's id."))
}

/// The numbers of a version (`22.04.202410020`), to order versions.
fn version_key(version: &str) -> Vec<u64> {
    version
        .split('.')
        .map(|p| p.parse().unwrap_or_default())
        .collect()
}

pub(crate) struct PlatformImage;

#[async_trait]
impl DataSource<Arm> for PlatformImage {
    fn type_name(&self) -> &'static str {
        "azurerm_platform_image"
    }

    fn schema(&self) -> ResourceSchema {
        image_schema()
    }

    async fn read(&self, cx: &Arm, config: &Value) -> Result<Value, ProviderError> {
        let location = cx.location(LOCATION.get(config)?)?;
        let (publisher, offer, sku) = (
            PUBLISHER.require(config)?,
            OFFER.require(config)?,
            SKU.require(config)?,
        );
        let versions = cx
            .retried(|| {
                typed_body!(
                    "list image versions",
                    cx.compute().virtual_machine_images_client().list(
                        &location,
                        &publisher,
                        &offer,
                        &sku,
                        cx.subscription()
                    )
                )
            })
            .await?;
        let wanted = VERSION.get(config)?;
        let chosen = match &wanted {
            Some(v) => versions.iter().find(|i| i.name.eq_ignore_ascii_case(v)),
            None => versions
                .iter()
                .max_by(|a, b| version_key(&a.name).cmp(&version_key(&b.name))),
        };
        let chosen = chosen.ok_or_else(|| {
            ProviderError::not_found(format!(
                "no platform image {publisher}:{offer}:{sku}:{} in {location}",
                wanted.as_deref().unwrap_or("latest")
            ))
        })?;
        let id = serde_json::to_value(&chosen.sub_resource)
            .ok()
            .and_then(|j| j.get("id").and_then(Json::as_str).map(str::to_owned));
        Ok(image_schema().instance([
            LOCATION.to(location.clone()),
            PUBLISHER.to(publisher.clone()),
            OFFER.to(offer.clone()),
            SKU.to(sku.clone()),
            VERSION.to(chosen.name.clone()),
            ID.to_opt(id),
        ]))
    }
}
