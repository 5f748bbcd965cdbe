//! The `random` resources: values generated once and stable until replacement.

mod common;

use aic_lang::types::Type;
use aic_lang::value::Value;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use common::{action, configured, create, object, string_map, Action, TestResult};

fn text<'a>(state: &'a Value, name: &str) -> &'a str {
    state.get(name).and_then(Value::as_str).unwrap_or_default()
}

#[tokio::test]
async fn random_id_encodings_agree() -> TestResult {
    let random = configured("random").await?;
    let config = object([
        ("byte_length", Value::number(8.0)),
        ("prefix", Value::string("web-")),
    ]);
    let state = create(&*random, "random_id", &config).await?;
    let bytes = URL_SAFE_NO_PAD.decode(text(&state, "id"))?;
    assert_eq!(bytes.len(), 8);
    assert_eq!(
        text(&state, "b64_url"),
        format!("web-{}", text(&state, "id"))
    );
    assert_eq!(
        text(&state, "b64_std"),
        format!("web-{}", STANDARD.encode(&bytes))
    );
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(text(&state, "hex"), format!("web-{hex}"));
    let number = u64::from_be_bytes(bytes.as_slice().try_into()?);
    assert_eq!(text(&state, "dec"), format!("web-{number}"));
    Ok(())
}

#[tokio::test]
async fn random_id_is_stable_until_replaced() -> TestResult {
    let random = configured("random").await?;
    let config = object([
        ("byte_length", Value::number(4.0)),
        ("keepers", string_map(&[("ami", "ami-1")])),
    ]);
    let state = create(&*random, "random_id", &config).await?;
    for _ in 0..3 {
        let refreshed = random.read("random_id", &state).await?;
        assert_eq!(refreshed.as_ref(), Some(&state));
        let (same, response) = action(&*random, "random_id", &state, &config).await?;
        assert_eq!(same, Action::NoOp);
        assert_eq!(response.planned.get("id"), state.get("id"));
    }
    let rotated = object([
        ("byte_length", Value::number(4.0)),
        ("keepers", string_map(&[("ami", "ami-2")])),
    ]);
    let (replace, response) = action(&*random, "random_id", &state, &rotated).await?;
    assert_eq!(replace, Action::Replace(vec!["keepers".into()]));
    let replacement = random.create("random_id", &response.planned).await?;
    assert_ne!(replacement.get("id"), state.get("id"));
    Ok(())
}

#[tokio::test]
async fn random_string_follows_the_rules_and_is_sensitive() -> TestResult {
    let random = configured("random").await?;
    let config = object([
        ("length", Value::number(24.0)),
        ("special", Value::bool(true)),
        ("override_special", Value::string("_-")),
        ("min_special", Value::number(2.0)),
        ("min_upper", Value::number(2.0)),
        ("min_numeric", Value::number(2.0)),
        ("min_lower", Value::number(2.0)),
    ]);
    let response = common::plan(&*random, "random_string", None, &config).await?;
    let planned_result = response.planned.get("result");
    assert_eq!(planned_result.map(Value::is_known), Some(false));
    assert_eq!(planned_result.map(Value::is_sensitive), Some(true));
    assert_eq!(
        response.planned.get("upper"),
        Some(&Value::bool(true)),
        "defaults are filled in"
    );

    let state = random.create("random_string", &response.planned).await?;
    common::assert_matches_plan(&response.planned, &state);
    let result = state.get("result").cloned().unwrap_or_else(Value::null);
    assert!(result.is_sensitive());
    assert_eq!(result.to_string(), "(sensitive)");
    let s = result.as_str().unwrap_or_default();
    assert_eq!(s.chars().count(), 24);
    assert!(
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
        "{s}"
    );
    assert!(
        s.chars().filter(|c| *c == '_' || *c == '-').count() >= 2,
        "{s}"
    );
    assert!(
        s.chars().filter(char::is_ascii_uppercase).count() >= 2,
        "{s}"
    );
    assert!(s.chars().filter(char::is_ascii_digit).count() >= 2, "{s}");
    assert_eq!(text(&state, "id"), "none");
    assert!(state
        .to_plan_json()
        .sensitive
        .iter()
        .any(|p| p.to_string() == "result"));

    let (same, response) = action(&*random, "random_string", &state, &config).await?;
    assert_eq!(same, Action::NoOp);
    assert_eq!(
        response.planned.get("result").and_then(Value::as_str),
        Some(s)
    );

    let longer = object([("length", Value::number(25.0))]);
    let (replace, _) = action(&*random, "random_string", &state, &longer).await?;
    let Action::Replace(paths) = replace else {
        panic!("a new length must replace");
    };
    assert!(paths.contains(&"length".to_owned()), "{paths:?}");
    Ok(())
}

