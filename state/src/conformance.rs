//! The backend test suite: the behaviour of [`StateStore`] that every backend must
//! show, written once and run by each backend crate's tests against a real server
//! (`local` against a temp dir, `postgres` against a throw-away PostgreSQL, `s3`
//! against moto).
//!
//! A backend's test file implements [`Harness`] and calls
//! [`conformance_tests!`](crate::conformance_tests) with an expression that builds one;
//! every function here becomes a `#[test]` of that file. Each check uses environments
//! of its own, so the checks can share one server.

use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;
use time::OffsetDateTime;

use crate::{
    Backend, Encryption, JournalOp, ResourceState, Secret, State, StateError, StateStore, Store,
    FORMAT_VERSION,
};

/// What a backend's tests provide to run the suite.
pub trait Harness {
    /// The backend under test.
    type Backend: Backend + Clone + 'static;

    /// A backend for an environment nobody used before.
    fn fresh(&self) -> Self::Backend;

    /// Another backend value over the same environment as `backend`, as a second
    /// process would open it (its own connections).
    fn reopen(&self, backend: &Self::Backend) -> Self::Backend;

    /// Overwrites the stored bytes of the current version, bypassing every rule (damage,
    /// an edit by hand, an attacker).
    fn overwrite_current(&self, backend: &Self::Backend, bytes: &[u8]);

    /// Replaces the stored journal with `bytes` (newline-terminated lines, as
    /// [`Backend::read_journal`] returns them).
    fn overwrite_journal(&self, backend: &Self::Backend, bytes: &[u8]);

    /// How many cases the journal property runs (remote backends may want fewer).
    fn property_cases(&self) -> u32 {
        64
    }
}

/// Defines one `#[test]` per check of the suite, each running it against the harness
/// `$harness` builds.
#[macro_export]
macro_rules! conformance_tests {
    ($harness:expr) => {
        $crate::conformance_tests!(@each $harness;
            written_state_reads_back,
            every_write_increments_the_serial_and_keeps_the_lineage,
            no_state_loads_as_none,
            a_stale_or_foreign_state_is_not_written,
            writing_requires_the_lock_still_held,
            a_damaged_state_is_refused_and_left_unchanged,
            history_keeps_the_last_versions,
            rollback_writes_an_old_version_as_the_next_serial,
            an_interrupted_apply_is_recovered_and_compacted,
            a_pending_create_survives_compaction,
            the_first_apply_is_recovered_without_a_state,
            damage_in_the_middle_of_the_journal_is_refused,
            the_journal_is_shared_across_threads,
            a_second_writer_fails_naming_the_holder,
            a_waiting_writer_gets_the_lock_when_it_is_released,
            force_unlock_needs_the_holders_id,
            of_racing_lockers_exactly_one_wins,
            a_writer_that_read_before_another_wrote_is_refused,
            encrypted_state_round_trips_and_hides_values,
            the_wrong_key_or_no_key_is_a_clear_error,
            tampered_ciphertext_is_refused_and_nothing_is_overwritten,
            clear_text_is_refused_once_encryption_is_on,
            encrypt_rekey_and_decrypt_rewrite_every_version,
            a_rekey_that_cannot_open_a_kept_version_writes_nothing,
            push_checks_serial_and_lineage_unless_forced,
            import_copies_history_into_an_empty_backend,
            replaying_a_crashed_journal_gives_the_recorded_state
        );
    };
    (@each $harness:expr; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                let harness = $harness;
                $crate::conformance::$check(&harness);
            }
        )*
    };
}

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

fn store<H: Harness>(h: &H) -> Store<H::Backend> {
    Store::over(h.fresh())
}

fn lock<S: StateStore>(s: &S, operation: &str) -> crate::StateLock {
    s.lock(operation, Duration::ZERO).expect("take the lock")
}

/// Writes a first state with two resources; returns it as written.
fn seed<S: StateStore>(s: &S) -> State {
    let l = lock(s, "apply");
    let mut state = State::new();
    state.set_resource(resource("null_resource.b", "2"));
    state.set_resource(resource("null_resource.a", "1"));
    s.write(&l, &mut state).expect("write the first state");
    state
}

fn current_bytes<B: Backend>(s: &Store<B>) -> Option<Vec<u8>> {
    s.backend().read_current().expect("read").map(|c| c.bytes)
}

