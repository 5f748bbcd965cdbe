//! `aic graph`: the dependency graph of an environment as Graphviz DOT, a Mermaid
//! flowchart or an SVG picture; the picture coloured by a plan's actions when given the
//! plan's JSON form (`aic plan --format json > plan.json`).

use std::path::Path;

use aic_lang::addr::InstanceAddr;
use aic_lang::diag::Diagnostic;

use super::{Observer, OpError, Project};
use crate::codes;
use crate::graph::picture::render_svg;
use crate::load::VariableArgs;
use crate::plan::Action;

/// The form of `aic graph`'s output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphFormat {
    Dot,
    Mermaid,
    Svg,
}

/// What `aic graph` draws.
#[derive(Debug, Clone, Copy)]
pub struct GraphRequest<'a> {
    pub environment: Option<&'a str>,
    pub variables: &'a VariableArgs,
    pub format: GraphFormat,
    /// A JSON plan whose actions colour the picture.
    pub plan_json: Option<&'a Path>,
}

/// The graph of `request`'s environment in its format.
pub fn graph(
    project: &Project,
    request: &GraphRequest<'_>,
    observer: &dyn Observer,
) -> Result<String, OpError> {
    let changes = match request.plan_json {
        Some(path) => Some(read_changes(path)?),
        None => None,
    };
    let ws = project.workspace(request.environment, request.variables, observer)?;
    Ok(match request.format {
        GraphFormat::Dot if changes.is_none() => ws.graph.to_dot(),
        GraphFormat::Mermaid if changes.is_none() => ws.graph.to_mermaid(),
        GraphFormat::Dot | GraphFormat::Mermaid => {
            return Err(OpError::diagnostic(
                Diagnostic::new(&codes::E0663).with_help(
                    "`--plan` colours the picture: use it with `--format svg`.".to_string(),
                ),
            ))
        }
        GraphFormat::Svg => {
            let title = format!("environment {}", ws.environment);
            render_svg(&ws.graph.picture(&title, changes.as_deref()))
        }
    })
}

/// The actions of the JSON plan at `path`, by address.
fn read_changes(path: &Path) -> Result<Vec<(InstanceAddr, Action)>, OpError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        OpError::diagnostic(
            Diagnostic::new(&codes::E0660)
                .with_help(format!("Reading {} failed: {e}.", path.display())),
        )
    })?;
    let not_a_plan = |why: String| {
        OpError::diagnostic(Diagnostic::new(&codes::E0661).with_help(format!(
            "{} is not a JSON plan ({why}). Make one with `aic plan --format json > {}`.",
            path.display(),
            path.display()
        )))
    };
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| not_a_plan(format!("not JSON: {e}")))?;
    let Some(changes) = json.get("resource_changes").and_then(|c| c.as_array()) else {
        return Err(not_a_plan("no `resource_changes` list".to_string()));
    };
    let mut out = Vec::with_capacity(changes.len());
    for c in changes {
        let address = c
            .get("address")
            .and_then(|a| a.as_str())
            .unwrap_or_default();
        let addr: InstanceAddr = address.parse().map_err(|e| not_a_plan(format!("{e}")))?;
        let actions: Vec<&str> = c
            .get("actions")
            .and_then(|a| a.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
            .unwrap_or_default();
        let action = Action::from_json_actions(&actions)
            .ok_or_else(|| not_a_plan(format!("`{address}` has unknown actions {actions:?}")))?;
        out.push((addr, action));
    }
    Ok(out)
}
