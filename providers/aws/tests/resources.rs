//! The `aws` provider against moto, through the provider API the engine uses: create,
//! refresh without drift, in-place updates, replacements, drift made behind aic's back,
//! import, deletion that leaves nothing, and errors that say what failed.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use aic_lang::value::Value;
use aic_provider::{with_attributes, ConfiguredProvider, ErrorKind, Provider};
use aic_provider_aws::{AwsProvider, Settings, Timing};
use aws_sdk_ec2::types::{AttributeValue, Filter, InstanceStateName, InstanceType, Tag};
use common::*;

async fn make_vpc(
    provider: &dyn ConfiguredProvider,
    cidr: &str,
) -> Result<Value, Box<dyn std::error::Error>> {
    let config = object([
        ("cidr_block", Value::string(cidr)),
        ("tags", string_map(&[("Name", "test")])),
    ]);
    create(provider, "aws_vpc", &config).await
}

async fn make_subnet(
    provider: &dyn ConfiguredProvider,
    vpc: &Value,
    cidr: &str,
) -> Result<Value, Box<dyn std::error::Error>> {
    let config = object([
        ("vpc_id", Value::string(text(vpc, "id"))),
        ("cidr_block", Value::string(cidr)),
        ("availability_zone", Value::string(format!("{REGION}a"))),
    ]);
    create(provider, "aws_subnet", &config).await
}

fn instance_config(subnet: &Value, ami: &str, tags: &[(&str, &str)]) -> Value {
    object([
        ("ami", Value::string(ami)),
        ("instance_type", Value::string("t3.micro")),
        ("subnet_id", Value::string(text(subnet, "id"))),
        ("user_data", Value::string("#!/bin/sh\necho hi\n")),
        ("tags", string_map(tags)),
    ])
}

