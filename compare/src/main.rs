//! The comparison: every runtime and client on the same workloads, each run its own
//! process measured from outside, the median of several runs. It prints markdown tables,
//! writes them and the raw data as JSON, and draws the lesson's timeline as SVG.
//!
//! Run with: `cargo run --release -p compare` (`-- --full` for three runs of everything,
//! `-- --quick` for a short trial run)

mod measure;
mod reliability;
mod scale;
mod timeline;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use fetch_core::lesson::LessonReport;
use fetch_core::scale::ScaleReport;
use measure::Measured;
use scale::{Fetcher, SCALE_LATENCY_MS, ScaleRow};

/// Compares the runtimes, the clients, and a thread per request, on the lesson and at scale.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Args {
    /// For the hidden `measure` step.
    #[command(subcommand)]
    step: Option<Step>,

    /// Three runs of every configuration instead of one (the tables show the median), and
    /// syscalls counted at every N. About three times as long.
    #[arg(long, conflicts_with = "quick")]
    full: bool,

    /// Where to write compare.json, compare.md and timeline.svg.
    #[arg(long, value_name = "DIR", default_value = "target/compare")]
    out: PathBuf,

    /// A short trial run: one run each and small workloads. Not for measuring.
    #[arg(long)]
    quick: bool,
}

/// What `compare` can do besides the comparison: the reliability table, and the step it
/// runs as a copy of itself.
#[derive(Debug, Subcommand)]
enum Step {
    /// Runs every runtime and client against the fault matrix's routes (the polite faults
    /// and the hostile server's) and prints the table of docs/RELIABILITY.md.
    Reliability,
    /// Runs one command and prints its measurements as JSON.
    #[command(hide = true)]
    Measure {
        /// The command and its arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        command: Vec<String>,
    },
}

/// The HTTP clients.
const CLIENTS: [&str; 3] = ["hyper", "isahc", "surf"];

/// The gather modes.
const GATHERS: [&str; 2] = ["join", "spawn"];

/// The lesson's latency per document, the fixture's default: the ideal concurrent time.
const LESSON_LATENCY_MS: f64 = fetch_core::LESSON_LATENCY.as_millis() as f64;

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
    let workspace = Workspace::read()?;
    let bin = build_release(&workspace)?;
    let server = Server::start(&bin.join("fixture-server"), 20)?;
    let runtimes: Vec<(String, PathBuf)> = workspace
        .runtimes
        .iter()
        .map(|(name, package)| (name.clone(), bin.join(package)))
        .collect();
    println!("{}", reliability::table(&runtimes, &server)?);
    Ok(())
}

