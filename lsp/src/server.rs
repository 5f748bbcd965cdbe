//! The connection, the open documents, the analyses and the dispatch of messages.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aic_lang::diag::Diagnostic;
use aic_lang::world::Overlay;
use aic_provider::Registry;
use crossbeam_channel::{after, never, select};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types as lsp;
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use lsp_types::Url;
use serde_json::Value as Json;

use crate::analysis::Analysis;
use crate::{completion, features, text};

/// How long edits must pause before the directory is analysed again.
const DEBOUNCE: Duration = Duration::from_millis(20);

/// Serves LSP over stdin and stdout until the client says `exit`.
pub fn run(registry: Registry) -> Result<(), String> {
    let (connection, io) = Connection::stdio();
    let caps = serde_json::to_value(capabilities()).map_err(|e| e.to_string())?;
    connection.initialize(caps).map_err(|e| e.to_string())?;
    let mut server = Server {
        connection: &connection,
        registry,
        docs: HashMap::new(),
        dirs: HashMap::new(),
        due: None,
    };
    server.main_loop()?;
    drop(connection);
    io.join().map_err(|e| e.to_string())
}

fn capabilities() -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Kind(
            lsp::TextDocumentSyncKind::FULL,
        )),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(vec![".".to_string()]),
            ..lsp::CompletionOptions::default()
        }),
        rename_provider: Some(lsp::OneOf::Left(true)),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Simple(true)),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        ..lsp::ServerCapabilities::default()
    }
}

struct Document {
    text: Arc<str>,
    /// The configuration directory it belongs to.
    dir: PathBuf,
}

#[derive(Default)]
struct DirState {
    dirty: bool,
    current: Option<Arc<Analysis>>,
    /// The latest analysis whose files all parsed.
    good: Option<Arc<Analysis>>,
    /// The files diagnostics were last published for.
    published: HashSet<Url>,
}

struct Server<'c> {
    connection: &'c Connection,
    registry: Registry,
    /// Open documents by canonical path.
    docs: HashMap<PathBuf, Document>,
    dirs: HashMap<PathBuf, DirState>,
    /// When the pending analyses are due.
    due: Option<Instant>,
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

fn params<T: serde::de::DeserializeOwned>(value: Json) -> Result<T, String> {
    serde_json::from_value(value).map_err(|e| format!("invalid parameters: {e}"))
}

