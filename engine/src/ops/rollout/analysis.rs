//! Prometheus analysis checks: Argo Rollouts' AnalysisTemplate metric with a Prometheus
//! provider. `count` instant queries on `/api/v1/query`, `interval` apart; each result is
//! bound to `self` and judged by `condition` (and `failure_condition`):
//!
//! | result                                   | measurement  |
//! | ---------------------------------------- | ------------ |
//! | `condition` true (and `failure_condition` not true) | successful |
//! | `failure_condition` true, or `condition` false without a `failure_condition` | failed |
//! | both conditions given and neither true   | inconclusive |
//! | an empty vector, a NaN, a condition that cannot be evaluated or is not a bool | inconclusive |
//! | no answer, an HTTP error, a rejected query, a range vector | error |
//!
//! The analysis stops as soon as failed measurements exceed `failure_limit` (failed),
//! inconclusive ones exceed `inconclusive_limit` (inconclusive), or consecutive errors
//! exceed `consecutive_error_limit` (failed: Prometheus cannot answer). Errors are retried
//! after `interval` and do not count towards `count`. After `count` measurements the
//! analysis succeeded.

use std::time::Duration;

use aic_lang::duration::Duration as DurationText;
use aic_lang::value::Value;
use serde_json::Value as Json;

use crate::eval::Values;
use crate::load::{Analysis, Inconclusive};
use crate::planner::Workspace;

use super::progress::{now_rfc3339, CheckResult, Measurement, Verdict};
use crate::ops::events::{Event, Observer};

/// What an instant query returned.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryResult {
    Scalar(f64),
    /// The values of the vector's samples, in the order Prometheus returned them.
    Vector(Vec<f64>),
    String(String),
}

impl QueryResult {
    /// `self` of the condition.
    pub fn to_value(&self) -> Value {
        match self {
            QueryResult::Scalar(n) => Value::number(*n),
            QueryResult::Vector(xs) => Value::list(xs.iter().map(|n| Value::number(*n))),
            QueryResult::String(s) => Value::string(s.clone()),
        }
    }

    /// As recorded in the progress.
    pub fn to_json(&self) -> Json {
        let num = |n: f64| {
            serde_json::Number::from_f64(n)
                .map(Json::Number)
                .unwrap_or_else(|| Json::String(prometheus_number(n)))
        };
        match self {
            QueryResult::Scalar(n) => num(*n),
            QueryResult::Vector(xs) => Json::Array(xs.iter().map(|n| num(*n)).collect()),
            QueryResult::String(s) => Json::String(s.clone()),
        }
    }
}

/// NaN and the infinities as Prometheus writes them.
fn prometheus_number(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n > 0.0 {
        "+Inf".into()
    } else {
        "-Inf".into()
    }
}

/// One sample's `[time, "value"]` pair.
fn sample(v: &Json) -> Result<f64, String> {
    let text = v
        .as_array()
        .and_then(|p| p.get(1))
        .and_then(Json::as_str)
        .ok_or_else(|| format!("a sample is not [time, \"value\"]: {v}"))?;
    text.parse::<f64>()
        .map_err(|_| format!("a sample's value `{text}` is not a number"))
}

/// Reads an `/api/v1/query` answer (success or error envelope).
pub fn parse_answer(status: u16, body: &str) -> Result<QueryResult, String> {
    let json: Json = serde_json::from_str(body).map_err(|_| {
        let head: String = body.chars().take(120).collect();
        format!("the answer (HTTP {status}) is not Prometheus JSON: {head}")
    })?;
    if json["status"] != "success" {
        let kind = json["errorType"].as_str().unwrap_or("error");
        let error = json["error"].as_str().unwrap_or("no message");
        return Err(format!(
            "Prometheus rejected the query (HTTP {status}, {kind}): {error}"
        ));
    }
    let data = &json["data"];
    let result = &data["result"];
    match data["resultType"].as_str() {
        Some("scalar") => Ok(QueryResult::Scalar(sample(result)?)),
        Some("string") => Ok(QueryResult::String(
            result
                .as_array()
                .and_then(|p| p.get(1))
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string(),
        )),
        Some("vector") => Ok(QueryResult::Vector(
            result
                .as_array()
                .map(|xs| xs.iter().map(|x| sample(&x["value"])).collect())
                .transpose()?
                .unwrap_or_default(),
        )),
        Some("matrix") => Err(
            "the query returned a range vector: write an instant query (no `[5m]` at the end), e.g. `rate(x[5m])`"
                .into(),
        ),
        other => Err(format!(
            "unexpected resultType {}",
            other.unwrap_or("(none)")
        )),
    }
}

