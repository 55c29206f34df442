//! Why a client could not be built.

use std::path::PathBuf;

/// Why a client could not be built. The run stops before fetching anything.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
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
    /// `--io-adapter study` with a client that is not hyper, which has no adapter to choose.
    #[error(
        "--io-adapter study is hyper's socket adapter, and --client {client} does its I/O \
         without one: use --client hyper, or leave --io-adapter out"
    )]
    AdapterWithoutHyper {
        /// The client's name.
        client: &'static str,
    },
    /// The client library refused its configuration.
    #[error("cannot build the {client} client: {reason}")]
    Client {
        /// The client's name.
        client: &'static str,
        /// What went wrong.
        reason: String,
    },
}
