//! The plan as plain data: what will change, why, and what the policies said.
//!
//! A [`Plan`] is the one model every view reads (text, JSON, Markdown in
//! [`crate::render`]) and what a saved plan file holds. Values keep their unknown and
//! sensitive marks; redaction is the views' job. This module owns the data model, the
//! [`Summary`] counts and the JSON form of spec §2 (the `Serialize` impls in `json`).
//! It must not compute diffs, call providers or read state: the planner fills it in.

mod json;

use std::fmt;

use aic_lang::addr::InstanceAddr;
use aic_lang::value::{AttrPath, Value};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// The version of the plan's JSON form.
pub const FORMAT_VERSION: &str = "1";

/// Everything `aic plan` decided for one environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Version of the JSON form, [`FORMAT_VERSION`].
    pub format_version: String,
    /// The environment the plan was made for.
    pub environment: String,
    /// The state the plan was made from; `None` when the environment had no state yet.
    pub prior_state: Option<StateRef>,
    /// One entry per resource instance considered, no-ops included.
    pub resource_changes: Vec<ResourceChange>,
    /// Root module outputs by name.
    pub output_changes: IndexMap<String, OutputChange>,
    /// The outcome of every policy check, passed ones included.
    pub policy_results: Vec<PolicyResult>,
    /// Objects that changed outside aic since the last apply, as found by refresh:
    /// `Update` (changed) or `Delete` (gone), with `before` the recorded object and
    /// `after` the object found.
    pub drift: Vec<ResourceChange>,
    /// A digest of the configuration the plan was made from.
    pub config_digest: String,
}

impl Plan {
    /// An empty plan for `environment`.
    pub fn new(environment: impl Into<String>) -> Plan {
        Plan {
            format_version: FORMAT_VERSION.to_owned(),
            environment: environment.into(),
            prior_state: None,
            resource_changes: Vec::new(),
            output_changes: IndexMap::new(),
            policy_results: Vec::new(),
            drift: Vec::new(),
            config_digest: String::new(),
        }
    }

    /// The counts of the `Plan: …` line.
    pub fn summary(&self) -> Summary {
        Summary::of(&self.resource_changes)
    }

    /// Whether applying the plan would do anything: a resource action other than a
    /// no-op, or a changed output.
    pub fn has_changes(&self) -> bool {
        self.resource_changes
            .iter()
            .any(|c| c.action != Action::NoOp)
            || self
                .output_changes
                .values()
                .any(|c| c.action != Action::NoOp)
    }

    /// Whether a policy check at level `error` failed, so the plan must not be applied.
    pub fn has_policy_errors(&self) -> bool {
        self.policy_results
            .iter()
            .any(|r| !r.passed && !r.deferred && r.level == PolicyLevel::Error)
    }
}

/// The state a plan was made from: applying it to any other state is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateRef {
    pub lineage: String,
    pub serial: u64,
}

/// The planned change of one resource instance.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceChange {
    pub addr: InstanceAddr,
    /// The provider that manages the instance, e.g. `aws`.
    pub provider: String,
    pub action: Action,
    /// The object as recorded in state (or as refreshed); `None` when it does not exist.
    pub before: Option<Value>,
    /// The planned object, with unknown and sensitive marks; `None` when it is destroyed.
    pub after: Option<Value>,
    /// The attribute paths whose change forces the replacement.
    pub replace_paths: Vec<AttrPath>,
    /// Why the action was chosen, when it is not obvious from the diff.
    pub reason: Option<ChangeReason>,
}

impl ResourceChange {
    /// A change without replace paths or reason; the provider is taken from the
    /// resource type.
    pub fn new(
        addr: InstanceAddr,
        action: Action,
        before: Option<Value>,
        after: Option<Value>,
    ) -> ResourceChange {
        ResourceChange {
            provider: addr.resource.provider_name().to_owned(),
            addr,
            action,
            before,
            after,
            replace_paths: Vec::new(),
            reason: None,
        }
    }
}

/// What happens to a resource instance (or an output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    NoOp,
    Create,
    /// Read a data source during apply (its configuration depends on unknown values).
    Read,
    Update,
    Delete,
    /// Replace: destroy the old object, then create the new one.
    DeleteThenCreate,
    /// Replace under `create_before_destroy`: create the new object, then destroy the old.
    CreateThenDelete,
}

impl Action {
    /// Whether the action replaces the object.
    pub fn is_replace(self) -> bool {
        matches!(self, Action::DeleteThenCreate | Action::CreateThenDelete)
    }

    /// The action whose `actions` array (JSON form) is `actions`.
    pub fn from_json_actions(actions: &[&str]) -> Option<Action> {
        [
            Action::NoOp,
            Action::Create,
            Action::Read,
            Action::Update,
            Action::Delete,
            Action::DeleteThenCreate,
            Action::CreateThenDelete,
        ]
        .into_iter()
        .find(|a| a.json_actions() == actions)
    }

    /// The action as the `actions` array of the JSON form, in execution order.
    pub fn json_actions(self) -> &'static [&'static str] {
        match self {
            Action::NoOp => &["no-op"],
            Action::Create => &["create"],
            Action::Read => &["read"],
            Action::Update => &["update"],
            Action::Delete => &["delete"],
            Action::DeleteThenCreate => &["delete", "create"],
            Action::CreateThenDelete => &["create", "delete"],
        }
    }
}

