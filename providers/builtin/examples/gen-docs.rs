//! Prints the reference of the built-in providers, generated from their schemas:
//! `cargo run -p aic-provider-builtin --example gen-docs > docs/providers/builtin.md`.

fn main() {
    print!("{}", aic_provider_builtin::reference_markdown());
}
