//! https for the fixture: a certificate and key, given as PEM, and the TLS handshake.

use std::io;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::answers::Conn;
use crate::connection::{self, Settings};
use crate::request::HEAD_TIMEOUT;

/// The certificate chain and private key an https fixture presents, both as PEM.
///
/// Tests make them at run time (with rcgen): a trusted one, an expired one, one for the
/// wrong host, so that each certificate error can be met.
#[derive(Debug, Clone)]
pub struct TlsIdentity {
    /// The certificate chain, leaf first, as PEM.
    pub cert_chain_pem: String,
    /// The leaf's private key, as PEM.
    pub key_pem: String,
}

impl TlsIdentity {
    /// The rustls server configuration for this identity.
    pub(crate) fn server_config(&self) -> io::Result<Arc<rustls::ServerConfig>> {
        let invalid = |err: rustls::pki_types::pem::Error| {
            io::Error::new(io::ErrorKind::InvalidInput, err.to_string())
        };
        let chain = CertificateDer::pem_slice_iter(self.cert_chain_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(invalid)?;
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes()).map_err(invalid)?;
        // The provider is named, not taken from the process default, which is ambiguous
        // when several crates of the workspace enable different ones.
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|err| io::Error::new(io::ErrorKind::InvalidInput, err))?;
        Ok(Arc::new(config))
    }
}

impl Conn for TlsStream<TcpStream> {
    fn tcp(&self) -> &TcpStream {
        self.get_ref().0
    }
}

/// Runs the TLS handshake, within the head timeout, then serves the connection.
pub(crate) async fn serve(acceptor: TlsAcceptor, stream: TcpStream, settings: &Settings) {
    // A client that rejects the certificate ends the handshake: nothing more to do.
    if let Ok(Ok(stream)) = tokio::time::timeout(HEAD_TIMEOUT, acceptor.accept(stream)).await {
        connection::serve(stream, settings).await;
    }
}
