//! `ibm_quantum_job`: a sampler or estimator job of Qiskit Runtime (`POST /jobs`,
//! `GET /jobs/{id}`, `/results`, `PUT /jobs/{id}/tags`, `POST /jobs/{id}/cancel`,
//! `DELETE /jobs/{id}`).
//!
//! A job runs once: its program, backend, session and pubs force a new job; only its tags
//! change in place. With `wait` (the default) a create waits until the job ends: a failed
//! or cancelled job is an error carrying IBM's reason (and is deleted again), a completed
//! one records its results per pub. Every job carries a hidden tag with its create token,
//! by which the job of a create whose answer was lost is found instead of submitted again.

use std::collections::BTreeMap;
use std::time::Duration;

use aic_lang::duration::Duration as AicDuration;
use aic_lang::types::{ObjectAttr, Type};
use aic_lang::value::Value;
use aic_provider::{ErrorKind, Problem, ProviderError, ResourceSchema};
use aic_provider_kit::bulk::{each, Results};
use aic_provider_kit::create::{finish_or_undo, make};
use aic_provider_kit::values::id;
use aic_provider_kit::wait::gone_as_none;
use aic_provider_kit::{Attr, Context, CreateToken, Declare, Resource, Timing, ID};
use async_trait::async_trait;
use indexmap::IndexMap;
use reqwest::Method;
use serde_json::{json, Value as Json};

use crate::client::{query_encode, Ibm, CLASSIFIER};
use crate::problem_at;

const PROGRAM_ID: Attr<String> = Attr::new("program_id");
const BACKEND: Attr<String> = Attr::new("backend");
const SESSION_ID: Attr<String> = Attr::new("session_id");
const PUBS: Attr<String> = Attr::new("pubs");
const SHOTS: Attr<i64> = Attr::new("shots");
const TAGS: Attr<Vec<String>> = Attr::new("tags");
const WAIT: Attr<bool> = Attr::new("wait");
const WAIT_TIMEOUT: Attr<String> = Attr::new("wait_timeout");
const STATUS: Attr<String> = Attr::new("status");
const REASON: Attr<String> = Attr::new("reason");
const RESULTS: Attr<String> = Attr::new("results");

const CIRCUIT: &str = "circuit";
const PARAMETER_VALUES: &str = "parameter_values";
const OBSERVABLES: &str = "observables";
const PUB_SHOTS: &str = "shots";

const PROGRAMS: [&str; 2] = ["sampler", "estimator"];
/// Tags aic puts on a job and does not show in `tags`.
const HIDDEN: &str = "aic:";
/// The tag of a job's create token.
const TOKEN_TAG: &str = "aic:create-token:";
/// IBM takes at most 8 tags of at most 86 characters; one is aic's.
const MAX_TAGS: usize = 7;
const MAX_TAG_LEN: usize = 86;
const DEFAULT_WAIT_TIMEOUT: &str = "1h";

pub(crate) struct Job;

fn path(id: &str) -> String {
    format!("/jobs/{}", query_encode(id))
}

fn pub_type() -> Type {
    Type::Object(IndexMap::from([
        (CIRCUIT.to_owned(), ObjectAttr::required(Type::String)),
        (
            PARAMETER_VALUES.to_owned(),
            ObjectAttr::optional(Type::map(Type::Number)),
        ),
        (
            OBSERVABLES.to_owned(),
            ObjectAttr::optional(Type::map(Type::Number)),
        ),
        (PUB_SHOTS.to_owned(), ObjectAttr::optional(Type::Number)),
    ]))
}

fn result_type() -> Type {
    Type::Object(IndexMap::from([
        (
            "counts".to_owned(),
            ObjectAttr::required(Type::map(Type::Number)),
        ),
        ("evs".to_owned(), ObjectAttr::required(Type::Number)),
        ("stds".to_owned(), ObjectAttr::required(Type::Number)),
    ]))
}

