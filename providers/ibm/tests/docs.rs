//! `docs/providers/ibm_quantum.md` is generated from the schema and must not be stale.

use std::path::Path;

use aic_provider_testkit::docs::{assert_documents, assert_up_to_date};

#[test]
fn reference_is_up_to_date() {
    assert_up_to_date(
        &Path::new(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("../../docs/providers/ibm_quantum.md"),
        &aic_provider_ibm::reference_markdown(),
        "cargo run -p aic-provider-ibm --example gen-ibm-docs > docs/providers/ibm_quantum.md",
    );
}

#[test]
fn reference_lists_every_type_and_attribute() {
    let schema = &*aic_provider_ibm::SCHEMA;
    assert_eq!((schema.resources.len(), schema.data_sources.len()), (2, 2));
    assert_documents(&aic_provider_ibm::reference_markdown(), schema);
}
