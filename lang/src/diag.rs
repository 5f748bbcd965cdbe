//! Diagnostics: the data every phase produces, and the one place that renders them.
//!
//! Every diagnostic has a [`Code`] from a catalogue: its identity (`E0101`), severity,
//! summary (a fixed phrase), default help and documentation live there, in one place per
//! crate ([`crate::codes`] for the language; the engine and the provider interface have
//! their own), declared with [`catalogue!`]. `docs/diagnostics.md` is generated from the
//! catalogues. A phase makes a [`Diagnostic`] from a code ([`Diagnostic::new`]) and adds
//! the labels and help that name the user's things. Rendering to a terminal goes through
//! miette; [`Diagnostic::to_json`] gives the machine-readable form of
//! `aic validate --json`. Diagnostics are collected unsorted and ordered by file and
//! position only when rendered.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;

use crate::source::{SourceFile, SourceMap, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One entry of a catalogue of diagnostic codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    /// `E0101`, `W0201`: stable; a retired code is not reused.
    pub id: &'static str,
    pub severity: Severity,
    /// A fixed phrase without user names ("Unexpected token").
    pub summary: &'static str,
    /// The help when the place that reports it has none more specific.
    pub help: Option<&'static str>,
    /// What it means and how to fix it (Markdown), for `docs/diagnostics.md`.
    pub doc: &'static str,
}

/// Declares a catalogue of diagnostic codes: one `pub const` [`Code`] per entry, its doc
/// comment the documentation, and `ALL`, every entry in order.
///
/// ```
/// aic_lang::catalogue! {
///     /// The thing is missing.
///     E9901: Error "Missing thing";
///     /// The thing is odd.
///     W9902: Warning "Odd thing", help "Make it even.";
/// }
/// assert_eq!(E9901.summary, "Missing thing");
/// assert_eq!(W9902.help, Some("Make it even."));
/// assert_eq!(ALL.len(), 2);
/// ```
#[macro_export]
macro_rules! catalogue {
    ($( $(#[doc = $doc:literal])* $id:ident : $sev:ident $summary:literal $(, help $help:literal)? ;)*) => {
        $(
            $(#[doc = $doc])*
            pub const $id: $crate::diag::Code = $crate::diag::Code {
                id: stringify!($id),
                severity: $crate::diag::Severity::$sev,
                summary: $summary,
                help: $crate::catalogue!(@help $($help)?),
                doc: concat!($($doc, "\n"),*),
            };
        )*
        /// Every code of this catalogue, in order.
        pub const ALL: &[&$crate::diag::Code] = &[$(&$id),*];
    };
    (@help) => { None };
    (@help $help:literal) => { Some($help) };
}

/// A label on a span: the primary one says what is wrong there; secondary ones point at
/// other places that matter (an earlier definition, say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
    pub primary: bool,
}

/// One diagnostic, independent of how it is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code such as `E0101` (listed in docs/diagnostics.md).
    pub code: &'static str,
    pub severity: Severity,
    /// A fixed phrase without user names ("Unexpected token").
    pub summary: String,
    pub labels: Vec<Label>,
    /// A full sentence about the likely fix.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic of `code`, with its summary, severity and default help.
    pub fn new(code: &'static Code) -> Diagnostic {
        Diagnostic {
            code: code.id,
            severity: code.severity,
            summary: code.summary.to_string(),
            labels: Vec::new(),
            help: code.help.map(str::to_string),
        }
    }

    pub fn with_primary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: true,
        });
        self
    }

    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: false,
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn primary_span(&self) -> Option<Span> {
        self.labels
            .iter()
            .find(|l| l.primary)
            .or(self.labels.first())
            .map(|l| l.span)
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The machine-readable form (`aic validate --json`).
    pub fn to_json(&self, sources: &SourceMap) -> JsonDiagnostic {
        let primary = self.primary_span();
        let file = primary.and_then(|s| sources.get(s.file));
        let (line, column) = match (primary, file) {
            (Some(s), Some(f)) => f.line_col(s.start as usize),
            _ => (0, 0),
        };
        JsonDiagnostic {
            code: self.code,
            severity: self.severity,
            message: self.summary.clone(),
            label: self
                .labels
                .iter()
                .find(|l| l.primary)
                .map(|l| l.message.clone()),
            file: file.map(|f| f.path.display().to_string()),
            line,
            column,
            span: primary.map(|s| [s.start, s.end]),
            help: self.help.clone(),
        }
    }

    /// Renders with miette's graphical handler. `color` selects the theme.
    pub fn render(&self, sources: &SourceMap, color: bool, width: usize) -> String {
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme)
            .with_width(width)
            .with_links(false);
        let report = Report::new(self, sources);
        let mut out = String::new();
        match handler.render_report(&mut out, &report) {
            Ok(()) => out,
            Err(_) => format!(
                "{}[{}]: {}\n",
                severity_word(self.severity),
                self.code,
                self.summary
            ),
        }
    }
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// `aic validate --json` element.
#[derive(Debug, Clone, Serialize)]
pub struct JsonDiagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub label: Option<String>,
    pub file: Option<String>,
    pub line: usize,
    pub column: usize,
    pub span: Option<[u32; 2]>,
    pub help: Option<String>,
}

