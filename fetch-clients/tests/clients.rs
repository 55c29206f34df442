//! Each client against the fixture server, without a runtime binary: the exact bytes of a
//! document, a status and a redirect handed back for the session to judge, a body cut
//! short, a refused connection and a body cap, each as the study's own error. The runtime
//! under the clients is smol, through runtime-smol's own `Connect` (a dev-dependency: the
//! study's glue, not a copy of it).
//!
//! Run with: `cargo test -p fetch-clients`

#![allow(
    clippy::unwrap_used,
    reason = "a test: a failed unwrap is a failed test"
)]

use std::rc::Rc;
use std::time::Duration;

use url::Url;

use fetch_clients::{HyperClient, IsahcClient, SurfClient};
use fetch_core::{ClientOptions, Fetch, FetchError, Fetched};
use fixture_server::{DOCUMENTS, Fixture};
use runtime_smol::Smol;

/// runtime-smol's handle, on a local executor of its own: the same glue the study runs.
fn smol_runtime() -> Smol {
    Smol::new(Rc::new(smol::LocalExecutor::new()))
}

/// Fetches `url` with `client`, on smol.
fn fetch(client: &impl Fetch, url: &str) -> Result<Fetched, FetchError> {
    let url = Url::parse(url).unwrap();
    smol::block_on(client.fetch(&url))
}

/// The checks, for one client.
fn check(client: &impl Fetch, fixture: &Fixture) {
    let name = client.name();
    let (path, size) = DOCUMENTS[1];
    let fetched = fetch(client, &fixture.url(path)).unwrap();
    assert_eq!(
        (fetched.status, fetched.bytes),
        (200, size as u64),
        "{name}"
    );

    // A status is the session's to judge: the client hands it back, with its body.
    let fetched = fetch(client, &fixture.url("/status/404")).unwrap();
    assert_eq!(
        (fetched.status, fetched.bytes),
        (404, "status 404\n".len() as u64),
        "{name}"
    );
    // A redirect is the session's to follow: the client hands back its Location.
    let fetched = fetch(client, &fixture.url("/redirect/0")).unwrap();
    assert_eq!(fetched.status, 302, "{name}");
    assert_eq!(fetched.location.as_deref(), Some("/doc/0"), "{name}");

    let err = fetch(client, &fixture.url("/fault/truncated")).unwrap_err();
    assert!(matches!(err, FetchError::Truncated(_)), "{name}: {err}");

    let refusing = fixture_server::RefusingPort::bind().unwrap();
    let err = fetch(client, &format!("http://{}/", refusing.addr())).unwrap_err();
    assert!(
        err.to_string().starts_with("cannot connect to"),
        "{name}: {err}"
    );

    let err = fetch(client, &fixture.url("/fault/endless")).unwrap_err();
    assert!(
        matches!(err, FetchError::BodyTooLarge { max: 100_000 }),
        "{name}: {err}"
    );
}

/// The options every client is built with here: a 100 KB body cap.
fn options() -> ClientOptions {
    ClientOptions {
        max_body: 100_000,
        ..ClientOptions::default()
    }
}

#[test]
fn hyper_fetches_on_the_runtimes_own_sockets() {
    let fixture = Fixture::start(0, Duration::ZERO).unwrap();
    check(
        &HyperClient::new(smol_runtime(), &options()).unwrap(),
        &fixture,
    );
}

#[test]
fn isahc_fetches_on_curls_thread() {
    let fixture = Fixture::start(0, Duration::ZERO).unwrap();
    check(&IsahcClient::new(&options()).unwrap(), &fixture);
}

#[test]
fn surf_fetches_on_async_stds_sockets() {
    let fixture = Fixture::start(0, Duration::ZERO).unwrap();
    check(&SurfClient::new(&options()).unwrap(), &fixture);
}

#[test]
fn a_ca_cert_that_cannot_be_read_is_refused_by_name() {
    let options = ClientOptions {
        ca_cert: Some("/nonexistent/ca.pem".into()),
        ..ClientOptions::default()
    };
    let errors = [
        HyperClient::new(smol_runtime(), &options)
            .unwrap_err()
            .to_string(),
        IsahcClient::new(&options).unwrap_err().to_string(),
        SurfClient::new(&options).unwrap_err().to_string(),
    ];
    for err in errors {
        assert!(
            err.starts_with("cannot use --ca-cert /nonexistent/ca.pem: "),
            "{err}"
        );
    }
}

#[test]
fn a_plain_hyper_fetch_future_keeps_its_stream_once_and_no_room_for_tls() {
    // Every fetch in flight holds this future: 10,000 at once hold 10,000 of them. It keeps
    // the stream's room once, inside the exchange (a match on the stream across the
    // exchange's await kept it twice: 5,728 bytes on tokio), and the TLS connect and
    // exchange are boxed, so that a plain fetch carries no room for them (3,808 bytes here
    // with them inline, 1,552 boxed, 1,464 since the exchange keeps neither the request nor
    // the response head while it waits).
    let client = HyperClient::new(smol_runtime(), &options()).unwrap();
    let url = Url::parse("http://localhost:1/").unwrap();
    let size = std::mem::size_of_val(&client.fetch(&url));
    assert!(size <= 2_048, "HyperClient::fetch's future is {size} bytes");
}
