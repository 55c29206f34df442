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

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Serialize;

use fetch_core::load::LoadReport;

use crate::runs::{get, measure_runs, parse_reports};
use crate::tables::Comparison;
use crate::workspace::Binaries;

/// The closed-loop client of the seed's stack: one `ClientSession`, a connector limited to
/// K connections, N requests shared by K workers, each body read whole. It prints one JSON
/// line: requests, errors, seconds, and its own user and system CPU (without the
/// interpreter's start).
const AIOHTTP_LOAD: &str = r#"
import asyncio, json, resource, sys, time
import aiohttp

async def main(url, k, n):
    remaining, done, failed = n, 0, 0
    async def worker(session):
        nonlocal remaining, done, failed
        while remaining > 0:
            remaining -= 1
            try:
                async with session.get(url) as response:
                    body = await response.read()
                    if response.status != 200 or len(body) != 1024:
                        failed += 1
            except Exception:
                failed += 1
            done += 1
    connector = aiohttp.TCPConnector(limit=k, limit_per_host=k)
    async with aiohttp.ClientSession(connector=connector) as session:
        before = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(k)))
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"requests": done, "failed": failed, "seconds": seconds,
                      "user_s": after.ru_utime - before.ru_utime,
                      "sys_s": after.ru_stime - before.ru_stime}))

asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
"#;

/// wrk's `done` hook: one JSON line with the requests, errors and latency percentiles
/// (wrk 4.1's `percentile(100)` gives 0: the maximum is `latency.max`).
const WRK_DONE: &str = r#"
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    'JSON {"requests":%d,"duration_us":%d,"errors":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}\n',
    summary.requests, summary.duration, errors, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max))
end
"#;

/// A server the load step runs against, in its own process, killed on drop.
pub(crate) struct LoadServer {
    /// `nginx` or `fixture`.
    pub(crate) name: &'static str,
    child: Child,
    /// The 1 KiB document's URL.
    pub(crate) url: String,
    /// Where the server says how many connections it accepted.
    accepted: (u16, &'static str),
    /// nginx's folder, removed on drop.
    folder: Option<PathBuf>,
}

impl LoadServer {
    /// nginx with one worker (`master_process off`: one process, killed whole), on a free
    /// port, serving a 1 KiB file at `/1k` with keep-alive for the whole run and
    /// `stub_status` at `/status`, from a configuration written to a temporary folder;
    /// `None` where nginx is not installed.
    pub(crate) fn nginx() -> anyhow::Result<Option<LoadServer>> {
        if !runs("nginx", &["-v"]) {
            return Ok(None);
        }
        let folder = std::env::temp_dir().join(format!("compare-nginx-{}", std::process::id()));
        std::fs::create_dir_all(folder.join("www"))
            .with_context(|| format!("cannot create {}", folder.display()))?;
        std::fs::write(folder.join("www/1k"), [b'a'; 1024])?;
        let port = free_port()?;
        let config = format!(
            "worker_processes 1;\ndaemon off;\nmaster_process off;\npid nginx.pid;\n\
             error_log stderr warn;\nevents {{ worker_connections 4096; use epoll; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path body;\n  \
             proxy_temp_path proxy;\n  fastcgi_temp_path fastcgi;\n  uwsgi_temp_path uwsgi;\n  \
             scgi_temp_path scgi;\n  default_type application/octet-stream;\n  \
             keepalive_requests 100000000;\n  keepalive_timeout 3600s;\n  keepalive_time 24h;\n  \
             server {{\n    listen 127.0.0.1:{port};\n    root www;\n    location = /1k {{ }}\n    \
             location = /status {{ stub_status; }}\n  }}\n}}\n"
        );
        std::fs::write(folder.join("nginx.conf"), config)?;
        let mut prefix = folder.display().to_string();
        prefix.push('/');
        let config = folder.join("nginx.conf");
        let config = config.display().to_string();
        let child = on_cpu(1, "nginx", &["-c", &config, "-p", &prefix])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start nginx")?;
        let server = LoadServer {
            name: "nginx",
            child,
            url: format!("http://127.0.0.1:{port}/1k"),
            accepted: (port, "/status"),
            folder: Some(folder),
        };
        server.wait_ready()?;
        Ok(Some(server))
    }

