//! The `postgres` state backend (`backend postgres { url, schema }`): an environment's
//! state in a PostgreSQL database, with PostgreSQL's own guarantees.
//!
//! Layout (schema `aic` unless set; created on first use, versioned in `aic_meta`):
//!
//! ```text
//! aic_meta (key, value)                                  layout_version = 1
//! states   (environment, serial, lineage, written, resources, body)   one row per version
//! journal  (environment, seq, line)                      one row per journal line
//! locks    (environment, id, who, host, pid, operation, created, backend_pid)
//! ```
//!
//! - The current version is the environment's row with the highest serial; the rows
//!   below it are the kept history. A write inserts the next row in one transaction
//!   that also checks the serial and lineage it continues (the newest row, locked
//!   `FOR UPDATE`; the primary key refuses a second row with the same serial), removes
//!   the journal and prunes history: two writers can never both win.
//! - Journal lines are rows, inserted in one statement per batch and committed before
//!   `record` returns (durable with the server's `synchronous_commit`).
//! - The lock is a session advisory lock held by a connection of its own, which also
//!   performs every locked write; a holder that dies releases it with its connection.
//!   The `locks` row names the holder for `E0604`; `aic state unlock ID` terminates the
//!   holder's connection.
//!
//! Bodies are stored as given: JSON, or encryption envelopes (see `aic_state`).

mod tls;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use aic_state::{
    AppendError, Backend, Driver, JournalLog, JournalStart, KeptVersion, LockInfo, Replace,
    Replaced, Revision, StateError, StateLock, Stored,
};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config};

use tls::Tls;

/// The schema used when the block names none.
pub const DEFAULT_SCHEMA: &str = "aic";

/// The table layout this build creates and reads.
const LAYOUT_VERSION: i32 = 1;

/// How long a connection attempt may take unless the URL says otherwise.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long to sleep between two attempts to take a busy lock.
const LOCK_POLL: Duration = Duration::from_millis(100);

/// One environment's state in a PostgreSQL schema. Cheap to clone; clones share
/// connections.
#[derive(Clone)]
pub struct Postgres {
    shared: Arc<Shared>,
    env: String,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres")
            .field("server", &self.shared.display)
            .field("schema", &self.shared.schema)
            .field("env", &self.env)
            .finish_non_exhaustive()
    }
}

/// A connection of one lock: holds the advisory lock and performs the locked writes.
type Session = Arc<tokio::sync::Mutex<Client>>;

struct Shared {
    config: Config,
    schema: String,
    /// The server without credentials, for messages.
    display: String,
    driver: Driver,
    tls: Tls,
    /// A connection for reads, opened on first use and again when it was lost.
    reader: tokio::sync::Mutex<Option<Client>>,
    /// The sessions of the locks this process holds, by lock id.
    sessions: Mutex<HashMap<String, Session>>,
    /// The tables are known to exist.
    ready: AtomicBool,
    sql: Sql,
}

/// The statements, with the schema written in.
struct Sql {
    current: String,
    current_for_update: String,
    insert_version: String,
    prune: String,
    versions: String,
    version: String,
    put_version: String,
    journal: String,
    journal_lengths: String,
    clear_journal: String,
    cut_journal: String,
    append: String,
    lock_row: String,
    upsert_lock: String,
    delete_lock: String,
    layout: String,
    create: String,
}

