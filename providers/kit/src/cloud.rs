//! The shape most cloud resource types share, written once: one call makes an object and
//! answers its id, further calls complete it, the API describes objects by id (in bulk)
//! and by the token a create marked them with, changes are calls on the id, and one call
//! deletes it. A type describes its calls ([`CloudType`]); [`Cloud`] makes it a
//! [`Resource`]:
//!
//! - create: the creating call with lost-answer recovery ([`crate::create::make`]), the
//!   completing calls with undo ([`crate::create::finish_or_undo`]), then reading the new
//!   object back until the API finds it;
//! - read: bulk, by chunks of ids ([`crate::bulk::read_by_ids`]), each object completed
//!   from its prior where the API does not return an attribute;
//! - update: the type's calls, then reading back;
//! - delete: retried while the API reports a conflict, successful when already gone;
//! - import: read by id.

use aic_lang::value::Value;
use aic_provider::{
    plan_resource, PlanRequest, PlanResponse, Problem, ProviderError, ResourceSchema,
};
use async_trait::async_trait;

use crate::bulk::{read_by_ids, Results};
use crate::create::{finish_or_undo, make, visible};
use crate::resource::{Context, CreateToken, Resource};
use crate::values::{by_id, empty_as_prior, id, with_id};

/// Which objects a [`CloudType::describe`] call is asked for.
#[derive(Debug, Clone, Copy)]
pub enum Which<'a> {
    /// Those with these ids.
    Ids(&'a [String]),
    /// Those a create with this token made.
    Token(&'a CreateToken),
}

/// A resource type of the common cloud shape (see the module doc): its calls only.
#[async_trait]
pub trait CloudType<C: Context>: Send + Sync + 'static {
    /// The type name, e.g. `aws_vpc`.
    fn type_name(&self) -> &'static str;

    /// The type's schema, declared with its fields.
    fn schema(&self) -> ResourceSchema;

    /// What one object is called in messages ("VPC", "security group").
    fn noun(&self) -> &'static str;

    /// Rules on top of the schema check, as [`Resource::validate`].
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

    /// The call that makes the object `planned` describes, marked with `token` where the
    /// API allows; the new object's id.
    async fn create_call(
        &self,
        cx: &C,
        planned: &Value,
        token: &CreateToken,
    ) -> Result<String, ProviderError>;

    /// The calls that complete new object `id` (what the creating call cannot set). The
    /// default: none.
    async fn complete(&self, _cx: &C, _id: &str, _planned: &Value) -> Result<(), ProviderError> {
        Ok(())
    }

    /// The objects `which` selects, with their ids; objects that are gone are missing.
    async fn describe(
        &self,
        cx: &C,
        which: Which<'_>,
    ) -> Result<Vec<(String, Value)>, ProviderError>;

    /// At most this many ids per [`CloudType::describe`] call.
    fn ids_per_call(&self) -> usize {
        100
    }

    /// The id of the object a create of `planned` with `token` made, if any. The
    /// default describes by token.
    async fn find_id(
        &self,
        cx: &C,
        _planned: &Value,
        token: &CreateToken,
    ) -> Result<Option<String>, ProviderError> {
        Ok(self
            .describe(cx, Which::Token(token))
            .await?
            .into_iter()
            .next()
            .map(|(id, _)| id))
    }

    /// A described object completed from its `prior` (attributes the API does not
    /// return). The default: as described.
    fn with_prior(&self, _prior: &Value, found: Value) -> Value {
        found
    }

    /// The calls that change object `id` in place from `prior` to `planned`; the id the
    /// object has afterwards (usually `id`).
    async fn change(
        &self,
        cx: &C,
        id: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<String, ProviderError>;

    /// The call that deletes `object` (whose id is `id`). A `NotFound` answer is success
    /// and a `Conflict` is retried, around it.
    async fn delete_call(&self, cx: &C, id: &str, object: &Value) -> Result<(), ProviderError>;

    /// Whether objects can be imported: an error saying why not. The default: they can,
    /// by id.
    fn importable(&self) -> Result<(), ProviderError> {
        Ok(())
    }

    /// An imported object, as read by id, completed with what a read cannot know. The
    /// default: as read.
    async fn imported(&self, _cx: &C, _id: &str, found: Value) -> Result<Value, ProviderError> {
        Ok(found)
    }
}

/// A [`CloudType`] as a [`Resource`].
pub struct Cloud<T>(pub T);

impl<T> Cloud<T> {
    async fn delete_object<C>(&self, cx: &C, id: &str, object: &Value) -> Result<(), ProviderError>
    where
        C: Context,
        T: CloudType<C>,
    {
        cx.timing()
            .waiter(format!("{} {id} to be deletable", self.0.noun()))
            .delete(|| self.0.delete_call(cx, id, object))
            .await
    }
}

#[async_trait]
impl<C: Context, T: CloudType<C>> Resource<C> for Cloud<T> {
    fn type_name(&self) -> &'static str {
        self.0.type_name()
    }

    fn schema(&self) -> ResourceSchema {
        self.0.schema()
    }

    fn validate(&self, config: &Value, problems: &mut Vec<Problem>) {
        self.0.validate(config, problems);
    }

    async fn plan(
        &self,
        cx: &C,
        schema: &ResourceSchema,
        request: PlanRequest,
    ) -> Result<PlanResponse, ProviderError> {
        self.0.plan(cx, schema, request).await
    }

    async fn create(
        &self,
        cx: &C,
        planned: &Value,
        token: &CreateToken,
    ) -> Result<Value, ProviderError> {
        let id = make(
            cx,
            || self.0.create_call(cx, planned, token),
            || self.0.find_id(cx, planned, token),
        )
        .await?;
        let made = with_id(planned, &id);
        finish_or_undo(
            async {
                self.0.complete(cx, &id, planned).await?;
                cx.forget_token(&id, token).await;
                visible(self, cx, &made).await
            },
            || self.delete_object(cx, &id, &made),
            &format!("{} {id}", self.0.noun()),
        )
        .await
    }

    async fn find_created(
        &self,
        cx: &C,
        planned: &Value,
        token: &CreateToken,
    ) -> Result<Option<Value>, ProviderError> {
        match self.0.find_id(cx, planned, token).await? {
            Some(id) => self.read(cx, &with_id(planned, &id)).await,
            None => Ok(None),
        }
    }

    async fn read_many(&self, cx: &C, priors: &[Value]) -> Results {
        let found = read_by_ids(priors, self.0.ids_per_call(), |ids| async move {
            self.0.describe(cx, Which::Ids(&ids)).await
        })
        .await;
        priors
            .iter()
            .zip(found)
            .map(|(prior, found)| {
                Ok(found?.map(|v| empty_as_prior(prior, self.0.with_prior(prior, v))))
            })
            .collect()
    }

    async fn update(&self, cx: &C, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        let id = self.0.change(cx, &id(prior)?, prior, planned).await?;
        visible(self, cx, &with_id(planned, &id)).await
    }

    async fn delete(&self, cx: &C, prior: &Value) -> Result<(), ProviderError> {
        self.delete_object(cx, &id(prior)?, prior).await
    }

    async fn import(&self, cx: &C, id: &str) -> Result<Option<Value>, ProviderError> {
        self.0.importable()?;
        match self.read(cx, &by_id(id)).await? {
            Some(found) => self.0.imported(cx, id, found).await.map(Some),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use aic_provider::ErrorKind;

    use super::*;
    use crate::backoff::Backoff;
    use crate::field::{Attr, Declare};
    use crate::values::ID;

    const NAME: Attr<String> = Attr::new("name");
    const TOKEN: Attr<String> = Attr::new("token");

    /// An API keeping named things, whose calls can be made to fail.
    #[derive(Default)]
    struct Api {
        things: Mutex<BTreeMap<String, (String, String)>>,
        /// The creating call answers 500 after taking effect, once.
        lose_create_answer: Mutex<bool>,
        /// The completing call fails.
        fail_complete: bool,
    }

    impl Context for Api {
        fn backoff(&self) -> Backoff {
            Backoff::fast()
        }

        fn timing(&self) -> crate::wait::Timing {
            crate::wait::Timing::fast()
        }
    }

    impl Api {
        fn things(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, (String, String)>> {
            self.things.lock().unwrap_or_else(|e| e.into_inner())
        }
    }

    struct Thing;

    #[async_trait]
    impl CloudType<Api> for Thing {
        fn type_name(&self) -> &'static str {
            "api_thing"
        }

        fn schema(&self) -> ResourceSchema {
            ResourceSchema::new("A thing.")
                .with(NAME.required())
                .with(TOKEN.computed())
                .with(ID.computed())
        }

        fn noun(&self) -> &'static str {
            "thing"
        }

        async fn create_call(
            &self,
            api: &Api,
            planned: &Value,
            token: &CreateToken,
        ) -> Result<String, ProviderError> {
            let id = format!("t-{}", api.things().len() + 1);
            api.things()
                .insert(id.clone(), (NAME.require(planned)?, token.to_string()));
            let mut lose = api
                .lose_create_answer
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if std::mem::take(&mut *lose) {
                return Err(ProviderError::transient("500 after the create"));
            }
            Ok(id)
        }

        async fn complete(
            &self,
            api: &Api,
            _id: &str,
            _planned: &Value,
        ) -> Result<(), ProviderError> {
            if api.fail_complete {
                return Err(ProviderError::invalid_config("bad"));
            }
            Ok(())
        }

        async fn describe(
            &self,
            api: &Api,
            which: Which<'_>,
        ) -> Result<Vec<(String, Value)>, ProviderError> {
            Ok(api
                .things()
                .iter()
                .filter(|(id, (_, token))| match which {
                    Which::Ids(ids) => ids.contains(id),
                    Which::Token(t) => t.as_str() == token,
                })
                .map(|(id, (name, token))| {
                    let value = self.schema().instance([
                        NAME.to(name.as_str()),
                        TOKEN.to(token.as_str()),
                        ID.to(id.as_str()),
                    ]);
                    (id.clone(), value)
                })
                .collect())
        }

        async fn change(
            &self,
            api: &Api,
            id: &str,
            _prior: &Value,
            planned: &Value,
        ) -> Result<String, ProviderError> {
            if let Some(thing) = api.things().get_mut(id) {
                thing.0 = NAME.require(planned)?;
            }
            Ok(id.to_owned())
        }

        async fn delete_call(
            &self,
            api: &Api,
            id: &str,
            _object: &Value,
        ) -> Result<(), ProviderError> {
            match api.things().remove(id) {
                Some(_) => Ok(()),
                None => Err(ProviderError::not_found("no such thing")),
            }
        }
    }

    fn planned() -> Value {
        Thing.schema().instance([NAME.to("a")])
    }

    #[tokio::test]
    async fn the_lifecycle_of_a_cloud_object() -> Result<(), ProviderError> {
        let api = Api::default();
        let thing = Cloud(Thing);
        let created = thing
            .create(&api, &planned(), &CreateToken::new("tk"))
            .await?;
        assert_eq!(ID.require(&created)?, "t-1");
        let changed = thing
            .update(
                &api,
                &created,
                &aic_provider::with_attributes(&created, [NAME.to("b")]),
            )
            .await?;
        assert_eq!(NAME.require(&changed)?, "b");
        let found = thing
            .find_created(&api, &planned(), &CreateToken::new("tk"))
            .await?;
        assert_eq!(
            found.as_ref().map(|v| ID.require(v).ok()),
            Some(Some("t-1".into()))
        );
        assert!(thing.import(&api, "t-1").await?.is_some());
        thing.delete(&api, &changed).await?;
        thing.delete(&api, &changed).await?;
        assert_eq!(thing.read(&api, &changed).await?, None);
        Ok(())
    }

    #[tokio::test]
    async fn a_lost_create_answer_makes_one_object() -> Result<(), ProviderError> {
        let api = Api {
            lose_create_answer: Mutex::new(true),
            ..Api::default()
        };
        let created = Cloud(Thing)
            .create(&api, &planned(), &CreateToken::new("tk"))
            .await?;
        assert_eq!(ID.require(&created)?, "t-1");
        assert_eq!(api.things().len(), 1);
        Ok(())
    }

    #[tokio::test]
    async fn a_failed_completion_deletes_the_new_object() {
        let api = Api {
            fail_complete: true,
            ..Api::default()
        };
        let result = Cloud(Thing)
            .create(&api, &planned(), &CreateToken::new("tk"))
            .await;
        assert_eq!(
            result.err().map(|e| e.kind()),
            Some(ErrorKind::InvalidConfig)
        );
        assert!(api.things().is_empty());
    }
}
