//! A create that fails after its object came into being (the provider returns the error
//! with the object, `ProviderError::with_object`, as Azure's provider does for a VM whose
//! provisioning ended `Failed`): the apply fails with the provider's error, the object is
//! recorded tainted — in the journal before the failure is reported — what depends on it
//! is skipped, the next plan replaces it ("is tainted, so must be replaced"), the next
//! apply does, and destroy deletes what is recorded. A create before destroy failing so
//! keeps the object in service and deletes the failed new one. A test provider plays the
//! cloud.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aic_engine::apply::Progress;
use aic_engine::ops::{
    plan, ApplyOutcome, ApplyRequest, Event, Observer, PlanRequest, PreparedApply, Project, Quiet,
    StateSelector,
};
use aic_engine::plan::{Action, ChangeReason};
use aic_engine::render::{render_json, render_text, TextOptions};
use aic_lang::value::Value;
use aic_provider::{with_attributes, ProviderError, Registry, ResourceSchema};
use aic_provider_kit::bulk::{as_recorded, Results};
use aic_provider_kit::{Attr, CreateToken, Declare, Plugin, Resource, Table, ID};
use async_trait::async_trait;

const NAME: Attr<String> = Attr::new("name");

/// The cloud: how many creates are still to fail (each leaving its object), and the ids
/// of the objects that exist.
#[derive(Default)]
struct Cloud {
    to_fail: AtomicUsize,
    made: AtomicUsize,
    objects: Mutex<Vec<String>>,
}

impl Cloud {
    fn objects(&self) -> Vec<String> {
        self.objects
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// `flaky_thing`: a create makes an object; while `to_fail` is positive it then fails,
/// returning that object (in a failed state) with the error.
struct FlakyThing(Arc<Cloud>);

#[async_trait]
impl Resource<()> for FlakyThing {
    fn type_name(&self) -> &'static str {
        "flaky_thing"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new("A thing whose creation may fail half-way.")
            .with(ID.computed())
            .with(NAME.required().force_new().describe("Its name."))
    }

    async fn create(
        &self,
        _: &(),
        planned: &Value,
        _: &CreateToken,
    ) -> Result<Value, ProviderError> {
        let n = self.0.made.fetch_add(1, Ordering::SeqCst) + 1;
        let id = format!("thing-{n}");
        self.0
            .objects
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(id.clone());
        let object = with_attributes(planned, [ID.to(id)]);
        let fail = self
            .0
            .to_fail
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if fail {
            // Retryable on purpose: the engine must not repeat a create that left an object.
            return Err(ProviderError::transient("provisioning ended `Failed`")
                .with_cloud("AllocationFailed", "No capacity for this thing.")
                .with_object(object));
        }
        Ok(object)
    }

    async fn read_many(&self, _: &(), priors: &[Value]) -> Results {
        as_recorded(priors)
    }

    async fn update(&self, _: &(), _: &Value, planned: &Value) -> Result<Value, ProviderError> {
        Ok(planned.clone())
    }

    async fn delete(&self, _: &(), prior: &Value) -> Result<(), ProviderError> {
        let id = ID.get(prior)?.unwrap_or_default();
        self.0
            .objects
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|o| *o != id);
        Ok(())
    }
}

fn project(dir: &Path, cloud: &Arc<Cloud>) -> Project {
    let table =
        Table::new(ResourceSchema::new("Flaky things.")).resource(FlakyThing(cloud.clone()));
    let mut registry = Registry::new();
    registry.register("flaky", Arc::new(Plugin::offline(Arc::new(table))));
    Project::new(dir, registry)
}

async fn apply(project: &Project, destroy: bool, observer: Arc<dyn Observer>) -> ApplyOutcome {
    let request = ApplyRequest {
        plan: PlanRequest {
            destroy,
            ..Default::default()
        },
        saved_plan: None,
        lock_timeout: Duration::ZERO,
    };
    let prepared = PreparedApply::prepare(project, &request, observer.as_ref())
        .await
        .unwrap_or_else(|e| panic!("plan failed: {e:?}"));
    prepared
        .apply(4, &observer, &Arc::new(AtomicBool::new(false)))
        .await
        .unwrap_or_else(|e| panic!("apply failed: {e:?}"))
}

const MAIN: &str = r#"
resource flaky_thing t {
  name = "t"
}

resource flaky_thing dep {
  name = flaky_thing.t.id
}

