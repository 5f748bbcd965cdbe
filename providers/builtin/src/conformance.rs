//! The conformance cases of the built-in providers (feature `conformance`): one per
//! resource type, for [`aic_provider_testkit::Suite::run`]. Faults hit the providers'
//! `create` calls (they make no API calls), through [`CallFaults`].

use std::path::PathBuf;
use std::sync::Arc;

use aic_lang::value::Value;
use aic_provider::{Provider, Registry};
use aic_provider_testkit::{Aic, CallFaults, Case, Drift, Import, Scenario, Suite, Variant};
use async_trait::async_trait;

use crate::WithBuiltin;

/// The run of built-in provider `name`; `aic` runs its crash-recovery step.
pub async fn suite(name: &str, aic: Option<Aic>) -> Result<Suite, String> {
    let registry = Registry::with_builtin();
    let provider: &Arc<dyn Provider> = registry.require(name).map_err(|e| e.to_string())?;
    let config = Value::object(Vec::<(String, Value)>::new());
    let configured = provider
        .configure(&config)
        .await
        .map_err(|e| e.to_string())?;
    let faulty = CallFaults::wrap(configured);
    Ok(Suite {
        provider_name: name.to_owned(),
        provider_config: config,
        provider: faulty.clone(),
        faults: faulty,
        aic,
        attempts: 5,
    })
}

fn string_map(entries: &[(&str, &str)]) -> Value {
    Value::map(entries.iter().map(|(k, v)| (*k, Value::string(*v))))
}

fn text(object: &Value, name: &str) -> String {
    object
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

const IN_STATE: &str = "its objects exist only in aic's state: nothing outside can change them";

/// `null_resource`.
pub struct NullResource;

#[async_trait]
impl Case for NullResource {
    fn type_name(&self) -> &'static str {
        "null_resource"
    }

    async fn scenario(&self) -> Result<Scenario, String> {
        Ok(Scenario {
            create: Value::object([("triggers", string_map(&[("v", "1")]))]),
            update: Variant::None("its only argument, `triggers`, forces replacement"),
            replace: Variant::To(Value::object([("triggers", string_map(&[("v", "2")]))])),
            import: Import::Unsupported("a `null_resource` holds nothing to import"),
            import_ignores: vec![],
            create_request: None,
        })
    }

    async fn drift(&self, _object: &Value) -> Result<Drift, String> {
        Ok(Drift::Impossible(IN_STATE))
    }

    async fn count(&self) -> Result<Option<usize>, String> {
        Ok(None)
    }
}

/// `random_id`, `random_string` and `random_integer`.
pub struct Random(pub &'static str);

#[async_trait]
impl Case for Random {
    fn type_name(&self) -> &'static str {
        self.0
    }

    async fn scenario(&self) -> Result<Scenario, String> {
        let (create, replace, import): (Value, Value, Import) = match self.0 {
            "random_id" => (
                Value::object([
                    ("byte_length", Value::number(4.0)),
                    ("prefix", Value::string("p-")),
                ]),
                Value::object([
                    ("byte_length", Value::number(6.0)),
                    ("prefix", Value::string("p-")),
                ]),
                Import::Id(Box::new(|o| format!("p-,{}", text(o, "id")))),
            ),
            "random_string" => (
                Value::object([("length", Value::number(12.0))]),
                Value::object([("length", Value::number(16.0))]),
                Import::Id(Box::new(|o| text(o, "result"))),
            ),
            _ => (
                Value::object([
                    ("min", Value::number(1.0)),
                    ("max", Value::number(100.0)),
                    ("seed", Value::string("conformance")),
                ]),
                Value::object([
                    ("min", Value::number(1.0)),
                    ("max", Value::number(1000.0)),
                    ("seed", Value::string("conformance")),
                ]),
                Import::Id(Box::new(|o| {
                    let bound = |name: &str| {
                        o.get(name)
                            .and_then(Value::as_integer)
                            .map_or_else(String::new, |n| n.to_string())
                    };
                    format!(
                        "{},{},{},{}",
                        bound("result"),
                        bound("min"),
                        bound("max"),
                        text(o, "seed")
                    )
                })),
            ),
        };
        Ok(Scenario {
            create,
            update: Variant::None("every argument of the `random` types forces replacement"),
            replace: Variant::To(replace),
            import,
            import_ignores: vec![],
            create_request: None,
        })
    }

    async fn drift(&self, _object: &Value) -> Result<Drift, String> {
        Ok(Drift::Impossible(IN_STATE))
    }

    async fn count(&self) -> Result<Option<usize>, String> {
        Ok(None)
    }
}

