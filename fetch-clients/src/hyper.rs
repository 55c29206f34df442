//! hyper 1.x, HTTP/1.1 only, over a socket the runtime under study opens.
//!
//! hyper brings no I/O of its own: its client takes any stream that implements
//! `hyper::rt::Read` and `Write`. Each runtime crate implements [`Connect`] to resolve a
//! host and open a TCP stream with its own reactor, wrapped in the adapter that runtime
//! needs (`TokioIo` for tokio, `FuturesIo` for async-std and smol).

use std::io;
use std::net::SocketAddr;

use bytes::Bytes;
use futures::future::join;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper::client::conn::http1;
use hyper::header::{HOST, USER_AGENT};
use url::{Host, Url};

use fetch_core::{Fetch, FetchError, Fetched};

/// How a runtime resolves names and opens TCP connections for hyper.
///
/// As with [`fetch_core::Fetch`], the `async fn`s need no `Send` bound: the study polls them
/// on one thread.
#[allow(async_fn_in_trait)]
pub trait Connect {
    /// The runtime's TCP stream, adapted to hyper's I/O traits.
    type Io: hyper::rt::Read + hyper::rt::Write + Unpin;

    /// Resolves `host` to socket addresses, with the runtime's own resolver.
    async fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>>;

    /// Opens a TCP connection to `addr` on the runtime's reactor.
    async fn connect(&self, addr: SocketAddr) -> io::Result<Self::Io>;
}

/// The hyper client: one fresh HTTP/1.1 connection per fetch.
///
/// A shortcut, stated: there is no connection pool. Each fetch of the lesson goes to a
/// different URL, and a pool would only blur what the study measures.
#[derive(Debug, Clone)]
pub struct HyperClient<C> {
    connector: C,
}

impl<C: Connect> HyperClient<C> {
    /// A client that opens its connections with `connector`.
    pub fn new(connector: C) -> Self {
        HyperClient { connector }
    }

    /// Resolves the URL's host (unless it is an IP address) and connects to the first
    /// address that accepts.
    async fn open(&self, url: &Url) -> Result<C::Io, FetchError> {
        let port = url
            .port_or_known_default()
            .ok_or(FetchError::BadHost("no port"))?;
        let addrs = match url.host() {
            Some(Host::Ipv4(ip)) => vec![SocketAddr::new(ip.into(), port)],
            Some(Host::Ipv6(ip)) => vec![SocketAddr::new(ip.into(), port)],
            Some(Host::Domain(name)) => {
                let resolved = self.connector.resolve(name, port).await;
                match resolved {
                    Ok(addrs) if !addrs.is_empty() => addrs,
                    Ok(_) => Err(io::Error::new(io::ErrorKind::NotFound, "no address found"))
                        .map_err(|source| resolve_error(name, source))?,
                    Err(source) => return Err(resolve_error(name, source)),
                }
            }
            None => return Err(FetchError::BadHost("no host name")),
        };
        let mut last = None;
        for addr in addrs {
            match self.connector.connect(addr).await {
                Ok(io) => return Ok(io),
                Err(source) => last = Some((addr, source)),
            }
        }
        let (addr, source) = last.ok_or(FetchError::BadHost("no address"))?;
        Err(FetchError::Connect {
            addr: addr.to_string(),
            source,
        })
    }
}

impl<C: Connect> Fetch for HyperClient<C> {
    fn name(&self) -> &'static str {
        "hyper"
    }

    async fn fetch(&self, url: &Url) -> Result<Fetched, FetchError> {
        let io = self.open(url).await?;
        let (mut sender, connection) = http1::handshake(io).await.map_err(http_error)?;
        let request = Request::get(&url[url::Position::BeforePath..url::Position::AfterQuery])
            .header(
                HOST,
                &url[url::Position::BeforeHost..url::Position::AfterPort],
            )
            .header(USER_AGENT, "async-runtimes-study")
            .body(Empty::<Bytes>::new())
            .map_err(|err| FetchError::Http(err.to_string()))?;
        let exchange = async move {
            let response = sender.send_request(request).await.map_err(http_error)?;
            let status = response.status().as_u16();
            let mut body = response.into_body();
            let mut bytes = 0;
            while let Some(frame) = body.frame().await {
                if let Ok(data) = frame.map_err(http_error)?.into_data() {
                    bytes += data.len() as u64;
                }
            }
            Ok(Fetched { status, bytes })
            // `sender` drops here, which tells the connection to close.
        };
        // The connection future does the socket I/O. It is polled here, beside the
        // exchange, rather than spawned: the fetch stays one future, on one thread, and
        // works the same inside `join_all` or a spawned task, on any runtime.
        let (outcome, _closed) = join(exchange, connection).await;
        outcome
    }
}

/// Names the failed host in a resolver error.
fn resolve_error(host: &str, source: io::Error) -> FetchError {
    FetchError::Resolve {
        host: host.to_owned(),
        source,
    }
}

/// Sorts hyper's errors into the study's: a response that ends early, in its head or in
/// its body, is [`FetchError::Truncated`]; anything else is [`FetchError::Http`].
fn http_error(err: hyper::Error) -> FetchError {
    let mut message = err.to_string();
    let mut cut_short = err.is_incomplete_message();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        message = format!("{message}: {cause}");
        cut_short |= cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::UnexpectedEof);
        source = cause.source();
    }
    if cut_short {
        FetchError::Truncated(message)
    } else {
        FetchError::Http(message)
    }
}
