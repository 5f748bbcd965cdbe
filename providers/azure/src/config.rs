//! From a `provider azurerm { … }` configuration to the settings of a client: the
//! subscription, the default location, the Resource Manager endpoint and the authority host
//! of the credential. Credentials never come from the configuration: the client-secret
//! credential reads `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET` and `AZURE_TENANT_ID`.

use aic_lang::value::Value;
use aic_provider::{ProviderError, ResourceSchema};
use aic_provider_kit::{Attr, Block, Declare};

const SUBSCRIPTION_ID: Attr<String> = Attr::new("subscription_id");
const LOCATION: Attr<String> = Attr::new("location");
const ENDPOINT: Attr<String> = Attr::new("endpoint");
const AUTHORITY_HOST: Attr<String> = Attr::new("authority_host");
const FEATURES: Block = Block::new("features");
const RESOURCE_GROUP: Block = Block::new("resource_group");
const PREVENT_DELETION: Attr<bool> = Attr::new("prevent_deletion_if_contains_resources");

/// Azure Resource Manager's public endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://management.azure.com";
/// The Microsoft identity platform of the public cloud.
pub const DEFAULT_AUTHORITY_HOST: &str = "https://login.microsoftonline.com";

/// The environment variables of the client-secret credential.
pub const CLIENT_ID_VAR: &str = "AZURE_CLIENT_ID";
pub const CLIENT_SECRET_VAR: &str = "AZURE_CLIENT_SECRET";
pub const TENANT_ID_VAR: &str = "AZURE_TENANT_ID";
pub const AUTHORITY_HOST_VAR: &str = "AZURE_AUTHORITY_HOST";

/// The schema of a `provider azurerm { … }` block.
pub(crate) fn schema() -> ResourceSchema {
    ResourceSchema::new(
        "Microsoft Azure through Azure Resource Manager. Credentials are a service principal's \
         client secret from `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET` and `AZURE_TENANT_ID` \
         (never from the configuration).",
    )
    .with(
        SUBSCRIPTION_ID
            .required()
            .describe("The subscription every resource is in."),
    )
    .with(
        LOCATION
            .optional()
            .describe("The location (`westeurope`, `eastus2`, …) of resources that name none."),
    )
    .with(ENDPOINT.optional().describe(
        "Resource Manager's base URL; default `https://management.azure.com`. The emulator's \
         `http://127.0.0.1:PORT` (`scripts/emulator.sh start azure`).",
    ))
    .with(AUTHORITY_HOST.optional().describe(
        "The Microsoft identity platform that issues tokens; default `AZURE_AUTHORITY_HOST`, \
         else `https://login.microsoftonline.com`. The emulator serves it too.",
    ))
    .with_block(
        FEATURES
            .single(
                ResourceSchema::new(
                    "How resources behave, as in the azurerm provider's `features` block.",
                )
                .with_block(
                    RESOURCE_GROUP
                        .single(ResourceSchema::new("Resource groups.").with(
                            PREVENT_DELETION.optional().describe(
                                "Refuse to delete a resource group that still holds \
                                     resources aic does not manage (Azure would delete them \
                                     with it); default `true`, as in azurerm 3.0 and later.",
                            ),
                        ))
                        .max_items(1),
                ),
            )
            .max_items(1),
    )
}

/// A provider configuration, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub subscription_id: String,
    pub location: Option<String>,
    /// Resource Manager's base URL, without a trailing `/`.
    pub endpoint: String,
    /// The authority host, without a trailing `/`.
    pub authority_host: String,
    /// `features { resource_group { prevent_deletion_if_contains_resources } }`: a
    /// resource group that still holds resources is not deleted (default `true`).
    pub prevent_group_deletion_if_not_empty: bool,
}

impl Settings {
    /// Reads a `provider azurerm { … }` value (wholly known); the authority host falls back
    /// to `AZURE_AUTHORITY_HOST`.
    pub fn from_config(config: &Value) -> Result<Settings, ProviderError> {
        Settings::from_config_and_env(config, |k| std::env::var(k).ok())
    }