/// A status IBM spells `Completed`, `Failed`, `Cancelled` (any case).
fn terminal(status: &str) -> bool {
    ["completed", "failed", "cancelled"]
        .iter()
        .any(|s| status.to_ascii_lowercase().starts_with(s))
}

fn status_of(doc: &Json) -> String {
    doc.pointer("/state/status")
        .or_else(|| doc.get("status"))
        .and_then(Json::as_str)
        .unwrap_or("Queued")
        .to_owned()
}

// ----- values between aic and IBM -------------------------------------------------------

/// A map of numbers as JSON (`{"theta": 1.57}`, `{"ZZ": 1.0}`); `None` for null.
fn number_map_json(value: Option<&Value>) -> Option<Json> {
    let entries = value?.as_entries()?;
    Some(Json::Object(
        entries
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), json!(v.as_number()?))))
            .collect(),
    ))
}

fn number_map_value(json: Option<&Json>) -> Value {
    match json.and_then(Json::as_object) {
        Some(map) => Value::map(
            map.iter()
                .filter_map(|(k, v)| Some((k.clone(), Value::number(v.as_f64()?)))),
        ),
        None => Value::null(),
    }
}

fn pub_items(planned: &Value) -> Vec<&Value> {
    planned
        .get(PUBS.name())
        .and_then(Value::as_elements)
        .map(|items| items.iter().collect())
        .unwrap_or_default()
}

/// One pub as IBM's list: `[circuit, parameter_values?, shots?]` for the sampler,
/// `[circuit, observables, parameter_values?]` for the estimator, trailing nulls left out.
fn pub_json(program: &str, item: &Value) -> Json {
    let circuit = json!(item
        .get(CIRCUIT)
        .and_then(Value::as_str)
        .unwrap_or_default());
    let params = number_map_json(item.get(PARAMETER_VALUES)).unwrap_or(Json::Null);
    let mut list = if program == "estimator" {
        let observables = number_map_json(item.get(OBSERVABLES)).unwrap_or(Json::Null);
        vec![circuit, observables, params]
    } else {
        let shots = item
            .get(PUB_SHOTS)
            .and_then(Value::as_integer)
            .map_or(Json::Null, |n| json!(n));
        vec![circuit, params, shots]
    };
    while list.len() > 1 && list.last().is_some_and(Json::is_null) {
        list.pop();
    }
    Json::Array(list)
}

/// A pub of a job's `params` as the value `pub_json` was made from.
fn pub_value(program: &str, json: &Json) -> Value {
    let parts: Vec<&Json> = match json {
        Json::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let part = |i: usize| parts.get(i).copied().filter(|j| !j.is_null());
    let circuit = Value::string(part(0).and_then(Json::as_str).unwrap_or_default());
    let (params, observables, shots) = if program == "estimator" {
        (number_map_value(part(2)), number_map_value(part(1)), None)
    } else {
        (
            number_map_value(part(1)),
            Value::null(),
            part(2).and_then(Json::as_i64),
        )
    };
    Value::object([
        (CIRCUIT, circuit),
        (PARAMETER_VALUES, params),
        (OBSERVABLES, observables),
        (
            PUB_SHOTS,
            shots.map_or_else(Value::null, |n| Value::number(n as f64)),
        ),
    ])
}

fn job_body(planned: &Value, token_tag: &str) -> Result<Json, ProviderError> {
    let program = PROGRAM_ID.require(planned)?;
    let pubs: Vec<Json> = pub_items(planned)
        .into_iter()
        .map(|item| pub_json(&program, item))
        .collect();
    let mut params = json!({"pubs": pubs, "version": 2});
    if let Some(shots) = SHOTS.get(planned)? {
        if program == "estimator" {
            params["options"] = json!({"default_shots": shots});
        } else {
            params["shots"] = json!(shots);
        }
    }
    let mut tags = TAGS.get(planned)?.unwrap_or_default();
    tags.push(token_tag.to_owned());
    let mut body = json!({
        "program_id": program,
        "backend": BACKEND.require(planned)?,
        "tags": tags,
        "params": params,
    });
    if let Some(session) = SESSION_ID.get(planned)? {
        body["session_id"] = json!(session);
    }
    Ok(body)
}

/// The counts of one sampler pub's data: each shot's registers as bitstrings (bit 0
/// rightmost), several registers joined by a space.
fn counts(data: &Json) -> Value {
    let Some(registers) = data.as_object() else {
        return Value::null();
    };
    let mut per_register: Vec<Vec<String>> = Vec::new();
    for register in registers.values() {
        let width = register.get("num_bits").and_then(Json::as_u64).unwrap_or(0) as usize;
        let mut shots = Vec::new();
        flatten(register.get("samples"), &mut shots);
        per_register.push(
            shots
                .iter()
                .map(|hex| {
                    let digits = hex.trim_start_matches("0x").trim_start_matches("0X");
                    let bits = u128::from_str_radix(digits, 16).unwrap_or(0);
                    format!("{bits:0width$b}")
                })
                .collect(),
        );
    }
    let shots = per_register.first().map_or(0, Vec::len);
    let mut tally: BTreeMap<String, u64> = BTreeMap::new();
    for shot in 0..shots {
        let key = per_register
            .iter()
            .rev()
            .filter_map(|r| r.get(shot).cloned())
            .collect::<Vec<_>>()
            .join(" ");
        *tally.entry(key).or_default() += 1;
    }
    Value::map(tally.into_iter().map(|(k, n)| (k, Value::number(n as f64))))
}

fn flatten<'a>(json: Option<&'a Json>, out: &mut Vec<&'a str>) {
    match json {
        Some(Json::Array(items)) => items.iter().for_each(|i| flatten(Some(i), out)),
        Some(Json::String(s)) => out.push(s),
        _ => {}
    }
}

