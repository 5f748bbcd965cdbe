//! Shared by the AWS provider's tests: a moto server of the test's own, a configured
//! provider pointed at it, an SDK client for making changes behind aic's back, and the
//! steps the engine takes (plan, create, update, read).
//!
//! Every test starts its own moto on a free 127.0.0.1 port and stops it by PID when the
//! [`Moto`] is dropped, so tests are isolated and run in parallel. moto comes from the
//! venv that `scripts/moto.sh install` creates; a test **fails**, naming that command,
//! when it is missing.

#![allow(dead_code)] // each test binary uses part of this module

use std::error::Error;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aic_lang::value::Value;
use aic_provider::{ConfiguredProvider, PlanRequest, PlanResponse, Provider};
use aic_provider_aws::{AwsProvider, Timing};

pub type TestResult = Result<(), Box<dyn Error>>;

/// The region the tests work in unless they say otherwise.
pub const REGION: &str = "us-east-1";

/// An AMI moto knows in every region.
pub const AMI: &str = "ami-03cf127a";
/// Another one, to force replacements.
pub const OTHER_AMI: &str = "ami-12c6146b";

/// The moto server executable: `$AIC_MOTO_SERVER`, else the venv of `scripts/moto.sh`.
pub fn moto_server_path() -> PathBuf {
    if let Some(path) = std::env::var_os("AIC_MOTO_SERVER") {
        return PathBuf::from(path);
    }
    let cache = std::env::var_os("AIC_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/aic")
        });
    cache.join("moto-venv/bin/moto_server")
}

