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

use aic_lang::value::Value;
use aic_provider::{
    with_attributes, PlanRequest, PlanResponse, Problem, ProviderError, ResourceSchema,
};
use aic_provider_kit::bulk::{each, Results};
use aic_provider_kit::{
    Attr, CreateToken, DataSource, Declare, Declared, Plugin, Resource, Table, ID,
};
use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use crate::fsio::{blocking, create_parent_dirs, io_error, permission_string, write_atomically};
use crate::schema_path;

const FILENAME: Attr<String> = Attr::new("filename");
const CONTENT: Attr<String> = Attr::new("content");
const CONTENT_BASE64: Attr<String> = Attr::new("content_base64");
const SOURCE: Attr<String> = Attr::new("source");
const FILE_PERMISSION: Attr<String> = Attr::new("file_permission");
const DIRECTORY_PERMISSION: Attr<String> = Attr::new("directory_permission");
const CONTENT_MD5: Attr<String> = Attr::new("content_md5");
const CONTENT_SHA1: Attr<String> = Attr::new("content_sha1");
const CONTENT_SHA256: Attr<String> = Attr::new("content_sha256");
const CONTENT_BASE64SHA256: Attr<String> = Attr::new("content_base64sha256");
const CONTENT_SHA512: Attr<String> = Attr::new("content_sha512");
const CONTENT_BASE64SHA512: Attr<String> = Attr::new("content_base64sha512");

/// What differs between `local_file` and `local_sensitive_file`.
struct Flavor {
    type_name: &'static str,
    sensitive: bool,
    default_permission: &'static str,
}

const FILE: Flavor = Flavor {
    type_name: "local_file",
    sensitive: false,
    default_permission: "0777",
};

const SENSITIVE_FILE: Flavor = Flavor {
    type_name: "local_sensitive_file",
    sensitive: true,
    default_permission: "0700",
};

const CONTENT_SOURCES: [Attr<String>; 3] = [CONTENT, CONTENT_BASE64, SOURCE];

const PERMISSIONS: [Attr<String>; 2] = [FILE_PERMISSION, DIRECTORY_PERMISSION];

/// The computed attributes derived from a file's bytes, with their descriptions.
const HASHES: [(Attr<String>, &str); 7] = [
    (ID, "The hexadecimal SHA-1 checksum of the content."),
    (CONTENT_MD5, "The hexadecimal MD5 checksum of the content."),
    (
        CONTENT_SHA1,
        "The hexadecimal SHA-1 checksum of the content.",
    ),
    (
        CONTENT_SHA256,
        "The hexadecimal SHA-256 checksum of the content.",
    ),
    (
        CONTENT_BASE64SHA256,
        "The base64-encoded SHA-256 checksum of the content.",
    ),
    (
        CONTENT_SHA512,
        "The hexadecimal SHA-512 checksum of the content.",
    ),
    (
        CONTENT_BASE64SHA512,
        "The base64-encoded SHA-512 checksum of the content.",
    ),
];

static TABLE: LazyLock<Arc<Table<()>>> = LazyLock::new(|| {
    Arc::new(
        Table::new(ResourceSchema::new(
            "Files on the machine that runs aic. A relative `filename` is relative to the \
             working directory of aic, which is the configuration's directory.",
        ))
        .resource(File(&FILE))
        .resource(File(&SENSITIVE_FILE))
        .data_source(FileData(&FILE))
        .data_source(FileData(&SENSITIVE_FILE)),
    )
});

/// The `local` provider. It takes no configuration.
pub fn provider() -> Plugin<()> {
    Plugin::offline(TABLE.clone())
}

/// `schema` with the hash attributes.
fn with_hashes(mut schema: ResourceSchema) -> ResourceSchema {
    for (field, description) in HASHES {
        schema = schema.with(field.computed().describe(description));
    }
    schema
}

/// `declared`, sensitive when `sensitive`.
fn sensitive_if(declared: Declared, sensitive: bool) -> Declared {
    if sensitive {
        declared.sensitive()
    } else {
        declared
    }
}

