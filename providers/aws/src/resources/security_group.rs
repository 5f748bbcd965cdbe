//! `aws_security_group`: the group and its `ingress` / `egress` rule blocks.
//!
//! At creation the rule AWS adds by default (all egress allowed) is revoked, as Terraform
//! does, so the group has exactly the configured rules. Changed rules are revoked and
//! authorized in place. AWS merges rules with the same protocol and ports into one
//! permission; reads split them back along the blocks of the prior object so that an
//! unchanged group reads back exactly as configured. Rules that refer to other groups or
//! prefix lists are not managed.

use std::collections::{BTreeMap, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use aic_lang::value::Value;
use aic_provider::{Attributes, ProviderError};
use aws_sdk_ec2::types::{IpPermission, IpRange, ResourceType, SecurityGroup};

use super::{filter, id_chunks, results};
use crate::ec2::{incomplete, object, Ec2};
use crate::error::{api_error, gone_as_none, reference_not_found};
use crate::values::{arn, blocks, number, opt_string, string_list, strings};
use crate::{tags, values, wait};

const TYPE: &str = "aws_security_group";

/// One rule as configured: protocol, ports, ranges and description.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Rule {
    protocol: String,
    from_port: i32,
    to_port: i32,
    cidr_blocks: Vec<String>,
    description: Option<String>,
}

impl Rule {
    fn from_block(block: &Value) -> Result<Rule, ProviderError> {
        let attrs = Attributes::new(block);
        let port = |name: &str| -> Result<i32, ProviderError> {
            let n = attrs.integer(name)?;
            i32::try_from(n).map_err(|_| {
                ProviderError::invalid_config(format!("`{name}` must be a port number, found {n}"))
            })
        };
        Ok(Rule {
            protocol: attrs.string("protocol")?.to_owned(),
            from_port: port("from_port")?,
            to_port: port("to_port")?,
            cidr_blocks: strings(block, "cidr_blocks")?,
            description: attrs
                .opt_string("description")?
                .filter(|d| !d.is_empty())
                .map(str::to_owned),
        })
    }

    fn value(&self) -> Value {
        Value::object([
            ("from_port", number(self.from_port)),
            ("to_port", number(self.to_port)),
            ("protocol", Value::string(&self.protocol)),
            ("cidr_blocks", string_list(self.cidr_blocks.iter().cloned())),
            ("description", opt_string(self.description.as_deref())),
        ])
    }

    /// Protocol and ports, the way AWS groups permissions.
    fn key(&self) -> (String, i32, i32) {
        (protocol_name(&self.protocol), self.from_port, self.to_port)
    }

    fn permission(&self) -> IpPermission {
        let all = protocol_name(&self.protocol) == "-1";
        IpPermission::builder()
            .ip_protocol(&self.protocol)
            .set_from_port((!all).then_some(self.from_port))
            .set_to_port((!all).then_some(self.to_port))
            .set_ip_ranges(Some(
                self.cidr_blocks
                    .iter()
                    .map(|cidr| {
                        IpRange::builder()
                            .cidr_ip(cidr)
                            .set_description(self.description.clone())
                            .build()
                    })
                    .collect(),
            ))
            .build()
    }
}

/// The protocol as AWS reports it: names for TCP, UDP and ICMP, `-1` for all.
fn protocol_name(protocol: &str) -> String {
    match protocol.to_ascii_lowercase().as_str() {
        "6" | "tcp" => "tcp".into(),
        "17" | "udp" => "udp".into(),
        "1" | "icmp" => "icmp".into(),
        "-1" | "all" => "-1".into(),
        other => other.into(),
    }
}

fn configured_rules(object: &Value, block: &str) -> Result<Vec<Rule>, ProviderError> {
    blocks(object, block)
        .into_iter()
        .map(Rule::from_block)
        .collect()
}