fn key(n: u8) -> Secret {
    Secret::Key([n; 32])
}

/// A state with a secret in it, to look for in what is stored.
fn secret_state() -> State {
    let mut state = State::new();
    let mut r = resource("null_resource.s", "1");
    r.attributes = json!({ "id": "1", "password": "TOPSECRET-4242" });
    state.set_resource(r);
    state
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// A written state reads back equal, sorted, in this build's format, with no replay.
pub fn written_state_reads_back<H: Harness>(h: &H) {
    let s = store(h);
    let state = seed(&s);
    assert_eq!(state.serial, 1);
    let stored = current_bytes(&s).unwrap();
    let text = String::from_utf8(stored).unwrap();
    let (a, b) = (
        text.find("null_resource.a").unwrap(),
        text.find("null_resource.b").unwrap(),
    );
    assert!(a < b, "resources are stored sorted by address");
    let loaded = s.load().unwrap().unwrap();
    assert_eq!(loaded.state, state);
    assert_eq!(loaded.replay, None);
    assert_eq!(loaded.state.format_version, FORMAT_VERSION);
    // Another process sees the same.
    let other = Store::over(h.reopen(s.backend()));
    assert_eq!(other.load().unwrap().unwrap().state, state);
}

/// Serials grow by one per write; the lineage never changes.
pub fn every_write_increments_the_serial_and_keeps_the_lineage<H: Harness>(h: &H) {
    let s = store(h);
    let first = seed(&s);
    let l = lock(&s, "apply");
    let mut state = s.load().unwrap().unwrap().state;
    for expected in 2..5 {
        s.write(&l, &mut state).unwrap();
        assert_eq!(state.serial, expected);
        assert_eq!(state.lineage, first.lineage);
    }
}

/// An environment without state loads as `None`.
pub fn no_state_loads_as_none<H: Harness>(h: &H) {
    let s = store(h);
    assert_eq!(s.load().unwrap(), None);
    assert!(s.history().unwrap().is_empty());
    assert_eq!(s.holder().unwrap(), None);
}

/// A write continuing an older serial, or another lineage, is refused and changes
/// nothing.
pub fn a_stale_or_foreign_state_is_not_written<H: Harness>(h: &H) {
    let s = store(h);
    seed(&s);
    let l = lock(&s, "apply");
    let mut stale = s.load().unwrap().unwrap().state;
    let mut fresh = stale.clone();
    s.write(&l, &mut fresh).unwrap();
    let before = current_bytes(&s);
    let err = s.write(&l, &mut stale).unwrap_err();
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
    let err = s.write(&l, &mut foreign).unwrap_err();
    assert!(matches!(err, StateError::LineageMismatch { .. }), "{err}");
    assert_eq!(current_bytes(&s), before);
}

/// Writing, and opening a journal, need the lock still held.
pub fn writing_requires_the_lock_still_held<H: Harness>(h: &H) {
    let s = store(h);
    seed(&s);
    let l = lock(&s, "apply");
    let mut state = s.load().unwrap().unwrap().state;
    let other = Store::over(h.reopen(s.backend()));
    other.force_unlock(&l.info().id).unwrap();
    let err = s.write(&l, &mut state).unwrap_err();
    assert!(
        matches!(err, StateError::LockLost { .. } | StateError::Remote { .. }),
        "{err}"
    );
    assert!(s.open_journal(&l).is_err());
    assert_eq!(s.load().unwrap().unwrap().state.serial, 1);
}

/// A damaged, empty, foreign-shaped or newer-format state is refused by every command
/// and never overwritten.
pub fn a_damaged_state_is_refused_and_left_unchanged<H: Harness>(h: &H) {
    let s = store(h);
    seed(&s);
    let full = current_bytes(&s).unwrap();
    let cut = full[..full.len() / 2].to_vec();
    type Check = fn(&StateError) -> bool;
    let cases: Vec<(Vec<u8>, Check)> = vec![
        (cut, |e| matches!(e, StateError::Corrupt(d) if d.line > 1)),
        (b"[]".to_vec(), |e| matches!(e, StateError::Corrupt(_))),
        (br#"{"format_version": 1, "lineage": 7}"#.to_vec(), |e| {
            matches!(e, StateError::Corrupt(_))
        }),
        (
            br#"{"format_version": 2, "lineage": "x", "serial": 9}"#.to_vec(),
            |e| matches!(e, StateError::NewerFormat { found: 2, .. }),
        ),
    ];
    for (bytes, check) in cases {
        h.overwrite_current(s.backend(), &bytes);
        let err = s.load().unwrap_err();
        assert!(check(&err), "load: {err}");
        assert!(
            err.to_string().contains(&s.location()),
            "the error names where the state is: {err}"
        );
        let l = lock(&s, "apply");
        let mut state = State::new();
        let err = s.write(&l, &mut state).unwrap_err();
        assert!(check(&err), "write: {err}");
        let err = s.open_journal(&l).unwrap_err();
        assert!(check(&err), "open_journal: {err}");
        drop(l);
        assert_eq!(current_bytes(&s).as_deref(), Some(bytes.as_slice()));
    }
}

