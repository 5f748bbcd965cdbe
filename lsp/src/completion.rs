//! Completion. What to offer is read from the text before the cursor (it is usually
//! mid-edit and does not parse): the reference being typed (`var.`, `env.`, `each.`,
//! `module.M.`, `data.T.`, `T.`), the kind of block the cursor is in (attribute names of
//! a resource's schema, required first), the type after `resource`/`data`; names come
//! from the analysis and the provider schemas.

use aic_lang::addr::Mode;
use aic_provider::Registry;
use lsp_types::{
    CompletionItem, CompletionItemKind, Documentation, InsertTextFormat, MarkupContent, MarkupKind,
};

use crate::analysis::Analysis;
use crate::features::type_schema;

fn item(label: &str, kind: CompletionItemKind, detail: Option<String>) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail,
        ..CompletionItem::default()
    }
}

fn doc(text: &str) -> Option<Documentation> {
    (!text.is_empty()).then(|| {
        Documentation::MarkupContent(MarkupContent {
            kind: MarkupKind::Markdown,
            value: text.to_string(),
        })
    })
}

/// The heads of the blocks enclosing the end of `before` (outermost first): the text of
/// the line before each unclosed `{`. Strings and comments are skipped.
fn open_blocks(before: &str) -> Vec<String> {
    let mut stack: Vec<String> = Vec::new();
    let mut line_start = 0;
    let mut chars = before.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\n' => line_start = i + 1,
            '#' => {
                while chars.peek().is_some_and(|(_, c)| *c != '\n') {
                    chars.next();
                }
            }
            '/' if chars.peek().is_some_and(|(_, c)| *c == '/') => {
                while chars.peek().is_some_and(|(_, c)| *c != '\n') {
                    chars.next();
                }
            }
            '"' => {
                let mut escaped = false;
                while let Some((_, c)) = chars.peek().copied() {
                    if c == '\n' {
                        break;
                    }
                    chars.next();
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
            }
            '{' => stack.push(before[line_start..i].trim().to_string()),
            '}' => {
                stack.pop();
            }
            _ => {}
        }
    }
    stack
}