/// The rules of AWS permissions, split along the `prior` rules: a prior rule whose ranges
/// (with its description) are all present comes back as it was; the remaining ranges of a
/// permission form one rule per description.
fn rules_of(permissions: &[IpPermission], prior: &[Rule]) -> Vec<Rule> {
    let mut rules = Vec::new();
    for permission in permissions {
        let protocol = permission.ip_protocol().unwrap_or("-1");
        let all = protocol_name(protocol) == "-1";
        let from_port = if all {
            0
        } else {
            permission.from_port().unwrap_or(0)
        };
        let to_port = if all {
            0
        } else {
            permission.to_port().unwrap_or(0)
        };
        let key = (protocol_name(protocol), from_port, to_port);
        let mut remaining: Vec<(String, Option<String>)> = permission
            .ip_ranges()
            .iter()
            .filter_map(|r| {
                let description = r.description().filter(|d| !d.is_empty()).map(str::to_owned);
                Some((r.cidr_ip()?.to_owned(), description))
            })
            .collect();
        if remaining.is_empty() {
            continue;
        }
        for rule in prior.iter().filter(|r| r.key() == key) {
            let present = rule
                .cidr_blocks
                .iter()
                .all(|cidr| remaining.contains(&(cidr.clone(), rule.description.clone())));
            if present && !rule.cidr_blocks.is_empty() {
                remaining.retain(|(cidr, d)| {
                    !(d == &rule.description && rule.cidr_blocks.contains(cidr))
                });
                rules.push(rule.clone());
            }
        }
        let mut by_description: BTreeMap<Option<String>, Vec<String>> = BTreeMap::new();
        for (cidr, description) in remaining {
            by_description.entry(description).or_default().push(cidr);
        }
        for (description, cidr_blocks) in by_description {
            rules.push(Rule {
                protocol: protocol.to_owned(),
                from_port,
                to_port,
                cidr_blocks,
                description,
            });
        }
    }
    rules
}

/// A name for a group the configuration does not name: unique enough, like Terraform's
/// `terraform-…` names.
fn generated_name() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("aic-{nanos:x}")
}

pub async fn create(ec2: &Ec2, planned: &Value) -> Result<Value, ProviderError> {
    let attrs = Attributes::new(planned);
    let name = attrs
        .opt_string("name")?
        .map_or_else(generated_name, str::to_owned);
    let out = ec2
        .client
        .create_security_group()
        .group_name(&name)
        .description(attrs.opt_string("description")?.unwrap_or("Managed by aic"))
        .set_vpc_id(attrs.opt_string("vpc_id")?.map(str::to_owned))
        .set_tag_specifications(tags::specification(ResourceType::SecurityGroup, planned)?)
        .send()
        .await
        .map_err(|e| reference_not_found(api_error("CreateSecurityGroup", e)))?;
    let id = out
        .group_id()
        .ok_or_else(|| incomplete("CreateSecurityGroup", "GroupId"))?
        .to_owned();
    let finished = async {
        let default_egress = Rule {
            protocol: "-1".into(),
            from_port: 0,
            to_port: 0,
            cidr_blocks: vec!["0.0.0.0/0".into()],
            description: None,
        };
        revoke(ec2, &id, Direction::Egress, &[default_egress]).await?;
        authorize(
            ec2,
            &id,
            Direction::Ingress,
            &configured_rules(planned, "ingress")?,
        )
        .await?;
        authorize(
            ec2,
            &id,
            Direction::Egress,
            &configured_rules(planned, "egress")?,
        )
        .await?;
        visible(ec2, &id, planned).await
    };
    match finished.await {
        Ok(v) => Ok(v),
        Err(e) => {
            let _ = delete_id(ec2, &id).await;
            Err(e)
        }
    }
}

/// Waits until a group can be described and reads it, with rules split along `like`'s.
async fn visible(ec2: &Ec2, id: &str, like: &Value) -> Result<Value, ProviderError> {
    let prior = values::with_id(like, id);
    wait::until(
        ec2.timing,
        &format!("security group {id} to exist"),
        || async {
            read_many(ec2, std::slice::from_ref(&prior))
                .await
                .pop()
                .unwrap_or(Ok(None))
        },
    )
    .await
}

