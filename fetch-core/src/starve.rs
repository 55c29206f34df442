//! The starvation demo: "une tâche asynchrone doit s'abstenir de garder la main trop
//! longtemps, sinon les autres coroutines sont en situation de famine".
//!
//! Victim tasks each tick a 10 ms timer and note how late every tick is. Beside them, in
//! each scenario, a hog task takes the thread for 500 ms in one way or another: a busy loop,
//! a `std::thread::sleep`, a busy loop with yield points, the busy loop moved to the
//! blocking pool, or a loop on a channel that always has a message ready. The victims'
//! lateness shows who starved.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::LocalBoxFuture;
use serde::Serialize;

use crate::census::{cpu_ms, current_tid};
use crate::report::{DemoReport, Failures, Live, millis_since};
use crate::runtime::Runtime;
use crate::trace::{WakeSource, traced, woken_by};

/// How often each victim ticks.
pub const TICK: Duration = Duration::from_millis(10);

/// How many victim tasks tick beside the hog.
pub const VICTIMS: usize = 3;

/// How long the hog keeps the thread.
pub const HOG: Duration = Duration::from_millis(500);

/// How much CPU another thread must use during a scenario to count as at work beside it:
/// a tenth of the hog's time. A pool thread that only wakes up, idle, or exits uses less.
const AT_WORK: Duration = Duration::from_millis(50);

/// When the hog starts, after the victims have ticked a few times.
const HOG_START: Duration = Duration::from_millis(100);

/// How long the victims tick in each scenario.
const RUN: Duration = Duration::from_millis(800);

/// How the hog keeps the thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hog {
    /// No hog: the victims' own lateness, for reference.
    None,
    /// A busy loop that never awaits.
    BusyLoop,
    /// `std::thread::sleep`: a blocking call, which blocks the executor's thread.
    ThreadSleep,
    /// The busy loop, with a yield to the executor every millisecond.
    YieldingLoop,
    /// The busy loop, moved to the runtime's blocking pool and awaited.
    OffThread,
    /// A loop on an always-ready channel of the runtime: it awaits, but never waits.
    ReadyLoop,
}

impl Hog {
    /// Every scenario, in the order the demo plays them.
    pub const ALL: [Hog; 6] = [
        Hog::None,
        Hog::BusyLoop,
        Hog::ThreadSleep,
        Hog::YieldingLoop,
        Hog::OffThread,
        Hog::ReadyLoop,
    ];

    /// The scenario's short name, for JSON and tests.
    pub fn name(self) -> &'static str {
        match self {
            Hog::None => "none",
            Hog::BusyLoop => "busy-loop",
            Hog::ThreadSleep => "thread-sleep",
            Hog::YieldingLoop => "yielding-loop",
            Hog::OffThread => "off-thread",
            Hog::ReadyLoop => "ready-loop",
        }
    }

    /// What the hog does, for the table.
    pub fn description(self) -> &'static str {
        match self {
            Hog::None => "no hog",
            Hog::BusyLoop => "busy loop, 500 ms, no await",
            Hog::ThreadSleep => "std::thread::sleep(500 ms)",
            Hog::YieldingLoop => "fix: busy loop, yield_now every 1 ms",
            Hog::OffThread => "fix: busy loop in spawn_blocking",
            Hog::ReadyLoop => "recv loop on an always-ready channel",
        }
    }
}

/// The whole demo, as `--json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct StarveReport {
    /// The runtime under study.
    pub runtime: &'static str,
    /// One entry per scenario, in [`Hog::ALL`] order.
    pub scenarios: Vec<Scenario>,
}

/// One scenario: how late the victims' ticks were while this hog ran.
#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    /// The hog's short name (see [`Hog::name`]).
    pub hog: &'static str,
    /// What the hog did.
    pub description: &'static str,
    /// The latest any victim's tick came.
    pub worst_late_ms: f64,
    /// How late the victims' ticks came, on average.
    pub mean_late_ms: f64,
    /// How many ticks the victims saw in all.
    pub ticks: usize,
    /// How long the hog kept at it.
    pub hog_ms: f64,
    /// For the ready loop: how many messages it received.
    pub messages: u64,
    /// The names of the process's other threads that used at least 50 ms of CPU during
    /// this scenario: the blocking pool shows up here when the work moves off the thread. A
    /// thread left idle by an earlier scenario does not.
    pub other_threads: Vec<String>,
}

impl DemoReport for StarveReport {
    fn failures(&self) -> Failures {
        Failures::default()
    }
}

/// What one task of a scenario hands back.
enum Outcome {
    /// A victim's lateness for each tick, in milliseconds.
    Ticks(Vec<f64>),
    /// The hog's run time and, for the ready loop, its message count.
    Hog(f64, u64),
    /// The CPU each thread had used by the middle of the hog's run.
    Working(BTreeMap<u32, (String, u64)>),
}

