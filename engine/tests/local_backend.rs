//! The local backend through its public contract: writes, refusals, history, journal
//! recovery and locking.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use aic_engine::state::{
    JournalOp, LocalBackend, ResourceState, State, StateError, StateStore, FORMAT_VERSION,
};
use serde_json::json;

fn resource(address: &str, id: &str) -> ResourceState {
    ResourceState {
        address: address.into(),
        module: String::new(),
        type_: "null_resource".into(),
        name: "r".into(),
        index: None,
        provider: "null".into(),
        attributes: json!({ "id": id }),
        sensitive_paths: vec![],
        dependencies: vec![],
        applied_config: json!({}),
        create_pending: false,
        create_token: None,
        tainted: false,
    }
}

fn backend() -> (tempfile::TempDir, LocalBackend) {
    let dir = tempfile::tempdir().unwrap();
    let backend = LocalBackend::new(dir.path(), "dev").unwrap();
    (dir, backend)
}

/// Writes a first state with two resources; returns it as written.
fn seed(backend: &LocalBackend) -> State {
    let lock = backend.lock("apply", Duration::ZERO).unwrap();
    let mut state = State::new();
    state.set_resource(resource("null_resource.b", "2"));
    state.set_resource(resource("null_resource.a", "1"));
    backend.write(&lock, &mut state).unwrap();
    state
}

#[test]
fn written_state_is_private_sorted_and_reads_back() {
    let (_dir, backend) = backend();
    let state = seed(&backend);
    assert_eq!(state.serial, 1);

    let path = backend.state_path();
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = fs::read_to_string(&path).unwrap();
    let a = text.find("null_resource.a").unwrap();
    let b = text.find("null_resource.b").unwrap();
    assert!(a < b, "resources are saved sorted by address");

    let loaded = backend.load().unwrap().unwrap();
    assert_eq!(loaded.state, state);
    assert_eq!(loaded.replay, None);
    assert_eq!(loaded.state.format_version, FORMAT_VERSION);
}

#[test]
fn every_write_increments_the_serial_and_keeps_the_lineage() {
    let (_dir, backend) = backend();
    let first = seed(&backend);
    let lock = backend.lock("apply", Duration::ZERO).unwrap();
    let mut state = backend.load().unwrap().unwrap().state;
    for expected in 2..5 {
        backend.write(&lock, &mut state).unwrap();
        assert_eq!(state.serial, expected);
        assert_eq!(state.lineage, first.lineage);
    }
}

#[test]
fn no_state_loads_as_none() {
    let (_dir, backend) = backend();
    assert_eq!(backend.load().unwrap(), None);
}

#[test]
fn a_stale_or_foreign_state_is_not_written() {
    let (_dir, backend) = backend();
    seed(&backend);
    let lock = backend.lock("apply", Duration::ZERO).unwrap();
    let mut stale = backend.load().unwrap().unwrap().state;
    let mut fresh = stale.clone();
    backend.write(&lock, &mut fresh).unwrap();
    let before = fs::read(backend.state_path()).unwrap();

    let err = backend.write(&lock, &mut stale).unwrap_err();
    assert!(
        matches!(
            err,
            StateError::SerialConflict {
                expected: 1,
                found: 2,
                ..
            }
        ),
        "{err}"
    );
    let mut foreign = State {
        serial: 2,
        ..State::new()
    };
    let err = backend.write(&lock, &mut foreign).unwrap_err();
    assert!(matches!(err, StateError::LineageMismatch { .. }), "{err}");
    assert_eq!(fs::read(backend.state_path()).unwrap(), before);
}

#[test]
fn writing_requires_the_lock_still_held() {
    let (_dir, backend) = backend();
    seed(&backend);
    let lock = backend.lock("apply", Duration::ZERO).unwrap();
    let mut state = backend.load().unwrap().unwrap().state;
    backend.force_unlock(&lock.info().id).unwrap();
    let err = backend.write(&lock, &mut state).unwrap_err();
    assert!(matches!(err, StateError::LockLost { .. }), "{err}");
    assert!(matches!(
        backend.open_journal(&lock),
        Err(StateError::LockLost { .. })
    ));
}

fn assert_refused_and_unchanged(backend: &LocalBackend, bytes: &[u8], check: impl Fn(&StateError)) {
    fs::write(backend.state_path(), bytes).unwrap();
    check(&backend.load().unwrap_err());
    let lock = backend.lock("apply", Duration::ZERO).unwrap();
    let mut state = State::new();
    check(&backend.write(&lock, &mut state).unwrap_err());
    check(&backend.open_journal(&lock).unwrap_err());
    assert_eq!(fs::read(backend.state_path()).unwrap(), bytes);
}

