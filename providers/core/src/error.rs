//! Provider errors: one enum, one variant per [`ErrorKind`], a stable code per variant
//! (`E0701`…`E0707`), the cloud's own error code and message when there is one, and help
//! text. The engine decides what to do from the kind alone — retry
//! ([`ProviderError::is_retryable`]), treat as gone, or stop — so providers map their
//! SDK's errors onto kinds carefully and keep the original code for the user.
//!
//! A create that fails after its object came into being (an operation that ended in a
//! failed state, leaving the object behind) says so with [`ProviderError::with_object`]:
//! the engine records that object in the state, tainted, and the next plan replaces it —
//! as Terraform does with a create that returns an error and a new state.

use std::fmt;
use std::time::Duration;

use aic_lang::value::{AttrPath, Value};

use miette::Diagnostic;
use thiserror::Error;

/// What kind of failure a provider reports; the engine's retry and refresh logic keys on
/// this, never on messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The object does not exist (any more).
    NotFound,
    /// The API refused the call because of rate limits; retry later.
    Throttled,
    /// A temporary failure (HTTP 5xx, a timeout, a dropped connection); retry.
    Transient,
    /// The configuration is invalid for this provider or API.
    InvalidConfig,
    /// The object is in a state that conflicts with the operation (already exists, in
    /// use, being modified).
    Conflict,
    /// The provider does not support the operation or the type.
    Unsupported,
    /// Anything else.
    Other,
}

impl ErrorKind {
    /// The diagnostic code of this kind (see [`crate::codes`]).
    pub fn code(self) -> &'static str {
        crate::codes::of_kind(self).id
    }

    /// Whether an operation that failed this way may succeed when retried unchanged.
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorKind::Throttled | ErrorKind::Transient)
    }
}

/// The error as the cloud API reported it, e.g. `InvalidInstanceID.NotFound` and its
/// message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudError {
    pub code: String,
    pub message: String,
}

/// What every provider error carries, whatever its kind.
///
/// Equal when every field is; objects compare by [`Value::total_cmp`] (a total order,
/// so equality is an equivalence even with numbers).
#[derive(Debug, Clone)]
pub struct ErrorDetail {
    /// What failed, in words, e.g. "could not write `out/motd.txt`: Permission denied".
    pub message: String,
    /// The cloud's own error, when the failure came from an API.
    pub cloud: Option<CloudError>,
    /// A sentence on what the user can do; each kind has a default.
    pub help: Option<String>,
    /// The resource instance the error is about, attached by the engine
    /// (`module.web.aws_instance.app[0]`).
    pub address: Option<String>,
    /// How long the API asked the caller to wait before retrying (`Retry-After`).
    pub retry_after: Option<Duration>,
    /// The attribute of the object's configuration the error is about, when the provider
    /// knows it: the engine points the diagnostic at it.
    pub attribute: Option<AttrPath>,
    /// The object a failed create left in existence, as the provider read it back (e.g.
    /// an Azure VM whose provisioning ended `Failed`). Set only by `create`: the engine
    /// records it, tainted, so that the next plan replaces it; `None` means nothing was
    /// made (or what was made was deleted again).
    pub object: Option<Box<Value>>,
}

impl PartialEq for ErrorDetail {
    fn eq(&self, other: &Self) -> bool {
        let same_object = match (&self.object, &other.object) {
            (None, None) => true,
            (Some(a), Some(b)) => a.total_cmp(b) == std::cmp::Ordering::Equal,
            _ => false,
        };
        same_object
            && self.message == other.message
            && self.cloud == other.cloud
            && self.help == other.help
            && self.address == other.address
            && self.retry_after == other.retry_after
            && self.attribute == other.attribute
    }
}

impl Eq for ErrorDetail {}

impl ErrorDetail {
    fn help_or<'a>(&'a self, default: &'a str) -> &'a str {
        self.help.as_deref().unwrap_or(default)
    }
}

impl fmt::Display for ErrorDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(address) = &self.address {
            write!(f, "{address}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(cloud) = &self.cloud {
            write!(f, " ({}: {})", cloud.code, cloud.message)?;
        }
        Ok(())
    }
}

