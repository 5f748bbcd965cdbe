//! The configured client: one `reqwest` client, the instance CRN, and an IAM bearer token
//! obtained from the API key and renewed before it expires. Every call goes through the
//! kit's backoff (429 with `Retry-After`, 5xx, unreachable endpoint) and its error
//! classification.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aic_provider::ProviderError;
use aic_provider_kit::error::{json_error, parse_retry_after};
use aic_provider_kit::{ApiFailure, Backoff, Class, Classifier, Context, Timing};
use reqwest::Method;
use serde_json::Value as Json;
use tokio::sync::Mutex;

use crate::config::Settings;

/// The `IBM-API-Version` this client speaks (what qiskit-ibm-runtime 0.51 sends).
pub const API_VERSION: &str = "2026-04-15";

fn by_code(_code: &str, _status: Option<u16>) -> Option<Class> {
    // IBM's numeric codes are informative; the HTTP status decides.
    None
}

pub(crate) const CLASSIFIER: Classifier = Classifier {
    service: "IBM Quantum",
    by_code,
    auth_help: "Check the API key in `IBM_CLOUD_API_KEY` (or `QISKIT_IBM_TOKEN`) and that \
                `instance` is the CRN of a Qiskit Runtime instance the key may use.",
    unreachable_help: "Check `endpoint`/`region` and `iam_endpoint` in the `provider \
                       ibm_quantum` block (for the emulator: `scripts/emulator.sh start \
                       ibm-quantum`).",
};

/// A bearer token and when to renew it (epoch seconds).
#[derive(Debug, Clone)]
struct Token {
    access: String,
    renew_at: f64,
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// When to renew a token issued at `issued` that expires at `expiration` with lifetime
/// `lifetime` (IBM's SDK: after 80 % of the lifetime, and never later than 10 s before
/// it expires).
fn renew_at(issued: f64, expiration: f64, lifetime: f64) -> f64 {
    (issued + 0.8 * lifetime).min(expiration - 10.0)
}

/// The configured client of one `provider ibm_quantum` block.
pub struct Ibm {
    http: reqwest::Client,
    settings: Settings,
    api_key: String,
    token: Mutex<Option<Token>>,
    timing: Timing,
    backoff: Backoff,
}

impl Context for Ibm {
    fn timing(&self) -> Timing {
        self.timing
    }

