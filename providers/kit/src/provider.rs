//! One implementation of the provider traits for every provider: a [`Table`] of its
//! resource and data source types, a [`Plugin`] (the unconfigured provider) that sets up
//! a client per configuration, and [`Configured`] — the client with the table — which
//! dispatches each operation to its type.
//!
//! Done here once, for every type: the unknown-type error and problem with "did you
//! mean" (the wording of `aic-provider`'s defaults); the schema check before a type's own
//! validation rules; planned values passed with unknowns as null; a fresh
//! [`CreateToken`] per create; import by id (unless the type says otherwise); the
//! sensitive marks of returned objects; the provider's concurrency limit.

use std::sync::Arc;

use aic_lang::value::Value;
use aic_provider::{
    data_source_schema, resource_schema, unknown_type_problem, validate_config, ConfigSchema,
    ConfiguredProvider, PlanRequest, PlanResponse, Problem, Provider, ProviderError,
    ProviderSchema,
};
use async_trait::async_trait;
use indexmap::IndexMap;

use crate::bulk::Results;
use crate::resource::{Context, CreateToken, DataSource, Resource};
use crate::values::known_only;

/// The types of one provider, and the schema built from them.
pub struct Table<C> {
    schema: ProviderSchema,
    resources: IndexMap<&'static str, Box<dyn Resource<C>>>,
    data_sources: IndexMap<&'static str, Box<dyn DataSource<C>>>,
    max_concurrency: Option<usize>,
}

impl<C: Context> Table<C> {
    /// A table with no types yet, for a provider whose configuration block has `config`'s
    /// schema.
    pub fn new(config: ConfigSchema) -> Table<C> {
        Table {
            schema: ProviderSchema {
                provider: config,
                resources: IndexMap::new(),
                data_sources: IndexMap::new(),
            },
            resources: IndexMap::new(),
            data_sources: IndexMap::new(),
            max_concurrency: None,
        }
    }

    /// This table with one more resource type.
    #[must_use]
    pub fn resource(mut self, resource: impl Resource<C>) -> Self {
        let name = resource.type_name();
        self.schema
            .resources
            .insert(name.to_owned(), resource.schema());
        self.resources.insert(name, Box::new(resource));
        self
    }

    /// This table with one more data source type.
    #[must_use]
    pub fn data_source(mut self, data_source: impl DataSource<C>) -> Self {
        let name = data_source.type_name();
        self.schema
            .data_sources
            .insert(name.to_owned(), data_source.schema());
        self.data_sources.insert(name, Box::new(data_source));
        self
    }

    /// This table with a limit on the operations the engine runs at once against one
    /// configured provider (an API's own concurrency limit).
    #[must_use]
    pub fn max_concurrency(mut self, limit: usize) -> Self {
        self.max_concurrency = Some(limit);
        self
    }

    /// The provider's schema.
    pub fn schema(&self) -> &ProviderSchema {
        &self.schema
    }
}

/// Sets up a provider's client from one provider configuration.
#[async_trait]
pub trait Setup<C>: Send + Sync + 'static {
    /// The client for `config` (the `provider` block's value, wholly known).
    async fn setup(&self, config: &Value) -> Result<C, ProviderError>;
}

/// The setup of providers that take no configuration.
struct NoSetup;

#[async_trait]
impl Setup<()> for NoSetup {
    async fn setup(&self, _config: &Value) -> Result<(), ProviderError> {
        Ok(())
    }
}

/// A provider before configuration: its table of types and how to set up a client.
pub struct Plugin<C> {
    table: Arc<Table<C>>,
    setup: Box<dyn Setup<C>>,
}

impl<C: Context> Plugin<C> {
    pub fn new(table: Arc<Table<C>>, setup: impl Setup<C>) -> Plugin<C> {
        Plugin {
            table,
            setup: Box::new(setup),
        }
    }
}

impl Plugin<()> {
    /// A provider that takes no configuration and needs no client.
    pub fn offline(table: Arc<Table<()>>) -> Plugin<()> {
        Plugin::new(table, NoSetup)
    }
}

#[async_trait]
impl<C: Context> Provider for Plugin<C> {
    fn schema(&self) -> &ProviderSchema {
        &self.table.schema
    }

    async fn configure(
        &self,
        config: &Value,
    ) -> Result<Arc<dyn ConfiguredProvider>, ProviderError> {
        let cx = self.setup.setup(config).await?;
        Ok(Arc::new(Configured::new(cx, self.table.clone())))
    }
}

/// A provider configured with client `C`: every operation goes to its type in the table.
pub struct Configured<C> {
    cx: C,
    table: Arc<Table<C>>,
}

impl<C: Context> Configured<C> {
    pub fn new(cx: C, table: Arc<Table<C>>) -> Configured<C> {
        Configured { cx, table }
    }

    /// The client.
    pub fn context(&self) -> &C {
        &self.cx
    }

