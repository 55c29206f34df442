//! isahc 2.x: curl, driven on isahc's own agent thread (`isahc-agent-N`).
//!
//! Whatever the runtime, curl does the socket I/O and the TLS (rustls, through
//! rustls-ffi) on that agent thread; the runtime under study only awaits completions. The
//! thread census shows the agent beside the executor.

use std::sync::Arc;

use async_lock::Semaphore;
use isahc::config::{Configurable, RedirectPolicy};
use isahc::error::ErrorKind;
use isahc::http::header::{CONTENT_LENGTH, LOCATION};
use isahc::tls::{TlsConfig, TrustStore};
use isahc::{HttpClient, Request};
use url::Url;

use fetch_core::fetch::error_chain;
use fetch_core::{ClientOptions, Fetch, FetchError, Fetched, IoAdapter, TlsProblem};

use crate::body::read_capped;
use crate::error::BuildError;

/// The most fetches isahc has in flight at once; further fetches wait for one to end,
/// here, before curl sees them.
///
/// curl, as isahc builds it here, fails to connect a socket whose descriptor is 1,024 or
/// more (`FD_SETSIZE`): with 3,000 fetches at once, 1,006 succeeded and 1,994 failed with
/// "failed to connect to the server". Under this cap every one of 10,000 succeeds. The
/// queue is the client's own, not curl's (`max_connections`): curl counts a transfer's
/// connect timeout from when it was handed over, so one that waited in curl's queue for
/// longer than `--connect-timeout` failed with "connecting timed out" without ever
/// connecting (580 of 3,000 with a 2 s server).
const MAX_IN_FLIGHT: usize = 500;

/// The isahc client. It follows no redirect: the session does, for every client.
#[derive(Debug, Clone)]
pub struct IsahcClient {
    client: HttpClient,
    /// One permit per fetch in flight, [`MAX_IN_FLIGHT`] in all.
    in_flight: Arc<Semaphore>,
    /// The trust roots, attached to https requests only (see [`IsahcClient::new`]).
    tls: TlsConfig,
    options: ClientOptions,
}

impl IsahcClient {
    /// A client that trusts the Mozilla roots and `--ca-cert`'s, with the connect timeout.
    ///
    /// curl's rustls backend takes one trust store, not "the system's plus one more", so
    /// the store is built here from the same roots hyper uses. It is given to https requests
    /// only: set on the client, it costs about 150 KB per request, plain http included
    /// (201 MB against 50 MB of peak RSS for 1,000 http fetches at once; docs/RELIABILITY.md).
    pub fn new(options: &ClientOptions) -> Result<Self, BuildError> {
        if options.io_adapter == IoAdapter::Study {
            return Err(BuildError::AdapterWithoutHyper { client: "isahc" });
        }
        let mut trust = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .fold(TrustStore::builder(), |store, der| {
                store.certificate_from_der(der)
            });
        if let Some(path) = &options.ca_cert {
            for certificate in crate::tls::read_pem_certificates(path)? {
                trust = trust.certificate_from_der(&certificate);
            }
        }
        let tls = TlsConfig::builder().trust_store(trust.build()).build();
        let client = HttpClient::builder()
            .redirect_policy(RedirectPolicy::None)
            .connect_timeout(options.connect_timeout)
            .build()
            .map_err(|err| BuildError::Client {
                client: "isahc",
                reason: err.to_string(),
            })?;
        Ok(IsahcClient {
            client,
            in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            tls,
            options: options.clone(),
        })
    }
}

impl Fetch for IsahcClient {
    fn name(&self) -> &'static str {
        "isahc"
    }

    async fn fetch(&self, url: &Url) -> Result<Fetched, FetchError> {
        let mut request = Request::get(url.as_str());
        if url.scheme() == "https" {
            request = request.tls_config(self.tls.clone());
        }
        let request = request
            .body(())
            .map_err(|err| FetchError::Http(err.to_string()))?;
        // Held until the body is read: the transfer is curl's until then.
        let _permit = self.in_flight.acquire().await;
        let mut response = self
            .client
            .send_async(request)
            .await
            .map_err(|err| isahc_error(err, url, &self.options))?;
        let status = response.status().as_u16();
        let header = |name| response.headers().get(name)?.to_str().ok();
        let location = header(LOCATION).map(str::to_owned);
        let announced = header(CONTENT_LENGTH).and_then(|n| n.parse().ok());
        // Dropping the response part-way (an error, the cap) aborts the transfer.
        let max = self.options.max_body;
        let https = url.scheme() == "https";
        let explain = |err| body_error(err, https);
        let bytes = read_capped(response.body_mut(), announced, max, explain).await?;
        Ok(Fetched {
            status,
            bytes,
            location,
        })
    }
}

