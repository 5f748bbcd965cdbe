//! The `aic` command line. Parses arguments and calls the language and engine crates;
//! it holds no logic of its own beyond choosing output streams and exit codes.

mod commands;
mod engine_cmds;
mod fmt;
mod policies;
mod progress;
mod providers;
pub mod rollback;
mod rollout;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // A mistaken invocation prints clap's usage message and exits 1 (spec: engine §1).
    let cli = match commands::Cli::try_parse() {
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
    match commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::from(1)
        }
    }
}
