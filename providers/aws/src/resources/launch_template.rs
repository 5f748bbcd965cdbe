//! `aws_launch_template`: `CreateLaunchTemplate`; a change of the launch data creates a
//! new version (`CreateLaunchTemplateVersion`) and makes it the default
//! (`ModifyLaunchTemplate`). A read describes the template and its default version: two
//! calls per template, as the API describes versions of one template at a time.

use std::sync::LazyLock;

use aic_lang::types::Type;
use aic_lang::value::Value;
use aic_provider::{
    plan_resource, with_attributes, PlanRequest, PlanResponse, ProviderError, ResourceSchema,
};
use aic_provider_kit::wait::gone_as_none;
use aic_provider_kit::{Attr, CloudType, CreateToken, Declare, Which, ID};
use async_trait::async_trait;
use aws_sdk_ec2::types::{InstanceType, LaunchTemplate, RequestLaunchTemplateData, ResourceType};

use crate::ec2::{
    answered, aws_type, created, generated_name, send_once, which_filter, Aws, Found,
};
use crate::error::{api_error, reference_not_found, EC2};
use crate::fields::{tagged, ARN, DESCRIPTION, INSTANCE_TYPE, NAME, USER_DATA};
use crate::tags;
use crate::values::arn;

const IMAGE_ID: Attr<String> = Attr::new("image_id");
const LATEST_VERSION: Attr<i64> = Attr::new("latest_version");
const DEFAULT_VERSION: Attr<i64> = Attr::new("default_version");

/// The attributes that go into a version's launch data.
const DATA: [Attr<String>; 4] = [DESCRIPTION, IMAGE_ID, INSTANCE_TYPE, USER_DATA];

static SCHEMA: LazyLock<ResourceSchema> = LazyLock::new(|| {
    let schema = ResourceSchema::new(
        "A launch template. A change of `image_id`, `instance_type` or `user_data` creates \
         a new version and makes it the default.",
    )
    .with(
        NAME.optional_computed()
            .force_new()
            .describe("The template's name, unique in the region; generated when left out."),
    )
    .with(
        DESCRIPTION
            .optional()
            .describe("A description of the template's versions."),
    )
    .with(
        IMAGE_ID
            .optional()
            .describe("The AMI instances launch from."),
    )
    .with(
        INSTANCE_TYPE
            .optional()
            .describe("The instance type, e.g. `t3.micro`."),
    )
    .with(
        USER_DATA
            .optional()
            .describe("Base64-encoded user data, as Terraform expects (`base64encode(…)`)."),
    );
    tagged(schema, false)
        .with(
            LATEST_VERSION
                .computed()
                .describe("The newest version number."),
        )
        .with(
            DEFAULT_VERSION
                .computed()
                .describe("The version launched by default."),
        )
});

/// Whether the launch data of `planned` differs from `prior`'s.
fn data_changed(prior: &Value, planned: &Value) -> bool {
    DATA.iter().any(|field| {
        let (_, before) = field.copied(prior);
        let (_, after) = field.copied(planned);
        before.equals(&after) != Some(true)
    })
}

fn data(planned: &Value) -> Result<RequestLaunchTemplateData, ProviderError> {
    Ok(RequestLaunchTemplateData::builder()
        .set_image_id(IMAGE_ID.get(planned)?)
        .set_instance_type(
            INSTANCE_TYPE
                .get(planned)?
                .as_deref()
                .map(InstanceType::from),
        )
        .set_user_data(USER_DATA.get(planned)?)
        .build())
}

pub(crate) struct AwsLaunchTemplate;

#[async_trait]
impl CloudType<Aws> for AwsLaunchTemplate {
    aws_type!("aws_launch_template", "launch template"; one by one);

    /// The schema-driven plan; a change of the launch data makes a new version, so the
    /// version numbers are known only after apply.
    async fn plan(
        &self,
        _: &Aws,
        schema: &ResourceSchema,
        request: PlanRequest,
    ) -> Result<PlanResponse, ProviderError> {
        let mut response = plan_resource(schema, &request)?;
        let Some(prior) = &request.prior else {
            return Ok(response);
        };
        if data_changed(prior, &response.planned) && !response.replaces() {
            let unknown = Value::unknown(Type::Number);
            response.planned = with_attributes(
                &response.planned,
                [
                    (LATEST_VERSION.name(), unknown.clone()),
                    (DEFAULT_VERSION.name(), unknown),
                ],
            );
        }
        Ok(response)
    }

