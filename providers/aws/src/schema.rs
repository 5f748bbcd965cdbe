//! The schema of the `aws` provider: its configuration, resources and data sources, with
//! the resource, attribute and nested-block names of the Terraform AWS provider so that
//! configurations port unchanged.
//!
//! Plain data, built once. `docs/providers/aws.md` is generated from it. This module
//! must not call any API.

use std::sync::LazyLock;

use aic_lang::types::Type;
use aic_provider::{AttributeSchema, NestedBlockSchema, Nesting, ProviderSchema, ResourceSchema};

/// The provider's schema, built on first use.
pub static SCHEMA: LazyLock<ProviderSchema> = LazyLock::new(|| ProviderSchema {
    provider: provider_config(),
    resources: [
        ("aws_vpc", vpc()),
        ("aws_subnet", subnet()),
        ("aws_internet_gateway", internet_gateway()),
        ("aws_route_table", route_table()),
        ("aws_route_table_association", route_table_association()),
        ("aws_security_group", security_group()),
        ("aws_launch_template", launch_template()),
        ("aws_instance", instance()),
    ]
    .into_iter()
    .map(|(name, schema)| (name.to_owned(), schema))
    .collect(),
    data_sources: [
        ("aws_ami", ami()),
        ("aws_availability_zones", availability_zones()),
        ("aws_instance_type", instance_type()),
    ]
    .into_iter()
    .map(|(name, schema)| (name.to_owned(), schema))
    .collect(),
});

/// The description of the ids AWS assigns.
const ID: &str = "The identifier AWS assigned.";
const ARN: &str = "The Amazon Resource Name.";
const OWNER: &str = "The AWS account that owns the object.";
const TAGS: &str = "Tags to set on the object; changed in place.";

fn computed(description: &str) -> AttributeSchema {
    AttributeSchema::computed(Type::String).describe(description)
}

fn tags() -> AttributeSchema {
    AttributeSchema::optional(Type::map(Type::String)).describe(TAGS)
}

fn provider_config() -> ResourceSchema {
    ResourceSchema::new(
        "Amazon EC2 and VPC through the AWS SDK for Rust. Credentials come from \
         `access_key`/`secret_key` when set, else from the standard chain: the \
         `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` environment variables, the shared \
         config and credentials files (`profile`, SSO, `credential_process`), then \
         container and instance metadata. Each provider configuration (each instance of a \
         module that declares one) gets its own client.",
    )
    .attribute(
        "region",
        AttributeSchema::required(Type::String)
            .describe("The region to manage objects in, e.g. `eu-west-1`."),
    )
    .attribute(
        "endpoint",
        AttributeSchema::optional(Type::String).describe(
            "A custom EC2 endpoint URL: a private endpoint, or an emulator such as moto \
             (`http://127.0.0.1:5000`).",
        ),
    )
    .attribute(
        "profile",
        AttributeSchema::optional(Type::String)
            .describe("The profile of the shared config and credentials files to use."),
    )
    .attribute(
        "access_key",
        AttributeSchema::optional(Type::String)
            .sensitive()
            .describe("An access key id; with `secret_key`, replaces the credential chain."),
    )
    .attribute(
        "secret_key",
        AttributeSchema::optional(Type::String)
            .sensitive()
            .describe("The secret access key belonging to `access_key`."),
    )
    .attribute(
        "token",
        AttributeSchema::optional(Type::String)
            .sensitive()
            .describe("A session token, for temporary `access_key`/`secret_key` credentials."),
    )
    .attribute(
        "max_retries",
        AttributeSchema::optional(Type::Number)
            .default_value(3)
            .describe(
                "How many times the SDK retries a throttled or failed call (with backoff) \
                 before aic's own retries take over.",
            ),
    )
}