/// Instances of the region that are not terminated, by id.
async fn live_instances(sdk: &aws_sdk_ec2::Client) -> Vec<String> {
    let out = sdk
        .describe_instances()
        .send()
        .await
        .unwrap_or_else(|e| panic!("DescribeInstances: {e:?}"));
    out.reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter(|i| {
            !matches!(
                i.state().and_then(|s| s.name()),
                Some(InstanceStateName::Terminated)
            )
        })
        .filter_map(|i| i.instance_id().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn network_and_instance_lifecycle_leaves_nothing_behind() -> TestResult {
    let moto = Moto::start();
    let aws = moto.provider(REGION).await?;
    let sdk = moto.sdk(REGION).await;

    let vpc_config = object([
        ("cidr_block", Value::string("10.1.0.0/16")),
        ("enable_dns_hostnames", Value::bool(true)),
        ("tags", string_map(&[("Name", "test")])),
    ]);
    let vpc = create(&*aws, "aws_vpc", &vpc_config).await?;
    assert!(text(&vpc, "id").starts_with("vpc-"));
    assert!(text(&vpc, "arn").starts_with("arn:aws:ec2:us-east-1:"));
    assert!(text(&vpc, "default_security_group_id").starts_with("sg-"));
    assert!(text(&vpc, "main_route_table_id").starts_with("rtb-"));
    assert_no_drift(&*aws, "aws_vpc", &vpc, &vpc_config).await?;

    let subnet = make_subnet(&*aws, &vpc, "10.1.1.0/24").await?;
    assert_eq!(text(&subnet, "availability_zone"), "us-east-1a");

    let group_config = object([
        ("name", Value::string("web")),
        ("vpc_id", Value::string(text(&vpc, "id"))),
        (
            "ingress",
            Value::tuple([
                object([
                    ("from_port", Value::number(443.0)),
                    ("to_port", Value::number(443.0)),
                    ("protocol", Value::string("tcp")),
                    ("cidr_blocks", strings(&["10.0.0.0/8"])),
                ]),
                object([
                    ("from_port", Value::number(443.0)),
                    ("to_port", Value::number(443.0)),
                    ("protocol", Value::string("tcp")),
                    ("cidr_blocks", strings(&["192.168.0.0/16", "172.16.0.0/12"])),
                    ("description", Value::string("office")),
                ]),
            ]),
        ),
        (
            "egress",
            Value::tuple([object([
                ("from_port", Value::number(0.0)),
                ("to_port", Value::number(0.0)),
                ("protocol", Value::string("-1")),
                ("cidr_blocks", strings(&["0.0.0.0/0"])),
            ])]),
        ),
    ]);
    let group = create(&*aws, "aws_security_group", &group_config).await?;
    assert_no_drift(&*aws, "aws_security_group", &group, &group_config).await?;

    let mut config = instance_config(&subnet, AMI, &[("Name", "web")]);
    config = with_attributes(
        &config,
        [("vpc_security_group_ids", strings(&[&text(&group, "id")]))],
    );
    let instance = create(&*aws, "aws_instance", &config).await?;
    assert_eq!(text(&instance, "instance_state"), "running");
    assert!(text(&instance, "private_ip").starts_with("10.1.1."));
    assert_no_drift(&*aws, "aws_instance", &instance, &config).await?;
    assert_eq!(live_instances(&sdk).await, vec![text(&instance, "id")]);

    // Destroy in reverse dependency order, as the engine does.
    aws.delete("aws_instance", &instance).await?;
    assert!(live_instances(&sdk).await.is_empty());
    aws.delete("aws_security_group", &group).await?;
    aws.delete("aws_subnet", &subnet).await?;
    aws.delete("aws_vpc", &vpc).await?;
    // Deleting again is fine: the objects are gone.
    aws.delete("aws_instance", &instance).await?;
    aws.delete("aws_vpc", &vpc).await?;
    for (type_name, object) in [
        ("aws_instance", &instance),
        ("aws_security_group", &group),
        ("aws_subnet", &subnet),
        ("aws_vpc", &vpc),
    ] {
        assert_eq!(
            aws.read(type_name, object).await?,
            None,
            "{type_name} still there"
        );
    }
    let vpcs = sdk
        .describe_vpcs()
        .filters(
            Filter::builder()
                .name("vpc-id")
                .values(text(&vpc, "id"))
                .build(),
        )
        .send()
        .await?;
    assert!(vpcs.vpcs().is_empty());
    Ok(())
}

#[tokio::test]
async fn tag_change_is_an_update_in_place() -> TestResult {
    let moto = Moto::start();
    let aws = moto.provider(REGION).await?;
    let sdk = moto.sdk(REGION).await;
    let vpc = make_vpc(&*aws, "10.2.0.0/16").await?;
    let subnet = make_subnet(&*aws, &vpc, "10.2.1.0/24").await?;
    let instance = create(
        &*aws,
        "aws_instance",
        &instance_config(&subnet, AMI, &[("Name", "web"), ("team", "a")]),
    )
    .await?;

    let config = instance_config(&subnet, AMI, &[("Name", "web"), ("owner", "b")]);
    let (action_, response) = action(&*aws, "aws_instance", &instance, &config).await?;
    assert_eq!(action_, Action::Update);
    let updated = aws
        .update("aws_instance", &instance, &response.planned)
        .await?;
    assert_matches_plan(&response.planned, &updated);
    assert_eq!(text(&updated, "id"), text(&instance, "id"), "same instance");
    let out = sdk
        .describe_tags()
        .filters(
            Filter::builder()
                .name("resource-id")
                .values(text(&instance, "id"))
                .build(),
        )
        .send()
        .await?;
    let mut tags: Vec<(String, String)> = out
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_owned(),
                t.value().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    tags.sort();
    assert_eq!(
        tags,
        vec![("Name".into(), "web".into()), ("owner".into(), "b".into())]
    );
    assert_no_drift(&*aws, "aws_instance", &updated, &config).await?;

    // The VPC's tags too.
    let vpc_config = object([
        ("cidr_block", Value::string("10.2.0.0/16")),
        ("tags", string_map(&[("Name", "renamed")])),
    ]);
    let (action_, response) = action(&*aws, "aws_vpc", &vpc, &vpc_config).await?;
    assert_eq!(action_, Action::Update);
    let updated = aws.update("aws_vpc", &vpc, &response.planned).await?;
    assert_eq!(
        updated.get("tags").map(ToString::to_string).as_deref(),
        Some(r#"{ Name = "renamed" }"#)
    );
    Ok(())
}

#[tokio::test]
async fn ami_change_replaces_and_instance_type_change_does_not() -> TestResult {
    let moto = Moto::start();
    let aws = moto.provider(REGION).await?;
    let vpc = make_vpc(&*aws, "10.3.0.0/16").await?;
    let subnet = make_subnet(&*aws, &vpc, "10.3.1.0/24").await?;
    let instance = create(&*aws, "aws_instance", &instance_config(&subnet, AMI, &[])).await?;

    let (action_, _) = action(
        &*aws,
        "aws_instance",
        &instance,
        &instance_config(&subnet, OTHER_AMI, &[]),
    )
    .await?;
    assert_eq!(action_, Action::Replace(vec!["ami".into()]));

    let bigger = with_attributes(
        &instance_config(&subnet, AMI, &[]),
        [("instance_type", Value::string("m5.large"))],
    );
    let (action_, response) = action(&*aws, "aws_instance", &instance, &bigger).await?;
    assert_eq!(action_, Action::Update);
    let updated = aws
        .update("aws_instance", &instance, &response.planned)
        .await?;
    assert_eq!(text(&updated, "instance_type"), "m5.large");
    assert_eq!(text(&updated, "instance_state"), "running");
    assert_eq!(text(&updated, "id"), text(&instance, "id"));

    // A new subnet replaces too.
    let other = make_subnet(&*aws, &vpc, "10.3.2.0/24").await?;
    let moved = instance_config(&other, AMI, &[]);
    let (action_, _) = action(&*aws, "aws_instance", &updated, &moved).await?;
    assert_eq!(action_, Action::Replace(vec!["subnet_id".into()]));
    Ok(())
}

#[tokio::test]
async fn drift_made_outside_aic_is_read_back() -> TestResult {
    let moto = Moto::start();
    let aws = moto.provider(REGION).await?;
    let sdk = moto.sdk(REGION).await;
    let vpc = make_vpc(&*aws, "10.4.0.0/16").await?;
    let subnet = make_subnet(&*aws, &vpc, "10.4.1.0/24").await?;
    let config = instance_config(&subnet, AMI, &[("Name", "web")]);
    let instance = create(&*aws, "aws_instance", &config).await?;
    let id = text(&instance, "id");

    // Behind aic's back: a tag and the instance type.
    sdk.create_tags()
        .resources(&id)
        .tags(Tag::builder().key("Name").value("hacked").build())
        .send()
        .await?;
    sdk.stop_instances().instance_ids(&id).send().await?;
    sdk.modify_instance_attribute()
        .instance_id(&id)
        .instance_type(AttributeValue::builder().value("m5.xlarge").build())
        .send()
        .await?;
    sdk.start_instances().instance_ids(&id).send().await?;

    let read = aws
        .read_many("aws_instance", std::slice::from_ref(&instance))
        .await
        .pop()
        .ok_or("no result")??
        .ok_or("instance gone")?;
    assert_eq!(text(&read, "instance_type"), "m5.xlarge");
    assert_eq!(
        read.get("tags").map(ToString::to_string).as_deref(),
        Some(r#"{ Name = "hacked" }"#)
    );
    assert_eq!(
        read.get("user_data"),
        instance.get("user_data"),
        "kept from the prior"
    );

    // The plan takes it back, in place.
    let (action_, response) = action(&*aws, "aws_instance", &read, &config).await?;
    assert_eq!(action_, Action::Update);
    let restored = aws.update("aws_instance", &read, &response.planned).await?;
    assert_eq!(text(&restored, "instance_type"), "t3.micro");
    assert_no_drift(&*aws, "aws_instance", &restored, &config).await?;

    // Terminated behind aic's back: gone.
    sdk.terminate_instances().instance_ids(&id).send().await?;
    assert_eq!(aws.read("aws_instance", &restored).await?, None);
    Ok(())
}

#[tokio::test]
async fn instances_vpcs_subnets_and_groups_import_by_id() -> TestResult {
    let moto = Moto::start();
    let aws = moto.provider(REGION).await?;
    let sdk = moto.sdk(REGION).await;
    let vpc_id = sdk
        .create_vpc()
        .cidr_block("10.5.0.0/16")
        .send()
        .await?
        .vpc()
        .and_then(|v| v.vpc_id())
        .ok_or("no vpc id")?
        .to_owned();
    let subnet_id = sdk
        .create_subnet()
        .vpc_id(&vpc_id)
        .cidr_block("10.5.1.0/24")
        .send()
        .await?
        .subnet()
        .and_then(|s| s.subnet_id())
        .ok_or("no subnet id")?
        .to_owned();
    let group_id = sdk
        .create_security_group()
        .group_name("legacy")
        .description("made by hand")
        .vpc_id(&vpc_id)
        .send()
        .await?
        .group_id()
        .ok_or("no group id")?
        .to_owned();
    let run = sdk
        .run_instances()
        .image_id(AMI)
        .instance_type(InstanceType::T3Micro)
        .min_count(1)
        .max_count(1)
        .subnet_id(&subnet_id)
        .user_data(base64_of("#!/bin/sh\necho legacy\n"))
        .send()
        .await?;
    let instance_id = run
        .instances()
        .first()
        .and_then(|i| i.instance_id())
        .ok_or("no instance id")?
        .to_owned();

    let imported = aws
        .import("aws_instance", &instance_id)
        .await?
        .ok_or("instance not found")?;
    assert_eq!(text(&imported, "subnet_id"), subnet_id);
    assert_eq!(text(&imported, "user_data"), "#!/bin/sh\necho legacy\n");
    // Configured as it is, it plans no change.
    let config = object([
        ("ami", Value::string(AMI)),
        ("instance_type", Value::string("t3.micro")),
        ("subnet_id", Value::string(&subnet_id)),
        ("user_data", Value::string("#!/bin/sh\necho legacy\n")),
    ]);
    let (action_, _) = action(&*aws, "aws_instance", &imported, &config).await?;
    assert_eq!(action_, Action::NoOp);

    let vpc = aws
        .import("aws_vpc", &vpc_id)
        .await?
        .ok_or("vpc not found")?;
    assert_eq!(text(&vpc, "cidr_block"), "10.5.0.0/16");
    let subnet = aws
        .import("aws_subnet", &subnet_id)
        .await?
        .ok_or("subnet not found")?;
    assert_eq!(text(&subnet, "vpc_id"), vpc_id);
    let group = aws
        .import("aws_security_group", &group_id)
        .await?
        .ok_or("group not found")?;
    assert_eq!(text(&group, "description"), "made by hand");

    assert_eq!(
        aws.import("aws_instance", "i-0123456789abcdef0").await?,
        None
    );
    assert_eq!(aws.import("aws_vpc", "vpc-01234567").await?, None);
    Ok(())
}

fn base64_of(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[tokio::test]
async fn refresh_of_many_instances_is_one_call() -> TestResult {
    let moto = Moto::start();
    let calls = Arc::new(AtomicU64::new(0));
    let aws = moto.counted_provider(REGION, calls.clone()).await?;
    let sdk = moto.sdk(REGION).await;
    let run = sdk
        .run_instances()
        .image_id(AMI)
        .instance_type(InstanceType::T3Micro)
        .min_count(30)
        .max_count(30)
        .send()
        .await?;
    let mut priors: Vec<Value> = run
        .instances()
        .iter()
        .filter_map(|i| i.instance_id())
        .map(|id| object([("id", Value::string(id))]))
        .collect();
    assert_eq!(priors.len(), 30);
    let gone = priors[3].clone();
    sdk.terminate_instances()
        .instance_ids(text(&gone, "id"))
        .send()
        .await?;
    priors.push(object([("id", Value::string("i-0000000000000dead"))]));

    calls.store(0, Ordering::Relaxed);
    let results = aws.read_many("aws_instance", &priors).await;
    assert_eq!(
        calls.load(Ordering::Relaxed),
        1,
        "one DescribeInstances for 31 instances"
    );
    assert_eq!(results.len(), priors.len());
    for (i, result) in results.into_iter().enumerate() {
        let found = result?;
        if i == 3 || i == 30 {
            assert_eq!(found, None, "instance {i} is gone");
        } else {
            let found = found.ok_or("missing instance")?;
            assert_eq!(text(&found, "id"), text(&priors[i], "id"));
        }
    }
    Ok(())
}

#[tokio::test]
async fn each_configuration_talks_to_its_own_region() -> TestResult {
    let moto = Moto::start();
    let east = moto.provider("us-east-1").await?;
    let west = moto.provider("eu-west-1").await?;
    let vpc = make_vpc(&*west, "10.6.0.0/16").await?;
    assert!(text(&vpc, "arn").starts_with("arn:aws:ec2:eu-west-1:"));
    assert!(west.read("aws_vpc", &vpc).await?.is_some());
    assert_eq!(east.read("aws_vpc", &vpc).await?, None);
    Ok(())
}

#[tokio::test]
async fn gateway_route_table_association_and_launch_template() -> TestResult {
    let moto = Moto::start();
    let aws = moto.provider(REGION).await?;
    let vpc = make_vpc(&*aws, "10.7.0.0/16").await?;
    let subnet = make_subnet(&*aws, &vpc, "10.7.1.0/24").await?;
    let vpc_id = Value::string(text(&vpc, "id"));

    let gateway_config = object([("vpc_id", vpc_id.clone())]);
    let gateway = create(&*aws, "aws_internet_gateway", &gateway_config).await?;
    assert_no_drift(&*aws, "aws_internet_gateway", &gateway, &gateway_config).await?;

    let route = |gateway: &Value| {
        Value::tuple([object([
            ("cidr_block", Value::string("0.0.0.0/0")),
            ("gateway_id", Value::string(text(gateway, "id"))),
        ])])
    };
    let table_config = object([("vpc_id", vpc_id.clone()), ("route", route(&gateway))]);
    let table = create(&*aws, "aws_route_table", &table_config).await?;
    assert_no_drift(&*aws, "aws_route_table", &table, &table_config).await?;

    // Routes change in place.
    let fewer = object([("vpc_id", vpc_id.clone())]);
    let (action_, response) = action(&*aws, "aws_route_table", &table, &fewer).await?;
    assert_eq!(action_, Action::Update);
    let table = aws
        .update("aws_route_table", &table, &response.planned)
        .await?;
    assert_no_drift(&*aws, "aws_route_table", &table, &fewer).await?;

    let association_config = object([
        ("subnet_id", Value::string(text(&subnet, "id"))),
        ("route_table_id", Value::string(text(&table, "id"))),
    ]);
    let association = create(&*aws, "aws_route_table_association", &association_config).await?;
    assert_no_drift(
        &*aws,
        "aws_route_table_association",
        &association,
        &association_config,
    )
    .await?;

    let template_config = object([
        ("name", Value::string("web")),
        ("image_id", Value::string(AMI)),
        ("instance_type", Value::string("t3.micro")),
    ]);
    let template = create(&*aws, "aws_launch_template", &template_config).await?;
    assert_no_drift(&*aws, "aws_launch_template", &template, &template_config).await?;
    let newer = with_attributes(&template_config, [("image_id", Value::string(OTHER_AMI))]);
    let (action_, response) = action(&*aws, "aws_launch_template", &template, &newer).await?;
    assert_eq!(action_, Action::Update);
    let template = aws
        .update("aws_launch_template", &template, &response.planned)
        .await?;
    assert_eq!(text(&template, "image_id"), OTHER_AMI);
    assert_eq!(template.get("default_version"), Some(&Value::number(2.0)));

    aws.delete("aws_launch_template", &template).await?;
    aws.delete("aws_route_table_association", &association)
        .await?;
    aws.delete("aws_route_table", &table).await?;
    aws.delete("aws_internet_gateway", &gateway).await?;
    for (type_name, object) in [
        ("aws_launch_template", &template),
        ("aws_route_table_association", &association),
        ("aws_route_table", &table),
        ("aws_internet_gateway", &gateway),
    ] {
        assert_eq!(
            aws.read(type_name, object).await?,
            None,
            "{type_name} still there"
        );
    }
    Ok(())
}

#[tokio::test]
async fn security_group_rules_change_in_place() -> TestResult {
    let moto = Moto::start();
    let aws = moto.provider(REGION).await?;
    let vpc = make_vpc(&*aws, "10.8.0.0/16").await?;
    let rule = |port: f64, cidr: &str| {
        object([
            ("from_port", Value::number(port)),
            ("to_port", Value::number(port)),
            ("protocol", Value::string("tcp")),
            ("cidr_blocks", strings(&[cidr])),
        ])
    };
    let config = |rules: Vec<Value>| {
        object([
            ("vpc_id", Value::string(text(&vpc, "id"))),
            ("ingress", Value::tuple(rules)),
        ])
    };
    let first = config(vec![rule(22.0, "10.0.0.0/8")]);
    let group = create(&*aws, "aws_security_group", &first).await?;
    assert!(text(&group, "name").starts_with("aic-"), "a generated name");
    assert_eq!(
        group.get("egress"),
        Some(&Value::set([])),
        "the default egress rule is gone"
    );

    let second = config(vec![rule(22.0, "10.0.0.0/8"), rule(443.0, "0.0.0.0/0")]);
    let (action_, response) = action(&*aws, "aws_security_group", &group, &second).await?;
    assert_eq!(action_, Action::Update);
    let group = aws
        .update("aws_security_group", &group, &response.planned)
        .await?;
    assert_no_drift(&*aws, "aws_security_group", &group, &second).await?;

    let third = config(vec![rule(443.0, "0.0.0.0/0")]);
    let (_, response) = action(&*aws, "aws_security_group", &group, &third).await?;
    let group = aws
        .update("aws_security_group", &group, &response.planned)
        .await?;
    assert_no_drift(&*aws, "aws_security_group", &group, &third).await?;
    Ok(())
}

#[tokio::test]
async fn data_sources_find_amis_zones_and_instance_types() -> TestResult {
    let moto = Moto::start();
    let aws = moto.provider("eu-west-1").await?;
    let ami = aws
        .read_data(
            "aws_ami",
            &object([
                ("owners", strings(&["amazon"])),
                ("most_recent", Value::bool(true)),
                (
                    "filter",
                    Value::tuple([object([
                        ("name", Value::string("name")),
                        ("values", strings(&["amzn-ami-hvm-*"])),
                    ])]),
                ),
                ("name_regex", Value::string("x86_64-gp2$")),
            ]),
        )
        .await?;
    assert!(text(&ami, "name").starts_with("amzn-ami-hvm-"), "{ami}");
    assert!(text(&ami, "id").starts_with("ami-"));

    let ambiguous = aws
        .read_data("aws_ami", &object([("owners", strings(&["amazon"]))]))
        .await
        .err()
        .ok_or("several AMIs without most_recent must fail")?;
    assert_eq!(ambiguous.kind(), ErrorKind::InvalidConfig);
    assert!(
        ambiguous.to_string().contains("more than one result"),
        "{ambiguous}"
    );

    let zones = aws
        .read_data(
            "aws_availability_zones",
            &object([("state", Value::string("available"))]),
        )
        .await?;
    let names = zones
        .get("names")
        .and_then(Value::as_elements)
        .ok_or("no names")?;
    assert!(names.len() >= 2);
    assert_eq!(names[0].as_str(), Some("eu-west-1a"));
    let ids = zones
        .get("zone_ids")
        .and_then(Value::as_elements)
        .ok_or("no ids")?;
    assert_eq!(ids.len(), names.len());

    let t3 = aws
        .read_data(
            "aws_instance_type",
            &object([("instance_type", Value::string("t3.micro"))]),
        )
        .await?;
    assert_eq!(t3.get("default_vcpus"), Some(&Value::number(2.0)));
    assert_eq!(t3.get("memory_size"), Some(&Value::number(1024.0)));
    Ok(())
}

#[tokio::test]
async fn failing_calls_name_the_operation_and_aws_code() -> TestResult {
    let moto = Moto::start();
    let aws = moto.provider(REGION).await?;
    let vpc = make_vpc(&*aws, "10.9.0.0/16").await?;
    // A subnet outside its VPC's range.
    let config = object([
        ("vpc_id", Value::string(text(&vpc, "id"))),
        ("cidr_block", Value::string("192.168.0.0/24")),
    ]);
    let response = plan(&*aws, "aws_subnet", None, &config).await?;
    let err = aws
        .create("aws_subnet", &response.planned)
        .await
        .err()
        .ok_or("an invalid subnet must fail")?;
    assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{err:?}");
    assert_eq!(
        err.cloud().map(|c| c.code.as_str()),
        Some("InvalidSubnet.Range")
    );
    assert!(
        err.to_string().starts_with("EC2 CreateSubnet failed"),
        "{err}"
    );
    // The VPC created before is still there.
    assert!(aws.read("aws_vpc", &vpc).await?.is_some());

    // A VPC that does not exist is the configuration's fault, not a vanished object.
    let config = object([
        ("vpc_id", Value::string("vpc-0000dead")),
        ("cidr_block", Value::string("10.9.1.0/24")),
    ]);
    let response = plan(&*aws, "aws_subnet", None, &config).await?;
    let err = aws
        .create("aws_subnet", &response.planned)
        .await
        .err()
        .ok_or("a missing VPC must fail")?;
    assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{err}");
    assert_eq!(
        err.cloud().map(|c| c.code.as_str()),
        Some("InvalidVpcID.NotFound")
    );
    Ok(())
}

#[tokio::test]
async fn an_operation_the_endpoint_lacks_is_a_clear_error_and_is_not_retried() -> TestResult {
    let moto = Moto::start();
    let calls = Arc::new(AtomicU64::new(0));
    let config = with_attributes(
        &moto.provider_config(REGION),
        [("max_retries", Value::number(3.0))],
    );
    let ec2 = AwsProvider::new()
        .with_timing(Timing::fast())
        .with_call_counter(calls.clone())
        .configure_settings(&Settings::from_config(&config)?)
        .await;
    // moto answers DescribeFleetHistory with an HTML 500 page.
    let result = ec2
        .client()
        .describe_fleet_history()
        .fleet_id("fleet-12345678-1234-1234-1234-123456789012")
        .start_time(aws_sdk_ec2::primitives::DateTime::from_secs(0))
        .send()
        .await;
    let err = match result {
        Ok(_) => {
            return Err("moto now implements DescribeFleetHistory; pick another operation".into())
        }
        Err(e) => aic_provider_aws::error::api_error("DescribeFleetHistory", e),
    };
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(
        err.to_string()
            .contains("does not implement DescribeFleetHistory"),
        "{err}"
    );
    assert_eq!(
        calls.load(Ordering::Relaxed),
        1,
        "an HTML error page is not retried"
    );
    Ok(())
}

#[tokio::test]
async fn an_unreachable_endpoint_is_transient() -> TestResult {
    let moto = Moto::start();
    let port = moto.port;
    drop(moto);
    let aws = AwsProvider::new()
        .with_timing(Timing::fast())
        .configure(&object([
            ("region", Value::string(REGION)),
            (
                "endpoint",
                Value::string(format!("http://127.0.0.1:{port}")),
            ),
            ("access_key", Value::string("testing")),
            ("secret_key", Value::string("testing")),
            ("max_retries", Value::number(0.0)),
        ]))
        .await?;
    let err = aws
        .read("aws_vpc", &object([("id", Value::string("vpc-1"))]))
        .await
        .err()
        .ok_or("nothing listens there")?;
    assert_eq!(err.kind(), ErrorKind::Transient, "{err}");
    assert!(err.is_retryable());
    assert!(err.to_string().contains("DescribeVpcs"), "{err}");
    Ok(())
}