impl Sql {
    fn new(schema: &str) -> Sql {
        let s = format!("\"{schema}\"");
        Sql {
            current: format!(
                "SELECT serial, body, written FROM {s}.states WHERE environment = $1 \
                 ORDER BY serial DESC LIMIT 1"
            ),
            current_for_update: format!(
                "SELECT serial, lineage FROM {s}.states WHERE environment = $1 \
                 ORDER BY serial DESC LIMIT 1 FOR UPDATE"
            ),
            insert_version: format!(
                "INSERT INTO {s}.states (environment, serial, lineage, written, resources, body) \
                 VALUES ($1, $2, $3, now(), $4, $5)"
            ),
            prune: format!(
                "DELETE FROM {s}.states WHERE environment = $1 AND serial < \
                 (SELECT min(serial) FROM (SELECT serial FROM {s}.states WHERE environment = $1 \
                 ORDER BY serial DESC LIMIT $2) AS kept)"
            ),
            versions: format!(
                "SELECT serial, written, resources FROM {s}.states WHERE environment = $1 \
                 AND serial < (SELECT max(serial) FROM {s}.states WHERE environment = $1)"
            ),
            version: format!(
                "SELECT body FROM {s}.states WHERE environment = $1 AND serial = $2"
            ),
            put_version: format!(
                "INSERT INTO {s}.states (environment, serial, lineage, written, resources, body) \
                 SELECT $1::text, $2::int8, NULL, $3::timestamptz, NULL, $4::bytea WHERE EXISTS \
                 (SELECT 1 FROM {s}.locks WHERE environment = $1::text AND id = $5::text) \
                 ON CONFLICT (environment, serial) DO UPDATE SET body = EXCLUDED.body"
            ),
            journal: format!(
                "SELECT line FROM {s}.journal WHERE environment = $1 ORDER BY seq"
            ),
            journal_lengths: format!(
                "SELECT seq, octet_length(line) FROM {s}.journal WHERE environment = $1 ORDER BY seq"
            ),
            clear_journal: format!("DELETE FROM {s}.journal WHERE environment = $1"),
            cut_journal: format!("DELETE FROM {s}.journal WHERE environment = $1 AND seq > $2"),
            append: format!(
                "INSERT INTO {s}.journal (environment, seq, line) \
                 SELECT $1::text, seq, line FROM unnest($2::int8[], $3::bytea[]) AS batch(seq, line)"
            ),
            lock_row: format!(
                "SELECT id, who, host, pid, operation, created, backend_pid FROM {s}.locks \
                 WHERE environment = $1"
            ),
            upsert_lock: format!(
                "INSERT INTO {s}.locks (environment, id, who, host, pid, operation, created, backend_pid) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, pg_backend_pid()) \
                 ON CONFLICT (environment) DO UPDATE SET id = EXCLUDED.id, who = EXCLUDED.who, \
                 host = EXCLUDED.host, pid = EXCLUDED.pid, operation = EXCLUDED.operation, \
                 created = EXCLUDED.created, backend_pid = EXCLUDED.backend_pid"
            ),
            delete_lock: format!("DELETE FROM {s}.locks WHERE environment = $1 AND id = $2"),
            layout: format!("SELECT value FROM {s}.aic_meta WHERE key = 'layout_version'"),
            create: format!(
                "CREATE SCHEMA IF NOT EXISTS {s};
                 CREATE TABLE IF NOT EXISTS {s}.aic_meta (key text PRIMARY KEY, value text NOT NULL);
                 CREATE TABLE IF NOT EXISTS {s}.states (
                   environment text NOT NULL,
                   serial bigint NOT NULL,
                   lineage text,
                   written timestamptz NOT NULL,
                   resources integer,
                   body bytea NOT NULL,
                   PRIMARY KEY (environment, serial));
                 CREATE TABLE IF NOT EXISTS {s}.journal (
                   environment text NOT NULL,
                   seq bigint NOT NULL,
                   line bytea NOT NULL,
                   PRIMARY KEY (environment, seq));
                 CREATE TABLE IF NOT EXISTS {s}.locks (
                   environment text PRIMARY KEY,
                   id text NOT NULL,
                   who text NOT NULL,
                   host text NOT NULL,
                   pid bigint NOT NULL,
                   operation text NOT NULL,
                   created timestamptz NOT NULL,
                   backend_pid integer NOT NULL);
                 INSERT INTO {s}.aic_meta (key, value) VALUES ('layout_version', '{LAYOUT_VERSION}')
                   ON CONFLICT (key) DO NOTHING;"
            ),
        }
    }
}

/// A failure talking to the server, in words for a message.
fn describe(e: &tokio_postgres::Error) -> String {
    if e.is_closed() {
        return "the connection to the server was lost".to_owned();
    }
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                text = format!("{text}: {s}");
                source = s.source();
            }
            text
        }
    }
}

/// Whether `e` leaves it unknown if the statement took effect (the connection broke).
fn outcome_unknown(e: &tokio_postgres::Error) -> bool {
    e.is_closed() || e.code().is_none()
}

/// What a locked write found.
enum Outcome<T> {
    Done(T),
    Conflict,
    LockLost,
}

