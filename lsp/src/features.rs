//! What the server answers: hover, definition, references, completion, rename, code
//! actions, formatting and document symbols, each a function of an [`Analysis`] (or of
//! a document's text alone) that returns LSP values. No I/O here beyond reading a file's
//! saved text for the `moved` code action.

use std::collections::HashMap;
use std::fmt::Write as _;

use aic_lang::addr::Mode;
use aic_lang::ast::{self, BlockKind, ExprKind, Item};
use aic_lang::diag::{Diagnostic, Severity};
use aic_lang::source::{FileId, SourceMap, Span};
use aic_lang::syntax;
use aic_provider::schema::ResourceSchema;
use aic_provider::Registry;
use lsp_types as lsp;
use lsp_types::Url;

use crate::analysis::{Analysis, Occurrence, SymKind, Symbol};
use crate::text;

/// The URL of a file of `sources`.
pub fn url_of(sources: &SourceMap, file: FileId) -> Option<Url> {
    let path = &sources.get(file)?.path;
    let abs = path.canonicalize().unwrap_or_else(|_| path.clone());
    Url::from_file_path(abs).ok()
}

/// A span of `sources` as an LSP location.
pub fn location(sources: &SourceMap, span: Span) -> Option<lsp::Location> {
    let f = sources.get(span.file)?;
    Some(lsp::Location {
        uri: url_of(sources, span.file)?,
        range: text::range(&f.text, span.start as usize, span.end as usize),
    })
}

/// `aic validate`'s diagnostics, as LSP diagnostics per file URL.
pub fn diagnostics(
    diags: &[Diagnostic],
    sources: &SourceMap,
) -> HashMap<Url, Vec<lsp::Diagnostic>> {
    let mut out: HashMap<Url, Vec<lsp::Diagnostic>> = HashMap::new();
    for d in diags {
        let Some(span) = d.primary_span() else {
            continue;
        };
        let (Some(url), Some(file)) = (url_of(sources, span.file), sources.get(span.file)) else {
            continue;
        };
        let mut message = d.summary.clone();
        if let Some(l) = d.labels.iter().find(|l| l.primary) {
            if !l.message.is_empty() {
                let _ = write!(message, ": {}", l.message);
            }
        }
        if let Some(h) = &d.help {
            let _ = write!(message, "\n{h}");
        }
        let related: Vec<lsp::DiagnosticRelatedInformation> = d
            .labels
            .iter()
            .filter(|l| !l.primary)
            .filter_map(|l| {
                Some(lsp::DiagnosticRelatedInformation {
                    location: location(sources, l.span)?,
                    message: l.message.clone(),
                })
            })
            .collect();
        out.entry(url).or_default().push(lsp::Diagnostic {
            range: text::range(&file.text, span.start as usize, span.end as usize),
            severity: Some(match d.severity {
                Severity::Error => lsp::DiagnosticSeverity::ERROR,
                Severity::Warning => lsp::DiagnosticSeverity::WARNING,
            }),
            code: Some(lsp::NumberOrString::String(d.code.to_string())),
            source: Some("aic".to_string()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            ..lsp::Diagnostic::default()
        });
    }
    out
}

fn markdown(value: String) -> lsp::Hover {
    lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value,
        }),
        range: None,
    }
}

fn snippet(sources: &SourceMap, span: Span) -> String {
    let s = sources.snippet(span);
    if s.len() > 400 {
        let mut end = 400;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{} …", &s[..end])
    } else {
        s.to_string()
    }
}

fn described(body: Option<&ast::Body>, sources: &SourceMap) -> Option<String> {
    let a = body?.attribute("description")?;
    match &a.value.kind {
        ExprKind::Template(_) => aic_lang::config::literal_string(&a.value),
        _ => Some(snippet(sources, a.value.span)),
    }
}

/// The schema of a resource or data source type.
pub fn type_schema<'r>(
    registry: &'r Registry,
    type_name: &str,
    mode: Mode,
) -> Option<&'r ResourceSchema> {
    let (_, provider) = registry.for_type(type_name)?;
    match mode {
        Mode::Managed => provider.schema().resource(type_name),
        Mode::Data => provider.schema().data_source(type_name),
    }
}

