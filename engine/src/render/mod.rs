//! Views of a [`Plan`](crate::plan::Plan): text for people, JSON for tools, Markdown for pull requests.
//!
//! Every view reads the same plain `Plan` value and nothing else; the text and
//! Markdown views share one diff layout (`diff`). This module must not compute plans,
//! talk to providers or write anywhere: it returns strings. Sensitive values never
//! appear in any view.

mod diff;
mod json;
mod markdown;
mod text;

pub use json::render_json;
pub use markdown::{
    marker_line, render_markdown, render_markdown_with_graph, GITHUB_COMMENT_LIMIT,
};
pub use text::{render_apply_summary, render_text, TextOptions};

use crate::plan::ResourceChange;

/// The changes in address order, as every view lists them.
fn sorted(changes: &[ResourceChange]) -> Vec<&ResourceChange> {
    let mut sorted: Vec<&ResourceChange> = changes.iter().collect();
    sorted.sort_by(|a, b| a.addr.cmp(&b.addr));
    sorted
}