    /// The fixture server, keeping connections alive, answering at once.
    pub(crate) fn fixture(binary: &Path) -> anyhow::Result<LoadServer> {
        let port = free_port()?;
        let binary = binary.display().to_string();
        let child = on_cpu(1, &binary, &["--keep-alive", "--latency-ms=0"])
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start the fixture server")?;
        let server = LoadServer {
            name: "fixture",
            child,
            url: format!("http://127.0.0.1:{port}/doc/1"),
            accepted: (port, "/stats/accepted"),
            folder: None,
        };
        server.wait_ready()?;
        Ok(server)
    }

    /// Waits, at most 5 s, for the server to answer.
    fn wait_ready(&self) -> anyhow::Result<()> {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if self.accepted().is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        bail!("{} did not answer within 5 s", self.name)
    }

    /// How many connections the server has accepted so far, as it says, this question's
    /// own connection included.
    pub(crate) fn accepted(&self) -> anyhow::Result<u64> {
        let (port, path) = self.accepted;
        let body = get("127.0.0.1", port, path)?;
        accepted_in(&body).with_context(|| format!("no count of connections in {body:?}"))
    }

    /// The CPU time (user and system) the server has used so far, in milliseconds.
    pub(crate) fn cpu_ms(&self) -> f64 {
        fetch_core::census::process_cpu_ms(self.child.id()).map_or(0.0, |ms| ms as f64)
    }
}

impl Drop for LoadServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(folder) = &self.folder {
            let _ = std::fs::remove_dir_all(folder);
        }
    }
}

/// The number of accepted connections in a status body: the fixture's `N`, or the first
/// number of the line after nginx's `server accepts handled requests`.
fn accepted_in(body: &str) -> Option<u64> {
    if let Ok(n) = body.trim().parse() {
        return Some(n);
    }
    let mut lines = body.lines();
    lines.find(|line| line.trim() == "server accepts handled requests")?;
    lines.next()?.split_whitespace().next()?.parse().ok()
}

/// A port that was free a moment ago (nginx cannot listen on port 0 and tell which).
fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Whether `program` runs here and exits with success.
pub(crate) fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether the step can pin clients and servers to CPUs of their own.
fn pinned() -> bool {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    cpus >= 2 && runs("taskset", &["-c", "0", "true"])
}

/// `program` with `args`, on CPU `cpu` where the step pins (through `taskset`, which
/// becomes `program`: the pid stays the program's).
fn on_cpu(cpu: u32, program: &str, args: &[&str]) -> Command {
    if pinned() {
        let mut command = Command::new("taskset");
        command.args(["-c", &cpu.to_string(), program]).args(args);
        command
    } else {
        let mut command = Command::new(program);
        command.args(args);
        command
    }
}

/// The program and arguments that run `program` with `args` on CPU 0, for `measure_runs`.
fn client_command(program: &str, args: &[String]) -> (PathBuf, Vec<String>) {
    if pinned() {
        let mut all = vec!["-c".to_owned(), "0".to_owned(), program.to_owned()];
        all.extend(args.iter().cloned());
        (PathBuf::from("taskset"), all)
    } else {
        (PathBuf::from(program), args.to_vec())
    }
}

/// One row of the load tables: a client, a server, K connections, a loop.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct LoadRow {
    /// The runtime, or the peer's name (`wrk`, `h2load`, `aiohttp`).
    pub(crate) client: String,
    /// `nginx` or `fixture`.
    pub(crate) server: &'static str,
    /// Connections kept alive.
    pub(crate) connections: u64,
    /// The open loop's rate, or `None` for the closed loop.
    pub(crate) rate: Option<f64>,
    /// Requests answered (succeeded or not).
    pub(crate) requests: u64,
    /// Requests that failed.
    pub(crate) failed: u64,
    /// Answers per second.
    pub(crate) per_second: f64,
    /// User CPU per request, µs.
    pub(crate) user_us: f64,
    /// System CPU per request, µs.
    pub(crate) sys_us: f64,
    /// Latency percentiles, µs, where the client tells them.
    pub(crate) p50_us: Option<u64>,
    pub(crate) p90_us: Option<u64>,
    pub(crate) p99_us: Option<u64>,
    pub(crate) p999_us: Option<u64>,
    pub(crate) max_us: Option<u64>,
    /// In the open loop, how late the median and the 99th percentile request were sent
    /// after they were due, µs, where the client tells.
    pub(crate) sent_late_p50_us: Option<u64>,
    pub(crate) sent_late_p99_us: Option<u64>,
    /// Connections the client opened, where it tells.
    pub(crate) opened: Option<u64>,
    /// Connections the server accepted during the run (its own count).
    pub(crate) accepted: Option<u64>,
    /// The server's CPU during the run, as a share of the run's wall time.
    pub(crate) server_cpu_share: f64,
}