/// Why an action was chosen, shown next to the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeReason {
    /// Replaced because a changed attribute cannot be updated in place.
    CannotUpdate,
    /// Replaced because the object is tainted (a create failed half-way: interrupted, or
    /// failed leaving the object recorded `tainted`).
    Tainted,
    /// Replaced because the user asked for it (`--replace`).
    ReplaceByRequest,
    /// Replaced because something in its `replace_triggered_by` changed.
    ReplaceTriggeredBy,
    /// Destroyed because its resource block is gone from the configuration.
    DeletedFromConfig,
    /// Destroyed because its `count` index is now out of range.
    CountIndexGone,
    /// Destroyed because its `for_each` key is no longer in the map.
    EachKeyGone,
    /// Destroyed because its module call is gone from the configuration.
    ModuleGone,
    /// Read during apply because its configuration refers to values not yet known.
    ReadConfigUnknown,
    /// Read during apply because it depends on a resource with changes pending.
    ReadDependencyPending,
}

impl ChangeReason {
    /// The reason's name in the JSON form (`action_reason`, as Terraform's).
    pub fn json_name(self) -> &'static str {
        match self {
            ChangeReason::CannotUpdate => "replace_because_cannot_update",
            ChangeReason::Tainted => "replace_because_tainted",
            ChangeReason::ReplaceByRequest => "replace_by_request",
            ChangeReason::ReplaceTriggeredBy => "replace_by_triggers",
            ChangeReason::DeletedFromConfig => "delete_because_no_resource_config",
            ChangeReason::CountIndexGone => "delete_because_count_index",
            ChangeReason::EachKeyGone => "delete_because_each_key",
            ChangeReason::ModuleGone => "delete_because_no_module",
            ChangeReason::ReadConfigUnknown => "read_because_config_unknown",
            ChangeReason::ReadDependencyPending => "read_because_dependency_pending",
        }
    }
}

/// The planned change of one root module output.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputChange {
    pub action: Action,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// The outcome of one policy check on one resource instance (or on the whole plan).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyResult {
    /// The policy's name.
    pub policy: String,
    /// The instance checked; `None` for a check on the plan as a whole.
    pub address: Option<InstanceAddr>,
    pub level: PolicyLevel,
    pub passed: bool,
    /// Not decided at plan time: the assertion depends on values known only after
    /// apply, which checks it on the applied object. A deferred result is not passed.
    pub deferred: bool,
    /// The policy's message; for a passed check, what was verified.
    pub message: String,
}

/// How a failed policy check weighs: an error blocks the apply, a warning does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyLevel {
    Error,
    Warning,
}

impl fmt::Display for PolicyLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PolicyLevel::Error => "error",
            PolicyLevel::Warning => "warning",
        })
    }
}

/// The counts of a plan's resource actions. A replacement counts in `add` and in
/// `destroy` (as Terraform's `Plan:` line) and once more in `replace`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
    pub replace: usize,
    pub read: usize,
}

impl Summary {
    /// Counts the actions of `changes`.
    pub fn of<'a>(changes: impl IntoIterator<Item = &'a ResourceChange>) -> Summary {
        let mut summary = Summary::default();
        for change in changes {
            match change.action {
                Action::NoOp => {}
                Action::Create => summary.add += 1,
                Action::Read => summary.read += 1,
                Action::Update => summary.change += 1,
                Action::Delete => summary.destroy += 1,
                Action::DeleteThenCreate | Action::CreateThenDelete => {
                    summary.add += 1;
                    summary.destroy += 1;
                    summary.replace += 1;
                }
            }
        }
        summary
    }
}

/// `Plan: X to add, Y to change, Z to destroy.`
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Plan: {} to add, {} to change, {} to destroy.",
            self.add, self.change, self.destroy
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aic_lang::addr::ResourceAddr;

    fn change(name: &str, action: Action) -> ResourceChange {
        let addr = InstanceAddr {
            module: Default::default(),
            resource: ResourceAddr::managed("aws_instance", name),
            key: None,
        };
        ResourceChange::new(addr, action, None, None)
    }

    #[test]
    fn a_replacement_counts_as_add_and_destroy() {
        let changes = [
            change("a", Action::Create),
            change("b", Action::Update),
            change("c", Action::DeleteThenCreate),
            change("d", Action::CreateThenDelete),
            change("e", Action::Delete),
            change("f", Action::Read),
            change("g", Action::NoOp),
        ];
        let summary = Summary::of(&changes);
        assert_eq!(
            summary,
            Summary {
                add: 3,
                change: 1,
                destroy: 3,
                replace: 2,
                read: 1
            }
        );
        assert_eq!(
            summary.to_string(),
            "Plan: 3 to add, 1 to change, 3 to destroy."
        );
    }

    #[test]
    fn no_ops_are_not_changes() {
        let mut plan = Plan::new("dev");
        plan.resource_changes.push(change("a", Action::NoOp));
        assert!(!plan.has_changes());
        plan.resource_changes.push(change("b", Action::Read));
        assert!(plan.has_changes());
    }
}
