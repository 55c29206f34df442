//! A timeline of every traced task's polls and wakes, on any executor, written in the
//! Chrome trace event format that <https://ui.perfetto.dev> and `chrome://tracing` open.
//!
//! [`traced`] wraps a future: each poll is recorded (the task, the thread, when, how long,
//! `Ready` or `Pending`), and the waker it passes down is wrapped too, so that each wake is
//! recorded with the thread it came from. A poll is linked to the first wake since the
//! task's previous poll (as tokio-metrics counts "scheduled" time); a poll after the first
//! with no wake before it is spurious: the executor polled a task that nobody woke.
//!
//! Off unless [`start`] was called (`--trace FILE`): then [`traced`] costs one branch per
//! poll. The log holds at most [`CAPACITY`] events; the trace says how many it dropped.

use std::fmt::Write as _;
use std::future::Future;
use std::io::{self, Write};
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::census::current_tid;
use crate::report::Live;

/// The most events one run records: about 40 bytes each, so at most some 40 MB.
pub const CAPACITY: usize = 1_000_000;

/// The run's log, once tracing has started.
static LOG: OnceLock<Arc<Log>> = OnceLock::new();

/// What a traced run records.
#[derive(Debug)]
struct Log {
    start: Instant,
    events: Mutex<Vec<Event>>,
    dropped: AtomicU64,
    next_task: AtomicU64,
    next_wake: AtomicU64,
}

/// One recorded event. Times are nanoseconds since the log started.
#[derive(Debug, Clone)]
enum Event {
    /// A task was named.
    Task { task: u64, name: String },
    /// A task was polled.
    Poll {
        task: u64,
        tid: u32,
        start: u64,
        duration: u64,
        ready: bool,
        /// The wake this poll answered, if one came since the previous poll.
        woken_by: Option<u64>,
    },
    /// A task was woken.
    Wake {
        task: u64,
        tid: u32,
        at: u64,
        id: u64,
    },
}

