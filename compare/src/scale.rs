//! The cost model: N small documents fetched at once by each runtime binary and by three
//! baselines, each in its own process, against one fixture server in a third process.
//!
//! Each runtime's row is followed by its bare hyper's (`examples/bare_hyper.rs`: the same
//! fetches with nothing but the runtime, its socket adapter and hyper), so that the study's
//! own bytes and microseconds per fetch are the difference of two rows of the same run.
//!
//! The baselines are `threads-baseline` (a thread per request, ureq), `ab` (apache2-utils,
//! a lean C client) and the seed's own stack (asyncio + aiohttp, one session, `gather`);
//! `ab` and aiohttp are skipped, with a note, where they are not installed. Each row says
//! the wall time, the CPU per fetch (user and system apart: most of it is the kernel's),
//! the syscalls per fetch (`perf stat`, in a second run, when perf can count them), the
//! memory per fetch as a slope, and the fixture server's own CPU.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use serde::Serialize;

use fetch_core::scale::ScaleReport;

use crate::measure::Measured;
use crate::runs::{Server, available, measure_runs, parse_reports};
use crate::stats::{median_in, median_of};
use crate::workspace::bare_hyper_example;

/// The client column of a bare-hyper row.
pub(crate) const BARE_HYPER: &str = "hyper (bare)";

/// The client column of a runtime's row with the study's socket adapter (`--full`).
pub(crate) const STUDY_ADAPTER: &str = "hyper (study adapter)";

/// The latency of every scale fetch: the ideal time of N fetches at once.
pub(crate) const SCALE_LATENCY_MS: f64 = 200.0;

/// The asyncio + aiohttp client, as the seed would write it: one session, one `gather`.
/// It prints a JSON line with the fetches that brought 1,024 bytes and the time taken.
const AIOHTTP: &str = include_str!("../scripts/aiohttp_gather.py");

/// Who fetches in a row of the cost model.
#[derive(Debug, Clone)]
pub(crate) enum Fetcher {
    /// A runtime binary's `scale` mode, with hyper.
    Runtime {
        /// The runtime's name.
        name: String,
        /// Its release binary.
        binary: PathBuf,
        /// hyper's socket adapter (`--io-adapter`): `published`, or `study` (with `--full`).
        adapter: &'static str,
    },
    /// The runtime's `bare-hyper-*` example: the same fetches with nothing but the runtime,
    /// its socket adapter and hyper, the floor under the study's row.
    BareHyper {
        /// The runtime's name.
        name: String,
        /// The example's release binary.
        binary: PathBuf,
    },
    /// `threads-baseline`: a thread per request.
    Threads(PathBuf),
    /// apache2-utils' `ab`.
    Ab,
    /// `python3` with aiohttp.
    Aiohttp,
}

/// What one run of a fetcher got.
struct Outcome {
    succeeded: f64,
    fetch_ms: f64,
    errors: Vec<String>,
}

impl Fetcher {
    /// The fetchers of the cost model: every runtime, each followed by its bare hyper (and,
    /// with `full`, by itself with the study's socket adapter), the threads baseline, and
    /// `ab` and aiohttp where they are installed (a note says which were skipped).
    pub(crate) fn all(
        runtimes: &[(String, PathBuf)],
        bin: &Path,
        full: bool,
        notes: &mut Vec<String>,
    ) -> Vec<Fetcher> {
        let mut fetchers: Vec<Fetcher> = runtimes
            .iter()
            .flat_map(|(name, binary)| {
                let package = binary.file_name().and_then(|n| n.to_str()).unwrap_or("");
                let bare = bin.join("examples").join(bare_hyper_example(package));
                let runtime = |adapter| Fetcher::Runtime {
                    name: name.clone(),
                    binary: binary.clone(),
                    adapter,
                };
                let mut these = vec![
                    runtime("published"),
                    Fetcher::BareHyper {
                        name: name.clone(),
                        binary: bare,
                    },
                ];
                if full {
                    these.push(runtime("study"));
                }
                these
            })
            .collect();
        fetchers.push(Fetcher::Threads(bin.join("threads-baseline")));
        if available("ab", &["-V"]) {
            fetchers.push(Fetcher::Ab);
        } else {
            notes.push("`ab` is not installed (apt-get install apache2-utils): no ab rows".into());
        }
        if available("python3", &["-c", "import aiohttp"]) {
            fetchers.push(Fetcher::Aiohttp);
        } else {
            notes.push(
                "python3 with aiohttp is not installed (pip install aiohttp): no aiohttp rows"
                    .into(),
            );
        }
        fetchers
    }