/// The hash attributes of `bytes`.
fn hashes(bytes: &[u8]) -> Vec<(&'static str, Value)> {
    let sha1 = hex(&Sha1::digest(bytes));
    let sha256 = Sha256::digest(bytes);
    let sha512 = Sha512::digest(bytes);
    vec![
        ID.to(sha1.clone()),
        CONTENT_MD5.to(hex(&Md5::digest(bytes))),
        CONTENT_SHA1.to(sha1),
        CONTENT_SHA256.to(hex(&sha256)),
        CONTENT_BASE64SHA256.to(STANDARD.encode(sha256)),
        CONTENT_SHA512.to(hex(&sha512)),
        CONTENT_BASE64SHA512.to(STANDARD.encode(sha512)),
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

fn permission(object: &Value, field: Attr<String>, flavor: &Flavor) -> Result<u32, ProviderError> {
    let text = field
        .get(object)?
        .unwrap_or_else(|| flavor.default_permission.to_owned());
    parse_permission(&text).ok_or_else(|| {
        ProviderError::invalid_config(format!(
            "`{}` must be 3 or 4 octal digits such as \"0644\", found {text:?}",
            field.name()
        ))
    })
}

/// Where a file's content comes from.
enum Content {
    Bytes(Vec<u8>),
    Source(PathBuf),
}

fn content_of(object: &Value) -> Result<Content, ProviderError> {
    if let Some(text) = CONTENT.get(object)? {
        return Ok(Content::Bytes(text.into_bytes()));
    }
    if let Some(encoded) = CONTENT_BASE64.get(object)? {
        return decode_base64(&encoded).map(Content::Bytes);
    }
    if let Some(source) = SOURCE.get(object)? {
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
    let known = |field: Attr<String>| {
        planned
            .get(field.name())
            .filter(|v| v.is_wholly_known())
            .and_then(Value::as_str)
    };
    if let Some(text) = known(CONTENT) {
        return Ok(Some(text.as_bytes().to_vec()));
    }
    if let Some(encoded) = known(CONTENT_BASE64) {
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

/// A file object as it is on disk; `None` when the file is gone.
async fn read_object(prior: &Value) -> Result<Option<Value>, ProviderError> {
    let filename = PathBuf::from(FILENAME.require(prior)?);
    let Some(bytes) = read_file(filename).await? else {
        return Ok(None);
    };
    let mut updates = hashes(&bytes);
    if SOURCE.get(prior)?.is_some() {
        // Content copied from another file cannot be shown as drift of an argument:
        // report it gone when it changed, so that it is written again.
        let same = prior.get(ID.name()).and_then(Value::as_str)
            == updates.first().and_then(|(_, v)| v.as_str());
        return Ok(same.then(|| prior.clone()));
    }
    if CONTENT_BASE64.get(prior)?.is_some() {
        updates.push(CONTENT_BASE64.to(STANDARD.encode(&bytes)));
    } else {
        updates.push(CONTENT.to(String::from_utf8_lossy(&bytes).into_owned()));
    }
    Ok(Some(with_attributes(prior, updates)))
}

/// `local_file` or `local_sensitive_file`.
struct File(&'static Flavor);

impl File {
    /// Writes the file `planned` describes and returns the object with its hashes.
    async fn write(&self, planned: &Value) -> Result<Value, ProviderError> {
        let filename = PathBuf::from(FILENAME.require(planned)?);
        let file_mode = permission(planned, FILE_PERMISSION, self.0)?;
        let dir_mode = permission(planned, DIRECTORY_PERMISSION, self.0)?;
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
        Ok(with_attributes(planned, hashes(&written)))
    }
}

#[async_trait]
impl Resource<()> for File {
    fn type_name(&self) -> &'static str {
        self.0.type_name
    }

    fn schema(&self) -> ResourceSchema {
        let flavor = self.0;
        let description = if flavor.sensitive {
            "A file whose content is secret: like `local_file`, but `content` and \
             `content_base64` are sensitive and the default permissions are `0700`."
        } else {
            "A file with the given content, written atomically. Every argument forces \
             replacement. Refresh reports the file gone when it was deleted outside aic, and \
             reports its actual content when it was edited, so the plan replaces it. A file \
             made from `source` that was edited is reported gone (as Terraform does)."
        };
        with_hashes(
            ResourceSchema::new(description)
                .with(FILENAME.required().force_new().describe(
                    "The path of the file, relative to the working directory of aic (the \
                     configuration's directory). Missing parent directories are created. An \
                     existing file is overwritten.",
                ))
                .with(sensitive_if(
                    CONTENT.optional().force_new().describe(
                        "The content of the file, as UTF-8 text. Exactly one of `content`, \
                         `content_base64` and `source` must be set.",
                    ),
                    flavor.sensitive,
                ))
                .with(sensitive_if(
                    CONTENT_BASE64.optional().force_new().describe(
                        "The content of the file as base64 (standard alphabet, padded), for \
                         binary files.",
                    ),
                    flavor.sensitive,
                ))
                .with(
                    SOURCE
                        .optional()
                        .force_new()
                        .describe("The path of a file to copy the content from, read at apply."),
                )
                .with(
                    FILE_PERMISSION
                        .optional()
                        .force_new()
                        .default_value(flavor.default_permission)
                        .describe(
                            "The permissions of the file in octal notation (`\"0644\"`), before \
                             the process umask is applied, as Terraform does.",
                        ),
                )
                .with(
                    DIRECTORY_PERMISSION
                        .optional()
                        .force_new()
                        .default_value(flavor.default_permission)
                        .describe(
                            "The permissions of the parent directories aic creates, in octal \
                             notation, before the process umask is applied.",
                        ),
                ),
        )
    }

    fn validate(&self, config: &Value, problems: &mut Vec<Problem>) {
        if !config.is_known() {
            return;
        }
        let set: Vec<&str> = CONTENT_SOURCES
            .iter()
            .map(Attr::name)
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
        for field in PERMISSIONS {
            if let Some(text) = config
                .get(field.name())
                .filter(|v| v.is_known())
                .and_then(Value::as_str)
            {
                if parse_permission(text).is_none() {
                    problems.push(
                        Problem::invalid_value(
                            schema_path(&[field.name()]),
                            format!("{text:?} is not a permission in octal notation"),
                        )
                        .with_help("Write 3 or 4 octal digits, such as \"0644\"."),
                    );
                }
            }
        }
        if let Some(encoded) = config
            .get(CONTENT_BASE64.name())
            .filter(|v| v.is_known())
            .and_then(Value::as_str)
        {
            if let Err(err) = STANDARD.decode(encoded) {
                problems.push(Problem::invalid_value(
                    schema_path(&[CONTENT_BASE64.name()]),
                    format!("`content_base64` is not valid base64: {err}"),
                ));
            }
        }
    }

    /// The default plan, plus the hashes when the content is known at plan time (so that
    /// other resources can use `id` and the checksums before apply).
    async fn plan(
        &self,
        _: &(),
        schema: &ResourceSchema,
        request: PlanRequest,
    ) -> Result<PlanResponse, ProviderError> {
        let mut response = aic_provider::plan_resource(schema, &request)?;
        let new_object = response
            .planned
            .get(ID.name())
            .is_some_and(|id| !id.is_known());
        if new_object {
            if let Some(bytes) = known_inline_content(&response.planned)? {
                response.planned = with_attributes(&response.planned, hashes(&bytes));
            }
        }
        Ok(response)
    }

    async fn create(
        &self,
        _: &(),
        planned: &Value,
        _: &CreateToken,
    ) -> Result<Value, ProviderError> {
        self.write(planned).await
    }

    async fn read_many(&self, _: &(), priors: &[Value]) -> Results {
        each(priors, read_object).await
    }

    async fn update(
        &self,
        _: &(),
        _prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        // Every argument forces replacement, so an update only rewrites the same file.
        self.write(planned).await
    }

    async fn delete(&self, _: &(), prior: &Value) -> Result<(), ProviderError> {
        let filename = PathBuf::from(FILENAME.require(prior)?);
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
    async fn import(&self, _: &(), id: &str) -> Result<Option<Value>, ProviderError> {
        let flavor = self.0;
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
        values.push(FILENAME.to(id));
        match String::from_utf8(bytes) {
            Ok(text) => values.push(CONTENT.to(text)),
            Err(err) => values.push(CONTENT_BASE64.to(STANDARD.encode(err.as_bytes()))),
        }
        values
            .push(FILE_PERMISSION.to(mode.unwrap_or_else(|| flavor.default_permission.to_owned())));
        values.push(DIRECTORY_PERMISSION.to(flavor.default_permission));
        Ok(Some(self.schema().instance(values)))
    }
}

/// The `local_file` and `local_sensitive_file` data sources.
struct FileData(&'static Flavor);

#[async_trait]
impl DataSource<()> for FileData {
    fn type_name(&self) -> &'static str {
        self.0.type_name
    }

    fn schema(&self) -> ResourceSchema {
        let sensitive = self.0.sensitive;
        with_hashes(
            ResourceSchema::new(if sensitive {
                "Reads a file whose content is secret."
            } else {
                "Reads a file."
            })
            .with(FILENAME.required().describe(
                "The path of the file, relative to the working directory of aic (the \
                 configuration's directory).",
            ))
            .with(sensitive_if(
                CONTENT.computed().describe(
                    "The content of the file as UTF-8 text (invalid sequences replaced).",
                ),
                sensitive,
            ))
            .with(sensitive_if(
                CONTENT_BASE64
                    .computed()
                    .describe("The content of the file as base64."),
                sensitive,
            )),
        )
    }

    async fn read(&self, _: &(), config: &Value) -> Result<Value, ProviderError> {
        let filename = FILENAME.require(config)?;
        let Some(bytes) = read_file(PathBuf::from(&filename)).await? else {
            return Err(ProviderError::not_found(format!(
                "could not read `{filename}`: no such file"
            ))
            .with_help(
                "Check `filename`; a relative path is relative to the configuration's directory.",
            ));
        };
        let mut values = hashes(&bytes);
        values.push(FILENAME.to(filename));
        values.push(CONTENT_BASE64.to(STANDARD.encode(&bytes)));
        values.push(CONTENT.to(String::from_utf8_lossy(&bytes).into_owned()));
        Ok(self.schema().instance(values))
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