fn nested<'s>(schema: &'s ResourceSchema, path: &[String]) -> Option<&'s ResourceSchema> {
    path.iter()
        .try_fold(schema, |s, p| s.blocks.get(p).map(|b| &b.block))
}

fn attribute_line(name: &str, a: &aic_provider::schema::AttributeSchema) -> String {
    let mut tags = Vec::new();
    if a.required {
        tags.push("required");
    } else if a.optional {
        tags.push("optional");
    }
    if a.computed {
        tags.push("computed");
    }
    if a.force_new {
        tags.push("forces replacement");
    }
    if a.sensitive {
        tags.push("sensitive");
    }
    format!("`{name}`: `{}` ({})", a.ty, tags.join(", "))
}

/// Hover text at byte `offset` of `file`.
pub fn hover(
    analysis: &Analysis,
    registry: &Registry,
    file: FileId,
    offset: usize,
) -> Option<lsp::Hover> {
    let (_, occ) = analysis.occurrence_at(file, offset)?;
    let src = &analysis.sources;
    let text = match occ {
        Occurrence::Def(sym) | Occurrence::Ref(sym) => symbol_doc(analysis, registry, sym)?,
        Occurrence::ResourceType { type_name, mode } => {
            let schema = type_schema(registry, type_name, *mode)?;
            let kind = if *mode == Mode::Data {
                "data source"
            } else {
                "resource"
            };
            let mut s = format!("**{kind} `{type_name}`**\n\n{}\n", schema.description);
            let mut attrs: Vec<_> = schema.attributes.iter().collect();
            attrs.sort_by_key(|(_, a)| !a.required);
            for (n, a) in attrs {
                let _ = write!(s, "\n- {}", attribute_line(n, a));
            }
            for n in schema.blocks.keys() {
                let _ = write!(s, "\n- `{n} {{ … }}` (block)");
            }
            s
        }
        Occurrence::SchemaAttr {
            type_name,
            mode,
            path,
            name,
        } => {
            let schema = nested(type_schema(registry, type_name, *mode)?, path)?;
            if let Some(a) = schema.attributes.get(name) {
                format!("{}\n\n{}", attribute_line(name, a), a.description)
            } else {
                let b = schema.blocks.get(name)?;
                format!(
                    "`{name} {{ … }}` (block of `{type_name}`)\n\n{}",
                    b.block.description
                )
            }
        }
        Occurrence::Function(name) => {
            let f = aic_stdlib::lookup(name)?;
            format!("```aic\n{}\n```\n\n{}", f.signature(), f.doc)
        }
        Occurrence::EnvAttr(name) => {
            let root = &analysis.modules.first()?.module;
            let mut s = format!("**`env.{name}`** per environment\n");
            if root.environments.is_empty() {
                let _ = write!(s, "\nNo environment is declared: only `default` exists.");
            }
            for (env, block) in &root.environments {
                let value = if name == "name" {
                    format!("\"{env}\"")
                } else {
                    match block.body.attribute(name) {
                        Some(a) => snippet(src, a.value.span),
                        None => "(not set)".to_string(),
                    }
                };
                let _ = write!(s, "\n- `{env}`: `{value}`");
            }
            s
        }
        Occurrence::ModuleSource(child) => module_doc(analysis, *child),
    };
    Some(markdown(text))
}

fn module_doc(analysis: &Analysis, index: usize) -> String {
    let Some(info) = analysis.modules.get(index) else {
        return String::new();
    };
    let m = &info.module;
    let mut s = format!("module at `{}`\n", m.dir.display());
    for (n, v) in &m.variables {
        let ty =
            v.ty.as_ref()
                .map(|t| analysis.sources.snippet(t.span))
                .unwrap_or("any");
        let req = if v.default.is_none() {
            " (required)"
        } else {
            ""
        };
        let _ = write!(s, "\n- variable `{n}`: `{ty}`{req}");
    }
    for n in m.outputs.keys() {
        let _ = write!(s, "\n- output `{n}`");
    }
    s
}

