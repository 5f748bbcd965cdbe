//! What every ARM resource type shares, written once: an [`ArmType`] says where its
//! objects live (their id), what its PUT sends and how ARM's JSON reads back, and
//! [`Typed`] makes it a kit [`Resource`]: create and update are one PUT polled to its end,
//! delete one DELETE polled to its end, refresh one listing per collection (a resource
//! group's VMs, a network's subnets) following `nextLink`, import a GET by ARM id.
//!
//! A create whose operation ends `Failed` leaves an object in that state in Azure: the
//! error carries ARM's code and message and that object, read back (the kit's
//! `finish_or_keep`), which the engine records tainted so that the next plan replaces it,
//! as Terraform does (only an object that cannot even be read is deleted again). A
//! create whose answer was lost is found by its id (ARM names are unique in their
//! collection): PUT is idempotent, so repeating it does no harm either.

use std::collections::HashMap;

use aic_lang::value::Value;
use aic_provider::{Problem, ProviderError, ResourceSchema};
use aic_provider_kit::bulk::Results;
use aic_provider_kit::create::{finish_or_keep, make};
use aic_provider_kit::lro::Answer;
use aic_provider_kit::values::{empty_as_prior, id_if_any};
use aic_provider_kit::{Attr, CreateToken, Resource};
use async_trait::async_trait;
use azure_core::Method;
use indexmap::IndexMap;
use serde_json::{json, Value as Json};

use crate::client::{no_targets, Arm, Targets};
use crate::ids::ArmId;

pub(crate) const NAME: Attr<String> = Attr::new("name");
pub(crate) const RESOURCE_GROUP_NAME: Attr<String> = Attr::new("resource_group_name");
pub(crate) const LOCATION: Attr<String> = Attr::new("location");
pub(crate) const TAGS: Attr<IndexMap<String, String>> = Attr::new("tags");

/// The plain ARM DELETE of `what` at `id` (one request): what [`ArmType::start_delete`]
/// sends unless a type has more to check first.
pub(crate) async fn send_delete(
    cx: &Arm,
    what: &str,
    id: &ArmId,
    api: &str,
) -> Result<Answer, ProviderError> {
    cx.send(
        &format!("DELETE {what}"),
        Method::Delete,
        &id.to_string(),
        api,
        None,
        no_targets,
    )
    .await
}

/// One ARM resource type.
#[async_trait]
pub(crate) trait ArmType: Send + Sync + 'static {
    /// The type name, `azurerm_…`.
    fn type_name(&self) -> &'static str;
    /// The schema.
    fn schema(&self) -> ResourceSchema;
    /// What an object is, for messages ("virtual network").
    fn what(&self) -> &'static str;
    /// The ARM types of its id (`["Microsoft.Network/virtualNetworks", "subnets"]`).
    fn kinds(&self) -> &'static [&'static str];
    /// The api-version of its calls.
    fn api(&self) -> &'static str;
    /// Where ARM's `error.target`s point in the configuration.
    fn targets(&self) -> Targets {
        no_targets
    }
    /// Rules beyond the schema.
    fn validate(&self, _config: &Value, _problems: &mut Vec<Problem>) {}

    /// The id the object of `planned` has.
    fn id(&self, cx: &Arm, planned: &Value) -> Result<ArmId, ProviderError>;

    /// The body of the PUT that makes the object `planned` describes (`existing`: the
    /// object as ARM has it, on an update).
    async fn body(
        &self,
        cx: &Arm,
        planned: &Value,
        existing: Option<&Json>,
    ) -> Result<Json, ProviderError>;

    /// The object of ARM's JSON; `known` is the planned or prior object, for what ARM
    /// never returns (secrets).
    fn value(&self, json: &Json, known: Option<&Value>) -> Result<Value, ProviderError>;

    /// Starts the PUT (one request). Plain ARM REST unless the type's SDK client sends it.
    async fn start_put(&self, cx: &Arm, id: &ArmId, body: &Json) -> Result<Answer, ProviderError> {
        cx.send(
            &format!("PUT {}", self.what()),
            Method::Put,
            &id.to_string(),
            self.api(),
            Some(body),
            self.targets(),
        )
        .await
    }

    /// Starts the DELETE (one request).
    async fn start_delete(&self, cx: &Arm, id: &ArmId) -> Result<Answer, ProviderError> {
        send_delete(cx, self.what(), id, self.api()).await
    }

    /// The object at `id` as ARM has it; `None` when gone.
    async fn get(&self, cx: &Arm, id: &ArmId) -> Result<Option<Json>, ProviderError> {
        cx.get(&format!("GET {}", self.what()), &id.to_string(), self.api())
            .await
    }

    /// Every object of the collection `member` is in.
    async fn list(&self, cx: &Arm, member: &ArmId) -> Result<Vec<Json>, ProviderError> {
        cx.list(
            &format!("list {}s", self.what()),
            &member.collection(),
            self.api(),
        )
        .await
    }
}

