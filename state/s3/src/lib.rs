//! The `s3` state backend (`backend s3 { bucket, key?, region, endpoint? }`): an
//! environment's state as objects in an S3 bucket (or an S3-compatible store), with
//! S3's own guarantees and no other service.
//!
//! ```text
//! KEY                          the current version (default key: aic/<env>.json)
//! KEY.lock                     the lock, while held (the holder, as JSON)
//! KEY.history/<serial>         kept versions (serial zero-padded to 20 digits)
//! KEY.journal/<seq>            one object per journal batch, in order
//! ```
//!
//! - Every write of `KEY` is conditional: `If-Match` the ETag of the version read (or
//!   `If-None-Match: *` for the first), so a writer whose view is stale is refused by
//!   S3 itself and two writers can never both win.
//! - The lock is taken by creating `KEY.lock` with `If-None-Match: *`; S3 lets exactly
//!   one such write succeed. Nothing releases it if its holder dies: the next command
//!   reports it (`E0604`, marked stale when the holder ran on this host and is gone)
//!   for `aic state unlock ID`.
//! - Journal batches are objects, each written (`If-None-Match: *`) before `record`
//!   returns; objects are whole or absent, so there are no torn lines.
//! - Kept versions record when they were written and how many resources they hold in
//!   object metadata, so listing history reads no bodies.
//!
//! Bodies are stored as given: JSON, or encryption envelopes (see `aic_state`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aic_state::{
    AppendError, Backend, Driver, JournalLog, JournalStart, KeptVersion, LockInfo, Replace,
    Replaced, Revision, StateError, StateLock, Stored,
};
use aws_config::BehaviorVersion;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::{Region, RequestChecksumCalculation};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use aws_sdk_s3::Client;
use time::OffsetDateTime;

/// How long to sleep between two attempts to take a busy lock.
const LOCK_POLL: Duration = Duration::from_millis(100);

/// Where an environment's state lives in S3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The bucket.
    pub bucket: String,
    /// The current version's key; `None`: `aic/<env>.json`.
    pub key: Option<String>,
    /// The bucket's region.
    pub region: String,
    /// Another endpoint than AWS's (an S3-compatible store, an emulator); path-style
    /// addressing is used with it.
    pub endpoint: Option<String>,
}

/// One environment's state in an S3 bucket. Cheap to clone; clones share the client.
#[derive(Clone)]
pub struct S3 {
    shared: Arc<Shared>,
    env: String,
    key: String,
}

impl std::fmt::Debug for S3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3")
            .field("bucket", &self.shared.bucket)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

struct Shared {
    client: Client,
    bucket: String,
    driver: Driver,
}

/// How a failed request ended.
#[derive(Debug)]
struct Failure {
    /// The HTTP status, when an answer came.
    status: Option<u16>,
    /// The S3 error code, when the answer had one.
    code: Option<String>,
    /// The whole error in words.
    message: String,
}

impl Failure {
    fn of<E>(e: &SdkError<E, HttpResponse>) -> Failure
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let status = match e {
            SdkError::ServiceError(s) => Some(s.raw().status().as_u16()),
            _ => None,
        };
        Failure {
            status,
            code: e.code().map(str::to_owned),
            message: format!("{}", DisplayErrorContext(e)),
        }
    }

    fn precondition_failed(&self) -> bool {
        self.status == Some(412) || self.code.as_deref() == Some("PreconditionFailed")
    }

    fn not_found(&self) -> bool {
        self.status == Some(404) || matches!(self.code.as_deref(), Some("NoSuchKey" | "NotFound"))
    }

    /// An answer came, so the request had no effect.
    fn answered(&self) -> bool {
        self.status.is_some()
    }
}

fn zero_padded(n: u64) -> String {
    format!("{n:020}")
}

/// A time in object metadata, and back.
fn metadata_time(t: OffsetDateTime) -> String {
    t.unix_timestamp().to_string()
}

fn time_from_metadata(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(text.parse().ok()?).ok()
}

fn smithy_time(t: &aws_sdk_s3::primitives::DateTime) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(t.secs()).ok()
}

