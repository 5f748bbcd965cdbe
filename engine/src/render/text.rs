//! The human view of a plan, in Terraform's words and symbols: people and PR bots
//! read it (`Plan: X to add, Y to change, Z to destroy.` is the last line).

use std::fmt::Write as _;

use aic_lang::addr::InstanceKey;

use super::diff::{output_lines, plural, resource_lines, Line, LineKind, Marker};
use super::sorted;
use crate::plan::{Action, ChangeReason, Plan, PolicyLevel, PolicyResult, ResourceChange};

/// How to print the text view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextOptions {
    /// ANSI colours: green, yellow and red for `+ ~ -`.
    pub color: bool,
    /// The terminal width, for wrapping prose and the rule under the drift report.
    pub width: usize,
}

impl Default for TextOptions {
    fn default() -> TextOptions {
        TextOptions {
            color: false,
            width: 80,
        }
    }
}

const NO_CHANGES: &str = "No changes.";
const MATCHES: &str = "Your infrastructure matches the configuration.";

/// The plan as `aic plan` prints it. Ends with a newline after the `Plan: …` or
/// `No changes. …` line.
pub fn render_text(plan: &Plan, options: &TextOptions) -> String {
    let mut view = TextView {
        out: String::new(),
        options,
    };
    if !plan.drift.is_empty() {
        view.drift(plan);
    }
    let changes: Vec<&ResourceChange> = sorted(&plan.resource_changes)
        .into_iter()
        .filter(|c| c.action != Action::NoOp)
        .collect();
    if !changes.is_empty() {
        view.legend(&changes);
        view.paragraph("Aic will perform the following actions:");
        for change in &changes {
            view.heading(change, false);
            view.lines(&resource_lines(change));
            view.out.push('\n');
        }
    }
    let outputs = output_lines(&plan.output_changes);
    if !outputs.is_empty() {
        view.out.push_str("Changes to Outputs:\n");
        view.lines(&outputs);
        view.out.push('\n');
    }
    if !plan.policy_results.is_empty() {
        view.policies(&plan.policy_results);
    }
    if plan.has_changes() {
        let summary = plan.summary();
        let rest = format!(
            " {} to add, {} to change, {} to destroy.",
            summary.add, summary.change, summary.destroy
        );
        let line = format!("{}{}", view.paint("1", "Plan:"), rest);
        view.out.push_str(&line);
    } else {
        let line = format!(
            "{} {}",
            view.paint("1;32", NO_CHANGES),
            view.paint("1", MATCHES)
        );
        view.out.push_str(&line);
    }
    view.out.push('\n');
    view.out
}

/// `Apply complete! Resources: X added, Y changed, Z destroyed.`
pub fn render_apply_summary(add: usize, change: usize, destroy: usize) -> String {
    format!("Apply complete! Resources: {add} added, {change} changed, {destroy} destroyed.")
}

struct TextView<'a> {
    out: String,
    options: &'a TextOptions,
}

