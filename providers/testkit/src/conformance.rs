//! The conformance run: the steps every resource type of every provider must pass, as
//! the engine takes them, each checked for what a user would notice.
//!
//! For each [`Case`] (one resource type):
//!
//! 1. **create**: the planned object is created; the result is wholly known and keeps
//!    every value the plan knew;
//! 2. **read equals what was planned**: reading it back gives the same object;
//! 3. **a second plan is empty**: planning the same configuration again changes nothing;
//! 4. **in-place update**: a changed argument that does not force replacement is planned
//!    as an update, applied in place, and reads back as planned;
//! 5. **replacement**: a changed force-new argument is planned as a replacement, which
//!    deletes and creates;
//! 6. **drift**: a change made out of band is read back and planned as a change;
//! 7. **import by id**: importing the object reproduces the state and plans no change;
//! 8. **delete**, 9. **read gives none**, 10. **a second delete is harmless**;
//! 11. **faults in the middle of a create**: throttling, a 500 after the create took
//!     effect, and a timeout after it took effect; retried as the engine retries, the
//!     create ends with exactly one object, and the fault did hit;
//! 12. **crash recovery** (with the `aic` binary): the journal of a run that crashed after
//!     asking for a create whose answer was lost, and the object that create made; `aic
//!     apply` ends with exactly that one object, and a second plan is empty.
//!
//! A step that cannot apply to a type (no argument updates in place, an object that lives
//! only in the state, an object its API cannot find after a lost answer) must say why, in
//! the case; it is reported as not applicable with that
//! reason, never silently passed over. A failed step fails the run, and the report names
//! the type, the step and what was wrong.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use aic_lang::value::Value;
use aic_provider::{ConfiguredProvider, PlanRequest, PlanResponse, ProviderSchema, ResourceSchema};
use async_trait::async_trait;

use crate::faults::{Fault, FaultKind, Faults, Target};
use crate::runner::{Aic, Project};

/// A changed configuration a step applies, or why the type has none.
pub enum Variant {
    /// The configuration to plan against the object.
    To(Value),
    /// The step does not apply to this type, because…
    None(&'static str),
}

/// How a type's objects are imported.
pub enum Import {
    /// The import id of an object.
    Id(Box<dyn Fn(&Value) -> String + Send + Sync>),
    /// The type cannot be imported, because…
    Unsupported(&'static str),
}

/// What a case did out of band.
pub enum Drift {
    /// The object was changed (or deleted) behind aic's back.
    Made,
    /// Nothing can change the object out of band, because…
    Impossible(&'static str),
}

/// The configurations of one case; dependencies (a VPC for a subnet) exist already.
pub struct Scenario {
    /// The configuration created first.
    pub create: Value,
    /// A change applied in place.
    pub update: Variant,
    /// A change that forces replacement.
    pub replace: Variant,
    pub import: Import,
    /// Attributes an import cannot reproduce (`time_sleep.id` is the time of the import).
    pub import_ignores: Vec<&'static str>,
    /// The request that creates the object, for fault hooks that see requests; `None`:
    /// faults hit the provider's `create` call.
    pub create_request: Option<Target>,
}

/// One resource type's part of the run.
#[async_trait]
pub trait Case: Send + Sync {
    /// The resource type.
    fn type_name(&self) -> &'static str;

    /// The configurations, after creating the dependencies they refer to.
    async fn scenario(&self) -> Result<Scenario, String>;

    /// Changes `object` behind aic's back (through the cloud's own API, the file
    /// system, …) so that a read sees the change.
    async fn drift(&self, object: &Value) -> Result<Drift, String>;

    /// How many objects of this case's configurations exist in the back end now; `None`
    /// when they exist only in aic's state.
    async fn count(&self) -> Result<Option<usize>, String>;

    /// Why the object of a create whose answer was lost cannot be found again, when it
    /// cannot (its API neither tags nor lists such objects): the steps that lose a
    /// create's answer (a 500 or a timeout after it took effect, crash recovery) are then
    /// reported as not applicable, with this reason. `None` (the default): such objects
    /// are found, and those steps check it.
    fn lost_answer_unfindable(&self) -> Option<&'static str> {
        None
    }
}

/// The steps of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Create,
    ReadMatchesPlan,
    SecondPlanEmpty,
    Update,
    Replace,
    Drift,
    Import,
    Delete,
    ReadAfterDelete,
    SecondDelete,
    Fault(FaultKind),
    CrashRecovery,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::Create => "create",
            Step::ReadMatchesPlan => "read equals what was planned",
            Step::SecondPlanEmpty => "a second plan is empty",
            Step::Update => "in-place update",
            Step::Replace => "replacement",
            Step::Drift => "an out-of-band change is reported as drift",
            Step::Import => "import by id reproduces the state",
            Step::Delete => "delete",
            Step::ReadAfterDelete => "read after delete gives none",
            Step::SecondDelete => "a second delete is harmless",
            Step::Fault(kind) => kind.describe(),
            Step::CrashRecovery => "crash recovery of a create whose answer was lost",
        })
    }
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    NotApplicable(String),
    Failed(String),
}

