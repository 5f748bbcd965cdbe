//! `aws_security_group`: the group and its `ingress` / `egress` rule blocks.
//!
//! At creation the rule AWS adds by default (all egress allowed) is revoked, as Terraform
//! does, so the group has exactly the configured rules. Changed rules are revoked and
//! authorized in place. AWS merges rules with the same protocol and ports into one
//! permission; reads split them back along the blocks of the prior object so that an
//! unchanged group reads back exactly as configured. Rules that refer to other groups or
//! prefix lists are not managed.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use aic_lang::value::Value;
use aic_provider::{with_attributes, ProviderError, ResourceSchema};
use aic_provider_kit::wait::gone_as_none;
use aic_provider_kit::{Attr, Block, CloudType, CreateToken, Declare, Which, ID};
use async_trait::async_trait;
use aws_sdk_ec2::types::{IpPermission, IpRange, ResourceType, SecurityGroup};

use crate::ec2::{answered, aws_type, created, described, generated_name, send_once, Aws, Found};
use crate::error::{api_error, reference_not_found};
use crate::fields::{tagged, ARN, DESCRIPTION, NAME, OWNER_ID, VPC_ID};
use crate::tags;
use crate::values::arn;

const FROM_PORT: Attr<i64> = Attr::new("from_port");
const TO_PORT: Attr<i64> = Attr::new("to_port");
const PROTOCOL: Attr<String> = Attr::new("protocol");
const CIDR_BLOCKS: Attr<Vec<String>> = Attr::new("cidr_blocks");
const INGRESS: Block = Block::new("ingress");
const EGRESS: Block = Block::new("egress");

fn rule_schema() -> ResourceSchema {
    ResourceSchema::new("One rule.")
        .with(
            FROM_PORT
                .required()
                .describe("The first port (or ICMP type); `0` with protocol `-1`."),
        )
        .with(
            TO_PORT
                .required()
                .describe("The last port (or ICMP code); `0` with protocol `-1`."),
        )
        .with(
            PROTOCOL
                .required()
                .describe("`tcp`, `udp`, `icmp`, a protocol number, or `-1` for all."),
        )
        .with(
            CIDR_BLOCKS
                .optional()
                .describe("The IPv4 ranges the rule applies to."),
        )
        .with(
            DESCRIPTION
                .optional()
                .describe("A description of the rule."),
        )
}

