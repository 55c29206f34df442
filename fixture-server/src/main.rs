//! Runs the fixture server on its own, for load tests and comparisons that keep the server
//! out of the measured process.
//!
//! Run with: `cargo run -p fixture-server -- --port 8080 --latency-ms 200`

use std::time::Duration;

use anyhow::Context;
use clap::Parser;

/// Serves the lesson's documents on 127.0.0.1 until interrupted (Ctrl-C).
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Args {
    /// The port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,

    /// How long to wait, in milliseconds, before answering each request. A request can
    /// override it with `?latency_ms=N`.
    #[arg(long, value_name = "MS", default_value_t = 300)]
    latency_ms: u64,

    /// Keep each connection open after a valid answer, for the next request (the `load`
    /// demo's server); without it, every answer closes its connection.
    #[arg(long)]
    keep_alive: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let latency = Duration::from_millis(args.latency_ms);
    let start = if args.keep_alive {
        fixture_server::Fixture::start_keep_alive
    } else {
        fixture_server::Fixture::start
    };
    let fixture = start(args.port, latency)
        .with_context(|| format!("cannot start the fixture server on port {}", args.port))?;
    // The first line is the base URL, for scripts and tests to read.
    println!("http://{}", fixture.addr());
    for url in fixture.seed_urls() {
        eprintln!("serving {url}");
    }
    eprintln!("latency {} ms; press Ctrl-C to stop", args.latency_ms);
    loop {
        std::thread::park();
    }
}
