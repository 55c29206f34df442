//! The comparison: every runtime and client on the same workloads, each run its own
//! process measured from outside, the median of several runs. It prints markdown tables,
//! writes them and the raw data as JSON, and draws the lesson's timeline as SVG.
//!
//! Run with: `cargo run --release -p compare` (`-- --full` for three runs of everything,
//! `-- --quick` for a short trial run)
//!
//! This file holds the flags and the steps; each step is a file of its own (`lesson.rs`,
//! `scale.rs`, `memory.rs`, `sleeps.rs`, `load.rs`, and the steps run alone:
//! `reliability.rs`, `profile.rs`, `traces.rs`), the tables are in `tables.rs` and the
//! targets in `targets.rs`. `measure.rs` is the hidden step that measures one child.

mod latency;
mod lesson;
mod load;
mod load_run;
mod measure;
mod memory;
mod peers;
mod profile;
mod reliability;
mod runs;
mod scale;
mod sleeps;
mod stats;
mod tables;
mod targets;
mod timeline;
mod traces;
mod workspace;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use runs::Server;
use scale::{Fetcher, SCALE_LATENCY_MS};
use tables::Comparison;
use workspace::Binaries;

/// Compares the runtimes, the clients, and a thread per request, on the lesson and at scale.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Args {
    /// A step run alone; without one, the whole comparison.
    #[command(subcommand)]
    step: Option<Step>,

    /// Three runs of every configuration instead of one (the tables show the median), and
    /// syscalls counted at every N. About three times as long.
    #[arg(long, global = true, conflicts_with = "quick")]
    full: bool,

    /// Where to write compare.json, compare.md, timeline.svg and latency.svg.
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        default_value = "target/compare"
    )]
    out: PathBuf,

    /// A short trial run: one run each and small workloads. Not for measuring.
    #[arg(long, global = true)]
    quick: bool,
}

/// What `compare` can do besides the comparison: the reliability table, and the step it
/// runs as a copy of itself.
#[derive(Debug, Subcommand)]
enum Step {
    /// Runs every runtime and client against the fault matrix's routes (the polite faults
    /// and the hostile server's) and prints the table of docs/RELIABILITY.md.
    Reliability,
    /// Profiles each runtime's user CPU under the load step's closed loop with `perf
    /// record`, and prints it by layer (executor, I/O driver, timers, hyper, …).
    Profile,
    /// Runs each runtime's lesson, starvation demo and 1,000 fetches under `--trace`, prints
    /// the figures of their timelines (polls per fetch, spurious polls, wake to poll, where
    /// the wakes come from), and draws trace-lesson.svg and trace-starve.svg.
    Trace,
    /// Runs the load step alone (steady load on kept-alive connections, beside wrk, h2load
    /// and aiohttp) and prints its tables; `--full` runs every K, both rates and both
    /// servers.
    Load,
    /// Runs the memory step alone (each runtime's memory per in-flight fetch against its
    /// bare hyper's, 10,000 in flight) and prints its table.
    Memory,
    /// Runs one command and prints its measurements as JSON.
    #[command(hide = true)]
    Measure {
        /// The command and its arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        command: Vec<String>,
    },
}

/// Prints one progress line per step, numbered out of the whole.
struct Steps {
    done: usize,
    total: usize,
    start: std::time::Instant,
}

