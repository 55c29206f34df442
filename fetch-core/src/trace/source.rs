//! Sources: what woke a task. The study tags the waker it hands down at its own boundaries
//! (the runtime handle's sleep, hyper's socket, the gathers of spawned tasks, hyper's
//! channels), and a traced task's recording waker reads the tag of the wake that reaches
//! it: the innermost tag on the way wins, as it is the nearest to what fired.
//!
//! A tag is a thread-local set for the length of one wake call: a wake travels from the
//! leaf (a timer, a socket's readiness) through the wakers above it to the task's, on one
//! thread, within one call. A wake that no tag saw is `unknown`: a runtime's own wake
//! inside a poll, isahc's or surf's threads.
//!
//! Off unless tracing is on: a [`SourceTag`] then costs one branch per poll and one null
//! pointer.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use serde::{Deserialize, Serialize};

/// Whether the tags are on: the recording turns them on when it starts.
static TAGGING: AtomicBool = AtomicBool::new(false);

/// Turns the tags on, for the rest of the process.
pub(super) fn turn_on() {
    TAGGING.store(true, Ordering::Relaxed);
}

/// What woke a task, as far as the study can know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum WakeSource {
    /// A socket became readable, or its read completed.
    SocketRead,
    /// A socket became writable (a connect, or a write that waited), or its write
    /// completed.
    SocketWrite,
    /// A timer fired.
    Timer,
    /// Another task ended, or a channel had a message: spawned tasks' handles, hyper's
    /// channels between a request and its connection, the blocking pool.
    TaskOrChannel,
    /// No tag saw it.
    Unknown,
}

impl WakeSource {
    /// Every source, in the order the trace's figures list them.
    pub const ALL: [WakeSource; 5] = [
        WakeSource::SocketRead,
        WakeSource::SocketWrite,
        WakeSource::Timer,
        WakeSource::TaskOrChannel,
        WakeSource::Unknown,
    ];

    /// The name the trace file gives it (`args.source`).
    pub fn name(self) -> &'static str {
        match self {
            WakeSource::SocketRead => "socket read",
            WakeSource::SocketWrite => "socket write",
            WakeSource::Timer => "timer",
            WakeSource::TaskOrChannel => "task or channel",
            WakeSource::Unknown => "unknown",
        }
    }
}

thread_local! {
    /// The source of the wake this thread is passing on, if a tag saw it.
    static WAKING: Cell<Option<WakeSource>> = const { Cell::new(None) };
}

/// The source of the wake being passed on now, on this thread.
pub(super) fn current() -> WakeSource {
    WAKING.with(Cell::get).unwrap_or(WakeSource::Unknown)
}

/// A waker that says its source while it passes a wake on to the waker it wraps.
struct Tagging {
    inner: Waker,
    source: WakeSource,
}

impl Wake for Tagging {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // The innermost tag wins: an outer one finds the source set already.
        let first = WAKING.with(|waking| waking.get().is_none());
        let _clear = first.then(|| {
            WAKING.with(|waking| waking.set(Some(self.source)));
            Clear
        });
        self.inner.wake_by_ref();
    }
}

/// Clears the thread's tag when dropped: after the wake, or if the wake panics.
struct Clear;

impl Drop for Clear {
    fn drop(&mut self) {
        WAKING.with(|waking| waking.set(None));
    }
}

/// A tag for the wakers handed down at one boundary, kept from poll to poll: the tagging
/// waker is made again only when the executor's waker changes, so that a runtime that
/// compares wakers (`will_wake`) sees the same one each time (async-io wakes the old waker
/// when a new one replaces it, which would be a busy loop).
#[derive(Debug)]
pub struct SourceTag {
    source: WakeSource,
    /// The executor's waker last seen, and the tagging waker that wraps it; boxed, so that
    /// an untraced run carries one null pointer.
    wakers: Option<Box<(Waker, Waker)>>,
}

impl SourceTag {
    /// A tag for wakes from `source`.
    pub const fn new(source: WakeSource) -> SourceTag {
        SourceTag {
            source,
            wakers: None,
        }
    }

    /// Calls `poll` with `cx`, whose waker is tagged while tracing is on.
    pub fn poll<T>(&mut self, cx: &mut Context<'_>, poll: impl FnOnce(&mut Context<'_>) -> T) -> T {
        if !TAGGING.load(Ordering::Relaxed) {
            return poll(cx);
        }
        let fresh = match &self.wakers {
            Some(wakers) => !wakers.0.will_wake(cx.waker()),
            None => true,
        };
        if fresh {
            let tagging = Waker::from(Arc::new(Tagging {
                inner: cx.waker().clone(),
                source: self.source,
            }));
            self.wakers = Some(Box::new((cx.waker().clone(), tagging)));
        }
        match &self.wakers {
            Some(wakers) => poll(&mut Context::from_waker(&wakers.1)),
            None => poll(cx),
        }
    }
}

pin_project_lite::pin_project! {
    /// A future whose wakes are tagged with a source while tracing is on: see [`woken_by`].
    #[derive(Debug)]
    pub struct WokenBy<F> {
        #[pin]
        inner: F,
        tag: SourceTag,
    }
}

/// `inner`, its wakes tagged as coming from `source` while tracing is on.
pub fn woken_by<F: Future>(source: WakeSource, inner: F) -> WokenBy<F> {
    WokenBy {
        inner,
        tag: SourceTag::new(source),
    }
}

impl<F: Future> Future for WokenBy<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let inner = this.inner;
        this.tag.poll(cx, |cx| inner.poll(cx))
    }
}