impl Log {
    /// Nanoseconds since the log started.
    fn now(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Records `event`, or counts it dropped when the log is full.
    fn push(&self, event: Event) {
        let mut events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        if events.len() < CAPACITY {
            events.push(event);
        } else {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Starts recording, for the rest of the process. Returns `false` if it had started.
pub fn start() -> bool {
    let log = Arc::new(Log {
        start: Instant::now(),
        events: Mutex::new(Vec::new()),
        dropped: AtomicU64::new(0),
        next_task: AtomicU64::new(1),
        next_wake: AtomicU64::new(1),
    });
    LOG.set(log).is_ok()
}

/// Whether polls and wakes are being recorded.
pub fn enabled() -> bool {
    LOG.get().is_some()
}

pin_project_lite::pin_project! {
    /// A future whose polls and wakes are recorded while tracing is on: see [`traced`].
    pub struct Traced<F> {
        #[pin]
        inner: F,
        // Boxed: off, a trace costs a future one null pointer.
        state: Option<Box<TaskState>>,
    }
}

/// A traced task's bookkeeping.
struct TaskState {
    log: Arc<Log>,
    task: u64,
    /// The id of the first wake since the last poll, or 0.
    woken: Arc<AtomicU64>,
    /// The executor's waker last seen, and the recording waker that wraps it.
    wakers: Option<(Waker, Waker)>,
}

/// `inner`, recorded as a task named `name()` while tracing is on; `name` is called only
/// then.
pub fn traced<F: Future>(name: impl FnOnce() -> String, inner: F) -> Traced<F> {
    let state = LOG.get().map(|log| {
        let task = log.next_task.fetch_add(1, Ordering::Relaxed);
        log.push(Event::Task { task, name: name() });
        Box::new(TaskState {
            log: log.clone(),
            task,
            woken: Arc::new(AtomicU64::new(0)),
            wakers: None,
        })
    });
    Traced { inner, state }
}

impl<F: Future> Future for Traced<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let Some(state) = this.state else {
            return this.inner.poll(cx);
        };
        // The recording waker is made again only when the executor's waker changes, so
        // that a runtime that compares wakers (`will_wake`) sees the same one each time.
        let fresh = match &state.wakers {
            Some((seen, _)) => !seen.will_wake(cx.waker()),
            None => true,
        };
        if fresh {
            let recorder = Arc::new(Recorder {
                inner: cx.waker().clone(),
                task: state.task,
                woken: state.woken.clone(),
                log: state.log.clone(),
            });
            state.wakers = Some((cx.waker().clone(), Waker::from(recorder)));
        }
        let Some((_, waker)) = &state.wakers else {
            return this.inner.poll(cx);
        };
        let woken_by = match state.woken.swap(0, Ordering::AcqRel) {
            0 => None,
            id => Some(id),
        };
        let start = state.log.now();
        let result = this.inner.poll(&mut Context::from_waker(waker));
        let duration = state.log.now().saturating_sub(start);
        state.log.push(Event::Poll {
            task: state.task,
            tid: current_tid().unwrap_or(0),
            start,
            duration,
            ready: result.is_ready(),
            woken_by,
        });
        result
    }
}

/// The waker a traced task's future sees: it records each wake, then wakes the task.
struct Recorder {
    inner: Waker,
    task: u64,
    woken: Arc<AtomicU64>,
    log: Arc<Log>,
}

impl Recorder {
    /// Records one wake, from the calling thread, and marks it as the task's first since
    /// its last poll if it is.
    fn record(&self) {
        let id = self.log.next_wake.fetch_add(1, Ordering::Relaxed);
        let _ = self
            .woken
            .compare_exchange(0, id, Ordering::AcqRel, Ordering::Relaxed);
        self.log.push(Event::Wake {
            task: self.task,
            tid: current_tid().unwrap_or(0),
            at: self.log.now(),
            id,
        });
    }
}

impl Wake for Recorder {
    fn wake(self: Arc<Self>) {
        self.record();
        self.inner.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.record();
        self.inner.wake_by_ref();
    }
}

/// What a trace holds, in figures: the report's `trace` and the trace file's
/// `studySummary`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TraceSummary {
    /// How many tasks were traced.
    pub tasks: u64,
    /// How many polls were recorded.
    pub polls: u64,
    /// How many polls after a task's first had no wake before them (spurious).
    pub spurious_polls: u64,
    /// How many wakes were recorded.
    pub wakes: u64,
    /// How many events the log dropped, being full.
    pub dropped: u64,
    /// How many tasks were fetches (named `fetch …`), and how many polls they had in all.
    pub fetch_tasks: u64,
    /// The polls of those fetch tasks.
    pub fetch_polls: u64,
    /// From a wake to the poll that answered it, in microseconds: the median.
    pub wake_to_poll_p50_us: f64,
    /// The same, the 99th percentile.
    pub wake_to_poll_p99_us: f64,
    /// Where the wakes came from: each thread's name (as the kernel keeps it), with how
    /// many wakes came from it.
    pub wakes_by_thread: Vec<(String, u64)>,
    /// The threads that polled traced tasks, by name, with how many polls each.
    pub polls_by_thread: Vec<(String, u64)>,
}

/// One traced task's figures, from the log so far: its name, how many times it was polled,
/// and how long its polls took in all.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskFigures {
    /// The task's name.
    pub name: String,
    /// How many polls.
    pub polls: u64,
    /// Their time, all together.
    pub poll_time: std::time::Duration,
}

/// Every traced task's figures so far, in the order the tasks were named.
pub fn task_figures() -> Vec<TaskFigures> {
    let Some(log) = LOG.get() else {
        return Vec::new();
    };
    let events = log.events.lock().unwrap_or_else(PoisonError::into_inner);
    let mut figures: Vec<TaskFigures> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for event in events.iter() {
        match event {
            Event::Task { task, name } => {
                index.insert(*task, figures.len());
                figures.push(TaskFigures {
                    name: name.clone(),
                    polls: 0,
                    poll_time: std::time::Duration::ZERO,
                });
            }
            Event::Poll { task, duration, .. } => {
                if let Some(figure) = index.get(task).and_then(|&i| figures.get_mut(i)) {
                    figure.polls += 1;
                    figure.poll_time += std::time::Duration::from_nanos(*duration);
                }
            }
            Event::Wake { .. } => {}
        }
    }
    figures
}

