//! From a `provider aws { … }` configuration to the SDK clients of one configuration: one
//! shared `SdkConfig` (region, credentials — static keys, a profile, or the standard
//! chain — the SDK's retries and the default `endpoint`), and a client per service (EC2,
//! IoT, IoT Greengrass V2) built from it, each with its own endpoint when `endpoints { … }`
//! names one.
//!
//! This module only builds clients; it makes no API call itself (the SDK resolves
//! credentials lazily, on the first request).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use aic_lang::value::Value;
use aic_provider::{ProviderError, ResourceSchema};
use aic_provider_kit::{Attr, Block, Declare};
use aws_config::BehaviorVersion;
use aws_sdk_ec2::config::interceptors::{BeforeTransmitInterceptorContextRef, InterceptorContext};
use aws_sdk_ec2::config::retry::{ClassifyRetry, RetryAction, RetryConfig};
use aws_sdk_ec2::config::{ConfigBag, Credentials, Intercept, Region, RuntimeComponents};
use aws_sdk_ec2::error::BoxError;

const REGION: Attr<String> = Attr::new("region");
const ENDPOINT: Attr<String> = Attr::new("endpoint");
const PROFILE: Attr<String> = Attr::new("profile");
const ACCESS_KEY: Attr<String> = Attr::new("access_key");
const SECRET_KEY: Attr<String> = Attr::new("secret_key");
const TOKEN: Attr<String> = Attr::new("token");
const MAX_RETRIES: Attr<i64> = Attr::new("max_retries");
const ENDPOINTS: Block = Block::new("endpoints");
const EC2: Attr<String> = Attr::new("ec2");
const IOT: Attr<String> = Attr::new("iot");
const GREENGRASSV2: Attr<String> = Attr::new("greengrassv2");

/// The schema of a `provider aws { … }` block.
pub(crate) fn schema() -> ResourceSchema {
    ResourceSchema::new(
        "Amazon EC2 and VPC, AWS IoT and AWS IoT Greengrass V2 through the AWS SDK for \
         Rust. Credentials come from \
         `access_key`/`secret_key` when set, else from the standard chain: the \
         `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` environment variables, the shared \
         config and credentials files (`profile`, SSO, `credential_process`), then \
         container and instance metadata. Each provider configuration (each instance of a \
         module that declares one) gets its own clients, sharing one SDK configuration.",
    )
    .with(
        REGION
            .required()
            .describe("The region to manage objects in, e.g. `eu-west-1`."),
    )
    .with(ENDPOINT.optional().describe(
        "A custom endpoint URL for every service: a private endpoint, or an emulator such \
         as moto (`http://127.0.0.1:5000`). `endpoints { … }` overrides it per service.",
    ))
    .with(
        PROFILE
            .optional()
            .describe("The profile of the shared config and credentials files to use."),
    )
    .with(
        ACCESS_KEY
            .optional()
            .sensitive()
            .describe("An access key id; with `secret_key`, replaces the credential chain."),
    )
    .with(
        SECRET_KEY
            .optional()
            .sensitive()
            .describe("The secret access key belonging to `access_key`."),
    )
    .with(
        TOKEN
            .optional()
            .sensitive()
            .describe("A session token, for temporary `access_key`/`secret_key` credentials."),
    )
    .with(MAX_RETRIES.optional().default_value(3).describe(
        "How many times the SDK retries a throttled or failed call (with backoff) \
         before aic's own retries take over.",
    ))
    .with_block(
        ENDPOINTS
            .single(
                ResourceSchema::new(
                    "Endpoint URLs per service, as in Terraform's AWS provider; a service \
                     left out uses `endpoint` (or AWS's own endpoint).",
                )
                .with(EC2.optional().describe("The EC2 endpoint."))
                .with(
                    IOT.optional()
                        .describe("The AWS IoT endpoint (things, thing groups)."),
                )
                .with(GREENGRASSV2.optional().describe(
                    "The AWS IoT Greengrass V2 endpoint (components, deployments, core \
                     devices), e.g. the emulator `scripts/emulator.sh start greengrass` \
                     starts.",
                )),
            )
            .max_items(1),
    )
}

/// The AWS services the provider calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Aws,
    Iot,
    GreengrassV2,
}

