//! The rollout model: `rollout NAME { phase P { … } }` blocks of the root module read into
//! typed values, with every mistake reported as a diagnostic (codes E09xx).
//!
//! Constants (environment, strategy settings, check settings) are read here; expressions
//! that depend on what is applied (`targets`, a check's `http` URL, `assert`, `message`)
//! are kept as expressions and evaluated when the phase runs.

use std::time::Duration;

use aic_lang::ast::{Block, Expr, ExprKind, TemplatePart};
use aic_lang::config::Module;
use aic_lang::diag::{suggest, Diagnostic};
use aic_lang::duration::Duration as DurationText;
use aic_lang::eval::{Evaluator, Scope, ScopeMiss};
use aic_lang::source::Span;
use aic_lang::value::Value;

use crate::codes;
use crate::eval::StdFunctions;

/// A `rollout` block.
#[derive(Debug, Clone)]
pub struct Rollout {
    pub name: String,
    pub phases: Vec<Phase>,
    /// `notify NAME { … }` of the rollout: told of every phase's events and of the run's
    /// completion.
    pub notify: Vec<Notify>,
    pub span: Span,
}

/// A `phase` of a rollout.
#[derive(Debug, Clone)]
pub struct Phase {
    pub name: String,
    pub environment: String,
    /// `targets = [...]`: `None` means everything.
    pub targets: Option<Expr>,
    pub strategy: Strategy,
    pub checks: Vec<Check>,
    pub on_failure: OnFailure,
    /// `notify NAME { … }` of the phase: told of this phase's events.
    pub notify: Vec<Notify>,
    pub span: Span,
}

/// How a phase applies its targets.
#[derive(Debug, Clone, PartialEq)]
pub enum Strategy {
    AllAtOnce,
    /// `rollout.weight` takes each step; one plan/apply/check per step.
    Canary {
        steps: Vec<u32>,
        pause: Duration,
    },
    /// Targets in groups of `size`; later waves are skipped once more than
    /// `max_failures` targets failed.
    Waves {
        size: usize,
        pause: Duration,
        max_failures: usize,
    },
    /// Replacements create before they destroy; the old objects are destroyed once the
    /// checks pass.
    BlueGreen,
}

impl Strategy {
    pub const KINDS: [&'static str; 4] = ["all_at_once", "canary", "waves", "blue_green"];

    pub fn kind(&self) -> &'static str {
        match self {
            Strategy::AllAtOnce => "all_at_once",
            Strategy::Canary { .. } => "canary",
            Strategy::Waves { .. } => "waves",
            Strategy::BlueGreen => "blue_green",
        }
    }

    /// A short description: `canary 10/50/100, pause 5m`.
    pub fn describe(&self) -> String {
        match self {
            Strategy::AllAtOnce => "all_at_once".into(),
            Strategy::BlueGreen => "blue_green".into(),
            Strategy::Canary { steps, pause } => {
                let steps: Vec<String> = steps.iter().map(u32::to_string).collect();
                format!(
                    "canary {}%, pause {}",
                    steps.join("/"),
                    DurationText(*pause).short()
                )
            }
            Strategy::Waves {
                size,
                pause,
                max_failures,
            } => format!(
                "waves of {size}, pause {}, max_failures {max_failures}",
                DurationText(*pause).short()
            ),
        }
    }
}

/// What a failed phase does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFailure {
    Rollback,
    Halt,
}

impl OnFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            OnFailure::Rollback => "rollback",
            OnFailure::Halt => "halt",
        }
    }
}

/// A `check NAME { … }`.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: String,
    pub kind: CheckKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum CheckKind {
    Http {
        url: Expr,
        expect: u16,
        timeout: Duration,
        retries: u32,
        interval: Duration,
    },
    Assert {
        condition: Expr,
        message: Option<Expr>,
    },
    /// An analysis over Prometheus: `count` instant queries, `interval` apart, each
    /// measurement judged by `condition` (Argo Rollouts' AnalysisTemplate metric).
    Prometheus(Box<Analysis>),
}

/// A `prometheus { url, query }` check: Argo Rollouts' metric with a Prometheus provider.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The server's base URL (`http://prometheus:9090`); `/api/v1/query` is appended.
    pub url: Expr,
    /// The PromQL of the instant query; `rollout.*`, `env.*` and `var.*` may be used.
    pub query: Expr,
    /// How long one query may take.
    pub timeout: Duration,
    /// Argo's `successCondition`, with `self` the query's result.
    pub condition: Expr,
    /// Argo's `failureCondition` (optional): with both, a measurement matching neither is
    /// inconclusive.
    pub failure_condition: Option<Expr>,
    /// Between measurements.
    pub interval: Duration,
    /// How many measurements.
    pub count: u32,
    /// Failed measurements tolerated; one more fails the analysis at once.
    pub failure_limit: u32,
    /// Inconclusive measurements tolerated; one more makes the analysis inconclusive.
    pub inconclusive_limit: u32,
    /// Consecutive errors (no answer, a rejected query) tolerated; one more fails it.
    pub consecutive_error_limit: u32,
    /// What an inconclusive analysis does to the phase.
    pub inconclusive: Inconclusive,
}