fn vpc() -> ResourceSchema {
    ResourceSchema::new("A virtual private cloud: an isolated network in one region.")
        .attribute(
            "cidr_block",
            AttributeSchema::required(Type::String)
                .force_new()
                .describe("The IPv4 range of the VPC, e.g. `10.0.0.0/16`."),
        )
        .attribute(
            "instance_tenancy",
            AttributeSchema::optional(Type::string_union(["default", "dedicated"]))
                .default_value("default")
                .force_new()
                .describe("Whether instances run on shared or dedicated hardware."),
        )
        .attribute(
            "enable_dns_support",
            AttributeSchema::optional(Type::Bool)
                .default_value(true)
                .describe("Whether the Amazon DNS server resolves names in the VPC."),
        )
        .attribute(
            "enable_dns_hostnames",
            AttributeSchema::optional(Type::Bool)
                .default_value(false)
                .describe("Whether instances with public addresses get public DNS names."),
        )
        .attribute("tags", tags())
        .attribute("id", computed(ID))
        .attribute("arn", computed(ARN))
        .attribute("owner_id", computed(OWNER))
        .attribute(
            "default_security_group_id",
            computed("The security group AWS created with the VPC."),
        )
        .attribute(
            "main_route_table_id",
            computed("The route table AWS created with the VPC."),
        )
        .attribute(
            "default_network_acl_id",
            computed("The network ACL AWS created with the VPC."),
        )
}

fn subnet() -> ResourceSchema {
    ResourceSchema::new("A range of a VPC's addresses in one availability zone.")
        .attribute(
            "vpc_id",
            AttributeSchema::required(Type::String)
                .force_new()
                .describe("The VPC the subnet belongs to."),
        )
        .attribute(
            "cidr_block",
            AttributeSchema::required(Type::String)
                .force_new()
                .describe("The IPv4 range, inside the VPC's."),
        )
        .attribute(
            "availability_zone",
            AttributeSchema::optional_computed(Type::String)
                .force_new()
                .describe("The zone, e.g. `eu-west-1a`; AWS picks one when left out."),
        )
        .attribute(
            "map_public_ip_on_launch",
            AttributeSchema::optional(Type::Bool)
                .default_value(false)
                .describe("Whether instances launched here get a public IPv4 address."),
        )
        .attribute("tags", tags())
        .attribute("id", computed(ID))
        .attribute("arn", computed(ARN))
        .attribute("owner_id", computed(OWNER))
        .attribute(
            "availability_zone_id",
            computed("The zone's account-independent id, e.g. `euw1-az1`."),
        )
}

fn internet_gateway() -> ResourceSchema {
    ResourceSchema::new(
        "A gateway between a VPC and the internet. Changing `vpc_id` detaches it and \
         attaches it to the new VPC.",
    )
    .attribute(
        "vpc_id",
        AttributeSchema::optional(Type::String)
            .describe("The VPC to attach the gateway to; detached when left out."),
    )
    .attribute("tags", tags())
    .attribute("id", computed(ID))
    .attribute("arn", computed(ARN))
    .attribute("owner_id", computed(OWNER))
}

fn route_table() -> ResourceSchema {
    ResourceSchema::new(
        "A route table of a VPC. Routes are managed in place; the VPC's `local` route is \
         implicit and not listed. Only routes to gateways (`gateway_id`) are managed.",
    )
    .attribute(
        "vpc_id",
        AttributeSchema::required(Type::String)
            .force_new()
            .describe("The VPC the table belongs to."),
    )
    .attribute("tags", tags())
    .attribute("id", computed(ID))
    .attribute("arn", computed(ARN))
    .attribute("owner_id", computed(OWNER))
    .block(
        "route",
        NestedBlockSchema::new(
            Nesting::Set,
            ResourceSchema::new("One route.")
                .attribute(
                    "cidr_block",
                    AttributeSchema::required(Type::String)
                        .describe("The destination range, e.g. `0.0.0.0/0`."),
                )
                .attribute(
                    "gateway_id",
                    AttributeSchema::required(Type::String)
                        .describe("The internet gateway (or virtual private gateway) to route to."),
                ),
        ),
    )
}

fn route_table_association() -> ResourceSchema {
    ResourceSchema::new(
        "Associates a subnet with a route table. Changing `route_table_id` replaces the \
         association in place.",
    )
    .attribute(
        "subnet_id",
        AttributeSchema::required(Type::String)
            .force_new()
            .describe("The subnet."),
    )
    .attribute(
        "route_table_id",
        AttributeSchema::required(Type::String).describe("The route table."),
    )
    .attribute("id", computed("The association's id."))
}

