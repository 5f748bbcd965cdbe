//! The diagnostic codes of the provider interface: the kinds of [`ProviderError`]
//! (E0701–E0707) and the problems a provider's validation finds (E0711–E0717). Each
//! entry's documentation is what `docs/diagnostics.md` says about it.
//!
//! [`ProviderError`]: crate::ProviderError

use aic_lang::diag::Code;

use crate::error::ErrorKind;

aic_lang::catalogue! {
    /// The object a provider was asked about does not exist (any more): deleted outside
    /// aic, or never created. Refresh drops such an object from the state (it shows as
    /// drift); an update or delete of it fails with this code.
    ///
    /// Fix: run `aic plan` to see it planned again, or `aic import` the real object.
    E0701: Error "Object not found";
    /// The cloud API refused the call because of its rate limits (HTTP 429, the clouds'
    /// throttling codes). Retryable: apply retries it with exponential backoff and jitter,
    /// waiting at least as long as the API asked (`Retry-After`), before giving up.
    ///
    /// Fix: lower `--parallelism`, or run the command again later.
    E0702: Error "Rate limited";
    /// A temporary failure: an HTTP 5xx, a dropped connection, or an operation that did
    /// not finish within its timeout. Retryable: apply retries it with backoff before
    /// giving up.
    ///
    /// Fix: run the command again; if it persists, check the provider's service status.
    E0703: Error "Temporary failure";
    /// The configuration is invalid for this provider or its API (a provider
    /// configuration that does not evaluate, a value the API rejects, no such provider).
    /// The help says which value.
    ///
    /// Fix: correct the configuration as the message says.
    E0704: Error "Invalid configuration";
    /// The object is in a state that conflicts with the operation: it already exists, is
    /// in use, or is being changed by someone else.
    ///
    /// Fix: wait for the other change to finish, or import the existing object.
    E0705: Error "Conflict";
    /// The provider does not support the operation or the type (importing a type that
    /// cannot be imported, a type this provider does not have).
    ///
    /// Fix: use a supported type or operation; the help suggests the closest type.
    E0706: Error "Unsupported";
    /// Any other failure the provider reported; the message and the cloud's own error
    /// code say what it was.
    E0707: Error "Provider error";
    /// A provider's validation found an attribute its schema does not have (with a "did
    /// you mean").
    E0711: Error "Unknown attribute";
    /// A provider's validation found a required attribute absent or null.
    E0712: Error "Missing required attribute";
    /// A provider's validation found a value that does not fit the attribute's type.
    E0713: Error "Wrong attribute type";
    /// A provider's validation found a configuration setting an attribute only the
    /// provider sets (computed only).
    E0714: Error "Read-only attribute";
    /// A provider's validation found fewer than `min_items` or more than `max_items`
    /// nested blocks.
    E0715: Error "Wrong number of blocks";
    /// A provider's own rule failed for a value (a range, a format).
    E0716: Error "Invalid attribute value";
    /// A provider's validation found attributes that exclude each other set together, or
    /// none of a group of which one is required.
    E0717: Error "Conflicting attributes";
}

/// The code of an error kind.
pub fn of_kind(kind: ErrorKind) -> &'static Code {
    match kind {
        ErrorKind::NotFound => &E0701,
        ErrorKind::Throttled => &E0702,
        ErrorKind::Transient => &E0703,
        ErrorKind::InvalidConfig => &E0704,
        ErrorKind::Conflict => &E0705,
        ErrorKind::Unsupported => &E0706,
        ErrorKind::Other => &E0707,
    }
}
