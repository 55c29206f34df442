//! The fetch trait that every HTTP client implements, and the errors a fetch can end with.

use std::io;
use std::time::Duration;

use url::Url;

/// An HTTP client that can fetch one URL and read its whole body.
///
/// The method is an `async fn` in a trait, so its future carries no `Send` bound. None is
/// needed: the study runs every fetch on one thread, inside `join_all` or as a *local* task,
/// and nothing ever moves a fetch future to another thread. Without the bound, an
/// implementation may hold `Rc`s and `RefCell`s across `.await`, which is the point of a
/// current-thread executor. (This is why the crate allows the `async_fn_in_trait` lint.)
#[allow(async_fn_in_trait)]
pub trait Fetch {
    /// The client's name, as the report shows it (for example `hyper`).
    fn name(&self) -> &'static str;

    /// Fetches `url`, which [`parse_url`] has already checked, and reads the whole body.
    ///
    /// The client follows no redirect and treats no status as an error: the session
    /// (`session.rs`) does both, the same way for every client.
    async fn fetch(&self, url: &Url) -> Result<Fetched, FetchError>;
}

/// hyper's I/O adapter: see `--io-adapter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum IoAdapter {
    /// The runtime's published adapter.
    #[default]
    Published,
    /// The study's own.
    Study,
}

impl IoAdapter {
    /// The name the flag takes.
    pub fn name(self) -> &'static str {
        match self {
            IoAdapter::Published => "published",
            IoAdapter::Study => "study",
        }
    }
}

/// An HTTP client that keeps its connections open, for the load demo: it opens one, then
/// sends requests on it one after the other (HTTP/1.1 keep-alive).
#[allow(async_fn_in_trait)]
pub trait KeptAliveClient {
    /// One open connection.
    type Connection: Connection;

    /// The client's name, as the report shows it.
    fn name(&self) -> &'static str;

    /// Opens a connection to the host of `url`, which [`parse_url`] has checked.
    async fn open(&self, url: &Url) -> Result<Self::Connection, FetchError>;
}

/// A connection that a [`KeptAliveClient`] client opened.
#[allow(async_fn_in_trait)]
pub trait Connection {
    /// Sends a GET of `url` on this connection and reads the whole answer. As with
    /// [`Fetch::fetch`], no redirect is followed and no status is an error here.
    async fn send(&mut self, url: &Url) -> Result<Fetched, FetchError>;

    /// Whether another request may go on this connection: not once the server said it
    /// closes it (`Connection: close`), or did, or an exchange on it failed.
    fn is_open(&self) -> bool;
}

/// What one HTTP exchange returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The HTTP status code.
    pub status: u16,
    /// The number of body bytes received.
    pub bytes: u64,
    /// The `Location` header, which the session follows on a redirect status.
    pub location: Option<String>,
}

/// The most redirects a fetch follows.
pub const MAX_REDIRECTS: u32 = 10;

/// Why a fetch failed. Each variant's message is meant to be read on the URL's own line.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The text is not a URL at all.
    #[error("invalid URL: {0}")]
    InvalidUrl(#[from] url::ParseError),

    /// A scheme other than http or https.
    #[error("unsupported scheme {0:?}: only http:// and https:// URLs can be fetched")]
    UnsupportedScheme(String),

    /// The URL names no host, or a port the OS cannot use.
    #[error("invalid URL: {0}")]
    BadHost(&'static str),

    /// The host name did not resolve.
    #[error("cannot resolve host {host:?}: {source}")]
    Resolve {
        /// The host name that was looked up.
        host: String,
        /// What the resolver said.
        source: io::Error,
    },

    /// No address of the host accepted a TCP connection.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// The last address tried.
        addr: String,
        /// What the OS said.
        source: io::Error,
    },

    /// Connecting (TCP, or TCP and TLS) took longer than the connect timeout.
    #[error("connecting timed out after {} s", .0.as_secs_f64())]
    ConnectTimeout(Duration),

    /// The TLS handshake failed; there is no fallback to plain http.
    #[error("TLS handshake failed: {0}")]
    Tls(TlsProblem),

    /// The server answered with a status outside 200..=299.
    #[error("server answered HTTP {status} ({bytes} body bytes)")]
    Status {
        /// The status code.
        status: u16,
        /// The body bytes that came with it.
        bytes: u64,
    },

    /// The connection closed before the whole response arrived.
    #[error("response cut short: {0}")]
    Truncated(String),

    /// The body grew past the cap; reading stopped there.
    #[error("body larger than the {max} byte cap (--max-body): stopped reading")]
    BodyTooLarge {
        /// The cap, in bytes.
        max: u64,
    },

    /// More redirects than [`MAX_REDIRECTS`].
    #[error("more than {MAX_REDIRECTS} redirects")]
    TooManyRedirects,

    /// A redirect led back to a URL this fetch had already visited.
    #[error("redirect loop: {0} was already visited")]
    RedirectLoop(String),

    /// A redirect without a usable target.
    #[error("bad redirect: {0}")]
    BadRedirect(String),

    /// The fetch did not finish within the per-request timeout.
    #[error("timed out after {} s", .0.as_secs_f64())]
    Timeout(Duration),

    /// The answer's framing is ambiguous (for example two different `Content-Length`
    /// headers): its body cannot be trusted, so it is refused.
    #[error("invalid framing: {0}")]
    BadFraming(String),

    /// The client cannot read this valid answer: a limitation of the client, named.
    #[error("{client} cannot read {what}: use --client hyper")]
    ClientCannot {
        /// The client's name.
        client: &'static str,
        /// What it cannot read.
        what: &'static str,
    },

    /// Any other failure of the HTTP exchange, in the client's own words.
    #[error("HTTP error: {0}")]
    Http(String),
}