    /// As [`Settings::from_config`], with the environment given by `env`.
    pub fn from_config_and_env(
        config: &Value,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, ProviderError> {
        let subscription_id = SUBSCRIPTION_ID
            .get(config)?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ProviderError::invalid_config("the `azurerm` provider needs a `subscription_id`")
                    .with_help("Set `subscription_id` to the id of your Azure subscription.")
            })?;
        let trimmed = |s: String| s.trim_end_matches('/').to_owned();
        let endpoint = ENDPOINT
            .get(config)?
            .filter(|e| !e.is_empty())
            .map_or_else(|| DEFAULT_ENDPOINT.to_owned(), trimmed);
        let authority_host = AUTHORITY_HOST
            .get(config)?
            .filter(|e| !e.is_empty())
            .or_else(|| env(AUTHORITY_HOST_VAR).filter(|e| !e.is_empty()))
            .map_or_else(|| DEFAULT_AUTHORITY_HOST.to_owned(), trimmed);
        let groups = FEATURES
            .items(config)
            .into_iter()
            .find(|f| !f.is_null())
            .and_then(|f| RESOURCE_GROUP.items(f).into_iter().find(|g| !g.is_null()));
        let prevent_group_deletion_if_not_empty = match groups {
            Some(g) => PREVENT_DELETION.get(g)?.unwrap_or(true),
            None => true,
        };
        Ok(Settings {
            subscription_id,
            location: LOCATION.get(config)?.filter(|l| !l.is_empty()),
            endpoint,
            authority_host,
            prevent_group_deletion_if_not_empty,
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
    fn defaults_are_the_public_cloud_and_the_environment() {
        let s = Settings::from_config_and_env(&config(&[("subscription_id", "s")]), |_| None);
        assert_eq!(
            s.ok().map(|s| (s.endpoint, s.authority_host, s.location)),
            Some((
                DEFAULT_ENDPOINT.to_owned(),
                DEFAULT_AUTHORITY_HOST.to_owned(),
                None
            ))
        );
        let s = Settings::from_config_and_env(&config(&[("subscription_id", "s")]), |k| {
            (k == AUTHORITY_HOST_VAR).then(|| "http://127.0.0.1:9/".to_owned())
        });
        assert_eq!(
            s.ok().map(|s| s.authority_host),
            Some("http://127.0.0.1:9".to_owned())
        );
        let s = Settings::from_config_and_env(
            &config(&[
                ("subscription_id", "s"),
                ("location", "westeurope"),
                ("endpoint", "http://127.0.0.1:8/"),
                ("authority_host", "http://127.0.0.1:7"),
            ]),
            |_| Some("http://ignored".to_owned()),
        );
        assert_eq!(
            s.ok()
                .map(|s| (s.endpoint, s.authority_host, s.location.unwrap_or_default())),
            Some((
                "http://127.0.0.1:8".to_owned(),
                "http://127.0.0.1:7".to_owned(),
                "westeurope".to_owned()
            ))
        );
    }

    #[test]
    fn a_group_holding_resources_is_protected_unless_the_feature_says_otherwise() {
        let protected = |config: &Value| {
            Settings::from_config_and_env(config, |_| None)
                .ok()
                .map(|s| s.prevent_group_deletion_if_not_empty)
        };
        let plain = config(&[("subscription_id", "s")]);
        assert_eq!(protected(&plain), Some(true));
        let with = |flag: bool| {
            Value::object([
                ("subscription_id", Value::string("s")),
                (
                    "features",
                    Value::object([(
                        "resource_group",
                        Value::object([(
                            "prevent_deletion_if_contains_resources",
                            Value::bool(flag),
                        )]),
                    )]),
                ),
            ])
        };
        assert_eq!(protected(&with(false)), Some(false));
        assert_eq!(protected(&with(true)), Some(true));
    }

    #[test]
    fn the_subscription_is_required() {
        let err = Settings::from_config_and_env(&config(&[]), |_| None).err();
        assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::InvalidConfig));
    }
}
