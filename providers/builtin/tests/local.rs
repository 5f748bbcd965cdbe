//! `local_file` and `local_sensitive_file`: writing, drift, replacement decisions,
//! import and the data sources, on real files in temporary directories.

mod common;

use std::fs;
use std::path::Path;

use aic_lang::types::Type;
use aic_lang::value::Value;
use aic_provider::ErrorKind;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use common::{action, configured, create, object, Action, TestResult};

fn file_config(path: &Path, content: &str) -> Value {
    object([
        ("filename", Value::string(path.to_string_lossy())),
        ("content", Value::string(content)),
    ])
}

fn text<'a>(state: &'a Value, name: &str) -> &'a str {
    state.get(name).and_then(Value::as_str).unwrap_or_default()
}

#[tokio::test]
async fn create_writes_the_file_with_hashes_known_at_plan() -> TestResult {
    let local = configured("local").await?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("motd.txt");
    let config = file_config(&path, "hello");
    let response = common::plan(&*local, "local_file", None, &config).await?;
    assert_eq!(
        text(&response.planned, "id"),
        "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d",
        "known content gives known hashes at plan time"
    );
    assert_eq!(text(&response.planned, "file_permission"), "0777");
    let state = local.create("local_file", &response.planned).await?;
    common::assert_matches_plan(&response.planned, &state);
    assert_eq!(fs::read_to_string(&path)?, "hello");
    assert_eq!(
        text(&state, "content_md5"),
        "5d41402abc4b2a76b9719d911017c592"
    );
    assert_eq!(
        text(&state, "content_sha256"),
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    );
    assert_eq!(local.read("local_file", &state).await?, Some(state.clone()));
    let (same, _) = action(&*local, "local_file", &state, &config).await?;
    assert_eq!(same, Action::NoOp);
    Ok(())
}

#[tokio::test]
async fn unknown_content_leaves_hashes_unknown() -> TestResult {
    let local = configured("local").await?;
    let config = object([
        ("filename", Value::string("x.txt")),
        ("content", Value::unknown(Type::String)),
    ]);
    let response = common::plan(&*local, "local_file", None, &config).await?;
    assert_eq!(
        response.planned.get("id"),
        Some(&Value::unknown(Type::String))
    );
    Ok(())
}

#[cfg(unix)]
#[tokio::test]
async fn permissions_are_applied_and_parents_created() -> TestResult {
    use std::os::unix::fs::PermissionsExt;
    let local = configured("local").await?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("a/b/secret.txt");
    let config = object([
        ("filename", Value::string(path.to_string_lossy())),
        ("content", Value::string("x")),
        ("file_permission", Value::string("0600")),
        ("directory_permission", Value::string("0700")),
    ]);
    create(&*local, "local_file", &config).await?;
    assert_eq!(fs::metadata(&path)?.permissions().mode() & 0o777, 0o600);
    assert_eq!(
        fs::metadata(dir.path().join("a/b"))?.permissions().mode() & 0o777,
        0o700
    );
    assert_eq!(
        fs::metadata(dir.path().join("a"))?.permissions().mode() & 0o777,
        0o700
    );
    Ok(())
}

#[tokio::test]
async fn changing_content_or_permission_replaces() -> TestResult {
    let local = configured("local").await?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("f.txt");
    let state = create(&*local, "local_file", &file_config(&path, "one")).await?;

    let (replace, response) =
        action(&*local, "local_file", &state, &file_config(&path, "two")).await?;
    assert_eq!(replace, Action::Replace(vec!["content".into()]));
    assert_eq!(
        text(&response.planned, "id"),
        "ad782ecdac770fc6eb9a62e44f90873fb97fb26b",
        "the replacement's hashes are known"
    );

    let mut chmod = file_config(&path, "one");
    if let Some(entries) = chmod.as_entries().cloned() {
        let mut entries = entries;
        entries.insert("file_permission".into(), Value::string("0644"));
        chmod = Value::object(entries);
    }
    let (replace, _) = action(&*local, "local_file", &state, &chmod).await?;
    assert_eq!(replace, Action::Replace(vec!["file_permission".into()]));

    // Replacement as the engine runs it (create-before-destroy off: delete, then create).
    local.delete("local_file", &state).await?;
    let replaced = local.create("local_file", &response.planned).await?;
    assert_eq!(fs::read_to_string(&path)?, "two");
    assert_eq!(text(&replaced, "content"), "two");
    Ok(())
}

