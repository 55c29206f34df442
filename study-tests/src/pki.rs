//! Certificates made at test time (with rcgen), for the https fixtures: one trusted, one
//! expired, one for the wrong host, one from an unknown issuer, and a CA served as a leaf.

use std::io::Write;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    date_time_ymd,
};
use tempfile::NamedTempFile;

use fixture_server::TlsIdentity;

/// A test certificate authority, the PEM file that trusts it, and server identities.
#[derive(Debug)]
pub struct TestPki {
    /// The CA's certificate, in a PEM file, for `--ca-cert`.
    pub ca_file: NamedTempFile,
    /// Valid now, for `localhost`, signed by the CA.
    pub good: TlsIdentity,
    /// Expired in 2001, for `localhost`, signed by the CA.
    pub expired: TlsIdentity,
    /// Valid now, for `elsewhere.test` only, signed by the CA.
    pub wrong_host: TlsIdentity,
    /// Valid now, for `localhost`, signed by another CA that nobody trusts.
    pub unknown_issuer: TlsIdentity,
    /// Self-signed for `localhost` with the CA flag: a CA certificate served as a leaf.
    pub ca_as_leaf: TlsIdentity,
    /// That certificate, in a PEM file, for `--ca-cert`.
    pub ca_as_leaf_file: NamedTempFile,
}

impl TestPki {
    /// Makes the CA and the four identities.
    pub fn new() -> TestPki {
        let (ca_pem, ca) = authority("study test CA");
        let (_, stranger) = authority("a CA nobody trusts");
        let mut ca_file = NamedTempFile::new().expect("a temporary file");
        ca_file.write_all(ca_pem.as_bytes()).expect("write the CA");
        let ca_as_leaf = self_signed_ca_for("localhost");
        let mut ca_as_leaf_file = NamedTempFile::new().expect("a temporary file");
        (ca_as_leaf_file.write_all(ca_as_leaf.cert_chain_pem.as_bytes())).expect("write it");
        TestPki {
            ca_as_leaf,
            ca_as_leaf_file,
            ca_file,
            good: leaf(&ca, "localhost", false),
            expired: leaf(&ca, "localhost", true),
            wrong_host: leaf(&ca, "elsewhere.test", false),
            unknown_issuer: leaf(&stranger, "localhost", false),
        }
    }

    /// The path of the CA's PEM file, as `--ca-cert` takes it.
    pub fn ca_path(&self) -> &str {
        self.ca_file
            .path()
            .to_str()
            .expect("a UTF-8 temporary path")
    }
}

impl Default for TestPki {
    fn default() -> Self {
        TestPki::new()
    }
}

/// A self-signed CA: its certificate as PEM, and the issuer that signs leaves.
fn authority(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("no names is valid");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2100, 1, 1);
    let key = KeyPair::generate().expect("a key");
    let certificate = params.self_signed(&key).expect("a CA certificate");
    (certificate.pem(), Issuer::new(params, key))
}

/// A self-signed certificate for `host` that is also a CA: what a quick `openssl req -x509`
/// often makes, and what webpki refuses as a server's certificate.
fn self_signed_ca_for(host: &str) -> TlsIdentity {
    let mut params = CertificateParams::new(vec![host.to_owned()]).expect("a valid name");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, host);
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2100, 1, 1);
    let key = KeyPair::generate().expect("a key");
    let certificate = params.self_signed(&key).expect("a self-signed certificate");
    TlsIdentity {
        cert_chain_pem: certificate.pem(),
        key_pem: key.serialize_pem(),
    }
}

/// A server certificate for `host`, signed by `issuer`, expired or valid until 2100.
fn leaf(issuer: &Issuer<'static, KeyPair>, host: &str, expired: bool) -> TlsIdentity {
    let mut params = CertificateParams::new(vec![host.to_owned()]).expect("a valid name");
    params.distinguished_name.push(DnType::CommonName, host);
    params.use_authority_key_identifier_extension = true;
    (params.not_before, params.not_after) = if expired {
        (date_time_ymd(2000, 1, 1), date_time_ymd(2001, 1, 1))
    } else {
        (date_time_ymd(2020, 1, 1), date_time_ymd(2100, 1, 1))
    };
    let key = KeyPair::generate().expect("a key");
    let certificate = params.signed_by(&key, issuer).expect("a leaf certificate");
    TlsIdentity {
        cert_chain_pem: certificate.pem(),
        key_pem: key.serialize_pem(),
    }
}