/// What an inconclusive analysis does: Argo Rollouts pauses for a person to decide; a
/// rollout run by `aic` either fails the check (the default) or lets it pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inconclusive {
    Fail,
    Pass,
}

/// A `notify NAME { on = [...]  webhook|slack|pagerduty { … } }` block.
#[derive(Debug, Clone)]
pub struct Notify {
    pub name: String,
    pub on: Vec<NotifyEvent>,
    pub target: NotifyTarget,
    pub span: Span,
}

/// What a notification is sent for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyEvent {
    /// A phase started.
    Started,
    /// A phase succeeded.
    Passed,
    /// A phase failed (a check, an apply, a wave tolerance), before any rollback.
    Failed,
    /// A failed phase was rolled back.
    RolledBack,
    /// Every phase of the run succeeded (rollout-level notifications only).
    Completed,
}

impl NotifyEvent {
    pub const ALL: [NotifyEvent; 5] = [
        NotifyEvent::Started,
        NotifyEvent::Passed,
        NotifyEvent::Failed,
        NotifyEvent::RolledBack,
        NotifyEvent::Completed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotifyEvent::Started => "started",
            NotifyEvent::Passed => "passed",
            NotifyEvent::Failed => "failed",
            NotifyEvent::RolledBack => "rolled_back",
            NotifyEvent::Completed => "completed",
        }
    }

    fn parse(s: &str) -> Option<NotifyEvent> {
        NotifyEvent::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

/// Where a notification goes. The URL and the routing key are expressions evaluated when
/// the notification is sent, and treated as secrets (never printed).
#[derive(Debug, Clone)]
pub enum NotifyTarget {
    /// A POST of the documented JSON body.
    Webhook { url: Expr },
    /// A Slack incoming webhook.
    Slack { url: Expr },
    /// PagerDuty Events API v2: trigger on failure, resolve on a later pass.
    PagerDuty {
        routing_key: Expr,
        /// Default `https://events.pagerduty.com/v2/enqueue`.
        url: Option<Expr>,
    },
}

impl NotifyTarget {
    pub const KINDS: [&'static str; 3] = ["webhook", "slack", "pagerduty"];

    pub fn kind(&self) -> &'static str {
        match self {
            NotifyTarget::Webhook { .. } => "webhook",
            NotifyTarget::Slack { .. } => "slack",
            NotifyTarget::PagerDuty { .. } => "pagerduty",
        }
    }
}

/// A scope without names: rollout settings are constants.
struct Constants;

impl Scope for Constants {
    fn resolve(&self, path: &[&str]) -> Result<(Value, usize), ScopeMiss> {
        Err(ScopeMiss {
            segment: 0,
            code: &codes::E0904,
            label: format!(
                "`{}` cannot be used here",
                path.first().copied().unwrap_or("")
            ),
            help: Some("This rollout setting is a constant: write a literal value.".into()),
        })
    }
}

struct Reader<'a> {
    diags: &'a mut Vec<Diagnostic>,
    functions: StdFunctions,
}