#[derive(Debug, Clone, Copy)]
enum Direction {
    Ingress,
    Egress,
}

async fn authorize(
    ec2: &Ec2,
    id: &str,
    direction: Direction,
    rules: &[Rule],
) -> Result<(), ProviderError> {
    if rules.is_empty() {
        return Ok(());
    }
    let permissions: Vec<IpPermission> = rules.iter().map(Rule::permission).collect();
    match direction {
        Direction::Ingress => ec2
            .client
            .authorize_security_group_ingress()
            .group_id(id)
            .set_ip_permissions(Some(permissions))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| api_error("AuthorizeSecurityGroupIngress", e)),
        Direction::Egress => ec2
            .client
            .authorize_security_group_egress()
            .group_id(id)
            .set_ip_permissions(Some(permissions))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| api_error("AuthorizeSecurityGroupEgress", e)),
    }
}

async fn revoke(
    ec2: &Ec2,
    id: &str,
    direction: Direction,
    rules: &[Rule],
) -> Result<(), ProviderError> {
    if rules.is_empty() {
        return Ok(());
    }
    let permissions: Vec<IpPermission> = rules.iter().map(Rule::permission).collect();
    let revoked = match direction {
        Direction::Ingress => ec2
            .client
            .revoke_security_group_ingress()
            .group_id(id)
            .set_ip_permissions(Some(permissions))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| api_error("RevokeSecurityGroupIngress", e)),
        Direction::Egress => ec2
            .client
            .revoke_security_group_egress()
            .group_id(id)
            .set_ip_permissions(Some(permissions))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| api_error("RevokeSecurityGroupEgress", e)),
    };
    // A rule that is already gone is fine.
    gone_as_none(revoked).map(|_| ())
}

pub async fn read_many(ec2: &Ec2, priors: &[Value]) -> Vec<Result<Option<Value>, ProviderError>> {
    let found = describe(ec2, priors).await;
    results(priors, found, |prior, group| {
        // Split merged permissions along the prior's blocks.
        let Some(split) = split_rules(prior, &group) else {
            return group;
        };
        aic_provider::with_attributes(&group, split)
    })
}

/// The `ingress` and `egress` values of `group` (read with no prior rules) split along
/// `prior`'s rules; `None` when nothing needs splitting.
fn split_rules(prior: &Value, group: &Value) -> Option<Vec<(&'static str, Value)>> {
    let mut out = Vec::new();
    for direction in ["ingress", "egress"] {
        let before = configured_rules(prior, direction).ok()?;
        if before.is_empty() {
            continue;
        }
        let now = configured_rules(group, direction).ok()?;
        let permissions: Vec<IpPermission> = now.iter().map(Rule::permission).collect();
        let rules = rules_of(&permissions, &before);
        out.push((direction, Value::set(rules.iter().map(Rule::value))));
    }
    Some(out)
}

async fn describe(ec2: &Ec2, priors: &[Value]) -> Result<HashMap<String, Value>, ProviderError> {
    let mut found = HashMap::new();
    for chunk in id_chunks(priors) {
        let pages = ec2
            .client
            .describe_security_groups()
            .filters(filter("group-id", chunk))
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| api_error("DescribeSecurityGroups", e))?;
        for group in pages.iter().flat_map(|p| p.security_groups()) {
            let Some(id) = group.group_id() else { continue };
            found.insert(id.to_owned(), value(ec2, group, id));
        }
    }
    Ok(found)
}

fn value(ec2: &Ec2, group: &SecurityGroup, id: &str) -> Value {
    let arn = match group.security_group_arn() {
        Some(a) if !a.is_empty() => Value::string(a),
        _ => arn(&ec2.region, group.owner_id(), "security-group", id),
    };
    let rules = |permissions: &[IpPermission]| {
        Value::set(rules_of(permissions, &[]).iter().map(Rule::value))
    };
    object(
        TYPE,
        [
            ("name", opt_string(group.group_name())),
            ("description", opt_string(group.description())),
            ("vpc_id", opt_string(group.vpc_id())),
            ("tags", tags::value(group.tags())),
            ("id", Value::string(id)),
            ("arn", arn),
            ("owner_id", opt_string(group.owner_id())),
            ("ingress", rules(group.ip_permissions())),
            ("egress", rules(group.ip_permissions_egress())),
        ],
    )
}

