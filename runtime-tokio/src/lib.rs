//! The lesson on tokio: a current-thread runtime, a `LocalSet` for local tasks, and hyper
//! over tokio's own `TcpStream`, adapted by `hyper_util::rt::TokioIo`.
//!
//! Run with: `cargo run -p runtime-tokio`
//!
//! Everything shared with the other runtimes is in fetch-core and fetch-clients. Compare
//! this file with `runtime-asyncstd/src/lib.rs` and `runtime-smol/src/lib.rs`: the diff is
//! what differs between the runtimes.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures::future::{LocalBoxFuture, join_all};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;

use fetch_clients::Connect;
use fetch_core::{Cli, RunReport, Runtime};

/// Plays the whole lesson on one thread, and returns its report.
///
/// With no URL on the command line, a fixture server starts on its own thread first.
pub fn run(cli: &Cli) -> anyhow::Result<RunReport> {
    let (urls, _fixture) =
        fixture_server::lesson_urls(cli).context("cannot start the fixture server")?;
    // A current-thread runtime polls every task on the thread that calls `block_on`;
    // `enable_all` turns on its I/O reactor and timers, driven from that same thread.
    let executor = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot build the tokio runtime")?;
    // tokio's `spawn_local` needs a `LocalSet` around the tasks that use it.
    let local = tokio::task::LocalSet::new();
    let lesson = fetch_clients::run(Tokio, cli, &urls);
    Ok(local.block_on(&executor, lesson)?)
}

/// tokio, as fetch-core and fetch-clients need it. The runtime itself is reached through
/// the thread's context, so the handle holds nothing.
#[derive(Debug, Clone)]
pub struct Tokio;

impl Runtime for Tokio {
    fn name(&self) -> &'static str {
        "tokio"
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }

    async fn gather_spawn<T: 'static>(&self, futures: Vec<LocalBoxFuture<'static, T>>) -> Vec<T> {
        // Each future becomes a task of its own on this thread.
        let tasks: Vec<_> = futures.into_iter().map(tokio::task::spawn_local).collect();
        // A tokio task hands back its panic as an error: raise it again here, as smol and
        // async-std do on their own.
        let joined = join_all(tasks).await;
        joined
            .into_iter()
            .map(|output| output.unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic())))
            .collect()
    }
}

impl Connect for Tokio {
    type Io = TokioIo<tokio::net::TcpStream>;
    type TlsIo = TokioIo<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>;

    async fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        // The OS resolver blocks, so tokio runs it on its blocking pool.
        Ok(tokio::net::lookup_host((host, port)).await?.collect())
    }

    async fn connect(&self, addr: SocketAddr) -> io::Result<Self::Io> {
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