    /// The row's runtime and client columns.
    pub(crate) fn label(&self) -> (String, &'static str) {
        match self {
            Fetcher::Runtime {
                name,
                adapter: "study",
                ..
            } => (name.clone(), STUDY_ADAPTER),
            Fetcher::Runtime { name, .. } => (name.clone(), "hyper"),
            Fetcher::BareHyper { name, .. } => (name.clone(), BARE_HYPER),
            Fetcher::Threads(_) => ("threads".into(), "ureq"),
            Fetcher::Ab => ("ab (C)".into(), "ab"),
            Fetcher::Aiohttp => ("asyncio".into(), "aiohttp"),
        }
    }

    /// The program and arguments that fetch `count` documents from `base`.
    fn command(&self, count: usize, base: &str) -> (PathBuf, Vec<String>) {
        let n = count.to_string();
        match self {
            Fetcher::Runtime {
                binary, adapter, ..
            } => (
                binary.clone(),
                ["scale", "--json", "--count", &n, "--base", base]
                    .map(String::from)
                    .into_iter()
                    .chain([format!("--io-adapter={adapter}")])
                    .collect(),
            ),
            Fetcher::Threads(binary) => (
                binary.clone(),
                ["--json", "--count", &n, "--base", base]
                    .map(String::from)
                    .to_vec(),
            ),
            // One document for all: ab fetches a single URL.
            Fetcher::Ab => (
                PathBuf::from("ab"),
                [
                    "-q",
                    "-r",
                    "-s",
                    "60",
                    "-n",
                    &n,
                    "-c",
                    &n,
                    &format!("{base}/doc/1"),
                ]
                .map(String::from)
                .to_vec(),
            ),
            Fetcher::BareHyper { binary, .. } => (binary.clone(), vec![n, base.to_owned()]),
            Fetcher::Aiohttp => (
                PathBuf::from("python3"),
                ["-c", AIOHTTP, &n, base].map(String::from).to_vec(),
            ),
        }
    }

    /// Reads what one run printed.
    fn outcomes(&self, samples: &[Measured]) -> anyhow::Result<Vec<Outcome>> {
        match self {
            Fetcher::Runtime { binary, .. } | Fetcher::Threads(binary) => {
                let name = binary.file_name().and_then(|n| n.to_str()).unwrap_or("?");
                let reports: Vec<ScaleReport> = parse_reports(name, samples)?;
                Ok(reports
                    .into_iter()
                    .map(|r| Outcome {
                        succeeded: r.succeeded as f64,
                        fetch_ms: r.fetch_ms,
                        errors: r.errors.into_keys().collect(),
                    })
                    .collect())
            }
            Fetcher::Ab => samples.iter().map(ab_outcome).collect(),
            Fetcher::BareHyper { binary, .. } => {
                let name = binary.file_name().and_then(|n| n.to_str()).unwrap_or("?");
                samples.iter().map(|s| line_outcome(name, s)).collect()
            }
            Fetcher::Aiohttp => samples
                .iter()
                .map(|s| line_outcome("the aiohttp client", s))
                .collect(),
        }
    }
}

