//! The study's HTTP clients. Each one implements [`fetch_core::Fetch`], so the sessions and
//! reports treat them alike, and none follows redirects: the session does, for all.
//!
//! - [`HyperClient`]: hyper 1.x over the runtime's own `TcpStream` (and rustls for https),
//!   which the runtime crate opens and adapts through [`Connect`]. All of its socket I/O
//!   goes through the runtime under study. It also keeps connections alive for the load
//!   demo ([`KeptAliveConnection`]). On async-io's runtimes, `--io-adapter study` gives it
//!   the study's own socket adapter, [`AsyncIoStream`].
//! - [`IsahcClient`]: isahc 2.x, curl on isahc's own agent thread. The runtime only awaits
//!   completions; its reactor does none of the socket I/O.
//! - [`SurfClient`]: surf 2.3 over http-client's h1 client, on async-std's sockets, hence
//!   on async-io's reactor, whatever the runtime; it resolves names by blocking.
//!
//! Which client a run uses is chosen by study-play, which puts runs together; this crate
//! holds only the clients. It is apart from fetch-core because hyper depends on tokio (its
//! `sync` module, no runtime), and fetch-core must depend on no tokio at all.

pub mod async_io_stream;
mod body;
pub mod error;
pub mod hyper;
pub mod isahc;
mod socket_wakes;
pub mod surf;
pub mod tls;

pub use async_io_stream::{AsyncIoStream, ChosenIo};
pub use error::BuildError;
pub use hyper::{Connect, HyperClient, KeptAliveConnection};
pub use isahc::IsahcClient;
pub use surf::SurfClient;
