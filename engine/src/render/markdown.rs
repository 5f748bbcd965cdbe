//! The Markdown view of a plan, for pull-request comments.
//!
//! A hidden marker line comes first so a CI job can find and update its earlier comment.
//! Each change sits in a collapsible `<details>` holding a `diff` fence whose markers
//! stand in column 0 (`+`, `-`, and `!` for in-place updates), since that is what
//! GitHub's diff highlighting keys on. Output longer than the limit is cut between
//! resources, never inside a fence, with a note saying what was left out. Sensitive
//! values never appear.

use std::fmt::Write as _;

use indexmap::IndexMap;

use super::diff::{output_lines, plural, resource_lines, Line, LineKind, Marker};
use super::sorted;
use super::text::describe;
use crate::plan::{Action, ChangeReason, Plan, PolicyLevel, PolicyResult, ResourceChange, Summary};

/// The longest comment GitHub accepts, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// Above this many changes the view holds one `<details>` per module, not per resource.
const GROUP_BY_MODULE_ABOVE: usize = 50;

/// At most this many addresses are listed in the destruction warning.
const WARNING_LIST_LIMIT: usize = 10;

/// The line that marks a comment as this environment's plan.
pub fn marker_line(environment: &str) -> String {
    format!("<!-- aic-plan: {} -->", environment.replace("--", "- -"))
}

/// The plan as a pull-request comment of at most `max_len` bytes (so at most that many
/// characters; use [`GITHUB_COMMENT_LIMIT`]).
pub fn render_markdown(plan: &Plan, max_len: usize) -> String {
    render_markdown_with_graph(plan, max_len, None)
}

/// [`render_markdown`] with `mermaid` (a Mermaid flowchart of the changes, which code
/// hosts draw) shown after the summary when the plan has changes. The diagram takes at
/// most a quarter of `max_len`; a larger one is left out with a note.
pub fn render_markdown_with_graph(plan: &Plan, max_len: usize, mermaid: Option<&str>) -> String {
    let mut head = head(plan);
    if let Some(diagram) = mermaid.filter(|_| plan.has_changes()) {
        let block = format!("```mermaid\n{}```\n\n", diagram);
        if block.len() <= max_len / 4 {
            head.push_str(&block);
        } else {
            head.push_str("_The graph of the changes is too large for this comment; see `aic graph --format svg --plan PLAN.json`._\n\n");
        }
    }
    let head = head;
    let footer = footer(plan);
    let sections = sections(plan);
    let policies = Policies::of(&plan.policy_results);

    let mut full = head.clone();
    for section in &sections {
        section.write_all(&mut full);
    }
    policies.write(&mut full, policies.len());
    full.push_str(&footer);
    if full.len() <= max_len {
        return full;
    }

    // Cut: the head, the footer, the note and (up to half the room) the policy results
    // always stay; the sections follow while they fit, cut between resources only.
    let total = sections.iter().map(Section::resources).sum();
    let worst = LeftOut {
        drift: true,
        resources: total,
        total,
        outputs: true,
        policies: policies.len(),
    };
    let reserve = worst.note().len();
    let mut room = max_len.saturating_sub(head.len() + footer.len() + reserve);
    let mut shown_policies = policies.len();
    while shown_policies > 0 && policies.text_len(shown_policies) > room / 2 {
        shown_policies -= 1;
    }
    let mut policy_text = String::new();
    policies.write(&mut policy_text, shown_policies);
    if policy_text.len() > room {
        // Not even the policy table's head fits: keep the essentials.
        return format!("{head}{}{footer}", worst.note());
    }
    room -= policy_text.len();

    let mut left_out = LeftOut {
        drift: false,
        resources: 0,
        total,
        outputs: false,
        policies: policies.len() - shown_policies,
    };
    let mut body = String::new();
    let mut stopped = false;
    for section in &sections {
        let (text, shown, complete) = if stopped {
            (String::new(), 0, section.chunks.is_empty())
        } else {
            section.write_within(room - body.len())
        };
        body.push_str(&text);
        if !complete {
            stopped = true;
            match section.kind {
                SectionKind::Drift => left_out.drift = true,
                SectionKind::Changes => left_out.resources += section.resources() - shown,
                SectionKind::Outputs => left_out.outputs = true,
            }
        }
    }
    format!("{head}{body}{policy_text}{}{footer}", left_out.note())
}

/// What a cut comment leaves out.
struct LeftOut {
    drift: bool,
    resources: usize,
    total: usize,
    outputs: bool,
    policies: usize,
}