/// Sorts diagnostics by file and position, errors before warnings at the same place.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by_key(|d| (d.primary_span(), d.severity, d.code));
}

/// Renders many diagnostics, sorted, separated by blank lines.
pub fn render_all(diags: &[Diagnostic], sources: &SourceMap, color: bool, width: usize) -> String {
    let mut sorted = diags.to_vec();
    sort(&mut sorted);
    let mut out = String::new();
    for d in &sorted {
        out.push_str(&d.render(sources, color, width));
    }
    out
}

/// Adapter from [`Diagnostic`] to miette: labels in the primary label's file are shown
/// on its source; labels in other files become related diagnostics with their own source.
struct Report {
    code: &'static str,
    severity: Severity,
    summary: String,
    help: Option<String>,
    source: Option<NamedSource<String>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl Report {
    fn new(d: &Diagnostic, sources: &SourceMap) -> Report {
        let file_id = d.primary_span().map(|s| s.file);
        let source = file_id.and_then(|id| sources.get(id)).map(|f| {
            NamedSource::new(f.path.display().to_string(), f.text.to_string()).with_language("aic")
        });
        let mut labels = Vec::new();
        let mut related = Vec::new();
        let mut far = Vec::new();
        for l in &d.labels {
            let span = SourceSpan::from(l.span.range());
            let text = (!l.message.is_empty()).then(|| l.message.clone());
            let file = sources.get(l.span.file);
            if let Some(f) = file.filter(|f| on_long_line(f, l.span)) {
                let (line, col) = f.line_col(l.span.start as usize);
                far.push(format!("{}:{line}:{col}: {}", f.path.display(), l.message));
            } else if Some(l.span.file) == file_id {
                labels.push(if l.primary {
                    LabeledSpan::new_primary_with_span(text, span)
                } else {
                    LabeledSpan::new_with_span(text, span)
                });
            } else if let Some(f) = sources.get(l.span.file) {
                related.push(Report {
                    code: d.code,
                    severity: Severity::Warning,
                    summary: l.message.clone(),
                    help: None,
                    source: Some(NamedSource::new(
                        f.path.display().to_string(),
                        f.text.to_string(),
                    )),
                    labels: vec![LabeledSpan::new_with_span(None, span)],
                    related: Vec::new(),
                });
            }
        }
        let help = if far.is_empty() {
            d.help.clone()
        } else {
            far.extend(d.help.clone());
            Some(far.join("\n"))
        };
        Report {
            code: d.code,
            severity: d.severity,
            summary: d.summary.clone(),
            help,
            source: source.filter(|_| !labels.is_empty()),
            labels,
            related,
        }
    }
}

/// Lines longer than this are not shown: a snippet of them helps nobody, and miette pads
/// a label to its column with `format!("{:width$}")`, which panics past `u16::MAX`. Labels
/// on such lines are listed as `file:line:column: message` instead.
const MAX_SHOWN_LINE: usize = 1000;

fn on_long_line(f: &SourceFile, span: Span) -> bool {
    let start = (span.start as usize).min(f.text.len());
    let line_start = f
        .text
        .get(..start)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let line_end = f
        .text
        .get(start..)
        .and_then(|t| t.find('\n'))
        .map_or(f.text.len(), |i| start + i);
    line_end - line_start > MAX_SHOWN_LINE
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.summary)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.summary)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(
                self.related.iter().map(|r| r as &dyn miette::Diagnostic),
            ))
        }
    }
}

/// "Did you mean" helper: the closest candidate by Jaro-Winkler / Levenshtein.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(&str, f64)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(name, c);
        let dist = strsim::levenshtein(name, c);
        let close = dist <= (name.len().max(3) / 3).max(1) || score >= 0.88;
        if close && best.is_none_or(|(_, s)| score > s) {
            best = Some((c, score));
        }
    }
    best.map(|(c, _)| c)
}
