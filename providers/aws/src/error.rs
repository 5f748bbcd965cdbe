//! AWS errors as [`ProviderError`]s: the kind the engine acts on (retry, gone, stop), the
//! service and operation that failed (EC2, IoT or Greengrass V2), AWS's own error code and
//! message, and what to do. The classification and the wording are the kit's
//! ([`aic_provider_kit::error`]); what is AWS's is here.
//!
//! The kind is decided by the AWS error code, as the engine's retries key on kinds
//! and never on messages: `*.NotFound` → `NotFound`, `RequestLimitExceeded` /
//! `Throttling` → `Throttled`, 5xx and unreachable endpoints → `Transient`, state
//! conflicts → `Conflict`, rejected parameters and credentials → `InvalidConfig`. An HTML
//! page instead of an API answer (an emulator lacking the operation) is `Unsupported`.
//! The JSON services' codes (`ResourceNotFoundException`, `ConflictException`,
//! `ResourceAlreadyExistsException`, `ValidationException`, `InternalServerException`, …)
//! follow the same rules.

use aic_provider::{ErrorKind, ProviderError};
use aic_provider_kit::error::{parse_retry_after, ApiFailure, Class, Classifier};
use aws_sdk_ec2::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::operation::RequestId;

use crate::config::{is_html_error, Service};

const UNREACHABLE_HELP: &str = "Check the network and the provider's `region`, `endpoint` and \
     `endpoints`. aic retries with backoff.";

/// What is particular to EC2's errors; the rest is the kit's classification.
pub(crate) const EC2: Classifier = Classifier {
    service: "EC2",
    by_code,
    auth_help: CREDENTIALS_HELP,
    unreachable_help: UNREACHABLE_HELP,
};

/// AWS IoT's.
pub(crate) const IOT: Classifier = Classifier {
    service: "IoT",
    ..EC2
};

/// AWS IoT Greengrass V2's.
pub(crate) const GREENGRASS: Classifier = Classifier {
    service: "Greengrass V2",
    ..EC2
};

impl Service {
    fn classifier(self) -> &'static Classifier {
        match self {
            Service::Aws => &EC2,
            Service::Iot => &IOT,
            Service::GreengrassV2 => &GREENGRASS,
        }
    }
}

/// The [`ProviderError`] for a failed call of EC2 operation `operation`
/// (`"DescribeInstances"`).
pub fn api_error<E>(operation: &str, err: SdkError<E>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    service_error(Service::Aws, operation, err)
}

/// The [`ProviderError`] for a failed call of `service`'s operation `operation`
/// (`"CreateDeployment"`), naming that service.
pub fn service_error<E>(service: Service, operation: &str, err: SdkError<E>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let classifier = service.classifier();
    let title = service.title();
    let raw = err.raw_response();
    let status = raw.map(|r| r.status().as_u16());
    let content_type = raw.and_then(|r| r.headers().get("content-type"));
    if let Some(status) = status.filter(|s| is_html_error(*s, content_type)) {
        return ProviderError::unsupported(format!(
            "the {title} endpoint does not implement {operation}: it answered HTTP {status} \
             with an HTML page instead of a {title} response"
        ))
        .with_help(format!(
            "Emulators such as moto answer this way for operations they lack. Use an endpoint \
             that implements {operation}, or leave out what needs it."
        ));
    }
    match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => {
            return classifier.unreachable(operation, DisplayErrorContext(&err));
        }
        SdkError::ConstructionFailure(_) => {
            return ProviderError::invalid_config(format!(
                "{title} {operation} could not be sent: {}",
                DisplayErrorContext(&err)
            ))
            .with_help(CREDENTIALS_HELP);
        }
        _ => {}
    }
    let retry_after = raw
        .and_then(|r| r.headers().get("retry-after"))
        .and_then(parse_retry_after);
    let mut failure = ApiFailure::new(operation).retry_after(retry_after);
    if let Some(status) = status {
        failure = failure.status(status);
    }
    match err.code() {
        Some(code) => {
            failure = failure.code(code, err.message().unwrap_or_default());
            if let Some(id) = err.request_id() {
                failure = failure.request_id(id);
            }
        }
        None => failure = failure.detail(DisplayErrorContext(&err).to_string()),
    }
    failure.into_error(classifier)
}

const CREDENTIALS_HELP: &str = "Check the credentials: set `access_key` and `secret_key` \
     (or `profile`) in the `provider aws` block, or the `AWS_ACCESS_KEY_ID` and \
     `AWS_SECRET_ACCESS_KEY` environment variables, and that they may call this service in \
     this region.";

fn is_credentials_error(code: &str) -> bool {
    matches!(
        code,
        "AuthFailure"
            | "UnauthorizedOperation"
            | "InvalidClientTokenId"
            | "SignatureDoesNotMatch"
            | "ExpiredToken"
            | "OptInRequired"
            | "Blocked"
            | "AccessDeniedException"
            | "UnauthorizedException"
            | "MissingAuthenticationTokenException"
    )
}