impl Server<'_> {
    fn main_loop(&mut self) -> Result<(), String> {
        loop {
            let timer = match self.due {
                Some(t) => after(t.saturating_duration_since(Instant::now())),
                None => never(),
            };
            select! {
                recv(self.connection.receiver) -> msg => {
                    let Ok(msg) = msg else { return Ok(()) };
                    match msg {
                        Message::Request(req) => {
                            if self.connection.handle_shutdown(&req).map_err(|e| e.to_string())? {
                                return Ok(());
                            }
                            self.request(req);
                        }
                        Message::Notification(n) => self.notification(n),
                        Message::Response(_) => {}
                    }
                }
                recv(timer) -> _ => {
                    self.due = None;
                    self.analyse_dirty();
                }
            }
        }
    }

    fn send(&self, msg: Message) {
        // A closed connection ends the loop at the next receive.
        let _ = self.connection.sender.send(msg);
    }

    fn notification(&mut self, n: Notification) {
        let result = match n.method.as_str() {
            lsp::notification::DidOpenTextDocument::METHOD => {
                params::<lsp::DidOpenTextDocumentParams>(n.params)
                    .map(|p| self.set_text(&p.text_document.uri, p.text_document.text))
            }
            lsp::notification::DidChangeTextDocument::METHOD => {
                params::<lsp::DidChangeTextDocumentParams>(n.params).map(|p| {
                    // Full sync: the last change holds the whole text.
                    if let Some(c) = p.content_changes.into_iter().last() {
                        self.set_text(&p.text_document.uri, c.text);
                    }
                })
            }
            lsp::notification::DidSaveTextDocument::METHOD => Ok(()),
            lsp::notification::DidCloseTextDocument::METHOD => {
                params::<lsp::DidCloseTextDocumentParams>(n.params).map(|p| {
                    if let Ok(path) = p.text_document.uri.to_file_path() {
                        if let Some(doc) = self.docs.remove(&canonical(&path)) {
                            self.mark_dirty(doc.dir);
                        }
                    }
                })
            }
            _ => Ok(()),
        };
        if let Err(e) = result {
            self.log(&e);
        }
    }

    fn log(&self, message: &str) {
        let params = lsp::LogMessageParams {
            typ: lsp::MessageType::WARNING,
            message: message.to_string(),
        };
        if let Ok(p) = serde_json::to_value(params) {
            self.send(Message::Notification(Notification::new(
                lsp::notification::LogMessage::METHOD.to_string(),
                p,
            )));
        }
    }

    fn set_text(&mut self, uri: &Url, text: String) {
        let Ok(path) = uri.to_file_path() else {
            return;
        };
        let path = canonical(&path);
        let dir = self.dir_for(&path);
        self.docs.insert(
            path,
            Document {
                text: text.into(),
                dir: dir.clone(),
            },
        );
        self.mark_dirty(dir);
    }

    /// The configuration directory of a file: a directory already analysed whose module
    /// tree holds the file's directory, else the file's own directory.
    fn dir_for(&self, path: &Path) -> PathBuf {
        let file_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        for (dir, state) in &self.dirs {
            let holds = state
                .good
                .as_ref()
                .or(state.current.as_ref())
                .is_some_and(|a| {
                    a.modules
                        .iter()
                        .any(|m| crate::analysis::same_dir(&m.module.dir, &file_dir))
                });
            if holds {
                return dir.clone();
            }
        }
        file_dir
    }

    fn mark_dirty(&mut self, dir: PathBuf) {
        self.dirs.entry(dir).or_default().dirty = true;
        self.due = Some(Instant::now() + DEBOUNCE);
    }

    fn overlay(&self) -> Arc<Overlay> {
        Arc::new(
            self.docs
                .iter()
                .map(|(p, d)| (p.clone(), d.text.clone()))
                .collect(),
        )
    }

    fn analyse_dirty(&mut self) {
        let dirty: Vec<PathBuf> = self
            .dirs
            .iter()
            .filter(|(_, s)| s.dirty)
            .map(|(d, _)| d.clone())
            .collect();
        for dir in dirty {
            self.analyse(&dir);
        }
    }

    /// Analyses `dir` now and publishes its diagnostics.
    fn analyse(&mut self, dir: &Path) {
        let analysis = Arc::new(Analysis::new(dir, &self.overlay(), &self.registry));
        let state = self.dirs.entry(dir.to_path_buf()).or_default();
        state.dirty = false;
        if analysis.syntax_ok {
            state.good = Some(analysis.clone());
        }
        state.current = Some(analysis.clone());
        let by_file = published_diagnostics(&analysis, state.good.as_deref());
        let previous = std::mem::replace(&mut state.published, by_file.keys().cloned().collect());
        let mut out: Vec<(Url, Vec<lsp::Diagnostic>)> = by_file.into_iter().collect();
        // Every open document of the directory hears about its diagnostics, none included.
        let open = self
            .docs
            .iter()
            .filter(|(_, d)| d.dir == dir)
            .filter_map(|(p, _)| Url::from_file_path(p).ok());
        for url in previous.into_iter().chain(open) {
            if !out.iter().any(|(u, _)| *u == url) {
                out.push((url, Vec::new()));
            }
        }
        for (uri, diagnostics) in out {
            let p = lsp::PublishDiagnosticsParams {
                uri,
                diagnostics,
                version: None,
            };
            if let Ok(p) = serde_json::to_value(p) {
                self.send(Message::Notification(Notification::new(
                    lsp::notification::PublishDiagnostics::METHOD.to_string(),
                    p,
                )));
            }
        }
    }

    /// The analysis to answer a request about `uri` from (analysing first when edits are
    /// pending), the document's text and its directory.
    fn analysis_for(&mut self, uri: &Url) -> Option<(Arc<Analysis>, Arc<str>)> {
        let path = canonical(&uri.to_file_path().ok()?);
        let (dir, text) = match self.docs.get(&path) {
            Some(d) => (d.dir.clone(), d.text.clone()),
            None => {
                let text: Arc<str> = std::fs::read_to_string(&path).ok()?.into();
                (self.dir_for(&path), text)
            }
        };
        let state = self.dirs.get(&dir);
        if state.is_none_or(|s| s.dirty || s.current.is_none()) {
            self.analyse(&dir);
        }
        let state = self.dirs.get(&dir)?;
        let analysis = state.good.clone().or_else(|| state.current.clone())?;
        Some((analysis, text))
    }

    fn request(&mut self, req: Request) {
        let id = req.id.clone();
        let response = match self.answer(req) {
            Ok(result) => Response::new_ok(id, result),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        };
        self.send(Message::Response(response));
    }

    fn answer(&mut self, req: Request) -> Result<Json, (ErrorCode, String)> {
        let invalid = |e: String| (ErrorCode::InvalidParams, e);
        match req.method.as_str() {
            lsp::request::HoverRequest::METHOD => {
                let p: lsp::HoverParams = params(req.params).map_err(invalid)?;
                let r = self.at(
                    &p.text_document_position_params,
                    |a, file, offset, reg, _| features::hover(a, reg, file, offset),
                );
                json(&r.flatten())
            }
            lsp::request::GotoDefinition::METHOD => {
                let p: lsp::GotoDefinitionParams = params(req.params).map_err(invalid)?;
                let r = self
                    .at(&p.text_document_position_params, |a, file, offset, _, _| {
                        features::definition(a, file, offset)
                    })
                    .unwrap_or_default();
                json(&lsp::GotoDefinitionResponse::Array(r))
            }
            lsp::request::References::METHOD => {
                let p: lsp::ReferenceParams = params(req.params).map_err(invalid)?;
                let include = p.context.include_declaration;
                let r = self
                    .at(&p.text_document_position, |a, file, offset, _, _| {
                        features::references(a, file, offset, include)
                    })
                    .unwrap_or_default();
                json(&r)
            }
            lsp::request::Completion::METHOD => {
                let p: lsp::CompletionParams = params(req.params).map_err(invalid)?;
                let uri = &p.text_document_position.text_document.uri;
                let Some((analysis, doc)) = self.analysis_for(uri) else {
                    return json(&Json::Null);
                };
                let offset = text::offset(&doc, p.text_document_position.position);
                let module = uri
                    .to_file_path()
                    .ok()
                    .and_then(|p| analysis.file_id(&p))
                    .and_then(|f| analysis.module_of(f))
                    .or(Some(0));
                let items =
                    completion::complete(Some(&analysis), module, &self.registry, &doc, offset);
                json(&lsp::CompletionResponse::Array(items))
            }
            lsp::request::Rename::METHOD => {
                let p: lsp::RenameParams = params(req.params).map_err(invalid)?;
                let new_name = p.new_name.clone();
                let r = self.at(&p.text_document_position, |a, file, offset, _, _| {
                    features::rename(a, file, offset, &new_name)
                });
                match r {
                    Some(Ok(edit)) => json(&edit),
                    Some(Err(features::RenameRefused(why))) => Err((ErrorCode::RequestFailed, why)),
                    None => Err((
                        ErrorCode::RequestFailed,
                        "nothing to rename here".to_string(),
                    )),
                }
            }
            lsp::request::CodeActionRequest::METHOD => {
                let p: lsp::CodeActionParams = params(req.params).map_err(invalid)?;
                let uri = p.text_document.uri.clone();
                let Some((analysis, doc)) = self.analysis_for(&uri) else {
                    return json(&Json::Null);
                };
                // Quick fixes need the diagnostics of the text as it is now.
                let dir = uri
                    .to_file_path()
                    .ok()
                    .map(|p| canonical(&p))
                    .and_then(|p| self.docs.get(&p).map(|d| d.dir.clone()));
                let current = dir
                    .and_then(|d| self.dirs.get(&d))
                    .and_then(|s| s.current.clone())
                    .unwrap_or(analysis);
                let saved = uri
                    .to_file_path()
                    .ok()
                    .and_then(|p| std::fs::read_to_string(p).ok());
                json(&features::code_actions(
                    &current,
                    &uri,
                    &doc,
                    saved.as_deref(),
                    p.range,
                ))
            }
            lsp::request::Formatting::METHOD => {
                let p: lsp::DocumentFormattingParams = params(req.params).map_err(invalid)?;
                let doc = self.text_of(&p.text_document.uri);
                json(&doc.and_then(|t| features::formatting(&t)))
            }
            lsp::request::DocumentSymbolRequest::METHOD => {
                let p: lsp::DocumentSymbolParams = params(req.params).map_err(invalid)?;
                let doc = self.text_of(&p.text_document.uri);
                json(
                    &doc.map(|t| {
                        lsp::DocumentSymbolResponse::Nested(features::document_symbols(&t))
                    }),
                )
            }
            _ => Err((
                ErrorCode::MethodNotFound,
                format!("unhandled method {}", req.method),
            )),
        }
    }

    fn text_of(&self, uri: &Url) -> Option<Arc<str>> {
        let path = canonical(&uri.to_file_path().ok()?);
        match self.docs.get(&path) {
            Some(d) => Some(d.text.clone()),
            None => std::fs::read_to_string(&path).ok().map(Into::into),
        }
    }

    /// Runs `f` on the analysis of a position's document, with the file's id in it and
    /// the byte offset of the position (in the analysed text of that file).
    fn at<T>(
        &mut self,
        pos: &lsp::TextDocumentPositionParams,
        f: impl FnOnce(&Analysis, aic_lang::source::FileId, usize, &Registry, &str) -> T,
    ) -> Option<T> {
        let uri = &pos.text_document.uri;
        let (analysis, doc) = self.analysis_for(uri)?;
        let file = analysis.file_id(&uri.to_file_path().ok()?)?;
        let analysed = analysis.sources.get(file)?.text.clone();
        let offset = text::offset(&analysed, pos.position);
        Some(f(&analysis, file, offset, &self.registry, &doc))
    }
}

