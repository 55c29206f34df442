//! The load demo: what one thread does under steady load, where real clients live. K
//! connections stay open for the whole run and carry N requests in all, and each answer's
//! latency goes into an HDR histogram.
//!
//! Closed loop (the default): each connection sends its next request when the last answer
//! is read, as `wrk` does. Open loop (`--rate`): request `i` is due at the first whole
//! millisecond from `i / rate` seconds (a schedule in millisecond steps, as wrk2's timers
//! make it, so that the requests due in one millisecond leave together on one wake),
//! connection `i % K` sends it, and its latency counts from when it was due, not from when
//! it was sent: a stall then shows in the latency of every request it held back, where a
//! closed loop would quietly send fewer ("coordinated omission", as wrk2 corrects it).
//!
//! The K connections are opened first, all at once, and the clock starts when they are
//! open, as wrk2 starts a connection's schedule once it is connected: opening 100 takes the
//! thread 4 to 12 ms, and in the open loop the requests due meanwhile would wait behind the
//! opening (on smol at 10,000/s, those due in the first 20 to 40 ms of a run, which made
//! the p99 of a 2-second one). The report says how long the opening took.
//!
//! Every answer is read whole and counted; a failed request is counted with its error, and
//! its connection is opened again for the next one. A server that closes a connection
//! (`Connection: close`) has it opened again too, and the report says how often.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::pin::pin;
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures::future::select;
use futures::stream::{FuturesUnordered, StreamExt};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::census::{process_cpu, process_status};
use crate::cli::LoadArgs;
use crate::fetch::{Connection, FetchError, Fetched, KeptAliveClient};
use crate::open_files::{OpenFiles, open_files};
use crate::polls::{PollCount, per};
use crate::report::{DemoReport, Failures, Live, Progress, millis_since};
use crate::runtime::Runtime;
use crate::session::check_status;
use crate::sweep::{Deadlines, TimeoutCheck};
use crate::timeout::with_timeout;
use crate::trace::traced;

/// The most distinct error messages a report keeps; the rest are counted under
/// [`OTHER_ERRORS`], so that memory stays bounded whatever the server does.
const MAX_ERROR_KINDS: usize = 16;

/// Where errors beyond [`MAX_ERROR_KINDS`] kinds are counted.
const OTHER_ERRORS: &str = "other errors (more kinds than the report lists)";

/// The longest latency the histogram tells apart, in microseconds: a day, the longest
/// `--timeout` takes. Longer ones count as this.
const MAX_LATENCY_US: u64 = 86_400_000_000;

