//! The study's own hyper I/O adapter for an async-io socket (smol, async-std, futures'
//! `LocalPool`), beside the published one (smol-hyper's `FuturesIo` over the runtime's
//! `TcpStream`), chosen with `--io-adapter`.
//!
//! The published path costs two things that are not the executor's:
//! - futures-io's `AsyncRead` takes initialized memory, so `FuturesIo` zero-fills hyper's
//!   read buffer before every read (hyper builds a fresh `ReadBuf::uninit` each time);
//! - async-io's `poll_read` tries the read before it waits, and hyper polls its read side
//!   at every poll of a connection: most of those reads return `EAGAIN`.
//!
//! [`AsyncIoStream`] reads with `recv(2)` straight into hyper's uninitialized buffer, and
//! after a read that returned `WouldBlock` or less than it asked for, it waits for the
//! reactor to say the socket is readable before it reads again, as tokio does. A write is
//! tried first (a socket with room takes it), and waits for writability only after
//! `WouldBlock`.
//!
//! Over https, rustls reads into initialized memory of its own, so the study's adapter is
//! for plain http only: `connect_tls` keeps the published path.

#![allow(
    unsafe_code,
    reason = "a read into hyper's uninitialized buffer is this adapter's point: two blocks, \
              each with its SAFETY comment"
)]

use std::io::{self, IoSlice, Write};
use std::mem::MaybeUninit;
use std::net::{Shutdown, TcpStream};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use async_io::Async;
use hyper::rt::ReadBufCursor;

/// A TCP stream on async-io's reactor, with hyper's I/O traits: see the module's docs.
#[derive(Debug)]
pub struct AsyncIoStream {
    socket: Async<TcpStream>,
    /// Whether the last read came back short or `WouldBlock`: the next one waits for the
    /// reactor to say the socket is readable.
    wait_readable: bool,
}

impl AsyncIoStream {
    /// Connects to `addr` on async-io's reactor.
    pub async fn connect(addr: std::net::SocketAddr) -> io::Result<AsyncIoStream> {
        Ok(AsyncIoStream {
            socket: Async::<TcpStream>::connect(addr).await?,
            wait_readable: false,
        })
    }
}

impl AsyncIoStream {
    /// Tries `send` first (a socket with room takes it at once), and waits for writability
    /// only after `WouldBlock`.
    fn poll_send(
        &mut self,
        cx: &mut Context<'_>,
        mut send: impl FnMut(&TcpStream) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            match send(self.socket.get_ref()) {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    ready!(self.socket.poll_writable(cx))?;
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                done => return Poll::Ready(done),
            }
        }
    }
}

/// Receives into `buf` without initializing it, returning how many bytes were written.
fn recv_uninit(socket: &TcpStream, buf: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
    // socket2's `recv` takes uninitialized memory and writes only the bytes it returns.
    socket2::SockRef::from(socket).recv(buf)
}

impl hyper::rt::Read for AsyncIoStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.wait_readable {
                // Pending without a syscall while the same task waits: async-io re-arms the
                // socket only when no waker is registered yet.
                ready!(this.socket.poll_readable(cx))?;
                this.wait_readable = false;
            }
            // SAFETY: `recv_uninit` writes only initialized bytes into the slice, and
            // `advance` below counts exactly the bytes it says it wrote; nothing reads the
            // uninitialized rest. (`a_body_larger_than_the_read_buffer_arrives_whole` and the
            // fault matrix catch a count that is off.)
            let unfilled = unsafe { buf.as_mut() };
            let room = unfilled.len();
            match recv_uninit(this.socket.get_ref(), unfilled) {
                Ok(n) => {
                    // SAFETY: `recv(2)` initialized the first `n` bytes of the unfilled part.
                    unsafe { buf.advance(n) };
                    // A short read drained the socket: the next read would fail.
                    this.wait_readable = n < room;
                    return Poll::Ready(Ok(()));
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => this.wait_readable = true,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Poll::Ready(Err(err)),
            }
        }
    }
}

impl hyper::rt::Write for AsyncIoStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_send(cx, |mut socket| socket.write(buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_send(cx, |mut socket| socket.write_vectored(bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // A socket keeps no buffer of its own to flush.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.socket.get_ref().shutdown(Shutdown::Write))
    }
}

/// A plain connection's stream with whichever adapter `--io-adapter` chose: `P`, the
/// runtime's published one, or `S`, the study's ([`AsyncIoStream`] on async-io's
/// runtimes, runtime-compio's own `CompioStream` on compio).
#[derive(Debug)]
pub enum ChosenIo<P, S = AsyncIoStream> {
    /// The runtime's own stream under the adapter a user gets from crates.io.
    Published(P),
    /// The study's adapter.
    Study(S),
}

impl<P: hyper::rt::Read + Unpin, S: hyper::rt::Read + Unpin> hyper::rt::Read for ChosenIo<P, S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ChosenIo::Published(io) => Pin::new(io).poll_read(cx, buf),
            ChosenIo::Study(io) => Pin::new(io).poll_read(cx, buf),
        }
    }
}

impl<P: hyper::rt::Write + Unpin, S: hyper::rt::Write + Unpin> hyper::rt::Write for ChosenIo<P, S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            ChosenIo::Published(io) => Pin::new(io).poll_write(cx, buf),
            ChosenIo::Study(io) => Pin::new(io).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            ChosenIo::Published(io) => Pin::new(io).poll_write_vectored(cx, bufs),
            ChosenIo::Study(io) => Pin::new(io).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            ChosenIo::Published(io) => io.is_write_vectored(),
            ChosenIo::Study(io) => io.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ChosenIo::Published(io) => Pin::new(io).poll_flush(cx),
            ChosenIo::Study(io) => Pin::new(io).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ChosenIo::Published(io) => Pin::new(io).poll_shutdown(cx),
            ChosenIo::Study(io) => Pin::new(io).poll_shutdown(cx),
        }
    }
}