/// The diagnostics to show per file: the current analysis's, except that while some
/// file does not parse, the files that did and are unchanged since the last good
/// analysis keep that analysis's diagnostics (checking stops at syntax errors).
fn published_diagnostics(
    current: &Analysis,
    good: Option<&Analysis>,
) -> HashMap<Url, Vec<lsp::Diagnostic>> {
    let mut out = features::diagnostics(&current.diagnostics, &current.diagnostic_sources);
    let Some(good) = good.filter(|_| !current.syntax_ok) else {
        return out;
    };
    let broken: HashSet<Url> = current
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .filter_map(Diagnostic::primary_span)
        .filter_map(|s| features::url_of(&current.diagnostic_sources, s.file))
        .collect();
    let kept = features::diagnostics(&good.diagnostics, &good.diagnostic_sources);
    for (url, diags) in kept {
        if broken.contains(&url) {
            continue;
        }
        let same_text = |a: &Analysis| {
            let path = url.to_file_path().ok()?;
            let id = a.file_id(&path)?;
            Some(a.sources.get(id)?.text.clone())
        };
        if same_text(current).is_some() && same_text(current) == same_text(good) {
            out.insert(url, diags);
        }
    }
    out
}

fn json<T: serde::Serialize>(value: &T) -> Result<Json, (ErrorCode, String)> {
    serde_json::to_value(value).map_err(|e| (ErrorCode::InternalError, e.to_string()))
}