    fn backoff(&self) -> Backoff {
        self.backoff
    }
}

impl Ibm {
    pub fn new(settings: Settings, api_key: String, timing: Timing, backoff: Backoff) -> Ibm {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("aic/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Ibm {
            http,
            settings,
            api_key,
            token: Mutex::new(None),
            timing,
            backoff,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// A valid bearer token: the one held, or a new one from IAM when it is due.
    async fn bearer(&self) -> Result<String, ProviderError> {
        let mut held = self.token.lock().await;
        if let Some(token) = held.as_ref().filter(|t| now() < t.renew_at) {
            return Ok(token.access.clone());
        }
        let token = self.backoff.retry(|| self.exchange()).await?;
        let access = token.access.clone();
        *held = Some(token);
        Ok(access)
    }

    /// Forgets the token held (after a 401: it was revoked or expired early).
    async fn forget_token(&self) {
        *self.token.lock().await = None;
    }

    /// `POST {iam}/identity/token` with the API key.
    async fn exchange(&self) -> Result<Token, ProviderError> {
        const OP: &str = "IAM token exchange";
        let issued = now();
        let body = format!(
            "grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey={}",
            form_encode(&self.api_key)
        );
        let answer = self
            .http
            .post(format!("{}/identity/token", self.settings.iam_base))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| CLASSIFIER.unreachable(OP, e))?;
        let status = answer.status().as_u16();
        let retry_after = retry_after(&answer);
        let text = answer
            .text()
            .await
            .map_err(|e| CLASSIFIER.unreachable(OP, e))?;
        let json: Json = serde_json::from_str(&text).unwrap_or(Json::Null);
        if status >= 300 {
            let mut failure = ApiFailure::new(OP).status(status).retry_after(retry_after);
            if let (Some(code), Some(message)) = (
                json.get("errorCode").and_then(Json::as_str),
                json.get("errorMessage").and_then(Json::as_str),
            ) {
                failure = failure.code(code, message);
            } else {
                failure = failure.detail(text.chars().take(200).collect::<String>());
            }
            // IAM answers 400 for an unknown key: a credentials problem.
            let mut error = failure.into_error(&CLASSIFIER);
            if status == 400 {
                error = error.with_help(CLASSIFIER.auth_help);
            }
            return Err(error);
        }
        let access = json
            .get("access_token")
            .and_then(Json::as_str)
            .ok_or_else(|| CLASSIFIER.incomplete(OP, "access_token"))?
            .to_owned();
        let lifetime = json
            .get("expires_in")
            .and_then(Json::as_f64)
            .unwrap_or(3600.0);
        let expiration = json
            .get("expiration")
            .and_then(Json::as_f64)
            .unwrap_or(issued + lifetime);
        Ok(Token {
            access,
            renew_at: renew_at(issued, expiration, lifetime),
        })
    }

    /// One call of the API, retried with backoff when throttled or transient; a 401
    /// renews the token once. `Ok(None)` is a 204 (or empty) answer.
    pub async fn call(
        &self,
        operation: &str,
        method: Method,
        path: &str,
        body: Option<&Json>,
    ) -> Result<Option<Json>, ProviderError> {
        self.backoff
            .retry(|| self.send_once(operation, method.clone(), path, body))
            .await
    }

    /// One call of the API, not repeated (a 401 renews the token once): for creating
    /// calls, whose repetition after a lost answer would make a second object; the
    /// caller decides what to retry ([`aic_provider_kit::create::make`]).
    pub async fn send_once(
        &self,
        operation: &str,
        method: Method,
        path: &str,
        body: Option<&Json>,
    ) -> Result<Option<Json>, ProviderError> {
        match self.call_once(operation, method.clone(), path, body).await {
            // An expired or revoked token: renew it once.
            Err((Some(401), _)) => {
                self.forget_token().await;
                self.call_once(operation, method, path, body)
                    .await
                    .map_err(|(_, e)| e)
            }
            other => other.map_err(|(_, e)| e),
        }
    }

    /// `GET path` whose answer must have a body.
    pub async fn get(&self, operation: &str, path: &str) -> Result<Json, ProviderError> {
        self.call(operation, Method::GET, path, None)
            .await?
            .ok_or_else(|| CLASSIFIER.incomplete(operation, "a body"))
    }

    async fn call_once(
        &self,
        operation: &str,
        method: Method,
        path: &str,
        body: Option<&Json>,
    ) -> Result<Option<Json>, (Option<u16>, ProviderError)> {
        let token = self.bearer().await.map_err(|e| (None, e))?;
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.settings.api_base))
            .header("Authorization", format!("Bearer {token}"))
            .header("Service-CRN", &self.settings.instance)
            .header("IBM-API-Version", API_VERSION)
            .header("Accept", "application/json");
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body.to_string());
        }
        let answer = request
            .send()
            .await
            .map_err(|e| (None, CLASSIFIER.unreachable(operation, e)))?;
        let status = answer.status().as_u16();
        let retry_after = retry_after(&answer);
        let trace = answer
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = answer
            .text()
            .await
            .map_err(|e| (None, CLASSIFIER.unreachable(operation, e)))?;
        if status < 300 {
            if text.trim().is_empty() {
                return Ok(None);
            }
            return serde_json::from_str(&text).map(Some).map_err(|e| {
                (
                    Some(status),
                    ProviderError::other(format!(
                        "IBM Quantum {operation} answered a body that is not JSON: {e}"
                    )),
                )
            });
        }
        let json: Json = serde_json::from_str(&text).unwrap_or(Json::Null);
        let mut failure = ApiFailure::new(operation)
            .status(status)
            .retry_after(retry_after);
        match json_error(&json) {
            Some((code, message)) => failure = failure.code(code, message),
            None => failure = failure.detail(text.chars().take(200).collect::<String>()),
        }
        if let Some(id) = json
            .get("trace")
            .and_then(Json::as_str)
            .map(str::to_owned)
            .or(trace)
        {
            failure = failure.request_id(id);
        }
        Err((Some(status), failure.into_error(&CLASSIFIER)))
    }
}

fn retry_after(answer: &reqwest::Response) -> Option<Duration> {
    answer
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after)
}

/// `application/x-www-form-urlencoded` encoding of one value.
fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte));
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A query string component.
pub(crate) fn query_encode(value: &str) -> String {
    form_encode(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_renewed_after_80_percent_of_their_life_and_10_s_before_expiry() {
        assert!((renew_at(1000.0, 4600.0, 3600.0) - 3880.0).abs() < 1e-9);
        assert!((renew_at(1000.0, 1030.0, 30.0) - 1020.0).abs() < 1e-9);
    }

    #[test]
    fn form_values_are_percent_encoded() {
        assert_eq!(form_encode("a b+c/d=é"), "a%20b%2Bc%2Fd%3D%C3%A9");
        assert_eq!(form_encode("Az09-_.~"), "Az09-_.~");
    }
}
