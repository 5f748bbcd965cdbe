//! `docs/providers/aws.md` is generated from the schema and must not be stale.

use std::path::Path;

#[test]
fn reference_is_up_to_date() {
    let path =
        Path::new(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("../../docs/providers/aws.md");
    let expected = aic_provider_aws::reference_markdown();
    let found = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        found == expected,
        "{} is stale; regenerate it with\n    \
         cargo run -p aic-provider-aws --example gen-aws-docs > docs/providers/aws.md",
        path.display()
    );
}

#[test]
fn reference_lists_every_type_and_attribute() {
    let text = aic_provider_aws::reference_markdown();
    let schema = &*aic_provider_aws::SCHEMA;
    for (name, resource) in &schema.resources {
        assert!(text.contains(&format!("### Resource `{name}`")), "{name}");
        for attribute in resource.attributes.keys() {
            assert!(
                text.contains(&format!("| `{attribute}` |")),
                "{name}.{attribute}"
            );
        }
    }
    for name in schema.data_sources.keys() {
        assert!(
            text.contains(&format!("### Data source `{name}`")),
            "{name}"
        );
    }
}
