//! The executor: a run queue, wakers, timers, `block_on` and `spawn`, in plain std Rust.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

/// A task: a future with its output already put away, boxed so that tasks of any type
/// fit in one map. Not `Send`: it never leaves the executor's thread.
type Task = Pin<Box<dyn Future<Output = ()>>>;

/// A single-threaded executor. Clones are handles to the same one.
#[derive(Clone, Default)]
pub struct Executor {
    inner: Rc<Inner>,
}

/// The executor's state, shared by its handles and its timer futures.
#[derive(Default)]
struct Inner {
    /// Every unfinished task, by id. A task is taken out while it is being polled, so that
    /// it may spawn others meanwhile.
    tasks: RefCell<HashMap<u64, Task>>,
    /// The next task id.
    next_id: Cell<u64>,
    /// The run queue. Wakers may be called from other threads (see `spawn_blocking`), so it
    /// sits behind an `Arc` and a `Mutex`, the only shared-memory parts here.
    ready: Arc<Ready>,
    /// Pending timers, earliest first: (deadline, timer id) → the waker to call then. The
    /// id breaks ties. One entry per pending [`Sleep`], which updates it in place and
    /// removes it when dropped.
    timers: RefCell<BTreeMap<(Instant, u64), Waker>>,
    /// The next timer id.
    next_timer: Cell<u64>,
}

/// The run queue: the ids of the tasks to poll, and the thread to wake when one is added.
struct Ready {
    ids: Mutex<VecDeque<u64>>,
    thread: Thread,
}

impl Default for Ready {
    fn default() -> Self {
        Ready {
            ids: Mutex::default(),
            // The executor's thread is the one that creates it.
            thread: thread::current(),
        }
    }
}

/// A task's waker: waking it puts the task's id on the run queue and unparks the thread.
struct TaskWaker {
    id: u64,
    ready: Arc<Ready>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let mut ids = self
            .ready
            .ids
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        ids.push_back(self.id);
        self.ready.thread.unpark();
    }
}

impl Executor {
    /// Runs `future` to completion on this thread, along with every task spawned meanwhile.
    ///
    /// This is the whole of `block_on`: poll what is ready, fire the timers that are due,
    /// and, when nothing is ready, sleep until the next deadline or the next wake,
    /// whichever comes first. (A real runtime waits in `epoll_wait` instead, so that
    /// sockets can wake it too; this one has no sockets.)
    pub fn block_on<T: 'static>(&self, future: impl Future<Output = T> + 'static) -> T {
        let output = Rc::new(RefCell::new(None));
        let slot = output.clone();
        self.spawn_task(Box::pin(async move {
            *slot.borrow_mut() = Some(future.await);
        }));
        loop {
            self.run_ready();
            if let Some(output) = output.borrow_mut().take() {
                return output;
            }
            self.fire_timers();
            if self.ready_is_empty() {
                // No deadline and nothing ready: only a wake from another thread can come.
                match self.next_deadline() {
                    Some(deadline) => thread::park_timeout(deadline - Instant::now()),
                    None => thread::park(),
                }
            }
        }
    }

    /// Spawns `future` as a task of its own, and returns a handle that awaits its output.
    pub fn spawn<T: 'static>(&self, future: impl Future<Output = T> + 'static) -> JoinHandle<T> {
        let state = Rc::new(RefCell::new(JoinState {
            output: None,
            waiter: None,
        }));
        let task_state = state.clone();
        self.spawn_task(Box::pin(async move {
            let output = future.await;
            let mut state = task_state.borrow_mut();
            state.output = Some(output);
            if let Some(waiter) = state.waiter.take() {
                waiter.wake();
            }
        }));
        JoinHandle(state)
    }

    /// A future that is ready once `duration` has passed.
    pub fn sleep(&self, duration: Duration) -> Sleep {
        Sleep {
            deadline: Instant::now() + duration,
            entry: None,
            inner: self.inner.clone(),
        }
    }

    /// How many timers are pending: one per [`Sleep`] that was polled, is not due yet,
    /// and was not dropped.
    pub fn pending_timers(&self) -> usize {
        self.inner.timers.borrow().len()
    }

    /// Stores a task and puts it on the run queue.
    fn spawn_task(&self, task: Task) {
        let id = self.inner.next_id.get();
        self.inner.next_id.set(id + 1);
        self.inner.tasks.borrow_mut().insert(id, task);
        let ready = &self.inner.ready;
        ready
            .ids
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(id);
    }

    /// Polls the tasks that are on the run queue when the round begins, once each.
    ///
    /// Only those: a task woken meanwhile (one that yields wakes itself) waits for the
    /// next round, after the timers have been fired. Were the loop to run until the queue
    /// is empty, a task that yields in a loop would keep every timer from firing, and the
    /// `yield_now` fix of the starvation demo would not work. The real runtimes bound their
    /// rounds in the same way (tokio checks its timers and I/O every 61 polls).
    fn run_ready(&self) {
        let round = self.ready_ids().len();
        for _ in 0..round {
            let Some(id) = self.ready_ids().pop_front() else {
                return;
            };
            // A task woken twice, or after it finished, is no longer in the map.
            let Some(mut task) = self.inner.tasks.borrow_mut().remove(&id) else {
                continue;
            };
            let waker = Waker::from(Arc::new(TaskWaker {
                id,
                ready: self.inner.ready.clone(),
            }));
            if task
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
            {
                self.inner.tasks.borrow_mut().insert(id, task);
            }
        }
    }

    /// The run queue, locked.
    fn ready_ids(&self) -> std::sync::MutexGuard<'_, VecDeque<u64>> {
        let ready = &self.inner.ready;
        ready.ids.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wakes every timer whose deadline has passed.
    fn fire_timers(&self) {
        let now = Instant::now();
        let mut timers = self.inner.timers.borrow_mut();
        while let Some(entry) = timers.first_entry() {
            if entry.key().0 > now {
                return;
            }
            entry.remove().wake();
        }
    }

    /// Whether no task waits on the run queue.
    fn ready_is_empty(&self) -> bool {
        let ids = self
            .inner
            .ready
            .ids
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        ids.is_empty()
    }

    /// The earliest pending deadline, if any.
    fn next_deadline(&self) -> Option<Instant> {
        let timers = self.inner.timers.borrow();
        timers.first_key_value().map(|(&(deadline, _), _)| deadline)
    }
}

