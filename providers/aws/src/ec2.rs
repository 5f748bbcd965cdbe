//! [`Aws`]: the `aws` provider's clients for one configuration (EC2, IoT and Greengrass V2
//! SDK clients sharing one SDK configuration), the context its types' operations receive;
//! and what the EC2 calls share: filters, paged `Describe*` calls, the create-token tag,
//! creating calls without the SDK's blind retries.

use std::error::Error;
use std::time::{SystemTime, UNIX_EPOCH};

use aic_provider::ProviderError;
use aic_provider_kit::{Backoff, Context, CreateToken, Timing, Which};
use async_trait::async_trait;
use aws_sdk_ec2::config::http::HttpResponse;
use aws_sdk_ec2::config::retry::RetryConfig;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::types::{Filter, Tag};
use aws_smithy_async::future::pagination_stream::PaginationStream;

use crate::config::Clients;
use crate::error::api_error;

/// The `aws` provider's clients for one region and set of credentials.
#[derive(Debug, Clone)]
pub struct Aws {
    /// The EC2 client.
    pub(crate) client: aws_sdk_ec2::Client,
    pub(crate) iot: aws_sdk_iot::Client,
    pub(crate) greengrass: aws_sdk_greengrassv2::Client,
    pub(crate) region: String,
    pub(crate) timing: Timing,
    /// Leave the create-token tag on new objects (see [`Aws::keeping_create_tokens`]).
    pub(crate) keep_tokens: bool,
}

impl Aws {
    /// A client around existing SDK clients (for tests and tools).
    pub fn new(clients: Clients, region: impl Into<String>, timing: Timing) -> Aws {
        Aws {
            client: clients.ec2,
            iot: clients.iot,
            greengrass: clients.greengrass,
            region: region.into(),
            timing,
            keep_tokens: false,
        }
    }

    /// This client leaving the create-token tag on the objects it creates, as a create
    /// whose answer was lost leaves it: how the conformance run makes the object of such a
    /// create for the engine's crash recovery to find.
    #[must_use]
    pub fn keeping_create_tokens(mut self) -> Self {
        self.keep_tokens = true;
        self
    }

    /// The EC2 SDK client, for callers that need an operation the provider does not offer.
    pub fn client(&self) -> &aws_sdk_ec2::Client {
        &self.client
    }

    /// The IoT SDK client.
    pub fn iot(&self) -> &aws_sdk_iot::Client {
        &self.iot
    }

    /// The Greengrass V2 SDK client.
    pub fn greengrass(&self) -> &aws_sdk_greengrassv2::Client {
        &self.greengrass
    }

    /// The region this client talks to.
    pub fn region(&self) -> &str {
        &self.region
    }
}

#[async_trait]
impl Context for Aws {
    fn timing(&self) -> Timing {
        self.timing
    }

    /// `DeleteTags` of the [`TOKEN_TAG`] (objects that take no tags answer an error,
    /// ignored: they carry no token).
    async fn forget_token(&self, id: &str, token: &CreateToken) {
        // Only EC2 objects carry the token as a tag that goes; IoT objects are found by
        // name, Greengrass ones keep it (see their modules).
        if self.keep_tokens || !is_ec2_id(id) {
            return;
        }
        let tag = Tag::builder().key(TOKEN_TAG).value(token.as_str()).build();
        let _ = self
            .client
            .delete_tags()
            .resources(id)
            .tags(tag)
            .send()
            .await;
    }

    /// Retries of creating calls, scaled to the polling intervals (short against
    /// emulators).
    fn backoff(&self) -> Backoff {
        Backoff {
            base: self.timing.poll_interval / 4,
            max: self.timing.max_poll_interval,
            ..Backoff::default()
        }
    }
}

/// Whether `id` is the id of an EC2 object of this provider (`vpc-0a1b…`).
fn is_ec2_id(id: &str) -> bool {
    id.split_once('-').is_some_and(|(kind, rest)| {
        matches!(
            kind,
            "vpc" | "subnet" | "igw" | "rtb" | "rtbassoc" | "sg" | "lt" | "i"
        ) && !rest.is_empty()
            && rest.chars().all(|c| c.is_ascii_hexdigit())
    })
}

/// At most this many ids per filter of a bulk `Describe*` call (EC2 accepts up to 200
/// values per filter).
pub(crate) const IDS_PER_CALL: usize = 200;

/// The tag every object aic creates carries, with the create's token as value, until the
/// create's answer arrives: how the object of a create whose answer was lost is found.
/// Tags starting with `aic:` are not read back into `tags`.
pub(crate) const TOKEN_TAG: &str = "aic:create-token";

/// A name for an object the configuration does not name: unique enough, like
/// Terraform's `terraform-…` names.
pub(crate) fn generated_name() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("aic-{nanos:x}")
}

