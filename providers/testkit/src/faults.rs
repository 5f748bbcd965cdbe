//! Faults injected into a provider's calls, one interface ([`Faults`]) over three hooks:
//!
//! - [`FaultProxy`]: an HTTP proxy in front of a back end without a fault API of its own
//!   (moto), answering matching requests with the back end's throttling or server error,
//!   holding them (a timeout), or losing the answer after the request took effect;
//! - [`EmulatorFaults`]: the control API every project emulator has
//!   (`POST /_emulator/faults`, see `emulators/README.md`);
//! - [`CallFaults`]: a wrapper around a configured provider, for providers that make no
//!   API calls (the built-in ones): the fault hits the provider call itself.
//!
//! A fault counts how many matching requests it still has to hit; the conformance run
//! checks that every fault it injected was hit, so a step never passes without its fault.

use std::io::{BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use aic_lang::value::Value;
use aic_provider::{ConfiguredProvider, PlanRequest, PlanResponse, ProviderError, ProviderSchema};
use async_trait::async_trait;

use crate::http::{self, read_message, Message};

/// What a fault does to the request it hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// The API's throttling answer (HTTP 429 or 503 with the cloud's throttling code),
    /// before the request runs.
    Throttle,
    /// An HTTP 500 answer after the request ran: its answer is lost.
    ServerError,
    /// The request runs, then no answer comes: the connection is held for `hold`, then
    /// closed.
    Timeout,
}

impl FaultKind {
    pub const ALL: [FaultKind; 3] = [
        FaultKind::Throttle,
        FaultKind::ServerError,
        FaultKind::Timeout,
    ];

    /// How the conformance report names the fault.
    pub fn describe(self) -> &'static str {
        match self {
            FaultKind::Throttle => "throttled create",
            FaultKind::ServerError => "create answered 500 after it took effect",
            FaultKind::Timeout => "create timed out after it took effect",
        }
    }
}

/// Which requests a fault hits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// HTTP requests whose method is `method` (any, when `None`) and whose request line or
    /// body contains `contains` (`Action=CreateVpc`, `/virtualMachines/`).
    Request {
        method: Option<String>,
        contains: String,
    },
    /// The provider's `create` call (for [`CallFaults`]).
    Create,
}

impl Target {
    /// Requests whose line or body contains `text`.
    pub fn request(text: impl Into<String>) -> Target {
        Target::Request {
            method: None,
            contains: text.into(),
        }
    }
}

/// One fault: what, on which requests, how many times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub kind: FaultKind,
    pub target: Target,
    pub times: u32,
    /// How long a [`FaultKind::Timeout`] holds the connection.
    pub hold: Duration,
}

impl Fault {
    /// `kind` on the next request `target` matches.
    pub fn once(kind: FaultKind, target: Target) -> Fault {
        Fault {
            kind,
            target,
            times: 1,
            hold: Duration::from_millis(500),
        }
    }
}

/// Somewhere faults can be injected.
pub trait Faults: Send + Sync {
    /// Makes the next requests `fault` targets fail as it says. A target this hook cannot
    /// reach is an error, never ignored.
    fn inject(&self, fault: &Fault) -> Result<(), String>;

    /// How many hits the injected faults still have to make (0: every fault was hit).
    fn pending(&self) -> Result<u32, String>;

    /// Forgets every injected fault.
    fn clear(&self) -> Result<(), String>;
}

/// Faults as the proxy and the call wrapper keep them.
#[derive(Debug, Default)]
struct Armed {
    faults: Mutex<Vec<Fault>>,
}

impl Armed {
    fn push(&self, fault: Fault) {
        self.faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(fault);
    }

    /// The fault that hits a request `matches` accepts, counted as hit.
    fn take(&self, matches: impl Fn(&Target) -> bool) -> Option<Fault> {
        let mut faults = self.faults.lock().unwrap_or_else(PoisonError::into_inner);
        let fault = faults
            .iter_mut()
            .find(|f| f.times > 0 && matches(&f.target))?;
        fault.times -= 1;
        Some(fault.clone())
    }

