//! Golden renderings of plans: one plan with every kind of change through every view,
//! and a plan without changes. Update the snapshots with `INSTA_UPDATE=always` and read
//! them: they are what users see.

use aic_engine::plan::{
    Action, ChangeReason, OutputChange, Plan, PolicyLevel, PolicyResult, ResourceChange, StateRef,
};
use aic_engine::render::{
    render_apply_summary, render_json, render_markdown, render_text, TextOptions,
    GITHUB_COMMENT_LIMIT,
};
use aic_lang::addr::{InstanceAddr, InstanceKey, ModuleInstance, ResourceAddr};
use aic_lang::types::Type;
use aic_lang::value::{AttrPath, Value};

/// Values that must never appear in any rendering.
const SECRETS: [&str; 3] = ["hunter2-old", "hunter2-new", "s3cr3t-admin"];

fn addr(s: &str) -> InstanceAddr {
    s.parse().unwrap()
}

fn s(v: &str) -> Value {
    Value::string(v)
}

fn n(v: f64) -> Value {
    Value::number(v)
}

fn unknown() -> Value {
    Value::unknown(Type::String)
}

fn obj<const N: usize>(attrs: [(&str, Value); N]) -> Value {
    Value::object(attrs)
}

fn tags<const N: usize>(entries: [(&str, &str); N]) -> Value {
    Value::map(entries.map(|(k, v)| (k, s(v))))
}

fn strings<const N: usize>(items: [&str; N]) -> Value {
    Value::list(items.map(s))
}

fn path(p: &str) -> AttrPath {
    p.parse().unwrap()
}

fn change(
    address: &str,
    action: Action,
    before: Option<Value>,
    after: Option<Value>,
) -> ResourceChange {
    ResourceChange::new(addr(address), action, before, after)
}

fn ingress(port: f64, cidr: &str) -> Value {
    obj([
        ("from_port", n(port)),
        ("to_port", n(port)),
        ("protocol", s("tcp")),
        ("cidr_blocks", strings([cidr])),
    ])
}

fn policy_document(resource: &str) -> Value {
    s(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"ReadArtifacts","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::artifacts","{resource}"]}},{{"Sid":"Deploy","Effect":"Allow","Action":["ecs:UpdateService"],"Resource":"*"}}]}}"#
    ))
}

fn api(instance_type: &str, env: &str) -> Value {
    obj([
        ("id", s("i-0a1b2c3d")),
        ("ami", s("ami-0abc")),
        (
            "arn",
            s("arn:aws:ec2:eu-west-1:123456789012:instance/i-0a1b2c3d"),
        ),
        ("instance_type", s(instance_type)),
        ("monitoring", Value::bool(true)),
        ("tags", tags([("Name", "api"), ("Env", env)])),
    ])
}

fn subnet(cidr: &str, zone: &str) -> Value {
    obj([
        ("id", unknown()),
        ("arn", unknown()),
        ("vpc_id", unknown()),
        ("cidr_block", s(cidr)),
        ("availability_zone", s(zone)),
        ("map_public_ip_on_launch", Value::bool(false)),
    ])
}

