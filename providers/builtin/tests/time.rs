//! `time_sleep`: it really waits, on create and on destroy, and only then. The tests run
//! on tokio's paused clock, which the provider's sleeps advance: what they measure is how
//! long the provider waited, exactly, whatever the machine's load.

mod common;

use std::time::Duration;

use tokio::time::Instant;

use aic_lang::value::Value;
use common::{action, configured, create, object, string_map, Action, TestResult};

#[tokio::test(start_paused = true)]
async fn create_waits_at_least_create_duration() -> TestResult {
    let time = configured("time").await?;
    let config = object([("create_duration", Value::string("150ms"))]);
    let started = Instant::now();
    let state = create(&*time, "time_sleep", &config).await?;
    assert_eq!(started.elapsed(), Duration::from_millis(150));
    let id = state.get("id").and_then(Value::as_str).unwrap_or_default();
    // RFC 3339 in UTC with seconds precision, like 2020-02-12T06:36:13Z.
    assert_eq!(id.len(), 20, "{id}");
    assert!(id.ends_with('Z') && id.chars().nth(10) == Some('T'), "{id}");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn destroy_waits_at_least_destroy_duration() -> TestResult {
    let time = configured("time").await?;
    let config = object([("destroy_duration", Value::string("0.1s"))]);
    let state = create(&*time, "time_sleep", &config).await?;
    let started = Instant::now();
    time.delete("time_sleep", &state).await?;
    assert_eq!(started.elapsed(), Duration::from_millis(100));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn duration_change_updates_in_place_and_triggers_replace() -> TestResult {
    let time = configured("time").await?;
    let config = object([
        ("create_duration", Value::string("1ms")),
        ("triggers", string_map(&[("v", "1")])),
    ]);
    let state = create(&*time, "time_sleep", &config).await?;
    assert_eq!(time.read("time_sleep", &state).await?, Some(state.clone()));
    let (same, _) = action(&*time, "time_sleep", &state, &config).await?;
    assert_eq!(same, Action::NoOp);

    let longer = object([
        ("create_duration", Value::string("10m")),
        ("triggers", string_map(&[("v", "1")])),
    ]);
    let (update, response) = action(&*time, "time_sleep", &state, &longer).await?;
    assert_eq!(update, Action::Update);
    let started = Instant::now();
    let updated = time.update("time_sleep", &state, &response.planned).await?;
    assert_eq!(started.elapsed(), Duration::ZERO, "an update does not wait");
    assert_eq!(updated.get("id"), state.get("id"));
    assert_eq!(updated.get("create_duration"), Some(&Value::string("10m")));

    let retriggered = object([
        ("create_duration", Value::string("1ms")),
        ("triggers", string_map(&[("v", "2")])),
    ]);
    let (replace, _) = action(&*time, "time_sleep", &state, &retriggered).await?;
    assert_eq!(replace, Action::Replace(vec!["triggers".into()]));
    Ok(())
}

#[tokio::test]
async fn validation_and_import() -> TestResult {
    let time = configured("time").await?;
    let neither = time.validate("time_sleep", &object([]));
    assert_eq!(
        neither.iter().map(|p| p.code).collect::<Vec<_>>(),
        vec!["E0717"]
    );
    let bad = time.validate(
        "time_sleep",
        &object([("create_duration", Value::string("10"))]),
    );
    assert_eq!(
        bad.iter().map(|p| p.path.to_string()).collect::<Vec<_>>(),
        vec!["create_duration"]
    );

    let imported = time
        .import("time_sleep", "30s,,run=2")
        .await?
        .unwrap_or_else(Value::null);
    assert_eq!(imported.get("create_duration"), Some(&Value::string("30s")));
    assert_eq!(imported.get("destroy_duration"), Some(&Value::null()));
    assert_eq!(imported.get("triggers"), Some(&string_map(&[("run", "2")])));
    for bad in ["30s", ",", "x,", "1s,2s,novalue"] {
        assert!(time.import("time_sleep", bad).await.is_err(), "{bad:?}");
    }
    Ok(())
}