static SCHEMA: LazyLock<ResourceSchema> = LazyLock::new(|| {
    let schema = ResourceSchema::new(
        "A security group with its rules. As in Terraform, the rule AWS adds by default \
         (all egress allowed) is removed at creation: declare an `egress` block to allow \
         outbound traffic. Rules change in place.",
    )
    .with(
        NAME.optional_computed()
            .force_new()
            .describe("The group's name, unique in the VPC; generated when left out."),
    )
    .with(
        DESCRIPTION
            .optional()
            .default_value("Managed by aic")
            .force_new()
            .describe("The group's description."),
    )
    .with(
        VPC_ID
            .optional_computed()
            .force_new()
            .describe("The VPC of the group; the region's default VPC when left out."),
    );
    tagged(schema, true)
        .with_block(INGRESS.set(rule_schema()))
        .with_block(EGRESS.set(rule_schema()))
});

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
        let port = |field: Attr<i64>| -> Result<i32, ProviderError> {
            let n = field.require(block)?;
            i32::try_from(n).map_err(|_| {
                ProviderError::invalid_config(format!(
                    "`{}` must be a port number, found {n}",
                    field.name()
                ))
            })
        };
        Ok(Rule {
            protocol: PROTOCOL.require(block)?,
            from_port: port(FROM_PORT)?,
            to_port: port(TO_PORT)?,
            cidr_blocks: CIDR_BLOCKS.get(block)?.unwrap_or_default(),
            description: DESCRIPTION.get(block)?.filter(|d| !d.is_empty()),
        })
    }

    fn value(&self) -> Value {
        Value::object([
            FROM_PORT.to(self.from_port),
            TO_PORT.to(self.to_port),
            PROTOCOL.to(self.protocol.as_str()),
            CIDR_BLOCKS.to(self.cidr_blocks.clone()),
            DESCRIPTION.text(self.description.as_deref()),
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

fn configured_rules(object: &Value, direction: Direction) -> Result<Vec<Rule>, ProviderError> {
    direction
        .block()
        .items(object)
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

pub(crate) struct AwsSecurityGroup;

#[async_trait]
impl CloudType<Aws> for AwsSecurityGroup {
    aws_type!("aws_security_group", "security group");

    async fn create_call(
        &self,
        ec2: &Aws,
        planned: &Value,
        token: &CreateToken,
    ) -> Result<String, ProviderError> {
        let name = NAME.get(planned)?.unwrap_or_else(generated_name);
        let out = send_once!(ec2
            .client
            .create_security_group()
            .group_name(name)
            .description(DESCRIPTION.or(planned, "Managed by aic".to_owned())?)
            .set_vpc_id(VPC_ID.get(planned)?)
            .set_tag_specifications(tags::creating(ResourceType::SecurityGroup, planned, token)?))
        .map_err(|e| reference_not_found(api_error("CreateSecurityGroup", e)))?;
        created("CreateSecurityGroup", "GroupId", out.group_id())
    }

    /// Revokes the rule AWS adds by default and authorizes the configured ones.
    async fn complete(&self, ec2: &Aws, id: &str, planned: &Value) -> Result<(), ProviderError> {
        let default_egress = Rule {
            protocol: "-1".into(),
            from_port: 0,
            to_port: 0,
            cidr_blocks: vec!["0.0.0.0/0".into()],
            description: None,
        };
        change_rules(ec2, id, Direction::Egress, &[default_egress], &[]).await?;
        for direction in [Direction::Ingress, Direction::Egress] {
            let rules = configured_rules(planned, direction)?;
            change_rules(ec2, id, direction, &[], &rules).await?;
        }
        Ok(())
    }

    async fn describe(&self, ec2: &Aws, which: Which<'_>) -> Found {
        described!(ec2, which, "DescribeSecurityGroups": describe_security_groups("group-id") => security_groups.group_id, value)
    }

    /// The rules split along the prior's blocks (AWS merges rules of the same ports).
    fn with_prior(&self, prior: &Value, group: Value) -> Value {
        match split_rules(prior, &group) {
            Some(split) => with_attributes(&group, split),
            None => group,
        }
    }

    async fn change(
        &self,
        ec2: &Aws,
        id: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<String, ProviderError> {
        for direction in [Direction::Ingress, Direction::Egress] {
            let before = configured_rules(prior, direction)?;
            let after = configured_rules(planned, direction)?;
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
            change_rules(ec2, id, direction, &removed, &added).await?;
        }
        tags::update(ec2, id, prior, planned).await?;
        Ok(id.to_owned())
    }

    async fn delete_call(&self, ec2: &Aws, id: &str, _: &Value) -> Result<(), ProviderError> {
        answered(
            "DeleteSecurityGroup",
            ec2.client.delete_security_group().group_id(id).send().await,
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    fn block(self) -> Block {
        match self {
            Direction::Ingress => INGRESS,
            Direction::Egress => EGRESS,
        }
    }
}

/// Revokes `removed` and authorizes `added` in `direction`. A rule that is already gone
/// is fine.
async fn change_rules(
    ec2: &Aws,
    id: &str,
    direction: Direction,
    removed: &[Rule],
    added: &[Rule],
) -> Result<(), ProviderError> {
    let permissions = |rules: &[Rule]| Some(rules.iter().map(Rule::permission).collect());
    let client = &ec2.client;
    if !removed.is_empty() {
        let revoked = match direction {
            Direction::Ingress => client
                .revoke_security_group_ingress()
                .group_id(id)
                .set_ip_permissions(permissions(removed))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| api_error("RevokeSecurityGroupIngress", e)),
            Direction::Egress => client
                .revoke_security_group_egress()
                .group_id(id)
                .set_ip_permissions(permissions(removed))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| api_error("RevokeSecurityGroupEgress", e)),
        };
        gone_as_none(revoked)?;
    }
    if !added.is_empty() {
        match direction {
            Direction::Ingress => client
                .authorize_security_group_ingress()
                .group_id(id)
                .set_ip_permissions(permissions(added))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| api_error("AuthorizeSecurityGroupIngress", e)),
            Direction::Egress => client
                .authorize_security_group_egress()
                .group_id(id)
                .set_ip_permissions(permissions(added))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| api_error("AuthorizeSecurityGroupEgress", e)),
        }?;
    }
    Ok(())
}

/// The `ingress` and `egress` values of `group` (read with no prior rules) split along
/// `prior`'s rules; `None` when nothing needs splitting.
fn split_rules(prior: &Value, group: &Value) -> Option<Vec<(&'static str, Value)>> {
    let mut out = Vec::new();
    for direction in [Direction::Ingress, Direction::Egress] {
        let before = configured_rules(prior, direction).ok()?;
        if before.is_empty() {
            continue;
        }
        let now = configured_rules(group, direction).ok()?;
        let permissions: Vec<IpPermission> = now.iter().map(Rule::permission).collect();
        let rules = rules_of(&permissions, &before);
        out.push(direction.block().to_set(rules.iter().map(Rule::value)));
    }
    Some(out)
}

fn value(ec2: &Aws, group: &SecurityGroup, id: &str) -> Value {
    let arn = match group.security_group_arn() {
        Some(a) if !a.is_empty() => Value::string(a),
        _ => arn(&ec2.region, group.owner_id(), "security-group", id),
    };
    let rules = |direction: Direction, permissions: &[IpPermission]| {
        direction
            .block()
            .to_set(rules_of(permissions, &[]).iter().map(Rule::value))
    };
    SCHEMA.instance([
        NAME.text(group.group_name()),
        DESCRIPTION.text(group.description()),
        VPC_ID.text(group.vpc_id()),
        tags::value(group.tags()),
        ID.to(id),
        (ARN.name(), arn),
        OWNER_ID.text(group.owner_id()),
        rules(Direction::Ingress, group.ip_permissions()),
        rules(Direction::Egress, group.ip_permissions_egress()),
    ])
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