/// An [`ArmType`] as a kit resource.
pub(crate) struct Typed<T>(pub T);

impl<T: ArmType> Typed<T> {
    fn known_id(&self, object: &Value) -> Result<Option<ArmId>, ProviderError> {
        id_if_any(object)
            .map(|id| ArmId::parse(&id, self.0.what()))
            .transpose()
    }

    fn read_back(&self, json: &Json, known: Option<&Value>) -> Result<Value, ProviderError> {
        let found = self.0.value(json, known)?;
        Ok(match known {
            Some(known) => empty_as_prior(known, found),
            None => found,
        })
    }

    async fn put(
        &self,
        cx: &Arm,
        id: &ArmId,
        planned: &Value,
        existing: Option<&Json>,
    ) -> Result<Json, ProviderError> {
        let body = self.0.body(cx, planned, existing).await?;
        let operation = format!("PUT {}", self.0.what());
        cx.put_with(&operation, &id.to_string(), self.0.api(), || {
            self.0.start_put(cx, id, &body)
        })
        .await?;
        self.settled(cx, id, &operation).await
    }

    /// The object after an operation ended: as ARM has it, whose `provisioningState` is
    /// the truth.
    async fn settled(&self, cx: &Arm, id: &ArmId, operation: &str) -> Result<Json, ProviderError> {
        let found =
            self.0.get(cx, id).await?.ok_or_else(|| {
                ProviderError::not_found(format!("Azure {operation}: {id} is gone"))
            })?;
        let state = text(&found, "/properties/provisioningState").unwrap_or("Succeeded");
        if state.eq_ignore_ascii_case("failed") {
            return Err(ProviderError::other(format!(
                "Azure {operation}: {id} is in provisioning state `Failed`"
            )));
        }
        Ok(found)
    }

    async fn delete_id(&self, cx: &Arm, id: &ArmId) -> Result<(), ProviderError> {
        cx.delete_with(
            &format!("DELETE {}", self.0.what()),
            &id.to_string(),
            self.0.api(),
            || self.0.start_delete(cx, id),
        )
        .await
    }
}

