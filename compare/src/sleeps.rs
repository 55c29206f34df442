//! The sleeps step: N gathered 1 s sleeps on every runtime, in both gather modes, against
//! one sleep for the memory baseline.

use std::path::Path;

use serde::Serialize;

use fetch_core::scale::ScaleReport;

use crate::lesson::GATHERS;
use crate::measure::Measured;
use crate::runs::{measure_runs, parse_reports};
use crate::stats::{median_in, median_of};

/// One row of the sleeps table.
#[derive(Debug, Default, Serialize)]
pub(crate) struct SleepRow {
    pub(crate) runtime: String,
    pub(crate) gather: &'static str,
    pub(crate) sleeps: usize,
    pub(crate) total_s: f64,
    pub(crate) peak_rss_mb: f64,
    pub(crate) baseline_rss_mb: f64,
    pub(crate) bytes_per_sleep: f64,
    pub(crate) cpu_ms: f64,
}

/// The arguments of a scale run of `sleeps` gathered sleeps and no fetch.
fn sleep_args(sleeps: usize, gather: &str) -> Vec<String> {
    vec![
        "scale".to_owned(),
        "--json".to_owned(),
        format!("--sleeps={sleeps}"),
        format!("--gather={gather}"),
    ]
}

/// Gathers `sleeps` sleeps on `binary` in each gather mode, `runs` times, and one sleep for
/// the memory baseline: a row per mode.
pub(crate) fn measure(
    runtime: &str,
    binary: &Path,
    sleeps: usize,
    runs: usize,
) -> anyhow::Result<Vec<SleepRow>> {
    let one = measure_runs(binary, &sleep_args(1, "join"), runs)?;
    let baseline = median_of(&one, "peak RSS with one sleep", |s| s.max_rss_kib as f64)?;
    GATHERS
        .into_iter()
        .map(|gather| {
            let many = measure_runs(binary, &sleep_args(sleeps, gather), runs)?;
            let reports = parse_reports(runtime, &many)?;
            SleepRow::from_samples(runtime, gather, sleeps, &many, baseline, &reports)
        })
        .collect()
}

impl SleepRow {
    fn from_samples(
        runtime: &str,
        gather: &'static str,
        sleeps: usize,
        many: &[Measured],
        baseline_kib: f64,
        reports: &[ScaleReport],
    ) -> anyhow::Result<SleepRow> {
        let total_ms = median_in(reports, "sleep time", |r| r.sleep_ms)?;
        let rss = median_of(many, "peak RSS", |s| s.max_rss_kib as f64)?;
        Ok(SleepRow {
            runtime: runtime.to_owned(),
            gather,
            sleeps,
            total_s: total_ms / 1000.0,
            peak_rss_mb: rss / 1024.0,
            baseline_rss_mb: baseline_kib / 1024.0,
            bytes_per_sleep: (rss - baseline_kib) * 1024.0 / sleeps as f64,
            cpu_ms: median_of(many, "CPU time", |s| s.user_ms + s.sys_ms)?,
        })
    }
}