/// What the load demo found, as `--json` prints it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadReport {
    /// The runtime under study.
    pub runtime: String,
    /// The HTTP client (hyper, on the runtime's own sockets).
    pub client: String,
    /// hyper's socket adapter: `published` or `study` (`--io-adapter`).
    pub io_adapter: String,
    /// How each request's timeout was kept: `sweep` or `timer` (`--timeout-check`).
    pub timeout_check: String,
    /// The URL requested.
    pub url: String,
    /// How many connections were kept alive at once (K).
    pub connections: u64,
    /// How many requests were sent in all (N).
    pub requests: u64,
    /// `closed` (each connection sends when its last answer came) or `open` (at `rate`).
    pub mode: String,
    /// The open loop's rate, in requests per second.
    #[serde(deserialize_with = "Option::deserialize")]
    pub rate_per_second: Option<f64>,
    /// How many requests got a 2xx answer, read whole.
    pub succeeded: u64,
    /// How many did not.
    pub failed: u64,
    /// Each distinct error, with how many requests ended with it.
    pub errors: BTreeMap<String, u64>,
    /// How many connections the run opened: `connections` if the server kept them all.
    pub connections_opened: u64,
    /// How many times the server closed a connection, saying so or not, that the run then
    /// opened again.
    pub server_closes: u64,
    /// The body bytes received, all answers.
    pub bytes: u64,
    /// How many times the executor polled a connection per request, on average: a wake
    /// per answer, or one per piece of it.
    pub polls_per_request: f64,
    /// How long opening the connections took, before the first request (the clock of
    /// `run_ms` and of the open loop's schedule starts when they are open): K of them, or N
    /// where there are fewer requests than connections.
    pub open_ms: f64,
    /// Each distinct error of a connection that did not open before the clock, with how
    /// many: each was opened again by its first request, which counts its own failure.
    pub open_errors: BTreeMap<String, u64>,
    /// The run's wall time, from the first request to the last answer.
    pub run_ms: f64,
    /// Answers per second of wall time, failed ones included.
    pub requests_per_second: f64,
    /// The latencies, in microseconds: one per request.
    pub latency_us: Latency,
    /// In the open loop, how late each request was sent after it was due, in microseconds:
    /// the runtime's timer and the thread's other work, apart from the server's answer.
    #[serde(deserialize_with = "Option::deserialize")]
    pub sent_late_us: Option<Latency>,
    /// In the open loop, each latency counted from when its request was sent rather than
    /// when it was due (wrk2's uncorrected latency, its `-U`), in microseconds: where its
    /// tail is `latency_us`'s, the answers were late, not the sending.
    #[serde(deserialize_with = "Option::deserialize")]
    pub from_sent_us: Option<Latency>,
    /// The process's user CPU time from the opening of the connections to the last
    /// answer, all threads (the opening is counted, as a load generator's own CPU counts
    /// its connecting).
    pub user_cpu_ms: f64,
    /// The process's system CPU time over the same span, all threads.
    pub system_cpu_ms: f64,
    /// User CPU per request.
    pub user_cpu_per_request_us: f64,
    /// System CPU per request.
    pub system_cpu_per_request_us: f64,
    /// The process's peak resident set size (`VmHWM`), in KiB.
    pub peak_rss_kib: u64,
    /// The process's open-files limit, raised to the hard limit at start.
    pub open_files: OpenFiles,
}

/// Latency percentiles, in microseconds, from the HDR histogram (3 significant digits).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Latency {
    /// How many latencies the histogram holds: one per request.
    pub count: u64,
    /// The median.
    pub p50: u64,
    /// The 90th percentile.
    pub p90: u64,
    /// The 99th percentile.
    pub p99: u64,
    /// The 99.9th percentile.
    pub p999: u64,
    /// The longest.
    pub max: u64,
    /// The mean.
    pub mean: f64,
}

impl Latency {
    /// The percentiles of `histogram`.
    fn of(histogram: &Histogram<u64>) -> Latency {
        Latency {
            count: histogram.len(),
            p50: histogram.value_at_quantile(0.5),
            p90: histogram.value_at_quantile(0.9),
            p99: histogram.value_at_quantile(0.99),
            p999: histogram.value_at_quantile(0.999),
            max: histogram.max(),
            mean: histogram.mean(),
        }
    }
}

impl DemoReport for LoadReport {
    fn failures(&self) -> Failures {
        let lines = self
            .errors
            .iter()
            .map(|(error, times)| (format!("{times} requests"), error.clone()))
            .collect();
        Failures {
            lines,
            failed: usize::try_from(self.failed).unwrap_or(usize::MAX),
            total: usize::try_from(self.requests).unwrap_or(usize::MAX),
            noun: "requests",
        }
    }
}

/// What the connections share: the runtime, the client, the schedule and the tally.
struct Load<R, K> {
    runtime: R,
    client: K,
    url: Url,
    timeout: Duration,
    /// Each connection's deadline, when `--timeout-check sweep` keeps them.
    deadlines: Option<Deadlines>,
    connections: u64,
    requests: u64,
    rate: Option<f64>,
    start: Instant,
    /// The closed loop's next request.
    next: Cell<u64>,
    tally: RefCell<Tally>,
    progress: Progress,
    /// The polls of every connection.
    polls: PollCount,
}

/// What the connections have counted so far.
struct Tally {
    latencies: Histogram<u64>,
    /// How late each request of the open loop was sent.
    sent_late: Histogram<u64>,
    /// Each open-loop latency from when its request was sent.
    from_sent: Histogram<u64>,
    succeeded: u64,
    failed: u64,
    errors: BTreeMap<String, u64>,
    opened: u64,
    server_closes: u64,
    bytes: u64,
}

