//! A local HTTP/1.1 server that stands in for the lesson's web site, so that every run and
//! every test works offline and measures the same thing.
//!
//! It serves the seed's four documents at their paths (`/pub/irs-pdf/f1040.pdf` and so on)
//! with deterministic generated bodies of different sizes, after a latency that is set per
//! run and can be overridden per request with `?latency_ms=N`. It also serves small
//! documents at `/doc/N` and a few faults under `/fault/`, for the error cases:
//!
//! | path | answer |
//! | --- | --- |
//! | `/pub/irs-pdf/f1040*.pdf` | 200, one of [`DOCUMENTS`] |
//! | `/doc/N` | 200, a 1 KiB body that depends on N |
//! | `/fault/truncated` | 200 that announces more body bytes than it sends, then closes |
//! | `/fault/stall` | 200 headers, then nothing until the server stops |
//! | anything else | 404 |
//!
//! It runs on a tokio current-thread runtime on its own thread named `fixture-server`, so
//! that the thread census can tell it apart from the executor under study, and it binds
//! `127.0.0.1:0`. It speaks HTTP by hand on purpose (with `httparse` to read requests): a
//! fixture must be able to break the protocol in ways a server library will not.

use std::io;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::oneshot;

use fetch_core::{Cli, SEED_PATHS};

/// The lesson's four documents: path and body size in bytes, in the seed's order.
///
/// The sizes are of the order of the real forms', and all different, so that a mix-up
/// between two fetches shows in the byte counts.
pub const DOCUMENTS: [(&str, usize); 4] = [
    (SEED_PATHS[0], 147_298),
    (SEED_PATHS[1], 52_716),
    (SEED_PATHS[2], 311_904),
    (SEED_PATHS[3], 78_153),
];

/// The body size of every `/doc/N` document.
pub const SMALL_DOC_BYTES: usize = 1024;

/// How many body bytes `/fault/truncated` announces, and how many it sends.
pub const TRUNCATED: (usize, usize) = (100_000, 1_000);

/// The latency used when none is given: about one transatlantic fetch.
pub const DEFAULT_LATENCY: Duration = Duration::from_millis(300);

/// The longest latency a request may ask for with `?latency_ms=`.
const MAX_LATENCY: Duration = Duration::from_secs(600);

/// The longest a client may take to send its request head before the server hangs up.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest request head the server reads.
const MAX_HEAD: usize = 16 * 1024;

/// How many connections may wait in the kernel's accept queue: the load tests open
/// thousands at once.
const BACKLOG: u32 = 4096;

