//! The command line: every subcommand and flag (clap), and their translation into the
//! engine's requests.

use std::path::PathBuf;
use std::time::Duration;

use aic_engine::load::VariableArgs;
use aic_engine::ops::rollout::RolloutRequest;
use aic_engine::ops::{ApplyRequest, ImportRequest, PlanRequest, RollbackRequest, StateSelector};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// aic — infrastructure as code, with environments and rollouts built in.
#[derive(Debug, Parser)]
#[command(name = "aic", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
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

/// A duration flag such as `--lock-timeout 30s`.
fn duration(text: &str) -> Result<Duration, String> {
    aic_lang::duration::Duration::parse(text)
        .map(|d| d.as_duration())
        .map_err(|e| e.to_string())
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

impl ConfigArgs {
    /// `--var`, `--var-file` and the `AIC_VAR_*` variables of this process.
    pub fn variables(&self) -> VariableArgs {
        variables(&self.vars, &self.var_files)
    }
}

/// Variable values from flags and the `AIC_VAR_*` variables of this process.
fn variables(vars: &[String], var_files: &[PathBuf]) -> VariableArgs {
    VariableArgs {
        vars: vars.to_vec(),
        var_files: var_files.to_vec(),
        env_vars: std::env::vars()
            .filter_map(|(k, v)| k.strip_prefix("AIC_VAR_").map(|n| (n.to_string(), v)))
            .collect(),
    }
}

#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum PlanFormat {
    #[default]
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum GraphFormat {
    #[default]
    Dot,
    Mermaid,
    Svg,
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
    #[arg(long, default_value = "0s", value_name = "DURATION", value_parser = duration)]
    pub lock_timeout: Duration,
}

impl PlanArgs {
    pub fn request(&self, destroy: bool) -> PlanRequest {
        PlanRequest {
            environment: self.config.env.clone(),
            variables: self.config.variables(),
            targets: self.targets.clone(),
            excludes: self.excludes.clone(),
            replace: self.replace.clone(),
            destroy,
            refresh: self.refresh,
            allow_destroy: self.allow_destroy,
        }
    }
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
    #[arg(long, default_value = "0s", value_name = "DURATION", value_parser = duration)]
    pub lock_timeout: Duration,
    /// How many operations run at once.
    #[arg(long, default_value_t = 10)]
    pub parallelism: usize,
}

/// The flags of `aic rollout`.
#[derive(Debug, Clone, Args)]
pub struct RolloutArgs {
    /// The rollout's name.
    pub name: String,
    /// Run only this phase.
    #[arg(long, value_name = "PHASE")]
    pub phase: Option<String>,
    /// Run only the phases of this environment.
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// Set a root variable: NAME=VALUE (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read `name = value` lines from FILE (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// Skip the pauses between canary steps and waves.
    #[arg(long)]
    pub no_pause: bool,
    /// Print where the rollout stands (phase table); plans nothing.
    #[arg(long, conflicts_with = "graph")]
    pub status: bool,
    /// Print the phases as a Mermaid flowchart.
    #[arg(long)]
    pub graph: bool,
    #[command(flatten)]
    pub change: ChangeFlags,
}

impl RolloutArgs {
    pub fn request(&self) -> RolloutRequest {
        RolloutRequest {
            name: self.name.clone(),
            phase: self.phase.clone(),
            environment: self.env.clone(),
            variables: variables(&self.vars, &self.var_files),
            no_pause: self.no_pause,
            allow_destroy: self.change.allow_destroy,
            lock_timeout: self.change.lock_timeout,
            parallelism: self.change.parallelism,
        }
    }
}

/// The `aic rollback` command's flags.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The serial of the version to go back to (`aic state history` lists them).
    #[arg(long, value_name = "SERIAL")]
    pub to: Option<u64>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub change: ChangeFlags,
}

impl RollbackArgs {
    pub fn request(&self) -> RollbackRequest {
        RollbackRequest {
            environment: self.config.env.clone(),
            variables: self.config.variables(),
            to: self.to,
            allow_destroy: self.change.allow_destroy,
            lock_timeout: self.change.lock_timeout,
        }
    }
}

/// `--env` of the state commands.
#[derive(Debug, Args, Clone, Default)]
pub struct EnvArg {
    /// The environment (default: AIC_ENV, or `default` when none is declared).
    #[arg(long, env = "AIC_ENV", value_name = "NAME")]
    pub env: Option<String>,
}

