//! The apply journal: one fsync'd JSON line per finished operation, appended while an
//! apply runs instead of rewriting the whole state, and replayed onto the state file
//! by the next command when the apply did not finish.
//!
//! Owns the line format ([`JournalOp`] and the header line), the writer shared by the
//! apply scheduler ([`StateJournal`]) and the reading rules (a torn last line is
//! ignored, damage before it is refused). Does not decide where the journal lives or
//! when it is compacted: that is the store's and its backend's ([`JournalLog`]: lines
//! of a file, rows of a table, objects in a bucket).
//!
//! Layout: a header line `{"op":"begin","lineage":…,"serial":…}` naming the state
//! version the journal continues, then one [`JournalOp`] per line. With encryption
//! each line is sealed on its own (a one-line envelope), so that a line is durable
//! the moment it is appended.

use std::borrow::Cow;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use crate::backend::{AppendError, JournalLog};
use crate::encryption::{Encryption, EncryptionError, Kind};
use crate::error::StateError;
use crate::model::{ResourceState, State};

/// One journal line: an operation's outcome, or the intent to create that precedes
/// the provider call.
///
/// Applying a line sets or removes one address, so replaying a journal twice gives
/// the same state as replaying it once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum JournalOp {
    /// Written before the provider is asked to create `resource.address`. If no outcome
    /// line follows, the object may exist unrecorded: replay marks the address
    /// [`ResourceState::create_pending`] (inserting `resource` when the address is empty,
    /// flagging the recorded object otherwise).
    CreateIntent {
        /// The planned entry (attributes as far as known).
        resource: ResourceState,
    },
    /// A create finished; or failed leaving an object, which `resource` records with
    /// [`ResourceState::tainted`] set.
    Created {
        /// The resulting entry.
        resource: ResourceState,
    },
    /// An in-place update finished.
    Updated {
        /// The resulting entry.
        resource: ResourceState,
    },
    /// A replacement finished (the new object is recorded).
    Replaced {
        /// The resulting entry.
        resource: ResourceState,
    },
    /// A delete finished.
    Deleted {
        /// The removed address.
        address: String,
    },
    /// A create failed without creating anything: `address` goes back to what it held
    /// before the intent.
    CreateFailed {
        /// The address of the failed create.
        address: String,
        /// The entry recorded before the intent, if any.
        prior: Option<ResourceState>,
    },
}

impl State {
    /// Applies one journal operation in memory.
    pub fn apply(&mut self, op: &JournalOp) {
        match op {
            JournalOp::CreateIntent { resource } => {
                match self.resources.get_mut(&resource.address) {
                    Some(recorded) => recorded.create_pending = true,
                    None => self.resources.push(ResourceState {
                        create_pending: true,
                        ..resource.clone()
                    }),
                }
            }
            JournalOp::Created { resource }
            | JournalOp::Updated { resource }
            | JournalOp::Replaced { resource } => self.set_resource(ResourceState {
                create_pending: false,
                create_token: None,
                ..resource.clone()
            }),
            JournalOp::Deleted { address } => {
                self.remove_resource(address);
            }
            JournalOp::CreateFailed { address, prior } => {
                self.remove_resource(address);
                if let Some(prior) = prior {
                    self.set_resource(ResourceState {
                        create_pending: false,
                        create_token: None,
                        ..prior.clone()
                    });
                }
            }
        }
    }
}

/// The first line of a journal: the state version it continues.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Header {
    op: HeaderTag,
    pub(crate) lineage: String,
    pub(crate) serial: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum HeaderTag {
    Begin,
}

impl Header {
    /// The header of a journal continuing `state`, as a sealed line.
    pub(crate) fn line(
        state: &State,
        encryption: &Encryption,
        location: &Path,
    ) -> Result<Vec<u8>, StateError> {
        let header = Header {
            op: HeaderTag::Begin,
            lineage: state.lineage.clone(),
            serial: state.serial,
        };
        seal_line(&header, encryption, location)
    }
}

/// One value as a journal line: JSON, sealed when encryption is on, newline-terminated.
fn seal_line(
    value: &impl Serialize,
    encryption: &Encryption,
    location: &Path,
) -> Result<Vec<u8>, StateError> {
    let json =
        serde_json::to_vec(value).map_err(|e| StateError::io("encode", location, e.into()))?;
    let mut line = encryption
        .seal(Kind::Journal, &json)
        .map_err(|e| StateError::encryption(location.display().to_string(), e))?
        .into_owned();
    line.push(b'\n');
    Ok(line)
}

