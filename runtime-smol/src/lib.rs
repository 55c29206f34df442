//! The lesson on smol: a `LocalExecutor` driven by `block_on`, its `spawn` for local tasks,
//! and hyper over smol's own `TcpStream`, adapted by `smol_hyper::rt::FuturesIo`.
//!
//! Run with: `cargo run -p runtime-smol`
//!
//! Everything shared with the other runtimes is in fetch-core, fetch-clients and
//! study-play. Every `runtime-*/src/lib.rs` has the same items in the same order, so that
//! `diff` against any other one shows only what differs between the runtimes (the README's
//! "What to compare" lists the diffs worth reading).

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Output;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use futures::future::{LocalBoxFuture, join_all};
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
    // A `LocalExecutor` runs its tasks wherever it is polled: `block_on` polls it on this
    // thread, and drives async-io's reactor from here while it waits.
    let executor = Rc::new(smol::LocalExecutor::new());
    let runtime = Smol::new(executor.clone());
    // The demo runs as a local task of its own, not as the future `block_on` polls: see
    // `Play::demo` for why.
    let demo = executor.spawn(play.demo(runtime));
    Ok(smol::block_on(executor.run(demo))?)
}

/// smol, as fetch-core and fetch-clients need it. smol has no ambient runtime, so the
/// handle holds the executor that local tasks are spawned on.
#[derive(Debug, Clone)]
pub struct Smol {
    executor: Rc<smol::LocalExecutor<'static>>,
}

impl Smol {
    /// A handle that spawns local tasks on `executor`.
    pub fn new(executor: Rc<smol::LocalExecutor<'static>>) -> Smol {
        Smol { executor }
    }
}

impl Runtime for Smol {
    fn name(&self) -> &'static str {
        "smol"
    }

    fn driver(&self) -> &'static str {
        // async-io's reactor: epoll through the polling crate, with timers as its timeout.
        "epoll (async-io)"
    }

    async fn timer(&self, duration: Duration) {
        smol::Timer::after(duration).await;
    }

    async fn gather_spawn<T: 'static>(&self, futures: Vec<LocalBoxFuture<'static, T>>) -> Vec<T> {
        // Each future becomes a task of its own on this thread.
        let tasks: Vec<_> = futures
            .into_iter()
            .map(|f| self.executor.spawn(f))
            .collect();
        // A smol task raises its panic again when joined.
        join_all(tasks).await
    }

    async fn yield_now(&self) {
        smol::future::yield_now().await;
    }

    async fn spawn_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> T {
        // The work runs on the blocking crate's pool, which starts threads as it needs them.
        smol::unblock(work).await
    }

    async fn ready_loop(&self, duration: Duration) -> u64 {
        // smol's channel is async-channel, which has no cooperative budget.
        let (sender, receiver) = smol::channel::unbounded();
        receive_for(duration, async || {
            let _ = sender.try_send(());
            receiver.recv().await.is_ok()
        })
        .await
    }
}

impl Connect for Smol {
    type Io = ChosenIo<FuturesIo<smol::net::TcpStream>>;
    type TlsIo = FuturesIo<futures_rustls::client::TlsStream<smol::net::TcpStream>>;

    async fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        // The OS resolver blocks, so smol runs it on the blocking crate's pool.
        smol::net::resolve((host, port)).await
    }

    async fn connect(&self, addr: SocketAddr, adapter: IoAdapter) -> io::Result<Self::Io> {
        Ok(match adapter {
            IoAdapter::Published => {
                ChosenIo::Published(FuturesIo::new(smol::net::TcpStream::connect(addr).await?))
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
        let stream = smol::net::TcpStream::connect(addr).await?;
        // futures-rustls runs rustls over the futures-io traits that smol implements.
        let stream = futures_rustls::TlsConnector::from(tls)
            .connect(name, stream)
            .await?;
        Ok(FuturesIo::new(stream))
    }
}

impl Reactive for Smol {
    async fn run_command(&self, command: &str) -> io::Result<Output> {
        // smol's process API is async-process: the child's pipes are on async-io's reactor,
        // and its exit is watched through a pidfd where the kernel has them (strace shows
        // `pidfd_open`), from async-process's own reaper thread.
        smol::process::Command::new("sh")
            .arg("-c")
            .arg(command)
            .output()
            .await
    }

    async fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        // smol has no asynchronous file I/O: it runs the read on the blocking pool.
        smol::fs::read(path).await
    }

    async fn read_stdin_line(&self) -> io::Result<String> {
        // smol reads stdin on the blocking pool too, through `Unblock`.
        use smol::io::AsyncBufReadExt;
        let mut line = String::new();
        let mut stdin = smol::io::BufReader::new(smol::Unblock::new(std::io::stdin()));
        stdin.read_line(&mut line).await?;
        Ok(line)
    }
}