/// One step of one type.
#[derive(Debug, Clone)]
pub struct StepResult {
    pub type_name: String,
    pub step: Step,
    pub outcome: Outcome,
}

/// What a run found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub results: Vec<StepResult>,
}

impl Report {
    /// The failed steps.
    pub fn failures(&self) -> Vec<&StepResult> {
        self.results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Failed(_)))
            .collect()
    }

    /// The outcome of `step` of `type_name`.
    pub fn outcome(&self, type_name: &str, step: Step) -> Option<&Outcome> {
        self.results
            .iter()
            .find(|r| r.type_name == type_name && r.step == step)
            .map(|r| &r.outcome)
    }

    /// Panics with the whole report unless every step passed or said why it does not
    /// apply, and every one of `types` was run.
    #[track_caller]
    pub fn assert_passed(&self, types: &[&str]) {
        for type_name in types {
            assert!(
                self.results.iter().any(|r| r.type_name == *type_name),
                "the run did not cover `{type_name}`:\n{self}"
            );
        }
        assert!(
            self.failures().is_empty(),
            "the conformance run failed:\n{self}"
        );
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in &self.results {
            let outcome = match &r.outcome {
                Outcome::Passed => "passed".to_owned(),
                Outcome::NotApplicable(why) => format!("not applicable: {why}"),
                Outcome::Failed(why) => format!("FAILED: {why}"),
            };
            writeln!(
                f,
                "{:<30} {:<50} {outcome}",
                r.type_name,
                r.step.to_string()
            )?;
        }
        Ok(())
    }
}

/// Everything a run needs about one provider.
pub struct Suite {
    /// The provider's name, as in `provider NAME { … }`.
    pub provider_name: String,
    /// The `provider` block's value (empty for providers without configuration).
    pub provider_config: Value,
    /// The provider configured with it; when faults are injected into its calls, the
    /// faulting wrapper ([`crate::faults::CallFaults`]).
    pub provider: Arc<dyn ConfiguredProvider>,
    /// Where faults are injected.
    pub faults: Arc<dyn Faults>,
    /// The `aic` binary, for the crash-recovery step; `None` runs every other step and
    /// reports crash recovery as not applicable.
    pub aic: Option<Aic>,
    /// Attempts of a create, as the engine makes them for retryable errors.
    pub attempts: u32,
}

/// A step's failure message.
type Checked<T> = Result<T, String>;

fn fail<T>(message: impl Into<String>) -> Checked<T> {
    Err(message.into())
}

impl Suite {
    fn schema(&self) -> &ProviderSchema {
        self.provider.schema()
    }

    async fn plan(
        &self,
        type_name: &str,
        prior: Option<&Value>,
        config: &Value,
    ) -> Checked<PlanResponse> {
        let problems = self.provider.validate(type_name, config);
        if let Some(p) = problems.iter().find(|p| p.is_error()) {
            return fail(format!(
                "the configuration does not validate: {} ({})",
                p.detail, p.code
            ));
        }
        self.provider
            .plan(PlanRequest {
                type_name: type_name.to_owned(),
                prior: prior.cloned(),
                config: config.clone(),
            })
            .await
            .map_err(|e| format!("plan failed: {e}"))
    }

    /// Plans `config` against `object`: must be no change.
    async fn no_change(&self, type_name: &str, object: &Value, config: &Value) -> Checked<()> {
        let response = self.plan(type_name, Some(object), config).await?;
        if response.replaces() {
            return fail(format!(
                "planning the same configuration again replaces the object ({:?})",
                paths(&response)
            ));
        }
        if response.planned.equals(object) != Some(true) {
            return fail(format!(
                "planning the same configuration again changes the object:\n  now     {}\n  planned {}",
                object.revealed(),
                response.planned.revealed()
            ));
        }
        Ok(())
    }

