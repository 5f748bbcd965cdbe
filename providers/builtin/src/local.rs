//! The `local` provider: files on the machine that runs aic, as Terraform's `local`
//! provider manages them (`local_file`, `local_sensitive_file`, and data sources of the
//! same names).
//!
//! Paths: a relative `filename` is relative to the working directory of the aic process,
//! which the engine sets to the configuration's directory. Files are written atomically
//! (a temporary file renamed over the target). Every argument forces replacement, as in
//! Terraform, so there is no in-place update. Refresh reads the file back: a deleted file
//! is reported gone, and a file edited outside aic comes back with its actual content
//! (and hashes), so the plan shows the drift and replaces it.

use std::path::PathBuf;
use std::sync::{Arc, LazyLock};

use aic_lang::types::Type;
use aic_lang::value::Value;
use aic_provider::{
    data_source_schema, plan_resource, resource_schema, validate_config, with_attributes,
    AttributeSchema, Attributes, ConfiguredProvider, PlanRequest, PlanResponse, Problem, Provider,
    ProviderError, ProviderSchema, ResourceSchema,
};
use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use crate::fsio::{blocking, create_parent_dirs, io_error, permission_string, write_atomically};
use crate::schema_path;

/// The `local` provider. It takes no configuration.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalProvider;

/// What differs between `local_file` and `local_sensitive_file`.
struct Flavor {
    sensitive: bool,
    default_permission: &'static str,
}

const FILE: Flavor = Flavor {
    sensitive: false,
    default_permission: "0777",
};

const SENSITIVE_FILE: Flavor = Flavor {
    sensitive: true,
    default_permission: "0700",
};

fn flavor(type_name: &str) -> &'static Flavor {
    if type_name == "local_sensitive_file" {
        &SENSITIVE_FILE
    } else {
        &FILE
    }
}

const CONTENT_SOURCES: [&str; 3] = ["content", "content_base64", "source"];

/// The computed attributes derived from a file's bytes, with their descriptions.
const HASHES: [(&str, &str); 7] = [
    ("id", "The hexadecimal SHA-1 checksum of the content."),
    (
        "content_md5",
        "The hexadecimal MD5 checksum of the content.",
    ),
    (
        "content_sha1",
        "The hexadecimal SHA-1 checksum of the content.",
    ),
    (
        "content_sha256",
        "The hexadecimal SHA-256 checksum of the content.",
    ),
    (
        "content_base64sha256",
        "The base64-encoded SHA-256 checksum of the content.",
    ),
    (
        "content_sha512",
        "The hexadecimal SHA-512 checksum of the content.",
    ),
    (
        "content_base64sha512",
        "The base64-encoded SHA-512 checksum of the content.",
    ),
];

static SCHEMA: LazyLock<ProviderSchema> = LazyLock::new(|| ProviderSchema {
    provider: ResourceSchema::new(
        "Files on the machine that runs aic. A relative `filename` is relative to the \
         working directory of aic, which is the configuration's directory.",
    ),
    resources: [
        ("local_file".to_owned(), file_resource(&FILE)),
        (
            "local_sensitive_file".to_owned(),
            file_resource(&SENSITIVE_FILE),
        ),
    ]
    .into_iter()
    .collect(),
    data_sources: [
        ("local_file".to_owned(), file_data_source(false)),
        ("local_sensitive_file".to_owned(), file_data_source(true)),
    ]
    .into_iter()
    .collect(),
});

