//! Every built-in schema follows the rules the engine and checker rely on, and the
//! registry finds each provider by name and by type prefix.

mod common;

use aic_lang::value::Value;
use aic_provider::{schema_type, Registry, ResourceSchema};
use aic_provider_builtin::WithBuiltin;

fn is_snake_case(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
}

fn check_resource(type_name: &str, schema: &ResourceSchema, is_data: bool) {
    assert!(is_snake_case(type_name), "{type_name}");
    assert!(
        !schema.description.is_empty(),
        "{type_name} has no description"
    );
    assert!(
        schema.attributes.contains_key("id"),
        "{type_name} has no `id` attribute"
    );
    for (name, attr) in &schema.attributes {
        let at = format!("{type_name}.{name}");
        assert!(is_snake_case(name), "{at}: not snake_case");
        assert!(!attr.description.is_empty(), "{at}: no description");
        assert!(
            attr.required || attr.optional || attr.computed,
            "{at}: neither required, optional nor computed"
        );
        if attr.required {
            assert!(!attr.optional && !attr.computed, "{at}: required and more");
            assert!(attr.default.is_none(), "{at}: required with a default");
        }
        if attr.is_read_only() {
            assert!(!attr.force_new, "{at}: read-only yet force-new");
            assert!(attr.default.is_none(), "{at}: read-only with a default");
        }
        if let Some(default) = &attr.default {
            assert!(attr.optional, "{at}: default on a non-optional attribute");
            assert!(
                attr.ty.accepts_value(default).is_ok(),
                "{at}: default of the wrong type"
            );
        }
        if is_data {
            assert!(!attr.force_new, "{at}: force-new on a data source");
        }
    }
    // `id` is always computed by the provider.
    assert!(
        schema
            .attributes
            .get("id")
            .is_some_and(|a| a.is_read_only()),
        "{type_name}.id"
    );
    // The instance type lists every attribute.
    let ty = schema_type(schema);
    let instance = schema.instance(Vec::<(String, Value)>::new());
    assert!(ty.accepts_value(&instance).is_ok(), "{type_name}: {ty}");
}

#[test]
fn every_schema_is_sane() {
    let registry = Registry::with_builtin();
    let mut resources = 0;
    for (name, provider) in registry.iter() {
        let schema = provider.schema();
        assert!(!schema.provider.description.is_empty(), "{name}");
        assert!(
            schema.provider.attributes.is_empty(),
            "{name} takes no configuration"
        );
        for (type_name, resource) in &schema.resources {
            assert!(type_name.starts_with(&format!("{name}_")), "{type_name}");
            check_resource(type_name, resource, false);
            resources += 1;
        }
        for (type_name, data) in &schema.data_sources {
            check_resource(type_name, data, true);
        }
    }
    assert_eq!(resources, 7);
}

#[test]
fn registry_finds_providers_by_name_and_type() {
    let registry = Registry::with_builtin();
    assert_eq!(
        registry.names().collect::<Vec<_>>(),
        vec!["null", "random", "local", "time"]
    );
    for (type_name, provider) in [
        ("null_resource", "null"),
        ("random_id", "random"),
        ("random_string", "random"),
        ("local_file", "local"),
        ("local_sensitive_file", "local"),
        ("time_sleep", "time"),
    ] {
        let found = registry.for_type(type_name).map(|(name, _)| name);
        assert_eq!(found, Some(provider), "{type_name}");
        let owner = registry
            .get(provider)
            .map(|p| p.schema().resource(type_name).is_some());
        assert_eq!(owner, Some(true), "{type_name}");
    }
    assert!(registry.for_type("aws_instance").is_none());
    assert!(registry.for_type("localfile").is_none());
    let err = registry.require("radnom").err();
    assert_eq!(
        err.as_ref().map(|e| e.help_text()).as_deref(),
        Some("Did you mean `random`?")
    );
    assert_eq!(err.map(|e| e.code()), Some("E0704"));
}

#[test]
fn attribute_names_suggest_fixes() {
    let registry = Registry::with_builtin();
    let schema = registry
        .get("local")
        .and_then(|p| p.schema().resource("local_file").cloned())
        .unwrap_or_default();
    assert_eq!(schema.suggest("filname"), Some("filename"));
    assert_eq!(schema.suggest("file_permissions"), Some("file_permission"));
    assert_eq!(schema.suggest("zzz"), None);
    assert!(schema
        .attribute_names()
        .any(|n| n == "content_base64sha512"));
}