fn number(json: Option<&Json>) -> Value {
    json.and_then(Json::as_f64)
        .map_or_else(Value::null, Value::number)
}

/// The results of a completed job, one entry per pub (IBM's plain JSON results).
fn results_value(program: &str, answer: &Json) -> Value {
    let pubs = answer
        .get("results")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    Value::list(pubs.iter().map(|entry| {
        let data = entry.get("data").cloned().unwrap_or(Json::Null);
        if program == "estimator" {
            Value::object([
                ("counts", Value::null()),
                ("evs", number(data.get("evs"))),
                ("stds", number(data.get("stds"))),
            ])
        } else {
            Value::object([
                ("counts", counts(&data)),
                ("evs", Value::null()),
                ("stds", Value::null()),
            ])
        }
    }))
}

fn wait_timeout(object: &Value) -> Result<Duration, ProviderError> {
    let text = WAIT_TIMEOUT.or(object, DEFAULT_WAIT_TIMEOUT.to_owned())?;
    AicDuration::parse(&text)
        .map(AicDuration::as_duration)
        .map_err(|e| ProviderError::invalid_config(format!("`wait_timeout`: {e}")))
}

// ----- calls ------------------------------------------------------------------------------

async fn get_doc(ibm: &Ibm, id: &str) -> Result<Option<Json>, ProviderError> {
    gone_as_none(ibm.get("GetJob", &path(id)).await)
}

/// The job carrying `tag`, if any.
async fn find_by_tag(ibm: &Ibm, tag: &str) -> Result<Option<String>, ProviderError> {
    let listed = ibm
        .get(
            "ListJobs",
            &format!("/jobs?tags={}&exclude_params=true", query_encode(tag)),
        )
        .await?;
    Ok(listed
        .get("jobs")
        .and_then(Json::as_array)
        .and_then(|jobs| jobs.first())
        .and_then(|job| job.get("id"))
        .and_then(Json::as_str)
        .map(str::to_owned))
}

