//! Typed addresses: resources, module instances and resource instances.
//!
//! Addresses are values with `Display`, never strings passed around. Their text form is
//! the one users type: `aws_instance.web[0]`, `data.aws_ami.ubuntu`,
//! `module.region["eu-west-1"].aws_instance.web[0]`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::value::quote_string;

/// Managed resources and data sources live in separate namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Managed,
    Data,
}

/// A resource (or data source) in one module: `aws_instance.web`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ResourceAddr {
    pub mode: Mode,
    #[serde(rename = "type")]
    pub type_name: String,
    pub name: String,
}

impl ResourceAddr {
    pub fn managed(type_name: impl Into<String>, name: impl Into<String>) -> ResourceAddr {
        ResourceAddr {
            mode: Mode::Managed,
            type_name: type_name.into(),
            name: name.into(),
        }
    }

    pub fn data(type_name: impl Into<String>, name: impl Into<String>) -> ResourceAddr {
        ResourceAddr {
            mode: Mode::Data,
            type_name: type_name.into(),
            name: name.into(),
        }
    }

    /// The provider a resource type belongs to: the part before the first `_`.
    pub fn provider_name(&self) -> &str {
        provider_of_type(&self.type_name)
    }
}

/// `aws_instance` → `aws`.
pub fn provider_of_type(type_name: &str) -> &str {
    type_name.split('_').next().unwrap_or(type_name)
}

impl fmt::Display for ResourceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mode == Mode::Data {
            write!(f, "data.")?;
        }
        write!(f, "{}.{}", self.type_name, self.name)
    }
}

/// The key of one instance of a `count` (number) or `for_each` (string) expansion.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum InstanceKey {
    Int(u64),
    Str(String),
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::Int(i) => write!(f, "[{i}]"),
            InstanceKey::Str(s) => write!(f, "[{}]", quote_string(s)),
        }
    }
}

/// One step of a module path: `module.region["eu-west-1"]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ModuleStep {
    pub name: String,
    pub key: Option<InstanceKey>,
}

/// A module instance: empty for the root module.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ModuleInstance(pub Vec<ModuleStep>);

impl ModuleInstance {
    pub fn root() -> ModuleInstance {
        ModuleInstance(Vec::new())
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    pub fn child(&self, name: impl Into<String>, key: Option<InstanceKey>) -> ModuleInstance {
        let mut steps = self.0.clone();
        steps.push(ModuleStep {
            name: name.into(),
            key,
        });
        ModuleInstance(steps)
    }
}

impl fmt::Display for ModuleInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ".")?;
            }
            write!(f, "module.{}", step.name)?;
            if let Some(k) = &step.key {
                write!(f, "{k}")?;
            }
        }
        Ok(())
    }
}

/// One instance of a resource in one module instance.
///
/// Equality and hashing look at the instance key first: the instances of one resource
/// differ only there, so comparing two of them (a hash table probing among the 100,000
/// instances of `r.c[*]`) needs no string comparison. Ordering is by module, resource,
/// then key.
#[derive(Debug, Clone, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct InstanceAddr {
    pub module: ModuleInstance,
    pub resource: ResourceAddr,
    pub key: Option<InstanceKey>,
}

impl PartialEq for InstanceAddr {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key && self.resource == other.resource && self.module == other.module
    }
}

impl std::hash::Hash for InstanceAddr {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key.hash(state);
        self.resource.hash(state);
        self.module.hash(state);
    }
}

impl InstanceAddr {
    /// The address without the instance key: `module.m.aws_instance.web`.
    pub fn without_key(&self) -> InstanceAddr {
        InstanceAddr {
            key: None,
            ..self.clone()
        }
    }
}

impl fmt::Display for InstanceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.module.is_root() {
            write!(f, "{}.", self.module)?;
        }
        write!(f, "{}", self.resource)?;
        if let Some(k) = &self.key {
            write!(f, "{k}")?;
        }
        Ok(())
    }
}

/// Why an address did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a resource address: {reason}")]
pub struct AddrParseError {
    pub input: String,
    pub reason: String,
}

impl std::str::FromStr for InstanceAddr {
    type Err = AddrParseError;

    /// Parses `module.a["k"].module.b.aws_instance.web[0]` and `data.T.N`.
    fn from_str(s: &str) -> Result<InstanceAddr, AddrParseError> {
        let err = |reason: &str| AddrParseError {
            input: s.to_string(),
            reason: reason.to_string(),
        };
        let mut rest = s.trim();
        let mut module = Vec::new();
        let word = |r: &str| -> (String, usize) {
            let n = r
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                .unwrap_or(r.len());
            (r.get(..n).unwrap_or("").to_string(), n)
        };
        let key = |r: &str| -> Result<(Option<InstanceKey>, usize), AddrParseError> {
            if !r.starts_with('[') {
                return Ok((None, 0));
            }
            let end = r.find(']').ok_or_else(|| err("unclosed `[`"))?;
            let inner = r.get(1..end).unwrap_or("").trim();
            let k = if let Some(q) = inner.strip_prefix('"').and_then(|i| i.strip_suffix('"')) {
                InstanceKey::Str(q.replace("\\\"", "\"").replace("\\\\", "\\"))
            } else {
                InstanceKey::Int(
                    inner
                        .parse()
                        .map_err(|_| err("an index must be a number or a quoted string"))?,
                )
            };
            Ok((Some(k), end + 1))
        };
        while let Some(r) = rest.strip_prefix("module.") {
            let (name, n) = word(r);
            if name.is_empty() {
                return Err(err("expected a module name after `module.`"));
            }
            let r = r.get(n..).unwrap_or("");
            let (k, kn) = key(r)?;
            module.push(ModuleStep { name, key: k });
            rest = r.get(kn..).unwrap_or("");
            rest = rest
                .strip_prefix('.')
                .ok_or_else(|| err("expected `.` after a module step"))?;
        }
        let mode = if let Some(r) = rest.strip_prefix("data.") {
            rest = r;
            Mode::Data
        } else {
            Mode::Managed
        };
        let (type_name, n) = word(rest);
        rest = rest.get(n..).unwrap_or("");
        rest = rest
            .strip_prefix('.')
            .ok_or_else(|| err("expected TYPE.NAME"))?;
        let (name, n) = word(rest);
        if type_name.is_empty() || name.is_empty() {
            return Err(err("expected TYPE.NAME"));
        }
        rest = rest.get(n..).unwrap_or("");
        let (k, kn) = key(rest)?;
        if !rest.get(kn..).unwrap_or("").is_empty() {
            return Err(err("unexpected text after the address"));
        }
        Ok(InstanceAddr {
            module: ModuleInstance(module),
            resource: ResourceAddr {
                mode,
                type_name,
                name,
            },
            key: k,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text() {
        for s in [
            "aws_instance.web",
            "aws_instance.web[3]",
            "data.aws_ami.ubuntu",
            "module.region[\"eu-west-1\"].aws_instance.web[0]",
            "module.a.module.b[2].null_resource.x[\"k\"]",
        ] {
            let a: InstanceAddr = s.parse().unwrap();
            assert_eq!(a.to_string(), s);
        }
    }

    #[test]
    fn rejects_malformed_addresses() {
        for s in [
            "aws_instance",
            "module.x",
            "aws_instance.web[",
            "a.b[x]",
            "a.b c",
        ] {
            assert!(s.parse::<InstanceAddr>().is_err(), "{s} should not parse");
        }
    }
}
