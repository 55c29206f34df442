//! Test doubles shared by the unit tests of this crate.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use futures::future::{LocalBoxFuture, join_all};

use crate::runtime::Runtime;

/// A runtime for unit tests: its timer fires at once (any wait is "over the limit"), it
/// counts the tasks it is asked to spawn and runs them in place, and it has no budget.
#[derive(Clone, Default)]
pub(crate) struct FakeRuntime {
    /// How many tasks `gather_spawn` was given, in all.
    pub(crate) spawned: Rc<Cell<usize>>,
}

impl Runtime for FakeRuntime {
    fn name(&self) -> &'static str {
        "fake"
    }

    fn driver(&self) -> &'static str {
        "none (a fake runtime for unit tests)"
    }

    async fn sleep(&self, _: Duration) {}

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

/// A runtime for unit tests whose timer is real: each sleep is a thread that sleeps, then
/// wakes the task. Everything else is [`FakeRuntime`]'s.
#[derive(Clone, Default)]
pub(crate) struct ThreadRuntime;

impl Runtime for ThreadRuntime {
    fn name(&self) -> &'static str {
        "thread"
    }

    fn driver(&self) -> &'static str {
        "none (a thread per sleep, for unit tests)"
    }

    async fn sleep(&self, duration: Duration) {
        let (done, slept) = futures::channel::oneshot::channel();
        std::thread::spawn(move || {
            std::thread::sleep(duration);
            let _ = done.send(());
        });
        let _ = slept.await;
    }

    async fn gather_spawn<T: 'static>(&self, tasks: Vec<LocalBoxFuture<'static, T>>) -> Vec<T> {
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
