//! Subcommands and their wiring.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aic_engine::validate::VariableArgs;
use aic_lang::diag::{self, Diagnostic};
use aic_lang::source::SourceMap;
use clap::{Args, Parser, Subcommand};

use crate::engine_cmds::{self as ec, PlanArgs, PlanFormat};

/// aic — infrastructure as code, with environments and rollouts built in.
#[derive(Debug, Parser)]
#[command(name = "aic", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// The flags of the commands that change objects outside `plan`/`apply`
/// (`rollback`, `rollout`).
#[derive(Debug, Clone, Args)]
pub struct ChangeFlags {
    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Allow destroying or replacing objects in a protected environment.
    #[arg(long)]
    pub allow_destroy: bool,
    /// How long to wait for the state lock, e.g. 30s.
    #[arg(long, default_value = "0s", value_name = "DURATION")]
    pub lock_timeout: String,
    /// How many operations run at once.
    #[arg(long, default_value_t = 10)]
    pub parallelism: usize,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Run in DIR instead of the current directory.
    #[arg(long, global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Never use colour (also: the NO_COLOR environment variable).
    #[arg(long, global = true)]
    pub no_color: bool,
}

/// Selecting the environment and giving variable values.
#[derive(Debug, Args, Clone, Default)]
pub struct ConfigArgs {
    /// The environment to work in (default: AIC_ENV, or `default` when none is declared).
    #[arg(long, env = "AIC_ENV", value_name = "NAME")]
    pub env: Option<String>,
    /// Set a root variable: NAME=VALUE (repeatable; values in .aic syntax unless the
    /// variable is a string).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read `name = value` lines from FILE (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and check every module of the configuration; no provider is called.
    Validate {
        /// Print diagnostics as JSON on stdout.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Rewrite .aic files in the canonical layout.
    Fmt {
        /// Do not write; exit 1 and list the files that would change.
        #[arg(long)]
        check: bool,
        /// Print a diff of the changes instead of writing.
        #[arg(long)]
        diff: bool,
        /// Files or directories (default: the configuration directory, recursively).
        paths: Vec<PathBuf>,
    },
    /// Check the configuration loads and set up the state backend.
    Init {
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Refresh, diff and print what apply would change.
    Plan {
        #[command(flatten)]
        args: PlanArgs,
        /// Save the plan to FILE for `aic apply FILE`.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// text (default), json or markdown (for pull-request comments).
        #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
        format: PlanFormat,
        /// Exit 2 when the plan has changes.
        #[arg(long)]
        detailed_exitcode: bool,
        /// Plan the destruction of everything in the environment's state.
        #[arg(long)]
        destroy: bool,
    },
    /// Apply a saved plan, or plan, ask and apply.
    Apply {
        /// A plan saved with `aic plan --out FILE`.
        plan_file: Option<PathBuf>,
        #[command(flatten)]
        args: PlanArgs,
        /// Do not ask for confirmation.
        #[arg(long)]
        auto_approve: bool,
        /// How many operations run at once.
        #[arg(long, default_value_t = 10)]
        parallelism: usize,
    },
    /// Destroy everything in the environment's state.
    Destroy {
        #[command(flatten)]
        args: PlanArgs,
        #[arg(long)]
        auto_approve: bool,
        #[arg(long, default_value_t = 10)]
        parallelism: usize,
    },
    /// Show the state, or a saved plan.
    Show {
        plan_file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
        #[arg(long, env = "AIC_ENV")]
        env: Option<String>,
    },
    /// Print outputs from the state.
    Output {
        name: Option<String>,
        #[arg(long)]
        json: bool,
        #[arg(long, env = "AIC_ENV")]
        env: Option<String>,
    },
    /// Print the dependency graph, instance by instance.
    Graph {
        #[command(flatten)]
        config: ConfigArgs,
        /// dot or mermaid.
        #[arg(long, default_value = "dot")]
        format: String,
    },
    /// Adopt an existing object: `aic import ADDR ID`.
    Import {
        addr: String,
        id: String,
        #[command(flatten)]
        config: ConfigArgs,
        #[arg(long, default_value = "0s")]
        lock_timeout: String,
    },
    /// Put the environment back as a kept state version recorded it (default: the
    /// version before the current one).
    Rollback(crate::rollback::RollbackArgs),
    /// Run a rollout's phases in order (resuming where the last run stopped), or show
    /// its progress (--status) or its phases as a Mermaid flowchart (--graph).
    Rollout(crate::rollout::RolloutArgs),
    /// Inspect and edit the state.
    #[command(subcommand)]
    State(StateCommand),
    /// Print the version of aic and of the providers compiled in (with their SDKs).
    Version,
    /// Environments.
    #[command(subcommand)]
    Env(EnvCommand),
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// One instance address per line.
    List {
        #[arg(long, env = "AIC_ENV")]
        env: Option<String>,
    },
    /// One instance's recorded attributes.
    Show {
        addr: String,
        #[arg(long, env = "AIC_ENV")]
        env: Option<String>,
    },
    /// Forget instances without destroying them.
    Rm {
        addrs: Vec<String>,
        #[arg(long, env = "AIC_ENV")]
        env: Option<String>,
        #[arg(long, default_value = "0s")]
        lock_timeout: String,
    },
    /// Move an instance to another address.
    Mv {
        from: String,
        to: String,
        #[arg(long, env = "AIC_ENV")]
        env: Option<String>,
        #[arg(long, default_value = "0s")]
        lock_timeout: String,
    },
    /// The kept versions of the state.
    History {
        #[arg(long, env = "AIC_ENV")]
        env: Option<String>,
    },
    /// Break a stale lock.
    Unlock {
        id: String,
        #[arg(long, env = "AIC_ENV")]
        env: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum EnvCommand {
    /// The declared environments.
    List,
}

pub fn run(cli: Cli) -> Result<ExitCode, String> {
    let dir = cli.global.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let color = use_color(cli.global.no_color);
    match cli.command {
        Command::Validate { json, config } => validate(&dir, json, &config, color),
        Command::Fmt { check, diff, paths } => {
            crate::commands::fmt(&dir, check, diff, paths, color)
        }
        Command::Init { config } => ec::init(&dir, &config, color),
        Command::Plan {
            args,
            out,
            format,
            detailed_exitcode,
            destroy,
        } => ec::plan_cmd(
            &dir,
            &args,
            out.as_deref(),
            format,
            detailed_exitcode,
            destroy,
            color,
        ),
        Command::Apply {
            plan_file,
            args,
            auto_approve,
            parallelism,
        } => ec::apply_cmd(
            &dir,
            ec::ApplyArgs {
                plan_args: args,
                plan_file: plan_file.as_deref(),
                auto_approve,
                parallelism,
                destroy: false,
            },
            color,
        ),
        Command::Destroy {
            args,
            auto_approve,
            parallelism,
        } => ec::apply_cmd(
            &dir,
            ec::ApplyArgs {
                plan_args: args,
                plan_file: None,
                auto_approve,
                parallelism,
                destroy: true,
            },
            color,
        ),
        Command::Show {
            plan_file,
            json,
            env,
        } => ec::show_cmd(&dir, env.as_deref(), plan_file.as_deref(), json, color),
        Command::Output { name, json, env } => {
            ec::output_cmd(&dir, env.as_deref(), name.as_deref(), json)
        }
        Command::Graph { config, format } => ec::graph_cmd(&dir, &config, &format, color),
        Command::State(s) => match s {
            StateCommand::List { env } => ec::state_list(&dir, env.as_deref()),
            StateCommand::Show { addr, env } => ec::state_show(&dir, env.as_deref(), &addr),
            StateCommand::Rm {
                addrs,
                env,
                lock_timeout,
            } => ec::state_rm(&dir, env.as_deref(), &addrs, &lock_timeout),
            StateCommand::Mv {
                from,
                to,
                env,
                lock_timeout,
            } => ec::state_mv(&dir, env.as_deref(), &from, &to, &lock_timeout),
            StateCommand::History { env } => ec::state_history(&dir, env.as_deref()),
            StateCommand::Unlock { id, env } => ec::state_unlock(&dir, env.as_deref(), &id),
        },
        Command::Rollback(args) => crate::rollback::rollback_cmd(&dir, args, color),
        Command::Rollout(args) => crate::rollout::rollout_cmd(&dir, &args, color),
        Command::Env(EnvCommand::List) => ec::env_list(&dir, color),
        Command::Version => {
            print!("{}", crate::providers::version_text());
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            addr,
            id,
            config,
            lock_timeout,
        } => ec::import_cmd(&dir, &config, &addr, &id, &lock_timeout, color),
    }
}

fn use_color(no_color_flag: bool) -> bool {
    !no_color_flag
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stderr().is_terminal()
}

pub fn term_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

fn print_diagnostics(diags: &[Diagnostic], sources: &SourceMap, json: bool, color: bool) {
    if json {
        let mut sorted = diags.to_vec();
        diag::sort(&mut sorted);
        let out: Vec<_> = sorted.iter().map(|d| d.to_json(sources)).collect();
        let text = serde_json::to_string_pretty(&out).unwrap_or_else(|_| "[]".into());
        let _ = writeln!(std::io::stdout(), "{text}");
    } else if !diags.is_empty() {
        let text = diag::render_all(diags, sources, color, term_width());
        let _ = write!(std::io::stderr(), "{text}");
    }
}

fn validate(dir: &Path, json: bool, config: &ConfigArgs, color: bool) -> Result<ExitCode, String> {
    let args = VariableArgs {
        vars: config.vars.clone(),
        var_files: config.var_files.clone(),
        env_vars: std::env::vars()
            .filter_map(|(k, v)| k.strip_prefix("AIC_VAR_").map(|n| (n.to_string(), v)))
            .collect(),
    };
    let registry = crate::providers::registry();
    let checked = aic_engine::validate::validate(dir, config.env.as_deref(), &args, &registry);
    print_diagnostics(&checked.diagnostics, &checked.sources, json, color);
    let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        if !json {
            eprintln!(
                "{errors} error{} found.",
                if errors == 1 { "" } else { "s" }
            );
        }
        return Ok(ExitCode::from(1));
    }
    if !json {
        eprintln!("Success! The configuration is valid.");
    }
    Ok(ExitCode::SUCCESS)
}

fn fmt(
    dir: &Path,
    check: bool,
    diff: bool,
    paths: Vec<PathBuf>,
    color: bool,
) -> Result<ExitCode, String> {
    let opts = crate::fmt::FmtOptions {
        check,
        diff,
        color,
        width: term_width(),
    };
    crate::fmt::run(dir, &paths, opts)
}