/// The job's value from its document; `like` gives what IBM does not keep (`wait`,
/// `wait_timeout`) and earlier results.
async fn value_of(ibm: &Ibm, doc: &Json, like: &Value) -> Result<Value, ProviderError> {
    let text = |key: &str| doc.get(key).and_then(Json::as_str);
    let id = text("id").ok_or_else(|| CLASSIFIER.incomplete("GetJob", "id"))?;
    let program = doc
        .pointer("/program/id")
        .and_then(Json::as_str)
        .or_else(|| text("program_id"))
        .unwrap_or_default()
        .to_owned();
    let status = status_of(doc);
    let tags: Vec<String> = doc
        .get("tags")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .filter(|t| !t.starts_with(HIDDEN))
        .map(str::to_owned)
        .collect();
    let (pubs, shots) = match doc.get("params") {
        Some(params) => {
            let pubs = params
                .get("pubs")
                .and_then(Json::as_array)
                .map(|items| Value::list(items.iter().map(|p| pub_value(&program, p))))
                .unwrap_or_else(Value::null);
            let shots = params
                .get("shots")
                .or_else(|| params.pointer("/options/default_shots"))
                .and_then(Json::as_i64);
            (pubs, SHOTS.to_opt(shots).1)
        }
        None => (
            like.get(PUBS.name()).cloned().unwrap_or_else(Value::null),
            like.get(SHOTS.name()).cloned().unwrap_or_else(Value::null),
        ),
    };
    let completed = status.eq_ignore_ascii_case("completed");
    let results = match like.get(RESULTS.name()) {
        Some(known)
            if completed
                && STATUS
                    .get(like)
                    .ok()
                    .flatten()
                    .is_some_and(|s| s.eq_ignore_ascii_case("completed"))
                && known.as_elements().is_some_and(|r| !r.is_empty()) =>
        {
            known.clone()
        }
        _ if completed => {
            let answer = ibm
                .get("GetJobResults", &format!("{}/results", path(id)))
                .await?;
            results_value(&program, &answer)
        }
        _ => Value::list([]),
    };
    let reason = doc.pointer("/state/reason").and_then(Json::as_str);
    Ok(Value::object([
        ID.to(id),
        PROGRAM_ID.to(program.clone()),
        BACKEND.text(text("backend")),
        SESSION_ID.text(text("session_id")),
        (PUBS.name(), pubs),
        (SHOTS.name(), shots),
        TAGS.to(tags),
        WAIT.to(WAIT.or(like, true)?),
        WAIT_TIMEOUT.to(WAIT_TIMEOUT.or(like, DEFAULT_WAIT_TIMEOUT.to_owned())?),
        STATUS.to(status),
        REASON.text(reason),
        (RESULTS.name(), results),
    ]))
}

/// The error of a job that ended without completing.
fn ended_badly(id: &str, doc: &Json) -> ProviderError {
    let status = status_of(doc);
    let reason = doc
        .pointer("/state/reason")
        .and_then(Json::as_str)
        .unwrap_or("no reason given");
    let code = doc
        .pointer("/state/reason_code")
        .map(|c| c.to_string().trim_matches('"').to_owned());
    let message = match &code {
        Some(code) => format!("IBM Quantum job {id} ended {status}: Error code {code}; {reason}"),
        None => format!("IBM Quantum job {id} ended {status}: {reason}"),
    };
    let mut error = ProviderError::other(message);
    if let Some(code) = code {
        error = error.with_cloud(code, reason);
    }
    let help = doc
        .pointer("/state/reason_solution")
        .and_then(Json::as_str)
        .unwrap_or(
            "Check the circuits against the backend (its number of qubits and gates); the \
             job was deleted, and the next apply submits it again.",
        );
    error.with_help(help)
}

/// Waits until job `id` ends (at most `timeout`); its document then, or the error of a
/// job that failed or was cancelled.
async fn settle(ibm: &Ibm, id: &str, timeout: Duration) -> Result<Json, ProviderError> {
    let timing = Timing {
        timeout,
        ..ibm.timing()
    };
    let doc = timing
        .waiter(format!("IBM Quantum job {id} to end"))
        .until(|| async {
            let doc = ibm
                .get("GetJob", &format!("{}?exclude_params=true", path(id)))
                .await?;
            Ok(terminal(&status_of(&doc)).then_some(doc))
        })
        .await?;
    if status_of(&doc).eq_ignore_ascii_case("completed") {
        Ok(doc)
    } else {
        Err(ended_badly(id, &doc))
    }
}