impl S3 {
    /// The state of environment `env` as `settings` place it. Makes no request yet.
    pub fn new(settings: Settings, env: &str) -> Result<S3, StateError> {
        aic_state::check_environment_name(env)?;
        let invalid = |reason: String| StateError::Settings {
            backend: "s3",
            reason,
        };
        if settings.bucket.is_empty() {
            return Err(invalid("`bucket` is empty".to_owned()));
        }
        if settings.region.is_empty() {
            return Err(invalid("`region` is empty".to_owned()));
        }
        let key = settings
            .key
            .clone()
            .unwrap_or_else(|| format!("aic/{env}.json"));
        if key.is_empty() || key.ends_with('/') {
            return Err(invalid(format!(
                "`key` must name an object, like `aic/{env}.json`, not `{key}`"
            )));
        }
        let driver = Driver::start("aic-state-s3")
            .map_err(|e| invalid(format!("cannot start the S3 client: {e}")))?;
        let loader_settings = settings.clone();
        let client = driver.run(async move {
            let mut loader = aws_config::defaults(BehaviorVersion::latest())
                .region(Region::new(loader_settings.region.clone()));
            if let Some(endpoint) = &loader_settings.endpoint {
                loader = loader.endpoint_url(endpoint);
            }
            let config = loader.load().await;
            let s3 = aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(loader_settings.endpoint.is_some())
                .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
                .build();
            Client::from_conf(s3)
        });
        Ok(S3 {
            shared: Arc::new(Shared {
                client,
                bucket: settings.bucket,
                driver,
            }),
            env: env.to_owned(),
            key,
        })
    }

    /// The same bucket and client, another environment with its own key.
    pub fn for_environment(&self, env: &str, key: Option<String>) -> Result<S3, StateError> {
        aic_state::check_environment_name(env)?;
        Ok(S3 {
            shared: self.shared.clone(),
            env: env.to_owned(),
            key: key.unwrap_or_else(|| format!("aic/{env}.json")),
        })
    }

    /// The key of the current version.
    pub fn key(&self) -> &str {
        &self.key
    }

