//! A session of fetches: one fetch, under its timeout and with its redirects, timed and
//! traced; many fetches, gathered concurrently or in turn.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::join_all;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::census::{current_tid, thread_cpu};
use crate::cli::GatherMode;
use crate::fetch::{
    Fetch, FetchError, Fetched, MAX_REDIRECTS, is_redirect, parse_url, redirect_target,
};
use crate::report::{FetchReport, Live, millis_since};
use crate::runtime::Runtime;
use crate::timeout::{finished_or_timed_out, timeout};
use crate::trace::{self, WakeSource, traced, woken_by};

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

impl<R: Runtime, F: Fetch> Session<R, F> {
    /// A session of fetches with `client` on `runtime`, each abandoned after `timeout`,
    /// behind the `Rc` that every fetch of the run holds.
    pub fn new(runtime: R, client: F, timeout: Duration, live: Live) -> Rc<Self> {
        Rc::new(Session {
            runtime,
            client,
            timeout,
            live,
        })
    }
}

/// One phase of fetches.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PhaseReport {
    /// `join` or `spawn` for the concurrent phase, `sequential` for the other.
    pub mode: String,
    /// The phase's wall time.
    pub total_ms: f64,
    /// The executor thread's CPU time (user and system) during the phase: about the time
    /// it took to parse and copy the bytes, unless something polls in a busy loop.
    pub cpu_ms: f64,
    /// One report per URL, in input order.
    pub fetches: Vec<FetchReport>,
}

/// What to fetch: a URL as the user typed it, checked when its fetch starts (so that a bad
/// one is reported on its own line), or one the program built and checked already.
#[derive(Debug, Clone)]
pub enum Target {
    /// Text from the command line.
    Typed(String),
    /// A URL already checked with [`parse_url`].
    Checked(Url),
}

impl Target {
    /// The URL as the report shows it.
    pub fn text(&self) -> String {
        match self {
            Target::Typed(text) => text.clone(),
            Target::Checked(url) => url.to_string(),
        }
    }
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
    let cpu = ThreadCpu::now();
    let fetches = urls
        .iter()
        .map(|url| fetch_one(session.clone(), Target::Typed(url.clone()), run_start));
    let fetches = match mode {
        GatherMode::Join => join_all(fetches).await,
        GatherMode::Spawn => {
            let tasks = fetches.map(FutureExt::boxed_local).collect();
            // The gather is woken when a task ends.
            woken_by(
                WakeSource::TaskOrChannel,
                session.runtime.gather_spawn(tasks),
            )
            .await
        }
    };
    PhaseReport {
        mode: mode.name().to_owned(),
        total_ms: millis_since(start),
        cpu_ms: cpu.elapsed_ms(),
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
    let cpu = ThreadCpu::now();
    let mut fetches = Vec::with_capacity(urls.len());
    for url in urls {
        let target = Target::Typed(url.clone());
        fetches.push(fetch_one(session.clone(), target, run_start).await);
    }
    PhaseReport {
        mode: "sequential".to_owned(),
        total_ms: millis_since(start),
        cpu_ms: cpu.elapsed_ms(),
        fetches,
    }
}

/// Fetches one URL and reports on it, noting the thread of every poll of its future.
///
/// It owns its arguments so that it can be spawned as a `'static` local task. Every fetch
/// in flight holds this future (10,000 at once hold 10,000), so it holds the client's
/// exchange once, inline, with a few hundred bytes around it (a test bounds them), and
/// allocates nothing else while it waits but the URL it fetches. A plain function, not an
/// `async fn`: an `async fn` keeps its arguments for its whole life, beside the future
/// they were moved into.
pub fn fetch_one<R: Runtime, F: Fetch>(
    session: Rc<Session<R, F>>,
    target: Target,
    run_start: Instant,
) -> impl Future<Output = FetchReport> {
    let text = trace::enabled().then(|| target.text());
    let name = move || {
        let text = text.unwrap_or_default();
        let path = parse_url(&text).map(|url| url.path().to_owned());
        format!("fetch {}", path.unwrap_or(text))
    };
    NotingPollers {
        fetch: traced(name, fetch_and_report(session, target, run_start)),
        pollers: Pollers::default(),
    }
}

pin_project_lite::pin_project! {
    /// The future of [`fetch_one`]: the fetch, and the threads that polled it.
    struct NotingPollers<W> {
        #[pin]
        fetch: W,
        pollers: Pollers,
    }
}

impl<W: Future<Output = FetchReport>> Future for NotingPollers<W> {
    type Output = FetchReport;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<FetchReport> {
        let this = self.project();
        this.pollers.note(current_tid());
        let mut report = ready!(this.fetch.poll(cx));
        report.polled_on = std::mem::take(this.pollers).into_sorted();
        Poll::Ready(report)
    }
}

/// The threads that polled a fetch. The study polls each on one thread, so the first is
/// held inline and the others behind a box that stays empty: a set would allocate a node
/// per fetch in flight, and an empty `Vec` inline would still take 24 bytes of it.
#[derive(Default)]
struct Pollers {
    first: Option<u32>,
    #[expect(
        clippy::box_collection,
        reason = "a thin pointer: 8 bytes where a Vec or a boxed slice takes 24 or 16"
    )]
    others: Option<Box<Vec<u32>>>,
}

