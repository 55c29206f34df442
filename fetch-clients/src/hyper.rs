//! hyper 1.x, HTTP/1.1 only, over a socket the runtime under study opens.
//!
//! hyper brings no I/O of its own: its client takes any stream that implements
//! `hyper::rt::Read` and `Write`. Each runtime crate implements [`Connect`] to resolve a
//! host and open a TCP stream (and a TLS stream over it) with its own reactor, wrapped in
//! the adapter that runtime needs (`TokioIo` for tokio; smol-hyper's `FuturesIo` for
//! async-std, smol and futures; compio's `AsyncStream` under `FuturesIo` for compio).

use std::future::{Future, poll_fn};
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;

use async_lock::Semaphore;
use bytes::Bytes;
use futures::future::{Either, join};
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper::header::{CONNECTION, CONTENT_LENGTH, HOST, LOCATION, USER_AGENT};
use hyper::{Request, Response, Version};
use rustls::pki_types::ServerName;
use url::{Host, Url};

use fetch_core::fetch::error_chain;
use fetch_core::timeout::with_timeout;
use fetch_core::trace::{SourceTag, WakeSource, woken_by};
use fetch_core::{
    ClientOptions, Connection, Fetch, FetchError, Fetched, IoAdapter, KeptAliveClient, Runtime,
    TlsProblem,
};

use crate::body::check_announced;
use crate::error::BuildError;
use crate::socket_wakes::SocketWakes;

/// How a runtime resolves names and opens connections for hyper.
///
/// It extends [`Runtime`] so that the client can time its connections on the runtime's
/// own timer. As with [`fetch_core::Fetch`], the `async fn`s need no `Send` bound: the
/// study polls them on one thread.
#[allow(async_fn_in_trait)]
pub trait Connect: Runtime {
    /// The runtime's TCP stream, adapted to hyper's I/O traits.
    type Io: hyper::rt::Read + hyper::rt::Write + Unpin;

    /// The runtime's TCP stream under rustls, adapted to hyper's I/O traits.
    type TlsIo: hyper::rt::Read + hyper::rt::Write + Unpin;

    /// Resolves `host` to socket addresses, with the runtime's own resolver.
    async fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>>;

    /// Opens a TCP connection to `addr` on the runtime's reactor, under hyper's I/O adapter
    /// `adapter` (`--io-adapter`).
    async fn connect(&self, addr: SocketAddr, adapter: IoAdapter) -> io::Result<Self::Io>;

    /// Opens a TCP connection to `addr`, then runs the TLS handshake for `name` over it.
    async fn connect_tls(
        &self,
        addr: SocketAddr,
        name: ServerName<'static>,
        tls: Arc<rustls::ClientConfig>,
    ) -> io::Result<Self::TlsIo>;
}

/// The hyper client: one fresh HTTP/1.1 connection per fetch ([`Fetch`]), or connections
/// kept alive for request after request ([`KeptAliveClient`], the load demo's).
///
/// A shortcut, stated: there is no connection pool. Each fetch of the lesson goes to a
/// different URL, and a pool would only blur what the study measures; the load demo
/// holds its connections itself.
#[derive(Debug, Clone)]
pub struct HyperClient<C> {
    connector: C,
    options: ClientOptions,
    tls: Arc<rustls::ClientConfig>,
    /// One permit per connection being opened, [`CONNECTS_AT_ONCE`] in all.
    connecting: Arc<Semaphore>,
}

/// The most connections the client opens at once; the other fetches wait for a turn,
/// before their connect timeout starts.
///
/// Without it, 19,000 fetches gathered at once each call `connect()` in the gather's first
/// pass, which on a busy machine takes longer than the connect timeout (each `connect()`
/// past 14,116 ports scans for a free one). The connections are all made by then, but the
/// runtime learns of them a batch of events at a time (tokio reads 1,024 per turn), and the
/// timers of the others fire first: with two busy loops beside it, 16,112 of 19,000
/// "connecting timed out after 10 s" while the kernel counted no dropped or retried SYN
/// (docs/BENCHMARKS.md, "Nothing lost at 19,000 at once").
const CONNECTS_AT_ONCE: usize = 256;

impl<C: Connect> HyperClient<C> {
    /// A client that opens its connections with `connector`.
    pub fn new(connector: C, options: &ClientOptions) -> Result<Self, BuildError> {
        Ok(HyperClient {
            connector,
            tls: crate::tls::rustls_config(options.ca_cert.as_deref())?,
            options: options.clone(),
            connecting: Arc::new(Semaphore::new(CONNECTS_AT_ONCE)),
        })
    }

