//! Resource groups (`Microsoft.Resources`) and networking (`Microsoft.Network`: virtual
//! networks, subnets, network interfaces) in plain ARM REST through the shared pipeline
//! (decision 0006), with azurerm's names and attributes.

use aic_lang::types::Type;
use aic_lang::value::Value;
use aic_provider::{ProviderError, ResourceSchema};
use aic_provider_kit::{Attr, Block, Declare, ID};
use async_trait::async_trait;
use serde_json::{json, Value as Json};

use aic_provider_kit::lro::Answer;

use crate::client::{Arm, NETWORK_API, RESOURCES_API};
use crate::ids::ArmId;
use crate::typed::{
    known, named_id, placed, send_delete, tags_json, tags_of, text, texts, ArmType, LOCATION, NAME,
    RESOURCE_GROUP_NAME, TAGS,
};

fn location_attr(what: &str) -> aic_provider_kit::Declared {
    LOCATION.optional_computed().force_new().describe(format!(
        "The Azure location of the {what}; the provider's `location` when not set."
    ))
}

fn tags_attr() -> aic_provider_kit::Declared {
    TAGS.optional()
        .describe("Tags of the Azure resource; changed in place.")
}

fn rg_attr() -> aic_provider_kit::Declared {
    RESOURCE_GROUP_NAME
        .required()
        .force_new()
        .describe("The resource group it is in.")
}

// ---------------------------------------------------------------------------------------
// azurerm_resource_group

pub(crate) struct ResourceGroup;

#[async_trait]
impl ArmType for ResourceGroup {
    fn type_name(&self) -> &'static str {
        "azurerm_resource_group"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(
            "A resource group. Azure deletes everything in a group with it, so aic refuses to \
             delete a group that still holds resources it does not manage (they are listed), \
             as azurerm 3.0 does; the provider's `features { resource_group { \
             prevent_deletion_if_contains_resources = false } }` lets the deletion take them \
             along.",
        )
        .with(
            NAME.required()
                .force_new()
                .describe("The group's name (1-90 letters, digits, `_-.()`)."),
        )
        .with(location_attr("group's metadata"))
        .with(tags_attr())
        .with(
            ID.computed()
                .describe("`/subscriptions/SUB/resourceGroups/NAME`, also the import id."),
        )
    }

    fn what(&self) -> &'static str {
        "resource group"
    }

    fn kinds(&self) -> &'static [&'static str] {
        &[]
    }

    fn api(&self) -> &'static str {
        RESOURCES_API
    }

    fn id(&self, cx: &Arm, planned: &Value) -> Result<ArmId, ProviderError> {
        Ok(ArmId::group(cx.subscription(), &NAME.require(planned)?))
    }

    /// Refuses, unless the provider's features allow it, to delete a group that still
    /// holds resources: aic deletes what it manages in the group first, so what is left
    /// is not aic's, and Azure would delete it with the group.
    async fn start_delete(&self, cx: &Arm, id: &ArmId) -> Result<Answer, ProviderError> {
        if cx.settings.prevent_group_deletion_if_not_empty {
            let inside = cx
                .list(
                    "list the resources of a resource group",
                    &format!("{id}/resources"),
                    RESOURCES_API,
                )
                .await?;
            if !inside.is_empty() {
                let mut named: Vec<String> = inside
                    .iter()
                    .take(10)
                    .map(|r| {
                        format!(
                            "{} ({})",
                            text(r, "/id").unwrap_or("?"),
                            text(r, "/type").unwrap_or("?")
                        )
                    })
                    .collect();
                if inside.len() > 10 {
                    named.push(format!("and {} more", inside.len() - 10));
                }
                return Err(ProviderError::other(format!(
                    "resource group `{}` still holds {} resource(s) that aic does not manage, \
                     which Azure would delete with it: {}",
                    id.resource_group,
                    inside.len(),
                    named.join(", ")
                ))
                .with_help(
                    "Delete or move those resources first, import them so that aic manages \
                     them, or set `features { resource_group { \
                     prevent_deletion_if_contains_resources = false } }` in the `azurerm` \
                     provider block to let the group's deletion take them along.",
                ));
            }
        }
        send_delete(cx, self.what(), id, self.api()).await
    }

    async fn body(
        &self,
        cx: &Arm,
        planned: &Value,
        _existing: Option<&Json>,
    ) -> Result<Json, ProviderError> {
        Ok(json!({
            "location": cx.location(LOCATION.get(planned)?)?,
            "tags": tags_json(planned)?,
        }))
    }

    fn value(&self, json: &Json, _known: Option<&Value>) -> Result<Value, ProviderError> {
        Ok(self.schema().instance([
            NAME.text(text(json, "/name")),
            LOCATION.text(text(json, "/location")),
            tags_of(json),
            ID.text(text(json, "/id")),
        ]))
    }
}

