//! A local port that refuses connections, for the tests of a refused connect.
//!
//! A port merely free a moment ago is no such thing: another test's server can take it
//! before the connect (it happened here, and the answer was not HTTP). A socket that is
//! bound and never listens holds the port, and the kernel refuses every connection to it.

use std::io;
use std::net::SocketAddr;

use tokio::net::TcpSocket;

/// A port on 127.0.0.1 that refuses every connection while this value lives.
#[derive(Debug)]
pub struct RefusingPort {
    /// Bound, never listening: it holds the port. (No runtime is needed to make it.)
    _socket: TcpSocket,
    addr: SocketAddr,
}

impl RefusingPort {
    /// Binds a socket to a free port of 127.0.0.1, and never listens on it.
    pub fn bind() -> io::Result<Self> {
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        let addr = socket.local_addr()?;
        Ok(RefusingPort {
            _socket: socket,
            addr,
        })
    }

    /// The refusing address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_to_it_is_refused() {
        let port = RefusingPort::bind().unwrap();
        let err = std::net::TcpStream::connect(port.addr()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
    }
}