/// A moto server of one test, stopped when dropped.
pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Moto {
    /// Starts moto on a free port and waits until it answers.
    pub fn start() -> Moto {
        let server = moto_server_path();
        assert!(
            server.exists(),
            "moto is not installed ({} is missing): run `scripts/moto.sh install` \
             (or set AIC_MOTO_SERVER to a moto_server executable)",
            server.display()
        );
        let port = free_port();
        let child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", server.display()));
        let mut moto = Moto { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        while moto.request("GET", "/moto-api/").is_err() {
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!("moto_server exited with {status}; run `scripts/moto.sh install` again");
            }
            assert!(Instant::now() < deadline, "moto did not answer within 60 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        moto
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Forgets everything moto holds (`POST /moto-api/reset`).
    pub fn reset(&self) {
        let status = self.request("POST", "/moto-api/reset").unwrap_or_default();
        assert!(status.starts_with("HTTP/1.1 200"), "reset failed: {status}");
    }

    /// A plain HTTP/1.1 request; the status line of the answer.
    fn request(&self, method: &str, path: &str) -> std::io::Result<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        Ok(answer.lines().next().unwrap_or_default().to_owned())
    }

    /// The provider configuration pointing at this server.
    pub fn provider_config(&self, region: &str) -> Value {
        Value::object([
            ("region", Value::string(region)),
            ("endpoint", Value::string(self.endpoint())),
            ("access_key", Value::string("testing")),
            ("secret_key", Value::string("testing")),
            ("max_retries", Value::number(0.0)),
        ])
    }

    /// The `aws` provider configured for `region` on this server, polling fast.
    pub async fn provider(
        &self,
        region: &str,
    ) -> Result<Arc<dyn ConfiguredProvider>, Box<dyn Error>> {
        Ok(AwsProvider::new()
            .with_timing(Timing::fast())
            .configure(&self.provider_config(region))
            .await?)
    }

    /// The same, counting HTTP requests in `calls`.
    pub async fn counted_provider(
        &self,
        region: &str,
        calls: Arc<AtomicU64>,
    ) -> Result<Arc<dyn ConfiguredProvider>, Box<dyn Error>> {
        Ok(AwsProvider::new()
            .with_timing(Timing::fast())
            .with_call_counter(calls)
            .configure(&self.provider_config(region))
            .await?)
    }

    /// A plain SDK client, for changes made outside aic and for checking what exists.
    pub async fn sdk(&self, region: &str) -> aws_sdk_ec2::Client {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_owned()))
            .credentials_provider(aws_sdk_ec2::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .endpoint_url(self.endpoint())
            .load()
            .await;
        aws_sdk_ec2::Client::new(&config)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// An object value from attribute pairs.
pub fn object<const N: usize>(attrs: [(&str, Value); N]) -> Value {
    Value::object(attrs)
}

pub fn strings(items: &[&str]) -> Value {
    Value::list(items.iter().map(|s| Value::string(*s)))
}

pub fn string_map(entries: &[(&str, &str)]) -> Value {
    Value::map(entries.iter().map(|(k, v)| (*k, Value::string(*v))))
}

/// `object`'s string attribute `name`.
pub fn text(object: &Value, name: &str) -> String {
    object
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("`{name}` is not a string in {object}"))
        .to_owned()
}

/// Validates `config` (no errors allowed) and plans it against `prior`.
pub async fn plan(
    provider: &dyn ConfiguredProvider,
    type_name: &str,
    prior: Option<&Value>,
    config: &Value,
) -> Result<PlanResponse, Box<dyn Error>> {
    let problems = provider.validate(type_name, config);
    assert!(
        problems.iter().all(|p| !p.is_error()),
        "unexpected problems: {problems:?}"
    );
    Ok(provider
        .plan(PlanRequest {
            type_name: type_name.to_owned(),
            prior: prior.cloned(),
            config: config.clone(),
        })
        .await?)
}

/// Checks that `applied` is wholly known and agrees with every known planned value.
pub fn assert_matches_plan(planned: &Value, applied: &Value) {
    assert!(
        applied.is_wholly_known(),
        "applied object has unknowns: {applied}"
    );
    let Some(planned_attrs) = planned.as_entries() else {
        panic!("planned value is not an object: {planned}");
    };
    for (name, value) in planned_attrs {
        if value.is_wholly_known() {
            assert_eq!(
                applied.get(name).and_then(|a| a.equals(value)),
                Some(true),
                "`{name}` was planned as {} but applied as {:?}",
                value.revealed(),
                applied.get(name).map(|v| v.revealed().to_string())
            );
        }
    }
}

/// Plans and creates an object from `config`.
pub async fn create(
    provider: &dyn ConfiguredProvider,
    type_name: &str,
    config: &Value,
) -> Result<Value, Box<dyn Error>> {
    let response = plan(provider, type_name, None, config).await?;
    let applied = provider.create(type_name, &response.planned).await?;
    assert_matches_plan(&response.planned, &applied);
    Ok(applied)
}

/// What the engine would do with a plan against existing `prior`.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    NoOp,
    Update,
    Replace(Vec<String>),
}

pub async fn action(
    provider: &dyn ConfiguredProvider,
    type_name: &str,
    prior: &Value,
    config: &Value,
) -> Result<(Action, PlanResponse), Box<dyn Error>> {
    let response = plan(provider, type_name, Some(prior), config).await?;
    let action = if response.replaces() {
        Action::Replace(
            response
                .requires_replace
                .iter()
                .map(ToString::to_string)
                .collect(),
        )
    } else if response.planned.equals(prior) == Some(true) {
        Action::NoOp
    } else {
        Action::Update
    };
    Ok((action, response))
}

/// Reads `prior` back and checks it is unchanged (a refresh right after apply finds no
/// drift).
pub async fn assert_no_drift(
    provider: &dyn ConfiguredProvider,
    type_name: &str,
    applied: &Value,
    config: &Value,
) -> TestResult {
    let read = provider
        .read(type_name, applied)
        .await?
        .ok_or("the object is gone right after apply")?;
    assert_eq!(
        read.equals(applied),
        Some(true),
        "read back {read}\nafter apply {applied}"
    );
    let (action, _) = action(provider, type_name, &read, config).await?;
    assert_eq!(
        action,
        Action::NoOp,
        "planning the same configuration again"
    );
    Ok(())
}