impl LeftOut {
    /// The note that replaces what did not fit; empty when nothing was left out.
    fn note(&self) -> String {
        let mut parts = Vec::new();
        if self.drift {
            parts.push("the drift report".to_owned());
        }
        if self.resources > 0 {
            parts.push(format!(
                "{} of {} resource changes",
                self.resources, self.total
            ));
        }
        if self.outputs {
            parts.push("the output changes".to_owned());
        }
        if self.policies > 0 {
            parts.push(format!(
                "{} {}",
                self.policies,
                plural(self.policies, "policy result")
            ));
        }
        let Some((last, rest)) = parts.split_last() else {
            return String::new();
        };
        let list = if rest.is_empty() {
            last.clone()
        } else {
            format!("{} and {last}", rest.join(", "))
        };
        format!(
            "> [!NOTE]\n> Not shown, to fit GitHub's size limit: {list}. Run `aic plan` \
             locally, or read the plan's JSON artifact (`aic plan --format json`), to see \
             everything.\n\n"
        )
    }
}

/// The marker, the title, the table of actions and the destruction warning.
fn head(plan: &Plan) -> String {
    let mut out = marker_line(&plan.environment);
    let _ = write!(
        out,
        "\n## aic plan for `{}`\n\n",
        plan.environment.replace('`', "'")
    );
    if !plan.has_changes() {
        return out;
    }
    let s = plan.summary();
    out.push_str("| Add | Change | Destroy | Replace | Read |\n");
    out.push_str("| ---: | ---: | ---: | ---: | ---: |\n");
    let _ = write!(
        out,
        "| {} | {} | {} | {} | {} |\n\n",
        s.add, s.change, s.destroy, s.replace, s.read
    );
    let destroyed: Vec<&ResourceChange> = sorted(&plan.resource_changes)
        .into_iter()
        .filter(|c| c.action == Action::Delete || c.action.is_replace())
        .collect();
    if !destroyed.is_empty() {
        let _ = writeln!(
            out,
            "> [!WARNING]\n> This plan destroys or replaces {} {}:",
            destroyed.len(),
            plural(destroyed.len(), "resource")
        );
        for change in destroyed.iter().take(WARNING_LIST_LIMIT) {
            let _ = writeln!(
                out,
                "> - `{}` ({})",
                change.addr,
                action_word(change.action)
            );
        }
        if destroyed.len() > WARNING_LIST_LIMIT {
            let _ = writeln!(out, "> - and {} more", destroyed.len() - WARNING_LIST_LIMIT);
        }
        out.push('\n');
    }
    out
}

