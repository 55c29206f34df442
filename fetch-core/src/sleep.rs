//! The lesson's second demo: three `mysleep`s gathered, each printing on entry and on exit.
//!
//! ```python
//! async def mysleep(duration):
//!     print("Entrée dans {duration}".format(**locals()))
//!     await asyncio.sleep(duration)
//!     print("Sortie de {duration}".format(**locals()))
//!     return duration**2
//!
//! results = await asyncio.gather(mysleep(1), mysleep(0.5), mysleep(1.5))
//! ```

use std::cell::RefCell;
use std::time::{Duration, Instant};

use futures::future::join_all;
use serde::{Deserialize, Serialize};

use crate::report::{DemoReport, Failures, Live, millis_since};
use crate::runtime::Runtime;
use crate::trace::traced;

/// The lesson's durations, in seconds, in the order they are gathered.
pub const DURATIONS: [f64; 3] = [1.0, 0.5, 1.5];

/// The `mysleep` demo: the order things happened in, and the results.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SleepReport {
    /// Entries and exits, in the order they happened.
    pub events: Vec<SleepEvent>,
    /// What each `mysleep` returned, in input order.
    pub results: Vec<f64>,
    /// The demo's wall time.
    pub total_ms: f64,
}

/// One entry into, or exit from, `mysleep`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SleepEvent {
    /// Entry or exit.
    pub event: Step,
    /// The `duration` argument of that `mysleep`, in seconds.
    pub duration: f64,
    /// When it happened, from the start of the demo.
    pub at_ms: f64,
}

/// Which end of `mysleep` an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    /// `mysleep` was entered (the Python's `Entrée dans`).
    Enter,
    /// `mysleep` returned (`Sortie de`).
    Exit,
}

/// The sleep demo alone, as `sleep --json` prints it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SleepDemoReport {
    /// The runtime under study.
    pub runtime: String,
    /// The demo.
    pub sleep: SleepReport,
}

impl DemoReport for SleepDemoReport {
    fn failures(&self) -> Failures {
        Failures::default()
    }
}

/// Gathers `mysleep` over [`DURATIONS`] and reports the order of events and the results:
/// the lesson's second cell, which the lesson and the sleep demo both play.
///
/// Entries come in input order (1, 0.5, 1.5), exits in order of duration (0.5, 1, 1.5),
/// and the results in input order again: `[1.0, 0.25, 2.25]`.
pub async fn mysleeps<R: Runtime>(runtime: &R, live: Live) -> SleepReport {
    live.section("sleep demo: gather(mysleep(1), mysleep(0.5), mysleep(1.5))");
    let start = Instant::now();
    let events = RefCell::new(Vec::new());
    let sleeps = DURATIONS.map(|duration| {
        let name = move || format!("mysleep({duration})");
        traced(name, mysleep(runtime, duration, &events, start, live))
    });
    let results = join_all(sleeps).await;
    live.line(format_args!("results, in input order: {results:?}"));
    SleepReport {
        events: events.into_inner(),
        results,
        total_ms: millis_since(start),
    }
}

/// The sleep demo, as the `sleep` subcommand plays it: [`mysleeps`] alone.
pub async fn demo<R: Runtime>(runtime: &R, live: Live) -> SleepDemoReport {
    SleepDemoReport {
        runtime: runtime.name().to_owned(),
        sleep: mysleeps(runtime, live).await,
    }
}

/// Prints on entry, sleeps on the runtime's timer, prints on exit, returns `duration²`.
///
/// The `RefCell` is enough to share the event log: the three futures take turns on one
/// thread, and none holds the borrow across an `.await`.
async fn mysleep<R: Runtime>(
    runtime: &R,
    duration: f64,
    events: &RefCell<Vec<SleepEvent>>,
    start: Instant,
    live: Live,
) -> f64 {
    let note = |event| {
        events.borrow_mut().push(SleepEvent {
            event,
            duration,
            at_ms: millis_since(start),
        });
    };
    note(Step::Enter);
    live.line(format_args!("entering mysleep({duration})"));
    runtime.sleep(Duration::from_secs_f64(duration)).await;
    note(Step::Exit);
    live.line(format_args!("leaving mysleep({duration})"));
    duration * duration
}
