//! Azure Resource Manager ids: `/subscriptions/{s}/resourceGroups/{rg}` and
//! `/subscriptions/{s}/resourceGroups/{rg}/providers/{namespace}/{type}/{name}[/{child
//! type}/{child name}]`. ARM compares ids without regard to case; so does [`same`].

use aic_provider::ProviderError;

/// A resource's id, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmId {
    pub subscription: String,
    pub resource_group: String,
    /// `(namespace/type, name)` pairs below the group; empty for the group itself. The
    /// first type carries its namespace (`Microsoft.Network/virtualNetworks`), children
    /// their type alone (`subnets`).
    pub path: Vec<(String, String)>,
}

impl ArmId {
    /// The id of resource group `rg`.
    pub fn group(subscription: &str, rg: &str) -> ArmId {
        ArmId {
            subscription: subscription.to_owned(),
            resource_group: rg.to_owned(),
            path: Vec::new(),
        }
    }

    /// The id of `name` of type `kind` (`Microsoft.Compute/virtualMachines`) in `rg`.
    pub fn resource(subscription: &str, rg: &str, kind: &str, name: &str) -> ArmId {
        ArmId {
            path: vec![(kind.to_owned(), name.to_owned())],
            ..ArmId::group(subscription, rg)
        }
    }

    /// The child `name` of type `kind` (`subnets`) of this resource.
    #[must_use]
    pub fn child(&self, kind: &str, name: &str) -> ArmId {
        let mut child = self.clone();
        child.path.push((kind.to_owned(), name.to_owned()));
        child
    }

    /// The resource's name (the group's for a group).
    pub fn name(&self) -> &str {
        self.path
            .last()
            .map_or(self.resource_group.as_str(), |(_, n)| n.as_str())
    }

    /// The parent resource (a subnet's network); `None` for top-level resources.
    pub fn parent(&self) -> Option<ArmId> {
        (self.path.len() > 1).then(|| ArmId {
            path: self.path[..self.path.len() - 1].to_vec(),
            ..self.clone()
        })
    }

    /// The collection holding the resource, as a path to list:
    /// `…/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines`, or
    /// `/subscriptions/s/resourcegroups` for a group.
    pub fn collection(&self) -> String {
        match self.path.split_last() {
            None => format!("/subscriptions/{}/resourcegroups", self.subscription),
            Some(((kind, _), above)) => {
                let mut parent = ArmId {
                    path: above.to_vec(),
                    ..self.clone()
                }
                .to_string();
                if above.is_empty() {
                    parent.push_str("/providers");
                }
                format!("{parent}/{kind}")
            }
        }
    }

    /// Parses an id; `what` names the expected kind of resource in errors.
    pub fn parse(id: &str, what: &str) -> Result<ArmId, ProviderError> {
        let bad = || {
            ProviderError::invalid_config(format!("`{id}` is not the Azure id of {what}"))
                .with_help(
                    "Azure ids look like /subscriptions/SUB/resourceGroups/RG/providers/\
                     Microsoft.Compute/virtualMachines/NAME.",
                )
        };
        let parts: Vec<&str> = id.trim_matches('/').split('/').collect();
        let [subs, subscription, groups, rg, rest @ ..] = parts.as_slice() else {
            return Err(bad());
        };
        if !subs.eq_ignore_ascii_case("subscriptions")
            || !groups.eq_ignore_ascii_case("resourceGroups")
            || subscription.is_empty()
            || rg.is_empty()
        {
            return Err(bad());
        }
        let mut path = Vec::new();
        match rest {
            [] => {}
            [providers, namespace, kind, name, children @ ..]
                if providers.eq_ignore_ascii_case("providers") && children.len() % 2 == 0 =>
            {
                path.push((format!("{namespace}/{kind}"), (*name).to_owned()));
                for pair in children.chunks(2) {
                    path.push((pair[0].to_owned(), pair[1].to_owned()));
                }
            }
            _ => return Err(bad()),
        }
        if path.iter().any(|(_, n)| n.is_empty()) {
            return Err(bad());
        }
        Ok(ArmId {
            subscription: (*subscription).to_owned(),
            resource_group: (*rg).to_owned(),
            path,
        })
    }

    /// Whether this id's types are `kinds` (case-insensitive): `["Microsoft.Network/
    /// virtualNetworks", "subnets"]`.
    pub fn is(&self, kinds: &[&str]) -> bool {
        self.path.len() == kinds.len()
            && self
                .path
                .iter()
                .zip(kinds)
                .all(|((k, _), want)| k.eq_ignore_ascii_case(want))
    }
}

impl std::fmt::Display for ArmId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "/subscriptions/{}/resourceGroups/{}",
            self.subscription, self.resource_group
        )?;
        for (i, (kind, name)) in self.path.iter().enumerate() {
            if i == 0 {
                write!(f, "/providers")?;
            }
            write!(f, "/{kind}/{name}")?;
        }
        Ok(())
    }
}

/// Whether two ids name the same resource (ARM ids are case-insensitive).
pub fn same(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_name_their_collections() {
        let subnet = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vn/subnets/a";
        let id = ArmId::parse(subnet, "a subnet").ok();
        assert_eq!(
            id.as_ref().map(ToString::to_string).as_deref(),
            Some(subnet)
        );
        assert!(id
            .as_ref()
            .is_some_and(|i| i.is(&["Microsoft.Network/virtualNetworks", "subnets"])));
        assert_eq!(
            id.as_ref().map(ArmId::collection).as_deref(),
            Some("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vn/subnets")
        );
        let vm = ArmId::resource("s", "rg", "Microsoft.Compute/virtualMachines", "vm");
        assert_eq!(
            vm.collection(),
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines"
        );
        assert_eq!(
            ArmId::group("s", "rg").collection(),
            "/subscriptions/s/resourcegroups"
        );
        assert_eq!(
            ArmId::parse("/subscriptions/s/resourcegroups/RG", "a group")
                .ok()
                .map(|g| g.to_string()),
            Some("/subscriptions/s/resourceGroups/RG".to_owned())
        );
        assert!(ArmId::parse("/subscriptions/s", "a group").is_err());
        assert!(ArmId::parse("/subscriptions/s/resourceGroups/rg/providers/X/y", "x").is_err());
        assert!(same(
            "/subscriptions/S/resourceGroups/RG",
            "/subscriptions/s/resourcegroups/rg"
        ));
    }
}