/// Sends `args.requests` requests for `url` on `args.connections` connections of
/// `client`'s, on one thread, and reports on them.
pub async fn demo<R: Runtime, K: KeptAliveClient + 'static>(
    runtime: R,
    client: K,
    args: &LoadArgs,
    url: Url,
    live: Live,
) -> LoadReport {
    let (runtime_name, client_name) = (runtime.name(), client.name());
    let mode = match args.rate {
        Some(rate) => format!("open loop at {rate} requests/s"),
        None => "closed loop".to_owned(),
    };
    live.section(format_args!(
        "{} requests for {url} on {} kept-alive connections, {mode}, on {runtime_name} with \
         {client_name} ({} adapter; timeouts by {})",
        args.requests,
        args.connections,
        args.adapter.io_adapter.name(),
        match args.timeout_check {
            TimeoutCheck::Sweep => "a sweep",
            TimeoutCheck::Timer => "a timer per request",
        }
    ));
    let histogram = || Histogram::new_with_bounds(1, MAX_LATENCY_US, 3);
    let (Ok(latencies), Ok(sent_late), Ok(from_sent)) = (histogram(), histogram(), histogram())
    else {
        unreachable!("the histogram's bounds are constants that it accepts")
    };
    let cpu_before = process_cpu();
    let polls = PollCount::default();
    let opening = Instant::now();
    let (opened, open_errors) = open_before_the_clock(&runtime, &client, &url, args, &polls).await;
    let open_ms = millis_since(opening);
    let opened_count = opened.iter().flatten().count() as u64;
    let load = Rc::new(Load {
        runtime,
        client,
        url: url.clone(),
        timeout: args.limits.timeout,
        deadlines: match args.timeout_check {
            TimeoutCheck::Sweep => Some(Deadlines::new(
                usize::try_from(args.connections).unwrap_or(usize::MAX),
                args.limits.timeout,
            )),
            TimeoutCheck::Timer => None,
        },
        connections: args.connections,
        requests: args.requests,
        rate: args.rate,
        start: Instant::now(),
        next: Cell::new(0),
        tally: RefCell::new(Tally {
            latencies,
            sent_late,
            from_sent,
            succeeded: 0,
            failed: 0,
            errors: BTreeMap::new(),
            opened: opened_count,
            server_closes: 0,
            bytes: 0,
        }),
        progress: Progress::new(usize::try_from(args.requests).unwrap_or(usize::MAX), live),
        polls,
    });
    // One connection per opened one: K, or N where there are fewer requests (the others
    // would carry none).
    let workers = (0..).zip(opened).map(|(first, open)| {
        traced(
            move || format!("connection {first}"),
            load.polls
                .clone()
                .counting(connection(load.clone(), first, open)),
        )
    });
    // Polled as a `FuturesUnordered`, which polls only the connections that were woken
    // (`join_all` polls every one at each wake when there are 30 or fewer), so that the
    // polls counted are each connection's own.
    let workers = workers
        .collect::<FuturesUnordered<_>>()
        .collect::<Vec<()>>();
    match &load.deadlines {
        // The sweep never ends on its own: the run ends with its last connection.
        Some(deadlines) => {
            let sweep = deadlines.sweep(&load.runtime);
            let _ = load
                .runtime
                .gather_join(select(pin!(workers), pin!(sweep)))
                .await;
        }
        None => {
            load.runtime.gather_join(workers).await;
        }
    }
    load.progress.finish();
    let run_ms = millis_since(load.start);
    let cpu = match (cpu_before, process_cpu()) {
        (Some((user, system)), Some((user_after, system_after))) => (
            user_after.saturating_sub(user),
            system_after.saturating_sub(system),
        ),
        _ => (Duration::ZERO, Duration::ZERO),
    };
    let tally = load.tally.borrow();
    let requests = args.requests as f64;
    let report = LoadReport {
        runtime: runtime_name.to_owned(),
        client: client_name.to_owned(),
        io_adapter: args.adapter.io_adapter.name().to_owned(),
        timeout_check: match args.timeout_check {
            TimeoutCheck::Sweep => "sweep",
            TimeoutCheck::Timer => "timer",
        }
        .to_owned(),
        url: url.to_string(),
        connections: args.connections,
        requests: args.requests,
        mode: if args.rate.is_some() {
            "open"
        } else {
            "closed"
        }
        .to_owned(),
        rate_per_second: args.rate,
        succeeded: tally.succeeded,
        failed: tally.failed,
        errors: tally.errors.clone(),
        connections_opened: tally.opened,
        server_closes: tally.server_closes,
        bytes: tally.bytes,
        polls_per_request: per(load.polls.get(), args.requests),
        open_ms,
        open_errors,
        run_ms,
        requests_per_second: requests / (run_ms / 1000.0).max(f64::MIN_POSITIVE),
        latency_us: Latency::of(&tally.latencies),
        sent_late_us: args.rate.map(|_| Latency::of(&tally.sent_late)),
        from_sent_us: args.rate.map(|_| Latency::of(&tally.from_sent)),
        user_cpu_ms: cpu.0.as_secs_f64() * 1000.0,
        system_cpu_ms: cpu.1.as_secs_f64() * 1000.0,
        user_cpu_per_request_us: cpu.0.as_secs_f64() * 1e6 / requests,
        system_cpu_per_request_us: cpu.1.as_secs_f64() * 1e6 / requests,
        peak_rss_kib: process_status(std::process::id(), "VmHWM").unwrap_or(0),
        open_files: open_files(),
    };
    print(&report, live);
    report
}

