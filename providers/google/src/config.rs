//! From a `provider google { … }` configuration to the settings of a client: the project,
//! the default location, a custom endpoint, and the credentials (an access token, or
//! Application Default Credentials).

use aic_lang::value::Value;
use aic_provider::{ProviderError, ResourceSchema};
use aic_provider_kit::{Attr, Declare};

const PROJECT: Attr<String> = Attr::new("project");
const REGION: Attr<String> = Attr::new("region");
const ENDPOINT: Attr<String> = Attr::new("endpoint");
const ACCESS_TOKEN: Attr<String> = Attr::new("access_token");

/// GKE's public endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://container.googleapis.com";

/// The schema of a `provider google { … }` block.
pub(crate) fn schema() -> ResourceSchema {
    ResourceSchema::new(
        "Google Cloud: Kubernetes Engine clusters and node pools. Credentials are the \
         `access_token` when set, else Application Default Credentials \
         (`GOOGLE_APPLICATION_CREDENTIALS`, the gcloud user's, or the metadata server's).",
    )
    .with(
        PROJECT
            .required()
            .describe("The project every resource is in unless it names its own `project`."),
    )
    .with(REGION.optional().describe(
        "The location (a region such as `europe-west1`, or a zone) of resources that name \
         none.",
    ))
    .with(ENDPOINT.optional().describe(
        "The GKE API's base URL; default `https://container.googleapis.com`. The emulator's \
         `http://127.0.0.1:PORT` (`scripts/emulator.sh start gke`).",
    ))
    .with(ACCESS_TOKEN.optional().sensitive().describe(
        "An OAuth 2.0 access token, sent as `Authorization: Bearer …` (as Terraform's \
         `access_token`); Application Default Credentials otherwise.",
    ))
}

/// A provider configuration, checked.
#[derive(Clone, PartialEq)]
pub struct Settings {
    pub project: String,
    pub region: Option<String>,
    /// The API's base URL, without a trailing `/`.
    pub endpoint: String,
    pub access_token: Option<String>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("project", &self.project)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "(sensitive)"),
            )
            .finish()
    }
}

impl Settings {
    /// Reads a `provider google { … }` value (wholly known).
    pub fn from_config(config: &Value) -> Result<Settings, ProviderError> {
        let project = PROJECT
            .get(config)?
            .filter(|p| !p.is_empty())
            .ok_or_else(|| {
                ProviderError::invalid_config("the `google` provider needs a `project`")
                    .with_help("Set `project` to the id of your Google Cloud project.")
            })?;
        let endpoint = ENDPOINT.get(config)?.map_or_else(
            || DEFAULT_ENDPOINT.to_owned(),
            |e| e.trim_end_matches('/').to_owned(),
        );
        Ok(Settings {
            project,
            region: REGION.get(config)?.filter(|r| !r.is_empty()),
            endpoint,
            access_token: ACCESS_TOKEN.get(config)?.filter(|t| !t.is_empty()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aic_provider::ErrorKind;

    fn config(pairs: &[(&str, &str)]) -> Value {
        Value::object(pairs.iter().map(|(k, v)| (*k, Value::string(*v))))
    }

    #[test]
    fn endpoint_defaults_to_google_and_loses_its_trailing_slash() {
        let s = Settings::from_config(&config(&[("project", "p")])).ok();
        assert_eq!(
            s.map(|s| (s.endpoint, s.region, s.access_token)),
            Some((DEFAULT_ENDPOINT.to_owned(), None, None))
        );
        let s = Settings::from_config(&config(&[
            ("project", "p"),
            ("region", "europe-west1"),
            ("endpoint", "http://127.0.0.1:9/"),
            ("access_token", "t"),
        ]))
        .ok();
        assert_eq!(
            s.map(|s| (s.endpoint, s.region, s.access_token)),
            Some((
                "http://127.0.0.1:9".to_owned(),
                Some("europe-west1".to_owned()),
                Some("t".to_owned())
            ))
        );
    }

    #[test]
    fn project_is_required_and_the_token_never_printed() {
        let err = Settings::from_config(&config(&[])).err();
        assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::InvalidConfig));
        let s = Settings::from_config(&config(&[("project", "p"), ("access_token", "s3cret")]));
        assert!(s.is_ok_and(|s| !format!("{s:?}").contains("s3cret")));
    }
}