    /// Reads `object` back: must equal it.
    async fn reads_back(&self, type_name: &str, object: &Value) -> Checked<()> {
        match self.provider.read(type_name, object).await {
            Ok(Some(read)) if read.equals(object) == Some(true) => Ok(()),
            Ok(Some(read)) => fail(format!(
                "the object reads back different:\n  applied {}\n  read    {}",
                object.revealed(),
                read.revealed()
            )),
            Ok(None) => fail("the object reads back as gone"),
            Err(e) => fail(format!("read failed: {e}")),
        }
    }

    /// Creates `planned` as the engine does: retried while the error is retryable.
    async fn create(&self, type_name: &str, planned: &Value) -> Checked<Value> {
        let mut attempt = 1;
        loop {
            match self.provider.create(type_name, planned).await {
                Ok(created) => return Ok(created),
                Err(e) if e.is_retryable() && attempt < self.attempts => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    attempt += 1;
                }
                Err(e) => return fail(format!("create failed (attempt {attempt}): {e}")),
            }
        }
    }

    /// Creates `config` from nothing and checks the result against the plan.
    async fn create_checked(&self, type_name: &str, config: &Value) -> Checked<Value> {
        let response = self.plan(type_name, None, config).await?;
        let created = self.create(type_name, &response.planned).await?;
        matches_plan(&response.planned, &created)?;
        Ok(created)
    }

    /// Applies the plan of `config` against `object` (update or replacement, as planned).
    async fn apply(&self, type_name: &str, object: &Value, config: &Value) -> Checked<Value> {
        let response = self.plan(type_name, Some(object), config).await?;
        let applied = if response.replaces() {
            self.provider
                .delete(type_name, object)
                .await
                .map_err(|e| format!("delete for the replacement failed: {e}"))?;
            self.create(type_name, &response.planned).await?
        } else {
            self.provider
                .update(type_name, object, &response.planned)
                .await
                .map_err(|e| format!("update failed: {e}"))?
        };
        matches_plan(&response.planned, &applied)?;
        Ok(applied)
    }

    /// Runs every step of every case.
    pub async fn run(&self, cases: &[Box<dyn Case>]) -> Report {
        let mut report = Report::default();
        for case in cases {
            self.run_case(case.as_ref(), &mut report).await;
        }
        report
    }

    async fn run_case(&self, case: &dyn Case, report: &mut Report) {
        let type_name = case.type_name();
        let mut record = |step: Step, outcome: Outcome| {
            report.results.push(StepResult {
                type_name: type_name.to_owned(),
                step,
                outcome,
            });
        };
        let scenario = match case.scenario().await {
            Ok(s) => s,
            Err(e) => return record(Step::Create, Outcome::Failed(format!("setting up: {e}"))),
        };
        let mut steps = Lifecycle {
            suite: self,
            case,
            scenario: &scenario,
            object: None,
            config: scenario.create.clone(),
        };
        for step in [
            Step::Create,
            Step::ReadMatchesPlan,
            Step::SecondPlanEmpty,
            Step::Update,
            Step::Replace,
            Step::Drift,
            Step::Import,
            Step::Delete,
            Step::ReadAfterDelete,
            Step::SecondDelete,
        ] {
            let outcome = steps.run(step).await;
            let failed = matches!(outcome, Outcome::Failed(_));
            record(step, outcome);
            if failed {
                steps.clean_up().await;
                return;
            }
        }
        let unfindable = case.lost_answer_unfindable();
        for kind in FaultKind::ALL {
            let outcome = match unfindable {
                Some(why) if kind != FaultKind::Throttle => Outcome::NotApplicable(why.into()),
                _ => self.fault_step(case, &scenario, kind).await,
            };
            let failed = matches!(outcome, Outcome::Failed(_));
            record(Step::Fault(kind), outcome);
            if failed {
                return;
            }
        }
        let outcome = match unfindable {
            Some(why) => Outcome::NotApplicable(why.into()),
            None => self.crash_step(case, &scenario).await,
        };
        record(Step::CrashRecovery, outcome);
    }

    /// Step 11 for one fault.
    async fn fault_step(&self, case: &dyn Case, scenario: &Scenario, kind: FaultKind) -> Outcome {
        let type_name = case.type_name();
        let target = scenario.create_request.clone().unwrap_or(Target::Create);
        let result: Checked<()> = async {
            expect_count(case, 0, "before the fault").await?;
            self.faults.inject(&Fault::once(kind, target))?;
            let created = self.create_checked(type_name, &scenario.create).await;
            let pending = self.faults.pending();
            self.faults.clear()?;
            let created = created?;
            if pending? != 0 {
                return fail("the fault never hit the create: the step checked nothing");
            }
            self.reads_back(type_name, &created).await?;
            expect_count(case, 1, "after the create").await?;
            self.provider
                .delete(type_name, &created)
                .await
                .map_err(|e| format!("delete failed: {e}"))?;
            expect_count(case, 0, "after the delete").await
        }
        .await;
        match result {
            Ok(()) => Outcome::Passed,
            Err(e) => Outcome::Failed(e),
        }
    }

    /// Step 12.
    async fn crash_step(&self, case: &dyn Case, scenario: &Scenario) -> Outcome {
        let Some(aic) = &self.aic else {
            return Outcome::NotApplicable("the run was not given the `aic` binary".into());
        };
        match self.crash_recovery(aic, case, scenario).await {
            Ok(()) => Outcome::Passed,
            Err(e) => Outcome::Failed(e),
        }
    }

    async fn crash_recovery(&self, aic: &Aic, case: &dyn Case, scenario: &Scenario) -> Checked<()> {
        let type_name = case.type_name();
        let schema = self
            .schema()
            .resource(type_name)
            .ok_or_else(|| format!("the provider has no schema for `{type_name}`"))?;
        let project = Project::with_main(aic, &self.main_aic(type_name, schema, &scenario.create));
        let address = format!("{type_name}.conformance");
        // The create the crashed run asked for: made, its answer lost, only its intent
        // journaled (as the engine journals it, with the token it passed).
        let planned = self.plan(type_name, None, &scenario.create).await?.planned;
        let token = "conformance-crash-token";
        self.provider
            .create_with_token(type_name, &planned, token)
            .await
            .map_err(|e| format!("the create before the crash failed: {e}"))?;
        expect_count(case, 1, "after the lost create").await?;
        project.write(
            ".aic/state/default.journal",
            &crash_journal(&self.provider_name, type_name, &planned, token)?,
        );
        let run = project.aic(&["apply", "--auto-approve"]);
        if run.code != Some(0) {
            return fail(format!("the apply after the crash failed:\n{run}"));
        }
        if !run
            .err_words()
            .contains("Recovered 1 operation(s) from an interrupted run's journal")
        {
            return fail(format!("the apply did not replay the journal:\n{run}"));
        }
        expect_count(case, 1, "after the apply that recovered").await?;
        let list = project.aic(&["state", "list"]);
        if list.stdout.trim() != address {
            return fail(format!(
                "the state does not hold exactly `{address}`:\n{list}"
            ));
        }
        let plan = project.aic(&["plan", "--detailed-exitcode"]);
        if plan.code != Some(0) {
            return fail(format!("a second plan is not empty:\n{plan}"));
        }
        let destroy = project.aic(&["destroy", "--auto-approve"]);
        if destroy.code != Some(0) {
            return fail(format!("the destroy after recovery failed:\n{destroy}"));
        }
        expect_count(case, 0, "after the destroy").await
    }

    /// `main.aic` with the provider block and one resource `TYPE.conformance`.
    fn main_aic(&self, type_name: &str, schema: &ResourceSchema, config: &Value) -> String {
        let mut text = String::new();
        if self
            .provider_config
            .as_entries()
            .is_some_and(|e| !e.is_empty())
        {
            text.push_str(&format!("provider {} {{\n", self.provider_name));
            body(&mut text, &self.schema().provider, &self.provider_config, 1);
            text.push_str("}\n\n");
        }
        text.push_str(&format!("resource {type_name} conformance {{\n"));
        body(&mut text, schema, config, 1);
        text.push_str("}\n");
        text
    }
}

