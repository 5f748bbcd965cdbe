//! `aws_greengrassv2_component_version`: a private component version published from an
//! inline recipe (`CreateComponentVersion`), read with `DescribeComponent`, tagged in
//! place (`TagResource`, `UntagResource`) and deleted with `DeleteComponent`.
//!
//! A version is identified by its recipe's `ComponentName` and `ComponentVersion`, known
//! when planning: a recipe with another version is a new version (a replacement, never a
//! change in place); the same version with another recipe is refused, as the service
//! refuses to publish a version twice. Creation waits until the version is `DEPLOYABLE`
//! (a `FAILED` one is an error and is deleted again). The create token is the request's
//! `clientToken`, and the version of a lost answer is found by its name and version.

use std::sync::LazyLock;

use aic_lang::value::{AttrPath, PathStep, Value};
use aic_provider::{
    plan_resource, with_attributes, PlanRequest, PlanResponse, Problem, ProviderError,
    ResourceSchema,
};
use aic_provider_kit::wait::gone_as_none;
use aic_provider_kit::{Attr, CloudType, Context, CreateToken, Declare, Which, ID};
use async_trait::async_trait;
use aws_sdk_greengrassv2::primitives::Blob;
use aws_sdk_greengrassv2::types::CloudComponentState;

use crate::config::Service;
use crate::ec2::{aws_type, Aws};
use crate::error::{service_error, GREENGRASS};
use crate::fields::{ARN, TAGS};
use crate::greengrass::{component_arn, configured_tags, tags_value, update_tags};
use crate::iot::one_by_one;
use crate::recipe::Recipe;
use crate::resources::problem_at;

const INLINE_RECIPE: Attr<String> = Attr::new("inline_recipe");
pub(crate) const COMPONENT_NAME: Attr<String> = Attr::new("component_name");
pub(crate) const COMPONENT_VERSION: Attr<String> = Attr::new("component_version");
const STATUS: Attr<String> = Attr::new("status");

static SCHEMA: LazyLock<ResourceSchema> =
    LazyLock::new(|| {
        ResourceSchema::new(
        "A private AWS IoT Greengrass V2 component version, published from a recipe. A \
         recipe with a new `ComponentVersion` publishes a new version (a replacement); \
         creation waits until the version is deployable.",
    )
    .with(INLINE_RECIPE.required().force_new().describe(
        "The recipe, JSON or YAML (`file(\"recipe.yaml\")`). aic reads it and sends its \
         JSON, which the service parses whatever the recipe's first character.",
    ))
    .with(TAGS.optional().describe("Tags of the version; changed in place."))
    .with(ID.computed().describe("The version's ARN."))
    .with(ARN.computed().describe(
        "The version's ARN (`arn:aws:greengrass:REGION:ACCOUNT:components:NAME:versions:VERSION`).",
    ))
    .with(COMPONENT_NAME.computed().describe(
        "The recipe's `ComponentName`, known when planning.",
    ))
    .with(COMPONENT_VERSION.computed().describe(
        "The recipe's `ComponentVersion`, known when planning.",
    ))
    .with(STATUS.computed().describe(
        "The version's state: `REQUESTED`, `INITIATED`, `DEPLOYABLE`, `FAILED` or \
         `DEPRECATED`.",
    ))
    });

pub(crate) struct AwsGreengrassComponentVersion;

fn recipe_of(object: &Value) -> Result<Recipe, ProviderError> {
    Recipe::parse(&INLINE_RECIPE.require(object)?).map_err(|e| {
        ProviderError::invalid_config(format!("`inline_recipe`: {e}"))
            .with_attribute(AttrPath::root().join(PathStep::Attr(INLINE_RECIPE.name().to_owned())))
    })
}

/// The version's state and the service's errors about it.
async fn state(aws: &Aws, arn: &str) -> Result<(String, String), ProviderError> {
    let out = aws
        .greengrass
        .describe_component()
        .arn(arn)
        .send()
        .await
        .map_err(|e| service_error(Service::GreengrassV2, "DescribeComponent", e))?;
    let status = out.status();
    let state = status
        .and_then(|s| s.component_state())
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default();
    let mut errors: Vec<String> = status
        .and_then(|s| s.errors())
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    errors.sort();
    Ok((state, errors.join("; ")))
}

async fn describe_one(aws: &Aws, arn: String) -> Result<Value, ProviderError> {
    let out = aws
        .greengrass
        .describe_component()
        .arn(&arn)
        .send()
        .await
        .map_err(|e| service_error(Service::GreengrassV2, "DescribeComponent", e))?;
    Ok(SCHEMA.instance([
        INLINE_RECIPE.null(),
        tags_value(out.tags()),
        ID.to(arn.as_str()),
        ARN.to(arn.as_str()),
        COMPONENT_NAME.text(out.component_name()),
        COMPONENT_VERSION.text(out.component_version()),
        STATUS.text(
            out.status()
                .and_then(|s| s.component_state())
                .map(CloudComponentState::as_str),
        ),
    ]))
}

#[async_trait]
impl CloudType<Aws> for AwsGreengrassComponentVersion {
    aws_type!("aws_greengrassv2_component_version", "Greengrass component version"; one by one);

