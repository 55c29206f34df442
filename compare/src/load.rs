//! The load step: each runtime's `load` demo on kept-alive connections, against a server
//! in its own process on the other CPU, beside the field's own tools in the same run:
//! `wrk` (C, one thread, epoll) as the floor of the closed loop, `h2load` (nghttp2, one
//! thread) at the open loop's rate, and the seed's asyncio + aiohttp.
//!
//! The servers are nginx (one worker, a 1 KiB file, keep-alive for the whole run; skipped
//! with a note where it is not installed) and the fixture server (`--keep-alive`). Each
//! client runs on CPU 0 and the server on CPU 1 (`taskset`, where there are two), and the
//! server's CPU is reported, so that a reader can see whether it was the limit. The
//! connections the server accepted are counted from the server's own side (nginx's
//! `stub_status`, the fixture's `/stats/accepted`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

use fetch_core::load::LoadReport;

use crate::load_run::{LoadRow, LoadServer, ServerWatch, client_command, pinned};
use crate::peers::{run_aiohttp, run_h2load, run_wrk};
use crate::runs::available;
use crate::runs::{measure_runs, parse_reports};
use crate::workspace::Binaries;

/// What the step runs: which K, how many requests, which rates.
pub(crate) struct Plan {
    /// The closed loop's connection counts.
    pub(crate) connections: Vec<u64>,
    /// Requests per closed-loop run of a runtime.
    pub(crate) requests: u64,
    /// How long each open-loop run lasts, and wrk's closed loop.
    pub(crate) seconds: u64,
    /// Whether both servers and both rates run, or nginx (else the fixture) and one rate.
    pub(crate) full: bool,
}

impl Plan {
    /// The plan `--full` and `--quick` choose.
    fn chosen(full: bool, quick: bool) -> Plan {
        if full {
            Plan {
                connections: vec![1, 10, 100],
                requests: 100_000,
                seconds: 5,
                full: true,
            }
        } else if quick {
            Plan {
                connections: vec![10],
                requests: 5_000,
                seconds: 1,
                full: false,
            }
        } else {
            Plan {
                connections: vec![100],
                requests: 30_000,
                seconds: 2,
                full: false,
            }
        }
    }
}

/// Everything the step measured, and what it skipped.
#[derive(Default)]
pub(crate) struct LoadResults {
    /// The closed loop's rows, then the open loop's.
    pub(crate) rows: Vec<LoadRow>,
    /// What was skipped, and why.
    pub(crate) notes: Vec<String>,
}

/// Runs the step: every runtime and peer, closed loop at each K, then the open loop at
/// half the slowest runtime's closed-loop rate at the largest K (and, with `full`, at
/// twice that), against nginx (and the fixture server, with `full`).
pub(crate) fn measure(
    runtimes: &[(String, PathBuf)],
    fixture_binary: &Path,
    plan: &Plan,
    mut progress: impl FnMut(&str),
) -> anyhow::Result<LoadResults> {
    let mut results = LoadResults::default();
    if !pinned() {
        results
            .notes
            .push("load: one CPU or no taskset: clients and servers share the CPUs".to_owned());
    }
    let mut servers = Vec::new();
    match LoadServer::nginx()? {
        Some(nginx) => servers.push(nginx),
        None => results.notes.push(
            "load: nginx is not installed (apt-get install nginx): the fixture server instead"
                .to_owned(),
        ),
    }
    if plan.full || servers.is_empty() {
        servers.push(LoadServer::fixture(fixture_binary)?);
    }
    let wrk = available("wrk", &["-v"]) || Command::new("wrk").output().is_ok();
    let h2load = available("h2load", &["--version"]);
    let aiohttp = available("python3", &["-c", "import aiohttp"]);
    for (tool, there) in [("wrk", wrk), ("h2load (nghttp2-client)", h2load)] {
        if !there {
            results
                .notes
                .push(format!("load: {tool} is not installed: no rows of it"));
        }
    }
    if !aiohttp {
        results.notes.push(
            "load: python3 with aiohttp is not installed (pip install aiohttp): no aiohttp rows"
                .to_owned(),
        );
    }
    for server in &servers {
        let largest = plan.connections.iter().copied().max().unwrap_or(1);
        for &k in &plan.connections {
            for (runtime, binary) in runtimes {
                progress(&format!(
                    "load: {runtime}, {k} connections, {}",
                    server.name
                ));
                let row =
                    run_runtime(runtime, binary, server, k, plan.requests, None, "published")?;
                results.rows.push(row);
                progress(&format!(
                    "load: {runtime} with the study's adapter, {k} connections, {}",
                    server.name
                ));
                match run_runtime_with_study_adapter(runtime, binary, server, k, plan.requests) {
                    Ok(row) => results.rows.push(row),
                    Err(refused) => results.notes.push(format!("load: {refused:#}")),
                }
            }
            if wrk {
                progress(&format!("load: wrk, {k} connections, {}", server.name));
                results.rows.push(run_wrk(server, k, plan.seconds)?);
            }
            if h2load {
                progress(&format!("load: h2load, {k} connections, {}", server.name));
                results
                    .rows
                    .push(run_h2load(server, k, plan.requests, None)?);
            }
            if aiohttp {
                progress(&format!("load: aiohttp, {k} connections, {}", server.name));
                // aiohttp does about a tenth of a runtime's requests per second.
                let requests = (plan.requests / 10).max(1_000);
                results.rows.push(run_aiohttp(server, k, requests)?);
            }
        }
        // The open loop's rate: half of what the slowest runtime did at the largest K.
        let slowest = results
            .rows
            .iter()
            .filter(|r| r.server == server.name && r.connections == largest && r.rate.is_none())
            .filter(|r| runtimes.iter().any(|(name, _)| *name == r.client))
            .map(|r| r.per_second)
            .fold(f64::INFINITY, f64::min);
        if !slowest.is_finite() {
            continue;
        }
        let half = (slowest / 2.0 / 1000.0).floor().max(1.0) * 1000.0;
        let rates = if plan.full {
            vec![half, 2.0 * half]
        } else {
            vec![half]
        };
        for rate in rates {
            let requests = (rate as u64) * plan.seconds;
            for (runtime, binary) in runtimes {
                progress(&format!(
                    "load: {runtime} at {rate} requests/s, {}",
                    server.name
                ));
                let row = run_runtime(
                    runtime,
                    binary,
                    server,
                    largest,
                    requests,
                    Some(rate),
                    "published",
                )?;
                results.rows.push(row);
            }
            if h2load {
                progress(&format!(
                    "load: h2load at {rate} requests/s, {}",
                    server.name
                ));
                results
                    .rows
                    .push(run_h2load(server, largest, requests, Some(rate))?);
            }
        }
    }
    Ok(results)
}