/// Cancels job `id` if it is queued or running, waits until it ended, and deletes it.
async fn cancel_and_delete(ibm: &Ibm, id: &str) -> Result<(), ProviderError> {
    let Some(doc) = get_doc(ibm, id).await? else {
        return Ok(());
    };
    if !terminal(&status_of(&doc)) {
        match ibm
            .call(
                "CancelJob",
                Method::POST,
                &format!("{}/cancel", path(id)),
                None,
            )
            .await
        {
            // Ended (409) or gone (404) meanwhile.
            Err(e) if !matches!(e.kind(), ErrorKind::Conflict | ErrorKind::NotFound) => {
                return Err(e)
            }
            _ => {}
        }
        ibm.timing()
            .waiter(format!("IBM Quantum job {id} to be cancelled"))
            .until(|| async {
                Ok(match get_doc(ibm, id).await? {
                    Some(doc) if !terminal(&status_of(&doc)) => None,
                    _ => Some(()),
                })
            })
            .await?;
    }
    gone_as_none(ibm.call("DeleteJob", Method::DELETE, &path(id), None).await).map(|_| ())
}

impl Job {
    /// The value of new job `id`: waited for when `planned` says so (a job that ends
    /// badly, or does not end in time, is cancelled and deleted, and is an error).
    async fn finish(&self, ibm: &Ibm, id: &str, planned: &Value) -> Result<Value, ProviderError> {
        if WAIT.or(planned, true)? {
            let timeout = wait_timeout(planned)?;
            finish_or_undo(
                settle(ibm, id, timeout),
                || cancel_and_delete(ibm, id),
                &format!("IBM Quantum job {id}"),
            )
            .await?;
        }
        let doc = ibm.get("GetJob", &path(id)).await?;
        value_of(ibm, &doc, planned).await
    }
}