/// Reads the JSON line that the aiohttp client and the bare-hyper examples print:
/// `succeeded`, `fetch_ms` and `errors`.
fn line_outcome(who: &str, sample: &Measured) -> anyhow::Result<Outcome> {
    let line: serde_json::Value = serde_json::from_str(sample.stdout.trim())
        .with_context(|| format!("{who} printed no result: {}", sample.stderr.trim()))?;
    let number = |field: &str| {
        line[field]
            .as_f64()
            .with_context(|| format!("{who}'s result has no {field}"))
    };
    let errors = line["errors"].as_array().cloned().unwrap_or_default();
    Ok(Outcome {
        succeeded: number("succeeded")?,
        fetch_ms: number("fetch_ms")?,
        errors: errors
            .iter()
            .filter_map(|e| e.as_str().map(String::from))
            .collect(),
    })
}

/// Reads `ab`'s summary: complete, failed and non-2xx requests, and the time taken.
fn ab_outcome(sample: &Measured) -> anyhow::Result<Outcome> {
    let field = |name: &str| -> Option<f64> {
        let line = sample.stdout.lines().find(|l| l.starts_with(name))?;
        line[name.len()..].split_whitespace().next()?.parse().ok()
    };
    let complete = field("Complete requests:")
        .with_context(|| format!("ab printed no summary: {}", sample.stderr.trim()))?;
    let failed =
        field("Failed requests:").unwrap_or(0.0) + field("Non-2xx responses:").unwrap_or(0.0);
    let seconds = field("Time taken for tests:").context("ab printed no time taken")?;
    let errors = if failed > 0.0 {
        vec![format!("ab: {failed} failed or non-2xx requests")]
    } else {
        Vec::new()
    };
    Ok(Outcome {
        succeeded: complete - failed,
        fetch_ms: seconds * 1000.0,
        errors,
    })
}

/// One row of the cost model.
#[derive(Debug, Default, Serialize)]
pub(crate) struct ScaleRow {
    pub(crate) runtime: String,
    pub(crate) client: &'static str,
    pub(crate) count: usize,
    pub(crate) fetch_s: f64,
    pub(crate) over_ideal: f64,
    pub(crate) failed_fetches: f64,
    pub(crate) user_us_per_fetch: f64,
    pub(crate) sys_us_per_fetch: f64,
    pub(crate) syscalls_per_fetch: Option<f64>,
    pub(crate) kb_per_fetch: f64,
    /// The most connections the fixture server had open at once during the runs.
    pub(crate) peak_open: Option<u64>,
    pub(crate) server_cpu_ms: f64,
    pub(crate) peak_rss_mb: f64,
    pub(crate) peak_threads: f64,
    pub(crate) errors: Vec<String>,
}

/// The memory baseline of `fetcher`: its peak RSS with one fetch, in KiB, from one run. It
/// does not depend on N, so one run serves every row of the fetcher.
pub(crate) fn baseline_kib(fetcher: &Fetcher, server: &Server) -> anyhow::Result<f64> {
    let (program_1, args_1) = fetcher.command(1, &server.base);
    let one = measure_runs(&program_1, &args_1, 1)?;
    median_of(&one, "peak RSS of one fetch", |s| s.max_rss_kib as f64)
}