fn symbol_doc(analysis: &Analysis, registry: &Registry, sym: &Symbol) -> Option<String> {
    let src = &analysis.sources;
    let m = &analysis.modules.get(sym.module)?.module;
    let name = sym.name.as_str();
    Some(match sym.kind {
        SymKind::Variable => {
            let v = m.variables.get(name)?;
            let mut head = format!("variable {name}");
            if let Some(t) = &v.ty {
                let _ = write!(head, ": {}", src.snippet(t.span));
            }
            if let Some(d) = &v.default {
                let _ = write!(head, " = {}", snippet(src, d.span));
            }
            let mut s = format!("```aic\n{head}\n```");
            if v.default.is_none() {
                s.push_str("\n\nRequired: no default.");
            }
            if let Some(d) = described(v.body.as_ref(), src) {
                let _ = write!(s, "\n\n{d}");
            }
            s
        }
        SymKind::Let => {
            let l = m.lets.get(name)?;
            format!("```aic\nlet {name} = {}\n```", snippet(src, l.value.span))
        }
        SymKind::Output => {
            let o = m.outputs.get(name)?;
            let mut s = format!(
                "```aic\noutput {name} = {}\n```",
                snippet(src, o.value.span)
            );
            if let Some(d) = described(o.body.as_ref(), src) {
                let _ = write!(s, "\n\n{d}");
            }
            s
        }
        SymKind::Type => {
            let t = m.types.get(name)?;
            format!("```aic\ntype {name} = {}\n```", src.snippet(t.ty.span))
        }
        SymKind::Resource | SymKind::Data => {
            let (ty, _) = name.split_once('.')?;
            let mode = if sym.kind == SymKind::Data {
                Mode::Data
            } else {
                Mode::Managed
            };
            let prefix = if mode == Mode::Data { "data." } else { "" };
            let mut s = format!("**{} `{prefix}{name}`**", sym.kind.word());
            if let Some(schema) = type_schema(registry, ty, mode) {
                let _ = write!(s, "\n\n{}", schema.description);
            }
            s
        }
        SymKind::Module => {
            let call = m.module_calls.get(name)?;
            let mut s = format!("**module `{name}`** (`source = \"{}\"`)\n\n", call.source);
            if let Some(child) = analysis.modules.get(sym.module)?.children.get(name) {
                s.push_str(&module_doc(analysis, *child));
            }
            s
        }
        SymKind::Environment => {
            let b = m.environments.get(name)?;
            format!("```aic\n{}\n```", snippet(src, b.span))
        }
    })
}

/// Where the thing at `offset` is declared.
pub fn definition(analysis: &Analysis, file: FileId, offset: usize) -> Vec<lsp::Location> {
    let Some((_, occ)) = analysis.occurrence_at(file, offset) else {
        return Vec::new();
    };
    let src = &analysis.sources;
    match occ {
        Occurrence::Def(sym) | Occurrence::Ref(sym) => analysis
            .definition(sym)
            .and_then(|s| location(src, s))
            .into_iter()
            .collect(),
        Occurrence::ModuleSource(child) => {
            let Some(info) = analysis.modules.get(*child) else {
                return Vec::new();
            };
            src.files()
                .filter(|(_, f)| {
                    f.path
                        .parent()
                        .is_some_and(|d| crate::analysis::same_dir(d, &info.module.dir))
                })
                .filter_map(|(id, _)| location(src, Span::new(id, 0, 0)))
                .collect()
        }
        Occurrence::EnvAttr(name) => {
            let Some(root) = analysis.modules.first() else {
                return Vec::new();
            };
            root.module
                .environments
                .values()
                .filter_map(|b| {
                    if name == "name" {
                        b.labels.first().map(|l| l.span)
                    } else {
                        b.body.attribute(name).map(|a| a.name.span)
                    }
                })
                .filter_map(|s| location(src, s))
                .collect()
        }
        _ => Vec::new(),
    }
}