/// A running fixture server. Dropping it stops the server and joins its thread.
#[derive(Debug)]
pub struct Fixture {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Fixture {
    /// Starts a server on `127.0.0.1:port` (0 picks a free port) that answers after
    /// `latency`, on a new thread named `fixture-server`.
    pub fn start(port: u16, latency: Duration) -> io::Result<Fixture> {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel();
        let thread = thread::Builder::new()
            .name("fixture-server".into())
            .spawn(move || run_server(port, latency, ready_tx, stop_rx))?;
        let addr = match ready_rx.recv() {
            Ok(bound) => bound?,
            Err(_) => {
                return Err(io::Error::other(
                    "the fixture server thread died while starting",
                ));
            }
        };
        Ok(Fixture {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The URLs of the lesson's four documents on this server.
    pub fn seed_urls(&self) -> Vec<String> {
        SEED_PATHS.iter().map(|path| self.url(path)).collect()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The URLs a run fetches: those on the command line or, when there are none, the lesson's
/// four documents from a fixture server started here with the run's latency. The server
/// stops when the returned `Fixture` is dropped.
pub fn lesson_urls(cli: &Cli) -> io::Result<(Vec<String>, Option<Fixture>)> {
    if !cli.urls.is_empty() {
        return Ok((cli.urls.clone(), None));
    }
    let fixture = Fixture::start(0, Duration::from_millis(cli.latency_ms))?;
    Ok((fixture.seed_urls(), Some(fixture)))
}

/// The body of a path the server serves with 200, if it serves one there.
pub fn document(path: &str) -> Option<&'static [u8]> {
    static BODIES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    let bodies = BODIES.get_or_init(|| {
        DOCUMENTS
            .iter()
            .map(|(path, size)| generate(path, *size))
            .collect()
    });
    DOCUMENTS
        .iter()
        .position(|(known, _)| *known == path)
        .map(|index| bodies[index].as_slice())
}

/// A deterministic body of `size` bytes for `name`: a PDF-like header, filler from a
/// xorshift generator seeded by the name, and a PDF trailer.
fn generate(name: &str, size: usize) -> Vec<u8> {
    let mut body = format!("%PDF-1.4\n% fixture document {name}\n").into_bytes();
    let trailer = b"\n%%EOF\n";
    // FNV-1a of the name seeds the filler, so each document differs.
    let mut state = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    while body.len() < size.saturating_sub(trailer.len()) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        body.push(b' ' + (state % 95) as u8);
    }
    body.extend_from_slice(trailer);
    body.truncate(size);
    body
}

/// The body of `/doc/N`.
fn small_document(n: u64) -> Vec<u8> {
    generate(&format!("/doc/{n}"), SMALL_DOC_BYTES)
}

/// The server thread: builds a runtime, binds, reports the address, serves until stopped.
fn run_server(
    port: u16,
    latency: Duration,
    ready: mpsc::Sender<io::Result<SocketAddr>>,
    stop: oneshot::Receiver<()>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            let _ = ready.send(Err(err));
            return;
        }
    };
    runtime.block_on(async move {
        let listener = match bind(port) {
            Ok(listener) => listener,
            Err(err) => {
                let _ = ready.send(Err(err));
                return;
            }
        };
        let _ = ready.send(listener.local_addr());
        tokio::select! {
            () = accept_loop(listener, latency) => {}
            _ = stop => {}
        }
    });
    // Dropping the runtime cancels every connection still open, stalled ones included.
}

/// Binds `127.0.0.1:port` with a backlog deep enough for the load tests.
fn bind(port: u16) -> io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], port)))?;
    socket.listen(BACKLOG)
}

/// Accepts connections forever, one task each.
async fn accept_loop(listener: TcpListener, latency: Duration) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(serve(stream, latency));
            }
            Err(err) => {
                // Out of file descriptors, most likely: say so, and let some close.
                eprintln!("fixture-server: accept failed: {err} (retrying in 50 ms)");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// What the server answers to one request.
enum Answer {
    /// 200 with this body.
    Body(Vec<u8>),
    /// 200 with a borrowed body.
    Document(&'static [u8]),
    /// 200 announcing `TRUNCATED.0` bytes, sending `TRUNCATED.1`, then closing.
    Truncated,
    /// 200 headers, then silence until the server stops.
    Stall,
    /// An error status with a short text body.
    Status(u16, &'static str),
}

/// Serves one connection: reads one request, waits out the latency, answers, closes.
async fn serve(mut stream: TcpStream, latency: Duration) {
    let target = match tokio::time::timeout(HEAD_TIMEOUT, read_head(&mut stream)).await {
        Ok(Ok(target)) => target,
        // A client that sends garbage, too much or nothing in time gets no answer.
        _ => return,
    };
    let (answer, latency) = match target {
        Ok((path, query_latency)) => (route(&path), query_latency.unwrap_or(latency)),
        Err(answer) => (answer, Duration::ZERO),
    };
    tokio::time::sleep(latency).await;
    // The client may have gone: nothing to do about a failed write but stop.
    let _ = answer_with(&mut stream, answer).await;
}

/// Reads a request head and returns its path and `latency_ms` override, or the error
/// answer for a request the server will not serve.
async fn read_head(
    stream: &mut TcpStream,
) -> io::Result<Result<(String, Option<Duration>), Answer>> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0_u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        head.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(&head) {
            Ok(httparse::Status::Complete(_)) => {
                if request.method != Some("GET") {
                    return Ok(Err(Answer::Status(405, "only GET is served here\n")));
                }
                return Ok(parse_target(request.path.unwrap_or("/")));
            }
            Ok(httparse::Status::Partial) if head.len() < MAX_HEAD => continue,
            Ok(httparse::Status::Partial) => {
                return Ok(Err(Answer::Status(431, "request head too large\n")));
            }
            Err(_) => return Ok(Err(Answer::Status(400, "bad request\n"))),
        }
    }
}

/// Splits a request target into its path and its `latency_ms` override.
fn parse_target(target: &str) -> Result<(String, Option<Duration>), Answer> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut latency = None;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if key == "latency_ms" {
            match value.parse::<u64>().map(Duration::from_millis) {
                Ok(asked) if asked <= MAX_LATENCY => latency = Some(asked),
                _ => return Err(Answer::Status(400, "latency_ms must be 0 to 600000\n")),
            }
        }
    }
    Ok((path.to_owned(), latency))
}

