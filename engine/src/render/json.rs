//! The JSON view: the plan's JSON form (spec §2), pretty-printed.

use crate::plan::Plan;

/// The plan as one JSON object, as `aic plan --format json` prints it. Unknown and
/// sensitive values are `null`, flagged in `after_unknown` and `after_sensitive`.
pub fn render_json(plan: &Plan) -> String {
    // A plan holds only strings, numbers and maps with string keys: it always serializes.
    serde_json::to_string_pretty(plan).unwrap_or_default() + "\n"
}