/// Every use of the symbol at `offset` (and its declaration when asked).
pub fn references(
    analysis: &Analysis,
    file: FileId,
    offset: usize,
    include_declaration: bool,
) -> Vec<lsp::Location> {
    let Some((_, Occurrence::Def(sym) | Occurrence::Ref(sym))) =
        analysis.occurrence_at(file, offset)
    else {
        return Vec::new();
    };
    let mut spans = analysis.references(sym);
    if include_declaration {
        spans.extend(analysis.definition(sym));
    }
    spans.sort();
    spans
        .into_iter()
        .filter_map(|s| location(&analysis.sources, s))
        .collect()
}

/// Why a rename was refused.
pub struct RenameRefused(pub String);

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Renames the let, variable or resource at `offset`. A resource's rename also adds a
/// `moved` block, so that its instances keep their state.
pub fn rename(
    analysis: &Analysis,
    file: FileId,
    offset: usize,
    new_name: &str,
) -> Result<lsp::WorkspaceEdit, RenameRefused> {
    if !is_identifier(new_name) {
        return Err(RenameRefused(format!("`{new_name}` is not an identifier")));
    }
    let Some((_, Occurrence::Def(sym) | Occurrence::Ref(sym))) =
        analysis.occurrence_at(file, offset)
    else {
        return Err(RenameRefused("nothing to rename here".to_string()));
    };
    let Some(def) = analysis.definition(sym) else {
        return Err(RenameRefused("its declaration was not found".to_string()));
    };
    let mut spans = analysis.references(sym);
    spans.push(def);
    let mut edits: HashMap<Url, Vec<lsp::TextEdit>> = HashMap::new();
    let mut add = |span: Span, new_text: String| {
        if let Some(loc) = location(&analysis.sources, span) {
            edits.entry(loc.uri).or_default().push(lsp::TextEdit {
                range: loc.range,
                new_text,
            });
        }
    };
    match sym.kind {
        SymKind::Let | SymKind::Variable => {
            for s in spans {
                add(s, new_name.to_string());
            }
        }
        SymKind::Resource => {
            let (ty, old) = sym.name.split_once('.').unwrap_or(("", ""));
            for s in spans {
                add(s, new_name.to_string());
            }
            let end = analysis.sources.get(def.file).map_or(0, |f| f.text.len());
            add(
                Span::new(def.file, end, end),
                moved_block(ty, old, new_name),
            );
        }
        other => {
            return Err(RenameRefused(format!(
                "a {} cannot be renamed here; lets, variables and resources can",
                other.word()
            )))
        }
    }
    Ok(lsp::WorkspaceEdit {
        changes: Some(edits),
        ..lsp::WorkspaceEdit::default()
    })
}

fn moved_block(ty: &str, from: &str, to: &str) -> String {
    format!("\nmoved {{\n  from = {ty}.{from}\n  to   = {ty}.{to}\n}}\n")
}

/// The suggestion of a "Did you mean `X`?" help.
pub fn suggestion(help: &str) -> Option<String> {
    let rest = &help[help.find("Did you mean ")? + "Did you mean ".len()..];
    let end = rest.find('?')?;
    let s = rest[..end].trim_matches('`');
    (!s.is_empty()).then(|| s.to_string())
}

/// The text that replaces `written` to follow suggestion `s`.
fn replacement(written: &str, s: &str) -> String {
    let quoted = |t: &str| t.len() >= 2 && t.starts_with('"') && t.ends_with('"');
    if quoted(written) && !quoted(s) {
        return format!("\"{s}\"");
    }
    if !s.contains('.') {
        if let Some((head, _)) = written.rsplit_once('.') {
            return format!("{head}.{s}");
        }
    }
    s.to_string()
}

