//! A local HTTP/1.1 server that stands in for the lesson's web site, so that every run and
//! every test works offline and measures the same thing.
//!
//! It serves the seed's four documents at their paths (`/pub/irs-pdf/f1040.pdf` and so on)
//! with deterministic generated bodies of different sizes, after a latency that is set per
//! run and can be overridden per request with `?latency_ms=N`. It also serves small
//! documents, redirects, error statuses and the faults of the fault matrix: see
//! [`routes`] for the patterns and [`MATRIX`] for the faults.
//!
//! It runs on a tokio current-thread runtime on its own thread named `fixture-server`, so
//! that the thread census can tell it apart from the executor under study. It binds
//! `127.0.0.1`, on port 0 unless told otherwise, and speaks plain http or, given a
//! certificate, https. It speaks HTTP by hand on purpose (with `httparse` to read
//! requests): a fixture must be able to break the protocol in ways a server library won't.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::oneshot;
use url::Url;

mod answers;
mod bomb;
mod connection;
mod documents;
mod matrix;
mod refusing;
mod request;
pub mod routes;
mod tls;

pub use answers::{HOSTILE_BODY_BYTES, TRUNCATED};
pub use documents::{DOCUMENTS, SMALL_DOC_BYTES, document};
pub use matrix::{Expect, MATRIX, MATRIX_FLAGS, Route};
pub use refusing::RefusingPort;
pub use tls::TlsIdentity;

use connection::Settings;

/// The latency used when none is given: the lesson's, from fetch-core.
pub const DEFAULT_LATENCY: Duration = fetch_core::LESSON_LATENCY;

/// How many connections may wait in the kernel's accept queue: the load tests open
/// thousands at once.
const BACKLOG: u32 = 4096;

/// A running fixture server. Dropping it stops the server and joins its thread.
#[derive(Debug)]
pub struct Fixture {
    addr: SocketAddr,
    scheme: &'static str,
    base: Url,
    settings: Arc<Settings>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Fixture {
    /// Starts a plain-http server on `127.0.0.1:port` (0 picks a free port) that answers
    /// after `latency`, and closes each connection after one answer, on a new thread named
    /// `fixture-server`.
    pub fn start(port: u16, latency: Duration) -> io::Result<Fixture> {
        Fixture::spawn(port, latency, false, None)
    }

    /// Starts a plain-http server as [`Fixture::start`] does, but that keeps each
    /// connection open after a valid answer, for the next request (the `load` demo's).
    pub fn start_keep_alive(port: u16, latency: Duration) -> io::Result<Fixture> {
        Fixture::spawn(port, latency, true, None)
    }

    /// Starts an https server on a free port of `127.0.0.1`, with `identity`'s certificate.
    /// Its URLs name the host `localhost`, which the certificate must cover.
    pub fn start_tls(latency: Duration, identity: &TlsIdentity) -> io::Result<Fixture> {
        Fixture::spawn(0, latency, false, Some(identity.server_config()?))
    }

    /// Starts the server thread and waits for it to be listening.
    fn spawn(
        port: u16,
        latency: Duration,
        keep_alive: bool,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> io::Result<Fixture> {
        let scheme = if tls.is_some() { "https" } else { "http" };
        // The lesson's documents are made now, not on the first request, which would time
        // their making with the first fetches.
        let _ = documents::document(fetch_core::SEED_PATHS[0]);
        let settings = Arc::new(Settings {
            latency,
            keep_alive,
            accepted: AtomicU64::new(0),
            open: AtomicU64::new(0),
            peak_open: AtomicU64::new(0),
        });
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel();
        let served = settings.clone();
        let thread = thread::Builder::new()
            .name("fixture-server".into())
            .spawn(move || run_server(port, served, tls, ready_tx, stop_rx))?;
        let addr = match ready_rx.recv() {
            Ok(bound) => bound?,
            Err(_) => {
                return Err(io::Error::other(
                    "the fixture server thread died while starting",
                ));
            }
        };
        let mut fixture = Fixture {
            addr,
            scheme,
            base: Url::parse("http://127.0.0.1/").map_err(io::Error::other)?,
            settings,
            stop: Some(stop_tx),
            thread: Some(thread),
        };
        fixture.base = Url::parse(&fixture.url("/")).map_err(io::Error::other)?;
        Ok(fixture)
    }

    /// How many connections the server has accepted so far (also served at
    /// `/stats/accepted`).
    pub fn accepted(&self) -> u64 {
        self.settings.accepted.load(Ordering::Relaxed)
    }

    /// The most connections that were open at once so far (as `/stats/peak-open` says, but
    /// without starting the count again).
    pub fn peak_open(&self) -> u64 {
        self.settings.peak_open.load(Ordering::Relaxed)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL of `path` on this server: `http://127.0.0.1:PORT/…`, or
    /// `https://localhost:PORT/…` for https, so that the certificate's name is checked.
    pub fn url(&self, path: &str) -> String {
        match self.scheme {
            "https" => format!("https://localhost:{}{path}", self.addr.port()),
            _ => format!("http://{}{path}", self.addr),
        }
    }

    /// The server's base URL, such as `http://127.0.0.1:PORT/`.
    pub fn base_url(&self) -> Url {
        self.base.clone()
    }

    /// The URLs of the lesson's four documents on this server.
    pub fn seed_urls(&self) -> Vec<String> {
        fetch_core::seed_urls(&self.base_url())
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The server thread: builds a runtime, binds, reports the address, serves until stopped.
fn run_server(
    port: u16,
    settings: Arc<Settings>,
    tls: Option<Arc<rustls::ServerConfig>>,
    ready: mpsc::Sender<io::Result<SocketAddr>>,
    stop: oneshot::Receiver<()>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            let _ = ready.send(Err(err));
            return;
        }
    };
    runtime.block_on(async move {
        let listener = match bind(port) {
            Ok(listener) => listener,
            Err(err) => {
                let _ = ready.send(Err(err));
                return;
            }
        };
        let _ = ready.send(listener.local_addr());
        tokio::select! {
            () = accept_loop(listener, settings, tls) => {}
            _ = stop => {}
        }
    });
    // Dropping the runtime cancels every connection still open, stalled ones included.
}

/// Binds `127.0.0.1:port` with a backlog deep enough for the load tests.
fn bind(port: u16) -> io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], port)))?;
    socket.listen(BACKLOG)
}

/// Accepts connections forever, one task each, behind TLS if there is a certificate.
async fn accept_loop(
    listener: TcpListener,
    settings: Arc<Settings>,
    tls: Option<Arc<rustls::ServerConfig>>,
) {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let mut warned = false;
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                // An answer goes out in two writes (head, then body): with Nagle's
                // algorithm, the second waits for the client's delayed ACK of the first,
                // 40 ms on Linux, on every answer of a kept-alive connection.
                let _ = stream.set_nodelay(true);
                let (settings, acceptor) = (settings.clone(), acceptor.clone());
                tokio::spawn(async move {
                    let _open = settings.opened();
                    match acceptor {
                        None => connection::serve(stream, &settings).await,
                        Some(acceptor) => tls::serve(acceptor, stream, &settings).await,
                    }
                });
            }
            Err(err) => {
                // Out of file descriptors, most likely: say so once, and let some close.
                if !warned {
                    eprintln!(
                        "fixture-server: accept failed: {err}; retrying every 50 ms. If this \
                         is EMFILE, run the server in its own process \
                         (cargo run --release -p fixture-server)"
                    );
                    warned = true;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}
