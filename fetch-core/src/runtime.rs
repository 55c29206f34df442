//! What a runtime crate provides: a name, a timer, a local spawn, a yield, a way to run
//! blocking work off the thread, and, for the reactive demo, processes, files and stdin.

use std::future::Future;
use std::io;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use futures::future::LocalBoxFuture;

use crate::trace::{WakeSource, woken_by};

/// One current-thread async runtime, as the study sees it.
///
/// Everything else (gathering, timing, reporting) is written once against this trait, so
/// that `diff runtime-tokio/src/lib.rs runtime-smol/src/lib.rs` shows only what differs
/// between the runtimes. As with [`crate::Fetch`], the `async fn`s carry no `Send` bound:
/// every future stays on the executor's thread. A handle is cheap to clone, so that a
/// spawned local task can own one.
#[allow(async_fn_in_trait)]
pub trait Runtime: Clone + 'static {
    /// The runtime's name, as the report shows it, such as `tokio` or `smol`.
    fn name(&self) -> &'static str;

    /// What the thread waits in for I/O and timers, as the report shows it: `epoll` for the
    /// readiness-based runtimes (and by whom), `io_uring` for a completion-based one.
    fn driver(&self) -> &'static str;

    /// Waits `duration` on the runtime's own timer, without blocking the thread: what each
    /// runtime crate provides. The study calls [`sleep`](Runtime::sleep), which is this.
    async fn timer(&self, duration: Duration);

    /// Waits `duration` on the runtime's own timer ([`timer`](Runtime::timer)), its wake
    /// tagged as a timer's for the trace.
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> {
        woken_by(WakeSource::Timer, self.timer(duration))
    }

    /// Spawns each future as a local task on the executor's own thread, then waits for them
    /// all and returns their outputs in input order, like `asyncio.gather`.
    async fn gather_spawn<T: 'static>(&self, futures: Vec<LocalBoxFuture<'static, T>>) -> Vec<T>;

    /// Gives the other tasks a turn: returns `Pending` once, then is ready.
    async fn yield_now(&self);

    /// Awaits `work`, one task that gathers many futures (a `join`, where
    /// [`gather_spawn`](Runtime::gather_spawn) makes a task of each), in the way the runtime
    /// runs that best. By default it is just `work.await`.
    ///
    /// tokio needs two things (docs/BENCHMARKS.md, "tokio's gathered sleeps, 1.43 against
    /// 1.44 and later"): out of its cooperative budget, since from 1.44 `join_all` of
    /// 100,000 1 s sleeps takes about 3.6 s instead of 1; and a timer its driver has seen before the gathered ones arm theirs, or each
    /// arming wakes the driver with a syscall.
    async fn gather_join<T>(&self, work: impl Future<Output = T>) -> T {
        work.await
    }

    /// Runs `work` on a thread of the runtime's blocking pool, and waits for it without
    /// blocking the executor's thread.
    async fn spawn_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> T;

    /// Receives from one of the runtime's own channels, which always has a message ready,
    /// until `duration` has passed, and counts the messages: a task that never waits, yet
    /// awaits all the time. It shows whether the runtime takes the thread back from such a
    /// task (tokio's cooperative budget does) or lets it starve the others. Each runtime
    /// crate passes its channel to `starve::receive_for`, which loops.
    async fn ready_loop(&self, duration: Duration) -> u64;
}

/// What the reactive-tasks demo needs besides a [`Runtime`]: a subprocess, a file and
/// standard input, each through the runtime's own API.
#[allow(async_fn_in_trait)]
pub trait Reactive: Runtime {
    /// Runs `command` with `sh -c` and collects its output.
    async fn run_command(&self, command: &str) -> io::Result<Output>;

    /// Reads the whole file at `path`.
    async fn read_file(&self, path: &Path) -> io::Result<Vec<u8>>;

    /// Reads one line from standard input as `read_line` does: with its line ending, and
    /// empty at the end of the input.
    async fn read_stdin_line(&self) -> io::Result<String>;
}