    fn url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.shared.bucket)
    }

    fn lock_key(&self) -> String {
        format!("{}.lock", self.key)
    }

    fn history_prefix(&self) -> String {
        format!("{}.history/", self.key)
    }

    fn journal_prefix(&self) -> String {
        format!("{}.journal/", self.key)
    }

    /// Runs `f` with the client on the driver thread.
    fn call<T, F, Fut>(&self, f: F) -> T
    where
        T: Send + 'static,
        F: FnOnce(Client, String) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = T> + Send + 'static,
    {
        let (client, bucket) = (self.shared.client.clone(), self.shared.bucket.clone());
        self.shared
            .driver
            .run(async move { f(client, bucket).await })
    }

    /// An object's bytes, ETag and metadata; `None` when it does not exist.
    fn get(&self, key: &str) -> Result<Option<Object>, StateError> {
        let k = key.to_owned();
        let got = self.call(move |client, bucket| async move {
            let out = match client.get_object().bucket(bucket).key(k).send().await {
                Ok(out) => out,
                Err(e) => return Err(Failure::of(&e)),
            };
            let etag = out.e_tag().unwrap_or_default().to_owned();
            let modified = out.last_modified().and_then(smithy_time);
            let metadata = out.metadata().cloned().unwrap_or_default();
            let bytes = out.body.collect().await.map_err(|e| Failure {
                status: None,
                code: None,
                message: e.to_string(),
            })?;
            Ok(Object {
                bytes: bytes.into_bytes().to_vec(),
                etag,
                modified,
                metadata,
            })
        });
        match got {
            Ok(object) => Ok(Some(object)),
            Err(f) if f.not_found() => Ok(None),
            Err(f) => Err(StateError::remote("read", self.url(key), f.message)),
        }
    }

    /// Writes an object; `condition` is `If-Match` an ETag, or `If-None-Match: *`.
    fn put(
        &self,
        key: &str,
        bytes: &[u8],
        condition: Condition,
        metadata: &[(&str, String)],
    ) -> Result<(), Failure> {
        let (k, body) = (key.to_owned(), bytes.to_vec());
        let metadata: Vec<(String, String)> = metadata
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        self.call(move |client, bucket| async move {
            let mut put = client
                .put_object()
                .bucket(bucket)
                .key(k)
                .body(ByteStream::from(body));
            for (name, value) in metadata {
                put = put.metadata(name, value);
            }
            put = match condition {
                Condition::None => put,
                Condition::Absent => put.if_none_match("*"),
                Condition::Matches(etag) => put.if_match(etag),
            };
            put.send().await.map(drop).map_err(|e| Failure::of(&e))
        })
    }

    fn delete(&self, key: &str) -> Result<(), StateError> {
        let k = key.to_owned();
        self.call(move |client, bucket| async move {
            client
                .delete_object()
                .bucket(bucket)
                .key(k)
                .send()
                .await
                .map(drop)
                .map_err(|e| Failure::of(&e))
        })
        .map_err(|f| StateError::remote("delete", self.url(key), f.message))
    }

    /// Keys and sizes under `prefix`, in key order.
    fn list(&self, prefix: &str) -> Result<Vec<(String, i64)>, StateError> {
        let p = prefix.to_owned();
        self.call(move |client, bucket| async move {
            let mut pages = client
                .list_objects_v2()
                .bucket(bucket)
                .prefix(p)
                .into_paginator()
                .send();
            let mut keys = Vec::new();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| Failure::of(&e))?;
                for object in page.contents() {
                    if let Some(key) = object.key() {
                        keys.push((key.to_owned(), object.size().unwrap_or(0)));
                    }
                }
            }
            keys.sort();
            Ok(keys)
        })
        .map_err(|f: Failure| StateError::remote("list", self.url(prefix), f.message))
    }

    /// Deletes many objects.
    fn delete_all(&self, keys: Vec<String>) -> Result<(), StateError> {
        let location = self.url(&self.journal_prefix());
        for chunk in keys.chunks(1000) {
            let objects: Vec<ObjectIdentifier> = chunk
                .iter()
                .filter_map(|k| ObjectIdentifier::builder().key(k).build().ok())
                .collect();
            if objects.is_empty() {
                continue;
            }
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|e| StateError::remote("delete", location.as_str(), e))?;
            self.call(move |client, bucket| async move {
                let out = client
                    .delete_objects()
                    .bucket(bucket)
                    .delete(delete)
                    .send()
                    .await
                    .map_err(|e| Failure::of(&e))?;
                match out.errors().first() {
                    Some(e) => Err(Failure {
                        status: None,
                        code: e.code().map(str::to_owned),
                        message: e.message().unwrap_or("delete failed").to_owned(),
                    }),
                    None => Ok(()),
                }
            })
            .map_err(|f| StateError::remote("delete", location.as_str(), f.message))?;
        }
        Ok(())
    }

    /// The lock object's holder, if the object exists and can be read.
    fn read_lock(&self) -> Result<Option<Result<LockInfo, String>>, StateError> {
        Ok(self
            .get(&self.lock_key())?
            .map(|o| LockInfo::from_json(&o.bytes)))
    }

    fn check_held(&self, lock: &StateLock) -> Result<(), StateError> {
        match self.read_lock()? {
            Some(Ok(holder)) if holder.id == lock.info().id => Ok(()),
            _ => Err(StateError::LockLost {
                env: self.env.clone(),
                id: lock.info().id.clone(),
            }),
        }
    }

    fn version_key(&self, serial: u64) -> String {
        format!("{}{}", self.history_prefix(), zero_padded(serial))
    }

    fn journal_key(&self, seq: u64) -> String {
        format!("{}{}", self.journal_prefix(), zero_padded(seq))
    }

    fn prune_history(&self, limit: usize) -> Result<(), StateError> {
        let kept = self.list(&self.history_prefix())?;
        let excess = kept.len().saturating_sub(limit);
        let old: Vec<String> = kept.into_iter().take(excess).map(|(k, _)| k).collect();
        self.delete_all(old)
    }
}

/// An object as read.
struct Object {
    bytes: Vec<u8>,
    etag: String,
    modified: Option<OffsetDateTime>,
    metadata: HashMap<String, String>,
}

/// The condition of a write.
enum Condition {
    None,
    Absent,
    Matches(String),
}

impl Backend for S3 {
    fn environment(&self) -> &str {
        &self.env
    }

    fn location(&self) -> String {
        self.url(&self.key)
    }

    fn journal_location(&self) -> String {
        self.url(&self.journal_prefix())
    }

    fn history_location(&self) -> String {
        self.url(&self.history_prefix())
    }

