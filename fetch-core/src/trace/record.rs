//! Recording: the wrapper future and waker that log each poll and wake of a traced task,
//! and the log they write to.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use super::source::{self, WakeSource};
use crate::census::current_tid;

/// The most events one run records: about 40 bytes each, so at most some 40 MB.
pub const CAPACITY: usize = 1_000_000;

/// The run's log, once tracing has started.
static LOG: OnceLock<Arc<Log>> = OnceLock::new();

/// The longest a poll may take before debug mode warns, once it is on.
static SLOW_POLL: OnceLock<Duration> = OnceLock::new();

/// asyncio's `loop.slow_callback_duration` by default: the poll that `--debug` warns of.
pub const SLOW_CALLBACK: Duration = Duration::from_millis(100);

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
pub(super) enum Event {
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
        /// What woke it, as the study's tags tell.
        source: WakeSource,
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
    let started = LOG.set(log).is_ok();
    if started {
        source::turn_on();
    }
    started
}

/// The events recorded so far, and how many the log dropped; none before [`start`].
pub(super) fn recorded() -> (Vec<Event>, u64) {
    match LOG.get() {
        Some(log) => (
            log.events
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
            log.dropped.load(Ordering::Relaxed),
        ),
        None => (Vec::new(), 0),
    }
}

/// Turns on asyncio's debug mode for the rest of the process (`--debug`): a warning on
/// stderr for each poll of a traced task that takes longer than `limit`. Returns `false`
/// if it was on already.
pub fn warn_of_polls_over(limit: Duration) -> bool {
    SLOW_POLL.set(limit).is_ok()
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
        // Boxed: off, a trace and debug mode cost a future one null pointer.
        state: Option<Box<TaskState>>,
    }
}

/// A traced task's bookkeeping: its recording (`--trace`), its slow-poll watch (`--debug`),
/// or both.
struct TaskState {
    recording: Option<Recording>,
    slow: Option<SlowPolls>,
}

/// What a recorded task keeps.
struct Recording {
    log: Arc<Log>,
    task: u64,
    /// The id of the first wake since the last poll, or 0.
    woken: Arc<AtomicU64>,
    /// The executor's waker last seen, and the recording waker that wraps it.
    wakers: Option<(Waker, Waker)>,
}

/// What `--debug` keeps of a task: its name, and how long a poll may take before a warning.
struct SlowPolls {
    name: String,
    limit: Duration,
}

/// `inner`, recorded as a task named `name()` while tracing is on, and watched for slow
/// polls in debug mode; `name` is called only then.
pub fn traced<F: Future>(name: impl FnOnce() -> String, inner: F) -> Traced<F> {
    let (log, limit) = (LOG.get(), SLOW_POLL.get());
    if log.is_none() && limit.is_none() {
        return Traced { inner, state: None };
    }
    let name = name();
    let recording = log.map(|log| {
        let task = log.next_task.fetch_add(1, Ordering::Relaxed);
        log.push(Event::Task {
            task,
            name: name.clone(),
        });
        Recording {
            log: log.clone(),
            task,
            woken: Arc::new(AtomicU64::new(0)),
            wakers: None,
        }
    });
    let slow = limit.map(|&limit| SlowPolls { name, limit });
    Traced {
        inner,
        state: Some(Box::new(TaskState { recording, slow })),
    }
}

impl<F: Future> Future for Traced<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let Some(state) = this.state else {
            return this.inner.poll(cx);
        };
        let started = Instant::now();
        let result = match &mut state.recording {
            Some(recording) => recording.poll(this.inner, cx),
            None => this.inner.poll(cx),
        };
        if let Some(slow) = &state.slow {
            slow.check(started.elapsed());
        }
        result
    }
}

impl Recording {
    /// Polls `inner` with the recording waker, and records the poll.
    fn poll<F: Future>(&mut self, inner: Pin<&mut F>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // The recording waker is made again only when the executor's waker changes, so
        // that a runtime that compares wakers (`will_wake`) sees the same one each time.
        let fresh = match &self.wakers {
            Some((seen, _)) => !seen.will_wake(cx.waker()),
            None => true,
        };
        if fresh {
            let recorder = Arc::new(Recorder {
                inner: cx.waker().clone(),
                task: self.task,
                woken: self.woken.clone(),
                log: self.log.clone(),
            });
            self.wakers = Some((cx.waker().clone(), Waker::from(recorder)));
        }
        let Some((_, waker)) = &self.wakers else {
            return inner.poll(cx);
        };
        let woken_by = match self.woken.swap(0, Ordering::AcqRel) {
            0 => None,
            id => Some(id),
        };
        let start = self.log.now();
        let result = inner.poll(&mut Context::from_waker(waker));
        let duration = self.log.now().saturating_sub(start);
        self.log.push(Event::Poll {
            task: self.task,
            tid: current_tid().unwrap_or(0),
            start,
            duration,
            ready: result.is_ready(),
            woken_by,
        });
        result
    }
}

impl SlowPolls {
    /// Warns on stderr, as asyncio's debug mode does, when a poll that `took` so long kept
    /// the thread past the limit.
    fn check(&self, took: Duration) {
        if took > self.limit {
            eprintln!(
                "warning: executing task \"{}\" took {:.3} seconds, and no other task of \
                 its thread ran meanwhile (--debug warns of every poll over {} s, as asyncio's \
                 debug mode does)",
                self.name,
                took.as_secs_f64(),
                self.limit.as_secs_f64()
            );
        }
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
            source: source::current(),
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