    /// The socket addresses of the URL's host: the address itself, or the resolver's.
    async fn addresses(&self, url: &Url) -> Result<Vec<SocketAddr>, FetchError> {
        let port = url
            .port_or_known_default()
            .ok_or(FetchError::BadHost("no port"))?;
        let name = match url.host() {
            Some(Host::Ipv4(ip)) => return Ok(vec![SocketAddr::new(ip.into(), port)]),
            Some(Host::Ipv6(ip)) => return Ok(vec![SocketAddr::new(ip.into(), port)]),
            Some(Host::Domain(name)) => name,
            None => return Err(FetchError::BadHost("no host name")),
        };
        let resolve_error = |source| FetchError::Resolve {
            host: name.to_owned(),
            source,
        };
        match self.connector.resolve(name, port).await {
            Ok(addrs) if !addrs.is_empty() => Ok(addrs),
            Ok(_) => Err(resolve_error(io::ErrorKind::NotFound.into())),
            Err(source) => Err(resolve_error(source)),
        }
    }

    /// In this fetch's turn to connect ([`CONNECTS_AT_ONCE`]), resolves the URL's host and
    /// connects to the first address that accepts, within the connect timeout, counted from
    /// the first attempt. A TLS failure ends the attempt at once: another address would
    /// present the same certificate. The addresses are looked up in the turn, not before
    /// it, so that the fetches waiting for a turn hold no list of them (at 10,000 at once,
    /// 9,744 lists of 48 bytes that stayed in the process's pages after they were freed).
    async fn first_connection<T, F>(
        &self,
        url: &Url,
        connect: impl Fn(SocketAddr) -> F,
    ) -> Result<T, FetchError>
    where
        F: Future<Output = io::Result<T>>,
    {
        let limit = self.options.connect_timeout;
        // Another fetch's connect that ends hands its turn on.
        let _turn = woken_by(WakeSource::TaskOrChannel, self.connecting.acquire()).await;
        let addrs = self.addresses(url).await?;
        let attempts = async {
            let mut last = None;
            for addr in addrs {
                match connect(addr).await {
                    Ok(io) => return Ok(io),
                    Err(err) => match tls_problem(&err) {
                        Some(problem) => return Err(FetchError::Tls(problem)),
                        None => last = Some((addr, err)),
                    },
                }
            }
            let (addr, source) = last.ok_or(FetchError::BadHost("no address"))?;
            Err(FetchError::Connect {
                addr: addr.to_string(),
                source,
            })
        };
        with_timeout(&self.connector, limit, attempts)
            .await
            .map_err(|err| match err {
                FetchError::Timeout(limit) => FetchError::ConnectTimeout(limit),
                other => other,
            })
    }

    /// Sends the GET over `io` and reads the response, up to the body cap.
    async fn exchange<I>(&self, io: I, url: &Url) -> Result<Fetched, FetchError>
    where
        I: hyper::rt::Read + hyper::rt::Write + Unpin,
    {
        let io = SocketWakes::new(io);
        let (mut sender, connection) = http1::handshake(io).await.map_err(http_error)?;
        let max = self.options.max_body;
        // The request goes to hyper's queue here, so that the exchange below keeps only the
        // future of its response while it waits, not the request beside it (about 200
        // bytes: an `async` block keeps what it captured for its whole life).
        let response = sender.send_request(get(url)?);
        let exchange = async move {
            let response = response.await.map_err(http_error)?;
            let fetched = read_response(response, max).await;
            // The sender drops here (or at an early return): that tells the connection to
            // close.
            drop(sender);
            fetched
        };
        // The connection future does the socket I/O. It is polled here, beside the
        // exchange, rather than spawned: the fetch stays one future, on one thread, and
        // works the same inside `join_all` or a spawned task, on any runtime. When the
        // exchange stops early (an error, the cap), dropping both closes the socket.
        // For the trace, a wake through either that is not the socket's (SocketWakes tags
        // those) is one of hyper's channels between the two.
        let exchange = woken_by(WakeSource::TaskOrChannel, exchange);
        let connection = woken_by(WakeSource::TaskOrChannel, connection);
        let (outcome, _closed) = join(exchange, connection).await;
        outcome
    }

    /// The exchange over `stream`, whichever it is. A plain function that takes the stream
    /// whole: an `async` match on it would keep the stream in the fetch's future beside the
    /// exchange that holds it already (about 1.3 KB more per fetch with TLS's stream). The
    /// TLS exchange is boxed, so that a plain fetch does not carry room for it.
    fn exchange_on<'a>(
        &'a self,
        stream: Stream<C>,
        url: &'a Url,
    ) -> impl Future<Output = Result<Fetched, FetchError>> + 'a {
        match stream {
            Stream::Plain(io) => Either::Left(self.exchange(io, url)),
            Stream::Tls(io) => Either::Right(Box::pin(self.exchange(io, url))),
        }
    }

    /// Opens a TCP connection (and TLS over it, for https) to the URL's host, on the
    /// runtime's own sockets, within the connect timeout.
    async fn connect(&self, url: &Url) -> Result<Stream<C>, FetchError> {
        if url.scheme() == "https" {
            let name = server_name(url)?;
            // Boxed, as the TLS exchange is: a plain fetch carries room for neither.
            let connect = |addr| {
                let tls = self.tls.clone();
                Box::pin(self.connector.connect_tls(addr, name.clone(), tls))
            };
            self.first_connection(url, connect).await.map(Stream::Tls)
        } else {
            let adapter = self.options.io_adapter;
            // A connect is woken when the socket is writable (or its connect completed).
            let connect = |addr| {
                woken_by(
                    WakeSource::SocketWrite,
                    self.connector.connect(addr, adapter),
                )
            };
            self.first_connection(url, connect).await.map(Stream::Plain)
        }
    }
}

