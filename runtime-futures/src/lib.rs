//! The lesson on futures' own executor: a `LocalPool` and its `LocalSpawner` for local
//! tasks, with async-io for sockets and timers, and hyper over async-net's `TcpStream`,
//! adapted by `smol_hyper::rt::FuturesIo`. The smallest real executor: it has no reactor
//! of its own, so async-io's thread drives the sockets and timers while the pool sleeps.
//!
//! Run with: `cargo run -p runtime-futures`
//!
//! Everything shared with the other runtimes is in fetch-core, fetch-clients and
//! study-play. Every `runtime-*/src/lib.rs` has the same items in the same order, so that
//! `diff` against any other one shows only what differs between the runtimes (the README's
//! "What to compare" lists the diffs worth reading).
//! Against `runtime-smol/src/lib.rs`: the same I/O crates (smol re-exports them), another
//! executor.

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures::executor::{LocalPool, LocalSpawner};
use futures::future::{LocalBoxFuture, join_all};
use futures::task::LocalSpawnExt;
use rustls::pki_types::ServerName;
use smol_hyper::rt::FuturesIo;

use fetch_clients::{AsyncIoStream, ChosenIo, Connect};
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
    // A `LocalPool` polls its tasks on the thread that calls `run_until`, and parks that
    // thread when none is ready. It drives no reactor: async-io's own thread waits on the
    // sockets and timers meanwhile, and their wakers unpark this one.
    let mut pool = LocalPool::new();
    let runtime = Futures::new(pool.spawner());
    // The demo runs as a local task of its own, not as the future `block_on` polls: see
    // `Play::demo` for why.
    let demo = pool.spawner().spawn_local_with_handle(play.demo(runtime));
    let demo = demo.context("cannot spawn the demo's task")?;
    Ok(pool.run_until(demo)?)
}

/// futures' executor, as fetch-core and fetch-clients need it. It has no ambient runtime,
/// so the handle holds the pool's spawner that local tasks are spawned with.
#[derive(Debug, Clone)]
pub struct Futures {
    spawner: LocalSpawner,
}

impl Futures {
    /// A handle that spawns local tasks with `spawner`.
    pub fn new(spawner: LocalSpawner) -> Futures {
        Futures { spawner }
    }
}

impl Runtime for Futures {
    fn name(&self) -> &'static str {
        "futures"
    }

    fn driver(&self) -> &'static str {
        // async-io's reactor: epoll through the polling crate, with timers as its timeout.
        "epoll (async-io)"
    }

    async fn timer(&self, duration: Duration) {
        async_io::Timer::after(duration).await;
    }

    async fn gather_spawn<T: 'static>(&self, futures: Vec<LocalBoxFuture<'static, T>>) -> Vec<T> {
        // Each future becomes a task of its own on this thread.
        let tasks: Vec<_> = futures
            .into_iter()
            .map(|f| self.spawner.spawn_local_with_handle(f))
            .collect();
        // Spawning fails only once the pool is gone, and it runs this very future. A
        // task's handle raises its panic again when joined.
        let tasks = tasks
            .into_iter()
            .map(|task| task.unwrap_or_else(|err| panic!("the LocalPool refused a task: {err}")));
        join_all(tasks).await
    }

    async fn yield_now(&self) {
        futures_lite::future::yield_now().await;
    }

    async fn spawn_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> T {
        // The work runs on the blocking crate's pool, which starts threads as it needs them.
        blocking::unblock(work).await
    }

    async fn ready_loop(&self, duration: Duration) -> u64 {
        // async-channel, as smol uses, which has no cooperative budget.
        let (sender, receiver) = async_channel::unbounded();
        receive_for(duration, async || {
            let _ = sender.try_send(());
            receiver.recv().await.is_ok()
        })
        .await
    }
}

impl Connect for Futures {
    type Io = ChosenIo<FuturesIo<async_net::TcpStream>>;
    type TlsIo = FuturesIo<futures_rustls::client::TlsStream<async_net::TcpStream>>;

    async fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        // The OS resolver blocks, so async-net runs it on the blocking crate's pool.
        async_net::resolve((host, port)).await
    }

    async fn connect(&self, addr: SocketAddr, adapter: IoAdapter) -> io::Result<Self::Io> {
        Ok(match adapter {
            IoAdapter::Published => {
                ChosenIo::Published(FuturesIo::new(async_net::TcpStream::connect(addr).await?))
            }
            // The same async-io socket, adapted by the study: fetch-clients' AsyncIoStream.
            IoAdapter::Study => ChosenIo::Study(AsyncIoStream::connect(addr).await?),
        })
    }

    async fn connect_tls(
        &self,
        addr: SocketAddr,
        name: ServerName<'static>,
        tls: Arc<rustls::ClientConfig>,
    ) -> io::Result<Self::TlsIo> {
        let stream = async_net::TcpStream::connect(addr).await?;
        // futures-rustls runs rustls over the futures-io traits that async-net implements.
        let stream = futures_rustls::TlsConnector::from(tls)
            .connect(name, stream)
            .await?;
        Ok(FuturesIo::new(stream))
    }
}

impl Reactive for Futures {
    async fn run_command(&self, command: &str) -> io::Result<Output> {
        // async-process, as smol uses: the child's pipes are on async-io's reactor, and its
        // exit is watched through a pidfd where the kernel has them (strace shows
        // `pidfd_open`), from async-process's own reaper thread.
        async_process::Command::new("sh")
            .arg("-c")
            .arg(command)
            .output()
            .await
    }

    async fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        // async-fs, as smol uses, has no asynchronous file I/O: it runs the read on the
        // blocking pool.
        async_fs::read(path).await
    }

    async fn read_stdin_line(&self) -> io::Result<String> {
        // stdin is read on the blocking pool too, through `Unblock`.
        use futures_lite::io::AsyncBufReadExt;
        let mut line = String::new();
        let mut stdin = futures_lite::io::BufReader::new(blocking::Unblock::new(std::io::stdin()));
        stdin.read_line(&mut line).await?;
        Ok(line)
    }
}
