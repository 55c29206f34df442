//! The study's HTTP clients. Each one implements [`fetch_core::Fetch`], so the drivers and
//! reports treat them alike.
//!
//! - [`hyper::HyperClient`]: hyper 1.x over the runtime's own `TcpStream`, which the
//!   runtime crate opens and adapts through [`Connect`]. All of its socket I/O goes through
//!   the runtime under study.
//!
//! This crate is apart from fetch-core only because hyper depends on tokio (its `sync`
//! module, no runtime), and fetch-core must depend on no tokio at all.

pub mod hyper;

pub use hyper::{Connect, HyperClient};
