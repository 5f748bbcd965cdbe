//! `docs/providers/builtin.md` is generated from the schemas and must not be stale.

use std::path::Path;

#[test]
fn reference_is_up_to_date() {
    let path =
        Path::new(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("../../docs/providers/builtin.md");
    let expected = aic_provider_builtin::reference_markdown();
    let found = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        found == expected,
        "{} is stale; regenerate it with\n    \
         cargo run -p aic-provider-builtin --example gen-docs > docs/providers/builtin.md",
        path.display()
    );
}
