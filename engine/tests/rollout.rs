//! A whole rollout driven through the engine's API, without the `aic` binary: phases
//! that pass, a failed check that rolls its phase back, and a run killed with SIGKILL in
//! the middle of a phase that resumes at that phase. Assertions are on the events the
//! operation reported, in order, and on the states it wrote.
//!
//! The killed run is this test binary itself, started again as a child process that runs
//! only `a_rollout_in_a_child_process` with `AIC_TEST_ROLLOUT_DIR` set.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aic_engine::apply::Progress;
use aic_engine::load::VariableArgs;
use aic_engine::ops::rollout::progress::Status;
use aic_engine::ops::rollout::{PreparedRollout, RolloutOutcome, RolloutRequest};
use aic_engine::ops::{Event, Observer, OpError, Project, Quiet, StateSelector};
use aic_engine::state::{State, StateError};

const CONFIG: &str = r#"
variable page: string = "v1"
variable settle: string = "0s"

environment staging {}

environment production {}

resource local_file page {
  filename = "${path.root}/out/${env.name}.txt"
  content  = var.page
}

resource time_sleep settle {
  create_duration = env.name == "production" ? var.settle : "0s"
}

rollout release {
  phase beta {
    environment = staging
    check page {
      assert  = local_file.page.content == "v1"
      message = "staging serves ${local_file.page.content}"
    }
  }
  phase prod {
    environment = production
    check page {
      assert  = local_file.page.content == "v1"
      message = "production serves ${local_file.page.content}"
    }
  }
}
"#;

/// The events of a run, each as one line.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Recorder {
    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    /// The lines that start with `prefix`.
    fn only(&self, prefix: &str) -> Vec<String> {
        self.lines()
            .into_iter()
            .filter(|l| l.starts_with(prefix))
            .collect()
    }
}

impl Observer for Recorder {
    fn event(&self, event: &Event<'_>) {
        let line = match event {
            Event::PhaseStarted { phase } => format!("phase started {}", phase.name),
            Event::PhaseResumed { phase, .. } => format!("phase resumed {}", phase.name),
            Event::PhaseSucceeded { phase, .. } => format!("phase succeeded {}", phase.name),
            Event::PhaseFailed { phase, why } => format!("phase failed {}: {why}", phase.name),
            Event::CheckFinished { result } => format!(
                "check {} {}",
                result.check,
                if result.passed { "passed" } else { "failed" }
            ),
            Event::RollbackBegun { phase, to } => {
                format!("rollback begun {} to {to}", phase.name)
            }
            Event::RollbackApplied { outcome, .. } => {
                format!("rollback applied complete={}", outcome.complete())
            }
            Event::PhaseRolledBack { phase, serial } => {
                format!("phase rolled back {} to {serial}", phase.name)
            }
            Event::Progress(Progress::Started { addr, .. }) => format!("progress started {addr}"),
            Event::Progress(Progress::Finished { addr, .. }) => {
                format!("progress finished {addr}")
            }
            _ => return,
        };
        eprintln!("{line}");
        self.0.lock().unwrap().push(line);
    }
}

fn project(dir: &Path) -> Project {
    Project::new(dir, aic_provider_builtin::registry())
}

fn request(vars: &[&str]) -> RolloutRequest {
    RolloutRequest {
        name: "release".into(),
        phase: None,
        environment: None,
        variables: VariableArgs {
            vars: vars.iter().map(|v| v.to_string()).collect(),
            ..VariableArgs::default()
        },
        no_pause: true,
        allow_destroy: false,
        lock_timeout: Duration::ZERO,
        parallelism: 4,
    }
}

fn run(dir: &Path, vars: &[&str]) -> (Result<RolloutOutcome, OpError>, Arc<Recorder>) {
    let recorder = Arc::new(Recorder::default());
    let observer: Arc<dyn Observer> = recorder.clone();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let outcome = PreparedRollout::prepare(&project(dir), &request(vars))
        .and_then(|p| rt.block_on(p.run(&observer, &Arc::new(AtomicBool::new(false)))));
    (outcome, recorder)
}

fn state(dir: &Path, env: &str) -> State {
    project(dir)
        .state(
            &StateSelector {
                environment: Some(env.into()),
            },
            &Quiet,
        )
        .unwrap()
}

fn phase_status(dir: &Path, env: &str, phase: &str) -> Option<Status> {
    aic_engine::ops::rollout::progress::phase_record(&state(dir, env), "release", phase)
        .map(|r| r.status)
}

fn project_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.aic"), CONFIG).unwrap();
    dir
}

#[test]
fn phases_that_pass_run_in_order_and_are_recorded() {
    let dir = project_dir();
    let (outcome, events) = run(dir.path(), &[]);
    assert_eq!(outcome.unwrap(), RolloutOutcome::Complete);
    assert_eq!(
        events
            .lines()
            .into_iter()
            .filter(|l| !l.starts_with("progress"))
            .collect::<Vec<_>>(),
        [
            "phase started beta",
            "check page passed",
            "phase succeeded beta",
            "phase started prod",
            "check page passed",
            "phase succeeded prod",
        ]
    );
    for (env, phase) in [("staging", "beta"), ("production", "prod")] {
        assert_eq!(
            phase_status(dir.path(), env, phase),
            Some(Status::Succeeded)
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join(format!("out/{env}.txt"))).unwrap(),
            "v1"
        );
    }
    // One audit line per phase, in each phase's environment.
    for env in ["staging", "production"] {
        let lines = aic_engine::audit::read(dir.path(), env).unwrap();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0]["operation"], "rollout");
        assert_eq!(lines[0]["detail"]["outcome"], "succeeded");
    }
}