/// Opens the connections that will carry a request, K of them or N if fewer, all at once,
/// before the clock starts: each connection, or `None` where it did not open, and the
/// errors of those. Each open is bounded by `--timeout` as a request's is (the connect
/// timeout bounds only the connecting, not the name's lookup). Traced as a task of its own
/// and counted with the connections' polls.
async fn open_before_the_clock<R: Runtime, K: KeptAliveClient>(
    runtime: &R,
    client: &K,
    url: &Url,
    args: &LoadArgs,
    polls: &PollCount,
) -> (Vec<Option<K::Connection>>, BTreeMap<String, u64>) {
    let opens = (0..args.connections.min(args.requests))
        .map(|_| with_timeout(runtime, args.limits.timeout, client.open(url)))
        .collect::<FuturesUnordered<_>>()
        .collect::<Vec<_>>();
    let opens = traced(
        || "opening the connections".to_owned(),
        polls.clone().counting(opens),
    );
    let mut errors = BTreeMap::new();
    let opened = runtime
        .gather_join(opens)
        .await
        .into_iter()
        .map(|opened| {
            opened
                .map_err(|err| count_kind(&mut errors, err.to_string()))
                .ok()
        })
        .collect();
    (opened, errors)
}

/// One connection's share of the run: its requests, one after the other, on `open`, which
/// it opens again whenever the last one cannot carry the next request (or opens, if it
/// could not be opened before the clock started).
async fn connection<R: Runtime, K: KeptAliveClient>(
    load: Rc<Load<R, K>>,
    first: u64,
    mut open: Option<K::Connection>,
) {
    // The connection's slot among the deadlines, if the sweep keeps them.
    let slot = usize::try_from(first).unwrap_or(usize::MAX);
    let mut scheduled = first;
    loop {
        // Which request is next, and when it is due (the open loop's schedule).
        let due = match load.rate {
            None => {
                let index = load.next.get();
                if index >= load.requests {
                    break;
                }
                load.next.set(index + 1);
                None
            }
            Some(rate) => {
                if scheduled >= load.requests {
                    break;
                }
                let due_ms = (scheduled as f64 * 1000.0 / rate).ceil();
                let due = load.start + Duration::from_millis(due_ms as u64);
                scheduled += load.connections;
                let wait = due.saturating_duration_since(Instant::now());
                if !wait.is_zero() {
                    load.runtime.sleep(wait).await;
                }
                Some(due)
            }
        };
        let sent = Instant::now();
        if let Some(due) = due {
            let late = sent.saturating_duration_since(due).as_micros();
            let late = u64::try_from(late).unwrap_or(u64::MAX);
            load.tally
                .borrow_mut()
                .sent_late
                .saturating_record(late.max(1));
        }
        let exchange = exchange(&load, &mut open);
        let outcome = match &load.deadlines {
            Some(deadlines) => deadlines.bounded(slot, exchange).await,
            None => with_timeout(&load.runtime, load.timeout, exchange).await,
        };
        let latency = due.unwrap_or(sent).elapsed();
        if due.is_some() {
            let from_sent = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
            load.tally
                .borrow_mut()
                .from_sent
                .saturating_record(from_sent.max(1));
        }
        // A connection whose exchange failed, or ran out of time halfway, is not used again.
        if outcome.is_err() {
            open = None;
        }
        load.tally.borrow_mut().count(outcome, latency);
        load.progress.step();
    }
}

