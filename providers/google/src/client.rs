//! The configured client: Google's `ClusterManager` with a bearer token or Application
//! Default Credentials, calls retried with the kit's backoff, GKE's errors
//! (`google.rpc.Status`) classified by the kit, and every mutation's `Operation` polled
//! to `DONE`, one at a time per cluster.
//!
//! GKE runs one operation per cluster and refuses a second one with `FAILED_PRECONDITION`
//! ("Cluster is running incompatible operation …"). Mutations of one cluster made through
//! one client wait for each other in [`Gke::mutate`]'s per-cluster queue; one refused
//! because of an operation started elsewhere is started again once that one ended.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use aic_lang::value::{AttrPath, PathStep};
use aic_provider::{ErrorKind, ProviderError};
use aic_provider_kit::create::make;
use aic_provider_kit::error::{ApiFailure, Class, Classifier};
use aic_provider_kit::lro::{self, Status};
use aic_provider_kit::wait::gone_as_none;
use aic_provider_kit::{Backoff, Context, Timing};
use async_trait::async_trait;
use google_cloud_auth::credentials::{
    CacheableResource, Credentials, CredentialsProvider, EntityTag,
};
use google_cloud_container_v1::client::ClusterManager;
use google_cloud_container_v1::model::{operation, Operation};
use google_cloud_gax::error::rpc::StatusDetails;
use google_cloud_gax::retry_policy::NeverRetry;
use http::{Extensions, HeaderMap, HeaderValue};
use serde_json::json;

use crate::config::Settings;
use crate::names::ClusterName;

/// How GKE's errors are classified: by their `google.rpc.Code` name.
pub const CLASSIFIER: Classifier = Classifier {
    service: "GKE",
    by_code: |code, _| Class::of_google_status(code),
    auth_help: "Check the credentials: the provider's `access_token`, or Application Default \
                Credentials (`GOOGLE_APPLICATION_CREDENTIALS`, `gcloud auth \
                application-default login`).",
    unreachable_help: "Check the provider's `endpoint` (default \
                       `https://container.googleapis.com`) and the network.",
};

/// A credential that sends one OAuth 2.0 access token (the provider's `access_token`).
#[derive(Debug)]
struct BearerToken {
    headers: HeaderMap,
    tag: EntityTag,
}

impl BearerToken {
    fn credentials(token: &str) -> Result<Credentials, ProviderError> {
        let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            ProviderError::invalid_config("the `access_token` holds characters a header cannot")
        })?;
        value.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(http::header::AUTHORIZATION, value);
        Ok(Credentials::from(BearerToken {
            headers,
            tag: EntityTag::new(),
        }))
    }
}

impl CredentialsProvider for BearerToken {
    async fn headers(
        &self,
        extensions: Extensions,
    ) -> Result<CacheableResource<HeaderMap>, google_cloud_auth::errors::CredentialsError> {
        match extensions.get::<EntityTag>() {
            Some(tag) if *tag == self.tag => Ok(CacheableResource::NotModified),
            _ => Ok(CacheableResource::New {
                entity_tag: self.tag.clone(),
                data: self.headers.clone(),
            }),
        }
    }

    async fn universe_domain(&self) -> Option<String> {
        None
    }
}

/// How long one call may take before it counts as lost (transient) by default.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);

/// An operation started in a cluster's turn ([`Gke::start`]).
pub struct Started {
    _turn: tokio::sync::OwnedMutexGuard<()>,
    op: Operation,
}

/// `Some(())` when a status is `RUNNING`; an error for `ERROR`; `None` (not yet) otherwise.
fn settled(status: Option<&str>, message: &str, path: &str) -> Result<Option<()>, ProviderError> {
    match status {
        Some("RUNNING") => Ok(Some(())),
        Some("ERROR") | Some("RUNNING_WITH_ERROR") => Err(ProviderError::other(format!(
            "GKE reports {path} in `{}`: {message}",
            status.unwrap_or_default()
        ))),
        _ => Ok(None),
    }
}

