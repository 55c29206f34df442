//! The study's own hyper I/O adapter for compio's `TcpStream`, beside the published one
//! (compio's `AsyncStream` under smol-hyper's `FuturesIo`), chosen with `--io-adapter`.
//!
//! On io_uring the kernel reads into a buffer the operation owns until it completes, so
//! hyper's borrowed buffer cannot be handed to it: one copy is the price of completion I/O
//! under a readiness-shaped trait. The published path pays more than that one copy:
//! `AsyncStream` reads through a 2 KiB buffer of its own (`ADAPTER_BUFFER`), so one fetch of
//! the lesson's 311 KB document takes about 150 reads, each a completion and a poll, and
//! `FuturesIo` then zero-fills hyper's buffer before copying into it.
//!
//! [`CompioStream`] reads into a `Vec` whose size follows the answer (see [`READ_SIZES`]):
//! small on a new connection, so that 10,000 fetches waiting for their answers hold no
//! more than the published path's buffers, and doubled after each read that filled it, so
//! that a large body arrives in a few large reads. (It shrinks by half per read that came
//! back under half full: a kept-alive connection that has just read a large body waits
//! with a large read for a few answers.) hyper gets the bytes with `put_slice`, which copies
//! into its uninitialized buffer without zeroing it first. A write is copied into a buffer
//! the operation owns and reported as taken at once; `poll_flush` waits for the kernel.
//!
//! Over https, rustls reads into initialized memory of its own, so the study's adapter is
//! for plain http only: `connect_tls` keeps the published path.

use std::io;
use std::ops::RangeInclusive;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use compio::BufResult;
use compio::io::{AsyncRead, AsyncWrite};
use compio::net::TcpStream;
use futures::future::LocalBoxFuture;
use hyper::rt::ReadBufCursor;

/// The sizes a read takes, smallest first: it starts at the smallest, doubles after a read
/// that filled its buffer, and halves after one that came back under half full.
///
/// 2 KiB is the published path's own buffer (`ADAPTER_BUFFER`, chosen for memory with
/// 10,000 fetches waiting at once). 64 KiB brings the lesson's 311 KB document in about ten
/// reads; larger reads did not lower its polls further (docs/BENCHMARKS.md, "The glue,
/// not the executor: the study's adapter and the timeout sweep").
pub const READ_SIZES: RangeInclusive<usize> = 2 * 1024..=64 * 1024;

/// An operation in flight: it owns its buffer, and hands it back with its result.
type Operation = LocalBoxFuture<'static, BufResult<usize, Vec<u8>>>;

/// compio's TCP stream with hyper's I/O traits: see the module's docs.
pub struct CompioStream {
    socket: TcpStream,
    /// The read the kernel is doing, if any.
    reading: Option<Operation>,
    /// What the last read brought and hyper has not taken yet, from `taken` on; its
    /// capacity is reused by the next read.
    read: Vec<u8>,
    taken: usize,
    /// How much the next read asks for, within [`READ_SIZES`].
    read_size: usize,
    /// The write the kernel is doing, if any; hyper was already told it was taken.
    writing: Option<Operation>,
    /// The buffer of the last write, kept for the next one.
    write: Vec<u8>,
    /// The shutdown of the write side, once started.
    shutting_down: Option<LocalBoxFuture<'static, io::Result<()>>>,
    /// Whether the write side is shut down.
    shut_down: bool,
}

impl std::fmt::Debug for CompioStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The operations in flight are futures, which say nothing.
        f.debug_struct("CompioStream")
            .field("socket", &self.socket)
            .field("read_size", &self.read_size)
            .finish_non_exhaustive()
    }
}

impl CompioStream {
    /// Connects to `addr` on compio's driver.
    pub async fn connect(addr: std::net::SocketAddr) -> io::Result<CompioStream> {
        Ok(CompioStream {
            socket: TcpStream::connect(addr).await?,
            reading: None,
            read: Vec::new(),
            taken: 0,
            read_size: *READ_SIZES.start(),
            writing: None,
            write: Vec::new(),
            shutting_down: None,
            shut_down: false,
        })
    }

    /// Starts a read of `read_size` bytes into the kept buffer, resized if the size changed.
    fn start_read(&mut self) -> Operation {
        let mut buffer = std::mem::take(&mut self.read);
        self.taken = 0;
        buffer.clear();
        if buffer.capacity() != self.read_size {
            buffer = Vec::with_capacity(self.read_size);
        }
        // compio's stream is a shared handle to one socket: the operation owns a clone.
        let mut socket = self.socket.clone();
        Box::pin(async move { socket.read(buffer).await })
    }

    /// Sizes the next read after one of `n` bytes into a buffer of `size`.
    fn resize_after(&mut self, n: usize, size: usize) {
        self.read_size = if n == size {
            (size * 2).min(*READ_SIZES.end())
        } else if n < size / 2 {
            (size / 2).max(*READ_SIZES.start())
        } else {
            size
        };
    }

    /// Waits for the write in flight, and sends again whatever it left.
    fn poll_written(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some(writing) = self.writing.as_mut() {
            let BufResult(result, mut buffer) = ready!(writing.as_mut().poll(cx));
            self.writing = None;
            let n = result?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            buffer.drain(..n);
            if buffer.is_empty() {
                self.write = buffer;
            } else {
                let mut socket = self.socket.clone();
                self.writing = Some(Box::pin(async move { socket.write(buffer).await }));
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl hyper::rt::Read for CompioStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.taken == this.read.len() {
            if this.reading.is_none() {
                this.reading = Some(this.start_read());
            }
            let reading = this.reading.as_mut().expect("a read in flight");
            let BufResult(result, buffer) = ready!(reading.as_mut().poll(cx));
            this.reading = None;
            let size = buffer.capacity();
            this.read = buffer;
            this.taken = 0;
            // An error leaves `read` empty: the next poll starts a new read.
            let n = result?;
            this.resize_after(n, size);
            // A read of 0 bytes is the end of the stream: hyper sees nothing put.
        }
        let unread = &this.read[this.taken..];
        let n = unread.len().min(buf.remaining());
        // `put_slice` copies into hyper's uninitialized buffer without zeroing it first.
        buf.put_slice(&unread[..n]);
        this.taken += n;
        Poll::Ready(Ok(()))
    }
}

impl hyper::rt::Write for CompioStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        // One write in flight at a time: the next waits for the kernel to finish this one.
        ready!(this.poll_written(cx))?;
        let mut buffer = std::mem::take(&mut this.write);
        buffer.clear();
        buffer.extend_from_slice(buf);
        let mut socket = this.socket.clone();
        this.writing = Some(Box::pin(async move { socket.write(buffer).await }));
        // Polled once here, so that the kernel gets the write before hyper waits to read.
        if let Poll::Ready(Err(err)) = this.poll_written(cx) {
            return Poll::Ready(Err(err));
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_written(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.shut_down {
            return Poll::Ready(Ok(()));
        }
        ready!(this.poll_written(cx))?;
        let socket = this.socket.clone();
        let shutting_down = this.shutting_down.get_or_insert_with(|| {
            let mut socket = socket;
            Box::pin(async move { socket.shutdown().await })
        });
        let done = ready!(shutting_down.as_mut().poll(cx));
        // A finished future is not polled again.
        this.shutting_down = None;
        this.shut_down = done.is_ok();
        Poll::Ready(done)
    }
}