/// Measures one row: `runs` runs of `fetcher` at `count`, and one under `perf stat` for the
/// syscalls when `count_syscalls` is set; KB per fetch is counted from `baseline_kib`
/// ([`baseline_kib`]).
pub(crate) fn measure_row(
    fetcher: &Fetcher,
    count: usize,
    server: &Server,
    runs: usize,
    count_syscalls: bool,
    baseline_kib: f64,
) -> anyhow::Result<ScaleRow> {
    let (program, args) = fetcher.command(count, &server.base);
    let server_before = server.cpu_ms();
    let _ = server.peak_open();
    let samples = measure_runs(&program, &args, runs)?;
    let peak_open = server.peak_open().ok();
    let server_cpu_ms = (server.cpu_ms() - server_before) / runs as f64;
    let outcomes = fetcher.outcomes(&samples)?;
    let n = count as f64;
    let rss_kib = median_of(&samples, "peak RSS", |s| s.max_rss_kib as f64)?;
    let fetch_ms = median_in(&outcomes, "fetch time", |o| o.fetch_ms)?;
    let mut errors: Vec<String> = outcomes.iter().flat_map(|o| o.errors.clone()).collect();
    errors.sort();
    errors.dedup();
    let (runtime, client) = fetcher.label();
    Ok(ScaleRow {
        runtime,
        client,
        count,
        fetch_s: fetch_ms / 1000.0,
        over_ideal: fetch_ms / SCALE_LATENCY_MS,
        failed_fetches: n - median_in(&outcomes, "successes", |o| o.succeeded)?,
        user_us_per_fetch: median_of(&samples, "user CPU", |s| s.user_ms)? * 1000.0 / n,
        sys_us_per_fetch: median_of(&samples, "system CPU", |s| s.sys_ms)? * 1000.0 / n,
        syscalls_per_fetch: if count_syscalls {
            syscalls(&program, &args).map(|calls| calls / n)
        } else {
            None
        },
        kb_per_fetch: (rss_kib - baseline_kib).max(0.0) * 1.024 / (n - 1.0).max(1.0),
        peak_open,
        server_cpu_ms,
        peak_rss_mb: rss_kib / 1024.0,
        peak_threads: median_of(&samples, "threads", |s| f64::from(s.peak_threads))?,
        errors,
    })
}

/// How many system calls one run of `program` made, all threads, from `perf stat`; `None`
/// when perf is missing or cannot count (the table then shows a dash).
fn syscalls(program: &Path, args: &[String]) -> Option<f64> {
    let output = tempfile_path("perf-stat");
    let status = Command::new("perf")
        .args(["stat", "-x", ",", "-e", "raw_syscalls:sys_enter", "-o"])
        .arg(&output)
        .arg("--")
        .arg(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    let text = std::fs::read_to_string(&output).ok();
    let _ = std::fs::remove_file(&output);
    if !status.success() {
        return None;
    }
    let line = text?
        .lines()
        .find(|line| line.contains("raw_syscalls:sys_enter"))?
        .to_owned();
    line.split(',').next()?.trim().parse().ok()
}

/// A path for a scratch file of this process.
fn tempfile_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("compare-{}-{name}", std::process::id()))
}

/// Checks that `ab` would run: `-c` may not exceed 20,000.
pub(crate) fn check_counts(counts: &[usize]) -> anyhow::Result<()> {
    if let Some(count) = counts.iter().find(|&&c| c > 20_000) {
        bail!(
            "{count} fetches at once is more than ab's limit of 20000 and the open-files limit here"
        );
    }
    Ok(())
}

/// The kernel's range of ephemeral ports, as a note for the cost model's reader.
///
/// Every client of the cost model connects from 127.0.0.1 to one address and port, so each
/// connection takes a port of this range. Linux's `connect` tries the ports of one parity
/// first (`__inet_hash_connect`, net/ipv4/inet_hashtables.c): once more connections are
/// open than half the range holds, each new one searches that filled half before it finds
/// a port, and the system CPU per fetch climbs for every client alike
/// (docs/BENCHMARKS.md, "Nothing lost at 19,000 at once").
pub(crate) fn ephemeral_ports_note() -> String {
    const PATH: &str = "/proc/sys/net/ipv4/ip_local_port_range";
    let range = std::fs::read_to_string(PATH).ok().and_then(|text| {
        let mut bounds = text.split_whitespace().map(str::parse::<u32>);
        match (bounds.next(), bounds.next()) {
            (Some(Ok(low)), Some(Ok(high))) if low <= high => Some((low, high)),
            _ => None,
        }
    });
    match range {
        Some((low, high)) => format!(
            "ephemeral ports {low} to {high} (net.ipv4.ip_local_port_range): {} ports of one \
             parity, which connect() tries first; past that many connections at once, every \
             connect searches them all",
            (high - low).div_ceil(2)
        ),
        None => format!("ephemeral ports: {PATH} could not be read"),
    }
}
