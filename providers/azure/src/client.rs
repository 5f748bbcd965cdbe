//! The configured client: one `azure_core` pipeline per provider configuration, shared by
//! `azure_mgmt_compute`'s client (virtual machines, disks, availability sets, scale sets,
//! sizes, images) and the plain ARM REST calls of everything else (resource groups,
//! networks, subnets, network interfaces, the polls of long-running operations). The
//! token comes from `azure_identity`'s client-secret credential.
//!
//! Every answer that is not a success becomes an [`ArmFailure`] holding ARM's whole answer
//! (status, headers, `{"error":{"code","message","target"}}`), so that the kit classifies it
//! and honours `Retry-After`; the pipeline itself retries nothing (the kit's backoff does,
//! the same way for every provider). Long-running operations are started with one request
//! (the SDK's `.send()`, never its awaited future, which re-sends a PUT in a loop) and
//! polled here through the kit's [`lro::arm`], each on its own: many VMs poll at once.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use aic_lang::value::{AttrPath, PathStep};
use aic_provider::ProviderError;
use aic_provider_kit::error::{Class, Classifier};
use aic_provider_kit::lro::{self, arm, Answer};
use aic_provider_kit::{Backoff, Context, Timing};
use async_trait::async_trait;
use azure_core::auth::TokenCredential;
use azure_core::{ClientOptions, Method, Pipeline, Policy, PolicyResult, Request, RetryOptions};
use serde_json::Value as Json;

use crate::config::{Settings, CLIENT_ID_VAR, CLIENT_SECRET_VAR, TENANT_ID_VAR};

/// How ARM's errors are classified: by `error.code`, else by the status.
pub const CLASSIFIER: Classifier = Classifier {
    service: "Azure",
    by_code: |code, _| Class::of_arm_code(code),
    auth_help: "Check the credentials: a service principal's AZURE_CLIENT_ID, \
                AZURE_CLIENT_SECRET and AZURE_TENANT_ID, with a role on the subscription; and \
                the provider's `authority_host` (or AZURE_AUTHORITY_HOST).",
    unreachable_help: "Check the provider's `endpoint` (default \
                       `https://management.azure.com`) and the network.",
};

/// The scope of Resource Manager tokens. (The SDK's default, `{endpoint}/`, lacks the
/// `/.default` a client-credentials grant needs.)
pub const SCOPE: &str = "https://management.azure.com/.default";

/// How long one request may take before its answer counts as lost (transient).
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);

/// API versions: the ones `azure_mgmt_compute` 0.21's `package-2024-07-01` sends, and
/// those of the same generation of the network and resources specifications.
pub const COMPUTE_API: &str = "2024-07-01";
pub const DISKS_API: &str = "2024-03-02";
pub const NETWORK_API: &str = "2024-03-01";
pub const RESOURCES_API: &str = "2021-04-01";

/// A failed answer, kept whole (the SDK's own error keeps no headers: no `Retry-After`).
#[derive(Debug)]
pub struct ArmFailure(pub Answer);

impl std::fmt::Display for ArmFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {}", self.0.status)?;
        if let Some(body) = &self.0.body {
            write!(f, ": {body}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ArmFailure {}

/// The pipeline policy that turns failed answers into [`ArmFailure`]s, and gives up on an
/// answer that does not come within the attempt timeout.
#[derive(Debug)]
struct ArmAnswers {
    timeout: Duration,
}

#[async_trait]
impl Policy for ArmAnswers {
    async fn send(
        &self,
        ctx: &azure_core::Context,
        request: &mut Request,
        next: &[Arc<dyn Policy>],
    ) -> PolicyResult {
        let Some((first, rest)) = next.split_first() else {
            return Err(azure_core::Error::message(
                azure_core::error::ErrorKind::Other,
                "no transport in the pipeline",
            ));
        };
        let response =
            match tokio::time::timeout(self.timeout, first.send(ctx, request, rest)).await {
                Ok(response) => response?,
                Err(_) => {
                    return Err(azure_core::Error::message(
                        azure_core::error::ErrorKind::Io,
                        format!("no answer within {} ms", self.timeout.as_millis()),
                    ))
                }
            };
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status();
        let answer = answer_of(response).await?;
        let code = answer
            .body
            .as_ref()
            .and_then(aic_provider_kit::error::json_error)
            .map(|(code, _)| code);
        Err(azure_core::Error::new(
            azure_core::error::ErrorKind::http_response(status, code),
            ArmFailure(answer),
        ))
    }
}

/// An `azure_core` response as the kit reads answers.
pub async fn answer_of(response: azure_core::Response) -> azure_core::Result<Answer> {
    let (status, headers, body) = response.deconstruct();
    let headers = headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.as_str().to_owned()))
        .collect();
    let bytes = body.collect().await?;
    Ok(Answer {
        status: u16::from(status),
        headers,
        body: serde_json::from_slice(&bytes).ok(),
    })
}