    fn pending(&self) -> u32 {
        self.faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|f| f.times)
            .sum()
    }

    fn clear(&self) {
        self.faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// The answer a back end gives for an error: status line, headers and body in its own
/// format (EC2's XML, ARM's JSON, …).
pub type ErrorAnswer = fn(kind: FaultKind) -> Message;

/// An HTTP proxy on a free loopback port in front of `upstream`, injecting faults. Runs
/// on its own threads until dropped.
pub struct FaultProxy {
    port: u16,
    armed: Arc<Armed>,
    listener: Option<TcpListener>,
}

impl FaultProxy {
    /// A proxy forwarding to `127.0.0.1:upstream`, answering faults with `error`.
    pub fn start(upstream: u16, error: ErrorAnswer) -> Result<FaultProxy, String> {
        let listener =
            TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no proxy port: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("no proxy port: {e}"))?
            .port();
        let armed = Arc::new(Armed::default());
        let accepting = listener
            .try_clone()
            .map_err(|e| format!("proxy listener: {e}"))?;
        let shared = armed.clone();
        thread::spawn(move || {
            for client in accepting.incoming() {
                let Ok(client) = client else { break };
                let armed = shared.clone();
                thread::spawn(move || {
                    let _ = serve(client, upstream, &armed, error);
                });
            }
        });
        Ok(FaultProxy {
            port,
            armed,
            listener: Some(listener),
        })
    }

    /// The proxy's URL, for the provider's endpoint.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        // Unblock the accepting thread: connect once, after closing the listener's clone
        // would not wake it on every platform.
        if let Some(listener) = self.listener.take() {
            drop(listener);
            let _ = TcpStream::connect(("127.0.0.1", self.port));
        }
    }
}

impl Faults for FaultProxy {
    fn inject(&self, fault: &Fault) -> Result<(), String> {
        match fault.target {
            Target::Request { .. } => {
                self.armed.push(fault.clone());
                Ok(())
            }
            Target::Create => Err(
                "an HTTP proxy cannot hit a provider call; give the case a request target"
                    .to_owned(),
            ),
        }
    }

    fn pending(&self) -> Result<u32, String> {
        Ok(self.armed.pending())
    }

    fn clear(&self) -> Result<(), String> {
        self.armed.clear();
        Ok(())
    }
}

/// Serves one client connection: each request is forwarded on a connection of its own,
/// unless a fault hits it.
fn serve(
    client: TcpStream,
    upstream: u16,
    armed: &Armed,
    error: ErrorAnswer,
) -> std::io::Result<()> {
    let mut writer = client.try_clone()?;
    let mut reader = BufReader::new(client);
    while let Some(request) = read_message(&mut reader, false)? {
        let method = request
            .start
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned();
        let seen = format!("{}\n{}", request.start, request.text());
        let fault = armed.take(|target| match target {
            Target::Request {
                method: wanted,
                contains,
            } => {
                wanted
                    .as_ref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(&method))
                    && seen.contains(contains.as_str())
            }
            Target::Create => false,
        });
        if let Some(Fault {
            kind: FaultKind::Throttle,
            ..
        }) = fault
        {
            writer.write_all(&error(FaultKind::Throttle).to_bytes())?;
            continue;
        }
        let answer = forward(upstream, &request)?;
        match fault {
            Some(Fault {
                kind: FaultKind::ServerError,
                ..
            }) => writer.write_all(&error(FaultKind::ServerError).to_bytes())?,
            Some(Fault {
                kind: FaultKind::Timeout,
                hold,
                ..
            }) => {
                thread::sleep(hold);
                let _ = writer.shutdown(Shutdown::Both);
                return Ok(());
            }
            _ => writer.write_all(&answer.to_bytes())?,
        }
    }
    Ok(())
}

fn forward(upstream: u16, request: &Message) -> std::io::Result<Message> {
    let mut stream = TcpStream::connect(("127.0.0.1", upstream))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut sent = request.clone();
    sent.headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case("connection"));
    sent.headers.push(("Connection".into(), "close".into()));
    stream.write_all(&sent.to_bytes())?;
    let mut reader = BufReader::new(stream);
    let mut answer = read_message(&mut reader, true)?.ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "no answer upstream")
    })?;
    answer
        .headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case("connection"));
    Ok(answer)
}

/// The fault API of a project emulator at `endpoint` (`emulators/README.md`).
pub struct EmulatorFaults {
    port: u16,
}