    fn resource(&self, type_name: &str) -> Result<&dyn Resource<C>, ProviderError> {
        match self.table.resources.get(type_name) {
            Some(resource) => Ok(resource.as_ref()),
            None => Err(resource_schema(&self.table.schema, type_name)
                .err()
                .unwrap_or_else(|| {
                    ProviderError::unsupported(format!("this provider has no type `{type_name}`"))
                })),
        }
    }

    /// `value` with the sensitive marks `type_name`'s schema calls for.
    fn marked(&self, type_name: &str, value: Value) -> Value {
        match self.table.schema.resource(type_name) {
            Some(schema) => schema.mark_sensitive(value),
            None => value,
        }
    }

    /// `error` of a create, its object (if it carries one) marked as [`Self::marked`] does.
    fn object_marked(&self, type_name: &str, mut error: ProviderError) -> ProviderError {
        match error.take_object() {
            Some(object) => error.with_object(self.marked(type_name, object)),
            None => error,
        }
    }
}

#[async_trait]
impl<C: Context> ConfiguredProvider for Configured<C> {
    fn schema(&self) -> &ProviderSchema {
        &self.table.schema
    }

    fn max_concurrency(&self) -> Option<usize> {
        self.table.max_concurrency
    }

    fn objects_outside_state(&self, type_name: &str) -> bool {
        self.table
            .resources
            .get(type_name)
            .is_none_or(|r| r.objects_outside_state())
    }

    fn validate(&self, type_name: &str, config: &Value) -> Vec<Problem> {
        let (Some(resource), Some(schema)) = (
            self.table.resources.get(type_name),
            self.table.schema.resource(type_name),
        ) else {
            return vec![unknown_type_problem(
                type_name,
                self.table.schema.resources.keys(),
            )];
        };
        let mut problems = validate_config(schema, config);
        resource.validate(config, &mut problems);
        problems
    }

    fn validate_data(&self, type_name: &str, config: &Value) -> Vec<Problem> {
        let (Some(data_source), Some(schema)) = (
            self.table.data_sources.get(type_name),
            self.table.schema.data_source(type_name),
        ) else {
            return vec![unknown_type_problem(
                type_name,
                self.table.schema.data_sources.keys(),
            )];
        };
        let mut problems = validate_config(schema, config);
        data_source.validate(config, &mut problems);
        problems
    }

    async fn plan(&self, request: PlanRequest) -> Result<PlanResponse, ProviderError> {
        let resource = self.resource(&request.type_name)?;
        let schema = resource_schema(&self.table.schema, &request.type_name)?;
        resource.plan(&self.cx, schema, request).await
    }

    async fn create(&self, type_name: &str, planned: &Value) -> Result<Value, ProviderError> {
        let created = self
            .resource(type_name)?
            .create(&self.cx, &known_only(planned), &CreateToken::random())
            .await
            .map_err(|e| self.object_marked(type_name, e))?;
        Ok(self.marked(type_name, created))
    }

    /// Creates with the engine's token, which the type puts on the object where it can.
    async fn create_with_token(
        &self,
        type_name: &str,
        planned: &Value,
        token: &str,
    ) -> Result<Value, ProviderError> {
        let created = self
            .resource(type_name)?
            .create(&self.cx, &known_only(planned), &CreateToken::new(token))
            .await
            .map_err(|e| self.object_marked(type_name, e))?;
        Ok(self.marked(type_name, created))
    }

    async fn find_created(
        &self,
        type_name: &str,
        planned: &Value,
        token: &str,
    ) -> Result<Option<Value>, ProviderError> {
        let found = self
            .resource(type_name)?
            .find_created(&self.cx, &known_only(planned), &CreateToken::new(token))
            .await?;
        Ok(found.map(|v| self.marked(type_name, v)))
    }

    async fn read(&self, type_name: &str, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let found = self.resource(type_name)?.read(&self.cx, prior).await?;
        Ok(found.map(|v| self.marked(type_name, v)))
    }

    async fn read_many(&self, type_name: &str, priors: &[Value]) -> Results {
        match self.resource(type_name) {
            Ok(resource) => resource
                .read_many(&self.cx, priors)
                .await
                .into_iter()
                .map(|r| r.map(|found| found.map(|v| self.marked(type_name, v))))
                .collect(),
            Err(e) => priors.iter().map(|_| Err(e.clone())).collect(),
        }
    }

    async fn update(
        &self,
        type_name: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let updated = self
            .resource(type_name)?
            .update(&self.cx, prior, &known_only(planned))
            .await?;
        Ok(self.marked(type_name, updated))
    }

    async fn delete(&self, type_name: &str, prior: &Value) -> Result<(), ProviderError> {
        self.resource(type_name)?.delete(&self.cx, prior).await
    }

