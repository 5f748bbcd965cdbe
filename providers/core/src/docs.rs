//! Reference documentation generated from a [`ProviderSchema`], so the documentation of
//! every provider is the schema itself and cannot drift from it. Markdown only; this
//! module writes no file (the provider crates' `gen-docs` examples print it).

use std::fmt::Write as _;

use crate::schema::{AttributeSchema, NestedBlockSchema, Nesting, ProviderSchema, ResourceSchema};

/// The Markdown reference of provider `name`: its configuration, then each resource and
/// data source with one table row per attribute (type, required / optional / computed,
/// force-new, sensitive, default, description). Headings start at level 2.
pub fn markdown(name: &str, schema: &ProviderSchema) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## Provider `{name}`\n");
    if !schema.provider.description.is_empty() {
        let _ = writeln!(out, "{}\n", schema.provider.description);
    }
    if schema.provider.attributes.is_empty() && schema.provider.blocks.is_empty() {
        out.push_str("The provider takes no configuration.\n\n");
    } else {
        out.push_str("Configuration:\n\n");
        resource_body(&mut out, &schema.provider, 4);
    }
    for (type_name, resource) in &schema.resources {
        let _ = writeln!(out, "### Resource `{type_name}`\n");
        description(&mut out, resource);
        resource_body(&mut out, resource, 4);
    }
    for (type_name, data_source) in &schema.data_sources {
        let _ = writeln!(out, "### Data source `{type_name}`\n");
        description(&mut out, data_source);
        resource_body(&mut out, data_source, 4);
    }
    out
}

fn description(out: &mut String, schema: &ResourceSchema) {
    if !schema.description.is_empty() {
        let _ = writeln!(out, "{}\n", schema.description);
    }
}

fn resource_body(out: &mut String, schema: &ResourceSchema, level: usize) {
    if !schema.attributes.is_empty() {
        out.push_str(
            "| Attribute | Type | Use | Force new | Sensitive | Default | Description |\n\
             | --- | --- | --- | --- | --- | --- | --- |\n",
        );
        for (name, attr) in &schema.attributes {
            let _ = writeln!(
                out,
                "| `{name}` | `{}` | {} | {} | {} | {} | {} |",
                cell(&attr.ty.to_string()),
                use_of(attr),
                if attr.force_new { "yes" } else { "" },
                if attr.sensitive { "yes" } else { "" },
                attr.default
                    .as_ref()
                    .map(|d| format!("`{}`", cell(&d.to_string())))
                    .unwrap_or_default(),
                cell(&attr.description),
            );
        }
        out.push('\n');
    }
    for (name, block) in &schema.blocks {
        let _ = writeln!(out, "{} Block `{name}`\n", "#".repeat(level));
        let _ = writeln!(out, "{}\n", block_shape(block));
        description(out, &block.block);
        resource_body(out, &block.block, level + 1);
    }
}

fn use_of(attr: &AttributeSchema) -> &'static str {
    match (attr.required, attr.optional, attr.computed) {
        (true, _, _) => "required",
        (false, true, true) => "optional, computed",
        (false, true, false) => "optional",
        (false, false, true) => "computed",
        (false, false, false) => "",
    }
}

fn block_shape(block: &NestedBlockSchema) -> String {
    let nesting = match block.nesting {
        Nesting::List => "A list of blocks",
        Nesting::Set => "A set of blocks",
        Nesting::Single => "A single block",
    };
    let count = match (block.min_items, block.max_items) {
        (0, None) => String::new(),
        (min, None) => format!(", at least {min}"),
        (0, Some(max)) => format!(", at most {max}"),
        (min, Some(max)) if min == max => format!(", exactly {min}"),
        (min, Some(max)) => format!(", {min} to {max}"),
    };
    let force_new = if block.force_new {
        "; any change forces replacement"
    } else {
        ""
    };
    format!("{nesting}{count}{force_new}.")
}

/// Text safe inside a table cell: pipes escaped, line breaks as `<br>`.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', "<br>")
}

#[cfg(test)]
mod tests {
    use aic_lang::types::Type;

    use super::*;

    #[test]
    fn renders_attributes_and_blocks() {
        let schema = ProviderSchema {
            provider: ResourceSchema::new("Test things."),
            resources: [(
                "test_thing".to_owned(),
                ResourceSchema::new("A thing.")
                    .attribute(
                        "name",
                        AttributeSchema::required(Type::string_union(["a", "b"]))
                            .force_new()
                            .describe("The name."),
                    )
                    .attribute(
                        "mode",
                        AttributeSchema::optional(Type::String).default_value("0777"),
                    )
                    .attribute(
                        "secret",
                        AttributeSchema::computed(Type::String).sensitive(),
                    )
                    .block(
                        "rule",
                        NestedBlockSchema::new(
                            Nesting::Single,
                            ResourceSchema::new("").attribute(
                                "port",
                                AttributeSchema::optional_computed(Type::Number),
                            ),
                        ),
                    ),
            )]
            .into_iter()
            .collect(),
            data_sources: Default::default(),
        };
        let text = markdown("test", &schema);
        assert_eq!(
            text,
            "## Provider `test`\n\nTest things.\n\nThe provider takes no configuration.\n\n\
             ### Resource `test_thing`\n\nA thing.\n\n\
             | Attribute | Type | Use | Force new | Sensitive | Default | Description |\n\
             | --- | --- | --- | --- | --- | --- | --- |\n\
             | `name` | `\"a\" \\| \"b\"` | required | yes |  |  | The name. |\n\
             | `mode` | `string` | optional |  |  | `\"0777\"` |  |\n\
             | `secret` | `string` | computed |  | yes |  |  |\n\n\
             #### Block `rule`\n\nA single block, at most 1.\n\n\
             | Attribute | Type | Use | Force new | Sensitive | Default | Description |\n\
             | --- | --- | --- | --- | --- | --- | --- |\n\
             | `port` | `number` | optional, computed |  |  |  |  |\n\n"
        );
    }
}
