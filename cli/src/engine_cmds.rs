//! `init`, `plan`, `apply`, `destroy`, `show`, `output`, `graph`, `state …`, `env list`:
//! argument handling, output streams and exit codes around the engine.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aic_engine::apply::{apply, finish_state, ApplyOptions, ApplyReport};
use aic_engine::plan::{Action, Plan};
use aic_engine::render::{
    render_apply_summary, render_json, render_markdown, render_text, TextOptions,
};
use aic_engine::state::{LocalBackend, LockInfo, State, StateLock, StateStore};
use aic_engine::validate::VariableArgs;
use aic_engine::values::Values;
use aic_engine::walk::{plan, PlanOptions, Planned, Providers, Workspace};
use aic_lang::addr::InstanceAddr;
use aic_lang::diag;
use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};

use crate::commands::ConfigArgs;

#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum PlanFormat {
    #[default]
    Text,
    Json,
    Markdown,
}

/// Flags shared by the commands that plan.
#[derive(Debug, Args, Clone, Default)]
pub struct PlanArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Limit to ADDR and what it depends on (repeatable).
    #[arg(long = "target", value_name = "ADDR")]
    pub targets: Vec<String>,
    /// Leave ADDR out (repeatable).
    #[arg(long = "exclude", value_name = "ADDR")]
    pub excludes: Vec<String>,
    /// Replace ADDR even if nothing changed (repeatable).
    #[arg(long = "replace", value_name = "ADDR")]
    pub replace: Vec<String>,
    /// Read the real objects first (default true).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub refresh: bool,
    /// Allow destroying or replacing objects in a protected environment.
    #[arg(long)]
    pub allow_destroy: bool,
    /// How long to wait for the state lock, e.g. 30s.
    #[arg(long, default_value = "0s", value_name = "DURATION")]
    pub lock_timeout: String,
}

/// What a saved plan file holds: the plan for display and what it was made from, so that
/// apply can refuse it when anything moved.
#[derive(Debug, Serialize, Deserialize)]
struct SavedPlan {
    format: String,
    environment: String,
    lineage: String,
    serial: u64,
    config_digest: String,
    vars: Vec<String>,
    var_files: Vec<PathBuf>,
    targets: Vec<String>,
    excludes: Vec<String>,
    replace: Vec<String>,
    destroy: bool,
    /// `(address, actions)` of every change, to verify the re-plan matches.
    changes: Vec<(String, Vec<String>)>,
    plan: serde_json::Value,
}

fn parse_addrs(list: &[String]) -> Result<Vec<InstanceAddr>, String> {
    list.iter()
        .map(|s| s.parse::<InstanceAddr>().map_err(|e| format!("{e}. Addresses look like `aws_instance.web`, `aws_instance.web[0]` or `module.region[\"eu\"].aws_vpc.main`.")))
        .collect()
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s.split_at(
        s.find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(s.len()),
    );
    let n: f64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration; write e.g. 30s, 2m or 500ms"))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => {
            return Err(format!(
                "`{s}` is not a duration; write e.g. 30s, 2m or 500ms"
            ))
        }
    };
    Ok(Duration::from_secs_f64(secs))
}

pub(crate) fn variable_args(config: &ConfigArgs) -> VariableArgs {
    VariableArgs {
        vars: config.vars.clone(),
        var_files: config.var_files.clone(),
        env_vars: std::env::vars()
            .filter_map(|(k, v)| k.strip_prefix("AIC_VAR_").map(|n| (n.to_string(), v)))
            .collect(),
    }
}

pub(crate) fn load_workspace(
    dir: &Path,
    config: &ConfigArgs,
    color: bool,
) -> Result<Workspace, ExitCode> {
    match Workspace::load(
        dir,
        config.env.as_deref(),
        &variable_args(config),
        crate::providers::registry(),
    ) {
        Ok(ws) => Ok(ws),
        Err(f) => {
            eprint!(
                "{}",
                diag::render_all(
                    &f.diagnostics,
                    &f.sources,
                    color,
                    crate::commands::term_width()
                )
            );
            let n = f.diagnostics.iter().filter(|d| d.is_error()).count();
            eprintln!("{n} error{} found.", if n == 1 { "" } else { "s" });
            Err(ExitCode::from(1))
        }
    }
}