impl Service {
    /// The service's name in messages.
    pub fn title(self) -> &'static str {
        match self {
            Service::Aws => "EC2",
            Service::Iot => "IoT",
            Service::GreengrassV2 => "Greengrass V2",
        }
    }
}

/// The endpoints the configuration names for each service (`endpoints { … }`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    pub ec2: Option<String>,
    pub iot: Option<String>,
    pub greengrassv2: Option<String>,
}

/// The clients of one provider configuration, built from one shared SDK configuration.
#[derive(Debug, Clone)]
pub struct Clients {
    pub ec2: aws_sdk_ec2::Client,
    pub iot: aws_sdk_iot::Client,
    pub greengrass: aws_sdk_greengrassv2::Client,
}

/// A provider configuration, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub region: String,
    pub endpoint: Option<String>,
    pub profile: Option<String>,
    /// Access key id, secret key and session token, when given in the configuration.
    pub static_credentials: Option<(String, String, Option<String>)>,
    pub max_retries: u32,
    /// Per-service endpoints, overriding `endpoint`.
    pub endpoints: Endpoints,
}

impl Settings {
    /// Reads a `provider aws { … }` value (wholly known).
    pub fn from_config(config: &Value) -> Result<Settings, ProviderError> {
        let region = REGION.get(config)?.ok_or_else(|| {
            ProviderError::invalid_config("the `aws` provider needs a `region`").with_help(
                "Set `region` in the `provider aws { … }` block, e.g. `region = \"eu-west-1\"`.",
            )
        })?;
        let static_credentials = match (ACCESS_KEY.get(config)?, SECRET_KEY.get(config)?) {
            (Some(key), Some(secret)) => Some((key, secret, TOKEN.get(config)?)),
            (None, None) => None,
            _ => {
                return Err(ProviderError::invalid_config(
                    "`access_key` and `secret_key` must be set together",
                )
                .with_help(
                    "Set both, or neither to use the standard credential chain (environment, \
                     profiles, SSO, instance metadata).",
                ))
            }
        };
        let max_retries = match MAX_RETRIES.get(config)? {
            None => 3,
            Some(n) => u32::try_from(n).map_err(|_| {
                ProviderError::invalid_config(format!(
                    "`max_retries` must be a whole number from 0, found {n}"
                ))
            })?,
        };
        let endpoints = match ENDPOINTS.items(config).first() {
            Some(block) => Endpoints {
                ec2: EC2.get(block)?,
                iot: IOT.get(block)?,
                greengrassv2: GREENGRASSV2.get(block)?,
            },
            None => Endpoints::default(),
        };
        Ok(Settings {
            region,
            endpoint: ENDPOINT.get(config)?,
            profile: PROFILE.get(config)?,
            static_credentials,
            max_retries,
            endpoints,
        })
    }

    /// The endpoint of `service`: its own from `endpoints { … }`, else `endpoint`.
    pub fn endpoint_of(&self, service: Service) -> Option<&str> {
        let own = match service {
            Service::Aws => &self.endpoints.ec2,
            Service::Iot => &self.endpoints.iot,
            Service::GreengrassV2 => &self.endpoints.greengrassv2,
        };
        own.as_deref().or(self.endpoint.as_deref())
    }

    /// The clients for these settings, sharing one SDK configuration. `calls`, when given,
    /// counts every HTTP request they send (retries included).
    pub async fn clients(&self, calls: Option<Arc<AtomicU64>>) -> Clients {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(self.region.clone()))
            .retry_config(RetryConfig::standard().with_max_attempts(self.max_retries + 1));
        if let Some(profile) = &self.profile {
            loader = loader.profile_name(profile);
        }
        if let Some((key, secret, token)) = &self.static_credentials {
            loader = loader.credentials_provider(Credentials::new(
                key,
                secret,
                token.clone(),
                None,
                "aic-provider-config",
            ));
        }
        let shared = loader.load().await;
        // Each service's configuration: its endpoint, no retries of HTML error pages, and
        // the call counter. The builders are distinct types with the same methods.
        macro_rules! service_config {
            ($sdk:ident, $service:expr) => {{
                let mut config =
                    $sdk::config::Builder::from(&shared).retry_classifier(HtmlErrorPage);
                if let Some(endpoint) = self.endpoint_of($service) {
                    config = config.endpoint_url(endpoint);
                }
                if let Some(calls) = &calls {
                    config = config.interceptor(CountCalls(calls.clone()));
                }
                $sdk::Client::from_conf(config.build())
            }};
        }
        Clients {
            ec2: service_config!(aws_sdk_ec2, Service::Aws),
            iot: service_config!(aws_sdk_iot, Service::Iot),
            greengrass: service_config!(aws_sdk_greengrassv2, Service::GreengrassV2),
        }
    }
}