/// Writes the log as a Chrome trace to `path` (a JSON object with `traceEvents`), and
/// returns its summary. Without tracing started, writes an empty trace.
pub fn write(path: &Path) -> io::Result<TraceSummary> {
    let events = match LOG.get() {
        Some(log) => log
            .events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone(),
        None => Vec::new(),
    };
    let dropped = LOG
        .get()
        .map_or(0, |log| log.dropped.load(Ordering::Relaxed));
    let summary = summarize(&events, dropped);
    let mut out = io::BufWriter::new(std::fs::File::create(path)?);
    out.write_all(chrome_trace(&events, &summary).as_bytes())?;
    out.flush()?;
    Ok(summary)
}

/// Writes the log to `path` ([`write`]), says on stderr where and how much, and prints the
/// summary's figures with the run's text.
pub fn finish(path: &Path, live: Live) -> io::Result<TraceSummary> {
    let summary = write(path)?;
    let dropped = match summary.dropped {
        0 => String::new(),
        n => format!(" ({n} more dropped: the log was full)"),
    };
    eprintln!(
        "trace: {} polls of {} tasks and {} wakes written to {}{dropped}; open it in \
         https://ui.perfetto.dev",
        summary.polls,
        summary.tasks,
        summary.wakes,
        path.display()
    );
    live.line(format_args!(
        "trace: {} spurious polls (no wake before them); from a wake to its poll: p50 {:.0} \
         µs, p99 {:.0} µs",
        summary.spurious_polls, summary.wake_to_poll_p50_us, summary.wake_to_poll_p99_us
    ));
    Ok(summary)
}

/// The name the kernel keeps for thread `tid` of this process, or `thread TID` once it
/// has exited.
fn thread_name(tid: u32) -> String {
    std::fs::read_to_string(format!("/proc/self/task/{tid}/comm"))
        .map(|name| name.trim().to_owned())
        .unwrap_or_else(|_| format!("thread {tid}"))
}

/// The figures of `events`.
fn summarize(events: &[Event], dropped: u64) -> TraceSummary {
    use std::collections::{BTreeMap, HashMap};
    let mut summary = TraceSummary {
        dropped,
        ..TraceSummary::default()
    };
    let mut wake_at: HashMap<u64, u64> = HashMap::new();
    let mut polled: HashMap<u64, u64> = HashMap::new();
    let mut by_thread: BTreeMap<u32, u64> = BTreeMap::new();
    let mut polls_by_thread: BTreeMap<u32, u64> = BTreeMap::new();
    let mut delays = Vec::new();
    let mut fetches = std::collections::HashSet::new();
    for event in events {
        match event {
            Event::Task { task, name } => {
                summary.tasks += 1;
                if name.starts_with("fetch ") {
                    fetches.insert(*task);
                }
            }
            Event::Wake { tid, at, id, .. } => {
                summary.wakes += 1;
                wake_at.insert(*id, *at);
                *by_thread.entry(*tid).or_default() += 1;
            }
            Event::Poll {
                task,
                tid,
                start,
                woken_by,
                ..
            } => {
                summary.polls += 1;
                if fetches.contains(task) {
                    summary.fetch_polls += 1;
                }
                *polls_by_thread.entry(*tid).or_default() += 1;
                let earlier = polled.entry(*task).or_default();
                *earlier += 1;
                match woken_by.and_then(|id| wake_at.get(&id)) {
                    Some(at) => delays.push(start.saturating_sub(*at) as f64 / 1000.0),
                    None if *earlier > 1 => summary.spurious_polls += 1,
                    None => {}
                }
            }
        }
    }
    summary.fetch_tasks = fetches.len() as u64;
    delays.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let index = ((delays.len() as f64 - 1.0) * q).round() as usize;
        delays.get(index).copied().unwrap_or(0.0)
    };
    summary.wake_to_poll_p50_us = at(0.5);
    summary.wake_to_poll_p99_us = at(0.99);
    let named = |counts: BTreeMap<u32, u64>| {
        let mut names: BTreeMap<String, u64> = BTreeMap::new();
        for (tid, count) in counts {
            *names.entry(thread_name(tid)).or_default() += count;
        }
        names.into_iter().collect()
    };
    summary.wakes_by_thread = named(by_thread);
    summary.polls_by_thread = named(polls_by_thread);
    summary
}

