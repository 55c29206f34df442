//! The lesson on smol: a `LocalExecutor` driven by `block_on`, its `spawn` for local tasks,
//! and hyper over smol's own `TcpStream`, adapted by `smol_hyper::rt::FuturesIo`.
//!
//! Run with: `cargo run -p runtime-smol`
//!
//! Everything shared with the other runtimes is in fetch-core and fetch-clients. Compare
//! this file with `runtime-tokio/src/lib.rs` and `runtime-asyncstd/src/lib.rs`: the diff is
//! what differs between the runtimes.

use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures::future::{LocalBoxFuture, join_all};
use rustls::pki_types::ServerName;
use smol_hyper::rt::FuturesIo;

use fetch_clients::Connect;
use fetch_core::{Cli, RunReport, Runtime};

/// Plays the whole lesson on one thread, and returns its report.
///
/// With no URL on the command line, a fixture server starts on its own thread first.
pub fn run(cli: &Cli) -> anyhow::Result<RunReport> {
    let (urls, _fixture) =
        fixture_server::lesson_urls(cli).context("cannot start the fixture server")?;
    // A `LocalExecutor` runs its tasks wherever it is polled: `block_on` polls it on this
    // thread, and drives async-io's reactor from here while it waits.
    let executor = Rc::new(smol::LocalExecutor::new());
    let smol = Smol {
        executor: executor.clone(),
    };
    let lesson = fetch_clients::run(smol, cli, &urls);
    Ok(smol::block_on(executor.run(lesson))?)
}

/// smol, as fetch-core and fetch-clients need it. smol has no ambient runtime, so the
/// handle holds the executor that local tasks are spawned on.
#[derive(Debug, Clone)]
pub struct Smol {
    executor: Rc<smol::LocalExecutor<'static>>,
}

impl Runtime for Smol {
    fn name(&self) -> &'static str {
        "smol"
    }

    async fn sleep(&self, duration: Duration) {
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
}

impl Connect for Smol {
    type Io = FuturesIo<smol::net::TcpStream>;
    type TlsIo = FuturesIo<futures_rustls::client::TlsStream<smol::net::TcpStream>>;

    async fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        // The OS resolver blocks, so smol runs it on the blocking crate's pool.
        smol::net::resolve((host, port)).await
    }

    async fn connect(&self, addr: SocketAddr) -> io::Result<Self::Io> {
        let stream = smol::net::TcpStream::connect(addr).await?;
        Ok(FuturesIo::new(stream))
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
