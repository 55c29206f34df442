//! The targets compare checks: each threshold named once, and the rule that holds a step's
//! rows to it. The tables render what these return.

use serde::Serialize;

use crate::load::STUDY_ADAPTER;
use crate::load_run::LoadRow;
use crate::memory::MemoryRow;
use crate::scale::ScaleRow;
use crate::sleeps::SleepRow;

/// CPU per fetch at 10,000 at once (or the largest N below), as a multiple of ab's.
pub(crate) const SCALE_CPU_OVER_AB: f64 = 1.2;
/// The cost model's KB per fetch at that N: per N, not per fetch in flight (the study opens
/// 256 at a time, so not all N are open at once; the memory step holds them all).
pub(crate) const SCALE_KB_PER_FETCH: f64 = 12.0;
/// What the study keeps per in-flight fetch over bare hyper's, KB.
pub(crate) const OWN_KB_OVER_BARE: f64 = 1.0;
/// The wall time of N gathered 1 s sleeps, joined and spawned, in seconds.
pub(crate) const JOINED_SLEEPS_S: f64 = 1.05;
pub(crate) const SPAWNED_SLEEPS_S: f64 = 1.1;
/// The CPU of N joined sleeps, ms.
pub(crate) const JOINED_SLEEPS_CPU_MS: f64 = 150.0;
/// The bytes of one joined sleeping future (strictly under).
pub(crate) const BYTES_PER_SLEEP: f64 = 512.0;
/// Each runtime's CPU per kept-alive request, as a multiple of wrk's, and the best one's.
pub(crate) const LOAD_CPU_OVER_WRK: f64 = 1.5;
pub(crate) const BEST_LOAD_CPU_OVER_WRK: f64 = 1.1;
/// Each runtime's CPU per kept-alive request with the study's adapter, as a multiple of
/// wrk's: async-io's runtimes; futures' `LocalPool`, whose reactor runs on another thread
/// (every wake crosses threads, by design); compio.
pub(crate) const STUDY_LOAD_CPU_OVER_WRK: [(&str, f64); 4] = [
    ("smol", 1.3),
    ("async-std", 1.3),
    ("futures", 2.0),
    ("compio", 1.4),
];
/// The open loop's 99th percentile latency at the first rate, µs.
pub(crate) const OPEN_LOOP_P99_US: u64 = 2_000;

/// One target, checked: what it asks, whether it was met, and what was measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Target {
    pub(crate) target: String,
    pub(crate) met: bool,
    pub(crate) value: String,
}

impl Target {
    fn new(target: String, met: bool, value: String) -> Self {
        Target { target, met, value }
    }
}