impl Pollers {
    /// Notes that `tid` polled the fetch (nothing, where the thread id is unknown).
    fn note(&mut self, tid: Option<u32>) {
        let Some(tid) = tid else { return };
        match self.first {
            None => self.first = Some(tid),
            Some(first) if first == tid => {}
            Some(_) => {
                let others = self.others.get_or_insert_default();
                if !others.contains(&tid) {
                    others.push(tid);
                }
            }
        }
    }

    /// Every thread that polled, in order.
    fn into_sorted(self) -> Vec<u32> {
        let others = self.others.map(|others| *others).unwrap_or_default();
        let mut all: Vec<u32> = self.first.into_iter().chain(others).collect();
        all.sort_unstable();
        all
    }
}

/// Runs one fetch under the timeout, prints the lesson's lines, and builds its report.
///
/// A plain function: the target is checked and its URL put in `hops` before the future is
/// made, so that the future (which every fetch in flight holds) keeps neither the target
/// nor a copy of its text; only text as the user typed it is kept, for the report.
fn fetch_and_report<R: Runtime, F: Fetch>(
    session: Rc<Session<R, F>>,
    target: Target,
    run_start: Instant,
) -> impl Future<Output = FetchReport> {
    let (typed, checked) = match target {
        Target::Typed(text) => {
            let checked = parse_url(&text);
            (Some(text), checked)
        }
        Target::Checked(url) => (None, Ok(url)),
    };
    let mut hops = Vec::new();
    // A bad target is rare: its error is boxed, so that every fetch does not carry room
    // for one (40 bytes) while it waits.
    let checked = checked.map_err(Box::new).map(|first| {
        // Most fetches are not redirected: room for one URL, not the four of a first push.
        hops.reserve_exact(1);
        hops.push(first);
    });
    async move {
        let start_ms = millis_since(run_start);
        session.live.fetching(shown(typed.as_deref(), &hops));
        let outcome = match checked {
            Ok(()) => {
                // `timeout`, not `with_timeout`: the limit is read from the session here,
                // not kept beside the timer by a closure.
                let fetch = follow_redirects(&session.client, &mut hops);
                let finished = timeout(&session.runtime, session.timeout, fetch).await;
                finished_or_timed_out(finished, session.timeout)
            }
            Err(err) => Err(*err),
        };
        build_report(&session, typed, &hops, outcome, start_ms, run_start)
    }
}

/// The URL of a fetch as its report shows it: as typed, or else as checked.
fn shown<'a>(typed: Option<&'a str>, hops: &'a [Url]) -> &'a str {
    typed
        .or_else(|| hops.first().map(Url::as_str))
        .unwrap_or_default()
}