#[tokio::test]
async fn drift_edit_shows_new_content_and_delete_shows_gone() -> TestResult {
    let local = configured("local").await?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("drift.txt");
    let config = file_config(&path, "managed");
    let state = create(&*local, "local_file", &config).await?;

    fs::write(&path, "edited by hand")?;
    let refreshed = local.read("local_file", &state).await?;
    let Some(refreshed) = refreshed else {
        panic!("an edited file is not gone");
    };
    assert_eq!(text(&refreshed, "content"), "edited by hand");
    assert_ne!(text(&refreshed, "id"), text(&state, "id"));
    let (replace, response) = action(&*local, "local_file", &refreshed, &config).await?;
    assert_eq!(replace, Action::Replace(vec!["content".into()]));
    assert_eq!(text(&response.planned, "content"), "managed");

    fs::remove_file(&path)?;
    assert_eq!(local.read("local_file", &state).await?, None);
    // Deleting what is already gone succeeds.
    local.delete("local_file", &state).await?;
    Ok(())
}

#[tokio::test]
async fn binary_content_round_trips_through_base64() -> TestResult {
    let local = configured("local").await?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("blob.bin");
    let bytes = [0u8, 159, 146, 150, 255];
    let config = object([
        ("filename", Value::string(path.to_string_lossy())),
        ("content_base64", Value::string(STANDARD.encode(bytes))),
    ]);
    let state = create(&*local, "local_file", &config).await?;
    assert_eq!(fs::read(&path)?, bytes);
    assert_eq!(local.read("local_file", &state).await?, Some(state.clone()));

    let imported = local.import("local_file", &path.to_string_lossy()).await?;
    assert_eq!(
        imported
            .as_ref()
            .map(|v| text(v, "content_base64").to_owned()),
        Some(STANDARD.encode(bytes))
    );
    assert_eq!(
        imported.as_ref().and_then(|v| v.get("content")),
        Some(&Value::null())
    );
    Ok(())
}

#[tokio::test]
async fn source_copies_a_file_and_edits_make_it_gone() -> TestResult {
    let local = configured("local").await?;
    let dir = tempfile::tempdir()?;
    let source = dir.path().join("template.txt");
    fs::write(&source, "from source")?;
    let path = dir.path().join("copy.txt");
    let config = object([
        ("filename", Value::string(path.to_string_lossy())),
        ("source", Value::string(source.to_string_lossy())),
    ]);
    let response = common::plan(&*local, "local_file", None, &config).await?;
    assert_eq!(response.planned.get("id").map(Value::is_known), Some(false));
    let state = local.create("local_file", &response.planned).await?;
    assert_eq!(fs::read_to_string(&path)?, "from source");
    assert_eq!(local.read("local_file", &state).await?, Some(state.clone()));
    fs::write(&path, "edited")?;
    assert_eq!(local.read("local_file", &state).await?, None);
    Ok(())
}

#[tokio::test]
async fn import_by_filename() -> TestResult {
    let local = configured("local").await?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("existing.conf");
    fs::write(&path, "port = 80\n")?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640))?;
    }
    let imported = local.import("local_file", &path.to_string_lossy()).await?;
    let Some(imported) = imported else {
        panic!("the file exists");
    };
    assert_eq!(text(&imported, "content"), "port = 80\n");
    #[cfg(unix)]
    assert_eq!(text(&imported, "file_permission"), "0640");
    let config = object([
        ("filename", Value::string(path.to_string_lossy())),
        ("content", Value::string("port = 80\n")),
        ("file_permission", Value::string("0640")),
    ]);
    let (same, _) = action(&*local, "local_file", &imported, &config).await?;
    assert_eq!(
        same,
        Action::NoOp,
        "an import matching the configuration plans no change"
    );

    let missing = local
        .import("local_file", &dir.path().join("nope").to_string_lossy())
        .await?;
    assert_eq!(missing, None);
    Ok(())
}

