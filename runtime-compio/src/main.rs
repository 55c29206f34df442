//! The binary: parses the flags, plays the lesson, prints the end of the report, exits
//! with 1 if any fetch failed and 2 if the run could not start.
//!
//! Run with: `cargo run -p runtime-compio -- --help`

use std::process::ExitCode;

use clap::Parser;

use fetch_core::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match runtime_compio::run(&cli) {
        Ok(report) => report.finish(cli.json()),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
