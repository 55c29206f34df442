//! The fixture server holds 5,000 simultaneous connections. The server runs in its own
//! process (its real binary), as load tests here should, so that the two ends do not share
//! one process's file descriptors.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fixture_server::SMALL_DOC_BYTES;

/// How many connections are opened at once.
const CONNECTIONS: usize = 5_000;

/// The server's latency: every response waits this long after its request.
const LATENCY: Duration = Duration::from_secs(3);

/// Kills the server process when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn holds_five_thousand_simultaneous_connections() {
    let mut server = Server(
        Command::new(env!("CARGO_BIN_EXE_fixture-server"))
            .args(["--latency-ms", &LATENCY.as_millis().to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the fixture server starts"),
    );
    let mut base = String::new();
    let stdout = server.0.stdout.take().expect("stdout is piped");
    BufReader::new(stdout)
        .read_line(&mut base)
        .expect("the server prints its address");
    let addr = base
        .trim()
        .strip_prefix("http://")
        .expect("an http:// base URL")
        .to_owned();

    let start = Instant::now();
    let mut streams = Vec::with_capacity(CONNECTIONS);
    for n in 0..CONNECTIONS {
        let mut stream = TcpStream::connect(&addr).expect("connect");
        stream
            .set_read_timeout(Some(4 * LATENCY))
            .expect("set a read timeout");
        write!(stream, "GET /doc/{n} HTTP/1.1\r\nHost: {addr}\r\n\r\n").expect("send a request");
        streams.push(stream);
    }
    for (n, mut stream) in streams.into_iter().enumerate() {
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .unwrap_or_else(|err| panic!("response {n}: {err}"));
        let text = String::from_utf8_lossy(&response);
        assert!(
            text.starts_with("HTTP/1.1 200 OK\r\n"),
            "response {n}: {text}"
        );
        let body = text
            .split_once("\r\n\r\n")
            .map_or(0, |(_, body)| body.len());
        assert_eq!(body, SMALL_DOC_BYTES, "response {n}");
    }
    // Had the server held fewer than all of them at once, a second wave of requests would
    // have waited out a second latency.
    let elapsed = start.elapsed();
    assert!(
        elapsed < 2 * LATENCY,
        "{CONNECTIONS} requests took {elapsed:?}: they were not all held at once"
    );
}