/// Where an ARM `error.target` points in a resource's configuration.
pub type Targets = fn(&str) -> Option<&'static [&'static str]>;

/// No attribute known for any target.
pub fn no_targets(_: &str) -> Option<&'static [&'static str]> {
    None
}

/// The provider error of a failed call of `operation`; ARM's `error.target` becomes the
/// attribute at fault through `targets`.
pub fn error_of(operation: &str, error: &azure_core::Error, targets: Targets) -> ProviderError {
    if let Some(ArmFailure(answer)) = error.downcast_ref::<ArmFailure>() {
        let mut e = answer.error(operation, &CLASSIFIER);
        let target = answer
            .body
            .as_ref()
            .and_then(|b| b.pointer("/error/target"))
            .and_then(Json::as_str);
        if let Some(path) = target.and_then(targets) {
            e = e.with_attribute(AttrPath::new(
                path.iter()
                    .map(|n| PathStep::Attr((*n).to_owned()))
                    .collect(),
            ));
        }
        return e;
    }
    match error.kind() {
        azure_core::error::ErrorKind::Io => CLASSIFIER.unreachable(operation, error),
        azure_core::error::ErrorKind::Credential => ProviderError::invalid_config(format!(
            "Azure {operation}: no token from the identity platform: {}",
            chain(error)
        ))
        .with_help(CLASSIFIER.auth_help),
        _ => ProviderError::other(format!("Azure {operation} failed: {}", chain(error))),
    }
}

/// An error with its sources, on one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

/// A configured `azurerm` provider.
pub struct Arm {
    pub settings: Settings,
    compute: azure_mgmt_compute::package_2024_07_01::Client,
    credential: Arc<dyn TokenCredential>,
    pipeline: Pipeline,
    timing: Timing,
    backoff: Backoff,
    /// One lock per resource whose changes must take turns (a VM's data disks).
    turns: std::sync::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Context for Arm {
    fn timing(&self) -> Timing {
        self.timing
    }

    fn backoff(&self) -> Backoff {
        self.backoff
    }
}

fn client_options(attempt_timeout: Duration) -> ClientOptions {
    let mut options = ClientOptions::default().retry(RetryOptions::none());
    options.per_retry_policies_mut().push(Arc::new(ArmAnswers {
        timeout: attempt_timeout,
    }));
    options
}

impl Arm {
    /// A client for `settings`, with the client-secret credential from the environment
    /// (`env` reads a variable).
    pub fn new(
        settings: Settings,
        env: impl Fn(&str) -> Option<String>,
        timing: Timing,
        backoff: Backoff,
        attempt_timeout: Duration,
    ) -> Result<Arm, ProviderError> {
        let var = |name: &str| {
            env(name).filter(|v| !v.is_empty()).ok_or_else(|| {
                ProviderError::invalid_config(format!("no Azure credentials: {name} is not set"))
                    .with_help(
                        "Set AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and AZURE_TENANT_ID to a \
                     service principal's (`az ad sp create-for-rbac`); aic never reads \
                     secrets from the configuration.",
                    )
            })
        };
        let authority = azure_core::Url::parse(&settings.authority_host).map_err(|e| {
            ProviderError::invalid_config(format!(
                "`authority_host` {:?} is not a URL: {e}",
                settings.authority_host
            ))
        })?;
        let endpoint = azure_core::Url::parse(&settings.endpoint).map_err(|e| {
            ProviderError::invalid_config(format!(
                "`endpoint` {:?} is not a URL: {e}",
                settings.endpoint
            ))
        })?;
        let credential: Arc<dyn TokenCredential> =
            Arc::new(azure_identity::ClientSecretCredential::new(
                azure_core::new_http_client(),
                authority,
                var(TENANT_ID_VAR)?,
                var(CLIENT_ID_VAR)?,
                var(CLIENT_SECRET_VAR)?,
            ));
        let compute = azure_mgmt_compute::package_2024_07_01::Client::new(
            endpoint,
            credential.clone(),
            vec![SCOPE.to_owned()],
            client_options(attempt_timeout),
        );
        let pipeline = Pipeline::new(
            option_env!("CARGO_PKG_NAME"),
            option_env!("CARGO_PKG_VERSION"),
            client_options(attempt_timeout),
            Vec::new(),
            Vec::new(),
        );
        Ok(Arm {
            settings,
            compute,
            credential,
            pipeline,
            timing,
            backoff,
            turns: std::sync::Mutex::default(),
        })
    }