pub async fn update(ec2: &Ec2, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let id = values::id(prior)?;
    for (block, direction) in [
        ("ingress", Direction::Ingress),
        ("egress", Direction::Egress),
    ] {
        let before = configured_rules(prior, block)?;
        let after = configured_rules(planned, block)?;
        let removed: Vec<Rule> = before
            .iter()
            .filter(|r| !after.contains(r))
            .cloned()
            .collect();
        let added: Vec<Rule> = after
            .iter()
            .filter(|r| !before.contains(r))
            .cloned()
            .collect();
        revoke(ec2, id, direction, &removed).await?;
        authorize(ec2, id, direction, &added).await?;
    }
    tags::update(ec2, id, prior, planned).await?;
    visible(ec2, id, planned).await
}

pub async fn delete(ec2: &Ec2, prior: &Value) -> Result<(), ProviderError> {
    delete_id(ec2, values::id(prior)?).await
}

async fn delete_id(ec2: &Ec2, id: &str) -> Result<(), ProviderError> {
    let deleted = wait::while_conflict(ec2.timing, || async {
        ec2.client
            .delete_security_group()
            .group_id(id)
            .send()
            .await
            .map_err(|e| api_error("DeleteSecurityGroup", e))
    })
    .await;
    gone_as_none(deleted).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(protocol: &str, port: i32, cidrs: &[&str], description: Option<&str>) -> Rule {
        Rule {
            protocol: protocol.into(),
            from_port: port,
            to_port: port,
            cidr_blocks: cidrs.iter().map(|c| (*c).to_owned()).collect(),
            description: description.map(str::to_owned),
        }
    }

    #[test]
    fn merged_permissions_split_along_prior_rules() {
        let prior = [
            rule("tcp", 443, &["10.0.0.0/8"], None),
            rule(
                "tcp",
                443,
                &["192.168.0.0/16", "172.16.0.0/12"],
                Some("office"),
            ),
        ];
        // AWS reports one permission for port 443 with all three ranges.
        let merged = Rule {
            cidr_blocks: vec![
                "172.16.0.0/12".into(),
                "10.0.0.0/8".into(),
                "192.168.0.0/16".into(),
            ],
            ..rule("tcp", 443, &[], None)
        };
        let mut permission = merged.permission();
        permission.ip_ranges = Some(
            [
                ("172.16.0.0/12", Some("office")),
                ("10.0.0.0/8", None),
                ("192.168.0.0/16", Some("office")),
            ]
            .iter()
            .map(|(c, d)| {
                IpRange::builder()
                    .cidr_ip(*c)
                    .set_description(d.map(str::to_owned))
                    .build()
            })
            .collect(),
        );
        assert_eq!(rules_of(&[permission], &prior), prior.to_vec());
    }

    #[test]
    fn new_ranges_form_rules_of_their_own() {
        let prior = [rule("tcp", 22, &["10.0.0.0/8"], None)];
        let now = rule("tcp", 22, &["10.0.0.0/8", "1.2.3.4/32"], None);
        assert_eq!(
            rules_of(&[now.permission()], &prior),
            vec![prior[0].clone(), rule("tcp", 22, &["1.2.3.4/32"], None)]
        );
    }

    #[test]
    fn all_traffic_has_port_zero_and_protocol_numbers_match_names() {
        let all = rule("-1", 0, &["0.0.0.0/0"], None);
        assert_eq!(rules_of(&[all.permission()], &[]), vec![all]);
        let by_number = rule("6", 80, &["0.0.0.0/0"], None);
        let reported = rule("tcp", 80, &["0.0.0.0/0"], None);
        assert_eq!(
            rules_of(&[reported.permission()], std::slice::from_ref(&by_number)),
            vec![by_number]
        );
    }
}