/// History keeps the newest versions up to the limit, newest first, the current one
/// marked, each readable by serial.
pub fn history_keeps_the_last_versions<H: Harness>(h: &H) {
    let s = store(h).with_history_limit(3);
    seed(&s);
    let l = lock(&s, "apply");
    let mut state = s.load().unwrap().unwrap().state;
    for i in 2..=6 {
        state.set_resource(resource(&format!("null_resource.n{i}"), "x"));
        s.write(&l, &mut state).unwrap();
    }
    let history = s.history().unwrap();
    let serials: Vec<_> = history.iter().map(|e| (e.serial, e.current)).collect();
    assert_eq!(serials, vec![(6, true), (5, false), (4, false), (3, false)]);
    let counts: Vec<_> = history.iter().map(|e| e.resources).collect();
    assert_eq!(counts, vec![Some(7), Some(6), Some(5), Some(4)]);
    assert!(history.windows(2).all(|w| w[0].written >= w[1].written));
    let v4 = s.load_version(4).unwrap();
    assert_eq!((v4.serial, v4.resources.len()), (4, 5));
    assert_eq!(s.load_version(6).unwrap(), state);
    assert!(matches!(
        s.load_version(2),
        Err(StateError::VersionNotFound { serial: 2, .. })
    ));
}

/// A kept version written back becomes the next serial (what rollback does).
pub fn rollback_writes_an_old_version_as_the_next_serial<H: Harness>(h: &H) {
    let s = store(h);
    let first = seed(&s);
    let l = lock(&s, "rollback");
    let mut state = s.load().unwrap().unwrap().state;
    state.remove_resource("null_resource.a");
    s.write(&l, &mut state).unwrap();
    let mut old = s.load_version(1).unwrap();
    old.serial = state.serial;
    s.write(&l, &mut old).unwrap();
    assert_eq!(old.serial, 3);
    assert_eq!(old.resources, first.resources);
}

/// The journal of an apply that stopped is replayed by reads, continued by the next
/// apply and folded into the next version; a journal left behind after that is
/// recognised as already applied.
pub fn an_interrupted_apply_is_recovered_and_compacted<H: Harness>(h: &H) {
    let s = store(h);
    let base = seed(&s);
    let l = lock(&s, "apply");
    let journal = s.open_journal(&l).unwrap();
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
    drop(l);

    // Another process reads what the journal recorded.
    let other = Store::over(h.reopen(s.backend()));
    let loaded = other.load().unwrap().unwrap();
    let replay = loaded.replay.clone().unwrap();
    assert_eq!(replay.operations, 2);
    assert_eq!(loaded.state.serial, base.serial, "replay does not write");
    assert_eq!(loaded.state.unrecorded_creates(), vec!["null_resource.c"]);
    assert!(loaded.state.resource("null_resource.a").is_none());

    let l = lock(&other, "apply");
    let journal = other.open_journal(&l).unwrap();
    assert_eq!(journal.state(), loaded.state);
    journal
        .record(JournalOp::Created {
            resource: resource("null_resource.c", "3"),
        })
        .unwrap();
    let mut done = journal.finish();
    let journal_bytes = other.backend().read_journal().unwrap().unwrap();
    other.write(&l, &mut done).unwrap();
    assert_eq!(other.backend().read_journal().unwrap(), None);
    assert_eq!(done.serial, 2);
    assert!(done.unrecorded_creates().is_empty());
    assert_eq!(other.load().unwrap().unwrap().state, done);

    // A stop between writing the state and removing the journal is harmless.
    h.overwrite_journal(other.backend(), &journal_bytes);
    let loaded = other.load().unwrap().unwrap();
    assert_eq!(loaded.state, done);
    assert!(loaded.replay.unwrap().already_compacted);
    let journal = other.open_journal(&l).unwrap();
    assert_eq!(journal.state(), done);
    let mut again = journal.finish();
    other.write(&l, &mut again).unwrap();
    assert_eq!(again.serial, 3);
}

