//! The data sources: `aws_ami` (`DescribeImages`), `aws_availability_zones`
//! (`DescribeAvailabilityZones`) and `aws_instance_type` (`DescribeInstanceTypes`).

use aic_lang::types::Type;
use aic_lang::value::Value;
use aic_provider::{ProviderError, ResourceSchema};
use aic_provider_kit::{Attr, Block, DataSource, Declare, ID};
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    ArchitectureValues, AvailabilityZoneState, Image, InstanceType, InstanceTypeInfo,
};
use regex::Regex;

use crate::ec2::{filter, pages, Aws};
use crate::error::api_error;
use crate::fields::{DESCRIPTION, INSTANCE_TYPE, NAME, OWNER_ID};

const OWNERS: Attr<Vec<String>> = Attr::new("owners");
const MOST_RECENT: Attr<bool> = Attr::new("most_recent");
const NAME_REGEX: Attr<String> = Attr::new("name_regex");
const FILTER: Block = Block::new("filter");
const VALUES: Attr<Vec<String>> = Attr::new("values");
const IMAGE_ID: Attr<String> = Attr::new("image_id");
const CREATION_DATE: Attr<String> = Attr::new("creation_date");
const ARCHITECTURE: Attr<String> = Attr::new("architecture");
const STATE: Attr<String> = Attr::new("state");
const NAMES: Attr<Vec<String>> = Attr::new("names");
const ZONE_IDS: Attr<Vec<String>> = Attr::new("zone_ids");
const DEFAULT_VCPUS: Attr<i64> = Attr::new("default_vcpus");
const MEMORY_SIZE: Attr<i64> = Attr::new("memory_size");

pub(crate) struct AwsAmi;

#[async_trait]
impl DataSource<Aws> for AwsAmi {
    fn type_name(&self) -> &'static str {
        "aws_ami"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(
            "Finds an AMI. With several matches, `most_recent = true` picks the newest; \
             otherwise the search must be specific enough to match exactly one.",
        )
        .with(
            OWNERS
                .optional()
                .describe("Account ids or aliases (`self`, `amazon`) that own the AMI."),
        )
        .with(
            MOST_RECENT
                .optional()
                .default_value(false)
                .describe("Pick the newest of several matches."),
        )
        .with(NAME_REGEX.optional().describe(
            "A regular expression the AMI's name must match (applied after the filters).",
        ))
        .with(ID.computed().describe("The AMI's id."))
        .with(
            IMAGE_ID
                .computed()
                .describe("The AMI's id (the same as `id`)."),
        )
        .with(NAME.computed().describe("The AMI's name."))
        .with(DESCRIPTION.computed().describe("The AMI's description."))
        .with(
            CREATION_DATE
                .computed()
                .describe("When the AMI was created (ISO 8601)."),
        )
        .with(ARCHITECTURE.computed().describe("`x86_64`, `arm64`, …"))
        .with(
            OWNER_ID
                .computed()
                .describe("The account that owns the AMI."),
        )
        .with_block(
            FILTER.set(
                ResourceSchema::new("An EC2 `DescribeImages` filter.")
                    .with(
                        NAME.required()
                            .describe("The filter's name, e.g. `name` or `architecture`."),
                    )
                    .with(
                        VALUES
                            .required()
                            .describe("Accepted values; `*` and `?` are wildcards."),
                    ),
            ),
        )
    }

    async fn read(&self, ec2: &Aws, config: &Value) -> Result<Value, ProviderError> {
        let owners = OWNERS.get(config)?.unwrap_or_default();
        let filters = FILTER
            .items(config)
            .into_iter()
            .map(|f| {
                Ok(filter(
                    &NAME.require(f)?,
                    VALUES.get(f)?.unwrap_or_default(),
                ))
            })
            .collect::<Result<Vec<_>, ProviderError>>()?;
        if owners.is_empty() && filters.is_empty() {
            return Err(ProviderError::invalid_config(
                "`aws_ami` needs `owners` or at least one `filter` block",
            )
            .with_help("Searching every public AMI is slow and ambiguous; name the owner, e.g. `owners = [\"amazon\"]`."));
        }
        let name_regex = match NAME_REGEX.get(config)? {
            None => None,
            Some(pattern) => Some(Regex::new(&pattern).map_err(|e| {
                ProviderError::invalid_config(format!(
                    "`name_regex` is not a regular expression: {e}"
                ))
            })?),
        };
        let pages = pages(
            "DescribeImages",
            ec2.client
                .describe_images()
                .set_owners((!owners.is_empty()).then_some(owners))
                .set_filters((!filters.is_empty()).then_some(filters))
                .into_paginator()
                .send(),
        )
        .await?;
        let mut images: Vec<&Image> = pages
            .iter()
            .flat_map(|p| p.images())
            .filter(|i| match &name_regex {
                None => true,
                Some(re) => i.name().is_some_and(|n| re.is_match(n)),
            })
            .collect();
        if images.is_empty() {
            return Err(ProviderError::invalid_config(
                "Your query returned no results. Please change your search criteria and try again.",
            )
            .with_help(
                "No AMI matches `owners`, the `filter` blocks and `name_regex` in this region.",
            ));
        }
        if images.len() > 1 && !MOST_RECENT.or(config, false)? {
            return Err(ProviderError::invalid_config(format!(
                "Your query returned more than one result ({} AMIs). Please try a more specific \
                 search criteria, or set `most_recent` attribute to true.",
                images.len()
            )));
        }
        // ISO 8601 dates sort as text.
        images.sort_by(|a, b| a.creation_date().cmp(&b.creation_date()));
        let Some(image) = images.last() else {
            return Err(ProviderError::other("no AMI left after sorting"));
        };
        Ok(self.schema().instance([
            OWNERS.copied(config),
            MOST_RECENT.copied(config),
            NAME_REGEX.copied(config),
            FILTER.copied(config),
            ID.text(image.image_id()),
            IMAGE_ID.text(image.image_id()),
            NAME.text(image.name()),
            DESCRIPTION.text(image.description()),
            CREATION_DATE.text(image.creation_date()),
            ARCHITECTURE.text(image.architecture().map(ArchitectureValues::as_str)),
            OWNER_ID.text(image.owner_id()),
        ]))
    }
}