/// Completions at byte `offset` of `text`, a file of module `module` of `analysis`.
pub fn complete(
    analysis: Option<&Analysis>,
    module: Option<usize>,
    registry: &Registry,
    text: &str,
    offset: usize,
) -> Vec<CompletionItem> {
    let before = &text[..offset.min(text.len())];
    let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    let chain_start = line
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
        .last()
        .map_or(line.len(), |(i, _)| i);
    let chain = &line[chain_start..];
    let lead = line[..chain_start].trim();
    let segments: Vec<&str> = chain.split('.').collect();
    let info = analysis.zip(module).and_then(|(a, m)| a.modules.get(m));
    let m = info.map(|i| &i.module);

    // `resource TYPE` / `data TYPE`: the types the providers offer.
    if segments.len() == 1
        && (lead == "resource" || lead == "data")
        && open_blocks(before).is_empty()
    {
        let mode = if lead == "data" {
            Mode::Data
        } else {
            Mode::Managed
        };
        let mut out = Vec::new();
        for (name, provider) in registry.iter() {
            let schema = provider.schema();
            let types = match mode {
                Mode::Managed => &schema.resources,
                Mode::Data => &schema.data_sources,
            };
            for (ty, s) in types {
                let mut i = item(
                    ty,
                    CompletionItemKind::CLASS,
                    Some(format!("provider {name}")),
                );
                i.documentation = doc(&s.description);
                out.push(i);
            }
        }
        return out;
    }

    if segments.len() >= 2 {
        let head = segments[0];
        let mut out = Vec::new();
        match (head, segments.len()) {
            ("var", 2) => {
                for (n, v) in m.into_iter().flat_map(|m| &m.variables) {
                    let ty =
                        v.ty.as_ref()
                            .zip(analysis)
                            .map(|(t, a)| a.sources.snippet(t.span).to_string());
                    out.push(item(n, CompletionItemKind::VARIABLE, ty));
                }
            }
            ("env", 2) => {
                let mut names = vec!["name".to_string()];
                if let Some(root) = analysis.and_then(|a| a.modules.first()) {
                    for b in root.module.environments.values() {
                        for a in b.body.attributes() {
                            if !names.contains(&a.name.name) {
                                names.push(a.name.name.clone());
                            }
                        }
                    }
                }
                for n in names {
                    out.push(item(
                        &n,
                        CompletionItemKind::PROPERTY,
                        Some("env".to_string()),
                    ));
                }
            }
            ("each", 2) => {
                out.push(item(
                    "key",
                    CompletionItemKind::PROPERTY,
                    Some("each".into()),
                ));
                out.push(item(
                    "value",
                    CompletionItemKind::PROPERTY,
                    Some("each".into()),
                ));
            }
            ("count", 2) => out.push(item(
                "index",
                CompletionItemKind::PROPERTY,
                Some("number".into()),
            )),
            ("module", 2) => {
                for (n, c) in m.into_iter().flat_map(|m| &m.module_calls) {
                    out.push(item(n, CompletionItemKind::MODULE, Some(c.source.clone())));
                }
            }
            ("module", 3) => {
                let child = info
                    .and_then(|i| i.children.get(segments[1]))
                    .and_then(|c| analysis.and_then(|a| a.modules.get(*c)));
                for n in child.into_iter().flat_map(|c| c.module.outputs.keys()) {
                    out.push(item(n, CompletionItemKind::FIELD, Some("output".into())));
                }
            }
            ("data", 2) => {
                let mut seen = Vec::new();
                for a in m.into_iter().flat_map(|m| m.resources.keys()) {
                    if a.mode == Mode::Data && !seen.contains(&a.type_name) {
                        seen.push(a.type_name.clone());
                        out.push(item(
                            &a.type_name,
                            CompletionItemKind::CLASS,
                            Some("data source".into()),
                        ));
                    }
                }
            }
            ("data", 3) => {
                for a in m.into_iter().flat_map(|m| m.resources.keys()) {
                    if a.mode == Mode::Data && a.type_name == segments[1] {
                        out.push(item(
                            &a.name,
                            CompletionItemKind::VALUE,
                            Some(a.to_string()),
                        ));
                    }
                }
            }
            (ty, 2) => {
                for a in m.into_iter().flat_map(|m| m.resources.keys()) {
                    if a.mode == Mode::Managed && a.type_name == ty {
                        out.push(item(
                            &a.name,
                            CompletionItemKind::VALUE,
                            Some(a.to_string()),
                        ));
                    }
                }
            }
            (ty, 3) => {
                // `TYPE.NAME.`: every attribute an instance has.
                if let Some(schema) = type_schema(registry, ty, Mode::Managed) {
                    for (n, a) in &schema.attributes {
                        let mut i = item(n, CompletionItemKind::FIELD, Some(a.ty.to_string()));
                        i.documentation = doc(&a.description);
                        out.push(i);
                    }
                }
            }
            _ => {}
        }
        return out;
    }

    // An attribute name at the start of a line in a resource or data body.
    let blocks = open_blocks(before);
    if lead.is_empty() {
        if let Some(first) = blocks.first() {
            let words: Vec<&str> = first.split_whitespace().collect();
            let nested_ok = blocks.iter().skip(1).all(|h| !h.contains('='));
            if let (Some(&kind @ ("resource" | "data")), Some(ty), true) =
                (words.first(), words.get(1), nested_ok)
            {
                let mode = if kind == "data" {
                    Mode::Data
                } else {
                    Mode::Managed
                };
                let ty = ty.trim_matches('"');
                let mut schema = type_schema(registry, ty, mode);
                for h in blocks.iter().skip(1) {
                    let name = h.split_whitespace().next().unwrap_or("");
                    schema = schema.and_then(|s| s.blocks.get(name)).map(|b| &b.block);
                }
                if let Some(schema) = schema {
                    return attribute_items(schema, blocks.len() == 1);
                }
            }
        }
    }

    // An expression: functions, lets and the roots of references.
    let mut out = Vec::new();
    for f in aic_stdlib::all() {
        let mut i = item(f.name, CompletionItemKind::FUNCTION, Some(f.signature()));
        i.documentation = doc(&f.doc);
        i.insert_text = Some(format!("{}($0)", f.name));
        i.insert_text_format = Some(InsertTextFormat::SNIPPET);
        out.push(i);
    }
    for n in m.into_iter().flat_map(|m| m.lets.keys()) {
        out.push(item(n, CompletionItemKind::CONSTANT, Some("let".into())));
    }
    for root in [
        "var", "env", "module", "data", "each", "count", "self", "path",
    ] {
        out.push(item(root, CompletionItemKind::KEYWORD, None));
    }
    let mut types: Vec<&str> = m
        .into_iter()
        .flat_map(|m| m.resources.keys())
        .filter(|a| a.mode == Mode::Managed)
        .map(|a| a.type_name.as_str())
        .collect();
    types.dedup();
    for t in types {
        out.push(item(
            t,
            CompletionItemKind::CLASS,
            Some("resource type".into()),
        ));
    }
    out
}

/// The attributes (required first, with their types) and blocks of a schema; at the top
/// of a resource body also the meta-arguments.
fn attribute_items(
    schema: &aic_provider::schema::ResourceSchema,
    top: bool,
) -> Vec<CompletionItem> {
    let mut out = Vec::new();
    for (n, a) in &schema.attributes {
        if a.is_read_only() {
            continue;
        }
        let tag = if a.required { "required" } else { "optional" };
        let mut i = item(
            n,
            CompletionItemKind::FIELD,
            Some(format!("{} ({tag})", a.ty)),
        );
        i.documentation = doc(&a.description);
        i.sort_text = Some(format!("{}{n}", if a.required { "0" } else { "1" }));
        i.insert_text = Some(format!("{n} = "));
        out.push(i);
    }
    for (n, b) in &schema.blocks {
        let mut i = item(n, CompletionItemKind::STRUCT, Some("block".into()));
        i.documentation = doc(&b.block.description);
        i.sort_text = Some(format!("2{n}"));
        i.insert_text = Some(format!("{n} {{\n  $0\n}}"));
        i.insert_text_format = Some(InsertTextFormat::SNIPPET);
        out.push(i);
    }
    if top {
        for n in aic_lang::config::Resource::META {
            let mut i = item(n, CompletionItemKind::KEYWORD, Some("meta-argument".into()));
            i.sort_text = Some(format!("3{n}"));
            out.push(i);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::open_blocks;

    #[test]
    fn open_blocks_skips_strings_and_comments() {
        let text = "resource a b {\n  x = \"{\" # {\n  tags = {\n    k = 1\n  }\n  ingress {\n    ";
        assert_eq!(open_blocks(text), vec!["resource a b", "ingress"]);
    }
}
