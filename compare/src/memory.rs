//! Memory per in-flight fetch: each runtime's scale mode against its bare hyper
//! (`examples/bare_hyper.rs`: the same fetches with nothing but the runtime, its socket
//! adapter and hyper), from the same run, with every fetch in flight at once.
//!
//! The cost model's server answers after 200 ms, and the study opens 256 connections at a
//! time: at 10,000 only about 6,000 are open at once there, so its KB per fetch is per N,
//! not per fetch in flight. This step's server answers after 2 s, long enough for all N to
//! be open at once (the server counts them: the table shows it), so that the difference of
//! the two rows is what the study itself keeps per fetch.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::measure::Measured;
use crate::runs::{Server, measure_runs};
use crate::stats::{failed_runs, median_of};
use crate::workspace::{Binaries, bare_hyper_example};

/// How long the memory step's server waits before each answer: long enough for N = 10,000
/// connections, opened 256 at a time, to be all open at once.
pub(crate) const MEMORY_LATENCY_MS: u64 = 2_000;

/// One runtime at one N: the study's scale mode and its bare hyper.
#[derive(Debug, Default, Serialize)]
pub(crate) struct MemoryRow {
    pub(crate) runtime: String,
    pub(crate) count: usize,
    /// The bare-hyper example's peak RSS growth per fetch, in KB.
    pub(crate) bare_kb_per_fetch: f64,
    /// The study's, in KB.
    pub(crate) study_kb_per_fetch: f64,
    /// The most connections open at once during the bare runs and the study's.
    pub(crate) bare_peak_open: Option<u64>,
    pub(crate) study_peak_open: Option<u64>,
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
    // Bare hyper and the study run side by side, each against a server of its own, which
    // counts its own connections; the one-fetch baselines go to a server that answers at
    // once (the memory of one fetch does not depend on how long it waits).
    let fixture = bin.join("fixture-server");
    let bare_server = Server::start(&fixture, MEMORY_LATENCY_MS)?;
    let study_server = Server::start(&fixture, MEMORY_LATENCY_MS)?;
    let at_once = Server::start(&fixture, 0)?;
    let mut rows = Vec::new();
    for (runtime, binary) in runtimes {
        progress(runtime);
        let package = binary.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let bare = bin.join("examples").join(bare_hyper_example(package));
        let study_args = |n: usize, base: &str| {
            ["scale", "--json", "--count", &n.to_string(), "--base", base]
                .map(String::from)
                .to_vec()
        };
        let bare_args = |n: usize, base: &str| vec![n.to_string(), base.to_owned()];
        let (bare, study) = std::thread::scope(|scope| {
            let bare = scope
                .spawn(|| kb_per_fetch([&at_once, &bare_server], &bare, bare_args, count, runs));
            let study = kb_per_fetch([&at_once, &study_server], binary, study_args, count, runs);
            (bare.join(), study)
        });
        let bare = bare.map_err(|_| anyhow::anyhow!("the bare-hyper run's thread panicked"))?;
        let ((bare_kb, bare_open, bare_failed), (study_kb, study_open, study_failed)) =
            (bare?, study?);
        rows.push(MemoryRow {
            runtime: runtime.clone(),
            count,
            bare_kb_per_fetch: bare_kb,
            study_kb_per_fetch: study_kb,
            bare_peak_open: bare_open,
            study_peak_open: study_open,
            failed_runs: bare_failed + study_failed,
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

/// (peak RSS at `count` - peak RSS at 1) / (`count` - 1) in KB, the median of `runs`
/// runs, the one fetch against the first of `[one, many]` servers and the `count` against
/// the second; the most connections that second server had open at once; and the runs that
/// failed.
fn kb_per_fetch(
    [one_server, many_server]: [&Server; 2],
    program: &Path,
    args: impl Fn(usize, &str) -> Vec<String>,
    count: usize,
    runs: usize,
) -> anyhow::Result<(f64, Option<u64>, usize)> {
    let one: Vec<Measured> = measure_runs(program, &args(1, &one_server.base), runs)?;
    let _ = many_server.peak_open();
    let many = measure_runs(program, &args(count, &many_server.base), runs)?;
    let peak_open = many_server.peak_open().ok();
    let rss = |samples: &[Measured], what: &str| median_of(samples, what, |s| s.max_rss_kib as f64);
    let growth_kib = rss(&many, "peak RSS")? - rss(&one, "peak RSS of one fetch")?;
    let kb = growth_kib.max(0.0) * 1.024 / (count as f64 - 1.0).max(1.0);
    Ok((kb, peak_open, failed_runs(&one) + failed_runs(&many)))
}