fn file_resource(flavor: &Flavor) -> ResourceSchema {
    let description = if flavor.sensitive {
        "A file whose content is secret: like `local_file`, but `content` and \
         `content_base64` are sensitive and the default permissions are `0700`."
    } else {
        "A file with the given content, written atomically. Every argument forces \
         replacement. Refresh reports the file gone when it was deleted outside aic, and \
         reports its actual content when it was edited, so the plan replaces it. A file \
         made from `source` that was edited is reported gone (as Terraform does)."
    };
    let mut content = AttributeSchema::optional(Type::String)
        .force_new()
        .describe(
            "The content of the file, as UTF-8 text. Exactly one of `content`, \
         `content_base64` and `source` must be set.",
        );
    let mut content_base64 = AttributeSchema::optional(Type::String)
        .force_new()
        .describe(
            "The content of the file as base64 (standard alphabet, padded), for binary files.",
        );
    if flavor.sensitive {
        content = content.sensitive();
        content_base64 = content_base64.sensitive();
    }
    let mut schema = ResourceSchema::new(description)
        .attribute(
            "filename",
            AttributeSchema::required(Type::String)
                .force_new()
                .describe(
                    "The path of the file, relative to the working directory of aic (the \
                 configuration's directory). Missing parent directories are created. An \
                 existing file is overwritten.",
                ),
        )
        .attribute("content", content)
        .attribute("content_base64", content_base64)
        .attribute(
            "source",
            AttributeSchema::optional(Type::String)
                .force_new()
                .describe("The path of a file to copy the content from, read at apply."),
        )
        .attribute(
            "file_permission",
            AttributeSchema::optional(Type::String)
                .force_new()
                .default_value(flavor.default_permission)
                .describe(
                    "The permissions of the file in octal notation (`\"0644\"`), before the \
                     process umask is applied, as Terraform does.",
                ),
        )
        .attribute(
            "directory_permission",
            AttributeSchema::optional(Type::String)
                .force_new()
                .default_value(flavor.default_permission)
                .describe(
                    "The permissions of the parent directories aic creates, in octal \
                     notation, before the process umask is applied.",
                ),
        );
    for (name, description) in HASHES {
        schema = schema.attribute(
            name,
            AttributeSchema::computed(Type::String).describe(description),
        );
    }
    schema
}

fn file_data_source(sensitive: bool) -> ResourceSchema {
    let mut content = AttributeSchema::computed(Type::String)
        .describe("The content of the file as UTF-8 text (invalid sequences replaced).");
    let mut content_base64 =
        AttributeSchema::computed(Type::String).describe("The content of the file as base64.");
    if sensitive {
        content = content.sensitive();
        content_base64 = content_base64.sensitive();
    }
    let mut schema = ResourceSchema::new(if sensitive {
        "Reads a file whose content is secret."
    } else {
        "Reads a file."
    })
    .attribute(
        "filename",
        AttributeSchema::required(Type::String).describe(
            "The path of the file, relative to the working directory of aic (the \
             configuration's directory).",
        ),
    )
    .attribute("content", content)
    .attribute("content_base64", content_base64);
    for (name, description) in HASHES {
        schema = schema.attribute(
            name,
            AttributeSchema::computed(Type::String).describe(description),
        );
    }
    schema
}

