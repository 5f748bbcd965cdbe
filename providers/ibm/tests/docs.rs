//! `docs/providers/ibm_quantum.md` is generated from the schema and must not be stale.

use std::path::Path;

#[test]
fn reference_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/providers/ibm_quantum.md");
    let expected = aic_provider_ibm::reference_markdown();
    let found = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        found == expected,
        "{} is stale; regenerate it with\n    \
         cargo run -p aic-provider-ibm --example gen-ibm-docs > docs/providers/ibm_quantum.md",
        path.display()
    );
}

#[test]
fn reference_lists_every_type_and_attribute() {
    let text = aic_provider_ibm::reference_markdown();
    let schema = &*aic_provider_ibm::SCHEMA;
    assert_eq!(schema.resources.len(), 2);
    assert_eq!(schema.data_sources.len(), 2);
    for (name, resource) in &schema.resources {
        assert!(text.contains(&format!("### Resource `{name}`")), "{name}");
        for attribute in resource.attributes.keys() {
            assert!(
                text.contains(&format!("| `{attribute}` |")),
                "{name}.{attribute}"
            );
        }
    }
    for (name, data_source) in &schema.data_sources {
        assert!(
            text.contains(&format!("### Data source `{name}`")),
            "{name}"
        );
        for attribute in data_source.attributes.keys() {
            assert!(
                text.contains(&format!("| `{attribute}` |")),
                "{name}.{attribute}"
            );
        }
    }
}