impl Postgres {
    /// The state of environment `env` in `schema` (default [`DEFAULT_SCHEMA`]) of the
    /// database at `url`, a libpq connection URL (`postgres://user:password@host:port/db`,
    /// with `?sslmode=`… where needed). Connects on first use.
    pub fn new(url: &str, schema: Option<&str>, env: &str) -> Result<Postgres, StateError> {
        aic_state::check_environment_name(env)?;
        let invalid = |reason: String| StateError::Settings {
            backend: "postgres",
            reason,
        };
        let mut config: Config = url
            .parse()
            .map_err(|e| invalid(format!("`url` is not a PostgreSQL connection URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("aic");
        }
        let schema = schema.unwrap_or(DEFAULT_SCHEMA);
        let valid = schema.len() <= 63
            && schema
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(invalid(format!(
                "`schema` must be a plain name (letters, digits, `_`, at most 63), not `{schema}`"
            )));
        }
        let driver = Driver::start("aic-state-postgres")
            .map_err(|e| invalid(format!("cannot start the database client: {e}")))?;
        let tls = Tls::new().map_err(|e| invalid(format!("cannot set up TLS: {e}")))?;
        let display = display(&config);
        Ok(Postgres {
            shared: Arc::new(Shared {
                sql: Sql::new(schema),
                config,
                schema: schema.to_owned(),
                display,
                driver,
                tls,
                reader: tokio::sync::Mutex::new(None),
                sessions: Mutex::new(HashMap::new()),
                ready: AtomicBool::new(false),
            }),
            env: env.to_owned(),
        })
    }

    /// The same database and schema, another environment (sharing connections).
    pub fn for_environment(&self, env: &str) -> Result<Postgres, StateError> {
        aic_state::check_environment_name(env)?;
        Ok(Postgres {
            shared: self.shared.clone(),
            env: env.to_owned(),
        })
    }

    /// The environments that have a state in this schema.
    pub fn environments(&self) -> Result<Vec<String>, StateError> {
        let shared = self.shared.clone();
        let sql = format!(
            "SELECT DISTINCT environment FROM \"{}\".states ORDER BY environment",
            shared.schema
        );
        self.read("list environments of", move |client| {
            let sql = sql.clone();
            Box::pin(async move {
                let rows = client.query(sql.as_str(), &[]).await?;
                Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect())
            })
        })
    }

    fn table(&self, table: &str) -> String {
        format!(
            "{} (\"{}\".{table}, environment {})",
            self.shared.display, self.shared.schema, self.env
        )
    }