// ---------------------------------------------------------------------------------------
// azurerm_virtual_network

const ADDRESS_SPACE: Attr<Vec<String>> = Attr::new("address_space");
const DNS_SERVERS: Attr<Vec<String>> = Attr::new("dns_servers");
const GUID: Attr<String> = Attr::new("guid");

pub(crate) struct VirtualNetwork;

const VNET: &str = "Microsoft.Network/virtualNetworks";

#[async_trait]
impl ArmType for VirtualNetwork {
    fn type_name(&self) -> &'static str {
        "azurerm_virtual_network"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(
            "A virtual network. Its subnets are `azurerm_subnet`s: an update keeps the \
             subnets the network has.",
        )
        .with(NAME.required().force_new().describe("The network's name."))
        .with(rg_attr())
        .with(location_attr("network"))
        .with(
            ADDRESS_SPACE
                .required()
                .describe("Its address ranges in CIDR notation; changed in place."),
        )
        .with(
            DNS_SERVERS
                .optional()
                .describe("DNS servers of the network; Azure's own when not set."),
        )
        .with(tags_attr())
        .with(GUID.computed().describe("The network's `resourceGuid`."))
        .with(
            ID.computed()
                .describe("The network's ARM id, also the import id."),
        )
    }

    fn what(&self) -> &'static str {
        "virtual network"
    }

    fn kinds(&self) -> &'static [&'static str] {
        &[VNET]
    }

    fn api(&self) -> &'static str {
        NETWORK_API
    }

    fn id(&self, cx: &Arm, planned: &Value) -> Result<ArmId, ProviderError> {
        named_id(cx, planned, VNET)
    }

    async fn body(
        &self,
        cx: &Arm,
        planned: &Value,
        existing: Option<&Json>,
    ) -> Result<Json, ProviderError> {
        let mut properties = json!({
            "addressSpace": {"addressPrefixes": ADDRESS_SPACE.require(planned)?},
        });
        if let Some(servers) = DNS_SERVERS.get(planned)?.filter(|s| !s.is_empty()) {
            properties["dhcpOptions"] = json!({"dnsServers": servers});
        }
        // A PUT without `subnets` deletes the network's subnets: keep those it has.
        if let Some(subnets) = existing.and_then(|e| e.pointer("/properties/subnets")) {
            properties["subnets"] = subnets.clone();
        }
        Ok(json!({
            "location": cx.location(LOCATION.get(planned)?)?,
            "tags": tags_json(planned)?,
            "properties": properties,
        }))
    }

    fn value(&self, json: &Json, _known: Option<&Value>) -> Result<Value, ProviderError> {
        let id = ArmId::parse(text(json, "/id").unwrap_or_default(), self.what())?;
        let servers = texts(json, "/properties/dhcpOptions/dnsServers");
        Ok(self.schema().instance([
            placed(&id)[0].clone(),
            placed(&id)[1].clone(),
            LOCATION.text(text(json, "/location")),
            ADDRESS_SPACE.to(texts(json, "/properties/addressSpace/addressPrefixes")),
            if servers.is_empty() {
                DNS_SERVERS.null()
            } else {
                DNS_SERVERS.to(servers)
            },
            tags_of(json),
            GUID.text(text(json, "/properties/resourceGuid")),
            ID.to(id.to_string()),
        ]))
    }
}

// ---------------------------------------------------------------------------------------
// azurerm_subnet

const VIRTUAL_NETWORK_NAME: Attr<String> = Attr::new("virtual_network_name");
const ADDRESS_PREFIXES: Attr<Vec<String>> = Attr::new("address_prefixes");

pub(crate) struct Subnet;

