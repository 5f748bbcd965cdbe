//! Apply's scheduling through the engine's API, driven by an in-process provider that
//! injects faults: retries with backoff on transient and throttled errors (never sooner
//! than `Retry-After`), no retry of a configuration error, the operation timeout, the
//! `--parallelism` bound and critical-path-first order.
//!
//! Every run is on tokio's paused clock: sleeps and timeouts advance a virtual clock, so
//! backoff and a 30-minute timeout are asserted exactly and take no wall-clock time.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aic_engine::apply::Progress;
use aic_engine::ops::{
    ApplyOutcome, ApplyRequest, Event, Observer, OpError, PlanRequest, PreparedApply, Project,
};
use aic_lang::types::Type;
use aic_lang::value::Value;
use aic_provider::{
    resource_schema, with_attributes, AttributeSchema, ConfiguredProvider, Provider, ProviderError,
    ProviderSchema, Registry, ResourceSchema,
};
use async_trait::async_trait;
use tokio::time::Instant;

/// What the provider saw: every attempt of every object, with the virtual time it began.
#[derive(Default)]
struct Log {
    /// `(name, attempt start)`, in the order attempts began.
    attempts: Vec<(String, Instant)>,
    running: usize,
    most_running: usize,
    /// Names in the order their (successful) creates began.
    started: Vec<String>,
}

/// `fault_op`: an object that fails as its configuration says. `fail` is `transient`,
/// `throttled` or `invalid`, for the first `failures` attempts (default: all of them);
/// `hang` never answers; `millis` is how long a create takes.
struct Faulty {
    log: Arc<Mutex<Log>>,
    schema: ProviderSchema,
}

impl Faulty {
    fn new(log: Arc<Mutex<Log>>) -> Faulty {
        let resource = ResourceSchema::new("An object that fails on request.")
            .attribute("name", AttributeSchema::required(Type::String))
            .attribute("fail", AttributeSchema::optional(Type::String))
            .attribute("failures", AttributeSchema::optional(Type::Number))
            .attribute("retry_after", AttributeSchema::optional(Type::Number))
            .attribute("millis", AttributeSchema::optional(Type::Number))
            .attribute("after", AttributeSchema::optional(Type::String))
            .attribute("id", AttributeSchema::computed(Type::String));
        Faulty {
            log,
            schema: ProviderSchema {
                provider: ResourceSchema::new("Faults on request."),
                resources: [("fault_op".to_owned(), resource)].into_iter().collect(),
                data_sources: Default::default(),
            },
        }
    }
}

#[async_trait]
impl Provider for Faulty {
    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }

    async fn configure(
        &self,
        _config: &Value,
    ) -> Result<Arc<dyn ConfiguredProvider>, ProviderError> {
        Ok(Arc::new(Faulty {
            log: self.log.clone(),
            schema: self.schema.clone(),
        }))
    }
}

fn text(v: &Value, name: &str) -> Option<String> {
    v.get(name).and_then(Value::as_str).map(str::to_owned)
}

fn number(v: &Value, name: &str) -> Option<f64> {
    v.get(name).and_then(Value::as_number)
}

#[async_trait]
impl ConfiguredProvider for Faulty {
    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }

    fn objects_outside_state(&self, _type_name: &str) -> bool {
        false
    }

    async fn create(&self, type_name: &str, planned: &Value) -> Result<Value, ProviderError> {
        resource_schema(&self.schema, type_name)?;
        let name = text(planned, "name").unwrap_or_default();
        let attempt = {
            let mut log = self.log.lock().unwrap();
            log.attempts.push((name.clone(), Instant::now()));
            log.attempts.iter().filter(|(n, _)| *n == name).count()
        };
        let failures = number(planned, "failures").unwrap_or(f64::INFINITY);
        if (attempt as f64) <= failures {
            let message = format!("{name}: attempt {attempt} fails");
            match text(planned, "fail").as_deref() {
                Some("transient") => return Err(ProviderError::transient(message)),
                Some("throttled") => {
                    let err = ProviderError::throttled(message);
                    return Err(match number(planned, "retry_after") {
                        Some(s) => err.with_retry_after(Duration::from_secs_f64(s)),
                        None => err,
                    });
                }
                Some("invalid") => return Err(ProviderError::invalid_config(message)),
                Some("hang") => std::future::pending::<()>().await,
                _ => {}
            }
        }
        {
            let mut log = self.log.lock().unwrap();
            log.running += 1;
            log.most_running = log.most_running.max(log.running);
            log.started.push(name.clone());
        }
        let millis = number(planned, "millis").unwrap_or(0.0);
        tokio::time::sleep(Duration::from_secs_f64(millis / 1000.0)).await;
        self.log.lock().unwrap().running -= 1;
        Ok(with_attributes(planned, [("id", Value::string(name))]))
    }

    async fn read(&self, _type_name: &str, prior: &Value) -> Result<Option<Value>, ProviderError> {
        Ok(Some(prior.clone()))
    }

    async fn update(
        &self,
        _type_name: &str,
        _prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        Ok(planned.clone())
    }

    async fn delete(&self, _type_name: &str, _prior: &Value) -> Result<(), ProviderError> {
        Ok(())
    }
}

