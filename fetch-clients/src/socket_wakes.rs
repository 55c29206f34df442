//! hyper's socket, whichever adapter it has, with its wakes tagged for the trace: a wake
//! that comes through a read is the socket's readiness to read (or its read's completion),
//! one through a write or a flush its readiness to write. Off unless tracing is on.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use fetch_core::trace::{SourceTag, WakeSource};
use hyper::rt::ReadBufCursor;

/// `I`, with the wakes of its reads and its writes tagged apart.
#[derive(Debug)]
pub(crate) struct SocketWakes<I> {
    io: I,
    read: SourceTag,
    write: SourceTag,
}

impl<I> SocketWakes<I> {
    /// `io`, tagged.
    pub(crate) fn new(io: I) -> SocketWakes<I> {
        SocketWakes {
            io,
            read: SourceTag::new(WakeSource::SocketRead),
            write: SourceTag::new(WakeSource::SocketWrite),
        }
    }
}

impl<I: hyper::rt::Read + Unpin> hyper::rt::Read for SocketWakes<I> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let io = &mut this.io;
        this.read.poll(cx, |cx| Pin::new(io).poll_read(cx, buf))
    }
}

impl<I: hyper::rt::Write + Unpin> hyper::rt::Write for SocketWakes<I> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let io = &mut this.io;
        this.write.poll(cx, |cx| Pin::new(io).poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let io = &mut this.io;
        this.write
            .poll(cx, |cx| Pin::new(io).poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let io = &mut this.io;
        this.write.poll(cx, |cx| Pin::new(io).poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let io = &mut this.io;
        this.write.poll(cx, |cx| Pin::new(io).poll_shutdown(cx))
    }
}
