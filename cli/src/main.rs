//! The `aic` command line. Parses arguments and calls the language and engine crates;
//! it holds no logic of its own beyond choosing output streams and exit codes.

mod commands;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = commands::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::from(1)
        }
    }
}