/// The report of a finished fetch, its lines printed.
fn build_report<R: Runtime, F: Fetch>(
    session: &Session<R, F>,
    typed: Option<String>,
    hops: &[Url],
    outcome: Result<Fetched, FetchError>,
    start_ms: f64,
    run_start: Instant,
) -> FetchReport {
    let (status, bytes, error) = match outcome {
        Ok(fetched) => (Some(fetched.status), Some(fetched.bytes), None),
        Err(err @ FetchError::Status { status, bytes }) => {
            (Some(status), Some(bytes), Some(err.to_string()))
        }
        Err(err) => (None, None, Some(explain(&err))),
    };
    let report = FetchReport {
        url: typed.unwrap_or_else(|| shown(None, hops).to_owned()),
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

/// Fetches the last URL of `hops`, following up to [`MAX_REDIRECTS`] redirects, and checks
/// the final status. Every URL requested is pushed on `hops`, so that the report keeps the
/// last one even if the timeout cancels this future; each is fetched from there, not from
/// a copy that the future would keep beside it.
///
/// Redirects are followed here, not by the clients, so that they behave the same with each.
async fn follow_redirects<F: Fetch>(
    client: &F,
    hops: &mut Vec<Url>,
) -> Result<Fetched, FetchError> {
    loop {
        let current = hops.last().ok_or(FetchError::BadHost("no URL"))?;
        let fetched = client.fetch(current).await?;
        let location = match &fetched.location {
            Some(location) if is_redirect(fetched.status) => location,
            _ => return check_status(fetched),
        };
        if hops.len() > MAX_REDIRECTS as usize {
            return Err(FetchError::TooManyRedirects);
        }
        let next = redirect_target(current, location)?;
        if hops.contains(&next) {
            return Err(FetchError::RedirectLoop(next.to_string()));
        }
        hops.push(next);
    }
}

/// What the user should do when the process runs out of file descriptors ([`EMFILE`]).
const OUT_OF_FILES: &str = "this process ran out of file descriptors (EMFILE): run the \
    fixture server in its own process (`cargo run --release -p fixture-server -- --port 8080`) \
    and pass `scale --base http://127.0.0.1:8080`, or keep fewer fetches in flight with \
    `--concurrency`";

/// The error's message, with advice when the process ran out of file descriptors.
fn explain(err: &FetchError) -> String {
    let text = err.to_string();
    let out_of_files = match err {
        FetchError::Connect { source, .. } | FetchError::Resolve { source, .. } => {
            source.raw_os_error() == Some(EMFILE)
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
pub(crate) fn check_status(fetched: Fetched) -> Result<Fetched, FetchError> {
    if (200..300).contains(&fetched.status) {
        Ok(fetched)
    } else {
        Err(FetchError::Status {
            status: fetched.status,
            bytes: fetched.bytes,
        })
    }
}

/// The OS error number of "too many open files" in this process.
const EMFILE: i32 = nix::errno::Errno::EMFILE as i32;

/// A reading of the calling thread's CPU time, to tell how much of it a phase used.
struct ThreadCpu(Option<Duration>);

impl ThreadCpu {
    /// The thread's CPU time so far (user and system), if the OS tells it.
    fn now() -> ThreadCpu {
        ThreadCpu(thread_cpu())
    }

    /// The CPU milliseconds this thread used since the reading (0 where the OS cannot tell).
    fn elapsed_ms(&self) -> f64 {
        match (self.0, thread_cpu()) {
            (Some(before), Some(after)) => after.saturating_sub(before).as_secs_f64() * 1000.0,
            _ => 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    //! The redirect rules and the timeout, in-process, with a fake client and a fake timer.

    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::future::pending;

    use futures::executor::block_on;

    use super::*;
    use crate::testing::FakeRuntime;

    /// A client that answers from a table: URL → (status, Location), and notes each URL
    /// it was asked for. A URL missing from the table never answers.
    #[derive(Default)]
    struct Table {
        answers: HashMap<String, (u16, Option<String>)>,
        asked: RefCell<Vec<String>>,
    }

    impl Table {
        fn with(answers: &[(&str, u16, Option<&str>)]) -> Table {
            let answers = answers
                .iter()
                .map(|(url, status, to)| (url.to_string(), (*status, to.map(str::to_owned))))
                .collect();
            Table {
                answers,
                asked: RefCell::default(),
            }
        }

        fn follow(&self, url: &str) -> Result<Fetched, FetchError> {
            let first = parse_url(url).unwrap();
            block_on(follow_redirects(self, &mut vec![first]))
        }
    }

    impl Fetch for Table {
        fn name(&self) -> &'static str {
            "table"
        }

        async fn fetch(&self, url: &Url) -> Result<Fetched, FetchError> {
            self.asked.borrow_mut().push(url.to_string());
            match self.answers.get(url.as_str()) {
                Some((status, location)) => Ok(Fetched {
                    status: *status,
                    bytes: 7,
                    location: location.clone(),
                }),
                None => pending().await,
            }
        }
    }

    #[test]
    fn a_relative_location_is_resolved_against_the_current_url() {
        let client = Table::with(&[
            ("http://a.test/x/y", 302, Some("../z?q=1")),
            ("http://a.test/z?q=1", 200, None),
        ]);
        let fetched = client.follow("http://a.test/x/y").unwrap();
        assert_eq!(fetched.status, 200);
        assert_eq!(
            *client.asked.borrow(),
            ["http://a.test/x/y", "http://a.test/z?q=1"]
        );
    }

    #[test]
    fn a_loop_is_caught_when_a_url_comes_back() {
        let client = Table::with(&[
            ("http://a.test/1", 301, Some("/2")),
            ("http://a.test/2", 307, Some("http://a.test/1")),
        ]);
        let err = client.follow("http://a.test/1").unwrap_err();
        assert_eq!(
            err.to_string(),
            "redirect loop: http://a.test/1 was already visited"
        );
        assert_eq!(client.asked.borrow().len(), 2);
    }

    #[test]
    fn ten_redirects_are_followed_and_the_eleventh_is_refused() {
        let chain = |hops: usize| {
            let mut answers: Vec<(String, u16, Option<String>)> = (0..hops)
                .map(|n| {
                    let to = format!("/{}", n + 1);
                    (format!("http://a.test/{n}"), 302, Some(to))
                })
                .collect();
            answers.push((format!("http://a.test/{hops}"), 200, None));
            let borrowed: Vec<(&str, u16, Option<&str>)> = answers
                .iter()
                .map(|(url, status, to)| (url.as_str(), *status, to.as_deref()))
                .collect();
            Table::with(&borrowed).follow("http://a.test/0")
        };
        assert_eq!(chain(MAX_REDIRECTS as usize).unwrap().status, 200);
        let err = chain(MAX_REDIRECTS as usize + 1).unwrap_err();
        assert_eq!(err.to_string(), "more than 10 redirects");
    }

    #[test]
    fn a_redirect_status_without_location_is_the_answer() {
        let client = Table::with(&[("http://a.test/", 302, None)]);
        let err = client.follow("http://a.test/").unwrap_err();
        assert_eq!(err.to_string(), "server answered HTTP 302 (7 body bytes)");
    }

    /// A client whose exchange holds 4 KiB across an await, as a real client's buffers do.
    struct Heavy;

    impl Fetch for Heavy {
        fn name(&self) -> &'static str {
            "heavy"
        }

        async fn fetch(&self, url: &Url) -> Result<Fetched, FetchError> {
            let buffer = [url.as_str().len() as u8; 4096];
            futures::future::ready(()).await;
            Ok(Fetched {
                status: 200,
                bytes: buffer.iter().map(|&b| u64::from(b)).sum(),
                location: None,
            })
        }
    }

    #[test]
    fn the_fetch_future_holds_the_clients_exchange_once_and_little_else() {
        let session = Session::new(
            FakeRuntime::default(),
            Heavy,
            Duration::from_secs(1),
            Live { quiet: true },
        );
        let url = parse_url("http://a.test/").unwrap();
        let client = std::mem::size_of_val(&session.client.fetch(&url));
        assert!(client >= 4096, "the fake client's future is {client} bytes");
        // What a gather holds per fetch: the client's exchange, once, and a few hundred
        // bytes more: 200 here. A wrapper that kept its argument and the future it awaits
        // would hold the exchange twice; room for the target's error inline, an empty
        // `Vec` for the pollers and the timeout's limit beside its timer took 264;
        // `fetch_and_report` keeping its target and a copy of its text 512, and with
        // `fetch_one` an `async fn` and `follow_redirects` with a URL of its own, 640 (and
        // a box). On tokio, the whole-fetch timer adds about 100 bytes to these.
        let target = Target::Checked(url.clone());
        let fetch = std::mem::size_of_val(&fetch_one(session.clone(), target, Instant::now()));
        assert!(
            fetch <= client + 224,
            "fetch_one is {fetch} bytes around a client future of {client}"
        );
    }

    #[test]
    fn pollers_are_noted_once_each_without_allocating_for_the_first() {
        let mut pollers = Pollers::default();
        for tid in [Some(7), None, Some(7), Some(3), Some(7), Some(3)] {
            pollers.note(tid);
        }
        assert_eq!(pollers.into_sorted(), [3, 7]);
        let mut one = Pollers::default();
        one.note(Some(5));
        one.note(Some(5));
        assert!(one.others.is_none(), "one thread allocates nothing");
        assert_eq!(one.into_sorted(), [5]);
    }

    #[test]
    fn a_fetch_that_never_answers_is_reported_as_timed_out() {
        let session = Session::new(
            FakeRuntime::default(),
            Table::default(),
            Duration::from_secs(2),
            Live { quiet: true },
        );
        let target = Target::Typed("http://a.test/silent".into());
        let report = block_on(fetch_one(session, target, Instant::now()));
        assert_eq!(report.error.as_deref(), Some("timed out after 2 s"));
        assert_eq!(report.final_url.as_deref(), Some("http://a.test/silent"));
        assert_eq!(report.status, None);
    }
}
