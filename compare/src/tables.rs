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
use crate::targets::{self, Target};

/// Everything measured, and the targets checked.
#[derive(Debug, Default)]
pub(crate) struct Comparison {
    pub(crate) lesson: Vec<LessonRow>,
    pub(crate) scale: Vec<ScaleRow>,
    pub(crate) sleeps: Vec<SleepRow>,
    pub(crate) load: Vec<LoadRow>,
    pub(crate) memory: Vec<MemoryRow>,
    pub(crate) targets: Vec<Target>,
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

    /// Checks the targets ([`crate::targets`]) against the rows measured.
    pub(crate) fn check_targets(&mut self, counts: &[usize], sleeps: usize, runtimes: &[String]) {
        self.targets = targets::load(&self.load, runtimes);
        self.targets.extend(targets::scale(&self.scale, counts));
        self.targets.extend(targets::memory(&self.memory));
        self.targets.extend(targets::sleeps(&self.sleeps, sleeps));
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
             The study's adapter (`--io-adapter study`) runs against the same server as \
             the study; polls are how many times the executor polled each fetch.\n\n\
             | runtime | N | bare hyper KB/fetch | open | study KB/fetch | open | study's own KB | \
             polls/fetch | study adapter KB/fetch | open | polls/fetch |\n\
             | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        ));
        let open = |n: Option<u64>| n.map_or_else(|| "-".to_owned(), |n| n.to_string());
        let polls = |n: Option<f64>| n.map_or_else(|| "-".to_owned(), |n| format!("{n:.1}"));
        for r in &self.memory {
            out.push_str(&format!(
                "| {} | {} | {:.1} | {} | {:.1} | {} | {:+.1} | {} | {:.1} | {} | {} |{}\n",
                r.runtime,
                r.count,
                r.bare_kb_per_fetch,
                open(r.bare_peak_open),
                r.study_kb_per_fetch,
                open(r.study_peak_open),
                r.own_kb_per_fetch(),
                polls(r.polls_per_fetch),
                r.adapter_kb_per_fetch,
                open(r.adapter_peak_open),
                polls(r.adapter_polls_per_fetch),
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
        for Target { target, met, value } in &self.targets {
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
                 CPU µs/req | x wrk | polls/req | p50 µs | p99 µs | max µs | opened | accepted | \
                 server CPU |\n\
                 | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
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
                    "| {} | {} | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {ratio} | {} | {} | {} | {} | {} | {} | {:.0} % |\n",
                    r.client,
                    r.connections,
                    r.requests,
                    r.failed,
                    r.per_second,
                    r.user_us,
                    r.sys_us,
                    r.cpu_us(),
                    r.polls_per_request
                        .map_or_else(|| "-".to_owned(), |polls| format!("{polls:.1}")),
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
                 steps; \"sent late\" is how long after that the request left, and \"from sent\" \
                 the latency counted from then instead (where it is the p99, the answers were \
                 late, not the sending; h2load's \
                 latency counts from when it was sent: it does not correct for coordinated \
                 omission, and tells no percentile).\n\n\
                 | client | K | rate/s | achieved/s | failed | p50 µs | p90 µs | p99 µs | \
                 p99.9 µs | max µs | sent late p50 µs | sent late p99 µs | p99 from sent µs | \
                 CPU µs/req | server CPU |\n\
                 | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
            ));
            for r in open {
                out.push_str(&format!(
                    "| {} | {} | {:.0} | {:.0} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} | {:.0} % |\n",
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
                    cell(r.from_sent_p99_us),
                    r.cpu_us(),
                    r.server_cpu_share * 100.0,
                ));
            }
        }
    }

    /// Everything, as JSON.
    pub(crate) fn json(&self, runs: usize) -> Value {
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
            "targets": self.targets,
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