    /// The advisory lock key of this environment.
    fn lock_key(&self) -> i64 {
        let digest = Sha256::new()
            .chain_update(b"aic state lock\0")
            .chain_update(self.shared.schema.as_bytes())
            .chain_update(b"\0")
            .chain_update(self.env.as_bytes())
            .finalize();
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&digest[..8]);
        i64::from_be_bytes(bytes)
    }

    /// Runs `query` on the read connection, connecting (again) when needed.
    fn read<T, Q>(&self, action: &'static str, query: Q) -> Result<T, StateError>
    where
        T: Send + 'static,
        Q: Fn(
                &Client,
            ) -> std::pin::Pin<
                Box<dyn std::future::Future<Output = Result<T, tokio_postgres::Error>> + Send + '_>,
            > + Send
            + 'static,
    {
        let shared = self.shared.clone();
        let location = self.table("states");
        self.shared.driver.run(async move {
            let mut reader = shared.reader.lock().await;
            let mut last = None;
            for _ in 0..2 {
                if reader.as_ref().is_none_or(Client::is_closed) {
                    *reader = None;
                    let client = connect(&shared).await.map_err(|e| {
                        StateError::remote("connect to", location.as_str(), describe(&e))
                    })?;
                    ensure_tables(&shared, &client).await.map_err(|e| {
                        StateError::remote("set up the tables of", location.as_str(), e)
                    })?;
                    *reader = Some(client);
                }
                let Some(client) = reader.as_ref() else {
                    continue;
                };
                match query(client).await {
                    Ok(v) => return Ok(v),
                    Err(e) if e.is_closed() => {
                        *reader = None;
                        last = Some(e);
                    }
                    Err(e) => {
                        return Err(StateError::remote(action, location.as_str(), describe(&e)))
                    }
                }
            }
            Err(StateError::remote(
                action,
                location.as_str(),
                last.map_or_else(|| "no connection".to_owned(), |e| describe(&e)),
            ))
        })
    }

    /// The session of `lock`, if this process holds it through this backend.
    fn session(&self, lock: &StateLock) -> Result<Session, StateError> {
        self.shared
            .sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&lock.info().id)
            .cloned()
            .ok_or_else(|| StateError::LockLost {
                env: self.env.clone(),
                id: lock.info().id.clone(),
            })
    }

    fn lock_lost(&self, lock: &StateLock) -> StateError {
        StateError::LockLost {
            env: self.env.clone(),
            id: lock.info().id.clone(),
        }
    }

    /// Runs `work` in a transaction on `lock`'s session, after checking that the lock
    /// row still names it.
    fn locked<T, W>(
        &self,
        lock: &StateLock,
        action: &'static str,
        work: W,
    ) -> Result<Outcome<T>, StateError>
    where
        T: Send + 'static,
        W: for<'c> FnOnce(
                &'c Client,
            ) -> std::pin::Pin<
                Box<
                    dyn std::future::Future<Output = Result<Outcome<T>, tokio_postgres::Error>>
                        + Send
                        + 'c,
                >,
            > + Send
            + 'static,
    {
        let session = self.session(lock)?;
        let shared = self.shared.clone();
        let (env, id, location) = (
            self.env.clone(),
            lock.info().id.clone(),
            self.table("states"),
        );
        self.shared.driver.run(async move {
            let client = session.lock().await;
            let run = async {
                client.batch_execute("BEGIN").await?;
                let holder = client
                    .query_opt(shared.sql.lock_row.as_str(), &[&env])
                    .await?;
                if holder.is_none_or(|r| r.get::<_, String>(0) != id) {
                    client.batch_execute("ROLLBACK").await?;
                    return Ok(Outcome::LockLost);
                }
                let outcome = work(&client).await;
                match outcome {
                    Ok(Outcome::Done(v)) => {
                        client.batch_execute("COMMIT").await?;
                        Ok(Outcome::Done(v))
                    }
                    Ok(other) => {
                        client.batch_execute("ROLLBACK").await?;
                        Ok(other)
                    }
                    Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                        client.batch_execute("ROLLBACK").await?;
                        Ok(Outcome::Conflict)
                    }
                    Err(e) => {
                        let _ = client.batch_execute("ROLLBACK").await;
                        Err(e)
                    }
                }
            };
            run.await
                .map_err(|e| StateError::remote(action, location.as_str(), describe(&e)))
        })
    }
}

/// `postgres://user@host:port/db`, without the password.
fn display(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config
        .get_user()
        .map(|u| format!("{u}@"))
        .unwrap_or_default();
    let db = config.get_dbname().unwrap_or("");
    format!("postgres://{user}{host}:{port}/{db}")
}

async fn connect(shared: &Shared) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = shared.config.connect(shared.tls.clone()).await?;
    tokio::spawn(async move {
        // Ends when the connection closes; errors surface on the client's next call.
        let _ = connection.await;
    });
    Ok(client)
}

/// Creates the schema and tables on first use; refuses a layout from a newer aic.
async fn ensure_tables(shared: &Shared, client: &Client) -> Result<(), String> {
    if shared.ready.load(Ordering::Acquire) {
        return Ok(());
    }
    let found = match client.query_opt(shared.sql.layout.as_str(), &[]).await {
        Ok(row) => row.map(|r| r.get::<_, String>(0)),
        Err(e)
            if matches!(
                e.code(),
                Some(&SqlState::UNDEFINED_TABLE) | Some(&SqlState::INVALID_SCHEMA_NAME)
            ) =>
        {
            None
        }
        Err(e) => return Err(describe(&e)),
    };
    match found {
        Some(v) => {
            let version: i32 = v.parse().unwrap_or(i32::MAX);
            if version > LAYOUT_VERSION {
                return Err(format!(
                    "its tables have layout version {v}, written by a newer aic (this one knows \
                     {LAYOUT_VERSION}); upgrade aic"
                ));
            }
        }
        None => {
            // Concurrent first uses create the tables one after the other.
            let create = format!(
                "BEGIN; SELECT pg_advisory_xact_lock({}); {} COMMIT;",
                schema_key(&shared.schema),
                shared.sql.create
            );
            if let Err(e) = client.batch_execute(&create).await {
                let _ = client.batch_execute("ROLLBACK").await;
                return Err(describe(&e));
            }
        }
    }
    shared.ready.store(true, Ordering::Release);
    Ok(())
}