/// The hash attributes of `bytes`.
fn hashes(bytes: &[u8]) -> Vec<(&'static str, Value)> {
    let sha1 = hex(&Sha1::digest(bytes));
    let sha256 = Sha256::digest(bytes);
    let sha512 = Sha512::digest(bytes);
    vec![
        ("id", Value::string(sha1.clone())),
        ("content_md5", Value::string(hex(&Md5::digest(bytes)))),
        ("content_sha1", Value::string(sha1)),
        ("content_sha256", Value::string(hex(&sha256))),
        (
            "content_base64sha256",
            Value::string(STANDARD.encode(sha256)),
        ),
        ("content_sha512", Value::string(hex(&sha512))),
        (
            "content_base64sha512",
            Value::string(STANDARD.encode(sha512)),
        ),
    ]
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A permission string (`"644"`, `"0644"`) as mode bits.
fn parse_permission(text: &str) -> Option<u32> {
    let valid = (3..=4).contains(&text.len()) && text.bytes().all(|b| (b'0'..=b'7').contains(&b));
    if valid {
        u32::from_str_radix(text, 8).ok()
    } else {
        None
    }
}

fn permission(attrs: &Attributes<'_>, name: &str, flavor: &Flavor) -> Result<u32, ProviderError> {
    let text = attrs.opt_string(name)?.unwrap_or(flavor.default_permission);
    parse_permission(text).ok_or_else(|| {
        ProviderError::invalid_config(format!(
            "`{name}` must be 3 or 4 octal digits such as \"0644\", found {text:?}"
        ))
    })
}

/// Where a file's content comes from.
enum Content {
    Bytes(Vec<u8>),
    Source(PathBuf),
}

fn content_of(object: &Value) -> Result<Content, ProviderError> {
    let attrs = Attributes::new(object);
    if let Some(text) = attrs.opt_string("content")? {
        return Ok(Content::Bytes(text.as_bytes().to_vec()));
    }
    if let Some(encoded) = attrs.opt_string("content_base64")? {
        return decode_base64(encoded).map(Content::Bytes);
    }
    if let Some(source) = attrs.opt_string("source")? {
        return Ok(Content::Source(PathBuf::from(source)));
    }
    Err(ProviderError::invalid_config(
        "one of `content`, `content_base64` and `source` must be set",
    ))
}

fn decode_base64(encoded: &str) -> Result<Vec<u8>, ProviderError> {
    STANDARD.decode(encoded).map_err(|err| {
        ProviderError::invalid_config(format!("`content_base64` is not valid base64: {err}"))
    })
}

/// The content when the plan already knows it (set inline and known).
fn known_inline_content(planned: &Value) -> Result<Option<Vec<u8>>, ProviderError> {
    let known = |name: &str| {
        planned
            .get(name)
            .filter(|v| v.is_wholly_known())
            .and_then(Value::as_str)
    };
    if let Some(text) = known("content") {
        return Ok(Some(text.as_bytes().to_vec()));
    }
    if let Some(encoded) = known("content_base64") {
        return decode_base64(encoded).map(Some);
    }
    Ok(None)
}

/// Reads a file; `None` when it does not exist.
async fn read_file(path: PathBuf) -> Result<Option<Vec<u8>>, ProviderError> {
    blocking(move || match std::fs::read(&path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(io_error("read", &path, &err)),
    })
    .await
}

impl LocalProvider {
    /// Writes the file `planned` describes and returns the object with its hashes.
    async fn write(&self, type_name: &str, planned: &Value) -> Result<Value, ProviderError> {
        let schema = resource_schema(&SCHEMA, type_name)?;
        let flavor = flavor(type_name);
        let attrs = Attributes::new(planned);
        let filename = PathBuf::from(attrs.string("filename")?);
        let file_mode = permission(&attrs, "file_permission", flavor)?;
        let dir_mode = permission(&attrs, "directory_permission", flavor)?;
        let content = content_of(planned)?;
        let written = blocking(move || {
            let bytes = match content {
                Content::Bytes(bytes) => bytes,
                Content::Source(source) => std::fs::read(&source)
                    .map_err(|err| io_error("read the source file", &source, &err))?,
            };
            create_parent_dirs(&filename, dir_mode)
                .map_err(|err| io_error("create the parent directories of", &filename, &err))?;
            write_atomically(&filename, &bytes, file_mode)
                .map_err(|err| io_error("write", &filename, &err))?;
            Ok(bytes)
        })
        .await?;
        Ok(schema.mark_sensitive(with_attributes(planned, hashes(&written))))
    }
}

#[async_trait]
impl Provider for LocalProvider {
    fn schema(&self) -> &ProviderSchema {
        &SCHEMA
    }

    async fn configure(
        &self,
        _config: &Value,
    ) -> Result<Arc<dyn ConfiguredProvider>, ProviderError> {
        Ok(Arc::new(*self))
    }
}

#[async_trait]
impl ConfiguredProvider for LocalProvider {
    fn schema(&self) -> &ProviderSchema {
        &SCHEMA
    }

    fn validate(&self, type_name: &str, config: &Value) -> Vec<Problem> {
        let Some(schema) = SCHEMA.resource(type_name) else {
            return vec![Problem::invalid_value(
                schema_path(&[]),
                format!("the `local` provider has no resource type `{type_name}`"),
            )];
        };
        let mut problems = validate_config(schema, config);
        if !config.is_known() {
            return problems;
        }
        let set: Vec<&str> = CONTENT_SOURCES
            .into_iter()
            .filter(|name| config.get(name).is_some_and(|v| !v.is_null()))
            .collect();
        match set.as_slice() {
            [] => problems.push(
                Problem::conflicting_attributes(
                    schema_path(&[]),
                    "none of `content`, `content_base64` and `source` is set",
                )
                .with_help("Set exactly one of `content`, `content_base64` and `source`."),
            ),
            [_] => {}
            [_, second, ..] => problems.push(
                Problem::conflicting_attributes(
                    schema_path(&[second]),
                    format!("only one of {} may be set", quoted_list(&set)),
                )
                .with_help("Set exactly one of `content`, `content_base64` and `source`."),
            ),
        }
        for name in ["file_permission", "directory_permission"] {
            if let Some(text) = config
                .get(name)
                .filter(|v| v.is_known())
                .and_then(Value::as_str)
            {
                if parse_permission(text).is_none() {
                    problems.push(
                        Problem::invalid_value(
                            schema_path(&[name]),
                            format!("{text:?} is not a permission in octal notation"),
                        )
                        .with_help("Write 3 or 4 octal digits, such as \"0644\"."),
                    );
                }
            }
        }
        if let Some(encoded) = config
            .get("content_base64")
            .filter(|v| v.is_known())
            .and_then(Value::as_str)
        {
            if let Err(err) = STANDARD.decode(encoded) {
                problems.push(Problem::invalid_value(
                    schema_path(&["content_base64"]),
                    format!("`content_base64` is not valid base64: {err}"),
                ));
            }
        }
        problems
    }

    /// The default plan, plus the hashes when the content is known at plan time (so that
    /// other resources can use `id` and the checksums before apply).
    async fn plan(&self, request: PlanRequest) -> Result<PlanResponse, ProviderError> {
        let schema = resource_schema(&SCHEMA, &request.type_name)?;
        let mut response = plan_resource(schema, &request)?;
        let new_object = response.planned.get("id").is_some_and(|id| !id.is_known());
        if new_object {
            if let Some(bytes) = known_inline_content(&response.planned)? {
                response.planned = with_attributes(&response.planned, hashes(&bytes));
            }
        }
        Ok(response)
    }

    async fn create(&self, type_name: &str, planned: &Value) -> Result<Value, ProviderError> {
        self.write(type_name, planned).await
    }

    async fn read(&self, type_name: &str, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let schema = resource_schema(&SCHEMA, type_name)?;
        let attrs = Attributes::new(prior);
        let filename = PathBuf::from(attrs.string("filename")?);
        let Some(bytes) = read_file(filename).await? else {
            return Ok(None);
        };
        let mut updates = hashes(&bytes);
        if attrs.opt_string("source")?.is_some() {
            // Content copied from another file cannot be shown as drift of an argument:
            // report it gone when it changed, so that it is written again.
            let same = prior.get("id").and_then(Value::as_str)
                == updates.first().and_then(|(_, v)| v.as_str());
            return Ok(same.then(|| schema.mark_sensitive(prior.clone())));
        }
        if attrs.opt_string("content_base64")?.is_some() {
            updates.push(("content_base64", Value::string(STANDARD.encode(&bytes))));
        } else {
            updates.push((
                "content",
                Value::string(String::from_utf8_lossy(&bytes).into_owned()),
            ));
        }
        Ok(Some(schema.mark_sensitive(with_attributes(prior, updates))))
    }

    async fn update(
        &self,
        type_name: &str,
        _prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        // Every argument forces replacement, so an update only rewrites the same file.
        self.write(type_name, planned).await
    }

    async fn delete(&self, type_name: &str, prior: &Value) -> Result<(), ProviderError> {
        resource_schema(&SCHEMA, type_name)?;
        let filename = PathBuf::from(Attributes::new(prior).string("filename")?);
        blocking(move || match std::fs::remove_file(&filename) {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err(io_error("delete", &filename, &err)),
        })
        .await
    }

    /// Imports a file by its filename. The content is taken as `content` when it is UTF-8
    /// and as `content_base64` otherwise; `file_permission` is the file's actual mode and
    /// `directory_permission` the default (it cannot be known).
    async fn import(&self, type_name: &str, id: &str) -> Result<Option<Value>, ProviderError> {
        let schema = resource_schema(&SCHEMA, type_name)?;
        let flavor = flavor(type_name);
        let path = PathBuf::from(id);
        let found = blocking(move || {
            let bytes = match std::fs::read(&path) {
                Ok(bytes) => bytes,
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(err) => return Err(io_error("read", &path, &err)),
            };
            let metadata =
                std::fs::metadata(&path).map_err(|err| io_error("inspect", &path, &err))?;
            Ok(Some((bytes, permission_string(&metadata))))
        })
        .await?;
        let Some((bytes, mode)) = found else {
            return Ok(None);
        };
        let mut values = hashes(&bytes);
        values.push(("filename", Value::string(id)));
        match String::from_utf8(bytes) {
            Ok(text) => values.push(("content", Value::string(text))),
            Err(err) => values.push((
                "content_base64",
                Value::string(STANDARD.encode(err.as_bytes())),
            )),
        }
        values.push((
            "file_permission",
            Value::string(mode.unwrap_or_else(|| flavor.default_permission.to_owned())),
        ));
        values.push((
            "directory_permission",
            Value::string(flavor.default_permission),
        ));
        Ok(Some(schema.mark_sensitive(schema.instance(values))))
    }

    async fn read_data(&self, type_name: &str, config: &Value) -> Result<Value, ProviderError> {
        let schema = data_source_schema(&SCHEMA, type_name)?;
        let filename = Attributes::new(config).string("filename")?.to_owned();
        let Some(bytes) = read_file(PathBuf::from(&filename)).await? else {
            return Err(ProviderError::not_found(format!(
                "could not read `{filename}`: no such file"
            ))
            .with_help(
                "Check `filename`; a relative path is relative to the configuration's directory.",
            ));
        };
        let mut values = hashes(&bytes);
        values.push(("filename", Value::string(filename)));
        values.push(("content_base64", Value::string(STANDARD.encode(&bytes))));
        values.push((
            "content",
            Value::string(String::from_utf8_lossy(&bytes).into_owned()),
        ));
        Ok(schema.mark_sensitive(schema.instance(values)))
    }
}

fn quoted_list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    quoted.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_parse_as_octal() {
        assert_eq!(parse_permission("0644"), Some(0o644));
        assert_eq!(parse_permission("755"), Some(0o755));
        for bad in ["", "64", "0648", "00644", "rw-r--r--"] {
            assert_eq!(parse_permission(bad), None, "{bad}");
        }
    }

    #[test]
    fn hashes_match_known_digests() {
        let values = hashes(b"hello");
        let get = |name: &str| {
            values
                .iter()
                .find(|(n, _)| *n == name)
                .and_then(|(_, v)| v.as_str().map(str::to_owned))
        };
        assert_eq!(
            get("id").as_deref(),
            Some("aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d")
        );
        assert_eq!(
            get("content_md5").as_deref(),
            Some("5d41402abc4b2a76b9719d911017c592")
        );
        assert_eq!(
            get("content_sha256").as_deref(),
            Some("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
        );
        assert_eq!(
            get("content_base64sha256").as_deref(),
            Some("LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=")
        );
    }
}