/// An error returned by a provider operation.
#[derive(Debug, Clone, PartialEq, Eq, Error, Diagnostic)]
pub enum ProviderError {
    #[error("{detail}")]
    #[diagnostic(
        code(E0701),
        help("{}", detail.help_or("The object no longer exists; refresh to remove it from the state, or import it again."))
    )]
    NotFound { detail: Box<ErrorDetail> },

    #[error("{detail}")]
    #[diagnostic(
        code(E0702),
        help("{}", detail.help_or("The API is rate limiting requests. aic retries with backoff; lower `--parallelism` if this persists."))
    )]
    Throttled { detail: Box<ErrorDetail> },

    #[error("{detail}")]
    #[diagnostic(
        code(E0703),
        help("{}", detail.help_or("This looks temporary. aic retries with backoff; run the command again if it still fails."))
    )]
    Transient { detail: Box<ErrorDetail> },

    #[error("{detail}")]
    #[diagnostic(
        code(E0704),
        help("{}", detail.help_or("Correct the configuration and run the command again."))
    )]
    InvalidConfig { detail: Box<ErrorDetail> },

    #[error("{detail}")]
    #[diagnostic(
        code(E0705),
        help("{}", detail.help_or("The object is in a state that conflicts with this change; wait for other changes to finish, then run the command again."))
    )]
    Conflict { detail: Box<ErrorDetail> },

    #[error("{detail}")]
    #[diagnostic(
        code(E0706),
        help("{}", detail.help_or("This provider does not support the operation; check the provider's documentation."))
    )]
    Unsupported { detail: Box<ErrorDetail> },

    #[error("{detail}")]
    #[diagnostic(
        code(E0707),
        help("{}", detail.help_or("See the message above; the cloud's error code, when shown, says more."))
    )]
    Other { detail: Box<ErrorDetail> },
}

