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
    /// A non-2xx status is not an error here: the driver turns it into one, the same way
    /// for every client.
    async fn fetch(&self, url: &Url) -> Result<Fetched, FetchError>;
}

/// What a successful exchange returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fetched {
    /// The HTTP status code.
    pub status: u16,
    /// The number of body bytes received.
    pub bytes: u64,
}

/// Why a fetch failed. Each variant's message is meant to be read on the URL's own line.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The text is not a URL at all.
    #[error("invalid URL: {0}")]
    InvalidUrl(#[from] url::ParseError),

    /// An https URL: TLS comes with the HTTP clients issue, and there is no fallback to http.
    #[error("https is not supported yet: plain http:// only for now")]
    HttpsNotSupported,

    /// A scheme other than http or https.
    #[error("unsupported scheme {0:?}: only http:// URLs can be fetched")]
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

    /// The fetch did not finish within the per-request timeout.
    #[error("timed out after {} s", .0.as_secs_f64())]
    Timeout(Duration),

    /// Any other failure of the HTTP exchange, in the client's own words.
    #[error("HTTP error: {0}")]
    Http(String),
}

/// Checks that `text` is a URL the study can fetch, before any client sees it.
///
/// Doing this once here gives every client the same messages for bad input.
pub fn parse_url(text: &str) -> Result<Url, FetchError> {
    let url = Url::parse(text)?;
    match url.scheme() {
        "http" => {}
        "https" => return Err(FetchError::HttpsNotSupported),
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
        assert_eq!(
            message("https://example.com/"),
            "https is not supported yet: plain http:// only for now"
        );
        assert_eq!(
            message("ftp://example.com/"),
            "unsupported scheme \"ftp\": only http:// URLs can be fetched"
        );
        assert_eq!(
            message("http://127.0.0.1:0/"),
            "invalid URL: port 0 cannot be connected to"
        );
        assert_eq!(message("http://[::1/"), "invalid URL: invalid IPv6 address");
    }
}
