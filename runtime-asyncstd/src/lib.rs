//! The lesson on async-std: `task::block_on`, `task::spawn_local` for local tasks, and
//! hyper over async-std's own `TcpStream`, adapted by `smol_hyper::rt::FuturesIo`.
//!
//! Run with: `cargo run -p runtime-asyncstd`
//!
//! Everything shared with the other runtimes is in fetch-core and fetch-clients. Compare
//! this file with `runtime-tokio/src/lib.rs` and `runtime-smol/src/lib.rs`: the diff is
//! what differs between the runtimes.
//!
//! async-std is discontinued upstream, in favour of smol; it is here because the study was
//! asked to compare it.

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures::future::{LocalBoxFuture, join_all};
use rustls::pki_types::ServerName;
use smol_hyper::rt::FuturesIo;

use fetch_clients::Connect;
use fetch_core::runtime::Reactive;
use fetch_core::{Cli, Report, Runtime};
use fixture_server::Fixture;

/// Plays the lesson, or the demo the command line names, on one thread, and returns its
/// report.
///
/// When the demo fetches and no server is named, a fixture server starts on its own thread
/// first, and serves until this function returns.
pub fn run(cli: &Cli) -> anyhow::Result<Report> {
    let server = (cli.fixture_latency())
        .map(|latency| Fixture::start(0, latency))
        .transpose()
        .context("cannot start the fixture server")?;
    let fixture = server.as_ref().map(Fixture::base_url);
    // `block_on` polls the future, and every local task, on the calling thread; its reactor
    // is async-io's, driven from that same thread while it waits. It also starts async-std's
    // global executor threads, which this lesson never spawns onto.
    // The demo runs as a local task of its own, not as the future `block_on` polls: every
    // future in it is then polled with a task's waker, which stays the same from poll to
    // poll. (A clone of tokio's `block_on` waker does not `will_wake` the original in
    // release builds, and async-io, under surf's sockets, then wakes on every poll: a busy
    // loop. docs/BENCHMARKS.md has the details.)
    let (cli, fixture) = (cli.clone(), fixture.clone());
    let lesson = async move { fetch_clients::play_demo(AsyncStd, &cli, fixture.as_ref()).await };
    let lesson = async_std::task::spawn_local(lesson);
    Ok(async_std::task::block_on(lesson)?)
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

    async fn sleep(&self, duration: Duration) {
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
        let end = Instant::now() + duration;
        let mut received = 0;
        while Instant::now() < end {
            let _ = sender.try_send(());
            if receiver.recv().await.is_ok() {
                received += 1;
            }
        }
        received
    }
}

impl Connect for AsyncStd {
    type Io = FuturesIo<async_std::net::TcpStream>;
    type TlsIo = FuturesIo<futures_rustls::client::TlsStream<async_std::net::TcpStream>>;

    async fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        // The OS resolver blocks, so async-std runs it on the blocking crate's pool.
        use async_std::net::ToSocketAddrs;
        Ok((host, port).to_socket_addrs().await?.collect())
    }

    async fn connect(&self, addr: SocketAddr) -> io::Result<Self::Io> {
        let stream = async_std::net::TcpStream::connect(addr).await?;
        Ok(FuturesIo::new(stream))
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

    async fn read_stdin_line(&self) -> io::Result<Option<String>> {
        // async-std reads stdin on the blocking pool too.
        let mut line = String::new();
        async_std::io::stdin().read_line(&mut line).await?;
        if line.is_empty() {
            return Ok(None);
        }
        Ok(Some(line.trim_end_matches(['\r', '\n']).to_owned()))
    }
}
