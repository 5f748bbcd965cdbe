//! Each subcommand: build the engine's request from the flags, run the operation,
//! render what it returns and pick the exit code.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use aic_engine::load;
use aic_engine::ops::rollout::{self, PreparedRollout, RolloutOutcome};
use aic_engine::ops::{
    self, format_files, FileFormat, FormatMode, Observer, OpError, PreparedApply, PreparedRollback,
    Project, SavedPlan, StateSelector,
};
use aic_engine::render::render_apply_summary;
use aic_lang::diag;
use similar::{ChangeTag, TextDiff};

use crate::args::{
    Command, ConfigArgs, EnvCommand, GraphFormat, PlanArgs, PlanFormat, RollbackArgs, RolloutArgs,
    StateCommand,
};
use crate::render::{self, Style, Terminal};

/// What a command ends with: an exit code, or an error to render (exit 1).
pub type Outcome = Result<ExitCode, Failure>;

/// Why a command failed.
pub enum Failure {
    /// The engine refused or failed.
    Op(OpError),
    /// A front-end matter (a question nobody could answer, a missing output…).
    Message(String),
}

impl From<OpError> for Failure {
    fn from(e: OpError) -> Failure {
        Failure::Op(e)
    }
}

/// The context every command runs in.
pub struct Context {
    pub project: Project,
    pub style: Style,
    pub terminal: Arc<Terminal>,
}

impl Context {
    fn observer(&self) -> Arc<dyn Observer> {
        self.terminal.clone()
    }
}

pub fn run(command: Command, cx: &Context) -> Outcome {
    match command {
        Command::Validate { json, config } => validate(cx, json, &config),
        Command::Fmt { check, diff, paths } => fmt(cx, check, diff, &paths),
        Command::Init {
            config,
            migrate_state,
            lock_timeout,
        } => init(cx, &config, migrate_state, lock_timeout),
        Command::Plan {
            args,
            out,
            format,
            detailed_exitcode,
            destroy,
            graph,
        } => plan(
            cx,
            &args,
            out.as_deref(),
            PlanView { format, graph },
            detailed_exitcode,
            destroy,
        ),
        Command::Apply {
            plan_file,
            args,
            auto_approve,
            parallelism,
        } => apply(
            cx,
            Command::apply_request(&args, plan_file, false),
            auto_approve,
            parallelism,
        ),
        Command::Destroy {
            args,
            auto_approve,
            parallelism,
        } => apply(
            cx,
            Command::apply_request(&args, None, true),
            auto_approve,
            parallelism,
        ),
        Command::Show {
            plan_file,
            json,
            env,
        } => show(cx, &env.selector(), plan_file.as_deref(), json),
        Command::Output { name, json, env } => {
            let state = cx.project.state(&env.selector(), cx.terminal.as_ref())?;
            render::outputs(&state, name.as_deref(), json).map_err(Failure::Message)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Graph {
            config,
            format,
            plan,
        } => graph(cx, &config, format, plan.as_deref()),
        Command::Import {
            addr,
            id,
            config,
            lock_timeout,
        } => {
            let request = Command::import_request(&config, &addr, &id, lock_timeout);
            runtime()?.block_on(ops::import(&cx.project, &request, cx.terminal.as_ref()))?;
            println!("Import successful: {addr} now manages `{id}`. Run `aic plan` to see how it differs from the configuration.");
            Ok(ExitCode::SUCCESS)
        }
        Command::Rollback(args) => rollback(cx, &args),
        Command::Rollout(args) => rollout(cx, &args),
        Command::State(s) => state(cx, s),
        Command::Env(EnvCommand::List) => env_list(cx),
        Command::Console { config } => console(cx, &config),
        Command::Lsp => {
            aic_lsp::run(crate::providers::registry())
                .map_err(|e| Failure::Message(format!("the language server stopped: {e}")))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Version => {
            print!("{}", crate::providers::version_text());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The async runtime of the commands that call providers. Its threads get 8 MiB stacks
/// (tokio's default is 2 MiB): the cloud SDKs' futures nest deeply, most of all in a
/// debug build, and a stack overflow aborts the process mid-apply.
fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(8 << 20)
        .enable_all()
        .build()
        .map_err(|e| Failure::Message(format!("cannot start the async runtime: {e}")))
}

/// Runs `f` with a flag that Ctrl-C sets: the engine starts no new operation once it is
/// set and lets running ones finish.
fn interruptible<T>(
    rt: &tokio::runtime::Runtime,
    f: impl std::future::Future<Output = T>,
    cancel: &Arc<AtomicBool>,
) -> T {
    let c = cancel.clone();
    let watcher = rt.spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\nInterrupt received: no new operations will start; waiting for running ones to finish...");
            c.store(true, Ordering::SeqCst);
        }
    });
    let r = rt.block_on(f);
    watcher.abort();
    r
}

/// Asks `question` on the terminal, as Terraform does: true only when the answer is
/// `yes`. Without a terminal there is nobody to ask, so `verb` is refused with a hint.
fn confirm(verb: &str, question: &str) -> Result<bool, Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::Message(format!(
            "refusing to {verb} without confirmation: run on a terminal, or pass --auto-approve."
        )));
    }
    eprint!("\n{question}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ");
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    Ok(answer.trim() == "yes")
}