#[tokio::test]
async fn sensitive_file_marks_content_and_defaults_to_0700() -> TestResult {
    let local = configured("local").await?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("key.pem");
    let config = file_config(&path, "-----BEGIN KEY-----");
    let state = create(&*local, "local_sensitive_file", &config).await?;
    assert_eq!(state.get("content").map(Value::is_sensitive), Some(true));
    assert_eq!(text(&state, "file_permission"), "0700");
    assert!(!state.to_string().contains("BEGIN KEY"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&path)?.permissions().mode() & 0o777;
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }
    let refreshed = local.read("local_sensitive_file", &state).await?;
    assert_eq!(
        refreshed.and_then(|v| v.get("content").map(Value::is_sensitive)),
        Some(true)
    );
    Ok(())
}

#[tokio::test]
async fn data_sources_read_files() -> TestResult {
    let local = configured("local").await?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("in.txt");
    fs::write(&path, "data")?;
    let config = object([("filename", Value::string(path.to_string_lossy()))]);
    let data = local.read_data("local_file", &config).await?;
    assert_eq!(text(&data, "content"), "data");
    assert_eq!(text(&data, "content_base64"), STANDARD.encode("data"));
    assert_eq!(
        text(&data, "id"),
        "a17c9aaa61e80a1bf71d0d850af4e5baa9800bbd"
    );
    let secret = local.read_data("local_sensitive_file", &config).await?;
    assert_eq!(secret.get("content").map(Value::is_sensitive), Some(true));

    let missing = object([(
        "filename",
        Value::string(dir.path().join("no").to_string_lossy()),
    )]);
    let err = local.read_data("local_file", &missing).await.err();
    assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::NotFound));
    Ok(())
}

#[tokio::test]
async fn io_failures_have_the_right_kind() -> TestResult {
    let local = configured("local").await?;
    let dir = tempfile::tempdir()?;
    let blocker = dir.path().join("not-a-dir");
    fs::write(&blocker, "")?;

    // A parent that is a regular file: the configuration is wrong.
    let config = file_config(&blocker.join("child.txt"), "x");
    let response = common::plan(&*local, "local_file", None, &config).await?;
    let err = local.create("local_file", &response.planned).await.err();
    assert_eq!(
        err.as_ref().map(|e| e.kind()),
        Some(ErrorKind::InvalidConfig),
        "{err:?}"
    );
    assert!(err.as_ref().is_some_and(|e| !e.is_retryable()));
    assert!(
        err.as_ref()
            .is_some_and(|e| e.to_string().contains("child.txt")),
        "{err:?}"
    );

    // A filename that is a directory.
    let config = file_config(dir.path(), "x");
    let response = common::plan(&*local, "local_file", None, &config).await?;
    let err = local.create("local_file", &response.planned).await.err();
    assert!(err.is_some());

    // A missing source file.
    let config = object([
        (
            "filename",
            Value::string(dir.path().join("out").to_string_lossy()),
        ),
        (
            "source",
            Value::string(dir.path().join("missing").to_string_lossy()),
        ),
    ]);
    let response = common::plan(&*local, "local_file", None, &config).await?;
    let err = local.create("local_file", &response.planned).await.err();
    assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::NotFound));
    Ok(())
}

#[tokio::test]
async fn validation_of_content_and_permissions() -> TestResult {
    let local = configured("local").await?;
    let codes = |config: &Value| {
        local
            .validate("local_file", config)
            .into_iter()
            .map(|p| (p.code, p.path.to_string()))
            .collect::<Vec<_>>()
    };
    let none = object([("filename", Value::string("a"))]);
    assert_eq!(codes(&none), vec![("E0717", String::new())]);
    let both = object([
        ("filename", Value::string("a")),
        ("content", Value::string("x")),
        ("content_base64", Value::string("eA==")),
    ]);
    assert_eq!(codes(&both), vec![("E0717", "content_base64".to_owned())]);
    let bad = object([
        ("filename", Value::string("a")),
        ("content_base64", Value::string("not base64!")),
        ("file_permission", Value::string("rw-r--r--")),
    ]);
    assert_eq!(
        codes(&bad),
        vec![
            ("E0716", "file_permission".to_owned()),
            ("E0716", "content_base64".to_owned())
        ]
    );
    let unknown = object([
        ("filename", Value::string("a")),
        ("content", Value::unknown(Type::String)),
    ]);
    assert!(codes(&unknown).is_empty());
    Ok(())
}
