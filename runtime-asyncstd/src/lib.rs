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
    // `block_on` polls the future, and every local task, on the calling thread; its reactor
    // is async-io's, driven from that same thread while it waits. It also starts async-std's
    // global executor threads, which this lesson never spawns onto.
    let lesson = fetch_clients::run(AsyncStd, cli, &urls);
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
