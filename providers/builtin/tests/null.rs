//! `null_resource`: a random id at creation, kept until `triggers` change.

mod common;

use aic_lang::types::Type;
use aic_lang::value::Value;
use common::{action, configured, create, object, string_map, Action, TestResult};

#[tokio::test]
async fn create_read_and_replace_on_trigger_change() -> TestResult {
    let null = configured("null").await?;
    let config = object([("triggers", string_map(&[("version", "1")]))]);
    let state = create(&*null, "null_resource", &config).await?;
    let id = state
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    assert!(
        !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()),
        "{id}"
    );

    assert_eq!(
        null.read("null_resource", &state).await?,
        Some(state.clone())
    );

    let (same, _) = action(&*null, "null_resource", &state, &config).await?;
    assert_eq!(same, Action::NoOp);

    let changed = object([("triggers", string_map(&[("version", "2")]))]);
    let (replace, response) = action(&*null, "null_resource", &state, &changed).await?;
    assert_eq!(replace, Action::Replace(vec!["triggers".into()]));
    assert_eq!(
        response.planned.get("id"),
        Some(&Value::unknown(Type::String))
    );
    let replacement = null.create("null_resource", &response.planned).await?;
    assert_ne!(replacement.get("id"), state.get("id"));

    null.delete("null_resource", &state).await?;
    Ok(())
}

#[tokio::test]
async fn no_triggers_is_fine() -> TestResult {
    let null = configured("null").await?;
    let state = create(&*null, "null_resource", &object([])).await?;
    let (same, _) = action(&*null, "null_resource", &state, &object([])).await?;
    assert_eq!(same, Action::NoOp);
    Ok(())
}

#[tokio::test]
async fn unknown_trigger_forces_replacement() -> TestResult {
    let null = configured("null").await?;
    let state = create(
        &*null,
        "null_resource",
        &object([("triggers", string_map(&[("a", "1")]))]),
    )
    .await?;
    let unknown = object([(
        "triggers",
        Value::map([("a", Value::unknown(Type::String))]),
    )]);
    let (replace, _) = action(&*null, "null_resource", &state, &unknown).await?;
    assert_eq!(replace, Action::Replace(vec!["triggers".into()]));
    Ok(())
}

#[tokio::test]
async fn unknown_types_and_unsupported_operations_are_errors() -> TestResult {
    let null = configured("null").await?;
    let err = null.create("null_resourse", &object([])).await.err();
    assert_eq!(err.as_ref().map(|e| e.code()), Some("E0706"));
    assert_eq!(
        err.map(|e| e.help_text()).as_deref(),
        Some("Did you mean `null_resource`?")
    );
    let import = null.import("null_resource", "123").await.err();
    assert_eq!(
        import.map(|e| e.kind()),
        Some(aic_provider::ErrorKind::Unsupported)
    );
    let problems = null.validate("null_resource", &object([("trigers", string_map(&[]))]));
    assert_eq!(problems.len(), 1);
    assert_eq!(
        problems.first().and_then(|p| p.help.as_deref()),
        Some("Did you mean `triggers`?")
    );
    Ok(())
}