impl LoadRow {
    /// CPU per request, user and system.
    pub(crate) fn cpu_us(&self) -> f64 {
        self.user_us + self.sys_us
    }
}

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
    let wrk = runs("wrk", &["-v"]) || Command::new("wrk").output().is_ok();
    let h2load = runs("h2load", &["--version"]);
    let aiohttp = runs("python3", &["-c", "import aiohttp"]);
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
                let row = run_runtime(runtime, binary, server, k, plan.requests, None)?;
                results.rows.push(row);
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
                let row = run_runtime(runtime, binary, server, largest, requests, Some(rate))?;
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

/// What a client's run cost the server: its CPU share, and the connections it accepted.
struct ServerWatch<'a> {
    server: &'a LoadServer,
    cpu_ms: f64,
    accepted: u64,
    start: Instant,
}

impl<'a> ServerWatch<'a> {
    /// Starts watching `server`.
    fn start(server: &'a LoadServer) -> anyhow::Result<Self> {
        Ok(ServerWatch {
            server,
            accepted: server.accepted()?,
            cpu_ms: server.cpu_ms(),
            start: Instant::now(),
        })
    }

    /// The server's CPU share since the start, and the connections it accepted (the
    /// question's own two left out).
    fn stop(self) -> anyhow::Result<(f64, u64)> {
        let wall_ms = self.start.elapsed().as_secs_f64() * 1000.0;
        let cpu = self.server.cpu_ms() - self.cpu_ms;
        let accepted = self.server.accepted()?.saturating_sub(self.accepted + 1);
        Ok((cpu / wall_ms.max(1.0), accepted))
    }
}

/// One run of a runtime's `load` demo.
fn run_runtime(
    runtime: &str,
    binary: &Path,
    server: &LoadServer,
    connections: u64,
    requests: u64,
    rate: Option<f64>,
) -> anyhow::Result<LoadRow> {
    let mut args = vec![
        "load".to_owned(),
        "--json".to_owned(),
        format!("--connections={connections}"),
        format!("--requests={requests}"),
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
        p50_us: Some(latency.p50),
        p90_us: Some(latency.p90),
        p99_us: Some(latency.p99),
        p999_us: Some(latency.p999),
        max_us: Some(latency.max),
        sent_late_p50_us: report.sent_late_us.as_ref().map(|late| late.p50),
        sent_late_p99_us: report.sent_late_us.as_ref().map(|late| late.p99),
        opened: Some(report.connections_opened),
        accepted: Some(accepted),
        server_cpu_share,
    })
}