#[test]
fn a_truncated_state_is_refused_naming_file_position_and_recovery() {
    let (_dir, backend) = backend();
    seed(&backend);
    let full = fs::read(backend.state_path()).unwrap();
    let cut = &full[..full.len() / 2];
    assert_refused_and_unchanged(&backend, cut, |err| {
        let StateError::Corrupt(damaged) = err else {
            panic!("expected a damaged-state error, got {err}")
        };
        let (line, column) = (damaged.line, damaged.column);
        assert!(line > 1 && column > 0);
        assert_eq!(damaged.path, backend.state_path());
        let message = err.to_string();
        assert!(
            message.contains(&backend.state_path().display().to_string()),
            "{message}"
        );
        assert!(
            message.contains(&format!("line {line}, column {column}")),
            "{message}"
        );
        let help = miette::Diagnostic::help(err).unwrap().to_string();
        assert!(help.contains("aic state history"), "{help}");
        assert!(
            help.contains(&backend.history_dir().display().to_string()),
            "{help}"
        );
    });
}

#[test]
fn an_empty_or_invalid_state_is_refused() {
    let (_dir, backend) = backend();
    seed(&backend);
    for bytes in [&b""[..], b"{\"format_version\": 1, \"lineage\": 7}", b"[]"] {
        assert_refused_and_unchanged(&backend, bytes, |err| {
            assert!(matches!(err, StateError::Corrupt(_)), "{err}");
        });
    }
}

