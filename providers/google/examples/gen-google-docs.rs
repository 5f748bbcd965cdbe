//! Prints the reference of the `google` provider, generated from its schema:
//! `cargo run -p aic-provider-google --example gen-google-docs > docs/providers/google.md`.

fn main() {
    print!("{}", aic_provider_google::reference_markdown());
}