/// Environment `env`'s state backend, as the configuration's `backend` blocks say.
pub(crate) fn backend(dir: &Path, env: &str) -> Result<LocalBackend, String> {
    let state_dir = aic_engine::backend::locate(dir, env, false, crate::commands::term_width())?;
    LocalBackend::in_dir(state_dir, env).map_err(|e| render_error(&e))
}

pub(crate) fn render_error(e: &dyn miette::Diagnostic) -> String {
    let mut out = String::new();
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_links(false);
    if handler.render_report(&mut out, e).is_err() {
        out = e.to_string();
    }
    out
}

pub(crate) fn load_state(store: &LocalBackend) -> Result<State, String> {
    match store.load() {
        Ok(Some(mut loaded)) => {
            // A journal beside a lock that a live process (not this one) holds belongs to
            // an apply still running: its operations are in flight, not interrupted.
            let running = std::fs::read(store.lock_path())
                .ok()
                .and_then(|b| serde_json::from_slice::<LockInfo>(&b).ok())
                .filter(|h| h.pid != std::process::id() && !h.is_stale());
            if let Some(r) = &loaded.replay {
                if r.operations > 0 {
                    match &running {
                        Some(h) => eprintln!(
                            "Note: `aic {}` by {}@{} (pid {}) is running on this environment; this includes the {} operation(s) it has recorded so far.",
                            h.operation, h.who, h.host, h.pid, r.operations
                        ),
                        None => eprintln!(
                            "Recovered {} operation(s) from an interrupted run's journal.",
                            r.operations
                        ),
                    }
                }
            }
            if running.is_some() {
                for r in &mut loaded.state.resources {
                    r.create_pending = false;
                }
            }
            let pending = loaded.state.unrecorded_creates();
            if !pending.is_empty() {
                eprintln!(
                    "Warning: an interrupted run may have created these without recording the result: {}. They are planned again; check for duplicates in the provider.",
                    pending.join(", ")
                );
            }
            Ok(loaded.state)
        }
        Ok(None) => Ok(State::new()),
        Err(e) => Err(render_error(&e)),
    }
}

