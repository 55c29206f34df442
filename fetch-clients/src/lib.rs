//! The study's HTTP clients. Each one implements [`fetch_core::Fetch`], so the drivers and
//! reports treat them alike, and none follows redirects: the driver does, for all.
//!
//! - [`HyperClient`]: hyper 1.x over the runtime's own `TcpStream` (and rustls for https),
//!   which the runtime crate opens and adapts through [`Connect`]. All of its socket I/O
//!   goes through the runtime under study.
//!
//! This crate is apart from fetch-core because hyper depends on tokio (its `sync` module,
//! no runtime), and fetch-core must depend on no tokio at all.

use std::path::PathBuf;

use fetch_core::{Cli, ClientKind, RunReport};

pub mod hyper;
pub mod tls;

pub use hyper::{Connect, HyperClient};

/// Why a client could not be built. The run stops before fetching anything.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The `--ca-cert` file could not be used.
    #[error("cannot use --ca-cert {}: {reason}", path.display())]
    CaCert {
        /// The file given.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The TLS library refused its configuration.
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    /// The client library refused its configuration.
    #[error("cannot build the {client} client: {reason}")]
    Client {
        /// The client's name.
        client: &'static str,
        /// What went wrong.
        reason: String,
    },
}

/// Plays the lesson on `runtime` with the client chosen by `--client`.
///
/// This is the one place that turns the flag into a client, for the three runtimes.
pub async fn run<C: Connect + Clone + 'static>(
    runtime: C,
    cli: &Cli,
    urls: &[String],
) -> Result<RunReport, SetupError> {
    let options = cli.client_options();
    Ok(match cli.client {
        ClientKind::Hyper => {
            let client = HyperClient::new(runtime.clone(), &options)?;
            fetch_core::run(runtime, client, cli, urls).await
        }
        ClientKind::Isahc | ClientKind::Surf => {
            return Err(SetupError::Client {
                client: if cli.client == ClientKind::Isahc {
                    "isahc"
                } else {
                    "surf"
                },
                reason: "not wired in yet".into(),
            });
        }
    })
}