impl Reader<'_> {
    fn constant(&mut self, e: &Expr) -> Option<Value> {
        let mut ev = Evaluator::new(&Constants, &self.functions);
        match ev.eval(e) {
            Ok(v) => Some(v),
            Err(err) => {
                self.diags.push(err.to_diagnostic());
                None
            }
        }
    }

    fn invalid(&mut self, span: Span, label: impl Into<String>, help: impl Into<String>) {
        self.diags.push(
            Diagnostic::new(&codes::E0904)
                .with_primary(span, label)
                .with_help(help),
        );
    }

    /// Attributes and nested blocks other than `allowed` are reported.
    fn only(&mut self, what: &str, block: &Block, attrs: &[&str], blocks: &[&str]) {
        for a in block.body.attributes() {
            if !attrs.contains(&a.name.name.as_str()) {
                let mut d = Diagnostic::new(&codes::E0903).with_primary(
                    a.name.span,
                    format!("{what} has no attribute `{}`", a.name.name),
                );
                d = match suggest(&a.name.name, attrs.iter().copied()) {
                    Some(s) => d.with_help(format!("Did you mean `{s}`?")),
                    None if attrs.is_empty() => d.with_help(format!("{what} takes no attributes.")),
                    None => d.with_help(format!("{what} takes: {}.", attrs.join(", "))),
                };
                self.diags.push(d);
            }
        }
        for b in block.body.blocks() {
            if !blocks.contains(&b.kind.name.as_str()) {
                let mut d = Diagnostic::new(&codes::E0903).with_primary(
                    b.kind.span,
                    format!("{what} has no `{}` block", b.kind.name),
                );
                if !blocks.is_empty() {
                    d = d.with_help(format!("{what} holds these blocks: {}.", blocks.join(", ")));
                }
                self.diags.push(d);
            }
        }
    }

    fn duration(&mut self, block: &Block, name: &str, default: Duration) -> Duration {
        let Some(a) = block.body.attribute(name) else {
            return default;
        };
        let Some(v) = self.constant(&a.value) else {
            return default;
        };
        match v.as_str().map(DurationText::parse) {
            Some(Ok(d)) => d.as_duration(),
            Some(Err(m)) => {
                self.invalid(
                    a.value.span,
                    m.to_string(),
                    "Durations are strings such as \"30s\", \"5m\" or \"1h\".",
                );
                default
            }
            None => {
                self.invalid(
                    a.value.span,
                    format!("`{name}` must be a duration string, found {}", v.type_of()),
                    "Durations are strings such as \"30s\", \"5m\" or \"1h\".",
                );
                default
            }
        }
    }

    fn whole(&mut self, block: &Block, name: &str, min: i64, max: i64, default: i64) -> i64 {
        let Some(a) = block.body.attribute(name) else {
            return default;
        };
        let Some(v) = self.constant(&a.value) else {
            return default;
        };
        match v.as_number() {
            Some(n) if n.fract() == 0.0 && n >= min as f64 && n <= max as f64 => n as i64,
            _ => {
                self.invalid(
                    a.value.span,
                    format!("`{name}` must be a whole number from {min} to {max}, found {v}"),
                    format!("Write e.g. `{name} = {}`.", default.max(min)),
                );
                default
            }
        }
    }
}

fn label(b: &Block) -> Option<String> {
    b.labels.first().map(|l| l.value.clone())
}

/// Reads every `rollout` block of `root` (the root module), checking each against the
/// declared environments and the module's resources and module calls.
pub(crate) fn read(root: &Module) -> (Vec<Rollout>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut out = Vec::new();
    let mut r = Reader {
        diags: &mut diags,
        functions: StdFunctions::new(root.dir.clone()),
    };
    for (name, block) in &root.rollouts {
        r.only(
            &format!("rollout `{name}`"),
            block,
            &[],
            &["phase", "notify"],
        );
        let notify = read_notifies(&mut r, &format!("rollout `{name}`"), block, true);
        let mut phases: Vec<Phase> = Vec::new();
        for pb in block.body.blocks().filter(|b| b.kind.name == "phase") {
            let Some(pname) = label(pb) else {
                r.diags.push(
                    Diagnostic::new(&codes::E0907)
                        .with_primary(pb.kind.span, "a phase needs a name: `phase NAME { … }`"),
                );
                continue;
            };
            if let Some(prev) = phases.iter().find(|p| p.name == pname) {
                r.diags.push(
                    Diagnostic::new(&codes::E0908)
                        .with_primary(
                            pb.labels[0].span,
                            format!("phase `{pname}` is declared twice"),
                        )
                        .with_secondary(prev.span, "first declared here"),
                );
                continue;
            }
            if let Some(p) = read_phase(&mut r, root, &pname, pb) {
                phases.push(p);
            }
        }
        if phases.is_empty() && !block.body.blocks().any(|b| b.kind.name == "phase") {
            r.diags.push(
                Diagnostic::new(&codes::E0907)
                    .with_primary(
                        block.labels.first().map_or(block.kind.span, |l| l.span),
                        format!("rollout `{name}` has no phase"),
                    )
                    .with_help("Add at least one `phase NAME { environment = ENV }` block."),
            );
        }
        out.push(Rollout {
            name: name.clone(),
            phases,
            notify,
            span: block.span,
        });
    }
    (out, diags)
}

