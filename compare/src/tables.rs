//! Everything compare measured, as markdown tables and JSON, with the targets checked.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use fetch_core::lesson::LessonReport;

use crate::lesson::{LESSON_LATENCY_MS, LessonRow};
use crate::load::LoadResults;
use crate::load_run::LoadRow;
use crate::memory::{MEMORY_LATENCY_MS, MemoryRow};
use crate::scale::{SCALE_LATENCY_MS, ScaleRow};
use crate::sleeps::SleepRow;

/// Everything measured, and the targets checked.
#[derive(Debug, Default)]
pub(crate) struct Comparison {
    pub(crate) lesson: Vec<LessonRow>,
    pub(crate) scale: Vec<ScaleRow>,
    pub(crate) sleeps: Vec<SleepRow>,
    pub(crate) load: Vec<LoadRow>,
    pub(crate) memory: Vec<MemoryRow>,
    pub(crate) targets: Vec<(String, bool, String)>,
    /// The first lesson run of each runtime with hyper and join, for the timeline.
    pub(crate) timelines: Vec<LessonReport>,
    /// What was skipped, and why.
    pub(crate) notes: Vec<String>,
}

impl Comparison {
    /// Takes in the load step's rows and notes.
    pub(crate) fn add_load(&mut self, load: LoadResults) {
        self.load = load.rows;
        self.notes.extend(load.notes);
    }