/// A create whose outcome was never recorded stays marked through compaction.
pub fn a_pending_create_survives_compaction<H: Harness>(h: &H) {
    let s = store(h);
    let l = lock(&s, "apply");
    let journal = s.open_journal(&l).unwrap();
    journal
        .record(JournalOp::CreateIntent {
            resource: resource("null_resource.x", "?"),
        })
        .unwrap();
    let mut state = journal.finish();
    s.write(&l, &mut state).unwrap();
    let loaded = s.load().unwrap().unwrap().state;
    assert_eq!(loaded.unrecorded_creates(), vec!["null_resource.x"]);
}

/// The very first apply of an environment is recovered although no state was written.
pub fn the_first_apply_is_recovered_without_a_state<H: Harness>(h: &H) {
    let s = store(h);
    let l = lock(&s, "apply");
    let journal = s.open_journal(&l).unwrap();
    let lineage = journal.state().lineage;
    journal
        .record(JournalOp::Created {
            resource: resource("null_resource.a", "1"),
        })
        .unwrap();
    drop(journal);
    assert_eq!(current_bytes(&s), None);
    let loaded = s.load().unwrap().unwrap();
    assert_eq!(loaded.state.lineage, lineage);
    assert_eq!(loaded.state.resources.len(), 1);
    let mut state = loaded.state;
    s.write(&l, &mut state).unwrap();
    assert_eq!((state.serial, state.lineage), (1, lineage));
}

/// An unreadable journal line followed by more is damage: refused, left as it is.
pub fn damage_in_the_middle_of_the_journal_is_refused<H: Harness>(h: &H) {
    let s = store(h);
    seed(&s);
    let l = lock(&s, "apply");
    let journal = s.open_journal(&l).unwrap();
    for id in ["1", "2"] {
        journal
            .record(JournalOp::Updated {
                resource: resource("null_resource.a", id),
            })
            .unwrap();
    }
    drop(journal);
    let text = String::from_utf8(s.backend().read_journal().unwrap().unwrap()).unwrap();
    let damaged = text.replacen("\"op\":\"updated\"", "\"op\":\"upd", 1);
    h.overwrite_journal(s.backend(), damaged.as_bytes());
    let err = s.load().unwrap_err();
    assert!(
        matches!(err, StateError::JournalCorrupt { line: 2, .. }),
        "{err}"
    );
    assert!(matches!(
        s.open_journal(&l),
        Err(StateError::JournalCorrupt { .. })
    ));
    assert_eq!(
        s.backend().read_journal().unwrap().as_deref(),
        Some(damaged.as_bytes())
    );
}

/// Concurrent records from many threads are each stored once; a replay gives the
/// state the writer held in memory.
pub fn the_journal_is_shared_across_threads<H: Harness>(h: &H) {
    let s = store(h);
    let l = lock(&s, "apply");
    let journal = Arc::new(s.open_journal(&l).unwrap());
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
    let replayed = Store::over(h.reopen(s.backend())).load().unwrap().unwrap();
    assert_eq!(replayed.replay.unwrap().operations, 200);
    assert_eq!(replayed.state, in_memory);
}

/// A second writer (another process) fails with E0604 naming the holder, who keeps
/// the lock.
pub fn a_second_writer_fails_naming_the_holder<H: Harness>(h: &H) {
    let s = store(h);
    let held = lock(&s, "apply");
    let holder = held.info().clone();
    assert_eq!(s.holder().unwrap().as_ref(), Some(&holder));
    let contender = Store::over(h.reopen(s.backend()));
    let err = thread::spawn(move || contender.lock("plan", Duration::from_millis(200)))
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
    let help = miette::Diagnostic::help(&err).unwrap().to_string();
    assert!(
        help.contains(&format!("aic state unlock {}", holder.id)),
        "{help}"
    );
    assert_eq!(s.holder().unwrap().as_ref(), Some(&holder));
    held.unlock().unwrap();
    assert_eq!(s.holder().unwrap(), None);
}

