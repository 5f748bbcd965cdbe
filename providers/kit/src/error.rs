//! One classification of API failures for every provider: an HTTP status and the cloud's
//! own error code become a [`Class`] (not found, conflict, throttled, transient, invalid
//! input, authentication), and a failed call becomes a [`ProviderError`] of the matching
//! kind that names the service and the operation, carries the cloud's code and message,
//! the delay the API asked for and help on what to do.
//!
//! A provider supplies what is particular to its cloud in a [`Classifier`]: its name, the
//! meaning of its error codes (AWS's `*.NotFound`, Google's `RESOURCE_EXHAUSTED`, ARM's
//! `ResourceGroupNotFound`), and its help texts. Everything else is decided here, by the
//! status, the same way for every cloud. The engine keys its retries on the kind alone.

use std::time::Duration;

use aic_provider::{ErrorKind, ProviderError};

/// What a failed API call means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The object does not exist.
    NotFound,
    /// The object's state conflicts with the call (exists already, in use, busy).
    Conflict,
    /// Rate limited: the call did not run; retry later.
    Throttled,
    /// A temporary failure (5xx, timeout, dropped connection): retry.
    Transient,
    /// The request carried a value the API refuses.
    InvalidInput,
    /// The credentials are missing, wrong or not allowed to make the call.
    Auth,
    /// Anything else.
    Other,
}

impl Class {
    /// The class an HTTP status stands for when the error code says nothing more.
    pub fn of_status(status: u16) -> Class {
        match status {
            401 | 403 => Class::Auth,
            404 | 410 => Class::NotFound,
            408 => Class::Transient,
            409 | 412 => Class::Conflict,
            429 => Class::Throttled,
            400 | 422 => Class::InvalidInput,
            500..=599 => Class::Transient,
            _ => Class::Other,
        }
    }

    /// The provider error kind of this class.
    pub fn kind(self) -> ErrorKind {
        match self {
            Class::NotFound => ErrorKind::NotFound,
            Class::Conflict => ErrorKind::Conflict,
            Class::Throttled => ErrorKind::Throttled,
            Class::Transient => ErrorKind::Transient,
            Class::InvalidInput | Class::Auth => ErrorKind::InvalidConfig,
            Class::Other => ErrorKind::Other,
        }
    }

    /// The class of a Google API error status (`google.rpc.Code` names, as GKE and every
    /// Google REST API report them in `error.status` and in failed operations).
    pub fn of_google_status(status: &str) -> Option<Class> {
        Some(match status {
            "NOT_FOUND" => Class::NotFound,
            "ALREADY_EXISTS" | "ABORTED" | "FAILED_PRECONDITION" => Class::Conflict,
            "RESOURCE_EXHAUSTED" => Class::Throttled,
            "UNAVAILABLE" | "INTERNAL" | "DEADLINE_EXCEEDED" | "UNKNOWN" => Class::Transient,
            "INVALID_ARGUMENT" | "OUT_OF_RANGE" => Class::InvalidInput,
            "PERMISSION_DENIED" | "UNAUTHENTICATED" => Class::Auth,
            _ => return None,
        })
    }

    /// The class of an Azure Resource Manager error code (`error.code`) that its status
    /// alone would misjudge; `None` leaves the decision to the status.
    pub fn of_arm_code(code: &str) -> Option<Class> {
        Some(match code {
            "ResourceNotFound"
            | "ResourceGroupNotFound"
            | "NotFound"
            | "ParentResourceNotFound" => Class::NotFound,
            "Conflict"
            | "AnotherOperationInProgress"
            | "OperationNotAllowed"
            | "RetryableError" => Class::Conflict,
            "TooManyRequests" | "SubscriptionRequestsThrottled" | "OperationPreempted" => {
                Class::Throttled
            }
            "InternalServerError" | "ServerTimeout" | "ServiceUnavailable" => Class::Transient,
            "AuthorizationFailed" | "InvalidAuthenticationToken" | "ExpiredAuthenticationToken" => {
                Class::Auth
            }
            _ => return None,
        })
    }
}

/// What a provider says about its cloud's errors.
#[derive(Debug, Clone, Copy)]
pub struct Classifier {
    /// The service in messages: "EC2 CreateVpc failed".
    pub service: &'static str,
    /// The class of an error code, given the HTTP status when known; `None` lets the
    /// status decide.
    pub by_code: fn(code: &str, status: Option<u16>) -> Option<Class>,
    /// Help for [`Class::Auth`]: where the credentials come from.
    pub auth_help: &'static str,
    /// Help for an endpoint that cannot be reached: which settings point at it.
    pub unreachable_help: &'static str,
}

