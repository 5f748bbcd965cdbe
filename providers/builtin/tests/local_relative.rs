//! A relative `filename` is relative to the working directory of the process (the engine
//! runs in the configuration's directory). Alone in its test binary because it changes
//! the working directory, which is shared by every thread of the process.

mod common;

use std::fs;

use aic_lang::value::Value;
use common::{configured, create, object, TestResult};

#[tokio::test]
async fn relative_filenames_resolve_against_the_working_directory() -> TestResult {
    let dir = tempfile::tempdir()?;
    std::env::set_current_dir(dir.path())?;
    let local = configured("local").await?;
    let config = object([
        ("filename", Value::string("out/hello.txt")),
        ("content", Value::string("hi")),
    ]);
    let state = create(&*local, "local_file", &config).await?;
    assert_eq!(fs::read_to_string(dir.path().join("out/hello.txt"))?, "hi");
    assert_eq!(state.get("filename"), Some(&Value::string("out/hello.txt")));
    assert!(local.read("local_file", &state).await?.is_some());
    local.delete("local_file", &state).await?;
    assert!(!dir.path().join("out/hello.txt").exists());
    Ok(())
}
