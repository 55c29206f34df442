//! The trust roots of the rustls-based clients: the usual web roots, plus `--ca-cert`.

use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::error::BuildError;

/// Reads every certificate of a PEM file, for `--ca-cert`.
pub fn read_pem_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, BuildError> {
    let bad = |reason: String| BuildError::CaCert {
        path: path.to_owned(),
        reason,
    };
    let text = std::fs::read(path).map_err(|err| bad(err.to_string()))?;
    let certificates = CertificateDer::pem_slice_iter(&text)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| bad(err.to_string()))?;
    if certificates.is_empty() {
        return Err(bad("no PEM certificate in the file".into()));
    }
    Ok(certificates)
}

/// The rustls client configuration for hyper: the Mozilla roots, plus `ca_cert`'s.
///
/// The crypto provider is named rather than taken from the process default, which is
/// ambiguous when several crates in one build enable different ones.
pub fn rustls_config(ca_cert: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, BuildError> {
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned());
    if let Some(path) = ca_cert {
        for certificate in read_pem_certificates(path)? {
            roots.add(certificate).map_err(|err| BuildError::CaCert {
                path: path.to_owned(),
                reason: err.to_string(),
            })?;
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| BuildError::Tls(err.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
