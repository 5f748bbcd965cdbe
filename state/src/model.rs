//! The state as plain data: what an environment's state file holds.
//!
//! Owns the serialised shape (`format_version` 1) and small in-memory edits
//! (find, insert or replace, remove a resource). Does no I/O and knows nothing of
//! files, journals or locks: persistence is behind [`super::StateStore`].

use std::fmt;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The state format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// The whole state of one environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Version of this file format; a file with a higher one is refused.
    pub format_version: u32,
    /// Random identity of this state, fixed when it is created. Two files with different
    /// lineages are different states, never versions of one another.
    pub lineage: String,
    /// Incremented by every write of the state file.
    pub serial: u64,
    /// Resource instances, kept sorted by address in the file.
    #[serde(default)]
    pub resources: Vec<ResourceState>,
    /// Root module outputs by name.
    #[serde(default)]
    pub outputs: IndexMap<String, OutputState>,
    /// Progress of each rollout by rollout name; the rollout engine owns the shape.
    #[serde(default)]
    pub rollouts: IndexMap<String, Value>,
}

/// One resource instance as last applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceState {
    /// Full instance address, e.g. `module.region["eu"].aws_instance.web[0]`.
    pub address: String,
    /// The module instance part of the address; empty for the root module.
    #[serde(default)]
    pub module: String,
    /// The resource type, e.g. `aws_instance`.
    #[serde(rename = "type")]
    pub type_: String,
    /// The resource name, e.g. `web`.
    pub name: String,
    /// The instance key: a number for `count`, a string for `for_each`; absent for a single instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<Value>,
    /// The provider (instance) that manages the object.
    pub provider: String,
    /// The object's attributes as the provider last returned them.
    #[serde(default)]
    pub attributes: Value,
    /// Attribute paths whose values are sensitive.
    #[serde(default)]
    pub sensitive_paths: Vec<Vec<PathStep>>,
    /// Addresses this instance depended on when applied (used to order its destruction).
    #[serde(default)]
    pub dependencies: Vec<String>,
    /// The configuration the object was last applied with.
    #[serde(default)]
    pub applied_config: Value,
    /// A create of this address was started but its result was never recorded (the
    /// process stopped during the provider call): the object may exist in the cloud
    /// without the state knowing it. The engine reconciles such entries.
    #[serde(default, skip_serializing_if = "is_false")]
    pub create_pending: bool,
    /// The token the engine gave the provider with a create it journaled
    /// (`aic_provider::ConfiguredProvider::create_with_token`): after a crash, the provider
    /// finds the object that create made by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_token: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One step of an attribute path: an object key or a list index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathStep {
    /// A list or tuple element.
    Index(u64),
    /// An object attribute or map key.
    Key(String),
}

impl fmt::Display for PathStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathStep::Index(i) => write!(f, "[{i}]"),
            PathStep::Key(k) => write!(f, ".{k}"),
        }
    }
}

/// A root module output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputState {
    /// The output's value.
    pub value: Value,
    /// Whether the value is hidden from display.
    #[serde(default)]
    pub sensitive: bool,
}

impl State {
    /// A new, empty state with a fresh random lineage and serial 0 (the first write
    /// makes it 1).
    pub fn new() -> Self {
        State {
            format_version: FORMAT_VERSION,
            lineage: uuid::Uuid::new_v4().to_string(),
            serial: 0,
            resources: Vec::new(),
            outputs: IndexMap::new(),
            rollouts: IndexMap::new(),
        }
    }

    /// The resource instance at `address`, if recorded.
    pub fn resource(&self, address: &str) -> Option<&ResourceState> {
        self.resources.iter().find(|r| r.address == address)
    }

    /// Records `resource`, replacing any entry with the same address.
    pub fn set_resource(&mut self, resource: ResourceState) {
        match self
            .resources
            .iter_mut()
            .find(|r| r.address == resource.address)
        {
            Some(slot) => *slot = resource,
            None => self.resources.push(resource),
        }
    }

    /// Removes and returns the entry at `address`.
    pub fn remove_resource(&mut self, address: &str) -> Option<ResourceState> {
        let at = self.resources.iter().position(|r| r.address == address)?;
        Some(self.resources.remove(at))
    }

    /// Addresses whose create was started but never recorded: the object may exist
    /// without the state knowing it (see [`ResourceState::create_pending`]).
    pub fn unrecorded_creates(&self) -> Vec<&str> {
        self.resources
            .iter()
            .filter(|r| r.create_pending)
            .map(|r| r.address.as_str())
            .collect()
    }

    /// Sorts resources by address, the order in which they are saved.
    pub fn sort_resources(&mut self) {
        self.resources.sort_by(|a, b| a.address.cmp(&b.address));
    }
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn web(index: u64) -> ResourceState {
        ResourceState {
            address: format!("aws_instance.web[{index}]"),
            module: String::new(),
            type_: "aws_instance".into(),
            name: "web".into(),
            index: Some(json!(index)),
            provider: "aws".into(),
            attributes: json!({"id": format!("i-{index}"), "password": "x"}),
            sensitive_paths: vec![vec![PathStep::Key("password".into())]],
            dependencies: vec![],
            applied_config: json!({}),
            create_pending: false,
            create_token: None,
        }
    }

    #[test]
    fn serialised_shape_uses_type_and_omits_default_flags() {
        let v = serde_json::to_value(web(0)).unwrap();
        assert_eq!(v["type"], "aws_instance");
        assert_eq!(v["index"], 0);
        assert_eq!(v["sensitive_paths"], json!([["password"]]));
        assert!(v.get("create_pending").is_none());
        assert!(v.get("create_token").is_none());
        assert!(v.get("type_").is_none());
    }

    #[test]
    fn path_steps_are_numbers_or_strings() {
        let p: Vec<PathStep> = serde_json::from_value(json!(["tags", 3, "k"])).unwrap();
        assert_eq!(
            p,
            vec![
                PathStep::Key("tags".into()),
                PathStep::Index(3),
                PathStep::Key("k".into())
            ]
        );
        let shown: String = p.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ".tags[3].k");
    }

    #[test]
    fn set_replaces_by_address_and_remove_returns_entry() {
        let mut s = State::new();
        s.set_resource(web(1));
        s.set_resource(web(0));
        let mut changed = web(1);
        changed.attributes = json!({"id": "i-new"});
        s.set_resource(changed.clone());
        assert_eq!(s.resources.len(), 2);
        assert_eq!(s.resource("aws_instance.web[1]"), Some(&changed));
        s.sort_resources();
        assert_eq!(s.resources[0].address, "aws_instance.web[0]");
        assert!(s.remove_resource("aws_instance.web[0]").is_some());
        assert!(s.remove_resource("aws_instance.web[0]").is_none());
    }

    #[test]
    fn numbers_survive_a_save_and_load_exactly() {
        let mut s = State::new();
        let mut r = web(0);
        r.attributes = json!({"big": 6.156225564427403e206, "sum": 0.1 + 0.2, "n": u64::MAX});
        s.set_resource(r);
        let text = serde_json::to_vec_pretty(&s).unwrap();
        assert_eq!(serde_json::from_slice::<State>(&text).unwrap(), s);
    }

    #[test]
    fn new_states_get_distinct_lineages() {
        let (a, b) = (State::new(), State::new());
        assert_ne!(a.lineage, b.lineage);
        assert_eq!(a.serial, 0);
        assert_eq!(a.format_version, FORMAT_VERSION);
    }
}
