//! The scale mode: how far one thread goes. N small documents fetched at once (or K at a
//! time), then N sleeps gathered, with the time each took.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures::future::join_all;
use futures::{Future, StreamExt, stream};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::cli::ScaleArgs;
use crate::drive::{Session, fetch_one, millis_since};
use crate::fetch::Fetch;
use crate::report::{FetchReport, Live};
use crate::runtime::Runtime;

/// How long a run goes before its progress bar shows.
const QUIET_FOR: Duration = Duration::from_secs(1);

/// What the scale mode found, as `--json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct ScaleReport {
    /// The runtime under study.
    pub runtime: &'static str,
    /// The HTTP client.
    pub client: &'static str,
    /// How many documents were fetched.
    pub count: usize,
    /// The bound on fetches in flight, if any.
    pub concurrency: Option<u64>,
    /// How long the fetches took, all of them.
    pub fetch_ms: f64,
    /// How long the slowest single fetch took.
    pub slowest_fetch_ms: f64,
    /// How many fetches succeeded.
    pub succeeded: usize,
    /// Each distinct error, with how many fetches ended with it.
    pub errors: BTreeMap<String, usize>,
    /// How many sleeps were gathered.
    pub sleeps: usize,
    /// How long each sleep lasted.
    pub each_sleep_ms: u64,
    /// How long the gathered sleeps took, all of them.
    pub sleep_ms: f64,
}

/// Fetches `count` documents from `base`, then gathers `sleeps` sleeps, on one thread.
pub async fn demo<R: Runtime, F: Fetch + 'static>(
    runtime: R,
    client: F,
    args: &ScaleArgs,
    base: &str,
    timeout: Duration,
    live: Live,
) -> ScaleReport {
    let (runtime_name, client_name) = (runtime.name(), client.name());
    let session = Rc::new(Session {
        runtime,
        client,
        timeout,
        // Thousands of fetches: no line each. The summary and the progress bar tell.
        live: Live { quiet: true },
    });
    let base = base.trim_end_matches('/');

    live.section(format_args!(
        "{} fetches from {base}/doc/N on {runtime_name} with {client_name}, {}",
        args.count,
        match args.concurrency {
            Some(k) => format!("at most {k} at a time"),
            None => "all at once".to_owned(),
        }
    ));
    let start = Instant::now();
    let progress = Progress::new(args.count, live);
    let fetches = (0..args.count).map(|n| {
        let fetch = fetch_one(session.clone(), format!("{base}/doc/{n}"), start);
        progress.counted(fetch)
    });
    let reports: Vec<FetchReport> = match args.concurrency {
        None => join_all(fetches).await,
        Some(k) => {
            let k = usize::try_from(k).unwrap_or(usize::MAX);
            stream::iter(fetches).buffer_unordered(k).collect().await
        }
    };
    progress.finish();
    let fetch_ms = millis_since(start);
    let mut errors = BTreeMap::new();
    for error in reports.iter().filter_map(|r| r.error.clone()) {
        *errors.entry(error).or_insert(0) += 1;
    }
    let succeeded = reports.iter().filter(|r| r.error.is_none()).count();
    let slowest_fetch_ms = reports
        .iter()
        .map(|r| r.end_ms - r.start_ms)
        .fold(0.0, f64::max);
    live.line(format_args!(
        "{succeeded} of {} fetched in {:.3} s (slowest {:.3} s)",
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
    let progress = Progress::new(args.sleeps, live);
    let each = Duration::from_millis(args.sleep_ms);
    join_all((0..args.sleeps).map(|_| progress.counted(session.runtime.sleep(each)))).await;
    progress.finish();
    let sleep_ms = millis_since(start);
    live.line(format_args!(
        "{} sleeps done in {:.3} s",
        args.sleeps,
        sleep_ms / 1000.0
    ));

    ScaleReport {
        runtime: runtime_name,
        client: client_name,
        count: args.count,
        concurrency: args.concurrency,
        fetch_ms,
        slowest_fetch_ms,
        succeeded,
        errors,
        sleeps: args.sleeps,
        each_sleep_ms: args.sleep_ms,
        sleep_ms,
    }
}

/// A progress bar that stays hidden unless stdout is a terminal, the run prints text, and
/// the run has gone on for [`QUIET_FOR`].
struct Progress {
    bar: ProgressBar,
    shown: bool,
    start: Instant,
}

impl Progress {
    /// A hidden bar for `total` steps.
    fn new(total: usize, live: Live) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed}") {
            bar.set_style(style);
        }
        Progress {
            bar,
            shown: !live.quiet && std::io::stdout().is_terminal(),
            start: Instant::now(),
        }
    }

    /// `work`, counted as one step when it ends.
    async fn counted<T>(&self, work: impl Future<Output = T>) -> T {
        let output = work.await;
        if self.shown && self.bar.is_hidden() && self.start.elapsed() > QUIET_FOR {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        self.bar.inc(1);
        output
    }

    /// Clears the bar, if it showed.
    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
