//! The lesson on async-std: `task::block_on`, `task::spawn_local` for local tasks, and
//! hyper over async-std's own `TcpStream`, adapted by `smol_hyper::rt::FuturesIo`.
//!
//! Run with: `cargo run -p runtime-asyncstd`
//!
//! Everything shared with the other runtimes is in fetch-core, fetch-clients and
//! study-play. Every `runtime-*/src/lib.rs` has the same items in the same order, so that
//! `diff` against any other one shows only what differs between the runtimes (the README's
//! "What to compare" lists the diffs worth reading).
//!
//! async-std is discontinued upstream, in favour of smol; it is here because the study was
//! asked to compare it.

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Output;
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
    // `block_on` polls the future, and every local task, on the calling thread; its reactor
    // is async-io's, driven from that same thread while it waits. It also starts async-std's
    // global executor threads, which this lesson never spawns onto.
    let runtime = AsyncStd;
    // The demo runs as a local task of its own, not as the future `block_on` polls: see
    // `Play::demo` for why.
    let demo = async_std::task::spawn_local(play.demo(runtime));
    Ok(async_std::task::block_on(demo)?)
}

/// async-std, as fetch-core and fetch-clients need it. The runtime itself is global, so
/// the handle holds nothing.
#[derive(Debug, Clone)]
pub struct AsyncStd;

impl Runtime for AsyncStd {
    fn name(&self) -> &'static str {
        "async-std"
    }

    fn driver(&self) -> &'static str {
        // async-io's reactor: epoll through the polling crate, with timers as its timeout.
        "epoll (async-io)"
    }

    async fn timer(&self, duration: Duration) {
        async_std::task::sleep(duration).await;
    }

    async fn gather_spawn<T: 'static>(&self, futures: Vec<LocalBoxFuture<'static, T>>) -> Vec<T> {
        // Each future becomes a task of its own on this thread.
        let tasks: Vec<_> = futures
            .into_iter()
            .map(async_std::task::spawn_local)
            .collect();
        // An async-std task raises its panic again when joined.
        join_all(tasks).await
    }

    async fn yield_now(&self) {
        async_std::task::yield_now().await;
    }

    async fn spawn_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> T {
        // The work runs on the blocking crate's pool, which starts threads as it needs them.
        async_std::task::spawn_blocking(work).await
    }

    async fn ready_loop(&self, duration: Duration) -> u64 {
        // async-std's channel is async-channel, which has no cooperative budget.
        let (sender, receiver) = async_std::channel::unbounded();
        receive_for(duration, async || {
            let _ = sender.try_send(());
            receiver.recv().await.is_ok()
        })
        .await
    }
}

impl Connect for AsyncStd {
    type Io = ChosenIo<FuturesIo<async_std::net::TcpStream>>;
    type TlsIo = FuturesIo<futures_rustls::client::TlsStream<async_std::net::TcpStream>>;

    async fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        // The OS resolver blocks, so async-std runs it on the blocking crate's pool.
        use async_std::net::ToSocketAddrs;
        Ok((host, port).to_socket_addrs().await?.collect())
    }

    async fn connect(&self, addr: SocketAddr, adapter: IoAdapter) -> io::Result<Self::Io> {
        Ok(match adapter {
            IoAdapter::Published => ChosenIo::Published(FuturesIo::new(
                async_std::net::TcpStream::connect(addr).await?,
            )),
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
        let stream = async_std::net::TcpStream::connect(addr).await?;
        // futures-rustls runs rustls over the futures-io traits that async-std implements.
        let stream = futures_rustls::TlsConnector::from(tls)
            .connect(name, stream)
            .await?;
        Ok(FuturesIo::new(stream))
    }
}

impl Reactive for AsyncStd {
    async fn run_command(&self, command: &str) -> io::Result<Output> {
        // async-std's own process module is unstable, so async-process: the child's pipes
        // are on async-io's reactor, and its exit is watched through a pidfd where the kernel
        // has them (strace shows `pidfd_open`), from async-process's own reaper thread.
        async_process::Command::new("sh")
            .arg("-c")
            .arg(command)
            .output()
            .await
    }

    async fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        // async-std has no asynchronous file I/O: it runs the read on the blocking pool.
        async_std::fs::read(path).await
    }

    async fn read_stdin_line(&self) -> io::Result<String> {
        // async-std reads stdin on the blocking pool too.
        let mut line = String::new();
        async_std::io::stdin().read_line(&mut line).await?;
        Ok(line)
    }
}