/// Quick fixes for the diagnostics at `range` of `file` that suggest a name, and the
/// `moved` block for a resource renamed by hand since the file was saved.
pub fn code_actions(
    analysis: &Analysis,
    uri: &Url,
    doc_text: &str,
    saved_text: Option<&str>,
    range: lsp::Range,
) -> Vec<lsp::CodeActionOrCommand> {
    let mut out = Vec::new();
    let src = &analysis.diagnostic_sources;
    for d in &analysis.diagnostics {
        let Some(span) = d.primary_span() else {
            continue;
        };
        let Some(loc) = location(src, span) else {
            continue;
        };
        if &loc.uri != uri || !overlaps(loc.range, range) {
            continue;
        }
        let Some(s) = d.help.as_deref().and_then(suggestion) else {
            continue;
        };
        let new_text = replacement(src.snippet(span), &s);
        let fixes = diagnostics(std::slice::from_ref(d), src)
            .remove(uri)
            .unwrap_or_default();
        out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
            title: format!("Replace with `{new_text}`"),
            kind: Some(lsp::CodeActionKind::QUICKFIX),
            diagnostics: Some(fixes),
            edit: Some(single_edit(uri, loc.range, new_text)),
            is_preferred: Some(true),
            ..lsp::CodeAction::default()
        }));
    }
    if let Some(action) = moved_action(analysis, uri, doc_text, saved_text, range) {
        out.push(action);
    }
    out
}

fn overlaps(a: lsp::Range, b: lsp::Range) -> bool {
    let key = |p: lsp::Position| (p.line, p.character);
    key(a.start) <= key(b.end) && key(b.start) <= key(a.end)
}

fn single_edit(uri: &Url, range: lsp::Range, new_text: String) -> lsp::WorkspaceEdit {
    lsp::WorkspaceEdit {
        changes: Some(HashMap::from([(
            uri.clone(),
            vec![lsp::TextEdit { range, new_text }],
        )])),
        ..lsp::WorkspaceEdit::default()
    }
}

/// The resources of a text, in order: (type, name, name span).
fn resources_of(text: &str) -> Vec<(String, String, Span)> {
    syntax::parse_file(FileId(0), text)
        .file
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Block(b) if b.top_kind == Some(BlockKind::Resource) => {
                let ty = b.labels.first()?;
                let name = b.labels.get(1)?;
                Some((ty.value.clone(), name.value.clone(), name.span))
            }
            _ => None,
        })
        .collect()
}

/// A resource whose name at `range` differs from the saved file's: offer to record the
/// rename in a `moved` block (its instances keep their state) and to update the
/// references to the old name.
fn moved_action(
    analysis: &Analysis,
    uri: &Url,
    doc_text: &str,
    saved_text: Option<&str>,
    range: lsp::Range,
) -> Option<lsp::CodeActionOrCommand> {
    let now = resources_of(doc_text);
    let before = resources_of(saved_text?);
    if now.len() != before.len() {
        return None;
    }
    let start = text::offset(doc_text, range.start);
    let (i, (ty, name, _)) = now
        .iter()
        .enumerate()
        .find(|(_, (_, _, s))| s.start as usize <= start && start <= s.end as usize)?;
    let (old_ty, old, _) = before.get(i)?;
    if old_ty != ty || old == name || now.iter().any(|(t, n, _)| t == ty && n == old) {
        return None;
    }
    let mut edits = vec![lsp::TextEdit {
        range: text::range(doc_text, doc_text.len(), doc_text.len()),
        new_text: moved_block(ty, old, name),
    }];
    // References still naming the old address (they are "unknown resource" errors now).
    let file = analysis.file_id(&uri.to_file_path().ok()?)?;
    let wanted = format!("{ty}.{old}");
    let f = analysis.sources.get(file)?;
    for (s, _) in analysis.occurrences.get(&file).into_iter().flatten().filter(|(_, o)| {
        matches!(o, Occurrence::ResourceType { type_name, mode: Mode::Managed } if type_name == ty)
    }) {
        let after = &f.text[s.end as usize..];
        if let Some(rest) = after.strip_prefix('.') {
            if rest.starts_with(old.as_str())
                && !rest[old.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            {
                let at = s.end as usize + 1;
                edits.push(lsp::TextEdit {
                    range: text::range(&f.text, at, at + old.len()),
                    new_text: name.clone(),
                });
            }
        }
    }
    Some(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
        title: format!("Record the rename of `{wanted}` to `{ty}.{name}` in a `moved` block"),
        kind: Some(lsp::CodeActionKind::REFACTOR),
        edit: Some(lsp::WorkspaceEdit {
            changes: Some(HashMap::from([(uri.clone(), edits)])),
            ..lsp::WorkspaceEdit::default()
        }),
        ..lsp::CodeAction::default()
    }))
}