/// A writer waiting with a timeout gets the lock once the holder releases it.
pub fn a_waiting_writer_gets_the_lock_when_it_is_released<H: Harness>(h: &H) {
    let s = store(h);
    let held = lock(&s, "apply");
    let (tx, rx) = mpsc::channel();
    let contender = Store::over(h.reopen(s.backend()));
    let waiter = thread::spawn(move || {
        tx.send(()).unwrap();
        contender.lock("plan", Duration::from_secs(30))
    });
    rx.recv().unwrap();
    thread::sleep(Duration::from_millis(150));
    held.unlock().unwrap();
    let got = waiter.join().unwrap().unwrap();
    assert_eq!(got.info().operation, "plan");
}

/// `force_unlock` needs the holder's id, and breaks the lock.
pub fn force_unlock_needs_the_holders_id<H: Harness>(h: &H) {
    let s = store(h);
    let held = lock(&s, "apply");
    let other = Store::over(h.reopen(s.backend()));
    let err = other.force_unlock("not-the-id").unwrap_err();
    assert!(matches!(err, StateError::LockIdMismatch { .. }), "{err}");
    assert!(other.lock("plan", Duration::ZERO).is_err());
    let broken = other.force_unlock(&held.info().id).unwrap();
    assert_eq!(&broken, held.info());
    assert!(matches!(
        other.force_unlock(&held.info().id),
        Err(StateError::NotLocked { .. })
    ));
    let next = other.lock("plan", Duration::from_secs(10)).unwrap();
    assert_eq!(next.info().operation, "plan");
}

/// Of several processes taking the lock at once, exactly one gets it.
pub fn of_racing_lockers_exactly_one_wins<H: Harness>(h: &H) {
    let s = store(h);
    seed(&s);
    let contenders: Vec<_> = (0..4).map(|_| Store::over(h.reopen(s.backend()))).collect();
    let barrier = Arc::new(std::sync::Barrier::new(contenders.len()));
    let threads: Vec<_> = contenders
        .into_iter()
        .map(|c| {
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait();
                let got = c.lock("apply", Duration::ZERO);
                // Hold it until everyone tried.
                thread::sleep(Duration::from_millis(300));
                got.map(|l| l.info().clone())
            })
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let winners = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(winners, 1, "{results:?}");
    for r in &results {
        if let Err(e) = r {
            assert!(matches!(e, StateError::Locked { .. }), "{e}");
        }
    }
}

/// Two writers that read the same version: the one writing second is refused, and
/// the first one's version stays.
pub fn a_writer_that_read_before_another_wrote_is_refused<H: Harness>(h: &H) {
    let s = store(h);
    seed(&s);
    let other = Store::over(h.reopen(s.backend()));
    let mut mine = s.load().unwrap().unwrap().state;
    let mut theirs = other.load().unwrap().unwrap().state;
    theirs.remove_resource("null_resource.a");
    {
        let l = lock(&other, "state rm");
        other.write(&l, &mut theirs).unwrap();
    }
    let l = lock(&s, "apply");
    mine.set_resource(resource("null_resource.c", "3"));
    let err = s.write(&l, &mut mine).unwrap_err();
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
    assert_eq!(s.load().unwrap().unwrap().state, theirs);
}

/// With encryption, nothing stored holds a sensitive value, and everything reads back.
pub fn encrypted_state_round_trips_and_hides_values<H: Harness>(h: &H) {
    let s = store(h).with_encryption(Encryption::new(key(1), None));
    let l = lock(&s, "apply");
    let mut state = secret_state();
    s.write(&l, &mut state).unwrap();
    let journal = s.open_journal(&l).unwrap();
    let mut r = resource("null_resource.t", "2");
    r.attributes = json!({ "token": "TOPSECRET-JOURNAL" });
    journal.record(JournalOp::Created { resource: r }).unwrap();
    let mut after = journal.finish();
    let journal_bytes = s.backend().read_journal().unwrap().unwrap();
    assert!(!contains(&journal_bytes, "TOPSECRET"), "journal in clear");
    assert!(
        !contains(&journal_bytes, "null_resource"),
        "journal in clear"
    );
    s.write(&l, &mut after).unwrap();
    let stored = current_bytes(&s).unwrap();
    assert!(Encryption::is_sealed(&stored));
    assert!(!contains(&stored, "TOPSECRET"));
    let kept = s.backend().read_version(1).unwrap().unwrap();
    assert!(!contains(&kept, "TOPSECRET"), "history in clear");
    drop(l);

    let other = Store::over(h.reopen(s.backend())).with_encryption(Encryption::new(key(1), None));
    let loaded = other.load().unwrap().unwrap().state;
    assert_eq!(loaded, after);
    assert_eq!(other.load_version(1).unwrap().serial, 1);
    let history = other.history().unwrap();
    assert_eq!(history.len(), 2);
    assert!(history.iter().all(|e| e.resources.is_some()));
}

