//! The default methods of `ConfiguredProvider`, on a minimal in-memory provider.

use std::sync::{Arc, Mutex};

use aic_lang::types::Type;
use aic_lang::value::Value;
use aic_provider::{
    with_attributes, AttributeSchema, Attributes, ConfiguredProvider, ErrorKind, PlanRequest,
    Provider, ProviderError, ProviderSchema, Registry, ResourceSchema,
};
use async_trait::async_trait;

/// Keeps "things" by name in memory.
#[derive(Default)]
struct Memory {
    schema: ProviderSchema,
    names: Mutex<Vec<String>>,
}

fn memory() -> Arc<Memory> {
    let schema = ProviderSchema {
        provider: ResourceSchema::new("In memory."),
        resources: [(
            "mem_thing".to_owned(),
            ResourceSchema::new("A thing.")
                .attribute("name", AttributeSchema::required(Type::String).force_new())
                .attribute("id", AttributeSchema::computed(Type::String)),
        )]
        .into_iter()
        .collect(),
        data_sources: Default::default(),
    };
    Arc::new(Memory {
        schema,
        names: Mutex::new(Vec::new()),
    })
}

struct Handle(Arc<Memory>);

#[async_trait]
impl Provider for Handle {
    fn schema(&self) -> &ProviderSchema {
        &self.0.schema
    }

    async fn configure(
        &self,
        _config: &Value,
    ) -> Result<Arc<dyn ConfiguredProvider>, ProviderError> {
        Ok(self.0.clone())
    }
}

#[async_trait]
impl ConfiguredProvider for Memory {
    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }

    async fn create(&self, _type_name: &str, planned: &Value) -> Result<Value, ProviderError> {
        let name = Attributes::new(planned).string("name")?.to_owned();
        self.names
            .lock()
            .map_err(|_| ProviderError::other("poisoned"))?
            .push(name.clone());
        Ok(with_attributes(planned, [("id", Value::string(name))]))
    }

    async fn read(&self, _type_name: &str, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let name = Attributes::new(prior).string("name")?;
        if name == "broken" {
            return Err(ProviderError::transient("backend hiccup"));
        }
        let names = self
            .names
            .lock()
            .map_err(|_| ProviderError::other("poisoned"))?;
        Ok(names.iter().any(|n| n == name).then(|| prior.clone()))
    }

    async fn update(
        &self,
        _type_name: &str,
        _prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        Ok(planned.clone())
    }

    async fn delete(&self, _type_name: &str, prior: &Value) -> Result<(), ProviderError> {
        let name = Attributes::new(prior).string("name")?;
        self.names
            .lock()
            .map_err(|_| ProviderError::other("poisoned"))?
            .retain(|n| n != name);
        Ok(())
    }
}

fn thing(name: &str) -> Value {
    Value::object([("name", Value::string(name)), ("id", Value::string(name))])
}

#[tokio::test]
async fn defaults_plan_read_many_import_and_data() -> Result<(), ProviderError> {
    let mut registry = Registry::new();
    registry.register("mem", Arc::new(Handle(memory())));
    let provider = registry.require("mem")?.configure(&Value::null()).await?;

    let response = provider
        .plan(PlanRequest {
            type_name: "mem_thing".into(),
            prior: None,
            config: Value::object([("name", Value::string("a"))]),
        })
        .await?;
    assert_eq!(
        response.planned.get("id"),
        Some(&Value::unknown(Type::String))
    );
    provider.create("mem_thing", &response.planned).await?;

    let results = provider
        .read_many("mem_thing", &[thing("a"), thing("gone"), thing("broken")])
        .await;
    assert_eq!(results.len(), 3);
    assert!(matches!(results.first(), Some(Ok(Some(_)))));
    assert!(matches!(results.get(1), Some(Ok(None))));
    assert!(matches!(results.get(2), Some(Err(e)) if e.is_retryable()));

    let import = provider.import("mem_thing", "a").await.err();
    assert_eq!(import.map(|e| e.kind()), Some(ErrorKind::Unsupported));
    let data = provider.read_data("mem_things", &Value::null()).await.err();
    assert_eq!(data.map(|e| e.kind()), Some(ErrorKind::Unsupported));

    let plan_unknown_type = provider
        .plan(PlanRequest {
            type_name: "mem_thin".into(),
            prior: None,
            config: Value::null(),
        })
        .await
        .err();
    assert_eq!(
        plan_unknown_type.map(|e| e.help_text()).as_deref(),
        Some("Did you mean `mem_thing`?")
    );
    let problems = provider.validate("mem_thin", &Value::null());
    assert_eq!(
        problems.first().and_then(|p| p.help.as_deref()),
        Some("Did you mean `mem_thing`?")
    );
    assert!(provider.validate_data("mem_thing", &Value::null()).len() == 1);
    assert!(provider.max_concurrency().is_none());
    Ok(())
}