/// Whether a response is an HTML page rather than an API (XML or JSON) answer: what emulators
/// such as moto send for operations they do not implement (HTTP 500 with an HTML page).
pub fn is_html_error(status: u16, content_type: Option<&str>) -> bool {
    status >= 500 && content_type.is_some_and(|ct| ct.trim_start().starts_with("text/html"))
}

/// Forbids the SDK's retries of HTML error pages: they are not transient, and retrying
/// them only delays the error.
#[derive(Debug)]
struct HtmlErrorPage;

impl ClassifyRetry for HtmlErrorPage {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        match ctx.response() {
            Some(response)
                if is_html_error(
                    response.status().as_u16(),
                    response.headers().get("content-type"),
                ) =>
            {
                RetryAction::RetryForbidden
            }
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "aic: HTML error page"
    }
}

/// Counts the HTTP requests a client sends (for tests and benchmarks).
#[derive(Debug)]
struct CountCalls(Arc<AtomicU64>);

impl Intercept for CountCalls {
    fn name(&self) -> &'static str {
        "aic: count calls"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aic_provider::ErrorKind;

    fn config(pairs: &[(&str, Value)]) -> Value {
        Value::object(pairs.iter().map(|(k, v)| (*k, v.clone())))
    }

    #[test]
    fn reads_every_setting() {
        let settings = Settings::from_config(&config(&[
            ("region", Value::string("eu-west-1")),
            ("endpoint", Value::string("http://127.0.0.1:5000")),
            ("access_key", Value::string("AK").mark_sensitive()),
            ("secret_key", Value::string("SK").mark_sensitive()),
            ("max_retries", Value::number(0.0)),
        ]));
        assert_eq!(
            settings.ok(),
            Some(Settings {
                region: "eu-west-1".into(),
                endpoint: Some("http://127.0.0.1:5000".into()),
                profile: None,
                static_credentials: Some(("AK".into(), "SK".into(), None)),
                max_retries: 0,
                endpoints: Endpoints::default(),
            })
        );
    }

    #[test]
    fn a_service_endpoint_overrides_the_default_one() {
        let settings = Settings::from_config(&config(&[
            ("region", Value::string("us-east-1")),
            ("endpoint", Value::string("http://127.0.0.1:5000")),
            (
                "endpoints",
                Value::object([
                    ("ec2", Value::null()),
                    ("iot", Value::null()),
                    ("greengrassv2", Value::string("http://127.0.0.1:7000")),
                ]),
            ),
        ]));
        let settings = settings.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            settings.endpoint_of(Service::GreengrassV2),
            Some("http://127.0.0.1:7000")
        );
        assert_eq!(
            settings.endpoint_of(Service::Iot),
            Some("http://127.0.0.1:5000")
        );
        assert_eq!(
            settings.endpoint_of(Service::Aws),
            Some("http://127.0.0.1:5000")
        );
    }

    #[test]
    fn half_a_key_pair_is_invalid() {
        let err = Settings::from_config(&config(&[
            ("region", Value::string("eu-west-1")),
            ("access_key", Value::string("AK")),
        ]))
        .err();
        assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::InvalidConfig));
    }

    #[test]
    fn region_is_required() {
        let err = Settings::from_config(&config(&[])).err();
        assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::InvalidConfig));
    }

    #[test]
    fn html_pages_from_servers_are_not_api_errors() {
        assert!(is_html_error(500, Some("text/html; charset=utf-8")));
        assert!(!is_html_error(500, Some("text/xml")));
        assert!(!is_html_error(400, Some("text/html")));
        assert!(!is_html_error(503, None));
    }
}