/// Help for [`Class::InvalidInput`].
const INVALID_HELP: &str = "The API rejected a value of the configuration; correct it as the \
                            message says and run the command again.";

/// A failed API call, as the cloud reported it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiFailure {
    /// The operation, e.g. `CreateVpc` or `clusters.create`.
    pub operation: String,
    /// The HTTP status, when an answer arrived.
    pub status: Option<u16>,
    /// The cloud's error code (`InvalidVpcID.NotFound`, `RESOURCE_EXHAUSTED`).
    pub code: Option<String>,
    /// The cloud's error message.
    pub message: Option<String>,
    /// The request id the cloud assigned, for its support.
    pub request_id: Option<String>,
    /// The delay the answer asked for (`Retry-After`).
    pub retry_after: Option<Duration>,
    /// What else is known (the client's own description), for answers without a code.
    pub detail: Option<String>,
}

impl ApiFailure {
    /// A failure of `operation`, to be filled in with the builder methods.
    pub fn new(operation: impl Into<String>) -> ApiFailure {
        ApiFailure {
            operation: operation.into(),
            ..ApiFailure::default()
        }
    }

    #[must_use]
    pub fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    #[must_use]
    pub fn code(mut self, code: impl Into<String>, message: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self.message = Some(message.into());
        self
    }

    #[must_use]
    pub fn request_id(mut self, id: impl Into<String>) -> Self {
        self.request_id = Some(id.into());
        self
    }

    #[must_use]
    pub fn retry_after(mut self, delay: Option<Duration>) -> Self {
        self.retry_after = delay;
        self
    }

    #[must_use]
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// The class of this failure under `classifier`'s codes: the code decides when the
    /// classifier knows it, the status otherwise.
    pub fn class(&self, classifier: &Classifier) -> Class {
        self.code
            .as_deref()
            .and_then(|code| (classifier.by_code)(code, self.status))
            .or_else(|| self.status.map(Class::of_status))
            .unwrap_or(Class::Other)
    }

    /// The provider error for this failure.
    pub fn into_error(self, classifier: &Classifier) -> ProviderError {
        let class = self.class(classifier);
        let service = classifier.service;
        let operation = &self.operation;
        let mut error = match &self.code {
            Some(code) => {
                let request = self
                    .request_id
                    .as_ref()
                    .map(|id| format!(" (request {id})"))
                    .unwrap_or_default();
                ProviderError::new(
                    class.kind(),
                    format!("{service} {operation} failed{request}"),
                )
                .with_cloud(code.clone(), self.message.clone().unwrap_or_default())
            }
            None => {
                let status = self
                    .status
                    .map_or_else(|| "no".to_owned(), |s| s.to_string());
                let detail = self
                    .detail
                    .as_ref()
                    .or(self.message.as_ref())
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default();
                ProviderError::new(
                    class.kind(),
                    format!(
                        "{service} {operation} failed with HTTP status {status} and no error code{detail}"
                    ),
                )
            }
        };
        if let Some(delay) = self.retry_after {
            error = error.with_retry_after(delay);
        }
        match class {
            Class::Auth => error.with_help(classifier.auth_help),
            Class::InvalidInput => error.with_help(INVALID_HELP),
            _ => error,
        }
    }
}

impl Classifier {
    /// The error for a call that got no answer: the endpoint could not be reached, the
    /// connection dropped, or the answer did not come in time. Transient: aic retries.
    pub fn unreachable(&self, operation: &str, detail: impl std::fmt::Display) -> ProviderError {
        ProviderError::transient(format!(
            "{} {operation} could not reach the endpoint: {detail}",
            self.service
        ))
        .with_help(self.unreachable_help)
    }

    /// The error for an answer that lacks a field the API always sends.
    pub fn incomplete(&self, operation: &str, field: &str) -> ProviderError {
        ProviderError::other(format!(
            "{} {operation} answered without `{field}`; the endpoint may not be {}",
            self.service, self.service
        ))
    }
}

/// A `Retry-After` header value in seconds (`"2"`, `"0.5"`); `None` for anything else
/// (HTTP dates are not used by the APIs aic talks to).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
}