#[tokio::test]
async fn random_string_validation() -> TestResult {
    let random = configured("random").await?;
    let too_short = object([
        ("length", Value::number(3.0)),
        ("min_upper", Value::number(4.0)),
    ]);
    let problems = random.validate("random_string", &too_short);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems.first().map(|p| p.code), Some("E0716"));
    let unknown = object([
        ("length", Value::unknown(Type::Number)),
        ("min_upper", Value::number(4.0)),
    ]);
    assert!(random.validate("random_string", &unknown).is_empty());
    let missing = random.validate("random_string", &object([]));
    assert_eq!(missing.first().map(|p| p.code), Some("E0712"));
    Ok(())
}

#[tokio::test]
async fn random_integer_bounds_seed_and_stability() -> TestResult {
    let random = configured("random").await?;
    let config = object([("min", Value::number(1.0)), ("max", Value::number(6.0))]);
    for _ in 0..20 {
        let state = create(&*random, "random_integer", &config).await?;
        let n = state.get("result").and_then(Value::as_integer).unwrap_or(0);
        assert!((1..=6).contains(&n), "{n}");
        assert_eq!(text(&state, "id"), n.to_string());
    }
    let seeded = object([
        ("min", Value::number(0.0)),
        ("max", Value::number(1_000_000.0)),
        ("seed", Value::string("fixed")),
    ]);
    let a = create(&*random, "random_integer", &seeded).await?;
    let b = create(&*random, "random_integer", &seeded).await?;
    assert_eq!(a.get("result"), b.get("result"), "same seed, same result");

    let (same, _) = action(&*random, "random_integer", &a, &seeded).await?;
    assert_eq!(same, Action::NoOp);
    let wider = object([
        ("min", Value::number(0.0)),
        ("max", Value::number(2_000_000.0)),
        ("seed", Value::string("fixed")),
    ]);
    let (replace, _) = action(&*random, "random_integer", &a, &wider).await?;
    assert_eq!(replace, Action::Replace(vec!["max".into()]));

    let backwards = object([("min", Value::number(5.0)), ("max", Value::number(1.0))]);
    let problems = random.validate("random_integer", &backwards);
    assert_eq!(
        problems.first().map(|p| p.detail.as_str()),
        Some("`min` (5) is greater than `max` (1)")
    );
    let fraction = object([("min", Value::number(0.5)), ("max", Value::number(1.0))]);
    assert!(!random.validate("random_integer", &fraction).is_empty());
    Ok(())
}

#[tokio::test]
async fn imports_match_terraform_ids() -> TestResult {
    let random = configured("random").await?;
    let id = random
        .import("random_id", "p-,AAEC")
        .await?
        .unwrap_or_else(Value::null);
    assert_eq!(text(&id, "hex"), "p-000102");
    assert_eq!(id.get("byte_length"), Some(&Value::number(3.0)));
    let config = object([
        ("byte_length", Value::number(3.0)),
        ("prefix", Value::string("p-")),
    ]);
    let (same, _) = action(&*random, "random_id", &id, &config).await?;
    assert_eq!(
        same,
        Action::NoOp,
        "an import matching the configuration plans no change"
    );

    let string = random
        .import("random_string", "abc")
        .await?
        .unwrap_or_else(Value::null);
    assert_eq!(string.get("length"), Some(&Value::number(3.0)));
    assert_eq!(string.get("result").map(Value::is_sensitive), Some(true));
    let (same, _) = action(
        &*random,
        "random_string",
        &string,
        &object([("length", Value::number(3.0))]),
    )
    .await?;
    assert_eq!(same, Action::NoOp);

    let integer = random
        .import("random_integer", "15,1,20,s")
        .await?
        .unwrap_or_else(Value::null);
    assert_eq!(integer.get("result"), Some(&Value::number(15.0)));
    assert_eq!(text(&integer, "seed"), "s");
    for bad in ["", "1,2", "30,1,20", "a,b,c", "1,1,1,s,x"] {
        let err = random.import("random_integer", bad).await.err();
        assert_eq!(
            err.map(|e| e.kind()),
            Some(aic_provider::ErrorKind::InvalidConfig),
            "{bad:?}"
        );
    }
    Ok(())
}
