//! What the PostgreSQL backend does when the database misbehaves: a connection killed
//! mid-apply, a lock holder that dies, a server that is gone, tables from a newer aic,
//! TLS demanded of a server without it.

mod common;

use std::time::Duration;

use aic_state::{Backend, JournalOp, ResourceState, State, StateError, StateStore, Store};
use aic_state_postgres::Postgres;
use common::{unique_schema, Server};
use serde_json::json;

fn resource(address: &str) -> ResourceState {
    ResourceState {
        address: address.into(),
        module: String::new(),
        type_: "null_resource".into(),
        name: "r".into(),
        index: None,
        provider: "null".into(),
        attributes: json!({ "id": address }),
        sensitive_paths: vec![],
        dependencies: vec![],
        applied_config: json!({}),
        create_pending: false,
        create_token: None,
        tainted: false,
    }
}

fn created(address: &str) -> JournalOp {
    JournalOp::Created {
        resource: resource(address),
    }
}

#[test]
fn a_connection_killed_mid_apply_is_a_clear_error_and_the_journal_resumes() {
    let server = Server::shared_or_own();
    let schema = unique_schema();
    let app = format!("aic-{}", uuid::Uuid::new_v4().simple());
    let store = Store::over(Postgres::new(&server.url_named(&app), Some(&schema), "dev").unwrap());
    let lock = store.lock("apply", Duration::ZERO).unwrap();
    let journal = store.open_journal(&lock).unwrap();
    journal.record(created("null_resource.a")).unwrap();

    assert!(
        server.kill_connections(&app) >= 1,
        "the backend's connections were found"
    );
    let err = journal.record(created("null_resource.b")).unwrap_err();
    let StateError::Remote { reason, .. } = &err else {
        panic!("expected a remote error, got {err}")
    };
    assert!(reason.contains("connection"), "{reason}");
    assert_eq!(
        miette::Diagnostic::code(&err).unwrap().to_string(),
        "E0625",
        "{err}"
    );
    drop(journal);
    assert!(lock.unlock().is_err(), "the lock went with the connection");

    // The next run finds what was recorded, takes the lock at once and continues.
    let next = Store::over(Postgres::new(&server.url, Some(&schema), "dev").unwrap());
    let loaded = next.load().unwrap().unwrap();
    assert!(loaded.state.resource("null_resource.a").is_some());
    assert!(loaded.state.resource("null_resource.b").is_none());
    let lock = next.lock("apply", Duration::ZERO).unwrap();
    let journal = next.open_journal(&lock).unwrap();
    assert!(journal.state().resource("null_resource.a").is_some());
    journal.record(created("null_resource.b")).unwrap();
    let mut state = journal.finish();
    next.write(&lock, &mut state).unwrap();
    let state = next.load().unwrap().unwrap().state;
    let addresses: Vec<&str> = state.resources.iter().map(|r| r.address.as_str()).collect();
    assert_eq!(addresses, ["null_resource.a", "null_resource.b"]);
}

#[test]
fn a_holder_whose_connection_ends_releases_the_lock() {
    let server = Server::shared_or_own();
    let schema = unique_schema();
    let app = format!("aic-{}", uuid::Uuid::new_v4().simple());
    let holder = Store::over(Postgres::new(&server.url_named(&app), Some(&schema), "dev").unwrap());
    let held = holder.lock("apply", Duration::ZERO).unwrap();
    let other = Store::over(Postgres::new(&server.url, Some(&schema), "dev").unwrap());
    assert_eq!(other.holder().unwrap().as_ref(), Some(held.info()));
    assert!(matches!(
        other.lock("plan", Duration::ZERO),
        Err(StateError::Locked { .. })
    ));
    // The holder's process dies: the server ends its session, and its lock with it.
    server.kill_connections(&app);
    let taken = other.lock("plan", Duration::from_secs(10)).unwrap();
    assert_eq!(other.holder().unwrap().as_ref(), Some(taken.info()));
    // The dead holder can write nothing any more.
    let mut state = State::new();
    assert!(holder.write(&held, &mut state).is_err());
    assert_eq!(other.load().unwrap(), None);
}