#[async_trait]
impl ArmType for Subnet {
    fn type_name(&self) -> &'static str {
        "azurerm_subnet"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new("A subnet of a virtual network.")
            .with(NAME.required().force_new().describe("The subnet's name."))
            .with(rg_attr())
            .with(
                VIRTUAL_NETWORK_NAME
                    .required()
                    .force_new()
                    .describe("The virtual network it is in."),
            )
            .with(ADDRESS_PREFIXES.required().describe(
                "Its address ranges, inside the network's address space; changed in place \
                 (Azure refuses it while addresses of the subnet are in use).",
            ))
            .with(
                ID.computed()
                    .describe("The subnet's ARM id, also the import id."),
            )
    }

    fn what(&self) -> &'static str {
        "subnet"
    }

    fn kinds(&self) -> &'static [&'static str] {
        &[VNET, "subnets"]
    }

    fn api(&self) -> &'static str {
        NETWORK_API
    }

    fn id(&self, cx: &Arm, planned: &Value) -> Result<ArmId, ProviderError> {
        Ok(ArmId::resource(
            cx.subscription(),
            &RESOURCE_GROUP_NAME.require(planned)?,
            VNET,
            &VIRTUAL_NETWORK_NAME.require(planned)?,
        )
        .child("subnets", &NAME.require(planned)?))
    }

    async fn body(
        &self,
        _cx: &Arm,
        planned: &Value,
        _existing: Option<&Json>,
    ) -> Result<Json, ProviderError> {
        Ok(json!({
            "properties": {"addressPrefixes": ADDRESS_PREFIXES.require(planned)?},
        }))
    }

    fn value(&self, json: &Json, _known: Option<&Value>) -> Result<Value, ProviderError> {
        let id = ArmId::parse(text(json, "/id").unwrap_or_default(), self.what())?;
        let mut prefixes = texts(json, "/properties/addressPrefixes");
        if prefixes.is_empty() {
            prefixes.extend(text(json, "/properties/addressPrefix").map(str::to_owned));
        }
        let network = id.parent().map(|p| p.name().to_owned()).unwrap_or_default();
        Ok(self.schema().instance([
            NAME.to(id.name()),
            RESOURCE_GROUP_NAME.to(id.resource_group.as_str()),
            VIRTUAL_NETWORK_NAME.to(network),
            ADDRESS_PREFIXES.to(prefixes),
            ID.to(id.to_string()),
        ]))
    }
}

// ---------------------------------------------------------------------------------------
// azurerm_network_interface

const IP_CONFIGURATION: Block = Block::new("ip_configuration");
const SUBNET_ID: Attr<String> = Attr::new("subnet_id");
const ALLOCATION: Attr<String> = Attr::new("private_ip_address_allocation");
const PRIVATE_IP_ADDRESS: Attr<String> = Attr::new("private_ip_address");
const PRIVATE_IP_ADDRESSES: Attr<Vec<String>> = Attr::new("private_ip_addresses");
const PRIMARY: Attr<bool> = Attr::new("primary");
const MAC_ADDRESS: Attr<String> = Attr::new("mac_address");
const VIRTUAL_MACHINE_ID: Attr<String> = Attr::new("virtual_machine_id");

const NIC: &str = "Microsoft.Network/networkInterfaces";

fn ip_configuration_schema() -> ResourceSchema {
    ResourceSchema::new("An IP configuration of the interface.")
        .with(NAME.required().describe("The configuration's name."))
        .with(
            SUBNET_ID
                .required()
                .describe("The id of the subnet its address comes from."),
        )
        .with(
            ALLOCATION
                .required()
                .of_type(Type::string_union(["Dynamic", "Static"]))
                .describe("`Dynamic` (Azure picks the address) or `Static`."),
        )
        .with(PRIVATE_IP_ADDRESS.optional_computed().describe(
            "The private address: the one to use when `Static`, the one Azure picked when \
             `Dynamic`.",
        ))
        .with(PRIMARY.optional_computed().describe(
            "Whether it is the interface's primary configuration (the first one when not set).",
        ))
}

pub(crate) struct NetworkInterface;

