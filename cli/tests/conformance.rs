//! The conformance run (`aic-provider-testkit`) of every resource type of the built-in,
//! AWS (EC2 against moto, IoT against moto, Greengrass V2 against the project's emulator),
//! IBM Quantum, Google (GKE against the project's emulator) and Azure (against the
//! project's ARM emulator) providers: the provider steps in process, the crash-recovery
//! step through this `aic` binary. Each provider runs as a test of its own, so they run in
//! parallel.

use aic_provider_testkit::{aic, Report};

async fn builtin(name: &str, types: &[&str]) -> Report {
    let suite = aic_provider_builtin::conformance::suite(name, Some(aic!()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let cases = aic_provider_builtin::conformance::cases(name).unwrap_or_else(|e| panic!("{e}"));
    let report = suite.run(&cases).await;
    eprintln!("{report}");
    report.assert_passed(types);
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn null_conforms() {
    builtin("null", &["null_resource"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_conforms() {
    builtin("random", &["random_id", "random_string", "random_integer"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_conforms() {
    builtin("local", &["local_file", "local_sensitive_file"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_conforms() {
    builtin("time", &["time_sleep"]).await;
}

#[cfg(feature = "aws")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_conforms_against_moto() {
    use aic_provider_aws::conformance::Backend;
    let backend = Backend::start().await.unwrap_or_else(|e| panic!("{e}"));
    let suite = backend
        .suite(Some(aic!()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let report = suite.run(&backend.cases()).await;
    eprintln!("{report}");
    report.assert_passed(&[
        "aws_vpc",
        "aws_subnet",
        "aws_internet_gateway",
        "aws_route_table",
        "aws_route_table_association",
        "aws_security_group",
        "aws_launch_template",
        "aws_instance",
    ]);
}

#[cfg(feature = "aws")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_iot_conforms_against_moto() {
    use aic_provider_aws::conformance_edge::Backend;
    let backend = Backend::start(&[]).await.unwrap_or_else(|e| panic!("{e}"));
    let suite = backend
        .iot_suite(Some(aic!()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let report = suite.run(&backend.iot_cases()).await;
    eprintln!("{report}");
    report.assert_passed(&[
        "aws_iot_thing_group",
        "aws_iot_thing",
        "aws_iot_thing_group_membership",
    ]);
}

#[cfg(feature = "aws")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_greengrass_conforms_against_the_emulator() {
    use aic_provider_aws::conformance_edge::Backend;
    let backend = Backend::start(&[]).await.unwrap_or_else(|e| panic!("{e}"));
    let suite = backend
        .greengrass_suite(Some(aic!()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let report = suite.run(&backend.greengrass_cases()).await;
    eprintln!("{report}");
    report.assert_passed(&[
        "aws_greengrassv2_component_version",
        "aws_greengrassv2_deployment",
    ]);
}

#[cfg(feature = "ibm")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ibm_quantum_conforms_against_the_emulator() {
    use aic_provider_ibm::conformance::Backend;
    let backend = Backend::start().unwrap_or_else(|e| panic!("{e}"));
    let suite = backend
        .suite(Some(aic!()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let report = suite.run(&backend.cases()).await;
    eprintln!("{report}");
    report.assert_passed(&["ibm_quantum_session", "ibm_quantum_job"]);
}

#[cfg(feature = "google")]
#[test]
fn google_conforms_against_the_gke_emulator() {
    use aic_provider_google::conformance::Backend;
    // The Google client's futures nest too deeply for tokio's 2 MiB worker stacks in a
    // debug build: the run gets `aic`'s own 8 MiB (cli/src/commands.rs).
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(8 << 20)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("no runtime: {e}"));
    let backend = Backend::start().unwrap_or_else(|e| panic!("{e}"));
    let run = async move {
        let suite = backend
            .suite(Some(aic!()))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        suite.run(&backend.cases()).await
    };
    let report = rt
        .block_on(async { tokio::spawn(run).await })
        .unwrap_or_else(|e| panic!("the conformance run failed: {e}"));
    eprintln!("{report}");
    report.assert_passed(&["google_container_cluster", "google_container_node_pool"]);
}

#[cfg(feature = "azure")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azure_conforms_against_the_emulator() {
    use aic_provider_azure::conformance::Backend;
    let backend = Backend::start().unwrap_or_else(|e| panic!("{e}"));
    let suite = backend
        .suite(Some(aic!()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let report = suite.run(&backend.cases()).await;
    eprintln!("{report}");
    report.assert_passed(&[
        "azurerm_resource_group",
        "azurerm_virtual_network",
        "azurerm_subnet",
        "azurerm_network_interface",
        "azurerm_linux_virtual_machine",
        "azurerm_managed_disk",
        "azurerm_virtual_machine_data_disk_attachment",
        "azurerm_availability_set",
        "azurerm_linux_virtual_machine_scale_set",
    ]);
}
