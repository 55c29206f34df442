//! Memory per in-flight fetch: each runtime's scale mode against its bare hyper
//! (`examples/bare_hyper.rs`: the same fetches with nothing but the runtime, its socket
//! adapter and hyper), from the same run, with every fetch in flight at once.
//!
//! The cost model's server answers after 200 ms, and the study opens 256 connections at a
//! time: at 10,000 only about 6,000 are open at once there, so its KB per fetch is per N,
//! not per fetch in flight. This step's server answers after 3 s, long enough for all N to
//! be open at once (the server counts them: the table shows it), so that the difference of
//! the two rows is what the study itself keeps per fetch. A third run, beside them, takes
//! the study's socket adapter (`--io-adapter study`), and the study's runs say how many
//! times each fetch was polled.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::measure::Measured;
use crate::runs::{Server, measure_runs};
use crate::stats::{failed_runs, median, median_of};
use crate::workspace::{Binaries, bare_hyper_example};

/// How long the memory step's server waits before each answer: long enough for N = 10,000
/// connections, opened 256 at a time, to be all open at once, with the three runs of a
/// runtime side by side (at 2 s, the study's runs had 7,938 to 9,306 open at once).
pub(crate) const MEMORY_LATENCY_MS: u64 = 3_000;

/// One runtime at one N: the study's scale mode and its bare hyper.
#[derive(Debug, Default, Serialize)]
pub(crate) struct MemoryRow {
    pub(crate) runtime: String,
    pub(crate) count: usize,
    /// The bare-hyper example's peak RSS growth per fetch, in KB.
    pub(crate) bare_kb_per_fetch: f64,
    /// The study's, in KB.
    pub(crate) study_kb_per_fetch: f64,
    /// The study's with `--io-adapter study`, in KB.
    pub(crate) adapter_kb_per_fetch: f64,
    /// The most connections open at once during the bare runs, the study's and the study
    /// adapter's.
    pub(crate) bare_peak_open: Option<u64>,
    pub(crate) study_peak_open: Option<u64>,
    pub(crate) adapter_peak_open: Option<u64>,
    /// How many times the study polled each fetch, with the published adapter and with
    /// the study's.
    pub(crate) polls_per_fetch: Option<f64>,
    pub(crate) adapter_polls_per_fetch: Option<f64>,
    /// Runs that exited with an error, of either.
    pub(crate) failed_runs: usize,
}

impl MemoryRow {
    /// What the study keeps per in-flight fetch beyond what the runtime and hyper do.
    pub(crate) fn own_kb_per_fetch(&self) -> f64 {
        self.study_kb_per_fetch - self.bare_kb_per_fetch
    }
}