/// One instant query of `query` on the Prometheus server at `base`.
pub async fn query(base: &str, query: &str, timeout: Duration) -> Result<QueryResult, String> {
    let endpoint = format!("{}/api/v1/query", base.trim_end_matches('/'));
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .user_agent(concat!("aic/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
    let resp = client
        .get(&endpoint)
        .query(&[("query", query)])
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                format!(
                    "Prometheus at {base} did not answer within {}",
                    DurationText(timeout).short()
                )
            } else if e.is_connect() {
                format!("cannot reach Prometheus at {base}: {}", root_cause(&e))
            } else if e.is_builder() {
                format!("`{base}` is not a Prometheus URL: {}", root_cause(&e))
            } else {
                format!("querying Prometheus at {base} failed: {}", root_cause(&e))
            }
        })?;
    let status = resp.status().as_u16();
    let body = resp
        .text()
        .await
        .map_err(|e| format!("reading Prometheus's answer failed: {}", root_cause(&e)))?;
    parse_answer(status, &body)
}

/// The innermost error of a chain: "Connection refused (os error 111)".
pub fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur: &dyn std::error::Error = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// Judges one result with the analysis's conditions.
fn judge(ws: &Workspace, values: &Values, a: &Analysis, result: &QueryResult) -> (Verdict, String) {
    let empty = match result {
        QueryResult::Vector(xs) => xs.is_empty(),
        _ => false,
    };
    if empty {
        return (
            Verdict::Inconclusive,
            "the query returned no samples".into(),
        );
    }
    let nan = match result {
        QueryResult::Scalar(n) => n.is_nan(),
        QueryResult::Vector(xs) => xs.iter().any(|n| n.is_nan()),
        QueryResult::String(_) => false,
    };
    if nan {
        return (Verdict::Inconclusive, "the result is NaN".into());
    }
    let this = result.to_value();
    let eval = |e: &aic_lang::ast::Expr| -> Result<bool, String> {
        match ws.eval_with_self(values, this.clone(), e) {
            Ok(v) => match v.as_bool() {
                Some(b) if v.is_known() => Ok(b),
                _ => Err(format!("the condition is not a known bool ({v})")),
            },
            Err(d) => {
                let label = d.labels.first().map(|l| l.message.clone());
                Err(match label {
                    Some(l) if !l.is_empty() => {
                        format!("the condition cannot be evaluated: {}: {l}", d.summary)
                    }
                    _ => format!("the condition cannot be evaluated: {}", d.summary),
                })
            }
        }
    };
    if let Some(f) = &a.failure_condition {
        match eval(f) {
            Ok(true) => return (Verdict::Failed, "the failure condition holds".into()),
            Ok(false) => {}
            Err(m) => {
                return (
                    Verdict::Inconclusive,
                    m.replace("condition", "failure condition"),
                )
            }
        }
    }
    match eval(&a.condition) {
        Ok(true) => (Verdict::Successful, String::new()),
        Ok(false) if a.failure_condition.is_some() => (
            Verdict::Inconclusive,
            "neither the condition nor the failure condition holds".into(),
        ),
        Ok(false) => (Verdict::Failed, "the condition does not hold".into()),
        Err(m) => (Verdict::Inconclusive, m),
    }
}

/// The result as a short text: `0.012`, `[0.01, 0.2]`.
pub fn show(v: &Option<Json>) -> String {
    match v {
        None => "-".into(),
        Some(Json::String(s)) => s.clone(),
        Some(v) => v.to_string().replace(',', ", "),
    }
}

