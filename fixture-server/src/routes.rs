//! What the fixture answers, path by path, including the faults of the fault matrix.
//!
//! | path | answer |
//! | --- | --- |
//! | `/pub/irs-pdf/f1040*.pdf` | 200, one of [`crate::DOCUMENTS`] |
//! | `/doc/N` | 200, a 1 KiB body that depends on N |
//! | `/status/N` | status N (400 to 599) with a short text body |
//! | `/redirect/N` | 302 to `/redirect/N-1`; `/redirect/0` redirects to `/doc/0` |
//! | `/redirect?to=URL` | 302 to URL |
//! | `/fault/redirect-loop` | 302 to itself |
//! | `/fault/reset` | resets the connection before any response |
//! | `/fault/reset-body` | resets it halfway through the body |
//! | `/fault/stall` | 200 headers, then silence until the server stops |
//! | `/fault/drip` | 200 announcing 100 body bytes, sent one a second |
//! | `/fault/garbage` | a garbage status line |
//! | `/fault/huge-headers` | 200 with more than 1 MiB of headers |
//! | `/fault/truncated` | 200 announcing more body bytes than it sends, then closes |
//! | `/fault/endless` | 200 with a chunked body that never ends |
//! | `/hostile/silent` | reads the request, then never answers |
//! | `/hostile/drip-headers` | the status line and headers, one byte a second |
//! | `/hostile/close-delimited` | 200, no `Content-Length`, 512 body bytes, then close (valid) |
//! | `/hostile/two-lengths` | 200 with two different `Content-Length` headers (invalid framing) |
//! | `/hostile/http10` | an `HTTP/1.0` answer with 512 body bytes (valid) |
//! | `/hostile/early-hints` | `103 Early Hints`, then 200 with 512 body bytes (valid) |
//! | `/hostile/http09` | a body with no status line at all (HTTP/0.9) |
//! | `/hostile/bad-chunk` | a chunked body whose chunk size is not hexadecimal |
//! | `/hostile/huge-length` | 200 announcing 5 GB, then bytes as fast as they go |
//! | `/hostile/file-redirect` | 302 to `file:///etc/passwd` |
//! | `/hostile/gzip-bomb` | 200, `Content-Encoding: gzip`, about 10 MB that inflate to 10 GiB |
//! | `/hostile/no-close-notify` | 200 with 512 body bytes, then a close without TLS's `close_notify` (valid) |
//! | `/stats/accepted` | 200, the number of connections the server has accepted, this one included |
//! | `/stats/peak-open` | 200, the most connections open at once since the last such request (this one included) |
//! | anything else | 404 |
//!
//! Every answer comes after the latency. A connection closes after one answer, with
//! `Connection: close`, unless the server keeps connections alive ([`Settings`]): then a
//! valid answer (a document, a status, a redirect) leaves it open for the next request,
//! unless the client asked to close it. Every other answer closes it.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::AsyncReadExt;

use crate::answers::{Answer, Conn, answer_with};
use crate::documents::{document, small_document};

/// The flags every run of the fault matrix takes besides `--client`: a 2 s timeout, where
/// the stalls and the drips end, and a 1 MB body cap, where the endless and the huge bodies
/// end. `compare reliability` and study-tests' fault matrix both run with them.
pub const MATRIX_FLAGS: [&str; 4] = ["--timeout", "2", "--max-body", "1000000"];

/// The routes of the fault matrix, each with what it does in one line: the polite faults,
/// then the hostile server's. `compare reliability` runs every runtime and client against
/// them, and study-tests' fault matrix checks what each client makes of each.
pub const MATRIX: [(&str, &str); 28] = [
    ("/doc/1", "200, 1 KiB (a good answer)"),
    ("/redirect/9", "nine redirects, then 200 (a good answer)"),
    (
        "/fault/reset",
        "resets the connection right after the request",
    ),
    ("/fault/reset-body", "headers, half the body, then a reset"),
    ("/fault/stall", "headers, then silence"),
    ("/fault/drip", "headers, then the body one byte a second"),
    ("/fault/garbage", "a garbage status line"),
    ("/fault/huge-headers", "more than 1 MiB of headers"),
    (
        "/fault/truncated",
        "Content-Length longer than the body, then close",
    ),
    ("/fault/endless", "a chunked body that never ends"),
    ("/status/404", "404"),
    ("/status/500", "500"),
    ("/fault/redirect-loop", "a redirect to itself"),
    ("/redirect/10", "ten redirects, then 200: one too many"),
    ("/redirect?to=ftp://127.0.0.1/f", "a redirect to ftp://"),
    (
        "/redirect?to=http://127.0.0.1:1/",
        "a redirect to a closed port",
    ),
    ("/hostile/silent", "reads the request, never answers"),
    ("/hostile/drip-headers", "the head, one byte a second"),
    (
        "/hostile/close-delimited",
        "no Content-Length, 512 bytes, then close (valid)",
    ),
    (
        "/hostile/two-lengths",
        "two different Content-Length headers",
    ),
    ("/hostile/http10", "an HTTP/1.0 answer, 512 bytes (valid)"),
    (
        "/hostile/early-hints",
        "103 Early Hints, then 200 with 512 bytes (valid)",
    ),
    ("/hostile/http09", "a body with no status line (HTTP/0.9)"),
    ("/hostile/bad-chunk", "a chunk size that is not hexadecimal"),
    (
        "/hostile/huge-length",
        "announces 5 GB and streams as fast as it can",
    ),
    ("/hostile/file-redirect", "a redirect to file:///etc/passwd"),
    (
        "/hostile/gzip-bomb",
        "gzip: about 10 MB that inflate to 10 GiB",
    ),
    (
        "/hostile/no-close-notify",
        "512 bytes, then no TLS close_notify (valid; no TLS over http)",
    ),
];

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