fn read_phase(r: &mut Reader<'_>, root: &Module, name: &str, b: &Block) -> Option<Phase> {
    let what = format!("phase `{name}`");
    r.only(
        &what,
        b,
        &["environment", "targets", "on_failure"],
        &["strategy", "check", "notify"],
    );
    let notify = read_notifies(r, &what, b, false);
    let declared: Vec<&str> = root.environments.keys().map(String::as_str).collect();
    let environment = match b.body.attribute("environment") {
        None if declared.is_empty() => "default".to_string(),
        None => {
            r.diags.push(
                Diagnostic::new(&codes::E0907)
                    .with_primary(b.kind.span, format!("{what} has no `environment`"))
                    .with_help(format!(
                        "Say where it runs: `environment = {}`. Declared environments: {}.",
                        declared.first().copied().unwrap_or("NAME"),
                        declared.join(", ")
                    )),
            );
            return None;
        }
        Some(a) => {
            let text = match &a.value.kind {
                ExprKind::Name(n) => Some(n.name.clone()),
                ExprKind::Template(t) => match t.parts.as_slice() {
                    [TemplatePart::Literal(s)] => Some(s.clone()),
                    [] => Some(String::new()),
                    _ => None,
                },
                _ => None,
            };
            let Some(env) = text else {
                r.invalid(
                    a.value.span,
                    "`environment` must name an environment",
                    "Write the environment's name: `environment = staging`.",
                );
                return None;
            };
            let known = if declared.is_empty() {
                env == "default"
            } else {
                declared.contains(&env.as_str())
            };
            if !known {
                let mut d = Diagnostic::new(&codes::E0901)
                    .with_primary(a.value.span, format!("environment `{env}` is not declared"));
                d = if declared.is_empty() {
                    d.with_help(
                        "This configuration declares no environments, so only `default` exists.",
                    )
                } else {
                    match suggest(&env, declared.iter().copied()) {
                        Some(s) => d.with_help(format!(
                            "Did you mean `{s}`? Declared environments: {}.",
                            declared.join(", ")
                        )),
                        None => {
                            d.with_help(format!("Declared environments: {}.", declared.join(", ")))
                        }
                    }
                };
                r.diags.push(d);
                return None;
            }
            env
        }
    };
    let targets = b.body.attribute("targets").map(|a| {
        check_targets(r, root, &a.value);
        a.value.clone()
    });
    let strategies: Vec<&Block> = b
        .body
        .blocks()
        .filter(|x| x.kind.name == "strategy")
        .collect();
    if let Some(second) = strategies.get(1) {
        r.diags.push(
            Diagnostic::new(&codes::E0908)
                .with_primary(
                    second.kind.span,
                    format!("{what} has more than one strategy"),
                )
                .with_secondary(strategies[0].kind.span, "the first strategy")
                .with_help("A phase has at most one `strategy KIND { … }` block."),
        );
    }
    // A bad strategy does not stop the checks from being read: all errors at once.
    let strategy = match strategies.first() {
        None => Some(Strategy::AllAtOnce),
        Some(s) => read_strategy(r, s),
    };
    let on_failure = match b.body.attribute("on_failure") {
        None => OnFailure::Rollback,
        Some(a) => match r.constant(&a.value).as_ref().and_then(Value::as_str) {
            Some("rollback") => OnFailure::Rollback,
            Some("halt") => OnFailure::Halt,
            _ => {
                r.invalid(
                    a.value.span,
                    "`on_failure` must be \"rollback\" or \"halt\"",
                    "\"rollback\" (the default) returns to the state before the phase; \"halt\" stops where it is.",
                );
                OnFailure::Rollback
            }
        },
    };
    let mut checks: Vec<Check> = Vec::new();
    for cb in b.body.blocks().filter(|x| x.kind.name == "check") {
        let Some(cname) = label(cb) else {
            r.diags.push(
                Diagnostic::new(&codes::E0905)
                    .with_primary(cb.kind.span, "a check needs a name: `check NAME { … }`"),
            );
            continue;
        };
        if checks.iter().any(|c| c.name == cname) {
            r.diags.push(Diagnostic::new(&codes::E0908).with_primary(
                cb.kind.span,
                format!("check `{cname}` is declared twice in {what}"),
            ));
            continue;
        }
        if let Some(c) = read_check(r, &cname, cb) {
            checks.push(c);
        }
    }
    Some(Phase {
        name: name.to_string(),
        environment,
        targets,
        strategy: strategy?,
        checks,
        on_failure,
        notify,
        span: b.span,
    })
}