/// The retries apply reported, as `name attempt N`.
#[derive(Default)]
struct Retries(Mutex<Vec<String>>);

impl Observer for Retries {
    fn event(&self, event: &Event<'_>) {
        if let Event::Progress(Progress::Retrying { addr, attempt, .. }) = event {
            self.0
                .lock()
                .unwrap()
                .push(format!("{} attempt {attempt}", addr.resource.name));
        }
    }
}

struct Run {
    outcome: Result<ApplyOutcome, OpError>,
    log: Log,
    retries: Vec<String>,
    /// Virtual time the apply took.
    took: Duration,
}

impl Run {
    fn failed(&self) -> BTreeMap<String, String> {
        let outcome = self.outcome.as_ref().expect("the apply ran");
        outcome
            .report
            .failed
            .iter()
            .map(|(a, m)| (a.resource.name.clone(), m.clone()))
            .collect()
    }

    fn succeeded(&self) -> Vec<String> {
        let outcome = self.outcome.as_ref().expect("the apply ran");
        let mut names: Vec<String> = outcome
            .report
            .succeeded
            .iter()
            .map(|a| a.resource.name.clone())
            .collect();
        names.sort();
        names
    }

    /// The virtual times between the attempts at `name`.
    fn gaps(&self, name: &str) -> Vec<Duration> {
        let times: Vec<Instant> = self
            .log
            .attempts
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, t)| *t)
            .collect();
        times.windows(2).map(|w| w[1] - w[0]).collect()
    }

    fn attempts(&self, name: &str) -> usize {
        self.log.attempts.iter().filter(|(n, _)| n == name).count()
    }
}

/// Applies `config` with at most `parallelism` operations at once, on a paused clock.
fn apply(config: &str, parallelism: usize) -> Run {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.aic"), config).unwrap();
    apply_in(dir.path(), parallelism)
}

