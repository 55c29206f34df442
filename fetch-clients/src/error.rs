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
    /// The client library refused its configuration.
    #[error("cannot build the {client} client: {reason}")]
    Client {
        /// The client's name.
        client: &'static str,
        /// What went wrong.
        reason: String,
    },
}