/// One request on `open`, which is opened first if there is none or the server closed it.
async fn exchange<R: Runtime, K: KeptAliveClient>(
    load: &Load<R, K>,
    open: &mut Option<K::Connection>,
) -> Result<Fetched, FetchError> {
    if let Some(closed) = open.take_if(|connection| !connection.is_open()) {
        drop(closed);
        load.tally.borrow_mut().server_closes += 1;
    }
    let connection = match open {
        Some(connection) => connection,
        None => {
            let opened = load.client.open(&load.url).await?;
            load.tally.borrow_mut().opened += 1;
            open.insert(opened)
        }
    };
    connection.send(&load.url).await
}

impl Tally {
    /// Counts one request's outcome and latency.
    fn count(&mut self, outcome: Result<Fetched, FetchError>, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latencies.saturating_record(micros.max(1));
        match outcome.and_then(check_status) {
            Ok(fetched) => {
                self.succeeded += 1;
                self.bytes += fetched.bytes;
            }
            Err(err) => {
                self.failed += 1;
                count_kind(&mut self.errors, err.to_string());
            }
        }
    }
}

/// Counts one error under its message, or under [`OTHER_ERRORS`] once `errors` holds
/// [`MAX_ERROR_KINDS`] others.
fn count_kind(errors: &mut BTreeMap<String, u64>, message: String) {
    let kind = if errors.len() < MAX_ERROR_KINDS || errors.contains_key(&message) {
        message
    } else {
        OTHER_ERRORS.to_owned()
    };
    *errors.entry(kind).or_insert(0) += 1;
}

/// Prints the report's summary, unless the run prints JSON.
fn print(report: &LoadReport, live: Live) {
    let latency = &report.latency_us;
    live.line(format_args!(
        "{} of {} succeeded in {:.3} s: {:.0} requests/s on one thread",
        report.succeeded,
        report.requests,
        report.run_ms / 1000.0,
        report.requests_per_second
    ));
    live.line(format_args!(
        "latency (µs): p50 {}, p90 {}, p99 {}, p99.9 {}, max {}",
        latency.p50, latency.p90, latency.p99, latency.p999, latency.max
    ));
    if let Some(late) = &report.sent_late_us {
        live.line(format_args!(
            "sent after it was due (µs): p50 {}, p99 {}, max {}",
            late.p50, late.p99, late.max
        ));
    }
    if let Some(from_sent) = &report.from_sent_us {
        live.line(format_args!(
            "latency from when it was sent (µs): p50 {}, p99 {}, max {}",
            from_sent.p50, from_sent.p99, from_sent.max
        ));
    }
    live.line(format_args!(
        "per request: {:.1} µs of user CPU, {:.1} µs of system CPU, {:.1} polls",
        report.user_cpu_per_request_us, report.system_cpu_per_request_us, report.polls_per_request
    ));
    live.line(format_args!(
        "connections opened: {} for {} kept alive ({:.1} ms to open them before the first \
         request)",
        report.connections_opened, report.connections, report.open_ms
    ));
    for (error, times) in &report.open_errors {
        live.line(format_args!(
            "{times} connections did not open before the first request, and were opened again \
             by it: {error}"
        ));
    }
    if report.server_closes > 0 {
        live.line(format_args!(
            "the server closed a connection {} times; each was opened again",
            report.server_closes
        ));
    }
    for (error, times) in &report.errors {
        live.line(format_args!("{times} failed: {error}"));
    }
}

#[cfg(test)]
mod tests;