/// The `notify` blocks of a rollout (`rollout_level`) or a phase.
fn read_notifies(r: &mut Reader<'_>, owner: &str, b: &Block, rollout_level: bool) -> Vec<Notify> {
    let mut out: Vec<Notify> = Vec::new();
    for nb in b.body.blocks().filter(|x| x.kind.name == "notify") {
        let Some(name) = label(nb) else {
            r.diags.push(Diagnostic::new(&codes::E0911).with_primary(
                nb.kind.span,
                "a notification needs a name: `notify NAME { … }`",
            ));
            continue;
        };
        if let Some(prev) = out.iter().find(|n| n.name == name) {
            r.diags.push(
                Diagnostic::new(&codes::E0908)
                    .with_primary(
                        nb.labels[0].span,
                        format!("notification `{name}` is declared twice in {owner}"),
                    )
                    .with_secondary(prev.span, "first declared here"),
            );
            continue;
        }
        if let Some(n) = read_notify(r, &name, nb, rollout_level) {
            out.push(n);
        }
    }
    out
}

fn read_notify(r: &mut Reader<'_>, name: &str, b: &Block, rollout_level: bool) -> Option<Notify> {
    let what = format!("notification `{name}`");
    r.only(&what, b, &["on"], &NotifyTarget::KINDS);
    let targets: Vec<&Block> = b
        .body
        .blocks()
        .filter(|x| NotifyTarget::KINDS.contains(&x.kind.name.as_str()))
        .collect();
    let tb = match targets.as_slice() {
        [one] => *one,
        [] => {
            r.diags.push(
                Diagnostic::new(&codes::E0911)
                    .with_primary(b.kind.span, format!("{what} says nowhere to send"))
                    .with_help("Add one of `webhook { url = … }`, `slack { url = … }`, `pagerduty { routing_key = … }`."),
            );
            return None;
        }
        [first, second, ..] => {
            r.diags.push(
                Diagnostic::new(&codes::E0911)
                    .with_primary(
                        second.kind.span,
                        format!("{what} has more than one destination"),
                    )
                    .with_secondary(first.kind.span, "the first one")
                    .with_help(
                        "One destination per notification: write one `notify` block for each.",
                    ),
            );
            return None;
        }
    };
    let kind = tb.kind.name.as_str();
    let dest = format!("the `{kind}` block of {what}");
    let required = |r: &mut Reader<'_>, attr: &str, example: &str| -> Option<Expr> {
        match tb.body.attribute(attr) {
            Some(a) => Some(a.value.clone()),
            None => {
                r.diags.push(
                    Diagnostic::new(&codes::E0911)
                        .with_primary(tb.kind.span, format!("{dest} has no `{attr}`"))
                        .with_help(format!("Write `{attr} = {example}` (a sensitive variable is the usual source).")),
                );
                None
            }
        }
    };
    let target = match kind {
        "webhook" => {
            r.only(&dest, tb, &["url"], &[]);
            NotifyTarget::Webhook {
                url: required(r, "url", "var.webhook_url")?,
            }
        }
        "slack" => {
            r.only(&dest, tb, &["url"], &[]);
            NotifyTarget::Slack {
                url: required(r, "url", "var.slack_webhook_url")?,
            }
        }
        _ => {
            r.only(&dest, tb, &["routing_key", "url"], &[]);
            NotifyTarget::PagerDuty {
                routing_key: required(r, "routing_key", "var.pagerduty_routing_key")?,
                url: tb.body.attribute("url").map(|a| a.value.clone()),
            }
        }
    };
    let pagerduty = matches!(target, NotifyTarget::PagerDuty { .. });
    let allowed: Vec<NotifyEvent> = NotifyEvent::ALL
        .into_iter()
        .filter(|e| rollout_level || *e != NotifyEvent::Completed)
        .filter(|e| {
            !pagerduty
                || matches!(
                    e,
                    NotifyEvent::Passed | NotifyEvent::Failed | NotifyEvent::RolledBack
                )
        })
        .collect();
    let names: Vec<&str> = allowed.iter().map(|e| e.as_str()).collect();
    let on = match b.body.attribute("on") {
        None if pagerduty => vec![NotifyEvent::Failed, NotifyEvent::Passed],
        None => allowed.clone(),
        Some(a) => {
            let v = r.constant(&a.value)?;
            let Some(xs) = v.as_elements() else {
                r.invalid(
                    a.value.span,
                    format!("`on` must be a list of event names, found {}", v.type_of()),
                    format!("Events: {}.", names.join(", ")),
                );
                return None;
            };
            let mut on = Vec::new();
            for x in xs {
                match x.as_str().and_then(NotifyEvent::parse) {
                    Some(e) if allowed.contains(&e) => {
                        if !on.contains(&e) {
                            on.push(e);
                        }
                    }
                    Some(e) => {
                        let why = if pagerduty {
                            "PagerDuty is told of failures (a trigger) and of passes (the resolve)"
                        } else {
                            "`completed` is the whole run's: it goes in a rollout-level `notify`"
                        };
                        r.invalid(
                            a.value.span,
                            format!("{what} cannot be sent on `{}`", e.as_str()),
                            format!("{why}. Events here: {}.", names.join(", ")),
                        );
                    }
                    None => {
                        let text = x.as_str().map_or_else(|| x.to_string(), str::to_string);
                        let mut help = format!("Events: {}.", names.join(", "));
                        if let Some(s) = suggest(&text, names.iter().copied()) {
                            help = format!("Did you mean `{s}`? {help}");
                        }
                        r.invalid(
                            a.value.span,
                            format!("`{text}` is not a rollout event"),
                            help,
                        );
                    }
                }
            }
            on
        }
    };
    Some(Notify {
        name: name.to_string(),
        on,
        target,
        span: b.span,
    })
}