/// The whole document formatted as `aic fmt` does, as one edit; `None` when it has
/// syntax errors or is formatted already.
pub fn formatting(text: &str) -> Option<Vec<lsp::TextEdit>> {
    let new = syntax::format::format_source(FileId(0), text).ok()?;
    if new == text {
        return Some(Vec::new());
    }
    Some(vec![lsp::TextEdit {
        range: text::range(text, 0, text.len()),
        new_text: new,
    }])
}

/// The items of a document, as an outline.
#[allow(deprecated)] // `DocumentSymbol::deprecated` must be written out.
pub fn document_symbols(text: &str) -> Vec<lsp::DocumentSymbol> {
    let parsed = syntax::parse_file(FileId(0), text);
    let sym = |name: String, detail: Option<String>, kind, span: Span, sel: Span, children| {
        lsp::DocumentSymbol {
            name,
            detail,
            kind,
            tags: None,
            deprecated: None,
            range: text::range(text, span.start as usize, span.end as usize),
            selection_range: text::range(text, sel.start as usize, sel.end as usize),
            children,
        }
    };
    parsed
        .file
        .items
        .iter()
        .map(|item| match item {
            Item::Variable(v) => sym(
                v.name.name.clone(),
                Some("variable".into()),
                lsp::SymbolKind::VARIABLE,
                v.span,
                v.name.span,
                None,
            ),
            Item::Let(l) => sym(
                l.name.name.clone(),
                Some("let".into()),
                lsp::SymbolKind::CONSTANT,
                l.span,
                l.name.span,
                None,
            ),
            Item::Output(o) => sym(
                o.name.name.clone(),
                Some("output".into()),
                lsp::SymbolKind::PROPERTY,
                o.span,
                o.name.span,
                None,
            ),
            Item::Type(t) => sym(
                t.name.name.clone(),
                Some("type".into()),
                lsp::SymbolKind::TYPE_PARAMETER,
                t.span,
                t.name.span,
                None,
            ),
            Item::Block(b) => {
                let labels: Vec<&str> = b.labels.iter().map(|l| l.value.as_str()).collect();
                let (name, kind) = match b.top_kind {
                    Some(BlockKind::Resource) => (labels.join("."), lsp::SymbolKind::STRUCT),
                    Some(BlockKind::Data) => (
                        format!("data.{}", labels.join(".")),
                        lsp::SymbolKind::STRUCT,
                    ),
                    Some(BlockKind::Module) => (
                        format!("module.{}", labels.join(".")),
                        lsp::SymbolKind::MODULE,
                    ),
                    Some(BlockKind::Environment) => (labels.join("."), lsp::SymbolKind::NAMESPACE),
                    _ => {
                        let mut n = b.kind.name.clone();
                        for l in &labels {
                            n.push(' ');
                            n.push_str(l);
                        }
                        (n, lsp::SymbolKind::OBJECT)
                    }
                };
                let name = if name.is_empty() {
                    b.kind.name.clone()
                } else {
                    name
                };
                let sel = b.labels.last().map_or(b.kind.span, |l| l.span);
                let children: Vec<lsp::DocumentSymbol> = b
                    .body
                    .attributes()
                    .map(|a| {
                        sym(
                            a.name.name.clone(),
                            None,
                            lsp::SymbolKind::FIELD,
                            a.span,
                            a.name.span,
                            None,
                        )
                    })
                    .collect();
                sym(
                    name,
                    Some(b.kind.name.clone()),
                    kind,
                    b.span,
                    sel,
                    Some(children),
                )
            }
        })
        .collect()
}