    fn lock(&self, operation: &str, timeout: Duration) -> Result<StateLock, StateError> {
        let info = LockInfo::new(operation);
        let bytes = info.to_json();
        let deadline = Instant::now() + timeout;
        let lock_key = self.lock_key();
        loop {
            match self.put(&lock_key, &bytes, Condition::Absent, &[]) {
                Ok(()) => {
                    let (this, id) = (self.clone(), info.id.clone());
                    return Ok(StateLock::new(info, move || match this.read_lock()? {
                        Some(Ok(holder)) if holder.id == id => this.delete(&this.lock_key()),
                        _ => Err(StateError::LockLost {
                            env: this.env.clone(),
                            id,
                        }),
                    }));
                }
                Err(f) if f.precondition_failed() => {}
                Err(f) => {
                    return Err(StateError::remote(
                        "take the lock",
                        self.url(&lock_key),
                        f.message,
                    ))
                }
            }
            if Instant::now() >= deadline {
                return match self.read_lock()? {
                    // Released meanwhile: one more try costs nothing.
                    None => self.lock(operation, Duration::ZERO),
                    Some(Ok(holder)) => Err(StateError::Locked {
                        env: self.env.clone(),
                        stale: holder.is_stale(),
                        holder: Box::new(holder),
                    }),
                    Some(Err(reason)) => Err(StateError::LockUnreadable {
                        env: self.env.clone(),
                        path: self.url(&lock_key).into(),
                        reason,
                    }),
                };
            }
            std::thread::sleep(LOCK_POLL.min(deadline.saturating_duration_since(Instant::now())));
        }
    }

    fn force_unlock(&self, id: &str) -> Result<LockInfo, StateError> {
        match self.read_lock()? {
            None => Err(StateError::NotLocked {
                env: self.env.clone(),
            }),
            Some(Err(reason)) => Err(StateError::LockUnreadable {
                env: self.env.clone(),
                path: self.url(&self.lock_key()).into(),
                reason,
            }),
            Some(Ok(holder)) if holder.id != id => Err(StateError::LockIdMismatch {
                env: self.env.clone(),
                given: id.to_owned(),
                holder: Box::new(holder),
            }),
            Some(Ok(holder)) => {
                self.delete(&self.lock_key())?;
                Ok(holder)
            }
        }
    }

    fn holder(&self) -> Result<Option<LockInfo>, StateError> {
        Ok(self.read_lock()?.and_then(Result::ok))
    }

    fn read_current(&self) -> Result<Option<Stored>, StateError> {
        Ok(self.get(&self.key)?.map(|o| Stored {
            written: o
                .metadata
                .get("written")
                .and_then(|t| time_from_metadata(t))
                .or(o.modified),
            revision: Revision(o.etag),
            bytes: o.bytes,
        }))
    }

    fn replace_current(
        &self,
        lock: &StateLock,
        write: Replace<'_>,
    ) -> Result<Replaced, StateError> {
        self.check_held(lock)?;
        if let Some(previous) = write.previous {
            if write.history_limit > 0 {
                let mut metadata = vec![("serial", previous.serial.to_string())];
                if let Some(t) = previous.written {
                    metadata.push(("written", metadata_time(t)));
                }
                let key = self.version_key(previous.serial);
                self.put(&key, previous.bytes, Condition::None, &metadata)
                    .map_err(|f| {
                        StateError::remote("keep a version in", self.url(&key), f.message)
                    })?;
            }
        }
        let condition = match write.expected {
            Some(revision) => Condition::Matches(revision.0.clone()),
            None => Condition::Absent,
        };
        let metadata = [
            ("serial", write.serial.to_string()),
            ("lineage", write.lineage.to_owned()),
            ("resources", write.resources.to_string()),
            ("written", metadata_time(OffsetDateTime::now_utc())),
        ];
        match self.put(&self.key, write.bytes, condition, &metadata) {
            Ok(()) => {}
            Err(f) if f.precondition_failed() => return Ok(Replaced::Conflict),
            Err(f) => return Err(StateError::remote("write", self.location(), f.message)),
        }
        // The state now includes the journal; a journal left by a stop right here is
        // recognised by its header (an older serial) as already compacted.
        let journal: Vec<String> = self
            .list(&self.journal_prefix())?
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        self.delete_all(journal)?;
        self.prune_history(write.history_limit)?;
        Ok(Replaced::Written)
    }