impl EnvArg {
    pub fn selector(&self) -> StateSelector {
        StateSelector {
            environment: self.env.clone(),
        }
    }
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
        /// With --format markdown: add a Mermaid diagram of what changes.
        #[arg(long)]
        graph: bool,
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
        #[command(flatten)]
        env: EnvArg,
    },
    /// Print outputs from the state.
    Output {
        name: Option<String>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        env: EnvArg,
    },
    /// Print the dependency graph, instance by instance.
    Graph {
        #[command(flatten)]
        config: ConfigArgs,
        /// dot, mermaid or svg (a picture, grouped by module).
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
        /// Colour the picture by the actions of this JSON plan (`aic plan --format json >
        /// FILE`); with --format svg.
        #[arg(long, value_name = "FILE")]
        plan: Option<PathBuf>,
    },
    /// Adopt an existing object: `aic import ADDR ID`.
    Import {
        addr: String,
        id: String,
        #[command(flatten)]
        config: ConfigArgs,
        #[arg(long, default_value = "0s", value_parser = duration)]
        lock_timeout: Duration,
    },
    /// Put the environment back as a kept state version recorded it (default: the
    /// version before the current one).
    Rollback(RollbackArgs),
    /// Run a rollout's phases in order (resuming where the last run stopped), or show
    /// its progress (--status) or its phases as a Mermaid flowchart (--graph).
    Rollout(RolloutArgs),
    /// Inspect and edit the state.
    #[command(subcommand)]
    State(StateCommand),
    /// Print the version of aic and of the providers compiled in (with their SDKs).
    Version,
    /// Environments.
    #[command(subcommand)]
    Env(EnvCommand),
    /// Serve the Language Server Protocol over stdin and stdout (started by editors).
    Lsp,
    /// Evaluate expressions in the configuration's scope: variables, lets, `env.*`, and
    /// resources with the values recorded in the state. Interactive at a terminal;
    /// otherwise one expression per line of stdin.
    Console {
        #[command(flatten)]
        config: ConfigArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// One instance address per line.
    List {
        #[command(flatten)]
        env: EnvArg,
    },
    /// One instance's recorded attributes.
    Show {
        addr: String,
        #[command(flatten)]
        env: EnvArg,
    },
    /// Forget instances without destroying them.
    Rm {
        addrs: Vec<String>,
        #[command(flatten)]
        env: EnvArg,
        #[arg(long, default_value = "0s", value_parser = duration)]
        lock_timeout: Duration,
    },
    /// Move an instance to another address.
    Mv {
        from: String,
        to: String,
        #[command(flatten)]
        env: EnvArg,
        #[arg(long, default_value = "0s", value_parser = duration)]
        lock_timeout: Duration,
    },
    /// Print the state (JSON), with an interrupted apply's journal replayed.
    Pull {
        #[command(flatten)]
        env: EnvArg,
    },
    /// Write a state file (as `pull` prints it) over the stored state. Refused when it
    /// is older than the stored one or of another lineage, unless --force.
    Push {
        file: PathBuf,
        /// Overwrite even an older state or one of another lineage (the overwritten
        /// version stays in history).
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        env: EnvArg,
        #[arg(long, default_value = "0s", value_parser = duration)]
        lock_timeout: Duration,
    },
    /// The kept versions of the state.
    History {
        #[command(flatten)]
        env: EnvArg,
    },
    /// Break a stale lock.
    Unlock {
        id: String,
        #[command(flatten)]
        env: EnvArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum EnvCommand {
    /// The declared environments.
    List,
}

impl Command {
    /// The request of `apply` (`destroy == false`) or `destroy`.
    pub fn apply_request(
        args: &PlanArgs,
        plan_file: Option<PathBuf>,
        destroy: bool,
    ) -> ApplyRequest {
        ApplyRequest {
            plan: args.request(destroy),
            saved_plan: plan_file,
            lock_timeout: args.lock_timeout,
        }
    }

    /// The request of `import`.
    pub fn import_request(
        config: &ConfigArgs,
        addr: &str,
        id: &str,
        lock_timeout: Duration,
    ) -> ImportRequest {
        ImportRequest {
            environment: config.env.clone(),
            variables: config.variables(),
            address: addr.to_string(),
            id: id.to_string(),
            lock_timeout,
        }
    }
}