/// Builds the binaries, starts the fixture server, runs every workload, and reports.
fn compare(args: &Args) -> anyhow::Result<()> {
    let workspace = Workspace::read()?;
    let bin = build_release(&workspace)?;
    let server = Server::start(&bin.join("fixture-server"), SCALE_LATENCY_MS as u64)?;
    let runs = if args.full { 3 } else { 1 };
    let counts: &[usize] = if args.quick {
        &[100, 1_000]
    } else {
        &[1_000, 5_000, 10_000, 19_000]
    };
    scale::check_counts(counts)?;
    let sleeps = if args.quick { 10_000 } else { 100_000 };

    let mut report = Comparison::default();
    let runtimes: Vec<(String, PathBuf)> = workspace
        .runtimes
        .iter()
        .map(|(name, package)| (name.clone(), bin.join(package)))
        .collect();
    let fetchers = Fetcher::all(&runtimes, &bin, &mut report.notes);
    report.notes.push(scale::ephemeral_ports_note());
    let mut steps = Steps {
        done: 0,
        total: runtimes.len() * (CLIENTS.len() + 1) + counts.len() * fetchers.len(),
        start: std::time::Instant::now(),
    };
    for (runtime, binary) in &runtimes {
        for client in CLIENTS {
            steps.next(format_args!(
                "lesson: {runtime}, {client}, both gathers side by side, {runs} run(s)"
            ));
            // The two gather modes run at the same time, each in its own process: a lesson
            // run mostly waits (under 20 ms of CPU in its 3 s), so two side by side on two
            // cores keep their times, and the comparison stays within its 3 minutes.
            let outcomes: Vec<anyhow::Result<Vec<Measured>>> = std::thread::scope(|scope| {
                let runs: Vec<_> = GATHERS
                    .iter()
                    .map(|gather| {
                        let mut command = vec![
                            "--json".to_owned(),
                            format!("--client={client}"),
                            format!("--gather={gather}"),
                        ];
                        command.extend(server.lesson_urls());
                        scope.spawn(move || measure_runs(binary, &command, runs))
                    })
                    .collect();
                runs.into_iter()
                    .map(|run| {
                        run.join()
                            .unwrap_or_else(|_| Err(anyhow::anyhow!("a lesson run panicked")))
                    })
                    .collect()
            });
            for (gather, samples) in GATHERS.into_iter().zip(outcomes) {
                let samples = samples?;
                let reports: Vec<LessonReport> = parse_reports(runtime, &samples)?;
                if let (("hyper", "join"), Some(first)) = ((client, gather), reports.first()) {
                    report.timelines.push(first.clone());
                }
                let row = LessonRow::from_samples(runtime, client, gather, &samples, &reports)?;
                report.lesson.push(row);
            }
        }
    }

    for &count in counts {
        for fetcher in &fetchers {
            let (runtime, client) = fetcher.label();
            steps.next(format_args!(
                "scale: {runtime} with {client}, {count} at once"
            ));
            // Syscalls take a second run: at every N with --full, else at the first N only.
            let count_syscalls = args.full || count == counts[0];
            let row = scale::measure_row(fetcher, count, &server, runs, count_syscalls)?;
            report.scale.push(row);
        }
    }

    for (runtime, binary) in &runtimes {
        steps.next(format_args!(
            "sleeps: {runtime}, {sleeps} gathered 1 s sleeps and 1"
        ));
        let many = measure_runs(binary, &scale_args(&server, 0, sleeps), runs)?;
        let one = measure_runs(binary, &scale_args(&server, 0, 1), runs)?;
        let reports = parse_reports(runtime, &many)?;
        let row = SleepRow::from_samples(runtime, sleeps, &many, &one, &reports)?;
        report.sleeps.push(row);
    }

    report.check_targets(counts, sleeps);
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
    eprintln!(
        "wrote compare.md, compare.json and timeline.svg in {}",
        args.out.display()
    );
    Ok(())
}

/// The arguments of a scale run against the shared server.
fn scale_args(server: &Server, count: usize, sleeps: usize) -> Vec<String> {
    vec![
        "scale".to_owned(),
        "--json".to_owned(),
        format!("--count={count}"),
        format!("--sleeps={sleeps}"),
        format!("--base={}", server.base),
    ]
}

/// What compare needs of the workspace, from `cargo metadata`.
struct Workspace {
    /// Where cargo builds.
    target: PathBuf,
    /// Every runtime crate that fetches, as (runtime name, package name): the workspace's
    /// members named `runtime-*`, each naming its runtime under `[package.metadata.study]`.
    runtimes: Vec<(String, String)>,
}

impl Workspace {
    /// Reads the workspace's metadata.
    fn read() -> anyhow::Result<Workspace> {
        let metadata = Command::new(cargo())
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .output()
            .context("cannot run cargo metadata")?;
        if !metadata.status.success() {
            bail!(
                "cargo metadata failed: {}",
                String::from_utf8_lossy(&metadata.stderr)
            );
        }
        let metadata: Value = serde_json::from_slice(&metadata.stdout)?;
        let target = metadata["target_directory"]
            .as_str()
            .context("cargo metadata names no target directory")?;
        Ok(Workspace {
            target: PathBuf::from(target),
            runtimes: runtime_crates(&metadata)?,
        })
    }
}

/// The runtime crates that fetch, from the workspace's metadata, in name order.
fn runtime_crates(metadata: &Value) -> anyhow::Result<Vec<(String, String)>> {
    let packages = metadata["packages"]
        .as_array()
        .context("cargo metadata lists no packages")?;
    let mut runtimes = Vec::new();
    for package in packages {
        let name = package["name"].as_str().unwrap_or_default();
        if !name.starts_with("runtime-") {
            continue;
        }
        let study = &package["metadata"]["study"];
        let runtime = study["runtime"].as_str().with_context(|| {
            format!("{name}/Cargo.toml has no [package.metadata.study] runtime = \"…\"")
        })?;
        if study["fetches"].as_bool().unwrap_or(true) {
            runtimes.push((runtime.to_owned(), name.to_owned()));
        }
    }
    runtimes.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(runtimes)
}

