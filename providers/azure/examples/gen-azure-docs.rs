//! Prints the reference of the `azurerm` provider, generated from its schema:
//! `cargo run -p aic-provider-azure --example gen-azure-docs > docs/providers/azure.md`.

fn main() {
    print!("{}", aic_provider_azure::reference_markdown());
}
