//! The sleep and starvation demos on a minimal executor written out in plain std Rust
//! ([`executor`]), to show what `block_on`, a waker and a timer queue do inside the real
//! runtimes. A teaching piece, not a runtime to use: it has no I/O reactor, so it cannot
//! fetch.
//!
//! Run with: `cargo run -p runtime-minimal -- sleep`

use std::time::Duration;

use anyhow::{Context, bail};
use futures::StreamExt;
use futures::future::{LocalBoxFuture, join_all};

use fetch_core::report::Live;
use fetch_core::{Cli, Command, RunReport, Runtime};

pub mod executor;

use executor::{Executor, YieldNow};

/// Plays the demo the command line names on the minimal executor, and returns its report.
pub fn run(cli: &Cli) -> anyhow::Result<RunReport> {
    let live = Live { quiet: cli.json() };
    if cli.debug() {
        fetch_core::trace::warn_of_polls_over(fetch_core::trace::SLOW_CALLBACK);
    }
    if let Some(path) = cli.trace() {
        std::fs::File::create(path)
            .with_context(|| format!("cannot write --trace {}", path.display()))?;
        fetch_core::trace::start();
    }
    let report = play(cli, live)?;
    if let Some(path) = cli.trace() {
        fetch_core::trace::finish(path, live)
            .with_context(|| format!("cannot write --trace {}", path.display()))?;
    }
    Ok(report)
}

/// Plays the demo the command line names on the minimal executor.
fn play(cli: &Cli, live: Live) -> anyhow::Result<RunReport> {
    let minimal = Minimal {
        executor: Executor::default(),
    };
    let runtime = minimal.clone();
    match &cli.subcommand {
        Some(Command::Sleep(_)) => Ok(minimal.executor.block_on(async move {
            RunReport::Sleep(fetch_core::sleep::demo(&runtime, live).await)
        })),
        Some(Command::Starve(_)) => Ok(minimal.executor.block_on(async move {
            RunReport::Starve(fetch_core::starve::demo(&runtime, live).await)
        })),
        _ => bail!(
            "runtime-minimal has no I/O reactor, so it cannot fetch: it plays only the \
             `sleep` and `starve` demos"
        ),
    }
}

/// The minimal executor, as fetch-core needs it.
#[derive(Clone)]
pub struct Minimal {
    executor: Executor,
}

impl Runtime for Minimal {
    fn name(&self) -> &'static str {
        "minimal"
    }

    fn driver(&self) -> &'static str {
        // No I/O: the thread parks until the next timer or a wake.
        "none (the thread parks until the next timer)"
    }

    async fn timer(&self, duration: Duration) {
        self.executor.sleep(duration).await;
    }

    async fn gather_spawn<T: 'static>(&self, futures: Vec<LocalBoxFuture<'static, T>>) -> Vec<T> {
        // Each future becomes a task of its own on this thread.
        let tasks: Vec<_> = futures
            .into_iter()
            .map(|f| self.executor.spawn(f))
            .collect();
        join_all(tasks).await
    }

    async fn yield_now(&self) {
        YieldNow(false).await;
    }

    async fn spawn_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> T {
        // The work runs on a thread of its own; the channel's waker, called from there,
        // puts this task back on the run queue.
        let (sender, receiver) = futures::channel::oneshot::channel();
        let spawned = std::thread::Builder::new()
            .name("minimal-blocking".into())
            .spawn(move || sender.send(work()));
        if let Err(err) = spawned {
            panic!("cannot start a thread for spawn_blocking: {err}");
        }
        match receiver.await {
            Ok(output) => output,
            Err(_) => panic!("the blocking work panicked"),
        }
    }

    async fn ready_loop(&self, duration: Duration) -> u64 {
        // futures' channel, which has no cooperative budget.
        let (sender, mut receiver) = futures::channel::mpsc::unbounded();
        fetch_core::starve::receive_for(duration, async || {
            let _ = sender.unbounded_send(());
            receiver.next().await.is_some()
        })
        .await
    }
}