/// The wrong key, or no key, fails clearly and changes nothing.
pub fn the_wrong_key_or_no_key_is_a_clear_error<H: Harness>(h: &H) {
    let s = store(h).with_encryption(Encryption::new(key(1), None));
    seed(&s);
    let before = current_bytes(&s);
    let wrong = Store::over(h.reopen(s.backend())).with_encryption(Encryption::new(key(2), None));
    let err = wrong.load().unwrap_err();
    assert!(matches!(err, StateError::WrongKey { .. }), "{err}");
    let l = lock(&wrong, "apply");
    let mut state = State::new();
    assert!(matches!(
        wrong.write(&l, &mut state),
        Err(StateError::WrongKey { .. })
    ));
    drop(l);
    let none = Store::over(h.reopen(s.backend()));
    let err = none.load().unwrap_err();
    assert!(
        matches!(err, StateError::EncryptedWithoutKey { .. }),
        "{err}"
    );
    assert_eq!(current_bytes(&s), before);
}

/// A changed byte of the ciphertext is refused (E0619) and nothing is overwritten.
pub fn tampered_ciphertext_is_refused_and_nothing_is_overwritten<H: Harness>(h: &H) {
    let s = store(h).with_encryption(Encryption::new(key(1), None));
    seed(&s);
    let mut bytes = current_bytes(&s).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let at = text.find("\"data\":\"").unwrap() + 20;
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    h.overwrite_current(s.backend(), &bytes);
    let err = s.load().unwrap_err();
    assert!(matches!(err, StateError::Tampered { .. }), "{err}");
    let l = lock(&s, "apply");
    let mut state = State::new();
    assert!(matches!(
        s.write(&l, &mut state),
        Err(StateError::Tampered { .. })
    ));
    assert!(matches!(
        s.open_journal(&l),
        Err(StateError::Tampered { .. })
    ));
    assert_eq!(current_bytes(&s), Some(bytes));
}

/// Once encryption is configured, a state in clear text is refused (E0617).
pub fn clear_text_is_refused_once_encryption_is_on<H: Harness>(h: &H) {
    let plain = store(h);
    seed(&plain);
    let encrypted =
        Store::over(h.reopen(plain.backend())).with_encryption(Encryption::new(key(1), None));
    let err = encrypted.load().unwrap_err();
    assert!(matches!(err, StateError::NotEncrypted { .. }), "{err}");
    assert_eq!(
        plain.load().unwrap().unwrap().state.serial,
        1,
        "left in clear, unchanged"
    );
}

