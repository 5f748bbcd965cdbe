//! Prints the reference of the `ibm_quantum` provider, generated from its schema:
//! `cargo run -p aic-provider-ibm --example gen-ibm-docs > docs/providers/ibm_quantum.md`.

fn main() {
    print!("{}", aic_provider_ibm::reference_markdown());
}
