//! What an operation reports while it runs: typed [`Event`]s, delivered to an
//! [`Observer`] as they happen. Events borrow from the operation; an observer that keeps
//! one copies what it needs.

use std::path::Path;
use std::time::Duration;

use aic_lang::diag::Diagnostic;
use aic_lang::source::SourceMap;

use crate::apply::{ApplyReport, Progress};
use crate::load::Phase;
use crate::plan::Plan;
use crate::planner::Planned;
use crate::state::LockInfo;

use super::rollout::progress::{CheckResult, Measurement, PhaseRecord};
use super::{OpError, RollbackOutcome};

/// Something an operation did or found.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// Diagnostics that do not stop the operation: warnings of loading, policy
    /// violations of a plan.
    Diagnostics {
        sources: &'a SourceMap,
        diagnostics: &'a [Diagnostic],
    },
    /// The environment's lock is held by someone else: the operation waits up to
    /// `timeout` for it.
    WaitingForLock {
        environment: &'a str,
        holder: &'a LockInfo,
        timeout: Duration,
    },
    /// Operations of an interrupted apply were recovered from its journal.
    Recovered { operations: usize },
    /// Another `aic` is applying to this environment right now; the state read includes
    /// the operations it has recorded so far.
    RunningElsewhere {
        holder: &'a LockInfo,
        operations: usize,
    },
    /// An interrupted apply may have created these objects without recording them; they
    /// are planned again.
    UnrecordedCreates { addresses: &'a [&'a str] },
    /// An apply of `operations` resource operations starts.
    ApplyStarted { operations: usize },
    /// An operation of an apply started, finished, failed or is retried.
    Progress(&'a Progress),
    /// The apply ended (completely, with failures, or interrupted).
    ApplyFinished { report: &'a ApplyReport },
    /// The state was written, but the audit log could not be appended to.
    AuditNotWritten {
        path: &'a Path,
        error: &'a std::io::Error,
    },

    // Rollouts.
    /// A phase starts.
    PhaseStarted { phase: &'a Phase },
    /// The phase was interrupted in this run: it goes on from where it stopped.
    PhaseResumed {
        phase: &'a Phase,
        started: &'a str,
        serial_before: u64,
    },
    /// A canary step or a wave starts (`label`: "canary step 10%", "wave 2 (…)").
    StepStarted { label: &'a str },
    /// A pause between steps starts (`before`: the label of the next step).
    Pause { duration: Duration, before: &'a str },
    /// Time left in a pause, once a second.
    PauseTick { left: Duration },
    /// The pause is over.
    PauseOver,
    /// A pause was skipped (`--no-pause`).
    PauseSkipped { duration: Duration },
    /// A step's plan (with its `moved`, `removed` and `import` surgery).
    StepPlanned { planned: &'a Planned },
    /// Blue-green: the replaced object at `address` is kept until the checks pass.
    Held { address: &'a str },
    /// A step's apply ended.
    StepApplied { report: &'a ApplyReport },
    /// A check attempt failed and is retried after `interval`.
    CheckRetry {
        check: &'a str,
        attempt: u32,
        attempts: u32,
        detail: &'a str,
        interval: Duration,
    },
    /// A measurement of a Prometheus analysis (`taken` of `count`; errors are not
    /// counted).
    Measured {
        check: &'a str,
        taken: u32,
        count: u32,
        measurement: &'a Measurement,
    },
    /// A notification was delivered (`event`: the rollout event, or PagerDuty's action).
    Notified {
        name: &'a str,
        kind: &'a str,
        event: &'a str,
        attempts: u32,
    },
    /// A notification could not be delivered (a warning: the rollout goes on).
    NotifyFailed {
        name: &'a str,
        kind: &'a str,
        event: &'a str,
        error: &'a str,
    },
    /// A check finished.
    CheckFinished { result: &'a CheckResult },
    /// A wave target failed (its apply or its checks).
    TargetFailed {
        target: &'a str,
        reasons: &'a [String],
    },
    /// More targets failed than `max_failures` allows: the remaining waves are skipped.
    LaterWavesSkipped { failed: usize, tolerance: usize },
    /// Blue-green: the checks passed, the `count` held (old) objects are destroyed.
    DestroyingHeld { count: usize },
    /// Blue-green: an old object was destroyed (or not: `error`).
    HeldDestroyed {
        address: &'a str,
        error: Option<&'a str>,
    },
    /// Blue-green: a check failed, the new objects are destroyed and the `count` old
    /// ones kept.
    RestoringHeld { count: usize },
    /// Blue-green: the old object at `address` is current again (or not: `error`).
    HeldRestored {
        address: &'a str,
        error: Option<&'a str>,
    },
    /// The phase succeeded.
    PhaseSucceeded {
        phase: &'a Phase,
        record: &'a PhaseRecord,
    },
    /// The phase failed (`why`); what happens next follows.
    PhaseFailed { phase: &'a Phase, why: &'a str },
    /// `on_failure = "halt"`: the phase stops where it is.
    PhaseHalted {
        rollout: &'a str,
        phase: &'a Phase,
        serial: u64,
        serial_before: u64,
    },
    /// The failed phase's environment is rolled back to `to`.
    RollbackBegun { phase: &'a Phase, to: u64 },
    /// The rollback's plan, from serial `from` to serial `to`.
    RollbackPlanned {
        environment: &'a str,
        from: u64,
        to: u64,
        plan: &'a Plan,
    },
    /// The rollback was applied (completely or not).
    RollbackApplied {
        environment: &'a str,
        outcome: &'a RollbackOutcome,
    },
    /// The phase was rolled back: its environment is as it was at `serial`.
    PhaseRolledBack { phase: &'a Phase, serial: u64 },
    /// The rollback of the phase did not finish: `failed` of `changes` changes failed.
    RollbackIncomplete {
        phase: &'a Phase,
        serial: u64,
        failed: usize,
        changes: usize,
    },
    /// The rollback of the phase could not be made.
    RollbackFailed {
        phase: &'a Phase,
        serial: u64,
        error: &'a OpError,
    },
}

/// Receives the events of an operation. Any `Fn(&Event)` closure is one.
pub trait Observer: Send + Sync {
    fn event(&self, event: &Event<'_>);
}

impl<F> Observer for F
where
    F: Fn(&Event<'_>) + Send + Sync,
{
    fn event(&self, event: &Event<'_>) {
        self(event)
    }
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Observer for Quiet {
    fn event(&self, _: &Event<'_>) {}
}
