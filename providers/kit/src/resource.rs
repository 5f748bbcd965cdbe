//! The per-type traits a provider implements: [`Resource`] for a managed type,
//! [`DataSource`] for a data source, both generic over the provider's configured client
//! `C` (a [`Context`]). The schema sits beside the code: [`Resource::schema`] declares the
//! type's fields ([`crate::field`]), which its operations then use to read and build
//! values.
//!
//! What every type shares — dispatch by type name, unknown types with "did you mean",
//! unknown planned values passed as null, a create token, import by id — is done once, by
//! [`crate::Configured`].

use aic_lang::value::Value;
use aic_provider::{
    plan_resource, PlanRequest, PlanResponse, Problem, ProviderError, ResourceSchema,
};
use async_trait::async_trait;

use crate::backoff::Backoff;
use crate::bulk::{first, Results};
use crate::values::by_id;
use crate::wait::Timing;

/// A provider's configured client: what its types' operations receive.
#[async_trait]
pub trait Context: Send + Sync + 'static {
    /// Takes `token` off new object `id` once its create's answer arrived (the token only
    /// serves to find the object of a lost answer), so that the object carries only what
    /// its configuration says. Best effort: the default does nothing, and a failure leaves
    /// a harmless mark.
    async fn forget_token(&self, _id: &str, _token: &CreateToken) {}

    /// How this client's waiters poll.
    fn timing(&self) -> Timing {
        Timing::default()
    }

    /// How this client retries throttled and transient calls it makes itself.
    fn backoff(&self) -> Backoff {
        Backoff::default()
    }
}

/// Providers without a client (the built-in ones).
impl Context for () {}

/// A unique string that a create puts on its object (a tag, a label) when the API allows
/// it, so that the object of a create whose answer was lost — a timeout, a dropped
/// connection, a crash — is found by it instead of being created twice.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreateToken(String);

impl CreateToken {
    /// A fresh token: 32 random hexadecimal digits.
    pub fn random() -> CreateToken {
        CreateToken(crate::random::hex128())
    }

    /// The token the engine recorded for this create.
    pub fn new(token: impl Into<String>) -> CreateToken {
        CreateToken(token.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CreateToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One managed resource type of a provider whose configured client is `C`.
///
/// Operations receive planned objects with unknown attributes set to null
/// ([`crate::values::known_only`]) and return objects shaped by [`Resource::schema`]; the
/// type never checks its own name.
#[async_trait]
pub trait Resource<C: Context>: Send + Sync + 'static {
    /// The type name, e.g. `aws_vpc`.
    fn type_name(&self) -> &'static str;

    /// The type's schema, declared with its fields.
    fn schema(&self) -> ResourceSchema;

    /// Whether objects of this type exist outside aic's state (see
    /// [`aic_provider::ConfiguredProvider::objects_outside_state`]).
    fn objects_outside_state(&self) -> bool {
        true
    }

    /// Rules of the provider on top of the schema check. `problems` holds what the schema
    /// check found; the configuration may hold unknowns.
    fn validate(&self, _config: &Value, _problems: &mut Vec<Problem>) {}

    /// The plan of one object; the default is the schema-driven plan.
    async fn plan(
        &self,
        _cx: &C,
        schema: &ResourceSchema,
        request: PlanRequest,
    ) -> Result<PlanResponse, ProviderError> {
        plan_resource(schema, &request)
    }

    /// Creates the object `planned` describes and returns it with its computed attributes.
    /// `token` is this create's [`CreateToken`]: put it on the object where the API allows,
    /// and find the object by it in [`Resource::find_created`].
    async fn create(
        &self,
        cx: &C,
        planned: &Value,
        token: &CreateToken,
    ) -> Result<Value, ProviderError>;

    /// The object a create with `token` made, when it exists: how the object of a create
    /// whose answer was lost is found. The default: it cannot be found.
    async fn find_created(
        &self,
        _cx: &C,
        _planned: &Value,
        _token: &CreateToken,
    ) -> Result<Option<Value>, ProviderError> {
        Ok(None)
    }

    /// The objects as they are now, one result per prior in order: `None` for an object
    /// that is gone. Types whose API describes in bulk read with as few calls as it
    /// allows ([`crate::bulk`]); the others read each prior ([`crate::bulk::each`]).
    async fn read_many(&self, cx: &C, priors: &[Value]) -> Results;

    /// One object as it is now; `None` when it is gone. The default is
    /// [`Resource::read_many`] of one.
    async fn read(&self, cx: &C, prior: &Value) -> Result<Option<Value>, ProviderError> {
        first(self.read_many(cx, std::slice::from_ref(prior)).await)
    }

    /// Changes the object in place from `prior` to `planned`.
    async fn update(&self, cx: &C, prior: &Value, planned: &Value) -> Result<Value, ProviderError>;

    /// Deletes the object; deleting an object that is gone succeeds.
    async fn delete(&self, cx: &C, prior: &Value) -> Result<(), ProviderError>;

    /// The object whose import id is `id`; `None` when there is none. The default reads
    /// the object whose `id` attribute is `id`.
    async fn import(&self, cx: &C, id: &str) -> Result<Option<Value>, ProviderError> {
        self.read(cx, &by_id(id)).await
    }
}

/// One data source type of a provider whose configured client is `C`.
#[async_trait]
pub trait DataSource<C: Context>: Send + Sync + 'static {
    /// The type name, e.g. `aws_ami`.
    fn type_name(&self) -> &'static str;

    /// The type's schema, declared with its fields.
    fn schema(&self) -> ResourceSchema;

    /// Rules of the provider on top of the schema check, as [`Resource::validate`].
    fn validate(&self, _config: &Value, _problems: &mut Vec<Problem>) {}

    /// Reads the data source for `config` (wholly known).
    async fn read(&self, cx: &C, config: &Value) -> Result<Value, ProviderError>;
}

/// The import of a type that cannot be imported.
pub fn not_importable(type_name: &str, help: &str) -> ProviderError {
    ProviderError::unsupported(format!("`{type_name}` cannot be imported")).with_help(help)
}