#[test]
fn a_server_that_is_gone_is_a_clear_error() {
    let server = Server::own();
    let store = Store::over(Postgres::new(&server.url, None, "dev").unwrap());
    assert_eq!(store.load().unwrap(), None);
    let url = server.url.clone();
    drop(server);
    let store = Store::over(Postgres::new(&url, None, "dev").unwrap());
    let err = store.load().unwrap_err();
    assert!(matches!(err, StateError::Remote { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("could not connect to"), "{text}");
    assert!(text.contains("127.0.0.1"), "{text}");
}

#[test]
fn tables_of_a_newer_layout_are_refused() {
    let server = Server::shared_or_own();
    let schema = unique_schema();
    let store = Store::over(Postgres::new(&server.url, Some(&schema), "dev").unwrap());
    assert_eq!(store.load().unwrap(), None);
    server.sql(&format!(
        "UPDATE \"{schema}\".aic_meta SET value = '2' WHERE key = 'layout_version'"
    ));
    let store = Store::over(Postgres::new(&server.url, Some(&schema), "dev").unwrap());
    let err = store.load().unwrap_err();
    assert!(err.to_string().contains("newer aic"), "{err}");
}

#[test]
fn tls_demanded_of_a_server_without_it_is_refused_and_preferred_tls_falls_back() {
    let server = Server::shared_or_own();
    let schema = unique_schema();
    let sep = if server.url.contains('?') { '&' } else { '?' };
    let require = format!("{}{sep}sslmode=require", server.url);
    let store = Store::over(Postgres::new(&require, Some(&schema), "dev").unwrap());
    let err = store.load().unwrap_err();
    assert!(matches!(err, StateError::Remote { .. }), "{err}");
    let prefer = format!("{}{sep}sslmode=prefer", server.url);
    let store = Store::over(Postgres::new(&prefer, Some(&schema), "dev").unwrap());
    assert_eq!(store.load().unwrap(), None);
}

#[test]
fn settings_are_checked_before_anything_connects() {
    let err = Postgres::new("not a url", None, "dev").unwrap_err();
    assert!(matches!(err, StateError::Settings { .. }), "{err}");
    let err = Postgres::new("postgres://u@h/db", Some("bad schema;"), "dev").unwrap_err();
    assert!(err.to_string().contains("schema"), "{err}");
    let err = Postgres::new("postgres://u@h/db", None, "../x").unwrap_err();
    assert!(
        matches!(err, StateError::InvalidEnvironment { .. }),
        "{err}"
    );
    // The password never appears in messages.
    let store = Postgres::new("postgres://u:hunter2@127.0.0.1:1/db", None, "dev").unwrap();
    assert!(
        !store.location().contains("hunter2"),
        "{}",
        store.location()
    );
}

#[test]
fn a_write_continuing_a_version_that_is_no_longer_the_newest_is_refused_by_the_database() {
    let server = Server::shared_or_own();
    let schema = unique_schema();
    let backend = Postgres::new(&server.url, Some(&schema), "dev").unwrap();
    let store = Store::over(backend.clone());
    let lock = store.lock("apply", Duration::ZERO).unwrap();
    let mut state = State::new();
    store.write(&lock, &mut state).unwrap();
    let read = backend.read_current().unwrap().unwrap();
    // Another writer's row lands behind the lock's back.
    server.execute(
        &format!(
            "INSERT INTO \"{schema}\".states (environment, serial, lineage, written, body) \
             VALUES ('dev', 2, $1, now(), '\\x7b7d')"
        ),
        &[&state.lineage],
    );
    let write = |expected| aic_state::Replace {
        expected,
        previous: None,
        serial: 2,
        lineage: &state.lineage,
        expected_lineage: Some(&state.lineage),
        resources: 0,
        bytes: b"{}",
        history_limit: 50,
    };
    assert_eq!(
        backend
            .replace_current(&lock, write(Some(&read.revision)))
            .unwrap(),
        aic_state::Replaced::Conflict
    );
    // Even expecting the newest row, a second row with the same serial cannot exist.
    let newest = backend.read_current().unwrap().unwrap();
    assert_eq!(
        backend
            .replace_current(&lock, write(Some(&newest.revision)))
            .unwrap(),
        aic_state::Replaced::Conflict
    );
}