/// A `Describe*` filter.
pub(crate) fn filter<S: Into<String>>(name: &str, values: impl IntoIterator<Item = S>) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.into_iter().map(Into::into).collect()))
        .build()
}

/// The filter selecting `which` objects, whose ids filter `id_filter` takes
/// (`vpc-id`); objects of a create token by their [`TOKEN_TAG`].
pub(crate) fn which_filter(id_filter: &str, which: Which<'_>) -> Filter {
    match which {
        Which::Ids(ids) => filter(id_filter, ids.iter().cloned()),
        Which::Token(token) => filter(&format!("tag:{TOKEN_TAG}"), [token.as_str()]),
    }
}

/// Every page of a paged `Describe*` call of `operation`.
pub(crate) async fn pages<O, E>(
    operation: &str,
    stream: PaginationStream<Result<O, SdkError<E, HttpResponse>>>,
) -> Result<Vec<O>, ProviderError>
where
    E: ProvideErrorMetadata + Error + Send + Sync + 'static,
{
    stream
        .try_collect()
        .await
        .map_err(|e| api_error(operation, e))
}

/// The configuration of a creating call: no retries by the SDK, which would repeat a
/// call whose answer was lost and make a second object; [`aic_provider_kit::create::make`]
/// retries it, looking for the object first.
pub(crate) fn without_retries() -> aws_sdk_ec2::config::Builder {
    aws_sdk_ec2::config::Builder::default().retry_config(RetryConfig::disabled())
}

/// The answer of a call whose output does not matter (a delete): success or the
/// operation's error.
pub(crate) fn answered<O, E>(
    operation: &str,
    answer: Result<O, SdkError<E, HttpResponse>>,
) -> Result<(), ProviderError>
where
    E: ProvideErrorMetadata + Error + Send + Sync + 'static,
{
    answer.map(|_| ()).map_err(|e| api_error(operation, e))
}

/// The id a creating call `operation` answered, as `field`; an error when it is missing.
pub(crate) fn created(
    operation: &str,
    field: &str,
    id: Option<&str>,
) -> Result<String, ProviderError> {
    id.map(str::to_owned)
        .ok_or_else(|| crate::error::EC2.incomplete(operation, field))
}

/// Sends a creating call's request builder once, without the SDK's retries (see
/// [`without_retries`]).
macro_rules! send_once {
    ($request:expr) => {
        $request
            .customize()
            .config_override($crate::ec2::without_retries())
            .send()
            .await
    };
}
pub(crate) use send_once;

/// What every type's [`aic_provider_kit::CloudType`] implementation says alike: its
/// name, its schema (the module's `SCHEMA`), the noun for one object, and
/// [`IDS_PER_CALL`]. Used inside the `impl`: `aws_type!("aws_subnet", "subnet");`.
/// `aws_type!("aws_launch_template", "launch template"; one by one)` leaves
/// `ids_per_call` at the kit's default, for a type that reads its objects one at a time.
macro_rules! aws_type {
    ($name:literal, $noun:literal) => {
        $crate::ec2::aws_type!($name, $noun; one by one);

        fn ids_per_call(&self) -> usize {
            $crate::ec2::IDS_PER_CALL
        }
    };
    ($name:literal, $noun:literal; one by one) => {
        fn type_name(&self) -> &'static str {
            $name
        }

        fn schema(&self) -> aic_provider::ResourceSchema {
            SCHEMA.clone()
        }

        fn noun(&self) -> &'static str {
            $noun
        }
    };
}
pub(crate) use aws_type;

/// What a [`aic_provider_kit::CloudType::describe`] answers.
pub(crate) type Found = Result<Vec<(String, aic_lang::value::Value)>, ProviderError>;

/// The body of a `describe` that is one paged `Describe*` call filtered by id (or by
/// create token): the objects of every page, each with its id and its value.
///
/// `described!(ec2, which, "DescribeSubnets": describe_subnets("subnet-id") => subnets.subnet_id, value)`
/// calls `ec2.client.describe_subnets()` filtered on `subnet-id`, takes each page's
/// `subnets()`, and maps each with an id (`subnet_id()`) to `value(ec2, subnet, id)`.
macro_rules! described {
    ($ec2:ident, $which:ident, $operation:literal: $call:ident($id_filter:literal) => $list:ident.$id:ident, $value:path) => {{
        let pages = $crate::ec2::pages(
            $operation,
            $ec2.client
                .$call()
                .filters($crate::ec2::which_filter($id_filter, $which))
                .into_paginator()
                .send(),
        )
        .await?;
        Ok(pages
            .iter()
            .flat_map(|page| page.$list())
            .filter_map(|object| {
                let id = object.$id()?;
                Some((id.to_owned(), $value($ec2, object, id)))
            })
            .collect())
    }};
}
pub(crate) use described;
