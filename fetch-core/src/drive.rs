//! The drivers: one fetch, timed and traced; many fetches, gathered concurrently or in turn.

use std::collections::BTreeSet;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::{Either, join_all, select};

use crate::census::current_tid;
use crate::cli::GatherMode;
use url::Url;

use crate::fetch::{
    Fetch, FetchError, Fetched, MAX_REDIRECTS, is_redirect, parse_url, redirect_target,
};
use crate::report::{FetchReport, Live, PhaseReport};
use crate::runtime::Runtime;

/// What every fetch of a run shares: the runtime, the client and the settings.
///
/// It sits behind an `Rc`, not an `Arc`: every fetch runs on the executor's one thread, and
/// a spawned local task needs only a `'static` handle, not a `Send` one.
#[derive(Debug)]
pub struct Session<R, F> {
    /// The runtime under study.
    pub runtime: R,
    /// The HTTP client.
    pub client: F,
    /// How long one fetch may take before it is abandoned.
    pub timeout: Duration,
    /// Where the lesson's lines go.
    pub live: Live,
}

/// Fetches every URL at once and waits for all of them, results in input order.
///
/// `join` polls all the fetch futures from the calling task, as `asyncio.gather` does;
/// `spawn` makes each one a local task of the runtime (see [`Runtime::gather_spawn`]).
/// Each fetch's offsets count from `run_start`, the start of the whole run.
pub async fn concurrent<R: Runtime, F: Fetch + 'static>(
    session: &Rc<Session<R, F>>,
    urls: &[String],
    mode: GatherMode,
    run_start: Instant,
) -> PhaseReport {
    let start = Instant::now();
    let fetches = urls
        .iter()
        .map(|url| fetch_one(session.clone(), url.clone(), run_start));
    let fetches = match mode {
        GatherMode::Join => join_all(fetches).await,
        GatherMode::Spawn => {
            let tasks = fetches.map(FutureExt::boxed_local).collect();
            session.runtime.gather_spawn(tasks).await
        }
    };
    PhaseReport {
        mode: mode.name(),
        total_ms: millis_since(start),
        fetches,
    }
}

/// Fetches the URLs one after the other, as the lesson's `requests` version does.
///
/// Each fetch's offsets count from `run_start`, the start of the whole run.
pub async fn sequential<R: Runtime, F: Fetch>(
    session: &Rc<Session<R, F>>,
    urls: &[String],
    run_start: Instant,
) -> PhaseReport {
    let start = Instant::now();
    let mut fetches = Vec::with_capacity(urls.len());
    for url in urls {
        fetches.push(fetch_one(session.clone(), url.clone(), run_start).await);
    }
    PhaseReport {
        mode: "sequential",
        total_ms: millis_since(start),
        fetches,
    }
}

/// Fetches one URL and reports on it, noting the thread of every poll of its future.
///
/// It owns its arguments so that it can be spawned as a `'static` local task.
pub async fn fetch_one<R: Runtime, F: Fetch>(
    session: Rc<Session<R, F>>,
    url: String,
    run_start: Instant,
) -> FetchReport {
    let mut pollers = BTreeSet::new();
    let mut fetch = pin!(fetch_and_report(&session, url, run_start));
    let mut report = poll_fn(|cx| {
        pollers.extend(current_tid());
        fetch.as_mut().poll(cx)
    })
    .await;
    report.polled_on = pollers.into_iter().collect();
    report
}