/// A stream the runtime opened for hyper: plain TCP, or TLS over it.
enum Stream<C: Connect> {
    /// http.
    Plain(C::Io),
    /// https.
    Tls(C::TlsIo),
}

impl<C: Connect> Fetch for HyperClient<C> {
    fn name(&self) -> &'static str {
        "hyper"
    }

    async fn fetch(&self, url: &Url) -> Result<Fetched, FetchError> {
        let stream = self.connect(url).await?;
        self.exchange_on(stream, url).await
    }
}

impl<C: Connect> KeptAliveClient for HyperClient<C> {
    type Connection = KeptAliveConnection<C>;

    fn name(&self) -> &'static str {
        "hyper"
    }

    async fn open(&self, url: &Url) -> Result<KeptAliveConnection<C>, FetchError> {
        let max_body = self.options.max_body;
        Ok(match self.connect(url).await? {
            Stream::Plain(io) => {
                KeptAliveConnection::Plain(KeptAliveStream::handshake(io, max_body).await?)
            }
            Stream::Tls(io) => {
                KeptAliveConnection::Tls(KeptAliveStream::handshake(io, max_body).await?)
            }
        })
    }
}

/// One HTTP/1.1 connection that hyper keeps open for request after request: the load
/// demo's. Its connection future is polled beside each exchange, as a fetch's is, and
/// rests between two.
pub enum KeptAliveConnection<C: Connect> {
    /// Over plain TCP.
    Plain(KeptAliveStream<C::Io>),
    /// Over TLS.
    Tls(KeptAliveStream<C::TlsIo>),
}

impl<C: Connect> Connection for KeptAliveConnection<C> {
    async fn send(&mut self, url: &Url) -> Result<Fetched, FetchError> {
        match self {
            KeptAliveConnection::Plain(kept) => kept.send(url).await,
            KeptAliveConnection::Tls(kept) => kept.send(url).await,
        }
    }

    fn is_open(&self) -> bool {
        match self {
            KeptAliveConnection::Plain(kept) => kept.open,
            KeptAliveConnection::Tls(kept) => kept.open,
        }
    }
}

/// hyper's two halves of a kept-alive connection over `I`.
pub struct KeptAliveStream<I: hyper::rt::Read + hyper::rt::Write + Unpin> {
    sender: http1::SendRequest<Empty<Bytes>>,
    connection: Pin<Box<http1::Connection<SocketWakes<I>, Empty<Bytes>>>>,
    /// For the trace: the wakes of the exchange and of the connection that are not the
    /// socket's are hyper's channels between the two.
    channels: [SourceTag; 2],
    /// Whether it may carry another request.
    open: bool,
    max_body: u64,
    /// The last request sent, and its URL: the next one for the same URL is its clone,
    /// as a load generator builds its request once (`wrk` writes the same bytes each time).
    last: Option<(Url, Request<Empty<Bytes>>)>,
}

impl<I: hyper::rt::Read + hyper::rt::Write + Unpin> KeptAliveStream<I> {
    /// hyper's handshake over `io` (for HTTP/1.1, nothing goes on the wire).
    async fn handshake(io: I, max_body: u64) -> Result<Self, FetchError> {
        let io = SocketWakes::new(io);
        let (sender, connection) = http1::handshake(io).await.map_err(http_error)?;
        Ok(KeptAliveStream {
            sender,
            connection: Box::pin(connection),
            channels: [
                SourceTag::new(WakeSource::TaskOrChannel),
                SourceTag::new(WakeSource::TaskOrChannel),
            ],
            open: true,
            max_body,
            last: None,
        })
    }