/// The steps of one object's life (1–10).
struct Lifecycle<'a> {
    suite: &'a Suite,
    case: &'a dyn Case,
    scenario: &'a Scenario,
    /// The object as last applied.
    object: Option<Value>,
    /// The configuration it was last applied with.
    config: Value,
}

impl Lifecycle<'_> {
    fn object(&self) -> Checked<&Value> {
        self.object
            .as_ref()
            .ok_or_else(|| "no object: an earlier step failed".to_owned())
    }

    async fn run(&mut self, step: Step) -> Outcome {
        match self.checked(step).await {
            Ok(None) => Outcome::Passed,
            Ok(Some(why)) => Outcome::NotApplicable(why.to_owned()),
            Err(e) => Outcome::Failed(e),
        }
    }

    /// The step; `Some(reason)` when it does not apply.
    async fn checked(&mut self, step: Step) -> Checked<Option<&'static str>> {
        let suite = self.suite;
        let type_name = self.case.type_name();
        match step {
            Step::Create => {
                expect_count(self.case, 0, "before the create").await?;
                self.object = Some(suite.create_checked(type_name, &self.config).await?);
                expect_count(self.case, 1, "after the create").await?;
            }
            Step::ReadMatchesPlan => suite.reads_back(type_name, self.object()?).await?,
            Step::SecondPlanEmpty => {
                suite
                    .no_change(type_name, self.object()?, &self.config)
                    .await?
            }
            Step::Update | Step::Replace => {
                let variant = if step == Step::Update {
                    &self.scenario.update
                } else {
                    &self.scenario.replace
                };
                let config = match variant {
                    Variant::To(config) => config.clone(),
                    Variant::None(why) => return Ok(Some(why)),
                };
                let object = self.object()?.clone();
                let response = suite.plan(type_name, Some(&object), &config).await?;
                match (step, response.replaces()) {
                    (Step::Update, true) => {
                        return fail(format!(
                            "the change is planned as a replacement ({:?})",
                            paths(&response)
                        ))
                    }
                    (Step::Replace, false) => {
                        return fail("the change is not planned as a replacement")
                    }
                    _ => {}
                }
                if response.planned.equals(&object) == Some(true) {
                    return fail("the change is planned as no change");
                }
                let applied = suite.apply(type_name, &object, &config).await?;
                if step == Step::Replace && self.case.count().await?.is_some() {
                    // Objects outside the state: the old one went, a new one came.
                    expect_count(self.case, 1, "after the replacement").await?;
                }
                suite.reads_back(type_name, &applied).await?;
                suite.no_change(type_name, &applied, &config).await?;
                self.object = Some(applied);
                self.config = config;
            }
            Step::Drift => {
                let object = self.object()?.clone();
                if let Drift::Impossible(why) = self.case.drift(&object).await? {
                    return Ok(Some(why));
                }
                let read = suite
                    .provider
                    .read(type_name, &object)
                    .await
                    .map_err(|e| format!("read after the change failed: {e}"))?;
                let Some(read) = read else {
                    // Deleted out of band: the engine plans it as gone and creates it
                    // again.
                    let created = suite.create_checked(type_name, &self.config).await?;
                    expect_count(self.case, 1, "after creating it again").await?;
                    self.object = Some(created);
                    return Ok(None);
                };
                if read.equals(&object) == Some(true) {
                    return fail("the change made out of band does not show in a read");
                }
                let response = suite.plan(type_name, Some(&read), &self.config).await?;
                if !response.replaces() && response.planned.equals(&read) == Some(true) {
                    return fail(format!(
                        "the change made out of band is not planned back:\n  read {}",
                        read.revealed()
                    ));
                }
                let restored = suite.apply(type_name, &read, &self.config).await?;
                suite.no_change(type_name, &restored, &self.config).await?;
                self.object = Some(restored);
            }
            Step::Import => {
                let Import::Id(import_id) = &self.scenario.import else {
                    let Import::Unsupported(why) = &self.scenario.import else {
                        return fail("no import");
                    };
                    return Ok(Some(why));
                };
                let object = self.object()?.clone();
                let id = import_id(&object);
                let imported = suite
                    .provider
                    .import(type_name, &id)
                    .await
                    .map_err(|e| format!("import of {id:?} failed: {e}"))?
                    .ok_or_else(|| format!("import of {id:?} found nothing"))?;
                let keep = |v: &Value| without(v, &self.scenario.import_ignores);
                if keep(&imported).equals(&keep(&object)) != Some(true) {
                    return fail(format!(
                        "the import of {id:?} differs from the state:\n  state    {}\n  imported {}",
                        object.revealed(),
                        imported.revealed()
                    ));
                }
                suite.no_change(type_name, &imported, &self.config).await?;
            }
            Step::Delete => {
                suite
                    .provider
                    .delete(type_name, self.object()?)
                    .await
                    .map_err(|e| format!("delete failed: {e}"))?;
                expect_count(self.case, 0, "after the delete").await?;
            }
            Step::ReadAfterDelete if !suite.provider.objects_outside_state(type_name) => {
                return Ok(Some(
                    "its objects exist only in aic's state: the engine never reads them back",
                ))
            }
            Step::ReadAfterDelete => match suite.provider.read(type_name, self.object()?).await {
                Ok(None) => {}
                Ok(Some(v)) => {
                    return fail(format!("a deleted object reads back: {}", v.revealed()))
                }
                Err(e) => return fail(format!("read of a deleted object failed: {e}")),
            },
            Step::SecondDelete => {
                suite
                    .provider
                    .delete(type_name, self.object()?)
                    .await
                    .map_err(|e| format!("deleting a deleted object failed: {e}"))?;
                self.object = None;
            }
            Step::Fault(_) | Step::CrashRecovery => return fail("not a lifecycle step"),
        }
        Ok(None)
    }

    /// After a failed step: deletes the object, so the next case starts clean.
    async fn clean_up(&mut self) {
        if let Some(object) = self.object.take() {
            let _ = self
                .suite
                .provider
                .delete(self.case.type_name(), &object)
                .await;
        }
    }
}