/// What replaying a leftover journal did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalReplay {
    /// Operations applied to the state.
    pub operations: usize,
    /// The last line was cut short by a crash and was ignored.
    pub torn_tail: bool,
    /// The journal continues an older state version: it was already compacted
    /// (the process stopped between writing the state and removing the journal)
    /// and nothing was applied.
    pub already_compacted: bool,
}

/// A journal file as read back.
#[derive(Debug)]
pub(crate) struct ParsedJournal {
    pub(crate) header: Option<Header>,
    pub(crate) ops: Vec<JournalOp>,
    /// Length of the intact prefix, where appending may resume.
    pub(crate) good_len: u64,
    pub(crate) torn_tail: bool,
}

/// Reads journal bytes, opening each line with `encryption`. A last line that is
/// incomplete or unreadable is a torn write and is dropped; an unreadable line with more
/// after it is damage and is refused. A line that cannot be opened for another reason
/// (the wrong key, clear text where encryption is on, an authentic-looking envelope
/// that fails authentication) is refused wherever it is.
pub(crate) fn parse(
    path: &Path,
    bytes: &[u8],
    encryption: &Encryption,
) -> Result<ParsedJournal, StateError> {
    let mut parsed = ParsedJournal {
        header: None,
        ops: Vec::new(),
        good_len: 0,
        torn_tail: false,
    };
    let mut start = 0;
    let mut line_no = 0;
    while start < bytes.len() {
        line_no += 1;
        let Some(len) = bytes[start..].iter().position(|b| *b == b'\n') else {
            parsed.torn_tail = true;
            break;
        };
        let line = &bytes[start..start + len];
        let end = start + len + 1;
        let at = || PathBuf::from(format!("{}, line {line_no}", path.display()));
        let text = match encryption.open(Kind::Journal, line) {
            Ok(text) => text,
            // Not an envelope at all: torn or damaged, as a clear-text line would be.
            Err(EncryptionError::Damaged) => Cow::Borrowed(line),
            Err(EncryptionError::Plaintext) if !is_journal_line(line) => Cow::Borrowed(line),
            Err(e) => return Err(StateError::encryption(at().display().to_string(), e)),
        };
        let read = if parsed.header.is_none() {
            serde_json::from_slice(&text).map(|h| parsed.header = Some(h))
        } else {
            serde_json::from_slice(&text).map(|op| parsed.ops.push(op))
        };
        if let Err(e) = read {
            if end == bytes.len() {
                parsed.torn_tail = true;
                break;
            }
            return Err(StateError::JournalCorrupt {
                path: path.to_owned(),
                line: line_no,
                reason: e.to_string(),
            });
        }
        parsed.good_len = end as u64;
        start = end;
    }
    Ok(parsed)
}

/// Whether `line` is a readable clear-text journal line (header or operation).
fn is_journal_line(line: &[u8]) -> bool {
    serde_json::from_slice::<Header>(line).is_ok()
        || serde_json::from_slice::<JournalOp>(line).is_ok()
}

/// Applies a parsed journal to the state file's content (`None`: no state file).
/// Returns the resulting state and what was done.
pub(crate) fn replay(
    path: &Path,
    journal: &ParsedJournal,
    state: Option<State>,
) -> Result<(Option<State>, JournalReplay), StateError> {
    let mut done = JournalReplay {
        operations: 0,
        torn_tail: journal.torn_tail,
        already_compacted: false,
    };
    let Some(header) = &journal.header else {
        return Ok((state, done));
    };
    let mismatch = |found: String| StateError::JournalMismatch {
        path: path.to_owned(),
        journal_lineage: header.lineage.clone(),
        journal_serial: header.serial,
        found,
    };
    let mut state = match state {
        // The very first apply of an environment crashed before any state was written.
        None if header.serial == 0 => State {
            lineage: header.lineage.clone(),
            ..State::new()
        },
        None => return Err(mismatch("nothing (there is no state file)".to_owned())),
        Some(s) if s.lineage != header.lineage || s.serial < header.serial => {
            return Err(mismatch(format!("{} serial {}", s.lineage, s.serial)))
        }
        Some(s) if s.serial > header.serial => {
            done.already_compacted = true;
            return Ok((Some(s), done));
        }
        Some(s) => s,
    };
    for op in &journal.ops {
        state.apply(op);
    }
    state.sort_resources();
    done.operations = journal.ops.len();
    Ok((Some(state), done))
}