/// How the server answers, the same on every connection.
#[derive(Debug)]
pub(crate) struct Settings {
    /// How long to wait before each answer, unless the request asks for its own.
    pub(crate) latency: Duration,
    /// Whether a valid answer leaves the connection open for the next request.
    pub(crate) keep_alive: bool,
    /// How many connections the server has accepted.
    pub(crate) accepted: AtomicU64,
    /// How many are open now.
    pub(crate) open: AtomicU64,
    /// The most that were open at once since the last `/stats/peak-open`.
    pub(crate) peak_open: AtomicU64,
}

impl Settings {
    /// Counts a connection accepted, and open until the [`OpenConnection`] is dropped.
    pub(crate) fn opened(&self) -> OpenConnection<'_> {
        self.accepted.fetch_add(1, Ordering::Relaxed);
        let open = self.open.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak_open.fetch_max(open, Ordering::Relaxed);
        OpenConnection(self)
    }
}

/// A connection counted open, until dropped.
pub(crate) struct OpenConnection<'a>(&'a Settings);

impl Drop for OpenConnection<'_> {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A request the server will answer.
struct Request {
    /// The path, without the query.
    path: String,
    /// The query, without the `?`.
    query: String,
    /// Whether the client asked to close the connection after the answer (`Connection:
    /// close`, or HTTP/1.0).
    close: bool,
}

/// Serves one connection: reads a request, waits out the latency, answers, and closes, or
/// with [`Settings::keep_alive`] reads the next request after a valid answer.
pub(crate) async fn serve<S: Conn>(mut stream: S, settings: &Settings) {
    // What has come of the request heads and has not been read yet.
    let mut unread = Vec::with_capacity(1024);
    loop {
        let (answer, latency, close) = match read_head(&mut stream, &mut unread).await {
            Ok(Ok(request)) => match parse_query(&request.query) {
                Ok((asked, to)) => {
                    let answer = match request.path.as_str() {
                        "/stats/accepted" => {
                            let accepted = settings.accepted.load(Ordering::Relaxed);
                            Answer::Body(format!("{accepted}\n").into_bytes())
                        }
                        "/stats/peak-open" => {
                            let open = settings.open.load(Ordering::Relaxed);
                            let peak = settings.peak_open.swap(open, Ordering::Relaxed);
                            Answer::Body(format!("{peak}\n").into_bytes())
                        }
                        path => route(path, to),
                    };
                    (answer, asked.unwrap_or(settings.latency), request.close)
                }
                Err(answer) => (answer, Duration::ZERO, true),
            },
            Ok(Err(answer)) => (answer, Duration::ZERO, true),
            // A client that sends nothing in time, or hangs up, gets no answer.
            _ => return,
        };
        // tokio's timer has a millisecond granularity: even a zero sleep would wait for the
        // next tick, so a zero latency skips the timer.
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let keep = settings.keep_alive && !close && answer.may_keep_alive();
        // The client may have gone: nothing to do about a failed write but stop.
        if answer_with(&mut stream, answer, keep).await.is_err() || !keep {
            return;
        }
    }
}