/// The code and message of a JSON error body, whichever of the common shapes it has:
/// ARM's `{"error":{"code","message"}}`, Google's `{"error":{"code":404,"status",
/// "message"}}` (the `status` name is the code) and `{"errors":[{"code","message"}]}`.
pub fn json_error(body: &serde_json::Value) -> Option<(String, String)> {
    let text = |v: Option<&serde_json::Value>| -> Option<String> {
        match v? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let error = body
        .get("error")
        .or_else(|| body.get("errors").and_then(|e| e.get(0)))?;
    let code = text(error.get("status"))
        .filter(|s| s.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .or_else(|| text(error.get("code")))?;
    let message = text(error.get("message")).unwrap_or_default();
    Some((code, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aws_like(code: &str, status: Option<u16>) -> Option<Class> {
        if code.ends_with(".NotFound") {
            Some(Class::NotFound)
        } else if code == "RequestLimitExceeded" {
            Some(Class::Throttled)
        } else if status.is_some_and(|s| s >= 500) {
            None
        } else {
            Some(Class::Other)
        }
    }

    const CLASSIFIER: Classifier = Classifier {
        service: "EC2",
        by_code: aws_like,
        auth_help: "Check the credentials.",
        unreachable_help: "Check the endpoint.",
    };

    #[test]
    fn codes_decide_before_statuses() {
        let class = |code: Option<&str>, status: Option<u16>| {
            let mut f = ApiFailure::new("Op");
            f.code = code.map(str::to_owned);
            f.status = status;
            f.class(&CLASSIFIER)
        };
        assert_eq!(
            class(Some("InvalidVpcID.NotFound"), Some(400)),
            Class::NotFound
        );
        assert_eq!(
            class(Some("RequestLimitExceeded"), Some(503)),
            Class::Throttled
        );
        assert_eq!(class(Some("Whatever"), Some(502)), Class::Transient);
        assert_eq!(class(Some("Whatever"), Some(400)), Class::Other);
        assert_eq!(class(None, Some(429)), Class::Throttled);
        assert_eq!(class(None, Some(403)), Class::Auth);
        assert_eq!(class(None, None), Class::Other);
    }

    #[test]
    fn errors_name_service_operation_and_cloud_code() {
        let err = ApiFailure::new("CreateVpc")
            .status(503)
            .code("RequestLimitExceeded", "Request limit exceeded.")
            .request_id("r-1")
            .retry_after(Some(Duration::from_secs(2)))
            .into_error(&CLASSIFIER);
        assert_eq!(err.kind(), ErrorKind::Throttled);
        assert_eq!(
            err.to_string(),
            "EC2 CreateVpc failed (request r-1) (RequestLimitExceeded: Request limit exceeded.)"
        );
        assert_eq!(err.retry_after(), Some(Duration::from_secs(2)));

        let err = ApiFailure::new("DescribeVpcs")
            .status(502)
            .detail("bad gateway")
            .into_error(&CLASSIFIER);
        assert_eq!(err.kind(), ErrorKind::Transient);
        assert_eq!(
            err.to_string(),
            "EC2 DescribeVpcs failed with HTTP status 502 and no error code: bad gateway"
        );

        let err = ApiFailure::new("Get").status(401).into_error(&CLASSIFIER);
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        assert_eq!(err.help_text(), "Check the credentials.");

        let err = CLASSIFIER.unreachable("DescribeVpcs", "connection refused");
        assert!(err.is_retryable());
        assert_eq!(err.help_text(), "Check the endpoint.");
    }

    #[test]
    fn google_and_arm_codes() {
        assert_eq!(
            Class::of_google_status("RESOURCE_EXHAUSTED"),
            Some(Class::Throttled)
        );
        assert_eq!(
            Class::of_google_status("FAILED_PRECONDITION"),
            Some(Class::Conflict)
        );
        assert_eq!(
            Class::of_arm_code("ResourceGroupNotFound"),
            Some(Class::NotFound)
        );
        assert_eq!(Class::of_arm_code("SomethingElse"), None);
    }

    #[test]
    fn json_error_bodies_of_each_shape() {
        let arm = serde_json::json!({"error": {"code": "ResourceNotFound", "message": "no vm"}});
        assert_eq!(
            json_error(&arm),
            Some(("ResourceNotFound".into(), "no vm".into()))
        );
        let google = serde_json::json!({"error": {"code": 404, "message": "no cluster", "status": "NOT_FOUND"}});
        assert_eq!(
            json_error(&google),
            Some(("NOT_FOUND".into(), "no cluster".into()))
        );
        let list = serde_json::json!({"errors": [{"code": "1234", "message": "bad"}]});
        assert_eq!(json_error(&list), Some(("1234".into(), "bad".into())));
        assert_eq!(json_error(&serde_json::json!({"ok": true})), None);
    }

    #[test]
    fn retry_after_in_seconds() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }
}