/// The suffix of a row whose runtime ran with `--io-adapter study`.
pub(crate) const STUDY_ADAPTER: &str = " (study)";

/// One closed-loop run of a runtime's `load` demo with `--io-adapter study`, in a row of
/// its own (`smol (study)`).
fn run_runtime_with_study_adapter(
    runtime: &str,
    binary: &Path,
    server: &LoadServer,
    connections: u64,
    requests: u64,
) -> anyhow::Result<LoadRow> {
    let mut row = run_runtime(
        runtime,
        binary,
        server,
        connections,
        requests,
        None,
        "study",
    )?;
    row.client.push_str(STUDY_ADAPTER);
    Ok(row)
}

/// One run of a runtime's `load` demo with `--io-adapter adapter`.
fn run_runtime(
    runtime: &str,
    binary: &Path,
    server: &LoadServer,
    connections: u64,
    requests: u64,
    rate: Option<f64>,
    adapter: &str,
) -> anyhow::Result<LoadRow> {
    let mut args = vec![
        "load".to_owned(),
        "--json".to_owned(),
        format!("--connections={connections}"),
        format!("--requests={requests}"),
        format!("--io-adapter={adapter}"),
        server.url.clone(),
    ];
    if let Some(rate) = rate {
        args.push(format!("--rate={rate}"));
    }
    let (program, args) = client_command(&binary.display().to_string(), &args);
    let watch = ServerWatch::start(server)?;
    let samples = measure_runs(&program, &args, 1)?;
    let (server_cpu_share, accepted) = watch.stop()?;
    let reports: Vec<LoadReport> = parse_reports(runtime, &samples)?;
    let report = reports.first().context("no load report")?;
    let latency = &report.latency_us;
    Ok(LoadRow {
        client: runtime.to_owned(),
        server: server.name,
        connections,
        rate,
        requests: report.requests,
        failed: report.failed,
        per_second: report.requests_per_second,
        user_us: report.user_cpu_per_request_us,
        sys_us: report.system_cpu_per_request_us,
        polls_per_request: Some(report.polls_per_request),
        p50_us: Some(latency.p50),
        p90_us: Some(latency.p90),
        p99_us: Some(latency.p99),
        p999_us: Some(latency.p999),
        max_us: Some(latency.max),
        sent_late_p50_us: report.sent_late_us.as_ref().map(|late| late.p50),
        sent_late_p99_us: report.sent_late_us.as_ref().map(|late| late.p99),
        from_sent_p99_us: report.from_sent_us.as_ref().map(|from_sent| from_sent.p99),
        opened: Some(report.connections_opened),
        accepted: Some(accepted),
        server_cpu_share,
    })
}

/// The load step with the plan `--full` and `--quick` choose, on the binaries, with a
/// progress line per run.
pub(crate) fn run_step(
    full: bool,
    quick: bool,
    binaries: &Binaries,
) -> anyhow::Result<LoadResults> {
    let start = std::time::Instant::now();
    let fixture = binaries.bin.join("fixture-server");
    measure(
        &binaries.runtimes,
        &fixture,
        &Plan::chosen(full, quick),
        |what| {
            eprintln!("    [{} s] {what}", start.elapsed().as_secs());
        },
    )
}