fn apply_in(dir: &Path, parallelism: usize) -> Run {
    let log = Arc::new(Mutex::new(Log::default()));
    let mut registry = Registry::new();
    registry.register("fault", Arc::new(Faulty::new(log.clone())));
    let project = Project::new(dir, registry);
    let retries = Arc::new(Retries::default());
    let observer: Arc<dyn Observer> = retries.clone();
    let request = ApplyRequest {
        plan: PlanRequest::default(),
        saved_plan: None,
        lock_timeout: Duration::ZERO,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let (outcome, took) = rt.block_on(async {
        let start = Instant::now();
        let prepared = match PreparedApply::prepare(&project, &request, &*observer).await {
            Ok(p) => p,
            Err(e) => return (Err(e), start.elapsed()),
        };
        let outcome = prepared
            .apply(parallelism, &observer, &Arc::new(AtomicBool::new(false)))
            .await;
        (outcome, start.elapsed())
    });
    let log = std::mem::take(&mut *log.lock().unwrap());
    let retries = retries.0.lock().unwrap().clone();
    Run {
        outcome,
        log,
        retries,
        took,
    }
}

#[test]
fn transient_errors_are_retried_with_growing_backoff_until_one_succeeds() {
    let run = apply(
        r#"
resource fault_op flaky {
  name     = "flaky"
  fail     = "transient"
  failures = 3
}
"#,
        4,
    );
    assert_eq!(run.succeeded(), vec!["flaky"], "{:?}", run.failed());
    assert_eq!(run.attempts("flaky"), 4);
    assert_eq!(
        run.retries,
        vec!["flaky attempt 1", "flaky attempt 2", "flaky attempt 3"]
    );
    // Attempt n waits between half and all of 200ms·2ⁿ: 400ms, 800ms, 1.6s (the virtual
    // clock rounds a deadline up to the next millisecond).
    let gaps = run.gaps("flaky");
    assert_eq!(gaps.len(), 3);
    for (gap, full) in gaps.iter().zip([400u64, 800, 1600]) {
        let full = Duration::from_millis(full);
        assert!(
            *gap >= full / 2 && *gap <= full + Duration::from_millis(2),
            "a backoff of {gap:?}, not within [{:?}, {full:?}]: {gaps:?}",
            full / 2
        );
    }
    assert!(gaps[2] > gaps[0], "the backoff grows: {gaps:?}");
}

#[test]
fn throttled_errors_wait_as_long_as_the_api_asked() {
    let run = apply(
        r#"
resource fault_op slow_down {
  name        = "slow_down"
  fail        = "throttled"
  failures    = 1
  retry_after = 20
}
"#,
        4,
    );
    assert_eq!(run.succeeded(), vec!["slow_down"], "{:?}", run.failed());
    assert_eq!(run.retries, vec!["slow_down attempt 1"]);
    // Retry-After (20s) is longer than the backoff (at most 400ms); the virtual clock
    // moves in whole milliseconds.
    let gaps = run.gaps("slow_down");
    assert!(
        gaps.len() == 1
            && gaps[0] >= Duration::from_secs(20)
            && gaps[0] <= Duration::from_millis(20_010),
        "{gaps:?}"
    );
}

#[test]
fn retries_stop_after_five_attempts_and_only_that_operation_fails() {
    let run = apply(
        r#"
resource fault_op throttled {
  name = "throttled"
  fail = "throttled"
}

resource fault_op fine {
  name = "fine"
}
"#,
        4,
    );
    assert_eq!(run.attempts("throttled"), 5);
    assert_eq!(run.retries.len(), 4, "{:?}", run.retries);
    let failed = run.failed();
    assert_eq!(failed.keys().collect::<Vec<_>>(), vec!["throttled"]);
    assert!(
        failed["throttled"].contains("throttled: attempt 5 fails"),
        "{failed:?}"
    );
    assert_eq!(run.succeeded(), vec!["fine"]);
}

#[test]
fn a_configuration_error_is_not_retried() {
    let run = apply(
        r#"
resource fault_op wrong {
  name = "wrong"
  fail = "invalid"
}
"#,
        4,
    );
    assert_eq!(run.attempts("wrong"), 1);
    assert!(run.retries.is_empty(), "{:?}", run.retries);
    assert!(
        run.failed()["wrong"].contains("wrong: attempt 1 fails"),
        "{:?}",
        run.failed()
    );
}

#[test]
fn an_operation_that_never_answers_fails_after_the_operation_timeout() {
    let run = apply(
        r#"
resource fault_op stuck {
  name = "stuck"
  fail = "hang"
}

resource fault_op fine {
  name   = "fine"
  millis = 5000
}
"#,
        4,
    );
    let failed = run.failed();
    assert!(
        failed["stuck"].contains("did not finish within 1800s"),
        "{failed:?}"
    );
    assert_eq!(
        run.attempts("stuck"),
        1,
        "a timed-out operation is not retried"
    );
    assert_eq!(run.succeeded(), vec!["fine"]);
    assert!(
        run.took >= Duration::from_secs(30 * 60) && run.took < Duration::from_secs(31 * 60),
        "the apply took {:?} of virtual time",
        run.took
    );
}

#[test]
fn parallelism_bounds_the_operations_running_at_once() {
    let config: String = (0..12)
        .map(|i| {
            format!("resource fault_op r{i:02} {{\n  name   = \"r{i:02}\"\n  millis = 1000\n}}\n\n")
        })
        .collect();
    for parallelism in [1, 3, 12] {
        let run = apply(&config, parallelism);
        assert_eq!(run.succeeded().len(), 12, "{:?}", run.failed());
        assert_eq!(
            run.log.most_running, parallelism,
            "at most (and, with enough work, exactly) {parallelism} at once"
        );
        // Twelve one-second operations, `parallelism` at a time.
        let rounds = 12u64.div_ceil(parallelism as u64);
        assert!(
            run.took >= Duration::from_secs(rounds) && run.took < Duration::from_secs(rounds + 1),
            "parallelism {parallelism}: {:?}",
            run.took
        );
    }
}

#[test]
fn the_longest_chain_starts_first() {
    // `a`, `b` and `c` come first in the plan; the chain z1 → z2 → z3 is the critical path.
    let run = apply(
        r#"
resource fault_op a {
  name = "a"
}

resource fault_op b {
  name = "b"
}

resource fault_op c {
  name = "c"
}

resource fault_op z1 {
  name = "z1"
}

resource fault_op z2 {
  name  = "z2"
  after = fault_op.z1.id
}

resource fault_op z3 {
  name  = "z3"
  after = fault_op.z2.id
}
"#,
        1,
    );
    assert_eq!(run.succeeded().len(), 6, "{:?}", run.failed());
    // z1 heads a path of three, z2 one of two; the others (z3 included) are paths of one.
    let order = &run.log.started;
    assert_eq!(order[..2], ["z1", "z2"], "{order:?}");
    let mut rest = order[2..].to_vec();
    rest.sort();
    assert_eq!(rest, ["a", "b", "c", "z3"]);
}