#[test]
fn a_state_from_a_newer_aic_is_refused() {
    let (_dir, backend) = backend();
    seed(&backend);
    let newer = br#"{"format_version": 2, "lineage": "x", "serial": 9, "something_new": {}}"#;
    assert_refused_and_unchanged(&backend, newer, |err| {
        assert!(
            matches!(err, StateError::NewerFormat { found: 2, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("written by a newer aic"), "{err}");
    });
}

#[test]
fn damaged_state_renders_with_a_label() {
    let (_dir, backend) = backend();
    fs::create_dir_all(backend.state_path().parent().unwrap()).unwrap();
    fs::write(
        backend.state_path(),
        "{\n  \"format_version\": 1,\n  \"lineage\": \"x\",\n",
    )
    .unwrap();
    let err = backend.load().unwrap_err();
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .render_report(&mut out, &err)
        .unwrap();
    assert!(out.contains("E0602"), "{out}");
    assert!(out.contains("here"), "{out}");
    assert!(out.contains("\"lineage\": \"x\""), "{out}");
}

#[test]
fn history_keeps_the_last_versions() {
    let (_dir, backend) = backend();
    let backend = backend.with_history_limit(3);
    seed(&backend);
    let lock = backend.lock("apply", Duration::ZERO).unwrap();
    let mut state = backend.load().unwrap().unwrap().state;
    for i in 2..=6 {
        state.set_resource(resource(&format!("null_resource.n{i}"), "x"));
        backend.write(&lock, &mut state).unwrap();
    }

    let history = backend.history().unwrap();
    let serials: Vec<_> = history.iter().map(|h| (h.serial, h.current)).collect();
    assert_eq!(serials, vec![(6, true), (5, false), (4, false), (3, false)]);
    let counts: Vec<_> = history.iter().map(|h| h.resources).collect();
    assert_eq!(counts, vec![Some(7), Some(6), Some(5), Some(4)]);
    assert!(history.windows(2).all(|w| w[0].written >= w[1].written));

    let v4 = backend.load_version(4).unwrap();
    assert_eq!(v4.serial, 4);
    assert_eq!(v4.resources.len(), 5);
    assert_eq!(backend.load_version(6).unwrap(), state);
    assert!(matches!(
        backend.load_version(2),
        Err(StateError::VersionNotFound { serial: 2, .. })
    ));
    let kept = backend.history_dir().join("4.json");
    assert_eq!(
        fs::metadata(kept).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn history_lists_old_versions_while_the_current_one_is_damaged() {
    let (_dir, backend) = backend();
    seed(&backend);
    let lock = backend.lock("apply", Duration::ZERO).unwrap();
    let mut state = backend.load().unwrap().unwrap().state;
    backend.write(&lock, &mut state).unwrap();
    fs::write(backend.state_path(), b"{").unwrap();
    let history = backend.history().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!((history[0].serial, history[0].current), (1, false));

    // Rolling back: the kept version, given the damaged file's place by hand.
    fs::copy(backend.history_dir().join("1.json"), backend.state_path()).unwrap();
    assert_eq!(backend.load().unwrap().unwrap().state.serial, 1);
}

#[test]
fn rollback_writes_an_old_version_as_the_next_serial() {
    let (_dir, backend) = backend();
    let first = seed(&backend);
    let lock = backend.lock("rollback", Duration::ZERO).unwrap();
    let mut state = backend.load().unwrap().unwrap().state;
    state.remove_resource("null_resource.a");
    backend.write(&lock, &mut state).unwrap();

    let mut old = backend.load_version(1).unwrap();
    old.serial = state.serial;
    backend.write(&lock, &mut old).unwrap();
    assert_eq!(old.serial, 3);
    assert_eq!(old.resources, first.resources);
}

#[test]
fn an_interrupted_apply_is_recovered_and_compacted() {
    let (_dir, backend) = backend();
    let base = seed(&backend);
    let lock = backend.lock("apply", Duration::ZERO).unwrap();
    let journal = backend.open_journal(&lock).unwrap();
    assert_eq!(journal.state(), base);
    journal
        .record(JournalOp::Deleted {
            address: "null_resource.a".into(),
        })
        .unwrap();
    journal
        .record(JournalOp::CreateIntent {
            resource: resource("null_resource.c", "?"),
        })
        .unwrap();
    drop(journal); // the process stops during the create call
    drop(lock);

    let loaded = backend.load().unwrap().unwrap();
    let replay = loaded.replay.clone().unwrap();
    assert_eq!(replay.operations, 2);
    assert_eq!(loaded.state.serial, base.serial, "replay does not write");
    assert_eq!(loaded.state.unrecorded_creates(), vec!["null_resource.c"]);
    assert!(loaded.state.resource("null_resource.a").is_none());

    // The next apply continues the journal, then compacts.
    let lock = backend.lock("apply", Duration::ZERO).unwrap();
    let journal = backend.open_journal(&lock).unwrap();
    assert_eq!(journal.state(), loaded.state);
    journal
        .record(JournalOp::Created {
            resource: resource("null_resource.c", "3"),
        })
        .unwrap();
    let mut done = journal.finish();
    let journal_bytes = fs::read(backend.journal_path()).unwrap();
    backend.write(&lock, &mut done).unwrap();
    assert!(!backend.journal_path().exists());
    assert_eq!(done.serial, 2);
    assert!(done.unrecorded_creates().is_empty());
    assert_eq!(backend.load().unwrap().unwrap().state, done);

    // A stop between writing the state and removing the journal is harmless.
    fs::write(backend.journal_path(), journal_bytes).unwrap();
    let loaded = backend.load().unwrap().unwrap();
    assert_eq!(loaded.state, done);
    assert!(loaded.replay.unwrap().already_compacted);
    let journal = backend.open_journal(&lock).unwrap();
    assert_eq!(journal.state(), done);
    let mut again = journal.finish();
    backend.write(&lock, &mut again).unwrap();
    assert_eq!(again.serial, 3);
}

#[test]
fn a_pending_create_survives_compaction() {
    let (_dir, backend) = backend();
    let lock = backend.lock("apply", Duration::ZERO).unwrap();
    let journal = backend.open_journal(&lock).unwrap();
    journal
        .record(JournalOp::CreateIntent {
            resource: resource("null_resource.x", "?"),
        })
        .unwrap();
    let mut state = journal.finish();
    backend.write(&lock, &mut state).unwrap();
    let text = fs::read_to_string(backend.state_path()).unwrap();
    assert!(text.contains("\"create_pending\": true"), "{text}");
    let loaded = backend.load().unwrap().unwrap().state;
    assert_eq!(loaded.unrecorded_creates(), vec!["null_resource.x"]);
}

#[test]
fn the_first_apply_of_an_environment_is_recovered_without_a_state_file() {
    let (_dir, backend) = backend();
    let lock = backend.lock("apply", Duration::ZERO).unwrap();
    let journal = backend.open_journal(&lock).unwrap();
    let lineage = journal.state().lineage;
    journal
        .record(JournalOp::Created {
            resource: resource("null_resource.a", "1"),
        })
        .unwrap();
    drop(journal);
    assert!(!backend.state_path().exists());

    let loaded = backend.load().unwrap().unwrap();
    assert_eq!(loaded.state.lineage, lineage);
    assert_eq!(loaded.state.resources.len(), 1);
    let mut state = loaded.state;
    backend.write(&lock, &mut state).unwrap();
    assert_eq!((state.serial, state.lineage), (1, lineage));
}

#[test]
fn damage_in_the_middle_of_the_journal_is_refused() {
    let (_dir, backend) = backend();
    seed(&backend);
    let lock = backend.lock("apply", Duration::ZERO).unwrap();
    let journal = backend.open_journal(&lock).unwrap();
    for id in ["1", "2"] {
        journal
            .record(JournalOp::Updated {
                resource: resource("null_resource.a", id),
            })
            .unwrap();
    }
    drop(journal);
    let text = fs::read_to_string(backend.journal_path()).unwrap();
    let damaged = text.replacen("\"op\":\"updated\"", "\"op\":\"upd", 1);
    fs::write(backend.journal_path(), &damaged).unwrap();
    let err = backend.load().unwrap_err();
    assert!(
        matches!(err, StateError::JournalCorrupt { line: 2, .. }),
        "{err}"
    );
    assert!(matches!(
        backend.open_journal(&lock),
        Err(StateError::JournalCorrupt { .. })
    ));
    assert_eq!(fs::read_to_string(backend.journal_path()).unwrap(), damaged);
}

#[test]
fn the_journal_is_shared_across_threads() {
    let (_dir, backend) = backend();
    let lock = backend.lock("apply", Duration::ZERO).unwrap();
    let journal = std::sync::Arc::new(backend.open_journal(&lock).unwrap());
    let workers: Vec<_> = (0..4)
        .map(|t| {
            let journal = journal.clone();
            thread::spawn(move || {
                for i in 0..25 {
                    let address = format!("null_resource.t{t}[{i}]");
                    journal
                        .record(JournalOp::CreateIntent {
                            resource: resource(&address, "?"),
                        })
                        .unwrap();
                    journal
                        .record(JournalOp::Created {
                            resource: resource(&address, "ok"),
                        })
                        .unwrap();
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let in_memory = journal.state();
    assert_eq!(in_memory.resources.len(), 100);
    drop(journal);
    let replayed = backend.load().unwrap().unwrap();
    assert_eq!(replayed.replay.unwrap().operations, 200);
    assert_eq!(replayed.state, in_memory);
}

#[test]
fn a_second_writer_gives_up_after_its_timeout_naming_the_holder() {
    let (_dir, backend) = backend();
    let held = backend.lock("apply", Duration::ZERO).unwrap();
    let holder = held.info().clone();
    let contender = backend.clone();
    // (That it waits while the lock is held is the next test's: no timing asserted here.)
    let err = thread::spawn(move || contender.lock("plan", Duration::from_millis(300)))
        .join()
        .unwrap()
        .unwrap_err();
    let StateError::Locked {
        holder: named,
        stale,
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(**named, holder);
    assert!(!stale, "the holder is alive");
    let message = err.to_string();
    for part in [&holder.who, &holder.host, "apply", &holder.pid.to_string()] {
        assert!(message.contains(part), "{message} lacks {part}");
    }
    assert!(message.contains(&holder.created_rfc3339()), "{message}");
    let help = miette::Diagnostic::help(&err).unwrap().to_string();
    assert!(
        help.contains(&format!("aic state unlock {}", holder.id)),
        "{help}"
    );
    assert!(backend.lock_path().exists(), "the holder keeps its lock");
}

#[test]
fn a_second_writer_gets_the_lock_when_the_first_releases_in_time() {
    let (_dir, backend) = backend();
    let held = backend.lock("apply", Duration::ZERO).unwrap();
    let (tx, rx) = mpsc::channel();
    let released = Arc::new(AtomicBool::new(false));
    let contender = backend.clone();
    let seen = Arc::clone(&released);
    let waiter = thread::spawn(move || {
        tx.send(()).unwrap();
        let lock = contender.lock("plan", Duration::from_secs(60));
        (lock, seen.load(Ordering::SeqCst))
    });
    rx.recv().unwrap();
    // Give the waiter time to find the lock taken (the order asserted below holds either way).
    thread::sleep(Duration::from_millis(200));
    assert!(!waiter.is_finished(), "the waiter got a lock that is held");
    released.store(true, Ordering::SeqCst);
    held.unlock().unwrap();
    let (lock, after_release) = waiter.join().unwrap();
    let lock = lock.unwrap();
    assert_eq!(lock.info().operation, "plan");
    assert!(
        after_release,
        "the waiter got the lock before the holder released it"
    );
}

#[test]
fn force_unlock_needs_the_holders_id() {
    let (_dir, backend) = backend();
    let held = backend.lock("apply", Duration::ZERO).unwrap();
    let err = backend.force_unlock("not-the-id").unwrap_err();
    assert!(matches!(err, StateError::LockIdMismatch { .. }), "{err}");
    assert!(backend.lock_path().exists());
    let broken = backend.force_unlock(&held.info().id).unwrap();
    assert_eq!(&broken, held.info());
    assert!(!backend.lock_path().exists());
    assert!(matches!(
        backend.force_unlock(&held.info().id),
        Err(StateError::NotLocked { .. })
    ));
}