fn read_strategy(r: &mut Reader<'_>, s: &Block) -> Option<Strategy> {
    let Some(kind) = label(s) else {
        r.diags.push(
            Diagnostic::new(&codes::E0902)
                .with_primary(
                    s.kind.span,
                    "a strategy needs a kind: `strategy canary { … }`",
                )
                .with_help(format!("Strategies: {}.", Strategy::KINDS.join(", "))),
        );
        return None;
    };
    let what = format!("strategy `{kind}`");
    match kind.as_str() {
        "all_at_once" => {
            r.only(&what, s, &[], &[]);
            Some(Strategy::AllAtOnce)
        }
        "blue_green" => {
            r.only(&what, s, &[], &[]);
            Some(Strategy::BlueGreen)
        }
        "canary" => {
            r.only(&what, s, &["steps", "pause"], &[]);
            let pause = r.duration(s, "pause", Duration::ZERO);
            let mut steps = vec![100];
            if let Some(a) = s.body.attribute("steps") {
                let v = r.constant(&a.value)?;
                let parsed: Option<Vec<u32>> = v.as_elements().and_then(|xs| {
                    xs.iter()
                        .map(|x| {
                            x.as_number()
                                .filter(|n| n.fract() == 0.0 && *n >= 1.0 && *n <= 100.0)
                                .map(|n| n as u32)
                        })
                        .collect()
                });
                match parsed {
                    Some(p) if !p.is_empty() && p.windows(2).all(|w| w[0] < w[1]) => steps = p,
                    _ => {
                        r.invalid(
                            a.value.span,
                            format!(
                                "`steps` must be increasing percentages from 1 to 100, found {v}"
                            ),
                            "Write e.g. `steps = [10, 50, 100]`; the last step is normally 100.",
                        );
                    }
                }
            }
            Some(Strategy::Canary { steps, pause })
        }
        "waves" => {
            r.only(&what, s, &["size", "pause", "max_failures"], &[]);
            let size = r.whole(s, "size", 1, 1_000_000, 1) as usize;
            let pause = r.duration(s, "pause", Duration::ZERO);
            let max_failures = r.whole(s, "max_failures", 0, 1_000_000, 0) as usize;
            Some(Strategy::Waves {
                size,
                pause,
                max_failures,
            })
        }
        other => {
            let mut d = Diagnostic::new(&codes::E0902)
                .with_primary(s.labels[0].span, format!("`{other}` is not a strategy"));
            d = match suggest(other, Strategy::KINDS) {
                Some(x) => d.with_help(format!(
                    "Did you mean `{x}`? Strategies: {}.",
                    Strategy::KINDS.join(", ")
                )),
                None => d.with_help(format!("Strategies: {}.", Strategy::KINDS.join(", "))),
            };
            r.diags.push(d);
            None
        }
    }
}