fn footer(plan: &Plan) -> String {
    if plan.has_changes() {
        format!("{}\n", plan.summary())
    } else {
        "No changes. Your infrastructure matches the configuration.\n".to_owned()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SectionKind {
    Drift,
    Changes,
    Outputs,
}

/// A `<details>` block holding one `diff` fence made of chunks: one chunk per
/// resource (or one for all outputs).
struct Section {
    kind: SectionKind,
    summary: String,
    /// Each chunk's text and how many resource changes it shows.
    chunks: Vec<(String, usize)>,
}

impl Section {
    fn resources(&self) -> usize {
        if self.kind == SectionKind::Changes {
            self.chunks.iter().map(|(_, n)| n).sum()
        } else {
            0
        }
    }

    /// A fence longer than any run of backticks inside.
    fn fence(&self) -> String {
        let longest = self
            .chunks
            .iter()
            .flat_map(|(text, _)| text.split(|c| c != '`'))
            .map(str::len)
            .max()
            .unwrap_or(0);
        "`".repeat(longest.max(2) + 1)
    }

    fn open(&self) -> String {
        format!(
            "<details><summary>{}</summary>\n\n{}diff\n",
            self.summary,
            self.fence()
        )
    }

    fn close(&self) -> String {
        format!("{}\n\n</details>\n\n", self.fence())
    }

    fn write_all(&self, out: &mut String) {
        out.push_str(&self.open());
        for (i, (chunk, _)) in self.chunks.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(chunk);
        }
        out.push_str(&self.close());
    }

    /// As many whole chunks as fit in `room` bytes, with the fence closed. Returns the
    /// text, the resource changes shown and whether every chunk fit.
    fn write_within(&self, room: usize) -> (String, usize, bool) {
        let (open, close) = (self.open(), self.close());
        let mut text = open.clone();
        let mut resources = 0;
        let mut shown = 0;
        for (i, (chunk, n)) in self.chunks.iter().enumerate() {
            let separator = usize::from(i > 0);
            if text.len() + separator + chunk.len() + close.len() > room {
                break;
            }
            if i > 0 {
                text.push('\n');
            }
            text.push_str(chunk);
            resources += n;
            shown += 1;
        }
        if shown == 0 {
            return (String::new(), 0, self.chunks.is_empty());
        }
        text.push_str(&close);
        (text, resources, shown == self.chunks.len())
    }
}

fn sections(plan: &Plan) -> Vec<Section> {
    let mut sections = Vec::new();
    if !plan.drift.is_empty() {
        let chunks = sorted(&plan.drift)
            .into_iter()
            .map(|c| (chunk(c, Heading::Drift), 0))
            .collect();
        sections.push(Section {
            kind: SectionKind::Drift,
            summary: format!(
                "⚠️ {} changed outside of aic",
                super::text::count(plan.drift.len(), "object")
            ),
            chunks,
        });
    }
    let changes: Vec<&ResourceChange> = sorted(&plan.resource_changes)
        .into_iter()
        .filter(|c| c.action != Action::NoOp)
        .collect();
    if changes.len() > GROUP_BY_MODULE_ABOVE {
        let mut modules: IndexMap<String, Vec<&ResourceChange>> = IndexMap::new();
        for change in changes {
            let module = if change.addr.module.is_root() {
                "root module".to_owned()
            } else {
                change.addr.module.to_string()
            };
            modules.entry(module).or_default().push(change);
        }
        for (module, changes) in modules {
            let s = Summary::of(changes.iter().copied());
            let counts: Vec<String> = [
                (s.add, "to add"),
                (s.change, "to change"),
                (s.destroy, "to destroy"),
                (s.read, "to read"),
            ]
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{n} {what}"))
            .collect();
            sections.push(Section {
                kind: SectionKind::Changes,
                summary: format!(
                    "<code>{}</code> — {}: {}",
                    escape_html(&module),
                    super::text::count(changes.len(), "change"),
                    counts.join(", ")
                ),
                chunks: changes
                    .iter()
                    .map(|c| (chunk(c, Heading::Change), 1))
                    .collect(),
            });
        }
    } else {
        for change in changes {
            let mut summary = format!(
                "<code>{}</code> — {}",
                escape_html(&change.addr.to_string()),
                action_word(change.action)
            );
            if let Some(why) = change.reason.and_then(short_reason) {
                let _ = write!(summary, " ({why})");
            }
            sections.push(Section {
                kind: SectionKind::Changes,
                summary,
                chunks: vec![(chunk(change, Heading::None), 1)],
            });
        }
    }
    let outputs = output_lines(&plan.output_changes);
    if !outputs.is_empty() {
        let changed = plan
            .output_changes
            .values()
            .filter(|c| c.action != Action::NoOp)
            .count();
        sections.push(Section {
            kind: SectionKind::Outputs,
            summary: format!("Outputs — {}", super::text::count(changed, "change")),
            chunks: vec![(diff_lines(&outputs), 0)],
        });
    }
    sections
}

/// How a chunk starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Heading {
    /// The `<summary>` says it all.
    None,
    /// `# ADDR will be created`, for changes sharing a fence.
    Change,
    /// `# ADDR has changed`, for the drift report.
    Drift,
}

/// One resource change as diff lines, after its heading.
fn chunk(change: &ResourceChange, heading: Heading) -> String {
    let mut out = String::new();
    if heading != Heading::None {
        let (what, because) = describe(change, heading == Heading::Drift);
        let _ = writeln!(out, "  # {} {what}", change.addr);
        if let Some(because) = because {
            let _ = writeln!(out, "  # ({because})");
        }
    }
    out.push_str(&diff_lines(&resource_lines(change)));
    out
}

fn diff_lines(lines: &[Line]) -> String {
    let mut out = String::new();
    for line in lines {
        out.push_str(&diff_line(line));
        out.push('\n');
    }
    out
}