/// One plan with every kind of change.
fn full_plan() -> Plan {
    let mut plan = Plan::new("production");
    plan.prior_state = Some(StateRef {
        lineage: "4b0f7c1e-9d2a-4c55-8e61-2f3a9b7d0c14".to_owned(),
        serial: 12,
    });
    plan.config_digest = "sha256:9f2c4e7a".to_owned();

    let web = obj([
        ("ami", s("ami-0abc")),
        ("arn", unknown()),
        ("id", unknown()),
        ("instance_type", s("t3.micro")),
        ("private_ip", unknown()),
        ("tags", tags([("Name", "web"), ("Owner", "platform")])),
        (
            "user_data",
            s("#!/bin/bash\nset -euo pipefail\nsystemctl enable --now nginx\n"),
        ),
        (
            "root_block_device",
            obj([
                ("encrypted", Value::bool(true)),
                ("volume_size", n(20.0)),
                ("volume_id", unknown()),
            ]),
        ),
    ]);

    let db_before = obj([
        ("id", s("i-0db0db0db")),
        ("ami", s("ami-0old")),
        ("instance_type", s("m5.large")),
        ("private_ip", s("10.0.1.17")),
        ("tags", tags([("Name", "db")])),
    ]);
    let db_after = obj([
        ("id", unknown()),
        ("ami", s("ami-0new")),
        ("instance_type", s("m5.large")),
        ("private_ip", unknown()),
        ("tags", tags([("Name", "db")])),
    ]);
    let mut db = change(
        "aws_instance.db",
        Action::DeleteThenCreate,
        Some(db_before),
        Some(db_after),
    );
    db.replace_paths = vec![path("ami")];
    db.reason = Some(ChangeReason::CannotUpdate);

    let mut lb = change(
        "aws_lb.front",
        Action::CreateThenDelete,
        Some(obj([
            ("id", s("lb-0f1e2d")),
            ("name", s("front")),
            ("internal", Value::bool(false)),
            ("subnets", strings(["subnet-a", "subnet-b"])),
        ])),
        Some(obj([
            ("id", unknown()),
            ("name", s("front-v2")),
            ("internal", Value::bool(false)),
            ("subnets", strings(["subnet-a", "subnet-c"])),
        ])),
    );
    lb.replace_paths = vec![path("name")];

    let mut old_logs = change(
        "aws_s3_bucket.old_logs",
        Action::Delete,
        Some(obj([
            ("id", s("acme-old-logs")),
            ("bucket", s("acme-old-logs")),
            ("force_destroy", Value::bool(false)),
            ("tags", tags([("Owner", "data")])),
        ])),
        None,
    );
    old_logs.reason = Some(ChangeReason::DeletedFromConfig);

    let mut assume = change(
        "data.aws_iam_policy_document.assume",
        Action::Read,
        None,
        Some(obj([
            ("id", unknown()),
            ("json", unknown()),
            (
                "statement",
                Value::list([obj([
                    ("actions", strings(["sts:AssumeRole"])),
                    ("effect", s("Allow")),
                ])]),
            ),
        ])),
    );
    assume.reason = Some(ChangeReason::ReadConfigUnknown);

    let database = |password: &str, version: &str| {
        obj([
            ("id", s("main-db")),
            ("engine", s("postgres")),
            ("engine_version", s(version)),
            ("password", s(password).mark_sensitive()),
            ("username", s("app")),
        ])
    };

    let policy = |resource: &str| {
        obj([
            ("id", s("arn:aws:iam::123456789012:policy/deploy")),
            ("name", s("deploy")),
            ("policy", policy_document(resource)),
        ])
    };

    let security_group = |ssh_cidr: &str| {
        obj([
            ("id", s("sg-0123abcd")),
            ("name", s("web")),
            ("description", s("web servers")),
            (
                "ingress",
                Value::list([ingress(443.0, "0.0.0.0/0"), ingress(22.0, ssh_cidr)]),
            ),
            (
                "egress",
                Value::list([obj([
                    ("from_port", n(0.0)),
                    ("to_port", n(0.0)),
                    ("protocol", s("-1")),
                    ("cidr_blocks", strings(["0.0.0.0/0"])),
                ])]),
            ),
        ])
    };

    let region = |key: &str| InstanceAddr {
        module: ModuleInstance::root().child("region", Some(InstanceKey::Str(key.to_owned()))),
        resource: ResourceAddr::managed("aws_subnet", "private"),
        key: Some(InstanceKey::Int(0)),
    };

    plan.resource_changes = vec![
        change("aws_instance.web", Action::Create, None, Some(web)),
        change(
            "aws_instance.api",
            Action::Update,
            Some(api("t3.medium", "staging")),
            Some(api("t3.small", "production")),
        ),
        db,
        lb,
        old_logs,
        assume,
        change(
            "aws_db_instance.main",
            Action::Update,
            Some(database("hunter2-old", "15.4")),
            Some(database("hunter2-new", "15.6")),
        ),
        change(
            "aws_iam_policy.deploy",
            Action::Update,
            Some(policy("arn:aws:s3:::artifacts/*")),
            Some(policy("arn:aws:s3:::artifacts/releases/*")),
        ),
        change(
            "aws_security_group.web",
            Action::Update,
            Some(security_group("10.0.0.0/8")),
            Some(security_group("10.20.0.0/16")),
        ),
        ResourceChange::new(
            region("eu-west-1"),
            Action::Create,
            None,
            Some(subnet("10.1.0.0/24", "eu-west-1a")),
        ),
        ResourceChange::new(
            region("us-east-1"),
            Action::Create,
            None,
            Some(subnet("10.2.0.0/24", "us-east-1a")),
        ),
        change(
            "aws_vpc.main",
            Action::NoOp,
            Some(obj([("id", s("vpc-1")), ("cidr_block", s("10.0.0.0/16"))])),
            Some(obj([("id", s("vpc-1")), ("cidr_block", s("10.0.0.0/16"))])),
        ),
    ];

    plan.drift = vec![change(
        "aws_instance.api",
        Action::Update,
        Some(api("t3.small", "staging")),
        Some(api("t3.medium", "staging")),
    )];

    plan.output_changes = [
        (
            "web_ip",
            OutputChange {
                action: Action::Create,
                before: None,
                after: Some(unknown()),
            },
        ),
        (
            "api_url",
            OutputChange {
                action: Action::Update,
                before: Some(s("https://api.staging.example.com")),
                after: Some(s("https://api.example.com")),
            },
        ),
        (
            "admin_password",
            OutputChange {
                action: Action::Create,
                before: None,
                after: Some(s("s3cr3t-admin").mark_sensitive()),
            },
        ),
        (
            "legacy_bucket",
            OutputChange {
                action: Action::Delete,
                before: Some(s("acme-old-logs")),
                after: None,
            },
        ),
        (
            "vpc_id",
            OutputChange {
                action: Action::NoOp,
                before: Some(s("vpc-1")),
                after: Some(s("vpc-1")),
            },
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();

    plan.policy_results = vec![
        PolicyResult {
            policy: "encrypted_volumes".to_owned(),
            address: Some(addr("aws_instance.web")),
            level: PolicyLevel::Error,
            passed: true,
            deferred: false,
            message: "root volumes are encrypted".to_owned(),
        },
        PolicyResult {
            policy: "owner_tag".to_owned(),
            address: Some(region("eu-west-1")),
            level: PolicyLevel::Error,
            passed: false,
            deferred: false,
            message: "every resource must carry an \"Owner\" tag".to_owned(),
        },
        PolicyResult {
            policy: "instance_family".to_owned(),
            address: Some(addr("aws_instance.db")),
            level: PolicyLevel::Warning,
            passed: false,
            deferred: false,
            message: "m5.large is above the t3 family this environment budgets for".to_owned(),
        },
    ];
    plan
}

/// A plan where nothing changes.
fn unchanged_plan() -> Plan {
    let mut plan = Plan::new("staging");
    plan.prior_state = Some(StateRef {
        lineage: "0c6d2a55-1b3e-4f7a-9e08-7d51c2b4a9e3".to_owned(),
        serial: 40,
    });
    plan.config_digest = "sha256:1d7e0b3c".to_owned();
    let vpc = obj([("id", s("vpc-1")), ("cidr_block", s("10.0.0.0/16"))]);
    plan.resource_changes = vec![change(
        "aws_vpc.main",
        Action::NoOp,
        Some(vpc.clone()),
        Some(vpc),
    )];
    plan.policy_results = vec![PolicyResult {
        policy: "owner_tag".to_owned(),
        address: Some(addr("aws_vpc.main")),
        level: PolicyLevel::Error,
        passed: true,
        deferred: false,
        message: "tagged".to_owned(),
    }];
    plan
}

/// Shapes the full plan does not have: sets, blocks inserted before others, entries
/// removed, collections becoming unknown, whitespace-only JSON changes, sensitive
/// collections, empty blocks, a value changing type.
fn edge_plan() -> Plan {
    let mut plan = Plan::new("edge");
    let before = obj([
        ("id", s("x-1")),
        ("zones", Value::set([s("a"), s("b"), s("c")])),
        (
            "labels",
            tags([("team", "core"), ("tier", "web"), ("old", "yes")]),
        ),
        ("addresses", strings(["10.0.0.1", "10.0.0.2"])),
        ("document", s(r#"{"a": 1, "b": [1, 2]}"#)),
        ("secrets", Value::map([("token", s("t"))]).mark_sensitive()),
        ("port", n(80.0)),
        ("rule", Value::list([ingress(443.0, "0.0.0.0/0")])),
        ("settings", obj([])),
    ]);
    let after = obj([
        ("id", s("x-1")),
        ("zones", Value::set([s("b"), s("c"), s("d")])),
        ("labels", tags([("team", "core"), ("tier", "api")])),
        (
            "addresses",
            Value::unknown(Type::List(Box::new(Type::String))),
        ),
        ("document", s(r#"{"a":1,"b":[1,2]}"#)),
        ("secrets", Value::map([("token", s("u"))]).mark_sensitive()),
        ("port", s("http")),
        (
            "rule",
            Value::list([ingress(80.0, "0.0.0.0/0"), ingress(443.0, "0.0.0.0/0")]),
        ),
        ("settings", obj([])),
    ]);
    plan.resource_changes = vec![
        change("aws_thing.edge", Action::Update, Some(before), Some(after)),
        change(
            "aws_thing.empty",
            Action::Create,
            None,
            Some(obj([
                ("settings", obj([])),
                ("list", strings([])),
                ("nothing", Value::null()),
            ])),
        ),
    ];
    plan
}

#[test]
fn edge_cases_as_text() {
    insta::assert_snapshot!("edge_text", render_text(&edge_plan(), &plain()));
}

/// ANSI escapes made visible, so the coloured snapshot can be read.
fn visible_escapes(s: &str) -> String {
    s.replace('\x1b', "␛")
}

fn plain() -> TextOptions {
    TextOptions {
        color: false,
        width: 80,
    }
}

#[test]
fn full_plan_as_text() {
    insta::assert_snapshot!("full_text", render_text(&full_plan(), &plain()));
}

#[test]
fn full_plan_as_coloured_text() {
    let options = TextOptions {
        color: true,
        width: 80,
    };
    insta::assert_snapshot!(
        "full_text_color",
        visible_escapes(&render_text(&full_plan(), &options))
    );
}

#[test]
fn full_plan_as_json() {
    insta::assert_snapshot!("full_json", render_json(&full_plan()));
}

#[test]
fn full_plan_as_markdown() {
    insta::assert_snapshot!(
        "full_markdown",
        render_markdown(&full_plan(), GITHUB_COMMENT_LIMIT)
    );
}

#[test]
fn full_plan_as_markdown_cut_short() {
    insta::assert_snapshot!("full_markdown_cut", render_markdown(&full_plan(), 3_000));
}

#[test]
fn unchanged_plan_in_every_view() {
    let plan = unchanged_plan();
    insta::assert_snapshot!("unchanged_text", render_text(&plan, &plain()));
    insta::assert_snapshot!("unchanged_json", render_json(&plan));
    insta::assert_snapshot!(
        "unchanged_markdown",
        render_markdown(&plan, GITHUB_COMMENT_LIMIT)
    );
}

#[test]
fn text_ends_with_the_plan_line() {
    let text = render_text(&full_plan(), &plain());
    assert_eq!(
        text.lines().last(),
        Some("Plan: 5 to add, 4 to change, 3 to destroy.")
    );
    let text = render_text(&unchanged_plan(), &plain());
    assert_eq!(
        text.lines().last(),
        Some("No changes. Your infrastructure matches the configuration.")
    );
}

#[test]
fn colour_only_when_asked() {
    assert!(!render_text(&full_plan(), &plain()).contains('\x1b'));
    let options = TextOptions {
        color: true,
        width: 80,
    };
    assert!(render_text(&full_plan(), &options).contains("\x1b[32m+\x1b[0m"));
}

#[test]
fn sensitive_values_never_appear() {
    let plan = full_plan();
    let views = [
        render_text(&plan, &plain()),
        render_json(&plan),
        render_markdown(&plan, GITHUB_COMMENT_LIMIT),
        render_markdown(&plan, 3_000),
    ];
    for view in &views {
        for secret in SECRETS {
            assert!(!view.contains(secret), "{secret} leaked into:\n{view}");
        }
    }
}

#[test]
fn json_lists_every_action_and_the_summary() {
    let json: serde_json::Value = serde_json::from_str(&render_json(&full_plan())).unwrap();
    let actions: Vec<&serde_json::Value> = json["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["actions"])
        .collect();
    for expected in [
        serde_json::json!(["create"]),
        serde_json::json!(["update"]),
        serde_json::json!(["delete", "create"]),
        serde_json::json!(["create", "delete"]),
        serde_json::json!(["delete"]),
        serde_json::json!(["read"]),
        serde_json::json!(["no-op"]),
    ] {
        assert!(actions.contains(&&expected), "no {expected}");
    }
    assert_eq!(
        json["summary"],
        serde_json::json!({ "add": 5, "change": 4, "destroy": 3, "replace": 2, "read": 1 })
    );
}

#[test]
fn apply_summary_line() {
    assert_eq!(
        render_apply_summary(3, 1, 0),
        "Apply complete! Resources: 3 added, 1 changed, 0 destroyed."
    );
}
