//! A rollout as a Mermaid flowchart: one box per phase (environment, strategy, canary
//! steps or waves, checks), in order, with what happens on failure.

use std::fmt::Write;

use crate::load::{CheckKind, Rollout, Strategy};
use aic_lang::duration::Duration as DurationText;

fn esc(s: &str) -> String {
    s.replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}

/// Node ids: the phase name with anything but letters, digits and `_` replaced.
fn id(phase: &str, suffix: &str) -> String {
    let base: String = phase
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if suffix.is_empty() {
        format!("p_{base}")
    } else {
        format!("p_{base}_{suffix}")
    }
}

/// The flowchart of `rollout`. `targets(phase)` gives a phase's targets in order when
/// they are known (`None`: everything, or not resolvable without the environment).
pub fn mermaid(rollout: &Rollout, targets: &dyn Fn(&str) -> Option<Vec<String>>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "flowchart TD");
    let _ = writeln!(out, "  start([\"rollout {}\"])", esc(&rollout.name));
    let mut prev = "start".to_string();
    for p in &rollout.phases {
        let phase_id = id(&p.name, "");
        let _ = writeln!(
            out,
            "  subgraph {phase_id}[\"phase {} · {}\"]",
            esc(&p.name),
            esc(&p.environment)
        );
        let _ = writeln!(out, "    direction TB");
        let listed = targets(&p.name);
        let scope = match &listed {
            Some(t) if !t.is_empty() => t.join(", "),
            _ if p.targets.is_some() => "listed targets".to_string(),
            _ => "everything".to_string(),
        };
        // The apply steps, in order.
        let mut steps: Vec<(String, String)> = Vec::new();
        match &p.strategy {
            Strategy::AllAtOnce => steps.push((
                id(&p.name, "apply"),
                format!("all_at_once<br/>{}", esc(&scope)),
            )),
            Strategy::BlueGreen => steps.push((
                id(&p.name, "apply"),
                format!(
                    "blue_green<br/>{}<br/>old objects kept until checks pass",
                    esc(&scope)
                ),
            )),
            Strategy::Canary { steps: weights, .. } => {
                for w in weights {
                    steps.push((
                        id(&p.name, &format!("w{w}")),
                        format!("canary {w}%<br/>{}", esc(&scope)),
                    ));
                }
            }
            Strategy::Waves { size, .. } => match &listed {
                Some(t) if !t.is_empty() => {
                    for (i, wave) in t.chunks((*size).max(1)).enumerate() {
                        steps.push((
                            id(&p.name, &format!("wave{}", i + 1)),
                            format!("wave {}<br/>{}", i + 1, esc(&wave.join(", "))),
                        ));
                    }
                }
                _ => steps.push((
                    id(&p.name, "wave1"),
                    format!("waves of {size}<br/>{}", esc(&scope)),
                )),
            },
        }
        let pause = match &p.strategy {
            Strategy::Canary { pause, .. } | Strategy::Waves { pause, .. } if !pause.is_zero() => {
                Some(DurationText(*pause).short())
            }
            _ => None,
        };
        for (sid, label) in &steps {
            let _ = writeln!(out, "    {sid}[\"{label}\"]");
        }
        for pair in steps.windows(2) {
            let edge = match &pause {
                Some(d) => format!("-->|pause {d}|"),
                None => "-->".to_string(),
            };
            let _ = writeln!(out, "    {} {edge} {}", pair[0].0, pair[1].0);
        }
        if !p.checks.is_empty() {
            let names: Vec<String> = p
                .checks
                .iter()
                .map(|c| match &c.kind {
                    CheckKind::Http { expect, .. } => esc(&format!("{}: http {expect}", c.name)),
                    CheckKind::Assert { .. } => esc(&format!("{}: assert", c.name)),
                    CheckKind::Prometheus(a) => esc(&format!(
                        "{}: prometheus ×{}, every {}",
                        c.name,
                        a.count,
                        aic_lang::duration::Duration(a.interval).short()
                    )),
                })
                .collect();
            let cid = id(&p.name, "checks");
            let _ = writeln!(
                out,
                "    {cid}{{{{\"checks<br/>{}\"}}}}",
                names.join("<br/>")
            );
            let per_step = matches!(p.strategy, Strategy::Canary { .. } | Strategy::Waves { .. });
            if per_step {
                for (sid, _) in &steps {
                    let _ = writeln!(out, "    {sid} -.- {cid}");
                }
            } else if let Some((sid, _)) = steps.last() {
                let _ = writeln!(out, "    {sid} --> {cid}");
            }
        }
        let _ = writeln!(out, "  end");
        let fail_id = id(&p.name, "fail");
        let _ = writeln!(
            out,
            "  {fail_id}([\"on failure: {}\"])",
            p.on_failure.as_str()
        );
        let _ = writeln!(out, "  {phase_id} -. failed .-> {fail_id}");
        let _ = writeln!(out, "  {prev} --> {phase_id}");
        prev = phase_id;
    }
    let _ = writeln!(out, "  done([\"done\"])");
    let _ = writeln!(out, "  {prev} --> done");
    out
}
