//! The scale mode: how far one thread goes. N small documents fetched at once (or K at a
//! time), then N sleeps gathered, with the time each took. `--gather` chooses between one
//! task polling them all (`join_all`) and a local task each, as in the lesson.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures::future::join_all;
use futures::{Future, FutureExt, StreamExt, stream};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::cli::{GatherMode, ScaleArgs};
use crate::fetch::Fetch;
use crate::open_files::{OpenFiles, open_files};
use crate::polls::{PollCount, per};
use crate::report::{DemoReport, Failures, FetchReport, Live, Progress, millis_since};
use crate::runtime::Runtime;
use crate::session::{Session, Target, fetch_one};
use crate::trace::{WakeSource, woken_by};

/// What the scale mode found, as `--json` prints it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScaleReport {
    /// The runtime under study.
    pub runtime: String,
    /// The HTTP client.
    pub client: String,
    /// How many documents were fetched.
    pub count: usize,
    /// The bound on fetches in flight, if any.
    #[serde(deserialize_with = "Option::deserialize")]
    pub concurrency: Option<u64>,
    /// How the fetches and the sleeps were gathered: `join` or `spawn`.
    pub gather: String,
    /// How long the fetches took, all of them.
    pub fetch_ms: f64,
    /// How long the slowest single fetch took.
    pub slowest_fetch_ms: f64,
    /// How many fetches succeeded.
    pub succeeded: usize,
    /// How many times the executor polled each fetch, on average: a wake per answer, or
    /// one per piece of it (none where no executor polls: the threads baseline). In a
    /// `join` gather of 30 fetches or fewer, futures' `join_all` polls every fetch at each
    /// wake of any, and this counts those polls too.
    #[serde(deserialize_with = "Option::deserialize")]
    pub polls_per_fetch: Option<f64>,
    /// Each distinct error, with how many fetches ended with it.
    pub errors: BTreeMap<String, usize>,
    /// How many sleeps were gathered.
    pub sleeps: usize,
    /// How long each sleep lasted.
    pub each_sleep_ms: u64,
    /// How long the gathered sleeps took, all of them.
    pub sleep_ms: f64,
    /// The process's open-files limit, raised to the hard limit at start.
    pub open_files: OpenFiles,
}

impl DemoReport for ScaleReport {
    fn failures(&self) -> Failures {
        let lines = self
            .errors
            .iter()
            .map(|(error, times)| (format!("{times} fetches"), error.clone()))
            .collect();
        Failures {
            lines,
            failed: self.count - self.succeeded,
            total: self.count,
            noun: "fetches",
        }
    }
}

/// Fetches `args.count` documents from `base`, then gathers `args.sleeps` sleeps, on one
/// thread. Without a base, each fetch fails with a clear error (the CLI always gives one
/// when `--count` is above 0).
pub async fn demo<R: Runtime, F: Fetch + 'static>(
    runtime: R,
    client: F,
    args: &ScaleArgs,
    base: Option<&Url>,
    live: Live,
) -> ScaleReport {
    let (runtime_name, client_name) = (runtime.name(), client.name());
    // Thousands of fetches: no line each. The summary and the progress bar tell.
    let session = Session::new(
        runtime,
        client,
        args.fetch.limits.timeout,
        Live { quiet: true },
    );
    let limit = args
        .concurrency
        .map(|k| usize::try_from(k).unwrap_or(usize::MAX));

    live.section(format_args!(
        "{} fetches from {} on {runtime_name} with {client_name}, {}, gathered by {}",
        args.count,
        doc_target(base, "N").text(),
        match limit {
            Some(k) => format!("at most {k} at a time"),
            None => "all at once".to_owned(),
        },
        args.gather.name()
    ));
    let start = Instant::now();
    let progress = Rc::new(Progress::new(args.count, live));
    let polls = PollCount::default();
    let fetch = {
        let (session, progress, base) = (session.clone(), progress.clone(), base.cloned());
        let polls = polls.clone();
        move |n: usize| {
            let target = doc_target(base.as_ref(), &n.to_string());
            let fetch = fetch_one(session.clone(), target, start).map(Outcome::of);
            progress.clone().counted(polls.clone().counting(fetch))
        }
    };
    let outcomes: Vec<Outcome> =
        gather(&session.runtime, args.gather, limit, args.count, fetch).await;
    progress.finish();
    let fetch_ms = millis_since(start);
    let mut errors = BTreeMap::new();
    for error in outcomes.iter().filter_map(|o| o.error.clone()) {
        *errors.entry(error).or_insert(0) += 1;
    }
    let succeeded = outcomes.iter().filter(|o| o.error.is_none()).count();
    let slowest_fetch_ms = outcomes.iter().map(|o| o.ms).fold(0.0, f64::max);
    let polls_per_fetch = per(polls.get(), args.count as u64);
    live.line(format_args!(
        "{succeeded} of {} fetched in {:.3} s (slowest {:.3} s), {polls_per_fetch:.1} polls \
         per fetch",
        args.count,
        fetch_ms / 1000.0,
        slowest_fetch_ms / 1000.0
    ));
    for (error, times) in &errors {
        live.line(format_args!("{times} failed: {error}"));
    }

    live.section(format_args!(
        "{} sleeps of {} ms gathered on {runtime_name}",
        args.sleeps, args.sleep_ms
    ));
    let start = Instant::now();
    let progress = Rc::new(Progress::new(args.sleeps, live));
    let each = Duration::from_millis(args.sleep_ms);
    // Each sleep's deadline is taken when the gather is built, as
    // `join_all((0..n).map(|_| tokio::time::sleep(each)))` does: tokio's `sleep` and
    // async-io's `Timer::after` read the clock when called, not when first polled. Taken at
    // the first poll instead, the last sleep would start only after the other 99,999 had
    // been polled once, and the gather would time the runtime plus its own setup.
    let sleep = {
        let (runtime, progress) = (session.runtime.clone(), progress.clone());
        move |_| {
            let runtime = runtime.clone();
            let deadline = Instant::now() + each;
            progress.clone().counted(async move {
                runtime
                    .sleep(deadline.saturating_duration_since(Instant::now()))
                    .await
            })
        }
    };
    gather(&session.runtime, args.gather, None, args.sleeps, sleep).await;
    progress.finish();
    let sleep_ms = millis_since(start);
    live.line(format_args!(
        "{} sleeps done in {:.3} s",
        args.sleeps,
        sleep_ms / 1000.0
    ));

    ScaleReport {
        runtime: runtime_name.to_owned(),
        client: client_name.to_owned(),
        count: args.count,
        concurrency: args.concurrency,
        gather: args.gather.name().to_owned(),
        fetch_ms,
        slowest_fetch_ms,
        succeeded,
        polls_per_fetch: Some(polls_per_fetch),
        errors,
        sleeps: args.sleeps,
        each_sleep_ms: args.sleep_ms,
        sleep_ms,
        open_files: open_files(),
    }
}