/// A line with its marker moved to column 0: `+`, `-`, `!` (in-place updates and
/// replacements) or a space.
fn diff_line(line: &Line) -> String {
    if line.is_blank() {
        return String::new();
    }
    let column0 = match line.marker {
        Marker::None | Marker::Read => ' ',
        Marker::Create => '+',
        Marker::Delete => '-',
        Marker::Update | Marker::DeleteThenCreate | Marker::CreateThenDelete => '!',
    };
    let blanked_marker = match line.kind {
        LineKind::Close => String::new(),
        LineKind::Header | LineKind::Body => " ".repeat(line.marker.symbol().chars().count() + 1),
    };
    let laid_out = format!("{}{blanked_marker}{}", " ".repeat(line.lead()), line.text);
    let rest = laid_out.strip_prefix(' ').unwrap_or(&laid_out);
    let mut out = format!("{column0}{rest}");
    if line.forces_replacement {
        out.push_str(" # forces replacement");
    }
    out.trim_end().to_owned()
}

/// The policy results as a table: failures first, then the passed checks.
struct Policies {
    title: String,
    rows: Vec<String>,
}

impl Policies {
    fn of(results: &[PolicyResult]) -> Policies {
        let failed = results.iter().filter(|r| !r.passed && !r.deferred).count();
        let deferred = results.iter().filter(|r| r.deferred).count();
        let deferred_note = if deferred > 0 {
            format!(", {deferred} deferred to apply")
        } else {
            String::new()
        };
        let title = format!(
            "#### Policy results: {failed} failed, {} passed{deferred_note}\n\n\
             | Result | Policy | Resource | Level | Message |\n\
             | --- | --- | --- | --- | --- |\n",
            results.len() - failed - deferred
        );
        let rows = results
            .iter()
            .filter(|r| !r.passed && !r.deferred)
            .chain(results.iter().filter(|r| r.deferred))
            .chain(results.iter().filter(|r| r.passed))
            .map(|r| {
                let status = match (r.passed, r.deferred, r.level) {
                    (true, _, _) => "✅ passed",
                    (false, true, _) => "⏳ deferred to apply",
                    (false, false, PolicyLevel::Error) => "❌ failed",
                    (false, false, PolicyLevel::Warning) => "⚠️ warning",
                };
                let address = r.address.as_ref().map_or_else(String::new, |a| {
                    format!("<code>{}</code>", escape_cell(&a.to_string()))
                });
                format!(
                    "| {status} | <code>{}</code> | {address} | {} | {} |\n",
                    escape_cell(&r.policy),
                    r.level,
                    escape_cell(&r.message)
                )
            })
            .collect();
        Policies { title, rows }
    }

    fn len(&self) -> usize {
        self.rows.len()
    }

    /// The section with its first `shown` rows and a row counting the others.
    fn write(&self, out: &mut String, shown: usize) {
        if self.rows.is_empty() {
            return;
        }
        out.push_str(&self.title);
        for row in self.rows.iter().take(shown) {
            out.push_str(row);
        }
        if shown < self.rows.len() {
            let _ = writeln!(
                out,
                "| … | | | | {} more not shown |",
                self.rows.len() - shown
            );
        }
        out.push('\n');
    }

    fn text_len(&self, shown: usize) -> usize {
        let mut text = String::new();
        self.write(&mut text, shown);
        text.len()
    }
}

fn action_word(action: Action) -> &'static str {
    match action {
        Action::NoOp => "no change",
        Action::Create => "create",
        Action::Read => "read",
        Action::Update => "update in-place",
        Action::Delete => "destroy",
        Action::DeleteThenCreate => "replace",
        Action::CreateThenDelete => "replace, create before destroy",
    }
}

fn short_reason(reason: ChangeReason) -> Option<&'static str> {
    match reason {
        ChangeReason::CannotUpdate => None,
        ChangeReason::Tainted => Some("tainted"),
        ChangeReason::ReplaceByRequest => Some("as requested"),
        ChangeReason::ReplaceTriggeredBy => Some("replace_triggered_by"),
        ChangeReason::DeletedFromConfig => Some("not in configuration"),
        ChangeReason::CountIndexGone => Some("index out of range for count"),
        ChangeReason::EachKeyGone => Some("key not in for_each"),
        ChangeReason::ModuleGone => Some("module not in configuration"),
        ChangeReason::ReadConfigUnknown => Some("config not yet known"),
        ChangeReason::ReadDependencyPending => Some("dependency pending"),
    }
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Text for a table cell: HTML escaped, `|` and backticks escaped, line breaks as
/// `<br>`.
fn escape_cell(s: &str) -> String {
    escape_html(s)
        .replace('|', "\\|")
        .replace('`', "&#96;")
        .replace("\r\n", "<br>")
        .replace('\n', "<br>")
}