#[async_trait]
impl<T: ArmType> Resource<Arm> for Typed<T> {
    fn type_name(&self) -> &'static str {
        self.0.type_name()
    }

    fn schema(&self) -> ResourceSchema {
        self.0.schema()
    }

    fn validate(&self, config: &Value, problems: &mut Vec<Problem>) {
        self.0.validate(config, problems);
    }

    async fn create(
        &self,
        cx: &Arm,
        planned: &Value,
        _token: &CreateToken,
    ) -> Result<Value, ProviderError> {
        let id = self.0.id(cx, planned)?;
        let operation = format!("PUT {}", self.0.what());
        let body = self.0.body(cx, planned, None).await?;
        // A lost answer (a 5xx, a timeout) may have started the operation: look for the
        // object before sending the PUT again (a second write to a network while the first
        // runs ends `AnotherOperationInProgress`); found, it is followed by its
        // `provisioningState`.
        let first = make(
            cx,
            || self.0.start_put(cx, &id, &body),
            || async {
                Ok(self.0.get(cx, &id).await?.map(|json| Answer {
                    status: 200,
                    headers: Vec::new(),
                    body: Some(json),
                }))
            },
        )
        .await?;
        let path = id.to_string();
        let finish = async {
            cx.track(&operation, &path, self.0.api(), &first).await?;
            self.settled(cx, &id, &operation).await
        };
        // Failed, the object stays as ARM has it (`provisioningState` `Failed`) and goes
        // back with the error: recorded tainted, the next plan replaces it.
        let json = finish_or_keep(
            finish,
            || async {
                match self.0.get(cx, &id).await? {
                    Some(json) => self.read_back(&json, Some(planned)).map(Some),
                    None => Ok(None),
                }
            },
            || self.delete_id(cx, &id),
            &format!("{} {path}", self.0.what()),
        )
        .await?;
        self.read_back(&json, Some(planned))
    }

    async fn find_created(
        &self,
        cx: &Arm,
        planned: &Value,
        _token: &CreateToken,
    ) -> Result<Option<Value>, ProviderError> {
        let id = self.0.id(cx, planned)?;
        match self.0.get(cx, &id).await? {
            Some(json) => self.read_back(&json, Some(planned)).map(Some),
            None => Ok(None),
        }
    }

    async fn read_many(&self, cx: &Arm, priors: &[Value]) -> Results {
        let ids: Vec<Result<Option<ArmId>, ProviderError>> =
            priors.iter().map(|p| self.known_id(p)).collect();
        // One listing per collection.
        let mut listed: HashMap<String, Result<HashMap<String, Json>, ProviderError>> =
            HashMap::new();
        for id in ids.iter().flatten().flatten() {
            let collection = id.collection().to_ascii_lowercase();
            if listed.contains_key(&collection) {
                continue;
            }
            let items = self.0.list(cx, id).await.map(|items| {
                items
                    .into_iter()
                    .filter_map(|item| {
                        let key = item.get("id")?.as_str()?.to_ascii_lowercase();
                        Some((key, item))
                    })
                    .collect()
            });
            listed.insert(collection, items);
        }
        ids.into_iter()
            .zip(priors)
            .map(|(id, prior)| {
                let Some(id) = id? else { return Ok(None) };
                let key = id.collection().to_ascii_lowercase();
                match listed.get(&key) {
                    Some(Ok(items)) => match items.get(&id.to_string().to_ascii_lowercase()) {
                        Some(json) => self.read_back(json, Some(prior)).map(Some),
                        None => Ok(None),
                    },
                    Some(Err(e)) => Err(e.clone()),
                    None => Ok(None),
                }
            })
            .collect()
    }

    async fn read(&self, cx: &Arm, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let Some(id) = self.known_id(prior)? else {
            return Ok(None);
        };
        match self.0.get(cx, &id).await? {
            Some(json) => self.read_back(&json, Some(prior)).map(Some),
            None => Ok(None),
        }
    }

    async fn update(
        &self,
        cx: &Arm,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let id = match self.known_id(prior)? {
            Some(id) => id,
            None => self.0.id(cx, planned)?,
        };
        let existing = self.0.get(cx, &id).await?;
        let json = self.put(cx, &id, planned, existing.as_ref()).await?;
        self.read_back(&json, Some(planned))
    }

    async fn delete(&self, cx: &Arm, prior: &Value) -> Result<(), ProviderError> {
        let id = match self.known_id(prior)? {
            Some(id) => id,
            None => self.0.id(cx, prior)?,
        };
        self.delete_id(cx, &id).await
    }

    async fn import(&self, cx: &Arm, id: &str) -> Result<Option<Value>, ProviderError> {
        let parsed = ArmId::parse(id, self.0.what())?;
        if !parsed.is(self.0.kinds()) {
            return Err(ProviderError::invalid_config(format!(
                "`{id}` is not the id of a {} (a {})",
                self.0.what(),
                self.0.kinds().join("/")
            )));
        }
        match self.0.get(cx, &parsed).await? {
            Some(json) => self.read_back(&json, None).map(Some),
            None => Ok(None),
        }
    }
}

/// `attr` of `object`, `None` when null or not known yet (a nested computed attribute of a
/// planned block: the kit nulls only top-level unknowns).
pub(crate) fn known<T: aic_provider_kit::FieldType>(
    attr: Attr<T>,
    object: &Value,
) -> Result<Option<T>, ProviderError> {
    match object.get(attr.name()) {
        Some(v) if !v.is_known() => Ok(None),
        _ => attr.get(object),
    }
}

/// The `tags` of an ARM object: null when it has none.
pub(crate) fn tags_of(json: &Json) -> (&'static str, Value) {
    let tags: IndexMap<String, String> = json
        .get("tags")
        .and_then(Json::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    if tags.is_empty() {
        TAGS.null()
    } else {
        TAGS.to(tags)
    }
}

/// The `tags` of a planned object, as ARM takes them.
pub(crate) fn tags_json(planned: &Value) -> Result<Json, ProviderError> {
    Ok(json!(TAGS.get(planned)?.unwrap_or_default()))
}

/// A string of ARM's JSON at `pointer`.
pub(crate) fn text<'a>(json: &'a Json, pointer: &str) -> Option<&'a str> {
    json.pointer(pointer).and_then(Json::as_str)
}

/// The strings of ARM's JSON array at `pointer`.
pub(crate) fn texts(json: &Json, pointer: &str) -> Vec<String> {
    json.pointer(pointer)
        .and_then(Json::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Json::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The id of a resource of `kind` named by `planned`'s `name` in its
/// `resource_group_name`.
pub(crate) fn named_id(cx: &Arm, planned: &Value, kind: &str) -> Result<ArmId, ProviderError> {
    Ok(ArmId::resource(
        cx.subscription(),
        &RESOURCE_GROUP_NAME.require(planned)?,
        kind,
        &NAME.require(planned)?,
    ))
}

/// The resource group and name of an id, as attributes.
pub(crate) fn placed(id: &ArmId) -> [(&'static str, Value); 2] {
    [
        NAME.to(id.name()),
        RESOURCE_GROUP_NAME.to(id.resource_group.as_str()),
    ]
}