    fn validate(&self, config: &Value, problems: &mut Vec<Problem>) {
        if let Some(text) = config
            .get(INLINE_RECIPE.name())
            .filter(|v| v.is_known())
            .and_then(Value::as_str)
        {
            if let Err(e) = Recipe::parse(text) {
                problems.push(problem_at(&[INLINE_RECIPE.name()], e));
            }
        }
    }

    /// The name and version come from the recipe; the same version with the same recipe
    /// is no change, with another recipe an error.
    async fn plan(
        &self,
        _aws: &Aws,
        schema: &ResourceSchema,
        request: PlanRequest,
    ) -> Result<PlanResponse, ProviderError> {
        let known = request
            .config
            .get(INLINE_RECIPE.name())
            .is_some_and(Value::is_known);
        if !known {
            return plan_resource(schema, &request);
        }
        let recipe = recipe_of(&request.config)?;
        if let Some(prior) = &request.prior {
            let same_version = COMPONENT_NAME.get(prior)?.as_deref() == Some(&recipe.name)
                && COMPONENT_VERSION.get(prior)?.as_deref() == Some(&recipe.version);
            if same_version {
                if let Some(before) = INLINE_RECIPE.get(prior)? {
                    let before = Recipe::parse(&before).ok();
                    if before.is_some_and(|b| b.document != recipe.document) {
                        return Err(ProviderError::conflict(format!(
                            "version {} of component {} is published already, with another \
                             recipe",
                            recipe.version, recipe.name
                        ))
                        .with_help(
                            "A published component version never changes: raise the \
                             recipe's `ComponentVersion` to publish the new recipe.",
                        ));
                    }
                }
                let config = with_attributes(&request.config, [INLINE_RECIPE.copied(prior)]);
                return plan_resource(schema, &PlanRequest { config, ..request });
            }
        }
        let mut response = plan_resource(schema, &request)?;
        response.planned = with_attributes(
            &response.planned,
            [
                COMPONENT_NAME.to(recipe.name),
                COMPONENT_VERSION.to(recipe.version),
            ],
        );
        Ok(response)
    }

    async fn create_call(
        &self,
        aws: &Aws,
        planned: &Value,
        token: &CreateToken,
    ) -> Result<String, ProviderError> {
        let recipe = recipe_of(planned)?;
        let out = aws
            .greengrass
            .create_component_version()
            .inline_recipe(Blob::new(recipe.to_json()))
            .set_tags(Some(configured_tags(planned)?).filter(|t| !t.is_empty()))
            .client_token(token.as_str())
            .send()
            .await
            .map_err(|e| service_error(Service::GreengrassV2, "CreateComponentVersion", e))?;
        out.arn()
            .map(str::to_owned)
            .ok_or_else(|| GREENGRASS.incomplete("CreateComponentVersion", "arn"))
    }

    /// Waits until the version is deployable.
    async fn complete(&self, aws: &Aws, id: &str, _planned: &Value) -> Result<(), ProviderError> {
        let (state, errors) = aws
            .timing()
            .waiter(format!(
                "Greengrass component version {id} to be deployable"
            ))
            .until(|| async {
                let (state, errors) = state(aws, id).await?;
                Ok((state != "REQUESTED" && state != "INITIATED").then_some((state, errors)))
            })
            .await?;
        if state == "DEPLOYABLE" {
            return Ok(());
        }
        Err(ProviderError::other(format!(
            "Greengrass component version {id} ended {state}: {errors}"
        ))
        .with_help(
            "Check that the recipe's artifacts exist and that the Greengrass service role \
             may read them; the version was deleted, and the next apply publishes it again.",
        ))
    }

    async fn describe(
        &self,
        aws: &Aws,
        which: Which<'_>,
    ) -> Result<Vec<(String, Value)>, ProviderError> {
        one_by_one(which, |arn| describe_one(aws, arn)).await
    }

    /// The version the planned recipe names, if it is published.
    async fn find_id(
        &self,
        aws: &Aws,
        planned: &Value,
        _token: &CreateToken,
    ) -> Result<Option<String>, ProviderError> {
        let recipe = recipe_of(planned)?;
        let Some(component) = component_arn(aws, &recipe.name).await? else {
            return Ok(None);
        };
        let arn = format!("{component}:versions:{}", recipe.version);
        Ok(gone_as_none(describe_one(aws, arn.clone()).await)?.map(|_| arn))
    }

    /// The recipe is the configuration's (the service answers its own rewriting of it).
    fn with_prior(&self, prior: &Value, found: Value) -> Value {
        with_attributes(&found, [INLINE_RECIPE.copied(prior)])
    }

    async fn change(
        &self,
        aws: &Aws,
        id: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<String, ProviderError> {
        update_tags(aws, id, prior, planned).await?;
        Ok(id.to_owned())
    }

    async fn delete_call(&self, aws: &Aws, id: &str, _: &Value) -> Result<(), ProviderError> {
        aws.greengrass
            .delete_component()
            .arn(id)
            .send()
            .await
            .map_err(|e| service_error(Service::GreengrassV2, "DeleteComponent", e))?;
        Ok(())
    }
}