/// Runs the analysis of `check` (named `name`): `result` gets its measurements, verdict
/// and a one-line account.
pub async fn run(
    ws: &Workspace,
    values: &Values,
    name: &str,
    a: &Analysis,
    result: &mut CheckResult,
    eval_text: impl Fn(&aic_lang::ast::Expr, &str) -> Result<String, String>,
    observer: &dyn Observer,
) {
    let base = match eval_text(&a.url, "the Prometheus URL") {
        Ok(s) => s,
        Err(m) => {
            result.detail = m;
            return;
        }
    };
    let promql = match eval_text(&a.query, "the query") {
        Ok(s) => s,
        Err(m) => {
            result.detail = m;
            return;
        }
    };
    let (mut failed, mut inconclusive, mut errors, mut taken) = (0u32, 0u32, 0u32, 0u32);
    let outcome: Result<(), (Verdict, String)> = loop {
        if result.attempts > 0 {
            tokio::time::sleep(a.interval).await;
        }
        result.attempts += 1;
        let (verdict, value, detail) = match query(&base, &promql, a.timeout).await {
            Ok(r) => {
                let (v, d) = judge(ws, values, a, &r);
                (v, Some(r.to_json()), d)
            }
            Err(m) => (Verdict::Error, None, m),
        };
        let m = Measurement {
            at: now_rfc3339(),
            verdict,
            value,
            detail,
        };
        match verdict {
            Verdict::Error => errors += 1,
            _ => {
                errors = 0;
                taken += 1;
            }
        }
        match verdict {
            Verdict::Failed => failed += 1,
            Verdict::Inconclusive => inconclusive += 1,
            _ => {}
        }
        observer.event(&Event::Measured {
            check: name,
            taken,
            count: a.count,
            measurement: &m,
        });
        let why = if m.detail.is_empty() {
            show(&m.value)
        } else {
            format!("{} ({})", show(&m.value), m.detail)
        };
        result.measurements.push(m);
        if failed > a.failure_limit {
            break Err((
                Verdict::Failed,
                format!(
                    "{failed} failed measurement(s), more than failure_limit = {}; last {why}",
                    a.failure_limit
                ),
            ));
        }
        if inconclusive > a.inconclusive_limit {
            break Err((
                Verdict::Inconclusive,
                format!(
                    "inconclusive: {inconclusive} inconclusive measurement(s), more than inconclusive_limit = {}; last {why}",
                    a.inconclusive_limit
                ),
            ));
        }
        if errors > a.consecutive_error_limit {
            break Err((
                Verdict::Error,
                format!(
                    "{errors} consecutive error(s), more than consecutive_error_limit = {}: {why}",
                    a.consecutive_error_limit
                ),
            ));
        }
        if taken >= a.count {
            break Ok(());
        }
    };
    let values_seen: Vec<String> = result
        .measurements
        .iter()
        .filter(|m| m.verdict != Verdict::Error)
        .map(|m| show(&m.value))
        .collect();
    match outcome {
        Ok(()) => {
            result.passed = true;
            result.detail = format!(
                "{taken} measurement(s) of `{promql}`: {}",
                values_seen.join(", ")
            );
            if failed + inconclusive > 0 {
                result.detail.push_str(&format!(
                    " ({failed} failed, {inconclusive} inconclusive, within the limits)"
                ));
            }
        }
        Err((Verdict::Inconclusive, why)) if a.inconclusive == Inconclusive::Pass => {
            result.passed = true;
            result.detail = format!("`{promql}` {why}; passed as `inconclusive = \"pass\"` says");
        }
        Err((_, why)) => result.detail = format!("`{promql}`: {why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_of_every_result_type_are_read() {
        let v = r#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"job":"a"},"value":[1700000000.1,"0.25"]},
            {"metric":{"job":"b"},"value":[1700000000.1,"NaN"]}]}}"#;
        match parse_answer(200, v).unwrap() {
            QueryResult::Vector(xs) => {
                assert_eq!(xs[0], 0.25);
                assert!(xs[1].is_nan());
            }
            other => panic!("{other:?}"),
        }
        let s = r#"{"status":"success","data":{"resultType":"scalar","result":[1,"+Inf"]}}"#;
        assert_eq!(
            parse_answer(200, s).unwrap(),
            QueryResult::Scalar(f64::INFINITY)
        );
        let e = r#"{"status":"error","errorType":"bad_data","error":"parse error at char 3"}"#;
        let m = parse_answer(400, e).unwrap_err();
        assert!(
            m.contains("HTTP 400, bad_data): parse error at char 3"),
            "{m}"
        );
        let m = parse_answer(502, "<html>bad gateway</html>").unwrap_err();
        assert!(m.contains("not Prometheus JSON"), "{m}");
        let r = r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
        assert!(parse_answer(200, r).unwrap_err().contains("range vector"));
        assert_eq!(
            QueryResult::Vector(vec![0.5, f64::NAN]).to_json(),
            serde_json::json!([0.5, "NaN"])
        );
    }

    #[tokio::test]
    async fn an_unreachable_server_is_named() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        let base = format!("http://127.0.0.1:{port}");
        let e = query(&base, "up", Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(
            e.starts_with(&format!("cannot reach Prometheus at {base}")),
            "{e}"
        );
    }
}
