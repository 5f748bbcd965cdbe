//! Long-running operations: an API answers "accepted" and the caller polls until the
//! operation is done. [`run`] polls any of them with a [`Waiter`], honouring the delay the
//! API asks for; [`arm`] reads Azure Resource Manager's answers (`Azure-AsyncOperation`,
//! `Location`, `provisioningState`, `Retry-After`) and [`google`] Google's `Operation`s
//! (`status`/`done` and `error`).
//!
//! Transport is the provider's: it sends the requests with its own client and hands the
//! answers here as [`Answer`]s (status, headers, JSON body); this module decides what
//! they mean.

use std::future::Future;
use std::time::Duration;

use aic_provider::ProviderError;
use serde_json::Value as Json;

use crate::error::{parse_retry_after, ApiFailure, Classifier};
use crate::wait::{Step, Waiter};

/// An HTTP answer, as far as operations care.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer {
    pub status: u16,
    /// Header names in any case.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON; `None` when empty or not JSON.
    pub body: Option<Json>,
}

impl Answer {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The delay the answer asked for (`Retry-After`, in seconds).
    pub fn retry_after(&self) -> Option<Duration> {
        self.header("retry-after").and_then(parse_retry_after)
    }

    /// The error this answer carries (an HTTP error status), classified for `operation`.
    pub fn error(&self, operation: &str, classifier: &Classifier) -> ProviderError {
        failure(operation, self.status, self.body.as_ref())
            .retry_after(self.retry_after())
            .into_error(classifier)
    }
}

fn failure(operation: &str, status: u16, body: Option<&Json>) -> ApiFailure {
    let failure = ApiFailure::new(operation).status(status);
    match body.and_then(crate::error::json_error) {
        Some((code, message)) => failure.code(code, message),
        None => failure,
    }
}

/// Where an operation is.
#[derive(Debug, Clone)]
pub enum Status {
    /// Still running; ask again after the delay the API asked for, if it did.
    Running { retry_after: Option<Duration> },
    /// Done; the result, when the operation has one.
    Succeeded(Option<Json>),
    /// Done, and failed.
    Failed(ProviderError),
}

/// Polls with `poll` (called at once, then after the waiter's delays or the API's
/// `Retry-After`) until the operation is done; its result, or its error.
pub async fn run<F, Fut>(waiter: &Waiter, mut poll: F) -> Result<Option<Json>, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Status, ProviderError>>,
{
    waiter
        .poll(|| {
            let polled = poll();
            async move {
                match polled.await? {
                    Status::Running { retry_after } => Ok(Step::Again(retry_after)),
                    Status::Succeeded(result) => Ok(Step::Done(result)),
                    Status::Failed(e) => Err(e),
                }
            }
        })
        .await
}

/// Azure Resource Manager's long-running operations, as its API guidelines describe
/// them: a `PUT`, `PATCH`, `DELETE` or `POST` answers 201 or 202 with an
/// `Azure-AsyncOperation` URL to poll for `{"status": "InProgress" | "Succeeded" |
/// "Failed" | "Canceled", "error": …}`, or a `Location` URL that answers 202 until done;
/// a `PUT` may instead answer 200/201 with the resource, whose
/// `properties.provisioningState` says whether it is still being provisioned.
pub mod arm {
    use super::*;

    /// What a first answer means.
    #[derive(Debug, Clone)]
    pub enum Start {
        /// Done already; the body.
        Done(Option<Json>),
        /// Running: poll with the tracker.
        Track(Tracker),
    }

    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Kind {
        AsyncOperation,
        Location,
        ProvisioningState,
    }

    /// Follows one running operation.
    #[derive(Debug, Clone)]
    pub struct Tracker {
        operation: String,
        url: String,
        kind: Kind,
    }

    fn provisioning_state(body: Option<&Json>) -> Option<&str> {
        body?.get("properties")?.get("provisioningState")?.as_str()
    }