/// wrk, one thread, K connections, for `seconds` (it cannot stop after N requests).
fn run_wrk(server: &LoadServer, connections: u64, seconds: u64) -> anyhow::Result<LoadRow> {
    let script = std::env::temp_dir().join(format!("compare-wrk-{}.lua", std::process::id()));
    std::fs::write(&script, WRK_DONE)?;
    let args = vec![
        "-t1".to_owned(),
        format!("-c{connections}"),
        format!("-d{seconds}s"),
        "-s".to_owned(),
        script.display().to_string(),
        server.url.clone(),
    ];
    let (program, args) = client_command("wrk", &args);
    let watch = ServerWatch::start(server)?;
    let samples = measure_runs(&program, &args, 1);
    let _ = std::fs::remove_file(&script);
    let (server_cpu_share, accepted) = watch.stop()?;
    let sample = samples?.into_iter().next().context("no wrk run")?;
    let line = sample
        .stdout
        .lines()
        .find_map(|line| line.strip_prefix("JSON "))
        .with_context(|| format!("wrk printed no JSON line: {}", sample.stdout))?;
    let json: serde_json::Value = serde_json::from_str(line)?;
    let number = |key: &str| json[key].as_u64().unwrap_or(0);
    let requests = number("requests").max(1);
    let seconds = number("duration_us") as f64 / 1e6;
    Ok(LoadRow {
        client: "wrk".to_owned(),
        server: server.name,
        connections,
        rate: None,
        requests,
        failed: number("errors"),
        per_second: requests as f64 / seconds.max(1e-9),
        user_us: sample.user_ms * 1000.0 / requests as f64,
        sys_us: sample.sys_ms * 1000.0 / requests as f64,
        p50_us: Some(number("p50")),
        p90_us: Some(number("p90")),
        p99_us: Some(number("p99")),
        p999_us: Some(number("p999")),
        max_us: Some(number("max")),
        sent_late_p50_us: None,
        sent_late_p99_us: None,
        opened: None,
        accepted: Some(accepted),
        server_cpu_share,
    })
}

/// h2load over HTTP/1.1, one thread, K connections, N requests, at `rate` in all (spread
/// as `--rps` per connection) or in a closed loop.
fn run_h2load(
    server: &LoadServer,
    connections: u64,
    requests: u64,
    rate: Option<f64>,
) -> anyhow::Result<LoadRow> {
    let mut args = vec![
        "--h1".to_owned(),
        "-t1".to_owned(),
        format!("-c{connections}"),
        format!("-n{requests}"),
    ];
    if let Some(rate) = rate {
        args.push(format!("--rps={}", rate / connections as f64));
    }
    args.push(server.url.clone());
    let (program, args) = client_command("h2load", &args);
    let watch = ServerWatch::start(server)?;
    let samples = measure_runs(&program, &args, 1)?;
    let (server_cpu_share, accepted) = watch.stop()?;
    let sample = samples.into_iter().next().context("no h2load run")?;
    let summary = H2loadSummary::read(&sample.stdout)
        .with_context(|| format!("h2load printed no summary: {}", sample.stdout))?;
    let done = summary.done.max(1);
    Ok(LoadRow {
        client: "h2load".to_owned(),
        server: server.name,
        connections,
        rate,
        requests: done,
        failed: summary.failed,
        per_second: summary.per_second,
        user_us: sample.user_ms * 1000.0 / done as f64,
        sys_us: sample.sys_ms * 1000.0 / done as f64,
        p50_us: None,
        p90_us: None,
        p99_us: None,
        p999_us: None,
        max_us: Some(summary.max_us),
        sent_late_p50_us: None,
        sent_late_p99_us: None,
        opened: None,
        accepted: Some(accepted),
        server_cpu_share,
    })
}

/// What h2load's summary says.
#[derive(Debug, PartialEq)]
struct H2loadSummary {
    per_second: f64,
    done: u64,
    failed: u64,
    max_us: u64,
}

impl H2loadSummary {
    /// Reads `finished in 7.31s, 13686.19 req/s, …`, `requests: N total, N started, N done,
    /// N succeeded, N failed, …` and `time for request: MIN MAX MEAN SD …`.
    fn read(text: &str) -> Option<H2loadSummary> {
        let line = |prefix: &str| text.lines().find_map(|l| l.trim().strip_prefix(prefix));
        let per_second = line("finished in ")?
            .split(", ")
            .nth(1)?
            .strip_suffix(" req/s")?
            .parse()
            .ok()?;
        let counts = line("requests: ")?;
        let count = |what: &str| -> Option<u64> {
            counts
                .split(", ")
                .find_map(|part| part.strip_suffix(what))?
                .trim()
                .parse()
                .ok()
        };
        let times: Vec<&str> = line("time for request:")?.split_whitespace().collect();
        Some(H2loadSummary {
            per_second,
            done: count(" done")?,
            failed: count(" failed")?,
            max_us: micros(times.get(1)?)?,
        })
    }
}