fn rule() -> ResourceSchema {
    ResourceSchema::new("One rule.")
        .attribute(
            "from_port",
            AttributeSchema::required(Type::Number)
                .describe("The first port (or ICMP type); `0` with protocol `-1`."),
        )
        .attribute(
            "to_port",
            AttributeSchema::required(Type::Number)
                .describe("The last port (or ICMP code); `0` with protocol `-1`."),
        )
        .attribute(
            "protocol",
            AttributeSchema::required(Type::String)
                .describe("`tcp`, `udp`, `icmp`, a protocol number, or `-1` for all."),
        )
        .attribute(
            "cidr_blocks",
            AttributeSchema::optional(Type::list(Type::String))
                .describe("The IPv4 ranges the rule applies to."),
        )
        .attribute(
            "description",
            AttributeSchema::optional(Type::String).describe("A description of the rule."),
        )
}

fn security_group() -> ResourceSchema {
    ResourceSchema::new(
        "A security group with its rules. As in Terraform, the rule AWS adds by default \
         (all egress allowed) is removed at creation: declare an `egress` block to allow \
         outbound traffic. Rules change in place.",
    )
    .attribute(
        "name",
        AttributeSchema::optional_computed(Type::String)
            .force_new()
            .describe("The group's name, unique in the VPC; generated when left out."),
    )
    .attribute(
        "description",
        AttributeSchema::optional(Type::String)
            .default_value("Managed by aic")
            .force_new()
            .describe("The group's description."),
    )
    .attribute(
        "vpc_id",
        AttributeSchema::optional_computed(Type::String)
            .force_new()
            .describe("The VPC of the group; the region's default VPC when left out."),
    )
    .attribute("tags", tags())
    .attribute("id", computed(ID))
    .attribute("arn", computed(ARN))
    .attribute("owner_id", computed(OWNER))
    .block("ingress", NestedBlockSchema::new(Nesting::Set, rule()))
    .block("egress", NestedBlockSchema::new(Nesting::Set, rule()))
}

fn launch_template() -> ResourceSchema {
    ResourceSchema::new(
        "A launch template. A change of `image_id`, `instance_type` or `user_data` creates \
         a new version and makes it the default.",
    )
    .attribute(
        "name",
        AttributeSchema::optional_computed(Type::String)
            .force_new()
            .describe("The template's name, unique in the region; generated when left out."),
    )
    .attribute(
        "description",
        AttributeSchema::optional(Type::String)
            .describe("A description of the template's versions."),
    )
    .attribute(
        "image_id",
        AttributeSchema::optional(Type::String).describe("The AMI instances launch from."),
    )
    .attribute(
        "instance_type",
        AttributeSchema::optional(Type::String).describe("The instance type, e.g. `t3.micro`."),
    )
    .attribute(
        "user_data",
        AttributeSchema::optional(Type::String)
            .describe("Base64-encoded user data, as Terraform expects (`base64encode(…)`)."),
    )
    .attribute("tags", tags())
    .attribute("id", computed(ID))
    .attribute("arn", computed(ARN))
    .attribute(
        "latest_version",
        AttributeSchema::computed(Type::Number).describe("The newest version number."),
    )
    .attribute(
        "default_version",
        AttributeSchema::computed(Type::Number).describe("The version launched by default."),
    )
}