/// The advisory lock key serialising table creation in `schema`.
fn schema_key(schema: &str) -> i64 {
    let digest = Sha256::new()
        .chain_update(b"aic state schema\0")
        .chain_update(schema.as_bytes())
        .finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// The lock row, as recorded.
fn lock_info(row: &tokio_postgres::Row) -> (LockInfo, i32) {
    let pid: i64 = row.get(3);
    (
        LockInfo {
            id: row.get(0),
            who: row.get(1),
            host: row.get(2),
            pid: u32::try_from(pid).unwrap_or(0),
            operation: row.get(4),
            created: row.get(5),
        },
        row.get(6),
    )
}

/// Whether server process `backend_pid` holds the advisory lock `key`.
async fn holds(client: &Client, key: i64, backend_pid: i32) -> Result<bool, tokio_postgres::Error> {
    let (class, obj) = ((key >> 32) & 0xffff_ffff, key & 0xffff_ffff);
    let row = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted \
             AND pid = $1 AND classid::bigint = $2 AND objid::bigint = $3 AND objsubid = 1)",
            &[&backend_pid, &class, &obj],
        )
        .await?;
    Ok(row.get(0))
}

/// Whether anyone holds the advisory lock `key`.
async fn anyone_holds(client: &Client, key: i64) -> Result<bool, tokio_postgres::Error> {
    let (class, obj) = ((key >> 32) & 0xffff_ffff, key & 0xffff_ffff);
    let row = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted \
             AND classid::bigint = $1 AND objid::bigint = $2 AND objsubid = 1)",
            &[&class, &obj],
        )
        .await?;
    Ok(row.get(0))
}

impl Backend for Postgres {
    fn environment(&self) -> &str {
        &self.env
    }

    fn location(&self) -> String {
        self.table("states")
    }

    fn journal_location(&self) -> String {
        self.table("journal")
    }

    fn history_location(&self) -> String {
        format!("{}, earlier versions", self.table("states"))
    }