async fn expect_count(case: &dyn Case, wanted: usize, when: &str) -> Checked<()> {
    match case.count().await? {
        Some(n) if n != wanted => fail(format!(
            "{n} object(s) of the case exist {when}, {wanted} expected"
        )),
        _ => Ok(()),
    }
}

fn paths(response: &PlanResponse) -> Vec<String> {
    response
        .requires_replace
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// `applied` is wholly known and keeps every value `planned` knew.
fn matches_plan(planned: &Value, applied: &Value) -> Checked<()> {
    if !applied.is_wholly_known() {
        return fail(format!("the applied object has unknowns: {applied}"));
    }
    let Some(entries) = planned.as_entries() else {
        return fail(format!("the planned value is not an object: {planned}"));
    };
    for (name, value) in entries {
        if value.is_wholly_known() && applied.get(name).and_then(|a| a.equals(value)) != Some(true)
        {
            return fail(format!(
                "`{name}` was planned as {} but applied as {}",
                value.revealed(),
                applied
                    .get(name)
                    .map_or_else(|| "nothing".to_owned(), |v| v.revealed().to_string())
            ));
        }
    }
    Ok(())
}

/// `object` without the attributes `names`.
fn without(object: &Value, names: &[&str]) -> Value {
    match object.as_entries() {
        Some(entries) => Value::object(
            entries
                .iter()
                .filter(|(k, _)| !names.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone())),
        ),
        None => object.clone(),
    }
}