/// The class of an AWS error code; `None` for an unknown code of a 5xx answer (the status
/// decides: transient).
fn by_code(code: &str, status: Option<u16>) -> Option<Class> {
    Some(
        if code.ends_with(".NotFound") || code.ends_with("NotFoundException") || code == "NotFound"
        {
            Class::NotFound
        } else if matches!(
            code,
            "RequestLimitExceeded"
                | "Throttling"
                | "ThrottlingException"
                | "RequestThrottled"
                | "RequestThrottledException"
                | "TooManyRequestsException"
                | "PriorRequestNotComplete"
        ) {
            Class::Throttled
        } else if matches!(
            code,
            "InternalError"
                | "InternalFailure"
                | "ServiceUnavailable"
                | "Unavailable"
                | "InternalServerException"
                | "InternalFailureException"
                | "ServiceUnavailableException"
        ) {
            Class::Transient
        } else if status.is_some_and(|s| s >= 500) {
            return None;
        } else if matches!(
            code,
            "DependencyViolation"
                | "IncorrectState"
                | "IncorrectInstanceState"
                | "InvalidVpcState"
                | "Resource.AlreadyAssociated"
                | "InvalidGroup.InUse"
                | "InvalidSubnet.Conflict"
                | "ConflictException"
                | "VersionConflictException"
                | "ResourceAlreadyExistsException"
        ) || code.ends_with(".Duplicate")
            || code.ends_with(".InUse")
            || code.ends_with("AlreadyExists")
        {
            Class::Conflict
        } else if is_credentials_error(code) {
            Class::Auth
        } else if code.starts_with("Invalid")
            || code.starts_with("Missing")
            || code.starts_with("Unsupported")
            || code.ends_with(".Malformed")
            || code.ends_with(".Range")
            || code == "ValidationError"
            || code == "ValidationException"
        {
            Class::InvalidInput
        } else {
            Class::Other
        },
    )
}

/// The kind of failure an AWS error code (and HTTP status) stands for.
pub fn kind_of(code: &str, status: u16) -> ErrorKind {
    ApiFailure::new("")
        .status(status)
        .code(code, "")
        .class(&EC2)
        .kind()
}

/// A `NotFound` error about a referenced object, raised while creating or changing
/// another one: the configuration is at fault, not the state.
pub fn reference_not_found(err: ProviderError) -> ProviderError {
    if err.kind() != ErrorKind::NotFound {
        return err;
    }
    let mut out = ProviderError::invalid_config(err.message().to_owned()).with_help(
        "An object this one refers to does not exist in this region (an id, an AMI, a \
         zone); check the references in the configuration.",
    );
    if let Some(cloud) = err.cloud() {
        out = out.with_cloud(cloud.code.clone(), cloud.message.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_kinds() {
        for (code, status, kind) in [
            ("InvalidInstanceID.NotFound", 400, ErrorKind::NotFound),
            ("InvalidVpcID.NotFound", 400, ErrorKind::NotFound),
            (
                "InvalidLaunchTemplateName.NotFoundException",
                400,
                ErrorKind::NotFound,
            ),
            ("RequestLimitExceeded", 503, ErrorKind::Throttled),
            ("Throttling", 400, ErrorKind::Throttled),
            ("InternalError", 500, ErrorKind::Transient),
            ("Whatever", 502, ErrorKind::Transient),
            ("DependencyViolation", 400, ErrorKind::Conflict),
            ("InvalidGroup.Duplicate", 400, ErrorKind::Conflict),
            ("IncorrectInstanceState", 400, ErrorKind::Conflict),
            ("InvalidParameterValue", 400, ErrorKind::InvalidConfig),
            ("InvalidSubnet.Range", 400, ErrorKind::InvalidConfig),
            ("AuthFailure", 401, ErrorKind::InvalidConfig),
            ("InsufficientInstanceCapacity", 400, ErrorKind::Other),
            ("ResourceNotFoundException", 404, ErrorKind::NotFound),
            ("ConflictException", 409, ErrorKind::Conflict),
            ("ResourceAlreadyExistsException", 409, ErrorKind::Conflict),
            ("ValidationException", 400, ErrorKind::InvalidConfig),
            ("InvalidRequestException", 400, ErrorKind::InvalidConfig),
            ("InternalServerException", 500, ErrorKind::Transient),
            ("ThrottlingException", 429, ErrorKind::Throttled),
        ] {
            assert_eq!(kind_of(code, status), kind, "{code}");
        }
    }

    #[test]
    fn missing_references_are_configuration_errors() {
        let err = reference_not_found(
            ProviderError::not_found("EC2 RunInstances failed").with_cloud(
                "InvalidAMIID.NotFound",
                "The image id '[ami-1]' does not exist",
            ),
        );
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        assert_eq!(
            err.cloud().map(|c| c.code.as_str()),
            Some("InvalidAMIID.NotFound")
        );
    }
}
