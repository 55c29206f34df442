//! The threads baseline: N small documents fetched by N OS threads, one blocking request
//! each, with ureq. The seed's closing claim is that for I/O-bound work, async scales
//! better than this; `cargo run -p compare` puts both in one table.
//!
//! Run with: `cargo run --release -p threads-baseline -- --count 1000`

use std::collections::BTreeMap;
use std::io;
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;

use fetch_core::report::finish;
use fetch_core::scale::ScaleReport;
use fixture_server::Fixture;

/// Fetches N documents with one thread per request.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Args {
    /// Fetch N small documents, `/doc/0` to `/doc/{N-1}`, each on a thread of its own.
    #[arg(long, value_name = "N", default_value_t = 100)]
    count: usize,

    /// The server to fetch from, such as `http://127.0.0.1:8080` [default: a fixture
    /// server started in this process].
    #[arg(long, value_name = "URL")]
    base: Option<String>,

    /// The in-process fixture server's latency. Ignored with --base.
    #[arg(long, value_name = "MS", default_value_t = 300)]
    latency_ms: u64,

    /// Give up on a request after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    timeout: u64,

    /// Each thread's stack size, in KiB. Small stacks are the usual choice for a
    /// thread-per-request server; 2048 is Rust's default.
    #[arg(long, value_name = "KIB", default_value_t = 256)]
    stack_kib: usize,

    /// Print the run as one JSON document.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(report) => finish(&report, args.json),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// Starts a fixture server if no base is given, then fetches every document on its own
/// thread and sums up.
fn run(args: &Args) -> anyhow::Result<ScaleReport> {
    // The fixture, if started here, serves until this function returns.
    let (base, _fixture) = match &args.base {
        Some(base) => (base.trim_end_matches('/').to_owned(), None),
        None => {
            let fixture = Fixture::start(0, Duration::from_millis(args.latency_ms))
                .context("cannot start the fixture server")?;
            (fixture.url(""), Some(fixture))
        }
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(args.timeout)))
        .build()
        .into();
    if !args.json {
        println!(
            "\n== {} fetches from {base}/doc/N, one OS thread each ==",
            args.count
        );
    }

    let start = Instant::now();
    let mut threads = Vec::with_capacity(args.count);
    let mut outcomes: Vec<Result<Duration, String>> = Vec::with_capacity(args.count);
    for n in 0..args.count {
        let (agent, url) = (agent.clone(), format!("{base}/doc/{n}"));
        let spawned = thread::Builder::new()
            .name("baseline-fetch".into())
            .stack_size(args.stack_kib * 1024)
            .spawn(move || fetch(&agent, &url));
        match spawned {
            Ok(thread) => threads.push(thread),
            Err(err) => outcomes.push(Err(format!("cannot start a thread: {err}"))),
        }
    }
    for thread in threads {
        outcomes.push(
            thread
                .join()
                .unwrap_or_else(|_| Err("the thread panicked".into())),
        );
    }
    let fetch_ms = start.elapsed().as_secs_f64() * 1000.0;

    let mut errors = BTreeMap::new();
    for error in outcomes.iter().filter_map(|o| o.as_ref().err()) {
        *errors.entry(error.clone()).or_insert(0) += 1;
    }
    let slowest = outcomes.iter().filter_map(|o| o.as_ref().ok()).max();
    let report = ScaleReport {
        runtime: "threads".to_owned(),
        client: "ureq".to_owned(),
        count: args.count,
        concurrency: None,
        gather: "threads".to_owned(),
        fetch_ms,
        slowest_fetch_ms: slowest.map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        succeeded: outcomes.iter().filter(|o| o.is_ok()).count(),
        // Threads block in their reads: no executor polls anything.
        polls_per_fetch: None,
        errors,
        sleeps: 0,
        each_sleep_ms: 0,
        sleep_ms: 0.0,
        open_files: fetch_core::open_files::open_files(),
    };
    if !args.json {
        println!(
            "{} of {} fetched in {:.3} s (slowest {:.3} s)",
            report.succeeded,
            report.count,
            fetch_ms / 1000.0,
            report.slowest_fetch_ms / 1000.0
        );
    }
    Ok(report)
}

/// Fetches one URL and reads its whole body, blocking this thread.
fn fetch(agent: &ureq::Agent, url: &str) -> Result<Duration, String> {
    let start = Instant::now();
    let mut response = agent.get(url).call().map_err(|err| err.to_string())?;
    let mut body = response.body_mut().as_reader();
    io::copy(&mut body, &mut io::sink()).map_err(|err| err.to_string())?;
    Ok(start.elapsed())
}
