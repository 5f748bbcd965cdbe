//! Shared by the AWS provider's tests: a moto server of the test's own (the testkit's
//! [`Moto`]), a configured provider pointed at it, an SDK client for making changes behind
//! aic's back, and the steps the engine takes (the testkit's `steps`).
//!
//! Every test starts its own moto on a free 127.0.0.1 port and stops it by PID when the
//! [`Moto`] is dropped, so tests are isolated and run in parallel. moto comes from the
//! venv that `scripts/moto.sh install` creates; a test **fails**, naming that command,
//! when it is missing.

#![allow(dead_code, unused_imports)] // each test binary uses part of this module

use std::error::Error;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use aic_lang::value::Value;
use aic_provider::{ConfiguredProvider, Provider};
use aic_provider_aws::{AwsProvider, Timing};
pub use aic_provider_testkit::backend::Moto;
pub use aic_provider_testkit::steps::{
    action, assert_matches_plan, assert_no_drift, create, object, plan, string_map, strings, text,
    Action, TestResult,
};

/// The region the tests work in unless they say otherwise.
pub const REGION: &str = "us-east-1";

/// An AMI moto knows in every region.
pub const AMI: &str = "ami-03cf127a";
/// Another one, to force replacements.
pub const OTHER_AMI: &str = "ami-12c6146b";

/// The `aws` provider and the SDK against a [`Moto`].
// Test code: the futures need not be `Send`-bounded for callers.
#[allow(async_fn_in_trait)]
pub trait MotoAws {
    /// The provider configuration pointing at this server.
    fn provider_config(&self, region: &str) -> Value;

    /// The `aws` provider configured for `region` on this server, polling fast.
    async fn provider(&self, region: &str) -> Result<Arc<dyn ConfiguredProvider>, Box<dyn Error>>;

    /// The same, counting HTTP requests in `calls`.
    async fn counted_provider(
        &self,
        region: &str,
        calls: Arc<AtomicU64>,
    ) -> Result<Arc<dyn ConfiguredProvider>, Box<dyn Error>>;

    /// A plain SDK client, for changes made outside aic and for checking what exists.
    async fn sdk(&self, region: &str) -> aws_sdk_ec2::Client;
}

impl MotoAws for Moto {
    fn provider_config(&self, region: &str) -> Value {
        Value::object([
            ("region", Value::string(region)),
            ("endpoint", Value::string(self.endpoint())),
            ("access_key", Value::string("testing")),
            ("secret_key", Value::string("testing")),
            ("max_retries", Value::number(0.0)),
        ])
    }

    async fn provider(&self, region: &str) -> Result<Arc<dyn ConfiguredProvider>, Box<dyn Error>> {
        Ok(AwsProvider::new()
            .with_timing(Timing::fast())
            .configure(&self.provider_config(region))
            .await?)
    }

    async fn counted_provider(
        &self,
        region: &str,
        calls: Arc<AtomicU64>,
    ) -> Result<Arc<dyn ConfiguredProvider>, Box<dyn Error>> {
        Ok(AwsProvider::new()
            .with_timing(Timing::fast())
            .with_call_counter(calls)
            .configure(&self.provider_config(region))
            .await?)
    }

    async fn sdk(&self, region: &str) -> aws_sdk_ec2::Client {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_owned()))
            .credentials_provider(aws_sdk_ec2::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .endpoint_url(self.endpoint())
            .load()
            .await;
        aws_sdk_ec2::Client::new(&config)
    }
}
