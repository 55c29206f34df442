//! The sentinel benchmark: CPU per fetch and per sleep at a fixed N, in-process, so that a
//! regression of 20 % or more shows.
//!
//! Each runtime crate's `benches/sentinel.rs` calls [`sentinel`] with its `run`. It plays
//! `scale --count 1000` against a fixture server with no latency on its own thread, and
//! `scale --sleeps 10000`, five times each, and reads the CPU time of the executor's thread
//! (this one) around each run: the fixture's thread is not counted. It prints the medians
//! and compares them with the previous run's, kept in `target/sentinel-RUNTIME.json`.

use clap::Parser;
use std::path::PathBuf;

use fetch_core::census::thread_cpu;
use fetch_core::{Cli, RunReport};

/// How many documents one fetch run gathers.
const FETCHES: usize = 1_000;

/// How many sleeps one sleep run gathers.
const SLEEPS: usize = 10_000;

/// How many runs each median takes.
const RUNS: usize = 5;

/// How much slower than the previous run counts as a regression.
const REGRESSION: f64 = 1.2;

/// A runtime crate's `run`.
pub type Run = fn(&Cli) -> anyhow::Result<RunReport>;

/// Measures `run` and prints the sentinel's lines for `runtime`.
pub fn sentinel(runtime: &str, run: Run) {
    let fetch = median_cpu_us(
        run,
        &[
            "scale",
            "--json",
            "--count",
            &FETCHES.to_string(),
            "--latency-ms",
            "0",
        ],
    ) / FETCHES as f64;
    let sleep = median_cpu_us(
        run,
        &[
            "scale",
            "--json",
            "--sleeps",
            &SLEEPS.to_string(),
            "--sleep-ms",
            "50",
        ],
    ) / SLEEPS as f64;
    println!(
        "sentinel {runtime}: {fetch:.1} µs of CPU per fetch ({FETCHES} at once), \
         {sleep:.2} µs per sleep ({SLEEPS} gathered), medians of {RUNS} runs"
    );
    let file = baseline_file(runtime);
    if let Some((was_fetch, was_sleep)) = std::fs::read_to_string(&file)
        .ok()
        .and_then(|text| serde_json::from_str::<(f64, f64)>(&text).ok())
    {
        for (what, now, was) in [("fetch", fetch, was_fetch), ("sleep", sleep, was_sleep)] {
            let verdict = if now > REGRESSION * was {
                "REGRESSION"
            } else {
                "ok"
            };
            println!(
                "sentinel {runtime}: per {what} {now:.2} µs against {was:.2} µs last time, {:+.0} %: {verdict}",
                (now / was - 1.0) * 100.0
            );
        }
    }
    let saved = serde_json::to_string(&(fetch, sleep)).unwrap_or_default();
    if let Err(err) = std::fs::write(&file, saved) {
        println!(
            "sentinel {runtime}: cannot keep this run in {}: {err}",
            file.display()
        );
    }
}

/// The median CPU time, in microseconds, of this thread during `run` with `args`.
fn median_cpu_us(run: Run, args: &[&str]) -> f64 {
    let cli = Cli::parse_from(std::iter::once("sentinel").chain(args.iter().copied()));
    let mut samples: Vec<f64> = (0..RUNS)
        .map(|_| {
            let before = thread_cpu().unwrap_or_default();
            if let Err(err) = run(&cli) {
                panic!("the sentinel's run failed: {err:#}");
            }
            let after = thread_cpu().unwrap_or_default();
            after.saturating_sub(before).as_secs_f64() * 1e6
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[RUNS / 2]
}

/// Where the previous run of `runtime` is kept: in the workspace's target directory.
fn baseline_file(runtime: &str) -> PathBuf {
    crate::workspace::root()
        .join("target")
        .join(format!("sentinel-{runtime}.json"))
}