/// Why a TLS handshake failed, sorted the same way for every client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsProblem {
    /// The certificate chains to no trusted root.
    #[error("the server's certificate is not trusted (unknown issuer)")]
    UnknownIssuer,
    /// The certificate does not cover the URL's host name.
    #[error("the server's certificate is not valid for this host name")]
    WrongHost,
    /// The certificate has expired.
    #[error("the server's certificate has expired")]
    Expired,
    /// The server presents a CA certificate as its own (a self-signed certificate made
    /// with the CA flag, for example).
    #[error(
        "the server's certificate is a CA certificate, not a server's (a self-signed CA, for \
         example): a client accepts only a server's own (leaf) certificate there, even one that \
         --ca-cert trusts; have the server present a certificate that this CA signed"
    )]
    CaAsLeaf,
    /// Anything else, in the TLS library's own words.
    #[error("{0}")]
    Other(String),
}

/// Checks that `text` is a URL the study can fetch, before any client sees it.
///
/// Doing this once here gives every client the same messages for bad input.
pub fn parse_url(text: &str) -> Result<Url, FetchError> {
    let url = Url::parse(text)?;
    check_url(url)
}

/// Checks the scheme, host and port of a parsed URL.
fn check_url(url: Url) -> Result<Url, FetchError> {
    match url.scheme() {
        "http" | "https" => {}
        other => return Err(FetchError::UnsupportedScheme(other.to_owned())),
    }
    if url.host().is_none() {
        return Err(FetchError::BadHost("no host name"));
    }
    if url.port() == Some(0) {
        return Err(FetchError::BadHost("port 0 cannot be connected to"));
    }
    Ok(url)
}

/// An error's message followed by its sources', as one line: `outer: inner: innermost`.
///
/// Libraries differ in which layer carries the useful words (async-std's file errors name
/// the file outside and the OS reason inside), so reports show the whole chain.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        // Some layers repeat their source's words in their own message: say them once.
        if !message.ends_with(&text) {
            message = format!("{message}: {text}");
        }
        source = cause.source();
    }
    message
}

/// Whether `status` is a redirect the session follows (a GET stays a GET for all of them).
pub fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// The URL a redirect from `from` to `location` leads to, checked like any other URL.
pub fn redirect_target(from: &Url, location: &str) -> Result<Url, FetchError> {
    let target = from
        .join(location)
        .map_err(|err| FetchError::BadRedirect(format!("Location {location:?}: {err}")))?;
    check_url(target).map_err(|err| FetchError::BadRedirect(format!("to {location}: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> String {
        parse_url(text).unwrap_err().to_string()
    }

    #[test]
    fn accepts_plain_http() {
        let url = parse_url("http://127.0.0.1:8080/pub/irs-pdf/f1040.pdf?x=1").unwrap();
        assert_eq!(url.path(), "/pub/irs-pdf/f1040.pdf");
        assert_eq!(url.port_or_known_default(), Some(8080));
    }

    #[test]
    fn rejects_what_it_cannot_fetch_with_a_clear_message() {
        assert_eq!(
            message("not a url"),
            "invalid URL: relative URL without a base"
        );
        assert!(parse_url("https://example.com/").is_ok());
        assert_eq!(
            message("ftp://example.com/"),
            "unsupported scheme \"ftp\": only http:// and https:// URLs can be fetched"
        );
        assert_eq!(
            message("http://127.0.0.1:0/"),
            "invalid URL: port 0 cannot be connected to"
        );
        assert_eq!(message("http://[::1/"), "invalid URL: invalid IPv6 address");
    }

    #[test]
    fn error_chains_name_every_layer_once() {
        #[derive(Debug)]
        struct Outer(io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("could not read file `x`")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let inner = io::Error::other("gone");
        assert_eq!(error_chain(&Outer(inner)), "could not read file `x`: gone");
        let repeated = FetchError::Resolve {
            host: "h".into(),
            source: io::Error::other("no such host"),
        };
        assert_eq!(
            error_chain(&repeated),
            "cannot resolve host \"h\": no such host"
        );
    }

    #[test]
    fn redirects_resolve_relative_targets_and_refuse_other_schemes() {
        let from = parse_url("http://a.test/x/y?q=1").unwrap();
        assert_eq!(
            redirect_target(&from, "/doc/0").unwrap().as_str(),
            "http://a.test/doc/0"
        );
        assert_eq!(
            redirect_target(&from, "https://b.test/").unwrap().as_str(),
            "https://b.test/"
        );
        assert_eq!(
            redirect_target(&from, "ftp://b.test/f")
                .unwrap_err()
                .to_string(),
            "bad redirect: to ftp://b.test/f: unsupported scheme \"ftp\": \
             only http:// and https:// URLs can be fetched"
        );
        assert!(is_redirect(308) && !is_redirect(304) && !is_redirect(200));
    }
}