#[async_trait]
impl Resource<Ibm> for Job {
    fn type_name(&self) -> &'static str {
        "ibm_quantum_job"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(
            "A Qiskit Runtime primitive job: the sampler (measurement counts) or the \
             estimator (expectation values) run on a backend, in a session or not. With \
             `wait` the apply waits until it ends and records `results`; a failed job is an \
             error carrying IBM's reason. A changed circuit, parameter or shot count submits \
             a new job; destroying it cancels it if it is still queued or running, then \
             deletes it.",
        )
        .with(
            PROGRAM_ID
                .required()
                .force_new()
                .of_type(Type::StringUnion(
                    PROGRAMS.iter().map(|p| (*p).to_owned()).collect(),
                ))
                .describe("`sampler` or `estimator`."),
        )
        .with(
            BACKEND
                .required()
                .force_new()
                .describe("The backend to run on (a session's jobs run on its backend)."),
        )
        .with(
            SESSION_ID
                .optional()
                .force_new()
                .describe("The `ibm_quantum_session` to run in."),
        )
        .with(
            PUBS.required()
                .force_new()
                .of_type(Type::list(pub_type()))
                .describe(
                    "The primitive unified blocs, one result each: `circuit` (OpenQASM 3 \
                     text; it need not be transpiled for the device), `parameter_values` \
                     (by name, for `input float[64] theta;`), `observables` (estimator: \
                     Pauli strings to coefficients, qubit 0 rightmost, e.g. `{ ZZ = 1 }`), \
                     `shots` (sampler).",
                ),
        )
        .with(
            SHOTS
                .optional()
                .force_new()
                .describe("Shots of every pub that does not set its own (IBM's default: 4096)."),
        )
        .with(TAGS.optional().default_value(Value::list([])).describe(
            "Up to 7 tags (of at most 86 characters) to find the job by; changed in \
                     place.",
        ))
        .with(WAIT.optional().default_value(true).describe(
            "Whether the apply waits until the job ended (and fails if it did not \
             complete).",
        ))
        .with(
            WAIT_TIMEOUT
                .optional()
                .default_value(DEFAULT_WAIT_TIMEOUT)
                .describe(
                    "How long to wait (`30s`, `10m`, `2h`); a job that has not ended by then \
                     is cancelled and deleted, and the apply fails.",
                ),
        )
        .with(ID.computed().describe("The job's id."))
        .with(STATUS.computed().describe(
            "`Queued`, `Running`, `Completed`, `Failed` or `Cancelled`, as IBM spells it.",
        ))
        .with(
            REASON
                .computed()
                .describe("Why the job failed or was cancelled, as IBM says; null otherwise."),
        )
        .with(
            RESULTS
                .computed()
                .of_type(Type::list(result_type()))
                .describe(
                    "One entry per pub once the job completed (empty before): `counts` \
                     (sampler: bitstring, bit 0 rightmost, to its number of shots; several \
                     classical registers are joined by a space, the last first), `evs` and \
                     `stds` (estimator: the expectation value and its standard error).",
                ),
        )
    }

    fn validate(&self, config: &Value, problems: &mut Vec<Problem>) {
        let known = |name: &str| config.get(name).filter(|v| v.is_wholly_known());
        let program = known(PROGRAM_ID.name()).and_then(Value::as_str);
        if let Some(pubs) = known(PUBS.name()).and_then(Value::as_elements) {
            if pubs.is_empty() {
                problems.push(problem_at(&[PUBS.name()], "a job needs at least one pub"));
            }
            for (i, item) in pubs.iter().enumerate() {
                let has = |name: &str| item.get(name).is_some_and(|v| !v.is_null());
                let at = |what: String| problem_at(&[PUBS.name()], format!("pub {i}: {what}"));
                match program {
                    Some("estimator") if !has(OBSERVABLES) => problems.push(at(
                        "an estimator pub needs `observables` (such as `{ ZZ = 1 }`)".into(),
                    )),
                    Some("estimator") if has(PUB_SHOTS) => problems.push(at(
                        "an estimator pub takes no `shots`; set the job's `shots`".into(),
                    )),
                    Some("sampler") if has(OBSERVABLES) => problems.push(at(
                        "a sampler pub takes no `observables` (those are the estimator's)".into(),
                    )),
                    _ => {}
                }
                if item
                    .get(PUB_SHOTS)
                    .and_then(Value::as_number)
                    .is_some_and(|n| n < 1.0 || n.fract() != 0.0)
                {
                    problems.push(at("`shots` is a whole number of at least 1".into()));
                }
            }
        }
        if let Some(tags) = known(TAGS.name()).and_then(Value::as_elements) {
            if tags.len() > MAX_TAGS {
                problems.push(problem_at(
                    &[TAGS.name()],
                    format!("a job takes at most {MAX_TAGS} tags (IBM's 8, one of them aic's)"),
                ));
            }
            for tag in tags.iter().filter_map(Value::as_str) {
                if tag.len() > MAX_TAG_LEN || tag.starts_with(HIDDEN) || tag.is_empty() {
                    problems.push(problem_at(
                        &[TAGS.name()],
                        format!(
                            "tag `{tag}`: tags have 1 to {MAX_TAG_LEN} characters and do not \
                             start with `{HIDDEN}`"
                        ),
                    ));
                }
            }
        }
        if let Some(text) = known(WAIT_TIMEOUT.name()).and_then(Value::as_str) {
            if let Err(e) = AicDuration::parse(text) {
                problems.push(problem_at(&[WAIT_TIMEOUT.name()], e.to_string()));
            }
        }
    }

    async fn create(
        &self,
        ibm: &Ibm,
        planned: &Value,
        token: &CreateToken,
    ) -> Result<Value, ProviderError> {
        let tag = format!("{TOKEN_TAG}{token}");
        let body = job_body(planned, &tag)?;
        let id = make(
            ibm,
            || async {
                ibm.send_once("CreateJob", Method::POST, "/jobs", Some(&body))
                    .await?
                    .and_then(|answer| answer.get("id")?.as_str().map(str::to_owned))
                    .ok_or_else(|| CLASSIFIER.incomplete("CreateJob", "id"))
            },
            || find_by_tag(ibm, &tag),
        )
        .await?;
        self.finish(ibm, &id, planned).await
    }

    async fn find_created(
        &self,
        ibm: &Ibm,
        planned: &Value,
        token: &CreateToken,
    ) -> Result<Option<Value>, ProviderError> {
        match find_by_tag(ibm, &format!("{TOKEN_TAG}{token}")).await? {
            Some(id) => self.finish(ibm, &id, planned).await.map(Some),
            None => Ok(None),
        }
    }

    async fn read_many(&self, ibm: &Ibm, priors: &[Value]) -> Results {
        each(priors, |prior| async move {
            match get_doc(ibm, &id(prior)?).await? {
                Some(doc) => value_of(ibm, &doc, prior).await.map(Some),
                None => Ok(None),
            }
        })
        .await
    }

    async fn update(
        &self,
        ibm: &Ibm,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let id = id(prior)?;
        let wanted = TAGS.get(planned)?.unwrap_or_default();
        if TAGS.get(prior)?.unwrap_or_default() != wanted {
            let doc = ibm.get("GetJob", &path(&id)).await?;
            let mut tags: Vec<String> = doc
                .get("tags")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .filter_map(Json::as_str)
                .filter(|t| t.starts_with(HIDDEN))
                .map(str::to_owned)
                .collect();
            tags.splice(0..0, wanted);
            ibm.call(
                "ReplaceJobTags",
                Method::PUT,
                &format!("{}/tags", path(&id)),
                Some(&json!({ "tags": tags })),
            )
            .await?;
        }
        let doc = ibm.get("GetJob", &path(&id)).await?;
        let like = aic_provider::with_attributes(
            planned,
            [
                (
                    RESULTS.name(),
                    prior
                        .get(RESULTS.name())
                        .cloned()
                        .unwrap_or_else(Value::null),
                ),
                STATUS.copied(prior),
            ],
        );
        value_of(ibm, &doc, &like).await
    }

    async fn delete(&self, ibm: &Ibm, prior: &Value) -> Result<(), ProviderError> {
        cancel_and_delete(ibm, &id(prior)?).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_counted_as_bitstrings_bit_zero_rightmost() {
        let data = json!({"c": {"samples": ["0x3", "0x0", "0x1", "0x3"], "num_bits": 2}});
        assert_eq!(
            counts(&data).to_string(),
            r#"{ "00" = 1, "01" = 1, "11" = 2 }"#
        );
        let two = json!({"a": {"samples": ["0x1", "0x0"], "num_bits": 1},
                         "b": {"samples": ["0x2", "0x2"], "num_bits": 3}});
        assert_eq!(counts(&two).to_string(), r#"{ "010 0" = 1, "010 1" = 1 }"#);
    }

    #[test]
    fn pubs_round_trip_through_ibm_lists() {
        let sampler = Value::object([
            (CIRCUIT, Value::string("OPENQASM 3.0;")),
            (PARAMETER_VALUES, Value::null()),
            (OBSERVABLES, Value::null()),
            (PUB_SHOTS, Value::number(100.0)),
        ]);
        let json = pub_json("sampler", &sampler);
        assert_eq!(json, json!(["OPENQASM 3.0;", null, 100]));
        assert_eq!(pub_value("sampler", &json).equals(&sampler), Some(true));
        let estimator = Value::object([
            (CIRCUIT, Value::string("OPENQASM 3.0;")),
            (
                PARAMETER_VALUES,
                Value::map([("theta", Value::number(0.5))]),
            ),
            (OBSERVABLES, Value::map([("ZZ", Value::number(1.0))])),
            (PUB_SHOTS, Value::null()),
        ]);
        let json = pub_json("estimator", &estimator);
        assert_eq!(json, json!(["OPENQASM 3.0;", {"ZZ": 1.0}, {"theta": 0.5}]));
        assert_eq!(pub_value("estimator", &json).equals(&estimator), Some(true));
    }
}