    async fn create_call(
        &self,
        ec2: &Aws,
        planned: &Value,
        token: &CreateToken,
    ) -> Result<String, ProviderError> {
        let name = NAME.get(planned)?.unwrap_or_else(generated_name);
        let out = send_once!(ec2
            .client
            .create_launch_template()
            .launch_template_name(name)
            .set_version_description(DESCRIPTION.get(planned)?)
            .launch_template_data(data(planned)?)
            .set_tag_specifications(tags::creating(
                ResourceType::LaunchTemplate,
                planned,
                token,
            )?))
        .map_err(|e| reference_not_found(api_error("CreateLaunchTemplate", e)))?;
        created(
            "CreateLaunchTemplate",
            "LaunchTemplateId",
            out.launch_template()
                .and_then(LaunchTemplate::launch_template_id),
        )
    }

    /// Two calls per template (see the module doc).
    async fn describe(&self, ec2: &Aws, which: Which<'_>) -> Found {
        let ids = match which {
            Which::Ids(ids) => ids.to_vec(),
            Which::Token(token) => {
                let out = ec2
                    .client
                    .describe_launch_templates()
                    .filters(which_filter("launch-template-id", Which::Token(token)))
                    .send()
                    .await
                    .map_err(|e| api_error("DescribeLaunchTemplates", e))?;
                out.launch_templates()
                    .iter()
                    .filter_map(|t| t.launch_template_id().map(str::to_owned))
                    .collect()
            }
        };
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(value) = read_id(ec2, &id).await? {
                found.push((id, value));
            }
        }
        Ok(found)
    }

    async fn change(
        &self,
        ec2: &Aws,
        id: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<String, ProviderError> {
        if data_changed(prior, planned) {
            let out = ec2
                .client
                .create_launch_template_version()
                .launch_template_id(id)
                .set_version_description(DESCRIPTION.get(planned)?)
                .launch_template_data(data(planned)?)
                .send()
                .await
                .map_err(|e| reference_not_found(api_error("CreateLaunchTemplateVersion", e)))?;
            let version = out
                .launch_template_version()
                .and_then(|v| v.version_number())
                .ok_or_else(|| EC2.incomplete("CreateLaunchTemplateVersion", "VersionNumber"))?;
            ec2.client
                .modify_launch_template()
                .launch_template_id(id)
                .default_version(version.to_string())
                .send()
                .await
                .map_err(|e| api_error("ModifyLaunchTemplate", e))?;
        }
        tags::update(ec2, id, prior, planned).await?;
        Ok(id.to_owned())
    }

    async fn delete_call(&self, ec2: &Aws, id: &str, _: &Value) -> Result<(), ProviderError> {
        answered(
            "DeleteLaunchTemplate",
            ec2.client
                .delete_launch_template()
                .launch_template_id(id)
                .send()
                .await,
        )
    }
}

async fn read_id(ec2: &Aws, id: &str) -> Result<Option<Value>, ProviderError> {
    let described = ec2
        .client
        .describe_launch_templates()
        .launch_template_ids(id)
        .send()
        .await
        .map_err(|e| api_error("DescribeLaunchTemplates", e));
    let Some(described) = gone_as_none(described)? else {
        return Ok(None);
    };
    let Some(template) = described.launch_templates().first() else {
        return Ok(None);
    };
    let versions = ec2
        .client
        .describe_launch_template_versions()
        .launch_template_id(id)
        .versions("$Default")
        .send()
        .await
        .map_err(|e| api_error("DescribeLaunchTemplateVersions", e));
    let Some(versions) = gone_as_none(versions)? else {
        return Ok(None);
    };
    let version = versions.launch_template_versions().first();
    let data = version.and_then(|v| v.launch_template_data());
    let owner = template.created_by().and_then(|c| c.split(':').nth(4));
    Ok(Some(
        SCHEMA.instance([
            NAME.text(template.launch_template_name()),
            DESCRIPTION.text(version.and_then(|v| v.version_description())),
            IMAGE_ID.text(data.and_then(|d| d.image_id())),
            INSTANCE_TYPE.text(
                data.and_then(|d| d.instance_type())
                    .map(InstanceType::as_str),
            ),
            USER_DATA.text(data.and_then(|d| d.user_data())),
            tags::value(template.tags()),
            ID.to(id),
            (ARN.name(), arn(&ec2.region, owner, "launch-template", id)),
            LATEST_VERSION.to_opt(template.latest_version_number()),
            DEFAULT_VERSION.to_opt(template.default_version_number()),
        ]),
    ))
}