resource flaky_thing other {
  name = "other"
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_failing_with_its_object_records_it_tainted_and_the_next_plan_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.aic"), MAIN).unwrap();
    let cloud = Arc::new(Cloud::default());
    cloud.to_fail.store(1, Ordering::SeqCst);
    let project = project(dir.path(), &cloud);
    let selector = StateSelector { environment: None };

    // When the failure is reported, the object is already in the journal: a second
    // reader (as after a crash at that instant) finds it recorded, tainted.
    let seen_when_reported: Arc<Mutex<Option<bool>>> = Arc::default();
    let observer: Arc<dyn Observer> = {
        let reader = self::project(dir.path(), &Arc::new(Cloud::default()));
        let seen = seen_when_reported.clone();
        Arc::new(move |event: &Event<'_>| {
            if let Event::Progress(Progress::Failed { addr, .. }) = event {
                if addr.to_string() == "flaky_thing.t" {
                    let state = reader.state(&StateSelector { environment: None }, &Quiet);
                    let tainted = state
                        .ok()
                        .and_then(|s| s.resource("flaky_thing.t").map(|r| r.tainted));
                    *seen.lock().unwrap_or_else(|e| e.into_inner()) = tainted;
                }
            }
        })
    };
    let outcome = apply(&project, false, observer).await;
    assert_eq!(
        *seen_when_reported.lock().unwrap_or_else(|e| e.into_inner()),
        Some(true),
        "the tainted object was not journaled before the failure was reported"
    );

    // The apply failed with the provider's error; what depends on the object is skipped,
    // independent work finished; the create was not retried.
    let report = &outcome.report;
    assert_eq!(report.failed.len(), 1, "{report:?}");
    let (addr, message) = &report.failed[0];
    assert_eq!(addr.to_string(), "flaky_thing.t");
    assert!(
        message.contains("AllocationFailed") && message.contains("No capacity for this thing."),
        "{message}"
    );
    assert!(message.contains("recorded as tainted"), "{message}");
    assert_eq!(
        report
            .skipped
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["flaky_thing.dep"]
    );
    assert_eq!(report.added, 1, "{report:?}");
    assert_eq!(cloud.objects(), ["thing-1", "thing-2"]);

    // Recorded, tainted, as the provider returned it.
    let state = project.state(&selector, &Quiet).unwrap();
    let t = state
        .resource("flaky_thing.t")
        .expect("the failed object is recorded");
    assert!(t.tainted && !t.create_pending, "{t:?}");
    assert_eq!(t.attributes["id"], "thing-1");
    assert!(state.unrecorded_creates().is_empty());
    let shown = serde_json::to_value(
        project
            .state_resource(&selector, "flaky_thing.t", &Quiet)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(shown["tainted"], true);

    // The next plan replaces it, saying why.
    let planned = plan(&project, &PlanRequest::default(), &Quiet)
        .await
        .unwrap_or_else(|e| panic!("plan failed: {e:?}"));
    let change = planned
        .planned
        .plan
        .resource_changes
        .iter()
        .find(|c| c.addr.to_string() == "flaky_thing.t")
        .expect("a change for flaky_thing.t");
    assert_eq!(change.action, Action::DeleteThenCreate);
    assert_eq!(change.reason, Some(ChangeReason::Tainted));
    let text = render_text(&planned.planned.plan, &TextOptions::default());
    assert!(
        text.contains("# flaky_thing.t is tainted, so must be replaced"),
        "{text}"
    );
    assert!(
        render_json(&planned.planned.plan).contains("replace_because_tainted"),
        "JSON names the reason"
    );

    // The next apply replaces it and creates what was skipped.
    let outcome = apply(&project, false, Arc::new(Quiet)).await;
    assert!(outcome.report.failed.is_empty(), "{:?}", outcome.report);
    let t = outcome.state.resource("flaky_thing.t").unwrap();
    assert!(!t.tainted);
    assert_eq!(t.attributes["id"], "thing-3");
    assert_eq!(cloud.objects(), ["thing-2", "thing-3", "thing-4"]);
    let again = plan(&project, &PlanRequest::default(), &Quiet)
        .await
        .unwrap();
    assert!(again
        .planned
        .plan
        .resource_changes
        .iter()
        .all(|c| c.action == Action::NoOp));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_deletes_a_tainted_object() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.aic"),
        "resource flaky_thing t {\n  name = \"t\"\n}\n",
    )
    .unwrap();
    let cloud = Arc::new(Cloud::default());
    cloud.to_fail.store(1, Ordering::SeqCst);
    let project = project(dir.path(), &cloud);
    let outcome = apply(&project, false, Arc::new(Quiet)).await;
    assert_eq!(outcome.report.failed.len(), 1);
    assert!(outcome.state.resource("flaky_thing.t").unwrap().tainted);
    let outcome = apply(&project, true, Arc::new(Quiet)).await;
    assert!(outcome.report.failed.is_empty(), "{:?}", outcome.report);
    assert_eq!(outcome.report.destroyed, 1);
    assert!(outcome.state.resources.is_empty());
    assert!(cloud.objects().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_before_destroy_failing_with_its_object_keeps_the_one_in_service() {
    let dir = tempfile::tempdir().unwrap();
    let main = |name: &str| {
        format!(
            "resource flaky_thing t {{\n  name = \"{name}\"\n  lifecycle {{\n    \
             create_before_destroy = true\n  }}\n}}\n"
        )
    };
    std::fs::write(dir.path().join("main.aic"), main("a")).unwrap();
    let cloud = Arc::new(Cloud::default());
    let project = project(dir.path(), &cloud);
    let outcome = apply(&project, false, Arc::new(Quiet)).await;
    assert!(outcome.report.failed.is_empty(), "{:?}", outcome.report);

    // Renamed: replaced, creating first; the new object's create fails leaving it.
    std::fs::write(dir.path().join("main.aic"), main("b")).unwrap();
    cloud.to_fail.store(1, Ordering::SeqCst);
    let outcome = apply(&project, false, Arc::new(Quiet)).await;
    let (_, message) = &outcome.report.failed[0];
    assert!(message.contains("AllocationFailed"), "{message}");
    assert!(message.contains("stays in place"), "{message}");
    let t = outcome.state.resource("flaky_thing.t").unwrap();
    assert!(!t.tainted, "{t:?}");
    assert_eq!(t.attributes["id"], "thing-1");
    assert_eq!(
        cloud.objects(),
        ["thing-1"],
        "the failed new object is deleted"
    );

    // The next apply tries the replacement again.
    let outcome = apply(&project, false, Arc::new(Quiet)).await;
    assert!(outcome.report.failed.is_empty(), "{:?}", outcome.report);
    assert_eq!(cloud.objects(), ["thing-3"]);
}