/// A string as a JSON string literal.
fn json_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"?\"".to_owned())
}

/// The Chrome trace of `events`: a track per thread, named as the kernel names it; each
/// poll a complete event (`ph: "X"`) with the task's name and the poll's result; each wake
/// a short complete event on the waking thread, linked by a flow (`bind_id`, `flow_out`,
/// `flow_in`) to the poll that answered it.
fn chrome_trace(events: &[Event], summary: &TraceSummary) -> String {
    use std::collections::{BTreeSet, HashMap, HashSet};
    let pid = std::process::id();
    let micros = |ns: u64| ns as f64 / 1000.0;
    let mut names: HashMap<u64, &str> = HashMap::new();
    let mut answered: HashSet<u64> = HashSet::new();
    let mut threads: BTreeSet<u32> = BTreeSet::new();
    for event in events {
        match event {
            Event::Task { task, name } => {
                names.insert(*task, name);
            }
            Event::Poll { woken_by, tid, .. } => {
                answered.extend(*woken_by);
                threads.insert(*tid);
            }
            Event::Wake { tid, .. } => {
                threads.insert(*tid);
            }
        }
    }
    let mut out = String::from("{\"traceEvents\":[\n");
    let _ = write!(
        out,
        "{{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":{pid},\"args\":{{\"name\":{}}}}}",
        json_string(&thread_name(pid))
    );
    for tid in &threads {
        let _ = write!(
            out,
            ",\n{{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":{pid},\"tid\":{tid},\
             \"args\":{{\"name\":{}}}}}",
            json_string(&thread_name(*tid))
        );
    }
    let mut polls: HashMap<u64, u64> = HashMap::new();
    for event in events {
        match event {
            Event::Task { .. } => {}
            Event::Poll {
                task,
                tid,
                start,
                duration,
                ready,
                woken_by,
            } => {
                let count = polls.entry(*task).or_default();
                *count += 1;
                let name = json_string(names.get(task).copied().unwrap_or("task"));
                let result = if *ready { "Ready" } else { "Pending" };
                let flow = match woken_by {
                    Some(id) => format!(",\"bind_id\":{id},\"flow_in\":true"),
                    None => String::new(),
                };
                let _ = write!(
                    out,
                    ",\n{{\"ph\":\"X\",\"cat\":\"poll\",\"name\":{name},\"pid\":{pid},\
                     \"tid\":{tid},\"ts\":{:.3},\"dur\":{:.3}{flow},\"args\":{{\"task\":{task},\
                     \"poll\":{count},\"result\":\"{result}\"}}}}",
                    micros(*start),
                    micros(*duration).max(0.001),
                );
            }
            Event::Wake { task, tid, at, id } => {
                let name = json_string(&format!(
                    "wake {}",
                    names.get(task).copied().unwrap_or("task")
                ));
                let flow = if answered.contains(id) {
                    format!(",\"bind_id\":{id},\"flow_out\":true")
                } else {
                    String::new()
                };
                let _ = write!(
                    out,
                    ",\n{{\"ph\":\"X\",\"cat\":\"wake\",\"name\":{name},\"pid\":{pid},\
                     \"tid\":{tid},\"ts\":{:.3},\"dur\":0.001{flow},\"args\":{{\"task\":{task}}}}}",
                    micros(*at),
                );
            }
        }
    }
    let summary = serde_json::to_string(summary).unwrap_or_else(|_| "null".to_owned());
    let _ = write!(
        out,
        "\n],\n\"displayTimeUnit\":\"ns\",\n\"studySummary\":{summary}\n}}\n"
    );
    out
}