impl ProviderError {
    /// An error of `kind` with `message` and nothing else.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> ProviderError {
        let detail = Box::new(ErrorDetail {
            message: message.into(),
            cloud: None,
            help: None,
            address: None,
            retry_after: None,
            attribute: None,
            object: None,
        });
        match kind {
            ErrorKind::NotFound => ProviderError::NotFound { detail },
            ErrorKind::Throttled => ProviderError::Throttled { detail },
            ErrorKind::Transient => ProviderError::Transient { detail },
            ErrorKind::InvalidConfig => ProviderError::InvalidConfig { detail },
            ErrorKind::Conflict => ProviderError::Conflict { detail },
            ErrorKind::Unsupported => ProviderError::Unsupported { detail },
            ErrorKind::Other => ProviderError::Other { detail },
        }
    }

    pub fn not_found(message: impl Into<String>) -> ProviderError {
        ProviderError::new(ErrorKind::NotFound, message)
    }

    pub fn throttled(message: impl Into<String>) -> ProviderError {
        ProviderError::new(ErrorKind::Throttled, message)
    }

    pub fn transient(message: impl Into<String>) -> ProviderError {
        ProviderError::new(ErrorKind::Transient, message)
    }

    pub fn invalid_config(message: impl Into<String>) -> ProviderError {
        ProviderError::new(ErrorKind::InvalidConfig, message)
    }

    pub fn conflict(message: impl Into<String>) -> ProviderError {
        ProviderError::new(ErrorKind::Conflict, message)
    }

    pub fn unsupported(message: impl Into<String>) -> ProviderError {
        ProviderError::new(ErrorKind::Unsupported, message)
    }

    pub fn other(message: impl Into<String>) -> ProviderError {
        ProviderError::new(ErrorKind::Other, message)
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ProviderError::NotFound { .. } => ErrorKind::NotFound,
            ProviderError::Throttled { .. } => ErrorKind::Throttled,
            ProviderError::Transient { .. } => ErrorKind::Transient,
            ProviderError::InvalidConfig { .. } => ErrorKind::InvalidConfig,
            ProviderError::Conflict { .. } => ErrorKind::Conflict,
            ProviderError::Unsupported { .. } => ErrorKind::Unsupported,
            ProviderError::Other { .. } => ErrorKind::Other,
        }
    }

    /// The stable diagnostic code, e.g. `E0702`.
    pub fn code(&self) -> &'static str {
        self.kind().code()
    }

    /// Whether retrying the same operation may succeed: true for throttling and
    /// transient failures.
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }

    pub fn detail(&self) -> &ErrorDetail {
        match self {
            ProviderError::NotFound { detail }
            | ProviderError::Throttled { detail }
            | ProviderError::Transient { detail }
            | ProviderError::InvalidConfig { detail }
            | ProviderError::Conflict { detail }
            | ProviderError::Unsupported { detail }
            | ProviderError::Other { detail } => detail,
        }
    }

    fn detail_mut(&mut self) -> &mut ErrorDetail {
        match self {
            ProviderError::NotFound { detail }
            | ProviderError::Throttled { detail }
            | ProviderError::Transient { detail }
            | ProviderError::InvalidConfig { detail }
            | ProviderError::Conflict { detail }
            | ProviderError::Unsupported { detail }
            | ProviderError::Other { detail } => detail,
        }
    }

    /// The message without address and cloud error.
    pub fn message(&self) -> &str {
        &self.detail().message
    }

    /// The cloud's own error, if any.
    pub fn cloud(&self) -> Option<&CloudError> {
        self.detail().cloud.as_ref()
    }

    /// The help text: the provider's own, or the kind's default.
    pub fn help_text(&self) -> String {
        miette::Diagnostic::help(self)
            .map(|h| h.to_string())
            .unwrap_or_default()
    }

    /// This error with the cloud's error code and message.
    #[must_use]
    pub fn with_cloud(mut self, code: impl Into<String>, message: impl Into<String>) -> Self {
        self.detail_mut().cloud = Some(CloudError {
            code: code.into(),
            message: message.into(),
        });
        self
    }

    /// This error with help text replacing the kind's default.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.detail_mut().help = Some(help.into());
        self
    }

    /// This error about the resource instance at `address` (set by the engine).
    #[must_use]
    pub fn with_address(mut self, address: impl Into<String>) -> Self {
        self.detail_mut().address = Some(address.into());
        self
    }

    /// This error with the delay the API asked for before a retry.
    #[must_use]
    pub fn with_retry_after(mut self, delay: Duration) -> Self {
        self.detail_mut().retry_after = Some(delay);
        self
    }

    /// The delay the API asked for before a retry, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.detail().retry_after
    }

    /// This error about the configuration's attribute at `path`.
    #[must_use]
    pub fn with_attribute(mut self, path: AttrPath) -> Self {
        self.detail_mut().attribute = Some(path);
        self
    }

    /// The attribute the error is about, if the provider said.
    pub fn attribute(&self) -> Option<&AttrPath> {
        self.detail().attribute.as_ref()
    }

    /// This error of a create that left `object` in existence (read back as the API has
    /// it): the engine records the object in the state, tainted, reports this error, and
    /// the next plan replaces the object. A retry would make a second object, so the
    /// engine never retries an error that carries one.
    #[must_use]
    pub fn with_object(mut self, object: Value) -> Self {
        self.detail_mut().object = Some(Box::new(object));
        self
    }

    /// The object a failed create left in existence, if the provider reported one.
    pub fn object(&self) -> Option<&Value> {
        self.detail().object.as_deref()
    }

    /// Removes and returns the object a failed create left, if any (to record it, or to
    /// put it back transformed with [`ProviderError::with_object`]).
    pub fn take_object(&mut self) -> Option<Value> {
        self.detail_mut().object.take().map(|b| *b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KINDS: [ErrorKind; 7] = [
        ErrorKind::NotFound,
        ErrorKind::Throttled,
        ErrorKind::Transient,
        ErrorKind::InvalidConfig,
        ErrorKind::Conflict,
        ErrorKind::Unsupported,
        ErrorKind::Other,
    ];

    #[test]
    fn every_kind_round_trips_with_its_own_code() {
        let mut codes = Vec::new();
        for kind in KINDS {
            let err = ProviderError::new(kind, "boom");
            assert_eq!(err.kind(), kind);
            let code = Diagnostic::code(&err).map(|c| c.to_string());
            assert_eq!(code.as_deref(), Some(kind.code()));
            assert!(!err.help_text().is_empty(), "{kind:?} has no default help");
            codes.push(kind.code());
        }
        codes.dedup();
        assert_eq!(codes.len(), KINDS.len());
    }

    #[test]
    fn only_throttled_and_transient_are_retryable() {
        for kind in KINDS {
            let expected = matches!(kind, ErrorKind::Throttled | ErrorKind::Transient);
            assert_eq!(ProviderError::new(kind, "x").is_retryable(), expected);
        }
    }

    #[test]
    fn message_carries_address_and_cloud_error() {
        let err = ProviderError::not_found("instance i-1 not found")
            .with_cloud(
                "InvalidInstanceID.NotFound",
                "The instance ID 'i-1' does not exist",
            )
            .with_address("aws_instance.web[0]")
            .with_help("Import it again.");
        assert_eq!(
            err.to_string(),
            "aws_instance.web[0]: instance i-1 not found (InvalidInstanceID.NotFound: The instance ID 'i-1' does not exist)"
        );
        assert_eq!(err.help_text(), "Import it again.");
        assert_eq!(
            err.cloud().map(|c| c.code.as_str()),
            Some("InvalidInstanceID.NotFound")
        );
        assert_eq!(err.message(), "instance i-1 not found");
    }

    #[test]
    fn the_object_of_a_failed_create_is_kept_and_compared() {
        let object = Value::object([("id".to_owned(), Value::string("vm-1"))]);
        let err = ProviderError::other("provisioning failed").with_object(object.clone());
        assert_eq!(err.object(), Some(&object));
        assert_eq!(err, err.clone());
        assert_ne!(err, ProviderError::other("provisioning failed"));
        let mut taken = err.clone();
        assert_eq!(taken.take_object(), Some(object));
        assert_eq!(taken, ProviderError::other("provisioning failed"));
        assert_eq!(ProviderError::other("x").object(), None);
    }

    #[test]
    fn retry_after_is_kept() {
        let err = ProviderError::throttled("slow down").with_retry_after(Duration::from_secs(2));
        assert_eq!(err.retry_after(), Some(Duration::from_secs(2)));
        assert_eq!(ProviderError::other("x").retry_after(), None);
    }
}
