//! Properties of the views over random plans: the Markdown comment fits its limit,
//! closes every fence it opens and keeps its marker line; no view shows a sensitive
//! value.

use aic_engine::plan::{Action, OutputChange, Plan, PolicyLevel, PolicyResult, ResourceChange};
use aic_engine::render::{marker_line, render_json, render_markdown, render_text, TextOptions};
use aic_lang::addr::{InstanceAddr, InstanceKey, ModuleInstance, ResourceAddr};
use aic_lang::types::Type;
use aic_lang::value::{AttrPath, PathStep, Value};
use proptest::prelude::*;

/// Sensitive strings carry this; nothing else can (generated text is lowercase).
const SECRET: &str = "SECRET";

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::null()),
        any::<bool>().prop_map(Value::bool),
        (-1000i32..1000).prop_map(Value::from),
        "[a-z0-9 .:/-]{0,24}".prop_map(Value::string),
        // Multi-line text, with backticks that could close a fence.
        "[a-z`{}\\[\\]\" \n]{0,60}".prop_map(Value::string),
        Just(Value::string(
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"s3:*"}]}"#
        )),
        Just(Value::unknown(Type::String)),
        "[a-z\n]{0,12}".prop_map(|s| Value::string(format!("{SECRET}-{s}")).mark_sensitive()),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::list),
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::set),
            prop::collection::vec(("[a-z_]{1,8}", inner.clone()), 0..5).prop_map(Value::map),
            prop::collection::vec(("[a-z_]{1,8}", inner.clone()), 0..5).prop_map(Value::object),
            inner.prop_map(Value::mark_sensitive),
        ]
    })
}

/// A resource object: attributes, some of them blocks.
fn object() -> impl Strategy<Value = Value> {
    prop::collection::vec(("[a-z_]{1,10}", value()), 0..8).prop_map(Value::object)
}

fn addr() -> impl Strategy<Value = InstanceAddr> {
    (
        prop::option::of(("[a-z]{1,6}", prop::option::of("[a-z0-9-]{1,10}"))),
        prop_oneof![
            Just("aws_instance"),
            Just("aws_s3_bucket"),
            Just("google_sql_database")
        ],
        "[a-z_]{1,12}",
        prop::option::of(prop_oneof![
            (0u64..20).prop_map(InstanceKey::Int),
            "[a-z-]{1,8}".prop_map(InstanceKey::Str),
        ]),
        any::<bool>(),
    )
        .prop_map(|(module, type_name, name, key, data)| {
            let module = match module {
                Some((m, k)) => ModuleInstance::root().child(m, k.map(InstanceKey::Str)),
                None => ModuleInstance::root(),
            };
            let resource = if data {
                ResourceAddr::data(type_name, name)
            } else {
                ResourceAddr::managed(type_name, name)
            };
            InstanceAddr {
                module,
                resource,
                key,
            }
        })
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        Just(Action::NoOp),
        Just(Action::Create),
        Just(Action::Read),
        Just(Action::Update),
        Just(Action::Delete),
        Just(Action::DeleteThenCreate),
        Just(Action::CreateThenDelete),
    ]
}

fn resource_change() -> impl Strategy<Value = ResourceChange> {
    (
        addr(),
        action(),
        object(),
        object(),
        prop::collection::vec("[a-z_]{1,10}", 0..2),
    )
        .prop_map(|(addr, action, before, after, replace)| {
            let (before, after) = match action {
                Action::Create | Action::Read => (None, Some(after)),
                Action::Delete => (Some(before), None),
                _ => (Some(before), Some(after)),
            };
            let mut change = ResourceChange::new(addr, action, before, after);
            change.replace_paths = replace
                .into_iter()
                .map(|name| AttrPath::new(vec![PathStep::Attr(name)]))
                .collect();
            change
        })
}

fn output_change() -> impl Strategy<Value = OutputChange> {
    (action(), value(), value()).prop_map(|(action, before, after)| match action {
        Action::Create | Action::Read => OutputChange {
            action: Action::Create,
            before: None,
            after: Some(after),
        },
        Action::Delete => OutputChange {
            action,
            before: Some(before),
            after: None,
        },
        _ => OutputChange {
            action,
            before: Some(before),
            after: Some(after),
        },
    })
}

fn policy_result() -> impl Strategy<Value = PolicyResult> {
    (
        "[a-z_]{1,16}",
        prop::option::of(addr()),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        "[a-z |<>&`\n]{0,80}",
    )
        .prop_map(
            |(policy, address, error, passed, deferred, message)| PolicyResult {
                policy,
                address,
                level: if error {
                    PolicyLevel::Error
                } else {
                    PolicyLevel::Warning
                },
                passed: passed && !deferred,
                deferred,
                message,
            },
        )
}

fn plan() -> impl Strategy<Value = Plan> {
    (
        "[a-z][a-z0-9-]{0,11}",
        prop::collection::vec(resource_change(), 0..70),
        prop::collection::vec(resource_change(), 0..3),
        prop::collection::vec(("[a-z_]{1,10}", output_change()), 0..5),
        prop::collection::vec(policy_result(), 0..12),
    )
        .prop_map(|(env, changes, drift, outputs, policies)| {
            let mut plan = Plan::new(env);
            plan.resource_changes = changes;
            plan.drift = drift;
            plan.output_changes = outputs.into_iter().collect();
            plan.policy_results = policies;
            plan
        })
}

/// Whether every fence opened (three or more backticks after at most three spaces)
/// is closed by a fence at least as long, as CommonMark reads it.
fn fences_closed(markdown: &str) -> bool {
    let mut open: Option<usize> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start_matches(' ');
        if line.len() - trimmed.len() > 3 {
            continue;
        }
        let ticks = trimmed.chars().take_while(|&c| c == '`').count();
        let rest = trimmed.get(ticks..).unwrap_or_default();
        match open {
            None if ticks >= 3 => open = Some(ticks),
            Some(n) if ticks >= n && rest.trim().is_empty() => open = None,
            _ => {}
        }
    }
    open.is_none()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn markdown_fits_and_stays_well_formed(plan in plan(), max_len in 2_000usize..40_000) {
        let markdown = render_markdown(&plan, max_len);
        prop_assert!(markdown.len() <= max_len, "{} > {max_len}", markdown.len());
        prop_assert!(fences_closed(&markdown), "unclosed fence:\n{markdown}");
        let marker = marker_line(&plan.environment);
        prop_assert_eq!(markdown.lines().next(), Some(marker.as_str()));
        prop_assert_eq!(
            markdown.matches("<details>").count(),
            markdown.matches("</details>").count()
        );
        let last = markdown.lines().last().unwrap_or_default();
        prop_assert!(last.starts_with("Plan: ") || last.starts_with("No changes."), "{last}");
    }

    #[test]
    fn no_view_shows_a_sensitive_value(plan in plan()) {
        let views = [
            render_text(&plan, &TextOptions::default()),
            render_json(&plan),
            render_markdown(&plan, 65_536),
        ];
        for view in views {
            prop_assert!(!view.contains(SECRET), "a sensitive value leaked:\n{view}");
        }
    }
}
