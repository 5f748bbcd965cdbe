//! The checks of a provider's generated reference (`docs/providers/NAME.md`): the file
//! in the repository is what the generator prints now, and the text documents every type
//! and every attribute of the schema.

use std::path::Path;

use aic_provider::ProviderSchema;

/// The file at `path` holds exactly `expected`; else the failure says how to regenerate it
/// (`regenerate`, a command).
#[track_caller]
pub fn assert_up_to_date(path: &Path, expected: &str, regenerate: &str) {
    let found = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        found == expected,
        "{} is stale; regenerate it with\n    {regenerate}",
        path.display()
    );
}

/// `text` has a section per resource and data source type of `schema`, and a table row per
/// attribute of each.
#[track_caller]
pub fn assert_documents(text: &str, schema: &ProviderSchema) {
    let types = schema
        .resources
        .iter()
        .map(|(name, r)| ("Resource", name, r))
        .chain(
            schema
                .data_sources
                .iter()
                .map(|(name, d)| ("Data source", name, d)),
        );
    for (kind, name, resource) in types {
        assert!(text.contains(&format!("### {kind} `{name}`")), "{name}");
        for attribute in resource.attributes.keys() {
            assert!(
                text.contains(&format!("| `{attribute}` |")),
                "{name}.{attribute}"
            );
        }
    }
}
