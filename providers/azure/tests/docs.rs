//! `docs/providers/azure.md` is generated from the schema and must not be stale.

use std::path::Path;

use aic_provider_testkit::docs::{assert_documents, assert_up_to_date};

#[test]
fn reference_is_up_to_date() {
    assert_up_to_date(
        &Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("../../docs/providers/azure.md"),
        &aic_provider_azure::reference_markdown(),
        "cargo run -p aic-provider-azure --example gen-azure-docs > docs/providers/azure.md",
    );
}

#[test]
fn reference_lists_every_type_and_attribute() {
    let schema = &*aic_provider_azure::SCHEMA;
    assert_eq!((schema.resources.len(), schema.data_sources.len()), (9, 3));
    assert_documents(&aic_provider_azure::reference_markdown(), schema);
}