/// The journal of a running apply, shared by its tasks (`Arc<StateJournal>`): each
/// [`record`](StateJournal::record) appends one line and makes it durable before
/// returning, and keeps the state as the journal describes it in memory.
///
/// Each call blocks until its line is durable (one fsync, well under a millisecond on
/// local disks; one commit or one object write on a remote backend); from async code
/// call it directly or through `spawn_blocking`. Calls made while a write is in progress
/// are written together by the next one (group commit), so concurrent operations do not
/// queue for one write each. End an apply by [`finish`](StateJournal::finish) and
/// writing the returned state with [`StateStore::write`](crate::StateStore::write),
/// which removes the journal.
pub struct StateJournal {
    path: PathBuf,
    encryption: Arc<Encryption>,
    writer: Mutex<Writer>,
    /// Signalled when a batch of lines is durable (or failed).
    flushed: Condvar,
}

impl std::fmt::Debug for StateJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateJournal")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

struct Writer {
    /// `None` while a batch is being written by the caller that took it.
    log: Option<Box<dyn JournalLog>>,
    state: State,
    /// A failed write could not be undone: appending more would bury damage mid-journal.
    broken: bool,
    /// Lines waiting for the next batch, and their operations, in call order.
    pending: Vec<u8>,
    pending_ops: Vec<JournalOp>,
    /// Sequence numbers: the last line queued, and the last one whose batch finished.
    queued: u64,
    finished: u64,
    /// Batches that failed: nothing of them was recorded.
    failures: Vec<FailedBatch>,
}

/// A batch of lines that could not be recorded.
#[derive(Debug)]
struct FailedBatch {
    /// Its first and last sequence numbers.
    first: u64,
    last: u64,
    /// The write error, or `None` when the journal was already broken.
    error: Option<BatchError>,
}

#[derive(Debug)]
struct BatchError {
    kind: io::ErrorKind,
    message: String,
    remote: bool,
}

impl StateJournal {
    /// A journal appending through `log`, whose content so far replays to `state`.
    /// `path` names it in messages.
    pub(crate) fn new(
        path: PathBuf,
        log: Box<dyn JournalLog>,
        state: State,
        encryption: Arc<Encryption>,
    ) -> Self {
        StateJournal {
            path,
            encryption,
            writer: Mutex::new(Writer {
                log: Some(log),
                state,
                broken: false,
                pending: Vec::new(),
                pending_ops: Vec::new(),
                queued: 0,
                finished: 0,
                failures: Vec::new(),
            }),
            flushed: Condvar::new(),
        }
    }

    /// Appends `op` durably, then applies it to the in-memory state. On error nothing
    /// was recorded.
    ///
    /// The line is queued; the first caller to find no write in progress writes and
    /// syncs everything queued, the others wait for the batch holding their line.
    pub fn record(&self, op: JournalOp) -> Result<(), StateError> {
        let mut w = self.enqueue(op)?;
        let seq = w.queued;
        while w.finished < seq {
            let Some(mut log) = w.log.take() else {
                w = self.flushed.wait(w).unwrap_or_else(PoisonError::into_inner);
                continue;
            };
            // Take the batch and write it without holding the lock, so that later
            // calls queue up for the next batch meanwhile.
            let bytes = std::mem::take(&mut w.pending);
            let ops = std::mem::take(&mut w.pending_ops);
            let (first, last) = (w.finished + 1, w.queued);
            if w.broken {
                // An earlier batch left damage that could not be cut off.
                w.log = Some(log);
                w.failures.push(FailedBatch {
                    first,
                    last,
                    error: None,
                });
                w.finished = last;
                self.flushed.notify_all();
                continue;
            }
            drop(w);
            let written = log.append(&bytes);
            w = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
            w.log = Some(log);
            match written {
                Ok(()) => {
                    for op in &ops {
                        w.state.apply(op);
                    }
                }
                Err(AppendError {
                    error,
                    repaired,
                    remote,
                }) => {
                    w.broken |= !repaired;
                    w.failures.push(FailedBatch {
                        first,
                        last,
                        error: Some(BatchError {
                            kind: error.kind(),
                            message: error.to_string(),
                            remote,
                        }),
                    });
                }
            }
            w.finished = last;
            self.flushed.notify_all();
        }
        let failed = w.failures.iter().find(|f| f.first <= seq && seq <= f.last);
        match failed.map(|f| &f.error) {
            Some(Some(e)) if e.remote => Err(StateError::remote(
                "append to",
                self.path.display().to_string(),
                &e.message,
            )),
            Some(Some(e)) => Err(StateError::io(
                "append to",
                &self.path,
                io::Error::new(e.kind, e.message.clone()),
            )),
            Some(None) => Err(self.broken()),
            None => Ok(()),
        }
    }

