//! The `aic` command line: parses arguments, hands each command to the engine's
//! operations, renders what they report and return, and picks the exit code. It holds
//! no logic of its own.

mod args;
mod backends;
mod commands;
mod progress;
mod providers;
mod render;

use std::process::ExitCode;
use std::sync::Arc;

use aic_engine::ops::Project;
use clap::Parser;

use crate::commands::{Context, Failure};
use crate::render::{Style, Terminal};

fn main() -> ExitCode {
    // Output piped into a reader that stops early (`aic state show ADDR | head`) ends
    // the process quietly, as for other command-line tools, instead of a panic on the
    // closed pipe at the next write.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // A mistaken invocation prints clap's usage message and exits 1 (spec: engine §1).
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(1),
            };
        }
    };
    let style = Style::detect(cli.global.no_color);
    let dir = cli
        .global
        .dir
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    let cx = Context {
        project: Project::new(dir, providers::registry()).with_backends(backends::registry()),
        style,
        terminal: Arc::new(Terminal::new(style)),
    };
    match commands::run(cli.command, &cx) {
        Ok(code) => code,
        Err(Failure::Op(e)) => {
            render::op_error(&e, style);
            ExitCode::from(1)
        }
        Err(Failure::Message(m)) => {
            eprintln!("Error: {m}");
            ExitCode::from(1)
        }
    }
}