impl EmulatorFaults {
    pub fn new(endpoint: &str) -> Result<EmulatorFaults, String> {
        http::port_of(endpoint)
            .map(|port| EmulatorFaults { port })
            .ok_or_else(|| format!("not a loopback endpoint: {endpoint}"))
    }

    fn call(&self, method: &str, path: &str, body: &str) -> Result<Message, String> {
        let answer = http::request(self.port, method, path, body)
            .map_err(|e| format!("{method} {path}: {e}"))?;
        if answer.status() >= 300 {
            return Err(format!(
                "{method} {path}: {} {}",
                answer.start,
                answer.text()
            ));
        }
        Ok(answer)
    }
}

/// `text` as a regular expression matching itself (the emulators match paths by regex).
fn literal_regex(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$".contains(c);
            special.then_some('\\').into_iter().chain([c])
        })
        .collect()
}

impl Faults for EmulatorFaults {
    fn inject(&self, fault: &Fault) -> Result<(), String> {
        let Target::Request { method, contains } = &fault.target else {
            return Err("an emulator's faults hit requests; give the case a request target".into());
        };
        let (status, when) = match fault.kind {
            FaultKind::Throttle => (serde_json::json!(429), "before"),
            FaultKind::ServerError => (serde_json::json!(500), "after"),
            FaultKind::Timeout => (serde_json::json!("timeout"), "after"),
        };
        let mut spec = serde_json::json!({
            "path": literal_regex(contains),
            "status": status,
            "when": when,
            "times": fault.times,
            "seconds": fault.hold.as_secs_f64(),
        });
        if fault.kind == FaultKind::Throttle {
            spec["headers"] = serde_json::json!({"Retry-After": "0"});
        }
        if let Some(method) = method {
            spec["method"] = serde_json::json!(method);
        }
        self.call("POST", "/_emulator/faults", &spec.to_string())
            .map(|_| ())
    }

    fn pending(&self) -> Result<u32, String> {
        let answer = self.call("GET", "/_emulator/faults", "")?;
        let listed: serde_json::Value = serde_json::from_slice(&answer.body)
            .map_err(|e| format!("GET /_emulator/faults: {e}"))?;
        Ok(listed
            .get("faults")
            .and_then(serde_json::Value::as_array)
            .map(|faults| {
                faults
                    .iter()
                    .filter_map(|f| f.get("times").and_then(serde_json::Value::as_u64))
                    .map(|t| u32::try_from(t).unwrap_or(u32::MAX))
                    .sum()
            })
            .unwrap_or(0))
    }

    fn clear(&self) -> Result<(), String> {
        self.call("DELETE", "/_emulator/faults", "").map(|_| ())
    }
}

/// A configured provider whose calls faults hit, for providers without an API to fault:
/// a throttle fails `create` before it runs; a server error or timeout runs it and then
/// fails it (a timeout after holding the call), so its answer is lost.
pub struct CallFaults {
    inner: Arc<dyn ConfiguredProvider>,
    armed: Armed,
}

impl CallFaults {
    pub fn wrap(inner: Arc<dyn ConfiguredProvider>) -> Arc<CallFaults> {
        Arc::new(CallFaults {
            inner,
            armed: Armed::default(),
        })
    }
}

impl Faults for CallFaults {
    fn inject(&self, fault: &Fault) -> Result<(), String> {
        match fault.target {
            Target::Create => {
                self.armed.push(fault.clone());
                Ok(())
            }
            Target::Request { .. } => {
                Err("a provider without API calls is faulted on its `create` call".to_owned())
            }
        }
    }

    fn pending(&self) -> Result<u32, String> {
        Ok(self.armed.pending())
    }

    fn clear(&self) -> Result<(), String> {
        self.armed.clear();
        Ok(())
    }
}

#[async_trait]
impl ConfiguredProvider for CallFaults {
    fn schema(&self) -> &ProviderSchema {
        self.inner.schema()
    }

    fn max_concurrency(&self) -> Option<usize> {
        self.inner.max_concurrency()
    }

    fn objects_outside_state(&self, type_name: &str) -> bool {
        self.inner.objects_outside_state(type_name)
    }

    fn validate(&self, type_name: &str, config: &Value) -> Vec<aic_provider::Problem> {
        self.inner.validate(type_name, config)
    }

    async fn plan(&self, request: PlanRequest) -> Result<PlanResponse, ProviderError> {
        self.inner.plan(request).await
    }