    /// Queues `op` without waiting for it to be durable: it is written and synced with
    /// the next [`record`](StateJournal::record) (whose write covers every earlier line,
    /// so the journal's order still holds) or by [`finish`](StateJournal::finish).
    ///
    /// Only for operations whose loss in a crash harms nothing: objects that exist only
    /// in the state (see `ConfiguredProvider::objects_outside_state`), which the next
    /// plan creates again if their line did not survive.
    pub fn record_deferred(&self, op: JournalOp) -> Result<(), StateError> {
        self.enqueue(op).map(drop)
    }

    /// Queues `op`'s line for the next batch; the writer stays locked for the caller.
    fn enqueue(&self, op: JournalOp) -> Result<std::sync::MutexGuard<'_, Writer>, StateError> {
        let line = seal_line(&op, &self.encryption, &self.path)?;
        let mut w = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        if w.broken {
            return Err(self.broken());
        }
        w.pending.extend_from_slice(&line);
        w.pending_ops.push(op);
        w.queued += 1;
        Ok(w)
    }

    fn broken(&self) -> StateError {
        StateError::JournalBroken {
            path: self.path.clone(),
        }
    }

    /// The state as the journal describes it so far (a copy, resources sorted by
    /// address as a replay returns them).
    pub fn state(&self) -> State {
        let w = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let mut state = w.state.clone();
        for op in &w.pending_ops {
            state.apply(op);
        }
        drop(w);
        state.sort_resources();
        state
    }

    /// Closes the journal and returns the state it describes, to be written by the
    /// store (which removes the journal).
    ///
    /// Lines still queued by [`record_deferred`](StateJournal::record_deferred) are
    /// written first (best effort: the state written next holds them anyway).
    pub fn finish(self) -> State {
        let mut w = self
            .writer
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        if !w.pending.is_empty() {
            if let (Some(mut log), false) = (w.log.take(), w.broken) {
                let _ = log.append(&w.pending);
            }
            let ops = std::mem::take(&mut w.pending_ops);
            for op in &ops {
                w.state.apply(op);
            }
        }
        let mut state = w.state;
        state.sort_resources();
        state
    }

    /// Where the journal is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::FileJournal;
    use serde_json::json;

    /// A new file journal at `path` continuing `base`.
    fn create(path: PathBuf, base: State) -> Result<StateJournal, StateError> {
        let header = Header::line(&base, &Encryption::none(), &path)?;
        let log = FileJournal::create(&path, &header)?;
        Ok(StateJournal::new(
            path,
            Box::new(log),
            base,
            Arc::new(Encryption::none()),
        ))
    }

    /// The file journal at `path`, continued after its intact `len` bytes.
    fn open(path: PathBuf, state: State, len: u64) -> Result<StateJournal, StateError> {
        let log = FileJournal::open(&path, len)?;
        Ok(StateJournal::new(
            path,
            Box::new(log),
            state,
            Arc::new(Encryption::none()),
        ))
    }

    fn res(address: &str, id: &str) -> ResourceState {
        ResourceState {
            address: address.into(),
            module: String::new(),
            type_: "null_resource".into(),
            name: address.trim_start_matches("null_resource.").into(),
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

    fn lines(parts: &[String]) -> Vec<u8> {
        parts
            .iter()
            .flat_map(|l| format!("{l}\n").into_bytes())
            .collect()
    }

    fn header(serial: u64) -> String {
        format!(r#"{{"op":"begin","lineage":"L","serial":{serial}}}"#)
    }

    fn created(address: &str) -> String {
        serde_json::to_string(&JournalOp::Created {
            resource: res(address, "1"),
        })
        .unwrap()
    }

    #[test]
    fn ops_are_tagged_lines() {
        let line = serde_json::to_value(JournalOp::Deleted {
            address: "null_resource.a".into(),
        })
        .unwrap();
        assert_eq!(line, json!({"op": "deleted", "address": "null_resource.a"}));
    }

    #[test]
    fn intent_without_outcome_marks_create_pending() {
        let mut s = State::new();
        s.apply(&JournalOp::CreateIntent {
            resource: res("null_resource.a", "?"),
        });
        assert_eq!(s.unrecorded_creates(), vec!["null_resource.a"]);
        s.apply(&JournalOp::Created {
            resource: res("null_resource.a", "1"),
        });
        assert!(s.unrecorded_creates().is_empty());
    }

    #[test]
    fn a_create_that_failed_leaving_its_object_records_it_tainted() {
        let mut s = State::new();
        s.apply(&JournalOp::CreateIntent {
            resource: res("null_resource.a", "?"),
        });
        s.apply(&JournalOp::Created {
            resource: ResourceState {
                tainted: true,
                ..res("null_resource.a", "half")
            },
        });
        assert!(s.unrecorded_creates().is_empty());
        assert!(s.resources[0].tainted && !s.resources[0].create_pending);
        // Its replacement records the object untainted.
        s.apply(&JournalOp::Replaced {
            resource: res("null_resource.a", "1"),
        });
        assert!(!s.resources[0].tainted);
    }

    #[test]
    fn intent_on_a_recorded_object_keeps_it_and_failure_restores_it() {
        let mut s = State::new();
        let old = res("null_resource.a", "old");
        s.set_resource(old.clone());
        s.apply(&JournalOp::CreateIntent {
            resource: res("null_resource.a", "?"),
        });
        assert!(s.resources[0].create_pending);
        assert_eq!(s.resources[0].attributes, old.attributes);
        s.apply(&JournalOp::CreateFailed {
            address: old.address.clone(),
            prior: Some(old.clone()),
        });
        assert_eq!(s.resources.iter().collect::<Vec<_>>(), vec![&old]);
    }

    #[test]
    fn torn_or_unreadable_last_line_is_dropped() {
        let p = Path::new("j");
        let mut bytes = lines(&[header(3), created("null_resource.a")]);
        let good = bytes.len() as u64;
        bytes.extend_from_slice(br#"{"op":"crea"#);
        let parsed = parse(p, &bytes, &Encryption::none()).unwrap();
        assert_eq!(
            (parsed.ops.len(), parsed.torn_tail, parsed.good_len),
            (1, true, good)
        );

        let mut bytes = lines(&[header(3), created("null_resource.a")]);
        bytes.extend_from_slice(b"\0\0\0\0\n");
        let parsed = parse(p, &bytes, &Encryption::none()).unwrap();
        assert_eq!(
            (parsed.ops.len(), parsed.torn_tail, parsed.good_len),
            (1, true, good)
        );
    }

    #[test]
    fn damage_before_the_last_line_is_refused_with_its_line_number() {
        let bytes = lines(&[header(3), "{not json".into(), created("null_resource.a")]);
        let err = parse(Path::new("j"), &bytes, &Encryption::none()).unwrap_err();
        let StateError::JournalCorrupt { line, .. } = err else {
            panic!("{err}")
        };
        assert_eq!(line, 2);
    }

    #[test]
    fn replay_checks_the_header_against_the_state() {
        let p = Path::new("j");
        let journal = parse(
            p,
            &lines(&[header(3), created("null_resource.a")]),
            &Encryption::none(),
        )
        .unwrap();
        let at = |serial| State {
            lineage: "L".into(),
            serial,
            ..State::new()
        };

        let (s, done) = replay(p, &journal, Some(at(3))).unwrap();
        assert_eq!(done.operations, 1);
        assert_eq!(s.unwrap().resources.len(), 1);

        let (s, done) = replay(p, &journal, Some(at(4))).unwrap();
        assert!(done.already_compacted);
        assert!(s.unwrap().resources.is_empty());

        assert!(matches!(
            replay(p, &journal, Some(at(2))),
            Err(StateError::JournalMismatch { .. })
        ));
        let other = State {
            serial: 3,
            ..State::new()
        };
        assert!(matches!(
            replay(p, &journal, Some(other)),
            Err(StateError::JournalMismatch { .. })
        ));
        assert!(matches!(
            replay(p, &journal, None),
            Err(StateError::JournalMismatch { .. })
        ));
    }

    #[test]
    fn journal_of_a_first_apply_replays_without_a_state_file() {
        let p = Path::new("j");
        let journal = parse(
            p,
            &lines(&[header(0), created("null_resource.a")]),
            &Encryption::none(),
        )
        .unwrap();
        let (s, _) = replay(p, &journal, None).unwrap();
        let s = s.unwrap();
        assert_eq!((s.lineage.as_str(), s.serial), ("L", 0));
        assert_eq!(s.resources.len(), 1);
    }

    #[test]
    fn writer_appends_durable_lines_and_resumes_after_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dev.journal");
        let base = State::new();
        let journal = create(path.clone(), base.clone()).unwrap();
        journal
            .record(JournalOp::Created {
                resource: res("null_resource.a", "1"),
            })
            .unwrap();
        drop(journal);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(b"{\"op\":\"del");
        std::fs::write(&path, &bytes).unwrap();

        let parsed = parse(&path, &bytes, &Encryption::none()).unwrap();
        let (state, _) = replay(&path, &parsed, Some(base)).unwrap();
        let journal = open(path.clone(), state.unwrap(), parsed.good_len).unwrap();
        journal
            .record(JournalOp::Deleted {
                address: "null_resource.a".into(),
            })
            .unwrap();
        assert!(journal.state().resources.is_empty());
        let parsed = parse(&path, &std::fs::read(&path).unwrap(), &Encryption::none()).unwrap();
        assert!(!parsed.torn_tail);
        assert_eq!(parsed.ops.len(), 2);
    }

    #[test]
    fn concurrent_records_are_each_written_once_and_replay_to_the_same_state() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dev.journal");
        let base = State::new();
        let journal = create(path.clone(), base.clone()).unwrap();
        let (threads, per_thread) = (8, 25);
        std::thread::scope(|s| {
            for t in 0..threads {
                let journal = &journal;
                s.spawn(move || {
                    for i in 0..per_thread {
                        let addr = format!("null_resource.t{t}_{i}");
                        journal
                            .record(JournalOp::CreateIntent {
                                resource: res(&addr, ""),
                            })
                            .unwrap();
                        journal
                            .record(JournalOp::Created {
                                resource: res(&addr, &format!("{t}-{i}")),
                            })
                            .unwrap();
                    }
                });
            }
        });
        let in_memory = journal.finish();
        assert_eq!(in_memory.resources.len(), threads * per_thread);
        assert!(in_memory.unrecorded_creates().is_empty());

        let parsed = parse(&path, &std::fs::read(&path).unwrap(), &Encryption::none()).unwrap();
        assert!(!parsed.torn_tail);
        assert_eq!(parsed.ops.len(), 2 * threads * per_thread);
        // Each address's intent comes before its outcome in the file.
        for t in 0..threads {
            for i in 0..per_thread {
                let addr = format!("null_resource.t{t}_{i}");
                let at = |created: bool| {
                    parsed.ops.iter().position(|op| match op {
                        JournalOp::CreateIntent { resource } => {
                            !created && resource.address == addr
                        }
                        JournalOp::Created { resource } => created && resource.address == addr,
                        _ => false,
                    })
                };
                assert!(at(false).unwrap() < at(true).unwrap(), "{addr}");
            }
        }
        let (replayed, _) = replay(&path, &parsed, Some(base)).unwrap();
        assert_eq!(replayed.unwrap(), in_memory);
    }

    #[test]
    fn deferred_lines_are_written_before_the_next_synced_one_and_by_finish() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dev.journal");
        let journal = create(path.clone(), State::new()).unwrap();
        let on_disk = || {
            parse(&path, &std::fs::read(&path).unwrap(), &Encryption::none())
                .unwrap()
                .ops
                .iter()
                .map(|op| match op {
                    JournalOp::Created { resource } => resource.address.clone(),
                    other => format!("{other:?}"),
                })
                .collect::<Vec<_>>()
        };
        journal
            .record_deferred(JournalOp::Created {
                resource: res("null_resource.a", "1"),
            })
            .unwrap();
        // Queued, not yet written; but part of the state in memory.
        assert!(on_disk().is_empty());
        assert_eq!(journal.state().resources.len(), 1);
        journal
            .record(JournalOp::Created {
                resource: res("null_resource.b", "2"),
            })
            .unwrap();
        // The synced line carries the deferred one before it.
        assert_eq!(on_disk(), ["null_resource.a", "null_resource.b"]);
        journal
            .record_deferred(JournalOp::Created {
                resource: res("null_resource.c", "3"),
            })
            .unwrap();
        let state = journal.finish();
        assert_eq!(
            on_disk(),
            ["null_resource.a", "null_resource.b", "null_resource.c"]
        );
        let addrs: Vec<&str> = state.resources.iter().map(|r| r.address.as_str()).collect();
        assert_eq!(
            addrs,
            ["null_resource.a", "null_resource.b", "null_resource.c"]
        );
    }
}
