//! Prints the reference of the `aws` provider, generated from its schema:
//! `cargo run -p aic-provider-aws --example gen-aws-docs > docs/providers/aws.md`.

fn main() {
    print!("{}", aic_provider_aws::reference_markdown());
}
