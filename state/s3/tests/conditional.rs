//! S3's own guarantees, seen through the backend: conditional writes refuse a stale
//! writer and a second lock holder; a lock left by a dead process is reported stale.

mod common;

use std::time::Duration;

use aic_state::{Backend, LockInfo, Replace, Replaced, State, StateError, StateStore, Store};
use aic_state_s3::S3;
use common::Moto;

#[test]
fn a_write_over_a_version_that_changed_since_it_was_read_is_refused_by_s3() {
    let moto = Moto::shared_or_own();
    let settings = moto.bucket();
    let backend = S3::new(settings.clone(), "dev").unwrap();
    let store = Store::over(backend.clone());
    let lock = store.lock("apply", Duration::ZERO).unwrap();
    let mut state = State::new();
    store.write(&lock, &mut state).unwrap();
    let read = backend.read_current().unwrap().unwrap();
    // Someone writes behind the lock's back (a broken lock, a hand edit).
    moto.put(&settings.bucket, backend.key(), b"{\"changed\": true}");
    let replaced = backend
        .replace_current(
            &lock,
            Replace {
                expected: Some(&read.revision),
                previous: None,
                serial: 2,
                lineage: &state.lineage,
                expected_lineage: Some(&state.lineage),
                resources: 0,
                bytes: b"{}",
                history_limit: 50,
            },
        )
        .unwrap();
    assert_eq!(replaced, Replaced::Conflict);
    let now = backend.read_current().unwrap().unwrap();
    assert_eq!(now.bytes, b"{\"changed\": true}");
}

#[test]
fn the_first_version_is_written_only_if_there_is_none() {
    let moto = Moto::shared_or_own();
    let settings = moto.bucket();
    let backend = S3::new(settings.clone(), "dev").unwrap();
    let store = Store::over(backend.clone());
    let lock = store.lock("apply", Duration::ZERO).unwrap();
    moto.put(&settings.bucket, backend.key(), b"{}");
    let replaced = backend
        .replace_current(
            &lock,
            Replace {
                expected: None,
                previous: None,
                serial: 1,
                lineage: "L",
                expected_lineage: None,
                resources: 0,
                bytes: b"{\"mine\": 1}",
                history_limit: 50,
            },
        )
        .unwrap();
    assert_eq!(replaced, Replaced::Conflict);
}

#[test]
fn a_lock_left_by_a_dead_process_on_this_host_is_reported_stale_not_broken() {
    let moto = Moto::shared_or_own();
    let settings = moto.bucket();
    let backend = S3::new(settings.clone(), "dev").unwrap();
    let mut dead = LockInfo::new("apply");
    dead.pid = 2_147_483_600;
    moto.put(
        &settings.bucket,
        &format!("{}.lock", backend.key()),
        &dead.to_json(),
    );
    let store = Store::over(backend);
    let err = store.lock("plan", Duration::ZERO).unwrap_err();
    let StateError::Locked { stale, holder, .. } = &err else {
        panic!("{err}")
    };
    assert!(*stale, "{err}");
    assert_eq!(**holder, dead);
    assert!(err.to_string().contains("looks stale"), "{err}");
    let help = miette::Diagnostic::help(&err).unwrap().to_string();
    assert!(
        help.contains(&format!("aic state unlock {}", dead.id)),
        "{help}"
    );
    store.force_unlock(&dead.id).unwrap();
    store.lock("plan", Duration::ZERO).unwrap();
}

#[test]
fn every_object_lives_under_the_state_key() {
    let moto = Moto::shared_or_own();
    let settings = moto.bucket();
    let backend = S3::new(
        aic_state_s3::Settings {
            key: Some("teams/web/prod.json".into()),
            ..settings.clone()
        },
        "prod",
    )
    .unwrap();
    let store = Store::over(backend);
    let lock = store.lock("apply", Duration::ZERO).unwrap();
    let mut state = State::new();
    store.write(&lock, &mut state).unwrap();
    let journal = store.open_journal(&lock).unwrap();
    journal
        .record(aic_state::JournalOp::Deleted {
            address: "null_resource.x".into(),
        })
        .unwrap();
    let keys: Vec<String> = moto
        .objects(&settings.bucket)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        keys,
        [
            "teams/web/prod.json",
            "teams/web/prod.json.journal/00000000000000000000",
            "teams/web/prod.json.journal/00000000000000000001",
            "teams/web/prod.json.lock",
        ]
    );
    let mut state = journal.finish();
    store.write(&lock, &mut state).unwrap();
    drop(lock);
    let keys: Vec<String> = moto
        .objects(&settings.bucket)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        keys,
        [
            "teams/web/prod.json",
            "teams/web/prod.json.history/00000000000000000001",
        ]
    );
}

#[test]
fn settings_are_checked_before_any_request() {
    let base = aic_state_s3::Settings {
        bucket: "b".into(),
        key: None,
        region: "us-east-1".into(),
        endpoint: None,
    };
    let err = S3::new(
        aic_state_s3::Settings {
            bucket: String::new(),
            ..base.clone()
        },
        "dev",
    )
    .unwrap_err();
    assert!(matches!(err, StateError::Settings { .. }), "{err}");
    let err = S3::new(
        aic_state_s3::Settings {
            key: Some("dir/".into()),
            ..base.clone()
        },
        "dev",
    )
    .unwrap_err();
    assert!(err.to_string().contains("key"), "{err}");
    assert_eq!(S3::new(base, "dev").unwrap().key(), "aic/dev.json");
}
