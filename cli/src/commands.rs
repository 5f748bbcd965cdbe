//! Subcommands and their wiring.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aic_lang::diag::{self, Diagnostic};
use aic_lang::source::SourceMap;
use aic_lang::syntax;
use clap::{Args, Parser, Subcommand};

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

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and check every module of the configuration; no provider is called.
    Validate {
        /// Print diagnostics as JSON on stdout.
        #[arg(long)]
        json: bool,
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
}

pub fn run(cli: Cli) -> Result<ExitCode, String> {
    let dir = cli.global.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let color = use_color(cli.global.no_color);
    match cli.command {
        Command::Validate { json } => validate(&dir, json, color),
        Command::Fmt { check, diff, paths } => {
            crate::commands::fmt(&dir, check, diff, paths, color)
        }
    }
}

fn use_color(no_color_flag: bool) -> bool {
    !no_color_flag
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stderr().is_terminal()
}

fn term_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

/// Loads and parses the `.aic` files of one module directory.
fn load_module(dir: &Path) -> Result<(SourceMap, Vec<Diagnostic>), String> {
    let mut sources = SourceMap::new();
    let ids = sources
        .load_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    if ids.is_empty() {
        return Err(format!(
            "no .aic files in {}; run aic in a configuration directory or pass --dir DIR",
            dir.display()
        ));
    }
    let diags = syntax::parse_sources(&sources)
        .into_iter()
        .flat_map(|(_, p)| p.diagnostics)
        .collect();
    Ok((sources, diags))
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

fn validate(dir: &Path, json: bool, color: bool) -> Result<ExitCode, String> {
    let (sources, diags) = load_module(dir)?;
    print_diagnostics(&diags, &sources, json, color);
    let errors = diags.iter().filter(|d| d.is_error()).count();
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
    _dir: &Path,
    _check: bool,
    _diff: bool,
    _paths: Vec<PathBuf>,
    _color: bool,
) -> Result<ExitCode, String> {
    Err("aic fmt is being written".into())
}
