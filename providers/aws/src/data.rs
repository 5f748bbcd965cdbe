//! The data sources: `aws_ami` (`DescribeImages`), `aws_availability_zones`
//! (`DescribeAvailabilityZones`) and `aws_instance_type` (`DescribeInstanceTypes`).

use aic_lang::value::Value;
use aic_provider::{Attributes, ProviderError};
use aws_sdk_ec2::types::{
    ArchitectureValues, AvailabilityZoneState, Image, InstanceType, InstanceTypeInfo,
};
use regex::Regex;

use crate::ec2::{object, Ec2};
use crate::error::api_error;
use crate::resources::filter;
use crate::values::{blocks, number, opt_string, string_list, strings};

pub async fn ami(ec2: &Ec2, config: &Value) -> Result<Value, ProviderError> {
    let attrs = Attributes::new(config);
    let owners = strings(config, "owners")?;
    let filters = blocks(config, "filter")
        .into_iter()
        .map(|f| {
            Ok(filter(
                Attributes::new(f).string("name")?,
                strings(f, "values")?,
            ))
        })
        .collect::<Result<Vec<_>, ProviderError>>()?;
    if owners.is_empty() && filters.is_empty() {
        return Err(ProviderError::invalid_config(
            "`aws_ami` needs `owners` or at least one `filter` block",
        )
        .with_help("Searching every public AMI is slow and ambiguous; name the owner, e.g. `owners = [\"amazon\"]`."));
    }
    let name_regex = match attrs.opt_string("name_regex")? {
        None => None,
        Some(pattern) => Some(Regex::new(pattern).map_err(|e| {
            ProviderError::invalid_config(format!("`name_regex` is not a regular expression: {e}"))
        })?),
    };
    let pages = ec2
        .client
        .describe_images()
        .set_owners((!owners.is_empty()).then_some(owners))
        .set_filters((!filters.is_empty()).then_some(filters))
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| api_error("DescribeImages", e))?;
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
    if images.len() > 1 && !attrs.bool_or("most_recent", false)? {
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
    Ok(object(
        "aws_ami",
        [
            ("owners", values_of(config, "owners")),
            ("most_recent", values_of(config, "most_recent")),
            ("name_regex", values_of(config, "name_regex")),
            ("filter", values_of(config, "filter")),
            ("id", opt_string(image.image_id())),
            ("image_id", opt_string(image.image_id())),
            ("name", opt_string(image.name())),
            ("description", opt_string(image.description())),
            ("creation_date", opt_string(image.creation_date())),
            (
                "architecture",
                opt_string(image.architecture().map(ArchitectureValues::as_str)),
            ),
            ("owner_id", opt_string(image.owner_id())),
        ],
    ))
}

/// The configured value of `name`, to echo in a data source's object.
fn values_of(config: &Value, name: &str) -> Value {
    config.get(name).cloned().unwrap_or_else(Value::null)
}

pub async fn availability_zones(ec2: &Ec2, config: &Value) -> Result<Value, ProviderError> {
    let state = Attributes::new(config).opt_string("state")?;
    let out = ec2
        .client
        .describe_availability_zones()
        .set_filters(state.map(|s| vec![filter("state", [s])]))
        .send()
        .await
        .map_err(|e| api_error("DescribeAvailabilityZones", e))?;
    let mut zones: Vec<(&str, &str)> = out
        .availability_zones()
        .iter()
        .filter(|z| state.is_none_or(|s| z.state().map(AvailabilityZoneState::as_str) == Some(s)))
        .filter_map(|z| Some((z.zone_name()?, z.zone_id().unwrap_or_default())))
        .collect();
    zones.sort_unstable();
    Ok(object(
        "aws_availability_zones",
        [
            ("state", values_of(config, "state")),
            ("id", Value::string(&ec2.region)),
            ("names", string_list(zones.iter().map(|z| z.0))),
            ("zone_ids", string_list(zones.iter().map(|z| z.1))),
        ],
    ))
}

pub async fn instance_type(ec2: &Ec2, config: &Value) -> Result<Value, ProviderError> {
    let name = Attributes::new(config).string("instance_type")?;
    let out = ec2
        .client
        .describe_instance_types()
        .instance_types(InstanceType::from(name))
        .send()
        .await
        .map_err(|e| api_error("DescribeInstanceTypes", e))?;
    let Some(info) = out.instance_types().first() else {
        return Err(ProviderError::invalid_config(format!(
            "there is no instance type `{name}` in {}",
            ec2.region
        )));
    };
    Ok(object(
        "aws_instance_type",
        [
            ("instance_type", Value::string(name)),
            ("id", Value::string(name)),
            ("default_vcpus", vcpus(info)),
            (
                "memory_size",
                info.memory_info()
                    .and_then(|m| m.size_in_mib())
                    .map_or_else(Value::null, |n| number(n as f64)),
            ),
        ],
    ))
}

fn vcpus(info: &InstanceTypeInfo) -> Value {
    info.v_cpu_info()
        .and_then(|v| v.default_v_cpus())
        .map_or_else(Value::null, number)
}