/// The cargo that runs this program, or the one on the path.
fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Builds every measured binary in release mode, and returns the directory they are in.
fn build_release(workspace: &Workspace) -> anyhow::Result<PathBuf> {
    let mut packages: Vec<&str> = workspace.runtimes.iter().map(|(_, p)| p.as_str()).collect();
    packages.extend(["fixture-server", "threads-baseline"]);
    eprintln!("building {} in release mode", packages.join(", "));
    let mut build = Command::new(cargo());
    build.args(["build", "--release", "--locked"]);
    for package in packages {
        build.args(["-p", package]);
    }
    let status = build.status().context("cannot run cargo build")?;
    if !status.success() {
        bail!("cargo build --release failed");
    }
    Ok(workspace.target.join("release"))
}

/// The reports the samples of `binary` printed, read as the type fetch-core writes. A run
/// that printed no report, or one with a field missing, is an error that names both.
pub(crate) fn parse_reports<T: DeserializeOwned>(
    binary: &str,
    samples: &[Measured],
) -> anyhow::Result<Vec<T>> {
    samples
        .iter()
        .map(|sample| {
            serde_json::from_str(&sample.stdout).with_context(|| {
                let exit = match sample.code {
                    Some(code) => format!("exit code {code}"),
                    None => "killed by a signal".to_owned(),
                };
                let said = sample.stderr.trim();
                format!(
                    "{binary} printed no report that compare can read ({exit}; stderr: {said:?})"
                )
            })
        })
        .collect()
}

