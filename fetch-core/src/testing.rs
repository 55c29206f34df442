//! Test doubles shared by the unit tests of this crate.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use futures::future::{LocalBoxFuture, join_all};

use crate::runtime::Runtime;

/// A runtime for unit tests: its timer fires at once (any wait is "over the limit"), or,
/// with `real_timer`, after the time asked (a thread that sleeps, then wakes the task); it
/// counts the tasks it is asked to spawn and runs them in place, and it has no budget.
#[derive(Clone, Default)]
pub(crate) struct FakeRuntime {
    /// How many tasks `gather_spawn` was given, in all.
    pub(crate) spawned: Rc<Cell<usize>>,
    /// Whether a sleep lasts its duration.
    pub(crate) real_timer: bool,
}

impl Runtime for FakeRuntime {
    fn name(&self) -> &'static str {
        "fake"
    }

    fn driver(&self) -> &'static str {
        "none (a fake runtime for unit tests)"
    }

    async fn timer(&self, duration: Duration) {
        if !self.real_timer {
            return;
        }
        let (done, slept) = futures::channel::oneshot::channel();
        std::thread::spawn(move || {
            std::thread::sleep(duration);
            let _ = done.send(());
        });
        let _ = slept.await;
    }

    async fn gather_spawn<T: 'static>(&self, tasks: Vec<LocalBoxFuture<'static, T>>) -> Vec<T> {
        self.spawned.set(self.spawned.get() + tasks.len());
        join_all(tasks).await
    }

    async fn yield_now(&self) {}

    async fn spawn_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> T {
        work()
    }

    async fn ready_loop(&self, _: Duration) -> u64 {
        0
    }
}