/// What the scale mode keeps of a finished fetch: its error and how long it took. Not the
/// whole report: thousands finish while others still wait, and each report's URLs and
/// fields (about 280 bytes with the gather's room for it) would stay until the last.
struct Outcome {
    error: Option<String>,
    ms: f64,
}

impl Outcome {
    fn of(report: FetchReport) -> Outcome {
        Outcome {
            ms: report.end_ms - report.start_ms,
            error: report.error,
        }
    }
}

/// `base` with `/doc/{n}` appended to its path, or that path alone without a base.
fn doc_target(base: Option<&Url>, n: &str) -> Target {
    let Some(mut url) = base.cloned() else {
        return Target::Typed(format!("/doc/{n}"));
    };
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().push("doc").push(n);
    }
    Target::Checked(url)
}

/// Runs `make(0)` to `make(count - 1)` and returns their outputs, in no particular order.
///
/// `join` polls them all from the calling task, as the runtime runs that best
/// ([`Runtime::gather_join`]); `spawn` makes each a local task of the runtime. With a
/// `limit`, at most that many are in flight: `join` through `buffer_unordered`, `spawn`
/// through `limit` tasks that each take the next number in turn.
async fn gather<R: Runtime, T: 'static, W: Future<Output = T> + 'static>(
    runtime: &R,
    mode: GatherMode,
    limit: Option<usize>,
    count: usize,
    make: impl Fn(usize) -> W + 'static,
) -> Vec<T> {
    match (mode, limit) {
        (GatherMode::Join, None) => runtime.gather_join(join_all((0..count).map(make))).await,
        (GatherMode::Join, Some(k)) => {
            let works = stream::iter((0..count).map(make));
            runtime
                .gather_join(works.buffer_unordered(k).collect())
                .await
        }
        (GatherMode::Spawn, None) => {
            let tasks = (0..count).map(|n| make(n).boxed_local()).collect();
            woken_by(WakeSource::TaskOrChannel, runtime.gather_spawn(tasks)).await
        }
        (GatherMode::Spawn, Some(k)) => {
            let (next, make) = (Rc::new(Cell::new(0)), Rc::new(make));
            let worker = |_| {
                let (next, make) = (next.clone(), make.clone());
                async move {
                    let mut outputs = Vec::new();
                    while next.get() < count {
                        let n = next.replace(next.get() + 1);
                        outputs.push(make(n).await);
                    }
                    outputs
                }
                .boxed_local()
            };
            let workers = (0..k.min(count)).map(worker).collect();
            let outputs = woken_by(WakeSource::TaskOrChannel, runtime.gather_spawn(workers)).await;
            outputs.into_iter().flatten().collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;

    use super::*;
    use crate::testing::FakeRuntime;

    /// How many tasks `gather` spawns for 10 works, and the outputs it returns, sorted.
    fn spawned(mode: GatherMode, limit: Option<usize>) -> (usize, Vec<usize>) {
        let runtime = FakeRuntime::default();
        let mut outputs = block_on(gather(&runtime, mode, limit, 10, |n| async move { n }));
        outputs.sort_unstable();
        (runtime.spawned.get(), outputs)
    }

    #[test]
    fn spawn_makes_a_task_per_work_or_per_slot_and_join_makes_none() {
        let all: Vec<usize> = (0..10).collect();
        assert_eq!(spawned(GatherMode::Join, None), (0, all.clone()));
        assert_eq!(spawned(GatherMode::Join, Some(3)), (0, all.clone()));
        assert_eq!(spawned(GatherMode::Spawn, None), (10, all.clone()));
        assert_eq!(spawned(GatherMode::Spawn, Some(3)), (3, all));
    }
}
