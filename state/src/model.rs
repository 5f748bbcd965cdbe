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
    /// Resource instances by address, kept sorted by address in the file.
    #[serde(default)]
    pub resources: Resources,
    /// Root module outputs by name.
    #[serde(default)]
    pub outputs: IndexMap<String, OutputState>,
    /// Progress of each rollout by rollout name; the rollout engine owns the shape.
    #[serde(default)]
    pub rollouts: IndexMap<String, Value>,
}

/// The resource instances of a state, indexed by address.
///
/// Looking an address up is a hash lookup, so planning and applying stay linear in the
/// number of resources (a list searched from the front made a 100,000-resource plan
/// quadratic). Serialised as a list of [`ResourceState`], the shape the state file has
/// always had; iteration follows insertion order until [`Resources::sort`] orders it by
/// address, as it is saved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resources(IndexMap<String, ResourceState>);

impl Resources {
    /// No resources.
    pub fn new() -> Self {
        Resources(IndexMap::new())
    }

    /// How many resource instances are recorded.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no resource instance is recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entry at `address`.
    pub fn get(&self, address: &str) -> Option<&ResourceState> {
        self.0.get(address)
    }

    /// The entry at `address`, to change anything but its address.
    pub fn get_mut(&mut self, address: &str) -> Option<&mut ResourceState> {
        self.0.get_mut(address)
    }

    /// Whether an entry is recorded at `address`.
    pub fn contains(&self, address: &str) -> bool {
        self.0.contains_key(address)
    }

    /// Records `resource` under its address, returning the entry it replaced (which keeps
    /// its position).
    pub fn insert(&mut self, resource: ResourceState) -> Option<ResourceState> {
        self.0.insert(resource.address.clone(), resource)
    }

    /// Same as [`Resources::insert`], for code that builds a list.
    pub fn push(&mut self, resource: ResourceState) {
        self.insert(resource);
    }

    /// Removes the entry at `address` in constant time: the last entry takes its place
    /// (the state is sorted by address again before it is saved).
    pub fn remove(&mut self, address: &str) -> Option<ResourceState> {
        self.0.swap_remove(address)
    }

    /// Keeps only the entries `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&ResourceState) -> bool) {
        self.0.retain(|_, r| keep(r));
    }

    /// The entries in order.
    pub fn iter(&self) -> indexmap::map::Values<'_, String, ResourceState> {
        self.0.values()
    }

    /// The entries in order, to change anything but their addresses.
    pub fn iter_mut(&mut self) -> indexmap::map::ValuesMut<'_, String, ResourceState> {
        self.0.values_mut()
    }

    /// The entry at position `index` in the current order.
    pub fn get_index(&self, index: usize) -> Option<&ResourceState> {
        self.0.get_index(index).map(|(_, r)| r)
    }

    /// Orders the entries by address, the order in which they are saved.
    pub fn sort(&mut self) {
        self.0.sort_unstable_keys();
    }
}

impl std::ops::Index<usize> for Resources {
    type Output = ResourceState;

    fn index(&self, index: usize) -> &ResourceState {
        &self.0[index]
    }
}

impl<'a> IntoIterator for &'a Resources {
    type Item = &'a ResourceState;
    type IntoIter = indexmap::map::Values<'a, String, ResourceState>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.values()
    }
}

impl<'a> IntoIterator for &'a mut Resources {
    type Item = &'a mut ResourceState;
    type IntoIter = indexmap::map::ValuesMut<'a, String, ResourceState>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.values_mut()
    }
}

impl IntoIterator for Resources {
    type Item = ResourceState;
    type IntoIter = indexmap::map::IntoValues<String, ResourceState>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_values()
    }
}

impl FromIterator<ResourceState> for Resources {
    fn from_iter<I: IntoIterator<Item = ResourceState>>(iter: I) -> Self {
        let mut out = Resources::new();
        out.extend(iter);
        out
    }
}

impl Extend<ResourceState> for Resources {
    fn extend<I: IntoIterator<Item = ResourceState>>(&mut self, iter: I) {
        for r in iter {
            self.insert(r);
        }
    }
}

impl Serialize for Resources {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.values())
    }
}

