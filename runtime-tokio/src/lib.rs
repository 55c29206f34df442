//! The lesson on tokio: a `LocalRuntime` (current-thread, for local tasks), and hyper over
//! tokio's own `TcpStream`, adapted by `hyper_util::rt::TokioIo`.
//!
//! Run with: `cargo run -p runtime-tokio`
//!
//! Everything shared with the other runtimes is in fetch-core, fetch-clients and
//! study-play. Every `runtime-*/src/lib.rs` has the same items in the same order, so that
//! `diff` against any other one shows only what differs between the runtimes (the README's
//! "What to compare" lists the diffs worth reading).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures::future::{LocalBoxFuture, join_all};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;

use fetch_clients::Connect;
use fetch_core::runtime::Reactive;
use fetch_core::starve::receive_for;
use fetch_core::{Cli, IoAdapter, RunReport, Runtime};
use study_play::Play;

/// Plays the lesson, or the demo the command line names, on one thread, and returns its
/// report.
///
/// When the demo fetches and no server is named, [`Play::prepare`] starts a fixture server
/// on its own thread first, and it serves until this function returns.
pub fn run(cli: &Cli) -> anyhow::Result<RunReport> {
    let play = Play::prepare(cli)?;
    // A `LocalRuntime` is tokio's current-thread runtime for `!Send` tasks: it polls every
    // task on the thread that calls `block_on`, where `spawn_local` works with no
    // `LocalSet`; `enable_all` turns on its I/O reactor and timers, driven from that same
    // thread.
    let executor = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build_local(tokio::runtime::LocalOptions::default())
        .context("cannot build the tokio runtime")?;
    let runtime = Tokio;
    // The demo runs as a local task of its own, not as the future `block_on` polls: see
    // `Play::demo` for why.
    let demo = executor.spawn_local(play.demo(runtime));
    // A tokio task hands back its panic as an error: raise it again here.
    match executor.block_on(demo) {
        Ok(report) => Ok(report?),
        Err(err) => match err.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(err) => Err(anyhow::anyhow!("the demo's task ended early: {err}")),
        },
    }
}

/// tokio, as fetch-core and fetch-clients need it. The runtime itself is reached through
/// the thread's context, so the handle holds nothing.
#[derive(Debug, Clone)]
pub struct Tokio;

impl Runtime for Tokio {
    fn name(&self) -> &'static str {
        "tokio"
    }

    fn driver(&self) -> &'static str {
        // mio's epoll, which tokio's I/O driver waits in on this thread; its timers are
        // the epoll wait's timeout.
        "epoll (mio)"
    }

    async fn timer(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }

    async fn gather_spawn<T: 'static>(&self, futures: Vec<LocalBoxFuture<'static, T>>) -> Vec<T> {
        // Each future becomes a task of its own on this thread.
        let tasks: Vec<_> = futures.into_iter().map(tokio::task::spawn_local).collect();
        // A task that has spent its cooperative budget has its wake deferred since tokio
        // 1.44, and awaiting thousands of handles spends it at once: `join_all` would then
        // poll every unfinished handle again in each turn, while at most 128 of them (the
        // budget) finish. Waiting for the handles is a join like any other, so it runs out
        // of the budget, as in `gather_join` (tests/budget.rs counts the polls).
        let joined = tokio::task::unconstrained(join_all(tasks)).await;
        // A tokio task hands back its panic as an error: raise it again here, as smol and
        // async-std do on their own.
        joined
            .into_iter()
            .map(|output| output.unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic())))
            .collect()
    }

    async fn yield_now(&self) {
        tokio::task::yield_now().await;
    }

    async fn gather_join<T>(&self, work: impl Future<Output = T>) -> T {
        // tokio wakes its own driver (a write to an eventfd) for every timer armed to be due
        // before the earliest one the driver saw when it last ran, and for every timer when
        // it saw none (tokio#5207): the gathered futures, each arming a timer in the same
        // turn, would make thousands of writes. A 10 ms timer, armed and shown to the driver
        // by one yield, becomes that earliest one, and the gathered timers, all due later,
        // arm without a syscall. (If it has fired by then, nothing is worse than without it.)
        let mut first = std::pin::pin!(tokio::time::sleep(Duration::from_millis(10)));
        let _ = futures::poll!(first.as_mut());
        tokio::task::yield_now().await;
        // A task that has spent its budget has its wake deferred since tokio 1.44; one task
        // that gathers thousands of futures spends it at once, and `join_all` then polls
        // every one of them in each turn. `unconstrained` takes the budget away.
        tokio::task::unconstrained(work).await
    }

    async fn spawn_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> T {
        // The work runs on tokio's blocking pool, which starts threads as it needs them.
        // A blocking task fails only if it panicked: raise it again here.
        tokio::task::spawn_blocking(work)
            .await
            .unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic()))
    }

    async fn ready_loop(&self, duration: Duration) -> u64 {
        // tokio's own channel: every receive spends some of the task's cooperative budget.
        let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
        receive_for(duration, async || {
            let _ = sender.send(());
            receiver.recv().await.is_some()
        })
        .await
    }
}

impl Connect for Tokio {
    type Io = TokioIo<tokio::net::TcpStream>;
    type TlsIo = TokioIo<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>;

    async fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        // The OS resolver blocks, so tokio runs it on its blocking pool.
        Ok(tokio::net::lookup_host((host, port)).await?.collect())
    }

    async fn connect(&self, addr: SocketAddr, _adapter: IoAdapter) -> io::Result<Self::Io> {
        // The published adapter is the study's too: `TokioIo` hands hyper's uninitialized
        // buffer to tokio's read, and tokio reads only after readiness, clearing it after a
        // short read. `--io-adapter study` changes nothing here.
        let stream = tokio::net::TcpStream::connect(addr).await?;
        Ok(TokioIo::new(stream))
    }

    async fn connect_tls(
        &self,
        addr: SocketAddr,
        name: ServerName<'static>,
        tls: Arc<rustls::ClientConfig>,
    ) -> io::Result<Self::TlsIo> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        // tokio-rustls runs rustls over tokio's own I/O traits.
        let stream = tokio_rustls::TlsConnector::from(tls)
            .connect(name, stream)
            .await?;
        Ok(TokioIo::new(stream))
    }
}

impl Reactive for Tokio {
    async fn run_command(&self, command: &str) -> io::Result<Output> {
        // tokio's process API: the child's pipes are on tokio's reactor, and so is its exit,
        // through a pidfd where the kernel has them (Linux 5.3 and later; strace shows
        // `pidfd_open`), or else through tokio's SIGCHLD handler.
        tokio::process::Command::new("sh")
            .arg("-c")
            .arg(command)
            .output()
            .await
    }

    async fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        // tokio has no asynchronous file I/O: it runs the read on its blocking pool.
        tokio::fs::read(path).await
    }

    async fn read_stdin_line(&self) -> io::Result<String> {
        // tokio reads stdin on its blocking pool too.
        use tokio::io::AsyncBufReadExt;
        let mut line = String::new();
        let mut stdin = tokio::io::BufReader::new(tokio::io::stdin());
        stdin.read_line(&mut line).await?;
        Ok(line)
    }
}