fn read_check(r: &mut Reader<'_>, name: &str, b: &Block) -> Option<Check> {
    let what = format!("check `{name}`");
    let http = b.body.attribute("http").map(|a| a.name.span);
    let assert = b.body.attribute("assert").map(|a| a.name.span);
    let prometheus: Vec<&Block> = b
        .body
        .blocks()
        .filter(|x| x.kind.name == "prometheus")
        .collect();
    let kinds: Vec<(&str, Span)> = [
        ("http", http),
        ("assert", assert),
        ("prometheus", prometheus.first().map(|p| p.kind.span)),
    ]
    .into_iter()
    .filter_map(|(k, s)| s.map(|s| (k, s)))
    .collect();
    if kinds.len() > 1 {
        r.diags.push(
            Diagnostic::new(&codes::E0905)
                .with_primary(
                    kinds[1].1,
                    format!("{what} has both `{}` and `{}`", kinds[0].0, kinds[1].0),
                )
                .with_secondary(kinds[0].1, format!("`{}` is here", kinds[0].0))
                .with_help(
                    "A check is an HTTP GET, an assertion or a Prometheus analysis; split it into several checks.",
                ),
        );
        return None;
    }
    if let Some(second) = prometheus.get(1) {
        r.diags.push(
            Diagnostic::new(&codes::E0908)
                .with_primary(
                    second.kind.span,
                    format!("{what} has more than one `prometheus` block"),
                )
                .with_secondary(prometheus[0].kind.span, "the first one")
                .with_help("One query per check: write one check per query."),
        );
        return None;
    }
    if let Some(p) = prometheus.first() {
        return read_analysis(r, name, b, p);
    }
    match (b.body.attribute("http"), b.body.attribute("assert")) {
        (Some(url), _) => {
            r.only(
                &what,
                b,
                &["http", "expect", "timeout", "retries", "interval"],
                &[],
            );
            let expect = r.whole(b, "expect", 100, 599, 200) as u16;
            let timeout = r.duration(b, "timeout", Duration::from_secs(5));
            let retries = r.whole(b, "retries", 0, 1000, 0) as u32;
            let interval = r.duration(b, "interval", Duration::from_secs(5));
            Some(Check {
                name: name.to_string(),
                kind: CheckKind::Http {
                    url: url.value.clone(),
                    expect,
                    timeout,
                    retries,
                    interval,
                },
                span: b.span,
            })
        }
        (None, Some(cond)) => {
            r.only(&what, b, &["assert", "message"], &[]);
            Some(Check {
                name: name.to_string(),
                kind: CheckKind::Assert {
                    condition: cond.value.clone(),
                    message: b.body.attribute("message").map(|m| m.value.clone()),
                },
                span: b.span,
            })
        }
        (None, None) => {
            r.diags.push(
                Diagnostic::new(&codes::E0905)
                    .with_primary(b.kind.span, format!("{what} has no `http`, `assert` or `prometheus`"))
                    .with_help("Write `http = \"http://host/healthz\"` (with `expect`, `timeout`, `retries`, `interval`), `assert = EXPR` with `message`, or `prometheus { url = …, query = … }` with `condition = EXPR`."),
            );
            None
        }
    }
}

/// The settings of an analysis check besides its `prometheus` block.
const ANALYSIS: [&str; 8] = [
    "condition",
    "failure_condition",
    "interval",
    "count",
    "failure_limit",
    "inconclusive_limit",
    "consecutive_error_limit",
    "inconclusive",
];

fn read_analysis(r: &mut Reader<'_>, name: &str, b: &Block, p: &Block) -> Option<Check> {
    let what = format!("check `{name}`");
    r.only(&what, b, &ANALYSIS, &["prometheus"]);
    r.only(
        &format!("the `prometheus` block of {what}"),
        p,
        &["url", "query", "timeout"],
        &[],
    );
    let mut missing = Vec::new();
    let url = p.body.attribute("url").map(|a| a.value.clone());
    let query = p.body.attribute("query").map(|a| a.value.clone());
    if url.is_none() {
        missing.push("`url` (the server, e.g. \"http://127.0.0.1:9090\")");
    }
    if query.is_none() {
        missing.push("`query` (the PromQL of an instant query)");
    }
    if !missing.is_empty() {
        r.diags.push(
            Diagnostic::new(&codes::E0905)
                .with_primary(
                    p.kind.span,
                    format!("the `prometheus` block of {what} has no {}", missing.join(" and no ")),
                )
                .with_help("Write `prometheus { url = \"http://127.0.0.1:9090\", query = \"sum(rate(errors_total[1m]))\" }`."),
        );
    }
    let condition = b.body.attribute("condition").map(|a| a.value.clone());
    if condition.is_none() {
        r.diags.push(
            Diagnostic::new(&codes::E0905)
                .with_primary(b.kind.span, format!("{what} has no `condition`"))
                .with_help("Say when a measurement is good, `self` being the result (a number for a scalar, a list of the values of a vector): `condition = self[0] < 0.05`."),
        );
    }
    let timeout = r.duration(p, "timeout", Duration::from_secs(5));
    let interval = r.duration(b, "interval", Duration::from_secs(10));
    let count = r.whole(b, "count", 1, 100_000, 1) as u32;
    let failure_limit = r.whole(b, "failure_limit", 0, 100_000, 0) as u32;
    let inconclusive_limit = r.whole(b, "inconclusive_limit", 0, 100_000, 0) as u32;
    let consecutive_error_limit = r.whole(b, "consecutive_error_limit", 0, 100_000, 4) as u32;
    let inconclusive = match b.body.attribute("inconclusive") {
        None => Inconclusive::Fail,
        Some(a) => match r.constant(&a.value).as_ref().and_then(Value::as_str) {
            Some("fail") => Inconclusive::Fail,
            Some("pass") => Inconclusive::Pass,
            _ => {
                r.invalid(
                    a.value.span,
                    "`inconclusive` must be \"fail\" or \"pass\"",
                    "\"fail\" (the default) fails the check when the analysis is inconclusive; \"pass\" lets it pass.",
                );
                Inconclusive::Fail
            }
        },
    };
    Some(Check {
        name: name.to_string(),
        kind: CheckKind::Prometheus(Box::new(Analysis {
            url: url?,
            query: query?,
            timeout,
            condition: condition?,
            failure_condition: b
                .body
                .attribute("failure_condition")
                .map(|a| a.value.clone()),
            interval,
            count,
            failure_limit,
            inconclusive_limit,
            consecutive_error_limit,
            inconclusive,
        })),
        span: b.span,
    })
}

