//! hyper 1.x, HTTP/1.1 only, over a socket the runtime under study opens.
//!
//! hyper brings no I/O of its own: its client takes any stream that implements
//! `hyper::rt::Read` and `Write`. Each runtime crate implements [`Connect`] to resolve a
//! host and open a TCP stream (and a TLS stream over it) with its own reactor, wrapped in
//! the adapter that runtime needs (`TokioIo` for tokio, `FuturesIo` for async-std and smol).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use futures::future::join;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper::client::conn::http1;
use hyper::header::{CONTENT_LENGTH, HOST, LOCATION, USER_AGENT};
use rustls::pki_types::ServerName;
use url::{Host, Url};

use fetch_core::fetch::error_chain;
use fetch_core::session::with_timeout;
use fetch_core::{ClientOptions, Fetch, FetchError, Fetched, Runtime, TlsProblem};

use crate::body::check_announced;
use crate::error::BuildError;

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

    /// Opens a TCP connection to `addr` on the runtime's reactor.
    async fn connect(&self, addr: SocketAddr) -> io::Result<Self::Io>;

    /// Opens a TCP connection to `addr`, then runs the TLS handshake for `name` over it.
    async fn connect_tls(
        &self,
        addr: SocketAddr,
        name: ServerName<'static>,
        tls: Arc<rustls::ClientConfig>,
    ) -> io::Result<Self::TlsIo>;
}

/// The hyper client: one fresh HTTP/1.1 connection per request.
///
/// A shortcut, stated: there is no connection pool. Each fetch of the lesson goes to a
/// different URL, and a pool would only blur what the study measures.
#[derive(Debug, Clone)]
pub struct HyperClient<C> {
    connector: C,
    options: ClientOptions,
    tls: Arc<rustls::ClientConfig>,
}

impl<C: Connect> HyperClient<C> {
    /// A client that opens its connections with `connector`.
    pub fn new(connector: C, options: &ClientOptions) -> Result<Self, BuildError> {
        Ok(HyperClient {
            connector,
            tls: crate::tls::rustls_config(options.ca_cert.as_deref())?,
            options: options.clone(),
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

    /// Connects to the first address that accepts, within the connect timeout. A TLS
    /// failure ends the attempt at once: another address would present the same
    /// certificate.
    async fn first_connection<T, F>(
        &self,
        addrs: Vec<SocketAddr>,
        connect: impl Fn(SocketAddr) -> F,
    ) -> Result<T, FetchError>
    where
        F: Future<Output = io::Result<T>>,
    {
        let limit = self.options.connect_timeout;
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
        let (mut sender, connection) = http1::handshake(io).await.map_err(http_error)?;
        let request = Request::get(&url[url::Position::BeforePath..url::Position::AfterQuery])
            .header(
                HOST,
                &url[url::Position::BeforeHost..url::Position::AfterPort],
            )
            .header(USER_AGENT, "async-runtimes-study")
            .body(Empty::<Bytes>::new())
            .map_err(|err| FetchError::Http(err.to_string()))?;
        let max = self.options.max_body;
        let exchange = async move {
            let response = sender.send_request(request).await.map_err(http_error)?;
            let status = response.status().as_u16();
            let header = |name| response.headers().get(name)?.to_str().ok();
            let location = header(LOCATION).map(str::to_owned);
            let announced: Option<u64> = header(CONTENT_LENGTH).and_then(|n| n.parse().ok());
            check_announced(announced, max)?;
            let mut body = response.into_body();
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
            // `sender` drops here, which tells the connection to close.
        };
        // The connection future does the socket I/O. It is polled here, beside the
        // exchange, rather than spawned: the fetch stays one future, on one thread, and
        // works the same inside `join_all` or a spawned task, on any runtime. When the
        // exchange stops early (an error, the cap), dropping both closes the socket.
        let (outcome, _closed) = join(exchange, connection).await;
        outcome
    }
}

impl<C: Connect> Fetch for HyperClient<C> {
    fn name(&self) -> &'static str {
        "hyper"
    }

    async fn fetch(&self, url: &Url) -> Result<Fetched, FetchError> {
        let addrs = self.addresses(url).await?;
        if url.scheme() == "https" {
            let name = server_name(url)?;
            let connect = |addr| {
                let tls = self.tls.clone();
                self.connector.connect_tls(addr, name.clone(), tls)
            };
            let io = self.first_connection(addrs, connect).await?;
            self.exchange(io, url).await
        } else {
            let connect = |addr| self.connector.connect(addr);
            let io = self.first_connection(addrs, connect).await?;
            self.exchange(io, url).await
        }
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
