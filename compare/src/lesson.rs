//! The lesson step: every runtime and client, both gather modes side by side.

use std::path::Path;

use serde::Serialize;

use fetch_core::ClientKind;
use fetch_core::lesson::LessonReport;

use crate::measure::Measured;
use crate::runs::{Server, measure_runs, parse_reports};
use crate::stats::{failed_runs, median_in, median_of};

/// The gather modes.
pub(crate) const GATHERS: [&str; 2] = ["join", "spawn"];

/// The lesson's latency per document, the fixture's default: the ideal concurrent time.
pub(crate) const LESSON_LATENCY_MS: f64 = fetch_core::LESSON_LATENCY.as_millis() as f64;

/// One row of the lesson table.
#[derive(Debug, Serialize)]
pub(crate) struct LessonRow {
    pub(crate) runtime: String,
    pub(crate) client: &'static str,
    pub(crate) gather: &'static str,
    pub(crate) concurrent_s: f64,
    pub(crate) sequential_s: f64,
    pub(crate) speedup: f64,
    pub(crate) concurrent_over_ideal: f64,
    pub(crate) cpu_ms: f64,
    pub(crate) peak_rss_mb: f64,
    pub(crate) peak_threads: f64,
    pub(crate) failed_runs: usize,
}

/// Plays the lesson with `client` on `binary`, `runs` times in each gather mode, the two
/// modes at the same time, each in its own process: a lesson run mostly waits (under
/// 20 ms of CPU in its 3 s), so two side by side on two cores keep their times, and the
/// comparison stays within its 3 minutes. Returns a row per mode, and the first report of
/// Measures the lesson of `runtime` with every client, side by side (the lesson mostly
/// waits for the server): the rows, and the first run with hyper and join, for the
/// timeline.
pub(crate) fn measure_every_client(
    runtime: &str,
    binary: &Path,
    server: &Server,
    runs: usize,
) -> anyhow::Result<(Vec<LessonRow>, Option<LessonReport>)> {
    let measured = std::thread::scope(|scope| {
        let runs_of = ClientKind::ALL
            .map(|client| scope.spawn(move || measure(runtime, binary, client, server, runs)));
        runs_of.map(|run| run.join())
    });
    let mut rows = Vec::new();
    let mut timeline = None;
    for (client, outcome) in ClientKind::ALL.into_iter().zip(measured) {
        let outcome = outcome.map_err(|_| anyhow::anyhow!("a lesson run's thread panicked"))?;
        let (client_rows, first) = outcome?;
        rows.extend(client_rows);
        if client == ClientKind::Hyper {
            timeline = first;
        }
    }
    Ok((rows, timeline))
}

/// the `join` mode (for the timeline).
fn measure(
    runtime: &str,
    binary: &Path,
    client: ClientKind,
    server: &Server,
    runs: usize,
) -> anyhow::Result<(Vec<LessonRow>, Option<LessonReport>)> {
    let outcomes: Vec<anyhow::Result<Vec<Measured>>> = std::thread::scope(|scope| {
        let runs: Vec<_> = GATHERS
            .iter()
            .map(|gather| {
                let mut command = vec![
                    "--json".to_owned(),
                    format!("--client={}", client.name()),
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
    let mut rows = Vec::new();
    let mut first_joined = None;
    for (gather, samples) in GATHERS.into_iter().zip(outcomes) {
        let samples = samples?;
        let reports: Vec<LessonReport> = parse_reports(runtime, &samples)?;
        if gather == "join" {
            first_joined = reports.first().cloned();
        }
        rows.push(LessonRow::from_samples(
            runtime,
            client.name(),
            gather,
            &samples,
            &reports,
        )?);
    }
    Ok((rows, first_joined))
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
