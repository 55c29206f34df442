//! One connection, served: requests read, answered after the latency, and the connection
//! kept for the next request or closed; and the server's counts of connections.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::answers::{Answer, Conn, answer_with};
use crate::request::{parse_query, read_head};
use crate::routes::route;

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

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use super::*;
    use crate::request::{HEAD_TIMEOUT, IDLE_TIMEOUT};

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
