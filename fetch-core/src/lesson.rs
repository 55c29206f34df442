//! The whole lesson, in order, on one runtime and one client: the seed's first cell (four
//! fetches at once, then one by one), its second (the `mysleep` demo), and a thread census.

use std::time::{Duration, Instant};

use futures::future::join;
use serde::{Deserialize, Serialize};

use crate::census::{Census, current_tid};
use crate::cli::GatherMode;
use crate::fetch::Fetch;
use crate::open_files::{OpenFiles, open_files};
use crate::report::{DemoReport, Failures, FetchReport, Live};
use crate::runtime::Runtime;
use crate::session::{PhaseReport, Session, concurrent, sequential};
use crate::sleep::{self, SleepReport};

/// How far into the concurrent phase the census is taken: late enough that the fetches
/// have started (and any DNS helper thread with them), early enough that they are still
/// waiting for the server's answer.
const CENSUS_DELAY: Duration = Duration::from_millis(50);

/// The whole lesson, as `--json` prints it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LessonReport {
    /// The runtime under study, such as `tokio` or `smol`.
    pub runtime: String,
    /// The HTTP client: `hyper`, `isahc` or `surf`.
    pub client: String,
    /// What the executor's thread waits in for I/O and timers: [`Runtime::driver`].
    pub driver: String,
    /// The fetches gathered concurrently.
    pub concurrent: PhaseReport,
    /// The same fetches, one after the other.
    pub sequential: PhaseReport,
    /// How many times faster the concurrent phase was: sequential time ÷ concurrent time.
    pub speedup: f64,
    /// The `mysleep` demo.
    pub sleep: SleepReport,
    /// The process's threads, taken while the concurrent phase was in flight.
    pub census: Census,
    /// The process's open-files limit, raised to the hard limit at start.
    pub open_files: OpenFiles,
}

impl LessonReport {
    /// Every fetch of both phases.
    pub fn fetches(&self) -> impl Iterator<Item = &FetchReport> {
        self.concurrent
            .fetches
            .iter()
            .chain(&self.sequential.fetches)
    }
}

impl DemoReport for LessonReport {
    fn failures(&self) -> Failures {
        let lines: Vec<_> = self
            .fetches()
            .filter_map(|f| Some((f.url.clone(), f.error.clone()?)))
            .collect();
        Failures {
            failed: lines.len(),
            lines,
            total: self.fetches().count(),
            noun: "fetches",
        }
    }
}

/// Plays the lesson on `runtime` with `client`: the URLs fetched concurrently then one by
/// one, the `mysleep` demo, and the thread census. Must be awaited on the executor's thread,
/// which the census marks as such.
pub async fn demo<R: Runtime, F: Fetch + 'static>(
    runtime: R,
    client: F,
    urls: &[String],
    gather: GatherMode,
    timeout: Duration,
    live: Live,
) -> LessonReport {
    let run_start = Instant::now();
    let open_files = open_files();
    let executor_tid = current_tid();
    let (runtime_name, client_name) = (runtime.name(), client.name());
    let driver = runtime.driver();
    let session = Session::new(runtime, client, timeout, live);

    live.section(format_args!(
        "{} fetches at once on {runtime_name} with {client_name}, gathered by {}",
        urls.len(),
        match gather {
            GatherMode::Join => "join_all in one task",
            GatherMode::Spawn => "one spawned local task each",
        }
    ));
    let census = async {
        session.runtime.sleep(CENSUS_DELAY).await;
        Census::take(executor_tid)
    };
    let (concurrent, census) = join(concurrent(&session, urls, gather, run_start), census).await;
    print_total(live, &concurrent);

    live.section("the same fetches, one after the other");
    let sequential = sequential(&session, urls, run_start).await;
    print_total(live, &sequential);
    let speedup = sequential.total_ms / concurrent.total_ms.max(f64::MIN_POSITIVE);
    live.line(format_args!(
        "\nconcurrent {:.3} s vs sequential {:.3} s: concurrent is {speedup:.1}x faster",
        concurrent.total_ms / 1000.0,
        sequential.total_ms / 1000.0,
    ));

    let sleep = sleep::mysleeps(&session.runtime, live).await;

    live.census(&census, "while the concurrent fetches were in flight");
    live.line(format_args!("I/O and timers wait in: {driver}"));
    LessonReport {
        runtime: runtime_name.to_owned(),
        client: client_name.to_owned(),
        driver: driver.to_owned(),
        concurrent,
        sequential,
        speedup,
        sleep,
        census,
        open_files,
    }
}

/// Prints a phase's total time.
fn print_total(live: Live, phase: &PhaseReport) {
    live.line(format_args!(
        "total time ({}): {:.3} s",
        phase.mode,
        phase.total_ms / 1000.0
    ));
}