/// `encrypt` seals every version, `rekey` moves them to the new key, `decrypt` opens
/// them all again.
pub fn encrypt_rekey_and_decrypt_rewrite_every_version<H: Harness>(h: &H) {
    let plain = store(h);
    seed(&plain);
    {
        let l = lock(&plain, "apply");
        let mut state = secret_state();
        state.lineage = plain.load().unwrap().unwrap().state.lineage;
        state.serial = 1;
        plain.write(&l, &mut state).unwrap();
    }
    let all_stored = |s: &Store<H::Backend>| -> Vec<Vec<u8>> {
        let mut all = vec![current_bytes(s).unwrap()];
        for v in s.backend().versions().unwrap() {
            all.push(s.backend().read_version(v.serial).unwrap().unwrap());
        }
        all
    };
    let reopen = |e: Encryption| Store::over(h.reopen(plain.backend())).with_encryption(e);

    let encrypting = reopen(Encryption::new(key(1), None).accepting_plaintext());
    let l = lock(&encrypting, "state encrypt");
    assert_eq!(encrypting.reseal(&l).unwrap(), 3);
    drop(l);
    for bytes in all_stored(&encrypting) {
        assert!(Encryption::is_sealed(&bytes));
        assert!(!contains(&bytes, "TOPSECRET"));
    }
    let with_1 = reopen(Encryption::new(key(1), None));
    assert_eq!(with_1.load().unwrap().unwrap().state.serial, 3);

    let rotating = reopen(Encryption::new(key(2), Some(key(1))));
    let l = lock(&rotating, "state rekey");
    assert_eq!(rotating.reseal(&l).unwrap(), 4);
    drop(l);
    let with_2 = reopen(Encryption::new(key(2), None));
    for serial in [1, 2, 3, 4] {
        assert_eq!(with_2.load_version(serial).unwrap().serial, serial);
        assert!(matches!(
            with_1.load_version(serial),
            Err(StateError::WrongKey { .. })
        ));
    }

    let decrypting = reopen(Encryption::new(key(2), None).decrypting());
    let l = lock(&decrypting, "state decrypt");
    decrypting.reseal(&l).unwrap();
    drop(l);
    for bytes in all_stored(&decrypting) {
        assert!(!Encryption::is_sealed(&bytes));
    }
    let state = plain.load().unwrap().unwrap().state;
    assert_eq!(state.serial, 5);
    assert!(state.resource("null_resource.s").is_some());
}

/// `reseal` (`aic state rekey`) with keys that open the current version but not a kept
/// one fails on that version (E0618) before writing anything.
pub fn a_rekey_that_cannot_open_a_kept_version_writes_nothing<H: Harness>(h: &H) {
    let with_1 = store(h).with_encryption(Encryption::new(key(1), None));
    seed(&with_1);
    let with_2 = Store::over(h.reopen(with_1.backend()))
        .with_encryption(Encryption::new(key(2), Some(key(1))));
    {
        // The current version moves to key 2; the kept one stays under key 1.
        let l = lock(&with_2, "apply");
        let mut state = with_2.load().unwrap().unwrap().state;
        with_2.write(&l, &mut state).unwrap();
    }
    let stored = |s: &Store<H::Backend>| {
        let mut all = vec![current_bytes(s).unwrap()];
        let mut kept = s.backend().versions().unwrap();
        kept.sort_by_key(|v| v.serial);
        for v in kept {
            all.push(s.backend().read_version(v.serial).unwrap().unwrap());
        }
        all
    };
    let before = stored(&with_2);
    let only_2 =
        Store::over(h.reopen(with_1.backend())).with_encryption(Encryption::new(key(2), None));
    let l = lock(&only_2, "state rekey");
    let err = only_2.reseal(&l).unwrap_err();
    assert!(matches!(err, StateError::WrongKey { .. }), "{err}");
    drop(l);
    assert_eq!(stored(&only_2), before, "nothing was written");
}

/// `push` refuses an older serial or another lineage unless forced; a newer serial is
/// kept.
pub fn push_checks_serial_and_lineage_unless_forced<H: Harness>(h: &H) {
    let s = store(h);
    let first = seed(&s);
    let l = lock(&s, "state push");
    let mut current = s.load().unwrap().unwrap().state;
    s.write(&l, &mut current).unwrap();
    let mut stale = first.clone();
    let err = s.push(&l, &mut stale, false).unwrap_err();
    assert!(
        matches!(
            err,
            StateError::PushStale {
                pushed: 1,
                current: 2,
                ..
            }
        ),
        "{err}"
    );
    let mut foreign = State {
        serial: 9,
        ..State::new()
    };
    let err = s.push(&l, &mut foreign.clone(), false).unwrap_err();
    assert!(matches!(err, StateError::LineageMismatch { .. }), "{err}");
    let mut ahead = current.clone();
    ahead.serial = 7;
    ahead.remove_resource("null_resource.a");
    s.push(&l, &mut ahead, false).unwrap();
    assert_eq!(ahead.serial, 7);
    assert_eq!(s.load().unwrap().unwrap().state, ahead);
    s.push(&l, &mut foreign, true).unwrap();
    assert_eq!(foreign.serial, 9);
    assert_eq!(s.load().unwrap().unwrap().state, foreign);
    assert_eq!(
        s.load_version(7).unwrap(),
        ahead,
        "the overwritten one is kept"
    );
}

