//! The per-provider concurrency limit of apply: a provider's own `max_concurrency` and the
//! `max_concurrency` setting of its `provider` block bound how many of its operations run
//! at once, on top of the apply's parallelism. A test provider counts the creates in
//! flight.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aic_engine::ops::{ApplyRequest, Observer, PreparedApply, Project, Quiet};
use aic_lang::value::Value;
use aic_provider::{with_attributes, ProviderError, Registry, ResourceSchema};
use aic_provider_kit::bulk::{as_recorded, Results};
use aic_provider_kit::{CreateToken, Declare, Plugin, Resource, Table, ID};
use async_trait::async_trait;

/// Creates in flight now, and the most seen at once.
#[derive(Default)]
struct Gauge {
    now: AtomicUsize,
    most: AtomicUsize,
}

/// `slow_thing` (or another type name): a create takes 150 ms and is counted while it
/// runs.
struct SlowThing(Arc<Gauge>, &'static str);

#[async_trait]
impl Resource<()> for SlowThing {
    fn type_name(&self) -> &'static str {
        self.1
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new("A thing slow to create.").with(ID.computed())
    }

    async fn create(
        &self,
        _: &(),
        planned: &Value,
        _: &CreateToken,
    ) -> Result<Value, ProviderError> {
        let now = self.0.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.0.most.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(150)).await;
        self.0.now.fetch_sub(1, Ordering::SeqCst);
        Ok(with_attributes(planned, [ID.to("thing")]))
    }

    async fn read_many(&self, _: &(), priors: &[Value]) -> Results {
        as_recorded(priors)
    }

    async fn update(&self, _: &(), _: &Value, planned: &Value) -> Result<Value, ProviderError> {
        Ok(planned.clone())
    }

    async fn delete(&self, _: &(), _: &Value) -> Result<(), ProviderError> {
        Ok(())
    }
}

/// Applies six `slow_thing`s with `provider_block` (parallelism 10) through a provider
/// whose own limit is `own`; returns the most creates seen at once.
async fn most_at_once(own: Option<usize>, provider_block: &str) -> usize {
    most_at_once_of("slow", "slow_thing", own, provider_block).await
}

/// As [`most_at_once`], for provider `provider` with type `type_name`.
async fn most_at_once_of(
    provider: &str,
    type_name: &'static str,
    own: Option<usize>,
    provider_block: &str,
) -> usize {
    let gauge = Arc::new(Gauge::default());
    let mut table = Table::new(ResourceSchema::new("Slow things."))
        .resource(SlowThing(gauge.clone(), type_name));
    if let Some(limit) = own {
        table = table.max_concurrency(limit);
    }
    let mut registry = Registry::new();
    registry.register(provider, Arc::new(Plugin::offline(Arc::new(table))));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.aic"),
        format!("{provider_block}\nresource {type_name} t {{\n  count = 6\n}}\n"),
    )
    .unwrap();
    let project = Project::new(dir.path(), registry);
    let request = ApplyRequest {
        plan: Default::default(),
        saved_plan: None,
        lock_timeout: Duration::ZERO,
    };
    let observer: Arc<dyn Observer> = Arc::new(Quiet);
    let prepared = PreparedApply::prepare(&project, &request, observer.as_ref())
        .await
        .unwrap_or_else(|e| panic!("plan failed: {e:?}"));
    let outcome = prepared
        .apply(10, &observer, &Arc::new(AtomicBool::new(false)))
        .await
        .unwrap_or_else(|e| panic!("apply failed: {e:?}"));
    assert_eq!(outcome.report.added, 6, "{:?}", outcome.report);
    gauge.most.load(Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_limit_creates_overlap_up_to_the_parallelism() {
    let most = most_at_once(None, "").await;
    assert!(most >= 3, "only {most} creates at once without a limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_providers_own_limit_bounds_its_operations() {
    assert_eq!(most_at_once(Some(2), "").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_blocks_setting_bounds_its_operations() {
    let block = "provider slow {\n  max_concurrency = 1\n}\n";
    assert_eq!(most_at_once(None, block).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lower_of_the_two_limits_applies() {
    let block = "provider slow {\n  max_concurrency = 3\n}\n";
    assert_eq!(most_at_once(Some(2), block).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_named_with_an_underscore_gets_its_own_block() {
    // `slow_lane_thing` belongs to `slow_lane` (the longest registered prefix), whose
    // block configures it.
    let block = "provider slow_lane {\n  max_concurrency = 1\n}\n";
    assert_eq!(
        most_at_once_of("slow_lane", "slow_lane_thing", None, block).await,
        1
    );
}