/// Measures every runtime in `runtimes` (name and release binary, in `bin`) at `count`, the
/// median of `runs` runs, against a fixture server of its own.
fn measure(
    runtimes: &[(String, PathBuf)],
    bin: &Path,
    count: usize,
    runs: usize,
    mut progress: impl FnMut(&str),
) -> anyhow::Result<Vec<MemoryRow>> {
    // Bare hyper, the study and the study with its own adapter run side by side, each
    // against a server of its own, which counts its own connections; the one-fetch
    // baselines go to a server that answers at once (the memory of one fetch does not
    // depend on how long it waits).
    let fixture = bin.join("fixture-server");
    let bare_server = Server::start(&fixture, MEMORY_LATENCY_MS)?;
    let study_server = Server::start(&fixture, MEMORY_LATENCY_MS)?;
    let adapter_server = Server::start(&fixture, MEMORY_LATENCY_MS)?;
    let at_once = Server::start(&fixture, 0)?;
    let mut rows = Vec::new();
    for (runtime, binary) in runtimes {
        progress(runtime);
        let package = binary.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let bare = bin.join("examples").join(bare_hyper_example(package));
        let study_args = |adapter: &'static str| {
            move |n: usize, base: &str| {
                let (n, adapter) = (n.to_string(), format!("--io-adapter={adapter}"));
                ["scale", "--json", "--count", &n, "--base", base, &adapter]
                    .map(String::from)
                    .to_vec()
            }
        };
        let bare_args = |n: usize, base: &str| vec![n.to_string(), base.to_owned()];
        let (bare, study, adapter) = std::thread::scope(|scope| {
            let bare =
                scope.spawn(|| per_fetch([&at_once, &bare_server], &bare, bare_args, count, runs));
            let adapter = scope.spawn(|| {
                let args = study_args("study");
                per_fetch([&at_once, &adapter_server], binary, args, count, runs)
            });
            let args = study_args("published");
            let study = per_fetch([&at_once, &study_server], binary, args, count, runs);
            (bare.join(), study, adapter.join())
        });
        let panicked = |_| anyhow::anyhow!("a memory run's thread panicked");
        let (bare, study, adapter) = (
            bare.map_err(panicked)??,
            study?,
            adapter.map_err(panicked)??,
        );
        rows.push(MemoryRow {
            runtime: runtime.clone(),
            count,
            bare_kb_per_fetch: bare.kb,
            study_kb_per_fetch: study.kb,
            adapter_kb_per_fetch: adapter.kb,
            bare_peak_open: bare.peak_open,
            study_peak_open: study.peak_open,
            adapter_peak_open: adapter.peak_open,
            polls_per_fetch: study.polls,
            adapter_polls_per_fetch: adapter.polls,
            failed_runs: bare.failed + study.failed + adapter.failed,
        });
    }
    Ok(rows)
}

/// The memory step: 10,000 in flight (1,000 with `quick`), three runs each with `full`.
pub(crate) fn run_step(
    full: bool,
    quick: bool,
    binaries: &Binaries,
    progress: impl FnMut(&str),
) -> anyhow::Result<Vec<MemoryRow>> {
    let count = if quick { 1_000 } else { 10_000 };
    let runs = if full { 3 } else { 1 };
    measure(&binaries.runtimes, &binaries.bin, count, runs, progress)
}

/// What [`per_fetch`] measured.
struct PerFetch {
    /// (peak RSS at N - peak RSS at 1) / (N - 1), in KB.
    kb: f64,
    /// The most connections the server had open at once.
    peak_open: Option<u64>,
    /// The polls per fetch the run reported (`polls_per_fetch`), if it reports them.
    polls: Option<f64>,
    /// Runs that failed.
    failed: usize,
}

/// (peak RSS at `count` - peak RSS at 1) / (`count` - 1) in KB, the median of `runs`
/// runs, the one fetch against the first of `[one, many]` servers and the `count` against
/// the second, with the other figures of [`PerFetch`].
fn per_fetch(
    [one_server, many_server]: [&Server; 2],
    program: &Path,
    args: impl Fn(usize, &str) -> Vec<String>,
    count: usize,
    runs: usize,
) -> anyhow::Result<PerFetch> {
    let one: Vec<Measured> = measure_runs(program, &args(1, &one_server.base), runs)?;
    let _ = many_server.peak_open();
    let many = measure_runs(program, &args(count, &many_server.base), runs)?;
    let peak_open = many_server.peak_open().ok();
    let rss = |samples: &[Measured], what: &str| median_of(samples, what, |s| s.max_rss_kib as f64);
    let growth_kib = rss(&many, "peak RSS")? - rss(&one, "peak RSS of one fetch")?;
    // Bare hyper's example prints no report: no polls.
    let polls: Option<Vec<f64>> = many
        .iter()
        .map(|s| {
            let report: serde_json::Value = serde_json::from_str(&s.stdout).ok()?;
            report["polls_per_fetch"].as_f64()
        })
        .collect();
    let polls = polls.and_then(|polls| median(polls, "polls per fetch").ok());
    Ok(PerFetch {
        kb: growth_kib.max(0.0) * 1.024 / (count as f64 - 1.0).max(1.0),
        peak_open,
        polls,
        failed: failed_runs(&one) + failed_runs(&many),
    })
}