    /// Checks the targets, and notes each as met or missed with the number.
    pub(crate) fn check_targets(&mut self, counts: &[usize], sleeps: usize, runtimes: &[String]) {
        self.check_load_targets(runtimes);
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
        for row in &self.memory {
            let own = row.own_kb_per_fetch();
            self.targets.push((
                format!(
                    "the study's own memory per in-flight fetch on {} at {} at most 1 KB over \
                     bare hyper's",
                    row.runtime, row.count
                ),
                own <= 1.0,
                format!(
                    "{:.1} KB against {:.1} KB, {own:+.1} KB",
                    row.study_kb_per_fetch, row.bare_kb_per_fetch
                ),
            ));
        }
        for row in &self.sleeps {
            // Spawned sleeps are a task each: their time is held to 1.1 s; their CPU and
            // memory per sleep are a task's, not a timer's, so only the joined ones are.
            let limit = if row.gather == "join" { 1.05 } else { 1.1 };
            self.targets.push((
                format!(
                    "{sleeps} gathered 1 s sleeps on {} ({}) finish within {limit} s",
                    row.runtime, row.gather
                ),
                row.total_s <= limit,
                format!("{:.3} s", row.total_s),
            ));
            if row.gather != "join" {
                continue;
            }
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

    /// The load step's targets, at its largest K against its first server: each runtime's
    /// CPU per request within 1.5 x wrk's and the best within 1.1 x; each runtime's p99 at
    /// the first fixed rate at most 2 ms.
    fn check_load_targets(&mut self, runtimes: &[String]) {
        let Some(first) = self.load.first() else {
            return;
        };
        let server = first.server;
        let largest = self.load.iter().map(|r| r.connections).max().unwrap_or(0);
        let closed = |client: &str| {
            self.load.iter().find(|r| {
                r.server == server
                    && r.connections == largest
                    && r.rate.is_none()
                    && r.client == client
            })
        };
        if let Some(wrk) = closed("wrk") {
            let floor = wrk.cpu_us();
            let mut best = f64::INFINITY;
            let mut targets = Vec::new();
            for runtime in runtimes {
                let Some(row) = closed(runtime) else { continue };
                best = best.min(row.cpu_us());
                targets.push((
                    format!("CPU per request on {runtime} at {largest} connections within 1.5 x wrk's ({server})"),
                    row.cpu_us() <= 1.5 * floor,
                    format!("{:.1} µs against {floor:.1} µs, {:.2} x", row.cpu_us(), row.cpu_us() / floor),
                ));
            }
            targets.push((
                format!("the best runtime's CPU per request within 1.1 x wrk's ({server})"),
                best <= 1.1 * floor,
                format!("{:.2} x", best / floor),
            ));
            self.targets.extend(targets);
        }
        let rate = self.load.iter().find_map(|r| r.rate);
        for runtime in runtimes {
            let row = self.load.iter().find(|r| {
                r.server == server && r.rate == rate && rate.is_some() && r.client == *runtime
            });
            if let Some(row) = row {
                let p99 = row.p99_us.unwrap_or(u64::MAX);
                self.targets.push((
                    format!(
                        "p99 on {runtime} at {:.0} requests/s at most 2 ms ({server})",
                        rate.unwrap_or(0.0)
                    ),
                    p99 <= 2_000,
                    format!("{p99} µs"),
                ));
            }
        }
    }

    /// The memory step: the study against bare hyper, every fetch in flight.
    fn memory_markdown(&self, out: &mut String) {
        if self.memory.is_empty() {
            return;
        }
        out.push_str(&format!(
            "\n### Memory per in-flight fetch: the study against bare hyper\n\n\
             Bare hyper is each runtime's `examples/bare_hyper.rs`: the same fetches with \
             nothing but the runtime, its socket adapter and hyper's connection API. The \
             server answers after {MEMORY_LATENCY_MS} ms, so that all N are open at once \
             (\"open\" is the server's count); KB per fetch is (peak RSS at N - peak RSS at \
             1) / (N - 1).\n\n\
             | runtime | N | bare hyper KB/fetch | open | study KB/fetch | open | study's own KB |\n\
             | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        ));
        let open = |n: Option<u64>| n.map_or_else(|| "-".to_owned(), |n| n.to_string());
        for r in &self.memory {
            out.push_str(&format!(
                "| {} | {} | {:.1} | {} | {:.1} | {} | {:+.1} |{}\n",
                r.runtime,
                r.count,
                r.bare_kb_per_fetch,
                open(r.bare_peak_open),
                r.study_kb_per_fetch,
                open(r.study_peak_open),
                r.own_kb_per_fetch(),
                failed_note(r.failed_runs),
            ));
        }
    }

    /// The tables and the targets, as markdown.
    pub(crate) fn markdown(&self, runs: usize) -> String {
        let mut out = format!("Median of {runs} run(s) each.\n\n");
        if !self.lesson.is_empty() {
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
        }
        if !self.scale.is_empty() {
            out.push_str(&format!(
                "\n### Cost model: N documents of 1 KiB at once, {SCALE_LATENCY_MS} ms latency each\n\n\
                 CPU and syscalls per fetch are the client process's, all threads; KB per fetch is \
                 (peak RSS at N - peak RSS at 1) / (N - 1), and open is the most connections the \
                 server had open at once: where it is below N (the study opens 256 at a time, and \
                 the first answers come before the last connects), KB per fetch is per N, not per \
                 fetch in flight (the memory table below holds all N in flight). Each runtime's \
                 `hyper (bare)` row is its `examples/bare_hyper.rs`, the same fetches with the \
                 runtime and hyper alone. Server CPU is the fixture server's (its own process) \
                 during the run.\n\n\
                 | runtime | client | N | total s | total / ideal | failed | user µs/fetch | \
                 sys µs/fetch | syscalls/fetch | KB/fetch | open | server CPU ms | peak RSS MB | threads |\n\
                 | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
            ));
            for r in &self.scale {
                let syscalls = r
                    .syscalls_per_fetch
                    .map_or_else(|| "-".to_owned(), |n| format!("{n:.1}"));
                out.push_str(&format!(
                    "| {} | {} | {} | {:.3} | {:.2} | {:.0} | {:.1} | {:.1} | {syscalls} | {:.1} | {} | {:.0} | {:.1} | {:.0} |\n",
                    r.runtime,
                    r.client,
                    r.count,
                    r.fetch_s,
                    r.over_ideal,
                    r.failed_fetches,
                    r.user_us_per_fetch,
                    r.sys_us_per_fetch,
                    r.kb_per_fetch,
                    r.peak_open.map_or_else(|| "-".to_owned(), |n| n.to_string()),
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
        }
        self.memory_markdown(&mut out);
        if !self.sleeps.is_empty() {
            out.push_str(
                "\n### Gathered sleeps of 1 s\n\n\
                 | runtime | gather | sleeps | total s | peak RSS MB | RSS with 1 sleep MB | bytes per sleep | CPU ms |\n\
                 | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
            );
            for r in &self.sleeps {
                out.push_str(&format!(
                    "| {} | {} | {} | {:.3} | {:.1} | {:.1} | {:.0} | {:.0} |\n",
                    r.runtime,
                    r.gather,
                    r.sleeps,
                    r.total_s,
                    r.peak_rss_mb,
                    r.baseline_rss_mb,
                    r.bytes_per_sleep,
                    r.cpu_ms
                ));
            }
        }
        self.load_markdown(&mut out);
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

    /// The load tables: the closed loop per server, then the open loop.
    fn load_markdown(&self, out: &mut String) {
        let servers: Vec<&str> = self.load.iter().fold(Vec::new(), |mut servers, r| {
            if !servers.contains(&r.server) {
                servers.push(r.server);
            }
            servers
        });
        let cell = |value: Option<u64>| value.map_or_else(|| "-".to_owned(), |v| v.to_string());
        for server in servers {
            out.push_str(&format!(
                "\n### Steady load against {server}, closed loop: K connections kept alive\n\n\
                 The client on CPU 0, the server on CPU 1; CPU per request is the client \
                 process's, all threads; \"accepted\" is the server's own count; server CPU is \
                 its share of one CPU during the run.\n\n\
                 | client | K | requests | failed | requests/s | user µs/req | sys µs/req | \
                 CPU µs/req | x wrk | p50 µs | p99 µs | max µs | opened | accepted | server CPU |\n\
                 | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
            ));
            let rows = self
                .load
                .iter()
                .filter(|r| r.server == server && r.rate.is_none());
            for r in rows {
                let wrk = self.load.iter().find(|w| {
                    w.client == "wrk" && w.server == server && w.connections == r.connections
                });
                let ratio = wrk.map_or_else(
                    || "-".to_owned(),
                    |w| format!("{:.2}", r.cpu_us() / w.cpu_us()),
                );
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {ratio} | {} | {} | {} | {} | {} | {:.0} % |\n",
                    r.client,
                    r.connections,
                    r.requests,
                    r.failed,
                    r.per_second,
                    r.user_us,
                    r.sys_us,
                    r.cpu_us(),
                    cell(r.p50_us),
                    cell(r.p99_us),
                    cell(r.max_us),
                    cell(r.opened),
                    cell(r.accepted),
                    r.server_cpu_share * 100.0,
                ));
            }
            let open: Vec<&LoadRow> = self
                .load
                .iter()
                .filter(|r| r.server == server && r.rate.is_some())
                .collect();
            if open.is_empty() {
                continue;
            }
            out.push_str(&format!(
                "\n### Steady load against {server}, open loop: requests due at a fixed rate\n\n\
                 Latency counts from when each request was due, on a schedule in millisecond \
                 steps; \"sent late\" is how long after that the request left (h2load's \
                 latency counts from when it was sent: it does not correct for coordinated \
                 omission, and tells no percentile).\n\n\
                 | client | K | rate/s | achieved/s | failed | p50 µs | p90 µs | p99 µs | \
                 p99.9 µs | max µs | sent late p50 µs | sent late p99 µs | CPU µs/req | server CPU |\n\
                 | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
            ));
            for r in open {
                out.push_str(&format!(
                    "| {} | {} | {:.0} | {:.0} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} | {:.0} % |\n",
                    r.client,
                    r.connections,
                    r.rate.unwrap_or(0.0),
                    r.per_second,
                    r.failed,
                    cell(r.p50_us),
                    cell(r.p90_us),
                    cell(r.p99_us),
                    cell(r.p999_us),
                    cell(r.max_us),
                    cell(r.sent_late_p50_us),
                    cell(r.sent_late_p99_us),
                    r.cpu_us(),
                    r.server_cpu_share * 100.0,
                ));
            }
        }
    }

    /// Everything, as JSON.
    pub(crate) fn json(&self, runs: usize) -> Value {
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
            "load": self.load,
            "memory": self.memory,
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
