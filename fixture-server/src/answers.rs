//! How the fixture writes each of its answers, the valid ones and the faults: the bytes on
//! the wire, whether the connection stays open, and how it ends (a close, a reset, never).
//! `request.rs` reads the request, and `routes.rs` chooses the answer.

use std::borrow::Cow;
use std::io;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::bomb::bomb;
use crate::documents::{SMALL_DOC_BYTES, generate, small_document};

/// How many body bytes the valid hostile answers carry (close-delimited, HTTP/1.0, after
/// early hints).
pub const HOSTILE_BODY_BYTES: usize = 512;

/// How many body bytes `/hostile/huge-length` announces.
const HUGE_LENGTH: u64 = 5_000_000_000;

/// How many body bytes `/fault/truncated` announces, and how many it sends.
pub const TRUNCATED: (usize, usize) = (100_000, 1_000);

/// A connection the fixture can answer on: plain TCP, or TLS over TCP.
pub(crate) trait Conn: AsyncRead + AsyncWrite + Unpin {
    /// The TCP socket underneath, to reset it.
    fn tcp(&self) -> &TcpStream;
}

impl Conn for TcpStream {
    fn tcp(&self) -> &TcpStream {
        self
    }
}

/// What the server answers to one request.
#[derive(Debug, Clone)]
pub(crate) enum Answer {
    /// 200 with a borrowed body.
    Document(&'static [u8]),
    /// 200 with this body.
    Body(Vec<u8>),
    /// An error status with a short text body.
    Status(u16),
    /// 302 to this location.
    Redirect(Cow<'static, str>),
    /// A reset before any response.
    Reset,
    /// A reset halfway through the body.
    ResetBody,
    /// 200 headers, then silence.
    Stall,
    /// 100 body bytes, one a second.
    Drip,
    /// A status line that is not HTTP.
    Garbage,
    /// More than 1 MiB of headers.
    HugeHeaders,
    /// Fewer body bytes than announced.
    Truncated,
    /// A chunked body that never ends.
    Endless,
    /// The request read, and no answer ever.
    Silent,
    /// The head, one byte a second.
    DripHeaders,
    /// A body delimited by the connection's close, with no length.
    CloseDelimited,
    /// Two different `Content-Length` headers.
    TwoLengths,
    /// An HTTP/1.0 answer.
    Http10,
    /// `103 Early Hints`, then the answer.
    EarlyHints,
    /// A body with no status line.
    Http09,
    /// A chunk size that is not hexadecimal.
    BadChunk,
    /// 5 GB announced, bytes streamed until the client hangs up.
    HugeLength,
    /// A gzip body that inflates to 10 GiB.
    GzipBomb,
    /// A valid answer, then a close without TLS's `close_notify` (on https).
    NoCloseNotify,
}

impl Answer {
    /// Whether the connection may stay open after this answer: a valid answer whose length
    /// says where it ends.
    pub(crate) fn may_keep_alive(&self) -> bool {
        matches!(
            self,
            Answer::Document(_) | Answer::Body(_) | Answer::Status(_) | Answer::Redirect(_)
        )
    }
}

/// Writes the answer, then leaves the connection open if `keep` (and the answer may keep it,
/// [`Answer::may_keep_alive`]), or else closes it (or resets it, for the reset faults).
pub(crate) async fn answer_with<S: Conn>(
    stream: &mut S,
    answer: Answer,
    keep: bool,
) -> io::Result<()> {
    match answer {
        Answer::Document(body) => write_response(stream, 200, &[], body.len(), body, keep).await?,
        Answer::Body(body) => write_response(stream, 200, &[], body.len(), &body, keep).await?,
        Answer::Status(status) => {
            let text = format!("status {status}\n");
            write_response(stream, status, &[], text.len(), text.as_bytes(), keep).await?;
        }
        Answer::Redirect(location) => {
            let header = format!("Location: {location}\r\n");
            write_response(stream, 302, &[header.as_str()], 0, b"", keep).await?;
        }
        Answer::Reset => return stream.tcp().set_zero_linger(),
        Answer::ResetBody => {
            let body = small_document(0);
            let half = &body[..SMALL_DOC_BYTES / 2];
            write_response(stream, 200, &[], SMALL_DOC_BYTES, half, false).await?;
            return stream.tcp().set_zero_linger();
        }
        Answer::Stall => {
            write_response(stream, 200, &[], SMALL_DOC_BYTES, b"", false).await?;
            // Until the server stops: then the runtime drops this task and the socket.
            std::future::pending::<()>().await;
        }
        Answer::Drip => {
            write_response(stream, 200, &[], 100, b"", false).await?;
            for byte in generate("/fault/drip", 100) {
                tokio::time::sleep(Duration::from_secs(1)).await;
                stream.write_all(&[byte]).await?;
                stream.flush().await?;
            }
        }
        Answer::Garbage => {
            stream
                .write_all(b"SPLORK 200 what even is this\r\n\r\n")
                .await?;
        }
        Answer::HugeHeaders => {
            let filler = format!("X-Filler: {}\r\n", "f".repeat(1000));
            let headers = vec![filler.as_str(); 1100];
            write_response(stream, 200, &headers, 0, b"", false).await?;
        }
        Answer::Truncated => {
            let (announced, sent) = TRUNCATED;
            let body = generate("/fault/truncated", sent);
            write_response(stream, 200, &[], announced, &body, false).await?;
        }
        Answer::Endless => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\
                        Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
            stream.write_all(head.as_bytes()).await?;
            let chunk = generate("/fault/endless", 64 * 1024);
            let size = format!("{:x}\r\n", chunk.len());
            // Until the client hangs up, which makes a write fail.
            loop {
                stream.write_all(size.as_bytes()).await?;
                stream.write_all(&chunk).await?;
                stream.write_all(b"\r\n").await?;
            }
        }
        Answer::Silent => std::future::pending::<()>().await,
        Answer::DripHeaders => {
            let head = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            for byte in head.bytes() {
                stream.write_all(&[byte]).await?;
                stream.flush().await?;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        Answer::CloseDelimited => {
            let body = generate("/hostile/close-delimited", HOSTILE_BODY_BYTES);
            let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n";
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&body).await?;
        }
        Answer::TwoLengths => {
            let body = generate("/hostile/two-lengths", HOSTILE_BODY_BYTES);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {HOSTILE_BODY_BYTES}\r\nContent-Length: 100\r\n\
                 Connection: close\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&body).await?;
        }
        Answer::Http10 => {
            let body = generate("/hostile/http10", HOSTILE_BODY_BYTES);
            let head = format!("HTTP/1.0 200 OK\r\nContent-Length: {HOSTILE_BODY_BYTES}\r\n\r\n");
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&body).await?;
        }
        Answer::EarlyHints => {
            let hints = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n";
            stream.write_all(hints.as_bytes()).await?;
            stream.flush().await?;
            let body = generate("/hostile/early-hints", HOSTILE_BODY_BYTES);
            write_response(stream, 200, &[], body.len(), &body, false).await?;
        }
        Answer::Http09 => {
            let body = generate("/hostile/http09", HOSTILE_BODY_BYTES);
            stream.write_all(&body).await?;
        }
        Answer::BadChunk => {
            let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(b"zz\r\nnot a chunk\r\n0\r\n\r\n").await?;
        }
        Answer::HugeLength => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {HUGE_LENGTH}\r\nConnection: close\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).await?;
            let chunk = vec![0_u8; 64 * 1024];
            // Until the client hangs up, which makes a write fail.
            loop {
                stream.write_all(&chunk).await?;
            }
        }
        Answer::GzipBomb => {
            let bomb = bomb();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Encoding: gzip\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n",
                bomb.len()
            );
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&bomb.start).await?;
            for _ in 0..bomb.repeats {
                stream.write_all(&bomb.repeated).await?;
            }
            stream.write_all(&bomb.end).await?;
        }
        Answer::NoCloseNotify => {
            let body = generate("/hostile/no-close-notify", HOSTILE_BODY_BYTES);
            write_response(stream, 200, &[], body.len(), &body, false).await?;
            // Dropping the stream closes the TCP connection; over TLS, no close_notify is
            // sent first, as some servers do (Python's http.server over ssl).
            return Ok(());
        }
    }
    if keep {
        return Ok(());
    }
    stream.shutdown().await
}

/// Writes a status line, `extra` header lines, the headers for a body of `length` bytes
/// (and whether the connection stays open: `keep`), and `body`.
async fn write_response<S: Conn>(
    stream: &mut S,
    status: u16,
    extra: &[&str],
    length: usize,
    body: &[u8],
    keep: bool,
) -> io::Result<()> {
    let (reason, kind) = match status {
        200 => ("OK", "application/pdf"),
        302 => ("Found", "text/plain"),
        400 => ("Bad Request", "text/plain"),
        404 => ("Not Found", "text/plain"),
        405 => ("Method Not Allowed", "text/plain"),
        500 => ("Internal Server Error", "text/plain"),
        _ => ("Fixture Status", "text/plain"),
    };
    let mut head = format!("HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\n");
    for line in extra {
        head.push_str(line);
    }
    let connection = if keep { "keep-alive" } else { "close" };
    head.push_str(&format!(
        "Content-Length: {length}\r\nConnection: {connection}\r\n\r\n"
    ));
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.flush().await
}