/// The journal a run leaves when it crashed after journaling the intent to create
/// `TYPE.conformance` and before its outcome: the header of a fresh state and the intent,
/// as the engine writes them (`engine/src/state/journal.rs`).
fn crash_journal(provider: &str, type_name: &str, planned: &Value, token: &str) -> Checked<String> {
    let attributes = known_or_null(planned)
        .to_json()
        .map_err(|e| format!("the planned object has no JSON form: {e}"))?;
    let header = serde_json::json!({
        "op": "begin", "lineage": "conformance-crash", "serial": 0,
    });
    let intent = serde_json::json!({
        "op": "create_intent",
        "resource": {
            "address": format!("{type_name}.conformance"),
            "type": type_name,
            "name": "conformance",
            "provider": provider,
            "attributes": attributes,
            "create_token": token,
        },
    });
    Ok(format!("{header}\n{intent}\n"))
}

/// `planned` with unknown attributes as null (what the engine journals for them).
fn known_or_null(planned: &Value) -> Value {
    match planned.as_entries() {
        Some(entries) => Value::object(entries.iter().map(|(k, v)| {
            let v = if v.is_wholly_known() {
                v.clone()
            } else {
                Value::null()
            };
            (k.clone(), v)
        })),
        None => planned.clone(),
    }
}

/// The body of a block with `schema` holding `value`: attributes as `name = value`,
/// nested blocks as blocks; null attributes left out.
fn body(out: &mut String, schema: &ResourceSchema, value: &Value, depth: usize) {
    let indent = "  ".repeat(depth);
    for (name, _) in &schema.attributes {
        match value.get(name) {
            Some(v) if !v.is_null() => {
                out.push_str(&format!("{indent}{name} = {}\n", v.revealed()));
            }
            _ => {}
        }
    }
    for (name, block) in &schema.blocks {
        let items: Vec<&Value> = match value.get(name) {
            Some(v) => match v.as_elements() {
                Some(items) => items.iter().collect(),
                None if !v.is_null() => vec![v],
                None => Vec::new(),
            },
            None => Vec::new(),
        };
        for item in items {
            out.push_str(&format!("{indent}{name} {{\n"));
            body(out, &block.block, item, depth + 1);
            out.push_str(&format!("{indent}}}\n"));
        }
    }
}
