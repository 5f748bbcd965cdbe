//! The conformance run fails when a provider breaks a step, and names the type and the
//! step: each breakage below, made to a correct provider (`local`, whose files live
//! outside the state so that every step applies), fails the run at the step it breaks.

use std::sync::Arc;

use aic_lang::value::Value;
use aic_provider::{
    with_attributes, ConfiguredProvider, PlanRequest, PlanResponse, Problem, ProviderError,
    ProviderSchema,
};
use aic_provider_builtin::conformance;
use aic_provider_testkit::{CallFaults, Case, Drift, FaultKind, Outcome, Scenario, Step, Suite};
use async_trait::async_trait;

/// What a broken provider gets wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Breakage {
    /// `create` returns an object without the planned content.
    CreateLosesAValue,
    /// `read` returns another content than the file's.
    ReadLies,
    /// `plan` of an existing object always changes a computed attribute.
    PlanNeverSettles,
    /// `import` finds nothing.
    ImportFindsNothing,
    /// `delete` leaves the file.
    DeleteLeavesTheObject,
    /// `delete` of a deleted object fails.
    SecondDeleteFails,
    /// `create` makes a second file when it is retried after a lost answer (the file it
    /// writes exists already).
    RetriedCreateDuplicates,
}

struct Broken {
    inner: Arc<dyn ConfiguredProvider>,
    breakage: Breakage,
}

/// Whether the file of `object` exists.
fn file_exists(object: &Value) -> bool {
    object
        .get("filename")
        .and_then(Value::as_str)
        .is_some_and(|f| std::path::Path::new(f).exists())
}

#[async_trait]
impl ConfiguredProvider for Broken {
    fn schema(&self) -> &ProviderSchema {
        self.inner.schema()
    }

    fn validate(&self, type_name: &str, config: &Value) -> Vec<Problem> {
        self.inner.validate(type_name, config)
    }

    async fn plan(&self, request: PlanRequest) -> Result<PlanResponse, ProviderError> {
        let existing = request.prior.is_some();
        let mut response = self.inner.plan(request).await?;
        if existing && self.breakage == Breakage::PlanNeverSettles {
            response.planned =
                with_attributes(&response.planned, [("content_md5", Value::string("x"))]);
        }
        Ok(response)
    }

    async fn create(&self, type_name: &str, planned: &Value) -> Result<Value, ProviderError> {
        if self.breakage == Breakage::RetriedCreateDuplicates && file_exists(planned) {
            let filename = planned
                .get("filename")
                .and_then(Value::as_str)
                .unwrap_or("");
            std::fs::write(format!("{filename}.duplicate"), "a second object")
                .map_err(|e| ProviderError::other(e.to_string()))?;
        }
        let created = self.inner.create(type_name, planned).await?;
        Ok(match self.breakage {
            Breakage::CreateLosesAValue => {
                with_attributes(&created, [("content", Value::string("?"))])
            }
            _ => created,
        })
    }

    async fn read(&self, type_name: &str, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let read = self.inner.read(type_name, prior).await?;
        Ok(match self.breakage {
            Breakage::ReadLies => {
                read.map(|v| with_attributes(&v, [("content", Value::string("lie"))]))
            }
            _ => read,
        })
    }

    async fn update(
        &self,
        type_name: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        self.inner.update(type_name, prior, planned).await
    }

    async fn delete(&self, type_name: &str, prior: &Value) -> Result<(), ProviderError> {
        match self.breakage {
            Breakage::DeleteLeavesTheObject => Ok(()),
            Breakage::SecondDeleteFails if !file_exists(prior) => {
                Err(ProviderError::not_found("already deleted"))
            }
            _ => self.inner.delete(type_name, prior).await,
        }
    }

    async fn import(&self, type_name: &str, id: &str) -> Result<Option<Value>, ProviderError> {
        if self.breakage == Breakage::ImportFindsNothing {
            return Ok(None);
        }
        self.inner.import(type_name, id).await
    }
}

