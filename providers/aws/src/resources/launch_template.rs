//! `aws_launch_template`: `CreateLaunchTemplate`; a change of the launch data creates a
//! new version (`CreateLaunchTemplateVersion`) and makes it the default
//! (`ModifyLaunchTemplate`). A read describes the template and its default version: two
//! calls per template, as the API describes versions of one template at a time.

use aic_lang::value::Value;
use aic_provider::{Attributes, ProviderError};
use aws_sdk_ec2::types::{InstanceType, LaunchTemplate, RequestLaunchTemplateData, ResourceType};

use crate::ec2::{ids, incomplete, object, Ec2};
use crate::error::{api_error, gone_as_none, reference_not_found};
use crate::values::{arn, number, opt_string};
use crate::{tags, values, wait};

const TYPE: &str = "aws_launch_template";

/// The attributes that go into a version's launch data.
const DATA: [&str; 4] = ["description", "image_id", "instance_type", "user_data"];

fn data(planned: &Value) -> Result<RequestLaunchTemplateData, ProviderError> {
    let attrs = Attributes::new(planned);
    Ok(RequestLaunchTemplateData::builder()
        .set_image_id(attrs.opt_string("image_id")?.map(str::to_owned))
        .set_instance_type(attrs.opt_string("instance_type")?.map(InstanceType::from))
        .set_user_data(attrs.opt_string("user_data")?.map(str::to_owned))
        .build())
}

fn generated_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("aic-{nanos:x}")
}

pub async fn create(ec2: &Ec2, planned: &Value) -> Result<Value, ProviderError> {
    let attrs = Attributes::new(planned);
    let name = attrs
        .opt_string("name")?
        .map_or_else(generated_name, str::to_owned);
    let out = ec2
        .client
        .create_launch_template()
        .launch_template_name(name)
        .set_version_description(attrs.opt_string("description")?.map(str::to_owned))
        .launch_template_data(data(planned)?)
        .set_tag_specifications(tags::specification(ResourceType::LaunchTemplate, planned)?)
        .send()
        .await
        .map_err(|e| reference_not_found(api_error("CreateLaunchTemplate", e)))?;
    let id = out
        .launch_template()
        .and_then(LaunchTemplate::launch_template_id)
        .ok_or_else(|| incomplete("CreateLaunchTemplate", "LaunchTemplateId"))?;
    visible(ec2, id).await
}

async fn visible(ec2: &Ec2, id: &str) -> Result<Value, ProviderError> {
    wait::until(
        ec2.timing,
        &format!("launch template {id} to exist"),
        || read_id(ec2, id),
    )
    .await
}

/// One read per template (see the module doc).
pub async fn read_many(ec2: &Ec2, priors: &[Value]) -> Vec<Result<Option<Value>, ProviderError>> {
    let mut out = Vec::with_capacity(priors.len());
    for id in ids(priors) {
        out.push(match id {
            Ok(id) => read_id(ec2, &id).await,
            Err(e) => Err(e),
        });
    }
    out
}

async fn read_id(ec2: &Ec2, id: &str) -> Result<Option<Value>, ProviderError> {
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
    Ok(Some(object(
        TYPE,
        [
            ("name", opt_string(template.launch_template_name())),
            (
                "description",
                opt_string(version.and_then(|v| v.version_description())),
            ),
            ("image_id", opt_string(data.and_then(|d| d.image_id()))),
            (
                "instance_type",
                opt_string(
                    data.and_then(|d| d.instance_type())
                        .map(InstanceType::as_str),
                ),
            ),
            ("user_data", opt_string(data.and_then(|d| d.user_data()))),
            ("tags", tags::value(template.tags())),
            ("id", Value::string(id)),
            ("arn", arn(&ec2.region, owner, "launch-template", id)),
            (
                "latest_version",
                template
                    .latest_version_number()
                    .map_or_else(Value::null, |n| number(n as f64)),
            ),
            (
                "default_version",
                template
                    .default_version_number()
                    .map_or_else(Value::null, |n| number(n as f64)),
            ),
        ],
    )))
}

pub async fn update(ec2: &Ec2, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let id = values::id(prior)?;
    let data_changed = DATA
        .iter()
        .any(|name| values::attr(prior, name).equals(&values::attr(planned, name)) != Some(true));
    if data_changed {
        let out = ec2
            .client
            .create_launch_template_version()
            .launch_template_id(id)
            .set_version_description(
                Attributes::new(planned)
                    .opt_string("description")?
                    .map(str::to_owned),
            )
            .launch_template_data(data(planned)?)
            .send()
            .await
            .map_err(|e| reference_not_found(api_error("CreateLaunchTemplateVersion", e)))?;
        let version = out
            .launch_template_version()
            .and_then(|v| v.version_number())
            .ok_or_else(|| incomplete("CreateLaunchTemplateVersion", "VersionNumber"))?;
        ec2.client
            .modify_launch_template()
            .launch_template_id(id)
            .default_version(version.to_string())
            .send()
            .await
            .map_err(|e| api_error("ModifyLaunchTemplate", e))?;
    }
    tags::update(ec2, id, prior, planned).await?;
    visible(ec2, id).await
}

pub async fn delete(ec2: &Ec2, prior: &Value) -> Result<(), ProviderError> {
    let deleted = ec2
        .client
        .delete_launch_template()
        .launch_template_id(values::id(prior)?)
        .send()
        .await
        .map_err(|e| api_error("DeleteLaunchTemplate", e));
    gone_as_none(deleted).map(|_| ())
}