impl Steps {
    /// Says that `what` starts.
    fn next(&mut self, what: impl std::fmt::Display) {
        self.done += 1;
        let seconds = self.start.elapsed().as_secs();
        eprintln!("[{}/{}, {seconds} s] {what}", self.done, self.total);
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let outcome = match &args.step {
        Some(Step::Measure { command }) => measure::measure_and_print(command),
        Some(Step::Reliability) => reliability(),
        Some(Step::Load) => load_alone(&args),
        Some(Step::Memory) => memory_alone(&args),
        Some(Step::Profile) => profile(),
        Some(Step::Trace) => traces(&args),
        None => compare(&args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Builds the binaries, starts the fixture server, and prints the reliability table.
fn reliability() -> anyhow::Result<()> {
    let binaries = Binaries::build()?;
    let server = Server::start(&binaries.bin.join("fixture-server"), 20)?;
    println!("{}", reliability::table(&binaries.runtimes, &server)?);
    Ok(())
}

/// Builds the binaries and prints where each runtime's user CPU goes under load.
fn profile() -> anyhow::Result<()> {
    let binaries = Binaries::build()?;
    let fixture = binaries.bin.join("fixture-server");
    println!("{}", profile::table(&binaries.runtimes, &fixture)?);
    Ok(())
}

/// Builds the binaries, runs the traced demos, prints their figures and draws their
/// pictures.
fn traces(args: &Args) -> anyhow::Result<()> {
    let binaries = Binaries::build()?;
    let server = Server::start(
        &binaries.bin.join("fixture-server"),
        SCALE_LATENCY_MS as u64,
    )?;
    println!("{}", traces::table(&binaries.runtimes, &server, &args.out)?);
    eprintln!(
        "wrote the traces, trace-lesson.svg and trace-starve.svg in {}",
        args.out.display()
    );
    Ok(())
}

/// Builds the binaries, runs the memory step alone, and prints its table.
fn memory_alone(args: &Args) -> anyhow::Result<()> {
    let binaries = Binaries::build()?;
    let memory = memory::run_step(args.full, args.quick, &binaries, |runtime| {
        eprintln!("memory: {runtime}");
    })?;
    let mut report = Comparison {
        memory,
        ..Comparison::default()
    };
    report.check_targets(&[], 0, &[]);
    println!("{}", report.markdown(if args.full { 3 } else { 1 }));
    Ok(())
}

/// Builds the binaries and runs the load step alone, and prints its tables.
fn load_alone(args: &Args) -> anyhow::Result<()> {
    let binaries = Binaries::build()?;
    let mut report = Comparison::default();
    report.add_load(load::run_step(args.full, args.quick, &binaries)?);
    let names: Vec<String> = binaries
        .runtimes
        .iter()
        .map(|(name, _)| name.clone())
        .collect();
    report.check_targets(&[], 0, &names);
    println!("{}", report.markdown(1));
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    latency::draw(&args.out.join("latency.svg"), &report.load)?;
    eprintln!("wrote latency.svg in {}", args.out.display());
    Ok(())
}

/// Builds the binaries, starts the fixture server, runs every workload, and reports.
fn compare(args: &Args) -> anyhow::Result<()> {
    let binaries = Binaries::build()?;
    let server = Server::start(
        &binaries.bin.join("fixture-server"),
        SCALE_LATENCY_MS as u64,
    )?;
    let runs = if args.full { 3 } else { 1 };
    let counts: &[usize] = match (args.quick, args.full) {
        (true, _) => &[100, 1_000],
        (false, true) => &[1_000, 5_000, 10_000, 19_000],
        (false, false) => &[1_000, 10_000, 19_000],
    };
    scale::check_counts(counts)?;
    let sleeps = if args.quick { 10_000 } else { 100_000 };

    let mut report = Comparison::default();
    let runtimes = &binaries.runtimes;
    let fetchers = Fetcher::all(runtimes, &binaries.bin, args.full, &mut report.notes);
    report.notes.push(scale::ephemeral_ports_note());
    let mut steps = Steps {
        done: 0,
        total: runtimes.len() * 3 + counts.len() * fetchers.len() + 1
            - usize::from(!args.full && counts.contains(&19_000))
                * (fetchers.len() - runtimes.len()),
        start: std::time::Instant::now(),
    };
    for (runtime, binary) in runtimes {
        steps.next(format_args!(
            "lesson: {runtime}, every client and both gathers side by side, {runs} run(s)"
        ));
        let (rows, timeline) = lesson::measure_every_client(runtime, binary, &server, runs)?;
        report.lesson.extend(rows);
        report.timelines.extend(timeline);
    }

    let baselines = fetchers
        .iter()
        .map(|fetcher| scale::baseline_kib(fetcher, &server))
        .collect::<anyhow::Result<Vec<f64>>>()?;
    for &count in counts {
        for (fetcher, &baseline) in fetchers.iter().zip(&baselines) {
            // At 19,000 the default run measures the study's runtimes alone (the check that
            // none loses a fetch); --full measures every fetcher at every N.
            if count == 19_000 && !args.full && !matches!(fetcher, Fetcher::Runtime { .. }) {
                continue;
            }
            let (runtime, client) = fetcher.label();
            steps.next(format_args!(
                "scale: {runtime} with {client}, {count} at once"
            ));
            // Syscalls take a second run: at every N with --full, else at the first N only.
            let count_syscalls = args.full || count == counts[0];
            let row = scale::measure_row(fetcher, count, &server, runs, count_syscalls, baseline)?;
            report.scale.push(row);
        }
    }

    report.memory = memory::run_step(args.full, args.quick, &binaries, |runtime| {
        steps.next(format_args!(
            "memory: {runtime} and its bare hyper, all in flight"
        ));
    })?;

    for (runtime, binary) in runtimes {
        steps.next(format_args!(
            "sleeps: {runtime}, {sleeps} gathered 1 s sleeps in both gathers, and 1"
        ));
        report
            .sleeps
            .extend(sleeps::measure(runtime, binary, sleeps, runs)?);
    }

    steps.next("load: every runtime and peer on kept-alive connections");
    report.add_load(load::run_step(args.full, args.quick, &binaries)?);

    let names: Vec<String> = runtimes.iter().map(|(name, _)| name.clone()).collect();
    report.check_targets(counts, sleeps, &names);
    let markdown = report.markdown(runs);
    println!("{markdown}");
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let write = |name: &str, text: &str| {
        let path = args.out.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
    };
    write("compare.md", &markdown)?;
    write(
        "compare.json",
        &serde_json::to_string_pretty(&report.json(runs))?,
    )?;
    timeline::draw(&args.out.join("timeline.svg"), &report.timelines)?;
    latency::draw(&args.out.join("latency.svg"), &report.load)?;
    eprintln!(
        "wrote compare.md, compare.json, timeline.svg and latency.svg in {}",
        args.out.display()
    );
    Ok(())
}
