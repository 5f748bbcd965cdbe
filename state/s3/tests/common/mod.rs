//! Shared by the S3 backend's tests: moto, and a bucket of the test's own.
//!
//! A test uses the moto named by `AIC_TEST_S3_ENDPOINT` (the test script starts one for
//! the whole run) or starts its own with `scripts/moto.sh start`, stopped when the
//! [`Moto`] is dropped. Without moto installed a test **fails**, naming
//! `scripts/moto.sh install`.

#![allow(dead_code)] // each test binary uses part of this module

use std::path::PathBuf;
use std::process::Command;
use std::sync::Once;

use aic_state_s3::Settings;

pub const REGION: &str = "us-east-1";

/// A moto server for one test (stopped on drop) or the shared one.
pub struct Moto {
    pub endpoint: String,
    pid: Option<String>,
}

fn script() -> PathBuf {
    PathBuf::from(&*std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("../../scripts/moto.sh")
}

/// Credentials for moto, through the standard chain the backend uses.
pub fn test_credentials() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::remove_var("AWS_PROFILE");
    });
}

impl Moto {
    /// The shared moto if the test script started one, else one of this test's own.
    pub fn shared_or_own() -> Moto {
        test_credentials();
        match std::env::var("AIC_TEST_S3_ENDPOINT") {
            Ok(endpoint) if !endpoint.is_empty() => Moto {
                endpoint,
                pid: None,
            },
            _ => Moto::own(),
        }
    }

    /// A moto of this test's own.
    pub fn own() -> Moto {
        test_credentials();
        let out = Command::new(script())
            .arg("start")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script().display()));
        assert!(
            out.status.success(),
            "could not start moto ({}); run `scripts/moto.sh install` first.\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let mut words = stdout.split_whitespace();
        let (port, pid) = (words.next(), words.next());
        let (Some(port), Some(pid)) = (port, pid) else {
            panic!("`scripts/moto.sh start` printed no `PORT PID`: {stdout}")
        };
        Moto {
            endpoint: format!("http://127.0.0.1:{port}"),
            pid: Some(pid.to_owned()),
        }
    }

    /// A new bucket; its settings for environment keys under it.
    pub fn bucket(&self) -> Settings {
        let bucket = format!("aic-{}", uuid::Uuid::new_v4().simple());
        let endpoint = self.endpoint.clone();
        let name = bucket.clone();
        runtime().block_on(async move {
            client(&endpoint)
                .await
                .create_bucket()
                .bucket(name)
                .send()
                .await
                .expect("create the bucket");
        });
        Settings {
            bucket,
            key: None,
            region: REGION.to_owned(),
            endpoint: Some(self.endpoint.clone()),
        }
    }

    /// Writes an object as is.
    pub fn put(&self, bucket: &str, key: &str, bytes: &[u8]) {
        let (endpoint, bucket, key, body) = (
            self.endpoint.clone(),
            bucket.to_owned(),
            key.to_owned(),
            bytes.to_vec(),
        );
        runtime().block_on(async move {
            client(&endpoint)
                .await
                .put_object()
                .bucket(bucket)
                .key(key)
                .body(body.into())
                .send()
                .await
                .expect("put the object");
        });
    }

    /// Deletes every object whose key starts with `prefix`.
    pub fn delete_prefix(&self, bucket: &str, prefix: &str) {
        let (endpoint, bucket, prefix) =
            (self.endpoint.clone(), bucket.to_owned(), prefix.to_owned());
        runtime().block_on(async move {
            let client = client(&endpoint).await;
            let listed = client
                .list_objects_v2()
                .bucket(&bucket)
                .prefix(prefix)
                .send()
                .await
                .expect("list");
            for object in listed.contents() {
                client
                    .delete_object()
                    .bucket(&bucket)
                    .key(object.key().unwrap_or_default())
                    .send()
                    .await
                    .expect("delete");
            }
        });
    }

    /// Every object of `bucket`: key and bytes.
    pub fn objects(&self, bucket: &str) -> Vec<(String, Vec<u8>)> {
        let (endpoint, bucket) = (self.endpoint.clone(), bucket.to_owned());
        runtime().block_on(async move {
            let client = client(&endpoint).await;
            let listed = client
                .list_objects_v2()
                .bucket(&bucket)
                .send()
                .await
                .expect("list");
            let mut all = Vec::new();
            for object in listed.contents() {
                let key = object.key().unwrap_or_default().to_owned();
                let body = client
                    .get_object()
                    .bucket(&bucket)
                    .key(&key)
                    .send()
                    .await
                    .expect("get")
                    .body
                    .collect()
                    .await
                    .expect("read")
                    .into_bytes()
                    .to_vec();
                all.push((key, body));
            }
            all
        })
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        if let Some(pid) = &self.pid {
            let _ = Command::new(script()).args(["stop", pid]).status();
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

async fn client(endpoint: &str) -> aws_sdk_s3::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new(REGION))
        .endpoint_url(endpoint)
        .load()
        .await;
    let s3 = aws_sdk_s3::config::Builder::from(&config)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(s3)
}