pub(crate) struct AwsAvailabilityZones;

#[async_trait]
impl DataSource<Aws> for AwsAvailabilityZones {
    fn type_name(&self) -> &'static str {
        "aws_availability_zones"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new("The availability zones of the provider's region.")
            .with(
                STATE
                    .optional()
                    .of_type(Type::string_union([
                        "available",
                        "information",
                        "impaired",
                        "unavailable",
                    ]))
                    .describe("Only zones in this state."),
            )
            .with(ID.computed().describe("The region."))
            .with(NAMES.computed().describe("The zones' names, sorted."))
            .with(
                ZONE_IDS
                    .computed()
                    .describe("The zones' ids, in the order of `names`."),
            )
    }

    async fn read(&self, ec2: &Aws, config: &Value) -> Result<Value, ProviderError> {
        let state = STATE.get(config)?;
        let out = ec2
            .client
            .describe_availability_zones()
            .set_filters(state.as_ref().map(|s| vec![filter("state", [s.as_str()])]))
            .send()
            .await
            .map_err(|e| api_error("DescribeAvailabilityZones", e))?;
        let mut zones: Vec<(&str, &str)> = out
            .availability_zones()
            .iter()
            .filter(|z| {
                state
                    .as_deref()
                    .is_none_or(|s| z.state().map(AvailabilityZoneState::as_str) == Some(s))
            })
            .filter_map(|z| Some((z.zone_name()?, z.zone_id().unwrap_or_default())))
            .collect();
        zones.sort_unstable();
        Ok(self.schema().instance([
            STATE.copied(config),
            ID.to(ec2.region.as_str()),
            NAMES.to(zones.iter().map(|z| z.0.to_owned()).collect::<Vec<_>>()),
            ZONE_IDS.to(zones.iter().map(|z| z.1.to_owned()).collect::<Vec<_>>()),
        ]))
    }
}

pub(crate) struct AwsInstanceType;

#[async_trait]
impl DataSource<Aws> for AwsInstanceType {
    fn type_name(&self) -> &'static str {
        "aws_instance_type"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new("The characteristics of an instance type.")
            .with(
                INSTANCE_TYPE
                    .required()
                    .describe("The type, e.g. `t3.micro`."),
            )
            .with(ID.computed().describe("The type."))
            .with(DEFAULT_VCPUS.computed().describe("Virtual CPUs."))
            .with(MEMORY_SIZE.computed().describe("Memory in MiB."))
    }

    async fn read(&self, ec2: &Aws, config: &Value) -> Result<Value, ProviderError> {
        let name = INSTANCE_TYPE.require(config)?;
        let out = ec2
            .client
            .describe_instance_types()
            .instance_types(InstanceType::from(name.as_str()))
            .send()
            .await
            .map_err(|e| api_error("DescribeInstanceTypes", e))?;
        let Some(info) = out.instance_types().first() else {
            return Err(ProviderError::invalid_config(format!(
                "there is no instance type `{name}` in {}",
                ec2.region
            )));
        };
        Ok(self.schema().instance([
            INSTANCE_TYPE.to(name.as_str()),
            ID.to(name.as_str()),
            DEFAULT_VCPUS.to_opt(vcpus(info)),
            MEMORY_SIZE.to_opt(info.memory_info().and_then(|m| m.size_in_mib())),
        ]))
    }
}

fn vcpus(info: &InstanceTypeInfo) -> Option<i32> {
    info.v_cpu_info().and_then(|v| v.default_v_cpus())
}