/// The messages of status conditions, for errors.
fn conditions(conditions: &[google_cloud_container_v1::model::StatusCondition]) -> String {
    conditions
        .iter()
        .map(|c| c.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// A configured `google` provider.
pub struct Gke {
    client: ClusterManager,
    credentials: Credentials,
    http: reqwest::Client,
    pub settings: Settings,
    timing: Timing,
    backoff: Backoff,
    attempt_timeout: Duration,
    /// One lock per cluster (`projects/P/locations/L/clusters/C`): held while an operation
    /// of the cluster runs.
    queues: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Gke {
    /// A client for `settings`.
    pub async fn new(
        settings: Settings,
        timing: Timing,
        backoff: Backoff,
        attempt_timeout: Duration,
    ) -> Result<Gke, ProviderError> {
        let credentials = match &settings.access_token {
            Some(token) => BearerToken::credentials(token)?,
            None => google_cloud_auth::credentials::Builder::default()
                .build()
                .map_err(|e| {
                    ProviderError::invalid_config(format!("no Google Cloud credentials: {e}"))
                        .with_help(CLASSIFIER.auth_help)
                })?,
        };
        let client = ClusterManager::builder()
            .with_endpoint(settings.endpoint.clone())
            .with_credentials(credentials.clone())
            .with_retry_policy(NeverRetry)
            .with_attempt_timeout(attempt_timeout)
            .build()
            .await
            .map_err(|e| {
                ProviderError::invalid_config(format!("cannot set up the GKE client: {e}"))
            })?;
        Ok(Gke {
            client,
            credentials,
            http: reqwest::Client::new(),
            settings,
            timing,
            backoff,
            attempt_timeout,
            queues: Mutex::new(HashMap::new()),
        })
    }

    /// Google's client.
    pub fn client(&self) -> &ClusterManager {
        &self.client
    }

    /// The location of a resource that names `location`, else the provider's `region`.
    pub fn location(&self, location: Option<String>) -> Result<String, ProviderError> {
        location
            .or_else(|| self.settings.region.clone())
            .ok_or_else(|| {
                ProviderError::invalid_config("no `location`, and the provider has no `region`")
                    .with_help("Set `location` on the resource, or `region` on the provider.")
            })
    }

    /// `call` (one request through Google's client), repeated after throttling and
    /// transient failures as the kit's backoff says. Only for calls that change nothing or
    /// may be repeated.
    pub async fn call<T, F, Fut>(&self, operation: &str, mut call: F) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = google_cloud_gax::Result<T>>,
    {
        let mut attempt = 1;
        loop {
            // Google's request futures are large: boxed, so that nested calls stay within
            // a thread's stack.
            match Box::pin(call()).await {
                Ok(answer) => return Ok(answer),
                Err(e) => {
                    let error = api_error(operation, &e);
                    if !error.is_retryable() || attempt >= self.backoff.attempts {
                        return Err(error);
                    }
                    tokio::time::sleep(self.backoff.delay(attempt, error.retry_after())).await;
                    attempt += 1;
                }
            }
        }
    }

    /// A mutation of `cluster` (its full name): [`Gke::start`], then [`Gke::finish`].
    pub async fn mutate<F, Fut>(
        &self,
        rpc: &str,
        cluster: &str,
        start: F,
    ) -> Result<(), ProviderError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = google_cloud_gax::Result<Operation>>,
    {
        let started = self.start(rpc, cluster, start).await?;
        self.finish(rpc, cluster, started).await
    }

    /// Waits for the turn of `cluster` (its full name) in this client's queue and starts
    /// an operation with `start`: again while the cluster is busy with an operation
    /// started elsewhere, and after throttling. The turn lasts until [`Gke::finish`].
    ///
    /// A start that failed transiently is not repeated (it may have started the
    /// operation): the error is returned, and the caller looks for its effect.
    pub async fn start<F, Fut>(
        &self,
        rpc: &str,
        cluster: &str,
        start: F,
    ) -> Result<Started, ProviderError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = google_cloud_gax::Result<Operation>>,
    {
        let turn = self.queue(cluster).lock_owned().await;
        let op = self
            .timing
            .waiter(format!("cluster {cluster} to finish its running operation"))
            .while_conflict(|| async {
                let mut attempt = 1;
                loop {
                    match Box::pin(start()).await {
                        Ok(op) => return Ok(op),
                        Err(e) => {
                            let error = api_error(rpc, &e);
                            let throttled = error.kind() == ErrorKind::Throttled;
                            if !throttled || attempt >= self.backoff.attempts {
                                return Err(busy_as_conflict(error, &e));
                            }
                            tokio::time::sleep(self.backoff.delay(attempt, error.retry_after()))
                                .await;
                            attempt += 1;
                        }
                    }
                }
            })
            .await?;
        Ok(Started { _turn: turn, op })
    }

    /// The start of a create whose operation makes an object in `cluster`: [`Gke::start`],
    /// through the kit's [`make`]: a lost answer (a transient failure, which may have
    /// started the operation) looks for the object with `exists` before starting again.
    /// `Some` operation to [`Gke::finish`], or `None` when the object was found (then wait
    /// until it is running).
    pub async fn start_create<F, Fut, E, EFut>(
        &self,
        rpc: &str,
        cluster: &str,
        start: F,
        exists: E,
    ) -> Result<Option<Started>, ProviderError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = google_cloud_gax::Result<Operation>>,
        E: Fn() -> EFut,
        EFut: Future<Output = Result<bool, ProviderError>>,
    {
        make(
            self,
            || async { self.start(rpc, cluster, &start).await.map(Some) },
            || async { Ok(exists().await?.then_some(None)) },
        )
        .await
    }

    /// Polls a started operation until it is `DONE`, then ends the cluster's turn. A failed
    /// operation is an error with its `google.rpc.Status`.
    pub async fn finish(
        &self,
        rpc: &str,
        cluster: &str,
        started: Started,
    ) -> Result<(), ProviderError> {
        self.wait(rpc, cluster, &started.op).await
    }

    /// Polls `GetCluster` until the cluster is `RUNNING` (after an operation whose answer
    /// was lost); an error when it ended in `ERROR` or is gone.
    pub async fn until_settled(&self, name: &ClusterName) -> Result<(), ProviderError> {
        self.timing
            .waiter(format!("cluster {} to be running", name.path()))
            .until(|| async {
                let cluster = crate::cluster::get(self, name).await?.ok_or_else(|| {
                    ProviderError::not_found(format!("GKE cluster {} is gone", name.path()))
                })?;
                settled(
                    cluster.status.name(),
                    &conditions(&cluster.conditions),
                    &name.path(),
                )
            })
            .await
    }

    /// Polls `GetNodePool` until the pool is `RUNNING`, as [`Gke::until_settled`].
    pub async fn until_pool_settled(
        &self,
        name: &ClusterName,
        pool: &str,
    ) -> Result<(), ProviderError> {
        let path = name.pool_path(pool);
        self.timing
            .waiter(format!("node pool {path} to be running"))
            .until(|| async {
                let found = gone_as_none(
                    self.call("GetNodePool", || {
                        self.client.get_node_pool().set_name(path.clone()).send()
                    })
                    .await,
                )?
                .ok_or_else(|| ProviderError::not_found(format!("GKE node pool {path} is gone")))?;
                settled(found.status.name(), &conditions(&found.conditions), &path)
            })
            .await
    }

    /// Polls operation `op` (started by `rpc` on `cluster`) until it is `DONE`.
    async fn wait(&self, rpc: &str, cluster: &str, op: &Operation) -> Result<(), ProviderError> {
        let location = cluster
            .split("/clusters/")
            .next()
            .unwrap_or(cluster)
            .to_owned();
        let name = format!("{location}/operations/{}", op.name);
        let mut current = Some(op.clone());
        Box::pin(lro::run(
            &self
                .timing
                .waiter(format!("GKE operation {} ({rpc})", op.name)),
            || {
                let known = current.take();
                let name = name.clone();
                async move {
                    let op = match known {
                        Some(op) => op,
                        None => {
                            self.call("GetOperation", || {
                                self.client.get_operation().set_name(name.clone()).send()
                            })
                            .await?
                        }
                    };
                    Ok(interpret(rpc, &op))
                }
            },
        ))
        .await
        .map(|_| ())
    }

    fn queue(&self, cluster: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.queues
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(cluster.to_owned())
            .or_default()
            .clone()
    }

    /// A `GET` of a Compute URL GKE answered (a node pool's instance group), with the same
    /// credentials: the JSON answer.
    pub async fn get_url(
        &self,
        operation: &str,
        url: &str,
    ) -> Result<serde_json::Value, ProviderError> {
        let headers = match self.credentials.headers(Extensions::new()).await {
            Ok(CacheableResource::New { data, .. }) => data,
            Ok(CacheableResource::NotModified) => HeaderMap::new(),
            Err(e) => {
                return Err(ProviderError::invalid_config(format!(
                    "no Google Cloud credentials: {e}"
                ))
                .with_help(CLASSIFIER.auth_help))
            }
        };
        let mut attempt = 1;
        loop {
            let answer = self
                .http
                .get(url)
                .headers(headers.clone())
                .timeout(self.attempt_timeout)
                .send()
                .await;
            let error = match answer {
                Ok(answer) => {
                    let status = answer.status().as_u16();
                    let body = answer.bytes().await.unwrap_or_default();
                    let json: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
                    if status < 300 {
                        return json.ok_or_else(|| CLASSIFIER.incomplete(operation, "a body"));
                    }
                    lro::Answer {
                        status,
                        headers: Vec::new(),
                        body: json,
                    }
                    .error(operation, &CLASSIFIER)
                }
                Err(e) => CLASSIFIER.unreachable(operation, e),
            };
            if !error.is_retryable() || attempt >= self.backoff.attempts {
                return Err(error);
            }
            tokio::time::sleep(self.backoff.delay(attempt, error.retry_after())).await;
            attempt += 1;
        }
    }
}

#[async_trait]
impl Context for Gke {
    fn timing(&self) -> Timing {
        self.timing
    }

    fn backoff(&self) -> Backoff {
        self.backoff
    }
}

/// What operation `op` says, through the kit's reading of Google's operations.
fn interpret(rpc: &str, op: &Operation) -> Status {
    let done = op.status == operation::Status::Done;
    let error = op
        .error
        .as_ref()
        .map(|e| json!({"code": e.code, "message": e.message}));
    let status = lro::google::interpret(
        rpc,
        &json!({"status": if done { "DONE" } else { "RUNNING" }, "error": error}),
        &CLASSIFIER,
    );
    match status {
        Status::Failed(e) => Status::Failed(
            ProviderError::new(
                e.kind(),
                format!("GKE operation {} failed: {}", op.name, e.message()),
            )
            .with_cloud(
                e.cloud().map(|c| c.code.clone()).unwrap_or_default(),
                e.cloud().map(|c| c.message.clone()).unwrap_or_default(),
            ),
        ),
        other => other,
    }
}

/// Whether an error is GKE's refusal of a second operation on a busy cluster.
fn is_busy(e: &google_cloud_gax::error::Error) -> bool {
    e.status().is_some_and(|s| {
        s.code.name() == "FAILED_PRECONDITION" && s.message.contains("incompatible operation")
    })
}

/// A busy cluster's refusal stays a conflict (waited out); other conflicts
/// (`ALREADY_EXISTS`, a stale fingerprint) are not retried.
fn busy_as_conflict(error: ProviderError, e: &google_cloud_gax::error::Error) -> ProviderError {
    if error.kind() == ErrorKind::Conflict && !is_busy(e) {
        let help = error.help_text();
        return ProviderError::new(ErrorKind::Other, error.message().to_owned())
            .with_cloud(
                error.cloud().map(|c| c.code.clone()).unwrap_or_default(),
                error.cloud().map(|c| c.message.clone()).unwrap_or_default(),
            )
            .with_help(help);
    }
    error
}

/// The attribute an API field of an `INVALID_ARGUMENT` is (`cluster.node_pools[0].config.
/// machine_type` → `node_config.machine_type`).
fn attribute_of(field: &str) -> Option<AttrPath> {
    let last = field.rsplit('.').next()?.split('[').next()?;
    let names: &[&str] = match last {
        "name" => &["name"],
        "machine_type" | "machineType" => &["node_config", "machine_type"],
        "disk_size_gb" | "diskSizeGb" => &["node_config", "disk_size_gb"],
        "initial_node_count" | "initialNodeCount" => &["initial_node_count"],
        "node_count" | "nodeCount" => &["node_count"],
        "min_node_count" | "minNodeCount" => &["autoscaling", "min_node_count"],
        "max_node_count" | "maxNodeCount" => &["autoscaling", "max_node_count"],
        "node_version" | "nodeVersion" | "version" => &["version"],
        "initial_cluster_version" | "desired_master_version" => &["min_master_version"],
        _ => return None,
    };
    Some(AttrPath::new(
        names
            .iter()
            .map(|n| PathStep::Attr((*n).to_owned()))
            .collect(),
    ))
}

/// The provider error of a failed call: GKE's `google.rpc.Status` (code name, message,
/// HTTP status, `Retry-After`, the field of a bad request) classified by the kit; a call
/// that got no answer is transient.
pub fn api_error(operation: &str, e: &google_cloud_gax::error::Error) -> ProviderError {
    let retry_after = e
        .http_headers()
        .and_then(|h| h.get("retry-after"))
        .and_then(|v| v.to_str().ok())
        .and_then(aic_provider_kit::error::parse_retry_after);
    if let Some(status) = e.status() {
        let mut failure = ApiFailure::new(operation)
            .code(status.code.name(), status.message.clone())
            .retry_after(retry_after);
        if let Some(http) = e.http_status_code() {
            failure = failure.status(http);
        }
        let mut error = failure.into_error(&CLASSIFIER);
        let field = status.details.iter().find_map(|d| match d {
            StatusDetails::BadRequest(bad) => bad
                .field_violations
                .iter()
                .find_map(|v| attribute_of(&v.field)),
            _ => None,
        });
        if let Some(path) = field {
            error = error.with_attribute(path);
        }
        return error;
    }
    if e.is_timeout() || e.is_io() || e.is_connect() || e.is_transport() {
        return CLASSIFIER.unreachable(operation, e);
    }
    if e.is_authentication() {
        return ProviderError::invalid_config(format!("GKE {operation}: {e}"))
            .with_help(CLASSIFIER.auth_help);
    }
    if let Some(http) = e.http_status_code() {
        return ApiFailure::new(operation)
            .status(http)
            .detail(e.to_string())
            .retry_after(retry_after)
            .into_error(&CLASSIFIER);
    }
    ProviderError::other(format!("GKE {operation} failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use google_cloud_gax::error::rpc::{Code, Status as RpcStatus};
    use google_cloud_gax::error::Error;

    #[test]
    fn rpc_statuses_map_onto_the_kit_classes() {
        let cases = [
            (Code::NotFound, ErrorKind::NotFound),
            (Code::ResourceExhausted, ErrorKind::Throttled),
            (Code::Unavailable, ErrorKind::Transient),
            (Code::InvalidArgument, ErrorKind::InvalidConfig),
            (Code::AlreadyExists, ErrorKind::Conflict),
        ];
        for (code, kind) in cases {
            let e = Error::service(RpcStatus::default().set_code(code).set_message("m"));
            let error = api_error("GetCluster", &e);
            assert_eq!(error.kind(), kind, "{code:?}");
            assert_eq!(error.cloud().map(|c| c.message.as_str()), Some("m"));
        }
    }

    #[test]
    fn a_busy_cluster_is_waited_out_other_conflicts_are_not() {
        let busy = Error::service(
            RpcStatus::default()
                .set_code(Code::FailedPrecondition)
                .set_message("Cluster is running incompatible operation operation-1."),
        );
        let error = busy_as_conflict(api_error("SetNodePoolSize", &busy), &busy);
        assert_eq!(error.kind(), ErrorKind::Conflict);
        let exists = Error::service(
            RpcStatus::default()
                .set_code(Code::AlreadyExists)
                .set_message("Already exists"),
        );
        let error = busy_as_conflict(api_error("CreateCluster", &exists), &exists);
        assert_eq!(error.kind(), ErrorKind::Other);
        assert_eq!(
            error.cloud().map(|c| c.code.as_str()),
            Some("ALREADY_EXISTS")
        );
    }

    #[test]
    fn bad_fields_name_their_attribute() {
        assert_eq!(
            attribute_of("cluster.node_pools[0].config.machine_type").map(|p| p.to_string()),
            Some("node_config.machine_type".to_owned())
        );
        assert_eq!(attribute_of("cluster.whatever"), None);
    }

    #[test]
    fn failed_operations_carry_their_status() {
        let op = Operation::new()
            .set_name("operation-1")
            .set_status(operation::Status::Done)
            .set_error(
                google_cloud_rpc::model::Status::default()
                    .set_code(13)
                    .set_message("boom"),
            );
        let Status::Failed(e) = interpret("SetNodePoolSize", &op) else {
            panic!("a failed operation is an error");
        };
        assert_eq!(e.kind(), ErrorKind::Transient);
        assert!(e.to_string().contains("operation-1"), "{e}");
        assert_eq!(e.cloud().map(|c| c.code.as_str()), Some("INTERNAL"));
        let running = Operation::new().set_status(operation::Status::Running);
        assert!(matches!(
            interpret("SetNodePoolSize", &running),
            Status::Running { .. }
        ));
    }
}