/// Plays every scenario in turn and prints a line for each.
pub async fn demo<R: Runtime>(runtime: &R, live: Live) -> StarveReport {
    live.section(format_args!(
        "starvation on {}: {VICTIMS} tasks tick every {} ms while a hog keeps the thread",
        runtime.name(),
        TICK.as_millis()
    ));
    live.line(format_args!(
        "{:<40} {:>11} {:>10} {:>8}  other threads at work",
        "hog", "worst late", "mean late", "hog ran"
    ));
    let mut scenarios = Vec::new();
    for hog in Hog::ALL {
        let scenario = scenario(runtime, hog).await;
        live.line(format_args!(
            "{:<40} {:>8.1} ms {:>7.1} ms {:>5.0} ms  {}",
            scenario.description,
            scenario.worst_late_ms,
            scenario.mean_late_ms,
            scenario.hog_ms,
            scenario.other_threads.join(", ")
        ));
        scenarios.push(scenario);
    }
    StarveReport {
        runtime: runtime.name(),
        scenarios,
    }
}

/// Runs the victims and the hog as local tasks, sums up the victims' ticks, and names the
/// other threads that worked meanwhile.
async fn scenario<R: Runtime>(runtime: &R, hog: Hog) -> Scenario {
    let start = Instant::now();
    let before = cpu_ms();
    let mut tasks: Vec<LocalBoxFuture<'static, Outcome>> = (0..VICTIMS)
        .map(|n| {
            traced(
                move || format!("ticker {n}"),
                victim(runtime.clone(), start),
            )
            .boxed_local()
        })
        .collect();
    let name = move || format!("hog ({})", hog.name());
    tasks.push(traced(name, hog_task(runtime.clone(), hog)).boxed_local());
    // A reading in the middle of the hog's run, for a thread that is gone by the end.
    let rt = runtime.clone();
    tasks.push(
        async move {
            rt.sleep(HOG_START + HOG * 3 / 4).await;
            Outcome::Working(cpu_ms())
        }
        .boxed_local(),
    );
    let (mut late, mut hog_ms, mut messages) = (Vec::new(), 0.0, 0);
    let mut readings = Vec::new();
    for outcome in woken_by(WakeSource::TaskOrChannel, runtime.gather_spawn(tasks)).await {
        match outcome {
            Outcome::Ticks(ticks) => late.extend(ticks),
            Outcome::Hog(ms, count) => (hog_ms, messages) = (ms, count),
            Outcome::Working(reading) => readings.push(reading),
        }
    }
    readings.push(cpu_ms());
    let executor = current_tid();
    let mut other_threads = BTreeSet::new();
    for (tid, (name, ms)) in readings.into_iter().flatten() {
        let earlier = before.get(&tid).map_or(0, |(_, ms)| *ms);
        let at_work = ms.saturating_sub(earlier) >= AT_WORK.as_millis() as u64;
        if Some(tid) != executor && name != "fixture-server" && at_work {
            other_threads.insert(name);
        }
    }
    let other_threads = other_threads.into_iter().collect();
    Scenario {
        hog: hog.name(),
        description: hog.description(),
        worst_late_ms: late.iter().copied().fold(0.0, f64::max),
        mean_late_ms: late.iter().sum::<f64>() / late.len().max(1) as f64,
        ticks: late.len(),
        hog_ms,
        messages,
        other_threads,
    }
}

/// A victim: ticks every [`TICK`] until [`RUN`] has passed, noting how late each tick is.
async fn victim<R: Runtime>(runtime: R, start: Instant) -> Outcome {
    let mut late = Vec::new();
    let mut due = start + TICK;
    while due <= start + RUN {
        runtime
            .sleep(due.saturating_duration_since(Instant::now()))
            .await;
        late.push(Instant::now().saturating_duration_since(due).as_secs_f64() * 1000.0);
        due += TICK;
    }
    Outcome::Ticks(late)
}

/// The hog: waits for the victims to get going, then keeps the thread its own way.
async fn hog_task<R: Runtime>(runtime: R, hog: Hog) -> Outcome {
    runtime.sleep(HOG_START).await;
    let started = Instant::now();
    let mut messages = 0;
    match hog {
        Hog::None => {}
        Hog::BusyLoop => spin(HOG),
        Hog::ThreadSleep => std::thread::sleep(HOG),
        Hog::YieldingLoop => {
            while started.elapsed() < HOG {
                spin(Duration::from_millis(1));
                woken_by(WakeSource::TaskOrChannel, runtime.yield_now()).await;
            }
        }
        Hog::OffThread => {
            woken_by(
                WakeSource::TaskOrChannel,
                runtime.spawn_blocking(|| spin(HOG)),
            )
            .await
        }
        Hog::ReadyLoop => {
            messages = woken_by(WakeSource::TaskOrChannel, runtime.ready_loop(HOG)).await
        }
    }
    Outcome::Hog(millis_since(started), messages)
}

/// Keeps the CPU busy for `duration`, without awaiting anything.
fn spin(duration: Duration) {
    let end = Instant::now() + duration;
    while Instant::now() < end {
        std::hint::spin_loop();
    }
}

/// The body of every runtime's [`Runtime::ready_loop`]: calls `receive` (which sends one
/// message on the runtime's channel and receives it, so it is always ready) until
/// `duration` has passed, and counts the messages received.
pub async fn receive_for(duration: Duration, mut receive: impl AsyncFnMut() -> bool) -> u64 {
    let end = Instant::now() + duration;
    let mut received = 0;
    while Instant::now() < end {
        if receive().await {
            received += 1;
        }
    }
    received
}