/// Sorts isahc's errors into the study's.
///
/// curl reports every certificate failure as one kind, and isahc does not pass on why, so
/// an untrusted, expired or misnamed certificate all read the same here.
fn isahc_error(err: isahc::Error, url: &Url, options: &ClientOptions) -> FetchError {
    let host = url.host_str().unwrap_or_default().to_owned();
    let io = |err: &isahc::Error| std::io::Error::other(err.to_string());
    match err.kind() {
        ErrorKind::NameResolution => FetchError::Resolve {
            source: io(&err),
            host,
        },
        ErrorKind::ConnectionFailed => FetchError::Connect {
            addr: format!("{host}:{}", url.port_or_known_default().unwrap_or_default()),
            source: io(&err),
        },
        ErrorKind::Timeout => FetchError::ConnectTimeout(options.connect_timeout),
        ErrorKind::BadServerCertificate => FetchError::Tls(TlsProblem::Other(
            "the server's certificate was rejected (curl does not say why: it may be \
             untrusted, expired, for another host, or a CA certificate presented as the \
             server's own, which no --ca-cert makes acceptable: the server must present a \
             certificate that a CA signed)"
                .into(),
        )),
        ErrorKind::TlsEngine | ErrorKind::BadClientCertificate => {
            FetchError::Tls(TlsProblem::Other(err.to_string()))
        }
        _ => match std::error::Error::source(&err).and_then(|e| e.downcast_ref::<curl::Error>()) {
            Some(curl) => curl_error(curl, url.scheme() == "https"),
            None => FetchError::Http(error_chain(&err)),
        },
    }
}

/// What a failed body read means: curl's code, when isahc passes it on inside the I/O
/// error, or else a response cut short.
fn body_error(err: std::io::Error, https: bool) -> FetchError {
    let curl = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<isahc::Error>())
        .and_then(|isahc| std::error::Error::source(isahc))
        .and_then(|source| source.downcast_ref::<curl::Error>());
    match curl {
        Some(curl) => curl_error(curl, https),
        None => FetchError::Truncated(error_chain(&err)),
    }
}

/// Says in a sentence what curl's error code means for this fetch; isahc passes on only
/// curl's terse text (`[56] Failure when receiving data from the peer`).
///
/// On https, curl error 56 is also what a server that closes without TLS's `close_notify`
/// gives, even after a complete body: curl 8.22's rustls backend drops the bytes it has
/// just decrypted when it meets that end (`cr_recv` in curl's lib/vtls/rustls.c). isahc
/// passes on only the code, so the two cannot be told apart here: the sentence names both,
/// and the client that reads the first.
fn curl_error(err: &curl::Error, https: bool) -> FetchError {
    let code = err.code();
    match code {
        curl_sys::CURLE_RECV_ERROR if https => FetchError::Truncated(format!(
            "the https connection ended without TLS close_notify or broke (curl error {code}), \
             which isahc cannot tell apart and drops the answer for; --client hyper reads an \
             answer that ends without close_notify"
        )),
        curl_sys::CURLE_UNSUPPORTED_PROTOCOL => FetchError::Http(format!(
            "the answer has no HTTP/1.x status line (curl error {code}, which curl calls an \
             unsupported protocol)"
        )),
        curl_sys::CURLE_FTP_WEIRD_SERVER_REPLY => FetchError::Http(format!(
            "the answer is not valid HTTP, for example its headers or framing are malformed \
             (curl error {code}, weird server reply)"
        )),
        curl_sys::CURLE_GOT_NOTHING => FetchError::Http(format!(
            "the server closed the connection without answering (curl error {code})"
        )),
        curl_sys::CURLE_PARTIAL_FILE => FetchError::Truncated(format!(
            "fewer body bytes came than were announced (curl error {code})"
        )),
        curl_sys::CURLE_RECV_ERROR => FetchError::Truncated(format!(
            "receiving the answer failed: the connection broke, or the answer's encoding is \
             invalid (curl error {code}, failure when receiving data from the peer)"
        )),
        curl_sys::CURLE_SEND_ERROR => FetchError::Http(format!(
            "sending the request failed: the connection broke (curl error {code})"
        )),
        curl_sys::CURLE_BAD_CONTENT_ENCODING => FetchError::Http(format!(
            "the body's Content-Encoding could not be decoded (curl error {code})"
        )),
        _ => FetchError::Http(format!("{} (curl error {code})", err.description())),
    }
}