/// Reads a request head and returns the request, or the error answer for a request the
/// server will not serve. The first byte may take [`IDLE_TIMEOUT`], the rest of the head
/// [`HEAD_TIMEOUT`] from there. `unread` holds what came after the previous head, and
/// keeps what comes after this one.
async fn read_head<S: Conn>(
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
fn parse_query(query: &str) -> Result<(Option<Duration>, Option<String>), Answer> {
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

/// Chooses the answer for a path (and a `to` target, for `/redirect`).
fn route(path: &str, to: Option<String>) -> Answer {
    if let Some(body) = document(path) {
        return Answer::Document(body);
    }
    let number = |prefix: &str| {
        path.strip_prefix(prefix)
            .and_then(|n| n.parse::<u64>().ok())
    };
    if let Some(n) = number("/doc/") {
        return Answer::Body(small_document(n));
    }
    if let Some(status) = number("/status/").filter(|s| (400..600).contains(s)) {
        return Answer::Status(status as u16);
    }
    if let Some(n) = number("/redirect/") {
        return match n {
            0 => Answer::Redirect("/doc/0".into()),
            n => Answer::Redirect(format!("/redirect/{}", n - 1)),
        };
    }
    match (path, to) {
        ("/redirect", Some(to)) => Answer::Redirect(to),
        ("/fault/redirect-loop", _) => Answer::Redirect("/fault/redirect-loop".into()),
        ("/fault/reset", _) => Answer::Reset,
        ("/fault/reset-body", _) => Answer::ResetBody,
        ("/fault/stall", _) => Answer::Stall,
        ("/fault/drip", _) => Answer::Drip,
        ("/fault/garbage", _) => Answer::Garbage,
        ("/fault/huge-headers", _) => Answer::HugeHeaders,
        ("/fault/truncated", _) => Answer::Truncated,
        ("/fault/endless", _) => Answer::Endless,
        ("/hostile/silent", _) => Answer::Silent,
        ("/hostile/drip-headers", _) => Answer::DripHeaders,
        ("/hostile/close-delimited", _) => Answer::CloseDelimited,
        ("/hostile/two-lengths", _) => Answer::TwoLengths,
        ("/hostile/http10", _) => Answer::Http10,
        ("/hostile/early-hints", _) => Answer::EarlyHints,
        ("/hostile/http09", _) => Answer::Http09,
        ("/hostile/bad-chunk", _) => Answer::BadChunk,
        ("/hostile/huge-length", _) => Answer::HugeLength,
        ("/hostile/file-redirect", _) => Answer::Redirect("file:///etc/passwd".into()),
        ("/hostile/gzip-bomb", _) => Answer::GzipBomb,
        ("/hostile/no-close-notify", _) => Answer::NoCloseNotify,
        _ => Answer::Status(404),
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpStream;

    use super::*;
    use crate::documents::SMALL_DOC_BYTES;

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

    #[test]
    fn routes_cover_the_table() {
        assert!(matches!(route("/doc/7", None), Answer::Body(b) if b.len() == SMALL_DOC_BYTES));
        assert!(matches!(route("/status/500", None), Answer::Status(500)));
        assert!(matches!(route("/status/200", None), Answer::Status(404)));
        assert!(matches!(route("/redirect/2", None), Answer::Redirect(to) if to == "/redirect/1"));
        assert!(matches!(route("/redirect/0", None), Answer::Redirect(to) if to == "/doc/0"));
        assert!(matches!(route("/fault/endless", None), Answer::Endless));
        assert!(matches!(route("/nowhere", None), Answer::Status(404)));
    }

    /// A client and the server's side of its connection, on loopback, on a runtime whose
    /// clock is paused (it jumps to the next timer whenever nothing else can run).
    async fn connection(latency: Duration) -> (TcpStream, tokio::task::JoinHandle<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server_side, _) = listener.accept().await.unwrap();
        let settings = Settings {
            latency,
            keep_alive: true,
            accepted: AtomicU64::new(1),
            open: AtomicU64::new(0),
            peak_open: AtomicU64::new(0),
        };
        (
            client,
            tokio::spawn(async move { serve(server_side, &settings).await }),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_connects_early_and_writes_late_is_served() {
        let (mut client, _server) = connection(Duration::ZERO).await;
        tokio::time::sleep(HEAD_TIMEOUT * 3).await;
        client
            .write_all(b"GET /doc/1 HTTP/1.1\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        client.read_to_end(&mut answer).await.unwrap();
        assert!(answer.starts_with(b"HTTP/1.1 200 OK\r\n"), "{answer:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_kept_connection_answers_each_request_and_closes_when_asked() {
        let (mut client, server) = connection(Duration::ZERO).await;
        // Two requests in one write: the second is kept for the next answer.
        client
            .write_all(b"GET /doc/1 HTTP/1.1\r\n\r\nGET /stats/accepted HTTP/1.1\r\n\r\n")
            .await
            .unwrap();
        client
            .write_all(b"GET /doc/2 HTTP/1.1\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        server.await.unwrap();
        let mut answers = Vec::new();
        client.read_to_end(&mut answers).await.unwrap();
        let answers = String::from_utf8_lossy(&answers);
        assert_eq!(
            answers.matches("HTTP/1.1 200 OK\r\n").count(),
            3,
            "{answers}"
        );
        assert_eq!(answers.matches("Connection: keep-alive\r\n").count(), 2);
        assert_eq!(answers.matches("Connection: close\r\n").count(), 1);
        assert!(answers.contains("\r\n\r\n1\n"), "{answers}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_head_that_stops_halfway_is_hung_up_on_after_the_head_timeout() {
        let (mut client, server) = connection(Duration::ZERO).await;
        let start = tokio::time::Instant::now();
        client.write_all(b"GET /doc/1 HTTP/1.1\r\n").await.unwrap();
        server.await.unwrap();
        let mut answer = Vec::new();
        client.read_to_end(&mut answer).await.unwrap();
        assert_eq!(answer, b"");
        assert_eq!(start.elapsed().as_secs(), HEAD_TIMEOUT.as_secs());
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_never_writes_is_hung_up_on_after_the_idle_timeout() {
        let (_client, server) = connection(Duration::ZERO).await;
        let start = tokio::time::Instant::now();
        server.await.unwrap();
        assert_eq!(start.elapsed().as_secs(), IDLE_TIMEOUT.as_secs());
    }
}
