//! Property: replaying a journal left by a crash gives the state the operations
//! describe, whatever byte the crash cut the file at.

use std::fs;
use std::time::Duration;

use aic_engine::state::{
    JournalOp, LocalBackend, PathStep, ResourceState, State, StateLock, StateStore,
};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{json, Value};

const ADDRESSES: &[&str] = &[
    "null_resource.a",
    "null_resource.b[0]",
    "null_resource.b[1]",
    r#"module.region["eu"].null_resource.c["x"]"#,
];

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[a-z\u{e9}\u{1f600}\"\\\\\n]{0,8}".prop_map(Value::from),
    ]
}

fn resource() -> impl Strategy<Value = ResourceState> {
    (
        0..ADDRESSES.len(),
        prop::collection::btree_map("[a-z]{1,6}", value(), 0..4),
        any::<bool>(),
    )
        .prop_map(|(at, attributes, sensitive)| {
            let address = ADDRESSES[at].to_owned();
            ResourceState {
                module: if address.starts_with("module.") {
                    r#"module.region["eu"]"#.into()
                } else {
                    String::new()
                },
                type_: "null_resource".into(),
                name: "r".into(),
                index: Some(json!(at)),
                provider: "null".into(),
                attributes: json!(attributes),
                sensitive_paths: if sensitive {
                    vec![vec![PathStep::Key("k".into()), PathStep::Index(0)]]
                } else {
                    vec![]
                },
                dependencies: vec!["null_resource.a".into()],
                applied_config: json!({ "n": at }),
                create_pending: false,
                create_token: None,
                tainted: false,
                address,
            }
        })
}

fn op() -> impl Strategy<Value = JournalOp> {
    prop_oneof![
        resource().prop_map(|resource| JournalOp::CreateIntent { resource }),
        resource().prop_map(|resource| JournalOp::Created { resource }),
        resource().prop_map(|resource| JournalOp::Updated { resource }),
        resource().prop_map(|resource| JournalOp::Replaced { resource }),
        (0..ADDRESSES.len()).prop_map(|at| JournalOp::Deleted {
            address: ADDRESSES[at].into()
        }),
        (0..ADDRESSES.len(), prop::option::of(resource())).prop_map(|(at, prior)| {
            JournalOp::CreateFailed {
                address: ADDRESSES[at].into(),
                prior: prior.map(|p| ResourceState {
                    address: ADDRESSES[at].into(),
                    ..p
                }),
            }
        }),
    ]
}

fn applied(base: &State, ops: &[JournalOp]) -> State {
    let mut state = base.clone();
    for op in ops {
        state.apply(op);
    }
    state.sort_resources();
    state
}

/// A written base state, and the bytes of the journal of `ops` left by a process that
/// stopped without compacting.
struct Crashed {
    _dir: tempfile::TempDir,
    backend: LocalBackend,
    lock: StateLock,
    base: State,
    journal: Vec<u8>,
}

fn crash_after(base: &[ResourceState], ops: &[JournalOp]) -> Crashed {
    let dir = tempfile::tempdir().unwrap();
    let backend = LocalBackend::new(dir.path(), "dev").unwrap();
    let lock = backend.lock("apply", Duration::ZERO).unwrap();
    let mut state = State::new();
    for r in base {
        state.set_resource(r.clone());
    }
    backend.write(&lock, &mut state).unwrap();
    let journal = backend.open_journal(&lock).unwrap();
    for op in ops {
        journal.record(op.clone()).unwrap();
    }
    assert_eq!(journal.state(), applied(&state, ops));
    drop(journal);
    let bytes = fs::read(backend.journal_path()).unwrap();
    Crashed {
        _dir: dir,
        backend,
        lock,
        base: state,
        journal: bytes,
    }
}

fn replay_cut_at(c: &Crashed, cut: usize) -> State {
    fs::write(c.backend.journal_path(), &c.journal[..cut]).unwrap();
    c.backend.load().unwrap().unwrap().state
}

/// Operations whose lines are complete in the first `cut` bytes (the header excluded).
fn complete_ops(journal: &[u8], cut: usize) -> usize {
    journal[..cut]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        .saturating_sub(1)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn last_line_torn_at_any_byte_loses_at_most_that_operation(
        base in prop::collection::vec(resource(), 0..3),
        ops in prop::collection::vec(op(), 1..12),
        at in any::<Index>(),
    ) {
        let c = crash_after(&base, &ops);
        let body = &c.journal[..c.journal.len() - 1];
        let last_start = body.iter().rposition(|b| *b == b'\n').unwrap() + 1;
        let cut = last_start + at.index(c.journal.len() - last_start + 1);

        let replayed = replay_cut_at(&c, cut);
        let expected = if cut == c.journal.len() {
            applied(&c.base, &ops)
        } else {
            applied(&c.base, &ops[..ops.len() - 1])
        };
        prop_assert_eq!(replayed, expected);
    }

    #[test]
    fn a_cut_anywhere_replays_exactly_the_complete_lines_and_appending_resumes(
        base in prop::collection::vec(resource(), 0..3),
        ops in prop::collection::vec(op(), 0..12),
        at in any::<Index>(),
        next in op(),
    ) {
        let c = crash_after(&base, &ops);
        let cut = at.index(c.journal.len() + 1);
        let replayed = replay_cut_at(&c, cut);
        let done = complete_ops(&c.journal, cut);
        prop_assert_eq!(&replayed, &applied(&c.base, &ops[..done]));

        let journal = c.backend.open_journal(&c.lock).unwrap();
        prop_assert_eq!(journal.state(), replayed.clone());
        journal.record(next.clone()).unwrap();
        drop(journal);
        let resumed = c.backend.load().unwrap().unwrap();
        prop_assert_eq!(resumed.state, applied(&replayed, std::slice::from_ref(&next)));
        prop_assert!(!resumed.replay.unwrap().torn_tail);
    }

    #[test]
    fn replaying_twice_equals_replaying_once(
        base in prop::collection::vec(resource(), 0..3),
        ops in prop::collection::vec(op(), 0..16),
    ) {
        let mut state = State::new();
        for r in base {
            state.set_resource(r);
        }
        let once = applied(&state, &ops);
        prop_assert_eq!(applied(&once, &ops), once);
    }
}

#[test]
fn every_cut_of_one_journal_replays_its_complete_lines() {
    let ops: Vec<JournalOp> = ADDRESSES
        .iter()
        .flat_map(|a| {
            let resource = ResourceState {
                address: (*a).into(),
                module: String::new(),
                type_: "null_resource".into(),
                name: "r".into(),
                index: None,
                provider: "null".into(),
                attributes: json!({ "id": a }),
                sensitive_paths: vec![],
                dependencies: vec![],
                applied_config: Value::Null,
                create_pending: false,
                create_token: None,
                tainted: false,
            };
            [
                JournalOp::CreateIntent {
                    resource: resource.clone(),
                },
                JournalOp::Created { resource },
            ]
        })
        .collect();
    let c = crash_after(&[], &ops);
    for cut in 0..=c.journal.len() {
        let replayed = replay_cut_at(&c, cut);
        let done = complete_ops(&c.journal, cut);
        assert_eq!(
            replayed,
            applied(&c.base, &ops[..done]),
            "cut at byte {cut}"
        );
        // An intent whose outcome line is missing is reported.
        let pending = done % 2 == 1;
        assert_eq!(
            replayed.unrecorded_creates().len(),
            usize::from(pending),
            "cut at byte {cut}"
        );
    }
}