    fn versions(&self) -> Result<Vec<KeptVersion>, StateError> {
        let prefix = self.history_prefix();
        let mut versions = Vec::new();
        for (key, _) in self.list(&prefix)? {
            let Some(serial) = key
                .strip_prefix(&prefix)
                .and_then(|s| s.parse::<u64>().ok())
            else {
                continue;
            };
            let k = key.clone();
            let head = self.call(move |client, bucket| async move {
                client
                    .head_object()
                    .bucket(bucket)
                    .key(k)
                    .send()
                    .await
                    .map_err(|e| Failure::of(&e))
            });
            let head = match head {
                Ok(h) => h,
                Err(f) if f.not_found() => continue,
                Err(f) => return Err(StateError::remote("read", self.url(&key), f.message)),
            };
            let metadata = head.metadata().cloned().unwrap_or_default();
            let written = metadata
                .get("written")
                .and_then(|t| time_from_metadata(t))
                .or_else(|| head.last_modified().and_then(smithy_time))
                .unwrap_or_else(OffsetDateTime::now_utc);
            versions.push(KeptVersion {
                serial,
                written,
                resources: metadata.get("resources").and_then(|n| n.parse().ok()),
            });
        }
        Ok(versions)
    }

    fn read_version(&self, serial: u64) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self.get(&self.version_key(serial))?.map(|o| o.bytes))
    }

    fn put_version(
        &self,
        lock: &StateLock,
        serial: u64,
        bytes: &[u8],
        written: OffsetDateTime,
    ) -> Result<(), StateError> {
        self.check_held(lock)?;
        let key = self.version_key(serial);
        let metadata = [
            ("serial", serial.to_string()),
            ("written", metadata_time(written)),
        ];
        self.put(&key, bytes, Condition::None, &metadata)
            .map_err(|f| StateError::remote("write a version in", self.url(&key), f.message))
    }

    fn read_journal(&self) -> Result<Option<Vec<u8>>, StateError> {
        let keys = self.list(&self.journal_prefix())?;
        if keys.is_empty() {
            return Ok(None);
        }
        let mut bytes = Vec::new();
        for (key, _) in keys {
            if let Some(object) = self.get(&key)? {
                bytes.extend_from_slice(&object.bytes);
            }
        }
        Ok(Some(bytes))
    }

    fn open_journal(
        &self,
        lock: &StateLock,
        start: JournalStart<'_>,
    ) -> Result<Box<dyn JournalLog>, StateError> {
        self.check_held(lock)?;
        let existing = self.list(&self.journal_prefix())?;
        let next = match start {
            JournalStart::New { header } => {
                self.delete_all(existing.into_iter().map(|(k, _)| k).collect())?;
                let key = self.journal_key(0);
                self.put(&key, header, Condition::Absent, &[])
                    .map_err(|f| {
                        StateError::remote("start the journal", self.url(&key), f.message)
                    })?;
                1
            }
            JournalStart::Continue { intact } => {
                let (mut end, mut next) = (0u64, 0u64);
                let mut beyond = Vec::new();
                for (key, size) in existing {
                    let size = u64::try_from(size).unwrap_or(0);
                    if end >= intact {
                        beyond.push(key);
                        continue;
                    }
                    if end + size > intact {
                        // The torn tail is inside this batch: keep its intact part.
                        let keep = usize::try_from(intact - end).unwrap_or(usize::MAX);
                        let object = self.get(&key)?.map(|o| o.bytes).unwrap_or_default();
                        let cut = &object[..keep.min(object.len())];
                        self.put(&key, cut, Condition::None, &[]).map_err(|f| {
                            StateError::remote("continue the journal", self.url(&key), f.message)
                        })?;
                    }
                    end += size;
                    next = key
                        .rsplit('/')
                        .next()
                        .and_then(|s| s.parse::<u64>().ok())
                        .map_or(next, |s| s + 1);
                }
                self.delete_all(beyond)?;
                next
            }
        };
        Ok(Box::new(Batches {
            backend: self.clone(),
            next,
        }))
    }
}

/// The journal as one object per batch.
struct Batches {
    backend: S3,
    next: u64,
}

impl JournalLog for Batches {
    fn append(&mut self, lines: &[u8]) -> Result<(), AppendError> {
        let key = self.backend.journal_key(self.next);
        match self.backend.put(&key, lines, Condition::Absent, &[]) {
            Ok(()) => {
                self.next += 1;
                Ok(())
            }
            Err(f) => Err(AppendError {
                // An answer (even 412: someone else wrote that batch) means this write
                // took no effect; without one, it may have.
                repaired: f.answered() && !f.precondition_failed(),
                error: std::io::Error::other(f.message),
                remote: true,
            }),
        }
    }
}