    /// Reads the first answer to `operation` on `resource_url`.
    pub fn start(
        operation: &str,
        resource_url: &str,
        answer: &Answer,
        classifier: &Classifier,
    ) -> Result<Start, ProviderError> {
        if answer.status >= 400 {
            return Err(answer.error(operation, classifier));
        }
        let track = |url: &str, kind| {
            Ok(Start::Track(Tracker {
                operation: operation.to_owned(),
                url: url.to_owned(),
                kind,
            }))
        };
        if let Some(url) = answer.header("azure-asyncoperation") {
            return track(url, Kind::AsyncOperation);
        }
        if answer.status == 202 {
            if let Some(url) = answer.header("location") {
                return track(url, Kind::Location);
            }
        }
        match provisioning_state(answer.body.as_ref()) {
            Some(state) if !is_terminal(state) => track(resource_url, Kind::ProvisioningState),
            Some(state) if !state.eq_ignore_ascii_case("succeeded") => {
                Err(failed(operation, state, answer.body.as_ref(), classifier))
            }
            _ => Ok(Start::Done(answer.body.clone())),
        }
    }

    fn is_terminal(state: &str) -> bool {
        ["succeeded", "failed", "canceled"]
            .iter()
            .any(|t| state.eq_ignore_ascii_case(t))
    }

    fn failed(
        operation: &str,
        state: &str,
        body: Option<&Json>,
        classifier: &Classifier,
    ) -> ProviderError {
        let error = body
            .and_then(|b| b.get("error"))
            .map(|e| serde_json::json!({ "error": e }));
        match error.as_ref().and_then(crate::error::json_error) {
            Some((code, message)) => ApiFailure::new(operation)
                .code(code, message)
                .into_error(classifier),
            None => ProviderError::other(format!(
                "{} {operation} ended `{state}` without saying why",
                classifier.service
            )),
        }
    }

    impl Tracker {
        /// The URL to `GET` for the next poll.
        pub fn url(&self) -> &str {
            &self.url
        }

        /// What a poll's answer says. After `Succeeded`, read the resource for its final
        /// state (an asynchronous operation's body is the operation, not the resource).
        pub fn interpret(
            &self,
            answer: &Answer,
            classifier: &Classifier,
        ) -> Result<Status, ProviderError> {
            let running = Ok(Status::Running {
                retry_after: answer.retry_after(),
            });
            if answer.status >= 400 {
                return Ok(Status::Failed(answer.error(&self.operation, classifier)));
            }
            let body = answer.body.as_ref();
            match self.kind {
                Kind::Location if answer.status == 202 => running,
                Kind::Location => Ok(Status::Succeeded(answer.body.clone())),
                Kind::AsyncOperation => {
                    let state = body.and_then(|b| b.get("status")).and_then(Json::as_str);
                    self.by_state(state.unwrap_or("InProgress"), answer, classifier)
                }
                Kind::ProvisioningState => self.by_state(
                    provisioning_state(body).unwrap_or("Succeeded"),
                    answer,
                    classifier,
                ),
            }
        }

        fn by_state(
            &self,
            state: &str,
            answer: &Answer,
            classifier: &Classifier,
        ) -> Result<Status, ProviderError> {
            if !is_terminal(state) {
                return Ok(Status::Running {
                    retry_after: answer.retry_after(),
                });
            }
            if state.eq_ignore_ascii_case("succeeded") {
                let result = (self.kind == Kind::ProvisioningState)
                    .then(|| answer.body.clone())
                    .flatten();
                return Ok(Status::Succeeded(result));
            }
            Ok(Status::Failed(failed(
                &self.operation,
                state,
                answer.body.as_ref(),
                classifier,
            )))
        }
    }
}

/// Google's operations: GKE's `Operation` (`status`: `PENDING`, `RUNNING`, `DONE`,
/// `ABORTING`; `error` a `google.rpc.Status` when it failed) and `google.longrunning`'s
/// (`done`, `error`, `response`).
pub mod google {
    use super::*;
    use crate::error::Class;