/// Versions copied from another backend keep their serials and times; copying again
/// is a no-op; copying over another state is refused.
pub fn import_copies_history_into_an_empty_backend<H: Harness>(h: &H) {
    let source = store(h);
    seed(&source);
    {
        let l = lock(&source, "apply");
        let mut state = source.load().unwrap().unwrap().state;
        for i in 0..2 {
            state.set_resource(resource(&format!("null_resource.m{i}"), "m"));
            source.write(&l, &mut state).unwrap();
        }
    }
    let history = source.history().unwrap();
    let current = source.load().unwrap().unwrap().state;
    let kept: Vec<(State, OffsetDateTime)> = history
        .iter()
        .filter(|e| !e.current)
        .map(|e| (source.load_version(e.serial).unwrap(), e.written))
        .collect();

    let target = store(h);
    let l = lock(&target, "init");
    target.import(&l, &kept, &current).unwrap();
    assert_eq!(target.load().unwrap().unwrap().state, current);
    let copied: Vec<_> = target
        .history()
        .unwrap()
        .iter()
        .map(|e| (e.serial, e.current, e.resources))
        .collect();
    let original: Vec<_> = history
        .iter()
        .map(|e| (e.serial, e.current, e.resources))
        .collect();
    assert_eq!(copied, original);
    let written = |s: &Store<H::Backend>, serial| {
        s.history()
            .unwrap()
            .into_iter()
            .find(|e| e.serial == serial)
            .unwrap()
            .written
            .unix_timestamp()
    };
    assert_eq!(written(&target, 1), written(&source, 1));
    target.import(&l, &kept, &current).unwrap();
    let other = State {
        serial: 4,
        ..State::new()
    };
    let err = target.import(&l, &[], &other).unwrap_err();
    assert!(
        matches!(err, StateError::NotEmpty { serial: 3, .. }),
        "{err}"
    );
}

fn op() -> impl Strategy<Value = JournalOp> {
    let address = prop::sample::select(vec![
        "null_resource.a",
        "null_resource.b[0]",
        "module.m[\"x\"].null_resource.c",
    ]);
    let res = (address.clone(), "[a-z0-9]{0,6}").prop_map(|(a, id)| resource(a, &id));
    prop_oneof![
        res.clone()
            .prop_map(|resource| JournalOp::CreateIntent { resource }),
        res.clone()
            .prop_map(|resource| JournalOp::Created { resource }),
        res.clone()
            .prop_map(|resource| JournalOp::Updated { resource }),
        address
            .clone()
            .prop_map(|a| JournalOp::Deleted { address: a.into() }),
        (address, prop::option::of(res)).prop_map(|(a, prior)| JournalOp::CreateFailed {
            address: a.into(),
            prior: prior.map(|p| ResourceState {
                address: a.into(),
                ..p
            }),
        }),
    ]
}

/// Property: whatever operations an apply recorded (some durably, some deferred)
/// before it stopped, the next read replays exactly the durable ones, in order.
pub fn replaying_a_crashed_journal_gives_the_recorded_state<H: Harness>(h: &H) {
    let mut runner = TestRunner::new(Config {
        cases: h.property_cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = prop::collection::vec((op(), any::<bool>()), 0..12);
    runner
        .run(&strategy, |ops| {
            let s = store(h);
            let base = seed(&s);
            let l = s.lock("apply", Duration::ZERO).unwrap();
            let journal = s.open_journal(&l).unwrap();
            let mut expected = base.clone();
            let mut durable = base;
            for (op, deferred) in &ops {
                expected.apply(op);
                if *deferred {
                    journal.record_deferred(op.clone()).unwrap();
                } else {
                    journal.record(op.clone()).unwrap();
                    durable = expected.clone();
                }
            }
            prop_assert_eq!(journal.state().resources.len(), {
                let mut e = expected.clone();
                e.sort_resources();
                e.resources.len()
            });
            drop(journal); // stopped without finishing
            drop(l);
            let loaded = Store::over(h.reopen(s.backend())).load().unwrap().unwrap();
            durable.sort_resources();
            prop_assert_eq!(loaded.state, durable);
            Ok(())
        })
        .unwrap();
}
