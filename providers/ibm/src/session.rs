//! `ibm_quantum_session`: a Qiskit Runtime session (`POST /sessions`, `GET /sessions/{id}`,
//! `DELETE /sessions/{id}/close`).
//!
//! A session is a window of time on one backend. Once closed (by `max_ttl`, by aic's
//! destroy or by anyone else) it never reopens, so a closed session reads as gone: the
//! next apply opens a new one. Nothing of an open session can change but whether it
//! accepts jobs (and one that stops accepting closes once drained), so every argument
//! forces a new session.
//!
//! IBM's API keeps no tags on a session and lists none, so the session of a create whose
//! answer was lost cannot be found: such a create is an error (never repeated), and the
//! session it may have opened stays unused until it expires.

use aic_lang::types::Type;
use aic_lang::value::Value;
use aic_provider::{ErrorKind, Problem, ProviderError, ResourceSchema};
use aic_provider_kit::bulk::{each, Results};
use aic_provider_kit::values::id;
use aic_provider_kit::wait::gone_as_none;
use aic_provider_kit::{Attr, Context, CreateToken, Declare, Resource, ID};
use async_trait::async_trait;
use reqwest::Method;
use serde_json::{json, Value as Json};

use crate::client::{query_encode, Ibm, CLASSIFIER};
use crate::problem_at;
use aic_provider_kit::values::whole_number_outside;

const BACKEND: Attr<String> = Attr::new("backend");
const MODE: Attr<String> = Attr::new("mode");
const MAX_TTL: Attr<i64> = Attr::new("max_ttl");
const STATE: Attr<String> = Attr::new("state");

/// IBM's default `max_ttl`: 8 hours.
pub const DEFAULT_MAX_TTL: i64 = 28_800;
const MODES: [&str; 2] = ["dedicated", "batch"];

pub(crate) struct Session;

fn path(id: &str) -> String {
    format!("/sessions/{}", query_encode(id))
}

/// The value of a session document; `None` for a closed session.
fn value_of(doc: &Json) -> Result<Option<Value>, ProviderError> {
    let text = |key: &str| doc.get(key).and_then(Json::as_str);
    let id = text("id").ok_or_else(|| CLASSIFIER.incomplete("GetSession", "id"))?;
    let state = text("state").unwrap_or("open");
    if state.eq_ignore_ascii_case("closed") {
        return Ok(None);
    }
    Ok(Some(Value::object([
        ID.to(id),
        BACKEND.text(text("backend_name").or_else(|| text("backend"))),
        MODE.text(text("mode")),
        MAX_TTL.to_opt(doc.get("max_ttl").and_then(Json::as_i64)),
        STATE.to(state),
    ])))
}

async fn get(ibm: &Ibm, id: &str) -> Result<Option<Value>, ProviderError> {
    match gone_as_none(ibm.get("GetSession", &path(id)).await)? {
        Some(doc) => value_of(&doc),
        None => Ok(None),
    }
}

fn lost_answer(error: &ProviderError) -> ProviderError {
    ProviderError::other(format!(
        "the answer to opening an IBM Quantum session was lost ({error}); a session may have \
         been opened"
    ))
    .with_help(
        "IBM's API neither tags nor lists sessions, so aic cannot find it and does not open \
         another on its own: run the command again to open a new session. A session that \
         runs no job costs nothing and closes when its `max_ttl` runs out.",
    )
}

#[async_trait]
impl Resource<Ibm> for Session {
    fn type_name(&self) -> &'static str {
        "ibm_quantum_session"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(
            "A Qiskit Runtime session: jobs that name it run one after another on its \
             backend (`dedicated`) or are scheduled together (`batch`). Destroying it closes \
             it (its queued jobs are cancelled). A session closed by any other means (its \
             `max_ttl` ran out) reads as gone, and the next apply opens a new one — which \
             replaces the jobs that name it.",
        )
        .with(
            BACKEND
                .required()
                .force_new()
                .describe("The backend the session runs on, e.g. `ibm_kestrel`."),
        )
        .with(
            MODE.optional()
                .force_new()
                .of_type(Type::StringUnion(
                    MODES.iter().map(|m| (*m).to_owned()).collect(),
                ))
                .default_value("dedicated")
                .describe(
                "`dedicated` (the backend runs the session's jobs one after another) or `batch`.",
            ),
        )
        .with(
            MAX_TTL
                .optional()
                .force_new()
                .default_value(DEFAULT_MAX_TTL as f64)
                .describe(
                    "Seconds the session may live once its first job started (1 to 2147483647; \
             IBM's default, 8 hours).",
                ),
        )
        .with(ID.computed().describe("The session's id."))
        .with(
            STATE.computed().describe(
                "`open` (no job started yet), `active` (running jobs) or `inactive` (idle).",
            ),
        )
    }

    fn validate(&self, config: &Value, problems: &mut Vec<Problem>) {
        if let Some(mode) = config
            .get(MODE.name())
            .filter(|v| v.is_known())
            .and_then(Value::as_str)
        {
            if !MODES.contains(&mode) {
                problems.push(problem_at(
                    &[MODE.name()],
                    format!("`mode` is `dedicated` or `batch`, not `{mode}`"),
                ));
            }
        }
        if let Some(ttl) = whole_number_outside(config, MAX_TTL.name(), 1.0..=2_147_483_647.0) {
            problems.push(problem_at(
                &[MAX_TTL.name()],
                format!("`max_ttl` is a whole number of seconds from 1 to 2147483647, not {ttl}"),
            ));
        }
    }

    async fn create(
        &self,
        ibm: &Ibm,
        planned: &Value,
        _token: &CreateToken,
    ) -> Result<Value, ProviderError> {
        let body = json!({
            "backend": BACKEND.require(planned)?,
            "mode": MODE.or(planned, "dedicated".to_owned())?,
            "max_ttl": MAX_TTL.or(planned, DEFAULT_MAX_TTL)?,
        });
        // Throttled calls did not run and are repeated; a transient failure may have
        // opened a session that cannot be found, and is not.
        let backoff = ibm.backoff();
        let mut attempt = 1;
        let doc = loop {
            match ibm
                .send_once("CreateSession", Method::POST, "/sessions", Some(&body))
                .await
            {
                Ok(Some(doc)) => break doc,
                Ok(None) => return Err(CLASSIFIER.incomplete("CreateSession", "a body")),
                Err(e) if e.kind() == ErrorKind::Transient => return Err(lost_answer(&e)),
                Err(e) if e.kind() == ErrorKind::Throttled && attempt < backoff.attempts => {
                    tokio::time::sleep(backoff.delay(attempt, e.retry_after())).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        };
        value_of(&doc)?.ok_or_else(|| {
            ProviderError::other("IBM Quantum opened a session that is closed already")
        })
    }

    async fn read_many(&self, ibm: &Ibm, priors: &[Value]) -> Results {
        each(priors, |prior| async move { get(ibm, &id(prior)?).await }).await
    }

    async fn update(
        &self,
        _ibm: &Ibm,
        _prior: &Value,
        _planned: &Value,
    ) -> Result<Value, ProviderError> {
        Err(ProviderError::unsupported(
            "an IBM Quantum session cannot change; every argument forces a new one",
        ))
    }

    async fn delete(&self, ibm: &Ibm, prior: &Value) -> Result<(), ProviderError> {
        let id = id(prior)?;
        gone_as_none(
            ibm.call(
                "CloseSession",
                Method::DELETE,
                &format!("{}/close", path(&id)),
                None,
            )
            .await,
        )
        .map(|_| ())
    }
}