/// The root name of a reference: `module.region[…]` → (`module`, `region`);
/// `local_file.a[0]` → (`local_file`, `a`).
fn reference_root(e: &Expr) -> Option<(String, Option<String>)> {
    match &e.kind {
        ExprKind::Name(n) => Some((n.name.clone(), None)),
        ExprKind::GetAttr(inner, attr) => match reference_root(inner)? {
            (first, None) => Some((first, Some(attr.name.clone()))),
            done => Some(done),
        },
        ExprKind::Index(inner, _) | ExprKind::Paren(inner) => reference_root(inner),
        _ => None,
    }
}

/// The name of a data source reference `data.TYPE.NAME…`: `NAME`.
fn data_name(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::GetAttr(inner, attr) => match &inner.kind {
            ExprKind::GetAttr(base, _) if matches!(&base.kind, ExprKind::Name(n) if n.name == "data") => {
                Some(attr.name.clone())
            }
            _ => data_name(inner),
        },
        ExprKind::Index(inner, _) | ExprKind::Paren(inner) => data_name(inner),
        _ => None,
    }
}

/// Each element of `targets` must be a module call, a resource or a data source of the
/// root module.
fn check_targets(r: &mut Reader<'_>, root: &Module, e: &Expr) {
    let elements: Vec<&Expr> = match &e.kind {
        ExprKind::List(xs) => xs.iter().collect(),
        ExprKind::ForList(f) => vec![&f.first],
        _ => {
            r.diags.push(
                Diagnostic::new(&codes::E0906)
                    .with_primary(e.span, "`targets` must be a list")
                    .with_help("Write a list of module instances or resources: `targets = [module.region[\"us-east-1\"]]` or `[for r in env.regions : module.region[r]]`."),
            );
            return;
        }
    };
    for el in elements {
        let el = match &el.kind {
            ExprKind::ForList(f) => &f.first,
            _ => el,
        };
        let ok = match reference_root(el) {
            Some((first, Some(second))) if first == "module" => {
                if root.module_calls.contains_key(&second) {
                    true
                } else {
                    let calls: Vec<&str> = root.module_calls.keys().map(String::as_str).collect();
                    let mut d = Diagnostic::new(&codes::E0906)
                        .with_primary(el.span, format!("there is no module call `{second}`"));
                    if let Some(s) = suggest(&second, calls.iter().copied()) {
                        d = d.with_help(format!("Did you mean `module.{s}`?"));
                    }
                    r.diags.push(d);
                    continue;
                }
            }
            Some((first, Some(second))) if first == "data" => match data_name(el) {
                Some(name) => root.resources.keys().any(|a| {
                    a.mode == aic_lang::addr::Mode::Data && a.type_name == second && a.name == name
                }),
                None => false,
            },
            Some((first, Some(second))) => root.resources.keys().any(|a| {
                a.mode == aic_lang::addr::Mode::Managed && a.type_name == first && a.name == second
            }),
            _ => false,
        };
        if !ok {
            let known: Vec<String> = root
                .module_calls
                .keys()
                .map(|k| format!("module.{k}"))
                .chain(root.resources.keys().map(ToString::to_string))
                .collect();
            r.diags.push(
                Diagnostic::new(&codes::E0906)
                    .with_primary(el.span, "not a module instance, resource or data source of this configuration")
                    .with_help(if known.is_empty() {
                        "Targets are module instances (`module.NAME[KEY]`), resources (`TYPE.NAME`) or data sources (`data.TYPE.NAME`) of the root module.".to_string()
                    } else {
                        format!(
                            "Targets are module instances, resources or data sources of the root module: {}.",
                            known.join(", ")
                        )
                    }),
            );
        }
    }
}
