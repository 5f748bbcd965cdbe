//! From a `provider ibm_quantum { … }` configuration to the settings of a client:
//! instance CRN, API base URL (regional or a custom endpoint), IAM token endpoint, and the
//! API key from the environment.

use aic_lang::value::Value;
use aic_provider::{ProviderError, ResourceSchema};
use aic_provider_kit::{Attr, Declare};

const INSTANCE: Attr<String> = Attr::new("instance");
const REGION: Attr<String> = Attr::new("region");
const ENDPOINT: Attr<String> = Attr::new("endpoint");
const IAM_ENDPOINT: Attr<String> = Attr::new("iam_endpoint");

/// The environment variables the API key is read from, in order.
pub const API_KEY_VARS: [&str; 2] = ["IBM_CLOUD_API_KEY", "QISKIT_IBM_TOKEN"];

/// IBM Cloud IAM's public endpoint.
pub const IAM_DEFAULT: &str = "https://iam.cloud.ibm.com";

/// The schema of a `provider ibm_quantum { … }` block.
pub(crate) fn schema() -> ResourceSchema {
    ResourceSchema::new(
        "IBM Quantum Platform through the Qiskit Runtime REST API. The API key comes from \
         the environment (`IBM_CLOUD_API_KEY`, else `QISKIT_IBM_TOKEN`) and is exchanged at \
         IBM Cloud IAM for a bearer token, renewed before it expires.",
    )
    .with(INSTANCE.required().describe(
        "The CRN of the Qiskit Runtime service instance (`crn:v1:bluemix:public:quantum-computing:…`), \
         sent as `Service-CRN`.",
    ))
    .with(REGION.optional().describe(
        "A region (`us-east`, `eu-de`): the API is then `https://{region}.quantum.cloud.ibm.com/api/v1`.",
    ))
    .with(ENDPOINT.optional().describe(
        "A custom base URL (the API is under `{endpoint}/api/v1`), e.g. the emulator's \
         `http://127.0.0.1:PORT` (`scripts/emulator.sh start ibm-quantum`).",
    ))
    .with(IAM_ENDPOINT.optional().describe(
        "The IAM base URL (tokens from `{iam_endpoint}/identity/token`); default \
         `https://iam.cloud.ibm.com`.",
    ))
}

/// A provider configuration, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub instance: String,
    /// The API's base URL, ending in `/api/v1`.
    pub api_base: String,
    /// IAM's base URL.
    pub iam_base: String,
}

impl Settings {
    /// Reads a `provider ibm_quantum { … }` value (wholly known).
    pub fn from_config(config: &Value) -> Result<Settings, ProviderError> {
        let instance = INSTANCE.get(config)?.ok_or_else(|| {
            ProviderError::invalid_config("the `ibm_quantum` provider needs an `instance`")
                .with_help("Set `instance` to your Qiskit Runtime instance's CRN.")
        })?;
        let root = match (ENDPOINT.get(config)?, REGION.get(config)?) {
            (Some(endpoint), _) => endpoint.trim_end_matches('/').to_owned(),
            (None, Some(region)) => format!("https://{region}.quantum.cloud.ibm.com"),
            (None, None) => "https://quantum.cloud.ibm.com".to_owned(),
        };
        let iam_base = IAM_ENDPOINT.get(config)?.map_or_else(
            || IAM_DEFAULT.to_owned(),
            |u| u.trim_end_matches('/').to_owned(),
        );
        Ok(Settings {
            instance,
            api_base: format!("{root}/api/v1"),
            iam_base,
        })
    }
}

/// The API key from the environment (`lookup` reads a variable).
pub fn api_key(lookup: impl Fn(&str) -> Option<String>) -> Result<String, ProviderError> {
    API_KEY_VARS
        .iter()
        .find_map(|var| lookup(var).filter(|k| !k.trim().is_empty()))
        .ok_or_else(|| {
            ProviderError::invalid_config("no IBM Cloud API key in the environment").with_help(
                "Set `IBM_CLOUD_API_KEY` (or `QISKIT_IBM_TOKEN`) to an API key of your IBM Cloud \
                 account; for the emulator any non-empty value works.",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aic_provider::ErrorKind;

    fn config(pairs: &[(&str, &str)]) -> Value {
        Value::object(pairs.iter().map(|(k, v)| (*k, Value::string(*v))))
    }

    #[test]
    fn base_urls_from_endpoint_region_or_default() {
        let s = Settings::from_config(&config(&[("instance", "crn:x")])).ok();
        assert_eq!(
            s.map(|s| (s.api_base, s.iam_base)),
            Some((
                "https://quantum.cloud.ibm.com/api/v1".to_owned(),
                IAM_DEFAULT.to_owned()
            ))
        );
        let s = Settings::from_config(&config(&[("instance", "crn:x"), ("region", "eu-de")])).ok();
        assert_eq!(
            s.map(|s| s.api_base),
            Some("https://eu-de.quantum.cloud.ibm.com/api/v1".to_owned())
        );
        let s = Settings::from_config(&config(&[
            ("instance", "crn:x"),
            ("region", "eu-de"),
            ("endpoint", "http://127.0.0.1:9/"),
            ("iam_endpoint", "http://127.0.0.1:9"),
        ]))
        .ok();
        assert_eq!(
            s.map(|s| (s.api_base, s.iam_base)),
            Some((
                "http://127.0.0.1:9/api/v1".to_owned(),
                "http://127.0.0.1:9".to_owned()
            ))
        );
    }

    #[test]
    fn instance_is_required() {
        let err = Settings::from_config(&config(&[])).err();
        assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::InvalidConfig));
    }

    #[test]
    fn api_key_from_either_variable_else_a_config_error_naming_them() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |var: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == var)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert_eq!(
            api_key(env(&[("QISKIT_IBM_TOKEN", "q")])).ok().as_deref(),
            Some("q")
        );
        assert_eq!(
            api_key(env(&[
                ("QISKIT_IBM_TOKEN", "q"),
                ("IBM_CLOUD_API_KEY", "i")
            ]))
            .ok()
            .as_deref(),
            Some("i")
        );
        let err = api_key(env(&[("IBM_CLOUD_API_KEY", " ")])).err();
        assert_eq!(
            err.as_ref().map(|e| e.kind()),
            Some(ErrorKind::InvalidConfig)
        );
        assert!(err.is_some_and(|e| e.help_text().contains("IBM_CLOUD_API_KEY")));
    }
}