    /// Waits for the turn of `key` (an ARM id, any case); the turn lasts while the guard
    /// lives.
    pub async fn turn(&self, key: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = self
            .turns
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(key.to_ascii_lowercase())
            .or_default()
            .clone();
        lock.lock_owned().await
    }

    /// `azure_mgmt_compute`'s client.
    pub fn compute(&self) -> &azure_mgmt_compute::package_2024_07_01::Client {
        &self.compute
    }

    /// The subscription of this configuration.
    pub fn subscription(&self) -> &str {
        &self.settings.subscription_id
    }

    /// The location of a resource that names `location`, else the provider's.
    pub fn location(&self, location: Option<String>) -> Result<String, ProviderError> {
        location
            .or_else(|| self.settings.location.clone())
            .ok_or_else(|| {
                ProviderError::invalid_config("no `location`, and the provider has none")
                    .with_help("Set `location` on the resource, or on the `azurerm` provider.")
            })
    }

    /// The URL of `path_or_url` (an ARM path, or an absolute URL ARM answered with), with
    /// `api_version` unless it has one.
    fn url(&self, path_or_url: &str, api_version: &str) -> Result<azure_core::Url, ProviderError> {
        let joined = if path_or_url.starts_with("http://") || path_or_url.starts_with("https://") {
            azure_core::Url::parse(path_or_url)
        } else {
            azure_core::Url::parse(&format!("{}{path_or_url}", self.settings.endpoint))
        };
        let mut url = joined
            .map_err(|e| ProviderError::other(format!("`{path_or_url}` makes no URL: {e}")))?;
        if !url.query_pairs().any(|(k, _)| k == "api-version") {
            url.query_pairs_mut()
                .append_pair("api-version", api_version);
        }
        Ok(url)
    }

    /// One request through the pipeline, with a bearer token: ARM's answer, or the error of
    /// a failed one.
    pub async fn send(
        &self,
        operation: &str,
        method: Method,
        path_or_url: &str,
        api_version: &str,
        body: Option<&Json>,
        targets: Targets,
    ) -> Result<Answer, ProviderError> {
        let url = self.url(path_or_url, api_version)?;
        let token = self
            .credential
            .get_token(&[SCOPE])
            .await
            .map_err(|e| error_of(operation, &e, targets))?;
        let mut request = Request::new(url, method);
        request.insert_header(
            azure_core::headers::AUTHORIZATION,
            format!("Bearer {}", token.token.secret()),
        );
        if let Some(body) = body {
            request.insert_header("content-type", "application/json");
            request.set_body(body.to_string());
        }
        let answered = async {
            let response = self
                .pipeline
                .send(&azure_core::Context::new(), &mut request)
                .await?;
            answer_of(response).await
        };
        answered.await.map_err(|e| error_of(operation, &e, targets))
    }

    /// `call` again after throttling and transient failures, as the kit's backoff says.
    /// ARM's PUTs, GETs and DELETEs are idempotent: repeating one whose answer was lost
    /// does again what it did.
    pub async fn retried<T, F, Fut>(&self, call: F) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        self.backoff.retry(call).await
    }