impl TextView<'_> {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.options.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn symbol(&self, marker: Marker) -> String {
        match marker {
            Marker::None => " ".to_owned(),
            Marker::Create => self.paint("32", "+"),
            Marker::Update => self.paint("33", "~"),
            Marker::Delete => self.paint("31", "-"),
            Marker::DeleteThenCreate => {
                format!("{}/{}", self.paint("31", "-"), self.paint("32", "+"))
            }
            Marker::CreateThenDelete => {
                format!("{}/{}", self.paint("32", "+"), self.paint("31", "-"))
            }
            Marker::Read => self.paint("36", "<="),
        }
    }

    /// A paragraph wrapped to the width, followed by an empty line.
    fn paragraph(&mut self, text: &str) {
        let mut line = String::new();
        for word in text.split_whitespace() {
            if !line.is_empty()
                && line.chars().count() + 1 + word.chars().count() > self.options.width
            {
                self.out.push_str(&line);
                self.out.push('\n');
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        self.out.push_str(&line);
        self.out.push_str("\n\n");
    }

    fn legend(&mut self, changes: &[&ResourceChange]) {
        let text = "Aic used the selected providers to generate the following execution plan. \
                    Resource actions are indicated with the following symbols:";
        self.paragraph(text);
        // The paragraph's empty line goes after the symbols.
        self.out.pop();
        let entries = [
            (Marker::Create, "create"),
            (Marker::Update, "update in-place"),
            (Marker::Delete, "destroy"),
            (
                Marker::DeleteThenCreate,
                "destroy and then create replacement",
            ),
            (
                Marker::CreateThenDelete,
                "create replacement and then destroy",
            ),
            (Marker::Read, "read (data resources)"),
        ];
        for (marker, meaning) in entries {
            if changes.iter().any(|c| Marker::of(c.action) == marker) {
                let pad = " ".repeat(3 - marker.symbol().chars().count());
                let line = format!("{pad}{} {meaning}\n", self.symbol(marker));
                self.out.push_str(&line);
            }
        }
        self.out.push('\n');
    }

    /// `  # ADDR will be created`, and the reason on a second line when there is one.
    fn heading(&mut self, change: &ResourceChange, drift: bool) {
        let addr = self.paint("1", &format!("# {}", change.addr));
        let (what, because) = describe(change, drift);
        let _ = writeln!(self.out, "  {addr} {what}");
        if let Some(because) = because {
            let _ = writeln!(self.out, "  # ({because})");
        }
    }

    fn lines(&mut self, lines: &[Line]) {
        for line in lines {
            if line.is_blank() {
                self.out.push('\n');
                continue;
            }
            let lead = " ".repeat(line.lead());
            let text = match line.kind {
                LineKind::Close => format!("{lead}{}", line.text),
                LineKind::Header | LineKind::Body => {
                    format!("{lead}{} {}", self.symbol(line.marker), line.text)
                }
            };
            self.out.push_str(text.trim_end());
            if line.forces_replacement {
                let note = self.paint("31", "# forces replacement");
                let _ = write!(self.out, " {note}");
            }
            self.out.push('\n');
        }
    }

    fn drift(&mut self, plan: &Plan) {
        let title = self.paint("1", "Note: Objects have changed outside of aic");
        let _ = writeln!(self.out, "{title}\n");
        self.paragraph(
            "Aic detected the following changes made outside of aic since the last \
             \"aic apply\" which may have affected this plan:",
        );
        for change in sorted(&plan.drift) {
            self.heading(change, true);
            self.lines(&resource_lines(change));
            self.out.push('\n');
        }
        self.paragraph(
            "Unless you have made equivalent changes to your configuration, or ignored the \
             relevant attributes using ignore_changes, the following plan may include actions \
             to undo or respond to these changes.",
        );
        let rule = "─".repeat(self.options.width.max(1));
        let _ = writeln!(self.out, "{rule}\n");
    }

    fn policies(&mut self, results: &[PolicyResult]) {
        let failed = results.iter().filter(|r| !r.passed && !r.deferred).count();
        let deferred = results.iter().filter(|r| r.deferred).count();
        let passed = results.len() - failed - deferred;
        let mut head = format!("Policy results: {failed} failed, {passed} passed");
        if deferred > 0 {
            let _ = write!(head, ", {deferred} deferred to apply");
        }
        let _ = writeln!(self.out, "{head}.");
        // Failures first, in their order; then the deferred checks; then the passed ones.
        let ordered = results
            .iter()
            .filter(|r| !r.passed && !r.deferred)
            .chain(results.iter().filter(|r| r.deferred))
            .chain(results.iter().filter(|r| r.passed));
        for result in ordered {
            let (symbol, code) = match (result.passed, result.deferred, result.level) {
                (true, _, _) => ("✓", "32"),
                (false, true, _) => ("…", "36"),
                (false, false, PolicyLevel::Error) => ("✗", "31"),
                (false, false, PolicyLevel::Warning) => ("!", "33"),
            };
            let symbol = self.paint(code, symbol);
            let mut line = format!("  {symbol} {}", result.policy);
            if result.deferred {
                let _ = write!(line, " ({}, deferred to apply)", result.level);
            } else if !result.passed {
                let _ = write!(line, " ({})", result.level);
            }
            if let Some(addr) = &result.address {
                let _ = write!(line, " on {addr}");
            }
            if !result.passed && !result.message.is_empty() {
                let _ = write!(line, ": {}", result.message);
            }
            let _ = writeln!(self.out, "{line}");
        }
        self.out.push('\n');
    }
}

/// What happens to the instance, as the heading says it, and why when that is not
/// obvious.
pub(crate) fn describe(change: &ResourceChange, drift: bool) -> (&'static str, Option<String>) {
    if drift {
        return match change.action {
            Action::Delete => ("has been deleted", None),
            _ => ("has changed", None),
        };
    }
    let addr = &change.addr;
    match (change.action, change.reason) {
        (Action::NoOp, _) => ("is unchanged", None),
        (Action::Create, _) => ("will be created", None),
        (Action::Read, Some(ChangeReason::ReadConfigUnknown)) => (
            "will be read during apply",
            Some("config refers to values not yet known".to_owned()),
        ),
        (Action::Read, Some(ChangeReason::ReadDependencyPending)) => (
            "will be read during apply",
            Some("depends on a resource or a module with changes pending".to_owned()),
        ),
        (Action::Read, _) => ("will be read during apply", None),
        (Action::Update, _) => ("will be updated in-place", None),
        (Action::Delete, Some(ChangeReason::DeletedFromConfig)) => (
            "will be destroyed",
            Some(format!(
                "because {} is not in configuration",
                addr.without_key()
            )),
        ),
        (Action::Delete, Some(ChangeReason::CountIndexGone)) => {
            let key = addr
                .key
                .as_ref()
                .map_or_else(String::new, InstanceKey::to_string);
            (
                "will be destroyed",
                Some(format!("because index {key} is out of range for count")),
            )
        }
        (Action::Delete, Some(ChangeReason::EachKeyGone)) => {
            let key = addr
                .key
                .as_ref()
                .map_or_else(String::new, InstanceKey::to_string);
            (
                "will be destroyed",
                Some(format!("because key {key} is not in for_each map")),
            )
        }
        (Action::Delete, Some(ChangeReason::ModuleGone)) => (
            "will be destroyed",
            Some(format!("because {} is not in configuration", addr.module)),
        ),
        (Action::Delete, _) => ("will be destroyed", None),
        (_, Some(ChangeReason::Tainted)) => ("is tainted, so must be replaced", None),
        (_, Some(ChangeReason::ReplaceByRequest)) => ("will be replaced, as requested", None),
        (_, Some(ChangeReason::ReplaceTriggeredBy)) => (
            "will be replaced due to changes in replace_triggered_by",
            None,
        ),
        (_, _) => ("must be replaced", None),
    }
}

/// `1 resource` / `2 resources`.
pub(crate) fn count(n: usize, noun: &str) -> String {
    format!("{n} {}", plural(n, noun))
}
