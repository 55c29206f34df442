//! The binary: parses the flags, plays the sleep or starvation demo on the minimal
//! executor, prints the end of the report, exits with 2 if it cannot play what is asked.
//!
//! Run with: `cargo run -p runtime-minimal -- starve`

use std::process::ExitCode;

use clap::Parser;

use fetch_core::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match runtime_minimal::run(&cli) {
        Ok(report) => report.finish(cli.json()),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