fn plan_options(args: &PlanArgs, destroy: bool) -> Result<PlanOptions, String> {
    Ok(PlanOptions {
        refresh: args.refresh,
        destroy,
        replace: parse_addrs(&args.replace)?,
        targets: parse_addrs(&args.targets)?,
        excludes: parse_addrs(&args.excludes)?,
        allow_destroy: args.allow_destroy,
    })
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

pub(crate) fn print_plan(plan: &Plan, format: PlanFormat, color: bool) {
    let text = match format {
        PlanFormat::Text => render_text(
            plan,
            &TextOptions {
                color,
                width: crate::commands::term_width(),
            },
        ),
        PlanFormat::Json => render_json(plan),
        PlanFormat::Markdown => render_markdown(plan, 65_536),
    };
    let _ = write!(std::io::stdout(), "{text}");
}

pub(crate) async fn make_plan(
    ws: &Workspace,
    state: &State,
    providers: &Providers,
    opts: &PlanOptions,
    color: bool,
) -> Result<Planned, ExitCode> {
    match plan(ws, state, providers, opts).await {
        Ok(p) => Ok(p),
        Err(diags) => {
            eprint!(
                "{}",
                diag::render_all(&diags, &ws.sources, color, crate::commands::term_width())
            );
            Err(ExitCode::from(1))
        }
    }
}

pub(crate) fn lock(store: &LocalBackend, op: &str, timeout: &str) -> Result<StateLock, String> {
    let t = parse_duration(timeout)?;
    store.lock(op, t).map_err(|e| render_error(&e))
}

pub fn init(dir: &Path, config: &ConfigArgs, color: bool) -> Result<ExitCode, String> {
    let ws = match load_workspace(dir, config, color) {
        Ok(ws) => ws,
        Err(c) => return Ok(c),
    };
    let store = backend(dir, &ws.environment)?;
    load_state(&store)?;
    eprintln!(
        "aic is ready in {} (environment `{}`, state {}).",
        dir.display(),
        ws.environment,
        store.state_path().display()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn plan_cmd(
    dir: &Path,
    args: &PlanArgs,
    out: Option<&Path>,
    format: PlanFormat,
    detailed_exitcode: bool,
    destroy: bool,
    color: bool,
) -> Result<ExitCode, String> {
    // Plan takes no lock, but a mistaken --lock-timeout is still a mistake.
    parse_duration(&args.lock_timeout)?;
    // Reading the state does not depend on the configuration's meaning, only on the
    // environment's name: read it on another core while the configuration loads.
    let guess = args
        .config
        .env
        .clone()
        .unwrap_or_else(|| "default".to_string());
    let (ws, prefetched) = std::thread::scope(|s| {
        let state = s.spawn(|| backend(dir, &guess).and_then(|store| load_state(&store)));
        let ws = load_workspace(dir, &args.config, color);
        (ws, state.join())
    });
    let ws = match ws {
        Ok(ws) => ws,
        Err(c) => return Ok(c),
    };
    let state = match prefetched {
        Ok(state) if ws.environment == guess => state?,
        _ => load_state(&backend(dir, &ws.environment)?)?,
    };
    let opts = plan_options(args, destroy)?;
    let rt = runtime()?;
    let providers = Providers::default();
    let planned = match rt.block_on(make_plan(&ws, &state, &providers, &opts, color)) {
        Ok(p) => p,
        Err(c) => return Ok(c),
    };
    print_plan(&planned.plan, format, color);
    print_surgery(&planned);
    let policy_errors = crate::policies::report_violations(&ws, &planned.plan, color);
    if let Some(out) = out {
        let saved = SavedPlan {
            format: "aic-plan/1".into(),
            environment: ws.environment.clone(),
            lineage: state.lineage.clone(),
            serial: state.serial,
            config_digest: ws.config_digest.clone(),
            vars: args.config.vars.clone(),
            var_files: args.config.var_files.clone(),
            targets: args.targets.clone(),
            excludes: args.excludes.clone(),
            replace: args.replace.clone(),
            destroy,
            changes: change_list(&planned.plan),
            plan: serde_json::from_str(&render_json(&planned.plan))
                .unwrap_or(serde_json::Value::Null),
        };
        let text = serde_json::to_string_pretty(&saved).map_err(|e| e.to_string())?;
        std::fs::write(out, text).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        eprintln!(
            "Saved the plan to {}. Apply it with: aic apply {}",
            out.display(),
            out.display()
        );
    }
    if policy_errors > 0 {
        eprintln!(
            "Plan failed: {policy_errors} policy error{}; `aic apply` refuses this plan.",
            if policy_errors == 1 { "" } else { "s" }
        );
        return Ok(ExitCode::from(1));
    }
    let changes = planned.plan.has_changes();
    // The process ends right after: freeing a large plan value by value would take
    // about a fifth of its time (10,000 resources), so leave it to the exit.
    std::mem::forget((planned, state, ws));
    if detailed_exitcode && changes {
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

/// Notes for `moved`, `removed` and `import` blocks, which change the state without
/// changing any object. They go to stderr so that `--format json` stays clean.
pub(crate) fn print_surgery(planned: &Planned) {
    for (from, to) in &planned.moves {
        eprintln!("Note: {from} has moved to {to}.");
    }
    for a in &planned.forgets {
        eprintln!("Note: {a} will be removed from the state but not destroyed (removed block).");
    }
    for rs in &planned.imports {
        eprintln!("Note: {} will be imported.", rs.address);
    }
}

fn change_list(plan: &Plan) -> Vec<(String, Vec<String>)> {
    plan.resource_changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .map(|c| {
            (
                c.addr.to_string(),
                c.action
                    .json_actions()
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            )
        })
        .collect()
}

pub struct ApplyArgs<'a> {
    pub plan_args: PlanArgs,
    pub plan_file: Option<&'a Path>,
    pub auto_approve: bool,
    pub parallelism: usize,
    pub destroy: bool,
}

pub fn apply_cmd(dir: &Path, a: ApplyArgs<'_>, color: bool) -> Result<ExitCode, String> {
    let mut plan_args = a.plan_args;
    let mut destroy = a.destroy;
    let saved: Option<SavedPlan> = match a.plan_file {
        Some(f) => {
            let text = std::fs::read_to_string(f)
                .map_err(|e| format!("cannot read the plan file {}: {e}", f.display()))?;
            let s: SavedPlan = serde_json::from_str(&text).map_err(|e| {
                format!(
                    "{} is not an aic plan file ({e}); make one with `aic plan --out FILE`.",
                    f.display()
                )
            })?;
            if plan_args
                .config
                .env
                .as_deref()
                .is_some_and(|e| e != s.environment)
            {
                return Err(format!(
                    "this plan was made for environment `{}`, not `{}`; apply it with --env {} or make a new plan.",
                    s.environment,
                    plan_args.config.env.as_deref().unwrap_or(""),
                    s.environment
                ));
            }
            plan_args.config.env = Some(s.environment.clone());
            plan_args.config.vars = s.vars.clone();
            plan_args.config.var_files = s.var_files.clone();
            plan_args.targets = s.targets.clone();
            plan_args.excludes = s.excludes.clone();
            plan_args.replace = s.replace.clone();
            destroy = s.destroy;
            if let Some(refusal) = crate::policies::saved_plan_refusal(&s.plan) {
                return Err(refusal);
            }
            Some(s)
        }
        None => None,
    };
    let ws = Arc::new(match load_workspace(dir, &plan_args.config, color) {
        Ok(ws) => ws,
        Err(c) => return Ok(c),
    });
    let store = backend(dir, &ws.environment)?;
    let lock = lock(
        &store,
        if destroy { "destroy" } else { "apply" },
        &plan_args.lock_timeout,
    )?;
    let state = load_state(&store)?;
    let serial_before = state.serial;
    if let Some(s) = &saved {
        // Serial 0 is "no state yet": each load of a missing state makes up a new
        // lineage, so a plan made before the first apply has no lineage to compare (a
        // state written since has a serial above 0, refused below).
        if s.serial != 0 && s.lineage != state.lineage {
            return Err(format!(
                "this plan was made for another state (lineage {}, the state's is {}); make a new plan with `aic plan --out FILE`.",
                s.lineage, state.lineage
            ));
        }
        if s.serial != state.serial {
            return Err(format!(
                "the state changed since this plan was made (serial {} then, {} now); make a new plan with `aic plan --out FILE`.",
                s.serial, state.serial
            ));
        }
        if s.config_digest != ws.config_digest {
            return Err("the configuration changed since this plan was made; make a new plan with `aic plan --out FILE`.".into());
        }
    }
    let opts = plan_options(&plan_args, destroy)?;
    let rt = runtime()?;
    let providers = Arc::new(Providers::default());
    let planned = match rt.block_on(make_plan(&ws, &state, &providers, &opts, color)) {
        Ok(p) => p,
        Err(c) => return Ok(c),
    };
    if let Some(s) = &saved {
        if change_list(&planned.plan) != s.changes {
            return Err("the real objects changed since this plan was made (the plan is stale); make a new plan with `aic plan --out FILE`.".into());
        }
    } else {
        print_plan(&planned.plan, PlanFormat::Text, color);
        print_surgery(&planned);
    }
    let policy_errors = crate::policies::report_violations(&ws, &planned.plan, color);
    if policy_errors > 0 {
        return Err(crate::policies::refusal(policy_errors));
    }
    let surgery =
        !planned.moves.is_empty() || !planned.forgets.is_empty() || !planned.imports.is_empty();
    if !planned.plan.has_changes() && !surgery {
        return Ok(ExitCode::SUCCESS);
    }
    if saved.is_none()
        && !a.auto_approve
        && !confirm(
            "apply",
            &format!(
                "Do you want to perform these actions in environment `{}`?",
                ws.environment
            ),
        )?
    {
        eprintln!("\nApply cancelled.");
        return Ok(ExitCode::from(1));
    }
    let (report, state, values) =
        execute_plan(&rt, &ws, &store, &lock, planned, &providers, a.parallelism)?;
    let mut state = finish_state(&ws, state, &values, destroy);
    store
        .write(&lock, &mut state)
        .map_err(|e| render_error(&e))?;
    crate::policies::audit_apply(
        dir,
        &ws.environment,
        destroy,
        serial_before,
        state.serial,
        &report,
    );
    let _ = lock.unlock();
    crate::policies::print_apply_results(&report);
    print_failures(&report, "Apply");
    // "complete!" only when it is: scripts and PR bots read this line.
    let outcome = if report.interrupted {
        "interrupted"
    } else if !report.failed.is_empty() {
        "failed"
    } else {
        "complete"
    };
    let summary = if destroy {
        format!(
            "Destroy {outcome}! Resources: {} destroyed.",
            report.destroyed
        )
    } else if outcome == "complete" {
        render_apply_summary(report.added, report.changed, report.destroyed)
    } else {
        format!(
            "Apply {outcome}! Resources: {} added, {} changed, {} destroyed.",
            report.added, report.changed, report.destroyed
        )
    };
    println!("\n{summary}");
    if !destroy {
        print_outputs(&state, None, false)?;
    }
    if report.interrupted {
        return Ok(ExitCode::from(130));
    }
    Ok(if report.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Applies `planned` through a new or continued journal of `store`: progress on stderr,
/// Ctrl-C stops starting new operations. Returns the report, the state compacted from
/// the journal (not yet written) and the final values.
pub(crate) fn execute_plan(
    rt: &tokio::runtime::Runtime,
    ws: &Arc<Workspace>,
    store: &LocalBackend,
    lock: &StateLock,
    planned: Planned,
    providers: &Arc<Providers>,
    parallelism: usize,
) -> Result<(ApplyReport, State, Values), String> {
    let journal = Arc::new(store.open_journal(lock).map_err(|e| render_error(&e))?);
    let cancel = Arc::new(AtomicBool::new(false));
    let operations = planned
        .plan
        .resource_changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .count();
    let reporter = crate::progress::Reporter::new(
        operations,
        std::io::stderr().is_terminal() && std::env::var_os("TERM").is_some_and(|t| t != "dumb"),
    );
    let progress = reporter.callback();
    let apply_opts = ApplyOptions {
        parallelism,
        ..ApplyOptions::default()
    };
    let (report, values) = rt.block_on(async {
        let c = cancel.clone();
        let watcher = tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\nInterrupt received: no new operations will start; waiting for running ones to finish...");
                c.store(true, Ordering::SeqCst);
            }
        });
        let r = apply(ws.clone(), planned, providers.clone(), journal.clone(), &apply_opts, cancel.clone(), progress).await;
        watcher.abort();
        r
    });
    reporter.finish();
    let journal = Arc::try_unwrap(journal)
        .map_err(|_| "internal: the journal is still in use".to_string())?;
    Ok((report, journal.finish(), values))
}

/// What did not happen, on stderr, after an apply (`what`: "Apply", "Rollback") that
/// failed or was interrupted.
pub(crate) fn print_failures(report: &ApplyReport, what: &str) {
    if !report.failed.is_empty() || !report.skipped.is_empty() {
        eprintln!(
            "\n{}",
            if report.interrupted {
                format!("{what} interrupted.")
            } else {
                format!("{what} finished with errors.")
            }
        );
        eprintln!("  succeeded: {}", report.succeeded.len());
        for (a, m) in &report.failed {
            eprintln!("  failed:    {a}: {m}");
        }
        for a in &report.skipped {
            eprintln!("  skipped:   {a}");
        }
    }
}

/// The environment of a state command: `--env` (or `AIC_ENV`), else `default` — unless
/// the configuration declares environments, where `default` holds nothing.
pub(crate) fn state_env(dir: &Path, env: Option<&str>) -> Result<String, String> {
    if let Some(e) = env {
        return Ok(e.to_string());
    }
    let mut sources = aic_lang::source::SourceMap::new();
    let mut diags = Vec::new();
    if let Ok(tree) = aic_lang::config::load_tree(dir, None, &mut sources, &mut diags) {
        if !tree.module.environments.is_empty() {
            let names: Vec<&str> = tree
                .module
                .environments
                .keys()
                .map(String::as_str)
                .collect();
            return Err(format!(
                "this configuration declares environments; choose one with --env or AIC_ENV: {}.",
                names.join(", ")
            ));
        }
    }
    Ok("default".to_string())
}

fn state_for(dir: &Path, env: Option<&str>) -> Result<(LocalBackend, State), String> {
    let env = state_env(dir, env)?;
    let store = backend(dir, &env)?;
    let state = load_state(&store)?;
    Ok((store, state))
}

pub(crate) fn print_outputs(state: &State, name: Option<&str>, json: bool) -> Result<(), String> {
    if json {
        let obj: serde_json::Map<String, serde_json::Value> = state
            .outputs
            .iter()
            .filter(|(k, _)| name.is_none_or(|n| n == k.as_str()))
            .map(|(k, o)| {
                (
                    k.clone(),
                    serde_json::json!({ "value": o.value, "sensitive": o.sensitive }),
                )
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&obj).unwrap_or_default());
        return Ok(());
    }
    if let Some(n) = name {
        let o = state.outputs.get(n).ok_or_else(|| {
            format!(
                "there is no output `{n}` in the state; outputs are: {}",
                state.outputs.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })?;
        println!("{}", o.value);
        return Ok(());
    }
    if !state.outputs.is_empty() {
        println!("\nOutputs:\n");
        for (k, o) in &state.outputs {
            if o.sensitive {
                println!("{k} = (sensitive value)");
            } else {
                println!("{k} = {}", aic_lang::value::Value::from_json(&o.value));
            }
        }
    }
    Ok(())
}

pub fn output_cmd(
    dir: &Path,
    env: Option<&str>,
    name: Option<&str>,
    json: bool,
) -> Result<ExitCode, String> {
    let (_, state) = state_for(dir, env)?;
    print_outputs(&state, name, json)?;
    Ok(ExitCode::SUCCESS)
}

pub fn show_cmd(
    dir: &Path,
    env: Option<&str>,
    plan_file: Option<&Path>,
    json: bool,
    color: bool,
) -> Result<ExitCode, String> {
    if let Some(f) = plan_file {
        let text =
            std::fs::read_to_string(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
        let s: SavedPlan = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not an aic plan file: {e}", f.display()))?;
        if json {
            println!(
                "{}",
                serde_json::to_string_pretty(&s.plan).unwrap_or_default()
            );
        } else {
            println!(
                "Plan for environment `{}` (state serial {}):",
                s.environment, s.serial
            );
            for (addr, actions) in &s.changes {
                println!("  {addr}: {}", actions.join(", "));
            }
        }
        let _ = color;
        return Ok(ExitCode::SUCCESS);
    }
    let (_, state) = state_for(dir, env)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&state).unwrap_or_default()
        );
    } else {
        for r in &state.resources {
            println!("# {}:", r.address);
            println!(
                "{}\n",
                serde_json::to_string_pretty(&r.attributes).unwrap_or_default()
            );
        }
        print_outputs(&state, None, false)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn state_list(dir: &Path, env: Option<&str>) -> Result<ExitCode, String> {
    let (_, state) = state_for(dir, env)?;
    let mut addrs: Vec<&str> = state.resources.iter().map(|r| r.address.as_str()).collect();
    addrs.sort();
    for a in addrs {
        println!("{a}");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn state_show(dir: &Path, env: Option<&str>, addr: &str) -> Result<ExitCode, String> {
    let (_, state) = state_for(dir, env)?;
    let r = state
        .resource(addr)
        .ok_or_else(|| format!("`{addr}` is not in the state; `aic state list` shows what is."))?;
    println!("{}", serde_json::to_string_pretty(r).unwrap_or_default());
    Ok(ExitCode::SUCCESS)
}

pub fn state_rm(
    dir: &Path,
    env: Option<&str>,
    addrs: &[String],
    lock_timeout: &str,
) -> Result<ExitCode, String> {
    let store = backend(dir, &state_env(dir, env)?)?;
    let l = lock(&store, "state rm", lock_timeout)?;
    let mut state = load_state(&store)?;
    for a in addrs {
        if state.remove_resource(a).is_none() {
            return Err(format!("`{a}` is not in the state; nothing was removed."));
        }
        println!("Removed {a}");
    }
    store.write(&l, &mut state).map_err(|e| render_error(&e))?;
    Ok(ExitCode::SUCCESS)
}

pub fn state_mv(
    dir: &Path,
    env: Option<&str>,
    from: &str,
    to: &str,
    lock_timeout: &str,
) -> Result<ExitCode, String> {
    let to_addr: InstanceAddr = to.parse().map_err(|e| format!("{e}"))?;
    let store = backend(dir, &state_env(dir, env)?)?;
    let l = lock(&store, "state mv", lock_timeout)?;
    let mut state = load_state(&store)?;
    if state.resource(to).is_some() {
        return Err(format!(
            "`{to}` is already in the state; remove it first or choose another address."
        ));
    }
    let mut r = state
        .remove_resource(from)
        .ok_or_else(|| format!("`{from}` is not in the state; `aic state list` shows what is."))?;
    if r.type_ != to_addr.resource.type_name {
        return Err(format!(
            "cannot move a `{}` to a `{}` address.",
            r.type_, to_addr.resource.type_name
        ));
    }
    r.address = to_addr.to_string();
    r.module = to_addr.module.to_string();
    r.name = to_addr.resource.name.clone();
    r.index = to_addr.key.as_ref().map(|k| match k {
        aic_lang::addr::InstanceKey::Int(i) => serde_json::Value::from(*i),
        aic_lang::addr::InstanceKey::Str(s) => serde_json::Value::from(s.clone()),
    });
    state.set_resource(r);
    store.write(&l, &mut state).map_err(|e| render_error(&e))?;
    println!("Moved {from} to {to}");
    Ok(ExitCode::SUCCESS)
}

pub fn state_history(dir: &Path, env: Option<&str>) -> Result<ExitCode, String> {
    let store = backend(dir, &state_env(dir, env)?)?;
    let history = store.history().map_err(|e| render_error(&e))?;
    println!("{:>7}  {:<25}  {:>9}", "SERIAL", "WRITTEN", "RESOURCES");
    for h in history {
        let written = h
            .written
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let count = h.resources.map_or("?".to_string(), |n| n.to_string());
        println!(
            "{:>7}  {:<25}  {:>9}{}",
            h.serial,
            written,
            count,
            if h.current { "  (current)" } else { "" }
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn state_unlock(dir: &Path, env: Option<&str>, id: &str) -> Result<ExitCode, String> {
    let store = backend(dir, &state_env(dir, env)?)?;
    let info = store.force_unlock(id).map_err(|e| render_error(&e))?;
    println!(
        "Lock {} held by {}@{} (pid {}, {}) was removed.",
        info.id, info.who, info.host, info.pid, info.operation
    );
    Ok(ExitCode::SUCCESS)
}

pub fn graph_cmd(
    dir: &Path,
    config: &ConfigArgs,
    format: &str,
    color: bool,
) -> Result<ExitCode, String> {
    let ws = match load_workspace(dir, config, color) {
        Ok(ws) => ws,
        Err(c) => return Ok(c),
    };
    match format {
        "dot" => print!("{}", ws.graph.to_dot()),
        "mermaid" => print!("{}", ws.graph.to_mermaid()),
        other => {
            return Err(format!(
                "unknown graph format `{other}`; use dot or mermaid"
            ))
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn env_list(dir: &Path, color: bool) -> Result<ExitCode, String> {
    let mut sources = aic_lang::source::SourceMap::new();
    let mut diags = Vec::new();
    let tree = aic_lang::config::load_tree(dir, None, &mut sources, &mut diags)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    if diags.iter().any(|d| d.is_error()) {
        eprint!(
            "{}",
            diag::render_all(&diags, &sources, color, crate::commands::term_width())
        );
        return Ok(ExitCode::from(1));
    }
    if tree.module.environments.is_empty() {
        println!("default");
    }
    for (name, block) in &tree.module.environments {
        let protected = block
            .body
            .attribute("protected")
            .is_some_and(|a| matches!(a.value.kind, aic_lang::ast::ExprKind::Bool(true)));
        println!("{name}{}", if protected { "  (protected)" } else { "" });
    }
    Ok(ExitCode::SUCCESS)
}

/// `aic import ADDR ID`: adopts an existing object into the state at a configured address.
pub fn import_cmd(
    dir: &Path,
    config: &ConfigArgs,
    addr: &str,
    id: &str,
    lock_timeout: &str,
    color: bool,
) -> Result<ExitCode, String> {
    let target: InstanceAddr = addr.parse().map_err(|e| {
        format!("{e}. Addresses look like `local_file.motd` or `local_file.motd[0]`.")
    })?;
    let ws = match load_workspace(dir, config, color) {
        Ok(ws) => ws,
        Err(c) => return Ok(c),
    };
    if !ws.graph.instances.contains_key(&target) {
        return Err(format!(
            "`{target}` is not in the configuration; add its resource block first, then import into it."
        ));
    }
    let store = backend(dir, &ws.environment)?;
    let l = lock(&store, "import", lock_timeout)?;
    let mut state = load_state(&store)?;
    if state.resource(&target.to_string()).is_some() {
        return Err(format!("`{target}` is already managed; `aic state rm {target}` first to import another object."));
    }
    let rt = runtime()?;
    let providers = Providers::default();
    let value = rt.block_on(async {
        let p = providers.for_instance(&ws, &target).await?;
        p.import(&target.resource.type_name, id).await
    });
    let value = match value {
        Ok(Some(v)) => v,
        Ok(None) => {
            return Err(format!(
                "the provider found no {} with id `{id}`; check the id.",
                target.resource.type_name
            ))
        }
        Err(e) => return Err(format!("importing {target}: {e}. {}", e.help_text())),
    };
    let rs = aic_engine::walk::imported_state(&ws, &target, &value);
    state.set_resource(rs);
    store.write(&l, &mut state).map_err(|e| render_error(&e))?;
    println!("Import successful: {target} now manages `{id}`. Run `aic plan` to see how it differs from the configuration.");
    Ok(ExitCode::SUCCESS)
}

/// Asks `question` on the terminal, as Terraform does: true only when the answer is
/// `yes`. Without a terminal there is nobody to ask, so `verb` is refused with a hint.
pub(crate) fn confirm(verb: &str, question: &str) -> Result<bool, String> {
    if !std::io::stdin().is_terminal() {
        return Err(format!(
            "refusing to {verb} without confirmation: run on a terminal, or pass --auto-approve."
        ));
    }
    eprint!("\n{question}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ");
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    Ok(answer.trim() == "yes")
}