/// `time_sleep`.
pub struct TimeSleep;

#[async_trait]
impl Case for TimeSleep {
    fn type_name(&self) -> &'static str {
        "time_sleep"
    }

    async fn scenario(&self) -> Result<Scenario, String> {
        let config = |duration: &str, run: &str| {
            Value::object([
                ("create_duration", Value::string(duration)),
                ("triggers", string_map(&[("run", run)])),
            ])
        };
        Ok(Scenario {
            create: config("1ms", "1"),
            update: Variant::To(config("2ms", "1")),
            replace: Variant::To(config("2ms", "2")),
            import: Import::Id(Box::new(|o| {
                let run = o
                    .get("triggers")
                    .and_then(|t| t.get("run"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                format!("{},,run={run}", text(o, "create_duration"))
            })),
            // `id` is the time of creation; an import takes the time of the import.
            import_ignores: vec!["id"],
            create_request: None,
        })
    }

    async fn drift(&self, _object: &Value) -> Result<Drift, String> {
        Ok(Drift::Impossible(IN_STATE))
    }

    async fn count(&self) -> Result<Option<usize>, String> {
        Ok(None)
    }
}

/// `local_file` or `local_sensitive_file`, in a directory of its own.
pub struct LocalFile {
    type_name: &'static str,
    dir: tempfile::TempDir,
}

impl LocalFile {
    pub fn new(type_name: &'static str) -> Result<LocalFile, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("no temporary directory: {e}"))?;
        Ok(LocalFile { type_name, dir })
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("conformance.txt")
    }

    fn config(&self, content: &str) -> Value {
        Value::object([
            ("filename", Value::string(self.path().to_string_lossy())),
            ("content", Value::string(content)),
            // Not widened by a umask, so that an import reads back what was planned.
            ("file_permission", Value::string("0600")),
        ])
    }
}

#[async_trait]
impl Case for LocalFile {
    fn type_name(&self) -> &'static str {
        self.type_name
    }

    async fn scenario(&self) -> Result<Scenario, String> {
        Ok(Scenario {
            create: self.config("one\n"),
            update: Variant::None("every argument of the file types forces replacement"),
            replace: Variant::To(self.config("two\n")),
            import: Import::Id(Box::new(|o| text(o, "filename"))),
            import_ignores: vec![],
            create_request: None,
        })
    }

    async fn drift(&self, _object: &Value) -> Result<Drift, String> {
        std::fs::write(self.path(), "edited outside aic\n")
            .map_err(|e| format!("cannot edit the file: {e}"))?;
        Ok(Drift::Made)
    }

    /// The files in the case's directory.
    async fn count(&self) -> Result<Option<usize>, String> {
        let entries = std::fs::read_dir(self.dir.path())
            .map_err(|e| format!("cannot list the case's directory: {e}"))?;
        Ok(Some(entries.count()))
    }
}

/// The cases of built-in provider `name`: one per resource type.
pub fn cases(name: &str) -> Result<Vec<Box<dyn Case>>, String> {
    Ok(match name {
        "null" => vec![Box::new(NullResource)],
        "random" => vec![
            Box::new(Random("random_id")),
            Box::new(Random("random_string")),
            Box::new(Random("random_integer")),
        ],
        "time" => vec![Box::new(TimeSleep)],
        "local" => vec![
            Box::new(LocalFile::new("local_file")?),
            Box::new(LocalFile::new("local_sensitive_file")?),
        ],
        other => return Err(format!("no built-in provider `{other}`")),
    })
}
