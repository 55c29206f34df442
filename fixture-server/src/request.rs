//! Reading a request: its head, parsed with httparse within the server's limits of time and
//! size, and its query's overrides. A request the server will not serve gets its error
//! answer here.

use std::io;
use std::time::Duration;

use tokio::io::AsyncReadExt;

use crate::answers::{Answer, Conn};

/// The longest latency a request may ask for with `?latency_ms=`.
const MAX_LATENCY: Duration = Duration::from_secs(600);

/// The longest a client may take to send the rest of its request head, counted from its
/// first byte, before the server hangs up; also the limit on a TLS handshake.
pub(crate) const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a connection may stay silent before its first byte. Generous on purpose: a
/// client that opens thousands of connections at once (`join_all` polls every fetch to its
/// `connect()` first) writes its requests only after all the connects, and must not be
/// punished for connecting early. A client that never writes is still hung up on.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(120);

/// The largest request head the server reads.
const MAX_HEAD: usize = 16 * 1024;

/// A request the server will answer.
pub(crate) struct Request {
    /// The path, without the query.
    pub(crate) path: String,
    /// The query, without the `?`.
    pub(crate) query: String,
    /// Whether the client asked to close the connection after the answer (`Connection:
    /// close`, or HTTP/1.0).
    pub(crate) close: bool,
}

/// Reads a request head and returns the request, or the error answer for a request the
/// server will not serve. The first byte may take [`IDLE_TIMEOUT`], the rest of the head
/// [`HEAD_TIMEOUT`] from there. `unread` holds what came after the previous head, and
/// keeps what comes after this one.
pub(crate) async fn read_head<S: Conn>(
    stream: &mut S,
    unread: &mut Vec<u8>,
) -> io::Result<Result<Request, Answer>> {
    let mut chunk = [0_u8; 4096];
    let mut deadline = (!unread.is_empty()).then(|| tokio::time::Instant::now() + HEAD_TIMEOUT);
    loop {
        if !unread.is_empty() {
            let mut headers = [httparse::EMPTY_HEADER; 64];
            let mut request = httparse::Request::new(&mut headers);
            match request.parse(unread) {
                Ok(httparse::Status::Complete(length)) => {
                    let parsed = if request.method != Some("GET") {
                        Err(Answer::Status(405))
                    } else {
                        let target = request.path.unwrap_or("/");
                        let (path, query) = target.split_once('?').unwrap_or((target, ""));
                        let close = request.version == Some(0)
                            || request.headers.iter().any(|header| {
                                header.name.eq_ignore_ascii_case("connection")
                                    && header.value.eq_ignore_ascii_case(b"close")
                            });
                        Ok(Request {
                            path: path.to_owned(),
                            query: query.to_owned(),
                            close,
                        })
                    };
                    unread.drain(..length);
                    return Ok(parsed);
                }
                Ok(httparse::Status::Partial) if unread.len() < MAX_HEAD => {}
                Ok(httparse::Status::Partial) => return Ok(Err(Answer::Status(431))),
                Err(_) => return Ok(Err(Answer::Status(400))),
            }
        }
        let read = stream.read(&mut chunk);
        let n = match deadline {
            None => tokio::time::timeout(IDLE_TIMEOUT, read).await,
            Some(at) => tokio::time::timeout_at(at, read).await,
        }
        .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        deadline.get_or_insert_with(|| tokio::time::Instant::now() + HEAD_TIMEOUT);
        unread.extend_from_slice(&chunk[..n]);
    }
}

/// Reads the query's `latency_ms` override and `to` target.
pub(crate) fn parse_query(query: &str) -> Result<(Option<Duration>, Option<String>), Answer> {
    let (mut latency, mut to) = (None, None);
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match &*key {
            "latency_ms" => match value.parse::<u64>().map(Duration::from_millis) {
                Ok(asked) if asked <= MAX_LATENCY => latency = Some(asked),
                _ => return Err(Answer::Status(400)),
            },
            "to" => to = Some(value.into_owned()),
            _ => {}
        }
    }
    Ok((latency, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_sets_latency_and_target() {
        let Ok((latency, to)) = parse_query("latency_ms=25&to=http%3A%2F%2Fa%2Fb") else {
            panic!("a valid query")
        };
        assert_eq!(latency, Some(Duration::from_millis(25)));
        assert_eq!(to.as_deref(), Some("http://a/b"));
        assert!(parse_query("latency_ms=soon").is_err());
        assert!(parse_query("latency_ms=600001").is_err());
    }
}