    /// The resource at `path`; `None` when ARM answers 404.
    pub async fn get(
        &self,
        operation: &str,
        path: &str,
        api_version: &str,
    ) -> Result<Option<Json>, ProviderError> {
        let got = self
            .retried(|| self.send(operation, Method::Get, path, api_version, None, no_targets))
            .await;
        match got {
            Ok(answer) => Ok(answer.body),
            Err(e) if e.kind() == aic_provider::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every item of the collection at `path`, following `nextLink` (one request per
    /// page); empty when the collection's parent is gone (404).
    pub async fn list(
        &self,
        operation: &str,
        path: &str,
        api_version: &str,
    ) -> Result<Vec<Json>, ProviderError> {
        let pages = aic_provider_kit::bulk::all_pages(|link: Option<String>| async move {
            let at = link.unwrap_or_else(|| path.to_owned());
            let answer = self
                .retried(|| self.send(operation, Method::Get, &at, api_version, None, no_targets))
                .await?;
            let body = answer.body.unwrap_or(Json::Null);
            let items = body
                .get("value")
                .and_then(Json::as_array)
                .cloned()
                .unwrap_or_default();
            let next = body
                .get("nextLink")
                .and_then(Json::as_str)
                .map(str::to_owned);
            Ok((items, next))
        })
        .await;
        match pages {
            Err(e) if e.kind() == aic_provider::ErrorKind::NotFound => Ok(Vec::new()),
            other => other,
        }
    }

    /// Polls the operation `first` started on the resource at `path` until it ends: its
    /// result (`None` when it has none), or its error with ARM's code and message.
    pub async fn track(
        &self,
        operation: &str,
        path: &str,
        api_version: &str,
        first: &Answer,
    ) -> Result<Option<Json>, ProviderError> {
        let resource = self.url(path, api_version)?.to_string();
        let tracker = match arm::start(operation, &resource, first, &CLASSIFIER)? {
            arm::Start::Done(body) => return Ok(body),
            arm::Start::Track(tracker) => tracker,
        };
        let waiter = self
            .timing
            .waiter(format!("Azure operation {operation} on {path}"));
        lro::run(&waiter, || async {
            let answer = self
                .retried(|| async {
                    match self
                        .send(
                            operation,
                            Method::Get,
                            tracker.url(),
                            api_version,
                            None,
                            no_targets,
                        )
                        .await
                    {
                        // A failed operation's Location answers with its error: the
                        // tracker reads it.
                        Err(e) if !e.is_retryable() && e.cloud().is_some() => Ok(Answer {
                            status: 400,
                            headers: Vec::new(),
                            body: e.cloud().map(|c| {
                                serde_json::json!({"error": {"code": c.code, "message": c.message}})
                            }),
                        }),
                        other => other,
                    }
                })
                .await?;
            tracker.interpret(&answer, &CLASSIFIER)
        })
        .await
    }

    /// A PUT (or PATCH) of `path` started by `start` (one request, repeated after
    /// throttling and lost answers: ARM's PUT and PATCH are idempotent), polled to its end.
    /// An operation that ended `Failed` is an error carrying ARM's code and message.
    pub async fn put_with<F, Fut>(
        &self,
        operation: &str,
        path: &str,
        api_version: &str,
        start: F,
    ) -> Result<(), ProviderError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Answer, ProviderError>>,
    {
        let first = self.retried(&start).await?;
        self.track(operation, path, api_version, &first)
            .await
            .map(|_| ())
    }

    /// A PUT (or PATCH, as `method` says) of `body` at `path` in plain ARM REST, polled to
    /// its end.
    pub async fn put(
        &self,
        operation: &str,
        method: Method,
        path: &str,
        api_version: &str,
        body: &Json,
        targets: Targets,
    ) -> Result<(), ProviderError> {
        self.put_with(operation, path, api_version, || {
            self.send(operation, method, path, api_version, Some(body), targets)
        })
        .await
    }

    /// A DELETE of `path` started by `start`, polled to its end; a resource that is gone
    /// already is deleted.
    pub async fn delete_with<F, Fut>(
        &self,
        operation: &str,
        path: &str,
        api_version: &str,
        start: F,
    ) -> Result<(), ProviderError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Answer, ProviderError>>,
    {
        let waiter = self.timing.waiter(format!("{path} to be free to delete"));
        let first = match waiter.while_conflict(|| self.retried(&start)).await {
            Ok(answer) => answer,
            Err(e) if e.kind() == aic_provider::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        if first.status == 204 {
            return Ok(());
        }
        match self.track(operation, path, api_version, &first).await {
            Err(e) if e.kind() == aic_provider::ErrorKind::NotFound => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// A DELETE of `path` in plain ARM REST.
    pub async fn delete(
        &self,
        operation: &str,
        path: &str,
        api_version: &str,
    ) -> Result<(), ProviderError> {
        self.delete_with(operation, path, api_version, || {
            self.send(
                operation,
                Method::Delete,
                path,
                api_version,
                None,
                no_targets,
            )
        })
        .await
    }
}