impl<'de> Deserialize<'de> for Resources {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let list = Vec::<ResourceState>::deserialize(deserializer)?;
        let mut out = IndexMap::with_capacity(list.len());
        for r in list {
            let address = r.address.clone();
            if out.insert(address.clone(), r).is_some() {
                return Err(serde::de::Error::custom(format!(
                    "the resource {address} is listed twice"
                )));
            }
        }
        Ok(Resources(out))
    }
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
    /// The create of this object failed after the object came into being (the provider
    /// returned the error together with the object, e.g. an Azure VM whose provisioning
    /// ended `Failed`): it exists and is recorded, but is not what the configuration asked
    /// for, so the next plan replaces it — Terraform's "tainted". Absent (false) in files
    /// written before it existed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub tainted: bool,
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
            resources: Resources::new(),
            outputs: IndexMap::new(),
            rollouts: IndexMap::new(),
        }
    }

    /// The resource instance at `address`, if recorded.
    pub fn resource(&self, address: &str) -> Option<&ResourceState> {
        self.resources.get(address)
    }

    /// Records `resource`, replacing any entry with the same address.
    pub fn set_resource(&mut self, resource: ResourceState) {
        self.resources.insert(resource);
    }

    /// Removes and returns the entry at `address`.
    pub fn remove_resource(&mut self, address: &str) -> Option<ResourceState> {
        self.resources.remove(address)
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
        self.resources.sort();
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
            tainted: false,
        }
    }

    #[test]
    fn serialised_shape_uses_type_and_omits_default_flags() {
        let v = serde_json::to_value(web(0)).unwrap();
        assert_eq!(v["type"], "aws_instance");
        assert_eq!(v["index"], 0);
        assert_eq!(v["sensitive_paths"], json!([["password"]]));
        assert!(v.get("create_pending").is_none());
        assert!(v.get("tainted").is_none());
        assert!(v.get("create_token").is_none());
        assert!(v.get("type_").is_none());
    }

    #[test]
    fn a_tainted_entry_round_trips_and_old_entries_read_untainted() {
        let tainted = ResourceState {
            tainted: true,
            ..web(1)
        };
        let v = serde_json::to_value(&tainted).unwrap();
        assert_eq!(v["tainted"], true);
        assert_eq!(serde_json::from_value::<ResourceState>(v).unwrap(), tainted);
        // A file written before the field existed.
        let mut old = serde_json::to_value(web(0)).unwrap();
        if let Some(o) = old.as_object_mut() {
            o.remove("tainted");
        }
        assert!(
            !serde_json::from_value::<ResourceState>(old)
                .unwrap()
                .tainted
        );
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
    fn the_file_keeps_its_list_shape_and_refuses_an_address_listed_twice() {
        let mut s = State::new();
        s.set_resource(web(1));
        s.set_resource(web(0));
        s.sort_resources();
        let v = serde_json::to_value(&s).unwrap();
        let listed: Vec<&str> = v["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["address"].as_str().unwrap())
            .collect();
        assert_eq!(listed, ["aws_instance.web[0]", "aws_instance.web[1]"]);

        let mut twice = v.clone();
        let first = twice["resources"][0].clone();
        twice["resources"].as_array_mut().unwrap().push(first);
        let err = serde_json::from_value::<State>(twice).unwrap_err();
        assert!(
            err.to_string()
                .contains("aws_instance.web[0] is listed twice"),
            "{err}"
        );
    }

    #[test]
    fn removing_keeps_every_other_entry_findable() {
        let mut s = State::new();
        for i in 0..5 {
            s.set_resource(web(i));
        }
        assert!(s.remove_resource("aws_instance.web[1]").is_some());
        for i in [0, 2, 3, 4] {
            let address = format!("aws_instance.web[{i}]");
            assert_eq!(s.resource(&address).map(|r| &r.address), Some(&address));
        }
        s.sort_resources();
        let order: Vec<&str> = s.resources.iter().map(|r| r.address.as_str()).collect();
        assert_eq!(
            order,
            [
                "aws_instance.web[0]",
                "aws_instance.web[2]",
                "aws_instance.web[3]",
                "aws_instance.web[4]"
            ]
        );
    }

    #[test]
    fn new_states_get_distinct_lineages() {
        let (a, b) = (State::new(), State::new());
        assert_ne!(a.lineage, b.lineage);
        assert_eq!(a.serial, 0);
        assert_eq!(a.format_version, FORMAT_VERSION);
    }
}
