//! The field's own load tools beside the runtimes, in the load step: `wrk` (C, one thread,
//! epoll) as the floor of the closed loop, `h2load` (nghttp2, one thread) at the open
//! loop's rate, and the seed's asyncio + aiohttp. Each runs on the client's CPU against
//! the same server, and gives a row of the same table.

use anyhow::Context;

use crate::load_run::{LoadRow, LoadServer, ServerWatch, client_command};
use crate::runs::measure_runs;

/// The closed-loop client of the seed's stack: one `ClientSession`, a connector limited to
/// K connections, N requests shared by K workers, each body read whole. It prints one JSON
/// line: requests, errors, seconds, and its own user and system CPU (without the
/// interpreter's start).
const AIOHTTP_LOAD: &str = include_str!("../scripts/aiohttp_load.py");

/// wrk's `done` hook: one JSON line with the requests, errors and latency percentiles
/// (wrk 4.1's `percentile(100)` gives 0: the maximum is `latency.max`).
const WRK_DONE: &str = include_str!("../scripts/wrk_done.lua");

/// wrk, one thread, K connections, for `seconds` (it cannot stop after N requests).
pub(crate) fn run_wrk(
    server: &LoadServer,
    connections: u64,
    seconds: u64,
) -> anyhow::Result<LoadRow> {
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
        polls_per_request: None,
        p50_us: Some(number("p50")),
        p90_us: Some(number("p90")),
        p99_us: Some(number("p99")),
        p999_us: Some(number("p999")),
        max_us: Some(number("max")),
        sent_late_p50_us: None,
        sent_late_p99_us: None,
        from_sent_p99_us: None,
        opened: None,
        accepted: Some(accepted),
        server_cpu_share,
    })
}

/// h2load over HTTP/1.1, one thread, K connections, N requests, at `rate` in all (spread
/// as `--rps` per connection) or in a closed loop.
pub(crate) fn run_h2load(
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
        polls_per_request: None,
        p50_us: None,
        p90_us: None,
        p99_us: None,
        p999_us: None,
        max_us: Some(summary.max_us),
        sent_late_p50_us: None,
        sent_late_p99_us: None,
        from_sent_p99_us: None,
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
pub(crate) fn run_aiohttp(
    server: &LoadServer,
    connections: u64,
    requests: u64,
) -> anyhow::Result<LoadRow> {
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
        polls_per_request: None,
        p50_us: None,
        p90_us: None,
        p99_us: None,
        p999_us: None,
        max_us: None,
        sent_late_p50_us: None,
        sent_late_p99_us: None,
        from_sent_p99_us: None,
        opened: None,
        accepted: Some(accepted),
        server_cpu_share,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