    async fn create(&self, type_name: &str, planned: &Value) -> Result<Value, ProviderError> {
        let Some(fault) = self.armed.take(|t| *t == Target::Create) else {
            return self.inner.create(type_name, planned).await;
        };
        match fault.kind {
            FaultKind::Throttle => Err(ProviderError::throttled("injected: throttled")),
            FaultKind::ServerError => {
                self.inner.create(type_name, planned).await?;
                Err(ProviderError::transient(
                    "injected: the answer was lost (500)",
                ))
            }
            FaultKind::Timeout => {
                self.inner.create(type_name, planned).await?;
                tokio::time::sleep(fault.hold).await;
                Err(ProviderError::transient("injected: no answer in time"))
            }
        }
    }

    async fn create_with_token(
        &self,
        type_name: &str,
        planned: &Value,
        token: &str,
    ) -> Result<Value, ProviderError> {
        self.inner
            .create_with_token(type_name, planned, token)
            .await
    }

    async fn find_created(
        &self,
        type_name: &str,
        planned: &Value,
        token: &str,
    ) -> Result<Option<Value>, ProviderError> {
        self.inner.find_created(type_name, planned, token).await
    }

    async fn read(&self, type_name: &str, prior: &Value) -> Result<Option<Value>, ProviderError> {
        self.inner.read(type_name, prior).await
    }

    async fn read_many(
        &self,
        type_name: &str,
        priors: &[Value],
    ) -> Vec<Result<Option<Value>, ProviderError>> {
        self.inner.read_many(type_name, priors).await
    }

    async fn update(
        &self,
        type_name: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        self.inner.update(type_name, prior, planned).await
    }

    async fn delete(&self, type_name: &str, prior: &Value) -> Result<(), ProviderError> {
        self.inner.delete(type_name, prior).await
    }

    async fn import(&self, type_name: &str, id: &str) -> Result<Option<Value>, ProviderError> {
        self.inner.import(type_name, id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A back end that answers every request 200 with its request line.
    fn echo_server() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut writer = stream.try_clone().unwrap_or_else(|e| panic!("{e}"));
                let mut reader = BufReader::new(stream);
                if let Ok(Some(request)) = read_message(&mut reader, false) {
                    let answer = Message {
                        start: "HTTP/1.1 200 OK".into(),
                        headers: vec![],
                        body: request.start.into_bytes(),
                    };
                    let _ = writer.write_all(&answer.to_bytes());
                }
            }
        });
        port
    }

    fn error(kind: FaultKind) -> Message {
        Message {
            start: match kind {
                FaultKind::Throttle => "HTTP/1.1 503 Slow Down".into(),
                _ => "HTTP/1.1 500 Internal Server Error".into(),
            },
            headers: vec![],
            body: b"<Error/>".to_vec(),
        }
    }

    #[test]
    fn the_proxy_forwards_and_faults_what_matches() -> Result<(), String> {
        let proxy = FaultProxy::start(echo_server(), error)?;
        let port = http::port_of(&proxy.endpoint()).unwrap_or(0);
        let get = |path: &str| {
            http::request(port, "POST", path, "Action=Describe").map_err(|e| e.to_string())
        };
        assert_eq!(get("/a")?.text(), "POST /a HTTP/1.1");
        proxy.inject(&Fault::once(
            FaultKind::Throttle,
            Target::request("/create"),
        ))?;
        proxy.inject(&Fault::once(
            FaultKind::ServerError,
            Target::request("Action=Describe"),
        ))?;
        assert_eq!(proxy.pending()?, 2);
        assert_eq!(get("/create")?.status(), 503);
        assert_eq!(get("/b")?.status(), 500);
        assert_eq!(get("/c")?.status(), 200);
        assert_eq!(proxy.pending()?, 0);
        let mut timeout = Fault::once(FaultKind::Timeout, Target::request("/slow"));
        timeout.hold = Duration::from_millis(10);
        proxy.inject(&timeout)?;
        assert!(get("/slow").is_err(), "no answer");
        assert!(proxy
            .inject(&Fault::once(FaultKind::Throttle, Target::Create))
            .is_err());
        Ok(())
    }

    #[test]
    fn paths_become_literal_regexes() {
        assert_eq!(literal_regex("/a.b?x=(1)"), r"/a\.b\?x=\(1\)");
    }
}
