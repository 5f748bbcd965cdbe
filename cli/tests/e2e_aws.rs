//! The `aic` binary with the `aws` provider against moto, end to end: `examples/aws-regional`
//! planned and applied in two regions, a tag change applied in place, an AMI change
//! replacing instances create-before-destroy, drift made with the SDK planned back,
//! `aic import` of an instance made outside aic, `import { }` blocks adopting a VPC and a
//! subnet, a failing call that keeps what was created before it, and a destroy that
//! leaves nothing (checked through the SDK).
//!
//! The binary is this package's, run by the test kit's one runner ([`aic!`]); moto and
//! the SDK client come from `aic_provider_aws::conformance`. Every test starts its own
//! moto and fails, naming `scripts/moto.sh install`, when it is missing.

use std::collections::BTreeSet;
use std::path::Path;

use aic_provider_aws::conformance::aws_sdk_ec2;
use aic_provider_aws::conformance::{sdk_client, AMI, OTHER_AMI};
use aic_provider_testkit::aic;
use aic_provider_testkit::backend::Moto;
use aic_provider_testkit::runner::{self, Run};
use aic_provider_testkit::steps::TestResult;
use aws_sdk_ec2::types::{AttributeValue, Filter, InstanceStateName};

/// A configuration directory of one test (the runner's [`runner::Project`]), and the moto
/// it talks to.
struct Project {
    project: runner::Project,
    moto: Moto,
}

impl Project {
    /// An empty directory; `aic` runs with credentials for moto and fast polling.
    fn new() -> Project {
        Project::in_dir(None)
    }

    /// A copy of `examples/NAME`.
    fn example(name: &str) -> Project {
        let source = Path::new(
            &*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
        )
        .join("../examples")
        .join(name);
        Project::in_dir(Some(&source))
    }

    fn in_dir(source: Option<&Path>) -> Project {
        let aic = aic!()
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AIC_AWS_POLL_MS", "10");
        let project = match source {
            Some(dir) => runner::Project::copy_of(&aic, dir),
            None => runner::Project::empty(&aic),
        };
        Project {
            project,
            moto: Moto::start(),
        }
    }

    fn write(&self, rel: &str, text: &str) {
        self.project.write(rel, text);
    }

    /// An SDK client straight to this moto, in `region`.
    async fn sdk(&self, region: &str) -> aws_sdk_ec2::Client {
        sdk_client(&self.moto.endpoint(), region).await
    }

    /// Runs `aic ARGS --var endpoint=…` in the project (no `--var` for the commands that
    /// take none), without the caller's AWS profile or session.
    fn aic(&self, args: &[&str]) -> Run {
        let endpoint = format!("endpoint={}", self.moto.endpoint());
        let takes_vars = !matches!(args.first(), Some(&"state" | &"show" | &"output"));
        let mut all = args.to_vec();
        if takes_vars {
            all.extend(["--var", endpoint.as_str()]);
        }
        let mut command = self.project.command(&all);
        command
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN");
        self.project.run(command, &all)
    }

    /// Runs aic and checks it exits with `code`; its stdout.
    #[track_caller]
    fn aic_ok(&self, args: &[&str], code: i32) -> String {
        self.aic(args).code(code).stdout
    }
}

