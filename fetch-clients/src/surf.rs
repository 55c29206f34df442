//! surf 2.3 with http-client's h1 client, named explicitly. surf is unmaintained.
//!
//! The h1 client opens async-std's `TcpStream`s, so its sockets live on async-io's reactor
//! whatever the runtime under study: smol drives that same reactor from its `block_on`;
//! with tokio, async-io's own `async-io` thread drives it. It resolves host names with
//! `std::net::ToSocketAddrs`, which blocks the executor's thread (http-client 6.5.3,
//! `src/h1/mod.rs`, through `Url::socket_addrs`). Its TLS is rustls 0.18 through async-tls,
//! which cannot check a certificate for an IP address, only for a host name.
//!
//! Shortcuts, stated: the h1 client has no connect timeout (`--connect-timeout` does not
//! apply; the per-request `--timeout` does), and keep-alive is off, because with it on the
//! client turns connection and certificate errors into bare strings.

use std::io::{self, BufReader};
use std::sync::Arc;

use http_client::h1::H1Client;
use rustls_018 as rustls;
use url::Url;

use fetch_core::{ClientOptions, Fetch, FetchError, Fetched, IoAdapter, TlsProblem};

use crate::body::read_capped;
use crate::error::BuildError;

/// The surf client, over the h1 client. It follows no redirect: `with_http_client` adds no
/// redirect middleware, and the session follows them for every client.
#[derive(Debug, Clone)]
pub struct SurfClient {
    client: surf::Client,
    max_body: u64,
}

impl SurfClient {
    /// A client that trusts the Mozilla roots and `--ca-cert`'s.
    pub fn new(options: &ClientOptions) -> Result<Self, BuildError> {
        if options.io_adapter == IoAdapter::Study {
            return Err(BuildError::AdapterWithoutHyper { client: "surf" });
        }
        let mut tls = rustls::ClientConfig::new();
        tls.root_store
            .add_server_trust_anchors(&webpki_roots_020::TLS_SERVER_ROOTS);
        if let Some(path) = &options.ca_cert {
            let bad = |reason: &str| BuildError::CaCert {
                path: path.clone(),
                reason: reason.to_owned(),
            };
            let file = std::fs::File::open(path).map_err(|err| bad(&err.to_string()))?;
            let (added, _) = tls
                .root_store
                .add_pem_file(&mut BufReader::new(file))
                .map_err(|()| bad("not a PEM file"))?;
            if added == 0 {
                return Err(bad("no usable PEM certificate in the file"));
            }
        }
        let config = http_client::Config::new()
            .set_http_keep_alive(false)
            .set_timeout(None)
            .set_tls_config(Some(Arc::new(tls)));
        let h1 = match H1Client::try_from(config) {
            Ok(h1) => h1,
            Err(never) => match never {},
        };
        Ok(SurfClient {
            client: surf::Client::with_http_client(h1),
            max_body: options.max_body,
        })
    }
}

impl Fetch for SurfClient {
    fn name(&self) -> &'static str {
        "surf"
    }

    async fn fetch(&self, url: &Url) -> Result<Fetched, FetchError> {
        // async-tls 0.10 checks certificates for host names only ("invalid domain").
        let by_ip = matches!(url.host(), Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)));
        if url.scheme() == "https" && by_ip {
            return Err(FetchError::ClientCannot {
                client: "surf",
                what: "an https:// URL whose host is an IP address",
            });
        }
        let request = self.client.get(url.as_str()).build();
        let mut response = self
            .client
            .send(request)
            .await
            .map_err(|err| surf_error(&err, url))?;
        let status = u16::from(response.status());
        let location = response
            .header("Location")
            .map(|values| values.last().as_str().to_owned());
        check_framing(&response, status, location.is_some())?;
        let announced = response.len().map(|n| n as u64);
        // A read error means the response was cut short.
        let cut_short = |err: io::Error| FetchError::Truncated(err.to_string());
        let bytes = read_capped(&mut response, announced, self.max_body, cut_short).await?;
        // The h1 client ends a body that is cut short with a plain end of file: compare.
        if let Some(announced) = announced.filter(|n| *n != bytes) {
            return Err(FetchError::Truncated(format!(
                "{bytes} of the {announced} body bytes announced"
            )));
        }
        Ok(Fetched {
            status,
            bytes,
            location,
        })
    }
}

/// Refuses what the h1 client would misreport: it must never pass on wrong bytes as a
/// success (http-client 6.5.3 and async-h1 2.3, checked with the fixture's hostile routes).
///
/// - An informational answer (`103 Early Hints`) is taken for the final one.
/// - Two different `Content-Length` headers are accepted, the last one winning.
/// - A body that ends when the connection closes (no `Content-Length`, not chunked) is read
///   as empty.
fn check_framing(response: &surf::Response, status: u16, redirect: bool) -> Result<(), FetchError> {
    let cannot = |what| FetchError::ClientCannot {
        client: "surf",
        what,
    };
    if (100..200).contains(&status) {
        return Err(cannot(
            "past an informational (1xx) answer such as 103 Early Hints",
        ));
    }
    let values = |name: &str| -> Vec<String> {
        let header = response.header(name);
        header.map_or_else(Vec::new, |values| {
            values
                .iter()
                .map(|v| v.as_str().trim().to_owned())
                .collect()
        })
    };
    let mut lengths = values("Content-Length");
    lengths.sort();
    lengths.dedup();
    if lengths.len() > 1 {
        return Err(FetchError::BadFraming(format!(
            "{} different Content-Length headers ({})",
            lengths.len(),
            lengths.join(", ")
        )));
    }
    let chunked = values("Transfer-Encoding")
        .iter()
        .any(|v| v.to_ascii_lowercase().contains("chunked"));
    // A body is expected unless the status has none, or the session only follows it.
    let bodiless = matches!(status, 204 | 304) || redirect;
    if lengths.is_empty() && !chunked && !bodiless {
        return Err(cannot(
            "a body that ends when the connection closes (no Content-Length, not chunked)",
        ));
    }
    Ok(())
}

/// Sorts surf's errors into the study's, from the I/O and TLS errors inside them.
fn surf_error(err: &surf::Error, url: &Url) -> FetchError {
    let Some(io) = err.downcast_ref::<io::Error>() else {
        let text = err.to_string();
        return match text.as_str() {
            "Unsupported HTTP version" => FetchError::ClientCannot {
                client: "surf",
                what: "an HTTP/1.0 answer",
            },
            "empty response" => FetchError::Http(
                "the answer has no HTTP status line (surf says: empty response)".into(),
            ),
            _ => FetchError::Http(text),
        };
    };
    if let Some(tls) = io
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::TLSError>())
    {
        use rustls::TLSError::WebPKIError;
        return FetchError::Tls(match tls {
            WebPKIError(webpki::Error::UnknownIssuer) => TlsProblem::UnknownIssuer,
            WebPKIError(webpki::Error::CertNotValidForName) => TlsProblem::WrongHost,
            WebPKIError(webpki::Error::CertExpired) => TlsProblem::Expired,
            WebPKIError(webpki::Error::CAUsedAsEndEntity) => TlsProblem::CaAsLeaf,
            other => TlsProblem::Other(other.to_string()),
        });
    }
    match io.kind() {
        io::ErrorKind::ConnectionRefused => FetchError::Connect {
            addr: format!(
                "{}:{}",
                url.host_str().unwrap_or_default(),
                url.port_or_known_default().unwrap_or_default()
            ),
            source: io::Error::new(io.kind(), io.to_string()),
        },
        _ => FetchError::Http(io.to_string()),
    }
}