/// The cost model's targets: the largest N loses no fetch; at 10,000 (or the largest N
/// below it), CPU per fetch within [`SCALE_CPU_OVER_AB`] of ab's and memory per fetch at
/// most [`SCALE_KB_PER_FETCH`].
pub(crate) fn scale(rows: &[ScaleRow], counts: &[usize]) -> Vec<Target> {
    let mut targets = Vec::new();
    let biggest = counts.iter().copied().max().unwrap_or(0);
    let at = counts
        .iter()
        .copied()
        .filter(|&c| c <= 10_000)
        .max()
        .unwrap_or(biggest);
    let ab = rows
        .iter()
        .find(|r| r.client == "ab" && r.count == at)
        .map(|r| r.user_us_per_fetch + r.sys_us_per_fetch);
    for row in rows.iter().filter(|r| r.client == "hyper") {
        if row.count == biggest {
            targets.push(Target::new(
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
            targets.push(Target::new(
                format!(
                    "CPU per fetch on {} at {at} within {SCALE_CPU_OVER_AB} x ab's",
                    row.runtime
                ),
                cpu <= SCALE_CPU_OVER_AB * ab,
                format!("{cpu:.0} µs against {ab:.0} µs, {:.2} x", cpu / ab),
            ));
        }
        targets.push(Target::new(
            format!(
                "memory per fetch (KB per N, not all in flight) on {} at {at} at most \
                 {SCALE_KB_PER_FETCH} KB",
                row.runtime
            ),
            row.kb_per_fetch <= SCALE_KB_PER_FETCH,
            format!("{:.1} KB", row.kb_per_fetch),
        ));
    }
    targets
}

/// The memory step's targets: the study's own bytes per in-flight fetch at most
/// [`OWN_KB_OVER_BARE`] over bare hyper's, and the study's adapter keeping no more per
/// fetch than the published one.
pub(crate) fn memory(rows: &[MemoryRow]) -> Vec<Target> {
    let mut targets = Vec::new();
    for row in rows {
        let own = row.own_kb_per_fetch();
        targets.push(Target::new(
            format!(
                "the study's own memory per in-flight fetch on {} at {} at most \
                 {OWN_KB_OVER_BARE} KB over bare hyper's",
                row.runtime, row.count
            ),
            own <= OWN_KB_OVER_BARE,
            format!(
                "{:.1} KB against {:.1} KB, {own:+.1} KB",
                row.study_kb_per_fetch, row.bare_kb_per_fetch
            ),
        ));
        targets.push(Target::new(
            format!(
                "memory per in-flight fetch on {} at {} with the study's adapter at most \
                 the published one's",
                row.runtime, row.count
            ),
            row.adapter_kb_per_fetch <= row.study_kb_per_fetch,
            format!(
                "{:.1} KB against {:.1} KB",
                row.adapter_kb_per_fetch, row.study_kb_per_fetch
            ),
        ));
    }
    targets
}

/// The sleeps' targets: `sleeps` gathered sleeps end within [`JOINED_SLEEPS_S`] (joined)
/// or [`SPAWNED_SLEEPS_S`] (spawned: a task each); joined, they use at most
/// [`JOINED_SLEEPS_CPU_MS`] of CPU and each takes under [`BYTES_PER_SLEEP`]. Spawned
/// sleeps' CPU and bytes are a task's, not a timer's, so only their time is held.
pub(crate) fn sleeps(rows: &[SleepRow], sleeps: usize) -> Vec<Target> {
    let mut targets = Vec::new();
    for row in rows {
        let joined = row.gather == "join";
        let limit = if joined {
            JOINED_SLEEPS_S
        } else {
            SPAWNED_SLEEPS_S
        };
        targets.push(Target::new(
            format!(
                "{sleeps} gathered 1 s sleeps on {} ({}) finish within {limit} s",
                row.runtime, row.gather
            ),
            row.total_s <= limit,
            format!("{:.3} s", row.total_s),
        ));
        if !joined {
            continue;
        }
        targets.push(Target::new(
            format!(
                "{sleeps} gathered 1 s sleeps on {} use at most {} s of CPU",
                row.runtime,
                JOINED_SLEEPS_CPU_MS / 1000.0
            ),
            row.cpu_ms <= JOINED_SLEEPS_CPU_MS,
            format!("{:.0} ms", row.cpu_ms),
        ));
        targets.push(Target::new(
            format!(
                "a sleeping future on {} costs under {} KB",
                row.runtime,
                BYTES_PER_SLEEP / 1024.0
            ),
            row.bytes_per_sleep < BYTES_PER_SLEEP,
            format!("{:.0} bytes", row.bytes_per_sleep),
        ));
    }
    targets
}

/// The load step's targets, at its largest K against its first server: each runtime's CPU
/// per request within [`LOAD_CPU_OVER_WRK`] of wrk's and the best within
/// [`BEST_LOAD_CPU_OVER_WRK`]; each runtime's p99 at the first fixed rate at most
/// [`OPEN_LOOP_P99_US`].
pub(crate) fn load(rows: &[LoadRow], runtimes: &[String]) -> Vec<Target> {
    let mut targets = Vec::new();
    let Some(first) = rows.first() else {
        return targets;
    };
    let server = first.server;
    let largest = rows.iter().map(|r| r.connections).max().unwrap_or(0);
    let closed = |client: &str| {
        rows.iter().find(|r| {
            r.server == server && r.connections == largest && r.rate.is_none() && r.client == client
        })
    };
    if let Some(wrk) = closed("wrk") {
        let floor = wrk.cpu_us();
        let mut best = f64::INFINITY;
        for runtime in runtimes {
            let Some(row) = closed(runtime) else { continue };
            best = best.min(row.cpu_us());
            targets.push(Target::new(
                format!(
                    "CPU per request on {runtime} at {largest} connections within \
                     {LOAD_CPU_OVER_WRK} x wrk's ({server})"
                ),
                row.cpu_us() <= LOAD_CPU_OVER_WRK * floor,
                format!(
                    "{:.1} µs against {floor:.1} µs, {:.2} x",
                    row.cpu_us(),
                    row.cpu_us() / floor
                ),
            ));
        }
        for (runtime, limit) in STUDY_LOAD_CPU_OVER_WRK {
            let Some(row) = closed(&format!("{runtime}{STUDY_ADAPTER}")) else {
                continue;
            };
            best = best.min(row.cpu_us());
            targets.push(Target::new(
                format!(
                    "CPU per request on {runtime} with the study's adapter at {largest} \
                     connections within {limit} x wrk's ({server})"
                ),
                row.cpu_us() <= limit * floor,
                format!("{:.2} x", row.cpu_us() / floor),
            ));
        }
        targets.push(Target::new(
            format!(
                "the best runtime's CPU per request within {BEST_LOAD_CPU_OVER_WRK} x wrk's \
                 ({server})"
            ),
            best <= BEST_LOAD_CPU_OVER_WRK * floor,
            format!("{:.2} x", best / floor),
        ));
    }
    let rate = rows.iter().find_map(|r| r.rate);
    for runtime in runtimes {
        let row = rows.iter().find(|r| {
            r.server == server && r.rate == rate && rate.is_some() && r.client == *runtime
        });
        if let Some(row) = row {
            let p99 = row.p99_us.unwrap_or(u64::MAX);
            targets.push(Target::new(
                format!(
                    "p99 on {runtime} at {:.0} requests/s at most {} ms ({server})",
                    rate.unwrap_or(0.0),
                    OPEN_LOOP_P99_US / 1000
                ),
                p99 <= OPEN_LOOP_P99_US,
                match (row.sent_late_p99_us, row.from_sent_p99_us) {
                    (Some(late), Some(from_sent)) => format!(
                        "{p99} µs; at p99 sent {late} µs late, answered {from_sent} µs after \
                         it was sent"
                    ),
                    _ => format!("{p99} µs"),
                },
            ));
        }
    }
    targets
}

#[cfg(test)]
mod tests {
    use super::*;

    fn met(targets: &[Target]) -> Vec<bool> {
        targets.iter().map(|t| t.met).collect()
    }

    fn scale_row(runtime: &str, client: &'static str, count: usize, cpu: f64, kb: f64) -> ScaleRow {
        ScaleRow {
            runtime: runtime.to_owned(),
            client,
            count,
            user_us_per_fetch: cpu,
            kb_per_fetch: kb,
            ..ScaleRow::default()
        }
    }

    #[test]
    fn scale_holds_cpu_to_ab_and_memory_at_ten_thousand() {
        let rows = [
            scale_row("ab", "ab", 10_000, 100.0, 0.0),
            scale_row("tokio", "hyper", 10_000, 119.0, 12.0),
            scale_row("smol", "hyper", 10_000, 121.0, 12.1),
            scale_row("tokio", "hyper", 19_000, 1.0, 1.0),
        ];
        let targets = scale(&rows, &[1_000, 10_000, 19_000]);
        // tokio: CPU and memory at the limits, met; smol over both; 19,000 lost none.
        assert_eq!(met(&targets), [true, true, false, false, true]);
        assert!(
            targets[0].target.contains("within 1.2 x ab's"),
            "{targets:?}"
        );
        assert_eq!(
            targets[4].target,
            "19000 fetches at once on tokio lose none"
        );
    }

    #[test]
    fn memory_allows_one_kb_over_bare_hyper_and_nothing_over_the_published_adapter() {
        let row = |study, adapter| MemoryRow {
            runtime: "smol".to_owned(),
            count: 10_000,
            bare_kb_per_fetch: 10.0,
            study_kb_per_fetch: study,
            adapter_kb_per_fetch: adapter,
            ..MemoryRow::default()
        };
        assert_eq!(
            met(&memory(&[row(11.0, 11.0), row(11.01, 11.02)])),
            [true, true, false, false]
        );
    }

    #[test]
    fn sleeps_hold_joined_to_time_cpu_and_bytes_and_spawned_to_time() {
        let row = |gather, total_s, cpu_ms, bytes_per_sleep| SleepRow {
            runtime: "tokio".to_owned(),
            gather,
            total_s,
            cpu_ms,
            bytes_per_sleep,
            ..SleepRow::default()
        };
        let targets = sleeps(
            &[
                row("join", 1.05, 150.0, 511.0),
                row("join", 1.051, 151.0, 512.0),
                row("spawn", 1.1, 1e6, 1e6),
                row("spawn", 1.11, 0.0, 0.0),
            ],
            100_000,
        );
        assert_eq!(
            met(&targets),
            [true, true, true, false, false, false, true, false]
        );
        assert_eq!(
            targets[1].target,
            "100000 gathered 1 s sleeps on tokio use at most 0.15 s of CPU"
        );
        assert_eq!(
            targets[2].target,
            "a sleeping future on tokio costs under 0.5 KB"
        );
    }

    #[test]
    fn load_holds_each_runtime_and_the_best_to_wrk_and_p99_to_two_ms() {
        let row = |client: &str, rate, cpu, p99| LoadRow {
            client: client.to_owned(),
            server: "nginx",
            connections: 100,
            rate,
            user_us: cpu,
            p99_us: p99,
            ..LoadRow::default()
        };
        let rows = [
            row("wrk", None, 10.0, None),
            row("tokio", None, 11.5, None),
            row("smol", None, 15.1, None),
            row("smol (study)", None, 12.0, None),
            row("tokio", Some(20_000.0), 0.0, Some(2_000)),
            LoadRow {
                sent_late_p99_us: Some(300),
                from_sent_p99_us: Some(1_900),
                ..row("smol", Some(20_000.0), 0.0, Some(2_001))
            },
        ];
        let runtimes = ["tokio".to_owned(), "smol".to_owned()];
        let targets = load(&rows, &runtimes);
        // tokio within 1.5 x, smol not, smol with the study's adapter within its 1.3 x; the
        // best (tokio, 1.15 x) misses 1.1 x; p99s.
        assert_eq!(met(&targets), [true, false, true, false, true, false]);
        assert!(
            targets[2].target.contains("smol with the study's adapter"),
            "{targets:?}"
        );
        assert_eq!(
            targets[5].target,
            "p99 on smol at 20000 requests/s at most 2 ms (nginx)"
        );
        // Where the client tells both, a missed p99 says whether the sending or the answer
        // was late.
        assert_eq!(
            targets[5].value,
            "2001 µs; at p99 sent 300 µs late, answered 1900 µs after it was sent"
        );
        assert_eq!(targets[4].value, "2000 µs");
        assert!(load(&[], &runtimes).is_empty());
    }
}