#[test]
fn a_failed_check_rolls_its_phase_back_and_stops_the_run() {
    let dir = project_dir();
    let (first, _) = run(dir.path(), &[]);
    assert_eq!(first.unwrap(), RolloutOutcome::Complete);
    let serial_before = state(dir.path(), "staging").serial;
    // A new release whose page fails the check in the first phase.
    let (outcome, events) = run(dir.path(), &["page=v2"]);
    assert_eq!(
        outcome.unwrap(),
        RolloutOutcome::Stopped {
            phase: "beta".into(),
            interrupted: false
        }
    );
    let lines: Vec<String> = events
        .lines()
        .into_iter()
        .filter(|l| !l.starts_with("progress"))
        .collect();
    assert_eq!(
        lines,
        [
            "phase started beta".to_string(),
            "check page failed".into(),
            "phase failed beta: check page failed (staging serves v2)".into(),
            format!("rollback begun beta to {serial_before}"),
            "rollback applied complete=true".into(),
            format!("phase rolled back beta to {serial_before}"),
        ]
    );
    // Staging is as it was; production was never touched by this run.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/staging.txt")).unwrap(),
        "v1"
    );
    assert_eq!(
        phase_status(dir.path(), "staging", "beta"),
        Some(Status::RolledBack)
    );
    assert_eq!(
        phase_status(dir.path(), "production", "prod"),
        Some(Status::Succeeded),
        "the first run's record"
    );
    let audit = aic_engine::audit::read(dir.path(), "staging").unwrap();
    let ops: Vec<(&str, &str)> = audit
        .iter()
        .map(|l| {
            (
                l["operation"].as_str().unwrap_or(""),
                l["detail"]["outcome"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        ops,
        [
            ("rollout", "succeeded"),
            ("rollback", "complete"),
            ("rollout", "rolled_back")
        ]
    );
}

/// When started by [`a_rollout_killed_mid_phase_resumes_at_that_phase`] (with
/// `AIC_TEST_ROLLOUT_DIR`), runs the rollout there with a 60-second sleep in production,
/// to be killed during it. Otherwise it runs the same rollout with no sleep in a fresh
/// directory and checks that it completes.
#[test]
fn a_rollout_in_a_child_process() {
    match std::env::var_os("AIC_TEST_ROLLOUT_DIR") {
        Some(dir) => {
            let (outcome, _) = run(Path::new(&dir), &["settle=60s"]);
            panic!("the run was to be killed during its sleep, but ended: {outcome:?}");
        }
        None => {
            let dir = project_dir();
            let (outcome, _) = run(dir.path(), &["settle=1ms"]);
            assert_eq!(outcome.unwrap(), RolloutOutcome::Complete);
        }
    }
}

/// Polls `done` until it holds; gives up (failing) after a guard against hangs.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(180),
            "gave up waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_rollout_killed_mid_phase_resumes_at_that_phase() {
    let dir = project_dir();
    let log: PathBuf = dir.path().join("child.log");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["a_rollout_in_a_child_process", "--exact", "--nocapture"])
        .env("AIC_TEST_ROLLOUT_DIR", dir.path())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    // Killed once production's sleep is being created: staging's (instant) one first.
    wait_until("the production sleep to start", || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let started = text
            .lines()
            .filter(|l| l.starts_with("progress started time_sleep"))
            .count();
        if started < 2 {
            assert!(
                child.try_wait().unwrap().is_none(),
                "the child ended early:\n{text}"
            );
        }
        started >= 2
    });
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert_eq!(status.code(), None, "killed by a signal");
    assert_eq!(
        phase_status(dir.path(), "production", "prod"),
        Some(Status::Started)
    );
    assert_eq!(
        phase_status(dir.path(), "staging", "beta"),
        Some(Status::Succeeded)
    );

    // A lock without an OS lock (as an older aic wrote them) is the case still broken by
    // hand; one with an OS lock is taken over by itself (cli/tests/e2e_crash.rs).
    let lock_path = dir.path().join(".aic/state/production.lock");
    let mut lock: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&lock_path).unwrap()).unwrap();
    assert_eq!(lock["os_lock"], true, "{lock}");
    lock.as_object_mut().unwrap().remove("os_lock");
    std::fs::write(&lock_path, serde_json::to_vec(&lock).unwrap()).unwrap();
    // The killed run's lock is still there, as after a killed apply: broken by hand.
    let (refused, _) = run(dir.path(), &["settle=1ms"]);
    let id = match refused {
        Err(OpError::State(StateError::Locked { holder, .. })) => holder.id,
        other => panic!("expected the environment to be locked: {other:?}"),
    };
    let selector = StateSelector {
        environment: Some("production".into()),
    };
    project(dir.path()).state_unlock(&selector, &id).unwrap();

    let (outcome, events) = run(dir.path(), &["settle=1ms"]);
    assert_eq!(outcome.unwrap(), RolloutOutcome::Complete);
    assert_eq!(
        events.only("phase"),
        [
            "phase started prod",
            "phase resumed prod",
            "phase succeeded prod"
        ],
        "beta, which succeeded in this run, is not run again"
    );
    assert_eq!(
        phase_status(dir.path(), "production", "prod"),
        Some(Status::Succeeded)
    );
    let prod = aic_engine::ops::rollout::progress::phase_record(
        &state(dir.path(), "production"),
        "release",
        "prod",
    )
    .unwrap();
    let beta = aic_engine::ops::rollout::progress::phase_record(
        &state(dir.path(), "staging"),
        "release",
        "beta",
    )
    .unwrap();
    assert_eq!(prod.run, beta.run, "the same run, resumed");
}