    async fn import(&self, type_name: &str, id: &str) -> Result<Option<Value>, ProviderError> {
        let found = self.resource(type_name)?.import(&self.cx, id).await?;
        Ok(found.map(|v| self.marked(type_name, v)))
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, ProviderError> {
        let schema = data_source_schema(&self.table.schema, type_name)?;
        let Some(data_source) = self.table.data_sources.get(type_name) else {
            return Err(ProviderError::unsupported(format!(
                "this provider has no data source `{type_name}`"
            )));
        };
        let value = data_source.read(&self.cx, config).await?;
        Ok(schema.mark_sensitive(value))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use aic_lang::types::Type;
    use aic_provider::{ErrorKind, ResourceSchema};

    use super::*;
    use crate::field::{Attr, Declare};
    use crate::values::ID;

    const NAME: Attr<String> = Attr::new("name");
    const SECRET: Attr<String> = Attr::new("secret");

    /// Things kept in memory, to drive the generic provider.
    #[derive(Default)]
    struct Memory {
        created: Mutex<Vec<Value>>,
    }

    impl Context for Memory {}

    struct Thing;

    #[async_trait]
    impl Resource<Memory> for Thing {
        fn type_name(&self) -> &'static str {
            "mem_thing"
        }

        fn schema(&self) -> ResourceSchema {
            ResourceSchema::new("A thing.")
                .with(NAME.required().force_new())
                .with(ID.computed())
                .with(SECRET.computed().sensitive())
        }

        fn validate(&self, config: &Value, problems: &mut Vec<Problem>) {
            if NAME.get(config).ok().flatten().as_deref() == Some("bad") {
                problems.push(Problem::invalid_value(
                    aic_lang::value::AttrPath::root(),
                    "bad name",
                ));
            }
        }

        async fn create(
            &self,
            cx: &Memory,
            planned: &Value,
            token: &CreateToken,
        ) -> Result<Value, ProviderError> {
            let created = aic_provider::with_attributes(
                planned,
                [ID.to(token.as_str()), SECRET.to("s3cret")],
            );
            cx.created
                .lock()
                .map_err(|_| ProviderError::other("poisoned"))?
                .push(planned.clone());
            Ok(created)
        }

        async fn read_many(&self, _: &Memory, priors: &[Value]) -> Results {
            crate::bulk::as_recorded(priors)
        }

        async fn update(
            &self,
            _: &Memory,
            _prior: &Value,
            planned: &Value,
        ) -> Result<Value, ProviderError> {
            Ok(planned.clone())
        }

        async fn delete(&self, _: &Memory, _prior: &Value) -> Result<(), ProviderError> {
            Ok(())
        }
    }

    fn provider() -> Configured<Memory> {
        let table = Table::new(ResourceSchema::new("In memory."))
            .resource(Thing)
            .max_concurrency(2);
        Configured::new(Memory::default(), Arc::new(table))
    }

    #[tokio::test]
    async fn dispatches_with_known_only_values_tokens_and_sensitive_marks(
    ) -> Result<(), ProviderError> {
        let provider = provider();
        assert_eq!(provider.max_concurrency(), Some(2));
        let planned = provider
            .plan(PlanRequest {
                type_name: "mem_thing".into(),
                prior: None,
                config: Value::object([NAME.to("a")]),
            })
            .await?
            .planned;
        assert_eq!(planned.get("id"), Some(&Value::unknown(Type::String)));
        let created = provider.create("mem_thing", &planned).await?;
        let seen = provider
            .context()
            .created
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default();
        assert_eq!(seen.first().and_then(|p| p.get("id")), Some(&Value::null()));
        assert_eq!(ID.require(&created)?.len(), 32, "a random token");
        assert_eq!(created.get("secret").map(Value::is_sensitive), Some(true));
        let again = provider.create("mem_thing", &planned).await?;
        assert_ne!(ID.require(&again)?, ID.require(&created)?);
        let imported = provider.import("mem_thing", "x").await?;
        assert_eq!(
            imported.and_then(|v| ID.get(&v).ok().flatten()).as_deref(),
            Some("x")
        );
        Ok(())
    }

    #[tokio::test]
    async fn unknown_types_and_rules_are_reported_with_the_interface_wording() {
        let provider = provider();
        let err = provider.create("mem_thign", &Value::null()).await.err();
        assert_eq!(err.as_ref().map(|e| e.kind()), Some(ErrorKind::Unsupported));
        assert_eq!(
            err.map(|e| (e.to_string(), e.help_text())),
            Some((
                "this provider has no type `mem_thign`".to_owned(),
                "Did you mean `mem_thing`?".to_owned()
            ))
        );
        let problems = provider.validate("mem_thign", &Value::object([NAME.to("a")]));
        assert_eq!(
            problems.first().and_then(|p| p.help.clone()).as_deref(),
            Some("Did you mean `mem_thing`?")
        );
        let problems = provider.validate("mem_thing", &Value::object([NAME.to("bad")]));
        assert_eq!(
            problems
                .iter()
                .map(|p| p.detail.as_str())
                .collect::<Vec<_>>(),
            vec!["bad name"]
        );
        let results = provider
            .read_many("nope", &[Value::null(), Value::null()])
            .await;
        assert!(results.iter().all(Result::is_err));
        let err = provider.read_data("mem_data", &Value::null()).await.err();
        assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Unsupported));
    }
}