    /// One GET and its whole answer, with the connection future polled beside it. After
    /// an answer that says `Connection: close` (or an HTTP/1.0 one), or an error, the
    /// connection is not used again.
    async fn send(&mut self, url: &Url) -> Result<Fetched, FetchError> {
        let request = match &self.last {
            Some((last, request)) if last == url => request.clone(),
            _ => {
                let request = get(url)?;
                self.last = Some((url.clone(), request.clone()));
                request
            }
        };
        let KeptAliveStream {
            sender,
            connection,
            open,
            max_body,
            channels: [exchange_tag, connection_tag],
            ..
        } = self;
        let max = *max_body;
        let mut exchange = pin!(async {
            sender.ready().await.map_err(http_error)?;
            let response = sender.send_request(request).await.map_err(http_error)?;
            let closes = response.version() == Version::HTTP_10
                || response
                    .headers()
                    .get(CONNECTION)
                    .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"close"));
            Ok((read_response(response, max).await?, closes))
        });
        let outcome = poll_fn(|cx| {
            if *open && connection_tag.poll(cx, |cx| connection.as_mut().poll(cx).is_ready()) {
                // The connection ended: the server closed it, or it broke.
                *open = false;
            }
            exchange_tag.poll(cx, |cx| exchange.as_mut().poll(cx))
        })
        .await;
        match outcome {
            Ok((fetched, closes)) => {
                *open &= !closes;
                Ok(fetched)
            }
            Err(err) => {
                *open = false;
                Err(err)
            }
        }
    }
}

/// The GET request for `url`, as every hyper exchange sends it.
fn get(url: &Url) -> Result<Request<Empty<Bytes>>, FetchError> {
    Request::get(&url[url::Position::BeforePath..url::Position::AfterQuery])
        .header(
            HOST,
            &url[url::Position::BeforeHost..url::Position::AfterPort],
        )
        .header(USER_AGENT, "async-runtimes-study")
        .body(Empty::<Bytes>::new())
        .map_err(|err| FetchError::Http(err.to_string()))
}

/// Reads a response's status, `Location` and whole body, up to `max` body bytes.
///
/// A plain function: the head is read at once, and the future keeps only the body, not
/// the whole response beside it while the body arrives.
fn read_response(
    response: Response<Incoming>,
    max: u64,
) -> impl Future<Output = Result<Fetched, FetchError>> {
    let status = response.status().as_u16();
    let header = |name| response.headers().get(name)?.to_str().ok();
    let location = header(LOCATION).map(str::to_owned);
    let announced: Option<u64> = header(CONTENT_LENGTH).and_then(|n| n.parse().ok());
    let announced = check_announced(announced, max);
    let mut body = response.into_body();
    async move {
        announced?;
        let mut bytes = 0;
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.map_err(http_error)?.into_data() {
                bytes += data.len() as u64;
                if bytes > max {
                    return Err(FetchError::BodyTooLarge { max });
                }
            }
        }
        Ok(Fetched {
            status,
            bytes,
            location,
        })
    }
}

/// The name the server's certificate must cover: the URL's host name or IP address.
fn server_name(url: &Url) -> Result<ServerName<'static>, FetchError> {
    match url.host() {
        Some(Host::Domain(name)) => ServerName::try_from(name.to_owned())
            .map_err(|_| FetchError::BadHost("not a valid TLS server name")),
        Some(Host::Ipv4(ip)) => Ok(ServerName::IpAddress(std::net::IpAddr::from(ip).into())),
        Some(Host::Ipv6(ip)) => Ok(ServerName::IpAddress(std::net::IpAddr::from(ip).into())),
        None => Err(FetchError::BadHost("no host name")),
    }
}

/// Sorts a certificate error out of an I/O error from the TLS handshake, if it is one.
fn tls_problem(err: &io::Error) -> Option<TlsProblem> {
    use rustls::CertificateError as Cert;
    let tls = err.get_ref()?.downcast_ref::<rustls::Error>()?;
    Some(match tls {
        rustls::Error::InvalidCertificate(Cert::UnknownIssuer) => TlsProblem::UnknownIssuer,
        rustls::Error::InvalidCertificate(
            Cert::NotValidForName | Cert::NotValidForNameContext { .. },
        ) => TlsProblem::WrongHost,
        rustls::Error::InvalidCertificate(Cert::Expired | Cert::ExpiredContext { .. }) => {
            TlsProblem::Expired
        }
        // rustls-webpki's reason comes through as `Other`, whose text names it.
        rustls::Error::InvalidCertificate(Cert::Other(other))
            if other.to_string().contains("CaUsedAsEndEntity") =>
        {
            TlsProblem::CaAsLeaf
        }
        other => TlsProblem::Other(other.to_string()),
    })
}

/// Sorts hyper's errors into the study's: a response that ends early, in its head or in
/// its body, is [`FetchError::Truncated`]; anything else is [`FetchError::Http`].
fn http_error(err: hyper::Error) -> FetchError {
    let mut cut_short = err.is_incomplete_message();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        cut_short |= cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::UnexpectedEof);
        source = cause.source();
    }
    if cut_short {
        FetchError::Truncated(error_chain(&err))
    } else {
        FetchError::Http(error_chain(&err))
    }
}