fn validate(cx: &Context, json: bool, config: &ConfigArgs) -> Outcome {
    let v = load::validate(
        cx.project.dir(),
        config.env.as_deref(),
        &config.variables(),
        cx.project.registry(),
    );
    if json {
        let mut sorted = v.diagnostics.clone();
        diag::sort(&mut sorted);
        let out: Vec<_> = sorted.iter().map(|d| d.to_json(&v.sources)).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&out).unwrap_or_else(|_| "[]".into())
        );
    } else {
        render::diagnostics(&v.diagnostics, &v.sources, cx.style);
    }
    if v.has_errors() {
        if !json {
            render::error_count(&v.diagnostics);
        }
        return Ok(ExitCode::from(1));
    }
    if !json {
        eprintln!("Success! The configuration is valid.");
    }
    Ok(ExitCode::SUCCESS)
}

fn fmt(cx: &Context, check: bool, diff: bool, paths: &[PathBuf]) -> Outcome {
    let mode = if check || diff {
        FormatMode::Check
    } else {
        FormatMode::Write
    };
    let outcome = format_files(cx.project.dir(), paths, mode)?;
    let diff_color = cx.style.color && std::io::stdout().is_terminal();
    let mut failed = false;
    let mut changed = 0usize;
    for (path, file) in &outcome.files {
        match file {
            FileFormat::Unchanged => {}
            FileFormat::SyntaxErrors(diags) => {
                render::diagnostics(diags, &outcome.sources, cx.style);
                eprintln!(
                    "Error: {} has syntax errors; left unchanged.",
                    path.display()
                );
                failed = true;
            }
            FileFormat::Unfaithful(why) => {
                eprintln!(
                    "Error: {}: {why}; left unchanged. This is a bug in aic fmt, please report it.",
                    path.display()
                );
                failed = true;
            }
            FileFormat::Io(why) => {
                eprintln!("Error: {}: {why}", path.display());
                failed = true;
            }
            FileFormat::Changed { old, new, .. } => {
                changed += 1;
                if diff {
                    render::out(&unified_diff(path, old, new, diff_color));
                } else {
                    println!("{}", path.display());
                }
            }
        }
    }
    Ok(if failed || (check && changed > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn unified_diff(path: &Path, old: &str, new: &str, color: bool) -> String {
    let name = path.display().to_string();
    let diff = TextDiff::from_lines(old, new);
    let mut udiff = diff.unified_diff();
    udiff.context_radius(3).header(&name, &name);
    if !color {
        return udiff.to_string();
    }
    let mut text = format!("\x1b[1m--- {name}\n+++ {name}\x1b[0m\n");
    for hunk in udiff.iter_hunks() {
        text.push_str(&format!("\x1b[36m{}\x1b[0m\n", hunk.header()));
        for change in hunk.iter_changes() {
            let (sign, code) = match change.tag() {
                ChangeTag::Delete => ('-', "\x1b[31m"),
                ChangeTag::Insert => ('+', "\x1b[32m"),
                ChangeTag::Equal => (' ', ""),
            };
            let line = change.to_string_lossy();
            let line = line.trim_end_matches(['\n', '\r']);
            if code.is_empty() {
                text.push_str(&format!("{sign}{line}\n"));
            } else {
                text.push_str(&format!("{code}{sign}{line}\x1b[0m\n"));
            }
        }
    }
    text
}

fn init(
    cx: &Context,
    config: &ConfigArgs,
    migrate: bool,
    lock_timeout: std::time::Duration,
) -> Outcome {
    let o = cx.project.init(
        config.env.as_deref(),
        &config.variables(),
        migrate,
        lock_timeout,
        cx.terminal.as_ref(),
    )?;
    for m in &o.migrated {
        eprintln!(
            "Copied the state of environment `{}` (serial {}, {} kept version{}) from {} to {}. The old copy was left in place.",
            m.environment,
            m.serial,
            m.kept,
            if m.kept == 1 { "" } else { "s" },
            m.from,
            m.to
        );
    }
    if migrate && o.migrated.is_empty() {
        eprintln!("No state needed copying: no environment's `backend` block changed since the last `aic init`, or the old backend held no state.");
    }
    eprintln!(
        "aic is ready in {} (environment `{}`, state {}).",
        cx.project.dir().display(),
        o.environment,
        o.state_location
    );
    Ok(ExitCode::SUCCESS)
}

/// How `aic plan` shows its plan.
struct PlanView {
    format: PlanFormat,
    /// A Mermaid diagram of the changes in the Markdown form.
    graph: bool,
}

fn plan(
    cx: &Context,
    args: &PlanArgs,
    out: Option<&Path>,
    view: PlanView,
    detailed_exitcode: bool,
    destroy: bool,
) -> Outcome {
    if view.graph && !matches!(view.format, PlanFormat::Markdown) {
        return Err(Failure::Message(
            "--graph adds a diagram to the Markdown plan: use it with --format markdown"
                .to_string(),
        ));
    }
    let request = args.request(destroy);
    let rt = runtime()?;
    let outcome = rt.block_on(ops::plan(&cx.project, &request, cx.terminal.as_ref()))?;
    if view.graph {
        render::markdown_plan_with_graph(&outcome.planned.plan, &outcome.changes_mermaid());
    } else {
        render::plan(&outcome.planned.plan, view.format, cx.style);
    }
    render::surgery(&outcome.planned);
    render::diagnostics(&outcome.violations, &outcome.workspace.sources, cx.style);
    if let Some(out) = out {
        outcome.save(out)?;
        eprintln!(
            "Saved the plan to {}. Apply it with: aic apply {}",
            out.display(),
            out.display()
        );
    }
    let policy_errors = outcome.policy_errors();
    if policy_errors > 0 {
        eprintln!(
            "Plan failed: {policy_errors} policy error{}; `aic apply` refuses this plan.",
            if policy_errors == 1 { "" } else { "s" }
        );
        return Ok(ExitCode::from(1));
    }
    let changes = outcome.planned.plan.has_changes();
    // The process ends right after: freeing a large plan value by value would take
    // about a fifth of its time (10,000 resources), so leave it to the exit.
    std::mem::forget(outcome);
    if detailed_exitcode && changes {
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

fn apply(
    cx: &Context,
    request: ops::ApplyRequest,
    auto_approve: bool,
    parallelism: usize,
) -> Outcome {
    let rt = runtime()?;
    let prepared = rt.block_on(PreparedApply::prepare(
        &cx.project,
        &request,
        cx.terminal.as_ref(),
    ))?;
    if !prepared.from_saved_plan() {
        render::plan(prepared.plan(), PlanFormat::Text, cx.style);
        render::surgery(prepared.planned());
    }
    render::diagnostics(
        prepared.violations(),
        &prepared.workspace().sources,
        cx.style,
    );
    prepared.check_policies()?;
    if !prepared.has_work() {
        return Ok(ExitCode::SUCCESS);
    }
    if !prepared.from_saved_plan()
        && !auto_approve
        && !confirm(
            "apply",
            &format!(
                "Do you want to perform these actions in environment `{}`?",
                prepared.environment()
            ),
        )?
    {
        eprintln!("\nApply cancelled.");
        return Ok(ExitCode::from(1));
    }
    let cancel = Arc::new(AtomicBool::new(false));
    let outcome = interruptible(
        &rt,
        prepared.apply(parallelism, &cx.observer(), &cancel),
        &cancel,
    )?;
    let report = &outcome.report;
    render::deferred_policy_results(report);
    render::failures(report, "Apply");
    // "complete!" only when it is: scripts and PR bots read this line.
    let result = if report.interrupted {
        "interrupted"
    } else if !report.failed.is_empty() {
        "failed"
    } else {
        "complete"
    };
    let summary = if outcome.destroy {
        format!(
            "Destroy {result}! Resources: {} destroyed.",
            report.destroyed
        )
    } else if result == "complete" {
        render_apply_summary(report.added, report.changed, report.destroyed)
    } else {
        format!(
            "Apply {result}! Resources: {} added, {} changed, {} destroyed.",
            report.added, report.changed, report.destroyed
        )
    };
    println!("\n{summary}");
    if !outcome.destroy {
        render::outputs(&outcome.state, None, false).map_err(Failure::Message)?;
    }
    Ok(if report.interrupted {
        ExitCode::from(130)
    } else if report.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn show(cx: &Context, selector: &StateSelector, plan_file: Option<&Path>, json: bool) -> Outcome {
    if let Some(f) = plan_file {
        let s = SavedPlan::read(&cx.project, f, selector.environment.as_deref())?;
        if json {
            println!(
                "{}",
                serde_json::to_string_pretty(&s.plan).unwrap_or_default()
            );
        } else {
            println!(
                "Plan for environment `{}` (state serial {}):\n",
                s.environment, s.serial
            );
            if s.text.is_empty() {
                // A plan file written before plans kept their text.
                for (addr, actions) in &s.changes {
                    println!("  {addr}: {}", actions.join(", "));
                }
            } else {
                print!("{}", s.text);
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let state = cx.project.state(selector, cx.terminal.as_ref())?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&state).unwrap_or_default()
        );
    } else {
        for r in &state.resources {
            // As Terraform shows it: an object whose create failed half-way is replaced by
            // the next apply.
            if r.tainted {
                println!("# {}: (tainted)", r.address);
            } else {
                println!("# {}:", r.address);
            }
            println!(
                "{}\n",
                serde_json::to_string_pretty(&r.attributes).unwrap_or_default()
            );
        }
        render::outputs(&state, None, false).map_err(Failure::Message)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn graph(
    cx: &Context,
    config: &ConfigArgs,
    format: GraphFormat,
    plan_json: Option<&Path>,
) -> Outcome {
    let request = ops::GraphRequest {
        environment: config.env.as_deref(),
        variables: &config.variables(),
        format: match format {
            GraphFormat::Dot => ops::GraphFormat::Dot,
            GraphFormat::Mermaid => ops::GraphFormat::Mermaid,
            GraphFormat::Svg => ops::GraphFormat::Svg,
        },
        plan_json,
    };
    print!(
        "{}",
        ops::graph(&cx.project, &request, cx.terminal.as_ref())?
    );
    Ok(ExitCode::SUCCESS)
}

fn state(cx: &Context, command: StateCommand) -> Outcome {
    let obs = cx.terminal.as_ref();
    match command {
        StateCommand::List { env } => {
            let state = cx.project.state(&env.selector(), obs)?;
            let mut addrs: Vec<&str> = state.resources.iter().map(|r| r.address.as_str()).collect();
            addrs.sort();
            for a in addrs {
                println!("{a}");
            }
        }
        StateCommand::Show { addr, env } => {
            let r = cx.project.state_resource(&env.selector(), &addr, obs)?;
            println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
        }
        StateCommand::Rm {
            addrs,
            env,
            lock_timeout,
        } => {
            cx.project
                .state_rm(&env.selector(), &addrs, lock_timeout, obs)?;
            for a in &addrs {
                println!("Removed {a}");
            }
        }
        StateCommand::Mv {
            from,
            to,
            env,
            lock_timeout,
        } => {
            cx.project
                .state_mv(&env.selector(), &from, &to, lock_timeout, obs)?;
            println!("Moved {from} to {to}");
        }
        StateCommand::Pull { env } => {
            let state = cx.project.state(&env.selector(), obs)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&state).unwrap_or_default()
            );
        }
        StateCommand::Push {
            file,
            force,
            env,
            lock_timeout,
        } => {
            let serial = cx
                .project
                .state_push(&env.selector(), &file, force, lock_timeout)?;
            println!("Pushed {} as serial {serial}.", file.display());
        }
        StateCommand::Encrypt { env, lock_timeout } => {
            reseal(cx, &env.selector(), ops::Reseal::Encrypt, lock_timeout)?;
        }
        StateCommand::Decrypt { env, lock_timeout } => {
            reseal(cx, &env.selector(), ops::Reseal::Decrypt, lock_timeout)?;
        }
        StateCommand::Rekey { env, lock_timeout } => {
            reseal(cx, &env.selector(), ops::Reseal::Rekey, lock_timeout)?;
        }
        StateCommand::History { env } => {
            let history = cx.project.state_history(&env.selector())?;
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
        }
        StateCommand::Unlock { id, env } => {
            let info = cx.project.state_unlock(&env.selector(), &id)?;
            println!(
                "Lock {} held by {}@{} (pid {}, {}) was removed.",
                info.id, info.who, info.host, info.pid, info.operation
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `aic state encrypt|decrypt|rekey`: what was rewritten, and what to do next.
fn reseal(
    cx: &Context,
    selector: &StateSelector,
    how: ops::Reseal,
    lock_timeout: std::time::Duration,
) -> Result<(), Failure> {
    let o = cx.project.state_reseal(selector, how, lock_timeout)?;
    if o.versions == 0 {
        println!(
            "Environment `{}` has no state yet at {}: nothing to rewrite.",
            o.environment, o.location
        );
        return Ok(());
    }
    let what = match how {
        ops::Reseal::Encrypt => "Encrypted",
        ops::Reseal::Decrypt => "Decrypted",
        ops::Reseal::Rekey => "Encrypted again with the new key",
    };
    println!(
        "{what}: {} version{} of environment `{}`'s state at {}.",
        o.versions,
        if o.versions == 1 { "" } else { "s" },
        o.environment,
        o.location
    );
    match how {
        ops::Reseal::Decrypt => println!(
            "Remove the `encryption` block from the backend now: while it is there, aic refuses the clear-text state (E0617)."
        ),
        ops::Reseal::Rekey => println!(
            "Once every environment using the old key is rekeyed, remove `fallback_key` (or `fallback_passphrase`) from the `encryption` block. Plans saved before still need the old key."
        ),
        ops::Reseal::Encrypt => {}
    }
    Ok(())
}

fn env_list(cx: &Context) -> Outcome {
    let parsed = cx.project.parse();
    if parsed.has_errors() {
        render::diagnostics(&parsed.diagnostics, &parsed.sources, cx.style);
        return Ok(ExitCode::from(1));
    }
    let environments = parsed.environments();
    if environments.is_empty() {
        println!("default");
    }
    for e in environments {
        println!(
            "{}{}",
            e.name,
            if e.protected { "  (protected)" } else { "" }
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `aic rollback [--env E] [--to SERIAL] [--auto-approve]`: the plan and the summary go
/// to stdout, as `aic apply` prints them; progress and errors to stderr.
fn rollback(cx: &Context, args: &RollbackArgs) -> Outcome {
    let rt = runtime()?;
    let prepared = rt.block_on(PreparedRollback::prepare(
        &cx.project,
        &args.request(),
        cx.terminal.as_ref(),
    ))?;
    let env = prepared.environment().to_string();
    let (from, to) = (prepared.from(), prepared.to());
    let Some(plan) = prepared.plan() else {
        println!("Environment `{env}` is at serial {to} already: nothing to roll back.");
        return Ok(ExitCode::SUCCESS);
    };
    render::out(&format!(
        "Rolling back environment `{env}` from serial {from} to serial {to}.\n\n"
    ));
    render::plan(plan, PlanFormat::Text, cx.style);
    if !prepared.has_work() {
        println!("\nEnvironment `{env}` already matches serial {to}: nothing was changed.");
        return Ok(ExitCode::SUCCESS);
    }
    if !args.change.auto_approve
        && !confirm(
            "roll back",
            &format!(
                "Do you want to roll back environment `{env}` from serial {from} to serial {to}?"
            ),
        )?
    {
        return Err(Failure::Message(
            "rollback cancelled; nothing was changed.".into(),
        ));
    }
    let cancel = Arc::new(AtomicBool::new(false));
    let outcome = interruptible(
        &rt,
        prepared.apply(args.change.parallelism, &cx.observer(), &cancel),
        &cancel,
    )?;
    render::rollback_outcome(&env, &outcome, &render::out);
    Ok(if outcome.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `aic rollout NAME`: runs the phases of a rollout in order (`--status`: where it
/// stands; `--graph`: its flowchart).
fn rollout(cx: &Context, args: &RolloutArgs) -> Outcome {
    let request = args.request();
    if args.graph {
        print!("{}", rollout::flowchart(&cx.project, &request)?);
        return Ok(ExitCode::SUCCESS);
    }
    if args.status {
        let status = rollout::status(&cx.project, &request)?;
        print_status(&status);
        return Ok(ExitCode::SUCCESS);
    }
    let prepared = PreparedRollout::prepare(&cx.project, &request)?;
    let name = prepared.rollout().name.clone();
    let phases = prepared.phases();
    if phases.is_empty() {
        eprintln!("Rollout {name}: nothing to run.");
        return Ok(ExitCode::SUCCESS);
    }
    let names: Vec<String> = phases
        .iter()
        .map(|p| format!("{} ({})", p.name, p.environment))
        .collect();
    if let Some((run, done)) = prepared.resumed() {
        eprintln!(
            "Rollout {name}: resuming run {run}; already succeeded: {}.",
            done.join(", ")
        );
    }
    eprintln!("Rollout {name}: phases to run: {}.", names.join(", "));
    if !args.change.auto_approve
        && !confirm(
            "run a rollout",
            &format!("Do you want to run these phases of rollout `{name}`?"),
        )?
    {
        eprintln!("\nRollout cancelled.");
        return Ok(ExitCode::from(1));
    }
    let rt = runtime()?;
    let cancel = Arc::new(AtomicBool::new(false));
    match interruptible(&rt, prepared.run(&cx.observer(), &cancel), &cancel)? {
        RolloutOutcome::Complete => {
            eprintln!("\nRollout {name} complete.");
            Ok(ExitCode::SUCCESS)
        }
        RolloutOutcome::Stopped {
            interrupted: true, ..
        } => Ok(ExitCode::from(130)),
        RolloutOutcome::Stopped { .. } => Ok(ExitCode::from(1)),
    }
}

/// The phase table of `--status`.
fn print_status(status: &rollout::RolloutStatus) {
    let rows: Vec<[String; 7]> = status
        .rollout
        .phases
        .iter()
        .zip(&status.records)
        .map(|(p, r)| {
            let (st, when, who, result) = match r {
                None => ("pending".to_string(), "-".into(), "-".into(), String::new()),
                Some(r) => (
                    r.status.as_str().to_string(),
                    r.finished
                        .clone()
                        .or_else(|| r.started.clone())
                        .unwrap_or_else(|| "-".into()),
                    format!("{}@{}", r.who, r.host),
                    render::phase_result(r),
                ),
            };
            [
                p.name.clone(),
                p.environment.clone(),
                p.strategy.kind().to_string(),
                st,
                when,
                who,
                result,
            ]
        })
        .collect();
    let header = [
        "PHASE",
        "ENVIRONMENT",
        "STRATEGY",
        "STATUS",
        "WHEN",
        "WHO",
        "RESULT",
    ];
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  ", w = *w));
            }
        }
        s.trim_end().to_string()
    };
    println!("Rollout {}:", status.rollout.name);
    println!("{}", line(header.to_vec()));
    for r in &rows {
        println!("{}", line(r.iter().map(String::as_str).collect()));
    }
}

/// `aic console`: a prompt with line editing and history at a terminal, one expression
/// per line of stdin otherwise. A value goes to stdout, diagnostics to stderr; the
/// session goes on after an error. Exit 1 when stdin was not a terminal and a line failed.
fn console(cx: &Context, config: &ConfigArgs) -> Outcome {
    use aic_engine::ops::console::{show, Console, Evaluated};
    let mut session = Console::open(
        &cx.project,
        config.env.as_deref(),
        &config.variables(),
        cx.terminal.as_ref(),
    )?;
    let mut failed = false;
    let mut run = |line: &str, session: &mut Console| {
        let line = line.trim();
        if line.is_empty() {
            return;
        }
        match session.eval(line) {
            Evaluated::Value(v) => println!("{}", show(&v)),
            Evaluated::Failed(diags) => {
                failed = true;
                for d in &diags {
                    eprint!(
                        "{}",
                        d.render(session.sources(), cx.style.color, cx.style.width)
                    );
                }
            }
        }
    };
    if std::io::stdin().is_terminal() {
        let mut editor = rustyline::DefaultEditor::new()
            .map_err(|e| Failure::Message(format!("cannot start the prompt: {e}")))?;
        eprintln!(
            "aic console: environment `{}`. One expression per line; Ctrl-D ends.",
            session.environment()
        );
        loop {
            match editor.readline("> ") {
                Ok(line) => {
                    let _ = editor.add_history_entry(line.as_str());
                    run(&line, &mut session);
                }
                Err(rustyline::error::ReadlineError::Interrupted) => continue,
                Err(_) => break,
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| Failure::Message(format!("cannot read stdin: {e}")))?;
        run(&line, &mut session);
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
