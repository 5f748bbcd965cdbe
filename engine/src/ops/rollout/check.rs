//! Health checks of a phase: `http` (a real HTTP/1.1 GET, with expected status, timeout,
//! retries and interval), `assert` (an expression over the applied state) and
//! `prometheus` (an analysis of measurements, in [`super::analysis`]).

use std::time::Duration;

use aic_lang::addr::ModuleInstance;
use aic_lang::ast::Expr;
use http_body_util::Empty;
use hyper_util::rt::TokioIo;

use crate::eval::Values;
use crate::load::{Check, CheckKind};
use crate::planner::Workspace;
use aic_lang::duration::Duration as DurationText;

use super::progress::{now_rfc3339, CheckResult};
use crate::ops::events::{Event, Observer};

/// One HTTP GET of `url` (`http://host[:port]/path`): the response status.
pub async fn http_get(url: &str, timeout: Duration) -> Result<u16, String> {
    let uri: hyper::Uri = url
        .parse()
        .map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    match uri.scheme_str() {
        Some("http") => {}
        Some(other) => {
            return Err(format!(
                "`{url}`: only http:// URLs are supported by checks, not {other}://"
            ))
        }
        None => return Err(format!("`{url}` is not an absolute http:// URL")),
    }
    let host = uri
        .host()
        .ok_or_else(|| format!("`{url}` has no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = uri.port_u16().unwrap_or(80);
    let authority = uri
        .authority()
        .map(|a| a.to_string())
        .unwrap_or_else(|| host.clone());
    let path = uri
        .path_and_query()
        .map_or("/".to_string(), |p| p.to_string());
    let attempt = async {
        let stream = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| format!("cannot connect to {authority}: {e}"))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP handshake with {authority} failed: {e}"))?;
        let driver = tokio::spawn(async move {
            let _ = conn.await;
        });
        let req = hyper::Request::builder()
            .method("GET")
            .uri(path)
            .header("host", authority.as_str())
            .header("user-agent", concat!("aic/", env!("CARGO_PKG_VERSION")))
            .body(Empty::<&'static [u8]>::new())
            .map_err(|e| format!("cannot build the request: {e}"))?;
        let resp = sender
            .send_request(req)
            .await
            .map_err(|e| format!("GET {url} failed: {e}"));
        driver.abort();
        Ok(resp?.status().as_u16())
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(r) => r,
        Err(_) => Err(format!(
            "GET {url} got no answer within {}",
            DurationText(timeout).short()
        )),
    }
}

/// Evaluates an expression of a check in the root module against `values`.
fn eval(ws: &Workspace, values: &Values, e: &Expr) -> Result<aic_lang::value::Value, String> {
    ws.eval_in(&ModuleInstance::root(), None, None, values, e)
        .map_err(|d| {
            let label = d
                .labels
                .first()
                .map(|l| l.message.clone())
                .unwrap_or_default();
            let mut m = d.summary.clone();
            if !label.is_empty() {
                m = format!("{m}: {label}");
            }
            if let Some(h) = d.help {
                m = format!("{m} ({h})");
            }
            m
        })
}

/// Runs `check` against `values` (the refreshed, applied state with `rollout.*` set in
/// `ws`). `observer` is told of each failed attempt that will be retried.
pub async fn run(
    ws: &Workspace,
    values: &Values,
    check: &Check,
    observer: &dyn Observer,
) -> CheckResult {
    let mut result = CheckResult {
        check: check.name.clone(),
        target: None,
        step: None,
        passed: false,
        detail: String::new(),
        attempts: 0,
        at: String::new(),
        measurements: Vec::new(),
    };
    match &check.kind {
        CheckKind::Http {
            url,
            expect,
            timeout,
            retries,
            interval,
        } => {
            let url = match eval(ws, values, url) {
                Ok(v) => match v.as_str() {
                    Some(s) if v.is_known() => s.to_string(),
                    _ => {
                        result.detail = format!("the URL is not a known string ({v})");
                        result.at = now_rfc3339();
                        return result;
                    }
                },
                Err(m) => {
                    result.detail = format!("the URL cannot be computed: {m}");
                    result.at = now_rfc3339();
                    return result;
                }
            };
            loop {
                result.attempts += 1;
                match http_get(&url, *timeout).await {
                    Ok(status) if status == *expect => {
                        result.passed = true;
                        result.detail = format!("GET {url} → {status}");
                    }
                    Ok(status) => {
                        result.detail = format!("GET {url} → {status}, expected {expect}");
                    }
                    Err(m) => result.detail = m,
                }
                if result.passed || result.attempts > *retries {
                    break;
                }
                observer.event(&Event::CheckRetry {
                    check: &check.name,
                    attempt: result.attempts,
                    attempts: retries + 1,
                    detail: &result.detail,
                    interval: *interval,
                });
                tokio::time::sleep(*interval).await;
            }
        }
        CheckKind::Prometheus(a) => {
            let text = |e: &Expr, what: &str| -> Result<String, String> {
                match eval(ws, values, e) {
                    Ok(v) => match v.as_str() {
                        Some(s) if v.is_known() => Ok(s.to_string()),
                        _ => Err(format!("{what} is not a known string ({v})")),
                    },
                    Err(m) => Err(format!("{what} cannot be computed: {m}")),
                }
            };
            super::analysis::run(ws, values, &check.name, a, &mut result, text, observer).await;
        }
        CheckKind::Assert { condition, message } => {
            result.attempts = 1;
            match eval(ws, values, condition) {
                Ok(v) => match v.as_bool() {
                    Some(true) => {
                        result.passed = true;
                        result.detail = "assertion holds".into();
                    }
                    Some(false) => {
                        result.detail = match message.as_ref().map(|m| eval(ws, values, m)) {
                            Some(Ok(m)) => m.as_str().map_or_else(|| m.to_string(), str::to_string),
                            Some(Err(e)) => format!("assertion failed (message: {e})"),
                            None => "assertion failed".into(),
                        };
                    }
                    None => {
                        result.detail = format!("the assertion is not a known bool ({v})");
                    }
                },
                Err(m) => result.detail = format!("the assertion cannot be computed: {m}"),
            }
        }
    }
    result.at = now_rfc3339();
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// Answers each connection with `status`, counting requests.
    fn server(status: u16) -> (String, std::thread::JoinHandle<Vec<String>>) {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let h = std::thread::spawn(move || {
            let mut seen = Vec::new();
            if let Ok((mut s, _)) = l.accept() {
                let mut buf = [0u8; 2048];
                let n = s.read(&mut buf).unwrap_or(0);
                seen.push(String::from_utf8_lossy(&buf[..n]).into_owned());
                let _ = write!(
                    s,
                    "HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                );
            }
            seen
        });
        (format!("http://127.0.0.1:{port}/healthz?x=1"), h)
    }

    #[tokio::test]
    async fn a_get_returns_the_status_and_sends_path_and_host() {
        let (url, h) = server(503);
        assert_eq!(http_get(&url, Duration::from_secs(5)).await, Ok(503));
        let req = h.join().unwrap().join("");
        assert!(req.starts_with("GET /healthz?x=1 HTTP/1.1\r\n"), "{req}");
        assert!(req.to_lowercase().contains("host: 127.0.0.1:"), "{req}");
    }

    #[tokio::test]
    async fn refused_connections_and_other_schemes_are_errors() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        let e = http_get(&format!("http://127.0.0.1:{port}/"), Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(e.contains("cannot connect"), "{e}");
        let e = http_get("https://example.com/", Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(e.contains("only http://"), "{e}");
    }

    #[tokio::test]
    async fn a_silent_server_times_out() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let e = http_get(
            &format!("http://127.0.0.1:{port}/"),
            Duration::from_millis(300),
        )
        .await
        .unwrap_err();
        assert!(e.contains("no answer within 300ms"), "{e}");
        drop(l);
    }
}