    /// The name of a numeric `google.rpc.Code`.
    pub fn rpc_code_name(code: i64) -> &'static str {
        match code {
            0 => "OK",
            1 => "CANCELLED",
            3 => "INVALID_ARGUMENT",
            4 => "DEADLINE_EXCEEDED",
            5 => "NOT_FOUND",
            6 => "ALREADY_EXISTS",
            7 => "PERMISSION_DENIED",
            8 => "RESOURCE_EXHAUSTED",
            9 => "FAILED_PRECONDITION",
            10 => "ABORTED",
            11 => "OUT_OF_RANGE",
            12 => "UNIMPLEMENTED",
            13 => "INTERNAL",
            14 => "UNAVAILABLE",
            15 => "DATA_LOSS",
            16 => "UNAUTHENTICATED",
            _ => "UNKNOWN",
        }
    }

    /// What an operation says, for `operation` (the call that started it).
    pub fn interpret(operation: &str, op: &Json, classifier: &Classifier) -> Status {
        let done = match op.get("done").and_then(Json::as_bool) {
            Some(done) => done,
            None => op.get("status").and_then(Json::as_str) == Some("DONE"),
        };
        if !done {
            return Status::Running { retry_after: None };
        }
        let Some(error) = op.get("error").filter(|e| !e.is_null()) else {
            return Status::Succeeded(op.get("response").cloned());
        };
        let code = match error.get("code") {
            Some(Json::Number(n)) => rpc_code_name(n.as_i64().unwrap_or(2)).to_owned(),
            Some(Json::String(s)) => s.clone(),
            _ => "UNKNOWN".to_owned(),
        };
        let message = error
            .get("message")
            .and_then(Json::as_str)
            .unwrap_or_default();
        // Google's codes mean the same whatever the service: they decide the class.
        let google = Classifier {
            by_code: |code, _| Class::of_google_status(code),
            ..*classifier
        };
        Status::Failed(
            ApiFailure::new(operation)
                .code(code, message)
                .into_error(&google),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::error::Class;
    use crate::wait::Timing;
    use aic_provider::ErrorKind;
    use serde_json::json;

    const ARM: Classifier = Classifier {
        service: "Azure",
        by_code: |code, _| Class::of_arm_code(code),
        auth_help: "Check the credentials.",
        unreachable_help: "Check the endpoint.",
    };

    fn answer(status: u16, headers: &[(&str, &str)], body: Option<Json>) -> Answer {
        Answer {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body,
        }
    }

    #[tokio::test]
    async fn arm_async_operation_is_polled_to_success_honouring_retry_after() {
        let first = answer(
            201,
            &[
                ("Azure-AsyncOperation", "http://x/op/1"),
                ("Retry-After", "0"),
            ],
            Some(json!({"properties": {"provisioningState": "Creating"}})),
        );
        let arm::Start::Track(tracker) =
            arm::start("PUT vm", "http://x/vm", &first, &ARM).unwrap_or(arm::Start::Done(None))
        else {
            panic!("an asynchronous operation is tracked");
        };
        assert_eq!(tracker.url(), "http://x/op/1");
        let answers = RefCell::new(vec![
            answer(200, &[], Some(json!({"status": "Succeeded"}))),
            answer(
                200,
                &[("retry-after", "0")],
                Some(json!({"status": "InProgress"})),
            ),
        ]);
        let result = run(&Timing::fast().waiter("vm"), || {
            let next = answers.borrow_mut().pop();
            let status = next.map(|a| tracker.interpret(&a, &ARM));
            async move { status.unwrap_or_else(|| Err(ProviderError::other("polled too often"))) }
        })
        .await;
        assert!(result.is_ok(), "{result:?}");
        assert!(answers.borrow().is_empty());
    }

    #[test]
    fn arm_failures_carry_the_operation_error() {
        let tracker = match arm::start(
            "DELETE vm",
            "http://x/vm",
            &answer(202, &[("Location", "http://x/loc")], None),
            &ARM,
        ) {
            Ok(arm::Start::Track(t)) => t,
            other => panic!("tracked: {other:?}"),
        };
        let running = tracker.interpret(&answer(202, &[("Retry-After", "3")], None), &ARM);
        assert!(matches!(
            running,
            Ok(Status::Running { retry_after: Some(d) }) if d == Duration::from_secs(3)
        ));
        assert!(matches!(
            tracker.interpret(&answer(204, &[], None), &ARM),
            Ok(Status::Succeeded(None))
        ));

        let tracker = match arm::start(
            "PUT vm",
            "http://x/vm",
            &answer(201, &[("Azure-AsyncOperation", "http://x/op")], None),
            &ARM,
        ) {
            Ok(arm::Start::Track(t)) => t,
            other => panic!("tracked: {other:?}"),
        };
        let failed = tracker.interpret(
            &answer(
                200,
                &[],
                Some(json!({"status": "Failed", "error": {"code": "AllocationFailed", "message": "no capacity"}})),
            ),
            &ARM,
        );
        let Ok(Status::Failed(err)) = failed else {
            panic!("failed: {failed:?}");
        };
        assert_eq!(
            err.cloud().map(|c| c.code.as_str()),
            Some("AllocationFailed")
        );
        assert_eq!(
            err.to_string(),
            "Azure PUT vm failed (AllocationFailed: no capacity)"
        );
    }

    #[test]
    fn arm_first_answers() {
        let done = arm::start(
            "PUT vm",
            "http://x/vm",
            &answer(
                200,
                &[],
                Some(json!({"properties": {"provisioningState": "Succeeded"}})),
            ),
            &ARM,
        );
        assert!(matches!(done, Ok(arm::Start::Done(Some(_)))));
        let provisioning = arm::start(
            "PUT vm",
            "http://x/vm",
            &answer(
                201,
                &[],
                Some(json!({"properties": {"provisioningState": "Updating"}})),
            ),
            &ARM,
        );
        assert!(matches!(provisioning, Ok(arm::Start::Track(t)) if t.url() == "http://x/vm"));
        let throttled = arm::start(
            "PUT vm",
            "http://x/vm",
            &answer(
                429,
                &[("Retry-After", "7")],
                Some(json!({"error": {"code": "TooManyRequests", "message": "slow"}})),
            ),
            &ARM,
        );
        let err = throttled.err();
        assert_eq!(err.as_ref().map(|e| e.kind()), Some(ErrorKind::Throttled));
        assert_eq!(
            err.and_then(|e| e.retry_after()),
            Some(Duration::from_secs(7))
        );
    }

    #[test]
    fn google_operations() {
        let running = google::interpret(
            "clusters.create",
            &json!({"name": "op-1", "status": "RUNNING"}),
            &ARM,
        );
        assert!(matches!(running, Status::Running { .. }));
        let done = google::interpret(
            "clusters.create",
            &json!({"name": "op-1", "status": "DONE"}),
            &ARM,
        );
        assert!(matches!(done, Status::Succeeded(None)));
        let failed = google::interpret(
            "clusters.create",
            &json!({"name": "op-1", "status": "DONE", "error": {"code": 8, "message": "quota"}}),
            &ARM,
        );
        let Status::Failed(err) = failed else {
            panic!("failed: {failed:?}");
        };
        assert_eq!(err.kind(), ErrorKind::Throttled);
        assert_eq!(
            err.cloud().map(|c| c.code.as_str()),
            Some("RESOURCE_EXHAUSTED")
        );
        let longrunning =
            google::interpret("x", &json!({"done": true, "response": {"id": 1}}), &ARM);
        assert!(matches!(longrunning, Status::Succeeded(Some(_))));
    }
}