fn instance() -> ResourceSchema {
    ResourceSchema::new(
        "An EC2 instance. Creation waits until it is `running`, deletion until it is \
         `terminated`. Changing `instance_type` stops it, changes the type and starts it \
         again; tags and security groups change without a restart; `ami`, `subnet_id` and \
         `user_data` force a replacement. `user_data` is sent as given (aic encodes it) and \
         read back only on import.",
    )
    .attribute(
        "ami",
        AttributeSchema::required(Type::String)
            .force_new()
            .describe("The AMI to launch."),
    )
    .attribute(
        "instance_type",
        AttributeSchema::required(Type::String)
            .describe("The instance type, e.g. `t3.micro`; changed with a stop and start."),
    )
    .attribute(
        "subnet_id",
        AttributeSchema::optional_computed(Type::String)
            .force_new()
            .describe("The subnet to launch in; the default VPC's when left out."),
    )
    .attribute(
        "vpc_security_group_ids",
        AttributeSchema::optional_computed(Type::set(Type::String))
            .describe("The security groups; the VPC's default group when left out."),
    )
    .attribute(
        "user_data",
        AttributeSchema::optional(Type::String)
            .force_new()
            .describe("Data for cloud-init or the like, as plain text."),
    )
    .attribute("tags", tags())
    .attribute("id", computed(ID))
    .attribute("arn", computed(ARN))
    .attribute(
        "availability_zone",
        computed("The zone the instance runs in."),
    )
    .attribute("private_ip", computed("The private IPv4 address."))
    .attribute(
        "public_ip",
        computed("The public IPv4 address, if it has one."),
    )
    .attribute("private_dns", computed("The private DNS name."))
    .attribute(
        "instance_state",
        computed("`pending`, `running`, `stopping`, `stopped`, …"),
    )
}

fn ami() -> ResourceSchema {
    ResourceSchema::new(
        "Finds an AMI. With several matches, `most_recent = true` picks the newest; \
         otherwise the search must be specific enough to match exactly one.",
    )
    .attribute(
        "owners",
        AttributeSchema::optional(Type::list(Type::String))
            .describe("Account ids or aliases (`self`, `amazon`) that own the AMI."),
    )
    .attribute(
        "most_recent",
        AttributeSchema::optional(Type::Bool)
            .default_value(false)
            .describe("Pick the newest of several matches."),
    )
    .attribute(
        "name_regex",
        AttributeSchema::optional(Type::String).describe(
            "A regular expression the AMI's name must match (applied after the filters).",
        ),
    )
    .attribute("id", computed("The AMI's id."))
    .attribute("image_id", computed("The AMI's id (the same as `id`)."))
    .attribute("name", computed("The AMI's name."))
    .attribute("description", computed("The AMI's description."))
    .attribute(
        "creation_date",
        computed("When the AMI was created (ISO 8601)."),
    )
    .attribute("architecture", computed("`x86_64`, `arm64`, …"))
    .attribute("owner_id", computed("The account that owns the AMI."))
    .block(
        "filter",
        NestedBlockSchema::new(
            Nesting::Set,
            ResourceSchema::new("An EC2 `DescribeImages` filter.")
                .attribute(
                    "name",
                    AttributeSchema::required(Type::String)
                        .describe("The filter's name, e.g. `name` or `architecture`."),
                )
                .attribute(
                    "values",
                    AttributeSchema::required(Type::list(Type::String))
                        .describe("Accepted values; `*` and `?` are wildcards."),
                ),
        ),
    )
}

fn availability_zones() -> ResourceSchema {
    ResourceSchema::new("The availability zones of the provider's region.")
        .attribute(
            "state",
            AttributeSchema::optional(Type::string_union([
                "available",
                "information",
                "impaired",
                "unavailable",
            ]))
            .describe("Only zones in this state."),
        )
        .attribute("id", computed("The region."))
        .attribute(
            "names",
            AttributeSchema::computed(Type::list(Type::String))
                .describe("The zones' names, sorted."),
        )
        .attribute(
            "zone_ids",
            AttributeSchema::computed(Type::list(Type::String))
                .describe("The zones' ids, in the order of `names`."),
        )
}

fn instance_type() -> ResourceSchema {
    ResourceSchema::new("The characteristics of an instance type.")
        .attribute(
            "instance_type",
            AttributeSchema::required(Type::String).describe("The type, e.g. `t3.micro`."),
        )
        .attribute("id", computed("The type."))
        .attribute(
            "default_vcpus",
            AttributeSchema::computed(Type::Number).describe("Virtual CPUs."),
        )
        .attribute(
            "memory_size",
            AttributeSchema::computed(Type::Number).describe("Memory in MiB."),
        )
}