/// The instances of a region that are not terminated: id → (AMI, type, tags).
async fn live_instances(
    sdk: &aws_sdk_ec2::Client,
) -> Vec<(String, String, String, BTreeSet<(String, String)>)> {
    let out = sdk
        .describe_instances()
        .send()
        .await
        .unwrap_or_else(|e| panic!("DescribeInstances: {e:?}"));
    let mut live: Vec<_> = out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter(|i| {
            !matches!(
                i.state().and_then(|s| s.name()),
                Some(InstanceStateName::Terminated | InstanceStateName::ShuttingDown)
            )
        })
        .map(|i| {
            (
                i.instance_id().unwrap_or_default().to_owned(),
                i.image_id().unwrap_or_default().to_owned(),
                i.instance_type()
                    .map(|t| t.as_str().to_owned())
                    .unwrap_or_default(),
                i.tags()
                    .iter()
                    .map(|t| {
                        (
                            t.key().unwrap_or_default().to_owned(),
                            t.value().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect(),
            )
        })
        .collect();
    live.sort();
    live
}

/// The non-default VPCs of a region: (id, CIDR).
async fn own_vpcs(sdk: &aws_sdk_ec2::Client) -> Vec<(String, String)> {
    let out = sdk
        .describe_vpcs()
        .filters(Filter::builder().name("is-default").values("false").build())
        .send()
        .await
        .unwrap_or_else(|e| panic!("DescribeVpcs: {e:?}"));
    out.vpcs()
        .iter()
        .map(|v| {
            (
                v.vpc_id().unwrap_or_default().to_owned(),
                v.cidr_block().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// `aic` copied to an empty directory away from the source tree plans
/// `examples/aws-regional`: `std:regional` comes from the modules embedded in the binary,
/// written to the user's cache directory on first use.
#[test]
fn a_copied_binary_plans_the_regional_example_with_its_embedded_std_modules() {
    let moto = Moto::start();
    let elsewhere = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let binary = elsewhere.path().join("bin").join("aic");
    std::fs::create_dir_all(elsewhere.path().join("bin")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::copy(aic!().path(), &binary).unwrap_or_else(|e| panic!("cannot copy aic: {e}"));
    let cache = elsewhere.path().join("cache");
    let copied = runner::Aic::new(&binary)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("XDG_CACHE_HOME", &cache.to_string_lossy());
    let source =
        Path::new(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("../examples/aws-regional");
    let project = runner::Project::copy_of(&copied, &source);
    let endpoint = format!("endpoint={}", moto.endpoint());
    let stdout = project
        .aic(&["plan", "--env", "staging", "--var", &endpoint])
        .code(0)
        .stdout;
    assert!(
        stdout.contains("module.region[\"us-east-1\"].aws_instance.web[0] will be created"),
        "{stdout}"
    );
    // The module was read from the embedded copy, not from the source tree.
    let written: Vec<std::path::PathBuf> = std::fs::read_dir(cache.join("aic"))
        .unwrap_or_else(|e| panic!("no embedded modules written under the cache: {e}"))
        .flatten()
        .map(|e| e.path().join("regional").join("main.aic"))
        .filter(|p| p.is_file())
        .collect();
    assert_eq!(written.len(), 1, "{written:?}");
}

const STAGING: [&str; 2] = ["--env", "staging"];

fn with_env<'a>(args: &[&'a str]) -> Vec<&'a str> {
    args.iter().copied().chain(STAGING).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regional_example_end_to_end() -> TestResult {
    let project = Project::example("aws-regional");
    let east = project.sdk("us-east-1").await;
    let west = project.sdk("eu-west-1").await;

    // Plan and apply in two regions.
    let plan = project.aic_ok(&with_env(&["plan"]), 0);
    assert!(
        plan.contains("module.region[\"eu-west-1\"].aws_instance.web[0] will be created"),
        "{plan}"
    );
    project.aic_ok(&with_env(&["apply", "--auto-approve"]), 0);
    for (sdk, cidr) in [(&east, "10.10.0.0/16"), (&west, "10.20.0.0/16")] {
        let vpcs = own_vpcs(sdk).await;
        assert_eq!(vpcs.len(), 1, "{vpcs:?}");
        assert_eq!(vpcs[0].1, cidr);
        let live = live_instances(sdk).await;
        assert_eq!(live.len(), 1, "{live:?}");
        assert!(live[0].3.contains(&("owner".into(), "platform".into())));
    }
    // Nothing left to do: every resource reads back as configured.
    project.aic_ok(&with_env(&["plan", "--detailed-exitcode"]), 0);

    // A tag change: in place.
    let plan = project.aic_ok(
        &with_env(&["plan", "--var", "owner=ops", "--detailed-exitcode"]),
        2,
    );
    assert!(
        plan.contains("aws_instance.web[0] will be updated in-place"),
        "{plan}"
    );
    assert!(!plan.contains("replace"), "{plan}");
    let before = live_instances(&east).await;
    project.aic_ok(
        &with_env(&["apply", "--var", "owner=ops", "--auto-approve"]),
        0,
    );
    let after = live_instances(&east).await;
    assert_eq!(after[0].0, before[0].0, "the same instance");
    assert!(after[0].3.contains(&("owner".into(), "ops".into())));

    // An AMI change: replacement, the new instance first.
    let ami = format!("ami={OTHER_AMI}");
    let args = ["--var", "owner=ops", "--var", ami.as_str()];
    let plan = project.aic_ok(&with_env(&[&["plan"][..], &args].concat()), 0);
    assert!(
        plan.contains("create replacement and then destroy"),
        "{plan}"
    );
    assert!(plan.contains("forces replacement"), "{plan}");
    project.aic_ok(
        &with_env(&[&["apply", "--auto-approve"][..], &args].concat()),
        0,
    );
    let replaced = live_instances(&east).await;
    assert_eq!(
        replaced.len(),
        1,
        "the old instance is terminated: {replaced:?}"
    );
    assert_ne!(replaced[0].0, before[0].0);
    assert_eq!(replaced[0].1, OTHER_AMI);
    assert_ne!(replaced[0].1, AMI);

    // Drift: the instance type changed behind aic's back is planned back, in place.
    let id = replaced[0].0.clone();
    east.stop_instances().instance_ids(&id).send().await?;
    east.modify_instance_attribute()
        .instance_id(&id)
        .instance_type(AttributeValue::builder().value("m5.large").build())
        .send()
        .await?;
    east.start_instances().instance_ids(&id).send().await?;
    let plan = project.aic_ok(
        &with_env(&[&["plan", "--detailed-exitcode"][..], &args].concat()),
        2,
    );
    assert!(
        plan.contains("Objects have changed outside of aic"),
        "{plan}"
    );
    assert!(plan.contains("m5.large"), "{plan}");
    assert!(plan.contains("will be updated in-place"), "{plan}");
    project.aic_ok(
        &with_env(&[&["apply", "--auto-approve"][..], &args].concat()),
        0,
    );
    assert_eq!(live_instances(&east).await[0].2, "t3.micro");
    project.aic_ok(
        &with_env(&[&["plan", "--detailed-exitcode"][..], &args].concat()),
        0,
    );

    // Destroy leaves nothing in either region.
    project.aic_ok(
        &with_env(&[&["destroy", "--auto-approve"][..], &args].concat()),
        0,
    );
    for sdk in [&east, &west] {
        assert_eq!(own_vpcs(sdk).await, vec![]);
        assert_eq!(live_instances(sdk).await, vec![]);
    }
    let state = project.aic_ok(&with_env(&["state", "list"]), 0);
    assert!(state.trim().is_empty(), "{state}");
    Ok(())
}

const SMALL: &str = r#"
variable endpoint: string = null
variable subnet_cidr: string = "192.168.0.0/24"

provider aws {
  region   = "us-east-1"
  endpoint = var.endpoint
}

resource aws_vpc main {
  cidr_block = "10.40.0.0/16"
}

resource aws_subnet app {
  vpc_id     = aws_vpc.main.id
  cidr_block = var.subnet_cidr
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_call_keeps_what_was_created_before_it() -> TestResult {
    let project = Project::new();
    project.write("main.aic", SMALL);
    let sdk = project.sdk("us-east-1").await;

    let out = project.aic(&["apply", "--auto-approve"]);
    let stderr = &out.stderr;
    assert_ne!(out.code, Some(0), "{out}");
    assert!(stderr.contains("aws_subnet.app"), "{stderr}");
    assert!(stderr.contains("InvalidSubnet.Range"), "{stderr}");
    assert!(stderr.contains("CreateSubnet"), "{stderr}");

    let state = project.aic_ok(&["state", "list"], 0);
    assert_eq!(state.trim(), "aws_vpc.main");
    let vpcs = own_vpcs(&sdk).await;
    assert_eq!(vpcs.len(), 1);

    // Fixed, the next apply creates only the subnet, in the same VPC.
    project.aic_ok(
        &[
            "apply",
            "--auto-approve",
            "--var",
            "subnet_cidr=10.40.1.0/24",
        ],
        0,
    );
    assert_eq!(own_vpcs(&sdk).await, vpcs);
    project.aic_ok(
        &[
            "destroy",
            "--auto-approve",
            "--var",
            "subnet_cidr=10.40.1.0/24",
        ],
        0,
    );
    assert_eq!(own_vpcs(&sdk).await, vec![]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_made_outside_aic_is_imported() -> TestResult {
    let project = Project::new();
    let sdk = project.sdk("us-east-1").await;
    let subnet = sdk
        .describe_subnets()
        .filters(
            Filter::builder()
                .name("default-for-az")
                .values("true")
                .build(),
        )
        .send()
        .await?
        .subnets()
        .iter()
        .find_map(|s| s.subnet_id().map(str::to_owned))
        .ok_or("moto has no default subnet")?;
    let id = sdk
        .run_instances()
        .image_id(AMI)
        .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
        .min_count(1)
        .max_count(1)
        .subnet_id(&subnet)
        .send()
        .await?
        .instances()
        .first()
        .and_then(|i| i.instance_id())
        .ok_or("no instance id")?
        .to_owned();
    project.write(
        "main.aic",
        &format!(
            r#"
variable endpoint: string = null

provider aws {{
  region   = "us-east-1"
  endpoint = var.endpoint
}}

resource aws_instance legacy {{
  ami           = "{AMI}"
  instance_type = "t3.micro"
  subnet_id     = "{subnet}"
  tags          = {{ Name = "legacy" }}
}}
"#
        ),
    );
    let out = project.aic_ok(&["import", "aws_instance.legacy", &id], 0);
    assert!(out.contains("Import successful"), "{out}");
    // Only the missing tag differs: an update in place, not a replacement.
    let plan = project.aic_ok(&["plan", "--detailed-exitcode"], 2);
    assert!(
        plan.contains("aws_instance.legacy will be updated in-place"),
        "{plan}"
    );
    project.aic_ok(&["apply", "--auto-approve"], 0);
    project.aic_ok(&["plan", "--detailed-exitcode"], 0);
    let live = live_instances(&sdk).await;
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].0, id);
    assert!(live[0].3.contains(&("Name".into(), "legacy".into())));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_blocks_adopt_a_vpc_and_a_subnet() -> TestResult {
    let project = Project::new();
    let sdk = project.sdk("us-east-1").await;
    let vpc = sdk
        .create_vpc()
        .cidr_block("10.50.0.0/16")
        .send()
        .await?
        .vpc()
        .and_then(|v| v.vpc_id())
        .ok_or("no vpc id")?
        .to_owned();
    let subnet = sdk
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.50.1.0/24")
        .availability_zone("us-east-1a")
        .send()
        .await?
        .subnet()
        .and_then(|s| s.subnet_id())
        .ok_or("no subnet id")?
        .to_owned();
    project.write(
        "main.aic",
        &format!(
            r#"
variable endpoint: string = null

provider aws {{
  region   = "us-east-1"
  endpoint = var.endpoint
}}

import {{ to = aws_vpc.main, id = "{vpc}" }}
import {{ to = aws_subnet.app, id = "{subnet}" }}

resource aws_vpc main {{
  cidr_block = "10.50.0.0/16"
}}

resource aws_subnet app {{
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.50.1.0/24"
}}
"#
        ),
    );
    let plan = project.aic_ok(&["plan"], 0);
    assert!(!plan.contains("will be created"), "{plan}");
    project.aic_ok(&["apply", "--auto-approve"], 0);
    let state = project.aic_ok(&["state", "list"], 0);
    assert_eq!(state.trim(), "aws_subnet.app\naws_vpc.main");
    assert_eq!(own_vpcs(&sdk).await, vec![(vpc, "10.50.0.0/16".to_owned())]);
    Ok(())
}