    fn lock(&self, operation: &str, timeout: Duration) -> Result<StateLock, StateError> {
        let info = LockInfo::new(operation);
        let (shared, env, key) = (self.shared.clone(), self.env.clone(), self.lock_key());
        let location = self.table("locks");
        let info2 = info.clone();
        let taken = self.shared.driver.run(async move {
            let fail = |e: tokio_postgres::Error| {
                StateError::remote("take the lock in", location.as_str(), describe(&e))
            };
            let client = connect(&shared).await.map_err(fail)?;
            ensure_tables(&shared, &client)
                .await
                .map_err(|e| StateError::remote("set up the tables of", location.as_str(), e))?;
            let deadline = Instant::now() + timeout;
            loop {
                let row = client
                    .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
                    .await
                    .map_err(fail)?;
                if row.get::<_, bool>(0) {
                    client
                        .execute(
                            shared.sql.upsert_lock.as_str(),
                            &[
                                &env,
                                &info2.id,
                                &info2.who,
                                &info2.host,
                                &i64::from(info2.pid),
                                &info2.operation,
                                &info2.created,
                            ],
                        )
                        .await
                        .map_err(fail)?;
                    return Ok(client);
                }
                if Instant::now() >= deadline {
                    // The holder writes its row just after taking the advisory lock: give
                    // it a moment, and only name a row whose session holds the lock.
                    let grace = Instant::now() + Duration::from_secs(2);
                    loop {
                        let row = client
                            .query_opt(shared.sql.lock_row.as_str(), &[&env])
                            .await
                            .map_err(fail)?;
                        if let Some(row) = row {
                            let (holder, backend_pid) = lock_info(&row);
                            if holds(&client, key, backend_pid).await.map_err(fail)? {
                                return Err(StateError::Locked {
                                    env: env.clone(),
                                    stale: holder.is_stale(),
                                    holder: Box::new(holder),
                                });
                            }
                        }
                        if !anyone_holds(&client, key).await.map_err(fail)?
                            || Instant::now() >= grace
                        {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    if !anyone_holds(&client, key).await.map_err(fail)? {
                        // Released meanwhile: one more try costs nothing.
                        continue;
                    }
                    return Err(StateError::LockUnreadable {
                        env: env.clone(),
                        path: location.clone().into(),
                        reason: "the lock is held, but no row of the locks table names \
                                 its holder"
                            .to_owned(),
                    });
                }
                tokio::time::sleep(LOCK_POLL.min(deadline - Instant::now())).await;
            }
        })?;
        let session: Session = Arc::new(tokio::sync::Mutex::new(taken));
        self.shared
            .sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(info.id.clone(), session.clone());
        let (shared, env, id, key) = (
            self.shared.clone(),
            self.env.clone(),
            info.id.clone(),
            self.lock_key(),
        );
        Ok(StateLock::new(info, move || {
            shared
                .sessions
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&id);
            let driver = shared.driver.clone();
            driver.run(async move {
                let client = session.lock().await;
                let deleted = client
                    .execute(shared.sql.delete_lock.as_str(), &[&env, &id])
                    .await;
                let _ = client
                    .query_one("SELECT pg_advisory_unlock($1)", &[&key])
                    .await;
                match deleted {
                    Ok(1) => Ok(()),
                    _ => Err(StateError::LockLost { env, id }),
                }
                // Dropping the session closes its connection.
            })
        }))
    }

    fn force_unlock(&self, id: &str) -> Result<LockInfo, StateError> {
        let (shared, env, key, id) = (
            self.shared.clone(),
            self.env.clone(),
            self.lock_key(),
            id.to_owned(),
        );
        let location = self.table("locks");
        let row = {
            let (shared, env) = (shared.clone(), env.clone());
            self.read("read the lock in", move |client| {
                let (shared, env) = (shared.clone(), env.clone());
                Box::pin(async move {
                    let row = client
                        .query_opt(shared.sql.lock_row.as_str(), &[&env])
                        .await?;
                    let held = anyone_holds(client, key).await?;
                    Ok((row.map(|r| lock_info(&r)), held))
                })
            })?
        };
        let (holder, backend_pid) = match row {
            (None, false) => return Err(StateError::NotLocked { env }),
            (None, true) => {
                return Err(StateError::LockUnreadable {
                    env,
                    path: location.into(),
                    reason: "the lock is held, but no row of the locks table names its holder"
                        .to_owned(),
                })
            }
            (Some((holder, _)), false) if holder.id == id => {
                // Its holder is gone already; only the row is left.
                let (shared, env, id) = (shared.clone(), env.clone(), id.clone());
                self.read("remove the lock in", move |client| {
                    let (shared, env, id) = (shared.clone(), env.clone(), id.clone());
                    Box::pin(async move {
                        client
                            .execute(shared.sql.delete_lock.as_str(), &[&env, &id])
                            .await
                    })
                })?;
                return Ok(holder);
            }
            (Some(_), false) => return Err(StateError::NotLocked { env }),
            (Some((holder, _)), true) if holder.id != id => {
                return Err(StateError::LockIdMismatch {
                    env,
                    given: id,
                    holder: Box::new(holder),
                })
            }
            (Some((holder, pid)), true) => (holder, pid),
        };
        let (shared2, env2, id2) = (shared.clone(), env.clone(), id.clone());
        self.read("break the lock in", move |client| {
            let (shared, env, id) = (shared2.clone(), env2.clone(), id2.clone());
            Box::pin(async move {
                client
                    .query_one("SELECT pg_terminate_backend($1)", &[&backend_pid])
                    .await?;
                let deadline = Instant::now() + Duration::from_secs(10);
                while holds(client, key, backend_pid).await? && Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                client
                    .execute(shared.sql.delete_lock.as_str(), &[&env, &id])
                    .await
            })
        })?;
        Ok(holder)
    }

    fn holder(&self) -> Result<Option<LockInfo>, StateError> {
        let (shared, env, key) = (self.shared.clone(), self.env.clone(), self.lock_key());
        self.read("read the lock in", move |client| {
            let (shared, env) = (shared.clone(), env.clone());
            Box::pin(async move {
                let Some(row) = client
                    .query_opt(shared.sql.lock_row.as_str(), &[&env])
                    .await?
                else {
                    return Ok(None);
                };
                let (info, backend_pid) = lock_info(&row);
                Ok(holds(client, key, backend_pid).await?.then_some(info))
            })
        })
    }

    fn read_current(&self) -> Result<Option<Stored>, StateError> {
        let (shared, env) = (self.shared.clone(), self.env.clone());
        self.read("read", move |client| {
            let (shared, env) = (shared.clone(), env.clone());
            Box::pin(async move {
                let row = client
                    .query_opt(shared.sql.current.as_str(), &[&env])
                    .await?;
                Ok(row.map(|r| Stored {
                    revision: Revision(r.get::<_, i64>(0).to_string()),
                    bytes: r.get(1),
                    written: Some(r.get(2)),
                }))
            })
        })
    }

    fn replace_current(
        &self,
        lock: &StateLock,
        write: Replace<'_>,
    ) -> Result<Replaced, StateError> {
        let env = self.env.clone();
        let expected: Option<i64> = match write.expected {
            Some(rev) => Some(rev.0.parse().map_err(|_| self.lock_lost(lock))?),
            None => None,
        };
        let expected_lineage = write.expected_lineage.map(str::to_owned);
        let serial = i64::try_from(write.serial).unwrap_or(i64::MAX);
        let lineage = write.lineage.to_owned();
        let resources = i32::try_from(write.resources).unwrap_or(i32::MAX);
        let body = write.bytes.to_vec();
        let keep = i64::try_from(write.history_limit.saturating_add(1)).unwrap_or(i64::MAX);
        let shared = self.shared.clone();
        let outcome = self.locked(lock, "write", move |client| {
            Box::pin(async move {
                let current = client
                    .query_opt(shared.sql.current_for_update.as_str(), &[&env])
                    .await?;
                let found = current
                    .as_ref()
                    .map(|r| (r.get::<_, i64>(0), r.get::<_, Option<String>>(1)));
                let matches = match (&found, expected) {
                    (None, None) => true,
                    (Some((serial, lineage)), Some(expected)) => {
                        *serial == expected
                            && match (&expected_lineage, lineage) {
                                (Some(want), Some(have)) => want == have,
                                _ => true,
                            }
                    }
                    _ => false,
                };
                if !matches {
                    return Ok(Outcome::Conflict);
                }
                client
                    .execute(
                        shared.sql.insert_version.as_str(),
                        &[&env, &serial, &lineage, &resources, &body],
                    )
                    .await?;
                client
                    .execute(shared.sql.clear_journal.as_str(), &[&env])
                    .await?;
                client
                    .execute(shared.sql.prune.as_str(), &[&env, &keep])
                    .await?;
                Ok(Outcome::Done(()))
            })
        })?;
        match outcome {
            Outcome::Done(()) => Ok(Replaced::Written),
            Outcome::Conflict => Ok(Replaced::Conflict),
            Outcome::LockLost => Err(self.lock_lost(lock)),
        }
    }

    fn versions(&self) -> Result<Vec<KeptVersion>, StateError> {
        let (shared, env) = (self.shared.clone(), self.env.clone());
        self.read("list the versions in", move |client| {
            let (shared, env) = (shared.clone(), env.clone());
            Box::pin(async move {
                let rows = client.query(shared.sql.versions.as_str(), &[&env]).await?;
                Ok(rows
                    .iter()
                    .map(|r| KeptVersion {
                        serial: u64::try_from(r.get::<_, i64>(0)).unwrap_or(0),
                        written: r.get(1),
                        resources: r
                            .get::<_, Option<i32>>(2)
                            .and_then(|n| usize::try_from(n).ok()),
                    })
                    .collect())
            })
        })
    }

    fn read_version(&self, serial: u64) -> Result<Option<Vec<u8>>, StateError> {
        let (shared, env) = (self.shared.clone(), self.env.clone());
        let serial = i64::try_from(serial).unwrap_or(i64::MAX);
        self.read("read a version in", move |client| {
            let (shared, env) = (shared.clone(), env.clone());
            Box::pin(async move {
                let row = client
                    .query_opt(shared.sql.version.as_str(), &[&env, &serial])
                    .await?;
                Ok(row.map(|r| r.get(0)))
            })
        })
    }

    fn put_version(
        &self,
        lock: &StateLock,
        serial: u64,
        bytes: &[u8],
        written: OffsetDateTime,
    ) -> Result<(), StateError> {
        let session = self.session(lock)?;
        let (shared, env, id) = (
            self.shared.clone(),
            self.env.clone(),
            lock.info().id.clone(),
        );
        let serial = i64::try_from(serial).unwrap_or(i64::MAX);
        let body = bytes.to_vec();
        let location = self.table("states");
        let stored = self.shared.driver.run(async move {
            let client = session.lock().await;
            client
                .execute(
                    shared.sql.put_version.as_str(),
                    &[&env, &serial, &written, &body, &id],
                )
                .await
                .map_err(|e| StateError::remote("write a version in", location, describe(&e)))
        })?;
        if stored == 0 {
            return Err(self.lock_lost(lock));
        }
        Ok(())
    }

    fn read_journal(&self) -> Result<Option<Vec<u8>>, StateError> {
        let (shared, env) = (self.shared.clone(), self.env.clone());
        self.read("read the journal in", move |client| {
            let (shared, env) = (shared.clone(), env.clone());
            Box::pin(async move {
                let rows = client.query(shared.sql.journal.as_str(), &[&env]).await?;
                if rows.is_empty() {
                    return Ok(None);
                }
                let mut bytes = Vec::new();
                for row in &rows {
                    bytes.extend_from_slice(row.get::<_, &[u8]>(0));
                    bytes.push(b'\n');
                }
                Ok(Some(bytes))
            })
        })
    }

    fn open_journal(
        &self,
        lock: &StateLock,
        start: JournalStart<'_>,
    ) -> Result<Box<dyn JournalLog>, StateError> {
        let env = self.env.clone();
        let shared = self.shared.clone();
        let next = match start {
            JournalStart::New { header } => {
                let line = header.strip_suffix(b"\n").unwrap_or(header).to_vec();
                self.locked(lock, "start the journal in", move |client| {
                    Box::pin(async move {
                        client
                            .execute(shared.sql.clear_journal.as_str(), &[&env])
                            .await?;
                        client
                            .execute(
                                shared.sql.append.as_str(),
                                &[&env, &vec![0i64], &vec![line]],
                            )
                            .await?;
                        Ok(Outcome::Done(1i64))
                    })
                })?
            }
            JournalStart::Continue { intact } => {
                let intact = i64::try_from(intact).unwrap_or(i64::MAX);
                self.locked(lock, "continue the journal in", move |client| {
                    Box::pin(async move {
                        let rows = client
                            .query(shared.sql.journal_lengths.as_str(), &[&env])
                            .await?;
                        let (mut end, mut last) = (0i64, -1i64);
                        for row in &rows {
                            let (seq, len): (i64, i32) = (row.get(0), row.get(1));
                            end += i64::from(len) + 1;
                            if end > intact {
                                break;
                            }
                            last = seq;
                        }
                        client
                            .execute(shared.sql.cut_journal.as_str(), &[&env, &last])
                            .await?;
                        Ok(Outcome::Done(last + 1))
                    })
                })?
            }
        };
        match next {
            Outcome::Done(next) => Ok(Box::new(Rows {
                shared: self.shared.clone(),
                session: self.session(lock)?,
                env: self.env.clone(),
                next,
            })),
            Outcome::Conflict | Outcome::LockLost => Err(self.lock_lost(lock)),
        }
    }
}

/// The journal as rows, appended on the lock's session.
struct Rows {
    shared: Arc<Shared>,
    session: Session,
    env: String,
    next: i64,
}

impl JournalLog for Rows {
    fn append(&mut self, lines: &[u8]) -> Result<(), AppendError> {
        let lines: Vec<Vec<u8>> = lines
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(<[u8]>::to_vec)
            .collect();
        let count = i64::try_from(lines.len()).unwrap_or(i64::MAX);
        let seqs: Vec<i64> = (self.next..self.next + count).collect();
        let (shared, session, env) = (self.shared.clone(), self.session.clone(), self.env.clone());
        let inserted = self.shared.driver.run(async move {
            let client = session.lock().await;
            client
                .execute(shared.sql.append.as_str(), &[&env, &seqs, &lines])
                .await
        });
        match inserted {
            Ok(_) => {
                self.next += count;
                Ok(())
            }
            Err(e) => Err(AppendError {
                error: std::io::Error::other(describe(&e)),
                repaired: !outcome_unknown(&e),
                remote: true,
            }),
        }
    }
}