/// The run of `local_file` on the local provider broken by `breakage`.
async fn run_broken(breakage: Breakage) -> aic_provider_testkit::Report {
    let suite = conformance::suite("local", None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let broken = Arc::new(Broken {
        inner: suite.provider.clone(),
        breakage,
    });
    let faulty = CallFaults::wrap(broken);
    let suite = Suite {
        provider: faulty.clone(),
        faults: faulty,
        ..suite
    };
    let cases = conformance::cases("local").unwrap_or_else(|e| panic!("{e}"));
    suite.run(&cases[..1]).await
}

#[tokio::test]
async fn the_unbroken_provider_passes() {
    let suite = conformance::suite("local", None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let cases = conformance::cases("local").unwrap_or_else(|e| panic!("{e}"));
    let report = suite.run(&cases[..1]).await;
    report.assert_passed(&["local_file"]);
    assert_eq!(
        report.outcome("local_file", Step::CrashRecovery),
        Some(&Outcome::NotApplicable(
            "the run was not given the `aic` binary".into()
        )),
        "{report}"
    );
}

#[tokio::test]
async fn each_breakage_fails_the_step_it_breaks() {
    for (breakage, step, says) in [
        (
            Breakage::CreateLosesAValue,
            Step::Create,
            "`content` was planned as",
        ),
        (
            Breakage::ReadLies,
            Step::ReadMatchesPlan,
            "reads back different",
        ),
        (
            Breakage::PlanNeverSettles,
            Step::SecondPlanEmpty,
            "changes the object",
        ),
        (Breakage::ImportFindsNothing, Step::Import, "found nothing"),
        (
            Breakage::DeleteLeavesTheObject,
            Step::Delete,
            "1 object(s) of the case exist after the delete",
        ),
        (
            Breakage::SecondDeleteFails,
            Step::SecondDelete,
            "deleting a deleted object failed",
        ),
        (
            Breakage::RetriedCreateDuplicates,
            Step::Fault(FaultKind::ServerError),
            "exist after the create, 1 expected",
        ),
    ] {
        let report = run_broken(breakage).await;
        let failures = report.failures();
        assert_eq!(
            failures.len(),
            1,
            "{breakage:?} fails exactly one step:\n{report}"
        );
        let failure = failures[0];
        assert_eq!(
            (failure.type_name.as_str(), failure.step),
            ("local_file", step),
            "{breakage:?}:\n{report}"
        );
        let Outcome::Failed(message) = &failure.outcome else {
            panic!("{breakage:?}: not a failure");
        };
        assert!(message.contains(says), "{breakage:?}: {message}");
    }
}

/// The `local_file` case of a type whose lost create answers cannot be found.
struct Unfindable(Box<dyn Case>);

#[async_trait]
impl Case for Unfindable {
    fn type_name(&self) -> &'static str {
        self.0.type_name()
    }

    async fn scenario(&self) -> Result<Scenario, String> {
        self.0.scenario().await
    }

    async fn drift(&self, object: &Value) -> Result<Drift, String> {
        self.0.drift(object).await
    }

    async fn count(&self) -> Result<Option<usize>, String> {
        self.0.count().await
    }

    fn lost_answer_unfindable(&self) -> Option<&'static str> {
        Some("no tags")
    }
}

#[tokio::test]
async fn a_type_that_cannot_find_lost_answers_says_so_for_those_steps_only() {
    let suite = conformance::suite("local", None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut cases = conformance::cases("local").unwrap_or_else(|e| panic!("{e}"));
    let cases: Vec<Box<dyn Case>> = vec![Box::new(Unfindable(cases.remove(0)))];
    let report = suite.run(&cases).await;
    report.assert_passed(&["local_file"]);
    let says = Some(Outcome::NotApplicable("no tags".into()));
    for step in [
        Step::Fault(FaultKind::ServerError),
        Step::Fault(FaultKind::Timeout),
        Step::CrashRecovery,
    ] {
        assert_eq!(
            report.outcome("local_file", step),
            says.as_ref(),
            "{report}"
        );
    }
    assert_eq!(
        report.outcome("local_file", Step::Fault(FaultKind::Throttle)),
        Some(&Outcome::Passed),
        "{report}"
    );
}