/// Chooses the answer for a path.
fn route(path: &str) -> Answer {
    if let Some(body) = document(path) {
        return Answer::Document(body);
    }
    if let Some(n) = path.strip_prefix("/doc/").and_then(|n| n.parse().ok()) {
        return Answer::Body(small_document(n));
    }
    match path {
        "/fault/truncated" => Answer::Truncated,
        "/fault/stall" => Answer::Stall,
        _ => Answer::Status(404, "no such document\n"),
    }
}

/// Writes the answer and closes the connection.
async fn answer_with(stream: &mut TcpStream, answer: Answer) -> io::Result<()> {
    match answer {
        Answer::Document(body) => write_response(stream, 200, body.len(), body).await?,
        Answer::Body(body) => write_response(stream, 200, body.len(), &body).await?,
        Answer::Status(status, text) => {
            write_response(stream, status, text.len(), text.as_bytes()).await?;
        }
        Answer::Truncated => {
            let (announced, sent) = TRUNCATED;
            let body = generate("/fault/truncated", sent);
            write_response(stream, 200, announced, &body).await?;
        }
        Answer::Stall => {
            write_response(stream, 200, SMALL_DOC_BYTES, b"").await?;
            // Until the server stops: then the runtime drops this task and the socket.
            std::future::pending::<()>().await;
        }
    }
    stream.shutdown().await
}

/// Writes a status line, the headers for a body of `length` bytes, and `body`.
async fn write_response(
    stream: &mut TcpStream,
    status: u16,
    length: usize,
    body: &[u8],
) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Request Header Fields Too Large",
    };
    let kind = if status == 200 {
        "application/pdf"
    } else {
        "text/plain"
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_deterministic_and_sized() {
        for (path, size) in DOCUMENTS {
            let body = document(path).unwrap();
            assert_eq!(body.len(), size);
            assert_eq!(body, generate(path, size));
            assert!(body.starts_with(b"%PDF-1.4\n"));
            assert!(body.ends_with(b"%%EOF\n"));
        }
        assert_ne!(document(SEED_PATHS[0]), document(SEED_PATHS[1]));
        assert_eq!(document("/nope"), None);
        assert_eq!(small_document(3).len(), SMALL_DOC_BYTES);
        assert_ne!(small_document(3), small_document(4));
    }

    #[test]
    fn latency_comes_from_the_query() {
        let Ok((path, latency)) = parse_target("/doc/1?latency_ms=25") else {
            panic!("a valid target")
        };
        assert_eq!(
            (path.as_str(), latency),
            ("/doc/1", Some(Duration::from_millis(25)))
        );
        assert!(parse_target("/doc/1?latency_ms=soon").is_err());
        assert!(parse_target("/doc/1?latency_ms=600001").is_err());
    }
}
