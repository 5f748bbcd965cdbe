//! The kit's conformance run of every `azurerm` resource type against the ARM emulator
//! (`cargo test -p aic-provider-azure --features conformance`; a missing venv fails naming
//! `scripts/emulator.sh install azure`). Crash recovery needs the `aic` binary and runs in
//! the CLI's tests once the provider is registered there.

use aic_provider_azure::conformance::Backend;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_resource_type_passes_the_conformance_run() {
    let backend = Backend::start().unwrap_or_else(|e| panic!("{e}"));
    let suite = backend.suite(None).await.unwrap_or_else(|e| panic!("{e}"));
    let cases = backend.cases();
    let report = suite.run(&cases).await;
    println!("{report}");
    let types: Vec<&str> = cases.iter().map(|c| c.type_name()).collect();
    report.assert_passed(&types);
    assert_eq!(
        types.len(),
        aic_provider_azure::SCHEMA.resources.len(),
        "a case per resource type"
    );
}