/// Runs `binary` with `args` `runs` times, each measured by a copy of this program.
pub(crate) fn measure_runs(
    binary: &Path,
    args: &[String],
    runs: usize,
) -> anyhow::Result<Vec<Measured>> {
    let me = std::env::current_exe().context("cannot find this program")?;
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let output = Command::new(&me)
            .arg("measure")
            .arg("--")
            .arg(binary)
            .args(args)
            .output()
            .with_context(|| format!("cannot measure {}", binary.display()))?;
        if !output.status.success() {
            bail!(
                "measuring {} failed: {}",
                binary.display(),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        samples.push(serde_json::from_slice(&output.stdout)?);
    }
    Ok(samples)
}

/// The fixture server, in its own process, killed on drop.
pub(crate) struct Server {
    child: Child,
    /// Its base URL, `http://127.0.0.1:PORT`.
    pub(crate) base: String,
}

impl Server {
    /// Starts the server with `latency_ms` for every answer; the lesson's URLs ask for
    /// their own.
    fn start(binary: &Path, latency_ms: u64) -> anyhow::Result<Server> {
        let mut child = Command::new(binary)
            .arg(format!("--latency-ms={latency_ms}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let mut line = String::new();
        if let Some(stdout) = child.stdout.take() {
            BufReader::new(stdout).read_line(&mut line)?;
        }
        let base = line.trim().to_owned();
        if !base.starts_with("http://") {
            let _ = child.kill();
            bail!("the fixture server did not print its address");
        }
        Ok(Server { child, base })
    }

    /// The CPU time (user and system) the server has used so far, in milliseconds.
    pub(crate) fn cpu_ms(&self) -> f64 {
        fetch_core::census::process_cpu_ms(self.child.id()).map_or(0.0, |ms| ms as f64)
    }

    /// The lesson's four documents, each asking for the lesson's latency.
    fn lesson_urls(&self) -> Vec<String> {
        let latency = fetch_core::LESSON_LATENCY.as_millis();
        fetch_core::SEED_PATHS
            .iter()
            .map(|path| format!("{}{path}?latency_ms={latency}", self.base))
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The median of `values`; of no values, an error that says of what.
fn median(mut values: Vec<f64>, what: &str) -> anyhow::Result<f64> {
    values.sort_by(f64::total_cmp);
    Ok(match values.len() {
        0 => bail!("no samples of {what}: a median of nothing is not 0"),
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    })
}

/// The median of a measurement across samples.
pub(crate) fn median_of(
    samples: &[Measured],
    what: &str,
    pick: impl Fn(&Measured) -> f64,
) -> anyhow::Result<f64> {
    median(samples.iter().map(pick).collect(), what)
}

/// The median of a field across reports.
pub(crate) fn median_in<T>(
    reports: &[T],
    what: &str,
    pick: impl Fn(&T) -> f64,
) -> anyhow::Result<f64> {
    median(reports.iter().map(pick).collect(), what)
}

/// How many samples exited with a non-zero code.
fn failed_runs(samples: &[Measured]) -> usize {
    samples.iter().filter(|s| s.code != Some(0)).count()
}

/// One row of the lesson table.
#[derive(Debug, Serialize)]
struct LessonRow {
    runtime: String,
    client: &'static str,
    gather: &'static str,
    concurrent_s: f64,
    sequential_s: f64,
    speedup: f64,
    concurrent_over_ideal: f64,
    cpu_ms: f64,
    peak_rss_mb: f64,
    peak_threads: f64,
    failed_runs: usize,
}

impl LessonRow {
    fn from_samples(
        runtime: &str,
        client: &'static str,
        gather: &'static str,
        samples: &[Measured],
        reports: &[LessonReport],
    ) -> anyhow::Result<LessonRow> {
        let concurrent = median_in(reports, "concurrent time", |r| r.concurrent.total_ms)?;
        Ok(LessonRow {
            runtime: runtime.to_owned(),
            client,
            gather,
            concurrent_s: concurrent / 1000.0,
            sequential_s: median_in(reports, "sequential time", |r| r.sequential.total_ms)?
                / 1000.0,
            speedup: median_in(reports, "speedup", |r| r.speedup)?,
            concurrent_over_ideal: concurrent / LESSON_LATENCY_MS,
            cpu_ms: median_of(samples, "CPU time", |s| s.user_ms + s.sys_ms)?,
            peak_rss_mb: median_of(samples, "peak RSS", |s| s.max_rss_kib as f64 / 1024.0)?,
            peak_threads: median_of(samples, "threads", |s| f64::from(s.peak_threads))?,
            failed_runs: failed_runs(samples),
        })
    }
}

/// One row of the sleeps table.
#[derive(Debug, Serialize)]
struct SleepRow {
    runtime: String,
    sleeps: usize,
    total_s: f64,
    peak_rss_mb: f64,
    baseline_rss_mb: f64,
    bytes_per_sleep: f64,
    cpu_ms: f64,
}

impl SleepRow {
    fn from_samples(
        runtime: &str,
        sleeps: usize,
        many: &[Measured],
        one: &[Measured],
        reports: &[ScaleReport],
    ) -> anyhow::Result<SleepRow> {
        let total_ms = median_in(reports, "sleep time", |r| r.sleep_ms)?;
        let rss = median_of(many, "peak RSS", |s| s.max_rss_kib as f64)?;
        let baseline = median_of(one, "peak RSS with one sleep", |s| s.max_rss_kib as f64)?;
        Ok(SleepRow {
            runtime: runtime.to_owned(),
            sleeps,
            total_s: total_ms / 1000.0,
            peak_rss_mb: rss / 1024.0,
            baseline_rss_mb: baseline / 1024.0,
            bytes_per_sleep: (rss - baseline) * 1024.0 / sleeps as f64,
            cpu_ms: median_of(many, "CPU time", |s| s.user_ms + s.sys_ms)?,
        })
    }
}

/// Everything measured, and the targets checked.
#[derive(Debug, Default)]
struct Comparison {
    lesson: Vec<LessonRow>,
    scale: Vec<ScaleRow>,
    sleeps: Vec<SleepRow>,
    targets: Vec<(String, bool, String)>,
    /// The first lesson run of each runtime with hyper and join, for the timeline.
    timelines: Vec<LessonReport>,
    /// What was skipped, and why.
    notes: Vec<String>,
}

impl Comparison {
    /// Checks the issue's targets, and notes each as met or missed with the number.
    fn check_targets(&mut self, counts: &[usize], sleeps: usize) {
        let biggest = counts.iter().copied().max().unwrap_or(0);
        // CPU and memory are compared with ab's at 10,000, or the largest N below it.
        let at = counts
            .iter()
            .copied()
            .filter(|&c| c <= 10_000)
            .max()
            .unwrap_or(biggest);
        let ab = self
            .scale
            .iter()
            .find(|r| r.client == "ab" && r.count == at)
            .map(|r| r.user_us_per_fetch + r.sys_us_per_fetch);
        for row in self.scale.iter().filter(|r| r.client == "hyper") {
            if row.count == biggest {
                self.targets.push((
                    format!("{biggest} fetches at once on {} lose none", row.runtime),
                    row.failed_fetches == 0.0,
                    format!("{} failed", row.failed_fetches),
                ));
            }
            if row.count != at {
                continue;
            }
            let cpu = row.user_us_per_fetch + row.sys_us_per_fetch;
            if let Some(ab) = ab {
                self.targets.push((
                    format!("CPU per fetch on {} at {at} within 1.2 x ab's", row.runtime),
                    cpu <= 1.2 * ab,
                    format!("{cpu:.0} µs against {ab:.0} µs, {:.2} x", cpu / ab),
                ));
            }
            self.targets.push((
                format!(
                    "memory per in-flight fetch on {} at {at} at most 12 KB",
                    row.runtime
                ),
                row.kb_per_fetch <= 12.0,
                format!("{:.1} KB", row.kb_per_fetch),
            ));
        }
        for row in &self.sleeps {
            self.targets.push((
                format!(
                    "{sleeps} gathered 1 s sleeps on {} finish within 1.05 s",
                    row.runtime
                ),
                row.total_s <= 1.05,
                format!("{:.3} s", row.total_s),
            ));
            self.targets.push((
                format!(
                    "{sleeps} gathered 1 s sleeps on {} use at most 0.15 s of CPU",
                    row.runtime
                ),
                row.cpu_ms <= 150.0,
                format!("{:.0} ms", row.cpu_ms),
            ));
            self.targets.push((
                format!("a sleeping future on {} costs under 0.5 KB", row.runtime),
                row.bytes_per_sleep < 512.0,
                format!("{:.0} bytes", row.bytes_per_sleep),
            ));
        }
    }

    /// The tables and the targets, as markdown.
    fn markdown(&self, runs: usize) -> String {
        let mut out = format!("Median of {runs} run(s) each.\n\n");
        out.push_str(&format!(
            "### The lesson: 4 documents, {LESSON_LATENCY_MS} ms latency each\n\n\
             | runtime | client | gather | concurrent s | sequential s | speedup | \
             concurrent / ideal | CPU ms | peak RSS MB | threads |\n\
             | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        ));
        for r in &self.lesson {
            out.push_str(&format!(
                "| {} | {} | {} | {:.3} | {:.3} | {:.2} | {:.2} | {:.0} | {:.1} | {:.0} |{}\n",
                r.runtime,
                r.client,
                r.gather,
                r.concurrent_s,
                r.sequential_s,
                r.speedup,
                r.concurrent_over_ideal,
                r.cpu_ms,
                r.peak_rss_mb,
                r.peak_threads,
                failed_note(r.failed_runs),
            ));
        }
        out.push_str(&format!(
            "\n### Cost model: N documents of 1 KiB at once, {SCALE_LATENCY_MS} ms latency each\n\n\
             CPU and syscalls per fetch are the client process's, all threads; KB per fetch is \
             (peak RSS at N - peak RSS at 1) / (N - 1); server CPU is the fixture server's \
             (its own process) during the run.\n\n\
             | runtime | client | N | total s | total / ideal | failed | user µs/fetch | \
             sys µs/fetch | syscalls/fetch | KB/fetch | server CPU ms | peak RSS MB | threads |\n\
             | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        ));
        for r in &self.scale {
            let syscalls = r
                .syscalls_per_fetch
                .map_or_else(|| "-".to_owned(), |n| format!("{n:.1}"));
            out.push_str(&format!(
                "| {} | {} | {} | {:.3} | {:.2} | {:.0} | {:.1} | {:.1} | {syscalls} | {:.1} | {:.0} | {:.1} | {:.0} |\n",
                r.runtime,
                r.client,
                r.count,
                r.fetch_s,
                r.over_ideal,
                r.failed_fetches,
                r.user_us_per_fetch,
                r.sys_us_per_fetch,
                r.kb_per_fetch,
                r.server_cpu_ms,
                r.peak_rss_mb,
                r.peak_threads,
            ));
        }
        let errors: Vec<&String> = self.scale.iter().flat_map(|r| &r.errors).collect();
        if !errors.is_empty() {
            out.push_str("\nErrors seen at scale:\n\n");
            for error in errors {
                out.push_str(&format!("- {error}\n"));
            }
        }
        out.push_str(
            "\n### Gathered sleeps of 1 s\n\n\
             | runtime | sleeps | total s | peak RSS MB | RSS with 1 sleep MB | bytes per sleep | CPU ms |\n\
             | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
        );
        for r in &self.sleeps {
            out.push_str(&format!(
                "| {} | {} | {:.3} | {:.1} | {:.1} | {:.0} | {:.0} |\n",
                r.runtime,
                r.sleeps,
                r.total_s,
                r.peak_rss_mb,
                r.baseline_rss_mb,
                r.bytes_per_sleep,
                r.cpu_ms
            ));
        }
        if !self.notes.is_empty() {
            out.push_str("\nNotes:\n\n");
            for note in &self.notes {
                out.push_str(&format!("- {note}\n"));
            }
        }
        out.push_str("\n### Targets\n\n");
        for (target, met, value) in &self.targets {
            let mark = if *met { "met" } else { "**MISSED**" };
            out.push_str(&format!("- {mark}: {target} ({value})\n"));
        }
        out
    }

    /// Everything, as JSON.
    fn json(&self, runs: usize) -> Value {
        let targets: Vec<Value> = self
            .targets
            .iter()
            .map(|(target, met, value)| json!({"target": target, "met": met, "value": value}))
            .collect();
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        json!({
            "measured_at_unix": seconds,
            "cores": std::thread::available_parallelism().map_or(0, usize::from),
            "runs": runs,
            "lesson": self.lesson,
            "scale": self.scale,
            "sleeps": self.sleeps,
            "notes": self.notes,
            "targets": targets,
        })
    }
}

/// A note for a row some of whose runs failed.
fn failed_note(failed: usize) -> String {
    if failed == 0 {
        String::new()
    } else {
        format!(" ({failed} run(s) failed)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_takes_the_middle_and_refuses_nothing() {
        assert_eq!(median(vec![3.0, 1.0, 2.0], "x").unwrap(), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0], "x").unwrap(), 2.5);
        let err = median(Vec::new(), "speedup").unwrap_err().to_string();
        assert_eq!(err, "no samples of speedup: a median of nothing is not 0");
    }

    #[test]
    fn a_report_with_a_field_missing_is_an_error_naming_the_binary_and_the_field() {
        let sample = Measured {
            wall_ms: 1.0,
            user_ms: 1.0,
            sys_ms: 1.0,
            max_rss_kib: 1,
            peak_threads: 1,
            code: Some(0),
            stdout: r#"{"runtime": "tokio", "client": "hyper", "count": 1}"#.into(),
            stderr: String::new(),
        };
        let err = parse_reports::<ScaleReport>("runtime-tokio", &[sample]).unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.starts_with("runtime-tokio printed no report"),
            "{text}"
        );
        assert!(text.contains("missing field `concurrency`"), "{text}");
    }

    #[test]
    fn every_runtime_crate_that_fetches_is_compared() {
        let workspace = Workspace::read().unwrap();
        let compared: Vec<&str> = workspace.runtimes.iter().map(|(_, p)| p.as_str()).collect();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for entry in std::fs::read_dir(&root).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if !name.starts_with("runtime-") {
                continue;
            }
            let manifest = std::fs::read_to_string(root.join(&name).join("Cargo.toml")).unwrap();
            let fetches = !manifest.contains("fetches = false");
            assert_eq!(compared.contains(&name.as_str()), fetches, "{name}");
        }
    }
}