#[async_trait]
impl ArmType for NetworkInterface {
    fn type_name(&self) -> &'static str {
        "azurerm_network_interface"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new("A network interface, for a virtual machine.")
            .with(
                NAME.required()
                    .force_new()
                    .describe("The interface's name."),
            )
            .with(rg_attr())
            .with(location_attr("interface"))
            .with(tags_attr())
            .with(
                PRIVATE_IP_ADDRESS
                    .computed()
                    .describe("The private address of the primary configuration."),
            )
            .with(
                PRIVATE_IP_ADDRESSES
                    .computed()
                    .describe("The private addresses of every configuration."),
            )
            .with(
                MAC_ADDRESS
                    .computed()
                    .describe("The MAC address, once a virtual machine uses it."),
            )
            .with(
                VIRTUAL_MACHINE_ID
                    .computed()
                    .describe("The virtual machine using it, if any."),
            )
            .with(
                ID.computed()
                    .describe("The interface's ARM id, also the import id."),
            )
            .with_block(
                IP_CONFIGURATION
                    .list(ip_configuration_schema())
                    .min_items(1),
            )
    }

    fn what(&self) -> &'static str {
        "network interface"
    }

    fn kinds(&self) -> &'static [&'static str] {
        &[NIC]
    }

    fn api(&self) -> &'static str {
        NETWORK_API
    }

    fn id(&self, cx: &Arm, planned: &Value) -> Result<ArmId, ProviderError> {
        named_id(cx, planned, NIC)
    }

    async fn body(
        &self,
        cx: &Arm,
        planned: &Value,
        _existing: Option<&Json>,
    ) -> Result<Json, ProviderError> {
        let configurations = IP_CONFIGURATION.items(planned);
        let mut ip = Vec::new();
        for (i, c) in configurations.iter().enumerate() {
            let allocation = ALLOCATION.require(c)?;
            let mut properties = json!({
                "subnet": {"id": SUBNET_ID.require(c)?},
                "privateIPAllocationMethod": allocation,
                "primary": known(PRIMARY, c)?.unwrap_or(i == 0),
            });
            if allocation == "Static" {
                if let Some(address) = known(PRIVATE_IP_ADDRESS, c)? {
                    properties["privateIPAddress"] = json!(address);
                }
            }
            ip.push(json!({"name": NAME.require(c)?, "properties": properties}));
        }
        Ok(json!({
            "location": cx.location(LOCATION.get(planned)?)?,
            "tags": tags_json(planned)?,
            "properties": {"ipConfigurations": ip},
        }))
    }

    fn value(&self, json: &Json, _known: Option<&Value>) -> Result<Value, ProviderError> {
        let id = ArmId::parse(text(json, "/id").unwrap_or_default(), self.what())?;
        let configurations: Vec<Json> = json
            .pointer("/properties/ipConfigurations")
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default();
        let mut primary_address = None;
        let mut addresses = Vec::new();
        let blocks: Vec<Value> = configurations
            .iter()
            .map(|c| {
                let address = text(c, "/properties/privateIPAddress").map(str::to_owned);
                let primary = c
                    .pointer("/properties/primary")
                    .and_then(Json::as_bool)
                    .unwrap_or(configurations.len() == 1);
                if let Some(a) = &address {
                    addresses.push(a.clone());
                    if primary || primary_address.is_none() {
                        primary_address = Some(a.clone());
                    }
                }
                ip_configuration_schema().instance([
                    NAME.text(text(c, "/name")),
                    SUBNET_ID.text(text(c, "/properties/subnet/id")),
                    ALLOCATION
                        .to(text(c, "/properties/privateIPAllocationMethod").unwrap_or("Dynamic")),
                    PRIVATE_IP_ADDRESS.to_opt(address),
                    PRIMARY.to(primary),
                ])
            })
            .collect();
        Ok(self.schema().instance([
            placed(&id)[0].clone(),
            placed(&id)[1].clone(),
            LOCATION.text(text(json, "/location")),
            tags_of(json),
            PRIVATE_IP_ADDRESS.to_opt(primary_address),
            PRIVATE_IP_ADDRESSES.to(addresses),
            MAC_ADDRESS.text(text(json, "/properties/macAddress")),
            VIRTUAL_MACHINE_ID.text(text(json, "/properties/virtualMachine/id")),
            ID.to(id.to_string()),
            IP_CONFIGURATION.to_list(blocks),
        ]))
    }
}