/// h2load's `204us`, `80.41ms` or `1.2s`, in microseconds.
fn micros(text: &str) -> Option<u64> {
    let (number, scale) = if let Some(n) = text.strip_suffix("us") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1e3)
    } else {
        (text.strip_suffix('s')?, 1e6)
    };
    Some((number.parse::<f64>().ok()? * scale).round() as u64)
}

/// asyncio + aiohttp, one session, K connections, N requests, closed loop.
fn run_aiohttp(server: &LoadServer, connections: u64, requests: u64) -> anyhow::Result<LoadRow> {
    let args = vec![
        "-c".to_owned(),
        AIOHTTP_LOAD.to_owned(),
        server.url.clone(),
        connections.to_string(),
        requests.to_string(),
    ];
    let (program, args) = client_command("python3", &args);
    let watch = ServerWatch::start(server)?;
    let samples = measure_runs(&program, &args, 1)?;
    let (server_cpu_share, accepted) = watch.stop()?;
    let sample = samples.into_iter().next().context("no aiohttp run")?;
    let json: serde_json::Value = serde_json::from_str(sample.stdout.trim())
        .with_context(|| format!("aiohttp printed no report: {}", sample.stderr))?;
    let done = json["requests"].as_u64().unwrap_or(0).max(1);
    let seconds = json["seconds"].as_f64().unwrap_or(0.0);
    let per_request = |key: &str| json[key].as_f64().unwrap_or(0.0) * 1e6 / done as f64;
    Ok(LoadRow {
        client: "aiohttp".to_owned(),
        server: server.name,
        connections,
        rate: None,
        requests: done,
        failed: json["failed"].as_u64().unwrap_or(0),
        per_second: done as f64 / seconds.max(1e-9),
        user_us: per_request("user_s"),
        sys_us: per_request("sys_s"),
        p50_us: None,
        p90_us: None,
        p99_us: None,
        p999_us: None,
        max_us: None,
        sent_late_p50_us: None,
        sent_late_p99_us: None,
        opened: None,
        accepted: Some(accepted),
        server_cpu_share,
    })
}

/// The load step, with the plan `--full` and `--quick` choose, into `report`.
pub(crate) fn run_step(
    full: bool,
    quick: bool,
    binaries: &Binaries,
    report: &mut Comparison,
) -> anyhow::Result<()> {
    let plan = if full {
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
    };
    let start = std::time::Instant::now();
    let fixture = binaries.bin.join("fixture-server");
    let load = measure(&binaries.runtimes, &fixture, &plan, |what| {
        eprintln!("    [{} s] {what}", start.elapsed().as_secs());
    })?;
    report.load = load.rows;
    report.notes.extend(load.notes);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_servers_count_of_connections_is_read() {
        assert_eq!(accepted_in("12\n"), Some(12));
        let nginx = "Active connections: 1 \nserver accepts handled requests\n 2 2 2 \n\
                     Reading: 0 Writing: 1 Waiting: 0 \n";
        assert_eq!(accepted_in(nginx), Some(2));
        assert_eq!(accepted_in("nothing"), None);
    }

    #[test]
    fn h2loads_summary_is_read() {
        let text = "starting benchmark...\nprogress: 10% done\n\n\
            finished in 7.31s, 13686.19 req/s, 16.68MB/s\n\
            requests: 100000 total, 100000 started, 99998 done, 99990 succeeded, 8 failed, 0 errored, 0 timeout\n\
            status codes: 100000 2xx, 0 3xx, 0 4xx, 0 5xx\n\
            traffic: 121.88MB (127800000) total, 19.36MB (20300000) headers (space savings 0.00%), 97.66MB (102400000) data\n\
            \x20                    min         max         mean         sd        +/- sd\n\
            time for request:      204us     80.41ms      7.25ms      3.75ms    69.54%\n";
        assert_eq!(
            H2loadSummary::read(text),
            Some(H2loadSummary {
                per_second: 13686.19,
                done: 99998,
                failed: 8,
                max_us: 80410,
            })
        );
        assert_eq!(micros("1.5s"), Some(1_500_000));
        assert_eq!(micros("204us"), Some(204));
    }
}