/// The future of [`Executor::sleep`].
pub struct Sleep {
    deadline: Instant,
    /// Its key in the timer map, once it has been polled before its deadline.
    entry: Option<(Instant, u64)>,
    inner: Rc<Inner>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        // Not yet: leave the deadline and the waker for `fire_timers`. Polled again, the
        // sleep keeps its one entry and only replaces the waker, if it is another task's.
        let mut timers = self.inner.timers.borrow_mut();
        if let Some(waker) = self.entry.and_then(|key| timers.get_mut(&key)) {
            if !waker.will_wake(cx.waker()) {
                waker.clone_from(cx.waker());
            }
            return Poll::Pending;
        }
        let id = self.inner.next_timer.get();
        self.inner.next_timer.set(id + 1);
        let key = (self.deadline, id);
        timers.insert(key, cx.waker().clone());
        drop(timers);
        self.entry = Some(key);
        Poll::Pending
    }
}

impl Drop for Sleep {
    /// A sleep dropped before its deadline (a timeout that lost the race) takes its entry
    /// with it, so the timer map holds only sleeps that someone still awaits.
    fn drop(&mut self) {
        if let Some(key) = self.entry {
            self.inner.timers.borrow_mut().remove(&key);
        }
    }
}

/// What a spawned task and its handle share: the output, and who waits for it.
struct JoinState<T> {
    output: Option<T>,
    waiter: Option<Waker>,
}

/// Awaits the output of a task spawned with [`Executor::spawn`].
pub struct JoinHandle<T>(Rc<RefCell<JoinState<T>>>);

impl<T> Future for JoinHandle<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut state = self.0.borrow_mut();
        match state.output.take() {
            Some(output) => Poll::Ready(output),
            None => {
                state.waiter = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// A future that returns `Pending` once, after waking itself: the others get a turn.
pub struct YieldNow(pub bool);

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;

    use super::*;

    #[test]
    fn a_sleep_polled_many_times_keeps_one_timer_entry_and_drop_removes_it() {
        let executor = Executor::default();
        let handle = executor.clone();
        let counts = executor.block_on(async move {
            // Boxed, not pinned on the stack, so that `drop` below really drops it.
            let mut sleep = Box::pin(handle.sleep(Duration::from_secs(60)));
            for _ in 0..10_000 {
                let polled = poll_fn(|cx| Poll::Ready(sleep.as_mut().poll(cx))).await;
                assert!(polled.is_pending());
            }
            let while_pending = handle.pending_timers();
            drop(sleep);
            (while_pending, handle.pending_timers())
        });
        assert_eq!(counts, (1, 0));
    }
}