/// Runs one fetch under the timeout, prints the lesson's lines, and builds its report.
async fn fetch_and_report<R: Runtime, F: Fetch>(
    session: &Session<R, F>,
    url: String,
    run_start: Instant,
) -> FetchReport {
    let start_ms = millis_since(run_start);
    session.live.fetching(&url);
    let mut hops = Vec::new();
    let outcome = with_timeout(
        &session.runtime,
        session.timeout,
        follow_redirects(&session.client, &url, &mut hops),
    )
    .await;
    let (status, bytes, error) = match outcome {
        Ok(fetched) => (Some(fetched.status), Some(fetched.bytes), None),
        Err(err @ FetchError::Status { status, bytes }) => {
            (Some(status), Some(bytes), Some(err.to_string()))
        }
        Err(err) => (None, None, Some(explain(&err))),
    };
    let report = FetchReport {
        url,
        final_url: hops.last().map(ToString::to_string),
        redirects: hops.len().saturating_sub(1) as u32,
        status,
        bytes,
        start_ms,
        end_ms: millis_since(run_start),
        error,
        polled_on: Vec::new(),
    };
    session.live.fetched(&report);
    report
}

/// Fetches `url`, following up to [`MAX_REDIRECTS`] redirects, and checks the final status.
/// Every URL requested is pushed on `hops`, so that the report keeps the last one even if
/// the timeout cancels this future.
///
/// Redirects are followed here, not by the clients, so that they behave the same with each.
async fn follow_redirects<F: Fetch>(
    client: &F,
    url: &str,
    hops: &mut Vec<Url>,
) -> Result<Fetched, FetchError> {
    let mut current = parse_url(url)?;
    loop {
        hops.push(current.clone());
        let fetched = client.fetch(&current).await?;
        let location = match &fetched.location {
            Some(location) if is_redirect(fetched.status) => location,
            _ => return check_status(fetched),
        };
        if hops.len() > MAX_REDIRECTS as usize {
            return Err(FetchError::TooManyRedirects);
        }
        let next = redirect_target(&current, location)?;
        if hops.contains(&next) {
            return Err(FetchError::RedirectLoop(next.to_string()));
        }
        current = next;
    }
}

/// What the user should do when the process runs out of file descriptors (EMFILE).
const OUT_OF_FILES: &str = "this process ran out of file descriptors (EMFILE): run the \
    fixture server in its own process (`cargo run --release -p fixture-server -- --port 8080`) \
    and pass `scale --base http://127.0.0.1:8080`, or keep fewer fetches in flight with \
    `--concurrency`";

/// The error's message, with advice when the process ran out of file descriptors.
fn explain(err: &FetchError) -> String {
    let text = err.to_string();
    let out_of_files = match err {
        FetchError::Connect { source, .. } | FetchError::Resolve { source, .. } => {
            source.raw_os_error() == Some(24)
        }
        _ => false,
    };
    if out_of_files || text.contains("Too many open files") {
        format!("{text}: {OUT_OF_FILES}")
    } else {
        text
    }
}

/// Turns a status outside 200..=299 into an error, the same way for every client.
fn check_status(fetched: Fetched) -> Result<Fetched, FetchError> {
    if (200..300).contains(&fetched.status) {
        Ok(fetched)
    } else {
        Err(FetchError::Status {
            status: fetched.status,
            bytes: fetched.bytes,
        })
    }
}

/// Runs `work`, or gives up with [`FetchError::Timeout`] once `limit` has passed on the
/// runtime's timer.
pub async fn with_timeout<R: Runtime, T>(
    runtime: &R,
    limit: Duration,
    work: impl Future<Output = Result<T, FetchError>>,
) -> Result<T, FetchError> {
    timeout(runtime, limit, work)
        .await
        .unwrap_or(Err(FetchError::Timeout(limit)))
}

/// Runs `work`, or gives up with `None` once `limit` has passed on the runtime's timer.
/// Dropping `work` cancels it: that is how futures are cancelled.
pub async fn timeout<R: Runtime, T>(
    runtime: &R,
    limit: Duration,
    work: impl Future<Output = T>,
) -> Option<T> {
    match select(pin!(work), pin!(runtime.sleep(limit))).await {
        Either::Left((output, _)) => Some(output),
        Either::Right(((), _)) => None,
    }
}

/// Milliseconds since `start`, as a float, for the reports.
pub fn millis_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}
